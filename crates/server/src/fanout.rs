//! Terminal output of one client, copied to every terminal socket bound to
//! it, each through its own bounded queue.
//!
//! The PTY reader must never wait for a socket: a phone on a bad network
//! would otherwise stall every other viewer (and, through the PTY, tmux).
//! So each socket gets a queue limited in bytes; a socket whose queue
//! overflows is cut off (its task closes it) and the others carry on.
//!
//! Text frames must be valid UTF-8, but a PTY read can end in the middle of a
//! character. [`Utf8Framer`] holds such an incomplete tail back until the
//! next read completes it, so characters are never split across frames.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};

/// Distributes one client's output to its terminal sockets.
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    subscribers: Mutex<Vec<Subscriber>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Subscriber {
    id: u64,
    binary: bool,
    queue: Arc<OutputQueue>,
}

impl Fanout {
    /// Registers a socket; output published from now on is queued for it.
    pub(crate) fn subscribe(&self, binary: bool, limit_bytes: usize) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let queue = Arc::new(OutputQueue::new(limit_bytes));
        lock(&self.subscribers).push(Subscriber {
            id,
            binary,
            queue: Arc::clone(&queue),
        });
        Subscription { id, queue }
    }

    /// Removes a socket (it closed).
    pub(crate) fn unsubscribe(&self, id: u64) {
        lock(&self.subscribers).retain(|sub| sub.id != id);
    }

    /// Number of sockets currently subscribed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.subscribers).len()
    }

    /// Queues one chunk of output for every socket. `text` is the same
    /// output as UTF-8 (see [`Utf8Framer`]); `None` when the chunk held only
    /// the start of a character. Sockets that fall too far behind are
    /// dropped here.
    pub(crate) fn publish(&self, raw: &Bytes, text: Option<&Utf8Bytes>) {
        lock(&self.subscribers).retain(|sub| {
            let message = if sub.binary {
                Message::Binary(raw.clone())
            } else if let Some(text) = text {
                Message::Text(text.clone())
            } else {
                return true;
            };
            let kept = sub.queue.push(message);
            if !kept {
                log::warn!(
                    "terminal socket fell more than {} bytes behind; closing it",
                    sub.queue.limit
                );
            }
            kept
        });
    }

    /// Ends every subscription: their sockets close.
    pub(crate) fn close_all(&self) {
        for sub in lock(&self.subscribers).drain(..) {
            sub.queue.close(QueueEnd::Closed);
        }
    }
}

/// The receiving end of one socket's queue.
#[derive(Debug)]
pub(crate) struct Subscription {
    /// Identifies the subscription for [`Fanout::unsubscribe`].
    pub(crate) id: u64,
    queue: Arc<OutputQueue>,
}

impl Subscription {
    /// Waits for queued output; takes everything queued at once (so the
    /// socket can write it as one batch). `Err` once the queue ended.
    pub(crate) async fn next_batch(&self) -> Result<Vec<Message>, QueueEnd> {
        loop {
            let notified = self.queue.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut inner = lock(&self.queue.inner);
                if let Some(end) = inner.end {
                    return Err(end);
                }
                if !inner.items.is_empty() {
                    inner.bytes = 0;
                    return Ok(inner.items.drain(..).collect());
                }
            }
            notified.await;
        }
    }
}

impl Subscription {
    /// Resolves once the queue has ended (overflow or close), without
    /// taking anything from it.
    pub(crate) async fn ended(&self) {
        loop {
            let notified = self.queue.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if lock(&self.queue.inner).end.is_some() {
                return;
            }
            notified.await;
        }
    }
}

/// Why a queue stopped delivering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueEnd {
    /// The socket fell too far behind.
    Overflow,
    /// The client went away (or the server is stopping).
    Closed,
}

#[derive(Debug)]
struct OutputQueue {
    inner: Mutex<QueueInner>,
    ready: Notify,
    limit: usize,
}

#[derive(Debug, Default)]
struct QueueInner {
    items: VecDeque<Message>,
    bytes: usize,
    end: Option<QueueEnd>,
}

impl OutputQueue {
    fn new(limit: usize) -> Self {
        Self {
            inner: Mutex::new(QueueInner::default()),
            ready: Notify::new(),
            limit: limit.max(1),
        }
    }

    /// Queues a message; `false` (and the queue ends) if over the limit.
    fn push(&self, message: Message) -> bool {
        let mut inner = lock(&self.inner);
        if inner.end.is_some() {
            return false;
        }
        let len = message.len();
        if inner.bytes + len > self.limit {
            inner.items.clear();
            inner.bytes = 0;
            inner.end = Some(QueueEnd::Overflow);
            drop(inner);
            self.ready.notify_waiters();
            return false;
        }
        inner.bytes += len;
        inner.items.push_back(message);
        drop(inner);
        self.ready.notify_waiters();
        true
    }

