//! The two jobs this binary does for the rows besides measuring:
//!
//! - **tmux wrapper** (W4): started under the name `tmux` (a symlink first
//!   on the server's `PATH`), it appends one line per invocation to
//!   `$TMUX_BENCH_LOG` and then becomes `$TMUX_BENCH_REAL` with the same
//!   arguments (`exec`, no shell, so the process tree is what tmux-mobile
//!   made it).
//! - **generators** (W9, W12): `__generate <bytes>` writes that many bytes of
//!   printable lines to stdout; `__lines <count> <width> [argv…]` prints
//!   numbered lines of `width` characters, then execs `argv` (a shell, so
//!   the pane stays open with the lines in its history).
//! - **agent recording** (W15): `__agent [cols]` replays
//!   [`crate::agent::recording`] with its pauses.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};

/// Environment variable naming the wrapper's log file.
pub(crate) const LOG_ENV: &str = "TMUX_BENCH_LOG";
/// Environment variable naming the real tmux binary.
pub(crate) const REAL_ENV: &str = "TMUX_BENCH_REAL";

/// Whether this process was started as the `tmux` wrapper.
pub(crate) fn is_tmux_wrapper(argv: &[String]) -> bool {
    argv.first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == "tmux")
}

/// Logs the invocation and execs the real tmux; returns only on failure.
pub(crate) fn tmux_wrapper(argv: &[String]) -> ExitCode {
    let (Some(log), Some(real)) = (std::env::var_os(LOG_ENV), std::env::var_os(REAL_ENV)) else {
        eprintln!("tmux wrapper: {LOG_ENV} and {REAL_ENV} must be set");
        return ExitCode::from(127);
    };
    let line = format!("{}\n", argv[1..].join(" "));
    // One write of a short line to an O_APPEND file: whole lines even when
    // several tmux processes start at once.
    let logged = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = logged {
        eprintln!(
            "tmux wrapper: cannot log to {}: {e}",
            Path::new(&log).display()
        );
        return ExitCode::from(127);
    }
    let err = Command::new(&real).args(&argv[1..]).exec();
    eprintln!(
        "tmux wrapper: cannot exec {}: {err}",
        Path::new(&real).display()
    );
    ExitCode::from(127)
}

/// Creates the wrapper in `dir` (a symlink named `tmux` to this binary) and
/// returns the environment a child needs to go through it: `PATH` with
/// `dir` first, the log file and the real tmux.
pub(crate) fn install_tmux_wrapper(
    dir: &Path,
    exe: &Path,
    log: &Path,
) -> Result<Vec<(OsString, OsString)>, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let real = std::env::split_paths(&path)
        .map(|d| d.join("tmux"))
        .find(|p| p.is_file())
        .ok_or("tmux is not on PATH")?;
    let link = dir.join("tmux");
    std::os::unix::fs::symlink(exe, &link)
        .map_err(|e| format!("cannot create {}: {e}", link.display()))?;
    let mut new_path = OsString::from(dir);
    new_path.push(":");
    new_path.push(&path);
    Ok(vec![
        ("PATH".into(), new_path),
        (LOG_ENV.into(), log.into()),
        (REAL_ENV.into(), real.into()),
    ])
}

/// Runs a generator when `argv` asks for one; `None` otherwise.
pub(crate) fn generator(argv: &[String]) -> Option<ExitCode> {
    let result = match argv.get(1).map(String::as_str) {
        Some("__generate") => generate(&argv[2..]),
        Some("__lines") => lines(&argv[2..]),
        Some("__agent") => crate::agent::replay(&argv[2..]),
        _ => return None,
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generator: {e}");
            ExitCode::FAILURE
        }
    })
}

fn number(arg: Option<&String>, what: &str) -> Result<usize, String> {
    arg.and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("expected {what}"))
}

/// `__generate <bytes>`: lines of 79 printable characters and a newline.
fn generate(args: &[String]) -> Result<(), String> {
    let total = number(args.first(), "a byte count")?;
    let mut block = Vec::with_capacity(64 * 1024);
    while block.len() + 80 <= 64 * 1024 {
        let start = block.len() / 80;
        block.extend((0..79).map(|i| b'!' + ((start + i) % 94) as u8));
        block.push(b'\n');
    }
    let mut out = std::io::stdout().lock();
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len());
        out.write_all(&block[..n])
            .map_err(|e| format!("write: {e}"))?;
        left -= n;
    }
    out.flush().map_err(|e| format!("flush: {e}"))
}

/// `__lines <count> <width> [argv…]`.
fn lines(args: &[String]) -> Result<(), String> {
    let count = number(args.first(), "a line count")?;
    let width = number(args.get(1), "a line width")?.max(10);
    {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for i in 0..count {
            let mut line = format!("{i:08} ");
            line.extend((line.len()..width).map(|j| char::from(b'a' + ((i + j) % 26) as u8)));
            line.push('\n');
            out.write_all(line.as_bytes())
                .map_err(|e| format!("write: {e}"))?;
        }
        out.flush().map_err(|e| format!("flush: {e}"))?;
    }
    if let Some((program, rest)) = args[2..].split_first() {
        let err = Command::new(program).args(rest).exec();
        return Err(format!("cannot exec {program}: {err}"));
    }
    Ok(())
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
