//! Browser clients that outlive their sockets.
//!
//! A client (one `clientId`) owns a grouped tmux session
//! `tmux-mobile-client-<clientId>`, a PTY running `tmux attach-session` on
//! it, and the fan-out of that PTY's output to its terminal sockets. Its
//! control socket may drop (a phone going to sleep); the client then waits
//! for the resume grace period before its session and PTY are removed, so a
//! reconnecting browser finds its view exactly as it left it.
//!
//! Lock order: [`Client::view`] (async, held across tmux calls) before the
//! short synchronous locks; the synchronous locks are never held across an
//! `.await`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tmux_mobile_protocol::{ClientId, SessionName};
use tmux_mobile_pty_bridge::{Pty, PtyCommand, PtyControl, PtyOptions, WindowSize};
use tmux_mobile_tmux_control::Tmux;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Bytes;

use crate::fanout::{Fanout, Utf8Framer};
use crate::input::{HELD_INPUT_LIMIT, HeldInput, Written};

/// Events queued for one control socket (it takes them as they come; only
/// a socket that stopped reading fills this).
const EVENT_QUEUE: usize = 64;

/// How long a PTY's `tmux attach` gets to exit after `SIGHUP`.
const PTY_KILL_GRACE: Duration = Duration::from_millis(300);

/// How long a switch waits for input typed before it to reach the PTY it
/// was typed into (that PTY may have been started just before, by a
/// previous switch, and not be up yet).
const DELIVER_BEFORE_SWITCH: Duration = Duration::from_secs(5);

/// All clients known to a server, by id.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    clients: Mutex<HashMap<ClientId, Arc<Client>>>,
    /// Counts control logins, to tell which is the newest.
    logins: AtomicU64,
}

impl Registry {
    /// A client with a fresh random id, logged in from `peer` — unless a
    /// limit (see [`crate::Limits`]) is reached: `Err` is the reason. The
    /// count and the creation happen under one lock.
    pub(crate) fn create_within(
        &self,
        read_only: bool,
        peer: IpAddr,
        limits: &crate::Limits,
    ) -> Result<Arc<Client>, String> {
        let mut clients = lock(&self.clients);
        let from_address = clients
            .values()
            .filter(|client| lock(&client.sockets).peer == Some(peer))
            .count();
        let of_credential = clients
            .values()
            .filter(|client| client.is_read_only() == read_only)
            .count();
        crate::limits::check_clients(limits, clients.len(), from_address, of_credential)?;
        let client = insert_new(&mut clients, read_only);
        drop(clients);
        self.record_login(&client, peer);
        Ok(client)
    }

    /// A client with a fresh random id.
    #[cfg(test)]
    pub(crate) fn create(&self, read_only: bool) -> Arc<Client> {
        insert_new(&mut lock(&self.clients), read_only)
    }

    /// The client with this id, if it is still known.
    pub(crate) fn get(&self, id: &ClientId) -> Option<Arc<Client>> {
        lock(&self.clients).get(id).cloned()
    }

    /// Forgets a client (the caller disposes of it).
    pub(crate) fn remove(&self, id: &ClientId) -> Option<Arc<Client>> {
        lock(&self.clients).remove(id)
    }

    /// Forgets every client (shutdown).
    pub(crate) fn drain(&self) -> Vec<Arc<Client>> {
        lock(&self.clients)
            .drain()
            .map(|(_, client)| client)
            .collect()
    }

    /// The clients whose last login was device `id`.
    pub(crate) fn of_device(&self, id: &str) -> Vec<Arc<Client>> {
        lock(&self.clients)
            .values()
            .filter(|client| lock(&client.device).as_deref() == Some(id))
            .cloned()
            .collect()
    }

    /// The devices of the clients whose control socket is connected now.
    pub(crate) fn connected_devices(&self) -> Vec<String> {
        lock(&self.clients)
            .values()
            .filter(|client| client.control_connected())
            .filter_map(|client| lock(&client.device).clone())
            .collect()
    }

