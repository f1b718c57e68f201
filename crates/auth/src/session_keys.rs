//! Session keys: what the browser remembers instead of the password.
//!
//! After an `auth` that checked a password, the server hands out a random
//! 128-bit key (base64url, 22 characters). Later `auth` messages may present
//! that key in place of the password. Keys live only in this process's
//! memory: a restart, the key's expiry (default 12 h) or
//! [`crate::Authenticator::revoke_session_key`] invalidates them. A key is
//! bound to the [`Role`] it was issued for, so a read-only login's key
//! cannot open a control session.
//!
//! The store is bounded ([`SessionKeyPolicy::max_keys`], default 1024):
//! issuing a key when it is full first drops expired keys, then the oldest.
//!
//! Lookup is a `HashMap` keyed by the 16 decoded bytes. Its hasher is
//! SipHash with per-process random keys, so the bucket a guess lands in —
//! and with it any timing difference — is unrelated to the stored keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::error::AuthError;
use crate::secret::Secret;
use crate::verify::Role;

/// Random bytes in a session key (128 bits).
pub const SESSION_KEY_BYTES: usize = 16;

/// The longest lifetime a session key can be given (30 days); longer
/// [`SessionKeyPolicy::ttl`] values are cut to this.
pub const MAX_SESSION_KEY_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long session keys live and how many may exist at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionKeyPolicy {
    /// Lifetime of a key from the moment it is issued (default 12 h,
    /// at most [`MAX_SESSION_KEY_TTL`]).
    pub ttl: Duration,
    /// Most keys alive at once (default 1024, at least 1); the oldest is
    /// dropped to make room.
    pub max_keys: usize,
}

impl Default for SessionKeyPolicy {
    fn default() -> Self {
        SessionKeyPolicy {
            ttl: Duration::from_secs(12 * 3600),
            max_keys: 1024,
        }
    }
}

struct Entry {
    role: Role,
    issued_seq: u64,
    expires: Instant,
}

#[derive(Default)]
struct Keys {
    by_key: HashMap<[u8; SESSION_KEY_BYTES], Entry>,
    next_seq: u64,
}

/// The in-memory key store.
pub(crate) struct SessionKeyStore {
    ttl: Duration,
    max_keys: usize,
    keys: Mutex<Keys>,
}

fn decode(key: &str) -> Option<[u8; SESSION_KEY_BYTES]> {
    let mut out = [0u8; SESSION_KEY_BYTES];
    let decoded = Base64UrlUnpadded::decode(key, &mut out).ok()?;
    if decoded.len() != SESSION_KEY_BYTES {
        return None;
    }
    Some(out)
}

