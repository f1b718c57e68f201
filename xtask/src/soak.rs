//! `cargo xtask soak [--minutes N] [--clients K]`: builds the release
//! `tmux-mobile` and the benchmark driver and runs the driver's soak
//! (issue 16, "Load and soak"; see `bench/src/soak.rs`): clients connecting
//! and disconnecting with output flowing for N minutes on a private tmux
//! server, the server's RSS and open descriptors printed at the start,
//! every minute and at the end; it fails when they grow beyond the stated
//! bounds. Not part of `cargo xtask ci`: it takes minutes.

use crate::bench::{build_release, release_dir};
use crate::ci::run;

/// Builds both binaries in release mode and runs the soak.
pub(crate) fn soak(args: &[String]) -> Result<(), String> {
    build_release()?;
    let dir = release_dir();
    let driver = dir.join("tmux-mobile-bench");
    let mut full: Vec<String> = vec![
        "soak".into(),
        "--bin".into(),
        dir.join("tmux-mobile").display().to_string(),
    ];
    full.extend(args.iter().cloned());
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    run(&driver.display().to_string(), &full)
}
