//! [`Tmux`]: which tmux binary and server to talk to, and the one function
//! that runs it.
//!
//! Every tmux process this crate starts goes through [`Tmux::run`]: an argv
//! vector (never a shell), `-u` (so tmux does not replace non-ASCII output
//! with `_` when the locale is not UTF-8), the socket flags, `TMUX` and
//! `TMUX_PANE` removed from the environment (so a program started inside
//! tmux does not talk to the wrong server or inherit a current pane), stdin
//! from `/dev/null`, and a timeout after which the process is killed.
//! stderr is kept and classified into [`TmuxError`].

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::process::Command;
use tokio::sync::{mpsc, oneshot};

use crate::command_line::CommandLine;
use crate::error::TmuxError;

/// Which tmux server socket to use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Socket {
    /// tmux's default socket (`default` in tmux's socket directory).
    #[default]
    Default,
    /// A named socket in tmux's socket directory (`tmux -L <name>`).
    Name(String),
    /// A socket at an explicit path (`tmux -S <path>`).
    Path(PathBuf),
}

/// How to reach tmux.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TmuxOptions {
    /// The tmux binary (looked up on `PATH` when it has no `/`).
    pub binary: PathBuf,
    /// The server socket.
    pub socket: Socket,
    /// How long one tmux command may take before it is killed.
    pub timeout: Duration,
}

