//! Validated arguments of control commands that are not identifiers: the
//! orientation of a pane split and the number of scrollback lines to capture.
//!
//! Like the identifiers in [`crate::ids`], they can only hold values that are
//! safe to hand to tmux.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ProtocolError;

/// How `split_pane` splits a pane: the wire values `"h"` and `"v"`, which
/// mean the same as tmux's `split-window -h` and `split-window -v`.
///
/// ```
/// use tmux_mobile_protocol::Orientation;
/// let o: Orientation = "h".parse()?;
/// assert_eq!(o, Orientation::Horizontal);
/// assert_eq!(o.tmux_flag(), "-h");
/// assert!("horizontal".parse::<Orientation>().is_err());
/// # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Orientation {
    /// `"h"`: the new pane goes beside the old one (left/right), like
    /// `split-window -h`.
    #[serde(rename = "h")]
    Horizontal,
    /// `"v"`: the new pane goes below the old one (top/bottom), like
    /// `split-window -v`.
    #[serde(rename = "v")]
    Vertical,
}

impl Orientation {
    /// The wire value: `"h"` or `"v"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Orientation::Horizontal => "h",
            Orientation::Vertical => "v",
        }
    }

    /// The `split-window` flag for this orientation: `"-h"` or `"-v"`.
    pub const fn tmux_flag(self) -> &'static str {
        match self {
            Orientation::Horizontal => "-h",
            Orientation::Vertical => "-v",
        }
    }
}

impl fmt::Display for Orientation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Orientation {
    type Err = ProtocolError;
    /// Accepts exactly `"h"` or `"v"`.
    fn from_str(value: &str) -> Result<Self, ProtocolError> {
        match value {
            "h" => Ok(Orientation::Horizontal),
            "v" => Ok(Orientation::Vertical),
            _ => Err(ProtocolError::field(
                "orientation",
                "must be \"h\" or \"v\"",
            )),
        }
    }
}

impl TryFrom<&str> for Orientation {
    type Error = ProtocolError;
    fn try_from(value: &str) -> Result<Self, ProtocolError> {
        value.parse()
    }
}

/// How many lines of scrollback `capture_scrollback` asks for, clamped to
/// [`ScrollbackLines::MIN`]`..=`[`ScrollbackLines::MAX`].
///
/// Clamping (rather than refusing) matches what a person wants from "give me
/// a million lines": as many as allowed. Deserializing accepts any JSON
/// number: negative numbers become `MIN`, fractions are cut off, huge numbers
/// become `MAX`.
///
/// ```
/// use tmux_mobile_protocol::ScrollbackLines;
/// assert_eq!(ScrollbackLines::new(0).get(), 1);
/// assert_eq!(ScrollbackLines::new(1000).get(), 1000);
/// assert_eq!(ScrollbackLines::new(1_000_000).get(), 50_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScrollbackLines(u32);

impl ScrollbackLines {
    /// The fewest lines a capture asks for.
    pub const MIN: u32 = 1;
    /// The most lines a capture asks for.
    pub const MAX: u32 = 50_000;

    /// `lines`, clamped to `MIN..=MAX`.
    pub const fn new(lines: u32) -> Self {
        ScrollbackLines(if lines < Self::MIN {
            Self::MIN
        } else if lines > Self::MAX {
            Self::MAX
        } else {
            lines
        })
    }

    /// The (clamped) number of lines.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// `lines`, clamped: negative values become `MIN`.
    pub(crate) fn from_i64(lines: i64) -> Self {
        Self::new(u32::try_from(lines.max(0)).unwrap_or(u32::MAX))
    }

    /// `lines`, truncated toward zero and clamped.
    pub(crate) fn from_f64(lines: f64) -> Self {
        // `as` saturates (and maps NaN to 0), which is what clamping wants.
        Self::from_i64(lines as i64)
    }
}

impl From<u32> for ScrollbackLines {
    fn from(lines: u32) -> Self {
        ScrollbackLines::new(lines)
    }
}

impl From<ScrollbackLines> for u32 {
    fn from(lines: ScrollbackLines) -> u32 {
        lines.0
    }
}

impl fmt::Display for ScrollbackLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for ScrollbackLines {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for ScrollbackLines {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LinesVisitor;
        impl Visitor<'_> for LinesVisitor {
            type Value = ScrollbackLines;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of lines")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScrollbackLines, E> {
                Ok(ScrollbackLines::new(u32::try_from(v).unwrap_or(u32::MAX)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScrollbackLines, E> {
                Ok(ScrollbackLines::from_i64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScrollbackLines, E> {
                Ok(ScrollbackLines::from_f64(v))
            }
        }
        deserializer.deserialize_any(LinesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_is_exactly_h_or_v() {
        assert_eq!("h".parse::<Orientation>().unwrap(), Orientation::Horizontal);
        assert_eq!("v".parse::<Orientation>().unwrap(), Orientation::Vertical);
        for bad in ["", "H", "V", "x", "h ", "-h", "horizontal"] {
            let err = bad.parse::<Orientation>().unwrap_err();
            assert_eq!(err.to_string(), "orientation must be \"h\" or \"v\"");
        }
        assert_eq!(Orientation::Vertical.to_string(), "v");
        assert_eq!(Orientation::Vertical.tmux_flag(), "-v");
        assert_eq!(
            serde_json::to_string(&Orientation::Horizontal).unwrap(),
            r#""h""#
        );
        assert_eq!(
            serde_json::from_str::<Orientation>(r#""v""#).unwrap(),
            Orientation::Vertical
        );
        assert!(serde_json::from_str::<Orientation>(r#""x""#).is_err());
    }

    #[test]
    fn scrollback_lines_clamp() {
        assert_eq!(ScrollbackLines::new(0).get(), 1);
        assert_eq!(ScrollbackLines::new(1).get(), 1);
        assert_eq!(ScrollbackLines::new(50_000).get(), 50_000);
        assert_eq!(ScrollbackLines::new(50_001).get(), 50_000);
        assert_eq!(ScrollbackLines::new(u32::MAX).get(), 50_000);
        assert_eq!(ScrollbackLines::from_i64(-5).get(), 1);
        assert_eq!(ScrollbackLines::from_i64(i64::MAX).get(), 50_000);
        assert_eq!(ScrollbackLines::from_f64(12.9).get(), 12);
        assert_eq!(ScrollbackLines::from_f64(-1e300).get(), 1);
        assert_eq!(ScrollbackLines::from_f64(1e300).get(), 50_000);
        assert_eq!(ScrollbackLines::from(20).to_string(), "20");
    }

    #[test]
    fn scrollback_lines_serde_clamps_any_number() {
        let parse = |s: &str| serde_json::from_str::<ScrollbackLines>(s).unwrap().get();
        assert_eq!(parse("100"), 100);
        assert_eq!(parse("0"), 1);
        assert_eq!(parse("-3"), 1);
        assert_eq!(parse("2.5"), 2);
        assert_eq!(parse("99999999999999999999"), 50_000);
        assert!(serde_json::from_str::<ScrollbackLines>(r#""100""#).is_err());
        assert_eq!(
            serde_json::to_string(&ScrollbackLines::new(7)).unwrap(),
            "7"
        );
    }
}
