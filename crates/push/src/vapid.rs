//! The server's VAPID identity (RFC 8292): one P-256 key pair, kept across
//! runs in a file only its owner may read, and the ES256 JWT that
//! authenticates every push request with it.
//!
//! Browsers bind a push subscription to the public key the page passed as
//! `applicationServerKey`; a push service accepts messages for that
//! subscription only when they are signed by the matching private key. A
//! stolen key therefore lets its holder push to every subscription (but not
//! read anything: payloads are encrypted to each browser's own key, see
//! [`crate::encrypt()`]).

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{FieldBytes, SecretKey};

use crate::error::PushError;

/// Lifetime given to a VAPID JWT (RFC 8292 §2 allows at most 24 hours).
pub const JWT_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// A cached JWT is signed again when less than this is left of it.
const JWT_REFRESH_BEFORE: Duration = Duration::from_secs(3600);
/// Audiences (push service origins) whose JWT is cached.
const MAX_CACHED_AUDIENCES: usize = 16;

const FILE_HEADER: &str = "# tmux-mobile Web Push VAPID key (RFC 8292): P-256 private scalar, base64url.\n\
# Push subscriptions of browsers are bound to it. Keep this file private (mode 600).\n";

/// A VAPID key pair and a cache of the JWTs signed with it.
///
/// ```
/// use tmux_mobile_push::VapidKey;
///
/// let key = VapidKey::generate()?;
/// // What the page passes to `pushManager.subscribe` as applicationServerKey:
/// assert_eq!(key.public_key().len(), 87); // 65 bytes, base64url
/// let header = key.authorization("https://push.example.net", "mailto:me@example.org")?;
/// assert!(header.starts_with("vapid t="));
/// # Ok::<(), tmux_mobile_push::PushError>(())
/// ```
pub struct VapidKey {
    signing: SigningKey,
    public_b64: String,
    cache: Mutex<HashMap<String, (String, u64)>>,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public_key", &self.public_b64)
            .finish_non_exhaustive()
    }
}

/// A fresh random P-256 secret key from the operating system's generator.
pub(crate) fn random_secret_key() -> Result<SecretKey, PushError> {
    // A random 256-bit string is a valid scalar except with probability
    // ~2^-32 (zero or ≥ n); draw again in that case.
    for _ in 0..8 {
        let mut bytes = FieldBytes::default();
        getrandom::fill(&mut bytes).map_err(PushError::Random)?;
        if let Ok(key) = SecretKey::from_bytes(&bytes) {
            return Ok(key);
        }
    }
    Err(PushError::Crypto(
        "no valid P-256 scalar from the random generator",
    ))
}

impl VapidKey {
    /// A new random key pair (for `--no-persist`: it lives as long as the
    /// process, so browsers must subscribe again after a restart).
    pub fn generate() -> Result<Self, PushError> {
        Ok(Self::from_secret(random_secret_key()?))
    }

    /// The key pair of a 32-byte private scalar.
    pub fn from_private_bytes(bytes: &[u8]) -> Result<Self, PushError> {
        if bytes.len() != 32 {
            return Err(PushError::Crypto("a P-256 private key is 32 bytes"));
        }
        let key = SecretKey::from_bytes(FieldBytes::from_slice(bytes))
            .map_err(|_| PushError::Crypto("not a valid P-256 private key"))?;
        Ok(Self::from_secret(key))
    }

    fn from_secret(secret: SecretKey) -> Self {
        let public = secret.public_key().to_encoded_point(false);
        VapidKey {
            signing: SigningKey::from(&secret),
            public_b64: Base64UrlUnpadded::encode_string(public.as_bytes()),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The key stored at `path`, or a new one written there first.
    ///
    /// The file is created with mode 0600 (its directory, when missing,
    /// with 0700), written to a temporary name and renamed into place, so
    /// two instances starting together agree on one key. An existing file
    /// that group or others may read is refused rather than used.
    pub fn load_or_create(path: &Path) -> Result<Self, PushError> {
        match Self::load(path) {
            Ok(key) => return Ok(key),
            Err(PushError::KeyFile { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(other) => return Err(other),
        }
        let file_error = |source| PushError::KeyFile {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(file_error)?;
        }
        let secret = random_secret_key()?;
        let encoded = Base64UrlUnpadded::encode_string(&secret.to_bytes());
        let tmp = temp_path(path);
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(format!("{FILE_HEADER}{encoded}\n").as_bytes())?;
            file.sync_all()?;
            // Never replace a key another instance wrote meanwhile.
            fs::hard_link(&tmp, path)
        })();
        let _ = fs::remove_file(&tmp);
        match written {
            Ok(()) => {
                log::info!("generated a VAPID key in {}", path.display());
                Ok(Self::from_secret(secret))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(file_error(e)),
        }
    }

    /// The key stored at `path` (see [`VapidKey::load_or_create`]).
    pub fn load(path: &Path) -> Result<Self, PushError> {
        let file_error = |source| PushError::KeyFile {
            path: path.to_owned(),
            source,
        };
        let meta = fs::metadata(path).map_err(file_error)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(PushError::KeyFileMode {
                path: path.to_owned(),
                mode,
            });
        }
        let text = fs::read_to_string(path).map_err(file_error)?;
        let invalid = || PushError::KeyFileInvalid {
            path: path.to_owned(),
        };
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(invalid)?;
        let mut bytes = [0u8; 32];
        let decoded = Base64UrlUnpadded::decode(line, &mut bytes).map_err(|_| invalid())?;
        Self::from_private_bytes(decoded).map_err(|_| invalid())
    }

    /// The uncompressed public key (65 bytes), base64url without padding:
    /// the page's `applicationServerKey` and the `k=` of every request.
    pub fn public_key(&self) -> &str {
        &self.public_b64
    }

    /// The `Authorization` header value for a push service at `audience`
    /// (its origin, `https://host[:port]`): `vapid t=<JWT>, k=<key>`.
    ///
    /// The JWT (ES256, claims `aud`, `exp` = now + 12 h, `sub`) is cached
    /// per audience and signed again an hour before it expires.
    pub fn authorization(&self, audience: &str, subject: &str) -> Result<String, PushError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| PushError::Crypto("the system clock is before 1970"))?
            .as_secs();
        let jwt = self.jwt_at(audience, subject, now);
        Ok(format!("vapid t={jwt}, k={}", self.public_b64))
    }

