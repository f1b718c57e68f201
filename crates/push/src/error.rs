//! The one error type of this crate.
//!
//! Messages are safe to log and to show to the person who subscribed: no
//! variant carries a private key, an auth secret or a payload, and endpoint
//! URLs (capability URLs of the push service) are never quoted whole.

use std::path::PathBuf;

/// Why a subscription was refused, a key could not be stored or a push
/// could not be delivered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The endpoint is not an `https:` URL this crate will contact.
    #[error("push endpoint refused: {0}")]
    Endpoint(&'static str),
    /// The endpoint's host resolves to no public address (loopback,
    /// private, link-local, …): contacting it could reach this machine's
    /// network instead of a push service.
    #[error("push endpoint refused: its host resolves to no public address")]
    NotPublic,
    /// The endpoint's host name could not be resolved.
    #[error("push endpoint's host could not be resolved: {0}")]
    Resolve(#[source] std::io::Error),
    /// `p256dh` or `auth` of a subscription is not what RFC 8291 asks for.
    #[error("push subscription refused: {0}")]
    Keys(&'static str),
    /// The owner already has the most subscriptions allowed, or the server
    /// holds its total.
    #[error("too many push subscriptions ({limit} allowed {scope})")]
    TooManySubscriptions {
        /// The limit that was reached.
        limit: usize,
        /// `"per browser"` or `"in all"`.
        scope: &'static str,
    },
    /// The payload is larger than [`crate::MAX_PAYLOAD_BYTES`].
    #[error("push payload is {len} bytes; the limit is {max}")]
    PayloadTooLarge {
        /// Length of the payload in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The operating system's random number generator failed.
    #[error("could not get random bytes from the operating system: {0}")]
    Random(#[source] getrandom::Error),
    /// A cryptographic operation failed (an invalid point or scalar).
    #[error("push encryption failed: {0}")]
    Crypto(&'static str),
    /// The VAPID key file could not be read or written.
    #[error("VAPID key file {}: {source}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The VAPID key file holds something other than a key written by this
    /// crate.
    #[error("VAPID key file {} is not a valid key; remove it to generate a new one", path.display())]
    KeyFileInvalid {
        /// The file.
        path: PathBuf,
    },
    /// The VAPID key file may be read by other users.
    #[error("VAPID key file {} is readable by other users (mode {mode:o}); run `chmod 600` on it", path.display())]
    KeyFileMode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Connecting to the push service, TLS or HTTP failed.
    #[error("push delivery failed: {0}")]
    Transport(String),
    /// The push service did not answer in time.
    #[error("push delivery timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The push service answered with an error status.
    #[error("push service answered {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The delivery queue is full; the notification was dropped.
    #[error("push queue is full; notification dropped")]
    QueueFull,
}
