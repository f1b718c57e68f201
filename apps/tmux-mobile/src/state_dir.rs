//! Where tmux-mobile keeps what must outlive a run: the XDG state
//! directory, `$XDG_STATE_HOME/tmux-mobile/` (by default
//! `~/.local/state/tmux-mobile/`). Today that is only the Web Push VAPID
//! key (`vapid-key`, mode 0600, made the first time a browser turns
//! notifications on), so that browsers' push subscriptions survive a
//! restart; `--no-persist` keeps nothing on disk.

use std::ffi::OsString;
use std::path::PathBuf;

/// File name of the VAPID key in the state directory.
pub(crate) const VAPID_KEY_FILE: &str = "vapid-key";

/// `$XDG_STATE_HOME/tmux-mobile` (only an absolute `XDG_STATE_HOME`
/// counts, as the XDG spec says), else `$HOME/.local/state/tmux-mobile`;
/// `None` when neither is set.
pub(crate) fn state_dir(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let absolute = |key: &str| {
        env(key)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_STATE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local").join("state")))
        .map(|dir| dir.join("tmux-mobile"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn xdg_state_home_wins_over_home_and_must_be_absolute() {
        assert_eq!(
            state_dir(&with(&[("XDG_STATE_HOME", "/s"), ("HOME", "/h")])),
            Some(PathBuf::from("/s/tmux-mobile"))
        );
        assert_eq!(
            state_dir(&with(&[("XDG_STATE_HOME", "rel"), ("HOME", "/h")])),
            Some(PathBuf::from("/h/.local/state/tmux-mobile"))
        );
        assert_eq!(state_dir(&with(&[])), None);
    }
}
