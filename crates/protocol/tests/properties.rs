//! Property tests: the decoders never panic on arbitrary bytes, and every
//! valid message survives an encode/decode round trip.

use proptest::prelude::*;
use tmux_mobile_protocol::{
    AuthRequest, ClientId, ClientMessage, Orientation, PaneId, PaneState, ProtocolError, Redacted,
    Resize, ScrollbackLines, ServerMessage, SessionName, SessionState, SessionSummary,
    TerminalFrame, TmuxState, WindowIndex, WindowState, classify_terminal_frame, decode_control,
    decode_terminal_auth, encode_server,
};

fn session_name() -> impl Strategy<Value = SessionName> {
    "[a-zA-Z0-9_ ;'\"$()ü日-]{1,40}"
        .prop_filter_map("valid session name", |s| SessionName::try_from(s).ok())
}

fn pane_id() -> impl Strategy<Value = PaneId> {
    any::<u32>().prop_map(PaneId::from)
}

fn client_id() -> impl Strategy<Value = ClientId> {
    "[A-Za-z0-9_-]{1,64}".prop_map(|s| ClientId::try_from(s).unwrap())
}

fn client_message() -> impl Strategy<Value = ClientMessage> {
    prop_oneof![
        (
            any::<String>(),
            proptest::option::of(any::<String>()),
            proptest::option::of(client_id()),
            proptest::option::of(any::<String>()),
        )
            .prop_map(|(token, password, client_id, session_key)| {
                ClientMessage::Auth(AuthRequest {
                    token: token.into(),
                    password: password.map(Redacted::new),
                    client_id,
                    session_key: session_key.map(Redacted::new),
                })
            }),
        session_name().prop_map(|session| ClientMessage::SelectSession { session }),
        session_name().prop_map(|name| ClientMessage::NewSession { name }),
        session_name().prop_map(|session| ClientMessage::NewWindow { session }),
        (
            session_name(),
            any::<u32>(),
            proptest::option::of(any::<bool>())
        )
            .prop_map(|(session, i, sticky_zoom)| ClientMessage::SelectWindow {
                session,
                window_index: WindowIndex::new(i),
                sticky_zoom,
            }),
        (session_name(), any::<u32>()).prop_map(|(session, i)| ClientMessage::KillWindow {
            session,
            window_index: WindowIndex::new(i),
        }),
        (pane_id(), proptest::option::of(any::<bool>())).prop_map(|(pane_id, sticky_zoom)| {
            ClientMessage::SelectPane {
                pane_id,
                sticky_zoom,
            }
        }),
        (
            pane_id(),
            any::<bool>(),
            proptest::option::of(any::<bool>())
        )
            .prop_map(|(pane_id, h, sticky_zoom)| ClientMessage::SplitPane {
                pane_id,
                orientation: if h {
                    Orientation::Horizontal
                } else {
                    Orientation::Vertical
                },
                sticky_zoom,
            }),
        (pane_id(), -10_000i32..=10_000)
            .prop_map(|(pane_id, lines)| ClientMessage::ScrollPane { pane_id, lines }),
        pane_id().prop_map(|pane_id| ClientMessage::KillPane { pane_id }),
        pane_id().prop_map(|pane_id| ClientMessage::ZoomPane { pane_id }),
        (
            pane_id(),
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<bool>())
        )
            .prop_map(
                |(pane_id, lines, stream)| ClientMessage::CaptureScrollback {
                    pane_id,
                    lines: lines.map(ScrollbackLines::new),
                    stream,
                }
            ),
        any::<String>().prop_map(|text| ClientMessage::SendCompose { text: text.into() }),
    ]
}

fn pane_state() -> impl Strategy<Value = PaneState> {
    (
        any::<u32>(),
        any::<String>(),
        any::<String>(),
        any::<bool>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
    )
        .prop_map(
            |(index, id, current_command, active, width, height, zoomed)| PaneState {
                index,
                id,
                current_command,
                active,
                width,
                height,
                zoomed,
                attention: None,
            },
        )
}

