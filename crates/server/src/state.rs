//! What each client is shown of tmux, and how failures are put into words.
//!
//! Every client gets the base sessions plus its *own* grouped session (the
//! original server sent every managed session to everyone; the UI only
//! needs its own to find its windows), so one browser never learns another
//! browser's session or its window focus. Errors name what the person asked
//! for and tmux's short reason, never a command line.
//!
//! The mapping from tmux-control's [`Snapshot`] to the protocol's
//! [`TmuxState`] lives here, in the one crate that knows both: tmux-control
//! knows no wire format, and the protocol knows no tmux.

use tmux_mobile_protocol::{
    MANAGED_SESSION_PREFIX, PaneId, PaneState, SessionName, SessionState, TmuxState, WindowState,
};
use tmux_mobile_tmux_control::{SessionSnapshot, Snapshot, TmuxError, WindowSnapshot};

use crate::clients::AttachError;

/// The `tmux_state` body for the client whose grouped session is `own`.
pub(crate) fn client_state(snapshot: &Snapshot, own: &SessionName) -> TmuxState {
    let sessions = snapshot
        .sessions()
        .iter()
        .filter(|s| {
            s.name == own.as_str() || (!s.managed && !s.name.starts_with(MANAGED_SESSION_PREFIX))
        })
        .map(session_state)
        .collect();
    TmuxState {
        sessions,
        captured_at: tmux_mobile_protocol::rfc3339_now(),
    }
}

/// The wire form of one session.
pub(crate) fn session_state(session: &SessionSnapshot) -> SessionState {
    SessionState {
        name: session.name.clone(),
        attached: session.is_attached(),
        windows: u32::try_from(session.windows.len()).unwrap_or(u32::MAX),
        window_states: session.windows.iter().map(window_state).collect(),
    }
}

/// The wire form of one window. A pane is `zoomed` when its window is
/// zoomed and it is the window's active pane.
fn window_state(window: &WindowSnapshot) -> WindowState {
    WindowState {
        index: window.index,
        name: window.name.clone(),
        active: window.active,
        pane_count: u32::try_from(window.panes.len()).unwrap_or(u32::MAX),
        panes: window
            .panes
            .iter()
            .map(|p| PaneState {
                index: p.index,
                id: p.id.to_string(),
                current_command: p.current_command.clone(),
                active: p.active,
                width: p.width,
                height: p.height,
                zoomed: window.zoomed && p.active,
                attention: None,
            })
            .collect(),
        attention: None,
    }
}

/// The protocol's split orientation as tmux-control's.
pub(crate) fn split_orientation(
    orientation: tmux_mobile_protocol::Orientation,
) -> tmux_mobile_tmux_control::Orientation {
    match orientation {
        tmux_mobile_protocol::Orientation::Horizontal => {
            tmux_mobile_tmux_control::Orientation::Horizontal
        }
        tmux_mobile_protocol::Orientation::Vertical => {
            tmux_mobile_tmux_control::Orientation::Vertical
        }
    }
}

/// Whether two states show the same thing (timestamps aside).
pub(crate) fn same_state(a: &[SessionState], b: &[SessionState]) -> bool {
    a == b
}

/// Whether `pane` is in a window of session `own`.
pub(crate) fn has_pane(snapshot: &Snapshot, own: &SessionName, pane: &PaneId) -> bool {
    snapshot
        .session(own.as_str())
        .is_some_and(|session| session.contains_pane(pane.as_str()))
}

/// The active pane of the current window of session `own`.
pub(crate) fn active_pane(snapshot: &Snapshot, own: &SessionName) -> Option<PaneId> {
    let session = snapshot.session(own.as_str())?;
    let window = session.active_window()?;
    window
        .active_pane()
        .map(|pane| PaneId::from(pane.id.number()))
}

/// `could not <action>: <reason>`.
pub(crate) fn user_message(action: &str, error: &TmuxError) -> String {
    format!("could not {action}: {error}")
}

/// The message for a failed attach to `base`.
pub(crate) fn attach_message(base: &SessionName, error: &AttachError) -> String {
    match error {
        AttachError::Tmux(error) => {
            user_message(&format!("attach to session {:?}", base.as_str()), error)
        }
        AttachError::Pty(error) => format!(
            "could not start a terminal for session {:?}: {error}",
            base.as_str()
        ),
        AttachError::Removed => "this client was closed; reload the page to connect again".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_layers_agree_on_the_managed_prefix() {
        // tmux-control removes stale managed sessions by this prefix; the
        // protocol names the clients' sessions with it.
        assert_eq!(
            tmux_mobile_protocol::MANAGED_SESSION_PREFIX,
            tmux_mobile_tmux_control::MANAGED_SESSION_PREFIX
        );
    }
}
