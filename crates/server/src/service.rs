//! [`ServerService`]: the server as a hyper `Service`, so a program that
//! runs its own hyper server can mount the two sockets, `/api/config` and
//! the UI under a path of its own, next to its own routes. The server's own
//! accept loop serves every connection through the same type.
//!
//! It implements hyper's `Service` and not tower's: the crate needs no
//! tower dependency for it, and a tower stack (axum's `nest_service`, which
//! also strips the prefix) takes it through `tower::service_fn(move |req|
//! hyper::service::Service::call(&service, req))`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::http::uri::PathAndQuery;
use hyper::{Request, Response, StatusCode, Uri};

use crate::server::Shared;

/// The tmux-mobile server as a hyper [`Service`](hyper::service::Service)
/// for one connection; made by [`Server::service`](crate::Server::service).
///
/// Cloning is cheap (it shares the server). Requests of any hyper 1 body
/// type that is `Send` are answered ([`RequestBody`](crate::RequestBody);
/// only the Web Push endpoints read a body, bounded), so it fits hyper's
/// `Request<Incoming>` as well as the request types of frameworks built on
/// hyper 1, as long as they keep hyper's upgrade handle in the request
/// extensions.
///
/// ```no_run
/// # async fn demo(server: &tmux_mobile_server::Server, stream: tokio::net::TcpStream,
/// #               peer: std::net::SocketAddr) {
/// use hyper_util::rt::TokioIo;
///
/// // In the host's accept loop: `/tmux/ws/control` reaches the server as
/// // `/ws/control`, and so on.
/// let service = server.service(peer).with_prefix("/tmux");
/// hyper::server::conn::http1::Builder::new()
///     .serve_connection(TokioIo::new(stream), service)
///     .with_upgrades()
///     .await
///     .ok();
/// # }
/// ```
///
/// `examples/mount.rs` routes between the host's own handlers and this
/// service in one `service_fn`.
#[derive(Clone)]
pub struct ServerService {
    shared: Arc<Shared>,
    peer: SocketAddr,
    prefix: Prefix,
}

impl std::fmt::Debug for ServerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerService")
            .field("peer", &self.peer)
            .field("prefix", &self.prefix.0)
            .finish_non_exhaustive()
    }
}

impl ServerService {
    pub(crate) fn new(shared: Arc<Shared>, peer: SocketAddr) -> ServerService {
        ServerService {
            shared,
            peer,
            prefix: Prefix::new(""),
        }
    }

    /// Serves under `prefix` (such as `/tmux`): a request for
    /// `/tmux/ws/control` is answered as `/ws/control`, `/tmux/` as `/`,
    /// and a path outside the prefix gets `404`. Leading and trailing
    /// slashes are added or dropped as needed; `""` and `"/"` mean no
    /// prefix.
    ///
    /// The browser UI works under the prefix: the page is `/tmux/` (the
    /// link to give out is `/tmux/?token=…`) and every URL it uses, from
    /// its scripts to the sockets and the service worker, is relative to
    /// it. Relative URLs need the trailing slash, so the prefix itself
    /// (`/tmux`, `/tmux?token=…`) is answered with a `308` redirect to
    /// `/tmux/` with the same query string.
    pub fn with_prefix(mut self, prefix: &str) -> ServerService {
        self.prefix = Prefix::new(prefix);
        self
    }

    /// The client address this service was made for.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether a request path falls under this service's prefix (always
    /// true without a prefix). A host that routes by path asks this
    /// before handing a request over.
    pub fn serves_path(&self, path: &str) -> bool {
        self.prefix.strip(path).is_some()
    }

    fn respond<B: crate::http::RequestBody>(&self, mut req: Request<B>) -> ResponseFuture {
        if !self.prefix.0.is_empty() {
            if req.uri().path() == &*self.prefix.0 {
                let response = self.prefix.redirect_to_slash(req.uri());
                return Box::pin(std::future::ready(Ok(response)));
            }
            let Some(uri) = self.prefix.strip_uri(req.uri()) else {
                let mut response = crate::http::status_only(StatusCode::NOT_FOUND);
                crate::http::secure_headers(response.headers_mut());
                return Box::pin(std::future::ready(Ok(response)));
            };
            *req.uri_mut() = uri;
        }
        let shared = Arc::clone(&self.shared);
        let peer = self.peer;
        Box::pin(async move { Ok(crate::http::handle(req, shared, peer).await) })
    }
}

