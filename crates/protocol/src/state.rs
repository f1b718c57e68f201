//! The picture of tmux that the server pushes to browsers: the session list
//! of `session_picker` and the full tree of `tmux_state`.
//!
//! These are plain data with public fields: the server (through
//! tmux-control's `Snapshot::to_wire`) fills them from tmux, and browsers
//! render them. Field names on the wire are camelCase, exactly as the
//! original tmux-mobile sent them; unknown fields are ignored when decoding,
//! so newer servers can add fields.

use serde::{Deserialize, Serialize};

use crate::attention::AttentionReason;

/// One session offered by `session_picker`: `{name, attached, windows}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session's name.
    pub name: String,
    /// Whether any tmux client is attached to it.
    pub attached: bool,
    /// How many windows it has.
    pub windows: u32,
}

/// The body of `tmux_state`: every session, with its windows and panes, and
/// when the picture was taken.
///
/// ```
/// use tmux_mobile_protocol::{TmuxState, rfc3339_now};
/// let empty = TmuxState { sessions: Vec::new(), captured_at: rfc3339_now() };
/// let json = serde_json::to_string(&empty)?;
/// assert!(json.starts_with(r#"{"sessions":[],"capturedAt":"20"#));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TmuxState {
    /// The sessions, in the order tmux lists them.
    pub sessions: Vec<SessionState>,
    /// When the state was captured: an RFC 3339 UTC timestamp with
    /// milliseconds, like JavaScript's `Date.toISOString()`
    /// (`2026-11-30T05:57:02.123Z`); see [`crate::rfc3339_now`].
    pub captured_at: String,
}

/// One session in `tmux_state`: the [`SessionSummary`] fields plus its
/// windows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionState {
    /// The session's name.
    pub name: String,
    /// Whether any tmux client is attached to it.
    pub attached: bool,
    /// How many windows it has.
    pub windows: u32,
    /// Its windows, in index order.
    pub window_states: Vec<WindowState>,
}

/// One window in `tmux_state`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowState {
    /// The window's index in its session.
    pub index: u32,
    /// The window's name.
    pub name: String,
    /// Whether it is the session's current window.
    pub active: bool,
    /// How many panes it has.
    pub pane_count: u32,
    /// Its panes, in index order.
    pub panes: Vec<PaneState>,
    /// The most urgent attention pending on one of its panes for this
    /// client (extension; absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<AttentionReason>,
}

/// One pane in `tmux_state`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaneState {
    /// The pane's index in its window.
    pub index: u32,
    /// The pane's id, like `%12`.
    pub id: String,
    /// The command running in the pane (`#{pane_current_command}`).
    pub current_command: String,
    /// Whether it is the window's current pane.
    pub active: bool,
    /// Width in cells.
    pub width: u32,
    /// Height in cells.
    pub height: u32,
    /// Whether the pane is zoomed (fills its window).
    pub zoomed: bool,
    /// The attention pending on this pane for this client (extension;
    /// absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<AttentionReason>,
}

impl From<&SessionState> for SessionSummary {
    fn from(session: &SessionState) -> Self {
        SessionSummary {
            name: session.name.clone(),
            attached: session.attached,
            windows: session.windows,
        }
    }
}
