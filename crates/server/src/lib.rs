//! The embeddable tmux-mobile server: HTTP, the two WebSockets
//! (`/ws/control`, `/ws/terminal`), the embedded browser UI and the
//! per-client grouped tmux sessions.
//!
//! It implements the tmux-mobile wire protocol v1 (wire-compatible with the
//! original TypeScript tmux-mobile): [`Server::bind`] opens the port,
//! [`Server::serve`] runs until a [`ShutdownHandle`] fires and then removes
//! everything it created in tmux. Everything is injected through
//! [`ServerOptions`]: the tmux socket, the credentials, the origin policy and
//! the UI assets.
//!
//! A program with its own hyper server mounts it instead: build it with
//! [`Server::without_listener`] and hand each connection's requests to
//! [`Server::service`] (a [`ServerService`], optionally under a path
//! prefix); `examples/mount.rs` does this next to the host's own routes.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tmux_mobile_auth::{Authenticator, CredentialOptions, Credentials, PasswordChoice, ThrottlePolicy};
//! use tmux_mobile_server::{Server, ServerOptions};
//! use tmux_mobile_tmux_control::{Tmux, TmuxOptions};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let creds = Credentials::generate(CredentialOptions::default().with_password(PasswordChoice::Disabled))?;
//! let token = creds.token().expose().to_owned();
//! let auth = Arc::new(Authenticator::new(creds, ThrottlePolicy::default()));
//! let server = Server::bind(ServerOptions::new(Tmux::new(TmuxOptions::default()), auth)).await?;
//! let addr = server.local_addr().expect("bound");
//! println!("open http://{addr}/?token={token}");
//! let stop = server.shutdown_handle(); // call `stop.shutdown()` on SIGTERM
//! server.serve().await?;
//! # drop(stop);
//! # Ok(()) }
//! ```
//!
//! Modules: `http` routes requests, `upgrade` performs the
//! WebSocket handshake, `control` and `terminal` serve the two sockets,
//! `clients` keeps per-client sessions and PTYs across reconnects, `input`
//! holds keystrokes while a PTY is replaced, `fanout`
//! copies terminal output to sockets, `state` shapes `tmux_state`, `refresh` shares one snapshot between
//! the refreshes asked for at the same time,
//! `scrollback` sends pane histories in bounded parts, `attention` decides
//! which phone still has to see which pane's attention ([`AttentionFeed`]
//! hands every new one to embedders such as Web Push), `push` sends it to
//! phones whose page is closed and types a notification's quick reply,
//! `overview` keeps the overview's tiles fresh for the phones looking at
//! it, and `shutdown` coordinates stopping.
#![forbid(unsafe_code)]

mod assets;
mod attention;
mod clients;
mod control;
mod deflate;
mod devices;
mod error;
mod fanout;
mod http;
mod input;
mod limits;
mod options;
mod orphans;
mod overview;
mod push;
mod refresh;
mod scrollback;
mod server;
mod service;
mod shutdown;
mod state;
mod terminal;
#[cfg(feature = "test-support")]
mod test_support;
mod upgrade;

pub use assets::Assets;
pub use attention::AttentionFeed;
pub use error::ServerError;
pub use http::{CONTENT_SECURITY_POLICY, RequestBody};
pub use limits::Limits;
pub use options::ServerOptions;
pub use push::{MAX_PUSH_BODY, PushPreview, WebPushOptions, WebPushStats};
pub use server::Server;
pub use service::{ResponseFuture, ServerService};
pub use shutdown::ShutdownHandle;
#[cfg(feature = "test-support")]
pub use test_support::{TestServer, TestServerBuilder};

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
