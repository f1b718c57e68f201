//! Checks done before anything is started: that a `tmux` binary exists and is
//! recent enough (tmux-control's [`TmuxVersion`], the one version parser).
//! A missing or old tmux is the most likely first-run failure,
//! so it gets a precise message with install instructions instead of an
//! obscure error from deep inside the server.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tmux_mobile_tmux_control::TmuxVersion;

use crate::error::AppError;

/// The oldest supported tmux, as text for messages.
const MIN_TMUX_TEXT: &str = TmuxVersion::MINIMUM_TEXT;

/// Finds `tmux` on `path_var` (a `PATH`-style list).
pub(crate) fn find_tmux(path_var: Option<&OsStr>) -> Result<PathBuf, AppError> {
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
pub(crate) fn check_tmux(tmux: &Path) -> Result<TmuxVersion, AppError> {
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
    let version = TmuxVersion::parse(&stdout)
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
