//! Commands of the [`Tmux`] handle through the state watcher's control
//! client, against a real tmux on a private socket: while the watcher is
//! attached, operations spawn no process, mean exactly what their argv
//! means (names and text with every character tmux's command language
//! treats specially), and fail with the same errors.

mod common;

use common::{Logged, phone, wait_for, watcher_attached};

use tmux_mobile_tmux_control::{StateWatcher, Tmux, TmuxError, WatcherOptions};

/// Names that mean something to tmux's command parser, unquoted or inside
/// double quotes (`$`, a leading `~`, `\`, `"`, `;` at the end, `#{`).
const NAMES: &[&str] = &[
    "two words",
    "ends;",
    "mid;dle",
    "cost $5",
    "~root",
    "x$(id)",
    "q\"uo'te",
    "hash#{session_name}",
    "%pct %d",
    "{brace}",
    "été ✓",
];

/// The watcher attached on a phone's session of `base`; returns it, the
/// handle and the phone's session.
async fn attached(logged: &Logged) -> (StateWatcher, Tmux, String) {
    let sandbox = &logged.sandbox;
    sandbox.start("base").await.unwrap();
    let tmux = sandbox.tmux();
    let (watcher, mut rx) = StateWatcher::spawn(
        tmux.clone(),
        WatcherOptions::default().with_settle(std::time::Duration::ZERO),
    );
    let phone = phone(sandbox, "base", "p1").await;
    watcher.refresh().await;
    wait_for(&mut rx, "the control client", watcher_attached).await;
    (watcher, tmux, phone)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_run_without_a_process_while_the_watcher_is_attached() {
    let logged = Logged::new();
    let (watcher, tmux, phone) = attached(&logged).await;
    let before = logged.invocations();

    tmux.new_window(&phone).await.unwrap();
    let snapshot = watcher.refresh().await;
    let session = snapshot.session(&phone).unwrap();
    assert_eq!(session.windows.len(), 2);
    assert_eq!(session.active_window().map(|w| w.index), Some(1));
    // The user's session keeps its own current window.
    let base = snapshot.session("base").unwrap();
    assert_eq!(base.active_window().map(|w| w.index), Some(0));

    tmux.select_window(&phone, 0).await.unwrap();
    assert!(tmux.has_session(&phone).await.unwrap());
    assert!(!tmux.has_session("nothing-here").await.unwrap());
    // tmux's error, classified as from a process.
    let missing = tmux.select_window(&phone, 7).await.unwrap_err();
    assert!(
        matches!(missing, TmuxError::NotFound { kind: "window", .. }),
        "{missing:?}"
    );
    let missing = tmux.new_window("nothing-here").await.unwrap_err();
    assert!(
        matches!(
            missing,
            TmuxError::NotFound {
                kind: "session",
                ..
            }
        ),
        "{missing:?}"
    );
    // A sequence (`set-option ; set-option`).
    assert!(tmux.name_base_in_status(&phone, "base").await.unwrap());
    let left = logged
        .sandbox
        .run(&[
            "show-options",
            "-v",
            "-t",
            &format!("={phone}:"),
            "status-left",
        ])
        .await
        .unwrap();
    assert_eq!(left.trim_end_matches('\n'), "[base] ");
    let snapshot = watcher.refresh().await;
    assert_eq!(
        snapshot
            .session(&phone)
            .and_then(|s| s.active_window())
            .map(|w| w.index),
        Some(0)
    );

    assert_eq!(
        logged.invocations(),
        before,
        "a tmux process was spawned while the watcher was attached"
    );
    watcher.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_reach_tmux_exactly_through_the_control_client() {
    let logged = Logged::new();
    let (watcher, tmux, phone) = attached(&logged).await;
    let before = logged.invocations();
    for name in NAMES {
        tmux.new_session(name).await.unwrap();
        assert!(tmux.has_session(name).await.unwrap(), "{name:?}");
        let taken = tmux.new_session(name).await.unwrap_err();
        assert!(
            matches!(taken, TmuxError::DuplicateSession { .. }),
            "{name:?}: {taken:?}"
        );
        // The status line names the base session exactly (a format:
        // `#` doubled, `%` for strftime doubled).
        assert!(tmux.name_base_in_status(&phone, name).await.unwrap());
        let left = logged
            .sandbox
            .run(&[
                "show-options",
                "-v",
                "-t",
                &format!("={phone}:"),
                "status-left",
            ])
            .await
            .unwrap();
        let expected = format!("[{}] ", name.replace('%', "%%").replace('#', "##"));
        assert_eq!(left.trim_end_matches('\n'), expected, "{name:?}");
    }
    // Made through the control client, seen by a process.
    let listed = logged
        .sandbox
        .run(&["list-sessions", "-F", "#{session_name}"])
        .await
        .unwrap();
    for name in NAMES {
        assert!(listed.lines().any(|l| l == *name), "{name:?} in {listed}");
    }
    assert_eq!(
        logged.invocations(),
        before,
        "a tmux process was spawned while the watcher was attached"
    );
    watcher.shutdown().await;
}

/// Once the watcher has left, the same handle runs processes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_again_after_the_watcher_left() {
    let logged = Logged::new();
    let (watcher, tmux, phone) = attached(&logged).await;
    watcher.shutdown().await;
    let before = logged.invocations().len();
    assert!(tmux.has_session(&phone).await.unwrap());
    let after = logged.invocations();
    assert_eq!(after.len(), before + 1, "{after:?}");
    assert!(after.last().unwrap().contains(" has-session "), "{after:?}");
}
