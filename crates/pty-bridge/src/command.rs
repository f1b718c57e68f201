//! What to run in the terminal and how big the terminal and its output
//! buffer are: plain data, validated when the terminal is spawned.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use crate::PtyError;

/// Environment variables always removed from the child's environment: a
/// `tmux attach` that inherits them refuses to nest or targets the wrong server.
pub const REMOVED_ENV: [&str; 2] = ["TMUX", "TMUX_PANE"];

/// The `TERM` value the child gets unless the command sets its own.
pub const DEFAULT_TERM: &str = "xterm-256color";

/// A program and its arguments as an argv vector (no shell involved), plus
/// environment changes and working directory.
///
/// The child inherits this process's environment, minus [`REMOVED_ENV`], with
/// `TERM` set to [`DEFAULT_TERM`]; then [`env_remove`](Self::env_remove) and
/// [`env`](Self::env) entries of the command are applied in that order (so a
/// command may set its own `TERM`).
///
/// `#[non_exhaustive]`: build one with [`PtyCommand::new`] or
/// [`PtyCommand::from_argv`] and the builder-style setters, named like
/// `std::process::Command`'s ([`arg`](Self::arg), [`args`](Self::args),
/// [`env`](Self::env), [`env_remove`](Self::env_remove), [`cwd`](Self::cwd)).
/// There is no `Default`: a command without a program cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PtyCommand {
    /// The program; looked up in `PATH` when it has no `/`.
    pub program: OsString,
    /// Arguments after the program name.
    pub args: Vec<OsString>,
    /// Variables to set in the child's environment.
    pub env: Vec<(OsString, OsString)>,
    /// Variables to remove from the child's environment.
    pub env_remove: Vec<OsString>,
    /// Working directory of the child; `None` keeps this process's.
    pub cwd: Option<PathBuf>,
}

impl PtyCommand {
    /// A command running `program` with no arguments.
    pub fn new(program: impl Into<OsString>) -> Self {
        PtyCommand {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            env_remove: Vec::new(),
            cwd: None,
        }
    }

    /// A command from a full argv vector (program first), e.g. the one
    /// `tmux-control` builds for `tmux -L <socket> attach-session -t =<name>`.
    ///
    /// Fails with [`PtyError::EmptyCommand`] when `argv` is empty.
    pub fn from_argv<I, S>(argv: I) -> Result<Self, PtyError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut argv = argv.into_iter().map(Into::into);
        let program = argv.next().ok_or(PtyError::EmptyCommand)?;
        Ok(PtyCommand::new(program).args(argv))
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Self {
        self.env_remove.push(key.into());
        self
    }

    /// Sets the child's working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The program as text for error messages.
    pub(crate) fn program_display(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    pub(crate) fn validate(&self) -> Result<(), PtyError> {
        if self.program.is_empty() {
            return Err(PtyError::EmptyCommand);
        }
        Ok(())
    }

    /// The environment changes in the order they are applied.
    pub(crate) fn env_changes(&self) -> impl Iterator<Item = (&OsStr, Option<&OsStr>)> {
        let default_removals = REMOVED_ENV.iter().map(|k| (OsStr::new(*k), None));
        let term = std::iter::once((OsStr::new("TERM"), Some(OsStr::new(DEFAULT_TERM))));
        let removals = self.env_remove.iter().map(|k| (k.as_os_str(), None));
        let sets = self
            .env
            .iter()
            .map(|(k, v)| (k.as_os_str(), Some(v.as_os_str())));
        default_removals.chain(term).chain(removals).chain(sets)
    }
}

/// A terminal size in character cells: what [`Pty::resize`](crate::Pty::resize)
/// gives the kernel.
///
/// This crate knows no wire format; a program that receives sizes from
/// the network (the tmux-mobile server, from `protocol::Resize`, whose
/// range is the same) converts them to this type at its edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowSize {
    /// Columns (width).
    pub cols: u16,
    /// Rows (height).
    pub rows: u16,
}

impl WindowSize {
    /// Smallest accepted number of columns or rows.
    pub const MIN: u16 = 2;
    /// Largest accepted number of columns or rows.
    pub const MAX: u16 = 1000;

    /// A size, validated: each dimension within [`MIN`](Self::MIN)..=[`MAX`](Self::MAX).
    pub fn new(cols: u16, rows: u16) -> Result<Self, PtyError> {
        let size = WindowSize { cols, rows };
        size.validate()?;
        Ok(size)
    }

    pub(crate) fn validate(self) -> Result<(), PtyError> {
        let ok = |v: u16| (Self::MIN..=Self::MAX).contains(&v);
        if ok(self.cols) && ok(self.rows) {
            Ok(())
        } else {
            Err(PtyError::InvalidSize {
                cols: self.cols,
                rows: self.rows,
            })
        }
    }
}

