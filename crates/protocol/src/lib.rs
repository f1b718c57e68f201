//! Wire protocol of tmux-mobile (v1): the messages a browser and the server
//! exchange on `/ws/control` and `/ws/terminal`, their validation and their
//! size limits.
//!
//! This crate does no I/O. It exists so that every byte that arrives from the
//! network is turned into a typed, validated value in exactly one place, and so
//! that other programs can speak the protocol without pulling in a server.
//! The contract it implements is `docs/PROTOCOL.md` in the repository
//! (<https://github.com/tmux-mobile/tmux-mobile-rs/blob/main/docs/PROTOCOL.md>).
//!
//! What it holds:
//!
//! - validated identifiers ([`PaneId`], [`SessionName`], [`WindowIndex`],
//!   [`ClientId`]) and other arguments ([`Orientation`],
//!   [`ScrollbackLines`]);
//! - the control socket's messages in both directions ([`ClientMessage`],
//!   [`ServerMessage`]), [`decode_control`] and [`encode_server`];
//! - the attention extension: [`Attention`] (a pane needs its person),
//!   [`AttentionReason`], [`QuickReply`], [`clip_text`] and their limits;
//! - the picture of tmux sent in `tmux_state` ([`TmuxState`]) and
//!   `tmux_state_delta` ([`state_delta`], [`apply_state_delta`]);
//! - the terminal socket's frames: [`decode_terminal_auth`] for the first,
//!   [`classify_terminal_frame`] for the rest, [`Resize`];
//! - the remembered-devices extension ([`DeviceInfo`], [`DeviceId`]), the
//!   default snippet buttons of `auth_ok` ([`Snippet`]) and the overview's
//!   tiles ([`OverviewTile`]);
//! - [`Redacted`], the field type that keeps secrets out of `Debug`;
//! - times ([`rfc3339_now`], [`unix_millis_now`]), the protocol version and
//!   frame size limits, and [`ProtocolError`].
//!
//! Every item is at the crate root; the modules are private (one path for
//! everything).
//!
//! # The control socket
//!
//! The `/ws/control` socket: every JSON message a browser and the server
//! exchange on it, the decoder for frames from browsers and the encoder for
//! frames to them.
//!
//! Decoding is done by hand rather than by serde's derive so that every way a
//! frame can be wrong gets its own error, in the words a person can act on:
//!
//! | frame | result |
//! |---|---|
//! | over [`CONTROL_FRAME_LIMIT`] bytes | [`ProtocolError::TooLarge`], checked before parsing |
//! | not JSON, not an object, `type` missing or not a string | [`ProtocolError::InvalidFormat`] (`invalid message format`) |
//! | a `type` this version does not know | [`ProtocolError::UnknownType`] |
//! | a known `type` with a missing or malformed field | [`ProtocolError::InvalidField`], e.g. `paneId must look like %12` |
//!
//! Fields this version does not know are ignored, and optional fields may be
//! absent or `null`, so clients of the original tmux-mobile (and newer
//! clients) are understood.
//!
//! ```
//! use tmux_mobile_protocol::{decode_control, ClientMessage, PaneId};
//! let msg = decode_control(br#"{"type":"zoom_pane","paneId":"%3"}"#)?;
//! assert_eq!(msg, ClientMessage::ZoomPane { pane_id: PaneId::from(3) });
//! let err = decode_control(br#"{"type":"zoom_pane","paneId":"3"}"#).unwrap_err();
//! assert_eq!(err.to_string(), "paneId must look like %12");
//! # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
//! ```
//!
//! # The terminal socket
//!
//! The `/ws/terminal` socket: its auth frame, resize frames and everything
//! else, which is terminal input.
//!
//! This module decides what a frame from a browser's terminal socket means.
//! The rule that matters most: a text frame is a resize only if the whole
//! frame is exactly a resize object. A paste that merely contains or starts
//! with one is input, and is written to the terminal unchanged.
//!
//! # Identifiers
//!
//! Validated identifiers: tmux pane ids, session names, window indexes and
//! the ids of browser clients.
//!
//! Every identifier that arrives from a browser is turned into one of these
//! types before it goes anywhere near tmux, so that code further in can pass
//! them to `tmux` as argv elements without re-checking them. Each type can
//! only hold a valid value: construction (`TryFrom`, `FromStr`, serde
//! `Deserialize`) validates.
//!
//! ## Session names and tmux's own rules
//!
//! tmux silently rewrites `:` and `.` in a new session's name to `_` (they
//! separate session, window and pane in a target), so a session created as
//! `a:1` is called `a_1`, and a target `a:1` would address window 1 of
//! session `a`. A session that already exists therefore never has `:` or `.`
//! in its name. [`SessionName`] refuses both characters everywhere, with an
//! error that says why, rather than letting a browser create a session under
//! a name other than the one it asked for.
//!
//! Names starting with `-` are refused too: such a name would be read as an
//! option by any program that got it as a positional argument. Everything
//! else a person might type is allowed: spaces, quotes, `$()`, `;`, `#`,
//! non-ASCII letters. That is safe because tmux-mobile never uses a shell;
//! names travel as single argv elements and are matched exactly (`=name`).
//!
//! # State deltas (extension)
//!
//! `tmux_state_delta` (extension): what changed since the last state, for a
//! client that asked for deltas (subprotocol [`STATE_DELTA_SUBPROTOCOL`] on
//! `/ws/control`).
//!
//! A big server (10 sessions × 10 windows × 4 panes) makes a `tmux_state` of
//! about 23 KB, and a phone on a tunnel used to receive all of it for every
//! window rename. A delta names what stayed the same instead of repeating it:
//!
//! - `sessions` is the new session list, in order. An element that is a
//!   **string** stands for the session of that name in the base state,
//!   unchanged. An element that is an **object** is that session's new
//!   value, except that in its `windowStates` a **number** stands for the
//!   window with that index in the base's session of the same name,
//!   unchanged; every other element is the window's new value, panes and all.
//!   Sessions and windows not listed are gone.
//! - Every other field of the state (`capturedAt`, and whatever later
//!   versions add) is sent whole in every delta.
//!
//! The base is the last state (full or reconstructed) sent on the same
//! socket; the first state after `auth` is always a full `tmux_state`. The
//! functions work on JSON values rather than on [`TmuxState`]
//! so that fields added to the state later travel in deltas without a change
//! here.
//!
//! ```
//! use serde_json::json;
//! use tmux_mobile_protocol::{apply_state_delta, state_delta};
//! let base = json!({"sessions": [
//!     {"name": "a", "attached": true, "windows": 2, "windowStates": [
//!         {"index": 0, "name": "vim", "active": true, "paneCount": 1, "panes": []},
//!         {"index": 1, "name": "logs", "active": false, "paneCount": 1, "panes": []}]},
//!     {"name": "b", "attached": false, "windows": 0, "windowStates": []}],
//!     "capturedAt": "2026-12-03T09:00:00.000Z"});
//! let mut next = base.clone();
//! next["sessions"][0]["windowStates"][1]["name"] = json!("build");
//! next["capturedAt"] = json!("2026-12-03T09:00:01.000Z");
//!
//! let delta = state_delta(&base, &next);
//! assert_eq!(delta["sessions"][1], json!("b"));
//! assert_eq!(delta["sessions"][0]["windowStates"][0], json!(0));
//! assert_eq!(apply_state_delta(&base, &delta)?, next);
//! # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
//! ```
//!
//! # Attention (extension)
//!
//! Attention (extension): the server telling a phone that a pane needs its
//! person, and the phone saying it has seen it.
//!
//! - server → client: [`Attention`], sent as `{"type":"attention",…}` (see
//!   [`ServerMessage::Attention`]) when a pane rang the bell, shows a
//!   confirmation prompt, sent a desktop notification (OSC 9 / OSC 777), went
//!   silent or showed activity;
//! - in `tmux_state`, every window and pane with attention pending for that
//!   phone carries `"attention": "<reason>"` ([`WindowState`],
//!   [`PaneState`]); absent when none;
//! - client → server: `{"type":"ack_attention","paneId":"%N"}`
//!   ([`ClientMessage::AckAttention`]) clears it for that phone.
//!
//! The original's clients ignore the unknown message type and fields.
//!
//! ```
//! use tmux_mobile_protocol::{Attention, AttentionReason, ServerMessage, encode_server};
//! let attention = Attention::new("main", 1, "%3".parse()?, AttentionReason::Bell, "", 1_796_000_000_000);
//! assert_eq!(
//!     encode_server(&ServerMessage::Attention(attention)),
//!     r#"{"type":"attention","session":"main","windowIndex":1,"paneId":"%3","reason":"bell","text":"","at":1796000000000}"#
//! );
//! # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
//! ```
#![forbid(unsafe_code)]