    /// Whether a known client's grouped session is called `name`.
    pub(crate) fn owns_session(&self, name: &str) -> bool {
        lock(&self.clients)
            .values()
            .any(|client| client.managed.as_str() == name)
    }

    /// Number of known clients.
    pub(crate) fn len(&self) -> usize {
        lock(&self.clients).len()
    }

    /// Records that `client`'s control socket just authenticated from
    /// `peer`.
    pub(crate) fn record_login(&self, client: &Client, peer: IpAddr) {
        let login = self.logins.fetch_add(1, Ordering::Relaxed) + 1;
        let mut sockets = lock(&client.sockets);
        sockets.peer = Some(peer);
        sockets.login = login;
    }

    /// For a terminal socket that names no client (the original 0.0.8 web
    /// client sends no `clientId`): the client whose control socket logged
    /// in last from `peer` with the same role, is connected now and has no
    /// terminal socket, bound to it; `None` if there is no such client.
    /// Choosing and binding happen under one lock, so two such sockets
    /// never take the same client.
    pub(crate) fn claim_newest_without_terminal(
        &self,
        peer: IpAddr,
        read_only: bool,
    ) -> Option<TerminalClaim> {
        let clients = lock(&self.clients);
        let newest = clients
            .values()
            .filter(|client| client.is_read_only() == read_only && client.control_connected())
            .filter_map(|client| {
                let sockets = lock(&client.sockets);
                (sockets.peer == Some(peer) && sockets.terminals == 0)
                    .then_some((sockets.login, client))
            })
            .max_by_key(|(login, _)| *login)
            .map(|(_, client)| Arc::clone(client))?;
        Some(newest.claim_terminal())
    }
}

/// Something a client's control connection must react to.
#[derive(Debug)]
pub(crate) enum ClientEvent {
    /// Another control socket resumed this client; this one must close.
    Replaced,
    /// A message for the person, from another part of the client (e.g.
    /// its terminal socket refusing read-only input).
    Tell(tmux_mobile_protocol::ServerMessage),
    /// The PTY of attachment `epoch` exited (its session may be gone).
    PtyExited {
        /// Which attachment ended.
        epoch: u64,
    },
    /// The owner revoked this client's device (see `crate::devices`): close
    /// the socket, then answer (or drop) the sender.
    Revoked(tokio::sync::oneshot::Sender<()>),
}

/// One browser client.
#[derive(Debug)]
pub(crate) struct Client {
    /// The client's id (also in its managed session's name).
    pub(crate) id: ClientId,
    /// `tmux-mobile-client-<id>`.
    pub(crate) managed: SessionName,
    read_only: AtomicBool,
    /// Output of the PTY, to the terminal sockets.
    pub(crate) fanout: Fanout,
    /// Which base session is attached, and the PTY. Serialises attach,
    /// switch and teardown.
    pub(crate) view: tokio::sync::Mutex<View>,
    io: Mutex<Io>,
    /// Terminal input, held while the PTY is being replaced.
    input: HeldInput,
    presence: Mutex<Presence>,
    epochs: AtomicU64,
    /// The last control login, and how many terminal sockets are bound.
    sockets: Mutex<Sockets>,
    /// The remembered device (session key id) of the last login, if any.
    device: Mutex<Option<String>>,
}

/// Where a client's control socket logged in from, and its terminal
/// sockets: what binding a terminal socket that names no client needs.
#[derive(Debug, Default)]
struct Sockets {
    /// Address of the last control login (`None` before the first).
    peer: Option<IpAddr>,
    /// Its order among all logins of the server.
    login: u64,
    /// Terminal sockets bound now.
    terminals: usize,
}

/// A terminal socket bound to a client; dropping it unbinds it.
#[derive(Debug)]
pub(crate) struct TerminalClaim {
    client: Arc<Client>,
}

