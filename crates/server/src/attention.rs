//! Attention for browsers: what each phone still has to look at, and the
//! feed other parts of the server (Web Push) hook into.
//!
//! The tmux side ([`tmux_mobile_tmux_control::attention::AttentionMonitor`])
//! reports *that* a pane needs its person. This module decides *for whom*:
//!
//! - every new attention goes to every phone known to the server (its
//!   control socket may be away: the phone sees it when it comes back),
//!   except a bell or activity in the very pane a connected phone is looking
//!   at;
//! - a phone clears it with `ack_attention`, or by moving its view to that
//!   pane — except a `prompt`, which stays while the prompt is on the screen
//!   (so the quick replies stay under the terminal) until the phone answers
//!   (the UI acks after a quick reply) or the prompt goes away by itself;
//! - a phone that connects for the first time starts with the attention
//!   still live (not acked by any phone, pane still there, prompt still
//!   shown), so a phone opened from a notification finds it;
//! - [`AttentionFeed::subscribe`] hands every new attention to whoever wants
//!   it (Web Push), and [`AttentionFeed::live`] the latest one of a pane
//!   (with its quick replies).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tmux_mobile_protocol::{Attention, AttentionReason, ClientId, PaneId, SessionName, TmuxState};
use tmux_mobile_tmux_control::Snapshot;
use tmux_mobile_tmux_control::attention::{self as detect, Change, Detection};
use tokio::sync::{broadcast, mpsc};

use crate::server::Shared;

/// How many attentions a slow [`AttentionFeed::subscribe`] receiver may fall
/// behind before it misses some (it then gets `RecvError::Lagged`).
const FEED_CAPACITY: usize = 256;

/// How long a detection for a pane that is not in the latest snapshot yet
/// waits for a fresh snapshot.
const PLACE_TIMEOUT: Duration = Duration::from_secs(3);

/// The server's attention feed: every new attention, and the live one of
/// each pane. Get it from [`crate::Server::attention`]; clones share it.
///
/// ```no_run
/// # async fn demo(server: tmux_mobile_server::Server) {
/// let feed = server.attention();
/// let mut attentions = feed.subscribe();
/// tokio::spawn(async move {
///     while let Ok(attention) = attentions.recv().await {
///         println!("{} needs you: {}", attention.pane_id, attention.reason);
///     }
/// });
/// server.serve().await.unwrap();
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AttentionFeed {
    hub: Arc<Hub>,
}

impl AttentionFeed {
    /// A receiver of every attention raised from now on (all panes, all
    /// sessions; not filtered per phone).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Attention>> {
        self.hub.feed.subscribe()
    }

    /// The latest attention of `pane` that no phone has acknowledged yet
    /// (for a prompt: while it is still on the screen), with its quick
    /// replies.
    pub fn live(&self, pane: &PaneId) -> Option<Arc<Attention>> {
        self.hub.lock().live.get(pane).cloned()
    }
}

/// Shared attention state; see the [module documentation](self).
#[derive(Debug)]
pub(crate) struct Hub {
    feed: broadcast::Sender<Arc<Attention>>,
    /// Tells control sockets that something changed (a new attention, or
    /// one cleared).
    changes: broadcast::Sender<HubChange>,
    state: Mutex<HubState>,
}

/// What control sockets hear from the hub.
#[derive(Debug, Clone)]
pub(crate) enum HubChange {
    /// A new attention (the sockets of the phones it was given to send it).
    Raised(Arc<Attention>),
    /// Some attention went away.
    Cleared,
}

#[derive(Debug, Default)]
struct HubState {
    live: BTreeMap<PaneId, Arc<Attention>>,
    clients: HashMap<ClientId, ClientAttention>,
}

