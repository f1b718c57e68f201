//! The app's one error type: every way startup or shutdown can fail, each
//! with a message that tells the person at the terminal what to do next.

use std::path::PathBuf;

/// Why `tmux-mobile` could not start (or had to stop).
///
/// Messages never contain a token or password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum AppError {
    /// A command-line flag or environment variable has a value we cannot use.
    #[error("{0}")]
    Usage(String),
    /// Both tmux socket variables are set; only one can be honoured.
    #[error(
        "TMUX_MOBILE_SOCKET_NAME and TMUX_MOBILE_SOCKET_PATH are both set; \
         unset one of them (NAME selects `tmux -L <name>`, PATH selects `tmux -S <path>`)"
    )]
    ConflictingSocketEnv,
    /// No `tmux` executable on `PATH`.
    #[error(
        "tmux was not found on PATH; tmux-mobile needs tmux {min} or newer.\n\
         Install it with `sudo apt-get install tmux` (Debian/Ubuntu), \
         `brew install tmux` (macOS), or your system's package manager."
    )]
    TmuxMissing {
        /// The oldest supported version, e.g. `3.2`.
        min: &'static str,
    },
    /// `tmux -V` could not be run or its answer was not understood.
    #[error(
        "could not determine the tmux version of {}: {reason}; tmux-mobile needs tmux 3.2 or newer \
         (`sudo apt-get install tmux`, `brew install tmux`)",
        path.display()
    )]
    TmuxVersionUnknown {
        /// The tmux binary that was asked.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The installed tmux is older than we support.
    #[error(
        "{} is tmux {found}, but tmux-mobile needs tmux {min} or newer.\n\
         Upgrade it with `sudo apt-get install tmux` (Debian/Ubuntu), \
         `brew install tmux` (macOS), or your system's package manager.",
        path.display()
    )]
    TmuxTooOld {
        /// The tmux binary that was asked.
        path: PathBuf,
        /// The version it reported.
        found: String,
        /// The oldest supported version.
        min: &'static str,
    },
    /// The listening port is taken by another program.
    #[error("port {port} is in use; pick another with --port (or --port 0 for any free port)")]
    PortInUse {
        /// The port that was asked for.
        port: u16,
    },
    /// The credentials could not be made (the system's random source failed,
    /// or the given password is unusable).
    #[error("cannot create the credentials: {0}")]
    Credentials(String),
    /// The debug log file could not be opened.
    #[error("cannot open the debug log {}: {source}", path.display())]
    DebugLog {
        /// The file that was asked for.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The QR code could not be made (the URL is too long for a QR code).
    #[cfg(feature = "qr")]
    #[error("cannot draw a QR code for the URL: {0}")]
    QrCode(String),
    /// The config file could not be read.
    #[error("cannot read the config file {}: {reason}", path.display())]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The config file has a mistake.
    #[error("config file {}, line {line}, column {column}: {message}\n{excerpt}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// 1-based line of the mistake.
        line: usize,
        /// 1-based column (characters) of the mistake.
        column: usize,
        /// What is wrong.
        message: String,
        /// The line, with a caret under the column.
        excerpt: String,
    },
    /// The tunnel was required (`--tunnel-required`) but could not be started.
    #[error("the tunnel is required (--tunnel-required) but could not be started: {0}")]
    TunnelRequired(String),
    /// Signal handlers could not be installed.
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signals(std::io::Error),
    /// The tokio runtime could not be created.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The server failed to start or failed while running.
    #[error("{0}")]
    Server(String),
}
