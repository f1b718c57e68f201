//! `cargo xtask bench`: tmux-mobile's published performance budget.
//!
//! Runs the release `tmux-mobile` on private tmux servers (a private
//! `TMUX_TMPDIR` each, killed afterwards), drives it with real WebSocket
//! clients, and measures the rows of [`rows::ROWS`]; with `--vs-ttyd PATH`,
//! W1 and W2 also run against ttyd attached to the same kind of tmux session,
//! interleaved with ours so both see the same machine load. Prints Markdown
//! tables (the format of docs/BENCHMARKS.md) and writes a JSON report with
//! the machine, tmux version, commit and every measured value.
//!
//! This is a report, not a test: nothing here passes or fails a build. The
//! same binary doubles as two helpers the rows need: a byte generator
//! (`__generate`, `__lines`) and, when started under the name `tmux`, a
//! wrapper that logs every tmux invocation before running the real tmux
//! (W4 counts them). `tmux-mobile-bench soak` is the soak of issue 16
//! (see [`soak`]; `cargo xtask soak`).
//!
//! `BENCH_DEBUG=1` prints every terminal chunk a client waits on and ttyd's
//! own log, for when a row fails or a figure looks wrong.
#![forbid(unsafe_code)]

mod agent;
mod client;
mod helpers;
mod procfs;
mod report;
mod rows;
mod screen;
mod servers;
mod soak;
mod stats;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use argh::FromArgs;
use serde_json::json;

use report::{RowReport, Status};

/// Measure tmux-mobile's performance budget (rows W1–W15 of issue 12).
#[derive(FromArgs, Debug)]
struct Args {
    /// a one-minute subset: fewer repetitions, the heaviest rows left out
    #[argh(switch)]
    quick: bool,

    /// also run W1 and W2 against this ttyd binary, with ratios
    #[argh(option)]
    vs_ttyd: Option<PathBuf>,

    /// only these rows, comma-separated (e.g. `W1,W3`)
    #[argh(option)]
    only: Option<String>,

    /// the tmux-mobile binary to measure (default: `tmux-mobile` next to
    /// this binary, i.e. the release build)
    #[argh(option)]
    bin: Option<PathBuf>,

    /// where to write the JSON report (default target/bench/report.json)
    #[argh(option)]
    out: Option<PathBuf>,
}

/// What every row gets: the binaries, the options, a runtime.
#[derive(Debug)]
pub struct Bench {
    /// The `tmux-mobile` under measurement.
    pub bin: PathBuf,
    /// This binary (generator and tmux wrapper).
    pub exe: PathBuf,
    /// ttyd, for side-by-side rows.
    pub ttyd: Option<PathBuf>,
    /// `--quick`.
    pub quick: bool,
    /// A multi-threaded tokio runtime for the clients.
    pub rt: tokio::runtime::Runtime,
}

impl Bench {
    /// `full` repetitions, or `quick` ones under `--quick`.
    pub fn reps(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if helpers::is_tmux_wrapper(&argv) {
        return helpers::tmux_wrapper(&argv);
    }
    if let Some(code) = helpers::generator(&argv) {
        return code;
    }
    if argv.get(1).is_some_and(|a| a == "soak") {
        return match soak::soak(&argv[2..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("soak: failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let args: Args = argh::from_env();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let bin = args.bin.unwrap_or_else(servers::default_binary);
    if !bin.is_file() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release -p tmux-mobile` (cargo xtask bench does)",
            bin.display()
        ));
    }
    if let Some(ttyd) = args.vs_ttyd.as_ref().filter(|p| !p.is_file()) {
        return Err(format!("--vs-ttyd {}: no such file", ttyd.display()));
    }
    let only: Option<Vec<String>> = args.only.as_deref().map(|s| {
        s.split(',')
            .map(|id| id.trim().to_ascii_uppercase())
            .collect()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let bench = Bench {
        bin,
        exe: std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?,
        ttyd: args.vs_ttyd,
        quick: args.quick,
        rt,
    };
    let header = header(&bench);
    eprintln!("bench: {}", header);

    let started = Instant::now();
    let mut reports = Vec::new();
    for row in rows::ROWS {
        let selected = only
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|i| i == row.id));
        let status = match row.run {
            _ if !selected => Status::Skipped("not selected"),
            _ if bench.quick && !row.quick => Status::Skipped("not in --quick"),
            rows::Run::Measure(f) => {
                eprintln!("bench: {} {} …", row.id, row.workload);
                let load0 = procfs::load_average();
                let t0 = Instant::now();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&bench)));
                let status = match result {
                    Ok(Ok(outcome)) => Status::Measured(outcome),
                    Ok(Err(e)) => Status::Failed(e),
                    Err(panic) => Status::Failed(format!(
                        "panicked: {}",
                        panic
                            .downcast_ref::<String>()
                            .map(String::as_str)
                            .or_else(|| panic.downcast_ref::<&str>().copied())
                            .unwrap_or("(no message)")
                    )),
                };
                let rep = RowReport {
                    id: row.id,
                    workload: row.workload,
                    status,
                    load: (load0, procfs::load_average()),
                    seconds: t0.elapsed().as_secs_f64(),
                };
                eprintln!(
                    "bench: {} done in {:.1} s\n{}",
                    row.id,
                    rep.seconds,
                    report::markdown(std::slice::from_ref(&rep))
                );
                reports.push(rep);
                continue;
            }
        };
        reports.push(RowReport {
            id: row.id,
            workload: row.workload,
            status,
            load: (0.0, 0.0),
            seconds: 0.0,
        });
    }
    let mut header = header;
    header["seconds"] = json!((started.elapsed().as_secs_f64() * 10.0).round() / 10.0);
    header["targets"] = rows::ROWS
        .iter()
        .map(|r| json!({"id": r.id, "target": r.target}))
        .collect();

    println!("{}", report::markdown(&reports));
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("target/bench/report.json"));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let json = report::to_json(header, &reports);
    let text = serde_json::to_string_pretty(&json).map_err(|e| format!("json: {e}"))?;
    std::fs::write(&out, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!(
        "bench: {:.0} s in all; report in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Machine, tmux and ttyd versions, commit, date and options.
fn header(bench: &Bench) -> serde_json::Value {
    let output = |program: &str, args: &[&str]| -> String {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let mut commit = output("git", &["rev-parse", "--short=12", "HEAD"]);
    if !output("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        commit.push_str("-dirty");
    }
    let ttyd = bench
        .ttyd
        .as_ref()
        .map(|p| output(&p.to_string_lossy(), &["--version"]));
    json!({
        "date": helpers::utc_now(),
        "commit": commit,
        "tmux": output("tmux", &["-V"]),
        "ttyd": ttyd,
        "machine": procfs::machine(),
        "load_average_start": procfs::load_average(),
        "quick": bench.quick,
        "binary": bench.bin.display().to_string(),
    })
}
