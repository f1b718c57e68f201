//! Graceful shutdown: one signal every task watches, and a count of the tasks
//! still running so [`crate::Server::serve`] can wait for them (bounded).
//!
//! hyper's connection futures and the upgraded WebSockets live in separate
//! tasks; both kinds subscribe to the same [`ShutdownSignal`] and register
//! with the [`TaskTracker`] so nothing is left running when `serve` returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

/// Asks a running [`crate::Server`] to stop. Cheap to clone; usable from any
/// thread or task, before or while the server runs.
///
/// Stopping means: no new connections, every WebSocket closed with code
/// 1001 ("going away"), every PTY killed, every managed
/// `tmux-mobile-client-*` session removed; [`crate::Server::serve`] returns
/// when that is done (or when the server's shutdown timeout expires).
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    tx: Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    /// Starts the shutdown. Calling it again does nothing.
    pub fn shutdown(&self) {
        self.tx.send_replace(true);
    }

    /// Whether [`ShutdownHandle::shutdown`] has been called.
    pub fn is_shutting_down(&self) -> bool {
        *self.tx.borrow()
    }
}

/// The receiving side: resolves once shutdown was asked for.
#[derive(Clone, Debug)]
pub(crate) struct ShutdownSignal {
    rx: watch::Receiver<bool>,
}

impl ShutdownSignal {
    /// Whether shutdown has been asked for.
    pub(crate) fn is_set(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when shutdown is asked for (immediately if it already was).
    pub(crate) async fn wait(&mut self) {
        // An error means every handle is gone: nobody can stop us any more,
        // which we treat as "never".
        if self.rx.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A connected pair of handle and signal.
pub(crate) fn channel() -> (ShutdownHandle, ShutdownSignal) {
    let (tx, rx) = watch::channel(false);
    (ShutdownHandle { tx: Arc::new(tx) }, ShutdownSignal { rx })
}

/// Counts running tasks; [`TaskTracker::wait_idle`] waits until none is left.
#[derive(Debug, Default)]
pub(crate) struct TaskTracker {
    running: AtomicUsize,
    idle: Notify,
}

/// Held by a running task; dropping it marks the task finished.
#[derive(Debug)]
pub(crate) struct TaskToken {
    tracker: Arc<TaskTracker>,
}

impl TaskTracker {
    /// Registers a task that is about to start.
    pub(crate) fn token(self: &Arc<Self>) -> TaskToken {
        self.running.fetch_add(1, Ordering::SeqCst);
        TaskToken {
            tracker: Arc::clone(self),
        }
    }

    /// Number of registered tasks still running.
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Waits until no task is running, or `limit` passes. Returns whether the
    /// tracker became idle.
    pub(crate) async fn wait_idle(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.running() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

impl Drop for TaskToken {
    fn drop(&mut self) {
        if self.tracker.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.tracker.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tracker_waits_for_tokens() {
        let tracker = Arc::new(TaskTracker::default());
        assert!(tracker.wait_idle(Duration::from_millis(1)).await);
        let token = tracker.token();
        assert!(!tracker.wait_idle(Duration::from_millis(20)).await);
        let waiter = {
            let tracker = Arc::clone(&tracker);
            tokio::spawn(async move { tracker.wait_idle(Duration::from_secs(30)).await })
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
