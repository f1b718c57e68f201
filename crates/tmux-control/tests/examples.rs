//! `examples/live.rs` run as its users run it (`live -S <socket>`) against
//! a real tmux server on a private socket: it prints the tree, prints it
//! again when a window opens, and on Ctrl-C stops and removes the session
//! it rode on.
//!
//! The example binary is built by `cargo test` (it builds every example of
//! the package unless a single test target is selected); a test that does
//! not find it says so.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::DEADLINE;
use tmux_mobile_tmux_control::MANAGED_SESSION_PREFIX;
use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

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
        "{} is not built: run `cargo test -p tmux-mobile-tmux-control` (which builds the \
         examples) or `cargo build -p tmux-mobile-tmux-control --examples` first",
        path.display()
    );
    path
}

/// Reads lines until one contains `needle`; returns everything read.
async fn read_until(lines: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    let mut seen = String::new();
    let found = tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(needle) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(found, Ok(true)),
        "no {needle:?} from the example; it printed:\n{seen}"
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_example_prints_the_tree_on_every_change() {
    let sandbox = IsolatedTmux::new().expect("sandbox");
    sandbox.start("main").await.expect("tmux session");
    let socket = sandbox
        .run(&["display-message", "-p", "#{socket_path}"])
        .await
        .expect("socket path");

    let mut child = Command::new(example_binary("live"))
        .args(["-S", socket.trim()])
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the example");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();

    // The first tree names the session and its window running sh.
    let first = read_until(&mut lines, " main").await;
    assert!(first.contains("--- "), "{first}");
    // The session it rides on is never shown as a user session.
    assert!(!first.contains(MANAGED_SESSION_PREFIX), "{first}");

    // A change in tmux is printed without being asked for.
    sandbox
        .run(&["new-window", "-d", "-t", "=main:", "-n", "opened-by-test"])
        .await
        .expect("new-window");
    let after = read_until(&mut lines, "opened-by-test").await;
    assert!(after.contains("--- "), "{after}");

    // Ctrl-C: a clean exit that removes the session it rode on.
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let exit = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("the example stops on Ctrl-C")
        .expect("wait");
    assert!(exit.success(), "example exited with {exit}");
    let sessions = sandbox
        .run(&["list-sessions", "-F", "#{session_name}"])
        .await
        .expect("list-sessions");
    assert_eq!(sessions.trim(), "main", "left behind: {sessions}");
}