mod args;
mod attention;
mod control;
mod delta;
mod devices;
mod error;
mod ids;
mod limits;
mod overview;
mod redacted;
mod snippet;
mod state;
mod terminal;
mod time;

pub use args::{Orientation, ScrollbackLines};
pub use attention::{
    ATTENTION_TEXT_LIMIT, Attention, AttentionReason, QUICK_REPLY_LIMIT, QuickReply, clip_text,
};
pub use control::{AuthRequest, ClientMessage, ServerMessage, decode_control, encode_server};
pub use delta::{STATE_DELTA_SUBPROTOCOL, StateDelta, apply_state_delta, state_delta};
pub use devices::{DEVICE_ID_MAX_LEN, DeviceId, DeviceInfo};
pub use error::ProtocolError;
pub use ids::{ClientId, MANAGED_SESSION_PREFIX, PaneId, SessionName, WindowIndex};
pub use limits::{CONTROL_FRAME_LIMIT, PROTOCOL_VERSION, SCROLL_LINES_LIMIT, TERMINAL_FRAME_LIMIT};
pub use overview::{OVERVIEW_LINE_CHARS, OVERVIEW_TILE_LIMIT, OVERVIEW_TILE_LINES, OverviewTile};
pub use redacted::Redacted;
pub use snippet::{SNIPPET_LABEL_LIMIT, SNIPPET_LIMIT, SNIPPET_TEXT_LIMIT, Snippet};
pub use state::{PaneState, SessionState, SessionSummary, TmuxState, WindowState};
pub use terminal::{
    DEFLATE_SUBPROTOCOL, Resize, TerminalAuth, TerminalFrame, classify_terminal_frame,
    decode_terminal_auth,
};
pub use time::{format_rfc3339, rfc3339_now, unix_millis_now};

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
