//! `/ws/control`: authentication, the attach handshake, every mutation, and
//! the `tmux_state` push — one task per socket, so one client's messages are
//! handled strictly in order.
//!
//! Nothing a browser sends reaches tmux unvalidated: messages are decoded by
//! `tmux-mobile-protocol` into typed identifiers, panes are checked to belong
//! to the client's own session group, and commands target the client's own
//! grouped session whatever session name the browser claims.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tmux_mobile_auth::Attempt;
use tmux_mobile_protocol::{
    AuthRequest, ClientMessage, MANAGED_SESSION_PREFIX, PROTOCOL_VERSION, PaneId, ProtocolError,
    ScrollbackLines, ServerMessage, SessionName, SessionSummary, decode_control, encode_server,
};
use tmux_mobile_tmux_control::{Snapshot, TmuxError};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::attention::HubChange;
use crate::clients::{AttachError, Client, ClientEvent};
use crate::server::Shared;
use crate::state::{client_state, same_state, user_message};
use crate::upgrade::Socket;

/// Close code sent to a control socket replaced by a newer one of the same
/// client (as the original server did).
const CLOSE_REPLACED: u16 = 4000;

/// How often an authenticated control socket is pinged. Browsers answer
/// pings by themselves; a phone that vanished without closing its TCP
/// connection is noticed this way, so its resume grace period starts.
const PING_INTERVAL: Duration = Duration::from_secs(30);

/// An authenticated control socket silent (no frame, no pong) this long is
/// considered gone.
const SILENCE_LIMIT: Duration = Duration::from_secs(75);

/// A peer that takes longer than this to accept one message (it stopped
/// reading) is dropped rather than holding its task forever.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Frames read ahead of the one being handled (the reader then waits, and
/// TCP pushes back on the peer).
const READ_AHEAD: usize = 16;

/// One frame from the socket, and whether the reader marked it as a
/// session switch (see [`read_frames`]).
type Frame = (Result<Message, WsError>, bool);

/// Serves one control socket until it closes. `deltas`: the socket was
/// opened with the subprotocol that asks for `tmux_state_delta`.
/// `device_label`: the browser, for the remembered-devices list.
pub(crate) async fn run(
    ws: Socket,
    shared: Arc<Shared>,
    peer: SocketAddr,
    deltas: bool,
    device_label: String,
) {
    let snapshots = shared.snapshots.clone();
    let attention = shared.attention.changes();
    let (sink, stream) = ws.split();
    let reader_client = Arc::new(OnceLock::new());
    let (tx, frames) = mpsc::channel(READ_AHEAD);
    let reader = shared
        .tasks
        .spawn(read_frames(stream, tx, Arc::clone(&reader_client)));
    let mut conn = Control {
        ws: sink,
        frames,
        reader_client,
        shared,
        peer,
        bound: None,
        snapshots,
        attention,
        last_state: None,
        delta_base: deltas.then_some(None),
        pushing: false,
        device_label,
        overview: None,
    };
    let end = conn.serve().await;
    reader.abort();
    conn.end_pending_switches();
    conn.finish(end).await;
}

/// Reads frames as they arrive, while earlier ones are still being handled.
///
/// A `select_session`/`new_session` of the bound client is marked here, on
/// arrival: from that moment the client's terminal input waits for the new
/// session's PTY (see `crate::input`), even if the switch itself is only
/// handled after slower messages before it. Each marked frame is ended
/// ([`Client::end_switch`]) once handled, or when the socket closes first.
async fn read_frames(
    mut stream: SplitStream<Socket>,
    tx: mpsc::Sender<Frame>,
    client: Arc<OnceLock<Arc<Client>>>,
) {
    while let Some(frame) = stream.next().await {
        let Ok(permit) = tx.reserve().await else {
            return;
        };
        let failed = frame.is_err();
        let mut switch = false;
        if let (Ok(message), Some(client)) = (&frame, client.get()) {
            let bytes: &[u8] = match message {
                Message::Text(text) => text.as_bytes(),
                Message::Binary(bytes) => bytes,
                _ => &[],
            };
            if !bytes.is_empty()
                && matches!(
                    decode_control(bytes),
                    Ok(ClientMessage::SelectSession { .. } | ClientMessage::NewSession { .. })
                )
            {
                client.begin_switch();
                switch = true;
            }
        }
        permit.send((frame, switch));
        if failed {
            return;
        }
    }
}

/// A control socket's client, once authenticated.
struct Bound {
    client: Arc<Client>,
    generation: u64,
    events: mpsc::Receiver<ClientEvent>,
    read_only: bool,
}

