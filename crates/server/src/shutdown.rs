//! Graceful shutdown: one signal every task watches, and a tracker of the
//! tasks still running so [`crate::Server::serve`] can wait for them
//! (bounded).
//!
//! Both are tokio-util's (`CancellationToken`, `TaskTracker`): a well-kept
//! implementation of exactly this, instead of the hand-written watch
//! channel and atomic counter this module had. Every task the server
//! starts — connections, sockets, resume grace timers, redraws, the
//! attention hub — is spawned on (or holds a token of) the tracker and
//! watches the signal, so nothing is left running when `serve` returns.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
pub(crate) use tokio_util::task::TaskTracker;

/// Asks a running [`crate::Server`] to stop. Cheap to clone; usable from any
/// thread or task, before or while the server runs.
///
/// Stopping means: no new connections, every WebSocket closed with code
/// 1001 ("going away"), every PTY killed, every managed
/// `tmux-mobile-client-*` session removed; [`crate::Server::serve`] returns
/// when that is done (or when the server's shutdown timeout expires).
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    token: CancellationToken,
}

impl ShutdownHandle {
    /// Starts the shutdown. Calling it again does nothing.
    pub fn shutdown(&self) {
        self.token.cancel();
    }

    /// Whether [`ShutdownHandle::shutdown`] has been called.
    pub fn is_shutting_down(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// The receiving side: resolves once shutdown was asked for.
#[derive(Clone, Debug)]
pub(crate) struct ShutdownSignal {
    token: CancellationToken,
}

impl ShutdownSignal {
    /// Whether shutdown has been asked for.
    pub(crate) fn is_set(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves when shutdown is asked for (immediately if it already was).
    pub(crate) async fn wait(&mut self) {
        self.token.cancelled().await;
    }
}

/// A connected pair of handle and signal.
pub(crate) fn channel() -> (ShutdownHandle, ShutdownSignal) {
    let token = CancellationToken::new();
    (
        ShutdownHandle {
            token: token.clone(),
        },
        ShutdownSignal { token },
    )
}

/// Waits until every task of `tracker` ended, or `limit` passes (no new
/// task may be added afterwards). Returns whether all ended.
pub(crate) async fn wait_idle(tracker: &TaskTracker, limit: Duration) -> bool {
    tracker.close();
    tokio::time::timeout(limit, tracker.wait()).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tracker_waits_for_tokens_and_spawned_tasks() {
        let tracker = TaskTracker::new();
        let token = tracker.token();
        let (stop, mut signal) = channel();
        let task = tracker.spawn(async move { signal.wait().await });
        assert!(!wait_idle(&tracker, Duration::from_millis(20)).await);
        stop.shutdown();
        task.await.expect("join");
        assert!(!wait_idle(&tracker, Duration::from_millis(20)).await);
        let waiter = {
            let tracker = tracker.clone();
            tokio::spawn(async move { wait_idle(&tracker, Duration::from_secs(30)).await })
        };
        drop(token);
        assert!(waiter.await.expect("join"));
    }

    #[tokio::test]
    async fn signal_resolves_after_handle_fires() {
        let (handle, mut signal) = channel();
        assert!(!signal.is_set());
        handle.shutdown();
        handle.shutdown();
        signal.wait().await;
        assert!(signal.is_set() && handle.is_shutting_down());
    }
}
