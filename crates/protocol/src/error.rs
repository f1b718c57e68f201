//! The one error type of this crate.
//!
//! Every way a frame from the network can be wrong maps to one variant, and
//! every variant's `Display` is a sentence the server can send back to the
//! browser as it is (it never contains a secret or an unbounded echo of the
//! input).

/// Why a frame or a value was refused.
///
/// The `Display` text of each variant is safe to show to the person on the
/// other end: it names the field and what it must look like, never the value
/// of a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The frame is larger than the limit for its socket; it was not parsed.
    #[error("message too large: {actual} bytes, the limit is {limit} bytes")]
    TooLarge {
        /// The limit in bytes (see [`crate::CONTROL_FRAME_LIMIT`]).
        limit: usize,
        /// The size of the refused frame in bytes.
        actual: usize,
    },
    /// The frame is not a JSON object with a string `type` field.
    ///
    /// Its `Display` is exactly `invalid message format`, the text the
    /// original server sent in this case.
    #[error("invalid message format")]
    InvalidFormat,
    /// The frame is a JSON object whose `type` this protocol version does not
    /// know. The type is kept (shortened to at most
    /// [`ProtocolError::MAX_ECHOED_CHARS`] characters) so the answer can
    /// name it.
    #[error("unknown message type {0:?} (this server speaks tmux-mobile protocol v1)")]
    UnknownType(String),
    /// A message of a known type has a missing or malformed field.
    ///
    /// `Display` reads `<field> <reason>`, for example
    /// `paneId must look like %12`.
    #[error("{field} {reason}")]
    InvalidField {
        /// The field's name as it appears on the wire (`paneId`,
        /// `windowIndex`, ...), or a description of the value when it was
        /// checked outside a message (`session name`).
        field: &'static str,
        /// What the field must look like, phrased to complete the sentence
        /// started by the field name.
        reason: String,
    },
    /// The first frame on `/ws/terminal` was not an `auth` message.
    ///
    /// Its `Display` is exactly `auth required`, the close reason the
    /// original server used in this case.
    #[error("auth required")]
    AuthRequired,
}

impl ProtocolError {
    /// The most characters of client-supplied text an error repeats back.
    pub const MAX_ECHOED_CHARS: usize = 64;

    /// An [`ProtocolError::UnknownType`] for `ty`, shortened to
    /// [`ProtocolError::MAX_ECHOED_CHARS`] characters.
    pub(crate) fn unknown_type(ty: &str) -> Self {
        ProtocolError::UnknownType(ty.chars().take(Self::MAX_ECHOED_CHARS).collect())
    }

    /// An [`ProtocolError::InvalidField`] with a fixed reason.
    pub(crate) fn field(field: &'static str, reason: impl Into<String>) -> Self {
        ProtocolError::InvalidField {
            field,
            reason: reason.into(),
        }
    }

    /// The same error reported for another wire field name (used when a
    /// value type such as `SessionName` is checked inside a message whose
    /// field is called `name`).
    pub(crate) fn for_field(self, name: &'static str) -> Self {
        match self {
            ProtocolError::InvalidField { reason, .. } => ProtocolError::InvalidField {
                field: name,
                reason,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_format_text_is_exactly_the_original_one() {
        assert_eq!(
            ProtocolError::InvalidFormat.to_string(),
            "invalid message format"
        );
    }

    #[test]
    fn auth_required_text_is_exactly_the_original_close_reason() {
        assert_eq!(ProtocolError::AuthRequired.to_string(), "auth required");
    }

    #[test]
    fn invalid_field_reads_as_a_sentence() {
        let e = ProtocolError::field("paneId", "must look like %12");
        assert_eq!(e.to_string(), "paneId must look like %12");
        assert_eq!(
            e.for_field("target").to_string(),
            "target must look like %12"
        );
    }

    #[test]
    fn unknown_type_is_shortened_and_escaped() {
        let long = "x\n".repeat(200);
        let e = ProtocolError::unknown_type(&long);
        let ProtocolError::UnknownType(kept) = &e else {
            panic!("wrong variant: {e:?}");
        };
        assert_eq!(kept.chars().count(), ProtocolError::MAX_ECHOED_CHARS);
        assert!(!e.to_string().contains('\n'), "newlines are escaped: {e}");
    }

    #[test]
    fn too_large_names_both_sizes() {
        let e = ProtocolError::TooLarge {
            limit: 65536,
            actual: 70000,
        };
        assert_eq!(
            e.to_string(),
            "message too large: 70000 bytes, the limit is 65536 bytes"
        );
    }
}