impl Default for WindowSize {
    /// 80 columns by 24 rows.
    fn default() -> Self {
        WindowSize { cols: 80, rows: 24 }
    }
}

/// How the terminal is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PtyOptions {
    /// The size the child sees from its first byte on.
    pub size: WindowSize,
    /// Upper bound on output read from the terminal but not yet taken by the
    /// consumer (counted as bytes plus a small per-chunk overhead). When it is
    /// reached the bridge stops reading, the kernel's buffer fills and the
    /// child blocks on its next write until the consumer catches up.
    pub max_buffered_bytes: usize,
}

impl PtyOptions {
    /// Sets [`size`](Self::size).
    pub fn with_size(mut self, size: WindowSize) -> Self {
        self.size = size;
        self
    }

    /// Sets [`max_buffered_bytes`](Self::max_buffered_bytes).
    pub fn with_max_buffered_bytes(mut self, max_buffered_bytes: usize) -> Self {
        self.max_buffered_bytes = max_buffered_bytes;
        self
    }

    /// Smallest accepted [`max_buffered_bytes`](Self::max_buffered_bytes).
    pub const MIN_BUFFERED_BYTES: usize = 4096;
    /// Largest accepted [`max_buffered_bytes`](Self::max_buffered_bytes) (1 GiB).
    pub const MAX_BUFFERED_BYTES: usize = 1 << 30;
    /// Default [`max_buffered_bytes`](Self::max_buffered_bytes): 256 KiB.
    pub const DEFAULT_BUFFERED_BYTES: usize = 256 * 1024;

    pub(crate) fn validate(&self) -> Result<(), PtyError> {
        self.size.validate()?;
        if !(Self::MIN_BUFFERED_BYTES..=Self::MAX_BUFFERED_BYTES).contains(&self.max_buffered_bytes)
        {
            return Err(PtyError::InvalidOption {
                option: "max_buffered_bytes",
                reason: format!(
                    "{} is out of range; use {}..={} bytes",
                    self.max_buffered_bytes,
                    Self::MIN_BUFFERED_BYTES,
                    Self::MAX_BUFFERED_BYTES
                ),
            });
        }
        Ok(())
    }
}

impl Default for PtyOptions {
    /// 80x24 and [`DEFAULT_BUFFERED_BYTES`](Self::DEFAULT_BUFFERED_BYTES).
    fn default() -> Self {
        PtyOptions {
            size: WindowSize::default(),
            max_buffered_bytes: Self::DEFAULT_BUFFERED_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_argv_splits_program_and_args() {
        let cmd = PtyCommand::from_argv(["tmux", "-L", "x", "attach-session"]).unwrap();
        assert_eq!(cmd.program, "tmux");
        assert_eq!(cmd.args, ["-L", "x", "attach-session"]);
        assert!(matches!(
            PtyCommand::from_argv(Vec::<String>::new()),
            Err(PtyError::EmptyCommand)
        ));
    }

    #[test]
    fn env_changes_apply_defaults_then_caller_removals_then_sets() {
        let cmd = PtyCommand::new("x").env("TERM", "dumb").env_remove("FOO");
        let changes: Vec<_> = cmd.env_changes().collect();
        assert_eq!(
            changes,
            [
                (OsStr::new("TMUX"), None),
                (OsStr::new("TMUX_PANE"), None),
                (OsStr::new("TERM"), Some(OsStr::new("xterm-256color"))),
                (OsStr::new("FOO"), None),
                (OsStr::new("TERM"), Some(OsStr::new("dumb"))),
            ]
        );
    }

    #[test]
    fn sizes_are_validated() {
        assert!(WindowSize::new(80, 24).is_ok());
        assert!(WindowSize::new(2, 1000).is_ok());
        assert!(matches!(
            WindowSize::new(0, 24),
            Err(PtyError::InvalidSize { cols: 0, rows: 24 })
        ));
        assert!(WindowSize::new(80, 1001).is_err());
        let msg = WindowSize::new(1, 1).unwrap_err().to_string();
        assert!(msg.contains("between 2 and 1000"), "{msg}");
    }

    #[test]
    fn buffer_bound_is_validated() {
        let mut opts = PtyOptions::default();
        assert!(opts.validate().is_ok());
        opts.max_buffered_bytes = 10;
        let err = opts.validate().unwrap_err().to_string();
        assert!(err.contains("max_buffered_bytes"), "{err}");
        assert!(PtyCommand::new("").validate().is_err());
    }
}
