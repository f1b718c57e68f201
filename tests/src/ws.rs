//! A minimal browser stand-in for the two WebSockets of PROTOCOL.md:
//! connect (optionally with an `Origin`), authenticate the control socket,
//! bind a terminal socket, and read with deadlines. Every wait panics with a
//! message naming what was expected, so a failing test says why.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A client WebSocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `ws://127.0.0.1:<port><path>`, sending `Origin: <origin>` when
/// given (browsers always send one; other clients may not).
pub async fn connect(port: u16, path: &str, origin: Option<&str>) -> Result<Ws, Error> {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
    connect_with_headers(port, path, &headers).await
}

/// Opens `ws://127.0.0.1:<port><path>` with extra (or replaced) request
/// headers, e.g. the `Host` and `Origin` a request through the tunnel has.
pub async fn connect_with_headers(
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Ws, Error> {
    let mut request = format!("ws://127.0.0.1:{port}{path}").into_client_request()?;
    for (name, value) in headers {
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_str(value).expect("a valid header value"),
        );
    }
    let (ws, _response) = tokio_tungstenite::connect_async(request).await?;
    Ok(ws)
}

/// Sends `value` as a JSON text frame.
pub async fn send_json(ws: &mut Ws, value: &Value) {
    ws.send(Message::text(value.to_string()))
        .await
        .expect("send a text frame");
}

/// Sends `text` as a text frame (terminal input).
pub async fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_owned()))
        .await
        .expect("send a text frame");
}

/// The next text frame, parsed as JSON (pings and pongs are skipped).
///
/// # Panics
///
/// On timeout, close, or a frame that is not JSON.
pub async fn recv_json(ws: &mut Ws, wait: Duration) -> Value {
    loop {
        let msg = timeout(wait, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no message within {wait:?}"))
            .unwrap_or_else(|| panic!("socket ended while waiting for a message"))
            .unwrap_or_else(|e| panic!("socket error while waiting for a message: {e}"));
        match msg {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str())
                    .unwrap_or_else(|e| panic!("text frame is not JSON ({e}): {text}"));
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a JSON text frame, got {other:?}"),
        }
    }
}

/// Reads messages until one has `"type": <ty>`, and returns it.
pub async fn recv_type(ws: &mut Ws, ty: &str, wait: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = recv_json(ws, left).await;
        if msg["type"] == ty {
            return msg;
        }
    }
}

/// An authenticated control socket and its client id.
#[derive(Debug)]
pub struct ControlClient {
    /// The socket, after `auth_ok` and `attached` were read.
    pub ws: Ws,
    /// `clientId` from `auth_ok`.
    pub client_id: String,
    /// The whole `auth_ok` message.
    pub auth_ok: Value,
    /// `session` from `attached`.
    pub attached_session: String,
}

/// Connects `/ws/control`, authenticates, and reads `auth_ok` and
/// `attached`.
///
/// # Panics
///
/// When any step fails, with the message received instead.
pub async fn control_attach(
    port: u16,
    token: &str,
    password: Option<&str>,
    wait: Duration,
) -> ControlClient {
    let mut ws = connect(port, "/ws/control", None)
        .await
        .expect("connect /ws/control");
    let mut auth = json!({"type": "auth", "token": token});
    if let Some(password) = password {
        auth["password"] = json!(password);
    }
    send_json(&mut ws, &auth).await;
    let auth_ok = recv_json(&mut ws, wait).await;
    assert_eq!(
        auth_ok["type"], "auth_ok",
        "expected auth_ok, got {auth_ok}"
    );
    let client_id = auth_ok["clientId"]
        .as_str()
        .expect("auth_ok carries clientId")
        .to_owned();
    let attached = recv_json(&mut ws, wait).await;
    assert_eq!(
        attached["type"], "attached",
        "expected attached, got {attached}"
    );
    let attached_session = attached["session"]
        .as_str()
        .expect("attached carries session")
        .to_owned();
    ControlClient {
        ws,
        client_id,
        auth_ok,
        attached_session,
    }
}

/// Connects `/ws/terminal` and binds it to `client_id`.
pub async fn terminal_attach(
    port: u16,
    token: &str,
    password: Option<&str>,
    client_id: &str,
) -> Ws {
    let mut ws = connect(port, "/ws/terminal", None)
        .await
        .expect("connect /ws/terminal");
    let mut auth = json!({"type": "auth", "token": token, "clientId": client_id});
    if let Some(password) = password {
        auth["password"] = json!(password);
    }
    send_json(&mut ws, &auth).await;
    ws
}

/// Reads terminal output (text or binary frames) until it contains
/// `needle`; returns everything read.
///
/// # Panics
///
/// On timeout or close, with the output seen so far.
pub async fn read_terminal_until(ws: &mut Ws, needle: &str, wait: Duration) -> String {
    let deadline = tokio::time::Instant::now() + wait;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let next = timeout(left, ws.next()).await;
        let msg = match next {
            Ok(Some(Ok(msg))) => msg,
            Ok(Some(Err(e))) => panic!(
                "terminal socket error ({e}); output so far: {:?}",
                String::from_utf8_lossy(&seen)
            ),
            Ok(None) => panic!(
                "terminal socket ended; output so far: {:?}",
                String::from_utf8_lossy(&seen)
            ),
            Err(_) => panic!(
                "{needle:?} not seen within {wait:?}; output so far: {:?}",
                String::from_utf8_lossy(&seen)
            ),
        };
        match msg {
            Message::Text(text) => seen.extend_from_slice(text.as_bytes()),
            Message::Binary(bytes) => seen.extend_from_slice(&bytes),
            Message::Close(frame) => panic!(
                "terminal socket closed ({frame:?}); output so far: {:?}",
                String::from_utf8_lossy(&seen)
            ),
            _ => {}
        }
        let text = String::from_utf8_lossy(&seen);
        if text.contains(needle) {
            return text.into_owned();
        }
    }
}

/// Reads until the peer closes; returns its close frame (`None` when the
/// connection ended without one).
///
/// # Panics
///
/// When nothing ends the socket within `wait`.
pub async fn wait_closed(ws: &mut Ws, wait: Duration) -> Option<CloseFrame> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match timeout(left, ws.next()).await {
            Err(_) => panic!("socket still open after {wait:?}"),
            Ok(None | Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Close(frame)))) => return frame,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// HTTP status of a refused WebSocket upgrade (`None` if it was accepted).
pub async fn upgrade_status(port: u16, path: &str, origin: Option<&str>) -> Option<u16> {
    match connect(port, path, origin).await {
        Ok(_) => None,
        Err(Error::Http(response)) => Some(response.status().as_u16()),
        Err(e) => panic!("upgrade failed without an HTTP answer: {e}"),
    }
}
