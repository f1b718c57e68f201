//! Web Push: telling a phone whose page is closed that a pane needs its
//! person, and letting a notification's quick reply answer it.
//!
//! The cryptography, the SSRF rule and delivery live in
//! [`tmux_mobile_push`]; this module ties them to the server:
//!
//! - a browser's subscription belongs to its **session key** (the owner).
//!   Before every push the subscriptions of keys that expired or were
//!   revoked are dropped ([`Authenticator::live_session_key_role`]), so a
//!   revoked key is never pushed to again; without a password there are no
//!   session keys, and subscribing is refused;
//! - every new attention ([`crate::AttentionFeed`]) is pushed to the owners
//!   with **no control socket connected** (a phone whose page is open shows
//!   the notification itself), carrying no more terminal text than the
//!   attention's `text` ([`PushPreview::None`]: none);
//! - `POST /api/push/{key,subscribe,unsubscribe,reply}` — JSON bodies that
//!   carry the token and the session key (never in the URL), bounded in
//!   size, `Content-Type: application/json` only (a cross-site page cannot
//!   send one without a CORS preflight, which is never granted), and an
//!   `Origin`, when present, must pass the same [`OriginPolicy`] as the
//!   WebSockets. Failed logins are throttled like any other;
//! - `reply` types one of the quick replies of the prompt that is **still
//!   waiting** in that pane (the same `at`), never text of the caller's
//!   choosing, and only for control keys: a stale notification cannot type
//!   into whatever the pane shows now;
//! - the VAPID key is made on first use (the first browser that asks for
//!   it), in [`WebPushOptions::key_file`] (0600) or in memory.
//!
//! [`OriginPolicy`]: tmux_mobile_auth::OriginPolicy
//! [`Authenticator::live_session_key_role`]: tmux_mobile_auth::Authenticator::live_session_key_role

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tmux_mobile_auth::{Attempt, AuthError, Role};
use tmux_mobile_protocol::{Attention, AttentionReason, ClientId, PaneId};
use tmux_mobile_push::{PushOptions, PushService, Subscription, VapidKey};
use tokio::sync::OnceCell;

use crate::http::Body;
use crate::server::Shared;

/// Largest request body of a push endpoint (a subscription is < 1.5 KiB).
pub const MAX_PUSH_BODY: usize = 8 * 1024;

/// How long a push endpoint waits for a request body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest session name a payload carries (longer ones are cut).
const MAX_SESSION_IN_PAYLOAD: usize = 64;

/// How much terminal text a push payload carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushPreview {
    /// The attention's `text` (the prompt line or notification body, at
    /// most 200 characters) and the session name. The default.
    #[default]
    Text,
    /// No terminal text and no session name: only the reason, the pane
    /// id, the window index and the time.
    None,
}

impl std::str::FromStr for PushPreview {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(PushPreview::Text),
            "none" => Ok(PushPreview::None),
            other => Err(format!("push preview {other:?}: expected `text` or `none`")),
        }
    }
}

/// Web Push settings of a server ([`crate::ServerOptions::web_push`]).
///
/// ```
/// use tmux_mobile_server::{PushPreview, WebPushOptions};
///
/// let mut push = WebPushOptions::default(); // ephemeral key, text preview
/// push.key_file = Some("/home/me/.local/state/tmux-mobile/vapid-key".into());
/// push.preview = "none".parse().unwrap();
/// assert_eq!(push.preview, PushPreview::None);
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct WebPushOptions {
    /// Where the VAPID key is kept (created 0600 on first use); `None`: a
    /// key in memory for this run only (browsers then subscribe again
    /// after a restart). Default `None`.
    pub key_file: Option<PathBuf>,
    /// How much terminal text leaves the machine. Default
    /// [`PushPreview::Text`].
    pub preview: PushPreview,
    /// Limits, timeouts and the endpoint rule of the push crate. Default:
    /// public `https:` endpoints only, 4 subscriptions per session key,
    /// 256 in all.
    pub service: PushOptions,
}

