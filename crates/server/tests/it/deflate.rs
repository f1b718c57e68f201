//! The compressed terminal stream (subprotocol `tmux-mobile.v1.deflate`)
//! against real tmux: the server accepts the subprotocol, every output
//! frame is binary and inflates completely on arrival, and the inflated
//! stream is byte for byte what an uncompressed socket of the same client
//! got; a socket that did not ask is unchanged.

use flate2::{Decompress, FlushDecompress};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tmux_mobile_server::TestServer;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::{DEADLINE, Terminal, Ws, attached_client, upgrade_status};

const SUBPROTOCOL: &str = "tmux-mobile.v1.deflate";

/// Opens `/ws/terminal`, offering `protocols`; returns the socket and the
/// subprotocol the server chose.
async fn open(server: &TestServer, protocols: Option<&str>) -> (Ws, Option<String>) {
    let mut request = server
        .ws_url("/ws/terminal")
        .into_client_request()
        .expect("a valid URL");
    if let Some(protocols) = protocols {
        request.headers_mut().insert(
            "sec-websocket-protocol",
            protocols.parse().expect("header value"),
        );
    }
    let (ws, response) = tokio::time::timeout(DEADLINE, tokio_tungstenite::connect_async(request))
        .await
        .expect("connect in time")
        .expect("handshake");
    let chosen = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    (ws, chosen)
}

/// Output of one socket: raw bytes (inflated for the compressed one) and
/// what it cost on the wire.
struct Received {
    raw: Vec<u8>,
    wire: usize,
}

/// Reads until `needle` is in the (inflated) output.
async fn read_until(
    ws: &mut Ws,
    mut inflate: Option<&mut Decompress>,
    needle: &[u8],
    into: &mut Received,
) {
    let deadline = Instant::now() + DEADLINE;
    while !into.raw.windows(needle.len()).any(|w| w == needle) {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("{:?} not seen in time", String::from_utf8_lossy(needle)))
            .expect("socket open")
            .expect("no socket error");
        let bytes = match (frame, inflate.as_deref_mut()) {
            (Message::Binary(bytes), Some(decompress)) => {
                assert!(
                    bytes.ends_with(&[0, 0, 0xff, 0xff]),
                    "every frame is sync-flushed"
                );
                into.wire += bytes.len();
                inflate_frame(decompress, &bytes)
            }
            (Message::Text(text), None) => {
                into.wire += text.len();
                text.as_bytes().to_vec()
            }
            (Message::Ping(_) | Message::Pong(_), _) => continue,
            (other, compressed) => panic!(
                "unexpected {other:?} on a {} socket",
                if compressed.is_some() {
                    "compressed"
                } else {
                    "text"
                }
            ),
        };
        into.raw.extend_from_slice(&bytes);
    }
}

/// Inflates one frame completely (as the browser's DecompressionStream does).
fn inflate_frame(decompress: &mut Decompress, frame: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.len() * 4 + 4096);
    let mut input = frame;
    loop {
        let before = decompress.total_in();
        decompress
            .decompress_vec(input, &mut out, FlushDecompress::Sync)
            .expect("a valid raw DEFLATE stream");
        input = &input[usize::try_from(decompress.total_in() - before).expect("fits")..];
        if input.is_empty() && out.len() < out.capacity() {
            return out;
        }
        out.reserve(out.capacity());
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} missing", String::from_utf8_lossy(needle)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deflate_stream_inflates_to_the_same_bytes_and_plain_sockets_are_unchanged() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (_control, client_id, ..) = attached_client(&server).await;
    let auth = |binary: bool| {
        let mut auth = json!({"type": "auth", "token": server.token(), "clientId": client_id});
        if let Some(password) = server.password() {
            auth["password"] = json!(password);
        }
        if binary {
            auth["binary"] = json!(true);
        }
        Message::Text(auth.to_string().into())
    };

    // Among other offers, ours is chosen; `binary` does not matter to it.
    let (mut packed, chosen) = open(&server, Some(&format!("chat, {SUBPROTOCOL}"))).await;
    assert_eq!(chosen.as_deref(), Some(SUBPROTOCOL));
    packed.send(auth(false)).await.expect("auth");
    // Without the offer (the original's client): no subprotocol, text frames.
    let (mut plain, chosen) = open(&server, None).await;
    assert_eq!(chosen, None);
    plain.send(auth(false)).await.expect("auth");
    // Only ours is ever chosen, and only on the terminal socket.
    let other = upgrade_status(
        &server,
        "/ws/terminal",
        &["Sec-WebSocket-Protocol: tmux-mobile.v2.zstd"],
    )
    .await;
    assert_eq!(other.status, 101);
    assert_eq!(other.header("sec-websocket-protocol"), None);
    let control = upgrade_status(
        &server,
        "/ws/control",
        &["Sec-WebSocket-Protocol: tmux-mobile.v1.deflate"],
    )
    .await;
    assert_eq!(control.status, 101);
    assert_eq!(control.header("sec-websocket-protocol"), None);

    let mut inflate = Decompress::new(false);
    let mut got_packed = Received {
        raw: Vec::new(),
        wire: 0,
    };
    let mut got_plain = Received {
        raw: Vec::new(),
        wire: 0,
    };
    // Both are subscribed once both have seen output.
    let mut input = Terminal { ws: plain };
    input.send_text("echo ready-$((1+2))\r").await;
    read_until(&mut packed, Some(&mut inflate), b"ready-3", &mut got_packed).await;
    read_until(&mut input.ws, None, b"ready-3", &mut got_plain).await;

    // Input through the compressed socket is plain input.
    packed
        .send(Message::Binary(
            b"echo S-$((4+1)); seq 1 30000; echo E-$((4+2))\r"
                .to_vec()
                .into(),
        ))
        .await
        .expect("send");
    read_until(&mut packed, Some(&mut inflate), b"E-6", &mut got_packed).await;
    read_until(&mut input.ws, None, b"E-6", &mut got_plain).await;

    let range = |r: &Received| {
        // From the first output both sockets saw (tmux may skip lines of
        // a flood when a client is slow, but never the same way for two
        // sockets fed the same chunks).
        let start = find(&r.raw, b"ready-3");
        let end = find(&r.raw[start..], b"E-6") + start;
        r.raw[start..end].to_vec()
    };
    let (packed_range, plain_range) = (range(&got_packed), range(&got_plain));
    assert!(
        packed_range.len() > 5_000,
        "tmux drew the seq output: {} bytes",
        packed_range.len()
    );
    assert!(
        packed_range == plain_range,
        "the inflated stream is the raw stream"
    );
    assert!(
        got_packed.wire * 2 < got_packed.raw.len(),
        "compressed {} of {} bytes",
        got_packed.wire,
        got_packed.raw.len()
    );
}
