//! [`AttentionMonitor`]: runs one tap per session group and turns pane
//! output into [`Detection`]s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::reason::{AttentionReason, QuickReply};

use crate::ids::PaneId;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::prompt::PromptMatcher;
use super::scan::OutputScanner;
use super::tap::{self, Host, RESUME_AFTER, TAP_SESSION_PREFIX, TapCommand, TapEvent, TapHandle};
use crate::snapshot::Snapshot;
use crate::tmux::Tmux;
use crate::watcher::is_host;

/// Two bells of one pane closer than this are reported once.
const BELL_COALESCE: Duration = Duration::from_millis(200);

/// Output after this much quiet counts as new activity.
const ACTIVITY_GAP: Duration = Duration::from_secs(5);

/// Bound of the queue from the taps to the monitor (a full queue slows the
/// taps down; tmux then pauses their output, see [`tap`]).
const TAP_QUEUE: usize = 1024;

/// Bound of the queue of detections to the caller.
const DETECTION_QUEUE: usize = 1024;

/// How far a receiver of [`AttentionMonitor::output`] may fall behind
/// before it misses pane ids (it then gets `RecvError::Lagged`).
const OUTPUT_FEED: usize = 1024;

/// How far a receiver of [`AttentionMonitor::flood_guard`] may fall behind.
const GUARD_FEED: usize = 256;

/// What the monitor looks for, and how patiently.
///
/// Start from [`AttentionOptions::default`] and change what you need with
/// the `with_*` setters (the struct is `#[non_exhaustive]`, so fields can be
/// added without breaking you):
///
/// ```
/// use std::time::Duration;
/// use tmux_mobile_tmux_control::attention::{AttentionOptions, WindowRule};
///
/// let options = AttentionOptions::default()
///     .with_quiet(Duration::from_millis(500))
///     .with_window_rule(
///         WindowRule::default()
///             .with_window("build*")
///             .with_silence(Some(Duration::from_secs(10))),
///     );
/// assert!(options.bell && options.windows.len() == 1);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttentionOptions {
    /// Report bells.
    pub bell: bool,
    /// Report confirmation prompts.
    pub prompt: bool,
    /// Report OSC 9 / OSC 777 notifications.
    pub notify: bool,
    /// How long a pane must be quiet before its screen is checked for a
    /// prompt.
    pub quiet: Duration,
    /// Finds prompts (built-in and user patterns, quick replies).
    pub matcher: PromptMatcher,
    /// Per-window opt-ins (silence, activity).
    pub windows: Vec<WindowRule>,
    /// How long tmux must look quiet before a tap's control client starts
    /// (tmux 3.3a can crash on a notification sent to a control client that
    /// is still starting; see `StateWatcher`'s *Starting*).
    pub settle: Duration,
    /// The longest wait for such a quiet moment.
    pub max_settle: Duration,
}

impl Default for AttentionOptions {
    /// Bell, prompt and notify on; 1 s quiet; no window opt-ins; 750 ms of
    /// quiet (8 s at most) before a tap starts.
    fn default() -> Self {
        AttentionOptions {
            bell: true,
            prompt: true,
            notify: true,
            quiet: Duration::from_secs(1),
            matcher: PromptMatcher::new(),
            windows: Vec::new(),
            settle: Duration::from_millis(750),
            max_settle: Duration::from_secs(8),
        }
    }
}

impl AttentionOptions {
    /// Report bells (default on).
    pub fn with_bell(mut self, bell: bool) -> Self {
        self.bell = bell;
        self
    }

    /// Report confirmation prompts (default on).
    pub fn with_prompt(mut self, prompt: bool) -> Self {
        self.prompt = prompt;
        self
    }

    /// Report OSC 9 / OSC 777 notifications (default on).
    pub fn with_notify(mut self, notify: bool) -> Self {
        self.notify = notify;
        self
    }

    /// How long a pane must be quiet before its screen is checked for a
    /// prompt (default 1 s).
    pub fn with_quiet(mut self, quiet: Duration) -> Self {
        self.quiet = quiet;
        self
    }

    /// The prompt matcher (default [`PromptMatcher::new`]).
    pub fn with_matcher(mut self, matcher: PromptMatcher) -> Self {
        self.matcher = matcher;
        self
    }

    /// Adds a per-window opt-in (silence, activity).
    pub fn with_window_rule(mut self, rule: WindowRule) -> Self {
        self.windows.push(rule);
        self
    }

    /// Replaces the per-window opt-ins.
    pub fn with_window_rules(mut self, rules: impl IntoIterator<Item = WindowRule>) -> Self {
        self.windows = rules.into_iter().collect();
        self
    }

    /// How long tmux must look quiet before a tap starts (default 750 ms),
    /// and the longest wait for that (default 8 s).
    pub fn with_settle(mut self, settle: Duration, max_settle: Duration) -> Self {
        self.settle = settle;
        self.max_settle = max_settle;
        self
    }
}

/// An opt-in for the windows whose session and window names match: `*`
/// matches any run of characters, `?` one character; an empty pattern
/// matches everything. Build one from [`WindowRule::default`] (every
/// window, nothing opted in) with the `with_*` setters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WindowRule {
    /// Pattern for the session name.
    pub session: String,
    /// Pattern for the window name.
    pub window: String,
    /// Report `silence` after a pane of such a window that was producing
    /// output has been silent this long.
    pub silence: Option<Duration>,
    /// Report `activity` when a pane of such a window starts producing
    /// output.
    pub activity: bool,
}

