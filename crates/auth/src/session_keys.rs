//! Session keys: what the browser remembers instead of the password.
//!
//! After an `auth` that checked a password, the server hands out a random
//! 128-bit key (base64url, 22 characters). Later `auth` messages may present
//! that key in place of the password. Keys live in this process's memory
//! (and, with `--token-file`, as hashes in that file): a restart without a
//! token file, the key's expiry (default 12 h) or
//! [`crate::Authenticator::revoke_session_key`] invalidates them. A key is
//! bound to the [`Role`] it was issued for, so a read-only login's key
//! cannot open a control session.
//!
//! The store is bounded ([`SessionKeyPolicy::max_keys`], default 1024):
//! issuing a key when it is full first drops expired keys, then the oldest.
//!
//! Lookup is a `HashMap` keyed by the SHA-256 of the 16 decoded bytes (what
//! the token file stores, so the file never holds a usable key). Its hasher
//! is SipHash with per-process random keys, so the bucket a guess lands in —
//! and with it any timing difference — is unrelated to the stored keys.
//!
//! Each key is a remembered [`Device`] the owner can list and revoke. With a
//! token file ([`crate::token_file`]) the devices survive a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use crate::credentials::random_base64url;
use crate::error::AuthError;
use crate::secret::Secret;
use crate::token_file::{StoredDevice, TokenFile, clean_label};
use crate::verify::Role;

/// Random bytes in a device id (64 bits: names a key, guards nothing).
const DEVICE_ID_BYTES: usize = 8;

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
    device: Device,
    /// When the file last recorded `device.last_seen`.
    saved_seen: SystemTime,
}

/// A remembered device: one session key, as the owner sees it in the
/// device list. Never holds the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// A short public name for the key (random, base64url), to revoke it by.
    pub id: String,
    /// What the key opens.
    pub role: Role,
    /// Where it logged in from, as the server described it (e.g. the
    /// browser and system from its `User-Agent`); may be empty.
    pub label: String,
    /// When the password was checked and the key issued.
    pub issued: SystemTime,
    /// The last login with this key (or its issue).
    pub last_seen: SystemTime,
    /// When the key stops working.
    pub expires: SystemTime,
}

#[derive(Default)]
struct Keys {
    /// By the SHA-256 of the decoded key: the token file stores only that.
    by_hash: HashMap<[u8; 32], Entry>,
    next_seq: u64,
}

/// How often a login's "last seen" is written to the token file at most.
const SEEN_WRITE_INTERVAL: Duration = Duration::from_secs(60);

/// The key store, in memory and, with a token file, on disk.
pub(crate) struct SessionKeyStore {
    ttl: Duration,
    max_keys: usize,
    keys: Mutex<Keys>,
    file: Option<Arc<TokenFile>>,
}

fn decode(key: &str) -> Option<[u8; SESSION_KEY_BYTES]> {
    let mut out = [0u8; SESSION_KEY_BYTES];
    let decoded = Base64UrlUnpadded::decode(key, &mut out).ok()?;
    if decoded.len() != SESSION_KEY_BYTES {
        return None;
    }
    Some(out)
}

fn hash(key: &str) -> Option<[u8; 32]> {
    decode(key).map(|bytes| Sha256::digest(bytes).into())
}

