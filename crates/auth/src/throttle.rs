//! Throttling of failed authentication attempts.
//!
//! Two limiters work together, both with the same shape of curve
//! ([`Backoff`]): a number of free failures, then a delay that doubles with
//! every further failure up to a cap, and a counter that is forgotten after
//! a quiet period.
//!
//! * **Per source** (default: 5 free failures, then 1 s, 2 s, 4 s … capped
//!   at 60 s; forgotten after 15 quiet minutes). Keyed by the client's IP
//!   address; IPv6 addresses are grouped by their /64 prefix (one
//!   subscriber usually owns a whole /64), IPv4-mapped IPv6 addresses count
//!   as their IPv4 address. A successful login resets the source.
//! * **Global** (default: 20 free failures, then 250 ms doubling to at most
//!   2 s; forgotten after 60 quiet seconds), against any failures spread
//!   over many addresses (wrong tokens included). It only holds back
//!   sources that have failed themselves recently; a source with a clean
//!   record is never delayed by it, so somebody who does not even have the
//!   link cannot shut out the owner by failing from many addresses.
//! * **Password guesses** (default: 10 free wrong passwords, then 1 s
//!   doubling to at most 4 s; forgotten after 2 quiet minutes): a budget of
//!   password checks that *no address can multiply*. Only a wrong password
//!   presented with a right token counts (an attacker who has the link),
//!   and while it is exhausted every password check waits, from whatever
//!   address, fresh or not. So however many addresses (or
//!   `CF-Connecting-IP` values) a guesser has, at most one password per
//!   [`Backoff::max_delay`] (4 s by default: 15 guesses a minute) is
//!   judged once the free ones are spent. The price: while such a guesser
//!   keeps going, an owner signing in on a *new* device shares those rare
//!   checks with them; when the guessing stops the gate is open again
//!   within one delay (≤ [`MAX_GUESS_DELAY`]). An owner holding a session
//!   key is never held back (see [`crate::Authenticator`]), and a person
//!   without the link cannot touch this budget at all.
//!
//! While a limiter holds a source back, attempts from it are refused with
//! [`crate::AuthError::TooManyAttempts`] without their credentials being
//! looked at, and they do not count as failures: waiting out the delay is
//! always enough, there is no lockout an attacker can extend by hammering.
//! (The one exception, a valid session key, is described on
//! [`crate::Authenticator`].)
//!
//! Memory is bounded: at most [`ThrottlePolicy::max_sources`] sources are
//! tracked. When the table is full, forgotten entries are dropped first,
//! then the entry whose delay ends soonest.
//!
//! Behind a reverse proxy or the Cloudflare tunnel every request comes from
//! the loopback address, so all clients share one source. The caller
//! should pass the real client address when it can trust it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The longest per-source delay; longer [`Backoff::max_delay`] values are
/// cut to this, so no configuration can lock a source out for long.
pub const MAX_SOURCE_DELAY: Duration = Duration::from_secs(3600);

/// The longest global delay; longer values are cut to this (see the module
/// docs for why it is short).
pub const MAX_GLOBAL_DELAY: Duration = Duration::from_secs(2);

/// The longest wait the password-guess budget imposes on one check; longer
/// [`ThrottlePolicy::password_guesses`] delays are cut to this, so that an
/// owner typing the right password waits at most this long once guessing
/// has stopped.
pub const MAX_GUESS_DELAY: Duration = Duration::from_secs(10);

/// One escalation curve: `free_failures` failures cost nothing, the next
/// waits `base_delay`, and each further one doubles the wait up to
/// `max_delay`. After `forget_after` without failures (and once any delay
/// has passed) the count starts again from zero.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backoff {
    /// Failures allowed before any delay.
    pub free_failures: u32,
    /// Delay after the first failure beyond the free ones.
    pub base_delay: Duration,
    /// Largest delay.
    pub max_delay: Duration,
    /// Quiet time after which the failures are forgotten.
    pub forget_after: Duration,
}

impl Backoff {
    /// A curve from its four parameters.
    pub fn new(
        free_failures: u32,
        base_delay: Duration,
        max_delay: Duration,
        forget_after: Duration,
    ) -> Self {
        Backoff {
            free_failures,
            base_delay,
            max_delay,
            forget_after,
        }
    }

