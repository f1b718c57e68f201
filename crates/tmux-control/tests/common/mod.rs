//! Helpers shared by the watcher test binaries (`watcher`, `startup`,
//! `shutdown`): waiting for published snapshots and checking that tmux and
//! the user's session survived.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Snapshot, WATCHER_SESSION};
use tokio::sync::watch;
use tokio::time::Instant;

/// Generous bound for anything the tests wait for (CI has 2 loaded cores).
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

/// Waits (without timing assertions) until a published snapshot satisfies
/// `condition`; panics with the last snapshot after [`DEADLINE`].
pub(crate) async fn wait_for(
    rx: &mut watch::Receiver<Arc<Snapshot>>,
    what: &str,
    condition: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let current = rx.borrow_and_update().clone();
        if condition(&current) {
            return current;
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            _ => panic!("timed out waiting for {what}; last snapshot: {current:#?}"),
        }
    }
}

/// Whether the watcher's control client is attached to its own session.
pub(crate) fn watcher_attached(snapshot: &Snapshot) -> bool {
    snapshot
        .session(WATCHER_SESSION)
        .is_some_and(|s| s.is_attached())
}

/// `pid session_id pane_pid` of the tmux server and the user's session
/// `main`: the same answer after every round means the server and the
/// session (with its shell) survived. Panics when tmux no longer answers.
pub(crate) async fn main_identity(sandbox: &IsolatedTmux, when: &str) -> String {
    match sandbox
        .run(&[
            "display-message",
            "-p",
            "-t",
            "=main:",
            "#{pid} #{session_id} #{pane_pid}",
        ])
        .await
    {
        Ok(identity) => identity,
        Err(error) => panic!("{when}: tmux lost the session main or died: {error}"),
    }
}
