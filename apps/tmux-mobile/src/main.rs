//! `tmux-mobile`: drive a live tmux session from a phone browser.
//!
//! The binary is thin: [`cli`] turns flags and environment into a checked
//! [`cli::Config`], [`config_file`] reads the optional config file,
//! [`preflight`] checks tmux, [`logging`] sets up `log`,
//! [`banner`] prints the URLs and QR code, [`tunnel`] runs the Cloudflare
//! quick tunnel, and this file wires them to the server crate and handles
//! SIGINT/SIGTERM.
#![forbid(unsafe_code)]

mod banner;
mod cli;
mod config_file;
mod error;
mod logging;
mod preflight;
#[cfg(feature = "qr")]
mod qr;
mod state_dir;
mod tunnel;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tmux_mobile_auth::{
    Authenticator, CredentialOptions, Credentials, OriginPolicy, ThrottlePolicy,
};
use tmux_mobile_server::{Server, ServerError, ServerOptions, WebPushOptions};
use tmux_mobile_tmux_control::{Socket, Tmux, TmuxOptions};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

use banner::Printer;
use cli::{Config, SocketSetting};
use error::AppError;
use tunnel::TunnelPlan;

/// Upper bound for the server's cleanup after a signal (it closes sockets,
/// kills PTYs and removes the per-client tmux sessions); the tunnel stops
/// in parallel, so the program exits within about two seconds.
const SERVER_SHUTDOWN: Duration = Duration::from_millis(1500);
/// Bound for stopping the tunnel (SIGTERM, then SIGKILL after
/// [`tunnel::STOP_GRACE`]); a tunnel still running then is killed on drop.
const TUNNEL_SHUTDOWN: Duration = Duration::from_millis(1800);
/// How long one tmux command may take.
const TMUX_COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let args: cli::Args = argh::from_env();
    if args.version {
        println!("tmux-mobile {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tmux-mobile: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Everything that happens before the async part: configuration, logging,
/// tmux and tunnel checks.
fn run(args: cli::Args) -> Result<(), AppError> {
    let config = Config::from_args(args, &|key| std::env::var_os(key))?;
    let settings = config_file::load(&config.config_file)?;
    let rust_log = std::env::var("RUST_LOG").ok();
    logging::init(rust_log.as_deref(), config.debug_log.as_deref())?;
    if let Some(path) = &settings.path {
        log::info!("config file: {}", path.display());
    }
    let tmux = preflight::find_tmux(std::env::var_os("PATH").as_deref())?;
    let version = preflight::check_tmux(&tmux)?;
    log::debug!("using {} ({})", tmux.display(), version.text());
    if config.exposes_plain_http() {
        eprintln!(
            "warning: listening on {}: traffic between browsers and tmux-mobile is unencrypted \
             plain HTTP that anyone on the network path can read; prefer the tunnel (HTTPS) or \
             127.0.0.1",
            config.bind.ip()
        );
    }
    let tunnel_plan = tunnel::plan(&config.tunnel)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    let result = runtime.block_on(serve(config, settings, tmux, tunnel_plan));
    // Blocking reads of child output must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// SIGINT and SIGTERM, installed before anything is started.
struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignals {
    fn install() -> Result<Self, AppError> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).map_err(AppError::Signals)?,
            terminate: signal(SignalKind::terminate()).map_err(AppError::Signals)?,
        })
    }

    async fn recv(&mut self) {
        let name = tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        };
        log::info!("{name} received; shutting down");
    }
}