impl WebPushOptions {
    /// Sets [`key_file`](Self::key_file).
    pub fn with_key_file(mut self, key_file: Option<PathBuf>) -> Self {
        self.key_file = key_file;
        self
    }

    /// Sets [`preview`](Self::preview).
    pub fn with_preview(mut self, preview: PushPreview) -> Self {
        self.preview = preview;
        self
    }

    /// Sets [`service`](Self::service).
    pub fn with_service(mut self, service: PushOptions) -> Self {
        self.service = service;
        self
    }
}

/// A session key as the owner of subscriptions; prints as `***`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct KeyOwner(Arc<str>);

impl std::fmt::Debug for KeyOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyOwner(***)")
    }
}

/// The server's push state.
#[derive(Debug)]
pub(crate) struct PushHub {
    options: WebPushOptions,
    service: OnceCell<PushService<KeyOwner>>,
    /// The session key each client last logged in with.
    logins: Mutex<HashMap<ClientId, KeyOwner>>,
    /// Deliveries queued since start (all attentions).
    queued: AtomicU64,
    /// Attentions handled since the first browser asked for the key.
    attentions: AtomicU64,
    /// Whether the attention monitor was last told to watch the session
    /// groups no phone is on ([`update_watch`]).
    watching: AtomicBool,
}

impl PushHub {
    pub(crate) fn new(options: WebPushOptions) -> Self {
        PushHub {
            options,
            service: OnceCell::new(),
            logins: Mutex::new(HashMap::new()),
            queued: AtomicU64::new(0),
            attentions: AtomicU64::new(0),
            watching: AtomicBool::new(false),
        }
    }

    fn logins(&self) -> std::sync::MutexGuard<'_, HashMap<ClientId, KeyOwner>> {
        self.logins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The push service, started (and the VAPID key loaded or made) on
    /// first use.
    async fn service(&self) -> Result<&PushService<KeyOwner>, String> {
        self.service
            .get_or_try_init(|| async {
                let key = match &self.options.key_file {
                    Some(path) => VapidKey::load_or_create(path),
                    None => VapidKey::generate(),
                }
                .map_err(|e| {
                    log::warn!("Web Push unavailable: {e}");
                    e.to_string()
                })?;
                PushService::start(key, self.options.service.clone()).map_err(|e| {
                    log::warn!("Web Push unavailable: {e}");
                    e.to_string()
                })
            })
            .await
    }
}

/// Counters of the server's Web Push (see [`crate::Server::push_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebPushStats {
    /// Subscriptions held now.
    pub subscriptions: usize,
    /// Deliveries queued since the server started.
    pub queued: u64,
    /// Attentions handled (pushed to whom it concerned) since the first
    /// browser asked for the key.
    pub attentions: u64,
    /// What the push crate counted (accepted, gone, failed, dropped).
    pub delivery: tmux_mobile_push::PushStats,
}

/// The counters (zero until the first browser asked for the key).
pub(crate) fn stats(shared: &Shared) -> WebPushStats {
    let Some(hub) = &shared.push else {
        return WebPushStats::default();
    };
    let mut stats = WebPushStats {
        queued: hub.queued.load(Ordering::Relaxed),
        attentions: hub.attentions.load(Ordering::Relaxed),
        ..WebPushStats::default()
    };
    if let Some(service) = hub.service.get() {
        stats.subscriptions = service.subscription_count();
        stats.delivery = service.stats();
    }
    stats
}

/// Records the session key `client`'s control socket logged in with (the
/// one it presented, when live for `role`, or the one just issued).
pub(crate) fn note_login(
    shared: &Shared,
    client: &ClientId,
    role: Role,
    presented: Option<&str>,
    issued: Option<&str>,
) {
    let Some(hub) = &shared.push else { return };
    let auth = &shared.options.authenticator;
    let key = issued.or(presented.filter(|k| auth.live_session_key_role(k) == Some(role)));
    let mut logins = hub.logins();
    logins.retain(|id, _| shared.clients.get(id).is_some());
    match key {
        Some(key) => {
            logins.insert(client.clone(), KeyOwner(Arc::from(key)));
        }
        None => {
            logins.remove(client);
        }
    }
}