impl TerminalClaim {
    /// The client the socket is bound to.
    pub(crate) fn client(&self) -> &Arc<Client> {
        &self.client
    }
}

impl Drop for TerminalClaim {
    fn drop(&mut self) {
        let mut sockets = lock(&self.client.sockets);
        sockets.terminals = sockets.terminals.saturating_sub(1);
    }
}

/// The attached base session and PTY of a client.
#[derive(Debug, Default)]
pub(crate) struct View {
    /// The session the grouped session follows.
    pub(crate) base: Option<SessionName>,
    attachment: Option<Attachment>,
}

impl View {
    /// Whether a PTY is attached and still running.
    pub(crate) fn is_attached(&self) -> bool {
        self.attachment
            .as_ref()
            .is_some_and(|a| a.control.try_wait().is_none())
    }
}

#[derive(Debug)]
struct Attachment {
    epoch: u64,
    control: PtyControl,
    reader: JoinHandle<()>,
}

/// What terminal sockets need without waiting for an attach in progress.
#[derive(Debug)]
struct Io {
    control: Option<PtyControl>,
    size: WindowSize,
}

#[derive(Debug, Default)]
struct Presence {
    /// Bumped for every control socket that binds to the client.
    generation: u64,
    /// Whether a control socket is bound now.
    connected: bool,
    events: Option<mpsc::Sender<ClientEvent>>,
    /// Set once the client was removed; nothing may bind any more.
    disposed: bool,
}

impl Client {
    fn new(id: ClientId, read_only: bool) -> Self {
        Self {
            managed: SessionName::managed_for(&id),
            id,
            read_only: AtomicBool::new(read_only),
            fanout: Fanout::default(),
            view: tokio::sync::Mutex::new(View::default()),
            io: Mutex::new(Io {
                control: None,
                size: WindowSize::default(),
            }),
            input: HeldInput::default(),
            presence: Mutex::new(Presence::default()),
            epochs: AtomicU64::new(0),
            sockets: Mutex::new(Sockets::default()),
            device: Mutex::new(None),
        }
    }

    /// Binds a terminal socket that named this client (see
    /// [`Registry::claim_newest_without_terminal`] for one that did not).
    pub(crate) fn claim_terminal(self: &Arc<Self>) -> TerminalClaim {
        lock(&self.sockets).terminals += 1;
        TerminalClaim {
            client: Arc::clone(self),
        }
    }

    /// Whether this client may only watch.
    pub(crate) fn is_read_only(&self) -> bool {
        self.read_only.load(Ordering::Relaxed)
    }

    /// Binds a control socket; returns its generation and event receiver,
    /// or `None` if the client was already removed. A previously bound
    /// socket is told it was [`ClientEvent::Replaced`].
    pub(crate) fn bind_control(
        &self,
        read_only: bool,
    ) -> Option<(u64, mpsc::Receiver<ClientEvent>)> {
        let mut presence = lock(&self.presence);
        if presence.disposed {
            return None;
        }
        if let Some(previous) = presence.events.take() {
            // If its queue is full, dropping the sender still tells it:
            // a closed queue means replaced (see `control::next_event`).
            let _ = previous.try_send(ClientEvent::Replaced);
        }
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        presence.generation += 1;
        presence.connected = true;
        presence.events = Some(tx);
        self.read_only.store(read_only, Ordering::Relaxed);
        Some((presence.generation, rx))
    }

    /// Unbinds the control socket of `generation`. Returns `true` if it was
    /// the current one (so the resume grace period starts now).
    pub(crate) fn unbind_control(&self, generation: u64) -> bool {
        let mut presence = lock(&self.presence);
        if presence.generation != generation || !presence.connected {
            return false;
        }
        presence.connected = false;
        presence.events = None;
        true
    }

    /// Whether a control socket is bound now.
    pub(crate) fn control_connected(&self) -> bool {
        let presence = lock(&self.presence);
        presence.connected && !presence.disposed
    }