#[derive(Debug, Default)]
struct ClientAttention {
    pending: BTreeMap<PaneId, Arc<Attention>>,
    viewing: Option<PaneId>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            feed: broadcast::channel(FEED_CAPACITY).0,
            changes: broadcast::channel(FEED_CAPACITY).0,
            state: Mutex::new(HubState::default()),
        }
    }
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The public feed.
    pub(crate) fn feed(self: &Arc<Self>) -> AttentionFeed {
        AttentionFeed {
            hub: Arc::clone(self),
        }
    }

    /// Changes, for one control socket.
    pub(crate) fn changes(&self) -> broadcast::Receiver<HubChange> {
        self.changes.subscribe()
    }

    /// Registers a phone (if new, with the live attentions) and returns
    /// what it has pending, oldest first.
    pub(crate) fn join(&self, client: &ClientId) -> Vec<Arc<Attention>> {
        let mut state = self.lock();
        let live = state.live.clone();
        let entry = state
            .clients
            .entry(client.clone())
            .or_insert_with(|| ClientAttention {
                pending: live,
                viewing: None,
            });
        let mut pending: Vec<_> = entry.pending.values().cloned().collect();
        pending.sort_by_key(|a| a.at);
        pending
    }

    /// Whether `attention` is pending for `client` (it was given to it).
    pub(crate) fn is_pending(&self, client: &ClientId, attention: &Arc<Attention>) -> bool {
        self.lock()
            .clients
            .get(client)
            .and_then(|c| c.pending.get(&attention.pane_id))
            .is_some_and(|pending| Arc::ptr_eq(pending, attention))
    }

    /// The phone has seen the attention of `pane`.
    pub(crate) fn ack(&self, client: &ClientId, pane: &PaneId) {
        let mut state = self.lock();
        let removed = state
            .clients
            .get_mut(client)
            .and_then(|c| c.pending.remove(pane))
            .is_some();
        // A phone's person has seen it: phones that connect later need not.
        let live = state.live.remove(pane).is_some();
        drop(state);
        if removed || live {
            let _ = self.changes.send(HubChange::Cleared);
        }
    }

    /// The phone now looks at `pane`: its attention is seen (a prompt stays
    /// until answered). Returns whether anything was cleared.
    pub(crate) fn viewing(&self, client: &ClientId, pane: Option<PaneId>) -> bool {
        let mut state = self.lock();
        let Some(entry) = state.clients.get_mut(client) else {
            return false;
        };
        if entry.viewing == pane {
            return false;
        }
        entry.viewing = pane.clone();
        let Some(pane) = pane else {
            return false;
        };
        let seen = entry
            .pending
            .get(&pane)
            .is_some_and(|a| a.reason != AttentionReason::Prompt);
        if seen {
            entry.pending.remove(&pane);
            if state
                .live
                .get(&pane)
                .is_some_and(|a| a.reason != AttentionReason::Prompt)
            {
                state.live.remove(&pane);
            }
        }
        seen
    }

    /// Marks `state` (one phone's `tmux_state`) with that phone's pending
    /// attention: each pane its own, each window its most urgent.
    pub(crate) fn annotate(&self, client: &ClientId, state: &mut TmuxState) {
        let hub = self.lock();
        let Some(entry) = hub.clients.get(client) else {
            return;
        };
        for session in &mut state.sessions {
            for window in &mut session.window_states {
                window.attention = None;
                for pane in &mut window.panes {
                    pane.attention = PaneId::try_from(pane.id.as_str())
                        .ok()
                        .and_then(|id| entry.pending.get(&id))
                        .map(|a| a.reason);
                    window.attention = window.attention.max(pane.attention);
                }
            }
        }
    }

    /// Forgets phones the server no longer knows.
    fn retain_clients(&self, known: impl Fn(&ClientId) -> bool) {
        self.lock().clients.retain(|id, _| known(id));
    }

    /// A new attention, for every phone except those `looking` at the pane
    /// (for a bell or activity).
    fn raise(&self, attention: Attention, looking: impl Fn(&ClientId) -> bool) {
        let attention = Arc::new(attention);
        let mut state = self.lock();
        let skip_viewers = matches!(
            attention.reason,
            AttentionReason::Bell | AttentionReason::Activity
        );
        for (id, client) in &mut state.clients {
            if skip_viewers && looking(id) {
                continue;
            }
            client
                .pending
                .insert(attention.pane_id.clone(), Arc::clone(&attention));
        }
        state
            .live
            .insert(attention.pane_id.clone(), Arc::clone(&attention));
        drop(state);
        let _ = self.feed.send(Arc::clone(&attention));
        let _ = self.changes.send(HubChange::Raised(attention));
    }

    /// The prompt of `pane` was answered (a notification's quick reply):
    /// it is cleared for every phone, as when it leaves the screen.
    pub(crate) fn answered(&self, pane: &PaneId) {
        self.prompt_gone(pane);
    }

    /// The prompt of `pane` is gone from its screen.
    fn prompt_gone(&self, pane: &PaneId) {
        let mut state = self.lock();
        let is_prompt = |a: &Arc<Attention>| a.reason == AttentionReason::Prompt;
        let mut changed = false;
        if state.live.get(pane).is_some_and(is_prompt) {
            state.live.remove(pane);
            changed = true;
        }
        for client in state.clients.values_mut() {
            if client.pending.get(pane).is_some_and(is_prompt) {
                client.pending.remove(pane);
                changed = true;
            }
        }
        drop(state);
        if changed {
            let _ = self.changes.send(HubChange::Cleared);
        }
    }

    /// Drops the attention of panes that no longer exist.
    fn panes_gone(&self, snapshot: &Snapshot) {
        let exists = |pane: &PaneId| snapshot.user_sessions().any(|s| s.contains_pane(pane));
        let mut state = self.lock();
        let before: usize = state.live.len()
            + state
                .clients
                .values()
                .map(|c| c.pending.len())
                .sum::<usize>();
        state.live.retain(|pane, _| exists(pane));
        for client in state.clients.values_mut() {
            client.pending.retain(|pane, _| exists(pane));
        }
        let after: usize = state.live.len()
            + state
                .clients
                .values()
                .map(|c| c.pending.len())
                .sum::<usize>();
        drop(state);
        if after != before {
            let _ = self.changes.send(HubChange::Cleared);
        }
    }
}

