//! `/ws/terminal`: binding by clientId (4001 cases), echo through the real
//! stack, binary frames, resize, limits, and fan-out to several sockets.

use futures_util::SinkExt;
use serde_json::json;
use tmux_mobile_server::TestServer;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{Terminal, attached_client, eventually, ws_connect};

async fn close_code(server: &TestServer, first: Message) -> (u16, String) {
    let mut terminal = Terminal {
        ws: ws_connect(server, "/ws/terminal").await,
    };
    terminal.ws.send(first).await.expect("send");
    let frame = terminal.closed().await.expect("close frame");
    (u16::from(frame.code), frame.reason.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_auth_failures_close_with_4001() {
    let server = TestServer::builder().password("pw").start().await;
    let (_control, client_id, ..) = attached_client(&server).await;
    let token = server.token();
    let cases = [
        (Message::Text("ls\r".into()), "auth required"),
        (Message::Binary(b"{}".to_vec().into()), "auth required"),
        (
            Message::Text(
                json!({"type": "resize", "cols": 80, "rows": 24})
                    .to_string()
                    .into(),
            ),
            "auth required",
        ),
        (
            Message::Text(
                json!({"type": "auth", "token": token, "password": "pw"})
                    .to_string()
                    .into(),
            ),
            "unauthorized",
        ),
        (
            Message::Text(
                json!({"type": "auth", "token": "bad", "password": "pw", "clientId": client_id})
                    .to_string()
                    .into(),
            ),
            "unauthorized",
        ),
        (
            Message::Text(
                json!({"type": "auth", "token": token, "password": "no", "clientId": client_id})
                    .to_string()
                    .into(),
            ),
            "unauthorized",
        ),
        (
            Message::Text(
                json!({"type": "auth", "token": token, "password": "pw", "clientId": "unknown1"})
                    .to_string()
                    .into(),
            ),
            "unauthorized",
        ),
    ];
    for (first, reason) in cases {
        let shown = format!("{first:?}");
        let (code, got) = close_code(&server, first).await;
        assert_eq!(code, 4001, "{shown}");
        assert_eq!(got, reason, "{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_through_the_real_stack_in_text_and_binary() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (_control, client_id, ..) = attached_client(&server).await;
    let mut text = Terminal::connect(&server, &client_id, false).await;
    let mut binary = Terminal::connect(&server, &client_id, true).await;
    text.send_text(&json!({"type": "resize", "cols": 100, "rows": 30}).to_string())
        .await;
    // A paste that merely starts with `{` is input, not a resize.
    text.send_text("echo {\"a\":1} echo-$((6*7))-ü\r").await;
    let seen = text.read_until("echo-42-ü", false).await;
    assert!(!seen.contains('\u{fffd}'), "UTF-8 intact: {seen:?}");
    binary.read_until("echo-42-", true).await;
    eventually("the PTY took the browser's size", || {
        server
            .tmux_run(&["list-clients", "-F", "#{client_width}x#{client_height}"])
            .is_ok_and(|out| out.lines().any(|l| l == "100x30"))
    })
    .await;
    // Lots of multi-byte characters: PTY reads end mid-character, text
    // frames must still be whole, valid UTF-8.
    text.send_text("seq 1 3000 | sed 's/.*/üü€€😀😀/'; echo utf-$((8*8))\r")
        .await;
    let seen = text.read_until("utf-64", false).await;
    assert!(!seen.contains('\u{fffd}'), "no replacement characters");
    assert!(seen.contains("üü€€😀😀"));
    // Binary input frames are input too.
    binary
        .ws
        .send(Message::Binary(b"echo bin-$((2+3))\r".to_vec().into()))
        .await
        .expect("send");
    text.read_until("bin-5", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_terminal_frames_close_with_1009() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (_control, client_id, ..) = attached_client(&server).await;
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal
        .ws
        .send(Message::Binary(vec![b'a'; 1024 * 1024 + 1].into()))
        .await
        .expect("send");
    let frame = terminal.closed().await.expect("close frame");
    assert_eq!(u16::from(frame.code), 1009);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_terminal_socket_does_not_stall_another() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .terminal_queue_bytes(64 * 1024)
        .start()
        .await;
    let (_control, client_id, ..) = attached_client(&server).await;
    // This one never reads, over a connection with a tiny receive window
    // (that it is cut off once its queue overflows is a unit test of
    // `fanout`: tmux coalesces output, so how many bytes reach a socket
    // here depends on timing).
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let stream = socket.connect(server.addr()).await.expect("connect");
    let (mut stalled, _) = tokio_tungstenite::client_async(
        server.ws_url("/ws/terminal"),
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
    )
    .await
    .expect("handshake");
    let auth =
        json!({"type": "auth", "token": server.token(), "clientId": client_id, "binary": true});
    stalled
        .send(Message::Text(auth.to_string().into()))
        .await
        .expect("auth");

    let mut live = Terminal::connect(&server, &client_id, true).await;
    live.send_text("seq 1 200000; echo done-$((40+2))\r").await;
    live.read_until("done-42", true).await;
    live.send_text("echo again-$((1+1))\r").await;
    live.read_until("again-2", true).await;
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_key_authenticates_the_terminal_too() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .password("pw")
        .start()
        .await;
    let mut control = crate::common::Control::connect(&server).await;
    let ok = control.auth(&server, None).await;
    let key = ok["sessionKey"].as_str().expect("key").to_owned();
    let client_id = ok["clientId"].as_str().expect("id").to_owned();
    control.recv_type("attached").await;
    let mut ws = ws_connect(&server, "/ws/terminal").await;
    let auth =
        json!({"type": "auth", "token": server.token(), "sessionKey": key, "clientId": client_id});
    ws.send(Message::Text(auth.to_string().into()))
        .await
        .expect("send");
    let mut terminal = Terminal { ws };
    terminal.send_text("echo key-$((7*6))\r").await;
    terminal.read_until("key-42", false).await;
}
