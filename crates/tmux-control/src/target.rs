//! Exact tmux targets, and the name rules that make them exact.
//!
//! tmux resolves `-t` loosely by default: `-t a` may pick session `abc`
//! (prefix match) or a session matching the pattern `a*`. Everything this
//! crate sends is built here so that it can only mean one object:
//!
//! - a session is `=<name>` (exact match). tmux strips the `=` and then reads
//!   a name that starts with `$` as a session *id*, so such names are refused
//!   ([`TmuxError::InvalidTarget`]): `=$3` would address session `$3`, not a
//!   session called `$3`;
//! - a command whose `-t` takes a window or pane gets `=<name>:` (a session
//!   part without a window part: that session's current window), because a
//!   bare `=<name>` would be tried as a *window* name first;
//! - a window is `=<name>:@<id>`, never `=<name>:<index>`: if the index does
//!   not exist, tmux goes on to try the index as a window *name*, then as a
//!   name prefix and a pattern, so `kill-window -t =s:5` could kill a window
//!   called `5x`. Indexes are resolved to ids first (see
//!   [`crate::Tmux::kill_window`]);
//! - a pane is its validated `%<id>` only.
//!
//! tmux's argv parser treats an argument that *ends* with `;` as a command
//! separator (`kill-session -t "=a;"` would run `kill-session -t =a`), so
//! every argument built from user data goes through [`escape_argument`], which
//! turns the final `;` into `\;` (tmux turns it back).
//!
//! The resulting rules for names are documented on the crate root.

use crate::error::TmuxError;

/// Escapes an argv element for tmux's argument parser: a final `;` becomes
/// `\;`, which tmux reads as a literal `;` instead of a command separator.
/// Any other string is passed through unchanged.
pub(crate) fn escape_argument(value: &str) -> String {
    match value.strip_suffix(';') {
        Some(head) => format!("{head}\\;"),
        None => value.to_owned(),
    }
}

/// Escapes a string that tmux expands as a format (`new-session -s`): every
/// `#` becomes `##`.
pub(crate) fn escape_format(value: &str) -> String {
    value.replace('#', "##")
}

/// Checks that an existing session called `name` can be addressed exactly.
pub(crate) fn check_session_name(name: &str) -> Result<(), TmuxError> {
    let refuse = |reason: &str| Err(TmuxError::invalid("session name", name, reason));
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.starts_with('$') {
        return refuse(
            "tmux reads a target starting with '$' as a session id, so it cannot address this name exactly",
        );
    }
    if name.contains([':', '.']) {
        return refuse(
            "tmux replaces ':' and '.' in session names with '_', and reads them as separators in targets",
        );
    }
    if name.chars().any(char::is_control) {
        return refuse("it contains control characters (tmux stores them escaped)");
    }
    Ok(())
}

/// Checks that tmux would store a new session called `name` exactly as
/// given (see the module documentation for the rules).
pub(crate) fn check_new_session_name(name: &str) -> Result<(), TmuxError> {
    check_session_name(name)?;
    if name.contains('\\') {
        return Err(TmuxError::invalid(
            "session name",
            name,
            "tmux would store '\\' doubled ('\\\\')",
        ));
    }
    let bytes = name.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'$' {
            if let Some(next) = bytes.get(i + 1) {
                if next.is_ascii_alphabetic() || *next == b'_' || *next == b'{' {
                    return Err(TmuxError::invalid(
                        "session name",
                        name,
                        "tmux would store '$' followed by a letter, '_' or '{' as '\\$'",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `=<name>`: the exact target of a session, for commands whose `-t` takes a
/// session.
pub(crate) fn session_target(name: &str) -> Result<String, TmuxError> {
    check_session_name(name)?;
    Ok(escape_argument(&format!("={name}")))
}

/// `=<name>:`: the session's current window, for commands whose `-t` takes a
/// window or a pane.
pub(crate) fn session_scope(name: &str) -> Result<String, TmuxError> {
    check_session_name(name)?;
    Ok(format!("={name}:"))
}

/// `=<name>:@<id>`: window `window_id` as linked into session `name`.
pub(crate) fn window_target(name: &str, window_id: &str) -> Result<String, TmuxError> {
    check_window_id(window_id)?;
    Ok(format!("{}{window_id}", session_scope(name)?))
}

/// Checks that `id` looks like a tmux window id (`@<digits>`).
pub(crate) fn check_window_id(id: &str) -> Result<(), TmuxError> {
    match id.strip_prefix('@') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(TmuxError::invalid("window id", id, "must look like @12")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_semicolon_is_escaped_and_only_that() {
        assert_eq!(escape_argument("a;"), "a\\;");
        assert_eq!(escape_argument(";"), "\\;");
        assert_eq!(escape_argument("a;b"), "a;b");
        assert_eq!(escape_argument("a\\;"), "a\\\\;");
        assert_eq!(escape_argument("plain"), "plain");
    }

    #[test]
    fn sessions_are_exact_targets() {
        assert_eq!(session_target("a").unwrap(), "=a");
        assert_eq!(session_target("-dash").unwrap(), "=-dash");
        assert_eq!(session_target("semi;").unwrap(), "=semi\\;");
        assert_eq!(session_scope("semi;").unwrap(), "=semi;:");
        assert_eq!(window_target("a b", "@3").unwrap(), "=a b:@3");
        assert!(window_target("a", "3").is_err());
        assert!(window_target("a", "@").is_err());
    }

    #[test]
    fn unaddressable_names_are_refused() {
        for name in ["", "$3", "$(id)", "a:b", "a.b", "tab\there", "nl\nx"] {
            assert!(
                matches!(session_target(name), Err(TmuxError::InvalidTarget { .. })),
                "{name:?}"
            );
        }
    }

    #[test]
    fn names_tmux_would_rewrite_are_refused() {
        for name in ["a\\b", "a$b", "a$_b", "a${b}", "x\"$y"] {
            assert!(check_new_session_name(name).is_err(), "{name:?}");
        }
        for name in [
            "a$", "a$(id)", "a $ b", "$", "a$1", "q'\"", "#S", "é日本", "a;b;",
        ] {
            let expected_ok = !name.starts_with('$');
            assert_eq!(
                check_new_session_name(name).is_ok(),
                expected_ok,
                "{name:?}"
            );
        }
    }

    /// tmux 3.3a's rule for one argv element (cmd_parse_from_arguments):
    /// `None` when it is read as a command separator, else the literal.
    fn tmux_reads(argument: &str) -> Option<String> {
        match argument.strip_suffix(';') {
            None => Some(argument.to_owned()),
            Some(head) => head.strip_suffix('\\').map(|h| format!("{h};")),
        }
    }

    proptest::proptest! {
        #[test]
        fn escaped_arguments_round_trip_through_tmux_rule(value in "\\PC*") {
            proptest::prop_assert_eq!(tmux_reads(&escape_argument(&value)), Some(value));
        }
    }

    #[test]
    fn tmux_rule_model_matches_observed_behaviour() {
        // Observed with tmux 3.3a: `-s "a;"` ends the command, `-s "a\;"`
        // creates `a;`.
        assert_eq!(tmux_reads("a;"), None);
        assert_eq!(tmux_reads("a\\;").as_deref(), Some("a;"));
    }

    #[test]
    fn formats_are_escaped() {
        assert_eq!(escape_format("#S-#{x}"), "##S-##{x}");
    }
}
