//! The `/ws/control` socket: every JSON message a browser and the server
//! exchange on it, the decoder for frames from browsers and the encoder for
//! frames to them.
//!
//! The rules are in the [crate documentation](crate#the-control-socket).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::args::{Orientation, ScrollbackLines};
use crate::attention::Attention;
use crate::delta::StateDelta;
use crate::devices::{DeviceId, DeviceInfo};
use crate::error::ProtocolError;
use crate::ids::{ClientId, PaneId, SessionName, WindowIndex, window_index_error};
use crate::limits::{CONTROL_FRAME_LIMIT, PROTOCOL_VERSION, SCROLL_LINES_LIMIT};
use crate::overview::OverviewTile;
use crate::redacted::Redacted;
use crate::snippet::Snippet;
use crate::state::{SessionSummary, TmuxState};

/// A message from a browser on `/ws/control`, tagged by its `type`.
///
/// Build one with [`decode_control`] (or serde's `Deserialize`, which uses
/// the same checks). `Serialize` writes the wire form, omitting optional
/// fields that are `None`.
///
/// `Debug` hides what a person typed or their credentials: `auth` secrets
/// print as `***` and `send_compose` text as its length, so a message can be
/// logged without leaking a password typed into the compose bar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// `auth`: the first message; credentials and, to resume, a previous
    /// client id.
    Auth(AuthRequest),
    /// `select_session`: attach to another base session.
    SelectSession {
        /// The base session to attach to.
        session: SessionName,
    },
    /// `new_session`: create a session and attach to it.
    NewSession {
        /// The new session's name.
        name: SessionName,
    },
    /// `new_window`: open a window in the client's attached session.
    NewWindow {
        /// The session the browser believes it is in. The server targets
        /// the client's own attached session regardless.
        session: SessionName,
    },
    /// `select_window`: switch to a window.
    #[serde(rename_all = "camelCase")]
    SelectWindow {
        /// The session the browser believes it is in.
        session: SessionName,
        /// The window to select.
        window_index: WindowIndex,
        /// Keep the window's pane zoomed after switching.
        #[serde(skip_serializing_if = "Option::is_none")]
        sticky_zoom: Option<bool>,
    },
    /// `kill_window`: close a window.
    #[serde(rename_all = "camelCase")]
    KillWindow {
        /// The session the browser believes it is in.
        session: SessionName,
        /// The window to close.
        window_index: WindowIndex,
    },
    /// `select_pane`: focus a pane.
    #[serde(rename_all = "camelCase")]
    SelectPane {
        /// The pane to focus.
        pane_id: PaneId,
        /// Keep the pane zoomed after switching.
        #[serde(skip_serializing_if = "Option::is_none")]
        sticky_zoom: Option<bool>,
    },
    /// `split_pane`: split a pane in two.
    #[serde(rename_all = "camelCase")]
    SplitPane {
        /// The pane to split.
        pane_id: PaneId,
        /// Beside (`h`) or below (`v`).
        orientation: Orientation,
        /// Zoom the new pane (a phone has no room for two).
        #[serde(skip_serializing_if = "Option::is_none")]
        sticky_zoom: Option<bool>,
    },
    /// `scroll_pane` (extension): scroll a pane's history in tmux's copy
    /// mode by `lines` (negative: back in time); `0` leaves copy mode.
    #[serde(rename_all = "camelCase")]
    ScrollPane {
        /// The pane to scroll.
        pane_id: PaneId,
        /// Lines to scroll, within ±[`SCROLL_LINES_LIMIT`].
        lines: i32,
    },
    /// `kill_pane`: close a pane.
    #[serde(rename_all = "camelCase")]
    KillPane {
        /// The pane to close.
        pane_id: PaneId,
    },
    /// `zoom_pane`: toggle a pane's zoom.
    #[serde(rename_all = "camelCase")]
    ZoomPane {
        /// The pane to zoom or unzoom.
        pane_id: PaneId,
    },
    /// `capture_scrollback`: ask for a pane's history (answered with
    /// [`ServerMessage::Scrollback`]).
    #[serde(rename_all = "camelCase")]
    CaptureScrollback {
        /// The pane whose history is wanted.
        pane_id: PaneId,
        /// How many lines; `None` means the server's configured default.
        #[serde(skip_serializing_if = "Option::is_none")]
        lines: Option<ScrollbackLines>,
        /// Extension: the client assembles the answer from several
        /// `scrollback` parts (each with `offset` and `done`), so a long
        /// history never has to travel as one message. `None` (what the
        /// original client sends) means one `scrollback` message.
        #[serde(skip_serializing_if = "Option::is_none")]
        stream: Option<bool>,
    },
    /// `send_compose`: type `text` followed by Enter (`\r`) into the
    /// client's terminal.
    SendCompose {
        /// The text, written as it is.
        text: Redacted<String>,
    },
    /// `ack_attention` (extension): the person has seen the attention of
    /// this pane; clears it for this client only.
    #[serde(rename_all = "camelCase")]
    AckAttention {
        /// The pane whose attention is acknowledged.
        pane_id: PaneId,
    },
    /// `list_devices` (extension): asks for the remembered devices
    /// (answered with `devices`); see [`DeviceInfo`](crate::DeviceInfo).
    ListDevices,
    /// `revoke_device` (extension): forget a remembered device, and close
    /// its connections (answered with `devices`).
    RevokeDevice {
        /// The device.
        id: DeviceId,
    },
    /// `overview` (extension): start (`open: true`) or stop sending
    /// [`ServerMessage::OverviewTile`]s; see [`OverviewTile`](crate::OverviewTile).
    Overview {
        /// Whether the overview is open.
        open: bool,
    },
}

