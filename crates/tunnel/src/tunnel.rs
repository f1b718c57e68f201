//! Starting the quick tunnel, publishing its URL, and keeping it alive.
//!
//! [`Tunnel::start`] returns once cloudflared printed its URL. A background
//! task then owns the child: it keeps reading its output (a full pipe would
//! stall cloudflared), and when the child dies it warns, restarts it with
//! exponential backoff and publishes the new URL — a quick tunnel gets a new
//! host on every start — on a [`watch`] channel. [`Tunnel::shutdown`] stops
//! it gracefully; dropping the [`Tunnel`] kills it synchronously.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::TunnelError;
use crate::process::{Event, RunningChild, Shared, SpawnRefused};
use crate::url::find_quick_tunnel_url;

/// How long output is still collected after cloudflared exited, for the
/// error's tail.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);
/// Floor of the restart delay, so a zero setting cannot become a busy
/// respawn loop.
const MIN_RESTART_BACKOFF: Duration = Duration::from_millis(10);
/// How much longer than the grace period [`Tunnel::shutdown`] waits for the
/// supervisor before killing the group itself.
const SHUTDOWN_MARGIN: Duration = Duration::from_secs(5);

/// How to run cloudflared. Build with [`TunnelOptions::new`] or
/// [`TunnelOptions::for_port`] and adjust the public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TunnelOptions {
    /// The cloudflared executable, usually from [`discover`](crate::discover).
    pub cloudflared: PathBuf,
    /// The local server to publish, e.g. `http://127.0.0.1:8080`.
    pub local_url: String,
    /// How long to wait for the tunnel URL on each start (default 30 s).
    pub start_timeout: Duration,
    /// Whether to restart cloudflared when it exits (default `true`).
    pub restart: bool,
    /// How long cloudflared may take to exit after SIGTERM before it gets
    /// SIGKILL (default 3 s).
    pub stop_grace: Duration,
    /// Delay before the first restart attempt; doubles on every failed or
    /// short-lived run (default 1 s, at least 10 ms).
    pub restart_backoff: Duration,
    /// Upper bound of the restart delay (default 30 s). A run that stayed up
    /// at least this long resets the delay to `restart_backoff`.
    pub restart_backoff_max: Duration,
}

impl TunnelOptions {
    /// Sets [`cloudflared`](Self::cloudflared).
    pub fn with_cloudflared(mut self, cloudflared: impl Into<PathBuf>) -> Self {
        self.cloudflared = cloudflared.into();
        self
    }

    /// Sets [`local_url`](Self::local_url).
    pub fn with_local_url(mut self, local_url: impl Into<String>) -> Self {
        self.local_url = local_url.into();
        self
    }

    /// Sets [`start_timeout`](Self::start_timeout).
    pub fn with_start_timeout(mut self, start_timeout: Duration) -> Self {
        self.start_timeout = start_timeout;
        self
    }

    /// Sets [`restart`](Self::restart).
    pub fn with_restart(mut self, restart: bool) -> Self {
        self.restart = restart;
        self
    }

    /// Sets [`stop_grace`](Self::stop_grace).
    pub fn with_stop_grace(mut self, stop_grace: Duration) -> Self {
        self.stop_grace = stop_grace;
        self
    }

    /// Sets [`restart_backoff`](Self::restart_backoff).
    pub fn with_restart_backoff(mut self, restart_backoff: Duration) -> Self {
        self.restart_backoff = restart_backoff;
        self
    }

    /// Sets [`restart_backoff_max`](Self::restart_backoff_max).
    pub fn with_restart_backoff_max(mut self, restart_backoff_max: Duration) -> Self {
        self.restart_backoff_max = restart_backoff_max;
        self
    }

    /// Default for [`start_timeout`](Self::start_timeout).
    pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default for [`stop_grace`](Self::stop_grace).
    pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(3);
    /// Default for [`restart_backoff`](Self::restart_backoff).
    pub const DEFAULT_RESTART_BACKOFF: Duration = Duration::from_secs(1);
    /// Default for [`restart_backoff_max`](Self::restart_backoff_max).
    pub const DEFAULT_RESTART_BACKOFF_MAX: Duration = Duration::from_secs(30);

    /// Options to publish `local_url` with the given executable, defaults
    /// elsewhere.
    pub fn new(cloudflared: impl Into<PathBuf>, local_url: impl Into<String>) -> Self {
        TunnelOptions {
            cloudflared: cloudflared.into(),
            local_url: local_url.into(),
            start_timeout: Self::DEFAULT_START_TIMEOUT,
            restart: true,
            stop_grace: Self::DEFAULT_STOP_GRACE,
            restart_backoff: Self::DEFAULT_RESTART_BACKOFF,
            restart_backoff_max: Self::DEFAULT_RESTART_BACKOFF_MAX,
        }
    }

    /// Options to publish `http://127.0.0.1:<port>`.
    pub fn for_port(cloudflared: impl Into<PathBuf>, port: u16) -> Self {
        Self::new(cloudflared, format!("http://127.0.0.1:{port}"))
    }

