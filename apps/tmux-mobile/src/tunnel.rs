//! The app's side of the Cloudflare quick tunnel (`crates/tunnel` owns the
//! child process): decide before binding whether a tunnel can be started,
//! start it once the port is known, allow its origin on the server, and
//! follow restarts (a quick tunnel's URL changes each time), printing the new
//! URL and replacing the allowed origin.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tmux_mobile_auth::OriginPolicy;
use tmux_mobile_tunnel::{Tunnel, TunnelError, TunnelOptions};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::banner::Printer;
use crate::cli::TunnelSetting;
use crate::error::AppError;

/// How long cloudflared gets to exit after SIGTERM before SIGKILL; short so
/// that the whole program stops within about two seconds.
pub(crate) const STOP_GRACE: Duration = Duration::from_millis(1000);

/// What to do about the tunnel, decided before the server binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TunnelPlan {
    /// No tunnel (`--no-tunnel`, or cloudflared missing and not required).
    Off,
    /// Start this cloudflared once the server listens.
    Start {
        /// The executable found by discovery.
        cloudflared: PathBuf,
        /// How long to wait for the URL.
        timeout: Duration,
        /// Whether a failure to start is fatal.
        required: bool,
    },
}

/// Finds cloudflared when the tunnel is wanted. When it is missing, prints
/// the tunnel crate's help paragraph and carries on local-only, unless the
/// tunnel is required.
pub(crate) fn plan(setting: &TunnelSetting) -> Result<TunnelPlan, AppError> {
    let TunnelSetting::Enabled {
        cloudflared,
        required,
        timeout,
    } = setting
    else {
        return Ok(TunnelPlan::Off);
    };
    match tmux_mobile_tunnel::discover(cloudflared.as_deref()) {
        Ok(path) => Ok(TunnelPlan::Start {
            cloudflared: path,
            timeout: *timeout,
            required: *required,
        }),
        Err(error) => {
            eprintln!("{error}\n\n{}\n", tmux_mobile_tunnel::missing_help());
            if *required {
                Err(AppError::TunnelRequired(error.to_string()))
            } else {
                Ok(TunnelPlan::Off)
            }
        }
    }
}

/// Starts cloudflared for the local server on `port`.
pub(crate) async fn start(
    cloudflared: PathBuf,
    port: u16,
    timeout: Duration,
) -> Result<Tunnel, TunnelError> {
    let mut options = TunnelOptions::for_port(cloudflared, port);
    options.start_timeout = timeout;
    options.stop_grace = STOP_GRACE;
    Tunnel::start(options).await
}

/// Allows the tunnel's current origin on the server, and from then on
/// follows its URL: each new URL replaces the allowed origin and is printed
/// with its QR code; while cloudflared is down no tunnel origin is allowed.
/// The task ends when `stop` is cancelled (at shutdown; the caller awaits
/// the handle) or when the tunnel is gone.
pub(crate) fn follow(
    tunnel: &Tunnel,
    origins: Arc<OriginPolicy>,
    printer: Arc<Printer>,
    stop: CancellationToken,
) -> Result<JoinHandle<()>, AppError> {
    let mut urls = tunnel.subscribe();
    let first = tunnel.url();
    origins
        .replace_dynamic(vec![first.clone()])
        .map_err(|e| AppError::Server(format!("cannot allow the tunnel origin {first}: {e}")))?;
    log::info!("tunnel up at {first}");
    Ok(tokio::spawn(async move {
        let mut current = Some(first);
        loop {
            tokio::select! {
                changed = urls.changed() => if changed.is_err() { break },
                () = stop.cancelled() => break,
            }
            let next = urls.borrow_and_update().clone();
            if next == current {
                continue;
            }
            match &next {
                Some(url) => {
                    if let Err(e) = origins.replace_dynamic(vec![url.clone()]) {
                        log::warn!("cannot allow the new tunnel origin {url}: {e}");
                        continue;
                    }
                    log::info!("tunnel restarted at {url}");
                    printer.tunnel(url);
                }
                None => {
                    log::warn!("cloudflared stopped; restarting it (the tunnel URL will change)");
                    // Nothing should reach the old host while it is down.
                    let _ = origins.replace_dynamic(Vec::new());
                }
            }
            current = next;
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_tunnel_plans_nothing() {
        assert_eq!(plan(&TunnelSetting::Disabled).unwrap(), TunnelPlan::Off);
    }

    #[test]
    fn missing_cloudflared_is_fatal_only_when_required() {
        let missing = PathBuf::from("/nonexistent/cloudflared");
        let setting = |required| TunnelSetting::Enabled {
            cloudflared: Some(missing.clone()),
            required,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(plan(&setting(false)).unwrap(), TunnelPlan::Off);
        let err = plan(&setting(true)).unwrap_err();
        assert!(matches!(err, AppError::TunnelRequired(_)), "{err:?}");
        assert!(err.to_string().contains("--tunnel-required"), "{err}");
    }

    #[test]
    fn explicit_cloudflared_is_used() {
        // Any executable will do for discovery; it is not started here.
        let setting = TunnelSetting::Enabled {
            cloudflared: Some(PathBuf::from("/bin/true")),
            required: true,
            timeout: Duration::from_secs(3),
        };
        assert_eq!(
            plan(&setting).unwrap(),
            TunnelPlan::Start {
                cloudflared: PathBuf::from("/bin/true"),
                timeout: Duration::from_secs(3),
                required: true,
            }
        );
    }
}
