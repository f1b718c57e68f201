//! The state watcher against a real tmux on a private socket: outside
//! changes become snapshot events, an idle server costs no process, the
//! watcher rides on the phones' sessions (never one of its own) and
//! survives the server going away and coming back.

mod common;

use common::{
    DEADLINE, Logged, control_clients, no_control_client, phone, session_names, wait_for,
    watcher_attached,
};
use std::time::Duration;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Snapshot, StateWatcher, WatcherOptions};
use tokio::time::Instant;

fn windows(snapshot: &Snapshot, session: &str) -> usize {
    snapshot.session(session).map_or(0, |s| s.windows.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_changes_produce_snapshot_events() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    wait_for(&mut rx, "the first snapshot", |s| {
        s.session("base").is_some()
    })
    .await;
    // No phone: nothing to ride on, no client, no session of ours.
    assert_eq!(session_names(&sandbox).await, ["base"]);
    assert!(control_clients(&sandbox).await.is_empty());
    // A phone arrives (tmux-mobile refreshes after attaching it). The
    // first snapshots come from one-shot probes while the watcher waits
    // for a quiet moment; then its control client rides on the phone's
    // session.
    let phone = phone(&sandbox, "base", "p1").await;
    assert!(watcher.refresh().await.session(&phone).is_some());
    let first = wait_for(&mut rx, "the control client", watcher_attached).await;
    // The watcher's control client is not counted on the user's session.
    assert_eq!(first.session("base").unwrap().attached, 0);
    assert!(first.session(&phone).unwrap().is_attached());
    assert!(first.user_sessions().all(|s| s.name != phone));
    assert_eq!(control_clients(&sandbox).await, [format!("{phone} 0")]);
    assert_eq!(session_names(&sandbox).await, ["base", phone.as_str()]);

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
    // Shutdown returns once the control client has left; there is no
    // session of ours to remove (the phone's is the phone's).
    assert!(control_clients(&sandbox).await.is_empty());
    assert_eq!(session_names(&sandbox).await, ["base", phone.as_str()]);
}

/// The watcher rides on whichever phone's session there is, moves on when
/// it goes, and leaves when the last one goes; `tmux ls` never shows a
/// session of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rides_on_whichever_phone_is_there() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    sandbox
        .run(&["new-session", "-d", "-s", "other"])
        .await
        .unwrap();
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    let a = phone(&sandbox, "base", "a").await;
    watcher.refresh().await;
    wait_for(&mut rx, "the watcher on a", |s| {
        s.session(&a).is_some_and(|s| s.is_attached())
    })
    .await;
    let b = phone(&sandbox, "other", "b").await;
    watcher.refresh().await;
    // The phone on a leaves (tmux-mobile kills its session): the watcher
    // is detached (never moved to a user's session) and moves to b.
    sandbox
        .run(&["kill-session", "-t", &format!("={a}")])
        .await
        .unwrap();
    wait_for(&mut rx, "the watcher on b", |s| {
        s.session(&a).is_none() && s.session(&b).is_some_and(|s| s.is_attached())
    })
    .await;
    assert_eq!(control_clients(&sandbox).await, [format!("{b} 0")]);
    let snapshot = watcher.current();
    assert!(
        snapshot.user_sessions().all(|s| !s.is_attached()),
        "{snapshot:#?}"
    );
    // Events flow through the new client.
    sandbox.run(&["new-window", "-t", "=base:"]).await.unwrap();
    wait_for(&mut rx, "the new window", |s| windows(s, "base") == 2).await;
    // The last phone leaves: the watcher leaves too, nothing of ours stays.
    sandbox
        .run(&["kill-session", "-t", &format!("={b}")])
        .await
        .unwrap();
    wait_for(&mut rx, "b gone", |s| s.session(&b).is_none()).await;
    no_control_client(&sandbox, "after the last phone").await;
    assert_eq!(session_names(&sandbox).await, ["base", "other"]);
    // Dormant, it still answers refreshes.
    sandbox.run(&["new-window", "-t", "=other:"]).await.unwrap();
    assert_eq!(windows(&*watcher.refresh().await, "other"), 2);
    assert!(control_clients(&sandbox).await.is_empty());
    watcher.shutdown().await;
    assert_eq!(session_names(&sandbox).await, ["base", "other"]);
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
    // Start with no server at all: the watcher must not start one.
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    assert!(watcher.refresh().await.sessions().is_empty());
    assert!(
        sandbox.run(&["list-sessions"]).await.is_err(),
        "the watcher started a server"
    );

    sandbox.start("one").await.unwrap();
    phone(&sandbox, "one", "p1").await;
    assert!(watcher.refresh().await.session("one").is_some());
    wait_for(&mut rx, "the control client", watcher_attached).await;

    sandbox.kill_server().await;
    wait_for(&mut rx, "the empty snapshot", |s| s.sessions().is_empty()).await;

    sandbox.start("two").await.unwrap();
    let p2 = phone(&sandbox, "two", "p2").await;
    assert!(watcher.refresh().await.session("two").is_some());
    wait_for(&mut rx, "the control client", watcher_attached).await;

    // When the phone and then the user's last session close, nothing of
    // ours keeps tmux alive: it exits as it would without tmux-mobile.
    sandbox
        .run(&["kill-session", "-t", &format!("={p2}")])
        .await
        .unwrap();
    sandbox.run(&["kill-session", "-t", "=two"]).await.unwrap();
    let deadline = Instant::now() + DEADLINE;
    while sandbox.run(&["list-sessions"]).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "something kept an empty server alive"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(watcher.refresh().await.sessions().is_empty());

    // A mutation that starts a server, then refresh: seen at once.
    let tmux = sandbox.tmux();
    tmux.new_session("three").await.unwrap();
    let snapshot = watcher.refresh().await;
    assert!(snapshot.session("three").is_some(), "{snapshot:?}");
    watcher.shutdown().await;
}