impl ClientMessage {
    /// The wire `type` of this message, e.g. `"select_pane"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMessage::Auth(_) => "auth",
            ClientMessage::SelectSession { .. } => "select_session",
            ClientMessage::NewSession { .. } => "new_session",
            ClientMessage::NewWindow { .. } => "new_window",
            ClientMessage::SelectWindow { .. } => "select_window",
            ClientMessage::KillWindow { .. } => "kill_window",
            ClientMessage::SelectPane { .. } => "select_pane",
            ClientMessage::SplitPane { .. } => "split_pane",
            ClientMessage::ScrollPane { .. } => "scroll_pane",
            ClientMessage::KillPane { .. } => "kill_pane",
            ClientMessage::ZoomPane { .. } => "zoom_pane",
            ClientMessage::CaptureScrollback { .. } => "capture_scrollback",
            ClientMessage::SendCompose { .. } => "send_compose",
            ClientMessage::AckAttention { .. } => "ack_attention",
            ClientMessage::ListDevices => "list_devices",
            ClientMessage::RevokeDevice { .. } => "revoke_device",
            ClientMessage::Overview { .. } => "overview",
        }
    }
}

impl<'de> Deserialize<'de> for ClientMessage {
    /// Accepts exactly what [`decode_control`] accepts (apart from the size
    /// limit, which applies to frames).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        decode_value(&value).map_err(D::Error::custom)
    }
}

/// The `auth` message: `{"type":"auth","token",...}`.
///
/// `Debug` prints `***` in place of the token, the password and the session
/// key, so the value can be logged.
///
/// A missing `token` decodes as an empty token (the original client could
/// omit it); authentication then fails with `invalid token`. A `clientId`
/// that is not a valid [`ClientId`] is treated as absent, so the server
/// assigns a fresh id, as the original server did.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthRequest {
    /// The access token from the URL.
    pub token: Redacted<String>,
    /// The password, if the server asked for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Redacted<String>>,
    /// A previous client id, to resume that client (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// A session key from an earlier `auth_ok`, standing in for the password
    /// (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_key: Option<Redacted<String>>,
}