    /// The arguments cloudflared is started with (after the program name):
    /// `tunnel --no-autoupdate --url <local_url>`.
    pub fn argv(&self) -> Vec<OsString> {
        [
            "tunnel",
            "--no-autoupdate",
            "--url",
            self.local_url.as_str(),
        ]
        .into_iter()
        .map(OsString::from)
        .collect()
    }

    fn validate(&self) -> Result<(), TunnelError> {
        let url = self.local_url.as_str();
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        match rest {
            Some(rest)
                if !rest.is_empty()
                    && !url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(())
            }
            _ => Err(TunnelError::InvalidLocalUrl {
                url: url.to_owned(),
            }),
        }
    }
}

/// A running quick tunnel.
///
/// The URL is an origin (`https://<name>.trycloudflare.com`, no trailing
/// slash), ready for an origin allowlist; append `?token=...` yourself.
///
/// Dropping a `Tunnel` without [`shutdown`](Self::shutdown) — including
/// during a panic unwind — sends SIGKILL to cloudflared's process group at
/// once. What no guard can cover is SIGKILL of our own process: then
/// cloudflared keeps running until it notices its dead origin. (On Linux
/// `PR_SET_PDEATHSIG` would cover it, but setting it needs `unsafe`
/// `pre_exec`, which this crate forbids.)
pub struct Tunnel {
    shared: Arc<Shared>,
    urls: watch::Receiver<Option<String>>,
    stop: watch::Sender<bool>,
    supervisor: Option<JoinHandle<()>>,
    stop_grace: Duration,
}

impl std::fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tunnel")
            .field("url", &self.current_url())
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

/// Why [`launch`] gave up.
enum LaunchError {
    Stopped,
    Failed(TunnelError),
}

impl Tunnel {
    /// Starts cloudflared and waits until it prints its quick-tunnel URL.
    ///
    /// Must be called inside a tokio runtime. If the returned future is
    /// dropped before it completes, the child is killed.
    ///
    /// # Errors
    /// [`TunnelError::InvalidLocalUrl`], [`TunnelError::Spawn`],
    /// [`TunnelError::ExitedEarly`] or [`TunnelError::Timeout`]; in the
    /// latter two cases the child is gone and the error carries its last
    /// lines of output.
    pub async fn start(opts: TunnelOptions) -> Result<Tunnel, TunnelError> {
        opts.validate()?;
        let shared = Arc::new(Shared::default());
        let (stop, stop_rx) = watch::channel(false);
        let (run, url) = match launch(&opts, &shared, None).await {
            Ok(started) => started,
            Err(LaunchError::Failed(e)) => return Err(e),
            Err(LaunchError::Stopped) => unreachable!("no stop signal before start returns"),
        };
        shared.set_last_url(&url);
        let (url_tx, urls) = watch::channel(Some(url));
        let stop_grace = opts.stop_grace;
        let supervisor = tokio::spawn(supervise(opts, Arc::clone(&shared), run, url_tx, stop_rx));
        Ok(Tunnel {
            shared,
            urls,
            stop,
            supervisor: Some(supervisor),
            stop_grace,
        })
    }

    /// The tunnel URL: the current one, or while a restart is in progress
    /// (or after cloudflared stopped for good) the last one.
    pub fn url(&self) -> String {
        self.current_url()
            .or_else(|| self.shared.last_url())
            .unwrap_or_default()
    }

    /// The URL of the tunnel that is up right now, `None` while cloudflared
    /// is down or restarting.
    pub fn current_url(&self) -> Option<String> {
        self.urls.borrow().clone()
    }

    /// A channel that holds the current URL: `Some(url)` while up, `None`
    /// while cloudflared is down; after a restart it holds the new URL. It
    /// closes when the tunnel stops for good (shut down, or exited with
    /// [`restart`](TunnelOptions::restart) off).
    pub fn subscribe(&self) -> watch::Receiver<Option<String>> {
        self.urls.clone()
    }

    /// Pid of the running cloudflared (also its process group id), `None`
    /// while it is down.
    pub fn pid(&self) -> Option<u32> {
        self.shared.pid()
    }

    /// Stops cloudflared: SIGTERM to its process group, SIGKILL after the
    /// grace period, and waits until it is reaped. No restart follows.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(supervisor) = self.supervisor.take() {
            let limit = self.stop_grace.saturating_add(SHUTDOWN_MARGIN);
            match tokio::time::timeout(limit, supervisor).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log::warn!("tunnel supervisor failed: {e}"),
                Err(_) => log::warn!(
                    "tunnel supervisor did not stop within {limit:?}; killing cloudflared"
                ),
            }
        }
        self.shared.close();
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        // Synchronous: works during unwinding and outside the runtime. The
        // supervisor sees the stop signal (the sender is dropped with us)
        // and reaps the child if the runtime is still running.
        self.shared.close();
    }
}

