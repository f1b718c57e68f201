//! Terminal input of one client, held while its PTY is being replaced.
//!
//! A person who taps another session and starts typing is already looking
//! at the new session: what they type must reach it, not the session they
//! left, and nothing may be lost while the old `tmux attach` is killed and
//! the new one starts. The same holds whenever the PTY is replaced (it
//! exited because its session or the whole tmux server went away, and the
//! client attaches again, starting tmux with the default session if need
//! be): input that arrives once the PTY has ended is held for the next
//! one. What cannot be held is input written to the old PTY in the moment
//! between tmux letting go of its `tmux attach` (the session killed, the
//! server gone) and that process exiting: it is already in a terminal
//! nobody reads any more, and nothing tells us before the PTY closes.
//!
//! So input goes straight to the PTY only while the PTY is *open*: it is up
//! (its `tmux attach` has drawn something, so tmux has put the terminal in
//! raw mode and attached the client to its session — bytes written before
//! that would be cooked and echoed by the line discipline, and a `^C` would
//! kill the `tmux attach`), no switch is in progress and nothing is queued.
//! Otherwise it is queued, in arrival order, up to [`HELD_INPUT_LIMIT`]
//! bytes (the excess is dropped and the person is told once), and written
//! to the PTY by one flush task as soon as the PTY opens.
//!
//! A switch marks where it was asked for: bytes queued before that mark
//! belong to the PTY that was current then (it may not be up yet, after a
//! quick second switch), bytes after it to the next one.
//! [`HeldInput::deliver_before_switch`] waits until the former are written
//! before the old PTY is killed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tmux_mobile_pty_bridge::PtyWriter;
use tokio::sync::Notify;

/// The most input held while no PTY is open: 64 KiB is far more than a
/// person types while a session switch or a re-attach takes (well under a
/// second), and small enough to keep per client.
pub(crate) const HELD_INPUT_LIMIT: usize = 64 * 1024;

/// Queued input and the PTY it goes to.
#[derive(Debug, Default)]
pub(crate) struct HeldInput {
    state: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    inner: Mutex<Inner>,
    /// Signalled whenever a flush ends or the queue shrinks.
    progress: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    /// The current PTY's writer and its attachment epoch.
    writer: Option<(u64, PtyWriter)>,
    /// Whether the current PTY is up (it has produced output).
    ready: bool,
    /// One entry per switch asked for and not finished, in order: the
    /// queue length when it was asked for. Bytes before the first cut
    /// belong to the current PTY, bytes between two cuts to the PTY the
    /// earlier switch brings.
    cuts: VecDeque<usize>,
    /// Whether input was written to the current PTY since it came up.
    typed: bool,
    /// Whether the flush task is running.
    flushing: bool,
    /// Input not yet written, in arrival order.
    queue: Vec<u8>,
    /// Whether the person was told that held input overflowed (once per
    /// episode of holding).
    told_overflow: bool,
}

impl Inner {
    /// Bytes at the front of the queue that may be written to the current
    /// writer now.
    fn deliverable(&self) -> usize {
        if self.writer.is_none() || !self.ready {
            0
        } else {
            self.cuts.front().copied().unwrap_or(self.queue.len())
        }
    }

    /// Takes the first `count` queued bytes.
    fn take(&mut self, count: usize) -> Vec<u8> {
        for cut in &mut self.cuts {
            *cut = cut.saturating_sub(count);
        }
        self.queue.drain(..count).collect()
    }

    fn is_open(&self) -> bool {
        self.writer.is_some()
            && self.ready
            && self.cuts.is_empty()
            && !self.flushing
            && self.queue.is_empty()
    }
}

/// What [`HeldInput::write`] did with the bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// Written to (or queued for) a PTY.
    Ok,
    /// Some bytes did not fit into the held-input bound and were dropped;
    /// the person should be told (this is reported once per episode).
    Overflowed,
}

impl HeldInput {
    /// Writes terminal input to the PTY if it is open, else queues it.
    pub(crate) async fn write(&self, bytes: &[u8]) -> Written {
        let writer = {
            let mut inner = lock(&self.state.inner);
            if inner.is_open() {
                inner.told_overflow = false;
                inner.typed = true;
                inner.writer.clone()
            } else {
                let room = HELD_INPUT_LIMIT.saturating_sub(inner.queue.len());
                let kept = bytes.len().min(room);
                inner.queue.extend_from_slice(&bytes[..kept]);
                let overflowed = kept < bytes.len() && !inner.told_overflow;
                if kept < bytes.len() {
                    inner.told_overflow = true;
                    log::info!(
                        "held terminal input reached {HELD_INPUT_LIMIT} bytes; dropped {}",
                        bytes.len() - kept
                    );
                }
                self.start_flush(&mut inner);
                return if overflowed {
                    Written::Overflowed
                } else {
                    Written::Ok
                };
            }
        };
        if let Some((epoch, writer)) = writer {
            if let Err(error) = writer.write_all(bytes).await {
                // The PTY is gone (its tmux client exited): keep the input
                // for the next one.
                log::debug!("terminal closed while writing input ({error}); holding it");
                let mut inner = lock(&self.state.inner);
                if inner.writer.as_ref().is_some_and(|(e, _)| *e == epoch) {
                    inner.writer = None;
                    inner.ready = false;
                }
                let room = HELD_INPUT_LIMIT.saturating_sub(inner.queue.len());
                let kept = bytes.len().min(room);
                inner.queue.extend_from_slice(&bytes[..kept]);
            }
        }
        Written::Ok
    }

