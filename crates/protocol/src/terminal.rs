//! The `/ws/terminal` socket: its auth frame, resize frames and everything
//! else, which is terminal input.
//!
//! The rules are in the [crate documentation](crate#the-terminal-socket).

//!
//! | frame (after auth) | [`classify_terminal_frame`] |
//! |---|---|
//! | exactly `{"type":"resize","cols":N,"rows":M}`, both within 2..=1000 | [`TerminalFrame::Resize`] |
//! | exactly that shape (keys `type`, `cols`, `rows` and no others, numbers) but a value out of range or not whole | [`TerminalFrame::Ignored`] |
//! | exactly a valid terminal `auth` object | [`TerminalFrame::Auth`] |
//! | exactly a JSON object with `"type":"auth"` that is not a valid one | [`TerminalFrame::Ignored`] |
//! | anything else: keystrokes, pastes, text that contains or starts with a resize object | [`TerminalFrame::Input`] |
//!
//! Out-of-range resizes are [`TerminalFrame::Ignored`] rather than input
//! because PROTOCOL.md says they are *ignored*: typing
//! `{"type":"resize","cols":0,"rows":0}` into a shell would surprise
//! everyone. An `auth` object is never input either, so credentials re-sent
//! by a confused client never end up in a shell's history.
//!
//! A browser that asks for the WebSocket subprotocol
//! [`DEFLATE_SUBPROTOCOL`] gets its output compressed (see that constant);
//! its input frames are the same as everyone's.
//!
//! `classify_terminal_frame` is for **text** frames only: binary frames are
//! always terminal input, and the very first frame is checked with
//! [`decode_terminal_auth`] instead.

use serde::{Deserialize, Serialize};

/// The WebSocket subprotocol (`Sec-WebSocket-Protocol`) with which a
/// browser asks `/ws/terminal` for compressed output: every output frame is
/// then binary and the next piece of one raw DEFLATE stream (RFC 1951, no
/// zlib header) per socket, each ending in a sync flush
/// (`00 00 ff ff`) so it inflates completely on arrival. Input frames and
/// sockets without the subprotocol are unchanged.
pub const DEFLATE_SUBPROTOCOL: &str = "tmux-mobile.v1.deflate";
use serde_json::{Number, Value};

use crate::error::ProtocolError;
use crate::ids::ClientId;
use crate::limits::CONTROL_FRAME_LIMIT;
use crate::redacted::Redacted;

/// A terminal size requested by the browser, in character cells; both
/// dimensions are within [`Resize::MIN`]`..=`[`Resize::MAX`] when the value
/// came from [`Resize::new`] or from a frame.
///
/// On the wire it is the text frame `{"type":"resize","cols":N,"rows":M}`.
/// This is the wire form only: a program that sizes a terminal uses its
/// own type (the tmux-mobile server converts to `pty-bridge`'s
/// `WindowSize`, whose range is the same, in one place).
///
/// ```
/// use tmux_mobile_protocol::Resize;
/// let size = Resize::new(80, 24)?;
/// assert_eq!(
///     serde_json::to_string(&size)?,
///     r#"{"type":"resize","cols":80,"rows":24}"#
/// );
/// assert!(Resize::new(1, 24).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename = "resize", try_from = "ResizeWire")]
pub struct Resize {
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
}

impl Resize {
    /// The smallest dimension accepted.
    pub const MIN: u16 = 2;
    /// The largest dimension accepted.
    pub const MAX: u16 = 1000;

    /// A size of `cols` × `rows`, if both are within `MIN..=MAX`.
    pub fn new(cols: u16, rows: u16) -> Result<Resize, ProtocolError> {
        let check = |field: &'static str, value: u16| {
            if (Self::MIN..=Self::MAX).contains(&value) {
                Ok(value)
            } else {
                Err(ProtocolError::field(field, "must be between 2 and 1000"))
            }
        };
        Ok(Resize {
            cols: check("cols", cols)?,
            rows: check("rows", rows)?,
        })
    }
}

/// What `Resize` deserializes from before its range check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResizeWire {
    #[serde(rename = "type")]
    _type: ResizeTag,
    cols: u16,
    rows: u16,
}

