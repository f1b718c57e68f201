//! [`StateWatcher`]: the current [`Snapshot`], kept up to date from tmux's
//! own change notifications, with no processes spawned while nothing
//! happens.
//!
//! See [`StateWatcher`] for how it works.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::control::{ControlClient, Event, invalidates, remove_watcher_session};
use crate::error::TmuxError;
use crate::snapshot::{SNAPSHOT_CONTROL_COMMAND, Snapshot, WATCHER_SESSION, parse_snapshot};
use crate::tmux::Tmux;

/// Timing of a [`StateWatcher`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WatcherOptions {
    /// How long to wait after a notification for more before taking a
    /// snapshot (tmux sends several per change).
    pub debounce: Duration,
    /// How often to re-take the snapshot through the control client anyway,
    /// for what tmux does not notify (pane commands, zoom and layout in
    /// other sessions). Runs inside the tmux server; spawns nothing. On big
    /// servers the interval grows to 50 times the last snapshot's round
    /// trip, so that re-checks never cost tmux more than about 2% of a core
    /// (a server with 400 panes takes ~25 ms of tmux CPU per snapshot).
    pub recheck_interval: Duration,
    /// While no server runs: how often to try connecting to its socket.
    pub server_poll_interval: Duration,
    /// While no server runs: how often to start a real tmux attempt anyway
    /// (one process), in case the computed socket path is wrong.
    pub blind_retry_interval: Duration,
    /// Longest wait between attempts when the control client keeps failing.
    pub max_backoff: Duration,
    /// How long the server must look quiet before the control client starts
    /// (see *Starting* on [`StateWatcher`]): no `refresh`, no command run
    /// through the [`Tmux`] handle (or a clone of it) and no change in a
    /// one-shot snapshot for this long. Zero starts it at once.
    pub settle: Duration,
    /// The longest the watcher waits for such a quiet moment before it
    /// starts the control client anyway.
    pub max_settle: Duration,
}

impl WatcherOptions {
    /// Sets [`debounce`](Self::debounce).
    pub fn with_debounce(mut self, debounce: Duration) -> Self {
        self.debounce = debounce;
        self
    }

    /// Sets [`recheck_interval`](Self::recheck_interval).
    pub fn with_recheck_interval(mut self, recheck_interval: Duration) -> Self {
        self.recheck_interval = recheck_interval;
        self
    }

    /// Sets [`server_poll_interval`](Self::server_poll_interval).
    pub fn with_server_poll_interval(mut self, server_poll_interval: Duration) -> Self {
        self.server_poll_interval = server_poll_interval;
        self
    }

