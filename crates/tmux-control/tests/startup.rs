//! Starting the state watcher while the server is busy never takes the tmux
//! server (and so the user's sessions) down, and what happens meanwhile is
//! seen.
//!
//! tmux 3.3a writes some control-mode notifications (`%client-detached`,
//! `%sessions-changed`, …) to a control client that is still identifying
//! itself, and crashes. The watcher therefore waits for a quiet moment
//! before its control client starts. Each round below starts a watcher in
//! the middle of a burst like tmux-mobile's first connections (phones'
//! grouped sessions created and killed, which the watcher may be riding
//! on, clients attaching and leaving, refreshes): the rounds cannot prove
//! that a rare crash is gone, but they run the path, check that the server
//! and the user's session survive, and that refresh and events keep
//! showing the current state while the watcher waits.

mod common;

use common::{DEADLINE, main_identity, phone, wait_for, watcher_attached};
use std::process::Stdio;
use std::sync::Arc;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{StateWatcher, WatcherOptions};

const ROUNDS: usize = 8;

/// A control client attaching to `main` and leaving at once: tmux sends
/// `%client-detached` to every control client when it goes.
async fn attach_and_leave(sandbox: &IsolatedTmux) {
    let mut client = tokio::process::Command::new("tmux")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .env("TMUX_TMPDIR", sandbox.dir())
        .args(sandbox.tmux().base_args())
        .args(["-C", "attach-session", "-t", "=main"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    drop(client.stdin.take());
    let _ = tokio::time::timeout(DEADLINE, client.wait()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_during_a_burst_never_takes_tmux_down() {
    let sandbox = Arc::new(IsolatedTmux::new().unwrap());
    sandbox.start("main").await.unwrap();
    let identity = main_identity(&sandbox, "at the start").await;
    // The server's pid, to match against the kernel log (`dmesg`) by hand.
    eprintln!("tmux server: {identity}");
    let tmux = sandbox.tmux();
    let main = "main".to_owned();
    // A phone that stays: the watcher always has a session to ride on.
    phone(&sandbox, "main", "stays").await;

    for round in 0..ROUNDS {
        let when = format!("round {round}");
        let (watcher, mut rx) = StateWatcher::spawn(tmux.clone(), WatcherOptions::default());
        // What tmux-mobile does when a phone connects, twice over, with an
        // outside client coming and going in between.
        for step in 0..2 {
            // Phones come and go (their names sort first: the watcher
            // picks them to ride on, and is detached when they go).
            let name = format!(
                "{}b{round}-{step}",
                tmux_mobile_tmux_control::MANAGED_SESSION_PREFIX
            );
            tmux.new_grouped_session(&name, &main).await.unwrap();
            attach_and_leave(&sandbox).await;
            // Refresh after a mutation returns the fresh state, whether the
            // control client is up yet or not.
            let snapshot = watcher.refresh().await;
            assert!(
                snapshot.session(name.as_str()).is_some(),
                "{when}: refresh missed {name:?}: {snapshot:#?}"
            );
            sandbox
                .run(&["kill-session", "-t", &format!("={name}")])
                .await
                .unwrap();
            let snapshot = watcher.refresh().await;
            assert!(
                snapshot.session(name.as_str()).is_none(),
                "{when}: refresh still shows {name:?}"
            );
        }
        // A change from outside, right when the watcher may be connecting:
        // it must be published, connected or not.
        let outside = format!("outside-{round}");
        sandbox
            .run(&["new-session", "-d", "-s", &outside])
            .await
            .unwrap();
        wait_for(&mut rx, "the outside session", |s| {
            s.session(&outside).is_some()
        })
        .await;
        wait_for(&mut rx, "the control client", watcher_attached).await;
        sandbox
            .run(&["kill-session", "-t", &format!("={outside}")])
            .await
            .unwrap();
        wait_for(&mut rx, "the outside session to go", |s| {
            s.session(&outside).is_none()
        })
        .await;
        watcher.shutdown().await;
        assert_eq!(main_identity(&sandbox, &when).await, identity, "{when}");
    }
}
