//! The state watcher against a real tmux on a private socket: outside
//! changes become snapshot events, an idle server costs no process, and the
//! watcher survives the server going away and coming back.

mod common;

use common::{DEADLINE, wait_for, watcher_attached};
use std::time::Duration;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Snapshot, StateWatcher, WATCHER_SESSION, WatcherOptions};
use tokio::time::Instant;

fn windows(snapshot: &Snapshot, session: &str) -> usize {
    snapshot.session(session).map_or(0, |s| s.windows.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_changes_produce_snapshot_events() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    // The first snapshots come from one-shot probes while the watcher
    // waits for a quiet moment; then its control client attaches.
    let first = wait_for(&mut rx, "the control client", |s| {
        s.session("base").is_some() && watcher_attached(s)
    })
    .await;
    // The watcher's control client is not counted on the user's session.
    assert_eq!(first.session("base").unwrap().attached, 0);
    assert!(first.session(WATCHER_SESSION).unwrap().is_attached());
    assert!(first.user_sessions().all(|s| s.name != WATCHER_SESSION));

    sandbox.run(&["new-window", "-t", "=base:"]).await.unwrap();
    wait_for(&mut rx, "the new window", |s| windows(s, "base") == 2).await;

    sandbox
        .run(&["rename-window", "-t", "=base:1", "renamed\there"])
        .await
        .unwrap();
    wait_for(&mut rx, "the rename", |s| {
        s.session("base")
            .and_then(|b| b.window(1))
            .is_some_and(|w| w.name == "renamed\\there")
    })
    .await;

    sandbox
        .run(&["split-window", "-t", "=base:1"])
        .await
        .unwrap();
    wait_for(&mut rx, "the split", |s| {
        s.session("base")
            .and_then(|b| b.window(1))
            .is_some_and(|w| w.panes.len() == 2)
    })
    .await;

    // Zoom is not notified for windows outside the watcher's session: the
    // periodic re-check (through control mode) finds it.
    sandbox
        .run(&["resize-pane", "-Z", "-t", "=base:1"])
        .await
        .unwrap();
    wait_for(&mut rx, "the zoom", |s| {
        s.session("base")
            .and_then(|b| b.window(1))
            .is_some_and(|w| w.zoomed)
    })
    .await;

    sandbox
        .run(&["new-session", "-d", "-s", "other"])
        .await
        .unwrap();
    wait_for(&mut rx, "the new session", |s| s.session("other").is_some()).await;
    sandbox
        .run(&["kill-session", "-t", "=other"])
        .await
        .unwrap();
    wait_for(&mut rx, "the killed session", |s| {
        s.session("other").is_none()
    })
    .await;

    // A client attaching to and leaving a user session.
    let mut client = tokio::process::Command::new("tmux")
        .env_remove("TMUX")
        .env("TMUX_TMPDIR", sandbox.dir())
        .args(sandbox.tmux().base_args())
        .args(["-C", "attach-session", "-t", "=base"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_for(&mut rx, "the attach", |s| {
        s.session("base").is_some_and(|b| b.is_attached())
    })
    .await;
    drop(client.stdin.take());
    let _ = client.wait().await;
    wait_for(&mut rx, "the detach", |s| {
        s.session("base").is_some_and(|b| !b.is_attached())
    })
    .await;

    watcher.shutdown().await;
    // Shutdown returns once the watcher's session has been removed.
    let sessions = sandbox
        .run(&["list-sessions", "-F", "#{session_name}"])
        .await
        .unwrap();
    assert_eq!(sessions.trim(), "base", "left behind: {sessions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_returns_the_state_after_a_mutation() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    let tmux = sandbox.tmux();
    let (watcher, mut rx) = StateWatcher::spawn(tmux.clone(), WatcherOptions::default());
    wait_for(&mut rx, "the first snapshot", |s| {
        s.session("base").is_some()
    })
    .await;
    for expected in 2..=4 {
        tmux.new_window("base").await.unwrap();
        let snapshot = watcher.refresh().await;
        assert_eq!(windows(&snapshot, "base"), expected);
    }
    // The control-mode snapshot equals the argv one (same format, quoted
    // differently), here with awkward window names and a program that
    // names itself with a newline and a fake `%end` line.
    sandbox
        .run(&["rename-window", "-t", "=base:0", "a\"b'c $x #{d} é\t"])
        .await
        .unwrap();
    sandbox
        .run(&[
            "new-window",
            "-d",
            "-t",
            "=base:",
            "bash",
            "-c",
            "exec -a $'evil\\n%end 1 1 1\\tx' sleep 1000",
        ])
        .await
        .unwrap();
    let deadline = Instant::now() + DEADLINE;
    loop {
        let snapshot = tmux.snapshot().await.unwrap();
        let panes = snapshot
            .sessions()
            .iter()
            .flat_map(|s| &s.windows)
            .flat_map(|w| &w.panes);
        if panes.clone().any(|p| p.current_command.starts_with("evil")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the program never renamed itself"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let by_watcher = watcher.refresh().await;
    let by_argv = tmux.snapshot().await.unwrap();
    assert_eq!(*by_watcher, by_argv);
    watcher.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_kill_server_and_finds_the_next_server() {
    let sandbox = IsolatedTmux::new().unwrap();
    // Start with no server at all: the watcher must wait, not start one.
    let options = WatcherOptions::default().with_server_poll_interval(Duration::from_millis(100));
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), options);
    assert!(watcher.refresh().await.sessions().is_empty());
    assert!(
        sandbox.run(&["list-sessions"]).await.is_err(),
        "the watcher started a server"
    );

    sandbox.start("one").await.unwrap();
    wait_for(&mut rx, "the first server", |s| s.session("one").is_some()).await;

    sandbox.kill_server().await;
    wait_for(&mut rx, "the empty snapshot", |s| s.sessions().is_empty()).await;

    sandbox.start("two").await.unwrap();
    wait_for(&mut rx, "the second server", |s| s.session("two").is_some()).await;

    // When the user's last session closes, the watcher lets tmux exit.
    sandbox.run(&["kill-session", "-t", "=two"]).await.unwrap();
    wait_for(&mut rx, "the empty snapshot", |s| s.sessions().is_empty()).await;
    let deadline = Instant::now() + DEADLINE;
    while sandbox.run(&["list-sessions"]).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the watcher kept an empty server alive"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A mutation that starts a server, then refresh: seen at once.
    let tmux = sandbox.tmux();
    tmux.new_session("three").await.unwrap();
    let snapshot = watcher.refresh().await;
    assert!(snapshot.session("three").is_some(), "{snapshot:?}");
    watcher.shutdown().await;
}

/// An idle server: no snapshot events and no tmux process spawned. The
/// tmux binary is a wrapper that logs every invocation; before the idle
/// window there is the control-mode client and the one-shot snapshots the
/// watcher took while waiting for a quiet moment to start it. The idle
/// window is 20 s (not a minute) to keep CI fast; it spans many re-check
/// intervals (1.5 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_server_costs_no_process_and_no_event() {
    let probe = IsolatedTmux::new().unwrap();
    let log = probe.dir().join("invocations.log");
    let wrapper = probe.dir().join("tmux-wrapper");
    let real = which_tmux();
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    let sandbox = IsolatedTmux::with_binary(&wrapper).unwrap();
    sandbox.start("idle").await.unwrap();
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    wait_for(&mut rx, "the control client", |s| {
        s.session("idle").is_some() && watcher_attached(s)
    })
    .await;
    // Let the shell in the pane settle (its command must not change).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = watcher.refresh().await;
    rx.borrow_and_update();
    let before = std::fs::read_to_string(&log).unwrap_or_default();
    // One line per invocation (the snapshot format holds a newline, whose
    // continuation does not start with `-u`).
    let invocations: Vec<&str> = before.lines().filter(|l| l.starts_with("-u ")).collect();
    assert_eq!(
        invocations.iter().filter(|l| l.contains(" -C ")).count(),
        1,
        "expected one control client: {before}"
    );
    assert!(
        invocations
            .iter()
            .all(|l| l.contains(" -C ") || l.contains(" list-panes ")),
        "expected only the control client and one-shot snapshots: {before}"
    );

    tokio::time::sleep(Duration::from_secs(20)).await;

    let after = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(after, before, "tmux was spawned while idle");
    assert!(!rx.has_changed().unwrap(), "a snapshot event while idle");
    watcher.shutdown().await;
}

fn which_tmux() -> std::path::PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("tmux"))
        .find(|p| p.is_file())
        .expect("tmux on PATH")
}
