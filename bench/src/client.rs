//! The benchmark's browser stand-ins: a tmux-mobile client (control socket
//! plus a binary terminal socket, as PROTOCOL.md describes) and a ttyd
//! client (one socket, subprotocol `tty`, one-byte command prefixes as in
//! ttyd 1.7.7's `src/protocol.c`). Both are a [`Terminal`]: bytes in,
//! output chunks out, so W1 and W2 drive either the same way. A [`Pumped`]
//! terminal is read by a background task, as a browser reads its socket
//! all the time: pings get answered (ttyd closes a socket whose pongs stop
//! for 10 s) and output never waits in the server while the other peer
//! takes its turn.
//!
//! A tmux-mobile client may ask for the compressed terminal stream
//! (subprotocol `tmux-mobile.v1.deflate`): its output frames are then
//! inflated as one raw DEFLATE stream, and [`StreamBytes`] counts what came
//! over the socket and what it inflated to (W15).
//!
//! Every wait has a deadline and fails with a message instead of panicking,
//! so one broken row does not end the run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use flate2::{Decompress, FlushDecompress};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::screen::Scanner;

/// A client WebSocket.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Terminal size every benchmark client asks for (both peers alike).
pub(crate) const COLS: u16 = 120;
/// See [`COLS`].
pub(crate) const ROWS: u16 = 40;

/// The subprotocol of the compressed terminal stream (docs/PROTOCOL.md).
pub(crate) const DEFLATE_SUBPROTOCOL: &str = "tmux-mobile.v1.deflate";

/// Opens `ws://127.0.0.1:<port><path>`, asking for `protocol` when given;
/// fails when the server does not accept that protocol.
pub(crate) async fn connect(port: u16, path: &str, protocol: Option<&str>) -> Result<Ws, String> {
    let mut request = format!("ws://127.0.0.1:{port}{path}")
        .into_client_request()
        .map_err(|e| format!("bad request: {e}"))?;
    if let Some(p) = protocol {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(p).map_err(|e| format!("bad protocol: {e}"))?,
        );
    }
    let (ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("cannot open ws://127.0.0.1:{port}{path}: {e}"))?;
    if let Some(p) = protocol {
        let accepted = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        if accepted != Some(p) {
            return Err(format!(
                "ws://127.0.0.1:{port}{path} did not accept subprotocol {p} (answered {accepted:?})"
            ));
        }
    }
    Ok(ws)
}

/// The next JSON text frame of a control socket, before `deadline`.
pub(crate) async fn recv_json(ws: &mut Ws, deadline: Instant) -> Result<Value, String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = timeout(left, ws.next())
            .await
            .map_err(|_| "no control message in time".to_owned())?
            .ok_or("control socket ended")?
            .map_err(|e| format!("control socket error: {e}"))?;
        match msg {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str())
                    .map_err(|e| format!("control frame is not JSON ({e})"));
            }
            Message::Close(frame) => return Err(format!("control socket closed: {frame:?}")),
            _ => {}
        }
    }
}

/// Reads control messages until one has `"type": ty`.
pub(crate) async fn recv_type(ws: &mut Ws, ty: &str, wait: Duration) -> Result<Value, String> {
    let deadline = Instant::now() + wait;
    loop {
        let msg = recv_json(ws, deadline)
            .await
            .map_err(|e| format!("waiting for {ty}: {e}"))?;
        if msg["type"] == ty {
            return Ok(msg);
        }
        if msg["type"] == "error" || msg["type"] == "auth_error" {
            return Err(format!("waiting for {ty}, the server said {msg}"));
        }
    }
}

/// Sends a JSON text frame.
pub(crate) async fn send_json(ws: &mut Ws, value: &Value) -> Result<(), String> {
    ws.send(Message::text(value.to_string()))
        .await
        .map_err(|e| format!("cannot send: {e}"))
}

/// Output and input of one attached terminal, whichever server it talks to.
pub(crate) trait Terminal {
    /// Sends `bytes` as terminal input.
    fn send(&mut self, bytes: &[u8]) -> impl Future<Output = Result<(), String>>;
    /// The next chunk of terminal output (frames that are not output are
    /// skipped), before `deadline`.
    fn output(&mut self, deadline: Instant) -> impl Future<Output = Result<Vec<u8>, String>>;
}

