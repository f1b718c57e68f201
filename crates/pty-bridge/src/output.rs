//! The output side: one task per terminal moves bytes from the master into a
//! queue of chunks whose total size is capped by a byte budget. When the
//! budget is spent the task stops reading, the kernel's terminal buffer fills
//! and the child blocks in `write` — backpressure all the way to the program,
//! with memory per terminal bounded however fast it prints. Output produced
//! before anyone reads is simply waiting in the queue and comes out first.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::unix::AsyncFd;
use tokio::sync::{Semaphore, mpsc};

use crate::child::Lifeline;

/// Largest chunk [`PtyReader::read`] returns: output queued while the
/// consumer was busy is merged up to this size.
pub const MAX_CHUNK_BYTES: usize = 64 * 1024;
const CHUNK_SIZE: usize = MAX_CHUNK_BYTES;
/// Budget charged per queued chunk on top of its bytes (allocation and queue
/// node), so a flood of tiny chunks is bounded too.
const CHUNK_OVERHEAD: usize = 64;
/// The reader waits for at least this much budget (or the whole budget, if
/// smaller) before reading again, so it does not degrade into tiny reads.
const MIN_GRANT: usize = 4096 + CHUNK_OVERHEAD;

/// The byte budget shared by the reading task and the consumer.
#[derive(Debug)]
pub(crate) struct Budget {
    /// One permit per byte of budget not in use.
    free: Semaphore,
    /// Bytes (plus overhead) currently queued for the consumer.
    queued: AtomicUsize,
    /// The configured bound.
    max: usize,
}

impl Budget {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Budget {
            free: Semaphore::new(max),
            queued: AtomicUsize::new(0),
            max,
        })
    }

    /// The consumer took a chunk of `len` bytes off the queue.
    fn release(&self, len: usize) {
        let charged = len + CHUNK_OVERHEAD;
        self.queued.fetch_sub(charged, Ordering::Relaxed);
        self.free.add_permits(charged);
    }

    /// Waits for at least `MIN_GRANT` (capped by the budget) and takes up to
    /// `CHUNK_SIZE + CHUNK_OVERHEAD` if more is free. The permits are
    /// forgotten; the caller returns what it does not use.
    async fn reserve(&self) -> usize {
        let minimum = MIN_GRANT.min(self.max);
        // The semaphore is never closed, so acquiring cannot fail.
        let Ok(permit) = self.free.acquire_many(minimum as u32).await else {
            return 0;
        };
        permit.forget();
        let extra = self
            .free
            .available_permits()
            .min(CHUNK_SIZE + CHUNK_OVERHEAD - minimum);
        if extra > 0 {
            if let Ok(permit) = self.free.try_acquire_many(extra as u32) {
                permit.forget();
                return minimum + extra;
            }
        }
        minimum
    }
}

/// The output half of a terminal: chunks of what the child printed, in order.
///
/// Dropping the reader stops the reading task; the child then blocks once the
/// kernel's buffer is full (it is not killed while other halves are alive).
#[derive(Debug)]
pub struct PtyReader {
    chunks: mpsc::UnboundedReceiver<Vec<u8>>,
    /// A chunk taken off the queue that did not fit into the previous read.
    held: Option<Vec<u8>>,
    budget: Arc<Budget>,
    _lifeline: Arc<Lifeline>,
}

impl PtyReader {
    pub(crate) fn start(
        master: Arc<AsyncFd<OwnedFd>>,
        max_buffered_bytes: usize,
        lifeline: Arc<Lifeline>,
    ) -> Self {
        let budget = Budget::new(max_buffered_bytes);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(pump(master, tx, Arc::clone(&budget)));
        PtyReader {
            chunks: rx,
            held: None,
            budget,
            _lifeline: lifeline,
        }
    }

