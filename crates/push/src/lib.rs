//! Web Push for tmux-mobile: telling a phone whose page is closed that a
//! pane needs its person.
//!
//! Push is its own security boundary, so it is its own crate and depends on
//! no other crate of this project:
//!
//! * [`VapidKey`] — the server's RFC 8292 identity, stored 0600 and the
//!   ES256 JWT of every request;
//! * [`encrypt()`] — RFC 8291 `aes128gcm` payload encryption to a browser's
//!   subscription keys ([`ReceiverKeys`]);
//! * [`Endpoint`] and [`is_public`] — the SSRF rule: only `https:`
//!   endpoints, only public addresses, checked on the address actually
//!   connected to;
//! * [`PushService`] — subscriptions by owner with bounds, and a bounded
//!   delivery queue (RFC 8030 `POST` with `TTL`, [`Urgency`], `Topic`).
//!
//! Every item is at the crate root (the modules are private), except the
//! `test_support` module of the `test-support` feature.
//!
//! The cryptography is RustCrypto's: `p256` (ECDH and ECDSA on P-256),
//! `hkdf` with `sha2` (HKDF-SHA256) and `aes-gcm` (AES-128-GCM); TLS is
//! `rustls` on its `ring` provider with Mozilla's roots (`webpki-roots`),
//! so delivery behaves the same on every machine whatever its CA store.
#![forbid(unsafe_code)]

mod deliver;
mod encrypt;
mod endpoint;
mod error;
mod service;
#[cfg(feature = "test-support")]
pub mod test_support;
mod vapid;

pub use deliver::{Outcome, Urgency};
pub use encrypt::{MAX_PAYLOAD_BYTES, PAD_BLOCK, ReceiverKeys, encrypt};
pub use endpoint::{Endpoint, EndpointPolicy, MAX_ENDPOINT_LEN, is_public};
pub use error::PushError;
pub use service::{PushOptions, PushService, PushStats, Subscription};
pub use vapid::{JWT_LIFETIME, VapidKey};

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
