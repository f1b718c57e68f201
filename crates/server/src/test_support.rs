//! [`TestServer`]: a real server on `127.0.0.1:<random port>` over a private
//! tmux server, for integration tests (enabled by the `test-support`
//! feature).
//!
//! Each test server gets its own tmux socket name and its own
//! `TMUX_TMPDIR`, so tests run in parallel without seeing each other or the
//! user's tmux. Dropping it stops the server, kills that tmux server and
//! removes the directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tmux_mobile_auth::{
    Authenticator, CredentialOptions, Credentials, OriginPolicy, PasswordChoice, ThrottlePolicy,
};
use tmux_mobile_protocol::SessionName;
use tmux_mobile_tmux_control::attention::AttentionOptions;
use tmux_mobile_tmux_control::{Socket, Tmux, TmuxOptions};
use tokio::task::JoinHandle;

use crate::{Assets, Server, ServerError, ServerOptions, ShutdownHandle};

/// Settings of a [`TestServer`]; start from [`TestServer::builder`].
///
/// With [`TestServerBuilder::with_sessions`] the private tmux server is
/// started before the server, with `/bin/sh` as its shell; without, no tmux
/// server runs until the server starts one.
#[derive(Debug, Clone)]
pub struct TestServerBuilder {
    password: Option<String>,
    read_only_link: bool,
    resume_grace: Duration,
    auth_timeout: Duration,
    throttle: ThrottlePolicy,
    terminal_queue_bytes: Option<usize>,
    limits: Option<crate::Limits>,
    allowed_origins: Vec<String>,
    default_session: String,
    sessions: Vec<String>,
    assets: Option<Assets>,
    trust_cf_connecting_ip: bool,
    attention: Option<AttentionOptions>,
    web_push: Option<crate::WebPushOptions>,
}

impl TestServerBuilder {
    /// Web Push settings (`None` turns it off). Default: the server's
    /// default (on, key in memory).
    pub fn web_push(mut self, web_push: Option<crate::WebPushOptions>) -> Self {
        self.web_push = web_push;
        self
    }

    /// Create these tmux sessions (detached, user config ignored) before
    /// the server starts.
    pub fn with_sessions(mut self, names: &[&str]) -> Self {
        self.sessions.extend(names.iter().map(|n| (*n).to_owned()));
        self
    }

    /// Serve these assets instead of the embedded UI.
    pub fn assets(mut self, assets: Assets) -> Self {
        self.assets = Some(assets);
        self
    }

    /// Require this password (default: no password).
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// Also create a read-only token.
    pub fn read_only_link(mut self) -> Self {
        self.read_only_link = true;
        self
    }

    /// The resume grace period (default 30 s).
    pub fn resume_grace(mut self, grace: Duration) -> Self {
        self.resume_grace = grace;
        self
    }

    /// How long a socket may stay silent before auth (default 10 s).
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.auth_timeout = timeout;
        self
    }

    /// The throttling policy (default: the auth crate's default).
    pub fn throttle(mut self, policy: ThrottlePolicy) -> Self {
        self.throttle = policy;
        self
    }

    /// Sets [`ServerOptions::limits`].
    pub fn limits(mut self, limits: crate::Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Bytes one terminal socket may fall behind before it is dropped.
    pub fn terminal_queue_bytes(mut self, bytes: usize) -> Self {
        self.terminal_queue_bytes = Some(bytes);
        self
    }

    /// Allow WebSocket upgrades from this origin too.
    pub fn allow_origin(mut self, origin: &str) -> Self {
        self.allowed_origins.push(origin.to_owned());
        self
    }

    /// Believe `CF-Connecting-IP` from loopback, as behind a tunnel (see
    /// [`ServerOptions::trust_cf_connecting_ip`]).
    pub fn trust_cf_connecting_ip(mut self) -> Self {
        self.trust_cf_connecting_ip = true;
        self
    }

    /// The session created when tmux has none (default `main`).
    pub fn default_session(mut self, name: &str) -> Self {
        self.default_session = name.to_owned();
        self
    }

    /// Attention settings (`None` turns attention off). Default: the
    /// server's default.
    pub fn attention(mut self, attention: Option<AttentionOptions>) -> Self {
        self.attention = attention;
        self
    }

    /// Starts the server. Panics (this is test code) if it cannot.
    pub async fn start(self) -> TestServer {
        let dir = unique_dir();
        std::fs::create_dir_all(&dir).expect("create the test's TMUX_TMPDIR");
        let socket_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tmux-mobile-test".into());
        let tmux = Tmux::new(
            TmuxOptions::default()
                .with_binary(PathBuf::from("tmux"))
                .with_socket(Socket::Name(socket_name.clone()))
                .with_timeout(Duration::from_secs(10)),
        )
        .with_tmux_tmpdir(&dir);
        // A fast, predictable shell (the user's shell may run slow rc
        // files). Without sessions no tmux server runs, as on a fresh login.
        let config = dir.join("tmux.conf");
        std::fs::write(
            &config,
            "set -g default-shell /bin/sh\nset -g history-limit 5000\n",
        )
        .expect("write the test tmux.conf");
        let run = |args: &[&str]| {
            let status = std::process::Command::new("tmux")
                .env("TMUX_TMPDIR", &dir)
                .env_remove("TMUX")
                .env_remove("TMUX_PANE")
                .arg("-f")
                .arg(&config)
                .args(["-L", &socket_name])
                .args(args)
                .status()
                .expect("run tmux");
            assert!(status.success(), "tmux {args:?} failed");
        };
        for name in &self.sessions {
            run(&["new-session", "-d", "-x", "80", "-y", "24", "-s", name]);
        }
        let creds = Credentials::generate(
            CredentialOptions::default()
                .with_password(match &self.password {
                    Some(password) => PasswordChoice::Given(password.clone()),
                    None => PasswordChoice::Disabled,
                })
                .with_read_only_link(self.read_only_link),
        )
        .expect("generate test credentials");
        let token = creds.token().expose().to_owned();
        let read_only_token = creds.read_only_token().map(|t| t.expose().to_owned());
        let authenticator = Arc::new(Authenticator::new(creds, self.throttle));
        let mut options = ServerOptions::new(tmux.clone(), Arc::clone(&authenticator));
        options.web_push = self.web_push;
        options.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        options.origin_policy =
            Arc::new(OriginPolicy::new(self.allowed_origins).expect("valid test origins"));
        options.default_session =
            SessionName::try_from(self.default_session.as_str()).expect("valid session name");
        options.resume_grace = self.resume_grace;
        options.auth_timeout = self.auth_timeout;
        options.trust_cf_connecting_ip = self.trust_cf_connecting_ip;
        options.attention = self.attention;
        if let Some(assets) = self.assets {
            options.assets = assets;
        }
        if let Some(limits) = self.limits {
            options.limits = limits;
        }
        if let Some(bytes) = self.terminal_queue_bytes {
            options.terminal_queue_bytes = bytes;
        }
        let server = Server::bind(options).await.expect("bind the test server");
        let addr = server.local_addr().expect("bound");
        let handle = server.shutdown_handle();
        let shared = server.shared();
        let task = tokio::spawn(server.serve());
        TestServer {
            addr,
            token,
            password: self.password,
            read_only_token,
            tmux,
            socket_name,
            dir,
            handle,
            task: Some(task),
            authenticator,
            shared,
        }
    }
}