impl TmuxOptions {
    /// Sets [`binary`](Self::binary).
    pub fn with_binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = binary.into();
        self
    }

    /// Sets [`socket`](Self::socket).
    pub fn with_socket(mut self, socket: Socket) -> Self {
        self.socket = socket;
        self
    }

    /// Sets [`timeout`](Self::timeout).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Default for TmuxOptions {
    /// `tmux` from `PATH`, the default socket, a 5 second timeout.
    fn default() -> Self {
        TmuxOptions {
            binary: PathBuf::from("tmux"),
            socket: Socket::Default,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A handle on one tmux server. Cheap to clone (an `Arc` inside).
///
/// Operations are `async` methods (see the crate documentation for the
/// list); each is one or two tmux commands.
///
/// # Commands
///
/// While a [`crate::StateWatcher`] started from this handle (or a clone)
/// has its control client attached, commands are written to that client
/// as lines and answered in its `%begin`/`%end` blocks: no process, and
/// tmux answers them in order, one after the other. A `tmux` process per
/// command costs tmux far more on a big server: each one is a client that
/// connects, identifies itself and leaves, and when it leaves tmux
/// recomputes the size of every window against every client (with 100
/// phones on a session of 100 windows, 300 `has-session` processes cost
/// tmux 1.9 s of CPU, the same 300 commands through the control client
/// 0.12 s). Otherwise (no phone's session to ride on, the watcher still
/// waiting for a quiet moment to start, or a command not on the list of
/// those that answer with one block and cannot end the connection, such as
/// `capture-pane`, `if-shell` or `kill-session`) each command runs as a
/// process, as before.
///
/// ```no_run
/// use tmux_mobile_tmux_control::{Socket, Tmux, TmuxOptions};
/// # async fn demo() -> Result<(), tmux_mobile_tmux_control::TmuxError> {
/// let tmux = Tmux::new(TmuxOptions::default().with_socket(Socket::Name("work".into())));
/// let snapshot = tmux.snapshot().await?;
/// for session in snapshot.user_sessions() {
///     println!("{} ({} windows)", session.name, session.windows.len());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Tmux {
    inner: Arc<Inner>,
}

struct Inner {
    binary: PathBuf,
    socket: Socket,
    timeout: Duration,
    tmpdir: Option<PathBuf>,
    activity: Arc<Activity>,
    /// Places for commands running at once (see [`COMMANDS_AT_ONCE`]).
    slots: Arc<tokio::sync::Semaphore>,
    /// The state watcher's control-mode connection while it is up: commands
    /// go there instead of to a process (see *Commands* on [`Tmux`]).
    control: Mutex<Option<mpsc::UnboundedSender<ControlCommand>>>,
}

/// A command for the control-mode connection, and where its answer goes.
pub(crate) struct ControlCommand {
    pub(crate) line: CommandLine,
    pub(crate) reply: oneshot::Sender<ControlAnswer>,
}

/// What became of a [`ControlCommand`].
#[derive(Debug)]
pub(crate) enum ControlAnswer {
    /// tmux answered: every command succeeded (`ok`, with their output one
    /// after the other), or one failed (its error message).
    Answered { ok: bool, body: Vec<u8> },
    /// The connection ended first; `hung`: because tmux answered nothing
    /// for a whole timeout.
    Unanswered { hung: bool },
}

/// The commands sent through the control-mode connection: those tmux
/// answers with exactly one `%begin` … `%end` block and that cannot end the
/// connection itself. Any other runs as a process: `capture-pane` (output
/// that may be large or not line-shaped), commands that queue more
/// commands (`if-shell` answers with a block of its own and one for the
/// command it runs, which would answer the next caller in line), and
/// commands that can remove the session the connection rides on
/// (`kill-session`, `kill-window`, `kill-pane`, `kill-server`,
/// `attach-session`, `detach-client`: tmux drops what was queued behind
/// them). Every command of a line must be in this list.
const CONTROLLED: &[&str] = &[
    "copy-mode",
    "display-message",
    "has-session",
    "list-clients",
    "list-panes",
    "list-sessions",
    "list-windows",
    "new-session",
    "new-window",
    "refresh-client",
    "resize-pane",
    "select-pane",
    "select-window",
    "send-keys",
    "set-option",
    "show-options",
    "split-window",
];

/// Commands that are safe to run a second time when the connection closed
/// before tmux answered (they read, or set something to a fixed value): a
/// process runs them again. Any other command gives
/// [`TmuxError::Interrupted`] then.
const REPEATABLE: &[&str] = &[
    "list-sessions",
    "list-windows",
    "list-panes",
    "list-clients",
    "has-session",
    "show-options",
    "display-message",
    "set-option",
    "select-window",
    "select-pane",
    "refresh-client",
];

/// How many tmux command processes of one handle (and its clones) run at
/// once; the others wait for a place before their timeout starts.
///
/// tmux runs commands one after the other on a single thread, so more
/// processes at once make nothing faster: they only queue inside tmux,
/// where the timeout kept counting. With 100 phones each opening a window
/// at once (a `new-window` in a group of 100 sessions costs tmux ~60 ms),
/// the last ones in tmux's queue were killed after 5 s as "tmux did not
/// answer in time" although tmux was working through them (issue 15,
/// point 2). Waiting here instead keeps the timeout for what it is for, a
/// hung tmux, and spares the machine 100 forks at once. A few places keep
/// commands starting while others run: a `tmux` process spends most of its
/// life starting, connecting and leaving, not in tmux's queue, so with 100
/// phones arriving tmux sat idle behind 4 places (W11: all 100 phones done
/// in a median of 14.0 s with 8 places, 15.2 s with 4; 3 runs each).
/// Commands that go through the control-mode connection take no place.
pub(crate) const COMMANDS_AT_ONCE: usize = 8;

/// How many timeouts in a row a command may wait while tmux keeps answering
/// other commands of ours (see [`Tmux::finish`]).
///
/// A command's timeout is meant to find a *hung* tmux. A busy one is not
/// hung: with 100 phones on one session, tmux takes 60–150 ms of its single
/// thread for each new window (it relinks every window into every session
/// of the group), and on a loaded 2-core machine a command can wait in
/// tmux's queue longer than one timeout while the commands ahead of it
/// are answered one by one. Killing it then reported "tmux did not answer
/// in time" to a phone whose window tmux went on to open (issue 15,
/// point 2). So a command that has waited one timeout waits another while
/// some other command was answered during the last one, up to this many
/// timeouts; with no answer to anything for a whole timeout, tmux is taken
/// for hung as before.
const BUSY_TIMEOUTS: u32 = 12;

/// The commands this handle (and its clones) runs, as the
/// [`crate::StateWatcher`] needs to know them to start its control client
/// at a quiet moment (see *Starting* on [`crate::StateWatcher`]).
#[derive(Debug, Default)]
struct Activity {
    /// Commands running now.
    running: AtomicUsize,
    /// When the last command ended.
    last_end: Mutex<Option<Instant>>,
    /// When tmux last answered a command (its process exited by itself,
    /// with success or an error): the sign that tmux is busy, not hung.
    last_answer: Mutex<Option<Instant>>,
    /// Held shared by every command while it runs, and exclusively while
    /// the watcher's control client is identifying itself, so that none of
    /// our own commands makes tmux notify in that moment.
    gate: tokio::sync::RwLock<()>,
}

/// Marks one command as running until dropped.
struct Running<'a>(&'a Activity);