/// A message from the server on `/ws/control`, tagged by its `type`.
///
/// Write it with [`encode_server`]. `Debug` prints `***` for the session key
/// and scrollback text as its length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// `auth_ok`: the client is authenticated.
    #[serde(rename_all = "camelCase")]
    AuthOk {
        /// The client's id (new, or the resumed one).
        client_id: ClientId,
        /// Whether this server asks for a password.
        requires_password: bool,
        /// Whether the client may only watch (extension; `false` when an
        /// original server omits it).
        #[serde(default)]
        read_only: bool,
        /// [`PROTOCOL_VERSION`] (extension; `1` when an original server
        /// omits it).
        #[serde(default = "default_protocol_version")]
        protocol_version: u32,
        /// A key the browser may present instead of the password later;
        /// only after a password was checked (extension).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session_key: Option<Redacted<String>>,
        /// Default snippet buttons from the server's config file
        /// (extension; absent when there are none, and never sent to a
        /// read-only client, which cannot type).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        snippets: Vec<Snippet>,
    },
    /// `auth_error`: authentication failed or is required; the socket stays
    /// open for another attempt.
    #[serde(rename_all = "camelCase")]
    AuthError {
        /// `invalid token`, `invalid password`, `auth required` or
        /// `too many attempts`.
        reason: String,
        /// With `too many attempts`: how long to wait (extension).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// `attached`: the client's terminal now shows this (grouped) session.
    Attached {
        /// The client's own session, `tmux-mobile-client-<clientId>`.
        session: String,
    },
    /// `session_picker`: several base sessions exist; the browser picks one.
    SessionPicker {
        /// The base sessions (managed sessions are never listed).
        sessions: Vec<SessionSummary>,
    },
    /// `tmux_state`: the current picture of tmux.
    TmuxState {
        /// Sessions, windows and panes.
        state: TmuxState,
    },
    /// `tmux_state_delta` (extension, only to a client that asked for
    /// deltas): what changed since the last state sent on this socket.
    TmuxStateDelta {
        /// See [state deltas](crate#state-deltas-extension).
        delta: StateDelta,
    },
    /// `scrollback`: the answer to `capture_scrollback` — one message, or,
    /// when the request asked to `stream`, one part of it.
    #[serde(rename_all = "camelCase")]
    Scrollback {
        /// The pane captured.
        pane_id: String,
        /// The captured text (with `stream`: this part of it).
        text: Redacted<String>,
        /// How many lines were asked for.
        lines: u32,
        /// Extension, parts of a stream only: where `text` starts in the
        /// whole capture, in UTF-8 bytes (the sum of the earlier parts'
        /// lengths).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
        /// Extension, parts of a stream only: whether this is the last part.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<bool>,
    },
    /// `scrolled` (extension): the answer to `scroll_pane`: how far back
    /// the pane's copy mode now is (`0`: live, not in copy mode).
    #[serde(rename_all = "camelCase")]
    Scrolled {
        /// The pane scrolled.
        pane_id: String,
        /// Lines above the live screen now shown.
        position: u32,
    },
    /// `error`: something the client asked for failed.
    Error {
        /// What went wrong, for a person.
        message: String,
    },
    /// `info`: a notice for the person.
    Info {
        /// The notice.
        message: String,
    },
    /// `attention` (extension): a pane needs its person; see
    /// [attention](crate#attention-extension).
    Attention(Attention),
    /// `devices` (extension): the remembered devices, the most recently
    /// seen first; see [`DeviceInfo`](crate::DeviceInfo).
    Devices {
        /// The devices.
        devices: Vec<DeviceInfo>,
    },
    /// `overview_tile` (extension, only while the client has the overview
    /// open): the last lines of a window's active pane; see
    /// [`OverviewTile`](crate::OverviewTile).
    OverviewTile(OverviewTile),
}

fn default_protocol_version() -> u32 {
    PROTOCOL_VERSION
}

