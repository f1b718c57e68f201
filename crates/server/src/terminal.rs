//! `/ws/terminal`: the raw byte stream of one client's PTY.
//!
//! The first frame must authenticate and name a client whose control socket
//! is live; any failure closes with 4001. Afterwards, output arrives through
//! this socket's own bounded queue in the client's [`crate::fanout::Fanout`]
//! while input and resizes go to the PTY. Reading and writing run
//! concurrently, so a flood of output never delays keystrokes.
//!
//! A socket opened with the subprotocol
//! [`DEFLATE_SUBPROTOCOL`](tmux_mobile_protocol::DEFLATE_SUBPROTOCOL) gets
//! each batch of output (under a flood, the batches of a few ms) as one
//! binary frame of its own DEFLATE stream ([`DeflateStream`]); everything
//! else about it is the same.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tmux_mobile_auth::Attempt;
use tmux_mobile_protocol::{
    ProtocolError, Resize, ServerMessage, TerminalFrame, classify_terminal_frame,
    decode_terminal_auth,
};
use tmux_mobile_pty_bridge::WindowSize;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::clients::{Client, TerminalClaim};
use crate::deflate::DeflateStream;
use crate::fanout::{QueueEnd, Subscription};
use crate::server::Shared;
use crate::shutdown::ShutdownSignal;
use crate::upgrade::Socket;

/// Close code for every authentication failure on this socket.
const CLOSE_UNAUTHORIZED: u16 = 4001;

/// Serves one terminal socket until it closes.
/// `deflate`: the socket was opened with the compression subprotocol.
pub(crate) async fn run(mut ws: Socket, shared: Arc<Shared>, peer: SocketAddr, deflate: bool) {
    let Some((claim, binary, read_only)) = authenticate(&mut ws, &shared, peer).await else {
        return;
    };
    let client = Arc::clone(claim.client());
    // The compressed stream carries the raw bytes, whatever `binary` says.
    let subscription = client
        .fanout
        .subscribe(binary || deflate, shared.options.terminal_queue_bytes);
    log::info!(
        "terminal socket from {} bound to client {} ({} frames{})",
        peer.ip(),
        client.id,
        if deflate {
            "deflate"
        } else if binary {
            "binary"
        } else {
            "text"
        },
        if read_only { ", read-only" } else { "" }
    );
    // A socket that joins a running terminal needs the whole screen.
    {
        let client = Arc::clone(&client);
        let tmux = shared.tmux().clone();
        shared
            .tasks
            .spawn(async move { client.redraw(&tmux).await });
    }

    let (sink, stream) = ws.split();
    let stop = Stop::default();
    let mut writer = std::pin::pin!(write_output(
        sink,
        &subscription,
        deflate.then(DeflateStream::default),
        shared.shutdown.clone(),
        &stop
    ));
    let mut reader = std::pin::pin!(read_input(stream, &client, read_only));
    tokio::select! {
        close = &mut reader => {
            // The peer closed (or broke, or sent too much): let the writer
            // send what is due, the close (reply) included, then stop.
            stop.request(close);
            let _ = tokio::time::timeout(Duration::from_millis(500), &mut writer).await;
        }
        () = &mut writer => {}
    }
    client.fanout.unsubscribe(subscription.id);
    drop(claim);
    log::info!("terminal socket of client {} closed", client.id);
}

