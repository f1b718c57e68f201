//! W14: keystroke → glyph at 300 ms round trip, with and without
//! predictive local echo, in headless Chromium. The browser part is
//! `bench/browser/w14.mjs` (it uses tests/e2e's harness: private tmux,
//! the real app, the link shaper, Chromium); this row runs it with the
//! release binaries and summarises what it prints.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::Bench;
use crate::report::{Kind, Outcome, num};
use crate::stats::Samples;

/// The longest the browser session may take.
const SESSION_WAIT: Duration = Duration::from_secs(300);

/// Chromium, as the e2e tests use it.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The repository this driver was built from.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs the browser session once; its `W14RESULT` JSON.
fn session(bench: &Bench, root: &Path, shaper: &Path) -> Result<Value, String> {
    let out_dir = root.join("target").join("bench").join("w14");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let log = out_dir.join("w14.log");
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let mut child = Command::new("node")
        .arg(root.join("bench").join("browser").join("w14.mjs"))
        .current_dir(root.join("tests").join("e2e"))
        .env("TMUX_MOBILE_BIN", &bench.bin)
        .env("TMUX_MOBILE_SHAPER_BIN", shaper)
        .env("E2E_OUT_DIR", &out_dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout from node")?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let finished =
        tmux_mobile_e2e::wait_until(SESSION_WAIT, || child.try_wait().ok().flatten().is_some());
    if !finished {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("node: {e}"))?;
    let text = reader.join().unwrap_or_default();
    let line = text.lines().find_map(|l| l.strip_prefix("W14RESULT "));
    match (finished, status.success(), line) {
        (true, true, Some(json)) => {
            serde_json::from_str(json).map_err(|e| format!("W14RESULT is not JSON: {e}"))
        }
        _ => {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = tail.lines().collect();
            Err(format!(
                "the browser session failed ({}; {status}); log {}:\n{}",
                if finished { "finished" } else { "timed out" },
                log.display(),
                lines[lines.len().saturating_sub(15)..].join("\n")
            ))
        }
    }
}

/// The timed keys of one part (`shell`, `vim`) of one mode (`with`,
/// `without`): ms to the glyph, keys drawn by prediction, keys never drawn.
fn keys(result: &Value, mode: &str, part: &str, into: &mut Samples) -> (usize, usize) {
    let (mut predicted, mut never) = (0, 0);
    for probe in result[mode][part].as_array().into_iter().flatten() {
        match probe["ms"].as_f64() {
            Some(ms) => into.push(ms),
            None => never += 1,
        }
        if probe["by"] == "prediction" {
            predicted += 1;
        }
    }
    (predicted, never)
}

/// W14, one scripted session per mode (not in `--quick`).
pub(super) fn w14(bench: &Bench) -> Result<Outcome, String> {
    let root = repo_root();
    if !Path::new(CHROMIUM).is_file() {
        return Err(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    if !root.join("tests/e2e/node_modules").is_dir() {
        return Err(
            "tests/e2e/node_modules is missing: run `npm ci` in tests/e2e (cargo xtask bench does)"
                .into(),
        );
    }
    let shaper = bench.exe.with_file_name("tmux-mobile-shaper");
    if !shaper.is_file() {
        return Err(format!(
            "{} is missing: cargo build --release -p tmux-mobile-shaper (cargo xtask bench does)",
            shaper.display()
        ));
    }
    let result = session(bench, &root, &shaper)?;
    let mut o = Outcome::default();
    let mut with_all = Samples::new();
    let mut without_all = Samples::new();
    let mut drawn = (0, 0);
    let mut never_total = 0;
    for part in ["shell", "vim"] {
        let mut with = Samples::new();
        let (p, never) = keys(&result, "with", part, &mut with);
        drawn = (drawn.0 + p, drawn.1 + with.len() + never);
        never_total += never;
        let mut without = Samples::new();
        let (_, never) = keys(&result, "without", part, &mut without);
        never_total += never;
        for v in with.values() {
            with_all.push(*v);
        }
        for v in without.values() {
            without_all.push(*v);
        }
        let name = if part == "shell" {
            "shell line editing"
        } else {
            "vim insert mode"
        };
        o.figure(
            format!("{name}, with prediction"),
            "tmux-mobile",
            "ms",
            Kind::Event,
            with,
        );
        o.figure(
            format!("{name}, without"),
            "tmux-mobile",
            "ms",
            Kind::Event,
            without,
        );
    }
    o.figure(
        "all timed keys, with prediction",
        "tmux-mobile",
        "ms",
        Kind::Event,
        with_all.clone(),
    );
    o.figure(
        "all timed keys, without",
        "tmux-mobile",
        "ms",
        Kind::Event,
        without_all.clone(),
    );
    o.figure(
        "timed keys drawn as a prediction",
        "tmux-mobile",
        "%",
        Kind::Run,
        Samples::one(100.0 * drawn.0 as f64 / drawn.1.max(1) as f64),
    );
    let stat = |k: &str| result["stats"][k].as_f64().unwrap_or(f64::NAN);
    let (made, shown, wrong, shown_wrong) = (
        stat("made"),
        stat("shown"),
        stat("wrong"),
        stat("shownWrong"),
    );
    o.figure(
        "mispredictions drawn / predictions drawn",
        "tmux-mobile",
        "%",
        Kind::Run,
        Samples::one(100.0 * shown_wrong / shown.max(1.0)),
    );
    o.figure(
        "wrong guesses / guesses (drawn or not)",
        "tmux-mobile",
        "%",
        Kind::Run,
        Samples::one(100.0 * wrong / made.max(1.0)),
    );
    o.note(format!(
        "predictor over the session with prediction: {made} guesses, {shown} drawn, {} confirmed, {wrong} wrong of which {shown_wrong} drawn; {never_total} timed keys never drawn",
        stat("confirmed")
    ));
    for part in ["shell", "vim", "password"] {
        let p = &result["with"]["parts"][part];
        let n = |k: &str| p[k].as_f64().unwrap_or(f64::NAN);
        o.note(format!(
            "{part}: {} guesses, {} drawn, {} confirmed, {} wrong of which {} drawn",
            n("made"),
            n("shown"),
            n("confirmed"),
            n("wrong"),
            n("shownWrong")
        ));
    }
    let m = with_all.median().unwrap_or(f64::NAN);
    o.check(
        "median ≤ 20 ms with prediction",
        format!("{} ms", num(m)),
        m <= 20.0,
    );
    o.note("the browser reaches the app through the link shaper (300 ms round trip, 1 Mbit/s); session: shell line editing, vim insert mode, a password prompt; keys timed from keydown to glyph in the DOM (space not timed)");
    Ok(o)
}
