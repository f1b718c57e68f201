//! The child process: a supervising task owns it, collects its exit status
//! and is the only one that signals it (so a signal can never hit a recycled
//! process id), and ends it — hangup first, kill after a grace period — when
//! asked or when every handle of the terminal has been dropped.

use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::unix::AsyncFd;
use tokio::process::Child;
use tokio::sync::{mpsc, watch};

use crate::{PtyError, WindowSize, sys};

/// How long [`PtyControl::kill`] waits after `SIGHUP` before `SIGKILL`.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(1);

/// The child's fate as published by the supervisor: `None` while it runs.
type ExitSlot = Option<Result<ExitStatus, String>>;

/// Kept alive by every handle of a terminal; when the last one is dropped
/// the supervisor's request channel closes and it ends the child.
#[derive(Debug)]
pub(crate) struct Lifeline {
    /// Requests to end the child, carrying the grace period.
    end_requests: mpsc::Sender<Duration>,
}

#[cfg(test)]
impl Lifeline {
    /// A lifeline attached to no child, for unit tests of the halves.
    pub(crate) fn detached() -> Arc<Self> {
        Arc::new(Lifeline {
            end_requests: mpsc::channel(1).0,
        })
    }
}

/// Control of a terminal's size and its child process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PtyControl {
    master: Arc<AsyncFd<OwnedFd>>,
    lifeline: Arc<Lifeline>,
    exit: watch::Receiver<ExitSlot>,
    pid: u32,
}

/// Starts supervising `child` and returns the shared lifeline and a control
/// handle.
pub(crate) fn supervise(
    child: Child,
    pid: u32,
    master: Arc<AsyncFd<OwnedFd>>,
) -> (Arc<Lifeline>, PtyControl) {
    let (end_tx, end_rx) = mpsc::channel(1);
    let (exit_tx, exit_rx) = watch::channel(None);
    tokio::spawn(supervisor(child, pid, end_rx, exit_tx));
    let lifeline = Arc::new(Lifeline {
        end_requests: end_tx,
    });
    let control = PtyControl {
        master,
        lifeline: Arc::clone(&lifeline),
        exit: exit_rx,
        pid,
    };
    (lifeline, control)
}

async fn supervisor(
    mut child: Child,
    pid: u32,
    mut end_requests: mpsc::Receiver<Duration>,
    exit: watch::Sender<ExitSlot>,
) {
    let result = tokio::select! {
        status = child.wait() => status,
        request = end_requests.recv() => {
            // `None`: every handle is gone and nobody can use the child any
            // more; end it as politely as an explicit kill.
            let grace = request.unwrap_or(DEFAULT_KILL_GRACE);
            terminate(&mut child, pid, grace).await
        }
    };
    if let Err(e) = &result {
        log::warn!("could not collect the exit status of terminal child {pid}: {e}");
    }
    exit.send_replace(Some(result.map_err(|e| e.to_string())));
}

/// Hangs up the child's process group, waits up to `grace`, then kills the
/// group, and reaps the child.
async fn terminate(child: &mut Child, pid: u32, grace: Duration) -> std::io::Result<ExitStatus> {
    // The child is a session and process group leader (setsid) and is not
    // reaped yet, so its id still names it and its group.
    let group = Pid::from_raw(pid as i32);
    if !grace.is_zero() {
        signal_group(group, Signal::SIGHUP);
        if let Ok(status) = tokio::time::timeout(grace, child.wait()).await {
            return status;
        }
    }
    signal_group(group, Signal::SIGKILL);
    child.wait().await
}

fn signal_group(group: Pid, signal: Signal) {
    // ESRCH: the group is already gone, which is what we want.
    if let Err(e) = killpg(group, signal) {
        if e != nix::errno::Errno::ESRCH {
            log::warn!("could not send {signal} to terminal process group {group}: {e}");
        }
    }
}

impl PtyControl {
    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Changes the terminal's size; the child gets `SIGWINCH`.
    ///
    /// Fails with [`PtyError::InvalidSize`] for sizes outside
    /// [`WindowSize::MIN`]..=[`WindowSize::MAX`].
    pub fn resize(&self, size: WindowSize) -> Result<(), PtyError> {
        size.validate()?;
        sys::set_window_size(self.master.get_ref().as_fd(), size).map_err(PtyError::Resize)
    }

    /// The terminal's current size.
    pub fn size(&self) -> Result<WindowSize, PtyError> {
        sys::window_size(self.master.get_ref().as_fd()).map_err(PtyError::Resize)
    }

    /// The exit status if the child has already exited (and been reaped).
    pub fn try_wait(&self) -> Option<Result<ExitStatus, PtyError>> {
        self.exit.borrow().clone().map(to_result)
    }

    /// Waits for the child to exit and returns its status. Any number of
    /// clones may wait at the same time.
    pub async fn wait(&self) -> Result<ExitStatus, PtyError> {
        let mut exit = self.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(slot) => to_result(slot.clone().unwrap_or_else(|| Err(String::new()))),
            Err(_) => Err(PtyError::Wait {
                reason: "the tokio runtime that supervised the child has shut down".into(),
            }),
        }
    }

    /// Ends the child: `SIGHUP` to its process group (a `tmux attach` client
    /// detaches, the tmux session lives on), then `SIGKILL` after
    /// [`DEFAULT_KILL_GRACE`] if it is still running. Returns once the child
    /// has been reaped; a child that already exited just reports its status.
    pub async fn kill(&self) -> Result<ExitStatus, PtyError> {
        self.kill_with_grace(DEFAULT_KILL_GRACE).await
    }

    /// Like [`kill`](Self::kill) with a chosen grace period between `SIGHUP`
    /// and `SIGKILL`; `Duration::ZERO` sends `SIGKILL` at once.
    pub async fn kill_with_grace(&self, grace: Duration) -> Result<ExitStatus, PtyError> {
        // A full channel means an end request is already pending; a closed
        // one means the supervisor has finished. Either way: just wait.
        let _ = self.lifeline.end_requests.try_send(grace);
        self.wait().await
    }
}

fn to_result(slot: Result<ExitStatus, String>) -> Result<ExitStatus, PtyError> {
    slot.map_err(|reason| PtyError::Wait { reason })
}
