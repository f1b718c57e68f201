//! Wire compatibility: every message of PROTOCOL.md, in both directions,
//! decoded from literal JSON and encoded back to the same JSON; plus the
//! exact shapes the original tmux-mobile client and server sent.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tmux_mobile_protocol::{
    AuthRequest, ClientId, ClientMessage, Orientation, OverviewTile, PaneId, PaneState,
    ProtocolError, Redacted, Resize, ScrollbackLines, ServerMessage, SessionName, SessionState,
    SessionSummary, TerminalFrame, TmuxState, WindowIndex, WindowState, classify_terminal_frame,
    decode_control, decode_terminal_auth, encode_server,
};

const CLIENT_FIXTURES: &str = include_str!("fixtures/client_messages.json");
const SERVER_FIXTURES: &str = include_str!("fixtures/server_messages.json");

fn fixtures(text: &str) -> Vec<Value> {
    serde_json::from_str(text).expect("fixture file is a JSON array")
}

fn session(name: &str) -> SessionName {
    SessionName::try_from(name).unwrap()
}

fn client(id: &str) -> ClientId {
    ClientId::try_from(id).unwrap()
}

/// Decodes `json` as a control frame, checks it equals `expected`, and
/// checks that encoding it gives the same JSON back.
fn assert_client(json: &str, expected: ClientMessage) {
    let decoded = decode_control(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(decoded, expected, "{json}");
    let original: Value = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_value(&decoded).unwrap(), original, "{json}");
}

/// Encodes `msg`, checks it is `json` (as a JSON value, so key order does
/// not matter), and checks that decoding `json` gives `msg` back.
fn assert_server(json: &str, msg: ServerMessage) {
    let expected: Value = serde_json::from_str(json).unwrap();
    let encoded: Value = serde_json::from_str(&encode_server(&msg)).unwrap();
    assert_eq!(encoded, expected, "{json}");
    let decoded: ServerMessage = serde_json::from_str(json).unwrap();
    assert_eq!(decoded, msg, "{json}");
}

#[test]
fn every_client_message_of_the_spec() {
    assert_client(
        r#"{"type":"auth","token":"tok"}"#,
        ClientMessage::Auth(AuthRequest {
            token: "tok".into(),
            ..AuthRequest::default()
        }),
    );
    assert_client(
        r#"{"type":"auth","token":"tok","password":"pw","clientId":"c1","sessionKey":"k"}"#,
        ClientMessage::Auth(AuthRequest {
            token: "tok".into(),
            password: Some("pw".into()),
            client_id: Some(client("c1")),
            session_key: Some("k".into()),
        }),
    );
    assert_client(
        r#"{"type":"select_session","session":"work"}"#,
        ClientMessage::SelectSession {
            session: session("work"),
        },
    );
    assert_client(
        r#"{"type":"new_session","name":"my project"}"#,
        ClientMessage::NewSession {
            name: session("my project"),
        },
    );
    assert_client(
        r#"{"type":"new_window","session":"main"}"#,
        ClientMessage::NewWindow {
            session: session("main"),
        },
    );
    assert_client(
        r#"{"type":"select_window","session":"main","windowIndex":2}"#,
        ClientMessage::SelectWindow {
            session: session("main"),
            window_index: WindowIndex::new(2),
            sticky_zoom: None,
        },
    );
    assert_client(
        r#"{"type":"select_window","session":"main","windowIndex":0,"stickyZoom":true}"#,
        ClientMessage::SelectWindow {
            session: session("main"),
            window_index: WindowIndex::new(0),
            sticky_zoom: Some(true),
        },
    );
    assert_client(
        r#"{"type":"kill_window","session":"main","windowIndex":3}"#,
        ClientMessage::KillWindow {
            session: session("main"),
            window_index: WindowIndex::new(3),
        },
    );
    assert_client(
        r#"{"type":"select_pane","paneId":"%4","stickyZoom":false}"#,
        ClientMessage::SelectPane {
            pane_id: PaneId::from(4),
            sticky_zoom: Some(false),
        },
    );
    assert_client(
        r#"{"type":"split_pane","paneId":"%4","orientation":"h"}"#,
        ClientMessage::SplitPane {
            pane_id: PaneId::from(4),
            orientation: Orientation::Horizontal,
            sticky_zoom: None,
        },
    );
    assert_client(
        r#"{"type":"split_pane","paneId":"%4","orientation":"h","stickyZoom":true}"#,
        ClientMessage::SplitPane {
            pane_id: PaneId::from(4),
            orientation: Orientation::Horizontal,
            sticky_zoom: Some(true),
        },
    );
    assert_client(
        r#"{"type":"scroll_pane","paneId":"%4","lines":-12}"#,
        ClientMessage::ScrollPane {
            pane_id: PaneId::from(4),
            lines: -12,
        },
    );
    assert_client(
        r#"{"type":"split_pane","paneId":"%4","orientation":"v"}"#,
        ClientMessage::SplitPane {
            pane_id: PaneId::from(4),
            orientation: Orientation::Vertical,
            sticky_zoom: None,
        },
    );
    assert_client(
        r#"{"type":"kill_pane","paneId":"%5"}"#,
        ClientMessage::KillPane {
            pane_id: PaneId::from(5),
        },
    );
    assert_client(
        r#"{"type":"zoom_pane","paneId":"%6"}"#,
        ClientMessage::ZoomPane {
            pane_id: PaneId::from(6),
        },
    );
    assert_client(
        r#"{"type":"capture_scrollback","paneId":"%7","lines":1000}"#,
        ClientMessage::CaptureScrollback {
            pane_id: PaneId::from(7),
            lines: Some(ScrollbackLines::new(1000)),
            stream: None,
        },
    );
    assert_client(
        r#"{"type":"capture_scrollback","paneId":"%7","lines":1000,"stream":true}"#,
        ClientMessage::CaptureScrollback {
            pane_id: PaneId::from(7),
            lines: Some(ScrollbackLines::new(1000)),
            stream: Some(true),
        },
    );
    assert_client(
        r#"{"type":"capture_scrollback","paneId":"%7"}"#,
        ClientMessage::CaptureScrollback {
            pane_id: PaneId::from(7),
            lines: None,
            stream: None,
        },
    );
    assert_client(
        r#"{"type":"send_compose","text":"git status"}"#,
        ClientMessage::SendCompose {
            text: "git status".into(),
        },
    );
    assert_client(
        r#"{"type":"overview","open":true}"#,
        ClientMessage::Overview { open: true },
    );
}

