//! The WebSocket handshake on hyper 1: validate the request, enforce the
//! origin policy *before* switching protocols, answer `101`, then hand the
//! upgraded byte stream to tungstenite with size limits.
//!
//! tungstenite has no permessage-deflate, so `Sec-WebSocket-Extensions` is
//! never echoed (browsers then speak uncompressed frames). Compression is
//! negotiated instead as the subprotocol
//! [`DEFLATE_SUBPROTOCOL`](tmux_mobile_protocol::DEFLATE_SUBPROTOCOL) on
//! `/ws/terminal` (see `crate::deflate`), and state deltas as
//! [`STATE_DELTA_SUBPROTOCOL`](tmux_mobile_protocol::STATE_DELTA_SUBPROTOCOL)
//! on `/ws/control`.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};

use crate::http::{Body, status_only};
use crate::limits::CLOSE_TOO_MANY;
use crate::server::Shared;

/// The two WebSocket endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/ws/control`: JSON control messages.
    Control,
    /// `/ws/terminal`: raw terminal bytes.
    Terminal,
}

impl Endpoint {
    /// The endpoint at exactly this path (the query string is not part of it).
    pub(crate) fn from_path(path: &str) -> Option<Self> {
        match path {
            "/ws/control" => Some(Self::Control),
            "/ws/terminal" => Some(Self::Terminal),
            _ => None,
        }
    }

    /// Largest frame and message accepted on this endpoint.
    fn limit(self) -> usize {
        match self {
            Self::Control => tmux_mobile_protocol::CONTROL_FRAME_LIMIT,
            Self::Terminal => tmux_mobile_protocol::TERMINAL_FRAME_LIMIT,
        }
    }

    /// Initial read buffer: browsers send small frames here (it grows for a
    /// large one), and tungstenite's default of 128 KiB per socket would be
    /// most of a client's memory.
    fn read_buffer(self) -> usize {
        match self {
            Self::Control => 8 * 1024,
            Self::Terminal => 16 * 1024,
        }
    }

    /// The tungstenite configuration with this endpoint's limits.
    pub(crate) fn config(self) -> WebSocketConfig {
        let limit = self.limit();
        WebSocketConfig::default()
            .read_buffer_size(self.read_buffer())
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit))
            // Bounds what a peer that does not read can make us buffer.
            .max_write_buffer_size(limit + 512 * 1024)
    }
}

/// Whether a request asks for a WebSocket (`Upgrade: websocket`).
pub(crate) fn wants_websocket(headers: &HeaderMap) -> bool {
    header_has_token(headers, header::UPGRADE, "websocket")
}

/// Whether a comma-separated header contains `token` (case-insensitive).
fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// Answers an upgrade request on `endpoint`: `101` and a spawned socket
/// task, or the status that explains the refusal.
pub(crate) fn accept<B>(
    mut req: Request<B>,
    endpoint: Endpoint,
    shared: &Arc<Shared>,
    peer: SocketAddr,
) -> Response<Body> {
    if req.method() != Method::GET {
        return status_only(StatusCode::METHOD_NOT_ALLOWED);
    }
    if req.version() != Version::HTTP_11 {
        return status_only(StatusCode::HTTP_VERSION_NOT_SUPPORTED);
    }
    let headers = req.headers();
    if !header_has_token(headers, header::CONNECTION, "upgrade") {
        return status_only(StatusCode::BAD_REQUEST);
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        != Some("13")
    {
        let mut response = status_only(StatusCode::UPGRADE_REQUIRED);
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return response;
    }
    let Some(key) = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|v| v.as_bytes().trim_ascii().to_vec())
        .filter(|key| valid_key(key))
    else {
        return status_only(StatusCode::BAD_REQUEST);
    };

    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    if let Err(error) = shared
        .options
        .origin_policy
        .check(origin, host, forwarded_https)
    {
        log::warn!(
            "refused {endpoint:?} WebSocket from {peer}: origin {:?} not allowed for host {:?} ({error})",
            origin.unwrap_or("<none>"),
            host.unwrap_or("<none>")
        );
        return status_only(StatusCode::FORBIDDEN);
    }
    if shared.shutdown.is_set() {
        return status_only(StatusCode::SERVICE_UNAVAILABLE);
    }

    // The one subprotocol each endpoint speaks, if the client offered it.
    let subprotocol = match endpoint {
        Endpoint::Terminal => tmux_mobile_protocol::DEFLATE_SUBPROTOCOL,
        Endpoint::Control => tmux_mobile_protocol::STATE_DELTA_SUBPROTOCOL,
    };
    let negotiated = header_has_token(req.headers(), header::SEC_WEBSOCKET_PROTOCOL, subprotocol);
    let peer = client_address(peer, req.headers(), shared.options.trust_cf_connecting_ip);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Counted from here until the socket task ends; over a limit the
    // socket is still upgraded, so the browser gets a close code and a
    // reason instead of a failed handshake it cannot explain.
    let permit = shared.sockets.open(peer.ip(), &shared.options.limits);
    let upgrade = hyper::upgrade::on(&mut req);
    let token = shared.tasks.token();
    let task_shared = Arc::clone(shared);
    tokio::spawn(async move {
        let _token = token;
        let upgraded = match upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                log::debug!("WebSocket upgrade from {peer} failed: {error}");
                return;
            }
        };
        let mut ws = WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            Some(endpoint.config()),
        )
        .await;
        let _permit = match permit {
            Ok(permit) => permit,
            Err(reason) => {
                log::warn!("refused {endpoint:?} WebSocket from {peer}: {reason}");
                close_too_many(&mut ws, reason).await;
                return;
            }
        };
        match endpoint {
            Endpoint::Control => {
                let label = crate::devices::label_from_user_agent(&user_agent);
                crate::control::run(ws, task_shared, peer, negotiated, label).await
            }
            Endpoint::Terminal => crate::terminal::run(ws, task_shared, peer, negotiated).await,
        }
    });

    log::info!("{endpoint:?} WebSocket opened from {peer}");
    let mut response = status_only(StatusCode::SWITCHING_PROTOCOLS);
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(&key)) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if negotiated {
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(subprotocol),
        );
    }
    response
}

