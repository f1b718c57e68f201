//! Everything a [`crate::Server`] is configured with, in one value, so an
//! embedding program injects its own tmux socket, credentials, origin policy
//! and UI instead of the server reaching for globals or the environment.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tmux_mobile_auth::{Authenticator, OriginPolicy};
use tmux_mobile_protocol::{SessionName, Snippet};
use tmux_mobile_tmux_control::Tmux;
use tmux_mobile_tmux_control::attention::AttentionOptions;

use crate::assets::Assets;
use crate::limits::Limits;
use crate::push::WebPushOptions;

/// Configuration of a [`crate::Server`].
///
/// Build one with [`ServerOptions::new`] and change the public fields you
/// care about; every field has a sensible default.
///
/// ```no_run
/// # async fn demo(tmux: tmux_mobile_tmux_control::Tmux,
/// #               auth: std::sync::Arc<tmux_mobile_auth::Authenticator>) {
/// use std::time::Duration;
/// use tmux_mobile_server::{Server, ServerOptions};
///
/// let mut options = ServerOptions::new(tmux, auth);
/// options.bind = "127.0.0.1:8767".parse().unwrap();
/// options.resume_grace = Duration::from_secs(60);
/// let server = Server::bind(options).await.expect("port free");
/// println!("listening on {:?}", server.local_addr());
/// server.serve().await.expect("served");
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Address to listen on. Default `127.0.0.1:8767`.
    pub bind: SocketAddr,
    /// The tmux server to drive (binary, socket, command timeout).
    pub tmux: Tmux,
    /// Checks tokens, passwords and session keys; throttles failures.
    pub authenticator: Arc<Authenticator>,
    /// Which `Origin`s may open a WebSocket. Default: same origin only.
    /// Keep your own clone of the `Arc` to allow a tunnel's origin later.
    pub origin_policy: Arc<OriginPolicy>,
    /// Session created when a client connects and tmux has no session.
    /// Default `main`.
    pub default_session: SessionName,
    /// Lines of scrollback a capture returns when the client does not say
    /// (also reported by `/api/config`). Default 1000.
    pub scrollback_lines: u32,
    /// Reported as `pollIntervalMs` by `/api/config` for clients of the
    /// original protocol; this server pushes state on change and does not
    /// poll. Default 2500.
    pub poll_interval_ms: u64,
    /// How long a client's grouped session and terminal outlive its dropped
    /// control socket, waiting for it to resume. Default 30 s.
    pub resume_grace: Duration,
    /// How long a socket may stay silent before it authenticates. Default
    /// 10 s.
    pub auth_timeout: Duration,
    /// Upper bound for [`crate::Server::serve`] to finish after shutdown was
    /// asked for. Default 2 s.
    pub shutdown_timeout: Duration,
    /// Most terminal output (bytes) queued for one terminal socket; a socket
    /// that falls further behind is closed instead of slowing the others or
    /// growing memory. Default 2 MiB.
    pub terminal_queue_bytes: usize,
    /// The browser UI. Default: the UI embedded in this crate (feature
    /// `embedded-ui`), else none.
    pub assets: Assets,
    /// Believe `CF-Connecting-IP` for connections from loopback. Turn it on
    /// only when a `cloudflared` tunnel on this machine forwards to the
    /// server: every tunnelled connection then comes from 127.0.0.1, and
    /// without the header all tunnel clients would share one throttling
    /// source (an attacker's failures would delay the owner). Cloudflare's
    /// edge overwrites the header, so a remote client cannot choose it; a
    /// local process can, but only to spread its own guesses over sources,
    /// which the password-guess budget still bounds overall. Default off.
    pub trust_cf_connecting_ip: bool,
    /// How many sockets and clients an address, a credential and the whole
    /// server may hold (see [`Limits`]).
    pub limits: Limits,
    /// What counts as a pane needing its person (bell, prompt, notify,
    /// per-window silence and activity; prompt patterns and quick
    /// replies). `None` turns attention off: no tap on any session.
    /// Default: [`AttentionOptions::default`].
    pub attention: Option<AttentionOptions>,
    /// Default snippet buttons offered to phones that may type (the
    /// `snippets` field of `auth_ok`); each phone keeps its own list once
    /// the person edits it. Default: none.
    pub snippets: Vec<Snippet>,
    /// Web Push to phones whose page is closed (see [`WebPushOptions`]);
    /// `None` turns it off (`/api/push/…` answers 404). Default: on, with
    /// a VAPID key in memory only.
    pub web_push: Option<WebPushOptions>,
}

