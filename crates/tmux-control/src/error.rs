//! The one error type of this crate.
//!
//! tmux reports failures as a line of text on stderr. Callers should not have
//! to grep that text, so the runner turns the messages that matter into
//! variants ("no server running" is [`TmuxError::NoServer`], "can't find
//! session" is [`TmuxError::NotFound`], …) and keeps tmux's own words in the
//! rest ([`TmuxError::Failed`]). Targets that tmux could not address exactly
//! are refused before tmux runs ([`TmuxError::InvalidTarget`]).

use std::path::PathBuf;

/// Everything that can go wrong when talking to tmux.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TmuxError {
    /// No tmux server is running on the configured socket. Read-only
    /// operations ([`crate::Tmux::snapshot`], [`crate::Tmux::list_sessions`],
    /// [`crate::Tmux::has_session`]) treat this as "nothing there" instead.
    #[error("no tmux server is running on this socket (start one, or create a session first)")]
    NoServer,

    /// The session, window or pane named does not exist (any more).
    #[error("tmux {kind} not found: {target}")]
    NotFound {
        /// What was looked up: `"session"`, `"window"` or `"pane"`.
        kind: &'static str,
        /// The name or id that was looked up, as the caller gave it.
        target: String,
    },

    /// A name or target that tmux could not take exactly; refused before
    /// tmux ran.
    #[error("{target:?} cannot be used as a tmux {kind}: {reason}")]
    InvalidTarget {
        /// What the string was meant to be: `"session name"`, `"socket name"`, …
        kind: &'static str,
        /// The string that was refused.
        target: String,
        /// Why, in words a person can act on.
        reason: String,
    },

    /// A session with this name already exists.
    #[error("a tmux session named {name:?} already exists")]
    DuplicateSession {
        /// The name that is taken.
        name: String,
    },

    /// tmux did not answer within the configured timeout; the process was
    /// killed.
    #[error("tmux did not answer in time and was stopped (is the tmux server hung?)")]
    Timeout,

    /// The control-mode connection a command went through closed before
    /// tmux answered it (the phone's session it rode on was removed, or
    /// tmux restarted it): the command may or may not have run. Commands
    /// that are safe to run twice are retried with a process instead and
    /// never give this.
    #[error(
        "the connection to tmux closed before tmux answered; the command may or may not have run (look, then try again)"
    )]
    Interrupted,

    /// The tmux binary could not be started.
    #[error("could not run tmux at {binary:?}: {source} (is tmux installed and on PATH?)")]
    Spawn {
        /// The binary that was tried.
        binary: PathBuf,
        /// Why starting it failed.
        #[source]
        source: std::io::Error,
    },

    /// The tmux binary speaks another client/server protocol than the
    /// running tmux server: tmux was upgraded (or replaced) while its
    /// server kept running. Nothing works until the old server is gone or
    /// the old binary is used again.
    #[error(
        "the tmux binary and the running tmux server are different versions ({detail}): \
         tmux was probably upgraded while its server kept running. Restart the tmux server \
         (save your work, then `tmux kill-server`) or put the old tmux back on PATH, then \
         restart tmux-mobile"
    )]
    VersionMismatch {
        /// tmux's own words, like `client 9, server 8`.
        detail: String,
    },

    /// tmux ran and reported an error that has no variant of its own.
    #[error("tmux {command} failed: {stderr}")]
    Failed {
        /// The tmux command that failed, like `"split-window"`.
        command: &'static str,
        /// tmux's own message (trimmed).
        stderr: String,
    },

    /// tmux answered with output this crate could not understand.
    #[error("unexpected output from tmux {command}: {reason}")]
    Parse {
        /// The tmux command whose output was unexpected.
        command: &'static str,
        /// What was wrong with it.
        reason: String,
    },
}

impl TmuxError {
    /// Builds [`TmuxError::InvalidTarget`].
    pub(crate) fn invalid(kind: &'static str, target: &str, reason: impl Into<String>) -> Self {
        TmuxError::InvalidTarget {
            kind,
            target: target.to_owned(),
            reason: reason.into(),
        }
    }

    /// Builds [`TmuxError::Parse`].
    pub(crate) fn parse(command: &'static str, reason: impl Into<String>) -> Self {
        TmuxError::Parse {
            command,
            reason: reason.into(),
        }
    }

