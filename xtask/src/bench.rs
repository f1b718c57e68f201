//! `cargo xtask bench [--quick] [--vs-ttyd PATH] [--only W1,W2]`: builds the
//! release `tmux-mobile` and the benchmark driver (`bench/`, a
//! `publish = false` crate kept out of `cargo test`'s way: it has no
//! benchmarks as tests) and runs the driver, which prints the tables of
//! docs/BENCHMARKS.md and writes `target/bench/report.json`. Every other
//! argument goes to the driver (`--help` lists them). W14 runs a browser
//! session with tests/e2e's harness, so its node packages are installed
//! first when missing.

use std::path::PathBuf;

use crate::ci::{run, run_with_env, workspace_root};

/// Builds `tmux-mobile`, the driver and the link shaper (W14's browser
/// session goes through it) in release mode.
pub(crate) fn build_release() -> Result<(), String> {
    run(
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "tmux-mobile",
            "-p",
            "tmux-mobile-bench",
            "-p",
            "tmux-mobile-shaper",
        ],
    )
}

/// Installs tests/e2e's node packages (Playwright's client) when missing:
/// W14 drives Chromium with the e2e harness.
fn e2e_packages() -> Result<(), String> {
    if workspace_root().join("tests/e2e/node_modules").is_dir() {
        return Ok(());
    }
    run_with_env(
        "npm",
        &["ci", "--prefix", "tests/e2e", "--no-audit", "--no-fund"],
        &[("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")],
    )
}

/// The target directory (`CARGO_TARGET_DIR` or `target/`).
fn target_dir() -> PathBuf {
    let root = workspace_root();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Where the release binaries are.
pub(crate) fn release_dir() -> PathBuf {
    target_dir().join("release")
}

/// Builds both binaries in release mode and runs the benchmarks.
pub(crate) fn bench(args: &[String]) -> Result<(), String> {
    build_release()?;
    e2e_packages()?;
    let target = target_dir();
    let driver = release_dir().join("tmux-mobile-bench");
    let out = target.join("bench").join("report.json");
    let mut full: Vec<String> = vec![
        "--bin".into(),
        release_dir().join("tmux-mobile").display().to_string(),
    ];
    if !args.iter().any(|a| a == "--out") {
        full.extend(["--out".into(), out.display().to_string()]);
    }
    full.extend(args.iter().cloned());
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    run(&driver.display().to_string(), &full)
}
