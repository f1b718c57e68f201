//! An argv for tmux written as one line of tmux's command language, so the
//! same command can go to tmux through the state watcher's control-mode
//! connection instead of a process of its own (see *Commands* on
//! [`crate::Tmux`]).
//!
//! A `tmux` process reads its commands from argv, where an element ending
//! in `;` ends a command (and `\;` at the end is a literal `;`, see
//! [`crate::target`]). A control client reads lines, which tmux parses like
//! its configuration file: unquoted text is split at spaces, `~`, `$`, `#`,
//! `{` and `;` mean something. So every argument is written inside double
//! quotes, where only `\`, `$`, `"` and a leading `~` are special, each of
//! them escaped, and control characters (a newline would end the line) are
//! written as octal escapes (`\012`). The command separators become ` ; `.
//! The result means exactly what the argv meant; a test runs both forms on
//! a real tmux and compares.

use std::ffi::OsString;

/// One argv as a control-mode line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandLine {
    /// The line, ending in `\n`.
    pub(crate) text: String,
    /// The name of each command in it, in order: tmux answers each with a
    /// `%begin` … `%end` block, and stops at the first that fails.
    pub(crate) commands: Vec<String>,
}

impl CommandLine {
    /// Writes `argv` (a command name, its arguments, and more commands
    /// after `;` elements, as a `tmux` process would take them). `None`
    /// when an element is not UTF-8 (the line is text) or holds a NUL, or
    /// when there is no command at all.
    pub(crate) fn from_argv(argv: &[OsString]) -> Option<CommandLine> {
        let mut text = String::new();
        let mut commands = Vec::new();
        let mut at_start = true;
        for element in argv {
            let element = element.to_str()?;
            if element.contains('\0') {
                return None;
            }
            // tmux's rules for argv: a final `\;` is a literal `;`, a
            // final `;` ends the command.
            let (word, ends) = match element.strip_suffix(';') {
                Some(head) => match head.strip_suffix('\\') {
                    Some(literal) => (Some(format!("{literal};")), false),
                    None => (Some(head.to_owned()).filter(|w| !w.is_empty()), true),
                },
                None => (Some(element.to_owned()), false),
            };
            if let Some(word) = word {
                if at_start {
                    // The command name: tmux's own names are plain words.
                    let plain = word.starts_with(|c: char| c.is_ascii_lowercase())
                        && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
                    if !plain {
                        return None;
                    }
                    commands.push(word.clone());
                    text.push_str(&word);
                    at_start = false;
                } else {
                    text.push(' ');
                    quote(&word, &mut text);
                }
            }
            if ends && !at_start {
                text.push_str(" ;");
                at_start = true;
                // The next command follows after a space.
                text.push(' ');
            }
        }
        if commands.is_empty() {
            return None;
        }
        let mut text = text.trim_end_matches([' ', ';']).to_owned();
        text.push('\n');
        Some(CommandLine { text, commands })
    }
}

/// Appends `word` double-quoted for tmux's command parser.
fn quote(word: &str, out: &mut String) {
    out.push('"');
    for c in word.chars() {
        match c {
            // `~` only matters first, but an escaped one is always `~`.
            '\\' | '"' | '$' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_control() => {
                out.push_str(&format!("\\{:03o}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(argv: &[&str]) -> Option<CommandLine> {
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        CommandLine::from_argv(&argv)
    }

    #[test]
    fn arguments_are_quoted_and_special_characters_escaped() {
        let l = line(&["display-message", "-p", "a b$HOME~\"\\", "\t\n#{x}"]).unwrap();
        assert_eq!(
            l.text,
            "display-message \"-p\" \"a b\\$HOME\\~\\\"\\\\\" \"\\011\\012#{x}\"\n"
        );
        assert_eq!(l.commands, ["display-message"]);
    }

    #[test]
    fn separators_follow_tmux_argv_rules() {
        let l = line(&[
            "set-option",
            "-t",
            "=a:",
            "x",
            "1",
            ";",
            "has-session",
            "-t",
            "=b;",
        ])
        .unwrap();
        assert_eq!(
            l.text,
            "set-option \"-t\" \"=a:\" \"x\" \"1\" ; has-session \"-t\" \"=b\"\n"
        );
        assert_eq!(l.commands, ["set-option", "has-session"]);
        // An escaped final `;` is a literal one.
        let l = line(&["has-session", "-t", "=b\\;"]).unwrap();
        assert_eq!(l.text, "has-session \"-t\" \"=b;\"\n");
        assert_eq!(l.commands, ["has-session"]);
    }

    #[test]
    fn what_cannot_be_written_is_refused() {
        assert!(line(&[]).is_none());
        assert!(line(&[";"]).is_none());
        assert!(line(&["has-session", "-t", "a\0b"]).is_none());
        assert!(line(&["-u", "has-session"]).is_none());
        let not_utf8 = {
            use std::os::unix::ffi::OsStringExt;
            OsString::from_vec(vec![0xff])
        };
        assert!(CommandLine::from_argv(&[OsString::from("has-session"), not_utf8]).is_none());
    }
}
