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
//!
//! # No orphan cloudflared
//!
//! cloudflared runs in its own process group, so a terminal's Ctrl-C does
//! not reach it: the program must stop it, by [`Tunnel::shutdown`] or by
//! dropping the [`Tunnel`] (the drop guard kills the group synchronously,
//! also while a panic unwinds). Two exits skip every destructor and are the
//! caller's to avoid or accept: `std::process::exit` while a `Tunnel` is
//! alive, and SIGKILL of our own process. Linux's `PR_SET_PDEATHSIG` would
//! cover the latter, but setting it needs an `unsafe` `pre_exec` hook, which
//! this crate forbids; cloudflared then lives on until it is killed.
//!
//! `examples/quick_tunnel.rs` shows the whole life cycle with Ctrl-C.
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

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