    /// A curve that never delays.
    pub fn never() -> Self {
        Backoff::new(u32::MAX, Duration::ZERO, Duration::ZERO, Duration::ZERO)
    }

    /// The delay imposed after the `failures`-th failure.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures <= self.free_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures - 1).min(31);
        self.base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay)
    }

    fn capped(mut self, ceiling: Duration) -> Self {
        self.max_delay = self.max_delay.min(ceiling);
        self
    }
}

/// Both throttling curves and the bound on tracked sources.
///
/// ```
/// use std::time::Duration;
/// use tmux_mobile_auth::ThrottlePolicy;
///
/// let mut policy = ThrottlePolicy::default();
/// policy.per_source.max_delay = Duration::from_secs(30);
/// assert_eq!(policy.per_source.delay_after(6), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThrottlePolicy {
    /// Curve per client address (or IPv6 /64).
    pub per_source: Backoff,
    /// Curve over all failures together (capped at [`MAX_GLOBAL_DELAY`]);
    /// holds back only sources that failed recently.
    pub global: Backoff,
    /// Curve over wrong passwords given with a right token, from every
    /// source together (capped at [`MAX_GUESS_DELAY`]); holds back every
    /// password check. See the module docs.
    pub password_guesses: Backoff,
    /// Most sources tracked at once (at least 1).
    pub max_sources: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            per_source: Backoff::new(
                5,
                Duration::from_secs(1),
                Duration::from_secs(60),
                Duration::from_secs(15 * 60),
            ),
            global: Backoff::new(
                20,
                Duration::from_millis(250),
                MAX_GLOBAL_DELAY,
                Duration::from_secs(60),
            ),
            password_guesses: Backoff::new(
                10,
                Duration::from_secs(1),
                Duration::from_secs(4),
                Duration::from_secs(120),
            ),
            max_sources: 4096,
        }
    }
}

impl ThrottlePolicy {
    /// No throttling at all. Meant for tests and benchmarks that fail on
    /// purpose many times; never for a server reachable by others.
    pub fn unlimited() -> Self {
        ThrottlePolicy {
            per_source: Backoff::never(),
            global: Backoff::never(),
            password_guesses: Backoff::never(),
            max_sources: 1,
        }
    }
}

/// Sources are IPv4 addresses or IPv6 /64 prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SourceKey {
    V4(u32),
    V6Prefix(u64),
}

impl From<IpAddr> for SourceKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => SourceKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => SourceKey::V4(u32::from(v4)),
                None => SourceKey::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last_failure: Instant,
    blocked_until: Instant,
}

impl Record {
    fn forgotten(&self, now: Instant, curve: &Backoff) -> bool {
        now >= self.blocked_until
            && now.saturating_duration_since(self.last_failure) >= curve.forget_after
    }

    fn remaining(&self, now: Instant) -> Option<Duration> {
        (now < self.blocked_until).then(|| self.blocked_until - now)
    }

    fn fail(record: Option<Record>, now: Instant, curve: &Backoff) -> Record {
        let failures = match record {
            Some(r) if !r.forgotten(now, curve) => r.failures.saturating_add(1),
            _ => 1,
        };
        let delay = curve.delay_after(failures);
        let blocked_until = now.checked_add(delay).unwrap_or(now);
        // A record that is still blocked keeps its later end.
        let blocked_until = match record {
            Some(r) if r.blocked_until > blocked_until => r.blocked_until,
            _ => blocked_until,
        };
        Record {
            failures,
            last_failure: now,
            blocked_until,
        }
    }
}

/// The limiter state. Not locked itself: [`crate::Authenticator`] holds it
/// under its mutex for the whole of one attempt, so concurrent attempts
/// from one source cannot slip past a delay together.
#[derive(Debug)]
pub(crate) struct Throttle {
    per_source: Backoff,
    global_curve: Backoff,
    guesses_curve: Backoff,
    max_sources: usize,
    sources: HashMap<SourceKey, Record>,
    global: Option<Record>,
    guesses: Option<Record>,
}

impl Throttle {
    pub(crate) fn new(policy: &ThrottlePolicy) -> Self {
        Throttle {
            per_source: policy.per_source.clone().capped(MAX_SOURCE_DELAY),
            global_curve: policy.global.clone().capped(MAX_GLOBAL_DELAY),
            guesses_curve: policy.password_guesses.clone().capped(MAX_GUESS_DELAY),
            max_sources: policy.max_sources.max(1),
            sources: HashMap::new(),
            global: None,
            guesses: None,
        }
    }