    /// A switch to another session was asked for: input from now on waits
    /// for the PTY that the switch brings. Every call must be followed by
    /// one [`HeldInput::end_switch`], in the same order.
    pub(crate) fn begin_switch(&self) {
        let mut inner = lock(&self.state.inner);
        let at = inner.queue.len();
        inner.cuts.push_back(at);
    }

    /// The oldest switch asked for has finished (attached, or failed and
    /// the old PTY stays): the input after it goes to the current PTY once
    /// that is up.
    pub(crate) fn end_switch(&self) {
        let mut inner = lock(&self.state.inner);
        inner.cuts.pop_front();
        self.start_flush(&mut inner);
    }

    /// Whether input was written to the current PTY since it came up (then
    /// tmux should be given a moment to read it before the PTY is killed).
    pub(crate) fn typed_into_current(&self) -> bool {
        lock(&self.state.inner).typed
    }

    /// Before the old PTY is killed for a switch: waits (at most `limit`)
    /// until the input queued before the switch was asked for has been
    /// written to it. Whatever is still undelivered then goes to the next
    /// PTY.
    pub(crate) async fn deliver_before_switch(&self, limit: Duration) {
        let wait = async {
            loop {
                let progress = self.state.progress.notified();
                tokio::pin!(progress);
                progress.as_mut().enable();
                {
                    let inner = lock(&self.state.inner);
                    let pending = inner.cuts.front().is_some_and(|&cut| cut > 0);
                    let old_pty = inner.writer.is_some();
                    if !old_pty || (!pending && !inner.flushing) {
                        return;
                    }
                }
                progress.await;
            }
        };
        if tokio::time::timeout(limit, wait).await.is_err() {
            log::info!("held input for the previous terminal was not delivered in {limit:?}");
        }
    }

    /// The PTY was killed or exited: hold input until the next one is up.
    /// Only acts if `epoch` is the current PTY's (`None`: whichever).
    pub(crate) fn close_pty(&self, epoch: Option<u64>) {
        let mut inner = lock(&self.state.inner);
        let current = inner.writer.as_ref().map(|(e, _)| *e);
        if epoch.is_none() || current == epoch {
            inner.writer = None;
            inner.ready = false;
            inner.typed = false;
        }
    }

    /// A new PTY (attachment `epoch`) was started; it opens once it is up.
    pub(crate) fn new_pty(&self, epoch: u64, writer: PtyWriter) {
        let mut inner = lock(&self.state.inner);
        inner.writer = Some((epoch, writer));
        inner.ready = false;
        inner.typed = false;
    }

    /// The PTY of `epoch` produced output: tmux is attached and the
    /// terminal raw, so held input can be written.
    pub(crate) fn pty_up(&self, epoch: u64) {
        let mut inner = lock(&self.state.inner);
        if inner.writer.as_ref().is_some_and(|(e, _)| *e == epoch) && !inner.ready {
            inner.ready = true;
            self.start_flush(&mut inner);
        }
    }

    /// Drops everything (the client is gone).
    pub(crate) fn clear(&self) {
        let mut inner = lock(&self.state.inner);
        inner.writer = None;
        inner.ready = false;
        inner.queue = Vec::new();
        inner.cuts.clear();
        drop(inner);
        self.state.progress.notify_waiters();
    }

    fn start_flush(&self, inner: &mut Inner) {
        start_flush(&self.state, inner);
    }
}

/// Starts the flush task if something can be delivered and none runs.
fn start_flush(state: &Arc<Shared>, inner: &mut Inner) {
    if inner.flushing || inner.deliverable() == 0 {
        return;
    }
    let Some((epoch, writer)) = inner.writer.clone() else {
        return;
    };
    inner.flushing = true;
    tokio::spawn(flush(Arc::clone(state), epoch, writer));
}

/// Writes deliverable queued input to `writer` (of attachment `epoch`) until
/// nothing more may go to it; then hands over to a flush for a newer PTY if
/// one is up meanwhile.
async fn flush(state: Arc<Shared>, epoch: u64, writer: PtyWriter) {
    loop {
        let chunk = {
            let mut inner = lock(&state.inner);
            let same = inner.writer.as_ref().is_some_and(|(e, _)| *e == epoch);
            let count = if same { inner.deliverable() } else { 0 };
            if count == 0 {
                inner.flushing = false;
                if inner.queue.is_empty() {
                    inner.told_overflow = false;
                }
                start_flush(&state, &mut inner);
                drop(inner);
                state.progress.notify_waiters();
                return;
            }
            inner.typed = true;
            inner.take(count)
        };
        state.progress.notify_waiters();
        if let Err(error) = writer.write_all(&chunk).await {
            // The PTY is gone (its tmux client exited): keep the input for
            // the next one.
            log::debug!("terminal closed while writing held input ({error}); holding it");
            let mut inner = lock(&state.inner);
            if inner.writer.as_ref().is_some_and(|(e, _)| *e == epoch) {
                inner.writer = None;
                inner.ready = false;
            }
            let mut queue = chunk;
            let put_back = queue.len();
            queue.truncate(HELD_INPUT_LIMIT);
            let room = HELD_INPUT_LIMIT - queue.len();
            let rest = inner.queue.len().min(room);
            queue.extend_from_slice(&inner.queue[..rest]);
            inner.queue = queue;
            for cut in &mut inner.cuts {
                *cut += put_back;
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
