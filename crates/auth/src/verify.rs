//! [`Authenticator`]: checks one `auth` attempt against the credentials,
//! under throttling, and issues session keys.
//!
//! # Order of checks
//!
//! 1. **Throttle.** If the source (or, for a source that failed recently,
//!    the global limiter) is still waiting, the attempt is refused with
//!    [`AuthError::TooManyAttempts`] without its token or password being
//!    compared, and it does not count as a failure. The one exception: an
//!    attempt whose token is right *and* which presents a live session key
//!    for that token's role is let in. A session key is a 128-bit random
//!    value only ever sent to a client that knew the password, so checking
//!    it gives a guesser nothing, and it means an attacker who shares the
//!    owner's source address (a NAT, the tunnel) cannot keep a returning
//!    owner out. A failed exception check looks exactly like any other
//!    throttled attempt and is not counted.
//! 2. **Token.** It is compared, in constant time, with the control token
//!    and the read-only token (both comparisons always run). Neither
//!    matches: [`AuthError::InvalidToken`] (`"invalid token"`).
//! 3. **Password**, when one is required — for the read-only token too, so
//!    the read-only link is exactly as hard to use as the control link. A
//!    live session key issued for the same role stands in for it.
//!    Otherwise, if the password-guess budget is spent (see
//!    [`crate::ThrottlePolicy::password_guesses`]: wrong passwords from all
//!    sources together), the attempt is refused with
//!    [`AuthError::TooManyAttempts`] uncompared and uncounted, whatever its
//!    source; else the password is compared in constant time. Wrong or
//!    missing: [`AuthError::InvalidPassword`] (`"invalid password"`). A
//!    right password issues a fresh session key in [`Grant::session_key`].
//! 4. A failure (2 or 3) is counted against the source and globally, and a
//!    wrong password that was given also against the guess budget; a
//!    success clears the source's failures.
//!
//! The throttle lock is held for the whole attempt, so parallel attempts
//! from one source cannot slip through a delay together. Each attempt is a
//! few microseconds of work.

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use subtle::Choice;

use crate::credentials::Credentials;
use crate::error::AuthError;
use crate::secret::{PaddedSecret, Secret};
use crate::session_keys::{Device, SessionKeyPolicy, SessionKeyStore};
use crate::throttle::{Throttle, ThrottlePolicy};
use crate::token_file::TokenFile;

/// What an authenticated client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Full control: terminal input and every mutation.
    Control,
    /// Watch only: output, state and scrollback; input and mutations are
    /// refused.
    ReadOnly,
}

impl Role {
    /// Whether this is [`Role::ReadOnly`].
    pub fn is_read_only(self) -> bool {
        self == Role::ReadOnly
    }
}

/// A successful authentication.
#[derive(Debug, Clone)]
pub struct Grant {
    /// What the client may do.
    pub role: Role,
    /// A new session key, present when a password was checked (not when a
    /// session key was presented, nor when no password is required). Send
    /// it to the client as `sessionKey`.
    pub session_key: Option<Secret>,
    /// The remembered device this login is: the id of the session key
    /// presented or issued (see [`Authenticator::devices`]); `None` when no
    /// password is required.
    pub device: Option<String>,
}

/// The credentials of one `auth` message. `Debug` prints `***` for each.
#[derive(Clone, Copy, Default)]
pub struct Attempt<'a> {
    /// The URL token (control or read-only).
    pub token: &'a str,
    /// The password, if the client sent one.
    pub password: Option<&'a str>,
    /// A session key from an earlier login, if the client sent one.
    pub session_key: Option<&'a str>,
}

impl fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |o: Option<&str>| o.map(|_| "***");
        f.debug_struct("Attempt")
            .field("token", &"***")
            .field("password", &hidden(self.password))
            .field("session_key", &hidden(self.session_key))
            .finish()
    }
}

