//! [`PushService`]: the subscriptions of every owner (a browser's session
//! key, say), bounded, and a bounded queue of deliveries worked off by a
//! background task with a few deliveries in flight.
//!
//! The owner type is the embedder's: this crate never learns what a
//! session key is, only that subscriptions belong to one and go when
//! [`PushService::retain_owners`] says it has gone.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};

use crate::deliver::{Client, Message, Outcome, Urgency};
use crate::encrypt::{ReceiverKeys, encrypt};
use crate::endpoint::{Endpoint, EndpointPolicy};
use crate::error::PushError;
use crate::vapid::VapidKey;

/// Limits and headers of a [`PushService`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PushOptions {
    /// The VAPID `sub` claim: a `mailto:` or `https:` contact for the push
    /// service's operator. Default: this project's repository.
    pub subject: String,
    /// How long a push service keeps an undelivered message (`TTL`).
    /// Default 10 minutes: an attention older than that is news no more.
    pub ttl: Duration,
    /// `Urgency` of every message. Default [`Urgency::High`].
    pub urgency: Urgency,
    /// Most subscriptions one owner may hold (a browser has one per
    /// origin; a few allow for re-subscribing). Default 4.
    pub max_per_owner: usize,
    /// Most subscriptions in all. Default 256.
    pub max_total: usize,
    /// Most deliveries waiting; more are dropped (and counted). Default 64.
    pub queue: usize,
    /// Deliveries in flight at once. Default 4.
    pub concurrency: usize,
    /// Timeout of a TCP connect. Default 5 s.
    pub connect_timeout: Duration,
    /// Timeout of a whole delivery (resolve, connect, TLS, answer).
    /// Default 10 s.
    pub request_timeout: Duration,
    /// Which endpoints are accepted. Default: public `https:` only.
    pub endpoint_policy: EndpointPolicy,
}

impl PushOptions {
    /// Sets [`subject`](Self::subject).
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }

    /// Sets [`ttl`](Self::ttl).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets [`urgency`](Self::urgency).
    pub fn with_urgency(mut self, urgency: Urgency) -> Self {
        self.urgency = urgency;
        self
    }

    /// Sets [`max_per_owner`](Self::max_per_owner).
    pub fn with_max_per_owner(mut self, max_per_owner: usize) -> Self {
        self.max_per_owner = max_per_owner;
        self
    }

    /// Sets [`max_total`](Self::max_total).
    pub fn with_max_total(mut self, max_total: usize) -> Self {
        self.max_total = max_total;
        self
    }

    /// Sets [`queue`](Self::queue).
    pub fn with_queue(mut self, queue: usize) -> Self {
        self.queue = queue;
        self
    }

    /// Sets [`concurrency`](Self::concurrency).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn with_connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    pub fn with_request_timeout(mut self, request_timeout: Duration) -> Self {
        self.request_timeout = request_timeout;
        self
    }

    /// Sets [`endpoint_policy`](Self::endpoint_policy).
    pub fn with_endpoint_policy(mut self, endpoint_policy: EndpointPolicy) -> Self {
        self.endpoint_policy = endpoint_policy;
        self
    }
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            subject: "https://github.com/tmux-mobile/tmux-mobile-rs".into(),
            ttl: Duration::from_secs(600),
            urgency: Urgency::High,
            max_per_owner: 4,
            max_total: 256,
            queue: 64,
            concurrency: 4,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            endpoint_policy: EndpointPolicy::public_https_only(),
        }
    }
}

/// One browser's subscription (`PushSubscription.toJSON()`).
#[derive(Clone, Debug)]
pub struct Subscription {
    endpoint: Endpoint,
    keys: ReceiverKeys,
}