impl<'a> Running<'a> {
    fn start(activity: &'a Activity) -> Self {
        activity.running.fetch_add(1, Ordering::SeqCst);
        Running(activity)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut last_end) = self.0.last_end.lock() {
            *last_end = Some(Instant::now());
        }
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl std::fmt::Debug for Tmux {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tmux")
            .field("binary", &self.inner.binary)
            .field("socket", &self.inner.socket)
            .field("timeout", &self.inner.timeout)
            .field("tmpdir", &self.inner.tmpdir)
            .finish()
    }
}

/// What a finished tmux process printed.
pub(crate) struct Output {
    pub(crate) stdout: Vec<u8>,
}

impl Tmux {
    /// A handle for the given binary and socket. Nothing runs yet.
    pub fn new(options: TmuxOptions) -> Self {
        Tmux {
            inner: Arc::new(Inner {
                binary: options.binary,
                socket: options.socket,
                timeout: options.timeout,
                tmpdir: None,
                activity: Arc::default(),
                slots: Arc::new(tokio::sync::Semaphore::new(COMMANDS_AT_ONCE)),
                control: Mutex::new(None),
            }),
        }
    }

    /// Sets `TMUX_TMPDIR` (the directory tmux keeps named sockets in) for
    /// every tmux process this handle starts, instead of inheriting it.
    /// Tests use it to get a private socket directory.
    pub fn with_tmux_tmpdir(self, dir: impl Into<PathBuf>) -> Self {
        Tmux {
            inner: Arc::new(Inner {
                binary: self.inner.binary.clone(),
                socket: self.inner.socket.clone(),
                timeout: self.inner.timeout,
                tmpdir: Some(dir.into()),
                activity: Arc::clone(&self.inner.activity),
                slots: Arc::clone(&self.inner.slots),
                // Another server, maybe: no connection of the old one.
                control: Mutex::new(None),
            }),
        }
    }

    /// The tmux binary.
    pub fn binary(&self) -> &Path {
        &self.inner.binary
    }

    /// The socket choice.
    pub fn socket(&self) -> &Socket {
        &self.inner.socket
    }

    /// The per-command timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The `TMUX_TMPDIR` set by [`Tmux::with_tmux_tmpdir`], if any.
    pub fn tmux_tmpdir(&self) -> Option<&Path> {
        self.inner.tmpdir.as_deref()
    }

    /// The socket flags: `[]`, `["-L", name]` or `["-S", path]`.
    pub fn base_args(&self) -> Vec<OsString> {
        match &self.inner.socket {
            Socket::Default => Vec::new(),
            Socket::Name(name) => vec!["-L".into(), name.into()],
            Socket::Path(path) => vec!["-S".into(), path.into()],
        }
    }

    /// The environment changes every tmux process needs: variables to remove
    /// and to set. Callers that start tmux themselves (the PTY running
    /// `tmux attach`) should apply them too.
    pub fn env_changes(&self) -> (Vec<OsString>, Vec<(OsString, OsString)>) {
        // `TMUX_MOBILE_PASSWORD` (the app's way to take a password without
        // `ps` showing it) must not reach a tmux server we start: it would
        // copy it into the environment of every shell in every pane.
        let remove = vec![
            OsString::from("TMUX"),
            OsString::from("TMUX_PANE"),
            OsString::from("TMUX_MOBILE_PASSWORD"),
        ];
        let set = self
            .inner
            .tmpdir
            .iter()
            .map(|dir| (OsString::from("TMUX_TMPDIR"), dir.clone().into_os_string()))
            .collect();
        (remove, set)
    }