/// Where a pane is: the first user session showing it, and its window's
/// index there.
fn place(snapshot: &Snapshot, pane: &PaneId) -> Option<(String, u32)> {
    snapshot.user_sessions().find_map(|session| {
        session
            .windows
            .iter()
            .find(|w| w.panes.iter().any(|p| p.id.as_str() == pane.as_str()))
            .map(|w| (session.name.clone(), w.index))
    })
}

/// The pane a phone is looking at: the active pane of its grouped
/// session's current window.
fn looked_at(snapshot: &Snapshot, client: &ClientId) -> Option<PaneId> {
    let managed = SessionName::managed_for(client);
    let window = snapshot.session(managed.as_str())?.active_window()?;
    window.active_pane().map(|p| PaneId::from(p.id.number()))
}

/// Turns detections into attention for phones, until the detections end.
pub(crate) async fn run(shared: Arc<Shared>, mut detections: mpsc::Receiver<Detection>) {
    let hub = Arc::clone(&shared.attention);
    let mut snapshots = shared.snapshots.clone();
    loop {
        tokio::select! {
            detection = detections.recv() => {
                let Some(detection) = detection else { break };
                on_detection(&shared, &hub, &mut snapshots, detection).await;
            }
            changed = snapshots.changed() => {
                if changed.is_err() {
                    break;
                }
                let snapshot = snapshots.borrow_and_update().clone();
                if !snapshot.sessions().is_empty() {
                    hub.panes_gone(&snapshot);
                }
            }
        }
    }
}

async fn on_detection(
    shared: &Shared,
    hub: &Hub,
    snapshots: &mut tokio::sync::watch::Receiver<Arc<Snapshot>>,
    detection: Detection,
) {
    let Detection { pane, change } = detection;
    // tmux-control's pane id as the protocol's (both are `%<number>`).
    let pane = PaneId::from(pane.number());
    let (reason, text, replies) = match change {
        Change::Cleared(_) => {
            hub.prompt_gone(&pane);
            return;
        }
        Change::Raised {
            reason,
            text,
            replies,
        } => (reason, text, replies),
    };
    let mut snapshot = snapshots.borrow().clone();
    if place(&snapshot, &pane).is_none() {
        // A pane newer than the latest snapshot: take one now (through the
        // watcher's control client; bounded in case tmux hangs).
        let _ = tokio::time::timeout(PLACE_TIMEOUT, shared.refresh_state()).await;
        snapshot = snapshots.borrow_and_update().clone();
    }
    let Some((session, window_index)) = place(&snapshot, &pane) else {
        log::debug!("attention for {pane}, which no user session shows; dropped");
        return;
    };
    let mut attention = Attention::new(
        session,
        window_index,
        pane.clone(),
        wire_reason(reason),
        &text,
        tmux_mobile_protocol::unix_millis_now(),
    );
    attention.replies = wire_replies(replies);
    hub.retain_clients(|id| shared.clients.get(id).is_some());
    log::debug!("attention: {pane} {reason}");
    hub.raise(attention, |id| {
        shared
            .clients
            .get(id)
            .is_some_and(|client| client.control_connected())
            && looked_at(&snapshot, id).as_ref() == Some(&pane)
    });
}
/// The wire form of a detection's reason. `tmux-control` has its own
/// reason type (it knows no wire format); this is the one place they meet,
/// and the match is exhaustive, so a new reason there cannot be sent
/// without a wire name here.
fn wire_reason(reason: detect::AttentionReason) -> AttentionReason {
    match reason {
        detect::AttentionReason::Activity => AttentionReason::Activity,
        detect::AttentionReason::Silence => AttentionReason::Silence,
        detect::AttentionReason::Bell => AttentionReason::Bell,
        detect::AttentionReason::Notify => AttentionReason::Notify,
        detect::AttentionReason::Prompt => AttentionReason::Prompt,
    }
}

/// The wire form of a prompt's replies, bounded by the protocol's own
/// limits (whatever the detector's are).
fn wire_replies(replies: Vec<detect::QuickReply>) -> Vec<tmux_mobile_protocol::QuickReply> {
    replies
        .into_iter()
        .take(tmux_mobile_protocol::QUICK_REPLY_LIMIT)
        .map(|reply| tmux_mobile_protocol::QuickReply {
            label: tmux_mobile_protocol::clip_text(&reply.label),
            input: reply.input,
        })
        .collect()
}