#[test]
fn every_server_message_of_the_spec() {
    assert_server(
        r#"{"type":"auth_ok","clientId":"c1","requiresPassword":true,"readOnly":false,"protocolVersion":1,"sessionKey":"k"}"#,
        ServerMessage::AuthOk {
            client_id: client("c1"),
            requires_password: true,
            read_only: false,
            protocol_version: 1,
            session_key: Some("k".into()),
            snippets: Vec::new(),
        },
    );
    // Extension: default snippets from the config file.
    assert_server(
        r#"{"type":"auth_ok","clientId":"c1","requiresPassword":false,"readOnly":false,"protocolVersion":1,"snippets":[{"label":"status","text":"git status\r"}]}"#,
        ServerMessage::AuthOk {
            client_id: client("c1"),
            requires_password: false,
            read_only: false,
            protocol_version: 1,
            session_key: None,
            snippets: vec![tmux_mobile_protocol::Snippet::new("status", "git status\r").unwrap()],
        },
    );
    for reason in ["invalid token", "invalid password", "auth required"] {
        assert_server(
            &json!({"type": "auth_error", "reason": reason}).to_string(),
            ServerMessage::AuthError {
                reason: reason.into(),
                retry_after_ms: None,
            },
        );
    }
    assert_server(
        r#"{"type":"auth_error","reason":"too many attempts","retryAfterMs":1500}"#,
        ServerMessage::AuthError {
            reason: "too many attempts".into(),
            retry_after_ms: Some(1500),
        },
    );
    assert_server(
        r#"{"type":"attached","session":"tmux-mobile-client-c1"}"#,
        ServerMessage::Attached {
            session: "tmux-mobile-client-c1".into(),
        },
    );
    assert_server(
        r#"{"type":"session_picker","sessions":[{"name":"main","attached":true,"windows":2}]}"#,
        ServerMessage::SessionPicker {
            sessions: vec![SessionSummary {
                name: "main".into(),
                attached: true,
                windows: 2,
            }],
        },
    );
    assert_server(
        r#"{"type":"tmux_state","state":{"sessions":[{"name":"main","attached":true,"windows":1,
            "windowStates":[{"index":0,"name":"bash","active":true,"paneCount":1,
            "panes":[{"index":0,"id":"%0","currentCommand":"bash","active":true,
            "width":80,"height":24,"zoomed":false}]}]}],"capturedAt":"2026-11-30T05:57:02.123Z"}}"#,
        ServerMessage::TmuxState {
            state: TmuxState {
                sessions: vec![SessionState {
                    name: "main".into(),
                    attached: true,
                    windows: 1,
                    window_states: vec![WindowState {
                        index: 0,
                        name: "bash".into(),
                        active: true,
                        pane_count: 1,
                        panes: vec![PaneState {
                            index: 0,
                            id: "%0".into(),
                            current_command: "bash".into(),
                            active: true,
                            width: 80,
                            height: 24,
                            zoomed: false,
                            attention: None,
                        }],
                        attention: None,
                    }],
                }],
                captured_at: "2026-11-30T05:57:02.123Z".into(),
            },
        },
    );
    assert_server(
        r#"{"type":"scrollback","paneId":"%3","text":"a\nb\n","lines":2}"#,
        ServerMessage::Scrollback {
            pane_id: "%3".into(),
            text: "a\nb\n".into(),
            lines: 2,
            offset: None,
            done: None,
        },
    );
    assert_server(
        r#"{"type":"scrollback","paneId":"%3","text":"b\n","lines":2,"offset":2,"done":true}"#,
        ServerMessage::Scrollback {
            pane_id: "%3".into(),
            text: "b\n".into(),
            lines: 2,
            offset: Some(2),
            done: Some(true),
        },
    );
    assert_server(
        r#"{"type":"error","message":"invalid message format"}"#,
        ServerMessage::Error {
            message: "invalid message format".into(),
        },
    );
    assert_server(
        r#"{"type":"info","message":"tmux client exited"}"#,
        ServerMessage::Info {
            message: "tmux client exited".into(),
        },
    );
    assert_server(
        r#"{"type":"overview_tile","paneId":"%7","lines":["running tests…","ok: 212 passed"]}"#,
        ServerMessage::OverviewTile(OverviewTile::from_screen(
            PaneId::from(7),
            "running tests…\nok: 212 passed\n\n",
        )),
    );
}