/// Reads output until `needle` is visible; returns when it was first seen.
pub(crate) async fn wait_visible(
    term: &mut impl Terminal,
    scanner: &mut Scanner,
    needle: &str,
    wait: Duration,
) -> Result<Instant, String> {
    let deadline = Instant::now() + wait;
    loop {
        let chunk = term
            .output(deadline)
            .await
            .map_err(|e| format!("waiting for {needle:?}: {e}"))?;
        if std::env::var_os("BENCH_DEBUG").is_some() {
            eprintln!("chunk {:?}", String::from_utf8_lossy(&chunk));
        }
        if scanner.feed_and_find(&chunk, needle.as_bytes()) {
            return Ok(Instant::now());
        }
    }
}

/// A tmux-mobile client: an authenticated control socket and a terminal
/// socket bound to it that receives binary output frames.
#[derive(Debug)]
pub(crate) struct TmClient {
    /// The control socket (after `auth_ok` and `attached`).
    pub control: Ws,
    /// The terminal socket.
    pub terminal: Ws,
    /// The client's own grouped session, from `attached`.
    pub session: String,
    /// Whether the terminal socket carries the compressed stream.
    pub deflate: bool,
}

impl TmClient {
    /// Authenticates `/ws/control` with `token`, binds `/ws/terminal`
    /// (binary output), asks for [`COLS`]×[`ROWS`].
    pub(crate) async fn attach(port: u16, token: &str, wait: Duration) -> Result<Self, String> {
        Self::attach_with(port, token, wait, false).await
    }

    /// [`TmClient::attach`], with the compressed terminal stream when
    /// `deflate` (then read it through [`TmClient::pumped`], which
    /// inflates).
    pub(crate) async fn attach_with(
        port: u16,
        token: &str,
        wait: Duration,
        deflate: bool,
    ) -> Result<Self, String> {
        let mut control = connect(port, "/ws/control", None).await?;
        send_json(&mut control, &json!({"type": "auth", "token": token})).await?;
        let auth_ok = recv_type(&mut control, "auth_ok", wait).await?;
        let client_id = auth_ok["clientId"]
            .as_str()
            .ok_or("auth_ok without clientId")?
            .to_owned();
        let attached = recv_type(&mut control, "attached", wait).await?;
        let session = attached["session"]
            .as_str()
            .ok_or("attached without session")?
            .to_owned();
        let protocol = deflate.then_some(DEFLATE_SUBPROTOCOL);
        let mut terminal = connect(port, "/ws/terminal", protocol).await?;
        let bind = json!({"type": "auth", "token": token, "clientId": client_id, "binary": true});
        send_json(&mut terminal, &bind).await?;
        let resize = json!({"type": "resize", "cols": COLS, "rows": ROWS});
        send_json(&mut terminal, &resize).await?;
        Ok(Self {
            control,
            terminal,
            session,
            deflate,
        })
    }

    /// Reads (and drops) control messages in the background from now on,
    /// as a browser would, and reads terminal output in the background into
    /// a queue, so pings are answered and nothing piles up in the server
    /// while this client waits its turn.
    pub(crate) fn pumped(self) -> Pumped {
        let mut control = self.control;
        let drain = tokio::spawn(async move { while let Some(Ok(_)) = control.next().await {} });
        let inflater = self.deflate.then(|| Decompress::new(false));
        let mut pumped = Pumped::new(self.terminal, None, inflater);
        pumped.tasks.push(AbortOnDrop(drain));
        pumped
    }

    /// Reads (and drops) everything on both sockets in the background, as
    /// an idle browser would (answering pings); the client lives until the
    /// returned value is dropped.
    pub(crate) fn drain_all(self) -> Drained {
        let (mut control, mut terminal) = (self.control, self.terminal);
        Drained {
            _tasks: [
                AbortOnDrop(tokio::spawn(async move {
                    while let Some(Ok(_)) = control.next().await {}
                })),
                AbortOnDrop(tokio::spawn(async move {
                    while let Some(Ok(_)) = terminal.next().await {}
                })),
            ],
        }
    }
}