/// Why the socket loop ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The peer closed or the connection broke.
    Gone,
    /// The server is stopping.
    Shutdown,
    /// A newer socket took over the client.
    Replaced,
}

struct Control {
    ws: SplitSink<Socket, Message>,
    /// Frames from [`read_frames`]; closed at the end of the stream.
    frames: mpsc::Receiver<Frame>,
    /// The bound client, for [`read_frames`].
    reader_client: Arc<OnceLock<Arc<Client>>>,
    shared: Arc<Shared>,
    peer: SocketAddr,
    bound: Option<Bound>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    /// New and cleared attention (see `crate::attention`).
    attention: tokio::sync::broadcast::Receiver<HubChange>,
    /// The last `tmux_state` sent (minus its timestamp), to send only changes.
    last_state: Option<Vec<tmux_mobile_protocol::SessionState>>,
    /// For a client that asked for deltas: `Some`, holding the last state
    /// sent as JSON (the base of the next delta) once one was sent.
    delta_base: Option<Option<serde_json::Value>>,
    /// Whether the handshake is done and state changes are pushed.
    pushing: bool,
    /// The browser, described for the remembered-devices list.
    device_label: String,
    /// The overview, while this socket has it open.
    overview: Option<crate::overview::Viewer>,
}

impl Control {
    async fn serve(&mut self) -> End {
        let mut shutdown = self.shared.shutdown.clone();
        let idle = self.shared.options.auth_timeout;
        let mut auth_deadline = Instant::now() + idle;
        let mut last_heard = Instant::now();
        let mut ping = tokio::time::interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
        loop {
            let authed = self.bound.is_some();
            tokio::select! {
                _ = ping.tick(), if authed => {
                    if last_heard.elapsed() > SILENCE_LIMIT {
                        log::info!("control socket from {} went silent; dropping it", self.peer);
                        return End::Gone;
                    }
                    let sent = tokio::time::timeout(
                        SEND_TIMEOUT,
                        self.ws.send(Message::Ping(Default::default())),
                    )
                    .await;
                    if !matches!(sent, Ok(Ok(()))) {
                        return End::Gone;
                    }
                }
                () = shutdown.wait() => {
                    self.close(CloseCode::Away, "server shutting down").await;
                    return End::Shutdown;
                }
                () = tokio::time::sleep_until(auth_deadline), if !authed => {
                    log::info!("control socket from {} closed: no auth within {idle:?}", self.peer);
                    self.close(CloseCode::Policy, "authentication timeout").await;
                    return End::Gone;
                }
                frame = self.frames.recv() => {
                    last_heard = Instant::now();
                    let (frame, switch) = match frame {
                        Some((frame, switch)) => (Some(frame), switch),
                        None => (None, false),
                    };
                    let _ended = SwitchEnd(switch.then(|| self.reader_client.get().cloned()).flatten());
                    let bytes = match frame {
                        None => return End::Gone,
                        Some(Err(WsError::Capacity(error))) => {
                            log::info!("control socket from {}: {error}", self.peer);
                            self.close(CloseCode::Size, "message too large").await;
                            return End::Gone;
                        }
                        Some(Err(WsError::Utf8(_))) => {
                            log::info!("control socket from {}: text frame is not UTF-8", self.peer);
                            self.close(CloseCode::Invalid, "text frame is not UTF-8").await;
                            return End::Gone;
                        }
                        Some(Err(error)) => {
                            log::debug!("control socket from {}: {error}", self.peer);
                            return End::Gone;
                        }
                        Some(Ok(Message::Text(text))) => text.into(),
                        Some(Ok(Message::Binary(bytes))) => bytes,
                        Some(Ok(Message::Close(_))) => return End::Gone,
                        Some(Ok(_)) => continue,
                    };
                    if !authed {
                        auth_deadline = Instant::now() + idle;
                    }
                    if !self.on_frame(&bytes).await {
                        return End::Gone;
                    }
                }
                change = self.attention.recv(), if self.pushing => {
                    if !self.on_attention(change).await {
                        return End::Gone;
                    }
                }
                tile = crate::overview::next_tile(&mut self.overview) => {
                    if !self.send(&tile).await {
                        return End::Gone;
                    }
                }
                changed = self.snapshots.changed(), if self.pushing => {
                    if changed.is_err() {
                        self.pushing = false;
                    } else if !self.push_state(false).await {
                        return End::Gone;
                    }
                }
                event = next_event(&mut self.bound) => {
                    match event {
                        ClientEvent::Replaced if self.shared.shutdown.is_set() => {
                            // Shutdown removed the client (closing its queue).
                            self.close(CloseCode::Away, "server shutting down").await;
                            return End::Shutdown;
                        }
                        ClientEvent::Replaced => {
                            self.close(CloseCode::Library(CLOSE_REPLACED), "reconnected").await;
                            return End::Replaced;
                        }
                        ClientEvent::Tell(message) => {
                            if !self.send(&message).await {
                                return End::Gone;
                            }
                        }
                        ClientEvent::PtyExited { epoch } => {
                            if !self.on_pty_exit(epoch).await {
                                return End::Gone;
                            }
                        }
                        ClientEvent::Revoked(closed) => {
                            let code = CloseCode::Library(crate::devices::CLOSE_REVOKED);
                            self.close(code, "device revoked").await;
                            let _ = closed.send(());
                            // Removed and being disposed of: no grace.
                            return End::Replaced;
                        }
                    }
                }
            }
        }
    }

