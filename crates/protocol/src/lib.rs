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
//! - [`Redacted`], the field type that keeps secrets out of `Debug`;
//! - times ([`rfc3339_now`], [`unix_millis_now`]), the protocol version and
//!   frame size limits, and [`ProtocolError`].
//!
//! Every item is at the crate root; the modules are private (one path for
//! everything).
#![forbid(unsafe_code)]

mod args;
mod attention;
mod control;
mod delta;
mod error;
mod ids;
mod limits;
mod redacted;
mod state;
mod terminal;
mod time;

pub use args::{Orientation, ScrollbackLines};
pub use attention::{
    ATTENTION_TEXT_LIMIT, Attention, AttentionReason, QUICK_REPLY_LIMIT, QuickReply, clip_text,
};
pub use control::{AuthRequest, ClientMessage, ServerMessage, decode_control, encode_server};
pub use delta::{STATE_DELTA_SUBPROTOCOL, StateDelta, apply_state_delta, state_delta};
pub use error::ProtocolError;
pub use ids::{ClientId, MANAGED_SESSION_PREFIX, PaneId, SessionName, WindowIndex};
pub use limits::{CONTROL_FRAME_LIMIT, PROTOCOL_VERSION, SCROLL_LINES_LIMIT, TERMINAL_FRAME_LIMIT};
pub use redacted::Redacted;
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