    /// The path of the server socket, computed the way tmux 3.x does:
    /// `$TMUX_TMPDIR` (or `/tmp`) + `/tmux-<uid>/<name>` for a named or the
    /// default socket. The watcher uses it to notice a server starting
    /// without running any process.
    pub fn socket_path(&self) -> PathBuf {
        let name = match &self.inner.socket {
            Socket::Path(path) => return path.clone(),
            Socket::Default => "default",
            Socket::Name(name) => name.as_str(),
        };
        let dir = self
            .inner
            .tmpdir
            .clone()
            .or_else(|| {
                std::env::var_os("TMUX_TMPDIR")
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        dir.join(format!("tmux-{}", nix::unistd::getuid()))
            .join(name)
    }

    /// A `Command` for tmux with the global flags, socket and environment
    /// set, but no I/O configuration.
    pub(crate) fn command(&self, global: &[&str]) -> Command {
        let mut cmd = Command::new(&self.inner.binary);
        cmd.arg("-u").args(global).args(self.base_args());
        let (remove, set) = self.env_changes();
        for var in remove {
            cmd.env_remove(var);
        }
        for (key, value) in set {
            cmd.env(key, value);
        }
        cmd
    }

    /// Runs `tmux -u [socket] <command> <args…>` and returns its stdout.
    ///
    /// `target` names the object addressed, for [`TmuxError::NotFound`].
    pub(crate) async fn run<I, S>(
        &self,
        command: &'static str,
        args: I,
        target: Option<&str>,
    ) -> Result<Output, TmuxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_with(&[], command, args, target).await
    }

    /// [`Tmux::run`] with extra global flags (like `-N`, "do not start a
    /// server").
    pub(crate) async fn run_with<I, S>(
        &self,
        global: &[&str],
        command: &'static str,
        args: I,
        target: Option<&str>,
    ) -> Result<Output, TmuxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        if global.is_empty() {
            let mut argv = vec![OsString::from(command)];
            argv.extend(args.iter().cloned());
            if let Some(answer) = self.run_controlled(&argv, command, target).await {
                return answer;
            }
        }
        let mut cmd = self.command(global);
        cmd.arg(command);
        let _slot = self.slot().await;
        let _gate = self.inner.activity.gate.read().await;
        let _running = Running::start(&self.inner.activity);
        self.finish(cmd, command, args, target).await
    }

    /// Makes commands go through `connection` (`Some`) or processes again
    /// (`None`): called by the state watcher as its control client comes
    /// and goes.
    pub(crate) fn set_control(&self, connection: Option<mpsc::UnboundedSender<ControlCommand>>) {
        if let Ok(mut control) = self.inner.control.lock() {
            *control = connection;
        }
    }

    /// Runs `argv` through the control-mode connection, when there is one
    /// and the command may go there. `None`: run it as a process instead
    /// (no connection, or it closed before answering a command that is
    /// safe to run again).
    async fn run_controlled(
        &self,
        argv: &[OsString],
        label: &'static str,
        target: Option<&str>,
    ) -> Option<Result<Output, TmuxError>> {
        let connection = self.inner.control.lock().ok()?.clone()?;
        let line = CommandLine::from_argv(argv)?;
        if line
            .commands
            .iter()
            .any(|c| !CONTROLLED.contains(&c.as_str()))
        {
            return None;
        }
        let repeatable = line
            .commands
            .iter()
            .all(|c| REPEATABLE.contains(&c.as_str()));
        let _gate = self.inner.activity.gate.read().await;
        let _running = Running::start(&self.inner.activity);
        let (reply, answer) = oneshot::channel();
        connection.send(ControlCommand { line, reply }).ok()?;
        // The watcher answers within a timeout of tmux going quiet (or
        // ends the connection); this bound is for a watcher that cannot.
        let answer = tokio::time::timeout(self.inner.timeout * BUSY_TIMEOUTS, answer)
            .await
            .map_err(|_| TmuxError::Timeout);
        let answer = match answer {
            Ok(answer) => answer,
            Err(timeout) => return Some(Err(timeout)),
        };
        let (ok, body) = match answer {
            Ok(ControlAnswer::Answered { ok, body }) => (ok, body),
            Ok(ControlAnswer::Unanswered { .. }) | Err(_) if repeatable => return None,
            Ok(ControlAnswer::Unanswered { hung: true }) => return Some(Err(TmuxError::Timeout)),
            Ok(ControlAnswer::Unanswered { hung: false }) | Err(_) => {
                return Some(Err(TmuxError::Interrupted));
            }
        };
        if let Ok(mut last_answer) = self.inner.activity.last_answer.lock() {
            *last_answer = Some(Instant::now());
        }
        Some(if ok {
            Ok(Output { stdout: body })
        } else {
            Err(TmuxError::from_stderr(
                label,
                &String::from_utf8_lossy(&body),
                target,
            ))
        })
    }