    /// Sets [`blind_retry_interval`](Self::blind_retry_interval).
    pub fn with_blind_retry_interval(mut self, blind_retry_interval: Duration) -> Self {
        self.blind_retry_interval = blind_retry_interval;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets [`settle`](Self::settle).
    pub fn with_settle(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// Sets [`max_settle`](Self::max_settle).
    pub fn with_max_settle(mut self, max_settle: Duration) -> Self {
        self.max_settle = max_settle;
        self
    }
}

impl Default for WatcherOptions {
    /// 3 ms debounce, re-check every 1.5 s (or slower, see
    /// [`WatcherOptions::recheck_interval`]), socket poll every 1 s, blind
    /// retry every 30 s, backoff up to 5 s, 750 ms of quiet before the
    /// control client starts (8 s at most).
    fn default() -> Self {
        WatcherOptions {
            debounce: Duration::from_millis(3),
            recheck_interval: Duration::from_millis(1500),
            server_poll_interval: Duration::from_secs(1),
            blind_retry_interval: Duration::from_secs(30),
            max_backoff: Duration::from_secs(5),
            settle: Duration::from_millis(750),
            max_settle: Duration::from_secs(8),
        }
    }
}

enum Request {
    Refresh(oneshot::Sender<Arc<Snapshot>>),
    Shutdown,
}

/// Keeps the current [`Snapshot`] of one tmux server and publishes every
/// change on a `tokio::sync::watch` channel.
///
/// # How it works
///
/// One long-lived control-mode client (`tmux -N -C new-session -A -s
/// tmux-mobile-client-~watcher -f no-output,ignore-size`) is attached to a
/// small session of its own (see [`crate::WATCHER_SESSION`]):
///
/// - it is attached to *that* session, never to a user's session, so user
///   sessions do not count it in `session_attached` (a control client is an
///   attached client) and `tmux attach` without a target prefers the user's
///   unattached sessions over it. What remains visible: `tmux ls` lists it,
///   tmux runs `client-attached` hooks once when the watcher starts, and a
///   tmux command run *outside* tmux without `-t` picks the most recently
///   active session, which can be this one right after it was created;
/// - the session's only pane runs `true` and is kept dead
///   (`remain-on-exit`), so it costs no process; it is managed, so
///   [`Snapshot::user_sessions`] never shows it. The watcher removes it
///   itself when it stops (see *Stopping* below);
/// - notifications (`%window-add`, `%sessions-changed`, `%window-renamed`,
///   `%unlinked-window-*`, `%session-window-changed`, `%window-pane-changed`,
///   `%layout-change`, …) mark the state dirty; after a short debounce the
///   watcher writes the snapshot command (`list-panes -a -F …`) to the
///   client's stdin and parses the `%begin`/`%end` block that answers it;
/// - tmux does not notify some changes in sessions other than the attached
///   one (zoom, pane resize, a non-active pane closing) nor a pane's running
///   command, so the same command is also sent every
///   [`WatcherOptions::recheck_interval`]. That runs inside the tmux server:
///   no process is spawned;
/// - a new snapshot is published on the `watch` channel only when it differs
///   from the last one;
/// - [`StateWatcher::refresh`] sends the command at once and returns when its
///   answer has been published, so a caller that just changed something
///   sees the change.
///
/// # Starting
///
/// tmux 3.3a writes some control-mode notifications (`%client-detached`,
/// `%sessions-changed`, `%session-renamed`, `%session-window-changed`, …)
/// to every control client, including one that is still identifying itself
/// (between its first identify message and the last one, before tmux has
/// set up its control-mode state; later tmux versions skip such clients).
/// Such a notification segfaults the server, taking every user session
/// with it. A client's identify messages arrive in several reads (the ones
/// carrying its stdin and stdout descriptors are sent separately), so the
/// window spans a few turns of tmux's event loop: a client detaching, a
/// session created or closed in that moment is enough. The watcher's
/// control client is exposed once per start (and again only after losing
/// tmux), and it typically starts when a server has just appeared, which in
/// tmux-mobile is the busiest moment (the first phone creates sessions and
/// attaches a PTY client). So the watcher starts it only at a quiet moment:
///
/// - before each start it waits until, for [`WatcherOptions::settle`], no
///   [`StateWatcher::refresh`] was called (callers refresh after they
///   change something, so a caller still mutating keeps it waiting), no
///   command ran through the [`Tmux`] handle (or a clone of it), and a
///   one-shot snapshot (`list-panes -a`, one process) taken at the end
///   equals the one taken before (something outside changing sessions or
///   clients keeps it waiting). After [`WatcherOptions::max_settle`] it
///   starts anyway;
/// - meanwhile, refreshes are answered with a one-shot snapshot (one process
///   each), published like any other, so callers never wait for the
///   control client; the first snapshot through the control client, right
///   after it starts, is published if anything changed since;
/// - while the control client identifies itself, commands run through the
///   [`Tmux`] handle (or a clone) wait (for a few milliseconds; at most the
///   command timeout if tmux hangs), and it starts only once the commands
///   already running have ended, so none of our own commands makes tmux
///   notify in that moment.
///
/// This narrows the exposure to what nobody announces (a person's own tmux
/// client detaching, or a PTY `tmux attach` ending, exactly then); it
/// cannot close it, since the bug is inside tmux. In a stress run (a
/// private server per round, a watcher started amid grouped sessions
/// created and killed and clients attaching and leaving) starting at once
/// crashed tmux in 11 of 60 rounds, starting at a quiet moment in 0 of 60.
///
/// # Without a server
///
/// When tmux exits (`%exit`, `kill-server`, EOF) the watcher publishes an
/// empty snapshot and waits for a server: it tries to `connect(2)` to the
/// server's socket every [`WatcherOptions::server_poll_interval`] (no
/// process), plus one real attempt (one tmux process) every
/// [`WatcherOptions::blind_retry_interval`] in case the socket path it
/// computed is not the one tmux uses. `refresh` also tries at once (a
/// mutation may just have started a server). The watcher never starts a
/// server itself (`-N`).
///
/// When the watcher's session is the only one left, the watcher detaches and
/// removes that session (as when stopping, below), so that tmux can exit as
/// it would without tmux-mobile (tmux exits when its last session closes).
/// If the server stays up anyway (`exit-empty off`), it attaches again and
/// stays until a user session has come and gone.
///
/// # Stopping
///
/// [`StateWatcher::shutdown`] (or dropping every handle, inside a running
/// runtime) stops in two steps, in this order:
///
/// 1. the control client leaves: `detach-client`, EOF on its stdin, and a
///    wait for the process to exit. tmux answers the client's last message
///    only after it has let go of the client, so once the process is gone
///    no client of ours points at the session any more;
/// 2. a separate command removes the session, unless some other client is
///    attached to it (another tmux-mobile on the same server, or a person):
///    `if-shell -F -t '=tmux-mobile-client-~watcher:'
///    '#{==:#{session_attached},0}' "kill-session -t '=…'"`, one command, so
///    the check and the kill happen in one step inside tmux.
///
/// The session is never `destroy-unattached` (the option is set *off*
/// explicitly, whatever the user's configuration says). tmux 3.3a frees a
/// `destroy-unattached` session as soon as it counts no attached client,
/// and it stops counting a client that is on its way out (detached, stdin
/// closed) before that client has let go of the session: any other client
/// ending in that moment (every tmux command is a short-lived client) made
/// tmux free the session, then crash on the leaving client, taking every
/// user session with it. `kill-session`, by contrast, detaches attached
/// clients first and is safe at any time.
///
/// A watcher that never gets to stop (tmux-mobile killed, or the runtime
/// dropped with the watcher still running: its control client is killed
/// with `SIGKILL`, which tmux handles as a lost client, safely) leaves the
/// session behind, with its dead pane and no process. It goes at the next
/// start: [`Tmux::remove_stale_managed_sessions`] removes it (it is a
/// managed, unattached session), and a new watcher re-attaches to it
/// (`new-session -A`) and removes it when it stops. Until then `tmux ls`
/// lists it, it keeps a server with no other session alive, and a bare
/// `tmux attach` may pick it.
///
/// The other tmux 3.3a crash, when the control client *starts*, is
/// described under *Starting* above.
///
/// ```no_run
/// use tmux_mobile_tmux_control::{StateWatcher, Tmux, TmuxOptions, WatcherOptions};
/// # async fn demo() {
/// let tmux = Tmux::new(TmuxOptions::default());
/// let (watcher, mut snapshots) = StateWatcher::spawn(tmux.clone(), WatcherOptions::default());
/// while snapshots.changed().await.is_ok() {
///     let snapshot = snapshots.borrow_and_update().clone();
///     println!("{} sessions", snapshot.user_sessions().count());
/// }
/// watcher.shutdown().await;
/// # }
/// ```
pub struct StateWatcher {
    requests: mpsc::UnboundedSender<Request>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for StateWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateWatcher").finish_non_exhaustive()
    }
}

impl StateWatcher {
    /// Starts watching (inside the current tokio runtime). The receiver
    /// starts with an empty snapshot; the first real one (a one-shot
    /// snapshot, see *Starting* on [`StateWatcher`]) follows as soon as
    /// tmux answers.
    pub fn spawn(
        tmux: Tmux,
        options: WatcherOptions,
    ) -> (StateWatcher, watch::Receiver<Arc<Snapshot>>) {
        let (publisher, snapshots) = watch::channel(Arc::new(Snapshot::empty()));
        let (requests, inbox) = mpsc::unbounded_channel();
        let task = tokio::spawn(
            Worker {
                tmux,
                options,
                inbox,
                publisher,
                waiters: Vec::new(),
                left_empty_server: false,
                detach_when_empty: true,
                session_left: false,
            }
            .run(),
        );
        let watcher = StateWatcher {
            requests,
            snapshots: snapshots.clone(),
            task: Mutex::new(Some(task)),
        };
        (watcher, snapshots)
    }