/// An idle server: no snapshot events and no tmux process spawned, with no
/// phone (the watcher is dormant) and with one (its control client rides on
/// the phone's session). The tmux binary is a wrapper that logs every
/// invocation; before the idle window there is the control-mode client and
/// the one-shot snapshots the watcher took while waiting for a quiet moment
/// to start it. The idle window is 20 s (not a minute) to keep CI fast; it
/// spans many re-check intervals (1.5 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_server_costs_no_process_and_no_event() {
    let logged = Logged::new();
    let sandbox = &logged.sandbox;
    sandbox.start("idle").await.unwrap();
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    wait_for(&mut rx, "the first snapshot", |s| {
        s.session("idle").is_some()
    })
    .await;
    // Dormant: one one-shot snapshot at the start, then nothing.
    let dormant = logged.text();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(logged.text(), dormant, "tmux was spawned while dormant");
    assert!(!rx.has_changed().unwrap(), "a snapshot event while dormant");
    phone(sandbox, "idle", "p1").await;
    watcher.refresh().await;
    wait_for(&mut rx, "the control client", watcher_attached).await;
    // Let the shell in the pane settle (its command must not change).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = watcher.refresh().await;
    rx.borrow_and_update();
    let before = logged.text();
    let invocations = logged.invocations();
    assert_eq!(
        invocations.iter().filter(|l| l.contains(" -C ")).count(),
        1,
        "expected one control client: {before}"
    );
    assert!(
        invocations.iter().all(|l| l.contains(" -C ")
            || l.contains(" list-sessions ")
            || l.contains(" new-session ")),
        "expected only the control client, one-shot snapshots and the phone's session: {before}"
    );

    tokio::time::sleep(Duration::from_secs(20)).await;

    assert_eq!(logged.text(), before, "tmux was spawned while idle");
    assert!(!rx.has_changed().unwrap(), "a snapshot event while idle");
    watcher.shutdown().await;
}

/// A line from tmux longer than the control-mode reader's limit (256 KiB:
/// here a window name of 300 KiB, which the snapshot and the rename
/// notification both carry) ends the control client instead of growing
/// memory: the watcher reconnects again and again while the name stays
/// (seen as several control clients started), tmux and the user's session
/// survive, and once the name is short again the watcher stays attached
/// and follows changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_over_the_limit_restarts_the_control_client() {
    let logged = Logged::new();
    let control_starts = || {
        logged
            .invocations()
            .iter()
            .filter(|l| l.contains(" -C "))
            .count()
    };

    let sandbox = &logged.sandbox;
    sandbox.start("main").await.unwrap();
    let identity = common::main_identity(sandbox, "at the start").await;
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    phone(sandbox, "main", "p1").await;
    watcher.refresh().await;
    wait_for(&mut rx, "the control client", watcher_attached).await;
    assert_eq!(control_starts(), 1);

    // argv cannot carry 300 KiB in one argument: a command file can.
    let long = "n".repeat(300 * 1024);
    let script = sandbox.dir().join("rename.tmux");
    std::fs::write(&script, format!("rename-window -t =main:0 '{long}'\n")).unwrap();
    sandbox
        .run(&["source-file", &script.to_string_lossy()])
        .await
        .unwrap();
    // The one-shot snapshots (argv, no line limit) still publish it.
    wait_for(&mut rx, "the long name", |s| {
        s.session("main")
            .and_then(|m| m.window(0))
            .is_some_and(|w| w.name.len() == long.len())
    })
    .await;
    let deadline = Instant::now() + DEADLINE;
    while control_starts() < 3 {
        assert!(
            Instant::now() < deadline,
            "the control client was not restarted: {} starts",
            control_starts()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(common::main_identity(sandbox, "long name").await, identity);

    sandbox
        .run(&["rename-window", "-t", "=main:0", "short"])
        .await
        .unwrap();
    watcher.refresh().await;
    wait_for(&mut rx, "the control client again", |s| {
        watcher_attached(s)
            && s.session("main")
                .and_then(|m| m.window(0))
                .is_some_and(|w| w.name == "short")
    })
    .await;
    // Attached for good: an outside change arrives through it.
    sandbox
        .run(&["new-window", "-d", "-t", "=main:"])
        .await
        .unwrap();
    wait_for(&mut rx, "the new window", |s| windows(s, "main") == 2).await;
    assert_eq!(common::main_identity(sandbox, "at the end").await, identity);
    watcher.shutdown().await;
}
