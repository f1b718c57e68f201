//! The overview (extension, see `tmux_mobile_protocol::overview`): the last
//! lines of the active pane of every window of every user session, kept
//! fresh for the phones that have the overview open.
//!
//! One [`Hub`] serves every phone, so two phones looking at the overview
//! cost no more captures than one:
//!
//! - a control socket that gets `{"type":"overview","open":true}` holds a
//!   [`Viewer`]: it is sent the tiles captured so far at once, then every
//!   tile that changes; dropping the viewer (`open: false`, or the socket
//!   going away) stops it;
//! - while at least one viewer exists, [`run`] follows the panes to show
//!   (the snapshots) and their output (the attention monitor's taps hear
//!   every `%output`, [`AttentionMonitor::output`]), and captures a pane's
//!   screen again when it wrote something — at most once a second per
//!   pane (a pane that keeps writing is captured once a second; the last
//!   change is always captured), at most [`CAPTURES_IN_FLIGHT`] at a time,
//!   and at most [`OVERVIEW_TILE_LIMIT`] panes. A tile is sent only when
//!   its lines changed;
//! - without viewers nothing runs and no tile is kept.
//!
//! The taps ride on the phones' own grouped sessions, so only panes of a
//! session group a phone is on have output events. Every other tile (all
//! of them when the attention monitor is turned off) is captured again
//! every [`POLL_UNHEARD`] while the overview is open (and sent only when
//! it changed).
//!
//! [`AttentionMonitor::output`]: tmux_mobile_tmux_control::attention::AttentionMonitor::output

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tmux_mobile_protocol::OVERVIEW_TILE_LIMIT;
use tmux_mobile_protocol::{MANAGED_SESSION_PREFIX, OverviewTile, PaneId, ServerMessage};
use tmux_mobile_tmux_control::{Snapshot, TmuxError};
use tokio::sync::{Notify, broadcast};
use tokio::time::Instant;

use crate::server::Shared;

/// The shortest time between two captures of one pane.
pub(crate) const CAPTURE_INTERVAL: Duration = Duration::from_secs(1);

/// The most captures running at once.
const CAPTURES_IN_FLIGHT: usize = 4;

/// How often a tile without output events (no tap hears its pane) is
/// captured again.
const POLL_UNHEARD: Duration = Duration::from_secs(2);

/// How many tiles a slow viewer may fall behind before it is sent every
/// tile again.
const UPDATE_QUEUE: usize = 256;

/// The overview shared by every control socket; see the
/// [module documentation](self).
#[derive(Debug)]
pub(crate) struct Hub {
    state: Mutex<HubState>,
    updates: broadcast::Sender<Arc<OverviewTile>>,
    /// Wakes [`run`] when the number of viewers changed.
    wake: Notify,
}

#[derive(Debug, Default)]
struct HubState {
    viewers: usize,
    /// The latest tile of each pane shown (only while there are viewers).
    tiles: HashMap<PaneId, Arc<OverviewTile>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            state: Mutex::default(),
            updates: broadcast::channel(UPDATE_QUEUE).0,
            wake: Notify::new(),
        }
    }
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new viewer: the tiles so far, then every change.
    pub(crate) fn open(self: &Arc<Self>) -> Viewer {
        let mut state = self.lock();
        state.viewers += 1;
        // Under the lock: every tile published later is in `updates`.
        let updates = self.updates.subscribe();
        let backlog = state.tiles.values().cloned().collect();
        drop(state);
        self.wake.notify_one();
        Viewer {
            hub: Arc::clone(self),
            updates,
            backlog,
        }
    }

    fn has_viewers(&self) -> bool {
        self.lock().viewers > 0
    }

    /// Keeps `tile` and sends it to the viewers, unless it is what they
    /// have already.
    fn publish(&self, tile: OverviewTile) {
        let mut state = self.lock();
        if state.viewers == 0 || state.tiles.get(&tile.pane_id).is_some_and(|t| **t == tile) {
            return;
        }
        let tile = Arc::new(tile);
        state.tiles.insert(tile.pane_id.clone(), Arc::clone(&tile));
        let _ = self.updates.send(tile);
    }

    /// Forgets the tiles of panes no longer shown.
    fn retain(&self, shown: &HashMap<PaneId, Track>) {
        self.lock().tiles.retain(|pane, _| shown.contains_key(pane));
    }

    /// The last viewer left: forget every tile (they go stale unwatched).
    /// `false` if a viewer came back meanwhile.
    fn go_idle(&self) -> bool {
        let mut state = self.lock();
        if state.viewers > 0 {
            return false;
        }
        state.tiles.clear();
        true
    }
}

