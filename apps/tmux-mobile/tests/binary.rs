//! Smoke tests of the built binary. Besides checking `--version` and
//! `--help`, this integration test makes `cargo test --workspace` build the
//! `tmux-mobile` binary, which the black-box tests in `tests/` (package
//! tmux-mobile-e2e) run from the same target directory.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tmux-mobile");

#[test]
fn version_flag_prints_the_package_version() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("tmux-mobile {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = Command::new(BIN).arg("--no-such-flag").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--no-such-flag"), "{stderr}");
    assert!(stderr.contains("--help"), "{stderr}");
}
