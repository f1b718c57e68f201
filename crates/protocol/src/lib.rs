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
//! - [`ids`] — validated identifiers ([`PaneId`], [`SessionName`],
//!   [`WindowIndex`], [`ClientId`]) and how session names relate to tmux's
//!   own naming rules.
//! - [`args`] — other validated arguments ([`Orientation`],
//!   [`ScrollbackLines`]).
//! - [`control`] — the control socket's messages in both directions
//!   ([`ClientMessage`], [`ServerMessage`]), [`decode_control`] and
//!   [`encode_server`].
//! - [`attention`] — the attention extension: [`Attention`] (a pane needs
//!   its person), [`AttentionReason`], [`QuickReply`].
//! - [`devices`] — the remembered-devices extension: [`DeviceInfo`],
//!   [`DeviceId`].
//! - [`snippet`] — [`Snippet`]: default snippet buttons offered in `auth_ok`.
//! - [`overview`] — the overview extension: [`OverviewTile`], the last
//!   lines of a window's active pane.
//! - [`state`] — the picture of tmux sent in `tmux_state` ([`TmuxState`]).
//! - [`delta`] — `tmux_state_delta`: [`state_delta`] and [`apply_state_delta`].
//! - [`terminal`] — the terminal socket's frames: [`decode_terminal_auth`]
//!   for the first, [`classify_terminal_frame`] for the rest.
//! - [`time`] — [`rfc3339_now`] for `capturedAt`.
//! - [`limits`] — protocol version and frame size limits.
//! - [`error`] — [`ProtocolError`].
#![forbid(unsafe_code)]

pub mod args;
pub mod attention;
pub mod control;
pub mod delta;
pub mod devices;
pub mod error;
pub mod ids;
pub mod limits;
pub mod overview;
pub mod snippet;
pub mod state;
pub mod terminal;
pub mod time;

pub use args::{Orientation, ScrollbackLines};
pub use attention::{Attention, AttentionReason, QuickReply};
pub use control::{AuthRequest, ClientMessage, ServerMessage, decode_control, encode_server};
pub use delta::{STATE_DELTA_SUBPROTOCOL, StateDelta, apply_state_delta, state_delta};
pub use devices::{DEVICE_ID_MAX_LEN, DeviceId, DeviceInfo};
pub use error::ProtocolError;
pub use ids::{ClientId, MANAGED_SESSION_PREFIX, PaneId, SessionName, WindowIndex};
pub use limits::{CONTROL_FRAME_LIMIT, PROTOCOL_VERSION, SCROLL_LINES_LIMIT, TERMINAL_FRAME_LIMIT};
pub use overview::OverviewTile;
pub use snippet::Snippet;
pub use state::{PaneState, SessionState, SessionSummary, TmuxState, WindowState};
pub use terminal::{
    DEFLATE_SUBPROTOCOL, Resize, TerminalAuth, TerminalFrame, classify_terminal_frame,
    decode_terminal_auth,
};
pub use time::rfc3339_now;

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