    /// [`Tmux::run`], not counted as activity by
    /// [`Tmux::last_activity`]: for the watcher's own probes while it waits
    /// for a quiet moment.
    pub(crate) async fn run_unnoticed<I, S>(
        &self,
        command: &'static str,
        args: I,
        target: Option<&str>,
    ) -> Result<Output, TmuxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(&[]);
        cmd.arg(command);
        self.finish(cmd, command, args, target).await
    }

    /// Waits until no command runs through this handle (or a clone) and
    /// keeps new ones waiting until the guard is dropped.
    pub(crate) async fn hold_commands(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.inner.activity.gate.write().await
    }

    /// When a command run through this handle (or a clone) last ended:
    /// `None` if none ever ran, now if one is running.
    pub(crate) fn last_activity(&self) -> Option<Instant> {
        let activity = &self.inner.activity;
        if activity.running.load(Ordering::SeqCst) > 0 {
            return Some(Instant::now());
        }
        activity.last_end.lock().ok().and_then(|last_end| *last_end)
    }

    /// Runs a command line that may hold several tmux commands separated by
    /// `;` argv elements; `label` names it in errors.
    pub(crate) async fn run_sequence<I, S>(
        &self,
        label: &'static str,
        args: I,
        target: Option<&str>,
    ) -> Result<Output, TmuxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        if let Some(answer) = self.run_controlled(&args, label, target).await {
            return answer;
        }
        let _slot = self.slot().await;
        let _gate = self.inner.activity.gate.read().await;
        let _running = Running::start(&self.inner.activity);
        self.finish(self.command(&[]), label, args, target).await
    }

    /// Whether tmux answered a command of this handle (or a clone) within
    /// the last `period`.
    fn answered_within(&self, period: Duration) -> bool {
        let last = self.inner.activity.last_answer.lock().ok().and_then(|l| *l);
        last.is_some_and(|at| at.elapsed() < period)
    }

    /// A place among the [`COMMANDS_AT_ONCE`] commands that may run at
    /// once; `None` never happens (the semaphore is never closed) but
    /// would let the command run anyway.
    async fn slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.inner.slots.acquire().await.ok()
    }

    async fn finish<I, S>(
        &self,
        mut cmd: Command,
        command: &'static str,
        args: I,
        target: Option<&str>,
    ) -> Result<Output, TmuxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|source| TmuxError::Spawn {
            binary: self.inner.binary.clone(),
            source,
        })?;
        let exited = child.wait_with_output();
        tokio::pin!(exited);
        let mut periods = 0;
        let exited = loop {
            match tokio::time::timeout(self.inner.timeout, &mut exited).await {
                Ok(exited) => break exited,
                Err(_) => {
                    periods += 1;
                    // Dropping the future drops the child: kill_on_drop
                    // kills it.
                    if periods >= BUSY_TIMEOUTS || !self.answered_within(self.inner.timeout) {
                        return Err(TmuxError::Timeout);
                    }
                }
            }
        };
        if exited.is_ok() {
            if let Ok(mut last_answer) = self.inner.activity.last_answer.lock() {
                *last_answer = Some(Instant::now());
            }
        }
        let output = match exited {
            Err(source) => {
                return Err(TmuxError::Spawn {
                    binary: self.inner.binary.clone(),
                    source,
                });
            }
            Ok(output) => output,
        };
        if output.status.success() {
            Ok(Output {
                stdout: output.stdout,
            })
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stderr = if stderr.trim().is_empty() {
                String::from_utf8_lossy(&output.stdout).into_owned()
            } else {
                stderr.into_owned()
            };
            Err(TmuxError::from_stderr(command, &stderr, target))
        }
    }

    /// The tmux version (`tmux -V`). Needs no server.
    pub async fn version(&self) -> Result<TmuxVersion, TmuxError> {
        let mut cmd = Command::new(&self.inner.binary);
        cmd.arg("-V")
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|source| TmuxError::Spawn {
            binary: self.inner.binary.clone(),
            source,
        })?;
        let output = tokio::time::timeout(self.inner.timeout, child.wait_with_output())
            .await
            .map_err(|_| TmuxError::Timeout)?
            .map_err(|source| TmuxError::Spawn {
                binary: self.inner.binary.clone(),
                source,
            })?;
        let text = String::from_utf8_lossy(&output.stdout);
        TmuxVersion::parse(text.trim()).ok_or_else(|| {
            TmuxError::parse("-V", format!("unrecognised version line {:?}", text.trim()))
        })
    }
}