/// Reads the auth frame; closes with 4001 (or 1009, 1008) on failure.
async fn authenticate(
    ws: &mut Socket,
    shared: &Shared,
    peer: SocketAddr,
) -> Option<(TerminalClaim, bool, bool)> {
    let first = tokio::time::timeout(shared.options.auth_timeout, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                other => return other,
            }
        }
    })
    .await;
    let frame = match first {
        Err(_) => {
            log::info!("terminal socket from {peer} closed: no auth in time");
            close_socket(ws, CloseCode::Library(CLOSE_UNAUTHORIZED), "auth required").await;
            return None;
        }
        Ok(None | Some(Ok(Message::Close(_)))) => return None,
        Ok(Some(Err(WsError::Capacity(_)))) => {
            close_socket(ws, CloseCode::Size, "message too large").await;
            return None;
        }
        Ok(Some(Err(WsError::Utf8(_)))) => {
            close_socket(ws, CloseCode::Invalid, "text frame is not UTF-8").await;
            return None;
        }
        Ok(Some(Err(_))) => return None,
        Ok(Some(Ok(Message::Text(text)))) => text,
        Ok(Some(Ok(_))) => {
            close_socket(ws, CloseCode::Library(CLOSE_UNAUTHORIZED), "auth required").await;
            return None;
        }
    };
    let auth = match decode_terminal_auth(frame.as_bytes()) {
        Ok(auth) => auth,
        Err(ProtocolError::TooLarge { .. }) => {
            close_socket(ws, CloseCode::Size, "message too large").await;
            return None;
        }
        Err(error) => {
            log::info!("terminal auth from {} refused: {error}", peer.ip());
            let reason = match error {
                ProtocolError::AuthRequired => "auth required",
                _ => "unauthorized",
            };
            close_socket(ws, CloseCode::Library(CLOSE_UNAUTHORIZED), reason).await;
            return None;
        }
    };
    let attempt = Attempt {
        token: &auth.token,
        password: auth.password.as_deref(),
        session_key: auth.session_key.as_deref(),
    };
    let grant = match shared.options.authenticator.verify(&attempt, peer.ip()) {
        Ok(grant) => grant,
        Err(error) => {
            log::warn!(
                "terminal auth from {} failed: {}",
                peer.ip(),
                error.reason()
            );
            close_socket(ws, CloseCode::Library(CLOSE_UNAUTHORIZED), "unauthorized").await;
            return None;
        }
    };
    let claim = match &auth.client_id {
        Some(id) => shared
            .clients
            .get(id)
            .filter(|client| client.control_connected())
            .map(|client| client.claim_terminal()),
        // The original 0.0.8 web client names no client (docs/PROTOCOL.md,
        // "Terminal sockets without clientId").
        None => shared
            .clients
            .claim_newest_without_terminal(peer.ip(), grant.role.is_read_only()),
    };
    let Some(claim) = claim else {
        match &auth.client_id {
            Some(id) => log::info!(
                "terminal auth from {} refused: client {id} has no live control socket",
                peer.ip()
            ),
            None => log::info!(
                "terminal auth from {} without clientId refused: no control client of that \
                 address and role without a terminal",
                peer.ip()
            ),
        }
        close_socket(ws, CloseCode::Library(CLOSE_UNAUTHORIZED), "unauthorized").await;
        return None;
    };
    let client = claim.client();
    let read_only = grant.role.is_read_only() || client.is_read_only();
    Some((claim, auth.binary, read_only))
}

/// Copies queued output to the socket until the queue ends, the server
/// stops, the reader asks to `stop`, or the socket breaks. A peer that does
/// not read cannot hold this up: its queue overflows, which ends the wait.
/// With `deflate`, each batch goes out as one compressed binary frame
/// (under a flood, several batches: see [`coalesce`]).
async fn write_output(
    mut sink: SplitSink<Socket, Message>,
    subscription: &Subscription,
    mut deflate: Option<DeflateStream>,
    mut shutdown: ShutdownSignal,
    stop: &Stop,
) {
    let mut last_big = None;
    let (code, reason) = loop {
        let batch = tokio::select! {
            batch = subscription.next_batch() => batch,
            () = shutdown.wait() => break (CloseCode::Away, "server shutting down"),
            () = stop.notify.notified() => match stop.close_frame() {
                Some(close) => break close,
                None => {
                    let _ = tokio::time::timeout(Duration::from_millis(500), sink.close()).await;
                    return;
                }
            },
        };
        let batch = match batch {
            Ok(batch) => batch,
            Err(QueueEnd::Overflow) => {
                break (CloseCode::Again, "terminal output fell too far behind");
            }
            Err(QueueEnd::Closed) if shutdown.is_set() => {
                break (CloseCode::Away, "server shutting down");
            }
            Err(QueueEnd::Closed) => break (CloseCode::Normal, "client ended"),
        };
        let mut ended = None;
        let batch = match deflate.as_mut() {
            Some(stream) => {
                ended = coalesce(stream, batch, subscription, &mut last_big).await;
                vec![Message::Binary(stream.finish().into())]
            }
            None => batch,
        };
        let send_all = async {
            for message in batch {
                sink.feed(message).await?;
            }
            sink.flush().await
        };
        tokio::select! {
            sent = send_all => {
                if sent.is_err() {
                    return;
                }
            }
            // Stuck writing to a peer that does not read: give up on it.
            () = subscription.ended() => return,
            () = shutdown.wait() => return,
            () = stop.notify.notified() => return,
        }
        match ended {
            None => {}
            Some(QueueEnd::Overflow) => {
                break (CloseCode::Again, "terminal output fell too far behind");
            }
            Some(QueueEnd::Closed) if shutdown.is_set() => {
                break (CloseCode::Away, "server shutting down");
            }
            Some(QueueEnd::Closed) => break (CloseCode::Normal, "client ended"),
        }
    };
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(
        Duration::from_millis(500),
        sink.send(Message::Close(Some(frame))),
    )
    .await;
}

