//! Stopping the state watcher, in every way it can stop, never takes the
//! tmux server (and so the user's sessions) down, and a stop leaves
//! nothing of ours behind but the phone's session it rode on.
//!
//! tmux 3.3a used to crash here: the watcher's own session (it had one
//! then) was `destroy-unattached`, and while its control client was on its
//! way out (`CLIENT_EXIT`, still attached) any other client ending (every
//! tmux command is a client) made tmux recount attached clients without
//! the exiting one and free the session under it. The rounds below keep short
//! tmux commands running while the watcher stops, which hit that window in
//! a few rounds out of 30.

mod common;

use common::{
    DEADLINE, control_clients, main_identity, no_control_client, phone, session_names, wait_for,
    watcher_attached,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Snapshot, StateWatcher, WatcherOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const ROUNDS: usize = 30;

/// Waits until the watcher is attached: its snapshot lists `main` and the
/// phone's session with the watcher on it.
async fn wait_attached(rx: &mut watch::Receiver<Arc<Snapshot>>, when: &str) {
    wait_for(rx, &format!("{when}: the watcher to attach"), |s| {
        s.session("main").is_some() && watcher_attached(s)
    })
    .await;
}

/// Short-lived tmux commands in a loop, on two tasks, until stopped: each
/// one is a client that tmux loses when it ends.
struct Churn {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Churn {
    fn start(sandbox: &Arc<IsolatedTmux>) -> Churn {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..2)
            .map(|_| {
                let sandbox = Arc::clone(sandbox);
                let stop = Arc::clone(&stop);
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let _ = sandbox.run(&["display-message", "-p", "x"]).await;
                    }
                })
            })
            .collect();
        Churn { stop, tasks }
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// `shutdown()`, and dropping the watcher inside a running runtime (its
/// task then stops the same way), both while other clients come and go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_watcher_never_takes_tmux_down() {
    let sandbox = Arc::new(IsolatedTmux::new().unwrap());
    sandbox.start("main").await.unwrap();
    let identity = main_identity(&sandbox, "at the start").await;
    // The server's pid, to match against the kernel log (`dmesg`) by hand.
    eprintln!("tmux server: {identity}");
    let phone = phone(&sandbox, "main", "p1").await;
    // Whatever the user's global option says, killing the phone's session
    // must detach our client, never move it to a user's session.
    sandbox
        .run(&["set-option", "-g", "detach-on-destroy", "off"])
        .await
        .unwrap();

    for round in 0..ROUNDS {
        let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
        wait_attached(&mut rx, &format!("round {round}")).await;
        if round == 0 {
            let option = sandbox
                .run(&[
                    "show-options",
                    "-v",
                    "-t",
                    &format!("={phone}:"),
                    "detach-on-destroy",
                ])
                .await
                .unwrap();
            assert_eq!(option.trim(), "on");
        }
        let churn = Churn::start(&sandbox);
        // Let the churn get going before the watcher stops.
        let _ = sandbox.run(&["display-message", "-p", "x"]).await;
        if round % 2 == 0 {
            watcher.shutdown().await;
        } else {
            drop(watcher);
            // The task ends (and drops the publisher) once it has stopped.
            let ended =
                tokio::time::timeout(DEADLINE, async { while rx.changed().await.is_ok() {} }).await;
            assert!(
                ended.is_ok(),
                "round {round}: the dropped watcher never stopped"
            );
        }
        // Right after the stop, while commands still run.
        let sessions = session_names(&sandbox).await;
        churn.stop().await;

        let when = format!(
            "round {round} ({})",
            if round % 2 == 0 { "shutdown" } else { "drop" }
        );
        assert_eq!(main_identity(&sandbox, &when).await, identity, "{when}");
        assert_eq!(sessions, ["main", phone.as_str()], "{when}");
        assert!(control_clients(&sandbox).await.is_empty(), "{when}");
        assert_eq!(
            session_names(&sandbox).await,
            ["main", phone.as_str()],
            "{when}"
        );
    }
}

/// A watcher whose runtime goes away without a shutdown (its control
/// client is SIGKILLed, as when tmux-mobile is killed) leaves tmux running
/// and no client behind; the next watcher rides on the phone's session
/// again and stops cleanly.
#[test]
fn a_killed_watcher_leaves_tmux_running_and_no_client_behind() {
    let outer = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = Arc::new(IsolatedTmux::new().unwrap());
    outer.block_on(sandbox.start("main")).unwrap();
    let identity = outer.block_on(main_identity(&sandbox, "at the start"));
    eprintln!("tmux server: {identity}");
    let phone = outer.block_on(phone(&sandbox, "main", "p1"));

    for round in 0..ROUNDS / 3 {
        let when = format!("round {round}");
        let churn = outer.block_on(async { Churn::start(&sandbox) });
        let inner = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let watcher = inner.block_on(async {
            let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
            wait_attached(&mut rx, &when).await;
            watcher
        });
        // The runtime goes first: the worker task is dropped mid-flight and
        // its control client killed (`kill_on_drop`), no shutdown runs.
        drop(inner);
        drop(watcher);

        outer.block_on(async {
            churn.stop().await;
            assert_eq!(main_identity(&sandbox, &when).await, identity, "{when}");
            // tmux lets go of the killed client by itself.
            no_control_client(&sandbox, &when).await;
            let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
            wait_attached(&mut rx, &when).await;
            watcher.shutdown().await;
            assert!(control_clients(&sandbox).await.is_empty(), "{when}");
            assert_eq!(main_identity(&sandbox, &when).await, identity, "{when}");
            assert_eq!(
                session_names(&sandbox).await,
                ["main", phone.as_str()],
                "{when}"
            );
        });
    }
}