/// A tmux version, as printed by `tmux -V` (`tmux 3.3a`, `tmux next-3.5`,
/// `tmux master`). The one parser of tmux versions in tmux-mobile: the app's
/// start-up check and [`Tmux::version`] both use it.
///
/// ```
/// use tmux_mobile_tmux_control::TmuxVersion;
/// let v = TmuxVersion::parse("tmux 3.3a").unwrap();
/// assert_eq!((v.number, v.text()), (Some((3, 3)), "3.3a"));
/// assert!(v.is_supported());
/// assert!(!TmuxVersion::parse("tmux 3.1c").unwrap().is_supported());
/// // A build from git has no number and is assumed recent.
/// assert!(TmuxVersion::parse("tmux master").unwrap().is_supported());
/// assert!(TmuxVersion::parse("screen 4.9").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TmuxVersion {
    /// The text after `tmux `, like `3.3a`, `next-3.5` or `master`.
    pub raw: String,
    /// `(major, minor)` of a numbered release (`3.3a` is `(3, 3)`, a
    /// `next-3.5` development build `(3, 5)`); `None` for a build without
    /// a number (`master`, `openbsd-7.4`), which is assumed recent.
    pub number: Option<(u32, u32)>,
}

impl TmuxVersion {
    /// The oldest tmux this crate works with (control-mode client flags
    /// `no-output,ignore-size`, `-N`, `#{n:…}`, `list-panes -f`, grouped
    /// sessions).
    pub const MINIMUM: (u32, u32) = (3, 2);
    /// [`TmuxVersion::MINIMUM`] as text, for messages.
    pub const MINIMUM_TEXT: &str = "3.2";

    /// Parses the output of `tmux -V`. `None` when the text is not tmux's
    /// answer (another program, a stray word, a malformed number).
    pub fn parse(output: &str) -> Option<TmuxVersion> {
        let raw = output.trim().strip_prefix("tmux ")?.trim();
        if raw.is_empty() || raw.contains(char::is_whitespace) {
            return None;
        }
        let numbered = raw.strip_prefix("next-").unwrap_or(raw);
        let (major, rest) = split_number(numbered);
        let number = match major {
            // `master`, `openbsd-7.4` and other unnumbered builds.
            None => None,
            Some(major) => {
                let minor = match rest.strip_prefix('.') {
                    Some(rest) => split_number(rest).0?,
                    None => 0,
                };
                Some((major, minor))
            }
        };
        Some(TmuxVersion {
            raw: raw.to_owned(),
            number,
        })
    }

    /// Whether this version has everything this crate uses:
    /// [`TmuxVersion::MINIMUM`] or newer, or a build without a number.
    pub fn is_supported(&self) -> bool {
        self.number.is_none_or(|number| number >= Self::MINIMUM)
    }

    /// The version as tmux printed it, e.g. `3.3a`.
    pub fn text(&self) -> &str {
        &self.raw
    }
}

