//! A child process (normally `tmux attach-session`) inside a pseudo-terminal,
//! driven asynchronously: output chunks with backpressure, input, resize, exit.
//!
//! [`Pty::spawn`] opens a pseudo-terminal pair (both ends close-on-exec, the
//! initial size applied before the child starts), starts the program from an
//! argv vector — no shell — as a session leader with the terminal as its
//! controlling terminal, and wraps the non-blocking master in tokio's
//! `AsyncFd`: no thread per terminal. One task reads the output into a queue
//! bounded by [`PtyOptions::max_buffered_bytes`]; when the consumer falls
//! behind it stops reading and the child blocks, so memory stays bounded
//! however fast the program prints, and output produced before anyone reads is
//! kept (within the bound) and delivered first.
//!
//! A [`Pty`] can be used whole or [split](Pty::split) into a [`PtyReader`], a
//! cloneable [`PtyWriter`] and a cloneable [`PtyControl`] (resize, wait, kill).
//! The child is ended (hangup, then kill) and reaped when [`kill`](Pty::kill)ed
//! or when every handle has been dropped.
//!
//! This is the only crate of tmux-mobile that contains `unsafe` code (terminal
//! ioctls and the child's setup between `fork` and `exec`); every block
//! carries a `// SAFETY:` comment. Linux is the supported platform.
//!
//! ```no_run
//! use tmux_mobile_pty_bridge::{Pty, PtyCommand, PtyOptions, WindowSize};
//!
//! # async fn demo() -> Result<(), tmux_mobile_pty_bridge::PtyError> {
//! let cmd = PtyCommand::from_argv(["tmux", "-L", "mine", "attach-session", "-t", "=main"])?;
//! let mut pty = Pty::spawn(cmd, PtyOptions::default())?;
//! pty.write_all(b"ls\r").await?;
//! pty.resize(WindowSize::new(120, 40)?)?;
//! while let Some(chunk) = pty.read().await {
//!     // forward `chunk` to the browser
//! #   let _ = chunk;
//! }
//! let status = pty.wait().await?;
//! # let _ = status;
//! # Ok(())
//! # }
//! ```

mod child;
mod command;
mod error;
mod input;
mod output;
mod sys;

use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::unix::AsyncFd;

pub use child::{DEFAULT_KILL_GRACE, PtyControl};
pub use command::{DEFAULT_TERM, PtyCommand, PtyOptions, REMOVED_ENV, WindowSize};
pub use error::PtyError;
pub use input::PtyWriter;
pub use output::{MAX_CHUNK_BYTES, PtyReader};

/// A program running in a pseudo-terminal: its output, its input, its size
/// and its life.
#[derive(Debug)]
pub struct Pty {
    reader: PtyReader,
    writer: PtyWriter,
    control: PtyControl,
}

impl Pty {
    /// Starts `cmd` in a new pseudo-terminal of `opts.size`.
    ///
    /// Must be called inside a tokio runtime with I/O and time enabled (tokio
    /// panics if I/O is disabled); the reading and supervising tasks run on it. Fails on invalid options, when
    /// no pseudo-terminal can be opened, or when the program cannot be started
    /// (e.g. not found).
    pub fn spawn(cmd: PtyCommand, opts: PtyOptions) -> Result<Pty, PtyError> {
        cmd.validate()?;
        opts.validate()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(PtyError::NoRuntime);
        }
        let pair = sys::open_pty(opts.size)?;
        // SAFETY: an `OwnedFd` holds a valid open descriptor, always returns
        // that same descriptor from `as_raw_fd`, and keeps it open until the
        // `AsyncFd` (its only owner) drops it.
        let registered = unsafe { AsyncFd::register(pair.master) };
        let master = Arc::new(registered.map_err(|e| PtyError::Open {
            step: "register with the tokio reactor",
            source: std::io::Error::other(e.to_string()),
        })?);
        let child = start_child(&cmd, &pair.slave)?;
        // Our copy of the slave must go: the terminal reports end of output
        // only once every slave descriptor is closed.
        drop(pair.slave);
        let pid = child.id().ok_or_else(|| PtyError::Wait {
            reason: "the child was reaped before it could be supervised".into(),
        })?;
        let (lifeline, control) = child::supervise(child, pid, Arc::clone(&master));
        let writer = PtyWriter::new(Arc::clone(&master), Arc::clone(&lifeline));
        let reader = PtyReader::start(master, opts.max_buffered_bytes, lifeline);
        Ok(Pty {
            reader,
            writer,
            control,
        })
    }

    /// The next chunk of output, or `None` once the terminal is closed and
    /// all output has been read. See [`PtyReader::read`].
    pub async fn read(&mut self) -> Option<Vec<u8>> {
        self.reader.read().await
    }

    /// Writes all of `bytes` as input. See [`PtyWriter::write_all`].
    pub async fn write_all(&self, bytes: &[u8]) -> Result<(), PtyError> {
        self.writer.write_all(bytes).await
    }

    /// Changes the terminal's size. See [`PtyControl::resize`].
    pub fn resize(&self, size: WindowSize) -> Result<(), PtyError> {
        self.control.resize(size)
    }

    /// Waits for the child to exit. See [`PtyControl::wait`].
    pub async fn wait(&mut self) -> Result<ExitStatus, PtyError> {
        self.control.wait().await
    }

    /// Ends and reaps the child. See [`PtyControl::kill`].
    pub async fn kill(self) -> Result<ExitStatus, PtyError> {
        self.control.kill().await
    }

    /// Ends and reaps the child with a chosen grace period between `SIGHUP`
    /// and `SIGKILL`. See [`PtyControl::kill_with_grace`].
    pub async fn kill_with_grace(self, grace: Duration) -> Result<ExitStatus, PtyError> {
        self.control.kill_with_grace(grace).await
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.control.pid()
    }

    /// Separates output, input and control so they can live in different
    /// tasks. The child lives until [`PtyControl::kill`] or until all three
    /// (and their clones) are dropped.
    pub fn split(self) -> (PtyReader, PtyWriter, PtyControl) {
        (self.reader, self.writer, self.control)
    }
}

/// Starts the child with the slave as stdin, stdout and stderr.
fn start_child(cmd: &PtyCommand, slave: &OwnedFd) -> Result<tokio::process::Child, PtyError> {
    let spawn_err = |source| PtyError::Spawn {
        program: cmd.program_display(),
        source,
    };
    // `try_clone` duplicates with close-on-exec; the child's 0, 1 and 2 are
    // set up by dup2 and stay open across exec.
    let stdio = || slave.try_clone().map(Stdio::from).map_err(spawn_err);
    let mut command = tokio::process::Command::new(&cmd.program);
    command
        .args(&cmd.args)
        .stdin(stdio()?)
        .stdout(stdio()?)
        .stderr(stdio()?)
        .kill_on_drop(true);
    for (key, value) in cmd.env_changes() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    if let Some(dir) = &cmd.cwd {
        command.current_dir(dir);
    }
    let slave_fd = slave.as_raw_fd();
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls without allocating (see
    // `sys::child_setup`); `slave_fd` stays open in the child because `slave`
    // outlives this spawn in the parent.
    unsafe {
        command.pre_exec(move || sys::child_setup(slave_fd));
    }
    command.spawn().map_err(spawn_err)
}

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
