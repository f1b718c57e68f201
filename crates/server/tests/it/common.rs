//! Clients for the integration tests: raw HTTP, a control socket speaking
//! JSON and a terminal socket, all over real TCP to a `TestServer`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tmux_mobile_server::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Generous: tests run in parallel on a loaded 2-core machine.
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A parsed HTTP response.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request_head` (without the final blank line) and reads the whole
/// response (the request asks the server to close the connection).
pub(crate) async fn http_raw(server: &TestServer, request_head: &str) -> HttpResponse {
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    let request = format!("{request_head}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .expect("read");
    parse_response(&raw)
}

/// `GET <path>` with extra header lines.
pub(crate) async fn http_get(server: &TestServer, path: &str, headers: &[&str]) -> HttpResponse {
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {}", server.addr());
    for header in headers {
        head.push_str("\r\n");
        head.push_str(header);
    }
    http_raw(server, &head).await
}

fn parse_response(raw: &[u8]) -> HttpResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// A raw upgrade request; returns the status line's code and the response
/// headers.
pub(crate) async fn upgrade_status(
    server: &TestServer,
    path: &str,
    extra: &[&str],
) -> HttpResponse {
    let mut head = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        server.addr()
    );
    let has_version = extra
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("sec-websocket-version"));
    if !has_version {
        head.push_str("\r\nSec-WebSocket-Version: 13");
    }
    for header in extra {
        head.push_str("\r\n");
        head.push_str(header);
    }
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    stream
        .write_all(format!("{head}\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + DEADLINE;
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .expect("response in time")
            .expect("read");
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    parse_response(&raw)
}

/// Opens a WebSocket to `path`.
pub(crate) async fn ws_connect(server: &TestServer, path: &str) -> Ws {
    let (ws, _) = tokio::time::timeout(
        DEADLINE,
        tokio_tungstenite::connect_async(server.ws_url(path)),
    )
    .await
    .expect("connect in time")
    .expect("WebSocket handshake");
    ws
}

/// Opens a WebSocket to `path` with extra request headers.
pub(crate) async fn ws_connect_with_headers(
    server: &TestServer,
    path: &str,
    headers: &[(&'static str, &str)],
) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = server
        .ws_url(path)
        .into_client_request()
        .expect("a valid WebSocket URL");
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, value.parse().expect("a valid header value"));
    }
    let (ws, _) = tokio::time::timeout(DEADLINE, tokio_tungstenite::connect_async(request))
        .await
        .expect("connect in time")
        .expect("WebSocket handshake");
    ws
}

/// What a socket delivered next.
#[derive(Debug)]
pub(crate) enum Next {
    Json(Value),
    Closed(Option<CloseFrame>),
}

/// A control socket.
pub(crate) struct Control {
    pub ws: Ws,
}

impl Control {
    pub(crate) async fn connect(server: &TestServer) -> Control {
        Control {
            ws: ws_connect(server, "/ws/control").await,
        }
    }

    pub(crate) async fn send(&mut self, value: Value) {
        self.ws
            .send(Message::Text(value.to_string().into()))
            .await
            .expect("send");
    }

    pub(crate) async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("send");
    }

    /// The next JSON message, or the close.
    pub(crate) async fn next(&mut self) -> Next {
        loop {
            let frame = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .expect("a message in time");
            match frame {
                None | Some(Err(_)) => return Next::Closed(None),
                Some(Ok(Message::Close(frame))) => return Next::Closed(frame),
                Some(Ok(Message::Text(text))) => {
                    return Next::Json(serde_json::from_str(&text).expect("JSON from server"));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next JSON message; panics on close.
    pub(crate) async fn recv(&mut self) -> Value {
        match self.next().await {
            Next::Json(value) => value,
            Next::Closed(frame) => panic!("control socket closed: {frame:?}"),
        }
    }

    /// Skips messages until one of type `ty` arrives.
    pub(crate) async fn recv_type(&mut self, ty: &str) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            assert!(Instant::now() < deadline, "no {ty} in time");
            let value = self.recv().await;
            if value["type"] == "error" && ty != "error" {
                panic!("unexpected error while waiting for {ty}: {value}");
            }
            if value["type"] == ty {
                return value;
            }
        }
    }

    /// Skips messages until an `error` or `auth_error` (returned) arrives.
    pub(crate) async fn recv_error(&mut self) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            assert!(Instant::now() < deadline, "no error in time");
            let value = self.recv().await;
            if value["type"] == "error" || value["type"] == "auth_error" {
                return value;
            }
        }
    }

    /// Reads messages until both a message of type `ty` and a `tmux_state`
    /// satisfying `pred` have arrived, in either order (the server may push
    /// a state already showing an event before the message announcing it:
    /// the state's push and the announcement are separate wake-ups of the
    /// socket's task). Returns the message and the state.
    pub(crate) async fn recv_type_and_state(
        &mut self,
        ty: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> (Value, Value) {
        let deadline = Instant::now() + DEADLINE;
        let (mut message, mut state) = (None, None);
        loop {
            if let (Some(message), Some(state)) = (&message, &state) {
                return (Value::clone(message), Value::clone(state));
            }
            assert!(
                Instant::now() < deadline,
                "no {ty} and matching tmux_state in time"
            );
            let value = self.recv().await;
            if value["type"] == "error" && ty != "error" {
                panic!("unexpected error while waiting for {ty}: {value}");
            }
            if value["type"] == ty && message.is_none() {
                message = Some(value);
            } else if value["type"] == "tmux_state" {
                // The latest state counts: a later one may have changed.
                state = pred(&value["state"]).then(|| value["state"].clone());
            }
        }
    }

    /// Skips `tmux_state`s until one satisfies `pred` (given the state).
    pub(crate) async fn wait_state(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            assert!(Instant::now() < deadline, "no matching tmux_state in time");
            let value = self.recv().await;
            if value["type"] == "tmux_state" && pred(&value["state"]) {
                return value["state"].clone();
            }
            if value["type"] == "error" {
                panic!("unexpected error while waiting for state: {value}");
            }
        }
    }

    /// Sends `auth` with the server's token (and password, if any).
    pub(crate) async fn auth(&mut self, server: &TestServer, client_id: Option<&str>) -> Value {
        let mut message = json!({"type": "auth", "token": server.token()});
        if let Some(password) = server.password() {
            message["password"] = json!(password);
        }
        if let Some(id) = client_id {
            message["clientId"] = json!(id);
        }
        self.send(message).await;
        let reply = self.recv().await;
        assert_eq!(reply["type"], "auth_ok", "auth failed: {reply}");
        reply
    }

    /// Waits for the socket to close; returns the close frame.
    pub(crate) async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            if let Next::Closed(frame) = self.next().await {
                return frame;
            }
        }
    }
}

/// A control socket after the full handshake with exactly one base
/// session: `(control, clientId, own session name, first tmux_state)`.
pub(crate) async fn attached_client(server: &TestServer) -> (Control, String, String, Value) {
    let mut control = Control::connect(server).await;
    let ok = control.auth(server, None).await;
    let client_id = ok["clientId"].as_str().expect("clientId").to_owned();
    let attached = control.recv().await;
    assert_eq!(attached["type"], "attached", "{attached}");
    let session = attached["session"].as_str().expect("session").to_owned();
    assert_eq!(session, format!("tmux-mobile-client-{client_id}"));
    let state = control.recv().await;
    assert_eq!(state["type"], "tmux_state", "{state}");
    (control, client_id, session, state["state"].clone())
}

/// The session called `name` in a `tmux_state` body.
pub(crate) fn session<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["sessions"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
}

/// The active window of session `name`.
pub(crate) fn active_window<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    session(state, name)?["windowStates"]
        .as_array()?
        .iter()
        .find(|w| w["active"] == true)
}

/// The active pane id of the active window of session `name`.
pub(crate) fn active_pane(state: &Value, name: &str) -> Option<String> {
    active_window(state, name)?["panes"]
        .as_array()?
        .iter()
        .find(|p| p["active"] == true)
        .and_then(|p| p["id"].as_str())
        .map(str::to_owned)
}

/// A terminal socket.
pub(crate) struct Terminal {
    pub ws: Ws,
}

impl Terminal {
    /// Connects and authenticates for `client_id` (no answer on success).
    pub(crate) async fn connect(server: &TestServer, client_id: &str, binary: bool) -> Terminal {
        Self::connect_with(server, server.token(), client_id, binary).await
    }

    /// Like [`Terminal::connect`] with another token.
    pub(crate) async fn connect_with(
        server: &TestServer,
        token: &str,
        client_id: &str,
        binary: bool,
    ) -> Terminal {
        let mut ws = ws_connect(server, "/ws/terminal").await;
        let mut auth = json!({"type": "auth", "token": token, "clientId": client_id});
        if let Some(password) = server.password() {
            auth["password"] = json!(password);
        }
        if binary {
            auth["binary"] = json!(true);
        }
        ws.send(Message::Text(auth.to_string().into()))
            .await
            .expect("send auth");
        Terminal { ws }
    }

    pub(crate) async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("send");
    }

    /// Reads output until `needle` appears; returns everything read.
    /// Asserts that every frame is of the expected kind.
    pub(crate) async fn read_until(&mut self, needle: &str, binary: bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{needle:?} not seen in time; got {:?}",
                        String::from_utf8_lossy(&seen)
                    )
                });
            match frame {
                Some(Ok(Message::Text(text))) => {
                    assert!(!binary, "text frame on a binary terminal");
                    seen.extend_from_slice(text.as_bytes());
                }
                Some(Ok(Message::Binary(bytes))) => {
                    assert!(binary, "binary frame on a text terminal");
                    seen.extend_from_slice(&bytes);
                }
                Some(Ok(_)) => continue,
                other => panic!(
                    "terminal closed ({other:?}) before {needle:?}; got {:?}",
                    String::from_utf8_lossy(&seen)
                ),
            }
            let text = String::from_utf8_lossy(&seen);
            if text.contains(needle) {
                return text.into_owned();
            }
        }
    }

    /// Waits for the close frame.
    pub(crate) async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            let frame = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .expect("close in time");
            match frame {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
            }
        }
    }
}

/// Polls `check` until it is true (or panics after the deadline).
pub(crate) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Managed session names on the server's tmux.
pub(crate) fn managed_sessions(server: &TestServer) -> Vec<String> {
    server
        .session_names()
        .into_iter()
        .filter(|n| n.starts_with("tmux-mobile-client-") && !n.contains('~'))
        .collect()
}