    /// After the loop: start the resume grace period (or not).
    async fn finish(&mut self, end: End) {
        let _ = tokio::time::timeout(Duration::from_millis(500), self.ws.flush()).await;
        let Some(bound) = self.bound.take() else {
            log::info!("control socket from {} closed before auth", self.peer);
            return;
        };
        let client = bound.client;
        log::info!("control socket of client {} closed ({end:?})", client.id);
        if end == End::Replaced || !client.unbind_control(bound.generation) {
            return;
        }
        if end == End::Shutdown || self.shared.shutdown.is_set() {
            // Shutdown removes every client itself.
            return;
        }
        crate::server::start_grace(&self.shared, &client, bound.generation);
    }

    /// Handles one frame; `false` if the socket broke while answering.
    async fn on_frame(&mut self, frame: &[u8]) -> bool {
        let message = match decode_control(frame) {
            Ok(message) => message,
            Err(error) => return self.on_bad_frame(frame, error).await,
        };
        let Some(bound) = &self.bound else {
            return match message {
                ClientMessage::Auth(request) => self.authenticate(request).await,
                other => {
                    log::debug!(
                        "control socket from {}: {} before auth",
                        self.peer,
                        other.type_name()
                    );
                    self.send(&auth_error("auth required", None)).await
                }
            };
        };
        log::debug!("client {}: {}", bound.client.id, message.type_name());
        if let ClientMessage::Auth(_) = message {
            return self
                .send_error("already authenticated; open a new socket to log in again")
                .await;
        }
        // Reading, not a mutation: read-only clients too; no state push.
        if let ClientMessage::Overview { open } = message {
            self.overview = open.then(|| self.shared.overview.open());
            return true;
        }
        self.mutate(message).await
    }