    /// The JWT for `audience` at unix time `now` (cached).
    fn jwt_at(&self, audience: &str, subject: &str, now: u64) -> String {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((jwt, exp)) = cache.get(audience) {
            if *exp > now + JWT_REFRESH_BEFORE.as_secs() {
                return jwt.clone();
            }
        }
        let exp = now + JWT_LIFETIME.as_secs();
        let jwt = self.sign_jwt(audience, subject, exp);
        if cache.len() >= MAX_CACHED_AUDIENCES {
            cache.clear();
        }
        cache.insert(audience.to_owned(), (jwt.clone(), exp));
        jwt
    }

    /// A signed JWT with these claims (not cached).
    pub(crate) fn sign_jwt(&self, audience: &str, subject: &str, exp: u64) -> String {
        let header = Base64UrlUnpadded::encode_string(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": exp, "sub": subject });
        let claims = Base64UrlUnpadded::encode_string(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{claims}");
        // ES256 (RFC 7518 §3.4): SHA-256, deterministic nonce (RFC 6979),
        // the signature as r || s, 32 bytes each.
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        let signature = Base64UrlUnpadded::encode_string(&signature.to_bytes());
        format!("{signing_input}.{signature}")
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tmux-mobile-push-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn jwt_has_es256_header_claims_and_a_valid_signature() {
        let key = VapidKey::generate().unwrap();
        let jwt = key.sign_jwt(
            "https://push.example.net",
            "mailto:a@example.org",
            1_900_000_000,
        );
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = Base64UrlUnpadded::decode_vec(parts[0]).unwrap();
        assert_eq!(header, br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims: serde_json::Value =
            serde_json::from_slice(&Base64UrlUnpadded::decode_vec(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_900_000_000u64);
        assert_eq!(claims["sub"], "mailto:a@example.org");
        let public = Base64UrlUnpadded::decode_vec(key.public_key()).unwrap();
        let verifying = VerifyingKey::from_sec1_bytes(&public).unwrap();
        let sig = Signature::from_slice(&Base64UrlUnpadded::decode_vec(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(verifying.verify(input.as_bytes(), &sig).is_ok());
        assert!(verifying.verify(b"something else", &sig).is_err());
    }

    #[test]
    fn jwt_is_cached_per_audience_and_renewed_before_expiry() {
        let key = VapidKey::generate().unwrap();
        let a = key.jwt_at("https://a.example", "mailto:x@y", 1_000);
        let a_again = key.jwt_at("https://a.example", "mailto:x@y", 1_000 + 3600);
        assert_eq!(a, a_again);
        let b = key.jwt_at("https://b.example", "mailto:x@y", 1_000);
        assert_ne!(a, b);
        let later = 1_000 + JWT_LIFETIME.as_secs() - JWT_REFRESH_BEFORE.as_secs();
        assert_ne!(a, key.jwt_at("https://a.example", "mailto:x@y", later));
    }

    #[test]
    fn key_file_is_created_0600_in_a_0700_dir_and_reused() {
        let dir = temp_dir("create");
        let path = dir.join("state").join("vapid-key");
        let first = VapidKey::load_or_create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        let second = VapidKey::load_or_create(&path).unwrap();
        assert_eq!(first.public_key(), second.public_key());
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn readable_or_garbled_key_files_are_refused_with_the_fix() {
        let dir = temp_dir("refuse");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vapid-key");
        VapidKey::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = VapidKey::load_or_create(&path).unwrap_err();
        assert!(
            matches!(err, PushError::KeyFileMode { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, "# comment\nnot base64 !!\n").unwrap();
        let err = VapidKey::load(&path).unwrap_err();
        assert!(matches!(err, PushError::KeyFileInvalid { .. }), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