/// The session keys with a control socket connected now: their phones
/// show attention themselves.
fn connected_owners(shared: &Shared, hub: &PushHub) -> HashSet<KeyOwner> {
    hub.logins()
        .iter()
        .filter(|(id, _)| {
            shared
                .clients
                .get(id)
                .is_some_and(|client| client.control_connected())
        })
        .map(|(_, owner)| owner.clone())
        .collect()
}

/// How many session keys have a control socket connected now (tests).
#[cfg(feature = "test-support")]
pub(crate) fn connected_owner_count(shared: &Shared) -> usize {
    shared
        .push
        .as_ref()
        .map_or(0, |hub| connected_owners(shared, hub).len())
}

/// How often the subscriptions are checked for keys that expired or were
/// revoked, and for endpoints the push service said are gone, so that the
/// attention monitor stops watching unattended sessions soon after the
/// last one went.
const WATCH_CHECK: Duration = Duration::from_secs(30);

/// Drops the subscriptions of keys that are no longer live, and tells the
/// attention monitor whether to watch the session groups no phone is on:
/// while at least one subscription is held (someone asked to be told while
/// away), yes. See the attention module's *What is not watched*.
pub(crate) fn update_watch(shared: &Shared) {
    let Some(hub) = &shared.push else {
        return;
    };
    let held = hub.service.get().map_or(0, |service| {
        let auth = &shared.options.authenticator;
        let dropped = service.retain_owners(|owner| auth.live_session_key_role(&owner.0).is_some());
        if dropped > 0 {
            log::info!("Web Push: dropped {dropped} subscription(s) of revoked or expired keys");
        }
        service.subscription_count()
    });
    let watch = held > 0;
    if hub.watching.swap(watch, Ordering::Relaxed) != watch {
        log::info!(
            "Web Push: {} the sessions no phone is on",
            if watch {
                "watching"
            } else {
                "no longer watching"
            }
        );
        shared.watch_unattended(watch);
    }
}

