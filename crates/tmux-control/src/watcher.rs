//! [`StateWatcher`]: the current [`Snapshot`], kept up to date from tmux's
//! own change notifications, with no processes spawned while nothing
//! happens and no session of its own in the user's tmux.
//!
//! See [`StateWatcher`] for how it works.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::control::{ControlClient, Event, invalidates};
use crate::error::TmuxError;
use crate::snapshot::{SNAPSHOT_CONTROL_COMMAND, SessionSnapshot, Snapshot, parse_snapshot};
use crate::tmux::{ControlAnswer, ControlCommand, Tmux};

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
    /// Longest wait between attempts when the control client keeps failing.
    pub max_backoff: Duration,
    /// How long the server must look quiet before the control client starts
    /// (see *Starting* on [`StateWatcher`]): no `refresh`, no command run
    /// through the [`Tmux`] handle (or a clone of it) and no change in the
    /// one-shot snapshots for this long. Zero starts it at once.
    pub settle: Duration,
    /// The longest the watcher waits for such a quiet moment before it
    /// starts the control client anyway.
    pub max_settle: Duration,
    /// While it waits for that quiet moment: how often a one-shot snapshot
    /// (one process) is taken, so that changes reach subscribers this fast
    /// before the control client is up.
    pub settle_poll_interval: Duration,
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

    /// Sets [`settle_poll_interval`](Self::settle_poll_interval).
    pub fn with_settle_poll_interval(mut self, settle_poll_interval: Duration) -> Self {
        self.settle_poll_interval = settle_poll_interval;
        self
    }
}