/// A running server on a private tmux; see the module documentation.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    token: String,
    password: Option<String>,
    read_only_token: Option<String>,
    tmux: Tmux,
    socket_name: String,
    dir: PathBuf,
    handle: ShutdownHandle,
    task: Option<JoinHandle<Result<(), ServerError>>>,
    authenticator: Arc<Authenticator>,
    shared: Arc<crate::server::Shared>,
}

impl TestServer {
    /// Settings with the defaults (no password, 30 s grace, 10 s auth
    /// timeout).
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder {
            password: None,
            read_only_link: false,
            resume_grace: Duration::from_secs(30),
            auth_timeout: Duration::from_secs(10),
            throttle: ThrottlePolicy::default(),
            trust_cf_connecting_ip: false,
            terminal_queue_bytes: None,
            limits: None,
            allowed_origins: Vec::new(),
            default_session: "main".into(),
            sessions: Vec::new(),
            assets: None,
            attention: Some(AttentionOptions::default()),
            web_push: Some(crate::WebPushOptions::default()),
        }
    }

    /// A server with the default settings.
    pub async fn start() -> TestServer {
        Self::builder().start().await
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `ws://127.0.0.1:<port><path>`.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// The control token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The password, when one was set.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The read-only token, when one was asked for.
    pub fn read_only_token(&self) -> Option<&str> {
        self.read_only_token.as_deref()
    }

    /// The server's authenticator (to revoke a session key, say).
    pub fn authenticator(&self) -> &Arc<Authenticator> {
        &self.authenticator
    }

    /// See [`Server::push_stats`].
    pub fn push_stats(&self) -> crate::WebPushStats {
        crate::push::stats(&self.shared)
    }

    /// How many session keys have a control socket connected now (Web Push
    /// skips them: their pages show attention themselves).
    pub fn push_connected_keys(&self) -> usize {
        crate::push::connected_owner_count(&self.shared)
    }

    /// The tmux handle the server uses.
    pub fn tmux(&self) -> &Tmux {
        &self.tmux
    }

    /// The private `TMUX_TMPDIR`.
    pub fn tmux_tmpdir(&self) -> &Path {
        &self.dir
    }

    /// A blocking `tmux` command on the private server (add the
    /// subcommand and its arguments).
    pub fn tmux_command(&self) -> std::process::Command {
        let mut command = std::process::Command::new("tmux");
        command
            .env("TMUX_TMPDIR", &self.dir)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .args(["-L", &self.socket_name]);
        command
    }

    /// Runs `tmux <args>` on the private server; stdout on success, `Err`
    /// with stderr otherwise.
    pub fn tmux_run(&self, args: &[&str]) -> Result<String, String> {
        let output = self
            .tmux_command()
            .args(args)
            .output()
            .map_err(|e| format!("cannot run tmux: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// Names of the sessions on the private server (empty if none).
    pub fn session_names(&self) -> Vec<String> {
        self.tmux_run(&["list-sessions", "-F", "#{session_name}"])
            .map(|out| out.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Stops the server and waits for `serve` to return. The private tmux
    /// server keeps running (to be inspected) until the value is dropped.
    pub async fn shutdown(&mut self) -> Result<(), ServerError> {
        self.handle.shutdown();
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(task) = self.task.take() {
            task.abort();
        }
        let _ = self
            .tmux_command()
            .arg("kill-server")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh directory path under the system temp dir.
fn unique_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!(
        "tmt-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}
