//! [`Secret`]: a string that never prints itself, and the constant-time
//! comparison used for every credential check.
//!
//! Tokens, passwords and session keys travel through this type so that a
//! stray `{:?}` or `{}` in a log line prints `***` instead of the value.
//!
//! # Constant-time comparison that does not leak length
//!
//! `subtle`'s slice comparison returns early when the lengths differ, which
//! tells an attacker the length of the secret. The crate-private
//! `PaddedSecret` avoids that
//! without hashing: the expected secret is stored once, zero-padded, in a
//! fixed buffer of [`MAX_SECRET_LEN`] bytes together with its length. A
//! candidate is copied into an equally sized zeroed buffer (the copy takes
//! time proportional to the candidate's length, which the attacker already
//! knows) and the two whole buffers are compared with
//! [`subtle::ConstantTimeEq`]. The length check is a constant-time equality
//! of the two lengths, folded into the result with `&`. The time taken
//! therefore depends on neither the content nor the length of the expected
//! secret. A candidate longer than [`MAX_SECRET_LEN`] is refused before any
//! comparison; that only reveals that the candidate exceeds a public limit.

use std::fmt;

use subtle::{Choice, ConstantTimeEq};

/// The longest secret (token, password, session key) this crate accepts, in
/// bytes. Generated secrets are far shorter; a given password longer than
/// this is refused with [`crate::AuthError::PasswordTooLong`].
pub const MAX_SECRET_LEN: usize = 256;

/// A secret string whose `Debug` and `Display` print `***`.
///
/// ```
/// use tmux_mobile_auth::Secret;
///
/// let s = Secret::new("hunter2".to_string());
/// assert_eq!(format!("{s} {s:?}"), "*** ***");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret value. Call it only where the value must leave the
    /// process on purpose (printing the URL at startup, sending a session
    /// key to its client).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An expected secret kept in a fixed-size zero-padded buffer so that
/// comparing against it takes the same time whatever its length (see the
/// module docs).
pub(crate) struct PaddedSecret {
    bytes: Box<[u8; MAX_SECRET_LEN]>,
    len: u64,
}

impl PaddedSecret {
    /// Pads `secret`. A secret longer than [`MAX_SECRET_LEN`] (which
    /// [`crate::Credentials`] never holds) is kept as one that matches
    /// nothing: its recorded length can equal no acceptable candidate's.
    pub(crate) fn new(secret: &Secret) -> Self {
        let value = secret.expose().as_bytes();
        let mut bytes = Box::new([0u8; MAX_SECRET_LEN]);
        if value.len() > MAX_SECRET_LEN {
            return PaddedSecret {
                bytes,
                len: u64::MAX,
            };
        }
        bytes[..value.len()].copy_from_slice(value);
        PaddedSecret {
            bytes,
            len: value.len() as u64,
        }
    }

    /// Whether `candidate` equals the secret, as a [`Choice`], in time that
    /// does not depend on the secret.
    pub(crate) fn matches(&self, candidate: &str) -> Choice {
        let candidate = candidate.as_bytes();
        if candidate.len() > MAX_SECRET_LEN {
            return Choice::from(0);
        }
        let mut padded = [0u8; MAX_SECRET_LEN];
        padded[..candidate.len()].copy_from_slice(candidate);
        let same_bytes = self.bytes[..].ct_eq(&padded[..]);
        let same_len = self.len.ct_eq(&(candidate.len() as u64));
        same_bytes & same_len
    }
}

impl fmt::Debug for PaddedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(s: &str) -> PaddedSecret {
        PaddedSecret::new(&Secret::new(s.to_string()))
    }

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("correct horse".to_string());
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
        assert_eq!(format!("{:?}", padded("correct horse")), "***");
    }

    #[test]
    fn padded_secret_matches_only_the_exact_value() {
        let p = padded("abc");
        assert!(bool::from(p.matches("abc")));
        assert!(!bool::from(p.matches("abd")));
        assert!(!bool::from(p.matches("ab")));
        assert!(!bool::from(p.matches("abcd")));
        // Zero padding must not make a NUL-extended candidate equal.
        assert!(!bool::from(p.matches("abc\0")));
        assert!(!bool::from(p.matches("")));
    }

    #[test]
    fn empty_secret_matches_only_empty() {
        let p = padded("");
        assert!(bool::from(p.matches("")));
        assert!(!bool::from(p.matches("\0")));
    }

    #[test]
    fn overlong_values_are_refused() {
        let long = "x".repeat(MAX_SECRET_LEN + 1);
        let too_long = PaddedSecret::new(&Secret::new(long.clone()));
        assert!(!bool::from(too_long.matches(&long)));
        assert!(!bool::from(too_long.matches("")));
        let max = "x".repeat(MAX_SECRET_LEN);
        let p = padded(&max);
        assert!(bool::from(p.matches(&max)));
        assert!(!bool::from(p.matches(&long)));
    }
}