/// Output batches at least this big, one after another...
const FLOOD_BATCH: usize = 256;
/// ...each within this long of the one before, are a flood: its frames
/// collect output...
const FLOOD_GAP: Duration = Duration::from_millis(50);
/// ...until they hold this much...
const COALESCE_UP_TO: usize = 64 * 1024;
/// ...or no more output came for this long (under W1's flood, tmux
/// writes a chunk of ~0.8 KB every ~1.5 ms)...
const COALESCE_GAP: Duration = Duration::from_millis(4);
/// ...or they have been collecting for this long.
const COALESCE_FOR: Duration = Duration::from_millis(16);

/// Compresses `batch` into the frame `stream` is building, and under a
/// flood the output queued after it too. Every frame ends in a sync
/// flush, which costs the compressor far more than the bytes around it
/// (W1 came in ~1 KB frames, and the flushes were most of its CPU), so a
/// flood goes out in frames of many chunks. The first big batch after a
/// pause, and every small one (an echo, a keystroke's redraw), goes out at
/// once. `last_big`: when the latest big batch came (kept by the caller).
/// Returns how the queue ended if it did while collecting (the frame is
/// still sent first).
async fn coalesce(
    stream: &mut DeflateStream,
    batch: Vec<Message>,
    subscription: &Subscription,
    last_big: &mut Option<tokio::time::Instant>,
) -> Option<QueueEnd> {
    let mut raw = push_binary(stream, &batch);
    let now = tokio::time::Instant::now();
    if raw < FLOOD_BATCH {
        *last_big = None;
        return None;
    }
    let flood = last_big.is_some_and(|then| now - then <= FLOOD_GAP);
    *last_big = Some(now);
    if !flood {
        return None;
    }
    let deadline = now + COALESCE_FOR;
    let mut ended = None;
    while raw < COALESCE_UP_TO {
        let gap = (tokio::time::Instant::now() + COALESCE_GAP).min(deadline);
        match tokio::time::timeout_at(gap, subscription.next_batch()).await {
            Ok(Ok(more)) => raw += push_binary(stream, &more),
            Ok(Err(end)) => {
                ended = Some(end);
                break;
            }
            Err(_) => break,
        }
    }
    *last_big = Some(tokio::time::Instant::now());
    ended
}

/// Compresses the binary messages of `batch` into `stream`'s frame;
/// returns their size.
fn push_binary(stream: &mut DeflateStream, batch: &[Message]) -> usize {
    let mut raw = 0;
    for message in batch {
        if let Message::Binary(bytes) = message {
            stream.push(bytes);
            raw += bytes.len();
        }
    }
    raw
}

/// Forwards input and resizes until the socket closes.
async fn read_input(
    mut stream: SplitStream<Socket>,
    client: &Client,
    read_only: bool,
) -> Option<(CloseCode, &'static str)> {
    let mut warned = false;
    while let Some(frame) = stream.next().await {
        let message = match frame {
            Ok(message) => message,
            Err(WsError::Capacity(error)) => {
                log::info!("terminal socket of client {}: {error}", client.id);
                return Some((CloseCode::Size, "message too large"));
            }
            Err(WsError::Utf8(_)) => {
                log::info!(
                    "terminal socket of client {}: text frame is not UTF-8",
                    client.id
                );
                return Some((
                    CloseCode::Invalid,
                    "text frame is not UTF-8 (send binary frames)",
                ));
            }
            Err(error) => {
                log::debug!("terminal socket of client {}: {error}", client.id);
                return None;
            }
        };
        let input: &[u8] = match &message {
            Message::Text(text) => match classify_terminal_frame(text.as_bytes()) {
                TerminalFrame::Resize(size) => {
                    client.resize(pty_size(size));
                    continue;
                }
                TerminalFrame::Input(bytes) => bytes.into_inner(),
                _ => continue,
            },
            Message::Binary(bytes) => bytes,
            Message::Close(_) => return None,
            _ => continue,
        };
        if input.is_empty() {
            continue;
        }
        if read_only {
            if !warned {
                warned = true;
                client.tell(ServerMessage::Error {
                    message: "read-only".into(),
                });
            }
            continue;
        }
        client.write_input(input).await;
    }
    None
}