#[test]
fn client_fixture_file_round_trips_and_covers_every_type() {
    let mut seen = BTreeSet::new();
    for fixture in fixtures(CLIENT_FIXTURES) {
        let frame = serde_json::to_vec(&fixture).unwrap();
        let msg = decode_control(&frame).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(serde_json::to_value(&msg).unwrap(), fixture);
        // serde's Deserialize agrees with decode_control.
        let via_serde: ClientMessage = serde_json::from_value(fixture.clone()).unwrap();
        assert_eq!(via_serde, msg);
        seen.insert(msg.type_name());
    }
    let all = [
        "auth",
        "select_session",
        "new_session",
        "new_window",
        "select_window",
        "kill_window",
        "select_pane",
        "split_pane",
        "scroll_pane",
        "kill_pane",
        "zoom_pane",
        "capture_scrollback",
        "send_compose",
        "ack_attention",
        "overview",
    ];
    assert_eq!(seen, all.into_iter().collect());
}

#[test]
fn server_fixture_file_round_trips_and_covers_every_type() {
    let mut seen = BTreeSet::new();
    for fixture in fixtures(SERVER_FIXTURES) {
        let msg: ServerMessage =
            serde_json::from_value(fixture.clone()).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let encoded: Value = serde_json::from_str(&encode_server(&msg)).unwrap();
        assert_eq!(encoded, fixture);
        seen.insert(msg.type_name());
    }
    let all = [
        "auth_ok",
        "auth_error",
        "attached",
        "session_picker",
        "tmux_state",
        "tmux_state_delta",
        "scrollback",
        "scrolled",
        "error",
        "info",
        "attention",
        "overview_tile",
    ];
    assert_eq!(seen, all.into_iter().collect());
}