/// The path a [`ServerService`] is mounted under: `""` for none, else it
/// starts with `/` and does not end with one.
#[derive(Clone)]
struct Prefix(Arc<str>);

impl Prefix {
    fn new(prefix: &str) -> Prefix {
        let trimmed = prefix.trim_matches('/');
        Prefix(if trimmed.is_empty() {
            Arc::from("")
        } else {
            Arc::from(format!("/{trimmed}"))
        })
    }

    /// `path` without the prefix, or `None` when it is outside it.
    fn strip<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.0.is_empty() {
            return Some(path);
        }
        match path.strip_prefix(&*self.0)? {
            "" => Some("/"),
            rest if rest.starts_with('/') => Some(rest),
            _ => None,
        }
    }

    /// `308` from the prefix itself to the prefix with a slash (the
    /// query kept): the UI's relative URLs resolve against the page's
    /// directory, which `/tmux?token=…` would put at the origin's root.
    /// Not cached: the query carries the access token.
    fn redirect_to_slash(&self, uri: &Uri) -> Response<Full<Bytes>> {
        let location = match uri.query() {
            Some(query) => format!("{}/?{query}", self.0),
            None => format!("{}/", self.0),
        };
        let mut response = crate::http::status_only(StatusCode::PERMANENT_REDIRECT);
        let headers = response.headers_mut();
        crate::http::secure_headers(headers);
        headers.insert(
            hyper::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        // The path equals the prefix and the query is a valid URI's, so
        // the value is valid; were it not, the answer is the `404` of a
        // path outside the prefix.
        match HeaderValue::try_from(location) {
            Ok(value) => {
                headers.insert(hyper::header::LOCATION, value);
            }
            Err(_) => *response.status_mut() = StatusCode::NOT_FOUND,
        }
        response
    }

    /// The request URI with the prefix taken off its path (the query
    /// string kept), or `None` when the path is outside the prefix.
    fn strip_uri(&self, uri: &Uri) -> Option<Uri> {
        let path = self.strip(uri.path())?;
        let path_and_query = match uri.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        };
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).ok()?);
        Uri::from_parts(parts).ok()
    }
}

/// The future of one [`ServerService`] response.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

impl<B: crate::http::RequestBody> hyper::service::Service<Request<B>> for ServerService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, req: Request<B>) -> Self::Future {
        self.respond(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_normalised_and_matched_on_segment_boundaries() {
        for spelling in ["/tmux", "tmux", "/tmux/", "tmux/"] {
            let prefix = Prefix::new(spelling);
            assert_eq!(prefix.strip("/tmux/ws/control"), Some("/ws/control"));
            assert_eq!(prefix.strip("/tmux"), Some("/"));
            assert_eq!(prefix.strip("/tmux/"), Some("/"));
            assert_eq!(prefix.strip("/tmuxx/ws/control"), None);
            assert_eq!(prefix.strip("/ws/control"), None);
            assert_eq!(prefix.strip("/"), None);
        }
        for none in ["", "/", "//"] {
            assert_eq!(Prefix::new(none).strip("/ws/control"), Some("/ws/control"));
        }
    }

    #[test]
    fn the_prefix_itself_redirects_to_the_slash_with_the_query() {
        let prefix = Prefix::new("a/b/");
        for (uri, location) in [
            ("/a/b?token=x&y=1", "/a/b/?token=x&y=1"),
            ("http://host:1/a/b", "/a/b/"),
        ] {
            let response = prefix.redirect_to_slash(&uri.parse().unwrap());
            assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
            assert_eq!(response.headers()["location"], location);
            assert_eq!(response.headers()["cache-control"], "no-store");
            assert!(response.headers().contains_key("content-security-policy"));
        }
    }

    #[test]
    fn stripping_the_uri_keeps_the_query() {
        let prefix = Prefix::new("/a/b");
        let uri: Uri = "/a/b/ws/terminal?token=x&y=1".parse().unwrap();
        assert_eq!(
            prefix.strip_uri(&uri).unwrap().to_string(),
            "/ws/terminal?token=x&y=1"
        );
        let uri: Uri = "http://host:1/a/b?token=x".parse().unwrap();
        assert_eq!(
            prefix.strip_uri(&uri).unwrap().to_string(),
            "http://host:1/?token=x"
        );
        assert!(prefix.strip_uri(&"/elsewhere".parse().unwrap()).is_none());
    }
}