/// One control socket's open overview; dropping it closes it.
#[derive(Debug)]
pub(crate) struct Viewer {
    hub: Arc<Hub>,
    updates: broadcast::Receiver<Arc<OverviewTile>>,
    /// Tiles to send before the next update.
    backlog: VecDeque<Arc<OverviewTile>>,
}

impl Viewer {
    /// The next `overview_tile` to send (cancel-safe).
    async fn next(&mut self) -> ServerMessage {
        loop {
            if let Some(tile) = self.backlog.pop_front() {
                return ServerMessage::OverviewTile((*tile).clone());
            }
            match self.updates.recv().await {
                Ok(tile) => return ServerMessage::OverviewTile((*tile).clone()),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Fell behind: every current tile again.
                    self.backlog = self.hub.lock().tiles.values().cloned().collect();
                }
                Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
            }
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.hub.lock().viewers -= 1;
        self.hub.wake.notify_one();
    }
}

/// The next tile for a socket with the overview open (forever without).
pub(crate) async fn next_tile(viewer: &mut Option<Viewer>) -> ServerMessage {
    match viewer {
        Some(viewer) => viewer.next().await,
        None => std::future::pending().await,
    }
}

/// What [`run`] knows of one pane shown.
#[derive(Debug, Default)]
struct Track {
    /// When its last capture started.
    last_start: Option<Instant>,
    /// It wrote something since its last capture started (or was never
    /// captured).
    dirty: bool,
    in_flight: bool,
    /// A tap hears its output (a phone's session is in its group).
    heard: bool,
}

impl Track {
    /// When to capture it next, if it needs one and none is running.
    fn due(&self, now: Instant) -> Option<Instant> {
        if !self.dirty || self.in_flight {
            return None;
        }
        Some(
            self.last_start
                .map_or(now, |last| (last + CAPTURE_INTERVAL).max(now)),
        )
    }
}

/// Keeps the overview's tiles while anyone looks at it; never ends (the
/// caller stops it at shutdown).
pub(crate) async fn run(shared: Arc<Shared>) {
    let hub = Arc::clone(&shared.overview);
    loop {
        loop {
            // Registered before the check: a viewer that opens in between
            // leaves a permit.
            let woken = hub.wake.notified();
            if hub.has_viewers() {
                break;
            }
            woken.await;
        }
        log::debug!("overview: open");
        serve(&shared, &hub).await;
        if hub.go_idle() {
            log::debug!("overview: closed");
        }
    }
}

