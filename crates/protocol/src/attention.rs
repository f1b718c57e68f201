//! Attention (extension): the server telling a phone that a pane needs its
//! person, and the phone saying it has seen it.
//!
//! The rules are in the [crate documentation](crate#attention-extension).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;
use crate::ids::PaneId;
use crate::redacted::Redacted;

/// The longest `text` an [`Attention`] carries, in characters (Unicode
/// scalar values). Longer text is cut, with `…` as its last character.
pub const ATTENTION_TEXT_LIMIT: usize = 200;

/// The most quick replies one [`Attention`] offers.
pub const QUICK_REPLY_LIMIT: usize = 12;

/// Why a pane needs its person.
///
/// Ordered from least to most urgent, so that the window of several panes
/// shows the most urgent reason (`max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttentionReason {
    /// Output in a watched background window (opt-in per window).
    Activity,
    /// A pane that was producing output has been silent for a while
    /// (opt-in per window): a job finished.
    Silence,
    /// A BEL in a pane the phone is not looking at.
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

    /// The wire name, e.g. `"bell"`.
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

impl FromStr for AttentionReason {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttentionReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == s)
            .ok_or_else(|| {
                ProtocolError::field(
                    "reason",
                    "must be one of bell, prompt, notify, silence, activity",
                )
            })
    }
}

/// One reply a phone can send to a prompt with one tap: `input` is typed
/// into the pane as it is (`\r` is Enter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuickReply {
    /// What the button says, e.g. `1. Yes` or `y`.
    pub label: String,
    /// The bytes to type, e.g. `1` or `y\r`.
    pub input: String,
}

/// The body of the `attention` message: which pane, why, and the prompt
/// line or notification body.
///
/// `Debug` prints the text and the replies as `***`: they are what a pane
/// showed, which may be anything.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attention {
    /// The base (user) session the pane is in.
    pub session: String,
    /// The index of the pane's window in that session.
    pub window_index: u32,
    /// The pane, like `%3`.
    pub pane_id: PaneId,
    /// Why.
    pub reason: AttentionReason,
    /// The prompt line or the notification's text (at most
    /// [`ATTENTION_TEXT_LIMIT`] characters; empty for a bell).
    pub text: String,
    /// When it happened, in milliseconds since the Unix epoch.
    pub at: u64,
    /// For a prompt: the replies the phone offers (extension of the
    /// extension; absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replies: Vec<QuickReply>,
}

impl Attention {
    /// An attention without quick replies; `text` is cut to
    /// [`ATTENTION_TEXT_LIMIT`] characters.
    pub fn new(
        session: impl Into<String>,
        window_index: u32,
        pane_id: PaneId,
        reason: AttentionReason,
        text: &str,
        at: u64,
    ) -> Self {
        Attention {
            session: session.into(),
            window_index,
            pane_id,
            reason,
            text: clip_text(text),
            at,
            replies: Vec::new(),
        }
    }
}

impl fmt::Debug for Attention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attention")
            .field("session", &self.session)
            .field("window_index", &self.window_index)
            .field("pane_id", &self.pane_id)
            .field("reason", &self.reason)
            .field("text", &Redacted::new(&self.text))
            .field("at", &self.at)
            .field("replies", &Redacted::new(&self.replies))
            .finish()
    }
}

/// `text` cut to [`ATTENTION_TEXT_LIMIT`] characters (the last one then
/// being `…`), with control characters replaced by spaces.
///
/// ```
/// use tmux_mobile_protocol::{clip_text, ATTENTION_TEXT_LIMIT};
/// assert_eq!(clip_text("a\tb\u{1b}c"), "a b c");
/// assert_eq!(clip_text(&"x".repeat(500)).chars().count(), ATTENTION_TEXT_LIMIT);
/// ```
pub fn clip_text(text: &str) -> String {
    let clean = text.chars().map(|c| if c.is_control() { ' ' } else { c });
    if text.chars().count() <= ATTENTION_TEXT_LIMIT {
        return clean.collect();
    }
    let mut out: String = clean.take(ATTENTION_TEXT_LIMIT - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_and_order_by_urgency() {
        for reason in AttentionReason::ALL {
            assert_eq!(reason.as_str().parse::<AttentionReason>().unwrap(), reason);
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{reason}\""));
        }
        assert!(AttentionReason::Prompt > AttentionReason::Bell);
        assert!(AttentionReason::Bell > AttentionReason::Activity);
        assert!("ring".parse::<AttentionReason>().is_err());
    }

    #[test]
    fn text_is_clipped_by_characters_not_bytes() {
        let long = "é".repeat(300);
        let clipped = clip_text(&long);
        assert_eq!(clipped.chars().count(), ATTENTION_TEXT_LIMIT);
        assert!(clipped.ends_with('…'));
        let exact = "é".repeat(ATTENTION_TEXT_LIMIT);
        assert_eq!(clip_text(&exact), exact);
    }
}
