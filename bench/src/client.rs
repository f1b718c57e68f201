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
//! Every wait has a deadline and fails with a message instead of panicking,
//! so one broken row does not end the run.

use std::time::Duration;

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

/// Opens `ws://127.0.0.1:<port><path>`, asking for `protocol` when given.
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
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("cannot open ws://127.0.0.1:{port}{path}: {e}"))?;
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
}

impl TmClient {
    /// Authenticates `/ws/control` with `token`, binds `/ws/terminal`
    /// (binary output), asks for [`COLS`]×[`ROWS`].
    pub(crate) async fn attach(port: u16, token: &str, wait: Duration) -> Result<Self, String> {
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
        let mut terminal = connect(port, "/ws/terminal", None).await?;
        let bind = json!({"type": "auth", "token": token, "clientId": client_id, "binary": true});
        send_json(&mut terminal, &bind).await?;
        let resize = json!({"type": "resize", "cols": COLS, "rows": ROWS});
        send_json(&mut terminal, &resize).await?;
        Ok(Self {
            control,
            terminal,
            session,
        })
    }

    /// Reads (and drops) control messages in the background from now on,
    /// as a browser would, and reads terminal output in the background into
    /// a queue, so pings are answered and nothing piles up in the server
    /// while this client waits its turn.
    pub(crate) fn pumped(self) -> Pumped {
        let mut control = self.control;
        let drain = tokio::spawn(async move { while let Some(Ok(_)) = control.next().await {} });
        let mut pumped = Pumped::new(self.terminal, None);
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
    tasks: Vec<AbortOnDrop>,
}

impl Pumped {
    fn new(ws: Ws, prefix: Option<u8>) -> Self {
        let (sink, mut stream) = ws.split();
        let (tx, output) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            loop {
                let item = match stream.next().await {
                    None => Err("socket ended".to_owned()),
                    Some(Err(e)) => Err(format!("socket error: {e}")),
                    Some(Ok(Message::Close(frame))) => Err(format!("socket closed: {frame:?}")),
                    Some(Ok(Message::Binary(b))) => Ok(b.to_vec()),
                    Some(Ok(Message::Text(t))) => Ok(t.as_bytes().to_vec()),
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
            tasks: vec![AbortOnDrop(reader)],
        }
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
    Ok(Pumped::new(ws, Some(TTYD_INPUT)))
}
