//! HTTP routing: `/api/config`, the embedded single-page app, and the hand-off
//! of WebSocket upgrades to [`crate::upgrade`].
//!
//! Every response — errors and the `101` included — carries the same security
//! headers ([`secure_headers`]): the URL of this app holds a bearer token, so
//! referrers are suppressed, framing is forbidden and scripts may only come
//! from this origin.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::assets::Asset;
use crate::server::Shared;
use crate::upgrade;

/// The body type of every response this server produces.
pub(crate) type Body = Full<Bytes>;

/// Content Security Policy of every response.
///
/// No inline or remote scripts, no inline `<style>` (the UI gives xterm.js
/// its styles through constructed stylesheets, which CSP allows), no
/// framing. `connect-src` lists `ws:`/`wss:` because older Safari does not
/// match WebSocket URLs against `'self'`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws: wss:; \
manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
form-action 'self'; object-src 'none'";

/// `Cache-Control` for content-hashed files under `/assets/`.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` for other static files: cache, but revalidate (ETag).
const REVALIDATE: &str = "no-cache";
/// `Cache-Control` for `index.html` and the API: never stored.
const NO_STORE: &str = "no-store";

/// Entry point of [`crate::ServerService`]: routes one request. Only the
/// `/api/push/…` endpoints read a body (bounded in size and time); every
/// other route ignores it.
pub(crate) async fn handle<B>(
    req: Request<B>,
    shared: Arc<Shared>,
    peer: SocketAddr,
) -> Response<Body>
where
    B: RequestBody,
{
    let mut response = if crate::push::is_push_path(req.uri().path()) {
        crate::push::handle(req, Arc::clone(&shared), peer).await
    } else {
        route(req, &shared, peer)
    };
    secure_headers(response.headers_mut());
    response
}

/// What a request body must be for [`crate::ServerService`]: any hyper 1
/// body that can be sent between threads (hyper's `Incoming`, a
/// framework's body type).
pub trait RequestBody:
    hyper::body::Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
    + Send
    + 'static
{
}

impl<B> RequestBody for B where
    B: hyper::body::Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
        + Send
        + 'static
{
}

fn route<B>(req: Request<B>, shared: &Arc<Shared>, peer: SocketAddr) -> Response<Body> {
    // The path only: the query string carries the access token.
    let path = req.uri().path().to_owned();
    log::debug!("{peer} {} {path}", req.method());
    let is_ws_path = path == "/ws" || path.starts_with("/ws/");

    if upgrade::wants_websocket(req.headers()) {
        return match upgrade::Endpoint::from_path(&path) {
            Some(endpoint) => upgrade::accept(req, endpoint, shared, peer),
            None => {
                log::debug!("refused WebSocket upgrade on {path:?} from {peer}");
                status_only(StatusCode::NOT_FOUND)
            }
        };
    }
    if is_ws_path {
        return status_only(StatusCode::NOT_FOUND);
    }

    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut response = status_only(StatusCode::METHOD_NOT_ALLOWED);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
    };

    if path == "/api/config" {
        return config(shared, head);
    }
    serve_static(&path, req.headers(), shared, head)
}

/// `GET /api/config`: what the UI needs before it opens a socket.
fn config(shared: &Shared, head: bool) -> Response<Body> {
    let body = serde_json::json!({
        "passwordRequired": shared.options.authenticator.password_required(),
        "scrollbackLines": shared.options.scrollback_lines,
        "pollIntervalMs": shared.options.poll_interval_ms,
        "protocolVersion": tmux_mobile_protocol::PROTOCOL_VERSION,
    })
    .to_string();
    let mut response = bytes_response(StatusCode::OK, Bytes::from(body), head);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    response
}

/// A file of the UI by path, `index.html` for `/` and for unknown paths (the
/// app routes on the client), `404` for unknown files under `/assets/`
/// (answering HTML where a script was asked for only hides the error).
fn serve_static(path: &str, headers: &HeaderMap, shared: &Shared, head: bool) -> Response<Body> {
    let assets = &shared.options.assets;
    let (asset, cache) = match assets.get(path) {
        Some(asset) if path == "/" || path == "/index.html" => (asset, NO_STORE),
        Some(asset) if path.starts_with("/assets/") => (asset, IMMUTABLE),
        Some(asset) => (asset, REVALIDATE),
        None if path.starts_with("/assets/") => return status_only(StatusCode::NOT_FOUND),
        None => (assets.index(), NO_STORE),
    };
    file_response(asset, cache, headers, head)
}

fn file_response(
    asset: &Asset,
    cache: &'static str,
    request: &HeaderMap,
    head: bool,
) -> Response<Body> {
    let gzip = asset.gzip.as_ref().filter(|_| accepts_gzip(request));
    let (body, etag) = match gzip {
        Some(gz) => (gz.body.clone(), gz.etag()),
        None => (asset.body.clone(), asset.etag()),
    };
    let not_modified = cache != NO_STORE && etag_matches(request, etag);
    let mut response = if not_modified {
        status_only(StatusCode::NOT_MODIFIED)
    } else {
        bytes_response(StatusCode::OK, body, head)
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if cache != NO_STORE {
        if let Ok(value) = HeaderValue::from_str(etag) {
            headers.insert(header::ETAG, value);
        }
    }
    if asset.gzip.is_some() {
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if gzip.is_some() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// Whether `Accept-Encoding` admits gzip (and does not refuse it with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|param| {
                let param = param.trim().replace(' ', "");
                param == "q=0" || param == "q=0.0" || param == "q=0.00" || param == "q=0.000"
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// Whether `If-None-Match` names this ETag (weak comparison, `*` matches).
fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// A response with a body (or, for `HEAD`, only its length).
fn bytes_response(status: StatusCode, body: Bytes, head: bool) -> Response<Body> {
    let length = body.len();
    let mut response = Response::new(if head {
        Full::new(Bytes::new())
    } else {
        Full::new(body)
    });
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// An empty response with a status code.
pub(crate) fn status_only(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// Adds the security headers every response carries.
pub(crate) fn secure_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn gzip_acceptance_respects_q_zero() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1, GZIP"
        )])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let tag = "\"abc-1\"";
        assert!(etag_matches(
            &headers(&[("if-none-match", "\"x\", W/\"abc-1\"")]),
            tag
        ));
        assert!(etag_matches(&headers(&[("if-none-match", "*")]), tag));
        assert!(!etag_matches(
            &headers(&[("if-none-match", "\"abc\"")]),
            tag
        ));
        assert!(!etag_matches(&HeaderMap::new(), tag));
    }
}
