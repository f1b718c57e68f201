//! The remembered-devices extension: the owner lists the devices that may
//! log in without the password (each holds a session key) and revokes any
//! of them.
//!
//! - client → server: `{"type":"list_devices"}`
//!   ([`crate::ClientMessage::ListDevices`]) and
//!   `{"type":"revoke_device","id":"…"}`
//!   ([`crate::ClientMessage::RevokeDevice`]); both refused for read-only
//!   clients.
//! - server → client: `{"type":"devices","devices":[…]}`
//!   ([`crate::ServerMessage::Devices`]), each a [`DeviceInfo`].
//!
//! ```
//! use tmux_mobile_protocol::{decode_control, ClientMessage, DeviceId};
//! let msg = decode_control(br#"{"type":"revoke_device","id":"q3_Zx-9aBcE"}"#)?;
//! assert_eq!(msg, ClientMessage::RevokeDevice { id: DeviceId::try_from("q3_Zx-9aBcE")? });
//! assert!(DeviceId::try_from("no spaces").is_err());
//! # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;

/// Longest device id accepted (the server makes 11 characters).
pub const DEVICE_ID_MAX_LEN: usize = 32;

/// The public name of a remembered device: 1 to [`DEVICE_ID_MAX_LEN`]
/// base64url characters. It names a session key but is not one.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

impl DeviceId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for DeviceId {
    type Error = ProtocolError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let ok = !value.is_empty()
            && value.len() <= DEVICE_ID_MAX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(DeviceId(value.to_owned()))
        } else {
            Err(ProtocolError::field(
                "id",
                format!("must be 1 to {DEVICE_ID_MAX_LEN} characters of A-Z a-z 0-9 - _"),
            ))
        }
    }
}

impl TryFrom<String> for DeviceId {
    type Error = ProtocolError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        DeviceId::try_from(value.as_str())
    }
}

impl From<DeviceId> for String {
    fn from(id: DeviceId) -> String {
        id.0
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// One remembered device in a `devices` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    /// What `revoke_device` names.
    pub id: DeviceId,
    /// Where it logged in from, e.g. `"Android · Chrome"` (may be empty).
    pub label: String,
    /// Whether it came through the read-only link.
    pub read_only: bool,
    /// When the password was checked (Unix milliseconds).
    pub issued_at: u64,
    /// Its last login (Unix milliseconds).
    pub last_seen_at: u64,
    /// When its key stops working (Unix milliseconds).
    pub expires_at: u64,
    /// Whether a browser of this device is connected now.
    pub online: bool,
    /// Whether it is the device that asked.
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_base64url_only() {
        for good in ["a", "q3_Zx-9aBcE", &"x".repeat(DEVICE_ID_MAX_LEN)] {
            assert!(DeviceId::try_from(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a b",
            "%1",
            "a/b",
            "é",
            &"x".repeat(DEVICE_ID_MAX_LEN + 1),
        ] {
            let err = DeviceId::try_from(bad).unwrap_err();
            assert!(err.to_string().starts_with("id must be"), "{bad}: {err}");
        }
    }

    #[test]
    fn device_info_is_camel_case() {
        let info = DeviceInfo {
            id: DeviceId::try_from("d1").unwrap(),
            label: "Android · Chrome".into(),
            read_only: true,
            issued_at: 1,
            last_seen_at: 2,
            expires_at: 3,
            online: false,
            current: true,
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"id":"d1","label":"Android · Chrome","readOnly":true,"issuedAt":1,"lastSeenAt":2,"expiresAt":3,"online":false,"current":true}"#
        );
    }
}