    /// The next chunk of output (never empty, at most [`MAX_CHUNK_BYTES`]),
    /// or `None` once the terminal is closed (the child and everything else
    /// holding the terminal exited) and everything before has been returned.
    ///
    /// Output that queued up while the consumer was busy comes out merged
    /// into one chunk, so a slower consumer handles fewer, larger chunks.
    ///
    /// Cancel-safe: dropping the future loses no output, so it can be used in
    /// `tokio::select!`.
    pub async fn read(&mut self) -> Option<Vec<u8>> {
        let mut out = match self.held.take() {
            Some(chunk) => chunk,
            None => {
                let chunk = self.chunks.recv().await?;
                self.take(chunk)
            }
        };
        while out.len() < MAX_CHUNK_BYTES {
            let Ok(next) = self.chunks.try_recv() else {
                break;
            };
            let next = self.take(next);
            if out.len() + next.len() <= MAX_CHUNK_BYTES {
                out.extend_from_slice(&next);
            } else {
                self.held = Some(next);
                break;
            }
        }
        Some(out)
    }

    /// Accounts for a chunk leaving the queue.
    fn take(&self, chunk: Vec<u8>) -> Vec<u8> {
        self.budget.release(chunk.len());
        chunk
    }

    /// Bytes read from the terminal and waiting for [`read`](Self::read),
    /// including a small per-chunk overhead; never more than
    /// [`PtyOptions::max_buffered_bytes`](crate::PtyOptions::max_buffered_bytes).
    pub fn buffered_bytes(&self) -> usize {
        self.budget.queued.load(Ordering::Relaxed)
    }
}

/// What one pass of filling a chunk ended with.
enum Fill {
    /// The chunk is full or the terminal has nothing more right now.
    Chunk,
    /// The terminal is closed (EOF, or EIO once the slave side is gone).
    Closed,
    /// The consumer dropped the reader.
    NoConsumer,
}

/// Moves output from the master into the queue until the terminal closes or
/// the consumer goes away.
async fn pump(
    master: Arc<AsyncFd<OwnedFd>>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    budget: Arc<Budget>,
) {
    let mut scratch = vec![0u8; CHUNK_SIZE.min(budget.max)];
    loop {
        let granted = tokio::select! {
            granted = budget.reserve() => granted,
            () = tx.closed() => return,
        };
        let Some(capacity) = granted.checked_sub(CHUNK_OVERHEAD).filter(|&c| c > 0) else {
            // Only if the semaphore were closed, which never happens.
            return;
        };
        let capacity = capacity.min(scratch.len());
        let (filled, outcome) = fill(&master, &mut scratch[..capacity], &tx).await;
        if filled > 0 {
            let charged = filled + CHUNK_OVERHEAD;
            budget.queued.fetch_add(charged, Ordering::Relaxed);
            budget.free.add_permits(granted - charged);
            if tx.send(scratch[..filled].to_vec()).is_err() {
                return;
            }
        } else {
            budget.free.add_permits(granted);
        }
        match outcome {
            Fill::Chunk => {}
            Fill::Closed | Fill::NoConsumer => return,
        }
    }
}