/// Leading decimal number of `s` and the rest.
fn split_number(s: &str) -> (Option<u32>, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    (s[..end].parse().ok(), &s[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(output: &str) -> Option<Option<(u32, u32)>> {
        TmuxVersion::parse(output).map(|v| v.number)
    }

    #[test]
    fn parses_real_version_strings() {
        assert_eq!(number("tmux 3.3a\n"), Some(Some((3, 3))));
        assert_eq!(number("tmux 3.2"), Some(Some((3, 2))));
        assert_eq!(number("tmux 2.9a"), Some(Some((2, 9))));
        assert_eq!(number("tmux 3.10"), Some(Some((3, 10))));
        assert_eq!(number("tmux 3.4-rc"), Some(Some((3, 4))));
        assert_eq!(number("tmux next-3.5"), Some(Some((3, 5))));
        assert_eq!(number("tmux 4"), Some(Some((4, 0))));
        assert_eq!(number("tmux master"), Some(None));
        assert_eq!(number("tmux openbsd-7.4"), Some(None));
        assert_eq!(
            TmuxVersion::parse("tmux next-3.5").unwrap().text(),
            "next-3.5"
        );
    }

    #[test]
    fn rejects_non_tmux_output() {
        for s in [
            "",
            "tmux",
            "tmux ",
            "screen 4.9",
            "tmux 3.",
            "tmux 3.x",
            "tmux 3.3 extra",
        ] {
            assert_eq!(TmuxVersion::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn minimum_version_is_enforced() {
        let ok = |s: &str| TmuxVersion::parse(s).unwrap().is_supported();
        for supported in [
            "tmux 3.2",
            "tmux 3.2a",
            "tmux 3.3a",
            "tmux 4.0",
            "tmux next-3.5",
            "tmux master",
        ] {
            assert!(ok(supported), "{supported}");
        }
        for old in ["tmux 3.1c", "tmux 2.9", "tmux 1.8"] {
            assert!(!ok(old), "{old}");
        }
    }

    #[test]
    fn socket_arguments() {
        let t = Tmux::new(TmuxOptions::default());
        assert!(t.base_args().is_empty());
        let t = Tmux::new(TmuxOptions {
            socket: Socket::Name("x y".into()),
            ..Default::default()
        });
        assert_eq!(t.base_args(), [OsString::from("-L"), OsString::from("x y")]);
        let t = t.with_tmux_tmpdir("/tmp/private");
        assert!(
            t.socket_path()
                .to_string_lossy()
                .starts_with("/tmp/private/tmux-")
        );
        assert!(t.socket_path().ends_with("x y"));
        let t = Tmux::new(TmuxOptions {
            socket: Socket::Path("/run/s".into()),
            ..Default::default()
        });
        assert_eq!(
            t.base_args(),
            [OsString::from("-S"), OsString::from("/run/s")]
        );
        assert_eq!(t.socket_path(), PathBuf::from("/run/s"));
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;

    #[test]
    fn every_command_strips_tmux_variables_and_sets_the_private_tmpdir() {
        let tmux = Tmux::new(TmuxOptions {
            socket: Socket::Name("s".into()),
            ..Default::default()
        })
        .with_tmux_tmpdir("/tmp/private");
        let cmd = tmux.command(&["-N"]);
        let envs: Vec<_> = cmd.as_std().get_envs().collect();
        assert!(envs.contains(&(OsStr::new("TMUX"), None)));
        assert!(envs.contains(&(OsStr::new("TMUX_PANE"), None)));
        assert!(envs.contains(&(OsStr::new("TMUX_MOBILE_PASSWORD"), None)));
        assert!(envs.contains(&(OsStr::new("TMUX_TMPDIR"), Some(OsStr::new("/tmp/private")))));
        let args: Vec<_> = cmd.as_std().get_args().collect();
        assert_eq!(args, ["-u", "-N", "-L", "s"]);
    }
}

/// Commands through the state watcher's control client, against a real
/// tmux (the public side is in `tests/commands.rs`).
#[cfg(test)]
mod controlled {
    use std::time::Duration;

    use crate::sandbox::IsolatedTmux;
    use crate::{StateWatcher, WatcherOptions};

    /// `if-shell` makes tmux answer with two blocks (its own, then the
    /// command it runs): through the control client the second would
    /// answer the next caller. It runs as a process instead, and the
    /// command after it gets its own answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_command_that_queues_another_does_not_shift_the_answers() {
        let sandbox = IsolatedTmux::new().unwrap();
        sandbox.start("base").await.unwrap();
        let tmux = sandbox.tmux();
        let (watcher, _snapshots) = StateWatcher::spawn(
            tmux.clone(),
            WatcherOptions::default().with_settle(Duration::ZERO),
        );
        tmux.new_grouped_session("tmux-mobile-client-p1", "base")
            .await
            .unwrap();
        watcher.refresh().await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while tmux.inner.control.lock().unwrap().is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "the watcher never attached"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (inner, outer) = tokio::join!(
            tmux.run("if-shell", ["-F", "1", "display-message -p inner"], None),
            tmux.run("display-message", ["-p", "outer"], None),
        );
        assert_eq!(inner.unwrap().stdout, b"inner\n");
        assert_eq!(outer.unwrap().stdout, b"outer\n");
        // Both went in order; the connection is still the same one.
        assert_eq!(
            tmux.run("display-message", ["-p", "after"], None)
                .await
                .unwrap()
                .stdout,
            b"after\n"
        );
        watcher.shutdown().await;
        sandbox.kill_server().await;
    }
}