impl WindowRule {
    /// Only windows of sessions whose name matches `pattern`.
    pub fn with_session(mut self, pattern: impl Into<String>) -> Self {
        self.session = pattern.into();
        self
    }

    /// Only windows whose name matches `pattern`.
    pub fn with_window(mut self, pattern: impl Into<String>) -> Self {
        self.window = pattern.into();
        self
    }

    /// Report `silence` after a pane that was producing output has been
    /// silent this long (`None`: never).
    pub fn with_silence(mut self, silence: Option<Duration>) -> Self {
        self.silence = silence;
        self
    }

    /// Report `activity` when a pane starts producing output.
    pub fn with_activity(mut self, activity: bool) -> Self {
        self.activity = activity;
        self
    }

    /// Whether the rule applies to window `window` of session `session`.
    pub fn matches(&self, session: &str, window: &str) -> bool {
        glob(&self.session, session) && glob(&self.window, window)
    }
}

/// `*`/`?` matching; an empty pattern matches everything.
fn glob(pattern: &str, text: &str) -> bool {
    if pattern.is_empty() {
        return true;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with backtracking to the last `*`: linear in
    // practice, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The flood guard turned on or off for a pane (see
/// [`AttentionMonitor::flood_guard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloodGuard {
    /// The pane.
    pub pane: PaneId,
    /// `true`: its output is held back from now on; `false`: it is heard
    /// again.
    pub holding: bool,
}

/// Something the monitor noticed about one pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The pane.
    pub pane: PaneId,
    /// What changed.
    pub change: Change,
}

/// A new attention, or one that went away by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The pane needs its person.
    Raised {
        /// Why.
        reason: AttentionReason,
        /// The prompt line or the notification's text (may be empty).
        text: String,
        /// Quick replies (prompts only).
        replies: Vec<QuickReply>,
    },
    /// The prompt the pane showed is gone (answered elsewhere, or the
    /// program moved on).
    Cleared(AttentionReason),
}

enum Control {
    WatchUnattended(bool),
    Shutdown,
}

/// Watches every pane of a tmux server for attention; see the
/// [module documentation](super).
///
/// # Floods
///
/// A tap hears every byte a pane writes, and that is not free: tmux escapes
/// each control byte of it as `\ooo` once more for the tap, and we read,
/// unescape and scan it. For a pane that prints megabytes (`cat` of a big
/// log, `seq 1 4000000`) that cost more CPU than serving the phone that
/// watches it. So a *flood guard* holds a pane's output back once it wrote
/// [`FLOOD_BYTES`](super::FLOOD_BYTES) within
/// [`FLOOD_WINDOW`](super::FLOOD_WINDOW): the tap counts what it reads
/// and sends `refresh-client -A '%N:pause'`; tmux drops what it had queued
/// for the tap and sends it nothing more of the pane (the lines already on
/// their way are dropped unread); half a second later the monitor has the
/// tap send `%N:continue` (tmux then sends only what the pane writes from
/// then on), and the guard holds it back again if it is still flooding. Both are
/// tmux 3.3a's own flow control (the same as its `pause-after` flag), so:
///
/// - a paused pane keeps running, even when our taps are the only clients
///   attached: tmux stops reading a pane when every attached client is a
///   control client that cannot take more of it, and a *paused* pane never
///   counts as such (`control_pane_offset` gives it `off = 0`;
///   `server_client_check_pane_buffer`). That is why the guard pauses rather
///   than turning the pane `off`: from tmux 3.4 on, a pane every attached
///   client turned `off` is not read any more, which would freeze the
///   program of a pane no phone's terminal shows (3.3a ignores that flag,
///   a bug fixed in 3.4: tmux commit ee431d48, GitHub issue 3250);
/// - when the guard lets go, the pane counts as having written something
///   at that moment: its screen is checked for a prompt once it has been
///   quiet for [`AttentionOptions::quiet`] (the check reads the screen, it
///   needs none of the stream), and the silence and activity opt-ins count
///   it as output;
/// - what is given up: a bell or an OSC 9/777 notification written while
///   the guard holds the pane's output back (inside a flood of that pane,
///   or within half a second of its end) is not seen.
///
/// [`AttentionMonitor::flood_guard`] reports when it turns on and off.
///
/// ```no_run
/// use tmux_mobile_tmux_control::attention::{AttentionMonitor, AttentionOptions};
/// use tmux_mobile_tmux_control::{StateWatcher, Tmux, TmuxOptions, WatcherOptions};
/// # async fn demo() {
/// let tmux = Tmux::new(TmuxOptions::default());
/// let (watcher, snapshots) = StateWatcher::spawn(tmux.clone(), WatcherOptions::default());
/// let (monitor, mut detections) =
///     AttentionMonitor::spawn(tmux, snapshots, AttentionOptions::default());
/// // Someone wants to be told while no phone is connected (Web Push):
/// // sessions no phone looks at are watched too.
/// monitor.watch_unattended(true);
/// while let Some(detection) = detections.recv().await {
///     println!("{}: {:?}", detection.pane, detection.change);
/// }
/// monitor.shutdown().await;
/// watcher.shutdown().await;
/// # }
/// ```
pub struct AttentionMonitor {
    control: mpsc::UnboundedSender<Control>,
    task: Mutex<Option<JoinHandle<()>>>,
    output: broadcast::Sender<PaneId>,
    guard: broadcast::Sender<FloodGuard>,
}