impl ServerMessage {
    /// The wire `type` of this message, e.g. `"tmux_state"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ServerMessage::AuthOk { .. } => "auth_ok",
            ServerMessage::AuthError { .. } => "auth_error",
            ServerMessage::Attached { .. } => "attached",
            ServerMessage::SessionPicker { .. } => "session_picker",
            ServerMessage::TmuxState { .. } => "tmux_state",
            ServerMessage::TmuxStateDelta { .. } => "tmux_state_delta",
            ServerMessage::Scrollback { .. } => "scrollback",
            ServerMessage::Scrolled { .. } => "scrolled",
            ServerMessage::Error { .. } => "error",
            ServerMessage::Info { .. } => "info",
            ServerMessage::Attention(_) => "attention",
            ServerMessage::Devices { .. } => "devices",
            ServerMessage::OverviewTile(_) => "overview_tile",
        }
    }
}

/// Decodes one `/ws/control` frame from a browser.
///
/// The size limit ([`CONTROL_FRAME_LIMIT`]) is checked before anything is
/// parsed. See the [crate documentation](crate#the-control-socket) for which error each kind of
/// bad frame gets. Never panics, whatever the bytes.
///
/// ```
/// use tmux_mobile_protocol::{decode_control, ClientMessage, ProtocolError};
/// assert!(matches!(
///     decode_control(br#"{"type":"auth","token":"t"}"#),
///     Ok(ClientMessage::Auth(_))
/// ));
/// assert_eq!(decode_control(b"[1,2]"), Err(ProtocolError::InvalidFormat));
/// assert!(matches!(
///     decode_control(br#"{"type":"dance"}"#),
///     Err(ProtocolError::UnknownType(t)) if t == "dance"
/// ));
/// ```
pub fn decode_control(frame: &[u8]) -> Result<ClientMessage, ProtocolError> {
    if frame.len() > CONTROL_FRAME_LIMIT {
        return Err(ProtocolError::TooLarge {
            limit: CONTROL_FRAME_LIMIT,
            actual: frame.len(),
        });
    }
    let value: Value = serde_json::from_slice(frame).map_err(|_| ProtocolError::InvalidFormat)?;
    decode_value(&value)
}

/// Encodes a server message as the text of one `/ws/control` frame.
///
/// ```
/// use tmux_mobile_protocol::{encode_server, ServerMessage};
/// let text = encode_server(&ServerMessage::Info { message: "hi".into() });
/// assert_eq!(text, r#"{"type":"info","message":"hi"}"#);
/// ```
pub fn encode_server(msg: &ServerMessage) -> String {
    // Serializing these types cannot fail: every map key is a string and
    // every value is plain data. The fallback keeps this function total.
    serde_json::to_string(msg).unwrap_or_else(|_| {
        r#"{"type":"error","message":"internal error: could not encode a message"}"#.to_owned()
    })
}