/// Serves while there are viewers.
async fn serve(shared: &Shared, hub: &Hub) {
    let tmux = shared.tmux().clone();
    let mut output = shared.pane_output();
    let mut snapshots = shared.snapshots.clone();
    let mut panes: HashMap<PaneId, Track> = HashMap::new();
    let mut captures = FuturesUnordered::new();
    let mut poll = tokio::time::interval(POLL_UNHEARD);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    follow(&snapshots.borrow_and_update(), &mut panes, hub);
    loop {
        let woken = hub.wake.notified();
        if !hub.has_viewers() {
            return;
        }
        let now = Instant::now();
        let mut next_due = None;
        for (pane, track) in &mut panes {
            let Some(due) = track.due(now) else { continue };
            if due <= now && captures.len() < CAPTURES_IN_FLIGHT {
                track.dirty = false;
                track.in_flight = true;
                track.last_start = Some(now);
                let tmux = tmux.clone();
                let pane = pane.clone();
                captures.push(async move {
                    let screen = tmux.capture_pane(pane.as_str(), 0).await;
                    (pane, screen)
                });
            } else if due > now {
                next_due = Some(next_due.map_or(due, |d: Instant| d.min(due)));
            }
        }
        // Full: the next finished capture makes room (and loops again).
        let wait_for_due = captures.len() < CAPTURES_IN_FLIGHT;
        tokio::select! {
            () = woken => {}
            heard = next_output(&mut output) => match heard {
                Ok(pane) => {
                    if let Some(track) = panes.get_mut(&PaneId::from(pane.number())) {
                        track.dirty = true;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    panes.values_mut().for_each(|t| t.dirty = true);
                }
                Err(broadcast::error::RecvError::Closed) => output = None,
            },
            changed = snapshots.changed() => {
                if changed.is_err() {
                    return;
                }
                follow(&snapshots.borrow_and_update(), &mut panes, hub);
            }
            Some((pane, screen)) = captures.next() => {
                if let Some(track) = panes.get_mut(&pane) {
                    track.in_flight = false;
                    match screen {
                        Ok(screen) => hub.publish(OverviewTile::from_screen(pane, &screen)),
                        Err(error) => log_capture_failure(&pane, &error),
                    }
                }
            }
            () = sleep_until(next_due), if wait_for_due => {}
            _ = poll.tick() => {
                let all = output.is_none();
                panes
                    .values_mut()
                    .filter(|t| all || !t.heard)
                    .for_each(|t| t.dirty = true);
            }
        }
    }
}

fn log_capture_failure(pane: &PaneId, error: &TmuxError) {
    // A pane that closed is normal: the next snapshot drops it.
    log::debug!("overview: could not capture {pane}: {error}");
}

/// The panes to show: the active pane of every window of every user
/// session, each once, at most [`OVERVIEW_TILE_LIMIT`]. New ones are
/// captured at once; gone ones forgotten.
fn follow(snapshot: &Snapshot, panes: &mut HashMap<PaneId, Track>, hub: &Hub) {
    let mut shown: HashMap<PaneId, Track> = HashMap::new();
    let ours = |s: &&tmux_mobile_tmux_control::SessionSnapshot| {
        s.managed || s.name.starts_with(MANAGED_SESSION_PREFIX)
    };
    // Groups a phone's session is in: the taps hear their panes.
    let heard_groups: Vec<&str> = snapshot
        .sessions()
        .iter()
        .filter(ours)
        .filter_map(|s| s.group.as_deref())
        .collect();
    let active = snapshot
        .sessions()
        .iter()
        .filter(|s| !ours(s))
        .flat_map(|s| {
            let heard = s
                .group
                .as_deref()
                .is_some_and(|g| heard_groups.contains(&g));
            s.windows.iter().map(move |w| (w, heard))
        })
        .filter_map(|(w, heard)| w.active_pane().map(|p| (p, heard)));
    for (pane, heard) in active {
        if shown.len() == OVERVIEW_TILE_LIMIT {
            break;
        }
        let id = PaneId::from(pane.id.number());
        if shown.contains_key(&id) {
            continue;
        }
        let mut track = panes.remove(&id).unwrap_or(Track {
            dirty: true,
            ..Track::default()
        });
        track.heard = heard;
        shown.insert(id, track);
    }
    *panes = shown;
    hub.retain(panes);
}

async fn next_output(
    output: &mut Option<broadcast::Receiver<tmux_mobile_tmux_control::PaneId>>,
) -> Result<tmux_mobile_tmux_control::PaneId, broadcast::error::RecvError> {
    match output {
        Some(output) => output.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pane_is_captured_at_most_once_a_second() {
        let now = Instant::now();
        let mut track = Track {
            dirty: true,
            ..Track::default()
        };
        assert_eq!(track.due(now), Some(now), "never captured: at once");
        track.last_start = Some(now);
        track.dirty = false;
        assert_eq!(track.due(now), None, "nothing new: no capture");
        track.dirty = true;
        assert_eq!(track.due(now), Some(now + CAPTURE_INTERVAL));
        track.in_flight = true;
        assert_eq!(track.due(now), None, "one capture at a time");
        let later = now + Duration::from_secs(5);
        track.in_flight = false;
        assert_eq!(track.due(later), Some(later));
    }

    #[test]
    fn viewers_get_what_is_kept_then_changes_only() {
        let hub = Arc::new(Hub::default());
        let tile = |text: &str| OverviewTile::from_screen(PaneId::from(1), text);
        hub.publish(tile("nobody looks"));
        assert!(hub.lock().tiles.is_empty(), "no viewer: nothing kept");
        let mut first = hub.open();
        assert!(first.backlog.is_empty());
        hub.publish(tile("a"));
        hub.publish(tile("a"));
        hub.publish(tile("b"));
        let second = hub.open();
        assert_eq!(second.backlog.len(), 1);
        assert_eq!(second.backlog[0].lines, ["b"]);
        // The first viewer got "a" and "b", not the repeated "a".
        let got: Vec<_> = std::iter::from_fn(|| first.updates.try_recv().ok())
            .map(|t| t.lines.clone())
            .collect();
        assert_eq!(got, [vec!["a".to_owned()], vec!["b".to_owned()]]);
        drop(first);
        assert!(!hub.go_idle(), "one viewer is left");
        drop(second);
        assert!(hub.go_idle());
        assert!(hub.lock().tiles.is_empty());
    }
}