/// A client whose sockets are read in the background (see
/// [`TmClient::drain_all`]).
#[derive(Debug)]
pub(crate) struct Drained {
    _tasks: [AbortOnDrop; 2],
}

/// Aborts a background task when dropped.
#[derive(Debug)]
pub(crate) struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A terminal socket read by a background task into a queue: the output
/// of a tmux-mobile terminal socket, or of ttyd's socket with its command
/// byte removed (`prefix`: the byte input frames start with and output
/// frames must start with).
#[derive(Debug)]
pub(crate) struct Pumped {
    sink: SplitSink<Ws, Message>,
    output: mpsc::UnboundedReceiver<Result<Vec<u8>, String>>,
    prefix: Option<u8>,
    bytes: Arc<StreamBytes>,
    tasks: Vec<AbortOnDrop>,
}

/// What a terminal socket received so far: frames, their payload and the
/// bytes they carried as WebSocket frames (payload plus the 2–10 byte
/// header of an unmasked server frame), and the terminal output they
/// decoded to (the same as the payload without compression).
#[derive(Debug, Default)]
pub(crate) struct StreamBytes {
    frames: AtomicU64,
    payload: AtomicU64,
    framed: AtomicU64,
    output: AtomicU64,
    output_framed: AtomicU64,
}

/// A snapshot of [`StreamBytes`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ByteCount {
    /// Output frames.
    pub frames: u64,
    /// Their payload.
    pub payload: u64,
    /// Their payload with frame headers: the bytes on the wire.
    pub framed: u64,
    /// Terminal output decoded from them.
    pub output: u64,
    /// The same output sent uncompressed in the same frames (headers
    /// included): what the uncompressed stream costs for these bytes.
    pub output_framed: u64,
}

impl ByteCount {
    /// What was received since `earlier`.
    pub(crate) fn since(self, earlier: ByteCount) -> ByteCount {
        ByteCount {
            frames: self.frames - earlier.frames,
            payload: self.payload - earlier.payload,
            framed: self.framed - earlier.framed,
            output: self.output - earlier.output,
            output_framed: self.output_framed - earlier.output_framed,
        }
    }
}

/// The header of an unmasked WebSocket frame of `len` payload bytes.
fn frame_header(len: usize) -> u64 {
    match len {
        0..=125 => 2,
        126..=65535 => 4,
        _ => 10,
    }
}

impl StreamBytes {
    fn add(&self, payload: usize, output: usize) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.payload.fetch_add(payload as u64, Ordering::Relaxed);
        self.framed
            .fetch_add(payload as u64 + frame_header(payload), Ordering::Relaxed);
        self.output.fetch_add(output as u64, Ordering::Relaxed);
        self.output_framed
            .fetch_add(output as u64 + frame_header(output), Ordering::Relaxed);
    }

    fn snapshot(&self) -> ByteCount {
        ByteCount {
            frames: self.frames.load(Ordering::Relaxed),
            payload: self.payload.load(Ordering::Relaxed),
            framed: self.framed.load(Ordering::Relaxed),
            output: self.output.load(Ordering::Relaxed),
            output_framed: self.output_framed.load(Ordering::Relaxed),
        }
    }
}

/// Inflates one frame of a raw DEFLATE stream that ends in a sync flush.
fn inflate(d: &mut Decompress, mut input: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len().saturating_mul(4).max(256));
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(16 * 1024));
        }
        let (in0, out0) = (d.total_in(), d.total_out());
        d.decompress_vec(input, &mut out, FlushDecompress::Sync)
            .map_err(|e| format!("the compressed stream does not inflate: {e}"))?;
        let consumed = usize::try_from(d.total_in() - in0).unwrap_or(usize::MAX);
        input = &input[consumed.min(input.len())..];
        let progressed = consumed > 0 || d.total_out() > out0;
        // Done when all input is in and the inflater stopped short of a
        // full buffer (so nothing is pending inside it).
        if input.is_empty() && out.len() < out.capacity() {
            return Ok(out);
        }
        if !progressed {
            return Err("the compressed stream stalls: a frame that does not inflate".into());
        }
    }
}