    /// Whether the control socket of `generation` is still unbound with no
    /// newer one (the grace period may end the client).
    pub(crate) fn abandoned_since(&self, generation: u64) -> bool {
        let presence = lock(&self.presence);
        presence.generation == generation && !presence.connected && !presence.disposed
    }

    /// Records which remembered device the last login was.
    pub(crate) fn set_device(&self, device: Option<String>) {
        *lock(&self.device) = device;
    }

    /// The remembered device of the last login.
    pub(crate) fn device(&self) -> Option<String> {
        lock(&self.device).clone()
    }

    /// Tells the control socket its device was revoked (it closes). The
    /// receiver resolves once it has closed, or at once when no control
    /// socket will (none bound, or its queue is full).
    pub(crate) fn revoke(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.notify(ClientEvent::Revoked(tx));
        rx
    }

    /// Sends a message to the client's control socket, if one is bound.
    pub(crate) fn tell(&self, message: tmux_mobile_protocol::ServerMessage) {
        self.notify(ClientEvent::Tell(message));
    }

    fn notify(&self, event: ClientEvent) {
        if let Some(events) = &lock(&self.presence).events {
            // A control socket this far behind is not reading; the event
            // (a notice, or a PTY exit it will see as a dead terminal) is
            // not worth unbounded memory.
            if let Err(error) = events.try_send(event) {
                log::warn!("client {}: event dropped: {error}", self.id);
            }
        }
    }

    /// Attaches the client to `base`: a fresh grouped session and PTY. The
    /// old PTY is killed *before* the old grouped session, so the old
    /// `tmux attach` never sees its session vanish and jump elsewhere.
    pub(crate) async fn attach(
        self: &Arc<Self>,
        tmux: &Tmux,
        base: &SessionName,
        queue_bytes: usize,
        read_only: bool,
    ) -> Result<(), AttachError> {
        let mut view = self.view.lock().await;
        if lock(&self.presence).disposed {
            // Removed (grace period over, or shutdown) while this waited.
            return Err(AttachError::Removed);
        }
        if view.base.as_ref() == Some(base)
            && view.is_attached()
            && tmux.has_session(&self.managed).await.unwrap_or(false)
        {
            // Already there: keep the session, its focus and the terminal.
            return Ok(());
        }
        // Input typed before a switch was asked for goes to the PTY it was
        // typed into, even if that one is only just starting.
        self.input
            .deliver_before_switch(DELIVER_BEFORE_SWITCH)
            .await;
        if self.input.typed_into_current() {
            // tmux reads the PTY when it gets to it; a command answered
            // after the write means it has (its event loop went round), so
            // killing the PTY now loses nothing typed into it.
            let _ = tmux.has_session(&self.managed).await;
        }
        self.detach_locked(&mut view, tmux).await;
        tmux.new_grouped_session(&self.managed, base)
            .await
            .map_err(AttachError::Tmux)?;
        // The status line names the user's session, not ours (`[tmux-mobi`).
        if let Err(error) = tmux.name_base_in_status(&self.managed, base).await {
            log::debug!("status line of {}: {error}", self.managed);
        }
        let mut argv = tmux
            .attach_argv(self.managed.as_str())
            .map_err(AttachError::Tmux)?;
        if read_only {
            // tmux's own read-only client (even a key binding cannot change
            // anything from this terminal), and one whose size never
            // resizes the windows the people in control are looking at.
            argv.extend(["-f".into(), "read-only,ignore-size".into()]);
        }
        let mut command = PtyCommand::from_argv(argv)
            .map_err(AttachError::Pty)?
            .env("TERM", "xterm-256color")
            .env("COLORTERM", "truecolor");
        let (remove, set) = tmux.env_changes();
        for key in remove {
            command = command.env_remove(key);
        }
        for (key, value) in set {
            command = command.env(key, value);
        }
        let size = lock(&self.io).size;
        let options = PtyOptions::default()
            .with_size(size)
            .with_max_buffered_bytes(queue_bytes.clamp(
                PtyOptions::MIN_BUFFERED_BYTES,
                PtyOptions::DEFAULT_BUFFERED_BYTES,
            ));
        let pty = match Pty::spawn(command, options) {
            Ok(pty) => pty,
            Err(error) => {
                let _ = tmux.kill_session(&self.managed).await;
                return Err(AttachError::Pty(error));
            }
        };
        let (reader, writer, control) = pty.split();
        let epoch = self.epochs.fetch_add(1, Ordering::Relaxed) + 1;
        lock(&self.io).control = Some(control.clone());
        // Held input is written once this PTY is up (see `crate::input`).
        self.input.new_pty(epoch, writer);
        let client = Arc::downgrade(self);
        let reader = tokio::spawn(pump_output(reader, client, epoch));
        view.base = Some(base.clone());
        view.attachment = Some(Attachment {
            epoch,
            control,
            reader,
        });
        log::info!(
            "client {} attached to session {:?} (epoch {epoch})",
            self.id,
            base.as_str()
        );
        Ok(())
    }