impl std::fmt::Debug for AttentionMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttentionMonitor").finish_non_exhaustive()
    }
}

impl AttentionMonitor {
    /// Starts watching (inside the current tokio runtime), following the
    /// sessions in `snapshots` (a [`crate::StateWatcher`]'s channel).
    pub fn spawn(
        tmux: Tmux,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        options: AttentionOptions,
    ) -> (AttentionMonitor, mpsc::Receiver<Detection>) {
        let (detections, receiver) = mpsc::channel(DETECTION_QUEUE);
        let (control, inbox) = mpsc::unbounded_channel();
        let (tap_events, tap_inbox) = mpsc::channel(TAP_QUEUE);
        let (started_tx, started) = mpsc::unbounded_channel();
        let output = broadcast::channel(OUTPUT_FEED).0;
        let guard = broadcast::channel(GUARD_FEED).0;
        let (start_tx, start_rx) = mpsc::unbounded_channel();
        tokio::spawn(starter(
            tmux.clone(),
            snapshots.clone(),
            options.settle,
            options.max_settle,
            start_rx,
            tap_events.clone(),
            started_tx,
        ));
        let latest = snapshots.borrow().clone();
        let (fresh_tx, fresh) = mpsc::unbounded_channel();
        let worker = Worker {
            tmux: tmux.clone(),
            fresh_tx,
            fresh,
            looking: false,
            options,
            snapshots,
            latest,
            unattended: false,
            wanted: HashMap::new(),
            detections,
            inbox,
            tap_inbox,
            started,
            start_tx,
            taps: HashMap::new(),
            groups: HashMap::new(),
            starting: HashMap::new(),
            backoff: HashMap::new(),
            next_tap: 0,
            panes: HashMap::new(),
            layout: HashMap::new(),
            late_activity: Vec::new(),
            output: output.clone(),
            guard: guard.clone(),
        };
        let task = tokio::spawn(worker.run());
        (
            AttentionMonitor {
                control,
                task: Mutex::new(Some(task)),
                output,
                guard,
            },
            receiver,
        )
    }

    /// The id of a pane each time a tap hears it write something (one per
    /// `%output` line of tmux, so many per second from a busy pane): a
    /// change event for whoever shows the pane's screen elsewhere (the
    /// server's overview). Costs nothing while nobody subscribes; a
    /// receiver that falls behind gets `RecvError::Lagged` and should
    /// treat every pane as changed.
    pub fn output(&self) -> broadcast::Receiver<PaneId> {
        self.output.subscribe()
    }

    /// Each time the flood guard starts or stops holding a pane's output
    /// back (see *Floods* above). Costs nothing while nobody subscribes.
    pub fn flood_guard(&self) -> broadcast::Receiver<FloodGuard> {
        self.guard.subscribe()
    }

    /// Whether session groups that no phone's session is on are watched
    /// too (default off): each then gets a tap on a small managed session
    /// of its own (`tmux-mobile-client-~attn-<n>`, one per such group,
    /// visible in `tmux ls`), removed again when this is turned off, when
    /// a phone's session joins the group (its tap then rides on that), or
    /// when the group's last user session goes. For a caller that must
    /// tell someone who is away (Web Push); see the [module
    /// documentation](super).
    pub fn watch_unattended(&self, on: bool) {
        let _ = self.control.send(Control::WatchUnattended(on));
    }