/// Starts one cloudflared and waits for its URL, the start timeout, its
/// exit, or (if `stop` is given) a stop request.
async fn launch(
    opts: &TunnelOptions,
    shared: &Arc<Shared>,
    mut stop: Option<&mut watch::Receiver<bool>>,
) -> Result<(RunningChild, String), LaunchError> {
    let mut run = match RunningChild::spawn(opts, Arc::clone(shared)) {
        Ok(run) => run,
        Err(SpawnRefused::Closed) => return Err(LaunchError::Stopped),
        Err(SpawnRefused::Failed(e)) => return Err(LaunchError::Failed(e)),
    };
    // A timeout too large to represent means "no timeout".
    let deadline = Instant::now().checked_add(opts.start_timeout);
    loop {
        tokio::select! {
            biased;
            () = stop_requested(stop.as_deref_mut()) => {
                run.terminate(opts.stop_grace).await;
                return Err(LaunchError::Stopped);
            }
            event = run.next_event() => match event {
                Event::Line(line) => {
                    if let Some(url) = find_quick_tunnel_url(&line) {
                        return Ok((run, url.to_owned()));
                    }
                }
                Event::Exited(status) => {
                    run.drain(DRAIN_AFTER_EXIT).await;
                    return Err(LaunchError::Failed(TunnelError::ExitedEarly {
                        code: status.and_then(|s| s.code()),
                        tail: run.tail(),
                    }));
                }
            },
            () = sleep_until(deadline) => {
                run.terminate(opts.stop_grace).await;
                run.drain(DRAIN_AFTER_EXIT).await;
                return Err(LaunchError::Failed(TunnelError::Timeout {
                    after: opts.start_timeout,
                    tail: run.tail(),
                }));
            }
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Resolves when a stop was requested or the [`Tunnel`] is gone; never
/// without a receiver.
async fn stop_requested(stop: Option<&mut watch::Receiver<bool>>) {
    match stop {
        Some(rx) => {
            let _ = rx.wait_for(|stop| *stop).await;
        }
        None => std::future::pending().await,
    }
}

/// Owns the running child after [`Tunnel::start`]: drains its output,
/// restarts it when it dies, publishes each URL, stops it on request.
async fn supervise(
    opts: TunnelOptions,
    shared: Arc<Shared>,
    mut run: RunningChild,
    urls: watch::Sender<Option<String>>,
    mut stop: watch::Receiver<bool>,
) {
    let first_backoff = opts.restart_backoff.max(MIN_RESTART_BACKOFF);
    let mut backoff = first_backoff;
    let mut started = Instant::now();
    loop {
        let status = loop {
            tokio::select! {
                biased;
                () = stop_requested(Some(&mut stop)) => {
                    run.terminate(opts.stop_grace).await;
                    urls.send_replace(None);
                    log::debug!("cloudflared stopped");
                    return;
                }
                event = run.next_event() => match event {
                    Event::Line(_) => {}
                    Event::Exited(status) => break status,
                }
            }
        };
        run.drain(DRAIN_AFTER_EXIT).await;
        urls.send_replace(None);
        let how = match status {
            Some(status) => format!("({status})"),
            None => "(status unknown)".to_owned(),
        };
        if !opts.restart {
            log::warn!(
                "cloudflared exited {how}; the tunnel is down and restart is off; its last output:\n{}",
                run.tail()
            );
            return;
        }
        log::warn!(
            "cloudflared exited {how}; restarting it (the tunnel URL will change); its last output:\n{}",
            run.tail()
        );
        if started.elapsed() >= opts.restart_backoff_max {
            backoff = first_backoff;
        }
        loop {
            log::info!("restarting cloudflared in {backoff:?}");
            tokio::select! {
                biased;
                () = stop_requested(Some(&mut stop)) => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = backoff.saturating_mul(2).min(opts.restart_backoff_max);
            match launch(&opts, &shared, Some(&mut stop)).await {
                Ok((new_run, url)) => {
                    run = new_run;
                    started = Instant::now();
                    log::info!("cloudflared restarted; new tunnel URL {url}");
                    shared.set_last_url(&url);
                    urls.send_replace(Some(url));
                    break;
                }
                Err(LaunchError::Stopped) => return,
                Err(LaunchError::Failed(e)) => log::warn!("could not restart cloudflared: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_have_the_documented_defaults_and_argv() {
        let opts = TunnelOptions::for_port("/usr/bin/cloudflared", 8080);
        assert_eq!(opts.local_url, "http://127.0.0.1:8080");
        assert_eq!(opts.start_timeout, Duration::from_secs(30));
        assert_eq!(opts.stop_grace, Duration::from_secs(3));
        assert!(opts.restart);
        assert_eq!(
            opts.argv(),
            [
                "tunnel",
                "--no-autoupdate",
                "--url",
                "http://127.0.0.1:8080"
            ]
            .map(OsString::from)
            .to_vec()
        );
    }

    #[test]
    fn local_url_is_validated() {
        for good in [
            "http://127.0.0.1:1",
            "https://localhost:8443",
            "http://[::1]:80",
        ] {
            assert!(TunnelOptions::new("c", good).validate().is_ok(), "{good}");
        }
        for bad in [
            "",
            "127.0.0.1:80",
            "http://",
            "ftp://x",
            "http://a b",
            "http://a\n",
            "--url",
        ] {
            assert!(
                matches!(
                    TunnelOptions::new("c", bad).validate(),
                    Err(TunnelError::InvalidLocalUrl { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