    /// How long `source` must still wait, or `None` if its attempt may be
    /// checked now.
    pub(crate) fn wait_for(&self, source: IpAddr, now: Instant) -> Option<Duration> {
        let record = self
            .sources
            .get(&SourceKey::from(source))
            .filter(|r| !r.forgotten(now, &self.per_source));
        let own = record.and_then(|r| r.remaining(now));
        // The global limiter holds back only sources that failed recently.
        let global = match (record, self.global) {
            (Some(_), Some(g)) => g.remaining(now),
            _ => None,
        };
        own.max(global)
    }

    /// Counts a failed attempt from `source`.
    pub(crate) fn record_failure(&mut self, source: IpAddr, now: Instant) {
        let key = SourceKey::from(source);
        if !self.sources.contains_key(&key) && self.sources.len() >= self.max_sources {
            self.make_room(now);
        }
        let previous = self.sources.get(&key).copied();
        let record = Record::fail(previous, now, &self.per_source);
        if record.failures == self.per_source.free_failures.saturating_add(1) {
            log::warn!("auth: too many failed attempts from {source}; delaying its next attempts");
        }
        self.sources.insert(key, record);
        let global = Record::fail(self.global, now, &self.global_curve);
        if global.failures == self.global_curve.free_failures.saturating_add(1) {
            log::warn!("auth: many failed attempts overall; delaying sources that fail");
        }
        self.global = Some(global);
    }

    /// How long every password check must still wait because the
    /// password-guess budget is spent, or `None` if a password may be
    /// compared now.
    pub(crate) fn guess_wait(&self, now: Instant) -> Option<Duration> {
        self.guesses.and_then(|g| g.remaining(now))
    }

    /// Counts a wrong password presented with a right token (on top of
    /// [`Throttle::record_failure`]).
    pub(crate) fn record_wrong_password(&mut self, now: Instant) {
        let guesses = Record::fail(self.guesses, now, &self.guesses_curve);
        if guesses.failures == self.guesses_curve.free_failures.saturating_add(1) {
            log::warn!(
                "auth: many wrong passwords with a valid link; someone else may have the link \
                 (restart tmux-mobile for a new one). Delaying every password check"
            );
        }
        self.guesses = Some(guesses);
    }

    /// Forgets the failures of `source` after a successful login.
    pub(crate) fn record_success(&mut self, source: IpAddr) {
        self.sources.remove(&SourceKey::from(source));
    }

    fn make_room(&mut self, now: Instant) {
        let curve = &self.per_source;
        self.sources.retain(|_, r| !r.forgotten(now, curve));
        while self.sources.len() >= self.max_sources {
            let soonest = self
                .sources
                .iter()
                .min_by_key(|(_, r)| r.blocked_until)
                .map(|(k, _)| *k);
            match soonest {
                Some(k) => {
                    self.sources.remove(&k);
                }
                None => break,
            }
        }
    }

