//! One push message to one endpoint (RFC 8030 §5): resolve, keep only the
//! addresses the SSRF rule allows, connect to one of them, TLS with
//! Mozilla's root certificates, one HTTP/1.1 `POST`, read the status.
//!
//! The connection is made here rather than by a pooled client so that the
//! address the rule checked is exactly the address connected to.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::endpoint::{Endpoint, Host, check_addresses};
use crate::error::PushError;

/// How urgent a message is (RFC 8030 §5.3): push services may hold back
/// low-urgency messages to save the phone's battery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    /// `very-low`
    VeryLow,
    /// `low`
    Low,
    /// `normal`
    Normal,
    /// `high`: delivered at once (someone is waiting for an answer).
    High,
}

impl Urgency {
    fn as_str(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// What the push service said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `201 Created` (or another 2xx): accepted for delivery.
    Accepted,
    /// `404`/`410`: the subscription no longer exists; forget it.
    Gone,
}

/// The request headers besides the body.
pub(crate) struct Message<'a> {
    pub(crate) body: Vec<u8>,
    pub(crate) authorization: String,
    pub(crate) ttl: Duration,
    pub(crate) urgency: Urgency,
    pub(crate) topic: Option<&'a str>,
}

/// The HTTPS client configuration (roots, protocol versions).
#[derive(Clone)]
pub(crate) struct Client {
    tls: TlsConnector,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
}

impl Client {
    pub(crate) fn new(
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Self, PushError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PushError::Transport(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Client {
            tls: TlsConnector::from(Arc::new(config)),
            connect_timeout,
            request_timeout,
        })
    }

    /// POSTs `message` to `endpoint`, within the request timeout.
    pub(crate) async fn post(
        &self,
        endpoint: &Endpoint,
        message: Message<'_>,
    ) -> Result<Outcome, PushError> {
        tokio::time::timeout(self.request_timeout, self.post_inner(endpoint, message))
            .await
            .map_err(|_| PushError::Timeout(self.request_timeout))?
    }

    async fn post_inner(
        &self,
        endpoint: &Endpoint,
        message: Message<'_>,
    ) -> Result<Outcome, PushError> {
        let stream = self.connect(endpoint).await?;
        let request = build_request(endpoint, message)?;
        let status = if endpoint.tls() {
            let name = match endpoint.host() {
                Host::Name(name) => ServerName::try_from(name.clone())
                    .map_err(|_| PushError::Endpoint("the URL's host is not a valid name"))?,
                Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
            };
            let tls = self
                .tls
                .connect(name, stream)
                .await
                .map_err(|e| PushError::Transport(format!("TLS: {e}")))?;
            send(tls, request).await?
        } else {
            send(stream, request).await?
        };
        classify(status)
    }

    /// Resolves the host and connects to the first allowed address that
    /// answers.
    async fn connect(&self, endpoint: &Endpoint) -> Result<TcpStream, PushError> {
        let port = endpoint.port();
        let candidates: Vec<IpAddr> = match endpoint.host() {
            Host::Ip(ip) => vec![*ip],
            Host::Name(name) => tokio::net::lookup_host((name.as_str(), port))
                .await
                .map_err(PushError::Resolve)?
                .map(|addr| addr.ip())
                .collect(),
        };
        let allowed = check_addresses(endpoint, candidates)?;
        let mut last = None;
        for ip in allowed {
            let addr = SocketAddr::new(ip, port);
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last = Some(PushError::Transport(format!("connect: {e}"))),
                Err(_) => last = Some(PushError::Timeout(self.connect_timeout)),
            }
        }
        Err(last.unwrap_or(PushError::NotPublic))
    }
}

fn build_request(
    endpoint: &Endpoint,
    message: Message<'_>,
) -> Result<Request<Full<Bytes>>, PushError> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(endpoint.path_and_query())
        .header(hyper::header::HOST, endpoint.host_header())
        .header("ttl", message.ttl.as_secs().to_string())
        .header("urgency", message.urgency.as_str())
        .header(hyper::header::CONTENT_ENCODING, "aes128gcm")
        .header(hyper::header::CONTENT_TYPE, "application/octet-stream")
        .header(
            hyper::header::CONTENT_LENGTH,
            message.body.len().to_string(),
        )
        .header(hyper::header::AUTHORIZATION, message.authorization);
    if let Some(topic) = message.topic {
        builder = builder.header("topic", topic);
    }
    builder
        .body(Full::new(Bytes::from(message.body)))
        .map_err(|e| PushError::Transport(format!("request: {e}")))
}

async fn send<S>(stream: S, request: Request<Full<Bytes>>) -> Result<StatusCode, PushError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| PushError::Transport(format!("HTTP: {e}")))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| PushError::Transport(format!("HTTP: {e}")))?;
        let status = response.status();
        // Read (a bounded amount of) the answer so the exchange completes;
        // its content is not needed.
        let _ = Limited::new(response.into_body(), 16 * 1024)
            .collect()
            .await;
        Ok(status)
    }
    .await;
    driver.abort();
    result
}

fn classify(status: StatusCode) -> Result<Outcome, PushError> {
    match status.as_u16() {
        200..=299 => Ok(Outcome::Accepted),
        404 | 410 => Ok(Outcome::Gone),
        other => Err(PushError::Status { status: other }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(StatusCode::CREATED).unwrap(), Outcome::Accepted);
        assert_eq!(classify(StatusCode::GONE).unwrap(), Outcome::Gone);
        assert_eq!(classify(StatusCode::NOT_FOUND).unwrap(), Outcome::Gone);
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS),
            Err(PushError::Status { status: 429 })
        ));
        assert!(classify(StatusCode::PAYLOAD_TOO_LARGE).is_err());
    }
}