    /// Kills the PTY, then the grouped session.
    async fn detach_locked(&self, view: &mut View, tmux: &Tmux) {
        lock(&self.io).control = None;
        self.input.close_pty(None);
        if let Some(attachment) = view.attachment.take() {
            let _ = attachment.control.kill_with_grace(PTY_KILL_GRACE).await;
            attachment.reader.abort();
        }
        match tmux.has_session(&self.managed).await {
            Ok(false) => {}
            _ => {
                if let Err(error) = tmux.kill_session(&self.managed).await {
                    log::debug!("removing {}: {error}", self.managed);
                }
            }
        }
    }

    /// Whether `epoch` is the current attachment.
    pub(crate) async fn is_current_epoch(&self, epoch: u64) -> bool {
        self.view
            .lock()
            .await
            .attachment
            .as_ref()
            .is_some_and(|a| a.epoch == epoch)
    }

    /// Removes everything the client owns: terminal sockets, PTY, grouped
    /// session. The client can never bind again.
    pub(crate) async fn dispose(&self, tmux: &Tmux) {
        {
            let mut presence = lock(&self.presence);
            presence.disposed = true;
            presence.connected = false;
            presence.events = None;
        }
        self.fanout.close_all();
        self.input.clear();
        let mut view = self.view.lock().await;
        self.detach_locked(&mut view, tmux).await;
        view.base = None;
        log::info!("client {} removed", self.id);
    }

    /// Writes terminal input to the PTY, or holds it (in order, up to
    /// [`HELD_INPUT_LIMIT`] bytes) while a switch is in progress or the PTY
    /// is being replaced; see `crate::input`. Past the bound the person is
    /// told with an `error`.
    pub(crate) async fn write_input(&self, bytes: &[u8]) {
        if self.input.write(bytes).await == Written::Overflowed {
            self.tell(tmux_mobile_protocol::ServerMessage::Error {
                message: format!(
                    "typed too fast while the terminal was reconnecting: input beyond {} KiB \
                     was dropped; type it again",
                    HELD_INPUT_LIMIT / 1024
                ),
            });
        }
    }

    /// The person asked to switch sessions: input from now on waits for
    /// the new PTY. Pair with [`Client::end_switch`].
    pub(crate) fn begin_switch(&self) {
        self.input.begin_switch();
    }

    /// The switch asked for by [`Client::begin_switch`] is over (done or
    /// failed): held input goes to the current PTY once it is up.
    pub(crate) fn end_switch(&self) {
        self.input.end_switch();
    }

