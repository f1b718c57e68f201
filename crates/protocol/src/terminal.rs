//! The `/ws/terminal` socket: its auth frame, resize frames and everything
//! else, which is terminal input.
//!
//! This module decides what a frame from a browser's terminal socket means.
//! The rule that matters most: a text frame is a resize only if the whole
//! frame is exactly a resize object. A paste that merely contains or starts
//! with one is input, and is written to the terminal unchanged.

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;

/// A terminal size requested by the browser, in character cells; both
/// dimensions are within [`Resize::MIN`]`..=`[`Resize::MAX`] when the value
/// came from [`Resize::new`] or from a frame.
///
/// On the wire it is the text frame `{"type":"resize","cols":N,"rows":M}`.
///
/// ```
/// use tmux_mobile_protocol::Resize;
/// let size = Resize::new(80, 24)?;
/// assert_eq!(
///     serde_json::to_string(&size)?,
///     r#"{"type":"resize","cols":80,"rows":24}"#
/// );
/// assert!(Resize::new(1, 24).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename = "resize", try_from = "ResizeWire")]
pub struct Resize {
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
}

impl Resize {
    /// The smallest dimension accepted.
    pub const MIN: u16 = 2;
    /// The largest dimension accepted.
    pub const MAX: u16 = 1000;

    /// A size of `cols` × `rows`, if both are within `MIN..=MAX`.
    pub fn new(cols: u16, rows: u16) -> Result<Resize, ProtocolError> {
        let check = |field: &'static str, value: u16| {
            if (Self::MIN..=Self::MAX).contains(&value) {
                Ok(value)
            } else {
                Err(ProtocolError::field(field, "must be between 2 and 1000"))
            }
        };
        Ok(Resize {
            cols: check("cols", cols)?,
            rows: check("rows", rows)?,
        })
    }
}

/// What `Resize` deserializes from before its range check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResizeWire {
    #[serde(rename = "type")]
    _type: ResizeTag,
    cols: u16,
    rows: u16,
}

/// The only `type` a resize object may have.
#[derive(Deserialize)]
enum ResizeTag {
    #[serde(rename = "resize")]
    Resize,
}

impl TryFrom<ResizeWire> for Resize {
    type Error = ProtocolError;
    fn try_from(wire: ResizeWire) -> Result<Resize, ProtocolError> {
        Resize::new(wire.cols, wire.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_bounds_are_inclusive() {
        assert!(Resize::new(2, 2).is_ok());
        assert!(Resize::new(1000, 1000).is_ok());
        assert_eq!(
            Resize::new(1, 24).unwrap_err().to_string(),
            "cols must be between 2 and 1000"
        );
        assert_eq!(
            Resize::new(80, 1001).unwrap_err().to_string(),
            "rows must be between 2 and 1000"
        );
        assert!(Resize::new(0, 0).is_err());
    }

    #[test]
    fn resize_serde_round_trips_and_validates() {
        let json = r#"{"type":"resize","cols":80,"rows":24}"#;
        let size: Resize = serde_json::from_str(json).unwrap();
        assert_eq!(size, Resize { cols: 80, rows: 24 });
        assert_eq!(serde_json::to_string(&size).unwrap(), json);
        assert!(serde_json::from_str::<Resize>(r#"{"type":"resize","cols":1,"rows":24}"#).is_err());
        assert!(serde_json::from_str::<Resize>(r#"{"type":"other","cols":80,"rows":24}"#).is_err());
        assert!(
            serde_json::from_str::<Resize>(r#"{"type":"resize","cols":80,"rows":24,"x":1}"#)
                .is_err()
        );
    }
}