/// The only `type` a resize object may have.
#[derive(Deserialize)]
enum ResizeTag {
    #[serde(rename = "resize")]
    Resize,
}

impl TryFrom<ResizeWire> for Resize {
    type Error = ProtocolError;
    fn try_from(wire: ResizeWire) -> Result<Resize, ProtocolError> {
        Resize::new(wire.cols, wire.rows)
    }
}

/// The first frame of `/ws/terminal`:
/// `{"type":"auth","token","password"?,"clientId"?,"sessionKey"?,"binary"?}`.
///
/// `Debug` prints `***` in place of the token, the password and the session
/// key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename = "auth", rename_all = "camelCase")]
pub struct TerminalAuth {
    /// The access token (empty when the frame had none, which fails
    /// authentication).
    pub token: Redacted<String>,
    /// The password, if the server asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Redacted<String>>,
    /// The control client this terminal belongs to. The original 0.0.8 web
    /// client sends none; the server then picks the client by the rule in
    /// `docs/PROTOCOL.md` (the newest control login from the same address
    /// with the same role that has no terminal yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// A session key standing in for the password (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_key: Option<Redacted<String>>,
    /// Send output as binary frames instead of text frames (extension).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
}

/// Decodes the first frame of `/ws/terminal`, which must be a text frame
/// holding an `auth` object.
///
/// Errors, and the close the server should answer them with (code 4001
/// unless noted):
///
/// - [`ProtocolError::TooLarge`] over [`CONTROL_FRAME_LIMIT`] bytes (an auth
///   frame is small; the terminal's larger limit is for input): close 1009;
/// - [`ProtocolError::AuthRequired`] when the frame is not a JSON object with
///   `"type":"auth"`: reason `auth required`;
/// - [`ProtocolError::InvalidField`] for an invalid `clientId` or a field of
///   the wrong type: reason `unauthorized`. A missing `clientId` is `None`.
///
/// A missing `token` decodes as an empty token, which then fails
/// authentication. Never panics.
///
/// ```
/// use tmux_mobile_protocol::{decode_terminal_auth, ProtocolError};
/// let auth = decode_terminal_auth(br#"{"type":"auth","token":"t","clientId":"c1"}"#)?;
/// assert_eq!(auth.client_id.expect("named").as_str(), "c1");
/// assert!(!auth.binary);
/// assert_eq!(decode_terminal_auth(b"ls\r"), Err(ProtocolError::AuthRequired));
/// # Ok::<(), ProtocolError>(())
/// ```
pub fn decode_terminal_auth(frame: &[u8]) -> Result<TerminalAuth, ProtocolError> {
    if frame.len() > CONTROL_FRAME_LIMIT {
        return Err(ProtocolError::TooLarge {
            limit: CONTROL_FRAME_LIMIT,
            actual: frame.len(),
        });
    }
    let value: Value = serde_json::from_slice(frame).map_err(|_| ProtocolError::AuthRequired)?;
    auth_from_value(&value)
}

fn auth_from_value(value: &Value) -> Result<TerminalAuth, ProtocolError> {
    let map = value.as_object().ok_or(ProtocolError::AuthRequired)?;
    if map.get("type").and_then(Value::as_str) != Some("auth") {
        return Err(ProtocolError::AuthRequired);
    }
    let get = |name: &str| map.get(name).filter(|v| !v.is_null());
    let opt_string = |name: &'static str| {
        get(name)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ProtocolError::field(name, "must be a string"))
            })
            .transpose()
    };
    let client_id = match get("clientId") {
        None => None,
        Some(v) => {
            let id = v
                .as_str()
                .ok_or_else(|| ProtocolError::field("clientId", "must be a string"))?;
            Some(ClientId::try_from(id)?)
        }
    };
    let binary = match get("binary") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| ProtocolError::field("binary", "must be true or false"))?,
    };
    Ok(TerminalAuth {
        token: opt_string("token")?.unwrap_or_default().into(),
        password: opt_string("password")?.map(Redacted::from),
        client_id,
        session_key: opt_string("sessionKey")?.map(Redacted::from),
        binary,
    })
}