impl Pumped {
    fn new(ws: Ws, prefix: Option<u8>, mut inflater: Option<Decompress>) -> Self {
        let (sink, mut stream) = ws.split();
        let (tx, output) = mpsc::unbounded_channel();
        let bytes = Arc::new(StreamBytes::default());
        let counted = Arc::clone(&bytes);
        let reader = tokio::spawn(async move {
            loop {
                let item = match stream.next().await {
                    None => Err("socket ended".to_owned()),
                    Some(Err(e)) => Err(format!("socket error: {e}")),
                    Some(Ok(Message::Close(frame))) => Err(format!("socket closed: {frame:?}")),
                    Some(Ok(Message::Binary(b))) => match inflater.as_mut() {
                        Some(d) => inflate(d, &b).inspect(|out| counted.add(b.len(), out.len())),
                        None => {
                            counted.add(b.len(), b.len());
                            Ok(b.to_vec())
                        }
                    },
                    Some(Ok(Message::Text(t))) => {
                        counted.add(t.len(), t.len());
                        Ok(t.as_bytes().to_vec())
                    }
                    Some(Ok(_)) => continue,
                };
                let item = match (item, prefix) {
                    (Ok(bytes), Some(p)) => match bytes.split_first() {
                        Some((&first, rest)) if first == p => Ok(rest.to_vec()),
                        // ttyd's title and preferences are not output.
                        _ => continue,
                    },
                    (item, _) => item,
                };
                let end = item.is_err();
                if tx.send(item).is_err() || end {
                    return;
                }
            }
        });
        Self {
            sink,
            output,
            prefix,
            bytes,
            tasks: vec![AbortOnDrop(reader)],
        }
    }

    /// What this socket has received so far.
    pub(crate) fn bytes(&self) -> ByteCount {
        self.bytes.snapshot()
    }
}

impl Terminal for Pumped {
    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let frame = match self.prefix {
            Some(p) => [&[p][..], bytes].concat(),
            None => bytes.to_vec(),
        };
        self.sink
            .send(Message::binary(frame))
            .await
            .map_err(|e| format!("cannot send input: {e}"))
    }

    async fn output(&mut self, deadline: Instant) -> Result<Vec<u8>, String> {
        timeout(
            deadline.saturating_duration_since(Instant::now()),
            self.output.recv(),
        )
        .await
        .map_err(|_| "no terminal output in time".to_owned())?
        .unwrap_or_else(|| Err("terminal reader ended".into()))
    }
}

/// Terminal output of a tmux-mobile terminal socket (text or binary).
async fn tm_output(ws: &mut Ws, deadline: Instant) -> Result<Vec<u8>, String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = timeout(left, ws.next())
            .await
            .map_err(|_| "no terminal output in time".to_owned())?
            .ok_or("terminal socket ended")?
            .map_err(|e| format!("terminal socket error: {e}"))?;
        match msg {
            Message::Binary(bytes) => return Ok(bytes.to_vec()),
            Message::Text(text) => return Ok(text.as_bytes().to_vec()),
            Message::Close(frame) => return Err(format!("terminal socket closed: {frame:?}")),
            _ => {}
        }
    }
}

impl Terminal for TmClient {
    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.terminal
            .send(Message::binary(bytes.to_vec()))
            .await
            .map_err(|e| format!("cannot send input: {e}"))
    }

    async fn output(&mut self, deadline: Instant) -> Result<Vec<u8>, String> {
        tm_output(&mut self.terminal, deadline).await
    }
}

/// ttyd's client → server input command (`src/server.h`); output frames
/// start with the same byte.
const TTYD_INPUT: u8 = b'0';

/// Connects to ttyd (`/ws`, subprotocol `tty`) and sends the initial JSON
/// (no credential, [`COLS`]×[`ROWS`]), which makes ttyd start its command.
pub(crate) async fn ttyd_attach(port: u16) -> Result<Pumped, String> {
    let mut ws = connect(port, "/ws", Some("tty")).await?;
    let hello = json!({"AuthToken": "", "columns": COLS, "rows": ROWS}).to_string();
    ws.send(Message::binary(hello.into_bytes()))
        .await
        .map_err(|e| format!("cannot send to ttyd: {e}"))?;
    Ok(Pumped::new(ws, Some(TTYD_INPUT), None))
}
