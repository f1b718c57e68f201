//! The one error type of this crate: what can stop a server from starting or
//! running. Problems of a single client never surface here; they are sent to
//! that client as `error` messages.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the server could not start or keep running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listening socket could not be opened.
    #[error(
        "cannot listen on {addr}: {source}; is another program (or another tmux-mobile) \
         using this port? Choose another port or stop that program"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The address of the listening socket could not be read.
    #[error("cannot read the listening address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// A UI directory given to [`crate::Assets::from_dir`] could not be read.
    #[error("cannot read the UI files in {}: {source}", path.display())]
    Assets {
        /// The file or directory that could not be read.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}