/// How the reader asks the writer to finish.
#[derive(Debug, Default)]
struct Stop {
    notify: Notify,
    close: std::sync::Mutex<Option<(CloseCode, &'static str)>>,
}

impl Stop {
    /// Asks the writer to stop, sending this close frame (or only flushing
    /// what is due, the reply to the peer's close included).
    fn request(&self, close: Option<(CloseCode, &'static str)>) {
        if let Ok(mut slot) = self.close.lock() {
            *slot = close;
        }
        self.notify.notify_one();
    }

    fn close_frame(&self) -> Option<(CloseCode, &'static str)> {
        self.close.lock().ok().and_then(|mut slot| slot.take())
    }
}

async fn close_socket(ws: &mut Socket, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(Duration::from_millis(500), ws.close(Some(frame))).await;
}

/// The PTY's size for a browser's `resize`.
///
/// One terminal size, two types on purpose: [`Resize`] is the wire message
/// (`{"type":"resize",…}`, refused with a [`ProtocolError`]) and
/// [`WindowSize`] the PTY's `ioctl` argument (refused with a `PtyError`);
/// `protocol` and `pty-bridge` depend on no crate of ours, so neither can
/// use the other's, and this is the one place they meet. Their ranges are
/// the same, checked at compile time, so every valid `Resize` is a valid
/// `WindowSize`.
fn pty_size(size: Resize) -> WindowSize {
    const _: () = assert!(
        Resize::MIN == WindowSize::MIN && Resize::MAX == WindowSize::MAX,
        "the wire's resize range and the PTY's size range must agree"
    );
    WindowSize {
        cols: size.cols,
        rows: size.rows,
    }
}

#[cfg(test)]
mod tests {
    use flate2::{Decompress, FlushDecompress};
    use futures_util::FutureExt;
    use tokio_tungstenite::tungstenite::Bytes;

    use super::*;
    use crate::fanout::Fanout;

    /// Inflates one frame; it must decode completely on its own.
    fn inflate(decompress: &mut Decompress, frame: &[u8]) -> Vec<u8> {
        // Room for any frame of these tests (at most a few KiB inflated).
        let mut out = Vec::with_capacity(1 << 16);
        decompress
            .decompress_vec(frame, &mut out, FlushDecompress::Sync)
            .expect("a valid raw DEFLATE stream");
        assert!(out.len() < out.capacity(), "inflated completely");
        out
    }

    fn chunk(byte: u8, len: usize) -> Bytes {
        Bytes::from(vec![byte; len])
    }

    #[test]
    fn small_output_and_the_first_big_batch_are_never_held_back() {
        let fanout = Fanout::default();
        let subscription = fanout.subscribe(true, 1 << 20);
        let mut stream = DeflateStream::default();
        let mut last_big = None;
        // An echo: sent at once (the future completes without waiting),
        // and it ends any flood.
        let echo = vec![Message::Binary(Bytes::from_static(b"x"))];
        let done = coalesce(&mut stream, echo, &subscription, &mut last_big).now_or_never();
        assert_eq!(done, Some(None));
        assert_eq!(last_big, None);
        // Output queued meanwhile stays for the next frame.
        fanout.publish(&chunk(b'q', 10), None);
        // A big batch after a pause: at once too, but noted.
        let big = vec![Message::Binary(chunk(b'b', FLOOD_BATCH))];
        let done = coalesce(&mut stream, big, &subscription, &mut last_big).now_or_never();
        assert_eq!(done, Some(None));
        assert!(last_big.is_some());
        let mut decompress = Decompress::new(false);
        let mut expected = b"x".to_vec();
        expected.extend_from_slice(&[b'b'; FLOOD_BATCH]);
        assert_eq!(inflate(&mut decompress, &stream.finish()), expected);
    }

    #[tokio::test]
    async fn under_a_flood_queued_output_joins_the_frame() {
        let fanout = Fanout::default();
        let subscription = fanout.subscribe(true, 1 << 20);
        let mut stream = DeflateStream::default();
        // The batch before was big and recent: a flood.
        let mut last_big = Some(tokio::time::Instant::now());
        fanout.publish(&chunk(b'2', 800), None);
        fanout.publish(&chunk(b'3', 800), None);
        let first = vec![Message::Binary(chunk(b'1', 800))];
        let ended = coalesce(&mut stream, first, &subscription, &mut last_big).await;
        assert_eq!(ended, None);
        let mut expected = vec![b'1'; 800];
        expected.extend_from_slice(&[b'2'; 800]);
        expected.extend_from_slice(&[b'3'; 800]);
        let mut decompress = Decompress::new(false);
        assert_eq!(
            inflate(&mut decompress, &stream.finish()),
            expected,
            "one frame"
        );

        // The queue ending while a frame collects: the frame keeps what
        // came, and the end is reported for after it is sent.
        fanout.publish(&chunk(b'4', 800), None);
        fanout.close_all();
        let next = vec![Message::Binary(chunk(b'5', 800))];
        let ended = coalesce(&mut stream, next, &subscription, &mut last_big).await;
        assert_eq!(ended, Some(QueueEnd::Closed));
        assert_eq!(inflate(&mut decompress, &stream.finish()), vec![b'5'; 800]);
    }
}
