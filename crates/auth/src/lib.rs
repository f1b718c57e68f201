//! Credentials of tmux-mobile: generation, constant-time verification, session
//! keys, throttling of failed attempts and the WebSocket origin policy.
//!
//! It is the only crate that sees a token or password in the clear, so that
//! the rules for secrets (random generation, constant-time comparison, never
//! printed) live behind one small API:
//!
//! * [`Credentials`] — the token, password and read-only token of one run;
//!   each a [`Secret`] that prints as `***`.
//! * [`Authenticator`] — checks an [`Attempt`] from a source address and
//!   answers a [`Grant`] with a [`Role`] or an [`AuthError`], throttled by a
//!   [`ThrottlePolicy`] and issuing session keys ([`SessionKeyPolicy`]),
//!   each a remembered [`Device`] the owner can list and revoke; with a
//!   token file ([`CredentialOptions::with_token_file`]) the link and the
//!   devices survive a restart.
//! * [`OriginPolicy`] — whether a WebSocket upgrade's `Origin` is allowed.
//!
//! Every item is at the crate root; the modules are private.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use tmux_mobile_auth::{Attempt, Authenticator, CredentialOptions, Credentials, ThrottlePolicy};
//!
//! let creds = Credentials::generate(CredentialOptions::default())?;
//! let (token, password) = (creds.token().expose().to_owned(), creds.password().unwrap().expose().to_owned());
//! let auth = Authenticator::new(creds, ThrottlePolicy::default());
//! let attempt = Attempt { token: &token, password: Some(&password), session_key: None };
//! let grant = auth.verify(&attempt, IpAddr::V4(Ipv4Addr::LOCALHOST))?;
//! assert!(grant.session_key.is_some());
//! # Ok::<(), tmux_mobile_auth::AuthError>(())
//! ```
#![forbid(unsafe_code)]

mod credentials;
mod error;
mod origin;
mod secret;
mod session_keys;
mod throttle;
mod token_file;
mod verify;

pub use credentials::{
    CredentialOptions, Credentials, PASSWORD_BYTES, PasswordChoice, TOKEN_BYTES,
};
pub use error::AuthError;
pub use origin::OriginPolicy;
pub use secret::{MAX_SECRET_LEN, Secret};
pub use session_keys::{Device, MAX_SESSION_KEY_TTL, SESSION_KEY_BYTES, SessionKeyPolicy};
pub use throttle::{Backoff, MAX_GLOBAL_DELAY, MAX_GUESS_DELAY, MAX_SOURCE_DELAY, ThrottlePolicy};
pub use verify::{Attempt, Authenticator, Grant, Role};

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