    /// Stops: every tap detaches (and removes its session, if it has its
    /// own). Idempotent.
    pub async fn shutdown(&self) {
        let _ = self.control.send(Control::Shutdown);
        let task = self.task.lock().ok().and_then(|mut task| task.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// A request to start a tap.
struct StartRequest {
    tap: u64,
    group: String,
    host: Host,
}

/// Starts taps one at a time, each at a quiet moment, holding the commands
/// of the [`Tmux`] handle while its client identifies itself (as the
/// watcher does for its own).
async fn starter(
    tmux: Tmux,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    settle: Duration,
    max_settle: Duration,
    mut requests: mpsc::UnboundedReceiver<StartRequest>,
    events: mpsc::Sender<(u64, TapEvent)>,
    started: mpsc::UnboundedSender<Started>,
) {
    let mut last_change = Instant::now();
    while let Some(request) = requests.recv().await {
        if !settle.is_zero() {
            let give_up = Instant::now() + max_settle;
            loop {
                let busy = tmux.last_activity().map(Instant::from_std);
                let quiet_at = busy.map_or(last_change, |b| b.max(last_change)) + settle;
                let now = Instant::now();
                if now >= quiet_at || now >= give_up {
                    break;
                }
                tokio::select! {
                    () = tokio::time::sleep_until(quiet_at.min(give_up)) => {}
                    changed = snapshots.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        last_change = Instant::now();
                    }
                }
            }
        }
        let handle = {
            let _hold = tmux.hold_commands().await;
            tap::start(&tmux, &request.host, request.tap, events.clone()).await
        };
        let handle = match handle {
            Ok(handle) => Some(handle),
            Err(error) => {
                log::debug!(
                    "attention: could not start a tap on {}: {error}",
                    request.host.session()
                );
                None
            }
        };
        let report = Started {
            tap: request.tap,
            group: request.group,
            host: request.host,
            handle,
        };
        if started.send(report).is_err() {
            return;
        }
        last_change = Instant::now();
    }
}

/// What the starter reports: the tap, if it started.
struct Started {
    tap: u64,
    group: String,
    host: Host,
    handle: Option<TapHandle>,
}

struct Tap {
    group: String,
    handle: TapHandle,
    since: Instant,
}

/// Taps of a group that failed to start, or ended, on one host: no new try
/// on *that* host before `retry_at` (a tap on another host may start at
/// once).
struct Backoff {
    /// Failures in a row.
    failures: u32,
    retry_at: Option<Instant>,
    /// Where they were.
    host: Wanted,
}

impl Backoff {
    fn delay(failures: u32) -> Duration {
        Duration::from_millis(500 * 2u64.pow(failures.min(6)))
    }
}

/// What the monitor knows of one pane.
struct PaneWatch {
    /// The tap that hears this pane.
    tap: u64,
    /// Whether `silence` was set knowing the pane's window (output can
    /// arrive before the snapshot that shows a new pane).
    placed: bool,
    scanner: OutputScanner,
    last_output: Option<Instant>,
    /// When to read the screen for a prompt.
    capture_at: Option<Instant>,
    /// When to report silence.
    silence_at: Option<Instant>,
    /// When to turn paused output back on.
    resume_at: Option<Instant>,
    /// The taps that paused it (continued at `resume_at`).
    paused_on: Vec<u64>,
    /// The flood guard paused it (not tmux's `pause-after`).
    guarded: bool,
    last_bell: Option<Instant>,
    /// The prompt currently shown (its text), if any.
    prompt: Option<String>,
    /// Output started after a quiet spell while the pane was in no
    /// snapshot yet: an `activity` rule of its window, once known, reports
    /// it (a new window's first output comes before the snapshot does).
    activity_unplaced: bool,
}

impl PaneWatch {
    fn new(tap: u64) -> Self {
        PaneWatch {
            tap,
            placed: false,
            scanner: OutputScanner::new(),
            last_output: None,
            capture_at: None,
            silence_at: None,
            resume_at: None,
            paused_on: Vec::new(),
            guarded: false,
            last_bell: None,
            prompt: None,
            activity_unplaced: false,
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        [self.capture_at, self.silence_at, self.resume_at]
            .into_iter()
            .flatten()
            .min()
    }
}

/// Where a pane lives, from the latest snapshot.
struct Placement {
    group: String,
    session: String,
    window: String,
}

/// Where a group's tap should sit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    /// On this phone's session.
    Phone(String),
    /// On a session of its own, grouped with this user session (`$3`).
    Own(String),
}

impl Wanted {
    fn is_own(&self) -> bool {
        matches!(self, Wanted::Own(_))
    }

    /// What `host` was wanted as.
    fn of(host: &Host) -> Wanted {
        match host {
            Host::Phone(session) => Wanted::Phone(session.clone()),
            Host::Own { base, .. } => Wanted::Own(base.clone()),
        }
    }
}

struct Worker {
    options: AttentionOptions,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    /// The newest snapshot (the watcher's, or one a tap on a session of its
    /// own read).
    latest: Arc<Snapshot>,
    /// Whether groups without a phone's session are watched too.
    unattended: bool,
    /// Group → where its tap should sit, from the last [`Worker::follow`].
    wanted: HashMap<String, Wanted>,
    detections: mpsc::Sender<Detection>,
    inbox: mpsc::UnboundedReceiver<Control>,
    tap_inbox: mpsc::Receiver<(u64, TapEvent)>,
    started: mpsc::UnboundedReceiver<Started>,
    start_tx: mpsc::UnboundedSender<StartRequest>,
    taps: HashMap<u64, Tap>,
    /// Group → the tap watching it.
    groups: HashMap<String, u64>,
    /// Group → the tap being started for it.
    starting: HashMap<String, u64>,
    /// Group → its taps' recent failures.
    backoff: HashMap<String, Backoff>,
    /// For a one-shot snapshot of our own (see [`Worker::look`]).
    tmux: Tmux,
    fresh_tx: mpsc::UnboundedSender<Option<Snapshot>>,
    fresh: mpsc::UnboundedReceiver<Option<Snapshot>>,
    /// A one-shot snapshot is being taken.
    looking: bool,
    next_tap: u64,
    panes: HashMap<PaneId, PaneWatch>,
    layout: HashMap<PaneId, Placement>,
    /// Panes whose activity was heard before their window was known and
    /// whose window turned out to opt in; reported after [`Worker::follow`].
    late_activity: Vec<PaneId>,
    /// See [`AttentionMonitor::output`].
    output: broadcast::Sender<PaneId>,
    /// See [`AttentionMonitor::flood_guard`].
    guard: broadcast::Sender<FloodGuard>,
}

impl Worker {
    async fn run(mut self) {
        let snapshot = self.snapshots.borrow_and_update().clone();
        self.follow_and_report(snapshot).await;
        loop {
            let deadline = self
                .panes
                .values()
                .filter_map(PaneWatch::next_deadline)
                .chain(self.backoff.values().filter_map(|b| b.retry_at))
                .min();
            tokio::select! {
                control = self.inbox.recv() => match control {
                    Some(Control::WatchUnattended(on)) => {
                        if on != self.unattended {
                            self.unattended = on;
                            let snapshot = Arc::clone(&self.latest);
                            self.follow_and_report(snapshot).await;
                        }
                    }
                    Some(Control::Shutdown) | None => break,
                },
                changed = self.snapshots.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let snapshot = self.snapshots.borrow_and_update().clone();
                    self.follow_and_report(snapshot).await;
                }
                Some((tap, event)) = self.tap_inbox.recv() => self.on_tap_event(tap, event).await,
                Some(started) = self.started.recv() => self.on_started(started),
                Some(fresh) = self.fresh.recv() => {
                    self.looking = false;
                    if let Some(snapshot) = fresh {
                        self.follow_and_report(Arc::new(snapshot)).await;
                    }
                }
                () = sleep_until_opt(deadline) => self.on_deadlines().await,
            }
        }
        self.stop().await;
    }

    /// [`Worker::follow`] `snapshot` (kept as the newest), then reports
    /// the activity it placed.
    async fn follow_and_report(&mut self, snapshot: Arc<Snapshot>) {
        self.follow(&snapshot);
        self.latest = snapshot;
        for pane in std::mem::take(&mut self.late_activity) {
            self.report(&pane, AttentionReason::Activity, String::new(), Vec::new())
                .await;
        }
    }

    /// Starts and stops taps so that every session group with a user
    /// session and a phone's session has one (riding on the phone's
    /// session), and, while [`Worker::unattended`], every other group with
    /// a user session one on a session of its own; records where each pane
    /// lives.
    fn follow(&mut self, snapshot: &Snapshot) {
        // Group → a phone's session in it to ride on.
        let hosts: HashMap<&str, &str> = snapshot
            .sessions()
            .iter()
            .filter(|s| is_host(s))
            .filter_map(|s| Some((s.group.as_deref()?, s.name.as_str())))
            .collect();
        let mut wanted: HashMap<String, Wanted> = HashMap::new();
        let mut layout = HashMap::new();
        for session in snapshot.user_sessions() {
            let group = session
                .group
                .clone()
                .unwrap_or_else(|| session.name.clone());
            if let Some(host) = hosts.get(group.as_str()) {
                wanted
                    .entry(group.clone())
                    .or_insert_with(|| Wanted::Phone((*host).to_owned()));
            } else if self.unattended {
                wanted
                    .entry(group.clone())
                    .or_insert_with(|| Wanted::Own(session.id.clone()));
            }
            for window in &session.windows {
                for pane in &window.panes {
                    layout.entry(pane.id.clone()).or_insert_with(|| Placement {
                        group: group.clone(),
                        session: session.name.clone(),
                        window: window.name.clone(),
                    });
                }
            }
        }
        // Panes new to this snapshot that no tap has heard: their screen is
        // read once. A window made between the snapshot a tap started from
        // and the moment its client attached may already show a prompt
        // and say nothing more (a tap hears only what is written after it
        // attached, and its first look covered the panes it knew of).
        if self.options.prompt {
            for (pane, placement) in &layout {
                if self.layout.contains_key(pane)
                    || self
                        .panes
                        .get(pane)
                        .is_some_and(|w| w.last_output.is_some())
                {
                    continue;
                }
                let tap = self
                    .groups
                    .get(&placement.group)
                    .and_then(|tap| self.taps.get(tap));
                if let Some(tap) = tap {
                    tap.handle.send(TapCommand::Capture(pane.clone()));
                }
            }
        }
        self.layout = layout;
        // Panes that are gone (a pane heard before any snapshot showed it is
        // kept a while: the next snapshot will).
        let now = Instant::now();
        self.panes.retain(|pane, watch| {
            self.layout.contains_key(pane)
                || (!watch.placed
                    && watch
                        .last_output
                        .is_some_and(|last| now.duration_since(last) < Duration::from_secs(60)))
        });
        // Panes heard before they were in a snapshot: their window's
        // silence opt-in counts from their last output.
        let unplaced: Vec<PaneId> = self
            .panes
            .iter()
            .filter(|(_, watch)| !watch.placed)
            .map(|(pane, _)| pane.clone())
            .collect();
        for pane in unplaced {
            // Still in no snapshot: wait for the next one.
            let Some((silence, activity)) = self.rule(&pane) else {
                continue;
            };
            if let Some(watch) = self.panes.get_mut(&pane) {
                watch.placed = true;
                if let (Some(after), Some(last)) = (silence, watch.last_output) {
                    watch.silence_at = Some(last + after);
                }
                if std::mem::take(&mut watch.activity_unplaced) && activity {
                    self.late_activity.push(pane);
                }
            }
        }
        // Groups without a user session or without a phone (unless watched
        // unattended), and taps on a session of their own in a group a
        // phone joined (or the other way round): the tap leaves.
        let gone: Vec<String> = self
            .groups
            .iter()
            .filter(|(group, tap)| {
                let host = self.taps.get(*tap).map(|t| &t.handle.host);
                match (wanted.get(*group), host) {
                    // Kept until the tap on the phone's session is up
                    // (see `on_started`): nothing is missed meanwhile.
                    (Some(Wanted::Phone(_)), Some(_)) => false,
                    (Some(Wanted::Own(_)), Some(host)) => !host.is_own(),
                    _ => true,
                }
            })
            .map(|(group, _)| group.clone())
            .collect();
        for group in gone {
            if let Some(tap) = self.groups.remove(&group) {
                if let Some(tap) = self.taps.remove(&tap) {
                    tap.handle.leave();
                }
            }
        }
        self.backoff.retain(|group, _| wanted.contains_key(group));
        self.wanted = wanted.clone();
        for (group, want) in wanted {
            // A tap on a session of its own is replaced once a phone joins.
            let replaceable = !want.is_own() && self.own_tap(&group).is_some();
            if (self.groups.contains_key(&group) && !replaceable)
                || self.starting.contains_key(&group)
            {
                continue;
            }
            // Only the host that failed waits: a phone that left (its
            // session gone, the tap detached) must not delay the tap on
            // the phone that stayed.
            if self
                .backoff
                .get(&group)
                .is_some_and(|b| b.host == want && b.retry_at.is_some_and(|at| at > Instant::now()))
            {
                continue;
            }
            self.next_tap += 1;
            let tap = self.next_tap;
            self.starting.insert(group.clone(), tap);
            let host = match want {
                Wanted::Phone(session) => Host::Phone(session),
                Wanted::Own(base) => Host::Own {
                    base,
                    session: format!("{TAP_SESSION_PREFIX}{tap}"),
                },
            };
            let _ = self.start_tx.send(StartRequest { tap, group, host });
        }
    }

    fn on_started(&mut self, started: Started) {
        let Started {
            tap,
            group,
            host,
            handle,
        } = started;
        if self.starting.get(&group) == Some(&tap) {
            self.starting.remove(&group);
        }
        let Some(handle) = handle else {
            // Usually the host went just before (a phone that left at
            // once): look at what is there now rather than wait for the
            // next snapshot, which may not come soon.
            self.failed(group, &host, true);
            self.look();
            return;
        };
        let want_own = self.wanted.get(&group).map(Wanted::is_own);
        // A phone's tap takes over from one on a session of its own (which
        // kept listening until now).
        if want_own == Some(false) && !handle.host.is_own() {
            if let Some(own) = self.own_tap(&group) {
                self.groups.remove(&group);
                if let Some(own) = self.taps.remove(&own) {
                    own.handle.leave();
                }
            }
        }
        if want_own != Some(handle.host.is_own()) || self.groups.contains_key(&group) {
            handle.leave();
            // Started for a phone that left (or the other way round): the
            // right one now.
            if want_own.is_some() && !self.groups.contains_key(&group) {
                let snapshot = Arc::clone(&self.latest);
                self.follow(&snapshot);
            }
            return;
        }
        log::debug!(
            "attention: a tap on {} watches session group {group:?}",
            handle.host.session()
        );
        // On the same host, keep the failure count (a tap that keeps
        // ending soon after it starts backs off further), but no wait now;
        // a new host starts afresh.
        let same_host = self
            .backoff
            .get(&group)
            .is_some_and(|b| b.host == Wanted::of(&handle.host));
        if same_host {
            if let Some(entry) = self.backoff.get_mut(&group) {
                entry.retry_at = None;
            }
        } else {
            self.backoff.remove(&group);
        }
        // Panes already showing a prompt (from before we watched) are found
        // by one look at each screen.
        if self.options.prompt {
            for (pane, placement) in &self.layout {
                if placement.group == group {
                    handle.send(TapCommand::Capture(pane.clone()));
                }
            }
        }
        self.groups.insert(group.clone(), tap);
        self.taps.insert(
            tap,
            Tap {
                group,
                handle,
                since: Instant::now(),
            },
        );
    }

    async fn on_tap_event(&mut self, tap: u64, event: TapEvent) {
        let Some((group, since)) = self.taps.get(&tap).map(|t| (t.group.clone(), t.since)) else {
            return;
        };
        match event {
            TapEvent::Ended => {
                let Some(ended) = self.taps.remove(&tap) else {
                    return;
                };
                if self.groups.get(&group) == Some(&tap) {
                    self.groups.remove(&group);
                    // Try again on that host after a pause (a tap that ran
                    // a while counts as a first failure).
                    let long = since.elapsed() > Duration::from_secs(10);
                    self.failed(group, &ended.handle.host, !long);
                    // A tap we did not ask to leave ended: mostly its host
                    // went (its phone left; tmux detaches the tap). Nobody
                    // may publish a snapshot soon (the watcher rode on the
                    // same host), so look: the tap moves to another phone's
                    // session, or its own when allowed, at once.
                    self.look();
                }
            }
            TapEvent::Output(pane, bytes) => {
                // A window linked into two groups is heard by two taps:
                // only the tap of its first group counts.
                if self.layout.get(&pane).is_some_and(|p| p.group != group) {
                    return;
                }
                if self.output.receiver_count() > 0 {
                    let _ = self.output.send(pane.clone());
                }
                self.on_output(tap, pane, &bytes).await;
            }
            TapEvent::Paused { pane, flood } => {
                let watch = self
                    .panes
                    .entry(pane.clone())
                    .or_insert_with(|| PaneWatch::new(tap));
                if !watch.paused_on.contains(&tap) {
                    watch.paused_on.push(tap);
                }
                if watch.resume_at.is_none() {
                    watch.resume_at = Some(Instant::now() + RESUME_AFTER);
                }
                // (`replace` first: the pane counts as guarded whether or
                // not anyone listens.)
                if flood
                    && !std::mem::replace(&mut watch.guarded, true)
                    && self.guard.receiver_count() > 0
                {
                    let _ = self.guard.send(FloodGuard {
                        pane,
                        holding: true,
                    });
                }
            }
            TapEvent::Screen(pane, screen) => self.on_screen(tap, pane, screen).await,
            TapEvent::Sessions(snapshot) => self.follow_and_report(Arc::new(snapshot)).await,
        }
    }

    /// The opt-ins of the pane's window: (silence, activity); `None` while
    /// the pane is not in a snapshot yet.
    fn rule(&self, pane: &PaneId) -> Option<(Option<Duration>, bool)> {
        let placement = self.layout.get(pane)?;
        Some(
            self.options
                .windows
                .iter()
                .filter(|rule| rule.matches(&placement.session, &placement.window))
                .fold((None, false), |(silence, activity), rule| {
                    (silence.or(rule.silence), activity || rule.activity)
                }),
        )
    }

    async fn on_output(&mut self, tap: u64, pane: PaneId, bytes: &[u8]) {
        let now = Instant::now();
        let (scanned, coalesced) = {
            let watch = self
                .panes
                .entry(pane.clone())
                .or_insert_with(|| PaneWatch::new(tap));
            let scanned = watch.scanner.feed(bytes);
            let coalesced = watch
                .last_bell
                .is_some_and(|last| now.duration_since(last) < BELL_COALESCE);
            if scanned.bells > 0 && !coalesced {
                watch.last_bell = Some(now);
            }
            (scanned, coalesced)
        };
        let activity = self.heard(tap, &pane, now);
        let mut raised = Vec::new();
        if self.options.bell && scanned.bells > 0 && !coalesced {
            raised.push((AttentionReason::Bell, String::new()));
        }
        if self.options.notify {
            for notification in &scanned.notifications {
                raised.push((AttentionReason::Notify, notification.text()));
            }
        }
        if activity {
            raised.push((AttentionReason::Activity, String::new()));
        }
        for (reason, text) in raised {
            self.report(&pane, reason, text, Vec::new()).await;
        }
    }

    /// The pane wrote something at `now` (heard through `tap`, or while
    /// its output was paused): its quiet, silence and activity timers start
    /// over. Returns whether that is `activity` to report (its window opted
    /// in, and it had been quiet).
    fn heard(&mut self, tap: u64, pane: &PaneId, now: Instant) -> bool {
        let placed = self.rule(pane);
        let rule = placed.unwrap_or_default();
        let watch = self
            .panes
            .entry(pane.clone())
            .or_insert_with(|| PaneWatch::new(tap));
        watch.tap = tap;
        watch.placed = placed.is_some();
        let was_quiet = watch
            .last_output
            .is_none_or(|last| now.duration_since(last) >= ACTIVITY_GAP);
        watch.last_output = Some(now);
        if self.options.prompt {
            watch.capture_at = Some(now + self.options.quiet);
        }
        watch.silence_at = rule.0.map(|after| now + after);
        if placed.is_some() {
            watch.activity_unplaced = false;
        } else if was_quiet {
            watch.activity_unplaced = true;
        }
        rule.1 && was_quiet
    }

    /// Turns a paused pane's output back on. It was writing when it was
    /// paused, and what it wrote since is not sent: it counts as output now
    /// (so its screen is checked once it goes quiet).
    async fn resume(&mut self, pane: PaneId, now: Instant) {
        let Some(watch) = self.panes.get_mut(&pane) else {
            return;
        };
        for tap in std::mem::take(&mut watch.paused_on) {
            if let Some(tap) = self.taps.get(&tap) {
                tap.handle.send(TapCommand::Continue(pane.clone()));
            }
        }
        let tap = watch.tap;
        if std::mem::take(&mut watch.guarded) && self.guard.receiver_count() > 0 {
            let _ = self.guard.send(FloodGuard {
                pane: pane.clone(),
                holding: false,
            });
        }
        if self.output.receiver_count() > 0 {
            let _ = self.output.send(pane.clone());
        }
        if self.heard(tap, &pane, now) {
            self.report(&pane, AttentionReason::Activity, String::new(), Vec::new())
                .await;
        }
    }

    async fn on_screen(&mut self, tap: u64, pane: PaneId, screen: Option<String>) {
        let Some(screen) = screen else {
            return;
        };
        let found = self.options.matcher.find(&screen);
        let placed = self.layout.contains_key(&pane);
        let watch = self
            .panes
            .entry(pane.clone())
            .or_insert_with(|| PaneWatch::new(tap));
        watch.placed |= placed;
        match found {
            Some(prompt) => {
                if watch.prompt.as_deref() == Some(prompt.text.as_str()) {
                    return;
                }
                watch.prompt = Some(prompt.text.clone());
                self.report(&pane, AttentionReason::Prompt, prompt.text, prompt.replies)
                    .await;
            }
            None => {
                if watch.prompt.take().is_some() {
                    self.send(Detection {
                        pane,
                        change: Change::Cleared(AttentionReason::Prompt),
                    })
                    .await;
                }
            }
        }
    }

    async fn on_deadlines(&mut self) {
        let now = Instant::now();
        let mut captures = Vec::new();
        let mut resumes = Vec::new();
        let mut silences = Vec::new();
        for (pane, watch) in &mut self.panes {
            if watch.capture_at.is_some_and(|at| at <= now) {
                watch.capture_at = None;
                captures.push(pane.clone());
            }
            if watch.resume_at.is_some_and(|at| at <= now) {
                watch.resume_at = None;
                resumes.push(pane.clone());
            }
            if watch.silence_at.is_some_and(|at| at <= now) {
                watch.silence_at = None;
                silences.push((pane.clone(), watch.last_output));
            }
        }
        for pane in captures {
            // `capture-pane -t %N` reads any pane whatever session the
            // client is on: a pane whose tap went (replaced, say) and
            // that no snapshot placed yet is read through another.
            let tap = self
                .tap_of(&pane)
                .or_else(|| self.taps.values().next().map(|t| &t.handle));
            if let Some(tap) = tap {
                tap.send(TapCommand::Capture(pane));
            }
        }
        for pane in resumes {
            self.resume(pane, now).await;
        }
        for (pane, last) in silences {
            let quiet = last.map_or(Duration::ZERO, |last| now.duration_since(last));
            let text = format!("no output for {} s", quiet.as_secs());
            self.report(&pane, AttentionReason::Silence, text, Vec::new())
                .await;
        }
        // Groups whose tap failed or ended may be retried now.
        let mut due = false;
        for backoff in self.backoff.values_mut() {
            if backoff.retry_at.is_some_and(|at| at <= now) {
                backoff.retry_at = None;
                due = true;
            }
        }
        if due {
            let snapshot = Arc::clone(&self.latest);
            self.follow_and_report(snapshot).await;
        }
    }

    /// A tap of `group` on `host` failed to start or ended: no new one
    /// there for a while, longer after each failure in a row (`again`:
    /// counting the failures before).
    fn failed(&mut self, group: String, host: &Host, again: bool) {
        let host = Wanted::of(host);
        let before = self
            .backoff
            .get(&group)
            .filter(|b| again && b.host == host)
            .map_or(0, |b| b.failures);
        let failures = before + 1;
        self.backoff.insert(
            group,
            Backoff {
                failures,
                retry_at: Some(Instant::now() + Backoff::delay(failures)),
                host,
            },
        );
    }

    /// Takes a one-shot snapshot (one `tmux list-panes -a`) and follows it
    /// when it comes; one at a time. Only after a tap failed or ended on its
    /// own, never while things are quiet. (No tmux server: no snapshot.)
    fn look(&mut self) {
        if self.looking {
            return;
        }
        self.looking = true;
        let tmux = self.tmux.clone();
        let fresh = self.fresh_tx.clone();
        tokio::spawn(async move {
            // Not counted as activity: a command client that never attaches
            // makes tmux notify nothing, so it must not delay the start of
            // the tap this snapshot is for (see `starter`).
            let snapshot = match tmux.probe_snapshot().await {
                Ok(snapshot) => Some(snapshot),
                Err(error) => {
                    log::debug!("attention: a one-shot snapshot failed: {error}");
                    None
                }
            };
            let _ = fresh.send(snapshot);
        });
    }

    /// The tap of `group`, if it sits on a session of its own.
    fn own_tap(&self, group: &str) -> Option<u64> {
        let tap = *self.groups.get(group)?;
        self.taps
            .get(&tap)
            .is_some_and(|t| t.handle.host.is_own())
            .then_some(tap)
    }

    /// The tap that hears `pane`: the one its output came from, else the
    /// tap of its group.
    fn tap_of(&self, pane: &PaneId) -> Option<&TapHandle> {
        let heard = self.panes.get(pane).map(|w| w.tap);
        let tap = heard
            .filter(|tap| self.taps.contains_key(tap))
            .or_else(|| self.groups.get(&self.layout.get(pane)?.group).copied())?;
        self.taps.get(&tap).map(|t| &t.handle)
    }

    async fn report(
        &mut self,
        pane: &PaneId,
        reason: AttentionReason,
        text: String,
        replies: Vec<QuickReply>,
    ) {
        self.send(Detection {
            pane: pane.clone(),
            change: Change::Raised {
                reason,
                text,
                replies,
            },
        })
        .await;
    }

    async fn send(&mut self, detection: Detection) {
        if self.detections.try_send(detection).is_err() {
            log::debug!("attention: detection queue full or closed; dropped one");
        }
    }

    /// Every tap leaves; waits (bounded) until they have.
    async fn stop(&mut self) {
        for tap in self.taps.values() {
            tap.handle.leave();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.taps.is_empty() {
            tokio::select! {
                event = self.tap_inbox.recv() => match event {
                    Some((tap, TapEvent::Ended)) => {
                        self.taps.remove(&tap);
                    }
                    Some(_) => {}
                    None => break,
                },
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        // A tap still starting leaves when its handle, reported to nobody,
        // is dropped with the `started` channel.
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("", "anything"));
        assert!(glob("*", ""));
        assert!(glob("build*", "build-linux"));
        assert!(!glob("build*", "rebuild"));
        assert!(glob("*agent*", "my agent 2"));
        assert!(glob("w?n", "win"));
        assert!(!glob("w?n", "wn"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
        let rule = WindowRule {
            session: "work".into(),
            window: "*".into(),
            silence: Some(Duration::from_secs(5)),
            activity: false,
        };
        assert!(rule.matches("work", "build"));
        assert!(!rule.matches("play", "build"));
    }

    proptest::proptest! {
        #[test]
        fn glob_star_matches_everything_and_literals_match_themselves(text in "\\PC{0,30}") {
            proptest::prop_assert!(glob("*", &text));
            let literal: String = text.chars().filter(|c| *c != '*' && *c != '?').collect();
            proptest::prop_assert!(glob(&literal, &literal) || literal.is_empty());
        }
    }
}