    async fn on_bad_frame(&mut self, frame: &[u8], error: ProtocolError) -> bool {
        log::debug!("control socket from {}: bad frame: {error}", self.peer);
        match error {
            ProtocolError::InvalidFormat => self.send_error("invalid message format").await,
            ProtocolError::TooLarge { .. } => self.send_error(&error.to_string()).await,
            _ if self.bound.is_none() => {
                // A well-formed object of some type, but not a valid auth.
                let is_auth = serde_json::from_slice::<serde_json::Value>(frame)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(|t| t == "auth"))
                    .unwrap_or(false);
                let reason = if is_auth {
                    "invalid token"
                } else {
                    "auth required"
                };
                self.send(&auth_error(reason, None)).await
            }
            other => self.send_error(&other.to_string()).await,
        }
    }

    async fn authenticate(&mut self, request: AuthRequest) -> bool {
        let attempt = Attempt {
            token: &request.token,
            password: request.password.as_deref(),
            session_key: request.session_key.as_deref(),
        };
        let grant = match self
            .shared
            .options
            .authenticator
            .verify(&attempt, self.peer.ip())
        {
            Ok(grant) => grant,
            Err(error) => {
                log::warn!(
                    "control auth from {} failed: {}",
                    self.peer.ip(),
                    error.reason()
                );
                return self
                    .send(&auth_error(error.reason(), error.retry_after_ms()))
                    .await;
            }
        };
        let read_only = grant.role.is_read_only();
        let registry = &self.shared.clients;
        let resumable = request
            .client_id
            .as_ref()
            .and_then(|id| registry.get(id))
            .filter(|client| client.is_read_only() == read_only);
        let (client, resumed, generation, events) = match resumable
            .and_then(|client| client.bind_control(read_only).map(|bound| (client, bound)))
        {
            Some((client, (generation, events))) => (client, true, generation, events),
            None => {
                let limits = &self.shared.options.limits;
                let client = match registry.create_within(read_only, self.peer.ip(), limits) {
                    Ok(client) => client,
                    Err(reason) => {
                        log::warn!("control auth from {} refused: {reason}", self.peer.ip());
                        // Said twice: as a message the page shows, and as
                        // the close code and reason.
                        let _ = self.send_error(&reason).await;
                        let code = CloseCode::Library(crate::limits::CLOSE_TOO_MANY);
                        self.close(code, "too many clients").await;
                        return false;
                    }
                };
                let Some((generation, events)) = client.bind_control(read_only) else {
                    return self.send_error("could not register the client").await;
                };
                (client, false, generation, events)
            }
        };
        // Before `auth_ok`: the original client opens its terminal socket
        // (which names no client) as soon as it reads `auth_ok`.
        registry.record_login(&client, self.peer.ip());
        if let (Some(device), Some(_)) = (&grant.device, &grant.session_key) {
            let authenticator = &self.shared.options.authenticator;
            authenticator.label_device(device, &self.device_label);
        }
        client.set_device(grant.device.clone());
        let issued = grant.session_key.as_ref().map(|key| key.expose());
        crate::push::note_login(
            &self.shared,
            &client.id,
            grant.role,
            attempt.session_key,
            issued,
        );
        log::info!(
            "control auth ok from {}: client {} ({}{})",
            self.peer.ip(),
            client.id,
            if resumed { "resumed" } else { "new" },
            if read_only { ", read-only" } else { "" }
        );
        // From now on the reader marks this client's switches on arrival.
        let _ = self.reader_client.set(Arc::clone(&client));
        self.bound = Some(Bound {
            client: Arc::clone(&client),
            generation,
            events,
            read_only,
        });
        let ok = ServerMessage::AuthOk {
            client_id: client.id.clone(),
            requires_password: self.shared.options.authenticator.password_required(),
            read_only,
            protocol_version: PROTOCOL_VERSION,
            session_key: grant.session_key.map(|key| key.expose().into()),
            // A read-only phone cannot type: no snippets for it.
            snippets: if read_only {
                Vec::new()
            } else {
                self.shared.options.snippets.clone()
            },
        };
        if !self.send(&ok).await {
            return false;
        }
        self.handshake(&client, resumed).await
    }

    /// After `auth_ok`: `attached`, `session_picker` or `error`, then
    /// `tmux_state`.
    async fn handshake(&mut self, client: &Arc<Client>, resumed: bool) -> bool {
        let mut preferred = None;
        if resumed {
            let view = client.view.lock().await;
            let alive = view.is_attached()
                && self
                    .shared
                    .tmux()
                    .has_session(&client.managed)
                    .await
                    .unwrap_or(false);
            preferred = view.base.clone();
            drop(view);
            if alive {
                if !self
                    .send(&ServerMessage::Attached {
                        session: client.managed.to_string(),
                    })
                    .await
                {
                    return false;
                }
                let redraw = Arc::clone(client);
                let tmux = self.shared.tmux().clone();
                self.shared
                    .tasks
                    .spawn(async move { redraw.redraw(&tmux).await });
                return self.start_pushing().await;
            }
        }
        if !self.ensure_attached(client, preferred).await {
            // The socket may have closed once the phone's session was
            // made: it stays for the resume grace, so the state watcher
            // (and the attention taps, which ride on it) must still learn
            // of it.
            self.shared.refresh_state().await;
            return false;
        }
        self.start_pushing().await
    }

    async fn start_pushing(&mut self) -> bool {
        self.shared.refresh_state().await;
        self.pushing = true;
        // What this phone has not seen yet (also after a reconnect: the
        // page needs the texts and quick replies again).
        if let Some(bound) = &self.bound {
            let pending = self.shared.attention.join(&bound.client.id);
            for attention in pending {
                if !self
                    .send(&ServerMessage::Attention((*attention).clone()))
                    .await
                {
                    return false;
                }
            }
        }
        self.push_state(true).await
    }

    /// A new or cleared attention somewhere: tell this phone if it is
    /// for it, and push the state (its badges) if it changed.
    async fn on_attention(
        &mut self,
        change: Result<HubChange, tokio::sync::broadcast::error::RecvError>,
    ) -> bool {
        let Some(bound) = &self.bound else {
            return true;
        };
        if let Ok(HubChange::Raised(attention)) = &change {
            if self
                .shared
                .attention
                .is_pending(&bound.client.id, attention)
            {
                let message = ServerMessage::Attention((**attention).clone());
                if !self.send(&message).await {
                    return false;
                }
            }
        }
        self.push_state(false).await
    }

    /// Attaches to the preferred, the only, or a new default session; with
    /// several sessions, offers the picker. A tmux server that exits while
    /// this runs (its last session just closed) is retried: the next
    /// attempt starts a fresh one.
    async fn ensure_attached(
        &mut self,
        client: &Arc<Client>,
        preferred: Option<SessionName>,
    ) -> bool {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let failure = match self.choose_session(preferred.as_ref()).await {
                Ok(Choice::Picker(sessions)) => {
                    return self.send(&ServerMessage::SessionPicker { sessions }).await;
                }
                Ok(Choice::Attach(base)) => {
                    let read_only = self.bound.as_ref().is_some_and(|b| b.read_only);
                    let result = client
                        .attach(
                            self.shared.tmux(),
                            &base,
                            self.shared.options.terminal_queue_bytes,
                            read_only,
                        )
                        .await;
                    match result {
                        Ok(()) => {
                            return self
                                .send(&ServerMessage::Attached {
                                    session: client.managed.to_string(),
                                })
                                .await;
                        }
                        Err(error) => {
                            let retry =
                                matches!(&error, AttachError::Tmux(e) if server_going_away(e));
                            (crate::state::attach_message(&base, &error), retry)
                        }
                    }
                }
                Err(failure) => failure,
            };
            let (message, retry) = failure;
            if retry && attempts < 3 {
                log::debug!(
                    "client {}: tmux went away while attaching; retrying",
                    client.id
                );
                tokio::time::sleep(Duration::from_millis(150)).await;
                continue;
            }
            return self.send_error(&message).await;
        }
    }

    /// Which base session to attach to (creating the default one if there
    /// is none), or the picker. `Err` is the message and whether the
    /// failure was tmux going away (worth retrying).
    async fn choose_session(
        &mut self,
        preferred: Option<&SessionName>,
    ) -> Result<Choice, (String, bool)> {
        let tmux = self.shared.tmux().clone();
        let sessions = tmux.list_sessions().await.map_err(|error| {
            (
                user_message("list the tmux sessions", &error),
                server_going_away(&error),
            )
        })?;
        let bases: Vec<SessionSummary> = sessions
            .iter()
            .filter(|s| !s.managed && !s.name.starts_with(MANAGED_SESSION_PREFIX))
            .map(|s| SessionSummary {
                name: s.name.clone(),
                attached: s.attached > 0,
                windows: s.windows,
            })
            .collect();
        if let Some(preferred) = preferred {
            if bases.iter().any(|s| s.name == preferred.as_str()) {
                return Ok(Choice::Attach(preferred.clone()));
            }
        }
        match bases.len() {
            0 => {
                let default = self.shared.options.default_session.clone();
                if let Err(error) = tmux.new_session(&default).await {
                    // Someone may have created it in the meantime.
                    if !tmux.has_session(&default).await.unwrap_or(false) {
                        return Err((
                            user_message(
                                &format!("create the session {:?}", default.as_str()),
                                &error,
                            ),
                            server_going_away(&error),
                        ));
                    }
                }
                log::info!("created default session {:?}", default.as_str());
                Ok(Choice::Attach(default))
            }
            1 => SessionName::try_from(bases[0].name.as_str())
                .map(Choice::Attach)
                .map_err(|error| {
                    (
                        format!(
                            "the only tmux session has a name tmux-mobile cannot use ({error}); \
                             rename it with `tmux rename-session`"
                        ),
                        false,
                    )
                }),
            _ => Ok(Choice::Picker(bases)),
        }
    }

    /// Attaches the client to `base` and says so.
    async fn attach(&mut self, client: &Arc<Client>, base: &SessionName) -> bool {
        let read_only = self.bound.as_ref().is_some_and(|b| b.read_only);
        let result = client
            .attach(
                self.shared.tmux(),
                base,
                self.shared.options.terminal_queue_bytes,
                read_only,
            )
            .await;
        match result {
            Ok(()) => {
                self.send(&ServerMessage::Attached {
                    session: client.managed.to_string(),
                })
                .await
            }
            Err(error) => {
                log::warn!(
                    "client {}: attach to {:?} failed: {error:?}",
                    client.id,
                    base.as_str()
                );
                self.send_error(&crate::state::attach_message(base, &error))
                    .await
            }
        }
    }

    /// Handles an authenticated message, then pushes a fresh state.
    async fn mutate(&mut self, message: ClientMessage) -> bool {
        let Some(bound) = &self.bound else {
            return true;
        };
        let client = Arc::clone(&bound.client);
        if bound.read_only && !allowed_read_only(&message) {
            log::info!(
                "client {}: {} refused (read-only)",
                client.id,
                message.type_name()
            );
            return self.send_error("read-only").await;
        }
        let outcome = self.apply(&client, message).await;
        let alive = match outcome {
            Ok(alive) => alive,
            Err(text) => self.send_error(&text).await,
        };
        if !alive {
            return false;
        }
        self.shared.refresh_state().await;
        self.push_state(true).await
    }

    /// Runs one mutation. `Err` is the text of the `error` to send; `Ok`
    /// says whether the socket is still usable.
    async fn apply(
        &mut self,
        client: &Arc<Client>,
        message: ClientMessage,
    ) -> Result<bool, String> {
        let tmux = self.shared.tmux().clone();
        let managed = client.managed.clone();
        match message {
            ClientMessage::Auth(_) => Ok(true),
            ClientMessage::ListDevices => {
                let list = crate::devices::list(&self.shared, client.device().as_deref());
                Ok(self.send(&list).await)
            }
            ClientMessage::RevokeDevice { id } => {
                let outcome = crate::devices::revoke(&self.shared, client, &id);
                let list = crate::devices::list(&self.shared, client.device().as_deref());
                if !self.send(&list).await {
                    return Ok(false);
                }
                outcome.map(|()| true)
            }
            ClientMessage::SelectSession { session } => {
                if session.is_managed() {
                    if session == managed && client.view.lock().await.is_attached() {
                        return Ok(self
                            .send(&ServerMessage::Attached {
                                session: managed.to_string(),
                            })
                            .await);
                    }
                    return Err(format!(
                        "{:?} is a session tmux-mobile made for a browser; pick one of your own sessions",
                        session.as_str()
                    ));
                }
                match tmux.has_session(&session).await {
                    Ok(true) => Ok(self.attach(client, &session).await),
                    Ok(false) => Err(format!("there is no session named {:?}", session.as_str())),
                    Err(error) => Err(user_message("find the session", &error)),
                }
            }
            ClientMessage::NewSession { name } => {
                if name.is_managed() {
                    return Err(format!(
                        "session names starting with {MANAGED_SESSION_PREFIX:?} are reserved \
                         for tmux-mobile"
                    ));
                }
                if tmux.has_session(&name).await.unwrap_or(false) {
                    return Err(format!(
                        "a session named {:?} already exists; select it instead",
                        name.as_str()
                    ));
                }
                tmux.new_session(&name).await.map_err(|e| {
                    user_message(&format!("create the session {:?}", name.as_str()), &e)
                })?;
                log::info!("client {} created session {:?}", client.id, name.as_str());
                Ok(self.attach(client, &name).await)
            }
            ClientMessage::NewWindow { .. } => {
                self.require_attached(client).await?;
                tmux.new_window(&managed)
                    .await
                    .map_err(|e| user_message("open a new window", &e))?;
                Ok(true)
            }
            ClientMessage::SelectWindow {
                window_index,
                sticky_zoom,
                ..
            } => {
                self.require_attached(client).await?;
                tmux.select_window(&managed, window_index.get())
                    .await
                    .map_err(|e| user_message(&format!("select window {window_index}"), &e))?;
                if sticky_zoom == Some(true) {
                    self.shared.refresh_state().await;
                    let pane = crate::state::active_pane(&self.snapshots.borrow(), &managed);
                    if let Some(pane) = pane {
                        zoom_unless_zoomed(&tmux, &pane).await?;
                    }
                }
                Ok(true)
            }
            ClientMessage::KillWindow { window_index, .. } => {
                self.require_attached(client).await?;
                tmux.kill_window(&managed, window_index.get())
                    .await
                    .map_err(|e| user_message(&format!("close window {window_index}"), &e))?;
                Ok(true)
            }
            ClientMessage::SelectPane {
                pane_id,
                sticky_zoom,
            } => {
                self.require_own_pane(client, &pane_id).await?;
                tmux.select_pane(&pane_id)
                    .await
                    .map_err(|e| user_message(&format!("select pane {pane_id}"), &e))?;
                if sticky_zoom == Some(true) {
                    zoom_unless_zoomed(&tmux, &pane_id).await?;
                }
                Ok(true)
            }
            ClientMessage::SplitPane {
                pane_id,
                orientation,
                sticky_zoom,
            } => {
                self.require_own_pane(client, &pane_id).await?;
                let orientation = crate::state::split_orientation(orientation);
                let split = if sticky_zoom == Some(true) {
                    tmux.split_pane_zoomed(&pane_id, orientation).await
                } else {
                    tmux.split_pane(&pane_id, orientation).await
                };
                split.map_err(|e| user_message(&format!("split pane {pane_id}"), &e))?;
                Ok(true)
            }
            ClientMessage::ScrollPane { pane_id, lines } => {
                self.require_own_pane(client, &pane_id).await?;
                let position = tmux
                    .scroll_pane(&pane_id, lines)
                    .await
                    .map_err(|e| user_message(&format!("scroll pane {pane_id}"), &e))?;
                Ok(self
                    .send(&ServerMessage::Scrolled {
                        pane_id: pane_id.to_string(),
                        position,
                    })
                    .await)
            }
            ClientMessage::KillPane { pane_id } => {
                self.require_own_pane(client, &pane_id).await?;
                tmux.kill_pane(&pane_id)
                    .await
                    .map_err(|e| user_message(&format!("close pane {pane_id}"), &e))?;
                Ok(true)
            }
            ClientMessage::ZoomPane { pane_id } => {
                self.require_own_pane(client, &pane_id).await?;
                tmux.toggle_zoom(&pane_id)
                    .await
                    .map_err(|e| user_message(&format!("zoom pane {pane_id}"), &e))?;
                Ok(true)
            }
            ClientMessage::CaptureScrollback {
                pane_id,
                lines,
                stream,
            } => {
                self.require_own_pane(client, &pane_id).await?;
                let lines = lines
                    .unwrap_or_else(|| ScrollbackLines::new(self.shared.options.scrollback_lines));
                let capture = tmux
                    .capture_pane_stream(&pane_id, lines.get())
                    .map_err(|e| user_message(&format!("capture pane {pane_id}"), &e))?;
                let stream = stream == Some(true);
                let outcome = crate::scrollback::send(
                    &mut self.ws,
                    capture,
                    &pane_id,
                    lines.get(),
                    stream,
                    SEND_TIMEOUT,
                )
                .await;
                match outcome {
                    crate::scrollback::Outcome::Sent => Ok(true),
                    crate::scrollback::Outcome::Failed(message) => Err(message),
                    crate::scrollback::Outcome::Broken => Ok(false),
                }
            }
            ClientMessage::AckAttention { pane_id } => {
                self.shared.attention.ack(&client.id, &pane_id);
                Ok(true)
            }
            // Handled in `on_frame`.
            ClientMessage::Overview { .. } => Ok(true),
            ClientMessage::SendCompose { text } => {
                if !client.view.lock().await.is_attached() {
                    return Err("no terminal is attached yet; pick a session first".into());
                }
                let mut bytes = text.into_inner().into_bytes();
                bytes.push(b'\r');
                client.write_input(&bytes).await;
                Ok(true)
            }
        }
    }

    async fn require_attached(&mut self, client: &Client) -> Result<(), String> {
        if client.view.lock().await.base.is_some() {
            Ok(())
        } else {
            Err("no session is attached yet; pick a session first".into())
        }
    }

    /// The pane must be in a window of the client's own session group.
    async fn require_own_pane(&mut self, client: &Client, pane: &PaneId) -> Result<(), String> {
        self.require_attached(client).await?;
        if crate::state::has_pane(&self.snapshots.borrow(), &client.managed, pane) {
            return Ok(());
        }
        // The pane may be newer than the last snapshot.
        self.shared.refresh_state().await;
        if crate::state::has_pane(&self.snapshots.borrow(), &client.managed, pane) {
            return Ok(());
        }
        Err(format!(
            "pane {pane} is not in your session; pick a pane from the list"
        ))
    }

    /// The client's PTY exited: its session (or the whole tmux server) may
    /// be gone. Attach again if possible.
    async fn on_pty_exit(&mut self, epoch: u64) -> bool {
        let Some(bound) = &self.bound else {
            return true;
        };
        let client = Arc::clone(&bound.client);
        if !client.is_current_epoch(epoch).await || self.shared.shutdown.is_set() {
            return true;
        }
        if !self
            .send(&ServerMessage::Info {
                message: "tmux client exited".into(),
            })
            .await
        {
            return false;
        }
        let preferred = client.view.lock().await.base.clone();
        if !self.ensure_attached(&client, preferred).await {
            return false;
        }
        self.shared.refresh_state().await;
        self.push_state(true).await
    }

    /// Sends `tmux_state` if it differs from the last one sent (or always,
    /// with `force`).
    async fn push_state(&mut self, force: bool) -> bool {
        let Some(bound) = &self.bound else {
            return true;
        };
        let snapshot = self.snapshots.borrow_and_update().clone();
        let mut state = client_state(&snapshot, &bound.client.managed);
        let hub = &self.shared.attention;
        hub.viewing(
            &bound.client.id,
            crate::state::active_pane(&snapshot, &bound.client.managed),
        );
        hub.annotate(&bound.client.id, &mut state);
        if !force
            && self
                .last_state
                .as_ref()
                .is_some_and(|last| same_state(last, &state.sessions))
        {
            return true;
        }
        self.last_state = Some(state.sessions.clone());
        if let Some(slot) = &mut self.delta_base {
            if let Ok(next) = serde_json::to_value(&state) {
                if let Some(base) = slot.replace(next.clone()) {
                    let delta = tmux_mobile_protocol::state_delta(&base, &next);
                    return self
                        .send(&ServerMessage::TmuxStateDelta {
                            delta: tmux_mobile_protocol::StateDelta(delta),
                        })
                        .await;
                }
            }
        }
        self.send(&ServerMessage::TmuxState { state }).await
    }

    async fn send_error(&mut self, message: &str) -> bool {
        self.send(&ServerMessage::Error {
            message: message.to_owned(),
        })
        .await
    }

    async fn send(&mut self, message: &ServerMessage) -> bool {
        log::trace!(
            "control socket {}: sending {}",
            self.peer,
            message.type_name()
        );
        let frame = Message::Text(encode_server(message).into());
        matches!(
            tokio::time::timeout(SEND_TIMEOUT, self.ws.send(frame)).await,
            Ok(Ok(()))
        )
    }

    async fn close(&mut self, code: CloseCode, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = tokio::time::timeout(
            Duration::from_millis(500),
            self.ws.send(Message::Close(Some(frame))),
        )
        .await;
    }

    /// Ends the switches marked by [`read_frames`] that were never handled.
    fn end_pending_switches(&mut self) {
        self.frames.close();
        while let Ok((_, switch)) = self.frames.try_recv() {
            if let (true, Some(client)) = (switch, self.reader_client.get()) {
                client.end_switch();
            }
        }
    }
}