/// Pushes every new attention until the feed ends; meanwhile keeps the
/// attention monitor's [`update_watch`] current.
pub(crate) async fn run(shared: Arc<Shared>) {
    let Some(hub) = &shared.push else { return };
    let mut feed = shared.attention.feed().subscribe();
    let mut check = tokio::time::interval(WATCH_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let attention = tokio::select! {
            received = feed.recv() => match received {
                Ok(attention) => attention,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    log::warn!("Web Push missed {missed} attention(s): too many at once");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = check.tick() => {
                update_watch(&shared);
                continue;
            }
        };
        // Nobody asked for the key yet: nobody can be subscribed.
        let Some(service) = hub.service.get() else {
            continue;
        };
        push_attention(&shared, hub, service, &attention);
        hub.attentions.fetch_add(1, Ordering::Relaxed);
        update_watch(&shared);
    }
}

fn push_attention(
    shared: &Shared,
    hub: &PushHub,
    service: &PushService<KeyOwner>,
    attention: &Attention,
) {
    let auth = &shared.options.authenticator;
    let dropped = service.retain_owners(|owner| auth.live_session_key_role(&owner.0).is_some());
    if dropped > 0 {
        log::info!("Web Push: dropped {dropped} subscription(s) of revoked or expired keys");
    }
    let connected = connected_owners(shared, hub);
    let topic = format!("pane-{}", attention.pane_id.number());
    let queued = service.send(
        |owner| {
            if connected.contains(owner) {
                return None;
            }
            let role = auth.live_session_key_role(&owner.0)?;
            Some(payload(
                attention,
                hub.options.preview,
                role == Role::Control,
            ))
        },
        Some(&topic),
    );
    hub.queued.fetch_add(queued as u64, Ordering::Relaxed);
}

/// The JSON a service worker gets for `attention` (see docs/PROTOCOL.md,
/// "Web Push").
fn payload(attention: &Attention, preview: PushPreview, control: bool) -> Vec<u8> {
    let can_answer =
        control && attention.reason == AttentionReason::Prompt && !attention.replies.is_empty();
    let mut body = json!({
        "type": "attention",
        "paneId": attention.pane_id.as_str(),
        "windowIndex": attention.window_index,
        "reason": attention.reason,
        "at": attention.at,
        "canAnswer": can_answer,
    });
    if preview == PushPreview::Text {
        let session: String = attention
            .session
            .chars()
            .take(MAX_SESSION_IN_PAYLOAD)
            .collect();
        body["session"] = json!(session);
        body["text"] = json!(attention.text);
    }
    body.to_string().into_bytes()
}

/// Whether `path` is one of this module's.
pub(crate) fn is_push_path(path: &str) -> bool {
    path.starts_with("/api/push/")
}

/// Answers a request under `/api/push/`.
pub(crate) async fn handle<B: crate::http::RequestBody>(
    req: Request<B>,
    shared: Arc<Shared>,
    peer: SocketAddr,
) -> Response<Body> {
    let Some(hub) = &shared.push else {
        return error(
            StatusCode::NOT_FOUND,
            "Web Push is turned off on this server",
        );
    };
    let path = req.uri().path().to_owned();
    let action = match path.as_str() {
        "/api/push/key" => Action::Key,
        "/api/push/subscribe" => Action::Subscribe,
        "/api/push/unsubscribe" => Action::Unsubscribe,
        "/api/push/reply" => Action::Reply,
        _ => return error(StatusCode::NOT_FOUND, "no such push endpoint"),
    };
    if req.method() != Method::POST {
        let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "use POST");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let request = match read_request(req, &shared, peer).await {
        Ok(request) => request,
        Err(refusal) => return refusal.response(),
    };
    let owner = match authenticate(&shared, &request) {
        Ok(owner) => owner,
        Err(refusal) => return refusal.response(),
    };
    match action {
        Action::Key => key(hub).await,
        Action::Subscribe => {
            let response = subscribe(hub, owner, &request.body).await;
            update_watch(&shared);
            response
        }
        Action::Unsubscribe => {
            let response = unsubscribe(hub, &owner, &request.body);
            update_watch(&shared);
            response
        }
        Action::Reply => reply(&shared, owner, &request.body).await,
    }
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Key,
    Subscribe,
    Unsubscribe,
    Reply,
}

/// Why a request is refused before it is acted on.
struct Refusal {
    status: StatusCode,
    message: String,
    retry_after_secs: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    fn response(self) -> Response<Body> {
        let mut response = error(self.status, &self.message);
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A checked request: its JSON body and where it came from.
struct PushRequest {
    body: Value,
    source: std::net::IpAddr,
}

/// An authenticated caller: its session key and role.
struct Owner {
    key: KeyOwner,
    role: Role,
}

async fn read_request<B: crate::http::RequestBody>(
    req: Request<B>,
    shared: &Shared,
    peer: SocketAddr,
) -> Result<PushRequest, Refusal> {
    let headers = req.headers();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        ));
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    if shared
        .options
        .origin_policy
        .check(origin, host, forwarded_https)
        .is_err()
    {
        log::warn!("refused a push request from {peer}: origin not allowed");
        return Err(Refusal::new(StatusCode::FORBIDDEN, "origin not allowed"));
    }
    let source =
        crate::upgrade::client_address(peer, req.headers(), shared.options.trust_cf_connecting_ip)
            .ip();
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_PUSH_BODY)
    {
        return Err(too_large());
    }
    let body = Limited::new(req.into_body(), MAX_PUSH_BODY);
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, body.collect()).await {
        Err(_) => {
            return Err(Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                "request body too slow",
            ));
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(_)) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "request body unreadable",
            ));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let body: Value = serde_json::from_slice(&bytes)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "the body is not a JSON object"))?;
    Ok(PushRequest { body, source })
}