/// What a text frame on an authenticated `/ws/terminal` socket means. See the
/// [crate documentation](crate#the-terminal-socket) for the exact rules.
///
/// `Debug` prints input as `Input(***)`: keystrokes may be a password
/// typed at a prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TerminalFrame<'a> {
    /// A valid `auth` object. After authentication it has no effect; the
    /// server must not write it to the terminal.
    Auth(TerminalAuth),
    /// Resize the terminal.
    Resize(Resize),
    /// A control object that must neither act nor be written to the
    /// terminal: a resize with out-of-range values, or an invalid `auth`.
    Ignored,
    /// Bytes to write to the terminal as they are.
    Input(Redacted<&'a [u8]>),
}

/// Classifies one **text** frame received on `/ws/terminal` after
/// authentication. Binary frames are always input and need no
/// classification. Never panics.
///
/// ```
/// use tmux_mobile_protocol::{classify_terminal_frame, Redacted, Resize, TerminalFrame};
/// assert_eq!(
///     classify_terminal_frame(br#"{"type":"resize","cols":120,"rows":40}"#),
///     TerminalFrame::Resize(Resize { cols: 120, rows: 40 })
/// );
/// // Out of range: neither a resize nor input.
/// assert_eq!(
///     classify_terminal_frame(br#"{"type":"resize","cols":1,"rows":40}"#),
///     TerminalFrame::Ignored
/// );
/// // A paste that contains a resize object is input, byte for byte.
/// let paste = br#"echo {"type":"resize","cols":120,"rows":40}"#;
/// assert_eq!(classify_terminal_frame(paste), TerminalFrame::Input(Redacted::new(&paste[..])));
/// ```
pub fn classify_terminal_frame(frame: &[u8]) -> TerminalFrame<'_> {
    if frame.len() > CONTROL_FRAME_LIMIT || !looks_like_object(frame) {
        return TerminalFrame::Input(Redacted::new(frame));
    }
    // The strict shape first: exactly the keys `type`, `cols`, `rows`, each
    // once, with numbers.
    if let Ok(raw) = serde_json::from_slice::<ResizeShape>(frame) {
        return match (dimension(&raw.cols), dimension(&raw.rows)) {
            (Some(cols), Some(rows)) => {
                Resize::new(cols, rows).map_or(TerminalFrame::Ignored, TerminalFrame::Resize)
            }
            _ => TerminalFrame::Ignored,
        };
    }
    let Ok(value) = serde_json::from_slice::<Value>(frame) else {
        return TerminalFrame::Input(Redacted::new(frame));
    };
    if value.get("type").and_then(Value::as_str) == Some("auth") {
        return auth_from_value(&value).map_or(TerminalFrame::Ignored, TerminalFrame::Auth);
    }
    TerminalFrame::Input(Redacted::new(frame))
}

/// A resize object of the exact wire shape, before its range check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResizeShape {
    #[serde(rename = "type")]
    _type: ResizeTag,
    cols: Number,
    rows: Number,
}

/// Whether `frame` starts with `{` and ends with `}`, ignoring JSON
/// whitespace: the cheap test that keeps ordinary input away from the JSON
/// parser.
fn looks_like_object(frame: &[u8]) -> bool {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let first = frame.iter().find(|b| !is_space(b));
    let last = frame.iter().rev().find(|b| !is_space(b));
    first == Some(&b'{') && last == Some(&b'}')
}

