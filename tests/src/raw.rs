//! [`RawWs`]: a WebSocket client that writes exactly the bytes a hostile
//! client could — text frames with invalid UTF-8, fragments, frames sent one
//! byte at a time, oversize lengths — and reads the server's frames without
//! judging them. The well-behaved client of [`crate::ws`] cannot send such
//! frames, and attack tests must.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// Frame opcodes (RFC 6455 §5.2).
pub mod opcode {
    /// Continuation of a fragmented message.
    pub const CONTINUATION: u8 = 0x0;
    /// Text (must be UTF-8).
    pub const TEXT: u8 = 0x1;
    /// Binary.
    pub const BINARY: u8 = 0x2;
    /// Close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
}

/// One frame from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Its opcode.
    pub opcode: u8,
    /// Its (unmasked) payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// The close code of a close frame.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == opcode::CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }

    /// The payload as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

/// What the server did next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// It sent a frame.
    Frame(Frame),
    /// It closed the TCP connection (EOF or reset).
    Closed,
    /// Nothing within the wait.
    Silent,
}

#[derive(Debug, PartialEq, Eq)]
enum Fill {
    Data,
    Eof,
    Timeout,
}

/// A raw client connection after a successful upgrade.
#[derive(Debug)]
pub struct RawWs {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// The request of an upgrade on `path` with `headers` added.
pub fn upgrade_request(port: u16, path: &str, headers: &[(&str, &str)]) -> String {
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request
}

impl RawWs {
    /// Upgrades `ws://127.0.0.1:<port><path>`.
    ///
    /// # Panics
    ///
    /// When the server does not answer `101`.
    pub async fn connect(port: u16, path: &str, headers: &[(&str, &str)]) -> RawWs {
        match Self::try_connect(port, path, headers).await {
            Ok(raw) => raw,
            Err(head) => panic!("upgrade refused: {head:?}"),
        }
    }

    /// Upgrades `ws://127.0.0.1:<port><path>`; `Err` with the server's
    /// answer (its head, or what it sent before closing) when that is not
    /// `101`.
    pub async fn try_connect(
        port: u16,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<RawWs, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(upgrade_request(port, path, headers).as_bytes())
            .await
            .map_err(|e| format!("send the upgrade: {e}"))?;
        let mut raw = RawWs {
            stream,
            buf: Vec::new(),
        };
        let head = raw.read_head(Duration::from_secs(20)).await;
        if head.starts_with("HTTP/1.1 101") {
            Ok(raw)
        } else {
            Err(head)
        }
    }

    async fn read_head(&mut self, wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 4);
                return head;
            }
            if self.fill(deadline).await != Fill::Data {
                return String::from_utf8_lossy(&self.buf).into_owned();
            }
        }
    }

    /// Reads more bytes into the buffer.
    async fn fill(&mut self, deadline: Instant) -> Fill {
        let mut chunk = [0u8; 16 * 1024];
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, self.stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.buf.extend_from_slice(&chunk[..n]);
                Fill::Data
            }
            Ok(_) => Fill::Eof,
            Err(_) => Fill::Timeout,
        }
    }

    /// The bytes of one masked client frame.
    pub fn encode(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = vec![(u8::from(fin) << 7) | opcode];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    /// Sends one frame; false when the server has already closed.
    pub async fn send(&mut self, fin: bool, opcode: u8, payload: &[u8]) -> bool {
        self.send_bytes(&Self::encode(fin, opcode, payload)).await
    }

    /// Sends raw bytes; false when the server has already closed.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// A complete text frame.
    pub async fn send_text(&mut self, text: &str) -> bool {
        self.send(true, opcode::TEXT, text.as_bytes()).await
    }

    /// The next frame from the server, waiting at most `wait`.
    pub async fn next(&mut self, wait: Duration) -> Next {
        let deadline = Instant::now() + wait;
        loop {
            if let Some((frame, used)) = parse_server_frame(&self.buf) {
                self.buf.drain(..used);
                return Next::Frame(frame);
            }
            match self.fill(deadline).await {
                Fill::Data => {}
                Fill::Eof => return Next::Closed,
                Fill::Timeout => return Next::Silent,
            }
        }
    }

    /// Frames until the server closes (returns the close frame's code, if
    /// it sent one) or `wait` passes (`Err` with the frames seen).
    pub async fn until_closed(&mut self, wait: Duration) -> Result<Option<u16>, Vec<Frame>> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            match self
                .next(deadline.saturating_duration_since(Instant::now()))
                .await
            {
                Next::Frame(f) if f.opcode == opcode::CLOSE => return Ok(f.close_code()),
                Next::Frame(f) => seen.push(f),
                Next::Closed => return Ok(None),
                Next::Silent => return Err(seen),
            }
        }
    }

    /// The next text frame parsed as JSON (other frames skipped); `None` if
    /// the socket closed or stayed silent.
    pub async fn next_json(&mut self, wait: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + wait;
        loop {
            match self
                .next(deadline.saturating_duration_since(Instant::now()))
                .await
            {
                Next::Frame(f) if f.opcode == opcode::TEXT => {
                    return serde_json::from_slice(&f.payload).ok();
                }
                Next::Frame(f) if f.opcode == opcode::CLOSE => return None,
                Next::Frame(_) => {}
                Next::Closed | Next::Silent => return None,
            }
        }
    }
}

/// One unmasked server frame at the start of `buf` and its length in bytes.
fn parse_server_frame(buf: &[u8]) -> Option<(Frame, usize)> {
    if buf.len() < 2 {
        return None;
    }
    let opcode = buf[0] & 0x0f;
    let (len, mut at): (usize, usize) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(b) as usize, 10)
        }
        126 | 127 => return None,
        n => (n as usize, 2),
    };
    if buf[1] & 0x80 != 0 {
        at += 4; // servers never mask, but be exact if one did
    }
    let end = at.checked_add(len)?;
    if buf.len() < end {
        return None;
    }
    Some((
        Frame {
            opcode,
            payload: buf[at..end].to_vec(),
        },
        end,
    ))
}
