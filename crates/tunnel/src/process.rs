//! One cloudflared child process in its own process group, and the shared
//! record that lets a synchronous drop guard kill that group at any moment.
//!
//! Why a process group: cloudflared (or a wrapper script around it) may
//! have children of its own; signalling the group reaches all of them, and
//! the terminal's Ctrl-C does not reach it behind our back.
//!
//! Why a shared record: [`Tunnel`](crate::Tunnel)'s `Drop` must kill the
//! current child even though a background task owns it. Spawning, reaping
//! and killing all go through one mutex, so the guard never signals a group
//! that was already reaped, and no child is spawned after the guard ran.

use std::ffi::OsString;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::TunnelError;
use crate::output::{Tail, forward_lines};
use crate::tunnel::TunnelOptions;

/// Prefix of our own environment variables (which may carry secrets such as
/// a password); they are not passed on to cloudflared.
const OWN_ENV_PREFIX: &str = "TMUX_MOBILE_";
/// Lines buffered between the pipe readers and the supervisor.
const LINE_CHANNEL: usize = 64;

/// State shared between the supervisor task and the [`Tunnel`](crate::Tunnel)
/// handle.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Process group of the live (not yet reaped) child, if any.
    group: Option<Pid>,
    /// Set once the tunnel is being torn down: no new child may start.
    closed: bool,
    /// The most recent tunnel URL, kept while a restart is in progress.
    last_url: Option<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; the kill
        // path must keep working, so poisoning is ignored.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pid (= process group id) of the live child, if any.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.lock().group.map(|p| p.as_raw().unsigned_abs())
    }

    pub(crate) fn last_url(&self) -> Option<String> {
        self.lock().last_url.clone()
    }

    pub(crate) fn set_last_url(&self, url: &str) {
        self.lock().last_url = Some(url.to_owned());
    }

    /// Tears down synchronously: no further child starts, and the live one's
    /// whole process group gets SIGKILL. Safe to call more than once.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        if let Some(group) = state.group {
            signal_group(group, Signal::SIGKILL);
        }
    }

    /// Sends `signal` to `group` if it is still the live child's group.
    fn signal_if_live(&self, group: Pid, signal: Signal) {
        let state = self.lock();
        if state.group == Some(group) {
            signal_group(group, signal);
        }
    }

    /// Records that `group`'s leader was reaped, after killing whatever was
    /// left in the group.
    fn forget(&self, group: Pid) {
        let mut state = self.lock();
        if state.group == Some(group) {
            // Stragglers (children of the leader) would otherwise be
            // orphans. While any member lives the id cannot be reused.
            signal_group(group, Signal::SIGKILL);
            state.group = None;
        }
    }
}

fn signal_group(group: Pid, signal: Signal) {
    match killpg(group, signal) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
        Err(e) => log::warn!("could not send {signal} to cloudflared's process group {group}: {e}"),
    }
}

/// Our own variables among the environment variable names `keys`, which the
/// child does not inherit.
fn own_env_vars(keys: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    keys.into_iter()
        .filter(|key| {
            key.as_encoded_bytes()
                .starts_with(OWN_ENV_PREFIX.as_bytes())
        })
        .collect()
}

/// What happened next to a running child.
#[derive(Debug)]
pub(crate) enum Event {
    /// It printed a line (already remembered in the tail).
    Line(String),
    /// It exited; `None` if its status could not be read.
    Exited(Option<ExitStatus>),
}

/// Why no child was started.
#[derive(Debug)]
pub(crate) enum SpawnRefused {
    /// The tunnel is shutting down.
    Closed,
    /// The operating system refused.
    Failed(TunnelError),
}

/// A live cloudflared child with its output readers. Dropping it without
/// [`terminate`](Self::terminate) or a reaped exit kills its process group.
#[derive(Debug)]
pub(crate) struct RunningChild {
    child: Child,
    group: Pid,
    shared: Arc<Shared>,
    lines: mpsc::Receiver<String>,
    lines_open: bool,
    readers: Vec<JoinHandle<()>>,
    tail: Tail,
    reaped: bool,
}

