//! The one error type of this crate.
//!
//! Every variant's message is safe to log and show: no variant ever carries a
//! token, password or session key. [`AuthError::reason`] gives the short
//! wire string of PROTOCOL.md (`auth_error.reason`), and
//! [`AuthError::retry_after_ms`] the `retryAfterMs` that goes with
//! `"too many attempts"`.

use std::time::Duration;

/// Why an authentication, a credential setup or an origin check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token matches neither the control token nor the read-only token.
    #[error("invalid token")]
    InvalidToken,
    /// The token is right but the password (or session key) is wrong or
    /// missing.
    #[error("invalid password")]
    InvalidPassword,
    /// Too many failed attempts: the attempt was refused without looking at
    /// its credentials. Retry after `retry_after`.
    #[error("too many attempts; retry in {} ms", retry_after.as_millis())]
    TooManyAttempts {
        /// How long to wait before the next attempt can be checked.
        retry_after: Duration,
    },
    /// The operating system's random number generator failed.
    #[error("could not get random bytes from the operating system: {0}")]
    Random(#[source] getrandom::Error),
    /// A password was given but it is empty.
    #[error("the password must not be empty; give a non-empty password or let one be generated")]
    EmptyPassword,
    /// A given password is longer than [`crate::MAX_SECRET_LEN`] bytes.
    #[error("the password is {len} bytes long; the limit is {max} bytes")]
    PasswordTooLong {
        /// Length of the given password in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// A WebSocket upgrade carried an `Origin` that is neither the server's
    /// own address nor on the allowlist (or was `null` or malformed).
    #[error(
        "origin not allowed: the Origin header is neither this server's own address \
         nor on the origin allowlist"
    )]
    OriginNotAllowed,
    /// The token file (`--token-file`) cannot be used. `problem` never
    /// quotes the file's content.
    #[error("token file {}: {problem}", path.display())]
    TokenFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, and how to fix it.
        problem: String,
    },
    /// An allowlist entry is not an origin of the form
    /// `http[s]://host[:port]`.
    #[error("invalid allowlist origin {entry:?}: {problem}; expected http[s]://host[:port]")]
    InvalidOrigin {
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl AuthError {
    /// The short reason string sent to clients in `auth_error.reason`:
    /// `"invalid token"`, `"invalid password"` or `"too many attempts"`.
    /// Errors that are not about a client's credentials map to
    /// `"origin not allowed"`, `"invalid configuration"` or
    /// `"internal error"`.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::InvalidToken => "invalid token",
            AuthError::InvalidPassword => "invalid password",
            AuthError::TooManyAttempts { .. } => "too many attempts",
            AuthError::OriginNotAllowed => "origin not allowed",
            AuthError::EmptyPassword
            | AuthError::PasswordTooLong { .. }
            | AuthError::InvalidOrigin { .. }
            | AuthError::TokenFile { .. } => "invalid configuration",
            AuthError::Random(_) => "internal error",
        }
    }

    /// For [`AuthError::TooManyAttempts`], the wait in whole milliseconds
    /// (rounded up, at least 1) for the wire field `retryAfterMs`; `None`
    /// for every other error.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            AuthError::TooManyAttempts { retry_after } => {
                let nanos = retry_after.as_nanos();
                let ms = nanos.div_ceil(1_000_000).max(1);
                Some(u64::try_from(ms).unwrap_or(u64::MAX))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_match_the_protocol() {
        assert_eq!(AuthError::InvalidToken.reason(), "invalid token");
        assert_eq!(AuthError::InvalidPassword.reason(), "invalid password");
        let throttled = AuthError::TooManyAttempts {
            retry_after: Duration::from_millis(1500),
        };
        assert_eq!(throttled.reason(), "too many attempts");
        assert_eq!(throttled.retry_after_ms(), Some(1500));
        assert_eq!(AuthError::InvalidToken.retry_after_ms(), None);
        assert_eq!(AuthError::InvalidToken.to_string(), "invalid token");
        assert_eq!(AuthError::InvalidPassword.to_string(), "invalid password");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_milliseconds() {
        let e = AuthError::TooManyAttempts {
            retry_after: Duration::from_micros(1),
        };
        assert_eq!(e.retry_after_ms(), Some(1));
        let e = AuthError::TooManyAttempts {
            retry_after: Duration::from_micros(2_001),
        };
        assert_eq!(e.retry_after_ms(), Some(3));
        let e = AuthError::TooManyAttempts {
            retry_after: Duration::ZERO,
        };
        assert_eq!(e.retry_after_ms(), Some(1));
    }
}
