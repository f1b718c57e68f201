//! Supervision of a `cloudflared` quick tunnel: find the executable, start it
//! with an argv vector, discover the public URL, restart it when it dies, and
//! stop it without leaving an orphan.
//!
//! By default tmux-mobile publishes its local server through a Cloudflare
//! quick tunnel so a phone anywhere reaches it over HTTPS. This crate owns
//! that child process and nothing else; it depends on no other crate of the
//! workspace.
//!
//! - [`discover`] finds cloudflared (explicit path, `PATH`, `~/.local/bin`);
//!   it never downloads anything. [`missing_help`] is the paragraph to print
//!   when there is none.
//! - [`Tunnel::start`] runs `cloudflared tunnel --no-autoupdate --url
//!   <local_url>` in its own process group and returns once the
//!   `https://<name>.trycloudflare.com` URL appeared in its output
//!   ([`find_quick_tunnel_url`] is the strict matcher).
//! - A background task restarts cloudflared with backoff when it dies and
//!   publishes each new URL on [`Tunnel::subscribe`]'s channel; the caller
//!   updates its origin allowlist and prints the new URL from there.
//! - [`Tunnel::shutdown`] sends SIGTERM, then SIGKILL after a grace period;
//!   dropping the [`Tunnel`] kills the process group at once.
//!
//! ```no_run
//! # async fn run() -> Result<(), tmux_mobile_tunnel::TunnelError> {
//! use tmux_mobile_tunnel::{Tunnel, TunnelOptions, discover, missing_help};
//!
//! let cloudflared = match discover(None) {
//!     Ok(path) => path,
//!     Err(e) => {
//!         eprintln!("{e}\n{}", missing_help());
//!         return Ok(());
//!     }
//! };
//! let tunnel = Tunnel::start(TunnelOptions::for_port(cloudflared, 8080)).await?;
//! println!("Tunnel URL: {}", tunnel.url());
//!
//! let mut urls = tunnel.subscribe();
//! tokio::spawn(async move {
//!     while urls.changed().await.is_ok() {
//!         if let Some(url) = urls.borrow_and_update().clone() {
//!             println!("Tunnel URL changed: {url}"); // and allow it as an origin
//!         }
//!     }
//! });
//! // ... serve ...
//! tunnel.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod discover;
mod error;
mod output;
mod process;
mod tunnel;
mod url;

pub use discover::{CLOUDFLARED_ENV, discover, missing_help};
pub use error::TunnelError;
pub use tunnel::{Tunnel, TunnelOptions};
pub use url::find_quick_tunnel_url;
