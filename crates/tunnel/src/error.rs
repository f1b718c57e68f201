//! The one error type of this crate. Every message says what went wrong and,
//! where cloudflared itself failed, carries the last lines it printed so a
//! person can see why without re-running it.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why a tunnel could not be found, started or kept up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TunnelError {
    /// No executable `cloudflared` at any of the places searched.
    ///
    /// [`missing_help`](crate::missing_help) explains how to install it.
    #[error("no executable cloudflared found (looked at: {})", display_paths(.searched))]
    NotFound {
        /// Every candidate path that was checked, in search order.
        searched: Vec<PathBuf>,
    },
    /// The operating system refused to start the executable.
    #[error("could not start {}: {source}", .program.display())]
    Spawn {
        /// The executable that was started.
        program: PathBuf,
        /// The error from `fork`/`exec`.
        #[source]
        source: io::Error,
    },
    /// cloudflared exited before it printed a tunnel URL.
    #[error("cloudflared exited ({}) before publishing a tunnel URL; its last output:\n{tail}", display_code(*.code))]
    ExitedEarly {
        /// The exit code, or `None` when a signal ended it.
        code: Option<i32>,
        /// The last lines cloudflared printed (stdout and stderr interleaved).
        tail: String,
    },
    /// cloudflared printed no tunnel URL within the start timeout.
    #[error("cloudflared printed no tunnel URL within {after:?}; its last output:\n{tail}")]
    Timeout {
        /// The start timeout that expired.
        after: Duration,
        /// The last lines cloudflared printed (stdout and stderr interleaved).
        tail: String,
    },
    /// The local URL to publish is not an `http://` or `https://` URL.
    #[error(
        "the local URL to publish must start with http:// or https:// and contain no spaces, got {url:?}"
    )]
    InvalidLocalUrl {
        /// The rejected value.
        url: String,
    },
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nowhere: no PATH and no HOME".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn display_code(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_actionable() {
        let e = TunnelError::NotFound {
            searched: vec![
                PathBuf::from("/a/cloudflared"),
                PathBuf::from("/b/cloudflared"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "no executable cloudflared found (looked at: /a/cloudflared, /b/cloudflared)"
        );
        let e = TunnelError::ExitedEarly {
            code: Some(1),
            tail: "ERR boom".to_owned(),
        };
        assert_eq!(
            e.to_string(),
            "cloudflared exited (exit code 1) before publishing a tunnel URL; its last output:\nERR boom"
        );
        let e = TunnelError::ExitedEarly {
            code: None,
            tail: String::new(),
        };
        assert!(e.to_string().contains("killed by a signal"));
        let e = TunnelError::Timeout {
            after: Duration::from_secs(30),
            tail: "INF waiting".to_owned(),
        };
        assert!(
            e.to_string()
                .starts_with("cloudflared printed no tunnel URL within 30s")
        );
    }
}
