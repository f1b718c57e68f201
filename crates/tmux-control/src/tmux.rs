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
pub struct TmuxOptions {
    /// The tmux binary (looked up on `PATH` when it has no `/`).
    pub binary: PathBuf,
    /// The server socket.
    pub socket: Socket,
    /// How long one tmux command may take before it is killed.
    pub timeout: Duration,
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
/// list); each runs one or two short tmux processes.
///
/// ```no_run
/// use tmux_mobile_tmux_control::{Socket, Tmux, TmuxOptions};
/// # async fn demo() -> Result<(), tmux_mobile_tmux_control::TmuxError> {
/// let tmux = Tmux::new(TmuxOptions { socket: Socket::Name("work".into()), ..Default::default() });
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
}

/// The commands this handle (and its clones) runs, as the
/// [`crate::StateWatcher`] needs to know them to start its control client
/// at a quiet moment (see *Starting* on [`crate::StateWatcher`]).
#[derive(Debug, Default)]
struct Activity {
    /// Commands running now.
    running: AtomicUsize,
    /// When the last command ended.
    last_end: Mutex<Option<Instant>>,
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
        let mut cmd = self.command(global);
        cmd.arg(command);
        let _gate = self.inner.activity.gate.read().await;
        let _running = Running::start(&self.inner.activity);
        self.finish(cmd, command, args, target).await
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
        let _gate = self.inner.activity.gate.read().await;
        let _running = Running::start(&self.inner.activity);
        self.finish(self.command(&[]), label, args, target).await
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
        let output = match tokio::time::timeout(self.inner.timeout, child.wait_with_output()).await
        {
            // Dropping the future drops the child: kill_on_drop kills it.
            Err(_) => return Err(TmuxError::Timeout),
            Ok(Err(source)) => {
                return Err(TmuxError::Spawn {
                    binary: self.inner.binary.clone(),
                    source,
                });
            }
            Ok(Ok(output)) => output,
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

/// A tmux version, as printed by `tmux -V` (`tmux 3.3a`, `tmux next-3.5`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmuxVersion {
    /// The text after `tmux `, like `3.3a`.
    pub raw: String,
    /// The major number (3 in 3.3a).
    pub major: u32,
    /// The minor number (3 in 3.3a).
    pub minor: u32,
}

impl TmuxVersion {
    /// Parses a `tmux -V` line.
    pub fn parse(line: &str) -> Option<TmuxVersion> {
        let raw = line.strip_prefix("tmux ")?.trim();
        let numeric = raw.trim_start_matches(|c: char| !c.is_ascii_digit());
        let (major, rest) = numeric.split_once('.')?;
        let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some(TmuxVersion {
            raw: raw.to_owned(),
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }

    /// Whether this version has everything this crate uses (control-mode
    /// client flags `no-output,ignore-size`, `-N`, `#{n:…}`, `list-panes
    /// -f`): tmux 3.2 or newer.
    pub fn is_supported(&self) -> bool {
        (self.major, self.minor) >= (3, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        let v = TmuxVersion::parse("tmux 3.3a").unwrap();
        assert_eq!((v.major, v.minor, v.raw.as_str()), (3, 3, "3.3a"));
        assert!(v.is_supported());
        let v = TmuxVersion::parse("tmux next-3.5").unwrap();
        assert_eq!((v.major, v.minor), (3, 5));
        assert!(!TmuxVersion::parse("tmux 2.9").unwrap().is_supported());
        assert!(TmuxVersion::parse("screen 4.0").is_none());
        assert!(TmuxVersion::parse("tmux master").is_none());
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