    /// Another receiver of the snapshots.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshots.clone()
    }

    /// The latest published snapshot.
    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }

    /// Takes a snapshot now (call it after changing something) and returns
    /// once it has been published (or found unchanged): through the control
    /// client, or, while the watcher waits for a quiet moment to start it,
    /// with one `tmux list-panes` process. Returns the latest snapshot
    /// without waiting when no server runs or the watcher has shut down.
    pub async fn refresh(&self) -> Arc<Snapshot> {
        let (tx, rx) = oneshot::channel();
        if self.requests.send(Request::Refresh(tx)).is_err() {
            return self.current();
        }
        rx.await.unwrap_or_else(|_| self.current())
    }

    /// Stops watching: the control client leaves, then the watcher's
    /// session is removed (unless another client is attached to it); returns
    /// when both are done. See *Stopping* on [`StateWatcher`]. Idempotent.
    pub async fn shutdown(&self) {
        let _ = self.requests.send(Request::Shutdown);
        let task = self.task.lock().ok().and_then(|mut task| task.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// Why a control-client session ended.
enum Ended {
    Shutdown,
    Lost,
    DetachedEmpty,
}

struct Worker {
    tmux: Tmux,
    options: WatcherOptions,
    inbox: mpsc::UnboundedReceiver<Request>,
    publisher: watch::Sender<Arc<Snapshot>>,
    /// Refresh callers waiting for the next snapshot taken.
    waiters: Vec<oneshot::Sender<Arc<Snapshot>>>,
    /// We detached because only our session was left.
    left_empty_server: bool,
    /// Whether to detach when only our session is left.
    detach_when_empty: bool,
    /// Our session may still exist: we attached since it was last removed
    /// (or the server last went away).
    session_left: bool,
}

impl Worker {
    async fn run(mut self) {
        self.watch().await;
        // However the watcher stopped (shutdown, or every handle dropped),
        // its control client has left by now: remove its session.
        if self.session_left {
            self.remove_session().await;
        }
    }

    /// Removes our session if no client is attached to it; see
    /// [`remove_watcher_session`].
    async fn remove_session(&mut self) {
        match remove_watcher_session(&self.tmux).await {
            Ok(()) => self.session_left = false,
            Err(error) => log::warn!(
                "tmux state watcher: could not remove its session {WATCHER_SESSION}: {error}"
            ),
        }
    }

    /// Watches until shutdown.
    async fn watch(&mut self) {
        let min_backoff = Duration::from_millis(50);
        let mut backoff = min_backoff;
        loop {
            if !self.settle().await {
                return;
            }
            let started = Instant::now();
            // Our own commands wait while the client identifies itself (it
            // is identified once it has said anything).
            let held = self.tmux.hold_commands().await;
            let connected = ControlClient::connect(&self.tmux).await;
            drop(held);
            match connected {
                Ok(client) => {
                    self.session_left = true;
                    if self.left_empty_server {
                        // We left an empty server but it stayed up: stay
                        // attached until a user session shows up.
                        self.detach_when_empty = false;
                        self.left_empty_server = false;
                    }
                    match self.attached(client).await {
                        Ended::Shutdown => return,
                        Ended::DetachedEmpty => {
                            // Our client has left; removing our session,
                            // the last one, lets tmux exit.
                            self.remove_session().await;
                            self.left_empty_server = true;
                            backoff = min_backoff;
                        }
                        Ended::Lost => {
                            if started.elapsed() > Duration::from_secs(10) {
                                backoff = min_backoff;
                            }
                        }
                    }
                    if !self.pause(backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(self.options.max_backoff);
                }
                Err(TmuxError::NoServer) => {
                    self.session_left = false;
                    self.publish(Snapshot::empty());
                    self.answer_waiters();
                    if !self.wait_for_server().await {
                        return;
                    }
                    backoff = min_backoff;
                }
                Err(error) => {
                    log::warn!("tmux state watcher: cannot start the control client: {error}");
                    self.answer_waiters();
                    if !self.pause(backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(self.options.max_backoff);
                }
            }
        }
    }

    fn publish(&self, snapshot: Snapshot) {
        self.publisher.send_if_modified(|current| {
            if **current == snapshot {
                false
            } else {
                *current = Arc::new(snapshot);
                true
            }
        });
    }

    fn answer(&self, waiters: Vec<oneshot::Sender<Arc<Snapshot>>>) {
        let current = self.publisher.borrow().clone();
        for waiter in waiters {
            let _ = waiter.send(current.clone());
        }
    }

    fn answer_waiters(&mut self) {
        let waiters = std::mem::take(&mut self.waiters);
        self.answer(waiters);
    }

    /// Sleeps `delay`, answering refreshes with the current snapshot. A
    /// refresh cuts the pause short (something may have changed). Returns
    /// false on shutdown.
    async fn pause(&mut self, delay: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(delay) => true,
            request = self.inbox.recv() => match request {
                Some(Request::Refresh(waiter)) => {
                    self.waiters.push(waiter);
                    true
                }
                Some(Request::Shutdown) | None => {
                    self.answer_waiters();
                    false
                }
            },
        }
    }

    /// Waits until the server looks quiet, so that the control client
    /// starts when tmux is unlikely to send notifications (see *Starting*
    /// on [`StateWatcher`]). Meanwhile refreshes are answered, and
    /// changes published, from one-shot snapshots (one process each).
    /// Returns at once when no server answers (connecting then finds that
    /// out), false on shutdown.
    async fn settle(&mut self) -> bool {
        let settle = self.options.settle;
        if settle.is_zero() {
            return true;
        }
        let give_up = Instant::now() + self.options.max_settle;
        // The first probe shows the server at once and answers whoever
        // waited for it.
        let Some(mut last) = self.probe().await else {
            return true;
        };
        let mut changed_at = Instant::now();
        let mut probed_at = changed_at;
        loop {
            let busy_at = self.tmux.last_activity().map(Instant::from_std);
            let quiet_at = busy_at.map_or(changed_at, |busy| busy.max(changed_at)) + settle;
            if Instant::now() >= give_up {
                return true;
            }
            // While it is not quiet, outside changes are still published
            // every `settle`.
            let wake = quiet_at.min(probed_at + settle).min(give_up);
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {
                    if Instant::now() >= give_up {
                        return true;
                    }
                    let Some(snapshot) = self.probe().await else {
                        return true;
                    };
                    probed_at = Instant::now();
                    if snapshot != last {
                        // Something is changing: wait on.
                        last = snapshot;
                        changed_at = probed_at;
                    } else {
                        let busy_since = self.tmux.last_activity().map(Instant::from_std);
                        let still_quiet = busy_since.is_none_or(|busy| busy + settle <= probed_at);
                        if probed_at >= quiet_at && still_quiet {
                            return true;
                        }
                    }
                }
                request = self.inbox.recv() => match request {
                    Some(Request::Refresh(waiter)) => {
                        // The caller has probably just changed something.
                        self.waiters.push(waiter);
                        match self.probe().await {
                            Some(snapshot) => last = snapshot,
                            None => return true,
                        }
                        changed_at = Instant::now();
                        probed_at = changed_at;
                    }
                    Some(Request::Shutdown) | None => {
                        self.answer_waiters();
                        return false;
                    }
                },
            }
        }
    }

    /// Takes a one-shot snapshot (one process), publishes it and answers
    /// the waiting refreshes. `None` when no server answers or tmux fails
    /// (the waiters are then left to the control client's first snapshot).
    async fn probe(&mut self) -> Option<Snapshot> {
        match self.tmux.probe_snapshot().await {
            Ok(snapshot) => {
                self.publish(snapshot.clone());
                self.answer_waiters();
                Some(snapshot)
            }
            Err(TmuxError::NoServer) => None,
            Err(error) => {
                log::debug!("tmux state watcher: one-shot snapshot failed: {error}");
                None
            }
        }
    }

    /// Waits until the server socket accepts connections (or a refresh or a
    /// blind retry says to try anyway). Returns false on shutdown.
    async fn wait_for_server(&mut self) -> bool {
        let path = self.tmux.socket_path();
        let blind_retry = Instant::now() + self.options.blind_retry_interval;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.options.server_poll_interval) => {
                    if Instant::now() >= blind_retry || socket_accepts(&path).await {
                        return true;
                    }
                }
                request = self.inbox.recv() => match request {
                    Some(Request::Refresh(waiter)) => {
                        if socket_accepts(&path).await {
                            self.waiters.push(waiter);
                            return true;
                        }
                        self.answer(vec![waiter]);
                    }
                    Some(Request::Shutdown) | None => return false,
                },
            }
        }
    }

    /// Runs one attached control client until it ends.
    async fn attached(&mut self, mut client: ControlClient) -> Ended {
        // One entry per snapshot command written and not yet answered,
        // holding the refresh callers it answers.
        let mut in_flight: VecDeque<(Instant, Vec<oneshot::Sender<Arc<Snapshot>>>)> =
            VecDeque::new();
        let mut debounce_at: Option<Instant> = None;
        let mut recheck_every = self.options.recheck_interval;
        let mut recheck_at = Instant::now() + recheck_every;
        let timeout = self.tmux.timeout();

        // The first snapshot answers whoever waited while we connected.
        let waiters = std::mem::take(&mut self.waiters);
        if client.send(SNAPSHOT_CONTROL_COMMAND).await.is_err() {
            self.waiters = waiters;
            client.leave(timeout).await;
            return Ended::Lost;
        }
        in_flight.push_back((Instant::now(), waiters));

        let ended = loop {
            let debounce_due = debounce_at.filter(|_| in_flight.is_empty());
            let hung_at = in_flight.front().map(|(sent, _)| *sent + timeout);
            tokio::select! {
                event = client.next_event() => match event {
                    None | Some(Event::Exit) => break Ended::Lost,
                    Some(Event::TooLong) => {
                        log::warn!("tmux state watcher: tmux wrote a line or reply over the limit, restarting");
                        break Ended::Lost;
                    }
                    Some(Event::Garbage(line)) => {
                        log::warn!(
                            "tmux state watcher: unexpected line from tmux, restarting: {:?}",
                            String::from_utf8_lossy(&line)
                        );
                        break Ended::Lost;
                    }
                    Some(Event::Notification(name)) => {
                        if invalidates(&name) && debounce_at.is_none() {
                            debounce_at = Some(Instant::now() + self.options.debounce);
                        }
                    }
                    Some(Event::Reply { ours: false, .. }) => {}
                    Some(Event::Reply { ours: true, ok, body }) => {
                        let Some((sent, waiters)) = in_flight.pop_front() else {
                            log::warn!("tmux state watcher: an answer nobody asked for, restarting");
                            break Ended::Lost;
                        };
                        recheck_every = self.options.recheck_interval.max(sent.elapsed() * 50);
                        if in_flight.is_empty() {
                            // Notifications never come inside a block, so every
                            // one received so far predates this snapshot.
                            debounce_at = None;
                        }
                        let mut only_ours = false;
                        if ok {
                            match parse_snapshot(&body) {
                                Ok(snapshot) => {
                                    only_ours = snapshot.sessions().iter().all(|s| s.name == WATCHER_SESSION);
                                    if !only_ours {
                                        self.detach_when_empty = true;
                                    }
                                    self.publish(snapshot);
                                }
                                Err(error) => log::warn!("tmux state watcher: {error}"),
                            }
                        } else {
                            log::warn!(
                                "tmux state watcher: snapshot failed: {}",
                                String::from_utf8_lossy(&body).trim()
                            );
                        }
                        self.answer(waiters);
                        if only_ours && self.detach_when_empty && in_flight.is_empty() {
                            // Let tmux exit as it would without us (our
                            // client leaves below, then `watch` removes our
                            // session).
                            break Ended::DetachedEmpty;
                        }
                    }
                },
                _ = sleep_until_opt(debounce_due) => {
                    debounce_at = None;
                    if client.send(SNAPSHOT_CONTROL_COMMAND).await.is_err() {
                        break Ended::Lost;
                    }
                    in_flight.push_back((Instant::now(), Vec::new()));
                }
                _ = tokio::time::sleep_until(recheck_at) => {
                    recheck_at = Instant::now() + recheck_every;
                    if in_flight.is_empty() {
                        if client.send(SNAPSHOT_CONTROL_COMMAND).await.is_err() {
                            break Ended::Lost;
                        }
                        in_flight.push_back((Instant::now(), Vec::new()));
                    }
                }
                _ = sleep_until_opt(hung_at) => {
                    log::warn!("tmux state watcher: tmux did not answer within {timeout:?}, restarting");
                    break Ended::Lost;
                }
                request = self.inbox.recv() => match request {
                    Some(Request::Refresh(waiter)) => {
                        if client.send(SNAPSHOT_CONTROL_COMMAND).await.is_err() {
                            self.waiters.push(waiter);
                            break Ended::Lost;
                        }
                        in_flight.push_back((Instant::now(), vec![waiter]));
                    }
                    Some(Request::Shutdown) | None => break Ended::Shutdown,
                },
            }
        };
        // Whoever still waits is answered by the next snapshot taken (after
        // reconnecting) or, on shutdown, now.
        for (_, waiters) in in_flight {
            self.waiters.extend(waiters);
        }
        if matches!(ended, Ended::Shutdown) {
            self.answer_waiters();
        }
        // Always leave cleanly and wait for tmux to let go of the client
        // before anything removes the session (see `ControlClient::leave`).
        if !client.leave(timeout).await {
            log::warn!(
                "tmux state watcher: the control client did not exit within {timeout:?}; killed it"
            );
        }
        ended
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Whether something accepts connections on the tmux socket at `path`
/// (costs a `connect(2)`, no process).
async fn socket_accepts(path: &std::path::Path) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::UnixStream::connect(path)
        )
        .await,
        Ok(Ok(_))
    )
}
