//! The listening server: accept loop, hyper connections, the state shared by
//! every connection task, and the ordered shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tmux_mobile_tmux_control::attention::AttentionMonitor;
use tmux_mobile_tmux_control::{Snapshot, StateWatcher, Tmux, WatcherOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::attention::{AttentionFeed, Hub};
use crate::clients::{Client, Registry};
use crate::error::ServerError;
use crate::limits::SocketCounter;
use crate::options::ServerOptions;
use crate::refresh::Coalescer;
use crate::service::ServerService;
use crate::shutdown::{self, ShutdownHandle, ShutdownSignal, TaskTracker};

/// How long a client may take to send its request headers (slowloris).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest request head (and read buffer) hyper accepts from a connection:
/// a browser's upgrade request is under 2 KiB; hyper's default (≈ 400 KiB)
/// lets every idle connection hold far more. Larger heads get `431`.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// Most request headers accepted (browsers send about 15); more get `431`.
const MAX_HEADERS: usize = 64;

/// What every connection task shares.
pub(crate) struct Shared {
    /// The configuration.
    pub(crate) options: ServerOptions,
    /// Browser clients by id.
    pub(crate) clients: Registry,
    /// The latest tmux snapshot.
    pub(crate) snapshots: watch::Receiver<Arc<Snapshot>>,
    watcher: StateWatcher,
    /// Shares snapshots between refreshes asked for at the same time.
    refreshes: Coalescer,
    /// Which phone still has to see which attention.
    pub(crate) attention: Arc<Hub>,
    /// Watches every pane for attention (`None` when turned off).
    monitor: Option<AttentionMonitor>,
    /// The overview's tiles (see `crate::overview`).
    pub(crate) overview: Arc<crate::overview::Hub>,
    /// Set when the server stops.
    pub(crate) shutdown: ShutdownSignal,
    /// Connection and socket tasks still running.
    pub(crate) tasks: TaskTracker,
    /// Open WebSockets, per address (see [`crate::Limits`]).
    pub(crate) sockets: Arc<SocketCounter>,
    /// Web Push (`None` when turned off).
    pub(crate) push: Option<crate::push::PushHub>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Runs `task` on the server's task tracker until it ends or the
    /// server shuts down.
    fn spawn_until_shutdown(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut stop = self.shutdown.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = task => {}
                () = stop.wait() => {}
            }
        });
    }

    /// The tmux server.
    pub(crate) fn tmux(&self) -> &Tmux {
        &self.options.tmux
    }

    /// A change event per pane output (from the attention monitor's taps;
    /// `None` when attention is turned off).
    pub(crate) fn pane_output(
        &self,
    ) -> Option<tokio::sync::broadcast::Receiver<tmux_mobile_tmux_control::PaneId>> {
        self.monitor.as_ref().map(AttentionMonitor::output)
    }

    /// Tells the attention monitor (if any) whether to watch the session
    /// groups no phone is on ([`AttentionMonitor::watch_unattended`]).
    pub(crate) fn watch_unattended(&self, on: bool) {
        if let Some(monitor) = &self.monitor {
            monitor.watch_unattended(on);
        }
    }

    /// Waits until a snapshot taken after this call has been published
    /// (call it after a mutation). Callers at the same time share one
    /// snapshot (see `crate::refresh`).
    pub(crate) async fn refresh_state(&self) {
        self.refreshes
            .refresh(|| async {
                let _ = self.watcher.refresh().await;
            })
            .await;
    }
}

/// Removes a client whose control socket stayed away for the grace period.
pub(crate) fn start_grace(shared: &Arc<Shared>, client: &Arc<Client>, generation: u64) {
    let grace = shared.options.resume_grace;
    let shared = Arc::clone(shared);
    let client = Arc::clone(client);
    log::info!(
        "client {} keeps its session for {grace:?} to resume",
        client.id
    );
    let tasks = shared.tasks.clone();
    tasks.spawn(async move {
        let mut shutdown = shared.shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(grace) => {}
            // Shutdown removes every client itself.
            () = shutdown.wait() => return,
        }
        if !client.abandoned_since(generation) {
            return;
        }
        if shared.clients.remove(&client.id).is_some() {
            log::info!("client {} did not resume within {grace:?}", client.id);
            client.dispose(shared.tmux()).await;
            shared.refresh_state().await;
        }
    });
}

