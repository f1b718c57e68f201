//! Removes phones' grouped sessions that no client owns any more.
//!
//! A client's session is removed when the client goes (its grace period
//! ends, it is revoked, the server stops). That removal is a tmux command
//! like any other: on a tmux that is overwhelmed it can time out, and a
//! `new-session` that timed out for the client that asked may still be
//! carried out by tmux after the client gave up and left. Either way a
//! `tmux-mobile-client-<id>` session stays in the user's tmux for a client
//! that no longer exists (the soak at load 46–122 left 8; issue 16), and
//! the user's tmux must show nothing of ours but one session per connected
//! phone.
//!
//! So the server keeps checking the latest snapshot it already has (no
//! tmux process, nothing at idle but a timer) for phone sessions whose
//! client it does not know, on every published change and every
//! [`SWEEP_EVERY`], and kills them. Sessions of attention taps (`~` after
//! the prefix) belong to the monitor, not to a client, and are left alone.
//!
//! One tmux server per tmux-mobile server: a second tmux-mobile on the same
//! tmux server would see the first one's phones as orphans (the start-up
//! clean-up already removes every managed session it finds).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tmux_mobile_protocol::MANAGED_SESSION_PREFIX;
use tmux_mobile_tmux_control::TmuxError;

use crate::server::Shared;

/// How often the latest snapshot is checked even when nothing changed.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Runs until the snapshots end (the caller also stops it at shutdown).
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut snapshots = shared.snapshots.clone();
    // Names whose removal failed, so a session tmux keeps refusing to
    // remove is reported once, not every few seconds.
    let mut reported: HashSet<String> = HashSet::new();
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            changed = snapshots.changed() => if changed.is_err() {
                return;
            },
            _ = tick.tick() => {}
        }
        let snapshot = snapshots.borrow_and_update().clone();
        let names = snapshot.sessions().iter().map(|s| s.name.as_str());
        for name in orphans(names, |name| shared.clients.owns_session(name)) {
            match shared.tmux().kill_session(&name).await {
                Ok(()) => log::info!("removed {name}: its client is gone"),
                Err(TmuxError::NotFound { .. } | TmuxError::NoServer) => {}
                Err(error) => {
                    if reported.insert(name.clone()) {
                        log::warn!("could not remove {name} (its client is gone): {error}");
                    }
                }
            }
        }
    }
}

/// The phones' sessions among the session `names` that `owned` says no
/// client owns.
fn orphans<'a>(names: impl Iterator<Item = &'a str>, owned: impl Fn(&str) -> bool) -> Vec<String> {
    names
        .filter(|name| {
            name.strip_prefix(MANAGED_SESSION_PREFIX)
                .is_some_and(|id| !id.starts_with('~'))
        })
        .filter(|name| !owned(name))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_phone_sessions_without_a_client_are_orphans() {
        let names = [
            "work",
            "tmux-mobile-client-abc",
            "tmux-mobile-client-gone",
            "tmux-mobile-client-~attn-1",
            "my-tmux-mobile-client-x",
        ];
        let found = orphans(names.into_iter(), |name| name == "tmux-mobile-client-abc");
        assert_eq!(found, ["tmux-mobile-client-gone"]);
    }
}