impl RunningChild {
    /// Starts `cloudflared tunnel --no-autoupdate --url <local_url>` in a new
    /// process group, stdin closed, stdout and stderr piped.
    pub(crate) fn spawn(opts: &TunnelOptions, shared: Arc<Shared>) -> Result<Self, SpawnRefused> {
        let mut command = Command::new(&opts.cloudflared);
        command
            .args(opts.argv())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        for key in own_env_vars(std::env::vars_os().map(|(key, _)| key)) {
            command.env_remove(key);
        }

        let mut state = shared.lock();
        if state.closed {
            return Err(SpawnRefused::Closed);
        }
        let mut child = command.spawn().map_err(|source| {
            SpawnRefused::Failed(TunnelError::Spawn {
                program: opts.cloudflared.clone(),
                source,
            })
        })?;
        // `id()` is `None` only once reaped, and pids fit in an i32; if not,
        // dropping `child` kills it (`kill_on_drop`).
        let Some((pid, group)) = child
            .id()
            .and_then(|pid| Some((pid, Pid::from_raw(i32::try_from(pid).ok()?))))
        else {
            return Err(SpawnRefused::Failed(TunnelError::Spawn {
                program: opts.cloudflared.clone(),
                source: std::io::Error::other("the child has no usable process id"),
            }));
        };
        state.group = Some(group);
        drop(state);

        let (tx, lines) = mpsc::channel(LINE_CHANNEL);
        let mut readers = Vec::with_capacity(2);
        if let Some(out) = child.stdout.take() {
            readers.push(tokio::spawn(forward_lines(out, tx.clone())));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(tokio::spawn(forward_lines(err, tx)));
        }
        log::debug!("started cloudflared (pid {pid})");
        Ok(RunningChild {
            child,
            group,
            shared,
            lines,
            lines_open: true,
            readers,
            tail: Tail::default(),
            reaped: false,
        })
    }

    /// Waits for the next line or for the exit of the child. Cancel-safe.
    pub(crate) async fn next_event(&mut self) -> Event {
        loop {
            tokio::select! {
                line = self.lines.recv(), if self.lines_open => match line {
                    Some(line) => {
                        log::debug!("cloudflared: {line}");
                        self.tail.push(line.clone());
                        return Event::Line(line);
                    }
                    None => self.lines_open = false,
                },
                status = self.child.wait() => {
                    let status = match status {
                        Ok(status) => Some(status),
                        Err(e) => {
                            log::warn!("could not read cloudflared's exit status: {e}");
                            None
                        }
                    };
                    self.mark_reaped();
                    return Event::Exited(status);
                }
            }
        }
    }

    /// After an exit: collects the output still in the pipes, for at most
    /// `within`, so the tail holds the child's last words.
    pub(crate) async fn drain(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.lines_open {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    log::debug!("cloudflared: {line}");
                    self.tail.push(line);
                }
                Ok(None) | Err(_) => self.lines_open = false,
            }
        }
    }

    /// Stops the child: SIGTERM to its process group, SIGKILL after `grace`,
    /// and always reaps it. Returns its exit status when it could be read.
    pub(crate) async fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        if self.reaped {
            return None;
        }
        self.shared.signal_if_live(self.group, Signal::SIGTERM);
        let status = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                log::warn!(
                    "cloudflared (pid {}) ignored SIGTERM for {grace:?}; sending SIGKILL",
                    self.group
                );
                self.shared.signal_if_live(self.group, Signal::SIGKILL);
                self.child.wait().await
            }
        };
        self.mark_reaped();
        status.ok()
    }

    fn mark_reaped(&mut self) {
        self.reaped = true;
        self.shared.forget(self.group);
    }

    /// The last lines of output, for an error message.
    pub(crate) fn tail(&self) -> String {
        self.tail.render()
    }
}

impl Drop for RunningChild {
    fn drop(&mut self) {
        if !self.reaped {
            // Not awaited (start cancelled, task aborted, runtime shut down,
            // panic): kill the whole group now. Tokio reaps the leader in
            // the background (`kill_on_drop` + its orphan queue).
            self.shared.forget(self.group);
        }
        for reader in &self.readers {
            reader.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_variables_are_not_inherited() {
        let keys = [
            "PATH",
            "TMUX_MOBILE_PASSWORD",
            "HOME",
            "TMUX_MOBILE_CLOUDFLARED",
            "TMUX",
            "TUNNEL_ORIGIN_CERT",
        ]
        .map(OsString::from);
        assert_eq!(
            own_env_vars(keys),
            ["TMUX_MOBILE_PASSWORD", "TMUX_MOBILE_CLOUDFLARED"]
                .map(OsString::from)
                .to_vec()
        );
    }
}
