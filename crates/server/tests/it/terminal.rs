//! `/ws/terminal`: binding by clientId (4001 cases), echo through the real
//! stack, binary frames, resize, limits, and fan-out to several sockets.

use futures_util::SinkExt;
use serde_json::json;
use tmux_mobile_server::TestServer;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{
    Control, Terminal, attached_client, eventually, ws_connect, ws_connect_with_headers,
};

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
    // With a terminal bound, the client is no candidate for a terminal
    // socket that names no client (case 4).
    let mut bound = Terminal::connect(&server, &client_id, false).await;
    bound.read_until("", false).await;
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
    // A character split between PTY reads must never become U+FFFD. tmux
    // itself may cut one: when the client's terminal falls behind (a loaded
    // machine), tmux discards what it had not written yet and redraws, and
    // the cut character is followed by the redraw's escape sequence. Only
    // that kind of replacement is allowed (seen at load 10).
    let chars: Vec<char> = seen.chars().collect();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '\u{fffd}') {
        if chars.get(at + 1) != Some(&'\u{1b}') {
            let around: String = chars[at.saturating_sub(60)..(at + 60).min(chars.len())]
                .iter()
                .collect();
            panic!("a character split between frames at char {at}: {around:?}");
        }
    }
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

/// What the unmodified 0.0.8 web client sends, byte for byte: control
/// `auth` with token and password; as soon as `auth_ok` arrives, a
/// terminal socket whose `auth` names no client, then a resize, then
/// keystrokes as text frames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_web_clients_terminal_without_client_id_is_bound() {
    // A session with the test's quick /bin/sh (a login bash can take
    // seconds to start on a loaded machine).
    let server = TestServer::builder()
        .password("pw-0.0.8")
        .with_sessions(&["main"])
        .start()
        .await;
    let token = server.token().to_owned();
    let auth = format!(r#"{{"type":"auth","token":"{token}","password":"pw-0.0.8"}}"#);
    let mut control = Control::connect(&server).await;
    control.send_raw(&auth).await;
    let ok = control.recv().await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    // Right after auth_ok, before `attached`.
    let mut terminal = Terminal {
        ws: ws_connect(&server, "/ws/terminal").await,
    };
    terminal.send_text(&auth).await;
    terminal
        .send_text(r#"{"type":"resize","cols":80,"rows":24}"#)
        .await;
    assert_eq!(control.recv().await["type"], "attached");
    terminal.send_text("echo orig-$((40+2))\r").await;
    terminal.read_until("orig-42", false).await;

    // A second such socket finds no client without a terminal: 4001.
    let (code, reason) = close_code(&server, Message::Text(auth.clone().into())).await;
    assert_eq!((code, reason.as_str()), (4001, "unauthorized"));
    // Once the first terminal closed, the client takes one again.
    terminal.ws.close(None).await.expect("close");
    terminal.closed().await;
    let mut again = Terminal {
        ws: ws_connect(&server, "/ws/terminal").await,
    };
    again.send_text(&auth).await;
    again.send_text("echo again-$((40+2))\r").await;
    again.read_until("again-42", false).await;
}

/// The binding rule for terminal sockets without `clientId`: only the
/// newest control login from the same address, with the same role, that
/// has no terminal; anything else is 4001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_without_client_id_binds_only_the_newest_login_of_its_address_and_role() {
    let server = TestServer::builder()
        .with_sessions(&["older", "newer"])
        .read_only_link()
        .trust_cf_connecting_ip()
        .start()
        .await;
    let from = |ip: &'static str| [("cf-connecting-ip", ip)];
    let login = |ip: &'static str, token: String, session: &'static str| {
        let server = &server;
        async move {
            let mut control = Control {
                ws: ws_connect_with_headers(server, "/ws/control", &from(ip)).await,
            };
            control.send(json!({"type": "auth", "token": token})).await;
            assert_eq!(control.recv().await["type"], "auth_ok");
            assert_eq!(control.recv().await["type"], "session_picker");
            control
                .send(json!({"type": "select_session", "session": session}))
                .await;
            assert_eq!(control.recv_type("attached").await["type"], "attached");
            control
        }
    };
    let token = server.token().to_owned();
    let viewer_token = server
        .read_only_token()
        .expect("read-only token")
        .to_owned();
    let _older = login("203.0.113.7", token.clone(), "older").await;
    let _newer = login("203.0.113.7", token.clone(), "newer").await;
    // Newest of all from this address, but read-only: not for a control
    // token's terminal.
    let mut viewer = login("203.0.113.7", viewer_token.clone(), "older").await;
    let terminal_from = |ip: &'static str, token: String| {
        let server = &server;
        async move {
            let mut terminal = Terminal {
                ws: ws_connect_with_headers(server, "/ws/terminal", &from(ip)).await,
            };
            terminal
                .send_text(&json!({"type": "auth", "token": token}).to_string())
                .await;
            terminal
        }
    };

    // Another address: nobody logged in from there.
    let mut stranger = terminal_from("203.0.113.8", token.clone()).await;
    let close = stranger.closed().await.expect("close frame");
    assert_eq!(u16::from(close.code), 4001);

    // The newest control login of the address: the one on `newer`.
    let mut first = terminal_from("203.0.113.7", token.clone()).await;
    first
        .send_text("tmux display -p 'in-#{session_group}'\r")
        .await;
    first.read_until("in-newer", false).await;
    // Then the older one, which has no terminal yet.
    let mut second = terminal_from("203.0.113.7", token.clone()).await;
    second
        .send_text("tmux display -p 'in-#{session_group}'\r")
        .await;
    second.read_until("in-older", false).await;
    // Every control client of the address has a terminal now.
    let mut third = terminal_from("203.0.113.7", token.clone()).await;
    let close = third.closed().await.expect("close frame");
    assert_eq!(u16::from(close.code), 4001);
    // The read-only credential binds the read-only client.
    let mut watching = terminal_from("203.0.113.7", viewer_token).await;
    watching.send_text("typed by a viewer\r").await;
    assert_eq!(viewer.recv_error().await["message"], "read-only");
}