/// Checks `auth` attempts. `Send + Sync`; share it in an `Arc`.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use tmux_mobile_auth::{
///     Attempt, AuthError, Authenticator, CredentialOptions, Credentials, PasswordChoice, Role,
///     ThrottlePolicy,
/// };
///
/// let creds = Credentials::generate(CredentialOptions::default().with_password(PasswordChoice::Given("pw".into())))?;
/// let token = creds.token().expose().to_string();
/// let auth = Authenticator::new(creds, ThrottlePolicy::default());
/// let phone = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
///
/// let wrong = Attempt { token: &token, password: Some("nope"), session_key: None };
/// assert_eq!(auth.verify(&wrong, phone).unwrap_err().reason(), "invalid password");
///
/// let right = Attempt { token: &token, password: Some("pw"), session_key: None };
/// let grant = auth.verify(&right, phone)?;
/// assert_eq!(grant.role, Role::Control);
/// let key = grant.session_key.expect("a password was checked");
///
/// // Later: the session key instead of the password.
/// let again = Attempt { token: &token, password: None, session_key: Some(key.expose()) };
/// assert!(auth.verify(&again, phone).is_ok());
/// # Ok::<(), AuthError>(())
/// ```
pub struct Authenticator {
    token: PaddedSecret,
    read_only_token: Option<PaddedSecret>,
    password: Option<PaddedSecret>,
    throttle: Mutex<Throttle>,
    session_keys: SessionKeyStore,
    token_file: Option<Arc<TokenFile>>,
}

impl Authenticator {
    /// An authenticator for `creds`, throttled by `policy`, with the
    /// default [`SessionKeyPolicy`].
    /// With a token file in `creds`, the remembered devices are read from
    /// it and every change is written back.
    pub fn new(creds: Credentials, policy: ThrottlePolicy) -> Self {
        let token_file = creds.token_file.clone();
        Authenticator {
            token: PaddedSecret::new(creds.token()),
            read_only_token: creds.read_only_token().map(PaddedSecret::new),
            password: creds.password().map(PaddedSecret::new),
            throttle: Mutex::new(Throttle::new(&policy)),
            session_keys: SessionKeyStore::new(&SessionKeyPolicy::default(), token_file.clone()),
            token_file,
        }
    }

    /// Replaces the session key lifetime and bound. Call before first use:
    /// keys issued earlier in this run are dropped (those of a token file
    /// are read again).
    pub fn with_session_key_policy(mut self, policy: SessionKeyPolicy) -> Self {
        self.session_keys = SessionKeyStore::new(&policy, self.token_file.clone());
        self
    }

    /// The remembered devices (live session keys), the most recently seen
    /// first. Never includes a key.
    pub fn devices(&self) -> Vec<Device> {
        self.session_keys.devices(Instant::now())
    }

    /// Forgets the session key of device `id`: that device needs the
    /// password again. Whether there was such a device.
    pub fn revoke_device(&self, id: &str) -> bool {
        self.session_keys.revoke_device(id)
    }

    /// Describes device `id` for the device list (e.g. "Android · Chrome");
    /// cut to one line of at most 60 characters.
    pub fn label_device(&self, id: &str, label: &str) {
        self.session_keys.label_device(id, label);
    }

    /// Whether a password (or session key) is needed besides the token.
    pub fn password_required(&self) -> bool {
        self.password.is_some()
    }

    /// Checks `attempt` from `source` now. See the module docs for the
    /// order of checks.
    pub fn verify(&self, attempt: &Attempt<'_>, source: IpAddr) -> Result<Grant, AuthError> {
        self.verify_at(attempt, source, Instant::now())
    }

