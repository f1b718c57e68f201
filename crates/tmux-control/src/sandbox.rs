//! [`IsolatedTmux`]: a private tmux server for tests (feature
//! `test-support`).
//!
//! Each instance gets its own socket name *and* its own `TMUX_TMPDIR`, so it
//! can never touch the user's server or another test's, and its server is
//! killed (and the directory removed) when the value is dropped, even when
//! the test fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::tmux::{Socket, Tmux, TmuxOptions};

/// A private tmux server: unique `-L` socket in a private `TMUX_TMPDIR`,
/// `kill-server` and directory removal on drop. The server only starts when
/// something creates a session ([`IsolatedTmux::start`] or an operation).
#[derive(Debug)]
pub struct IsolatedTmux {
    dir: PathBuf,
    socket: String,
    binary: PathBuf,
    tmux: Tmux,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl IsolatedTmux {
    /// A new private socket for the `tmux` on `PATH`. Nothing runs yet.
    pub fn new() -> std::io::Result<IsolatedTmux> {
        Self::with_binary("tmux")
    }

    /// A new private socket whose [`Tmux`] handle runs `binary` (e.g. a
    /// wrapper that logs invocations). The sandbox's own helper commands
    /// always use the `tmux` on `PATH`.
    pub fn with_binary(binary: impl Into<PathBuf>) -> std::io::Result<IsolatedTmux> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let unique = format!(
            "tmc-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(&unique);
        std::fs::create_dir(&dir)?;
        let binary = binary.into();
        let tmux = Tmux::new(
            TmuxOptions::default()
                .with_binary(binary.clone())
                .with_socket(Socket::Name(unique.clone()))
                .with_timeout(Duration::from_secs(20)),
        )
        .with_tmux_tmpdir(&dir);
        Ok(IsolatedTmux {
            dir,
            socket: unique,
            binary,
            tmux,
        })
    }

    /// The handle to give to the code under test.
    pub fn tmux(&self) -> Tmux {
        self.tmux.clone()
    }

    /// The private `TMUX_TMPDIR`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The binary the [`Tmux`] handle runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Starts the server with a detached session `name` running `sh`, with
    /// no config file (`-f /dev/null`) and `/bin/sh` as the default shell,
    /// so tests do not depend on the user's tmux or shell setup.
    pub async fn start(&self, name: &str) -> Result<(), String> {
        self.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "80",
            "-y",
            "24",
            "sh",
        ])
        .await
        .map(drop)
    }

    /// Runs the real tmux on the private socket ("an outside tmux command"),
    /// returning stdout, or stderr as the error.
    pub async fn run(&self, args: &[&str]) -> Result<String, String> {
        let mut cmd = tokio::process::Command::new("tmux");
        self.prepare(&mut cmd);
        cmd.args(args).stdin(Stdio::null()).kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(20), cmd.output())
            .await
            .map_err(|_| "tmux timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    fn prepare(&self, cmd: &mut tokio::process::Command) {
        cmd.env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("TMUX_TMPDIR", &self.dir)
            .env("SHELL", "/bin/sh")
            .args(["-u", "-L", self.socket.as_str()]);
    }

    /// Kills the server now (the watcher tests use it to simulate tmux
    /// going away).
    pub async fn kill_server(&self) {
        let _ = self.run(&["kill-server"]).await;
    }
}

impl Drop for IsolatedTmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("TMUX_TMPDIR", &self.dir)
            .args(["-L", self.socket.as_str(), "kill-server"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