    fn close(&self, end: QueueEnd) {
        let mut inner = lock(&self.inner);
        inner.items.clear();
        inner.bytes = 0;
        inner.end.get_or_insert(end);
        drop(inner);
        self.ready.notify_waiters();
    }
}

/// Locks a mutex, recovering from poisoning (the data stays consistent: no
/// code path panics while holding these locks).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Turns a byte stream into UTF-8 text frames without splitting characters.
///
/// An incomplete sequence at the end of a chunk is carried into the next
/// one; bytes that can never be UTF-8 become U+FFFD.
#[derive(Debug, Default)]
pub(crate) struct Utf8Framer {
    carry: Vec<u8>,
}

impl Utf8Framer {
    /// [`Utf8Framer::push`] for a shared buffer: output that is already
    /// complete, valid UTF-8 (the usual case) becomes text without copying.
    pub(crate) fn push_shared(&mut self, chunk: &Bytes) -> Option<Utf8Bytes> {
        if self.carry.is_empty() {
            if let Ok(text) = Utf8Bytes::try_from(chunk.clone()) {
                return (!text.is_empty()).then_some(text);
            }
        }
        self.push(chunk).map(Utf8Bytes::from)
    }

    /// The text of `chunk` (plus any carried bytes), minus an incomplete
    /// character at its end, which is kept for the next call. `None` if no
    /// complete character is available yet.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Option<String> {
        let mut input = std::mem::take(&mut self.carry);
        input.extend_from_slice(chunk);
        let mut out = String::with_capacity(input.len());
        let mut rest: &[u8] = &input;
        loop {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    out.push_str(valid);
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    // The prefix was just checked to be valid UTF-8.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match error.error_len() {
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                        None => {
                            // An incomplete character at the very end.
                            self.carry = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_never_split() {
        let text = "a€b😀c";
        let bytes = text.as_bytes();
        for split in 0..=bytes.len() {
            let mut framer = Utf8Framer::default();
            let mut out = String::new();
            out.push_str(&framer.push(&bytes[..split]).unwrap_or_default());
            out.push_str(&framer.push(&bytes[split..]).unwrap_or_default());
            assert_eq!(out, text, "split at {split}");
        }
    }

    #[test]
    fn shared_buffers_take_the_fast_path_and_still_carry() {
        let mut framer = Utf8Framer::default();
        let whole = Bytes::from_static("ok €".as_bytes());
        assert_eq!(framer.push_shared(&whole).as_deref(), Some("ok €"));
        assert_eq!(
            framer
                .push_shared(&Bytes::from_static(b"a\xe2\x82"))
                .as_deref(),
            Some("a")
        );
        assert_eq!(
            framer.push_shared(&Bytes::from_static(b"\xac")).as_deref(),
            Some("€")
        );
        assert_eq!(framer.push_shared(&Bytes::new()), None);
    }

    #[test]
    fn one_byte_at_a_time() {
        let text = "ünïcødé ✓ 😀";
        let mut framer = Utf8Framer::default();
        let mut out = String::new();
        for byte in text.as_bytes() {
            if let Some(piece) = framer.push(&[*byte]) {
                out.push_str(&piece);
            }
        }
        assert_eq!(out, text);
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut framer = Utf8Framer::default();
        assert_eq!(framer.push(b"a\xffb").as_deref(), Some("a\u{fffd}b"));
        assert_eq!(framer.push(b"\xe2\x82").as_deref(), None);
        assert_eq!(framer.push(b"x").as_deref(), Some("\u{fffd}x"));
    }

    #[tokio::test]
    async fn slow_subscriber_is_dropped_fast_one_keeps_everything() {
        let fanout = Fanout::default();
        let slow = fanout.subscribe(true, 10);
        let fast = fanout.subscribe(true, 1 << 20);
        for i in 0..5u8 {
            let chunk = Bytes::from(vec![i; 4]);
            fanout.publish(&chunk, None);
            let batch = fast.next_batch().await.expect("fast keeps up");
            assert_eq!(batch.len(), 1);
        }
        assert_eq!(slow.next_batch().await, Err(QueueEnd::Overflow));
        assert_eq!(fanout.len(), 1, "the slow socket was removed");
        fanout.close_all();
        assert_eq!(fast.next_batch().await, Err(QueueEnd::Closed));
    }

    #[tokio::test]
    async fn text_subscribers_skip_chunks_without_text() {
        let fanout = Fanout::default();
        let text = fanout.subscribe(false, 1 << 20);
        fanout.publish(&Bytes::from_static(b"\xe2"), None);
        fanout.publish(
            &Bytes::from_static(b"\x82\xac"),
            Some(&Utf8Bytes::from("€")),
        );
        let batch = text.next_batch().await.expect("open");
        assert_eq!(batch, vec![Message::Text(Utf8Bytes::from("€"))]);
        fanout.unsubscribe(text.id);
        assert_eq!(fanout.len(), 0);
    }
}
