//! What a [`Detection`](super::Detection) says about a pane: why it needs
//! its person ([`AttentionReason`]), the replies a prompt offers
//! ([`QuickReply`]) and the bounds of its text.
//!
//! These are this crate's own types, so that it depends on no wire format;
//! a program that sends attentions somewhere (the tmux-mobile server sends
//! them to phones) maps them to its own.

use std::fmt;

/// The longest text a detection carries (a prompt line, a notification's
/// body, a reply's label), in characters (Unicode scalar values). Longer
/// text is cut, with `…` as its last character ([`clip_text`]).
pub const TEXT_LIMIT: usize = 200;

/// The most quick replies one prompt offers.
pub const REPLY_LIMIT: usize = 12;

/// Why a pane needs its person.
///
/// Ordered from least to most urgent, so that the window of several panes
/// shows the most urgent reason (`max`). Not `#[non_exhaustive]`: a program
/// that maps reasons to its own should be told by the compiler when one is
/// added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttentionReason {
    /// Output in a watched background window (opt-in per window).
    Activity,
    /// A pane that was producing output has been silent for a while
    /// (opt-in per window): a job finished.
    Silence,
    /// A BEL.
    Bell,
    /// A program sent a desktop notification (OSC 9 or OSC 777 `notify`).
    Notify,
    /// The pane went quiet showing a confirmation prompt.
    Prompt,
}

impl AttentionReason {
    /// Every reason, least urgent first.
    pub const ALL: [AttentionReason; 5] = [
        AttentionReason::Activity,
        AttentionReason::Silence,
        AttentionReason::Bell,
        AttentionReason::Notify,
        AttentionReason::Prompt,
    ];

    /// A short lower-case name, e.g. `"bell"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttentionReason::Activity => "activity",
            AttentionReason::Silence => "silence",
            AttentionReason::Bell => "bell",
            AttentionReason::Notify => "notify",
            AttentionReason::Prompt => "prompt",
        }
    }
}

impl fmt::Display for AttentionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reply to a prompt that can be sent with one tap: `input` is typed
/// into the pane as it is (`\r` is Enter).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuickReply {
    /// What the button says, e.g. `1. Yes` or `y` (at most [`TEXT_LIMIT`]
    /// characters in a detection).
    pub label: String,
    /// The bytes to type, e.g. `1` or `y\r`.
    pub input: String,
}

impl QuickReply {
    /// A reply labelled `label` that types `input`.
    pub fn new(label: impl Into<String>, input: impl Into<String>) -> QuickReply {
        QuickReply {
            label: label.into(),
            input: input.into(),
        }
    }
}

/// `text` cut to [`TEXT_LIMIT`] characters (the last one then being `…`),
/// with control characters replaced by spaces.
///
/// ```
/// use tmux_mobile_tmux_control::attention::{TEXT_LIMIT, clip_text};
/// assert_eq!(clip_text("a\tb\u{1b}c"), "a b c");
/// assert_eq!(clip_text(&"x".repeat(500)).chars().count(), TEXT_LIMIT);
/// ```
pub fn clip_text(text: &str) -> String {
    let clean = text.chars().map(|c| if c.is_control() { ' ' } else { c });
    if text.chars().count() <= TEXT_LIMIT {
        return clean.collect();
    }
    let mut out: String = clean.take(TEXT_LIMIT - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_order_by_urgency_and_have_distinct_names() {
        assert!(AttentionReason::Prompt > AttentionReason::Notify);
        assert!(AttentionReason::Notify > AttentionReason::Bell);
        assert!(AttentionReason::Bell > AttentionReason::Silence);
        assert!(AttentionReason::Silence > AttentionReason::Activity);
        let mut names: Vec<_> = AttentionReason::ALL.iter().map(|r| r.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), AttentionReason::ALL.len());
        assert!(AttentionReason::ALL.is_sorted());
    }

    #[test]
    fn text_is_clipped_by_characters_not_bytes() {
        let long = "é".repeat(300);
        let clipped = clip_text(&long);
        assert_eq!(clipped.chars().count(), TEXT_LIMIT);
        assert!(clipped.ends_with('…'));
        let exact = "é".repeat(TEXT_LIMIT);
        assert_eq!(clip_text(&exact), exact);
    }
}