/// Binds the server, prints the banner, starts the tunnel, and serves until
/// a signal (or a server failure).
async fn serve(
    config: Config,
    settings: config_file::FileSettings,
    tmux_path: PathBuf,
    tunnel_plan: TunnelPlan,
) -> Result<(), AppError> {
    let mut signals = StopSignals::install()?;

    let credentials = Credentials::generate(
        CredentialOptions::default()
            .with_password(config.password.clone())
            .with_read_only_link(config.read_only_link)
            .with_token_file(config.token_file.clone()),
    )
    .map_err(|e| AppError::Credentials(e.to_string()))?;
    let token = credentials.token().expose().to_owned();
    let password = credentials.password().map(|p| p.expose().to_owned());
    let read_only_token = credentials.read_only_token().map(|t| t.expose().to_owned());
    let authenticator = Arc::new(Authenticator::new(credentials, ThrottlePolicy::default()));
    let origins = Arc::new(
        OriginPolicy::new(config.allow_origins.clone())
            .map_err(|e| AppError::Usage(format!("--allow-origin: {e}")))?,
    );

    let tmux = Tmux::new(
        TmuxOptions::default()
            .with_binary(tmux_path)
            .with_socket(match config.socket {
                SocketSetting::Default => Socket::Default,
                SocketSetting::Name(name) => Socket::Name(name),
                SocketSetting::Path(path) => Socket::Path(path),
            })
            .with_timeout(TMUX_COMMAND_TIMEOUT),
    );
    let mut options = ServerOptions::new(tmux, authenticator);
    options.bind = config.bind;
    options.origin_policy = Arc::clone(&origins);
    options.default_session = config.session;
    options.scrollback_lines = config.scrollback;
    options.resume_grace = config.resume_grace;
    options.shutdown_timeout = SERVER_SHUTDOWN;
    options.attention = settings.attention;
    options.snippets = settings.snippets;
    options.web_push = Some(
        WebPushOptions::default()
            .with_key_file(config.vapid_key_file.clone())
            .with_preview(config.push_preview),
    );
    // Behind the local cloudflared every client comes from 127.0.0.1;
    // Cloudflare's CF-Connecting-IP tells them apart for throttling.
    options.trust_cf_connecting_ip = matches!(tunnel_plan, TunnelPlan::Start { .. });
    let server = Server::bind(options).await.map_err(|e| match e {
        ServerError::Bind { addr, source } if source.kind() == std::io::ErrorKind::AddrInUse => {
            AppError::PortInUse { port: addr.port() }
        }
        other => AppError::Server(other.to_string()),
    })?;
    let addr = server
        .local_addr()
        .expect("a server made by Server::bind has an address");
    let stop = server.shutdown_handle();
    let mut serving = tokio::spawn(server.serve());

    let local_base = banner::local_base_url(addr);
    let network_base = banner::network_base_url(addr);
    // The URL a phone can open when there is no tunnel.
    let best_base = network_base.clone().unwrap_or_else(|| local_base.clone());
    let printer = Arc::new(Printer::new(
        token,
        read_only_token,
        std::io::stdout().is_terminal(),
    ));
    let tunnel_wanted = matches!(tunnel_plan, TunnelPlan::Start { .. });
    printer.local(
        &local_base,
        network_base.as_deref(),
        password.as_deref(),
        !tunnel_wanted,
    );

    // The tunnel may take many seconds to come up: a signal or a server
    // failure meanwhile must not wait for it.
    let mut outcome: Option<Result<(), AppError>> = None;
    let mut tunnel = None;
    // Ends the tunnel follower at shutdown (awaited below, not forgotten).
    let stop_follower = CancellationToken::new();
    let mut follower = None;
    if let TunnelPlan::Start {
        cloudflared,
        timeout,
        required,
    } = tunnel_plan
    {
        log::info!("starting the Cloudflare quick tunnel (waiting up to {timeout:?} for its URL)");
        tokio::select! {
            started = tunnel::start(cloudflared, addr.port(), timeout) => match started {
                Ok(t) => {
                    let stop = stop_follower.clone();
                    match tunnel::follow(&t, Arc::clone(&origins), Arc::clone(&printer), stop) {
                        Ok(task) => {
                            follower = Some(task);
                            printer.tunnel(&t.url());
                        }
                        Err(e) => outcome = Some(Err(e)),
                    }
                    tunnel = Some(t);
                }
                Err(e) if required => outcome = Some(Err(AppError::TunnelRequired(e.to_string()))),
                Err(e) => {
                    eprintln!("tmux-mobile: the tunnel could not be started ({e}); serving the local URL only");
                    printer.qr_only(&best_base);
                }
            },
            () = signals.recv() => outcome = Some(Ok(())),
            ended = &mut serving => return server_ended(ended),
        }
    }

    let outcome = match outcome {
        Some(outcome) => outcome,
        None => tokio::select! {
            () = signals.recv() => Ok(()),
            ended = &mut serving => return server_ended(ended),
        },
    };

    // Stop the server and the tunnel together.
    stop.shutdown();
    stop_follower.cancel();
    let stop_tunnel = async {
        if let Some(task) = follower {
            let _ = task.await;
        }
        if let Some(t) = tunnel {
            if tokio::time::timeout(TUNNEL_SHUTDOWN, t.shutdown())
                .await
                .is_err()
            {
                log::warn!("cloudflared did not stop in time; it was killed");
            }
        }
    };
    let stop_server = async {
        match tokio::time::timeout(SERVER_SHUTDOWN + Duration::from_millis(300), &mut serving).await
        {
            Ok(ended) => server_ended(ended),
            Err(_) => {
                log::warn!("the server did not finish its cleanup in time");
                Ok(())
            }
        }
    };
    let ((), served) = tokio::join!(stop_tunnel, stop_server);
    outcome.and(served)
}

/// Maps the end of the server task to the program's result.
fn server_ended(
    ended: Result<Result<(), ServerError>, tokio::task::JoinError>,
) -> Result<(), AppError> {
    match ended {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(AppError::Server(e.to_string())),
        Err(e) => Err(AppError::Server(format!("the server task failed: {e}"))),
    }
}