    /// Number of sources currently tracked.
    pub(crate) fn tracked_sources(&self) -> usize {
        self.sources.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, n))
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn curve_is_free_then_doubling_then_capped() {
        let p = ThrottlePolicy::default().per_source;
        let delays: Vec<u64> = (1..=14).map(|n| p.delay_after(n).as_secs()).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(p.delay_after(u32::MAX), secs(60));
        assert_eq!(Backoff::never().delay_after(u32::MAX), Duration::ZERO);
    }

    #[test]
    fn a_source_is_delayed_after_its_free_failures_and_free_again_after_the_delay() {
        let mut t = Throttle::new(&ThrottlePolicy::default());
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(t.wait_for(ip(1), t0), None);
            t.record_failure(ip(1), t0);
        }
        assert_eq!(t.wait_for(ip(1), t0), None);
        t.record_failure(ip(1), t0);
        assert_eq!(t.wait_for(ip(1), t0), Some(secs(1)));
        assert_eq!(t.wait_for(ip(1), t0 + secs(1)), None);
        t.record_failure(ip(1), t0 + secs(1));
        assert_eq!(t.wait_for(ip(1), t0 + secs(1)), Some(secs(2)));
        // Another address is not affected.
        assert_eq!(t.wait_for(ip(2), t0 + secs(1)), None);
    }

    #[test]
    fn success_resets_the_source_and_quiet_time_forgets_it() {
        let mut t = Throttle::new(&ThrottlePolicy::default());
        let t0 = Instant::now();
        for _ in 0..6 {
            t.record_failure(ip(1), t0);
        }
        t.record_success(ip(1));
        assert_eq!(t.wait_for(ip(1), t0), None);
        assert_eq!(t.tracked_sources(), 0);

        for _ in 0..6 {
            t.record_failure(ip(3), t0);
        }
        let later = t0 + secs(15 * 60);
        assert_eq!(t.wait_for(ip(3), later), None);
        t.record_failure(ip(3), later);
        assert_eq!(t.wait_for(ip(3), later), None, "count restarted from zero");
    }

    #[test]
    fn ipv6_sources_are_grouped_by_64_prefix_and_mapped_v4_is_v4() {
        let mut t = Throttle::new(&ThrottlePolicy::default());
        let t0 = Instant::now();
        for i in 0..6u16 {
            let addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i + 1);
            t.record_failure(IpAddr::V6(addr), t0);
        }
        let same_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9));
        let other_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert_eq!(t.wait_for(same_64, t0), Some(secs(1)));
        assert_eq!(t.wait_for(other_64, t0), None);

        for _ in 0..6 {
            t.record_failure(ip(7), t0);
        }
        let mapped = IpAddr::V6(Ipv4Addr::new(203, 0, 113, 7).to_ipv6_mapped());
        assert_eq!(t.wait_for(mapped, t0), Some(secs(1)));
    }

    #[test]
    fn global_limiter_holds_back_failing_sources_only_and_stays_short() {
        let mut t = Throttle::new(&ThrottlePolicy::default());
        let t0 = Instant::now();
        // A distributed attack: 200 addresses, 3 failures each (all free per
        // source), far beyond the global free allowance.
        for round in 0..3 {
            for n in 0..200u32 {
                let src = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
                t.record_failure(src, t0 + Duration::from_millis(round));
            }
        }
        let now = t0 + Duration::from_millis(3);
        let attacker = IpAddr::V4(Ipv4Addr::from(0x0a00_0001));
        let wait = t
            .wait_for(attacker, now)
            .expect("attacker held back globally");
        assert!(wait <= MAX_GLOBAL_DELAY, "{wait:?}");
        // A clean source (the owner) is never held back by the global limiter.
        assert_eq!(t.wait_for(ip(99), now), None);
        // After the (short) global delay the attacker's source may try again.
        assert_eq!(t.wait_for(attacker, now + MAX_GLOBAL_DELAY), None);
    }

    #[test]
    fn configured_delays_are_capped() {
        let policy = ThrottlePolicy {
            per_source: Backoff::new(0, secs(1_000_000), secs(1_000_000), secs(1)),
            global: Backoff::new(0, secs(100), secs(100), secs(1)),
            ..ThrottlePolicy::default()
        };
        let mut t = Throttle::new(&policy);
        let t0 = Instant::now();
        t.record_failure(ip(1), t0);
        assert_eq!(t.wait_for(ip(1), t0), Some(MAX_SOURCE_DELAY));
        assert_eq!(
            t.global.and_then(|g| g.remaining(t0)),
            Some(MAX_GLOBAL_DELAY)
        );
    }

    #[test]
    fn tracked_sources_are_bounded() {
        let policy = ThrottlePolicy {
            max_sources: 16,
            ..ThrottlePolicy::default()
        };
        let mut t = Throttle::new(&policy);
        let t0 = Instant::now();
        for n in 0..1000u32 {
            t.record_failure(IpAddr::V4(Ipv4Addr::from(n)), t0);
            assert!(t.tracked_sources() <= 16);
        }
        // The newest source is tracked.
        for _ in 0..5 {
            t.record_failure(IpAddr::V4(Ipv4Addr::from(999u32)), t0);
        }
        assert!(t.wait_for(IpAddr::V4(Ipv4Addr::from(999u32)), t0).is_some());
    }

    #[test]
    fn unlimited_policy_never_delays() {
        let mut t = Throttle::new(&ThrottlePolicy::unlimited());
        let t0 = Instant::now();
        for _ in 0..10_000 {
            t.record_failure(ip(1), t0);
        }
        assert_eq!(t.wait_for(ip(1), t0), None);
    }
}