fn too_large() -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body over {MAX_PUSH_BODY} bytes"),
    )
}

/// The token and session key of the body, checked like a login (and
/// throttled like one).
fn authenticate(shared: &Shared, request: &PushRequest) -> Result<Owner, Refusal> {
    let text = |name: &str| request.body.get(name).and_then(Value::as_str);
    let Some(token) = text("token") else {
        return Err(Refusal::new(StatusCode::UNAUTHORIZED, "auth required"));
    };
    let Some(session_key) = text("sessionKey") else {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "Web Push needs a session key: log in with the password first",
        ));
    };
    let auth = &shared.options.authenticator;
    let attempt = Attempt {
        token,
        password: None,
        session_key: Some(session_key),
    };
    let grant = match auth.verify(&attempt, request.source) {
        Ok(grant) => grant,
        Err(e) => {
            log::warn!(
                "push request from {} refused: {}",
                request.source,
                e.reason()
            );
            let status = match e {
                AuthError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let mut refusal = Refusal::new(status, e.reason());
            refusal.retry_after_secs = e.retry_after_ms().map(|ms| ms.div_ceil(1000));
            return Err(refusal);
        }
    };
    // Without a password the token alone lets in and no key is checked:
    // there is no key for a subscription to belong to.
    if auth.live_session_key_role(session_key) != Some(grant.role) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "Web Push needs a session key, and this server issues none (it asks for no password)",
        ));
    }
    Ok(Owner {
        key: KeyOwner(Arc::from(session_key)),
        role: grant.role,
    })
}

/// `key`: the VAPID public key for `pushManager.subscribe`.
async fn key(hub: &PushHub) -> Response<Body> {
    match hub.service().await {
        Ok(service) => ok(json!({
            "publicKey": service.public_key(),
            "preview": match hub.options.preview {
                PushPreview::Text => "text",
                PushPreview::None => "none",
            },
        })),
        Err(reason) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("Web Push is unavailable: {reason}"),
        ),
    }
}

/// `subscribe`: a `PushSubscription.toJSON()` for the caller's key.
async fn subscribe(hub: &PushHub, owner: Owner, body: &Value) -> Response<Body> {
    let service = match hub.service().await {
        Ok(service) => service,
        Err(reason) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("Web Push is unavailable: {reason}"),
            );
        }
    };
    let sub = &body["subscription"];
    let (Some(endpoint), Some(p256dh), Some(auth)) = (
        sub["endpoint"].as_str(),
        sub["keys"]["p256dh"].as_str(),
        sub["keys"]["auth"].as_str(),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "subscription needs endpoint, keys.p256dh and keys.auth",
        );
    };
    let subscription =
        match Subscription::parse(endpoint, p256dh, auth, service.options().endpoint_policy) {
            Ok(subscription) => subscription,
            Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
        };
    let origin = subscription.endpoint().origin();
    match service.subscribe(owner.key.clone(), subscription).await {
        Ok(()) => {
            log::info!(
                "Web Push: subscribed a browser at {origin}{}",
                if owner.role.is_read_only() {
                    " (read-only)"
                } else {
                    ""
                }
            );
            ok(json!({ "subscriptions": service.subscriptions_of(&owner.key) }))
        }
        Err(e @ tmux_mobile_push::PushError::TooManySubscriptions { .. }) => {
            error(StatusCode::TOO_MANY_REQUESTS, &e.to_string())
        }
        Err(e) => error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

/// `unsubscribe`: forget the caller's subscription with this endpoint.
fn unsubscribe(hub: &PushHub, owner: &Owner, body: &Value) -> Response<Body> {
    let Some(endpoint) = body["endpoint"].as_str() else {
        return error(StatusCode::BAD_REQUEST, "endpoint missing");
    };
    let removed = hub
        .service
        .get()
        .is_some_and(|service| service.unsubscribe(&owner.key, endpoint));
    ok(json!({ "removed": removed }))
}

/// `reply`: type quick reply number `reply` of the prompt still waiting in
/// `paneId` (raised at `at`).
async fn reply(shared: &Shared, owner: Owner, body: &Value) -> Response<Body> {
    if owner.role.is_read_only() {
        return error(StatusCode::FORBIDDEN, "read-only");
    }
    let pane = body["paneId"]
        .as_str()
        .and_then(|p| PaneId::try_from(p).ok());
    let (Some(pane), Some(at), Some(index)) = (
        pane,
        body["at"].as_u64(),
        body["reply"].as_u64().and_then(|i| usize::try_from(i).ok()),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "reply needs paneId (%N), at and reply (a number)",
        );
    };
    let waiting = shared
        .attention
        .feed()
        .live(&pane)
        .filter(|a| a.reason == AttentionReason::Prompt && a.at == at);
    let Some(attention) = waiting else {
        return error(
            StatusCode::CONFLICT,
            "that prompt is no longer waiting (answered, or gone from the screen)",
        );
    };
    let Some(quick) = attention.replies.get(index) else {
        return error(StatusCode::BAD_REQUEST, "no such quick reply");
    };
    if let Err(e) = shared.tmux().send_text(pane.as_str(), &quick.input).await {
        log::warn!("push reply to {pane} failed: {e}");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("could not type into {pane}: {e}"),
        );
    }
    log::info!("Web Push: quick reply {index} typed into {pane}");
    shared.attention.answered(&pane);
    ok(json!({ "typed": true }))
}