impl ServerOptions {
    /// Sets [`bind`](Self::bind).
    pub fn with_bind(mut self, bind: SocketAddr) -> Self {
        self.bind = bind;
        self
    }

    /// Sets [`tmux`](Self::tmux).
    pub fn with_tmux(mut self, tmux: Tmux) -> Self {
        self.tmux = tmux;
        self
    }

    /// Sets [`authenticator`](Self::authenticator).
    pub fn with_authenticator(mut self, authenticator: Arc<Authenticator>) -> Self {
        self.authenticator = authenticator;
        self
    }

    /// Sets [`origin_policy`](Self::origin_policy).
    pub fn with_origin_policy(mut self, origin_policy: Arc<OriginPolicy>) -> Self {
        self.origin_policy = origin_policy;
        self
    }

    /// Sets [`default_session`](Self::default_session).
    pub fn with_default_session(mut self, default_session: SessionName) -> Self {
        self.default_session = default_session;
        self
    }

    /// Sets [`scrollback_lines`](Self::scrollback_lines).
    pub fn with_scrollback_lines(mut self, scrollback_lines: u32) -> Self {
        self.scrollback_lines = scrollback_lines;
        self
    }

    /// Sets [`poll_interval_ms`](Self::poll_interval_ms).
    pub fn with_poll_interval_ms(mut self, poll_interval_ms: u64) -> Self {
        self.poll_interval_ms = poll_interval_ms;
        self
    }

    /// Sets [`resume_grace`](Self::resume_grace).
    pub fn with_resume_grace(mut self, resume_grace: Duration) -> Self {
        self.resume_grace = resume_grace;
        self
    }

    /// Sets [`auth_timeout`](Self::auth_timeout).
    pub fn with_auth_timeout(mut self, auth_timeout: Duration) -> Self {
        self.auth_timeout = auth_timeout;
        self
    }

    /// Sets [`shutdown_timeout`](Self::shutdown_timeout).
    pub fn with_shutdown_timeout(mut self, shutdown_timeout: Duration) -> Self {
        self.shutdown_timeout = shutdown_timeout;
        self
    }

    /// Sets [`terminal_queue_bytes`](Self::terminal_queue_bytes).
    pub fn with_terminal_queue_bytes(mut self, terminal_queue_bytes: usize) -> Self {
        self.terminal_queue_bytes = terminal_queue_bytes;
        self
    }

    /// Sets [`assets`](Self::assets).
    pub fn with_assets(mut self, assets: Assets) -> Self {
        self.assets = assets;
        self
    }

    /// Sets [`trust_cf_connecting_ip`](Self::trust_cf_connecting_ip).
    pub fn with_trust_cf_connecting_ip(mut self, trust_cf_connecting_ip: bool) -> Self {
        self.trust_cf_connecting_ip = trust_cf_connecting_ip;
        self
    }

    /// Sets [`limits`](Self::limits).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`attention`](Self::attention).
    pub fn with_attention(mut self, attention: Option<AttentionOptions>) -> Self {
        self.attention = attention;
        self
    }

    /// Sets [`snippets`](Self::snippets).
    pub fn with_snippets(mut self, snippets: Vec<Snippet>) -> Self {
        self.snippets = snippets;
        self
    }

    /// Sets [`web_push`](Self::web_push).
    pub fn with_web_push(mut self, web_push: Option<WebPushOptions>) -> Self {
        self.web_push = web_push;
        self
    }

    /// Default listening port, as in the original tmux-mobile.
    pub const DEFAULT_PORT: u16 = 8767;

    /// Options with every default, for this tmux server and authenticator.
    pub fn new(tmux: Tmux, authenticator: Arc<Authenticator>) -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, Self::DEFAULT_PORT)),
            tmux,
            authenticator,
            origin_policy: Arc::new(OriginPolicy::same_origin_only()),
            default_session: SessionName::try_from("main").expect("`main` is a valid session name"),
            scrollback_lines: 1000,
            poll_interval_ms: 2500,
            resume_grace: Duration::from_secs(30),
            auth_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(2),
            terminal_queue_bytes: 2 * 1024 * 1024,
            assets: Assets::default(),
            trust_cf_connecting_ip: false,
            limits: Limits::default(),
            attention: Some(AttentionOptions::default()),
            snippets: Vec::new(),
            web_push: Some(WebPushOptions::default()),
        }
    }
}
