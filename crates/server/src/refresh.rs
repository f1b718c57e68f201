//! Snapshot refreshes asked for at the same time share one snapshot.
//!
//! Every mutation asks for a fresh snapshot so that the client that made it
//! sees its change. A snapshot is not cheap: tmux lists every pane of every
//! session (a window of a session group once per session of the group), so
//! with 100 phones on one session and 100 windows one snapshot is 10 000
//! records, about 0.3 s of tmux's single thread. When 100 phones each open
//! a window at once, one snapshot per request kept tmux busy for tens of
//! seconds with snapshots nobody needed, and commands waiting behind them
//! timed out (issue 15, point 2).
//!
//! A request only needs *a* snapshot taken after it was made. So at most
//! one snapshot runs at a time, and every request that arrives while one
//! runs is answered by the next one, which starts when the running one ends:
//! a burst of any size costs at most two snapshots.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

/// Shares snapshots between the refresh requests that overlap in time (see
/// the [module documentation](self)).
#[derive(Debug, Default)]
pub(crate) struct Coalescer {
    /// How many snapshots have started and finished.
    counts: Mutex<Counts>,
    /// Held while a snapshot runs; waiters queue on it in arrival order.
    turn: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    /// Snapshots started so far (the number of the newest one).
    started: u64,
    /// The number of the newest snapshot that has finished.
    finished: u64,
}

impl Coalescer {
    /// Returns once a snapshot that started after this call has finished:
    /// one this call runs with `take`, or one another caller ran. `take` is
    /// called at most once.
    pub(crate) async fn refresh<F, Fut>(&self, take: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ()>,
    {
        // Every snapshot numbered above `started` starts after this point,
        // so after whatever the caller changed before calling.
        let wanted = self.counts().started + 1;
        let _turn = self.turn.lock().await;
        if self.counts().finished >= wanted {
            return;
        }
        let number = {
            let mut counts = self.lock();
            counts.started += 1;
            counts.started
        };
        take().await;
        let mut counts = self.lock();
        counts.finished = counts.finished.max(number);
    }

    fn counts(&self) -> Counts {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Nothing panics while holding it; the counts stay consistent.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Notify;

    use super::*;

    /// 100 requests at once while one snapshot is running: they all wait
    /// for the next one, and that one is the only other snapshot taken.
    #[tokio::test]
    async fn a_burst_costs_at_most_two_snapshots() {
        let coalescer = Arc::new(Coalescer::default());
        let taken = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(Notify::new());
        let first = {
            let (coalescer, taken, release) = (
                Arc::clone(&coalescer),
                Arc::clone(&taken),
                Arc::clone(&release),
            );
            tokio::spawn(async move {
                coalescer
                    .refresh(|| async move {
                        taken.fetch_add(1, Ordering::SeqCst);
                        release.notified().await;
                    })
                    .await;
            })
        };
        // The first snapshot is running.
        while taken.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let waiters: Vec<_> = (0..100)
            .map(|_| {
                let (coalescer, taken) = (Arc::clone(&coalescer), Arc::clone(&taken));
                tokio::spawn(async move {
                    let counter = Arc::clone(&taken);
                    coalescer
                        .refresh(|| async move {
                            counter.fetch_add(1, Ordering::SeqCst);
                        })
                        .await;
                    // Answered only by a snapshot that started after the
                    // request: the second one.
                    taken.load(Ordering::SeqCst)
                })
            })
            .collect();
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(taken.load(Ordering::SeqCst), 1, "nobody overtook the first");
        release.notify_one();
        first.await.expect("first request");
        for waiter in waiters {
            assert_eq!(waiter.await.expect("waiter"), 2);
        }
        assert_eq!(taken.load(Ordering::SeqCst), 2);
    }

    /// Requests one after another each get a snapshot of their own.
    #[tokio::test]
    async fn sequential_requests_each_take_one() {
        let coalescer = Coalescer::default();
        let taken = AtomicUsize::new(0);
        for round in 1..=3 {
            coalescer
                .refresh(|| async {
                    taken.fetch_add(1, Ordering::SeqCst);
                })
                .await;
            assert_eq!(taken.load(Ordering::SeqCst), round);
        }
    }

    /// A request whose snapshot was cancelled (its caller went away) does
    /// not count as answered: the next request takes one.
    #[tokio::test]
    async fn a_cancelled_snapshot_answers_nobody() {
        let coalescer = Arc::new(Coalescer::default());
        let taken = Arc::new(AtomicUsize::new(0));
        let stuck = {
            let (coalescer, taken) = (Arc::clone(&coalescer), Arc::clone(&taken));
            tokio::spawn(async move {
                coalescer
                    .refresh(|| async move {
                        taken.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                    })
                    .await;
            })
        };
        while taken.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        stuck.abort();
        let _ = stuck.await;
        let counted = Arc::clone(&taken);
        coalescer
            .refresh(|| async move {
                counted.fetch_add(1, Ordering::SeqCst);
            })
            .await;
        assert_eq!(taken.load(Ordering::SeqCst), 2);
    }
}
