//! Checks done before anything is started: that a `tmux` binary exists and is
//! recent enough. A missing or old tmux is the most likely first-run failure,
//! so it gets a precise message with install instructions instead of an
//! obscure error from deep inside the server.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::AppError;

/// The oldest tmux that works (grouped sessions, `-f` client flags, formats).
pub const MIN_TMUX: (u32, u32) = (3, 2);
const MIN_TMUX_TEXT: &str = "3.2";

/// What `tmux -V` said, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TmuxVersion {
    /// A numbered release such as `3.3a` (`major`, `minor`) or a `next-3.5`
    /// development build.
    Release {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
        /// The version text as printed, e.g. `3.3a`.
        text: String,
    },
    /// A build without a number (`master`, `openbsd-7.4`): assumed recent.
    Unnumbered(String),
}

impl TmuxVersion {
    /// Whether tmux-mobile can use this version.
    pub fn is_supported(&self) -> bool {
        match self {
            Self::Release { major, minor, .. } => (*major, *minor) >= MIN_TMUX,
            Self::Unnumbered(_) => true,
        }
    }

    /// The version as tmux printed it.
    pub fn text(&self) -> &str {
        match self {
            Self::Release { text, .. } | Self::Unnumbered(text) => text,
        }
    }
}

/// Parses the output of `tmux -V`, e.g. `tmux 3.3a`, `tmux next-3.5`,
/// `tmux master`. Returns `None` when the text is not tmux's answer.
pub fn parse_tmux_version(output: &str) -> Option<TmuxVersion> {
    let text = output.trim().strip_prefix("tmux ")?.trim();
    if text.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    let numbered = text.strip_prefix("next-").unwrap_or(text);
    let (major, rest) = split_number(numbered);
    let Some(major) = major else {
        // `master`, `openbsd-7.4` and other unnumbered builds.
        return Some(TmuxVersion::Unnumbered(text.to_owned()));
    };
    let minor = match rest.strip_prefix('.') {
        Some(rest) => split_number(rest).0?,
        None => 0,
    };
    Some(TmuxVersion::Release {
        major,
        minor,
        text: text.to_owned(),
    })
}

/// Leading decimal number of `s` and the rest.
fn split_number(s: &str) -> (Option<u32>, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    (s[..end].parse().ok(), &s[end..])
}

/// Finds `tmux` on `path_var` (a `PATH`-style list).
pub fn find_tmux(path_var: Option<&OsStr>) -> Result<PathBuf, AppError> {
    let missing = AppError::TmuxMissing { min: MIN_TMUX_TEXT };
    let path_var = path_var.ok_or(missing)?;
    std::env::split_paths(path_var)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join("tmux"))
        .find(|candidate| is_executable(candidate))
        .ok_or(AppError::TmuxMissing { min: MIN_TMUX_TEXT })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs `<tmux> -V` and checks the version is supported.
pub fn check_tmux(tmux: &Path) -> Result<TmuxVersion, AppError> {
    let unknown = |reason: String| AppError::TmuxVersionUnknown {
        path: tmux.to_owned(),
        reason,
    };
    let out = Command::new(tmux)
        .arg("-V")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| unknown(format!("cannot run it ({e})")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(unknown(format!("`tmux -V` failed ({})", out.status)));
    }
    let version = parse_tmux_version(&stdout)
        .ok_or_else(|| unknown(format!("unexpected `tmux -V` output {:?}", stdout.trim())))?;
    if !version.is_supported() {
        return Err(AppError::TmuxTooOld {
            path: tmux.to_owned(),
            found: version.text().to_owned(),
            min: MIN_TMUX_TEXT,
        });
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(major: u32, minor: u32, text: &str) -> Option<TmuxVersion> {
        Some(TmuxVersion::Release {
            major,
            minor,
            text: text.into(),
        })
    }

    #[test]
    fn parses_real_version_strings() {
        assert_eq!(parse_tmux_version("tmux 3.3a\n"), release(3, 3, "3.3a"));
        assert_eq!(parse_tmux_version("tmux 3.2"), release(3, 2, "3.2"));
        assert_eq!(parse_tmux_version("tmux 2.9a"), release(2, 9, "2.9a"));
        assert_eq!(parse_tmux_version("tmux 3.10"), release(3, 10, "3.10"));
        assert_eq!(parse_tmux_version("tmux 3.4-rc"), release(3, 4, "3.4-rc"));
        assert_eq!(
            parse_tmux_version("tmux next-3.5"),
            release(3, 5, "next-3.5")
        );
        assert_eq!(parse_tmux_version("tmux 4"), release(4, 0, "4"));
        assert_eq!(
            parse_tmux_version("tmux master"),
            Some(TmuxVersion::Unnumbered("master".into()))
        );
        assert_eq!(
            parse_tmux_version("tmux openbsd-7.4"),
            Some(TmuxVersion::Unnumbered("openbsd-7.4".into()))
        );
    }

    #[test]
    fn rejects_non_tmux_output() {
        for s in [
            "",
            "tmux",
            "tmux ",
            "screen 4.9",
            "tmux 3.",
            "tmux 3.x",
            "tmux 3.3 extra",
        ] {
            assert_eq!(parse_tmux_version(s), None, "{s:?}");
        }
    }

    #[test]
    fn minimum_version_is_enforced() {
        let ok = |s: &str| parse_tmux_version(s).unwrap().is_supported();
        assert!(ok("tmux 3.2"));
        assert!(ok("tmux 3.2a"));
        assert!(ok("tmux 3.3a"));
        assert!(ok("tmux 4.0"));
        assert!(ok("tmux next-3.5"));
        assert!(ok("tmux master"));
        assert!(!ok("tmux 3.1c"));
        assert!(!ok("tmux 2.9"));
        assert!(!ok("tmux 1.8"));
    }

    #[test]
    fn missing_tmux_gives_install_hint() {
        let empty = std::env::temp_dir().join("tmux-mobile-no-such-dir-for-tmux");
        let err = find_tmux(Some(empty.as_os_str())).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("apt-get install tmux"), "{msg}");
        assert!(msg.contains("brew install tmux"), "{msg}");
        assert!(find_tmux(None).is_err());
    }

    #[test]
    fn real_tmux_is_found_and_supported() {
        // The development machine and CI install tmux 3.2+ (see .ci/run).
        let tmux = find_tmux(std::env::var_os("PATH").as_deref()).expect("tmux on PATH");
        let version = check_tmux(&tmux).expect("supported tmux");
        assert!(version.is_supported());
    }

    #[test]
    fn old_tmux_message_names_the_version() {
        let err = AppError::TmuxTooOld {
            path: "/usr/bin/tmux".into(),
            found: "2.9".into(),
            min: MIN_TMUX_TEXT,
        };
        let msg = err.to_string();
        assert!(msg.contains("2.9") && msg.contains("3.2") && msg.contains("apt-get install tmux"));
    }
}