fn ok(body: Value) -> Response<Body> {
    json_response(StatusCode::OK, &body)
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &json!({ "error": message }))
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let bytes = Bytes::from(body.to_string());
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attention(reason: AttentionReason) -> Attention {
        let mut a = Attention::new(
            "work",
            2,
            PaneId::from(7),
            reason,
            "Do you want to proceed?",
            1_700_000_000_000,
        );
        if reason == AttentionReason::Prompt {
            a.replies = vec![tmux_mobile_protocol::QuickReply {
                label: "1. Yes".into(),
                input: "1".into(),
            }];
        }
        a
    }

    #[test]
    fn payload_carries_the_text_only_with_the_text_preview() {
        let prompt = attention(AttentionReason::Prompt);
        let text: Value =
            serde_json::from_slice(&payload(&prompt, PushPreview::Text, true)).unwrap();
        assert_eq!(text["text"], "Do you want to proceed?");
        assert_eq!(text["session"], "work");
        assert_eq!(text["paneId"], "%7");
        assert_eq!(text["canAnswer"], true);
        let none: Value =
            serde_json::from_slice(&payload(&prompt, PushPreview::None, true)).unwrap();
        assert!(
            none.get("text").is_none() && none.get("session").is_none(),
            "{none}"
        );
        assert!(!none.to_string().contains("proceed"));
        // Neither the reply labels nor their input ever leave.
        assert!(!text.to_string().contains("Yes"), "{text}");
    }

    #[test]
    fn only_control_keys_and_prompts_with_replies_can_answer() {
        let prompt = attention(AttentionReason::Prompt);
        let viewer: Value =
            serde_json::from_slice(&payload(&prompt, PushPreview::Text, false)).unwrap();
        assert_eq!(viewer["canAnswer"], false);
        let bell = attention(AttentionReason::Bell);
        let bell: Value = serde_json::from_slice(&payload(&bell, PushPreview::Text, true)).unwrap();
        assert_eq!(bell["canAnswer"], false);
    }

    #[test]
    fn preview_parses_text_and_none_only() {
        assert_eq!("text".parse::<PushPreview>(), Ok(PushPreview::Text));
        assert_eq!("none".parse::<PushPreview>(), Ok(PushPreview::None));
        assert!("all".parse::<PushPreview>().is_err());
    }

    #[test]
    fn owners_never_print_their_key() {
        let owner = KeyOwner(Arc::from("secret-session-key"));
        assert_eq!(format!("{owner:?}"), "KeyOwner(***)");
    }
}