    /// [`Authenticator::verify`] with the clock given, for tests. `now`
    /// should not go backwards between calls.
    pub fn verify_at(
        &self,
        attempt: &Attempt<'_>,
        source: IpAddr,
        now: Instant,
    ) -> Result<Grant, AuthError> {
        let mut throttle = self.lock_throttle();
        if let Some(retry_after) = throttle.wait_for(source, now) {
            if let Some((role, device)) = self.session_key_role(attempt, now) {
                return Ok(Grant {
                    role,
                    session_key: None,
                    device: Some(device),
                });
            }
            return Err(AuthError::TooManyAttempts { retry_after });
        }
        match self.check(attempt, &mut throttle, now) {
            Ok(grant) => {
                throttle.record_success(source);
                Ok(grant)
            }
            Err(e @ AuthError::InvalidToken) => {
                throttle.record_failure(source, now);
                Err(e)
            }
            Err(e @ AuthError::InvalidPassword) => {
                throttle.record_failure(source, now);
                if attempt.password.is_some() {
                    throttle.record_wrong_password(now);
                }
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Forgets a session key (for example when its client logs out). An
    /// unknown or malformed key is ignored.
    pub fn revoke_session_key(&self, key: &str) {
        self.session_keys.revoke(key);
    }

    /// The role a live session key was issued for; `None` once it has
    /// expired or been revoked (or if it never was one). For what hangs
    /// off a key and must die with it (a browser's Web Push
    /// subscription); it is not a login and is not throttled, so only ask
    /// it about keys an [`Authenticator::verify`] already let in.
    pub fn live_session_key_role(&self, key: &str) -> Option<Role> {
        self.session_keys.role_of(key, Instant::now())
    }

    fn lock_throttle(&self) -> MutexGuard<'_, Throttle> {
        // Nothing panics while the lock is held; recover the data anyway.
        self.throttle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The role of `token`, comparing with both tokens every time.
    fn role_for_token(&self, token: &str) -> Option<Role> {
        let control = self.token.matches(token);
        let read_only = match &self.read_only_token {
            Some(ro) => ro.matches(token),
            None => Choice::from(0),
        };
        if bool::from(control) {
            Some(Role::Control)
        } else if bool::from(read_only) {
            Some(Role::ReadOnly)
        } else {
            None
        }
    }

    /// The role if the token is right and a live session key for that role
    /// is presented.
    fn session_key_role(&self, attempt: &Attempt<'_>, now: Instant) -> Option<(Role, String)> {
        let key = attempt.session_key?;
        self.password.as_ref()?;
        let role = self.role_for_token(attempt.token)?;
        self.session_keys
            .check(key, role, now)
            .map(|device| (role, device))
    }

    fn check(
        &self,
        attempt: &Attempt<'_>,
        throttle: &mut Throttle,
        now: Instant,
    ) -> Result<Grant, AuthError> {
        let role = self
            .role_for_token(attempt.token)
            .ok_or(AuthError::InvalidToken)?;
        let Some(password) = &self.password else {
            return Ok(Grant {
                role,
                session_key: None,
                device: None,
            });
        };
        if let Some(key) = attempt.session_key {
            if let Some(device) = self.session_keys.check(key, role, now) {
                return Ok(Grant {
                    role,
                    session_key: None,
                    device: Some(device),
                });
            }
        }
        if attempt.password.is_some() {
            if let Some(retry_after) = throttle.guess_wait(now) {
                return Err(AuthError::TooManyAttempts { retry_after });
            }
        }
        match attempt.password {
            Some(given) if bool::from(password.matches(given)) => {
                let (key, device) = self.session_keys.issue(role, now)?;
                Ok(Grant {
                    role,
                    session_key: Some(key),
                    device: Some(device),
                })
            }
            _ => Err(AuthError::InvalidPassword),
        }
    }

    #[cfg(test)]
    fn session_key_count(&self) -> usize {
        self.session_keys.len()
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("token", &"***")
            .field("password_required", &self.password_required())
            .field("read_only_link", &self.read_only_token.is_some())
            .field("session_keys", &self.session_keys.len())
            .field("token_file", &self.token_file.as_ref().map(|f| f.path()))
            .field("tracked_sources", &self.lock_throttle().tracked_sources())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{CredentialOptions, PasswordChoice};
    use crate::throttle::{MAX_GLOBAL_DELAY, MAX_GUESS_DELAY};
    use std::net::Ipv4Addr;
    use std::time::Duration;

    const PW: &str = "open sesame";

    struct Fixture {
        auth: Authenticator,
        token: String,
        ro_token: String,
    }

    fn fixture(password: PasswordChoice) -> Fixture {
        let creds = Credentials::generate(
            CredentialOptions::default()
                .with_password(password)
                .with_read_only_link(true),
        )
        .unwrap();
        let token = creds.token().expose().to_string();
        let ro_token = creds.read_only_token().unwrap().expose().to_string();
        Fixture {
            auth: Authenticator::new(creds, ThrottlePolicy::default()),
            token,
            ro_token,
        }
    }

    fn with_pw() -> Fixture {
        fixture(PasswordChoice::Given(PW.into()))
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, n))
    }

    fn att<'a>(token: &'a str, password: Option<&'a str>, key: Option<&'a str>) -> Attempt<'a> {
        Attempt {
            token,
            password,
            session_key: key,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn authenticator_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Authenticator>();
        assert_send_sync::<crate::OriginPolicy>();
        assert_send_sync::<Credentials>();
        assert_send_sync::<Grant>();
        assert_send_sync::<AuthError>();
    }

    #[test]
    fn reasons_follow_the_protocol_order() {
        let f = with_pw();
        let t0 = Instant::now();
        let e = f
            .auth
            .verify_at(&att("wrong", Some(PW), None), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid token");
        let e = f
            .auth
            .verify_at(&att("", None, None), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid token");
        // A token differing only in length must fail too.
        let longer = format!("{}x", f.token);
        let e = f
            .auth
            .verify_at(&att(&longer, Some(PW), None), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid token");
        let e = f
            .auth
            .verify_at(&att(&f.token, Some("nope"), None), ip(2), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid password");
        let e = f
            .auth
            .verify_at(&att(&f.token, None, None), ip(2), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid password");
        let grant = f
            .auth
            .verify_at(&att(&f.token, Some(PW), None), ip(3), t0)
            .unwrap();
        assert_eq!(grant.role, Role::Control);
        assert!(f.auth.password_required());
    }

    #[test]
    fn read_only_token_gives_read_only_and_still_needs_the_password() {
        let f = with_pw();
        let t0 = Instant::now();
        let e = f
            .auth
            .verify_at(&att(&f.ro_token, None, None), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid password");
        let grant = f
            .auth
            .verify_at(&att(&f.ro_token, Some(PW), None), ip(1), t0)
            .unwrap();
        assert_eq!(grant.role, Role::ReadOnly);
        assert!(grant.role.is_read_only());
        assert!(grant.session_key.is_some());
    }

    #[test]
    fn without_a_password_the_token_alone_is_enough() {
        let f = fixture(PasswordChoice::Disabled);
        let t0 = Instant::now();
        assert!(!f.auth.password_required());
        let grant = f
            .auth
            .verify_at(&att(&f.token, None, None), ip(1), t0)
            .unwrap();
        assert_eq!(grant.role, Role::Control);
        assert!(grant.session_key.is_none(), "no password checked, no key");
        let grant = f
            .auth
            .verify_at(&att(&f.ro_token, Some("x"), Some("y")), ip(1), t0)
            .unwrap();
        assert_eq!(grant.role, Role::ReadOnly);
        let e = f
            .auth
            .verify_at(&att("bad", None, None), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid token");
    }

    #[test]
    fn a_login_names_its_device_and_a_revoked_device_needs_the_password() {
        let f = with_pw();
        let t0 = Instant::now();
        let first = f
            .auth
            .verify_at(&att(&f.token, Some(PW), None), ip(1), t0)
            .unwrap();
        let device = first.device.clone().expect("a password login is a device");
        let key = first.session_key.unwrap();
        let again = f
            .auth
            .verify_at(&att(&f.token, None, Some(key.expose())), ip(1), t0)
            .unwrap();
        assert_eq!(again.device.as_deref(), Some(device.as_str()));
        assert_eq!(f.auth.devices().len(), 1);
        assert_eq!(f.auth.devices()[0].id, device);
        assert!(f.auth.revoke_device(&device));
        let e = f
            .auth
            .verify_at(&att(&f.token, None, Some(key.expose())), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid password");
        assert!(f.auth.devices().is_empty());
        let open = fixture(PasswordChoice::Disabled);
        let grant = open
            .auth
            .verify_at(&att(&open.token, None, None), ip(1), t0)
            .unwrap();
        assert!(grant.device.is_none(), "no password, no remembered device");
    }

    #[test]
    fn session_key_stands_in_for_the_password_for_its_role_only() {
        let f = with_pw();
        let t0 = Instant::now();
        let key = f
            .auth
            .verify_at(&att(&f.token, Some(PW), None), ip(1), t0)
            .unwrap()
            .session_key
            .unwrap();
        assert_eq!(key.expose().len(), 22);
        let grant = f
            .auth
            .verify_at(&att(&f.token, None, Some(key.expose())), ip(1), t0)
            .unwrap();
        assert_eq!(grant.role, Role::Control);
        assert!(
            grant.session_key.is_none(),
            "no new key without a password check"
        );
        // The key does not open the read-only role, nor work with a wrong token.
        let e = f
            .auth
            .verify_at(&att(&f.ro_token, None, Some(key.expose())), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid password");
        let e = f
            .auth
            .verify_at(&att("nope", None, Some(key.expose())), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid token");
        // A bad key falls back to the password.
        let grant = f
            .auth
            .verify_at(&att(&f.token, Some(PW), Some("bogus")), ip(1), t0)
            .unwrap();
        assert!(grant.session_key.is_some());
        assert_eq!(f.auth.session_key_count(), 2);
    }

    #[test]
    fn revoked_and_expired_session_keys_stop_working() {
        let creds = Credentials::generate(
            CredentialOptions::default()
                .with_password(PasswordChoice::Given(PW.into()))
                .with_read_only_link(false),
        )
        .unwrap();
        let token = creds.token().expose().to_string();
        let auth = Authenticator::new(creds, ThrottlePolicy::unlimited()).with_session_key_policy(
            SessionKeyPolicy {
                ttl: secs(3600),
                max_keys: 8,
            },
        );
        let t0 = Instant::now();
        let issue = || {
            auth.verify_at(&att(&token, Some(PW), None), ip(1), t0)
                .unwrap()
                .session_key
                .unwrap()
        };
        let (a, b) = (issue(), issue());
        auth.revoke_session_key(a.expose());
        assert_eq!(auth.live_session_key_role(a.expose()), None);
        assert_eq!(auth.live_session_key_role(b.expose()), Some(Role::Control));
        let e = auth
            .verify_at(&att(&token, None, Some(a.expose())), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "invalid password");
        assert!(
            auth.verify_at(&att(&token, None, Some(b.expose())), ip(1), t0 + secs(3599))
                .is_ok()
        );
        let e = auth
            .verify_at(&att(&token, None, Some(b.expose())), ip(1), t0 + secs(3600))
            .unwrap_err();
        assert_eq!(e.reason(), "invalid password");
    }

    #[test]
    fn throttled_attempts_are_refused_unchecked_and_the_right_password_works_after_the_delay() {
        let f = with_pw();
        let t0 = Instant::now();
        let wrong = att(&f.token, Some("guess"), None);
        let right = att(&f.token, Some(PW), None);
        for _ in 0..6 {
            assert_eq!(
                f.auth.verify_at(&wrong, ip(1), t0).unwrap_err().reason(),
                "invalid password"
            );
        }
        // Held back for 1 s: even the right password is not looked at.
        let e = f.auth.verify_at(&right, ip(1), t0).unwrap_err();
        assert_eq!(e.reason(), "too many attempts");
        assert_eq!(e.retry_after_ms(), Some(1000));
        let e = f
            .auth
            .verify_at(
                &att("bad token", None, None),
                ip(1),
                t0 + Duration::from_millis(400),
            )
            .unwrap_err();
        assert_eq!(e.retry_after_ms(), Some(600));
        // Hammering while held back does not extend the delay.
        for ms in 0..1000 {
            let e = f
                .auth
                .verify_at(&wrong, ip(1), t0 + Duration::from_millis(ms))
                .unwrap_err();
            assert_eq!(e.reason(), "too many attempts");
        }
        // Other sources are unaffected.
        assert!(f.auth.verify_at(&right, ip(2), t0).is_ok());
        // Once the delay has passed the right password works and resets the source.
        assert!(f.auth.verify_at(&right, ip(1), t0 + secs(1)).is_ok());
        for _ in 0..5 {
            assert_eq!(
                f.auth
                    .verify_at(&wrong, ip(1), t0 + secs(1))
                    .unwrap_err()
                    .reason(),
                "invalid password"
            );
        }
    }

    #[test]
    fn delays_double_per_failure_up_to_the_cap() {
        let f = with_pw();
        let wrong = att(&f.token, Some("guess"), None);
        let mut now = Instant::now();
        for _ in 0..5 {
            let e = f.auth.verify_at(&wrong, ip(1), now).unwrap_err();
            assert_eq!(e.reason(), "invalid password");
        }
        let mut waits = Vec::new();
        for _ in 0..9 {
            let e = f.auth.verify_at(&wrong, ip(1), now).unwrap_err();
            assert_eq!(e.reason(), "invalid password", "checked after the delay");
            let probe = f.auth.verify_at(&wrong, ip(1), now).unwrap_err();
            let wait = probe.retry_after_ms().expect("held back");
            waits.push(wait / 1000);
            now += Duration::from_millis(wait);
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn a_live_session_key_gets_in_even_while_the_source_is_throttled() {
        let f = with_pw();
        let t0 = Instant::now();
        let key = f
            .auth
            .verify_at(&att(&f.token, Some(PW), None), ip(1), t0)
            .unwrap()
            .session_key
            .unwrap();
        // An attacker behind the same address (NAT, tunnel) fails a lot.
        for _ in 0..10 {
            let _ = f
                .auth
                .verify_at(&att(&f.token, Some("guess"), None), ip(1), t0);
        }
        let e = f
            .auth
            .verify_at(&att(&f.token, Some(PW), None), ip(1), t0)
            .unwrap_err();
        assert_eq!(e.reason(), "too many attempts");
        let grant = f
            .auth
            .verify_at(&att(&f.token, None, Some(key.expose())), ip(1), t0)
            .unwrap();
        assert_eq!(grant.role, Role::Control);
        // While throttled, a wrong key (or a right key with a wrong token) is
        // just "too many attempts", like any other attempt.
        for bad in [
            att(&f.token, None, Some("AAAAAAAAAAAAAAAAAAAAAA")),
            att("x", None, Some(key.expose())),
            att(&f.ro_token, None, Some(key.expose())),
        ] {
            assert_eq!(
                f.auth.verify_at(&bad, ip(1), t0).unwrap_err().reason(),
                "too many attempts"
            );
        }
    }

    #[test]
    fn wrong_tokens_from_many_addresses_cannot_lock_the_owner_out() {
        let f = with_pw();
        let t0 = Instant::now();
        let wrong_token = att("not-the-token", Some("guess"), None);
        let right = att(&f.token, Some(PW), None);
        // 500 addresses, 4 failures each: every one within its free allowance,
        // 2000 failures in total, none of them with the link.
        let mut now = t0;
        for round in 0..4 {
            for n in 0..500u32 {
                now = t0 + Duration::from_millis(round * 500 + u64::from(n));
                let src = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
                let _ = f.auth.verify_at(&wrong_token, src, now);
            }
        }
        // An attacker address that failed is held back by the global limiter,
        // but never for long.
        let e = f
            .auth
            .verify_at(&wrong_token, IpAddr::V4(Ipv4Addr::from(0x0a00_0001)), now)
            .unwrap_err();
        assert_eq!(e.reason(), "too many attempts");
        assert!(e.retry_after_ms().unwrap() <= MAX_GLOBAL_DELAY.as_millis() as u64);
        // The owner, from an address that has not failed, gets straight in:
        // without the link nobody can spend the password-guess budget.
        assert!(f.auth.verify_at(&right, ip(200), now).is_ok());
        // An owner who mistyped once waits at most the global cap.
        let owner = ip(201);
        assert_eq!(
            f.auth
                .verify_at(&att(&f.token, Some("typo"), None), owner, now)
                .unwrap_err()
                .reason(),
            "invalid password"
        );
        let e = f.auth.verify_at(&right, owner, now).unwrap_err();
        let wait = Duration::from_millis(e.retry_after_ms().unwrap());
        assert!(wait <= MAX_GLOBAL_DELAY);
        assert!(f.auth.verify_at(&right, owner, now + wait).is_ok());
    }

    #[test]
    fn password_guesses_from_fresh_addresses_share_one_budget() {
        let f = with_pw();
        let policy = ThrottlePolicy::default().password_guesses;
        let t0 = Instant::now();
        let wrong = att(&f.token, Some("guess"), None);
        let right = att(&f.token, Some(PW), None);
        let key = f
            .auth
            .verify_at(&right, ip(250), t0)
            .unwrap()
            .session_key
            .unwrap();
        // 1000 guesses with the link, each from a fresh address (as with a
        // new `CF-Connecting-IP` value per attempt), 100 per second.
        let mut judged = 0u32;
        let mut now = t0;
        for n in 0..1000u32 {
            now = t0 + Duration::from_millis(u64::from(n) * 10);
            let src = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            match f.auth.verify_at(&wrong, src, now).unwrap_err().reason() {
                "invalid password" => judged += 1,
                "too many attempts" => {}
                other => panic!("unexpected {other}"),
            }
        }
        // 10 s of guessing: the free ones, then at most one per max delay
        // (plus the ramp up to it).
        let ceiling = policy.free_failures + 4 + (10_000 / policy.max_delay.as_millis() as u32);
        assert!(
            judged <= ceiling,
            "{judged} guesses judged in 10 s (ceiling {ceiling})"
        );
        assert!(judged > policy.free_failures, "the gate reopens");
        // Meanwhile the owner's remembered device is never held back...
        assert!(
            f.auth
                .verify_at(&att(&f.token, None, Some(key.expose())), ip(251), now)
                .is_ok()
        );
        // ...a new device from a clean address shares the budget...
        let e = f.auth.verify_at(&right, ip(252), now).unwrap_err();
        assert_eq!(e.reason(), "too many attempts");
        let wait = Duration::from_millis(e.retry_after_ms().unwrap());
        assert!(wait <= MAX_GUESS_DELAY);
        // ...and once the guessing stops it gets in after that one wait.
        assert!(f.auth.verify_at(&right, ip(252), now + wait).is_ok());
        // A probe without a password spends nothing of the budget.
        let later = now + Duration::from_secs(600);
        for n in 0..100u32 {
            let src = IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + n));
            let e = f.auth.verify_at(&att(&f.token, None, None), src, later);
            assert_eq!(e.unwrap_err().reason(), "invalid password");
        }
        assert!(f.auth.verify_at(&right, ip(253), later).is_ok());
    }

    #[test]
    fn nothing_secret_reaches_debug_or_errors() {
        let f = with_pw();
        let t0 = Instant::now();
        let grant = f
            .auth
            .verify_at(&att(&f.token, Some(PW), None), ip(1), t0)
            .unwrap();
        let key = grant.session_key.clone().unwrap();
        let attempt = att(&f.token, Some(PW), Some(key.expose()));
        let mut texts = vec![
            format!("{:?}", f.auth),
            format!("{grant:?}"),
            format!("{attempt:?}"),
        ];
        let errors = [
            f.auth
                .verify_at(&att(&f.token, Some("wrong pw"), None), ip(2), t0),
            f.auth
                .verify_at(&att("wrong token", Some(PW), None), ip(2), t0),
        ];
        for e in errors {
            let e = e.unwrap_err();
            texts.push(format!("{e:?}"));
            texts.push(e.to_string());
        }
        for text in &texts {
            for secret in [
                f.token.as_str(),
                f.ro_token.as_str(),
                PW,
                key.expose(),
                "wrong pw",
            ] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        assert!(texts[0].contains("password_required: true"));
    }
}
