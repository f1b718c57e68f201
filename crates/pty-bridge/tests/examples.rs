//! `examples/relay.rs` run as its users run it: lines on its stdin reach a
//! real shell in a real pseudo-terminal, the shell's output comes back on
//! its stdout, and the shell's exit status becomes its own.
//!
//! The example binary is built by `cargo test` (it builds every example of
//! the package unless a single test target is selected); a test that does
//! not find it says so.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::DEADLINE;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// `target/<profile>/examples/<name>`, next to this test binary's `deps/`.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo test -p tmux-mobile-pty-bridge` (which builds the \
         examples) or `cargo build -p tmux-mobile-pty-bridge --examples` first",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_example_runs_a_shell_in_a_pty_and_passes_its_exit_status() {
    let mut child = Command::new(example_binary("relay"))
        .args(["/bin/sh"])
        .env("PS1", "$ ")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the example");
    let mut stdin = child.stdin.take().expect("stdin");
    // Only a terminal answers `tty` with a device; the arithmetic proves
    // the shell ran the line rather than the relay echoing it.
    stdin
        .write_all(b"tty; echo relay-$((6*7))\nexit 3\n")
        .await
        .expect("write stdin");
    drop(stdin);

    let mut stdout = child.stdout.take().expect("stdout");
    let mut output = Vec::new();
    tokio::time::timeout(DEADLINE, stdout.read_to_end(&mut output))
        .await
        .expect("the relay ends when the shell exits")
        .expect("read stdout");
    let output = String::from_utf8_lossy(&output);
    assert!(output.contains("relay-42"), "{output}");
    assert!(output.contains("/dev/pts/"), "not a terminal: {output}");
    let exit = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("exit in time")
        .expect("wait");
    assert_eq!(exit.code(), Some(3), "{output}");
}
