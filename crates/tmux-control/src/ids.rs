//! tmux's own identifiers and arguments, validated here so that this crate
//! needs no other crate's types: a pane id (`%7`), which way a split goes,
//! and the prefix of the sessions tmux-mobile manages.
//!
//! Operations take session names and pane ids as any `AsRef<str>` and check
//! them before tmux runs (see [`crate::target`]), so a caller's own
//! validated types (for example those of a wire protocol) pass straight in.

use std::fmt;
use std::str::FromStr;

use crate::error::TmuxError;

/// Prefix of the sessions tmux-mobile creates for its clients
/// (`tmux-mobile-client-<id>`). Such sessions
/// are [`SessionSnapshot::managed`](crate::SessionSnapshot::managed) and
/// removed by [`Tmux::remove_stale_managed_sessions`](crate::Tmux::remove_stale_managed_sessions).
pub const MANAGED_SESSION_PREFIX: &str = "tmux-mobile-client-";

/// A tmux pane id: `%` and a decimal number without leading zeros, so two
/// equal panes always have equal ids.
///
/// ```
/// use tmux_mobile_tmux_control::PaneId;
/// let pane: PaneId = "%12".parse()?;
/// assert_eq!((pane.number(), pane.as_str()), (12, "%12"));
/// assert!("12".parse::<PaneId>().is_err());
/// assert!("%1; kill-server".parse::<PaneId>().is_err());
/// # Ok::<(), tmux_mobile_tmux_control::TmuxError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaneId(String);

impl PaneId {
    /// Checks `value` and makes it a pane id.
    pub fn parse(value: &str) -> Result<PaneId, TmuxError> {
        match pane_number(value) {
            Some(_) => Ok(PaneId(value.to_owned())),
            None => Err(TmuxError::invalid("pane id", value, "must look like %12")),
        }
    }

    /// The id as tmux writes it, like `%7`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number after `%`.
    pub fn number(&self) -> u32 {
        // `parse` checked that this parses.
        pane_number(&self.0).unwrap_or_default()
    }
}

fn pane_number(value: &str) -> Option<u32> {
    let digits = value.strip_prefix('%')?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical { digits.parse().ok() } else { None }
}

impl From<u32> for PaneId {
    /// The pane id `%<number>`.
    fn from(number: u32) -> Self {
        PaneId(format!("%{number}"))
    }
}

impl FromStr for PaneId {
    type Err = TmuxError;
    fn from_str(value: &str) -> Result<Self, TmuxError> {
        PaneId::parse(value)
    }
}

impl TryFrom<&str> for PaneId {
    type Error = TmuxError;
    fn try_from(value: &str) -> Result<Self, TmuxError> {
        PaneId::parse(value)
    }
}

impl AsRef<str> for PaneId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way [`Tmux::split_pane`](crate::Tmux::split_pane) splits a pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Orientation {
    /// The new pane goes beside the old one (`split-window -h`).
    Horizontal,
    /// The new pane goes below the old one (`split-window -v`).
    Vertical,
}

impl Orientation {
    /// The `split-window` flag: `-h` or `-v`.
    pub const fn tmux_flag(self) -> &'static str {
        match self {
            Orientation::Horizontal => "-h",
            Orientation::Vertical => "-v",
        }
    }
}