    /// Sets the terminal size (remembered for the next PTY too).
    pub(crate) fn resize(&self, size: WindowSize) {
        let control = {
            let mut io = lock(&self.io);
            io.size = size;
            io.control.clone()
        };
        if let Some(control) = control {
            if let Err(error) = control.resize(size) {
                log::debug!("client {}: resize failed: {error}", self.id);
            }
        }
    }

    /// Makes tmux redraw the whole terminal (for a socket that just joined
    /// or a client that resumed).
    pub(crate) async fn redraw(&self, tmux: &Tmux) {
        if lock(&self.io).control.is_none() {
            return;
        }
        if let Err(error) = tmux.refresh_session_clients(&self.managed).await {
            log::debug!("client {}: redraw failed: {error}", self.id);
        }
    }
}

/// Copies PTY output into the client's fan-out until the PTY ends.
async fn pump_output(
    mut reader: tmux_mobile_pty_bridge::PtyReader,
    client: std::sync::Weak<Client>,
    epoch: u64,
) {
    let mut framer = Utf8Framer::default();
    let mut up = false;
    while let Some(chunk) = reader.read().await {
        let Some(client) = client.upgrade() else {
            return;
        };
        if !up {
            // tmux draws only once the client is attached and the terminal
            // raw: held input may go in now.
            up = true;
            client.input.pty_up(epoch);
        }
        let raw = Bytes::from(chunk);
        let text = framer.push_shared(&raw);
        client.fanout.publish(&raw, text.as_ref());
    }
    if let Some(client) = client.upgrade() {
        client.input.close_pty(Some(epoch));
        log::info!("client {}: tmux client exited (epoch {epoch})", client.id);
        client.notify(ClientEvent::PtyExited { epoch });
    }
}

/// Why attaching a client failed.
#[derive(Debug)]
pub(crate) enum AttachError {
    /// A tmux command failed.
    Tmux(tmux_mobile_tmux_control::TmuxError),
    /// The PTY could not be started.
    Pty(tmux_mobile_pty_bridge::PtyError),
    /// The client was removed in the meantime.
    Removed,
}

/// Adds a client with a fresh random id.
fn insert_new(clients: &mut HashMap<ClientId, Arc<Client>>, read_only: bool) -> Arc<Client> {
    loop {
        let id = random_client_id();
        if clients.contains_key(&id) {
            continue;
        }
        let client = Arc::new(Client::new(id.clone(), read_only));
        clients.insert(id, Arc::clone(&client));
        return client;
    }
}

/// A fresh random client id: 16 bytes from the OS, hex-encoded.
fn random_client_id() -> ClientId {
    let mut bytes = [0u8; 16];
    if let Err(error) = getrandom::fill(&mut bytes) {
        // Client ids are not secrets (they only name sessions; access needs
        // the token), so a time-and-counter fallback is acceptable.
        log::warn!("OS random number generator failed ({error}); using a time-based client id");
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        bytes[..8].copy_from_slice(&(nanos as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&count.to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    ClientId::try_from(hex.as_str()).unwrap_or_else(|_| {
        // 32 lowercase hex digits are a valid id by the protocol's rules.
        unreachable!("hex client id refused by the protocol")
    })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_unique_and_valid() {
        let a = random_client_id();
        let b = random_client_id();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
    }

    #[test]
    fn rebinding_replaces_the_previous_control_socket() {
        let registry = Registry::default();
        let client = registry.create(false);
        let (first, mut first_rx) = client.bind_control(false).expect("bind");
        let (second, _rx) = client.bind_control(true).expect("bind again");
        assert!(second > first);
        assert!(matches!(first_rx.try_recv(), Ok(ClientEvent::Replaced)));
        assert!(client.is_read_only());
        assert!(!client.unbind_control(first), "stale generation");
        assert!(client.unbind_control(second));
        assert!(client.abandoned_since(second));
        assert!(!client.control_connected());
        assert_eq!(registry.len(), 1);
        assert!(registry.get(&client.id).is_some());
    }
}