    /// Classifies tmux's stderr for a failed `command`. `target` is the
    /// caller's name for the object the command addressed (used in
    /// [`TmuxError::NotFound`]).
    pub(crate) fn from_stderr(command: &'static str, stderr: &str, target: Option<&str>) -> Self {
        let message = stderr.trim();
        let first = message.lines().next().unwrap_or("");
        if is_no_server_message(first) {
            return TmuxError::NoServer;
        }
        if let Some(rest) = first.strip_prefix("protocol version mismatch") {
            let detail = rest.trim().trim_start_matches('(').trim_end_matches(')');
            return TmuxError::VersionMismatch {
                detail: detail.to_owned(),
            };
        }
        for (prefix, kind) in [
            ("can't find session", "session"),
            ("session not found", "session"),
            ("no such session", "session"),
            ("can't find window", "window"),
            ("window not found", "window"),
            ("can't find pane", "pane"),
        ] {
            if first.starts_with(prefix) {
                let fallback = first
                    .split_once(':')
                    .map(|(_, rest)| rest.trim().to_owned())
                    .unwrap_or_default();
                return TmuxError::NotFound {
                    kind,
                    target: target.map(str::to_owned).unwrap_or(fallback),
                };
            }
        }
        // tmux's answer when the server has no session at all (it is
        // exiting, or runs with `exit-empty off`): whatever was addressed
        // does not exist.
        if first == "no current target" {
            if let Some(target) = target {
                return TmuxError::NotFound {
                    kind: "session",
                    target: target.to_owned(),
                };
            }
        }
        if let Some(name) = first.strip_prefix("duplicate session: ") {
            return TmuxError::DuplicateSession {
                name: target.map(str::to_owned).unwrap_or_else(|| name.to_owned()),
            };
        }
        TmuxError::Failed {
            command,
            stderr: message.to_owned(),
        }
    }
}

/// Whether a line of tmux's stderr says that no server is listening.
///
/// tmux 3.x prints `no server running on <path>` when the socket exists but
/// nobody listens, and `error connecting to <path> (<reason>)` when the
/// socket (or its directory) is missing. A server that exits while a command
/// runs gives `server exited unexpectedly`.
pub(crate) fn is_no_server_message(line: &str) -> bool {
    line.starts_with("no server running on ")
        || line.starts_with("error connecting to ")
        || line.starts_with("server exited unexpectedly")
        || line.starts_with("lost server")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_no_server_messages() {
        for line in [
            "no server running on /tmp/tmux-0/x\n",
            "error connecting to /nonexistent/dir/sock (No such file or directory)\n",
            "error connecting to /tmp/tmux-0/x (Connection refused)",
        ] {
            assert!(
                matches!(
                    TmuxError::from_stderr("list-panes", line, None),
                    TmuxError::NoServer
                ),
                "{line}"
            );
        }
    }

    #[test]
    fn classifies_missing_objects_and_duplicates() {
        let err = TmuxError::from_stderr("kill-session", "can't find session: a b\n", Some("a b"));
        assert!(
            matches!(err, TmuxError::NotFound { kind: "session", ref target } if target == "a b")
        );
        let err = TmuxError::from_stderr("kill-pane", "can't find pane: %99\n", None);
        assert!(matches!(err, TmuxError::NotFound { kind: "pane", ref target } if target == "%99"));
        let err = TmuxError::from_stderr("new-session", "duplicate session: x\n", Some("x"));
        assert!(matches!(err, TmuxError::DuplicateSession { ref name } if name == "x"));
    }

    #[test]
    fn classifies_a_protocol_version_mismatch() {
        let err = TmuxError::from_stderr(
            "list-panes",
            "protocol version mismatch (client 8, server 7)\n",
            None,
        );
        assert!(
            matches!(err, TmuxError::VersionMismatch { ref detail } if detail == "client 8, server 7"),
            "{err:?}"
        );
        let shown = err.to_string();
        assert!(
            shown.contains("upgraded") && shown.contains("restart"),
            "{shown}"
        );
    }

    #[test]
    fn keeps_other_messages_verbatim() {
        let err = TmuxError::from_stderr("split-window", "no space for new pane\n", None);
        match err {
            TmuxError::Failed { command, stderr } => {
                assert_eq!(command, "split-window");
                assert_eq!(stderr, "no space for new pane");
            }
            other => panic!("unexpected {other:?}"),
        }
        let shown =
            TmuxError::from_stderr("split-window", "no space for new pane", None).to_string();
        assert!(shown.contains("no space for new pane"), "{shown}");
    }
}