/// A tmux-mobile server: HTTP, `/ws/control`, `/ws/terminal` and the
/// embedded UI, driving one tmux server.
///
/// [`Server::bind`] opens the port (so "address in use" is reported before
/// anything else happens), removes managed sessions left behind by a crash
/// and starts watching tmux; [`Server::serve`] accepts connections until a
/// [`ShutdownHandle`] fires, then cleans up. See [`ServerOptions`] for an
/// example.
///
/// A host program with its own hyper server creates one with
/// [`Server::without_listener`] instead and mounts [`Server::service`] under
/// a path of its own; `serve` then only waits for the shutdown and cleans up.
#[derive(Debug)]
pub struct Server {
    /// `None` when the host program accepts the connections.
    listener: Option<TcpListener>,
    local_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    handle: ShutdownHandle,
}

impl Server {
    /// Listens on `options.bind` and prepares to serve.
    ///
    /// Fails if the port cannot be opened.
    pub async fn bind(options: ServerOptions) -> Result<Server, ServerError> {
        let listener =
            TcpListener::bind(options.bind)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: options.bind,
                    source,
                })?;
        Self::from_listener(listener, options).await
    }

    /// Serves on a listener the caller already bound (socket activation, a
    /// port chosen elsewhere, a test's port 0); `options.bind` is not used.
    ///
    /// A `std::net::TcpListener` becomes one with
    /// `set_nonblocking(true)` and `tokio::net::TcpListener::from_std`.
    ///
    /// ```no_run
    /// # async fn demo(options: tmux_mobile_server::ServerOptions) -> Result<(), Box<dyn std::error::Error>> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let server = tmux_mobile_server::Server::from_listener(listener, options).await?;
    /// println!("listening on {:?}", server.local_addr());
    /// server.serve().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// (`tests/it/mount.rs` runs this with a real listener and WebSockets.)
    pub async fn from_listener(
        listener: TcpListener,
        options: ServerOptions,
    ) -> Result<Server, ServerError> {
        let local_addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
        log::info!("listening on {local_addr}");
        let mut server = Self::without_listener(options).await?;
        server.listener = Some(listener);
        server.local_addr = Some(local_addr);
        Ok(server)
    }

    /// Prepares to serve through a host program's own HTTP server: no port
    /// is opened; mount [`Server::service`] in the host's connections and
    /// run [`Server::serve`] (which then only waits for the
    /// [`ShutdownHandle`] and cleans up tmux). `options.bind` is not used.
    ///
    /// Like [`Server::bind`] it removes managed sessions left behind by a
    /// crash and starts watching tmux. `examples/mount.rs` shows a host
    /// hyper app serving tmux-mobile under `/tmux/` next to its own routes.
    pub async fn without_listener(options: ServerOptions) -> Result<Server, ServerError> {
        match options.tmux.remove_stale_managed_sessions().await {
            Ok(removed) if !removed.is_empty() => {
                log::info!(
                    "removed {} managed session(s) left by an earlier run",
                    removed.len()
                );
            }
            Ok(_) => {}
            Err(error) => log::warn!("could not look for stale managed sessions: {error}"),
        }
        let (watcher, snapshots) =
            StateWatcher::spawn(options.tmux.clone(), WatcherOptions::default());
        let (handle, signal) = shutdown::channel();
        let (monitor, detections) = match &options.attention {
            Some(attention) => {
                let (monitor, detections) = AttentionMonitor::spawn(
                    options.tmux.clone(),
                    snapshots.clone(),
                    attention.clone(),
                );
                (Some(monitor), Some(detections))
            }
            None => (None, None),
        };
        let push = options.web_push.clone().map(crate::push::PushHub::new);
        let shared = Arc::new(Shared {
            options,
            clients: Registry::default(),
            snapshots,
            watcher,
            refreshes: Coalescer::default(),
            attention: Arc::new(Hub::default()),
            monitor,
            overview: Arc::default(),
            shutdown: signal,
            tasks: TaskTracker::new(),
            sockets: Arc::default(),
            push,
        });
        if let Some(detections) = detections {
            shared.spawn_until_shutdown(crate::attention::run(Arc::clone(&shared), detections));
        }
        if shared.push.is_some() && shared.monitor.is_some() {
            shared.spawn_until_shutdown(crate::push::run(Arc::clone(&shared)));
        }
        shared.spawn_until_shutdown(crate::orphans::run(Arc::clone(&shared)));
        shared.spawn_until_shutdown(crate::overview::run(Arc::clone(&shared)));
        Ok(Server {
            listener: None,
            local_addr: None,
            shared,
            handle,
        })
    }

    /// The address the server listens on (useful after binding port 0);
    /// `None` for a server made by [`Server::without_listener`].
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The server as a hyper [`Service`](hyper::service::Service) for one
    /// connection of a host program's HTTP server, from the client at
    /// `peer` (throttling and the per-address socket limits go by its IP).
    ///
    /// It answers `/ws/control`, `/ws/terminal`, `/api/config` and the UI;
    /// [`ServerService::with_prefix`] mounts them under a path. The host
    /// must serve the connection `with_upgrades()` so the WebSockets can
    /// take it over. The service keeps the server's state alive, but serves
    /// only until [`Server::serve`]'s shutdown, after which new sockets get
    /// `503`.
    pub fn service(&self, peer: SocketAddr) -> ServerService {
        ServerService::new(Arc::clone(&self.shared), peer)
    }

    /// The attention feed: every new attention of every pane (for Web Push
    /// and other embedders), and the live one of a pane.
    pub fn attention(&self) -> AttentionFeed {
        self.shared.attention.feed()
    }

    /// The state the connections share (for `TestServer`).
    #[cfg(feature = "test-support")]
    pub(crate) fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// Counters of Web Push: subscriptions held, deliveries queued and what
    /// became of them.
    pub fn push_stats(&self) -> crate::push::WebPushStats {
        crate::push::stats(&self.shared)
    }

    /// A handle that stops [`Server::serve`]; take it before calling
    /// `serve`.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Serves until shutdown is asked for, then: stops accepting, closes
    /// every WebSocket with 1001, kills every PTY, removes every managed
    /// session of this server and stops watching tmux — all within
    /// [`ServerOptions::shutdown_timeout`].
    pub async fn serve(self) -> Result<(), ServerError> {
        let Server {
            listener,
            shared,
            handle: _handle,
            ..
        } = self;
        let mut shutdown = shared.shutdown.clone();
        match &listener {
            Some(listener) => loop {
                tokio::select! {
                    () = shutdown.wait() => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, peer)) => spawn_connection(&shared, stream, peer),
                        Err(error) => {
                            // Out of file descriptors and the like: back off
                            // instead of spinning.
                            log::warn!("accept failed: {error}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    },
                }
            },
            // The host program accepts the connections.
            None => shutdown.wait().await,
        }
        drop(listener);
        log::info!("shutting down");
        let deadline = Instant::now() + shared.options.shutdown_timeout;
        let clients = shared.clients.drain();
        let tmux = shared.tmux().clone();
        let cleanup =
            futures_util::future::join_all(clients.iter().map(|client| client.dispose(&tmux)));
        if tokio::time::timeout_at(deadline, cleanup).await.is_err() {
            log::warn!("not every client could be cleaned up in time");
        }
        stop_watcher(&shared).await;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if !shutdown::wait_idle(&shared.tasks, remaining).await {
            log::warn!(
                "{} connection(s) still open at the shutdown deadline",
                shared.tasks.len()
            );
        }
        log::info!("shut down");
        Ok(())
    }
}

/// Stops the attention taps and the state watcher; each shutdown detaches
/// its control clients (see
/// [`StateWatcher::shutdown`](tmux_mobile_tmux_control::StateWatcher::shutdown));
/// they have no session of their own to remove (they ride on the phones'
/// sessions, removed with the clients before this).
async fn stop_watcher(shared: &Shared) {
    if let Some(monitor) = &shared.monitor {
        monitor.shutdown().await;
    }
    shared.watcher.shutdown().await;
}

/// Serves one TCP connection (HTTP/1.1, upgrades included).
fn spawn_connection(shared: &Arc<Shared>, stream: tokio::net::TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let token = shared.tasks.token();
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let _token = token;
        let mut shutdown = shared.shutdown.clone();
        let service = ServerService::new(Arc::clone(&shared), peer);
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .max_buf_size(MAX_REQUEST_HEAD)
            .max_headers(MAX_HEADERS);
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    log::debug!("connection from {peer}: {error}");
                }
            }
            () = shutdown.wait() => {
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_millis(500), connection).await;
            }
        }
    });
}