/// Decodes an already-parsed JSON value as a [`ClientMessage`].
fn decode_value(value: &Value) -> Result<ClientMessage, ProtocolError> {
    let map = value.as_object().ok_or(ProtocolError::InvalidFormat)?;
    let ty = map
        .get("type")
        .and_then(Value::as_str)
        .ok_or(ProtocolError::InvalidFormat)?;
    let fields = Fields(map);
    let msg = match ty {
        "auth" => ClientMessage::Auth(AuthRequest {
            token: fields.opt_string("token")?.unwrap_or_default().into(),
            password: fields.opt_string("password")?.map(Redacted::from),
            client_id: fields
                .opt_string("clientId")?
                .and_then(|id| ClientId::try_from(id).ok()),
            session_key: fields.opt_string("sessionKey")?.map(Redacted::from),
        }),
        "select_session" => ClientMessage::SelectSession {
            session: fields.session_name("session")?,
        },
        "new_session" => ClientMessage::NewSession {
            name: fields.session_name("name")?,
        },
        "new_window" => ClientMessage::NewWindow {
            session: fields.session_name("session")?,
        },
        "select_window" => ClientMessage::SelectWindow {
            session: fields.session_name("session")?,
            window_index: fields.window_index()?,
            sticky_zoom: fields.opt_bool("stickyZoom")?,
        },
        "kill_window" => ClientMessage::KillWindow {
            session: fields.session_name("session")?,
            window_index: fields.window_index()?,
        },
        "select_pane" => ClientMessage::SelectPane {
            pane_id: fields.pane_id()?,
            sticky_zoom: fields.opt_bool("stickyZoom")?,
        },
        "split_pane" => ClientMessage::SplitPane {
            pane_id: fields.pane_id()?,
            orientation: fields.string("orientation")?.parse()?,
            sticky_zoom: fields.opt_bool("stickyZoom")?,
        },
        "scroll_pane" => ClientMessage::ScrollPane {
            pane_id: fields.pane_id()?,
            lines: fields.scroll_lines()?,
        },
        "kill_pane" => ClientMessage::KillPane {
            pane_id: fields.pane_id()?,
        },
        "zoom_pane" => ClientMessage::ZoomPane {
            pane_id: fields.pane_id()?,
        },
        "capture_scrollback" => ClientMessage::CaptureScrollback {
            pane_id: fields.pane_id()?,
            lines: fields.opt_lines()?,
            stream: fields.opt_bool("stream")?,
        },
        "send_compose" => ClientMessage::SendCompose {
            text: fields.string("text")?.into(),
        },
        "ack_attention" => ClientMessage::AckAttention {
            pane_id: fields.pane_id()?,
        },
        "list_devices" => ClientMessage::ListDevices,
        "revoke_device" => ClientMessage::RevokeDevice {
            id: DeviceId::try_from(fields.string("id")?)?,
        },
        "overview" => ClientMessage::Overview {
            open: fields
                .opt_bool("open")?
                .ok_or_else(|| ProtocolError::field("open", "is required"))?,
        },
        other => return Err(ProtocolError::unknown_type(other)),
    };
    Ok(msg)
}

