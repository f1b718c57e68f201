//! `cargo xtask bench [--quick] [--vs-ttyd PATH] [--only W1,W2]`: builds the
//! release `tmux-mobile` and the benchmark driver (`bench/`, a
//! `publish = false` crate kept out of `cargo test`'s way: it has no
//! benchmarks as tests) and runs the driver, which prints the tables of
//! docs/BENCHMARKS.md and writes `target/bench/report.json`. Every other
//! argument goes to the driver (`--help` lists them).

use crate::ci::{run, workspace_root};

/// Builds both binaries in release mode and runs the benchmarks.
pub(crate) fn bench(args: &[String]) -> Result<(), String> {
    run(
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "tmux-mobile",
            "-p",
            "tmux-mobile-bench",
        ],
    )?;
    let root = workspace_root();
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    };
    let driver = target.join("release").join("tmux-mobile-bench");
    let out = target.join("bench").join("report.json");
    let mut full: Vec<String> = vec![
        "--bin".into(),
        target
            .join("release")
            .join("tmux-mobile")
            .display()
            .to_string(),
    ];
    if !args.iter().any(|a| a == "--out") {
        full.extend(["--out".into(), out.display().to_string()]);
    }
    full.extend(args.iter().cloned());
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    run(&driver.display().to_string(), &full)
}
