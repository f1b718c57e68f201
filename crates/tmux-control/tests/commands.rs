//! Commands of the [`Tmux`] handle through the state watcher's control
//! client, against a real tmux on a private socket: while the watcher is
//! attached, operations spawn no process, mean exactly what their argv
//! means (names and text with every character tmux's command language
//! treats specially), and fail with the same errors.

mod common;

use common::{Logged, phone, wait_for, watcher_attached};

use std::path::Path;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Orientation, StateWatcher, Tmux, TmuxError, WatcherOptions};

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

/// `status-left` of `phone`'s session, as an outside `tmux` reads it.
async fn status_left(logged: &Logged, phone: &str) -> String {
    let target = format!("={phone}:");
    let left = logged
        .sandbox
        .run(&["show-options", "-v", "-t", &target, "status-left"])
        .await
        .unwrap();
    left.trim_end_matches('\n').to_owned()
}

/// Fails if a `tmux` process ran since `before` was taken.
fn no_process_since(logged: &Logged, before: &[String]) {
    assert_eq!(
        logged.invocations(),
        before,
        "a tmux process was spawned while the watcher was attached"
    );
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
    assert_eq!(status_left(&logged, &phone).await, "[base] ");
    let snapshot = watcher.refresh().await;
    assert_eq!(
        snapshot
            .session(&phone)
            .and_then(|s| s.active_window())
            .map(|w| w.index),
        Some(0)
    );

    no_process_since(&logged, &before);
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
        let expected = format!("[{}] ", name.replace('%', "%%").replace('#', "##"));
        assert_eq!(status_left(&logged, &phone).await, expected, "{name:?}");
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
    no_process_since(&logged, &before);
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

/// The directory a pane's shell runs in, once it is `expected` (a shell
/// started in a directory reports it at once; one told to `cd` a moment
/// later).
async fn wait_for_path(sandbox: &IsolatedTmux, pane: &str, expected: &Path) {
    let deadline = std::time::Instant::now() + common::DEADLINE;
    loop {
        let path = sandbox
            .run(&["display-message", "-p", "-t", pane, "#{pane_current_path}"])
            .await
            .unwrap();
        if Path::new(path.trim()) == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pane} runs in {path:?}, not {expected:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A new window starts in the directory of the pane its session shows, and
/// a new pane in that of the pane it splits, whether the command ran as a
/// process (whose own directory is this test's, which tmux would take) or
/// through the control client (attached to a session, where tmux would
/// take the session's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_windows_and_panes_start_in_the_same_directory_either_way() {
    let logged = Logged::new();
    let sandbox = &logged.sandbox;
    let project = sandbox.dir().join("project");
    let deepest = project.join("deeper").join("deepest");
    std::fs::create_dir_all(&deepest).unwrap();
    let project = project.canonicalize().unwrap();
    let deeper = project.join("deeper");
    let deepest = deepest.canonicalize().unwrap();
    sandbox.start("other").await.unwrap();
    sandbox
        .run(&[
            "new-session",
            "-d",
            "-s",
            "base",
            "-c",
            project.to_str().unwrap(),
            "sh",
        ])
        .await
        .unwrap();
    let phone = phone(sandbox, "base", "p1").await;
    let tmux = sandbox.tmux();

    // A new window where the phone looks, then a split of it after `cd`.
    let check = |through: &'static str, looking_at: &Path, cd_to: &Path| {
        let tmux = tmux.clone();
        let phone = phone.clone();
        let (window_dir, split_dir) = (looking_at.to_owned(), cd_to.to_owned());
        async move {
            tmux.new_window(&phone).await.unwrap();
            let pane = tmux
                .snapshot()
                .await
                .unwrap()
                .session(&phone)
                .and_then(|s| s.active_window())
                .and_then(|w| w.active_pane())
                .map(|p| p.id.as_str().to_owned())
                .unwrap();
            wait_for_path(sandbox, &pane, &window_dir).await;
            let cd = format!("cd {}", split_dir.display());
            sandbox
                .run(&["send-keys", "-t", &pane, "-l", &cd])
                .await
                .unwrap();
            sandbox
                .run(&["send-keys", "-t", &pane, "Enter"])
                .await
                .unwrap();
            wait_for_path(sandbox, &pane, &split_dir).await;
            let split = tmux
                .split_pane(&pane, Orientation::Horizontal)
                .await
                .unwrap_or_else(|e| panic!("split through {through}: {e}"));
            wait_for_path(sandbox, split.as_str(), &split_dir).await;
        }
    };
    // As processes: no watcher yet.
    let before = logged.invocations().len();
    check("processes", &project, &deeper).await;
    assert!(logged.invocations().len() > before);

    let (watcher, mut rx) = StateWatcher::spawn(
        tmux.clone(),
        WatcherOptions::default().with_settle(std::time::Duration::ZERO),
    );
    watcher.refresh().await;
    wait_for(&mut rx, "the control client", watcher_attached).await;
    let before = logged.invocations();
    // The phone now looks at the last split, in `deeper`.
    check("the control client", &deeper, &deepest).await;
    // (The snapshot in `check` is a process of its own.)
    assert!(
        logged
            .invocations()
            .iter()
            .skip(before.len())
            .all(|i| !i.contains("new-window") && !i.contains("split-window")),
        "{:?}",
        logged.invocations()
    );
    watcher.shutdown().await;
}