/// The fields of one message, read with errors that name the field.
/// `null` counts as absent everywhere.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn required(&self, name: &'static str) -> Result<&'a Value, ProtocolError> {
        self.get(name)
            .ok_or_else(|| ProtocolError::field(name, "is required"))
    }

    fn string(&self, name: &'static str) -> Result<&'a str, ProtocolError> {
        self.required(name)?
            .as_str()
            .ok_or_else(|| ProtocolError::field(name, "must be a string"))
    }

    fn opt_string(&self, name: &'static str) -> Result<Option<&'a str>, ProtocolError> {
        self.get(name)
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| ProtocolError::field(name, "must be a string"))
            })
            .transpose()
    }

    fn opt_bool(&self, name: &'static str) -> Result<Option<bool>, ProtocolError> {
        self.get(name)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| ProtocolError::field(name, "must be true or false"))
            })
            .transpose()
    }

    fn session_name(&self, name: &'static str) -> Result<SessionName, ProtocolError> {
        SessionName::try_from(self.string(name)?).map_err(|e| e.for_field(name))
    }

    fn pane_id(&self) -> Result<PaneId, ProtocolError> {
        PaneId::try_from(self.string("paneId")?)
    }

    fn window_index(&self) -> Result<WindowIndex, ProtocolError> {
        self.required("windowIndex")?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(WindowIndex::new)
            .ok_or_else(window_index_error)
    }

    fn scroll_lines(&self) -> Result<i32, ProtocolError> {
        self.required("lines")?
            .as_i64()
            .filter(|n| n.unsigned_abs() <= u64::from(SCROLL_LINES_LIMIT))
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| {
                ProtocolError::field(
                    "lines",
                    "must be a whole number from -10000 to 10000 (0 leaves copy mode)",
                )
            })
    }

    fn opt_lines(&self) -> Result<Option<ScrollbackLines>, ProtocolError> {
        let Some(value) = self.get("lines") else {
            return Ok(None);
        };
        let Value::Number(n) = value else {
            return Err(ProtocolError::field("lines", "must be a number"));
        };
        let lines = if let Some(u) = n.as_u64() {
            ScrollbackLines::new(u32::try_from(u).unwrap_or(u32::MAX))
        } else if let Some(i) = n.as_i64() {
            ScrollbackLines::from_i64(i)
        } else {
            ScrollbackLines::from_f64(n.as_f64().unwrap_or_default())
        };
        Ok(Some(lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_error(json: &str) -> String {
        match decode_control(json.as_bytes()) {
            Err(e @ ProtocolError::InvalidField { .. }) => e.to_string(),
            other => panic!("{json}: expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn size_limit_is_checked_before_parsing() {
        let mut frame = br#"{"type":"send_compose","text":""#.to_vec();
        frame.resize(CONTROL_FRAME_LIMIT - 2, b'a');
        frame.extend_from_slice(br#""}"#);
        assert_eq!(frame.len(), CONTROL_FRAME_LIMIT);
        assert!(decode_control(&frame).is_ok());
        // One byte more is refused even though it is perfectly good JSON...
        let mut bigger = frame.clone();
        bigger.insert(1, b' ');
        assert_eq!(
            decode_control(&bigger),
            Err(ProtocolError::TooLarge {
                limit: CONTROL_FRAME_LIMIT,
                actual: CONTROL_FRAME_LIMIT + 1
            })
        );
        // ...and so is garbage of that size (not InvalidFormat: no parsing).
        assert!(matches!(
            decode_control(&vec![b'x'; CONTROL_FRAME_LIMIT + 1]),
            Err(ProtocolError::TooLarge { .. })
        ));
    }

    #[test]
    fn frames_that_are_not_typed_objects_are_invalid_format() {
        for frame in [
            &b""[..],
            b"   ",
            b"hello",
            b"{",
            b"null",
            b"42",
            b"\"auth\"",
            b"[{\"type\":\"auth\"}]",
            b"{}",
            b"{\"type\":null}",
            b"{\"type\":1}",
            b"{\"type\":{\"a\":1}}",
            b"{\"type\":\"auth\"} trailing",
            b"{\"type\":\"auth\",\"token\":\"\xff\"}",
        ] {
            let err = decode_control(frame).unwrap_err();
            assert_eq!(err, ProtocolError::InvalidFormat, "{frame:?}");
            assert_eq!(err.to_string(), "invalid message format");
        }
    }

    #[test]
    fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
        let mut frame = "[".repeat(20_000);
        frame.push_str(&"]".repeat(20_000));
        assert_eq!(
            decode_control(frame.as_bytes()),
            Err(ProtocolError::InvalidFormat)
        );
    }

    #[test]
    fn unknown_types_are_their_own_error() {
        assert_eq!(
            decode_control(br#"{"type":"rename_session","session":"a","newName":"b"}"#),
            Err(ProtocolError::UnknownType("rename_session".into()))
        );
        assert_eq!(
            decode_control(br#"{"type":""}"#),
            Err(ProtocolError::UnknownType(String::new()))
        );
        // The server's own message types are not client messages.
        assert!(matches!(
            decode_control(br#"{"type":"auth_ok"}"#),
            Err(ProtocolError::UnknownType(_))
        ));
        // Type names are case-sensitive.
        assert!(matches!(
            decode_control(br#"{"type":"AUTH"}"#),
            Err(ProtocolError::UnknownType(_))
        ));
    }

    #[test]
    fn field_errors_name_the_field_and_the_fix() {
        let cases = [
            (r#"{"type":"select_pane"}"#, "paneId is required"),
            (
                r#"{"type":"select_pane","paneId":null}"#,
                "paneId is required",
            ),
            (
                r#"{"type":"select_pane","paneId":3}"#,
                "paneId must be a string",
            ),
            (
                r#"{"type":"select_pane","paneId":"3"}"#,
                "paneId must look like %12",
            ),
            (
                r#"{"type":"select_pane","paneId":"%3","stickyZoom":"yes"}"#,
                "stickyZoom must be true or false",
            ),
            (
                r#"{"type":"split_pane","paneId":"%3","orientation":"x"}"#,
                "orientation must be \"h\" or \"v\"",
            ),
            (
                r#"{"type":"split_pane","paneId":"%3"}"#,
                "orientation is required",
            ),
            (
                r#"{"type":"new_session","name":"a:b"}"#,
                "name must not contain ':' or '.' (tmux would rename the session, replacing them with '_')",
            ),
            (
                r#"{"type":"new_session","name":""}"#,
                "name must not be empty",
            ),
            (r#"{"type":"new_session"}"#, "name is required"),
            (
                r#"{"type":"select_session","session":"-x"}"#,
                "session must not start with '-'",
            ),
            (
                r#"{"type":"select_window","session":"s","windowIndex":-1}"#,
                "windowIndex must be a whole number from 0 to 4294967295",
            ),
            (
                r#"{"type":"select_window","session":"s","windowIndex":1.5}"#,
                "windowIndex must be a whole number from 0 to 4294967295",
            ),
            (
                r#"{"type":"kill_window","session":"s","windowIndex":"1"}"#,
                "windowIndex must be a whole number from 0 to 4294967295",
            ),
            (
                r#"{"type":"kill_window","session":"s","windowIndex":4294967296}"#,
                "windowIndex must be a whole number from 0 to 4294967295",
            ),
            (
                r#"{"type":"kill_window","session":"s"}"#,
                "windowIndex is required",
            ),
            (
                r#"{"type":"capture_scrollback","paneId":"%1","lines":"9"}"#,
                "lines must be a number",
            ),
            (
                r#"{"type":"scroll_pane","paneId":"%1","lines":10001}"#,
                "lines must be a whole number from -10000 to 10000 (0 leaves copy mode)",
            ),
            (
                r#"{"type":"scroll_pane","paneId":"%1","lines":-2.5}"#,
                "lines must be a whole number from -10000 to 10000 (0 leaves copy mode)",
            ),
            (
                r#"{"type":"scroll_pane","paneId":"%1"}"#,
                "lines is required",
            ),
            (
                r#"{"type":"send_compose","text":5}"#,
                "text must be a string",
            ),
            (r#"{"type":"send_compose"}"#, "text is required"),
            (r#"{"type":"overview"}"#, "open is required"),
            (
                r#"{"type":"overview","open":"yes"}"#,
                "open must be true or false",
            ),
            (r#"{"type":"auth","token":5}"#, "token must be a string"),
            (
                r#"{"type":"auth","token":"t","password":true}"#,
                "password must be a string",
            ),
            (
                r#"{"type":"auth","token":"t","sessionKey":[]}"#,
                "sessionKey must be a string",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(field_error(json), expected, "{json}");
        }
    }

    #[test]
    fn auth_is_lenient_where_the_original_was() {
        let msg = decode_control(br#"{"type":"auth"}"#).unwrap();
        assert_eq!(msg, ClientMessage::Auth(AuthRequest::default()));
        let msg =
            decode_control(br#"{"type":"auth","token":"t","clientId":"not valid!"}"#).unwrap();
        let ClientMessage::Auth(auth) = msg else {
            panic!("not auth: {msg:?}")
        };
        assert_eq!(&*auth.token, "t");
        assert_eq!(auth.client_id, None);
    }

    #[test]
    fn lines_are_clamped_not_refused() {
        let lines = |n: &str| {
            let json = format!(r#"{{"type":"capture_scrollback","paneId":"%1","lines":{n}}}"#);
            match decode_control(json.as_bytes()).unwrap() {
                ClientMessage::CaptureScrollback { lines, .. } => lines.map(ScrollbackLines::get),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(lines("0"), Some(1));
        assert_eq!(lines("-7"), Some(1));
        assert_eq!(lines("250"), Some(250));
        assert_eq!(lines("2.9"), Some(2));
        assert_eq!(lines("1e9"), Some(50_000));
        assert_eq!(lines("18446744073709551616"), Some(50_000));
        assert_eq!(lines("null"), None);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let auth = AuthRequest {
            token: "tok-SECRET".into(),
            password: Some("pw-SECRET".into()),
            client_id: Some(ClientId::try_from("abc").unwrap()),
            session_key: Some("key-SECRET".into()),
        };
        let shown = format!("{auth:?} {:?}", ClientMessage::Auth(auth.clone()));
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        assert!(shown.contains("abc"), "{shown}");

        let ok = ServerMessage::AuthOk {
            client_id: ClientId::try_from("abc").unwrap(),
            requires_password: true,
            read_only: false,
            protocol_version: 1,
            session_key: Some("key-SECRET".into()),
            snippets: Vec::new(),
        };
        let shown = format!("{ok:?} {ok:#?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("***"), "{shown}");

        let compose = ClientMessage::SendCompose {
            text: "sudo-pw-SECRET".into(),
        };
        assert_eq!(format!("{compose:?}"), "SendCompose { text: *** }");
        let scrollback = ServerMessage::Scrollback {
            pane_id: "%1".into(),
            text: "abc".into(),
            lines: 5,
            offset: None,
            done: None,
        };
        assert_eq!(
            format!("{scrollback:?}"),
            "Scrollback { pane_id: \"%1\", text: ***, lines: 5, offset: None, done: None }"
        );

        let none = AuthRequest::default();
        assert_eq!(
            format!("{none:?}"),
            "AuthRequest { token: ***, password: None, client_id: None, session_key: None }"
        );
    }

    #[test]
    fn type_names_match_the_wire() {
        let msgs = [
            r#"{"type":"auth","token":"t"}"#,
            r#"{"type":"select_session","session":"s"}"#,
            r#"{"type":"new_session","name":"s"}"#,
            r#"{"type":"new_window","session":"s"}"#,
            r#"{"type":"select_window","session":"s","windowIndex":0}"#,
            r#"{"type":"kill_window","session":"s","windowIndex":0}"#,
            r#"{"type":"select_pane","paneId":"%0"}"#,
            r#"{"type":"split_pane","paneId":"%0","orientation":"v"}"#,
            r#"{"type":"kill_pane","paneId":"%0"}"#,
            r#"{"type":"zoom_pane","paneId":"%0"}"#,
            r#"{"type":"capture_scrollback","paneId":"%0"}"#,
            r#"{"type":"send_compose","text":""}"#,
            r#"{"type":"ack_attention","paneId":"%4"}"#,
            r#"{"type":"list_devices"}"#,
            r#"{"type":"revoke_device","id":"d1"}"#,
            r#"{"type":"overview","open":true}"#,
            r#"{"type":"overview","open":false}"#,
        ];
        for json in msgs {
            let msg = decode_control(json.as_bytes()).unwrap();
            let value: Value = serde_json::from_str(json).unwrap();
            assert_eq!(value["type"], msg.type_name());
            assert_eq!(serde_json::to_value(&msg).unwrap(), value, "{json}");
        }
    }

    #[test]
    fn encode_server_writes_camel_case_and_omits_absent_extensions() {
        let ok = ServerMessage::AuthOk {
            client_id: ClientId::try_from("c1").unwrap(),
            requires_password: false,
            read_only: false,
            protocol_version: PROTOCOL_VERSION,
            session_key: None,
            snippets: Vec::new(),
        };
        assert_eq!(
            encode_server(&ok),
            r#"{"type":"auth_ok","clientId":"c1","requiresPassword":false,"readOnly":false,"protocolVersion":1}"#
        );
        assert_eq!(ok.type_name(), "auth_ok");
        let err = ServerMessage::AuthError {
            reason: "invalid token".into(),
            retry_after_ms: None,
        };
        assert_eq!(
            encode_server(&err),
            r#"{"type":"auth_error","reason":"invalid token"}"#
        );
    }
}