impl Default for WatcherOptions {
    /// 3 ms debounce, re-check every 1.5 s (or slower, see
    /// [`WatcherOptions::recheck_interval`]), backoff up to 5 s, 750 ms of
    /// quiet before the control client starts (8 s at most), meanwhile a
    /// one-shot snapshot every 40 ms.
    fn default() -> Self {
        WatcherOptions {
            debounce: Duration::from_millis(3),
            recheck_interval: Duration::from_millis(1500),
            max_backoff: Duration::from_secs(5),
            settle: Duration::from_millis(750),
            max_settle: Duration::from_secs(8),
            settle_poll_interval: Duration::from_millis(40),
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
/// The user's tmux must show nothing of tmux-mobile's except one grouped
/// session per connected phone (`tmux-mobile-client-<client id>`). A tmux
/// control client must be attached to a session, and attaching one to a
/// user's session would count as a client there and run the user's
/// `client-attached` hooks. So the watcher has no session of its own: its
/// one control client rides on a phone's session (a *host*: a managed
/// session whose name has no `~`), as
/// `tmux -N -C attach-session -t =<host> -f no-output,ignore-size`:
///
/// - notifications (`%window-add`, `%sessions-changed`, `%window-renamed`,
///   `%unlinked-window-*`, `%session-window-changed`,
///   `%window-pane-changed`, `%layout-change`, …) reach a control client
///   whatever session it is on; they mark the state dirty and, after a
///   short debounce, the watcher writes the snapshot command (`list-sessions
///   -F …`, see [`Snapshot`]) to the client's stdin and parses the `%begin`/`%end` block
///   that answers it;
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
/// The host's `detach-on-destroy` is set *on* (a session of ours): when the
/// phone's session is killed (the phone left or switched sessions), tmux
/// detaches the control client instead of moving it to another session,
/// which could be the user's. The watcher then takes a one-shot snapshot
/// and moves to another host, if there is one.
///
/// # Without a phone
///
/// While no phone's session exists there is nothing to ride on, and nobody
/// to show a change to: the watcher is *dormant*. It runs nothing and has
/// no client; each [`StateWatcher::refresh`] is answered with a one-shot
/// snapshot (`tmux list-sessions`, one process), which is also how it finds
/// out that a phone's session appeared (tmux-mobile refreshes after every
/// change it makes, attaching a phone included). It never starts a tmux
/// server (`-N`) and never keeps one alive. The cost: changes made outside
/// while no phone is connected are seen at the next refresh, not when they
/// happen (no subscriber is waiting for them).
///
/// # Starting
///
/// tmux 3.3a writes some control-mode notifications (`%client-detached`,
/// `%sessions-changed`, `%session-renamed`, `%session-window-changed`,
/// `%window-pane-changed`, `%pane-mode-changed`) to every control client,
/// including one that is still identifying itself (between its first
/// identify message and the last one, before tmux has set up its
/// control-mode state; later tmux versions skip such clients). Such a
/// notification segfaults the server, taking every user session with it. A
/// client's identify messages arrive in several reads (the ones carrying
/// its stdin and stdout descriptors are sent separately), so the window
/// spans a few turns of tmux's event loop: a client detaching, a session
/// created or closed in that moment is enough. The control client starts
/// when a phone has just arrived (or its host went away), the busiest
/// moment in tmux-mobile. So the watcher starts it only at a quiet moment:
///
/// - before each start it waits until, for [`WatcherOptions::settle`], no
///   [`StateWatcher::refresh`] was called (callers refresh after they
///   change something, so a caller still mutating keeps it waiting), no
///   command ran through the [`Tmux`] handle (or a clone of it), and the
///   one-shot snapshots it takes meanwhile stayed the same (something
///   outside changing sessions or clients keeps it waiting). After
///   [`WatcherOptions::max_settle`] it starts anyway;
/// - meanwhile it takes a one-shot snapshot every
///   [`WatcherOptions::settle_poll_interval`] (one process each) and
///   publishes it, so the first outside change after a phone arrives
///   reaches it within that interval, and refreshes are answered at once
///   the same way; the first snapshot through the control client, right
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
/// The one-shot snapshots themselves are safe: a command client that is
/// never attached makes tmux notify nothing when it ends.
///
/// So that idle stays free, the polling is bounded: it runs only between a
/// phone's arrival (or its host going away) and the control client's start,
/// [`WatcherOptions::settle`] to [`WatcherOptions::max_settle`]; once the
/// client is up, an idle server costs no process.
///
/// # Stopping
///
/// [`StateWatcher::shutdown`] (or dropping every handle, inside a running
/// runtime) makes the control client leave: `detach-client`, EOF on its
/// stdin, and a wait for the process to exit. There is no session of ours
/// to remove: the host belongs to its phone. A watcher that never gets to
/// stop (tmux-mobile killed, or the runtime dropped with the watcher still
/// running) has its control client killed with `SIGKILL`, which tmux
/// handles as a lost client, safely; the phone's sessions are then removed
/// at the next start by [`Tmux::remove_stale_managed_sessions`].
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
    /// snapshot) follows as soon as tmux answers.
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
                stashed_shutdown: false,
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
    /// client, or, while there is none (no phone's session to ride on, or
    /// waiting for a quiet moment to start it), with one `tmux list-sessions`
    /// process. Returns the latest snapshot without waiting when the
    /// watcher has shut down.
    pub async fn refresh(&self) -> Arc<Snapshot> {
        let (tx, rx) = oneshot::channel();
        if self.requests.send(Request::Refresh(tx)).is_err() {
            return self.current();
        }
        rx.await.unwrap_or_else(|_| self.current())
    }

    /// Stops watching: the control client leaves; returns when it has. See
    /// *Stopping* on [`StateWatcher`]. Idempotent.
    pub async fn shutdown(&self) {
        let _ = self.requests.send(Request::Shutdown);
        let task = self.task.lock().ok().and_then(|mut task| task.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// While the watcher waits for a quiet moment, it polls no more often than
/// this many times a probe's round trip (so polling takes at most about a
/// twentieth of tmux's time; a server with 100 phones on one session of
/// 100 windows takes tens of milliseconds per probe).
const SETTLE_POLL_COST: u32 = 20;

/// Whether the watcher (and an attention tap) may ride on `session`: a
/// phone's grouped session. Managed, and without the `~` that older
/// tmux-mobile versions put in their helper sessions' names.
pub(crate) fn is_host(session: &SessionSnapshot) -> bool {
    session.managed && !session.name.contains('~')
}

/// Why a control-client session ended.
enum Ended {
    Shutdown,
    Lost,
    /// tmux answered nothing for a whole timeout.
    Hung,
}

/// How waiting for a quiet moment ended.
enum Settled {
    /// Start the control client on this host now.
    Start(String),
    /// No host any more.
    NoHost,
    Shutdown,
}

struct Worker {
    tmux: Tmux,
    options: WatcherOptions,
    inbox: mpsc::UnboundedReceiver<Request>,
    publisher: watch::Sender<Arc<Snapshot>>,
    /// Refresh callers waiting for the next snapshot taken.
    waiters: Vec<oneshot::Sender<Arc<Snapshot>>>,
    /// A shutdown found in the inbox while gathering refreshes (see
    /// [`Worker::gather_refreshes`]); [`Worker::next_request`] hands it out.
    stashed_shutdown: bool,
}

impl Worker {
    /// Watches until shutdown.
    async fn run(mut self) {
        let min_backoff = Duration::from_millis(50);
        let mut backoff = min_backoff;
        self.probe().await;
        loop {
            if self.host().is_none() {
                // Dormant: nothing runs until someone refreshes.
                if !self.dormant().await {
                    return;
                }
                continue;
            }
            let host = match self.settle().await {
                Settled::Start(host) => host,
                Settled::NoHost => continue,
                Settled::Shutdown => return,
            };
            let started = Instant::now();
            // Our own commands wait while the client identifies itself (it
            // is identified once it has said anything).
            let held = self.tmux.hold_commands().await;
            let connected = ControlClient::connect(&self.tmux, &host).await;
            drop(held);
            match connected {
                Ok(client) => {
                    log::debug!("tmux state watcher: riding on {host}");
                    if let Ended::Shutdown = self.attached(client).await {
                        return;
                    }
                    if started.elapsed() > Duration::from_secs(10) {
                        backoff = min_backoff;
                    }
                    // Usually the host went away (its phone left or
                    // switched): see what is there now.
                    self.probe().await;
                }
                Err(TmuxError::NoServer) => {
                    self.publish(Snapshot::empty());
                    self.answer_waiters();
                    continue;
                }
                Err(TmuxError::NotFound { .. }) => {
                    // The host went away just before we got there.
                    self.probe().await;
                    continue;
                }
                Err(error) => {
                    log::warn!("tmux state watcher: cannot start the control client: {error}");
                    self.answer_waiters();
                }
            }
            if !self.pause(backoff).await {
                return;
            }
            backoff = (backoff * 2).min(self.options.max_backoff);
        }
    }

    /// The host to ride on in the latest snapshot: the first phone session
    /// (tmux lists sessions by name, so the choice is stable while it
    /// stays).
    fn host(&self) -> Option<String> {
        self.publisher
            .borrow()
            .sessions()
            .iter()
            .find(|s| is_host(s))
            .map(|s| s.name.clone())
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

    /// The next request: a shutdown already taken out of the inbox first.
    /// Cancel-safe.
    async fn next_request(&mut self) -> Option<Request> {
        if self.stashed_shutdown {
            return Some(Request::Shutdown);
        }
        self.inbox.recv().await
    }

    /// Moves every refresh already waiting in the inbox to
    /// [`Worker::waiters`], so that the one snapshot about to be taken
    /// answers them all: it starts after each of them was asked for. With
    /// 100 phones changing things at once, one snapshot per refresh cost
    /// tmux a `list-sessions` of the whole server per phone.
    fn gather_refreshes(&mut self) {
        while !self.stashed_shutdown {
            match self.inbox.try_recv() {
                Ok(Request::Refresh(waiter)) => self.waiters.push(waiter),
                Ok(Request::Shutdown) => self.stashed_shutdown = true,
                Err(_) => break,
            }
        }
    }

    fn answer_waiters(&mut self) {
        let waiters = std::mem::take(&mut self.waiters);
        self.answer(waiters);
    }

    /// No host: waits for a request, answering a refresh with a one-shot
    /// snapshot. Returns false on shutdown.
    async fn dormant(&mut self) -> bool {
        if !self.waiters.is_empty() {
            // Refreshes that came in while pausing.
            self.probe().await;
            return true;
        }
        match self.next_request().await {
            Some(Request::Refresh(waiter)) => {
                self.waiters.push(waiter);
                self.probe().await;
                self.answer_waiters();
                true
            }
            Some(Request::Shutdown) | None => {
                self.answer_waiters();
                false
            }
        }
    }

    /// Sleeps `delay`, answering refreshes with the current snapshot. A
    /// refresh cuts the pause short (something may have changed). Returns
    /// false on shutdown.
    async fn pause(&mut self, delay: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(delay) => true,
            request = self.next_request() => match request {
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
    /// on [`StateWatcher`]), publishing a one-shot snapshot every
    /// [`WatcherOptions::settle_poll_interval`] meanwhile and answering
    /// refreshes the same way. Returns the host to start on.
    async fn settle(&mut self) -> Settled {
        let settle = self.options.settle;
        let base_poll = self
            .options
            .settle_poll_interval
            .max(Duration::from_millis(1));
        // On a big, busy server a probe is expensive (a `list-sessions` of
        // everything, and a client coming and going, which makes tmux
        // recompute every window's size): poll no more often than
        // [`SETTLE_POLL_COST`] times the last probe's round trip.
        let mut poll = base_poll;
        let give_up = Instant::now() + self.options.max_settle;
        // Whoever waited is answered by a fresh snapshot.
        let started = Instant::now();
        let Some(mut last) = self.probe().await else {
            return self.host().map_or(Settled::NoHost, Settled::Start);
        };
        poll = poll.max(started.elapsed() * SETTLE_POLL_COST);
        let mut changed_at = Instant::now();
        let mut probed_at = changed_at;
        loop {
            let Some(host) = self.host() else {
                return Settled::NoHost;
            };
            if settle.is_zero() {
                return Settled::Start(host);
            }
            let busy_at = self.tmux.last_activity().map(Instant::from_std);
            let quiet_at = busy_at.map_or(changed_at, |busy| busy.max(changed_at)) + settle;
            let now = Instant::now();
            if now >= give_up || (now >= quiet_at && probed_at >= quiet_at) {
                return Settled::Start(host);
            }
            let wake = (probed_at + poll).min(give_up);
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {
                    let started = Instant::now();
                    let Some(snapshot) = self.probe().await else {
                        return self.host().map_or(Settled::NoHost, Settled::Start);
                    };
                    probed_at = Instant::now();
                    poll = base_poll.max((probed_at - started) * SETTLE_POLL_COST);
                    if snapshot != last {
                        // Something is changing: wait on.
                        last = snapshot;
                        changed_at = probed_at;
                    }
                }
                request = self.next_request() => match request {
                    Some(Request::Refresh(waiter)) => {
                        // The caller has probably just changed something.
                        self.waiters.push(waiter);
                        match self.probe().await {
                            Some(snapshot) => last = snapshot,
                            None => return self.host().map_or(Settled::NoHost, Settled::Start),
                        }
                        changed_at = Instant::now();
                        probed_at = changed_at;
                    }
                    Some(Request::Shutdown) | None => {
                        self.answer_waiters();
                        return Settled::Shutdown;
                    }
                },
            }
        }
    }

    /// Takes a one-shot snapshot (one process), publishes it and answers
    /// the waiting refreshes. No server publishes an empty snapshot. `None`
    /// when tmux fails otherwise (the waiters then get the latest one).
    async fn probe(&mut self) -> Option<Snapshot> {
        self.gather_refreshes();
        match self.tmux.probe_snapshot().await {
            Ok(snapshot) => {
                self.publish(snapshot.clone());
                self.answer_waiters();
                Some(snapshot)
            }
            Err(TmuxError::NoServer) => {
                self.publish(Snapshot::empty());
                self.answer_waiters();
                Some(Snapshot::empty())
            }
            Err(error) => {
                log::debug!("tmux state watcher: one-shot snapshot failed: {error}");
                self.answer_waiters();
                None
            }
        }
    }

    /// Runs one attached control client until it ends. Meanwhile the
    /// [`Tmux`] handle's commands go through it too (see *Commands* on
    /// [`Tmux`]).
    async fn attached(&mut self, mut client: ControlClient) -> Ended {
        let (connection, mut commands) = mpsc::unbounded_channel();
        let mut in_flight = InFlight::default();
        let ended = self
            .serve(&mut client, &mut in_flight, &mut commands, connection)
            .await;
        // Commands go to processes again; whatever was sent here and not
        // answered is told so.
        self.tmux.set_control(None);
        commands.close();
        let hung = matches!(ended, Ended::Hung);
        while let Ok(command) = commands.try_recv() {
            let _ = command
                .reply
                .send(ControlAnswer::Unanswered { hung: false });
        }
        // Whoever still waits for a snapshot is answered by the next one
        // taken (after reconnecting) or, on shutdown, now.
        for pending in in_flight.entries {
            match pending {
                Pending::Snapshot { waiters, .. } => self.waiters.extend(waiters),
                Pending::Command { reply, .. } => {
                    let _ = reply.send(ControlAnswer::Unanswered { hung });
                }
            }
        }
        if matches!(ended, Ended::Shutdown) {
            self.answer_waiters();
        }
        // Always leave cleanly and wait for tmux to let go of the client.
        let timeout = self.tmux.timeout();
        if !client.leave(timeout).await {
            log::warn!(
                "tmux state watcher: the control client did not exit within {timeout:?}; killed it"
            );
        }
        match ended {
            Ended::Shutdown => Ended::Shutdown,
            Ended::Lost | Ended::Hung => Ended::Lost,
        }
    }

    /// The event loop of [`Worker::attached`].
    async fn serve(
        &mut self,
        client: &mut ControlClient,
        in_flight: &mut InFlight,
        commands: &mut mpsc::UnboundedReceiver<ControlCommand>,
        connection: mpsc::UnboundedSender<ControlCommand>,
    ) -> Ended {
        let mut debounce_at: Option<Instant> = None;
        let mut recheck_every = self.options.recheck_interval;
        let mut recheck_at = Instant::now() + recheck_every;
        let timeout = self.tmux.timeout();

        // The first snapshot answers whoever waited while we connected.
        let waiters = std::mem::take(&mut self.waiters);
        if !write(client, SNAPSHOT_CONTROL_COMMAND, timeout).await {
            self.waiters = waiters;
            return Ended::Lost;
        }
        in_flight.push_snapshot(waiters);
        self.tmux.set_control(Some(connection));

        loop {
            let debounce_due = debounce_at.filter(|_| in_flight.snapshots == 0);
            // tmux is taken for hung when it has answered nothing for a
            // whole timeout while something waited: a busy tmux works
            // through a long queue of commands, answering each in turn.
            let hung_at = in_flight.waiting_since().map(|since| since + timeout);
            tokio::select! {
                event = client.next_event() => match event {
                    None | Some(Event::Exit) => return Ended::Lost,
                    Some(Event::TooLong) => {
                        log::warn!("tmux state watcher: tmux wrote a line or reply over the limit, restarting");
                        return Ended::Lost;
                    }
                    Some(Event::Garbage(line)) => {
                        log::warn!(
                            "tmux state watcher: unexpected line from tmux, restarting: {:?}",
                            String::from_utf8_lossy(&line)
                        );
                        return Ended::Lost;
                    }
                    Some(Event::Notification(name)) => {
                        if invalidates(&name) && debounce_at.is_none() {
                            debounce_at = Some(Instant::now() + self.options.debounce);
                        }
                    }
                    Some(Event::Reply { ours: false, .. }) => {}
                    Some(Event::Reply { ours: true, ok, body }) => {
                        let (sent, waiters, ok, body) = match in_flight.answer(ok, body) {
                            Answer::Snapshot { sent, waiters, ok, body } => (sent, waiters, ok, body),
                            Answer::Command => continue,
                            Answer::Unexpected => {
                                log::warn!("tmux state watcher: an answer nobody asked for, restarting");
                                return Ended::Lost;
                            }
                        };
                        recheck_every = self.options.recheck_interval.max(sent.elapsed() * 50);
                        if in_flight.snapshots == 0 {
                            // Notifications never come inside a block, so every
                            // one received so far predates this snapshot.
                            debounce_at = None;
                        }
                        if ok {
                            match parse_snapshot(&body) {
                                Ok(snapshot) => self.publish(snapshot),
                                Err(error) => log::warn!("tmux state watcher: {error}"),
                            }
                        } else {
                            log::warn!(
                                "tmux state watcher: snapshot failed: {}",
                                String::from_utf8_lossy(&body).trim()
                            );
                        }
                        self.answer(waiters);
                    }
                },
                _ = sleep_until_opt(debounce_due) => {
                    debounce_at = None;
                    if !write(client, SNAPSHOT_CONTROL_COMMAND, timeout).await {
                        return Ended::Lost;
                    }
                    in_flight.push_snapshot(Vec::new());
                }
                _ = tokio::time::sleep_until(recheck_at) => {
                    recheck_at = Instant::now() + recheck_every;
                    if in_flight.snapshots == 0 {
                        if !write(client, SNAPSHOT_CONTROL_COMMAND, timeout).await {
                            return Ended::Lost;
                        }
                        in_flight.push_snapshot(Vec::new());
                    }
                }
                _ = sleep_until_opt(hung_at) => {
                    log::warn!("tmux state watcher: tmux did not answer within {timeout:?}, restarting");
                    return Ended::Hung;
                }
                command = commands.recv() => {
                    // The sender lives in the `Tmux` handle this worker
                    // holds: `recv` never ends here.
                    let Some(ControlCommand { line, reply }) = command else {
                        continue;
                    };
                    if !write(client, &line.text, timeout).await {
                        let _ = reply.send(ControlAnswer::Unanswered { hung: false });
                        return Ended::Lost;
                    }
                    in_flight.push_command(line.commands.len(), reply);
                }
                request = self.next_request() => match request {
                    Some(Request::Refresh(waiter)) => {
                        self.waiters.push(waiter);
                        self.gather_refreshes();
                        if !write(client, SNAPSHOT_CONTROL_COMMAND, timeout).await {
                            return Ended::Lost;
                        }
                        in_flight.push_snapshot(std::mem::take(&mut self.waiters));
                    }
                    Some(Request::Shutdown) | None => return Ended::Shutdown,
                },
            }
        }
    }
}

/// What was written to the control client and not yet answered, in the
/// order tmux answers it.
#[derive(Default)]
struct InFlight {
    entries: VecDeque<Pending>,
    /// How many of the entries are snapshots.
    snapshots: usize,
    /// When tmux last answered anything.
    last_answer: Option<Instant>,
}

/// One line written to the control client.
enum Pending {
    /// The snapshot command, and the refresh callers it answers.
    Snapshot {
        sent: Instant,
        waiters: Vec<oneshot::Sender<Arc<Snapshot>>>,
    },
    /// A line of [`Tmux`] commands: tmux answers each command with a block
    /// and stops at the first that fails.
    Command {
        sent: Instant,
        /// Blocks still to come.
        left: usize,
        /// The output of the blocks so far.
        output: Vec<u8>,
        reply: oneshot::Sender<ControlAnswer>,
    },
}

/// What one block answered.
enum Answer {
    Snapshot {
        sent: Instant,
        waiters: Vec<oneshot::Sender<Arc<Snapshot>>>,
        ok: bool,
        body: Vec<u8>,
    },
    /// A command's block (its caller was answered once its last block, or
    /// a failed one, came).
    Command,
    /// Nothing was waiting.
    Unexpected,
}

impl InFlight {
    fn push_snapshot(&mut self, waiters: Vec<oneshot::Sender<Arc<Snapshot>>>) {
        self.snapshots += 1;
        self.entries.push_back(Pending::Snapshot {
            sent: Instant::now(),
            waiters,
        });
    }

    fn push_command(&mut self, commands: usize, reply: oneshot::Sender<ControlAnswer>) {
        self.entries.push_back(Pending::Command {
            sent: Instant::now(),
            left: commands.max(1),
            output: Vec::new(),
            reply,
        });
    }

    /// Since when tmux has owed the oldest entry an answer: when it was
    /// written, or when tmux last answered anything, whichever is later.
    fn waiting_since(&self) -> Option<Instant> {
        let sent = match self.entries.front()? {
            Pending::Snapshot { sent, .. } | Pending::Command { sent, .. } => *sent,
        };
        Some(self.last_answer.map_or(sent, |answered| answered.max(sent)))
    }

    /// Takes one `%begin` … `%end`/`%error` block of ours.
    fn answer(&mut self, ok: bool, body: Vec<u8>) -> Answer {
        self.last_answer = Some(Instant::now());
        match self.entries.front_mut() {
            None => Answer::Unexpected,
            Some(Pending::Command { left, output, .. }) => {
                *left -= 1;
                if ok {
                    output.extend_from_slice(&body);
                }
                if ok && *left > 0 {
                    return Answer::Command;
                }
                if let Some(Pending::Command { output, reply, .. }) = self.entries.pop_front() {
                    let body = if ok { output } else { body };
                    // The caller may have given up waiting.
                    let _ = reply.send(ControlAnswer::Answered { ok, body });
                }
                Answer::Command
            }
            Some(Pending::Snapshot { .. }) => match self.entries.pop_front() {
                Some(Pending::Snapshot { sent, waiters }) => {
                    self.snapshots -= 1;
                    Answer::Snapshot {
                        sent,
                        waiters,
                        ok,
                        body,
                    }
                }
                _ => Answer::Unexpected,
            },
        }
    }
}

/// Writes `line` to the control client; false when the pipe broke or
/// tmux has not taken it within `timeout` (a hung tmux stops reading, and
/// the pipe fills up).
async fn write(client: &mut ControlClient, line: &str, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, client.send(line)).await,
        Ok(Ok(()))
    )
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

    fn answered(rx: &mut oneshot::Receiver<ControlAnswer>) -> Option<(bool, Vec<u8>)> {
        match rx.try_recv().ok()? {
            ControlAnswer::Answered { ok, body } => Some((ok, body)),
            ControlAnswer::Unanswered { .. } => None,
        }
    }

    #[test]
    fn blocks_answer_commands_and_snapshots_in_order() {
        let mut in_flight = InFlight::default();
        let (reply, mut first) = oneshot::channel();
        in_flight.push_command(2, reply);
        in_flight.push_snapshot(Vec::new());
        let (reply, mut third) = oneshot::channel();
        in_flight.push_command(3, reply);
        assert_eq!(in_flight.snapshots, 1);

        // A two-command line: answered once both blocks came, outputs joined.
        assert!(matches!(
            in_flight.answer(true, b"a\n".to_vec()),
            Answer::Command
        ));
        assert_eq!(answered(&mut first), None);
        assert!(matches!(
            in_flight.answer(true, b"b\n".to_vec()),
            Answer::Command
        ));
        assert_eq!(answered(&mut first), Some((true, b"a\nb\n".to_vec())));

        let Answer::Snapshot { ok, body, .. } = in_flight.answer(true, b"snap\n".to_vec()) else {
            panic!("the snapshot's block");
        };
        assert!(ok);
        assert_eq!(body, b"snap\n");
        assert_eq!(in_flight.snapshots, 0);

        // tmux stops a line at its first failing command: one `%error`
        // block answers it with the error alone.
        assert!(matches!(
            in_flight.answer(true, b"x\n".to_vec()),
            Answer::Command
        ));
        assert!(matches!(
            in_flight.answer(false, b"can't find session: nope\n".to_vec()),
            Answer::Command
        ));
        assert_eq!(
            answered(&mut third),
            Some((false, b"can't find session: nope\n".to_vec()))
        );
        assert!(in_flight.entries.is_empty());
        assert!(matches!(
            in_flight.answer(true, Vec::new()),
            Answer::Unexpected
        ));
    }

    #[test]
    fn waiting_counts_from_the_last_answer() {
        let mut in_flight = InFlight::default();
        assert!(in_flight.waiting_since().is_none());
        let (reply, _rx) = oneshot::channel();
        in_flight.push_command(1, reply);
        let (reply, _rx2) = oneshot::channel();
        in_flight.push_command(1, reply);
        let sent = in_flight.waiting_since().unwrap();
        std::thread::sleep(Duration::from_millis(5));
        in_flight.answer(true, Vec::new());
        // The second command was written with the first, but tmux has been
        // owing it an answer only since it answered the first.
        assert!(in_flight.waiting_since().unwrap() > sent);
    }
}