impl SessionKeyStore {
    pub(crate) fn new(policy: &SessionKeyPolicy, file: Option<Arc<TokenFile>>) -> Self {
        let store = SessionKeyStore {
            ttl: policy.ttl.min(MAX_SESSION_KEY_TTL),
            max_keys: policy.max_keys.max(1),
            keys: Mutex::new(Keys::default()),
            file,
        };
        if let Some(file) = &store.file {
            let (now, wall) = (Instant::now(), SystemTime::now());
            let mut keys = store.lock();
            for stored in file.devices() {
                let Ok(left) = stored.expires.duration_since(wall) else {
                    continue;
                };
                let seq = keys.next_seq;
                keys.next_seq += 1;
                keys.by_hash.insert(
                    stored.key_hash,
                    Entry {
                        role: stored.role,
                        issued_seq: seq,
                        expires: now
                            .checked_add(left.min(MAX_SESSION_KEY_TTL))
                            .unwrap_or(now),
                        device: Device {
                            id: stored.id.clone(),
                            role: stored.role,
                            label: stored.label.clone(),
                            issued: stored.issued,
                            last_seen: stored.last_seen,
                            expires: stored.expires,
                        },
                        saved_seen: stored.last_seen,
                    },
                );
            }
            drop(keys);
            log::info!(
                "token file {}: {} remembered device(s)",
                file.path().display(),
                store.len()
            );
        }
        store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        // Nothing panics while the lock is held; recover the data anyway.
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the live keys to the token file, if there is one. A failure
    /// is logged (the keys still work until the restart).
    fn save(&self, keys: &Keys) {
        let Some(file) = &self.file else {
            return;
        };
        let devices: Vec<StoredDevice> = keys
            .by_hash
            .iter()
            .map(|(hash, e)| StoredDevice {
                id: e.device.id.clone(),
                role: e.role,
                key_hash: *hash,
                issued: e.device.issued,
                last_seen: e.device.last_seen,
                expires: e.device.expires,
                label: e.device.label.clone(),
            })
            .collect();
        if let Err(error) = file.write(&devices, false) {
            log::warn!("remembered devices not saved: {error}");
        }
    }

    /// Issues a new key for `role`, valid from `now` for the policy's TTL.
    /// Returns the key and its device id.
    pub(crate) fn issue(&self, role: Role, now: Instant) -> Result<(Secret, String), AuthError> {
        let mut bytes = [0u8; SESSION_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
        let key = Secret::new(Base64UrlUnpadded::encode_string(&bytes));
        let id = random_base64url(DEVICE_ID_BYTES)?.expose().to_owned();
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let expires = now.checked_add(self.ttl).unwrap_or(now);
        let wall = SystemTime::now();
        let mut keys = self.lock();
        if keys.by_hash.len() >= self.max_keys {
            keys.by_hash.retain(|_, e| e.expires > now);
        }
        while keys.by_hash.len() >= self.max_keys {
            let oldest = keys
                .by_hash
                .iter()
                .min_by_key(|(_, e)| e.issued_seq)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => {
                    keys.by_hash.remove(&k);
                }
                None => break,
            }
        }
        let issued_seq = keys.next_seq;
        keys.next_seq += 1;
        keys.by_hash.insert(
            hash,
            Entry {
                role,
                issued_seq,
                expires,
                device: Device {
                    id: id.clone(),
                    role,
                    label: String::new(),
                    issued: wall,
                    last_seen: wall,
                    expires: wall + self.ttl,
                },
                saved_seen: wall,
            },
        );
        self.save(&keys);
        Ok((key, id))
    }

    /// The device id of `key` if it is a live key issued for `role` (and
    /// records the login as its "last seen"). An expired key found here is
    /// removed.
    pub(crate) fn check(&self, key: &str, role: Role, now: Instant) -> Option<String> {
        let hash = hash(key)?;
        let mut keys = self.lock();
        let entry = keys.by_hash.get_mut(&hash)?;
        if entry.expires <= now {
            keys.by_hash.remove(&hash);
            self.save(&keys);
            return None;
        }
        if entry.role != role {
            return None;
        }
        let wall = SystemTime::now();
        entry.device.last_seen = wall;
        let id = entry.device.id.clone();
        let stale = wall
            .duration_since(entry.saved_seen)
            .is_ok_and(|d| d >= SEEN_WRITE_INTERVAL);
        if stale {
            entry.saved_seen = wall;
            self.save(&keys);
        }
        Some(id)
    }

    /// The role `key` was issued for, if it is live. An expired key found
    /// here is removed.
    pub(crate) fn role_of(&self, key: &str, now: Instant) -> Option<Role> {
        let hash = hash(key)?;
        let mut keys = self.lock();
        let entry = keys.by_hash.get(&hash)?;
        if entry.expires <= now {
            keys.by_hash.remove(&hash);
            self.save(&keys);
            return None;
        }
        Some(entry.role)
    }

    /// Forgets `key` (no effect if it is unknown).
    pub(crate) fn revoke(&self, key: &str) {
        if let Some(hash) = hash(key) {
            let mut keys = self.lock();
            if keys.by_hash.remove(&hash).is_some() {
                self.save(&keys);
            }
        }
    }

    /// Forgets the key of device `id`; whether there was one.
    pub(crate) fn revoke_device(&self, id: &str) -> bool {
        let mut keys = self.lock();
        let before = keys.by_hash.len();
        keys.by_hash.retain(|_, e| e.device.id != id);
        let removed = keys.by_hash.len() != before;
        if removed {
            self.save(&keys);
        }
        removed
    }

    /// Sets the label of device `id` (cleaned to one short line).
    pub(crate) fn label_device(&self, id: &str, label: &str) {
        let label = clean_label(label);
        let mut keys = self.lock();
        let Some(entry) = keys.by_hash.values_mut().find(|e| e.device.id == id) else {
            return;
        };
        if entry.device.label != label {
            entry.device.label = label;
            self.save(&keys);
        }
    }

    /// The live devices, the most recently seen first.
    pub(crate) fn devices(&self, now: Instant) -> Vec<Device> {
        let keys = self.lock();
        let mut devices: Vec<Device> = keys
            .by_hash
            .values()
            .filter(|e| e.expires > now)
            .map(|e| e.device.clone())
            .collect();
        devices.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.id.cmp(&b.id)));
        devices
    }

    /// Number of keys held (expired ones included until they are pruned).
    pub(crate) fn len(&self) -> usize {
        self.lock().by_hash.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(ttl_s: u64, max: usize) -> SessionKeyStore {
        SessionKeyStore::new(
            &SessionKeyPolicy {
                ttl: Duration::from_secs(ttl_s),
                max_keys: max,
            },
            None,
        )
    }

    #[test]
    fn issued_key_is_128_bit_base64url_and_checks_for_its_role_only() {
        let s = store(60, 8);
        let t0 = Instant::now();
        let key = s.issue(Role::Control, t0).unwrap().0;
        assert_eq!(key.expose().len(), 22);
        assert!(s.check(key.expose(), Role::Control, t0).is_some());
        assert!(s.check(key.expose(), Role::ReadOnly, t0).is_none());
        let ro = s.issue(Role::ReadOnly, t0).unwrap().0;
        assert!(s.check(ro.expose(), Role::ReadOnly, t0).is_some());
        assert!(s.check(ro.expose(), Role::Control, t0).is_none());
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
            assert!(s.check(bad, Role::Control, t0).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn keys_expire_after_the_ttl() {
        let s = store(60, 8);
        let t0 = Instant::now();
        let key = s.issue(Role::Control, t0).unwrap().0;
        assert!(
            s.check(key.expose(), Role::Control, t0 + Duration::from_secs(59))
                .is_some()
        );
        assert!(
            s.check(key.expose(), Role::Control, t0 + Duration::from_secs(60))
                .is_none()
        );
        assert_eq!(s.len(), 0, "expired key is dropped when seen");
    }

    #[test]
    fn revoked_key_no_longer_checks() {
        let s = store(60, 8);
        let t0 = Instant::now();
        let a = s.issue(Role::Control, t0).unwrap().0;
        let b = s.issue(Role::Control, t0).unwrap().0;
        s.revoke(a.expose());
        s.revoke("not a key");
        assert!(s.check(a.expose(), Role::Control, t0).is_none());
        assert!(s.check(b.expose(), Role::Control, t0).is_some());
        assert_eq!(s.role_of(a.expose(), t0), None);
        assert_eq!(s.role_of(b.expose(), t0), Some(Role::Control));
        assert_eq!(s.role_of(b.expose(), t0 + Duration::from_secs(60)), None);
    }

    #[test]
    fn store_is_bounded_and_evicts_the_oldest() {
        let s = store(60, 3);
        let t0 = Instant::now();
        let keys: Vec<Secret> = (0..5)
            .map(|_| s.issue(Role::Control, t0).unwrap().0)
            .collect();
        assert_eq!(s.len(), 3);
        assert!(s.check(keys[0].expose(), Role::Control, t0).is_none());
        assert!(s.check(keys[1].expose(), Role::Control, t0).is_none());
        for k in &keys[2..] {
            assert!(s.check(k.expose(), Role::Control, t0).is_some());
        }
    }

    #[test]
    fn full_store_drops_expired_keys_before_live_ones() {
        let s = store(10, 2);
        let t0 = Instant::now();
        let old = s.issue(Role::Control, t0).unwrap().0;
        let t1 = t0 + Duration::from_secs(5);
        let live = s.issue(Role::Control, t1).unwrap().0;
        let t2 = t0 + Duration::from_secs(11);
        let new = s.issue(Role::Control, t2).unwrap().0;
        assert!(s.check(old.expose(), Role::Control, t2).is_none());
        assert!(s.check(live.expose(), Role::Control, t2).is_some());
        assert!(s.check(new.expose(), Role::Control, t2).is_some());
    }

    #[test]
    fn devices_are_listed_without_keys_and_revoked_by_id() {
        let s = store(60, 8);
        let t0 = Instant::now();
        let (key, id) = s.issue(Role::ReadOnly, t0).unwrap();
        s.label_device(&id, "Android\u{7} · Chrome");
        let devices = s.devices(t0);
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].id, id);
        assert_eq!(devices[0].role, Role::ReadOnly);
        assert_eq!(devices[0].label, "Android  · Chrome");
        assert!(!format!("{devices:?}").contains(key.expose()));
        assert_eq!(s.check(key.expose(), Role::ReadOnly, t0), Some(id.clone()));
        assert!(!s.revoke_device("no-such-id"));
        assert!(s.revoke_device(&id));
        assert_eq!(s.check(key.expose(), Role::ReadOnly, t0), None);
        assert!(s.devices(t0).is_empty());
    }

    #[test]
    fn a_token_file_keeps_devices_across_a_restart_as_hashes() {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        let dir = std::env::temp_dir().join(format!("tm-keys-{}", u64::from_le_bytes(bytes)));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("token");
        let policy = SessionKeyPolicy::default();
        let t0 = Instant::now();
        let first = SessionKeyStore::new(
            &policy,
            Some(Arc::new(TokenFile::load_or_create(&path, false).unwrap())),
        );
        let (kept, kept_id) = first.issue(Role::Control, t0).unwrap();
        let (gone, gone_id) = first.issue(Role::Control, t0).unwrap();
        first.label_device(&kept_id, "Pixel");
        assert!(first.revoke_device(&gone_id));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(kept.expose()) && !text.contains(gone.expose()));
        drop(first);

        let second = SessionKeyStore::new(
            &policy,
            Some(Arc::new(TokenFile::load_or_create(&path, false).unwrap())),
        );
        let t1 = Instant::now();
        assert_eq!(
            second.check(kept.expose(), Role::Control, t1),
            Some(kept_id.clone())
        );
        assert_eq!(second.check(gone.expose(), Role::Control, t1), None);
        let devices = second.devices(t1);
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].label, "Pixel");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