/// A JSON number as a terminal dimension, if it is a whole number that fits
/// in `u16` (range is checked by [`Resize::new`]).
fn dimension(n: &Number) -> Option<u16> {
    n.as_u64().and_then(|v| u16::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_bounds_are_inclusive() {
        assert!(Resize::new(2, 2).is_ok());
        assert!(Resize::new(1000, 1000).is_ok());
        assert_eq!(
            Resize::new(1, 24).unwrap_err().to_string(),
            "cols must be between 2 and 1000"
        );
        assert_eq!(
            Resize::new(80, 1001).unwrap_err().to_string(),
            "rows must be between 2 and 1000"
        );
        assert!(Resize::new(0, 0).is_err());
    }

    #[test]
    fn resize_serde_round_trips_and_validates() {
        let json = r#"{"type":"resize","cols":80,"rows":24}"#;
        let size: Resize = serde_json::from_str(json).unwrap();
        assert_eq!(size, Resize { cols: 80, rows: 24 });
        assert_eq!(serde_json::to_string(&size).unwrap(), json);
        assert!(serde_json::from_str::<Resize>(r#"{"type":"resize","cols":1,"rows":24}"#).is_err());
        assert!(serde_json::from_str::<Resize>(r#"{"type":"other","cols":80,"rows":24}"#).is_err());
        assert!(
            serde_json::from_str::<Resize>(r#"{"type":"resize","cols":80,"rows":24,"x":1}"#)
                .is_err()
        );
    }

    fn input(frame: &[u8]) {
        assert_eq!(
            classify_terminal_frame(frame),
            TerminalFrame::Input(Redacted::new(frame)),
            "{:?}",
            String::from_utf8_lossy(frame)
        );
    }

    fn ignored(frame: &[u8]) {
        assert_eq!(
            classify_terminal_frame(frame),
            TerminalFrame::Ignored,
            "{:?}",
            String::from_utf8_lossy(frame)
        );
    }

    #[test]
    fn exact_resize_objects_resize() {
        for frame in [
            &br#"{"type":"resize","cols":80,"rows":24}"#[..],
            br#"{"rows":24,"cols":80,"type":"resize"}"#,
            b" {\"type\" : \"resize\",\n\"cols\":80,\"rows\":24}\r\n",
        ] {
            assert_eq!(
                classify_terminal_frame(frame),
                TerminalFrame::Resize(Resize { cols: 80, rows: 24 })
            );
        }
        assert_eq!(
            classify_terminal_frame(br#"{"type":"resize","cols":2,"rows":1000}"#),
            TerminalFrame::Resize(Resize {
                cols: 2,
                rows: 1000
            })
        );
    }

    #[test]
    fn out_of_range_resizes_are_ignored_not_typed() {
        ignored(br#"{"type":"resize","cols":1,"rows":24}"#);
        ignored(br#"{"type":"resize","cols":80,"rows":1001}"#);
        ignored(br#"{"type":"resize","cols":0,"rows":0}"#);
        ignored(br#"{"type":"resize","cols":-80,"rows":24}"#);
        ignored(br#"{"type":"resize","cols":80.5,"rows":24}"#);
        ignored(br#"{"type":"resize","cols":99999999999,"rows":24}"#);
    }

    #[test]
    fn anything_else_is_input() {
        input(b"");
        input(b"l");
        input(b"{");
        input(b"}");
        input(b"{}");
        input(b"\x1b[A");
        input("ünïcödé".as_bytes());
        input(b"\xff\xfe");
        // Pastes that contain or start with a resize object.
        input(br#"{"type":"resize","cols":80,"rows":24} and more"#);
        input(br#"echo '{"type":"resize","cols":80,"rows":24}'"#);
        input(br#"{"type":"resize","cols":80,"rows":24}{"type":"resize","cols":80,"rows":24}"#);
        // Resize-like objects of another shape.
        input(br#"{"type":"resize","cols":80,"rows":24,"extra":1}"#);
        input(br#"{"type":"resize","cols":80}"#);
        input(br#"{"type":"resize","cols":"80","rows":"24"}"#);
        input(br#"{"type":"Resize","cols":80,"rows":24}"#);
        input(br#"{"cols":80,"rows":24}"#);
        input(br#"{"type":"resize","cols":80,"rows":24,"cols":81}"#);
        // Other JSON a person may paste.
        input(br#"{"type":"select_pane","paneId":"%1"}"#);
        input(br#"{"a": [1, 2, {"b": null}]}"#);
        // A huge paste is not parsed at all.
        let mut big = br#"{"type":"resize","cols":80,"rows":24"#.to_vec();
        big.resize(CONTROL_FRAME_LIMIT + 10, b' ');
        big.push(b'}');
        input(&big);
    }

    #[test]
    fn auth_objects_never_become_input() {
        let frame = br#"{"type":"auth","token":"t","clientId":"c1"}"#;
        let TerminalFrame::Auth(auth) = classify_terminal_frame(frame) else {
            panic!("not auth");
        };
        assert_eq!(auth.client_id.expect("named").as_str(), "c1");
        // The original client's shape, naming no client.
        let TerminalFrame::Auth(auth) =
            classify_terminal_frame(br#"{"type":"auth","token":"secret"}"#)
        else {
            panic!("not auth");
        };
        assert_eq!(auth.client_id, None);
        ignored(br#"{"type":"auth","token":"secret","clientId":"bad id"}"#);
    }

    #[test]
    fn terminal_auth_decodes_fields_and_extensions() {
        let auth = decode_terminal_auth(
            br#"{"type":"auth","token":"t","password":"p","clientId":"c1","sessionKey":"k","binary":true}"#,
        )
        .unwrap();
        assert_eq!(&*auth.token, "t");
        assert_eq!(auth.password.as_deref(), Some("p"));
        assert_eq!(auth.session_key.as_deref(), Some("k"));
        assert!(auth.binary);
        // The original client's shape.
        let auth =
            decode_terminal_auth(br#"{"type":"auth","token":"t","password":null,"clientId":"c1"}"#)
                .unwrap();
        assert_eq!(auth.password, None);
        assert!(!auth.binary);
        // The original 0.0.8 web client names no client.
        let auth = decode_terminal_auth(br#"{"type":"auth","token":"t","password":"p"}"#).unwrap();
        assert_eq!(auth.client_id, None);
        assert_eq!(auth.password.as_deref(), Some("p"));
        // No token: decodes, and fails authentication later.
        assert_eq!(
            decode_terminal_auth(br#"{"type":"auth","clientId":"c1"}"#)
                .unwrap()
                .token
                .expose(),
            ""
        );
    }

    #[test]
    fn terminal_auth_errors() {
        for frame in [
            &b""[..],
            b"ls\r",
            b"[]",
            b"{}",
            br#"{"type":"resize","cols":80,"rows":24}"#,
            br#"{"type":"AUTH","token":"t","clientId":"c1"}"#,
            br#"{"type":"auth","token":"t","clientId":"c1"} x"#,
        ] {
            assert_eq!(
                decode_terminal_auth(frame),
                Err(ProtocolError::AuthRequired),
                "{frame:?}"
            );
        }
        let err = |frame: &[u8]| decode_terminal_auth(frame).unwrap_err().to_string();
        assert_eq!(
            err(br#"{"type":"auth","token":"t","clientId":"a b"}"#),
            "clientId must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
        );
        assert_eq!(
            err(br#"{"type":"auth","token":"t","clientId":1}"#),
            "clientId must be a string"
        );
        assert_eq!(
            err(br#"{"type":"auth","token":"t","clientId":"c","binary":"yes"}"#),
            "binary must be true or false"
        );
        assert_eq!(
            err(br#"{"type":"auth","token":1,"clientId":"c"}"#),
            "token must be a string"
        );
        assert!(matches!(
            decode_terminal_auth(&vec![b' '; CONTROL_FRAME_LIMIT + 1]),
            Err(ProtocolError::TooLarge { .. })
        ));
    }

    #[test]
    fn terminal_auth_debug_hides_secrets() {
        let auth = TerminalAuth {
            token: "tok-SECRET".into(),
            password: Some("pw-SECRET".into()),
            client_id: Some(ClientId::try_from("c1").unwrap()),
            session_key: Some("key-SECRET".into()),
            binary: true,
        };
        let shown = format!("{auth:?} {:?}", TerminalFrame::Auth(auth.clone()));
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("token: ***"), "{shown}");
        assert!(shown.contains("c1"), "{shown}");
        let typed = TerminalFrame::Input(Redacted::new(&b"hunter2\r"[..]));
        assert_eq!(format!("{typed:?}"), "Input(***)");
    }

    #[test]
    fn terminal_auth_serializes_to_the_wire_shape() {
        let auth = TerminalAuth {
            token: "t".into(),
            password: None,
            client_id: Some(ClientId::try_from("c1").unwrap()),
            session_key: None,
            binary: false,
        };
        let json = serde_json::to_string(&auth).unwrap();
        assert_eq!(json, r#"{"type":"auth","token":"t","clientId":"c1"}"#);
        assert_eq!(decode_terminal_auth(json.as_bytes()).unwrap(), auth);
    }
}
