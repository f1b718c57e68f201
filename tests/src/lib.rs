//! Harness for the workspace-level end-to-end tests in `tests/tests/`: they
//! run the real `tmux-mobile` binary against real tmux on a private socket
//! and talk to it over real WebSockets, as a person's browser would.
//!
//! - [`sandbox`]: private temp dirs and a private tmux server per test,
//!   killed on drop.
//! - [`app`]: finds the built binary, runs it, collects its output line by
//!   line, signals it and waits for it with deadlines.
//! - [`procs`]: the process tree under a pid, to prove nothing is left over.
//! - [`ws`]: a small WebSocket client for the control and terminal sockets.
//! - [`raw`]: a raw WebSocket client that writes whatever frames an
//!   attacker could (invalid UTF-8, fragments, slow or oversize frames).
//! - [`cloudflared`]: a fake `cloudflared` for the tunnel wiring.
#![forbid(unsafe_code)]

pub mod app;
pub mod cloudflared;
pub mod procs;
pub mod raw;
pub mod sandbox;
pub mod ws;

pub use app::{App, AppCommand, Finished, LocalUrl};
pub use cloudflared::FakeCloudflared;
pub use sandbox::{TempDir, TmuxSandbox};

/// The generous deadline for anything a test waits on: tests run on a loaded
/// 2-core CI machine and must not flake, and a deadline only bounds a
/// failure, it is not a performance assertion.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// Polls `condition` until it holds or `timeout` passes; returns whether it
/// held. For conditions nothing notifies us about (files, tmux state).
pub fn wait_until(timeout: std::time::Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
