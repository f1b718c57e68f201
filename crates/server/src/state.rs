//! What each client is shown of tmux, and how failures are put into words.
//!
//! Every client gets the base sessions plus its *own* grouped session (the
//! original server sent every managed session to everyone; the UI only
//! needs its own to find its windows), so one browser never learns another
//! browser's session or its window focus. Errors name what the person asked
//! for and tmux's short reason, never a command line.

use tmux_mobile_protocol::{MANAGED_SESSION_PREFIX, PaneId, SessionName, SessionState, TmuxState};
use tmux_mobile_tmux_control::{SessionSnapshot, Snapshot, TmuxError};

use crate::clients::AttachError;

/// The `tmux_state` body for the client whose grouped session is `own`.
pub(crate) fn client_state(snapshot: &Snapshot, own: &SessionName) -> TmuxState {
    let sessions = snapshot
        .sessions()
        .iter()
        .filter(|s| {
            s.name == own.as_str() || (!s.managed && !s.name.starts_with(MANAGED_SESSION_PREFIX))
        })
        .map(SessionSnapshot::to_wire)
        .collect();
    TmuxState {
        sessions,
        captured_at: tmux_mobile_protocol::rfc3339_now(),
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
        .is_some_and(|session| session.contains_pane(pane))
}

/// The active pane of the current window of session `own`.
pub(crate) fn active_pane(snapshot: &Snapshot, own: &SessionName) -> Option<PaneId> {
    let session = snapshot.session(own.as_str())?;
    let window = session.active_window()?;
    window.active_pane().map(|pane| pane.id.clone())
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
