//! [`Redacted`]: the field type of every secret or typed text in a message,
//! so that `Debug` (and so every log line and panic message) never shows
//! it, while serde reads and writes the value as it is.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// A value that `Debug` prints as `***`; everything else sees the value.
///
/// On the wire it is the value itself (`#[serde(transparent)]`); in code
/// [`expose`](Redacted::expose) gives it, and a `Redacted<String>`
/// dereferences to `str`. Messages use it for credentials (tokens, passwords,
/// session keys) and for what a person typed or a pane showed (compose
/// text, scrollback), so a whole message can be logged with `{:?}`.
///
/// ```
/// use tmux_mobile_protocol::Redacted;
/// let password = Redacted::new(String::from("correct horse"));
/// assert_eq!(format!("{password:?}"), "***");
/// assert_eq!(&*password, "correct horse");
/// assert_eq!(password.expose(), "correct horse");
/// assert_eq!(serde_json::to_string(&password).unwrap(), r#""correct horse""#);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Redacted<T> {
        Redacted(value)
    }

    /// The value.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value, unwrapped.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Dereferences to what the value dereferences to, so a
/// `Redacted<String>` reads as a `str` (and `Option<Redacted<String>>`'s
/// `as_deref` gives an `Option<&str>`).
impl<T: Deref> Deref for Redacted<T> {
    type Target = T::Target;

    fn deref(&self) -> &T::Target {
        &self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Redacted<T> {
        Redacted(value)
    }
}

impl From<&str> for Redacted<String> {
    fn from(value: &str) -> Redacted<String> {
        Redacted(value.to_owned())
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_inside_options_and_structs() {
        #[derive(Debug)]
        #[allow(dead_code)] // Only printed.
        struct Login {
            user: &'static str,
            password: Option<Redacted<String>>,
        }
        let login = Login {
            user: "ann",
            password: Some("hunter2".into()),
        };
        let printed = format!("{login:?} {login:#?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("ann") && printed.contains("Some(***)"),
            "{printed}"
        );
    }

    #[test]
    fn serde_sees_the_value() {
        let value: Redacted<String> = serde_json::from_str(r#""s3cret""#).unwrap();
        assert_eq!(value.expose(), "s3cret");
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""s3cret""#);
        assert_eq!(value.into_inner(), "s3cret");
    }
}
