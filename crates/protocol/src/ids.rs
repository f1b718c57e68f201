//! Validated identifiers: tmux pane ids, session names, window indexes and
//! the ids of browser clients.
//!
//! The rules are in the [crate documentation](crate#identifiers).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::ProtocolError;

/// The prefix of the grouped tmux sessions tmux-mobile creates for each
/// browser client (`tmux-mobile-client-<clientId>`). Sessions with this
/// prefix are never listed to browsers and never accepted as a session to
/// attach to.
pub const MANAGED_SESSION_PREFIX: &str = "tmux-mobile-client-";

/// Implements `Display`, `Serialize`, `TryFrom<String>` and `FromStr` for a
/// string newtype that has `fn parse(&str) -> Result<(), ProtocolError>`.
macro_rules! string_newtype {
    ($ty:ident) => {
        impl $ty {
            /// The identifier as text, exactly as it appears on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = ProtocolError;
            fn try_from(value: String) -> Result<Self, ProtocolError> {
                $ty::check(&value)?;
                Ok($ty(value))
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = ProtocolError;
            fn try_from(value: &str) -> Result<Self, ProtocolError> {
                $ty::check(value)?;
                Ok($ty(value.to_owned()))
            }
        }

        impl FromStr for $ty {
            type Err = ProtocolError;
            fn from_str(value: &str) -> Result<Self, ProtocolError> {
                $ty::try_from(value)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
    };
}

/// A tmux pane id: `%` followed by the pane's number, like `%12`.
///
/// Leading zeros are refused (`%007` is not the canonical spelling of `%7`),
/// so two equal panes always have equal ids.
///
/// ```
/// use tmux_mobile_protocol::PaneId;
/// let pane: PaneId = "%12".parse()?;
/// assert_eq!(pane.number(), 12);
/// assert!("12".parse::<PaneId>().is_err());
/// # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct PaneId(String);

string_newtype!(PaneId);

impl PaneId {
    fn check(value: &str) -> Result<(), ProtocolError> {
        Self::parse_number(value)
            .map(|_| ())
            .ok_or_else(|| ProtocolError::field("paneId", "must look like %12"))
    }

    fn parse_number(value: &str) -> Option<u32> {
        let digits = value.strip_prefix('%')?;
        let canonical = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if canonical { digits.parse().ok() } else { None }
    }

    /// The pane's number (the part after `%`).
    pub fn number(&self) -> u32 {
        // The constructor checked that this parses.
        Self::parse_number(&self.0).unwrap_or_default()
    }
}

impl From<u32> for PaneId {
    /// The pane id `%<number>`.
    fn from(number: u32) -> Self {
        PaneId(format!("%{number}"))
    }
}

/// The name of a tmux session: 1 to [`SessionName::MAX_CHARS`] characters,
/// no control characters, no `:` or `.`, not starting with `-`.
///
/// See the [crate documentation](crate#identifiers) for why `:`, `.` and a leading `-`
/// are refused and why everything else is allowed.
///
/// ```
/// use tmux_mobile_protocol::SessionName;
/// let name = SessionName::try_from("work; $(rm -rf /) 'ünïcode'")?;
/// assert_eq!(name.as_str(), "work; $(rm -rf /) 'ünïcode'");
/// let refused = SessionName::try_from("a:1").unwrap_err();
/// assert!(refused.to_string().contains("tmux would"));
/// # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct SessionName(String);

string_newtype!(SessionName);

impl SessionName {
    /// The longest name accepted, in characters (not bytes).
    pub const MAX_CHARS: usize = 128;

    fn check(value: &str) -> Result<(), ProtocolError> {
        let refuse = |reason: &str| Err(ProtocolError::field("session name", reason));
        if value.is_empty() {
            return refuse("must not be empty");
        }
        if value.chars().count() > Self::MAX_CHARS {
            return refuse("must be at most 128 characters long");
        }
        if value.chars().any(char::is_control) {
            return refuse("must not contain control characters such as tabs or newlines");
        }
        if value.contains([':', '.']) {
            return refuse(
                "must not contain ':' or '.' (tmux would rename the session, replacing them with '_')",
            );
        }
        if value.starts_with('-') {
            return refuse("must not start with '-'");
        }
        Ok(())
    }

    /// The name of the grouped session tmux-mobile manages for `client`:
    /// [`MANAGED_SESSION_PREFIX`] followed by the client id.
    ///
    /// ```
    /// use tmux_mobile_protocol::{ClientId, SessionName};
    /// let client = ClientId::try_from("abc_123")?;
    /// let managed = SessionName::managed_for(&client);
    /// assert_eq!(managed.as_str(), "tmux-mobile-client-abc_123");
    /// assert!(managed.is_managed());
    /// # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
    /// ```
    pub fn managed_for(client: &ClientId) -> SessionName {
        // Prefix (19) + at most 64 id characters from [A-Za-z0-9_-] is always
        // a valid name.
        SessionName(format!("{MANAGED_SESSION_PREFIX}{client}"))
    }

    /// Whether this is a session tmux-mobile manages for a client (its name
    /// starts with [`MANAGED_SESSION_PREFIX`]). Browsers must never see,
    /// create or select such a session by name.
    pub fn is_managed(&self) -> bool {
        self.0.starts_with(MANAGED_SESSION_PREFIX)
    }
}

/// The index of a window within a tmux session (`#{window_index}`).
///
/// Every `u32` is a valid index; the type exists so that an index cannot be
/// confused with other numbers.
///
/// ```
/// use tmux_mobile_protocol::WindowIndex;
/// let index: WindowIndex = "3".parse()?;
/// assert_eq!(index.get(), 3);
/// assert_eq!(WindowIndex::new(3), index);
/// # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WindowIndex(u32);

impl WindowIndex {
    /// A window index.
    pub const fn new(index: u32) -> Self {
        WindowIndex(index)
    }

    /// The index as a number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for WindowIndex {
    fn from(index: u32) -> Self {
        WindowIndex(index)
    }
}

impl From<WindowIndex> for u32 {
    fn from(index: WindowIndex) -> u32 {
        index.0
    }
}

impl fmt::Display for WindowIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for WindowIndex {
    type Err = ProtocolError;
    /// Parses a decimal index as tmux prints it (`0`, `12`; no sign, no
    /// spaces).
    fn from_str(value: &str) -> Result<Self, ProtocolError> {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(window_index_error());
        }
        value
            .parse()
            .map(WindowIndex)
            .map_err(|_| window_index_error())
    }
}

impl TryFrom<&str> for WindowIndex {
    type Error = ProtocolError;
    fn try_from(value: &str) -> Result<Self, ProtocolError> {
        value.parse()
    }
}

pub(crate) fn window_index_error() -> ProtocolError {
    ProtocolError::field("windowIndex", "must be a whole number from 0 to 4294967295")
}

/// The id of one browser client: 1 to [`ClientId::MAX_LEN`] characters from
/// `A-Z`, `a-z`, `0-9`, `_` and `-` (base64url without padding fits).
///
/// The server generates these (this crate has no random source); a client
/// presents its previous id to resume. The character set keeps the id safe
/// inside a tmux session name ([`SessionName::managed_for`]), a log line and
/// a URL.
///
/// ```
/// use tmux_mobile_protocol::ClientId;
/// assert!(ClientId::try_from("Zm9v-YmFy_1").is_ok());
/// assert!(ClientId::try_from("no spaces").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct ClientId(String);

string_newtype!(ClientId);

impl ClientId {
    /// The longest id accepted, in characters.
    pub const MAX_LEN: usize = 64;

    fn check(value: &str) -> Result<(), ProtocolError> {
        let ok = (1..=Self::MAX_LEN).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(())
        } else {
            Err(ProtocolError::field(
                "clientId",
                "must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pane_ids_are_percent_and_canonical_digits() {
        for ok in ["%0", "%1", "%12", "%4294967295"] {
            let pane = PaneId::try_from(ok).unwrap();
            assert_eq!(pane.as_str(), ok);
            assert_eq!(pane.to_string(), ok);
        }
        assert_eq!(PaneId::try_from("%12").unwrap().number(), 12);
        for bad in [
            "",
            "%",
            "12",
            "%%1",
            "%-1",
            "%+1",
            "%1a",
            "% 1",
            "%01",
            "%4294967296",
            "@1",
            "$1",
            "%１",
        ] {
            let err = PaneId::try_from(bad).unwrap_err();
            assert_eq!(err.to_string(), "paneId must look like %12", "{bad:?}");
        }
        assert_eq!(PaneId::from(7).as_str(), "%7");
    }

    #[test]
    fn session_names_allow_what_a_person_types() {
        for ok in [
            "main",
            "my work",
            "it's \"quoted\"",
            "$(touch /tmp/x); `id`",
            "日本語",
            "tab-less",
            "#{session_name}",
            "=exact",
            "$1",
            &"x".repeat(128),
            &"ü".repeat(128),
        ] {
            assert_eq!(SessionName::try_from(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn session_names_refuse_what_tmux_would_change_or_misread() {
        let cases = [
            ("", "must not be empty"),
            (&"x".repeat(129) as &str, "at most 128"),
            ("a\nb", "control characters"),
            ("a\tb", "control characters"),
            ("a\u{7f}", "control characters"),
            ("a\u{9b}", "control characters"),
            ("a:1", "tmux would rename"),
            ("a.b", "tmux would rename"),
            ("-t", "must not start with '-'"),
        ];
        for (bad, needle) in cases {
            let err = SessionName::try_from(bad).unwrap_err().to_string();
            assert!(err.starts_with("session name "), "{err}");
            assert!(err.contains(needle), "{bad:?}: {err}");
        }
    }

    #[test]
    fn managed_sessions_are_recognised() {
        let id = ClientId::try_from("x".repeat(64).as_str()).unwrap();
        let managed = SessionName::managed_for(&id);
        assert!(managed.is_managed());
        assert_eq!(SessionName::try_from(managed.as_str()).unwrap(), managed);
        assert!(!SessionName::try_from("main").unwrap().is_managed());
        assert!(
            SessionName::try_from("tmux-mobile-client-abc")
                .unwrap()
                .is_managed()
        );
    }

    #[test]
    fn window_index_parses_decimal_only() {
        assert_eq!("0".parse::<WindowIndex>().unwrap().get(), 0);
        assert_eq!("4294967295".parse::<WindowIndex>().unwrap().get(), u32::MAX);
        for bad in ["", "-1", "+1", " 1", "1.0", "4294967296", "x"] {
            let err = bad.parse::<WindowIndex>().unwrap_err();
            assert!(
                err.to_string().starts_with("windowIndex must be"),
                "{bad:?}"
            );
        }
        assert_eq!(WindowIndex::from(5).to_string(), "5");
        assert_eq!(u32::from(WindowIndex::new(5)), 5);
    }

    #[test]
    fn client_ids_are_url_safe_and_bounded() {
        assert!(ClientId::try_from("a").is_ok());
        assert!(ClientId::try_from("AZaz09_-").is_ok());
        assert!(ClientId::try_from("x".repeat(64).as_str()).is_ok());
        for bad in ["", "a b", "a/b", "a=", "ä", "a.b", &"x".repeat(65)] {
            let err = ClientId::try_from(bad).unwrap_err();
            assert!(err.to_string().starts_with("clientId must be"), "{bad:?}");
        }
    }

    #[test]
    fn serde_validates_and_round_trips() {
        let pane: PaneId = serde_json::from_str(r#""%3""#).unwrap();
        assert_eq!(serde_json::to_string(&pane).unwrap(), r#""%3""#);
        let err = serde_json::from_str::<PaneId>(r#""3""#).unwrap_err();
        assert!(
            err.to_string().contains("paneId must look like %12"),
            "{err}"
        );
        assert!(serde_json::from_str::<SessionName>(r#""a.b""#).is_err());
        assert!(serde_json::from_str::<ClientId>(r#""a b""#).is_err());
        let name: SessionName = serde_json::from_str(r#""main""#).unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), r#""main""#);
        let index: WindowIndex = serde_json::from_str("4").unwrap();
        assert_eq!(serde_json::to_string(&index).unwrap(), "4");
        assert!(serde_json::from_str::<WindowIndex>("-1").is_err());
    }
}