/// The address a client is throttled and logged by: the TCP peer, or, when
/// [`ServerOptions::trust_cf_connecting_ip`](crate::ServerOptions::trust_cf_connecting_ip)
/// is on and the peer is loopback (the local `cloudflared`), the client
/// address Cloudflare's edge put in `CF-Connecting-IP`.
pub(crate) fn client_address(
    peer: SocketAddr,
    headers: &HeaderMap,
    trust_cloudflare: bool,
) -> SocketAddr {
    if !trust_cloudflare || !peer.ip().is_loopback() {
        return peer;
    }
    headers
        .get("cf-connecting-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok())
        .map_or(peer, |ip| SocketAddr::new(ip, peer.port()))
}

/// A `Sec-WebSocket-Key` is the base64 of 16 bytes: 22 characters and `==`.
fn valid_key(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// Closes a socket that is over a limit with [`CLOSE_TOO_MANY`] and the
/// reason (the close frame carries at most 123 bytes of it).
pub(crate) async fn close_too_many(ws: &mut Socket, reason: String) {
    use futures_util::SinkExt as _;
    let mut reason = reason;
    while reason.len() > 123 {
        reason.pop();
    }
    let frame = CloseFrame {
        code: CloseCode::Library(CLOSE_TOO_MANY),
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        ws.send(Message::Close(Some(frame))),
    )
    .await;
}

/// The upgraded connection type the socket handlers work on.
pub(crate) type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_exact_paths() {
        assert_eq!(Endpoint::from_path("/ws/control"), Some(Endpoint::Control));
        assert_eq!(
            Endpoint::from_path("/ws/terminal"),
            Some(Endpoint::Terminal)
        );
        assert_eq!(Endpoint::from_path("/ws/control/"), None);
        assert_eq!(Endpoint::from_path("/ws/other"), None);
        assert_eq!(Endpoint::from_path("/"), None);
    }

    #[test]
    fn keys_must_be_16_bytes_of_base64() {
        assert!(valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!valid_key(b"short=="));
        assert!(!valid_key(b"dGhlIHNhbXBsZSBub25jZQ!="));
    }

    #[test]
    fn cloudflare_client_address_only_from_loopback_and_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cf-connecting-ip",
            HeaderValue::from_static(" 203.0.113.7 "),
        );
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "198.51.100.1:5000".parse().unwrap();
        let forwarded: SocketAddr = "203.0.113.7:5000".parse().unwrap();
        assert_eq!(client_address(local, &headers, true), forwarded);
        assert_eq!(client_address(local, &headers, false), local);
        assert_eq!(client_address(remote, &headers, true), remote);
        headers.insert("cf-connecting-ip", HeaderValue::from_static("not-an-ip"));
        assert_eq!(client_address(local, &headers, true), local);
    }

    #[test]
    fn connection_header_tokens() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        assert!(header_has_token(&headers, header::CONNECTION, "upgrade"));
        assert!(wants_websocket(&headers));
    }
}
