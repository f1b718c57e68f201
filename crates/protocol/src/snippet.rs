//! Snippets (extension): buttons that type a text into the pane, e.g. `y`,
//! `/compact` or `git status\r`. The phone keeps its own list per device;
//! the server only offers defaults (from the config file), in the
//! `snippets` field of `auth_ok`, so every phone starts from the same set.
//!
//! The limits below bound what a server sends and what a client keeps;
//! [`Snippet::new`] checks them.
//!
//! ```
//! use tmux_mobile_protocol::Snippet;
//! let s = Snippet::new("status", "git status\r").unwrap();
//! assert_eq!(s.text, "git status\r");
//! assert!(Snippet::new("", "x").is_err());
//! ```

use serde::{Deserialize, Serialize};

/// The most snippets offered.
pub const SNIPPET_LIMIT: usize = 48;
/// The longest label, in characters.
pub const SNIPPET_LABEL_LIMIT: usize = 40;
/// The longest text, in bytes (UTF-8).
pub const SNIPPET_TEXT_LIMIT: usize = 4096;

/// One snippet: what its button says and what it types.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Snippet {
    /// What the button says (1 to [`SNIPPET_LABEL_LIMIT`] characters, no
    /// control characters).
    pub label: String,
    /// What it types, exactly (control characters such as `\r` included),
    /// 1 to [`SNIPPET_TEXT_LIMIT`] bytes.
    pub text: String,
}

impl Snippet {
    /// A snippet, or why it cannot be one (in words for a person).
    pub fn new(label: &str, text: &str) -> Result<Snippet, String> {
        let chars = label.chars().count();
        if chars == 0 || chars > SNIPPET_LABEL_LIMIT {
            return Err(format!(
                "a snippet's label must be 1 to {SNIPPET_LABEL_LIMIT} characters long, got {chars}"
            ));
        }
        if label.chars().any(char::is_control) {
            return Err("a snippet's label must not contain control characters".to_owned());
        }
        if text.is_empty() || text.len() > SNIPPET_TEXT_LIMIT {
            return Err(format!(
                "a snippet's text must be 1 to {SNIPPET_TEXT_LIMIT} bytes long, got {}",
                text.len()
            ));
        }
        Ok(Snippet {
            label: label.to_owned(),
            text: text.to_owned(),
        })
    }

    /// A label for `text` when none is given: the text without a final
    /// Enter, control characters written as `^X`, cut to
    /// [`SNIPPET_LABEL_LIMIT`] characters.
    ///
    /// ```
    /// use tmux_mobile_protocol::Snippet;
    /// assert_eq!(Snippet::label_for("git status\r"), "git status");
    /// assert_eq!(Snippet::label_for("\u{3}"), "^C");
    /// ```
    pub fn label_for(text: &str) -> String {
        let body = text.strip_suffix('\r').filter(|b| !b.is_empty());
        let mut out = String::new();
        for c in body.unwrap_or(text).chars() {
            match c {
                '\u{0}'..='\u{1f}' => {
                    out.push('^');
                    out.push(char::from(b'@' + c as u8));
                }
                c if c.is_control() => out.push('?'),
                c => out.push(c),
            }
        }
        if out.chars().count() > SNIPPET_LABEL_LIMIT {
            out = out.chars().take(SNIPPET_LABEL_LIMIT - 1).collect();
            out.push('…');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked() {
        assert!(Snippet::new(&"x".repeat(SNIPPET_LABEL_LIMIT), "y").is_ok());
        assert!(Snippet::new(&"x".repeat(SNIPPET_LABEL_LIMIT + 1), "y").is_err());
        assert!(Snippet::new("a\tb", "y").is_err());
        assert!(Snippet::new("ok", "").is_err());
        assert!(Snippet::new("ok", &"y".repeat(SNIPPET_TEXT_LIMIT + 1)).is_err());
    }

    #[test]
    fn labels_from_text_are_valid_labels() {
        for text in ["\r", "\u{1b}[A", "y\r", &"z".repeat(200), "a\u{7f}"] {
            let label = Snippet::label_for(text);
            assert!(Snippet::new(&label, text).is_ok(), "{text:?} → {label:?}");
        }
        assert_eq!(Snippet::label_for("\r"), "^M");
    }
}