/// What the original client (tmux-mobile 0.0.8) sends: `JSON.stringify`
/// output, where `undefined` fields are omitted, no extension fields, and
/// sometimes fields this version does not know.
#[test]
fn original_client_shapes_decode() {
    // First load: no password, no client id.
    assert_eq!(
        decode_control(br#"{"type":"auth","token":"Zm9vYmFy"}"#).unwrap(),
        ClientMessage::Auth(AuthRequest {
            token: "Zm9vYmFy".into(),
            ..AuthRequest::default()
        })
    );
    // Reconnect with the id the server gave it.
    let msg =
        decode_control(br#"{"type":"auth","token":"t","password":"p","clientId":"AbC-12_x"}"#)
            .unwrap();
    let ClientMessage::Auth(auth) = msg else {
        panic!("{msg:?}")
    };
    assert_eq!(auth.client_id, Some(client("AbC-12_x")));
    assert_eq!(auth.session_key, None);
    // Later versions of the original added fields; they are ignored.
    assert!(matches!(
        decode_control(br#"{"type":"auth","token":"t","session":"main"}"#),
        Ok(ClientMessage::Auth(_))
    ));
    assert_eq!(
        decode_control(br#"{"type":"select_pane","paneId":"%1","extra":{"x":[1]}}"#).unwrap(),
        ClientMessage::SelectPane {
            pane_id: PaneId::from(1),
            sticky_zoom: None
        }
    );
    // Whitespace and key order do not matter.
    assert_eq!(
        decode_control(
            b" { \"windowIndex\" : 1 , \"session\" : \"s\" , \"type\" : \"kill_window\" } "
        )
        .unwrap(),
        ClientMessage::KillWindow {
            session: session("s"),
            window_index: WindowIndex::new(1)
        }
    );
    // The original terminal socket: auth, then resize, then keystrokes.
    let auth =
        decode_terminal_auth(br#"{"type":"auth","token":"t","clientId":"AbC-12_x"}"#).unwrap();
    assert_eq!(auth.client_id, Some(client("AbC-12_x")));
    assert!(!auth.binary);
    // The 0.0.8 web client's own terminal auth names no client.
    let auth = decode_terminal_auth(br#"{"type":"auth","token":"t","password":"p"}"#).unwrap();
    assert_eq!(auth.client_id, None);
    assert_eq!(
        classify_terminal_frame(br#"{"type":"resize","cols":43,"rows":37}"#),
        TerminalFrame::Resize(Resize { cols: 43, rows: 37 })
    );
    assert_eq!(
        classify_terminal_frame(b"\r"),
        TerminalFrame::Input(Redacted::new(&b"\r"[..]))
    );
}

/// What the original server sent (no extension fields) decodes, with the
/// extensions at their defaults.
#[test]
fn original_server_shapes_decode() {
    let msg: ServerMessage = serde_json::from_str(
        r#"{"type":"auth_ok","clientId":"AbC-12_x","requiresPassword":false}"#,
    )
    .unwrap();
    assert_eq!(
        msg,
        ServerMessage::AuthOk {
            client_id: client("AbC-12_x"),
            requires_password: false,
            read_only: false,
            protocol_version: 1,
            session_key: None,
            snippets: Vec::new(),
        }
    );
    // A later original added `currentPath` to panes; unknown fields are ignored.
    let msg: ServerMessage = serde_json::from_str(
        r#"{"type":"tmux_state","state":{"sessions":[{"name":"a","attached":false,"windows":1,
        "windowStates":[{"index":0,"name":"w","active":true,"paneCount":1,"panes":[{"index":0,
        "id":"%9","currentCommand":"zsh","active":true,"width":1,"height":1,"zoomed":false,
        "currentPath":"/home"}]}]}],"capturedAt":"2020-01-01T00:00:00.000Z"}}"#,
    )
    .unwrap();
    assert_eq!(msg.type_name(), "tmux_state");
}

#[test]
fn the_spec_error_strings_are_exact() {
    assert_eq!(
        decode_control(b"not json").unwrap_err().to_string(),
        "invalid message format"
    );
    assert_eq!(
        decode_control(br#"{"kind":"auth"}"#).unwrap_err(),
        ProtocolError::InvalidFormat
    );
    assert_eq!(
        decode_control(br#"{"type":"select_pane","paneId":"1"}"#)
            .unwrap_err()
            .to_string(),
        "paneId must look like %12"
    );
    assert_eq!(
        decode_terminal_auth(b"hello").unwrap_err().to_string(),
        "auth required"
    );
    assert_eq!(
        decode_control(br#"{"type":"frobnicate"}"#)
            .unwrap_err()
            .to_string(),
        "unknown message type \"frobnicate\" (this server speaks tmux-mobile protocol v1)"
    );
}