fn tmux_state() -> impl Strategy<Value = TmuxState> {
    let window = (
        any::<u32>(),
        any::<String>(),
        any::<bool>(),
        proptest::collection::vec(pane_state(), 0..3),
    )
        .prop_map(|(index, name, active, panes)| WindowState {
            index,
            name,
            active,
            pane_count: u32::try_from(panes.len()).unwrap(),
            panes,
            attention: None,
        });
    let session = (
        any::<String>(),
        any::<bool>(),
        proptest::collection::vec(window, 0..3),
    )
        .prop_map(|(name, attached, window_states)| SessionState {
            name,
            attached,
            windows: u32::try_from(window_states.len()).unwrap(),
            window_states,
        });
    (proptest::collection::vec(session, 0..3), any::<String>()).prop_map(
        |(sessions, captured_at)| TmuxState {
            sessions,
            captured_at,
        },
    )
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    prop_oneof![
        (
            client_id(),
            any::<bool>(),
            any::<bool>(),
            any::<u32>(),
            proptest::option::of(any::<String>()),
            proptest::collection::vec((any::<String>(), any::<String>()), 0..3),
        )
            .prop_map(
                |(
                    client_id,
                    requires_password,
                    read_only,
                    protocol_version,
                    session_key,
                    snippets,
                )| {
                    ServerMessage::AuthOk {
                        client_id,
                        requires_password,
                        read_only,
                        protocol_version,
                        session_key: session_key.map(Redacted::new),
                        snippets: snippets
                            .into_iter()
                            .map(|(label, text)| tmux_mobile_protocol::Snippet { label, text })
                            .collect(),
                    }
                }
            ),
        (any::<String>(), proptest::option::of(any::<u64>())).prop_map(
            |(reason, retry_after_ms)| ServerMessage::AuthError {
                reason,
                retry_after_ms
            }
        ),
        any::<String>().prop_map(|session| ServerMessage::Attached { session }),
        proptest::collection::vec(
            (any::<String>(), any::<bool>(), any::<u32>()).prop_map(|(name, attached, windows)| {
                SessionSummary {
                    name,
                    attached,
                    windows,
                }
            }),
            0..4
        )
        .prop_map(|sessions| ServerMessage::SessionPicker { sessions }),
        tmux_state().prop_map(|state| ServerMessage::TmuxState { state }),
        (
            any::<String>(),
            any::<String>(),
            any::<u32>(),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<bool>())
        )
            .prop_map(|(pane_id, text, lines, offset, done)| {
                ServerMessage::Scrollback {
                    pane_id,
                    text: text.into(),
                    lines,
                    offset,
                    done,
                }
            }),
        (any::<String>(), any::<u32>())
            .prop_map(|(pane_id, position)| ServerMessage::Scrolled { pane_id, position }),
        any::<String>().prop_map(|message| ServerMessage::Error { message }),
        any::<String>().prop_map(|message| ServerMessage::Info { message }),
    ]
}

/// Bytes that are often almost-JSON: random bytes, random text, and
/// mutations of real messages.
fn frame_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        any::<String>().prop_map(String::into_bytes),
        (client_message(), any::<usize>(), any::<u8>()).prop_map(|(msg, at, byte)| {
            let mut bytes = serde_json::to_vec(&msg).unwrap();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes
        }),
        (client_message(), any::<usize>()).prop_map(|(msg, len)| {
            let bytes = serde_json::to_vec(&msg).unwrap();
            bytes[..len % (bytes.len() + 1)].to_vec()
        }),
        (any::<i64>(), any::<i64>(), "[ \\n]{0,2}").prop_map(|(c, r, ws)| {
            format!(r#"{ws}{{"type":"resize","cols":{c},"rows":{r}}}{ws}"#).into_bytes()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_control_never_panics(frame in frame_bytes()) {
        if let Err(e) = decode_control(&frame) {
            // Every error renders as a bounded sentence.
            prop_assert!(e.to_string().len() < 400);
        }
    }

    #[test]
    fn terminal_decoders_never_panic(frame in frame_bytes()) {
        let _ = decode_terminal_auth(&frame);
        match classify_terminal_frame(&frame) {
            TerminalFrame::Input(bytes) => prop_assert_eq!(*bytes.expose(), &frame[..]),
            TerminalFrame::Resize(Resize { cols, rows }) => {
                prop_assert!((2..=1000).contains(&cols) && (2..=1000).contains(&rows));
            }
            TerminalFrame::Auth(_) | TerminalFrame::Ignored => {}
        }
    }

    #[test]
    fn client_messages_round_trip(msg in client_message()) {
        let frame = serde_json::to_vec(&msg).unwrap();
        prop_assume!(frame.len() <= tmux_mobile_protocol::CONTROL_FRAME_LIMIT);
        prop_assert_eq!(decode_control(&frame).unwrap(), msg);
    }

    #[test]
    fn server_messages_round_trip(msg in server_message()) {
        let text = encode_server(&msg);
        let back: ServerMessage = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, msg);
    }

    #[test]
    fn valid_resizes_round_trip_and_anything_around_them_is_input(
        cols in 2u16..=1000,
        rows in 2u16..=1000,
        before in "[a-z ]{0,3}",
        after in "[a-z\n]{0,3}",
    ) {
        let resize = Resize::new(cols, rows).unwrap();
        let json = serde_json::to_string(&resize).unwrap();
        prop_assert_eq!(classify_terminal_frame(json.as_bytes()), TerminalFrame::Resize(resize));
        let paste = format!("{before}{json}{after}");
        if before.trim().is_empty() && after.trim().is_empty() {
            prop_assert_eq!(classify_terminal_frame(paste.as_bytes()), TerminalFrame::Resize(resize));
        } else {
            prop_assert_eq!(
                classify_terminal_frame(paste.as_bytes()),
                TerminalFrame::Input(Redacted::new(paste.as_bytes()))
            );
        }
    }

    #[test]
    fn session_names_accept_or_explain(name in any::<String>()) {
        match SessionName::try_from(name.as_str()) {
            Ok(valid) => {
                prop_assert_eq!(valid.as_str(), name.as_str());
                prop_assert!(!name.contains([':', '.']));
                prop_assert!(!name.chars().any(char::is_control));
            }
            Err(ProtocolError::InvalidField { field, .. }) => prop_assert_eq!(field, "session name"),
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
        }
    }
}