/// Ends a switch marked by [`read_frames`] when dropped: after its frame was
/// handled, whichever way that went.
struct SwitchEnd(Option<Arc<Client>>);

impl Drop for SwitchEnd {
    fn drop(&mut self) {
        if let Some(client) = &self.0 {
            client.end_switch();
        }
    }
}

/// Whether `error` means the tmux server is exiting or gone (its last
/// session just closed): tmux 3.3a answers `list-panes -a` on a server
/// with no session left with "no current target".
fn server_going_away(error: &TmuxError) -> bool {
    match error {
        TmuxError::NoServer => true,
        TmuxError::Failed { stderr, .. } => stderr.contains("no current target"),
        _ => false,
    }
}

/// What the handshake does next.
enum Choice {
    /// Attach to this base session.
    Attach(SessionName),
    /// Let the person pick among these.
    Picker(Vec<SessionSummary>),
}

/// Waits for the bound client's next event (forever while unbound).
async fn next_event(bound: &mut Option<Bound>) -> ClientEvent {
    match bound {
        Some(bound) => match bound.events.recv().await {
            Some(event) => event,
            // Only a newer socket of the client (or its removal) closes
            // the queue.
            None => ClientEvent::Replaced,
        },
        None => std::future::pending().await,
    }
}

fn auth_error(reason: &str, retry_after_ms: Option<u64>) -> ServerMessage {
    ServerMessage::AuthError {
        reason: reason.to_owned(),
        retry_after_ms,
    }
}

/// What a read-only client may still do: read scrollback, and pick which
/// base session its own grouped session follows (without that, a viewer
/// offered the session picker could never see anything). Everything that
/// changes what others see, or types into a terminal, is refused.
fn allowed_read_only(message: &ClientMessage) -> bool {
    matches!(
        message,
        ClientMessage::SelectSession { .. } | ClientMessage::CaptureScrollback { .. }
    )
}

async fn zoom_unless_zoomed(
    tmux: &tmux_mobile_tmux_control::Tmux,
    pane: &PaneId,
) -> Result<(), String> {
    let zoomed = tmux
        .is_zoomed(pane)
        .await
        .map_err(|e| user_message(&format!("zoom pane {pane}"), &e))?;
    if !zoomed {
        tmux.toggle_zoom(pane)
            .await
            .map_err(|e| user_message(&format!("zoom pane {pane}"), &e))?;
    }
    Ok(())
}