impl SessionKeyStore {
    pub(crate) fn new(policy: &SessionKeyPolicy) -> Self {
        SessionKeyStore {
            ttl: policy.ttl.min(MAX_SESSION_KEY_TTL),
            max_keys: policy.max_keys.max(1),
            keys: Mutex::new(Keys::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        // Nothing panics while the lock is held; recover the data anyway.
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Issues a new key for `role`, valid from `now` for the policy's TTL.
    pub(crate) fn issue(&self, role: Role, now: Instant) -> Result<Secret, AuthError> {
        let mut bytes = [0u8; SESSION_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
        let key = Secret::new(Base64UrlUnpadded::encode_string(&bytes));
        let expires = now.checked_add(self.ttl).unwrap_or(now);
        let mut keys = self.lock();
        if keys.by_key.len() >= self.max_keys {
            keys.by_key.retain(|_, e| e.expires > now);
        }
        while keys.by_key.len() >= self.max_keys {
            let oldest = keys
                .by_key
                .iter()
                .min_by_key(|(_, e)| e.issued_seq)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => {
                    keys.by_key.remove(&k);
                }
                None => break,
            }
        }
        let issued_seq = keys.next_seq;
        keys.next_seq += 1;
        keys.by_key.insert(
            bytes,
            Entry {
                role,
                issued_seq,
                expires,
            },
        );
        Ok(key)
    }

    /// Whether `key` is a live key issued for `role`. An expired key found
    /// here is removed.
    pub(crate) fn check(&self, key: &str, role: Role, now: Instant) -> bool {
        let Some(bytes) = decode(key) else {
            return false;
        };
        let mut keys = self.lock();
        match keys.by_key.get(&bytes) {
            Some(e) if e.expires <= now => {
                keys.by_key.remove(&bytes);
                false
            }
            Some(e) => e.role == role,
            None => false,
        }
    }

    /// The role `key` was issued for, if it is live. An expired key found
    /// here is removed.
    pub(crate) fn role_of(&self, key: &str, now: Instant) -> Option<Role> {
        let bytes = decode(key)?;
        let mut keys = self.lock();
        match keys.by_key.get(&bytes) {
            Some(e) if e.expires <= now => {
                keys.by_key.remove(&bytes);
                None
            }
            Some(e) => Some(e.role),
            None => None,
        }
    }

    /// Forgets `key` (no effect if it is unknown).
    pub(crate) fn revoke(&self, key: &str) {
        if let Some(bytes) = decode(key) {
            self.lock().by_key.remove(&bytes);
        }
    }

    /// Number of keys held (expired ones included until they are pruned).
    pub(crate) fn len(&self) -> usize {
        self.lock().by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(ttl_s: u64, max: usize) -> SessionKeyStore {
        SessionKeyStore::new(&SessionKeyPolicy {
            ttl: Duration::from_secs(ttl_s),
            max_keys: max,
        })
    }

    #[test]
    fn issued_key_is_128_bit_base64url_and_checks_for_its_role_only() {
        let s = store(60, 8);
        let t0 = Instant::now();
        let key = s.issue(Role::Control, t0).unwrap();
        assert_eq!(key.expose().len(), 22);
        assert!(s.check(key.expose(), Role::Control, t0));
        assert!(!s.check(key.expose(), Role::ReadOnly, t0));
        let ro = s.issue(Role::ReadOnly, t0).unwrap();
        assert!(s.check(ro.expose(), Role::ReadOnly, t0));
        assert!(!s.check(ro.expose(), Role::Control, t0));
    }

    #[test]
    fn garbage_and_unknown_keys_do_not_check() {
        let s = store(60, 8);
        let t0 = Instant::now();
        s.issue(Role::Control, t0).unwrap();
        for bad in [
            "",
            "x",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "!!!!!!!!!!!!!!!!!!!!!!",
            "AAAA==",
        ] {
            assert!(!s.check(bad, Role::Control, t0), "{bad:?}");
        }
    }

    #[test]
    fn keys_expire_after_the_ttl() {
        let s = store(60, 8);
        let t0 = Instant::now();
        let key = s.issue(Role::Control, t0).unwrap();
        assert!(s.check(key.expose(), Role::Control, t0 + Duration::from_secs(59)));
        assert!(!s.check(key.expose(), Role::Control, t0 + Duration::from_secs(60)));
        assert_eq!(s.len(), 0, "expired key is dropped when seen");
    }

    #[test]
    fn revoked_key_no_longer_checks() {
        let s = store(60, 8);
        let t0 = Instant::now();
        let a = s.issue(Role::Control, t0).unwrap();
        let b = s.issue(Role::Control, t0).unwrap();
        s.revoke(a.expose());
        s.revoke("not a key");
        assert!(!s.check(a.expose(), Role::Control, t0));
        assert_eq!(s.role_of(a.expose(), t0), None);
        assert_eq!(s.role_of(b.expose(), t0), Some(Role::Control));
        assert!(s.check(b.expose(), Role::Control, t0));
        assert_eq!(s.role_of(b.expose(), t0 + Duration::from_secs(60)), None);
    }

    #[test]
    fn store_is_bounded_and_evicts_the_oldest() {
        let s = store(60, 3);
        let t0 = Instant::now();
        let keys: Vec<Secret> = (0..5)
            .map(|_| s.issue(Role::Control, t0).unwrap())
            .collect();
        assert_eq!(s.len(), 3);
        assert!(!s.check(keys[0].expose(), Role::Control, t0));
        assert!(!s.check(keys[1].expose(), Role::Control, t0));
        for k in &keys[2..] {
            assert!(s.check(k.expose(), Role::Control, t0));
        }
    }

    #[test]
    fn full_store_drops_expired_keys_before_live_ones() {
        let s = store(10, 2);
        let t0 = Instant::now();
        let old = s.issue(Role::Control, t0).unwrap();
        let t1 = t0 + Duration::from_secs(5);
        let live = s.issue(Role::Control, t1).unwrap();
        let t2 = t0 + Duration::from_secs(11);
        let new = s.issue(Role::Control, t2).unwrap();
        assert!(!s.check(old.expose(), Role::Control, t2));
        assert!(s.check(live.expose(), Role::Control, t2));
        assert!(s.check(new.expose(), Role::Control, t2));
    }
}
