//! The one error type of this crate, so callers can match on what went wrong
//! (bad input, spawning, I/O on the terminal, the child) without parsing text.

use std::io;

/// Everything that can go wrong while spawning or driving a child in a PTY.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PtyError {
    /// The command has no program to run.
    #[error("the command to run in the terminal is empty: give a program")]
    EmptyCommand,
    /// A window size outside the accepted range.
    #[error(
        "invalid terminal size {cols}x{rows}: columns and rows must each be between {min} and {max}",
        min = crate::WindowSize::MIN,
        max = crate::WindowSize::MAX
    )]
    InvalidSize {
        /// The rejected number of columns.
        cols: u16,
        /// The rejected number of rows.
        rows: u16,
    },
    /// An option of [`PtyOptions`](crate::PtyOptions) is out of range.
    #[error("invalid terminal option {option}: {reason}")]
    InvalidOption {
        /// Which option.
        option: &'static str,
        /// Why it was rejected and what is accepted.
        reason: String,
    },
    /// `spawn` was called outside a tokio runtime (with I/O enabled).
    #[error("the terminal needs a tokio runtime with I/O enabled; call spawn from inside one")]
    NoRuntime,
    /// The operating system refused to create a pseudo-terminal.
    #[error("could not create a pseudo-terminal ({step}): {source}")]
    Open {
        /// The step that failed, e.g. `posix_openpt`.
        step: &'static str,
        /// The underlying OS error.
        #[source]
        source: io::Error,
    },
    /// The child program could not be started.
    #[error("could not start {program:?} in the terminal: {source}")]
    Spawn {
        /// The program that was to be started.
        program: String,
        /// The underlying OS error (e.g. not found, permission denied).
        #[source]
        source: io::Error,
    },
    /// The terminal is closed: the child and everything holding the terminal exited.
    #[error("the terminal is closed: its program has exited")]
    Closed,
    /// Writing input to the terminal failed.
    #[error("could not write to the terminal: {0}")]
    Write(#[source] io::Error),
    /// Changing the terminal size failed.
    #[error("could not resize the terminal: {0}")]
    Resize(#[source] io::Error),
    /// Waiting for the child's exit failed.
    #[error("could not collect the exit status of the terminal's program: {reason}")]
    Wait {
        /// What went wrong.
        reason: String,
    },
}
