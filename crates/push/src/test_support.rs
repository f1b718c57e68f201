//! [`TestPushService`]: the Python push service of
//! `tests/fixtures/push_service.py` on 127.0.0.1, for integration tests of
//! this crate and of crates that embed it (the `test-support` feature).
//!
//! It is a real RFC 8030 receiver that verifies each request's VAPID JWT
//! and decrypts its body with Python's `cryptography` and `http_ece` — not
//! with this crate's code — and reports each request as one JSON line.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// One request the push service received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request path (`/push/…` or `/gone/…`).
    pub path: String,
    /// Whether the JWT verified and the body decrypted.
    pub ok: bool,
    /// Why not, when `ok` is false.
    pub error: Option<String>,
    /// The decrypted payload.
    pub plaintext: Option<String>,
    /// The `TTL` header.
    pub ttl: Option<String>,
    /// The `Urgency` header.
    pub urgency: Option<String>,
    /// The `Topic` header.
    pub topic: Option<String>,
    /// Length of the encrypted body.
    pub body_length: usize,
    /// The verified JWT claims (plus `k`, the key it verified with).
    pub jwt: Option<serde_json::Value>,
}

/// A running test push service; killed on drop.
pub struct TestPushService {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    port: u16,
    p256dh: String,
    auth: String,
}

impl std::fmt::Debug for TestPushService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPushService")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The script's path.
pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/push_service.py")
}

impl TestPushService {
    /// Starts `python3 push_service.py` and reads its port and keys.
    /// Panics (this is test code) with the fix when Python or its packages
    /// are missing.
    pub async fn start() -> TestPushService {
        let mut child = Command::new("python3")
            .arg(script())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 is needed for the test push service");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the test push service starts within 20 s")
            .expect("read the test push service's output")
            .expect("the test push service printed its port");
        let hello: serde_json::Value = serde_json::from_str(&first).expect("JSON first line");
        if let Some(error) = hello.get("error") {
            panic!("test push service: {error}");
        }
        let field = |name: &str| hello[name].as_str().expect("string field").to_owned();
        TestPushService {
            port: u16::try_from(hello["port"].as_u64().expect("port")).expect("port"),
            p256dh: field("p256dh"),
            auth: field("auth"),
            child,
            lines,
        }
    }

    /// The endpoint URL for `path` (`/push/1`, `/gone/x`).
    pub fn endpoint(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The subscription's `p256dh` key (base64url).
    pub fn p256dh(&self) -> &str {
        &self.p256dh
    }

    /// The subscription's `auth` secret (base64url).
    pub fn auth(&self) -> &str {
        &self.auth
    }

    /// The next request received, or `None` if none comes within
    /// `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Received> {
        let line = tokio::time::timeout(timeout, self.lines.next_line())
            .await
            .ok()?
            .ok()??;
        let v: serde_json::Value = serde_json::from_str(&line).ok()?;
        let text = |name: &str| v.get(name).and_then(|x| x.as_str()).map(str::to_owned);
        Some(Received {
            path: text("path").unwrap_or_default(),
            ok: v
                .get("ok")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            error: text("error"),
            plaintext: text("plaintext"),
            ttl: text("ttl"),
            urgency: text("urgency"),
            topic: text("topic"),
            body_length: v
                .get("bodyLength")
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(0),
            jwt: v.get("jwt").cloned(),
        })
    }
}

impl Drop for TestPushService {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