impl Subscription {
    /// Checks the three strings of `PushSubscription.toJSON()` against
    /// `policy`.
    pub fn parse(
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        policy: EndpointPolicy,
    ) -> Result<Self, PushError> {
        Ok(Subscription {
            endpoint: Endpoint::parse(endpoint, policy)?,
            keys: ReceiverKeys::from_base64url(p256dh, auth)?,
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

/// Counters of a [`PushService`] (since it started).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushStats {
    /// Messages the push service accepted.
    pub accepted: u64,
    /// Subscriptions dropped because the push service said they are gone.
    pub gone: u64,
    /// Deliveries that failed (network, timeout, error status).
    pub failed: u64,
    /// Messages dropped because the queue was full.
    pub dropped: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    gone: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

struct Job {
    subscription: Subscription,
    payload: Arc<Vec<u8>>,
    topic: Option<String>,
    queued: Instant,
}

struct Inner<O> {
    vapid: VapidKey,
    options: PushOptions,
    subscriptions: Mutex<HashMap<O, Vec<Subscription>>>,
    counters: Counters,
}

impl<O> Inner<O> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<O, Vec<Subscription>>> {
        self.subscriptions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Subscriptions by owner and their delivery.
///
/// ```no_run
/// use tmux_mobile_push::{PushOptions, PushService, Subscription, VapidKey};
///
/// # async fn demo() -> Result<(), tmux_mobile_push::PushError> {
/// let push: PushService<String> = PushService::start(VapidKey::generate()?, PushOptions::default())?;
/// let options = PushOptions::default();
/// let sub = Subscription::parse(
///     "https://fcm.googleapis.com/fcm/send/…",
///     "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
///     "BTBZMqHH6r4Tts7J_aSIgg",
///     options.endpoint_policy,
/// )?;
/// push.subscribe("browser-1".to_owned(), sub).await?;
/// push.send(|_owner| Some(br#"{"title":"build finished"}"#.to_vec()), Some("build"));
/// # Ok(()) }
/// ```
pub struct PushService<O> {
    inner: Arc<Inner<O>>,
    queue: mpsc::Sender<Job>,
}

impl<O> Clone for PushService<O> {
    fn clone(&self) -> Self {
        PushService {
            inner: Arc::clone(&self.inner),
            queue: self.queue.clone(),
        }
    }
}

impl<O> std::fmt::Debug for PushService<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushService")
            .field("vapid", &self.inner.vapid)
            .field(
                "subscriptions",
                &self.inner.lock().values().map(Vec::len).sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}

/// Whether a `Topic` header value is valid (RFC 8030 §5.4: at most 32
/// characters of the URL-safe base64 alphabet).
fn valid_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= 32
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<O: Clone + Eq + Hash + Send + Sync + 'static> PushService<O> {
    /// Starts the delivery task (on the current tokio runtime).
    pub fn start(vapid: VapidKey, options: PushOptions) -> Result<Self, PushError> {
        let client = Client::new(options.connect_timeout, options.request_timeout)?;
        let (queue, jobs) = mpsc::channel(options.queue.max(1));
        let inner = Arc::new(Inner {
            vapid,
            options,
            subscriptions: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        });
        tokio::spawn(run(Arc::clone(&inner), client, jobs));
        Ok(PushService { inner, queue })
    }

    /// The VAPID public key (base64url) for `pushManager.subscribe`.
    pub fn public_key(&self) -> &str {
        self.inner.vapid.public_key()
    }

    /// The options this service runs with.
    pub fn options(&self) -> &PushOptions {
        &self.inner.options
    }

    /// Adds (or, for an endpoint it already has, replaces) a subscription
    /// of `owner`. The endpoint's host is resolved now so that an endpoint
    /// on no public address is refused with a clear error at once (it is
    /// checked again at every delivery).
    pub async fn subscribe(&self, owner: O, subscription: Subscription) -> Result<(), PushError> {
        resolve_check(&subscription.endpoint).await?;
        let options = &self.inner.options;
        let mut subs = self.inner.lock();
        let total: usize = subs.values().map(Vec::len).sum();
        let mine = subs.entry(owner).or_default();
        if let Some(existing) = mine
            .iter_mut()
            .find(|s| s.endpoint.as_str() == subscription.endpoint.as_str())
        {
            *existing = subscription;
            return Ok(());
        }
        if mine.len() >= options.max_per_owner {
            return Err(PushError::TooManySubscriptions {
                limit: options.max_per_owner,
                scope: "per browser",
            });
        }
        if total >= options.max_total {
            return Err(PushError::TooManySubscriptions {
                limit: options.max_total,
                scope: "in all",
            });
        }
        mine.push(subscription);
        Ok(())
    }

    /// Removes `owner`'s subscription with this endpoint URL; whether it
    /// had one.
    pub fn unsubscribe(&self, owner: &O, endpoint: &str) -> bool {
        let mut subs = self.inner.lock();
        let Some(mine) = subs.get_mut(owner) else {
            return false;
        };
        let before = mine.len();
        mine.retain(|s| s.endpoint.as_str() != endpoint);
        let removed = mine.len() != before;
        if mine.is_empty() {
            subs.remove(owner);
        }
        removed
    }

    /// Drops every subscription of owners for which `alive` is false (a
    /// revoked or expired session key); how many subscriptions went.
    pub fn retain_owners(&self, mut alive: impl FnMut(&O) -> bool) -> usize {
        let mut subs = self.inner.lock();
        let mut removed = 0;
        subs.retain(|owner, mine| {
            let keep = alive(owner);
            if !keep {
                removed += mine.len();
            }
            keep
        });
        removed
    }

    /// Number of subscriptions `owner` holds.
    pub fn subscriptions_of(&self, owner: &O) -> usize {
        self.inner.lock().get(owner).map_or(0, Vec::len)
    }

    /// Number of subscriptions in all.
    pub fn subscription_count(&self) -> usize {
        self.inner.lock().values().map(Vec::len).sum()
    }

    /// Queues one message to every subscription: `payload(owner)` gives
    /// the plaintext for that owner's subscriptions (`None`: send them
    /// nothing). `topic` (RFC 8030 §5.4, at most 32 URL-safe base64
    /// characters; invalid ones are left out) lets the push service
    /// replace a message still undelivered. Returns how many deliveries
    /// were queued; the rest, when the queue is full, are dropped and
    /// counted in [`PushStats::dropped`].
    pub fn send(
        &self,
        mut payload: impl FnMut(&O) -> Option<Vec<u8>>,
        topic: Option<&str>,
    ) -> usize {
        let topic = topic.filter(|t| valid_topic(t)).map(str::to_owned);
        let jobs: Vec<Job> = {
            let subs = self.inner.lock();
            let now = Instant::now();
            subs.iter()
                .filter_map(|(owner, mine)| Some((payload(owner)?, mine)))
                .flat_map(|(bytes, mine)| {
                    let bytes = Arc::new(bytes);
                    mine.iter()
                        .map(|s| Job {
                            subscription: s.clone(),
                            payload: Arc::clone(&bytes),
                            topic: topic.clone(),
                            queued: now,
                        })
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let mut queued = 0;
        for job in jobs {
            match self.queue.try_send(job) {
                Ok(()) => queued += 1,
                Err(_) => {
                    self.inner.counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if queued > 0 {
            log::debug!("push: {queued} message(s) queued");
        }
        queued
    }

    /// The counters so far.
    pub fn stats(&self) -> PushStats {
        let c = &self.inner.counters;
        PushStats {
            accepted: c.accepted.load(Ordering::Relaxed),
            gone: c.gone.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
        }
    }
}

/// Resolves the endpoint's host and applies the address rule.
async fn resolve_check(endpoint: &Endpoint) -> Result<(), PushError> {
    use crate::endpoint::{Host, check_addresses};
    let candidates: Vec<std::net::IpAddr> = match endpoint.host() {
        Host::Ip(ip) => vec![*ip],
        Host::Name(name) => tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host((name.as_str(), endpoint.port())),
        )
        .await
        .map_err(|_| PushError::Timeout(Duration::from_secs(5)))?
        .map_err(PushError::Resolve)?
        .map(|a| a.ip())
        .collect(),
    };
    check_addresses(endpoint, candidates).map(|_| ())
}

/// The delivery task: encrypts, signs and posts each queued message, a few
/// at a time; forgets subscriptions the push service calls gone.
async fn run<O: Clone + Eq + Hash + Send + Sync + 'static>(
    inner: Arc<Inner<O>>,
    client: Client,
    mut jobs: mpsc::Receiver<Job>,
) {
    let slots = Arc::new(Semaphore::new(inner.options.concurrency.max(1)));
    while let Some(job) = jobs.recv().await {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let inner = Arc::clone(&inner);
        let client = client.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let origin = job.subscription.endpoint.origin();
            match deliver(&inner, &client, &job).await {
                Ok(Outcome::Accepted) => {
                    inner.counters.accepted.fetch_add(1, Ordering::Relaxed);
                    log::debug!(
                        "push: {origin} accepted a message {:?} after it was queued",
                        job.queued.elapsed()
                    );
                }
                Ok(Outcome::Gone) => {
                    inner.counters.gone.fetch_add(1, Ordering::Relaxed);
                    log::info!("push: {origin} says a subscription is gone; forgetting it");
                    let endpoint = job.subscription.endpoint.as_str();
                    let mut subs = inner.lock();
                    for mine in subs.values_mut() {
                        mine.retain(|s| s.endpoint.as_str() != endpoint);
                    }
                    subs.retain(|_, mine| !mine.is_empty());
                }
                Err(error) => {
                    inner.counters.failed.fetch_add(1, Ordering::Relaxed);
                    log::warn!("push to {origin} failed: {error}");
                }
            }
        });
    }
}

async fn deliver<O>(inner: &Inner<O>, client: &Client, job: &Job) -> Result<Outcome, PushError> {
    let endpoint = &job.subscription.endpoint;
    let body = encrypt(&job.subscription.keys, &job.payload)?;
    let authorization = inner
        .vapid
        .authorization(&endpoint.origin(), &inner.options.subject)?;
    client
        .post(
            endpoint,
            Message {
                body,
                authorization,
                ttl: inner.options.ttl,
                urgency: inner.options.urgency,
                topic: job.topic.as_deref(),
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    fn sub(n: u32) -> Subscription {
        Subscription::parse(
            &format!("http://127.0.0.1:9/push/{n}"),
            KEY,
            AUTH,
            EndpointPolicy::allow_loopback_http_for_tests(),
        )
        .unwrap()
    }

    fn service(per_owner: usize, total: usize) -> PushService<&'static str> {
        let options = PushOptions {
            max_per_owner: per_owner,
            max_total: total,
            endpoint_policy: EndpointPolicy::allow_loopback_http_for_tests(),
            ..PushOptions::default()
        };
        PushService::start(VapidKey::generate().unwrap(), options).unwrap()
    }

    #[tokio::test]
    async fn subscriptions_are_bounded_per_owner_and_in_all() {
        let push = service(2, 3);
        push.subscribe("a", sub(1)).await.unwrap();
        push.subscribe("a", sub(1)).await.unwrap(); // same endpoint: replaced
        push.subscribe("a", sub(2)).await.unwrap();
        assert_eq!(push.subscriptions_of(&"a"), 2);
        let err = push.subscribe("a", sub(3)).await.unwrap_err();
        assert!(err.to_string().contains("2 allowed per browser"), "{err}");
        push.subscribe("b", sub(4)).await.unwrap();
        let err = push.subscribe("c", sub(5)).await.unwrap_err();
        assert!(err.to_string().contains("3 allowed in all"), "{err}");
        assert!(push.unsubscribe(&"a", "http://127.0.0.1:9/push/1"));
        assert!(!push.unsubscribe(&"a", "http://127.0.0.1:9/push/1"));
        push.subscribe("c", sub(5)).await.unwrap();
        assert_eq!(push.subscription_count(), 3);
    }

    #[tokio::test]
    async fn subscriptions_die_with_their_owner() {
        let push = service(4, 16);
        push.subscribe("alive", sub(1)).await.unwrap();
        push.subscribe("revoked", sub(2)).await.unwrap();
        push.subscribe("revoked", sub(3)).await.unwrap();
        assert_eq!(push.retain_owners(|o| *o == "alive"), 2);
        assert_eq!(push.subscriptions_of(&"revoked"), 0);
        assert_eq!(push.subscriptions_of(&"alive"), 1);
        // Nothing is queued for owners the payload function skips.
        assert_eq!(push.send(|o| (*o != "alive").then(Vec::new), None), 0);
    }

    #[test]
    fn topics_follow_rfc_8030() {
        assert!(valid_topic("pane-3"));
        assert!(valid_topic(&"a".repeat(32)));
        assert!(!valid_topic(&"a".repeat(33)));
        assert!(!valid_topic("%3"));
        assert!(!valid_topic(""));
    }
}