/// Reads into `buf` until it is full or a read reports that the terminal has
/// nothing more (`EAGAIN`, after at least one successful read), the terminal
/// closes, or the consumer goes away.
async fn fill(
    master: &AsyncFd<OwnedFd>,
    buf: &mut [u8],
    tx: &mpsc::UnboundedSender<Vec<u8>>,
) -> (usize, Fill) {
    let mut filled = 0;
    loop {
        let mut guard = tokio::select! {
            guard = master.readable() => match guard {
                Ok(guard) => guard,
                Err(e) => {
                    log::warn!("terminal output stopped: waiting for readiness failed: {e}");
                    return (filled, Fill::Closed);
                }
            },
            () = tx.closed() => return (filled, Fill::NoConsumer),
        };
        loop {
            let result = guard.try_io(|fd| {
                nix::unistd::read(fd.get_ref(), &mut buf[filled..]).map_err(io::Error::from)
            });
            match result {
                Ok(Ok(0)) => return (filled, Fill::Closed),
                Ok(Ok(n)) => {
                    filled += n;
                    if filled == buf.len() {
                        return (filled, Fill::Chunk);
                    }
                    // A short read is not the end of a burst: a terminal
                    // hands over at most its line discipline's buffer (4 KiB)
                    // per read while the child keeps writing. Read again at
                    // once, until `EAGAIN` or a full chunk, instead of handing
                    // over every 4 KiB and waiting for the reactor: one chunk
                    // (and one wake-up of the consumer) per burst, not per
                    // read. The `EAGAIN` that ends it costs one syscall.
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                // Linux reports EIO on the master once the last slave
                // descriptor is closed: that is the end of output.
                Ok(Err(e)) if e.raw_os_error() == Some(nix::libc::EIO) => {
                    return (filled, Fill::Closed);
                }
                Ok(Err(e)) => {
                    log::warn!("terminal output stopped: read failed: {e}");
                    return (filled, Fill::Closed);
                }
                // Nothing ready: hand over what we have, or wait for more.
                Err(_would_block) if filled > 0 => return (filled, Fill::Chunk),
                Err(_would_block) => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_never_exceed_the_budget() {
        let budget = Budget::new(10_000);
        let first = budget.reserve().await;
        assert!((MIN_GRANT..=10_000).contains(&first), "{first}");
        // What is left is less than a minimum grant: the next reservation
        // has to wait until the consumer releases a chunk.
        let left = budget.free.available_permits();
        assert_eq!(left, 10_000 - first);
        let pending = tokio::time::timeout(std::time::Duration::from_millis(10), budget.reserve());
        assert!(pending.await.is_err(), "reserved beyond the budget");
        // Queue a chunk of the whole grant, then release it as the consumer would.
        budget.queued.fetch_add(first, Ordering::Relaxed);
        budget.release(first - CHUNK_OVERHEAD);
        assert_eq!(budget.free.available_permits(), 10_000);
        assert_eq!(budget.queued.load(Ordering::Relaxed), 0);
    }

    /// A reader fed by hand: the sender stands in for the pump.
    fn reader_with(budget: Arc<Budget>) -> (PtyReader, mpsc::UnboundedSender<Vec<u8>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let reader = PtyReader {
            chunks: rx,
            held: None,
            budget,
            _lifeline: Lifeline::detached(),
        };
        (reader, tx)
    }

    #[tokio::test]
    async fn queued_chunks_are_merged_up_to_the_chunk_limit_in_order() {
        let budget = Budget::new(1 << 20);
        let (mut reader, tx) = reader_with(Arc::clone(&budget));
        let sizes = [3, 5, MAX_CHUNK_BYTES - 4, 10];
        for (i, &len) in sizes.iter().enumerate() {
            // As the pump does: account, then queue.
            budget
                .free
                .try_acquire_many((len + CHUNK_OVERHEAD) as u32)
                .unwrap()
                .forget();
            budget
                .queued
                .fetch_add(len + CHUNK_OVERHEAD, Ordering::Relaxed);
            tx.send(vec![i as u8; len]).unwrap();
        }
        drop(tx);
        let mut lens = Vec::new();
        let mut all = Vec::new();
        while let Some(chunk) = reader.read().await {
            assert!(!chunk.is_empty() && chunk.len() <= MAX_CHUNK_BYTES);
            lens.push(chunk.len());
            all.extend(chunk);
        }
        assert_eq!(lens, [8, MAX_CHUNK_BYTES - 4, 10]);
        let expected: Vec<u8> = sizes
            .iter()
            .enumerate()
            .flat_map(|(i, &len)| std::iter::repeat_n(i as u8, len))
            .collect();
        assert!(all == expected, "bytes reordered or lost");
        assert_eq!(reader.buffered_bytes(), 0);
        assert_eq!(budget.free.available_permits(), 1 << 20);
    }

    #[tokio::test]
    async fn a_budget_smaller_than_a_grant_is_reserved_whole() {
        let min = crate::PtyOptions::MIN_BUFFERED_BYTES;
        assert!(min < MIN_GRANT);
        assert_eq!(Budget::new(min).reserve().await, min);
    }
}
