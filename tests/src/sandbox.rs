//! Isolation for one test: a private temporary directory, and a private
//! tmux server (`tmux -L <unique name>` with `TMUX_TMPDIR` inside that
//! directory) that is killed when the test ends, whatever happened.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The shell of every pane in a sandbox (through `SHELL`, which a new tmux
/// server takes as its `default-shell`). A login `bash` would run the
/// machine's `~/.bashrc`, which can take seconds (pyenv rehash under load)
/// and make keystroke tests wait on something that is not under test.
pub const PANE_SHELL: &str = "/bin/sh";

/// A directory under the system temp dir, removed (recursively) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh directory whose name starts with `label`.
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "{label}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        Self { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A private tmux server for one test. Its socket lives in a private
/// `TMUX_TMPDIR`, so neither the user's tmux nor another test can be touched.
#[derive(Debug)]
pub struct TmuxSandbox {
    socket_name: String,
    dir: TempDir,
}

impl TmuxSandbox {
    /// A new sandbox; no tmux server runs until something starts one.
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = TempDir::new("tmux-mobile-e2e");
        let socket_name = format!(
            "e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        Self { socket_name, dir }
    }

    /// The `-L` socket name (what `TMUX_MOBILE_SOCKET_NAME` is set to).
    pub fn socket_name(&self) -> &str {
        &self.socket_name
    }

    /// The `XDG_CONFIG_HOME` the app is started with: the default config
    /// file is `<this>/tmux-mobile/config.toml` (absent unless a test
    /// writes it).
    pub fn config_home(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// The private `TMUX_TMPDIR`.
    pub fn tmpdir(&self) -> &Path {
        self.dir.path()
    }

    /// Points `cmd` at this sandbox: `TMUX_MOBILE_SOCKET_NAME`,
    /// `TMUX_TMPDIR`, and none of the variables that could select another
    /// tmux server, and `XDG_CONFIG_HOME` inside the sandbox (so the app
    /// never reads the user's config file). Panes run `/bin/sh`
    /// ([`PANE_SHELL`]).
    pub fn apply_env(&self, cmd: &mut Command) {
        cmd.env("TMUX_MOBILE_SOCKET_NAME", &self.socket_name)
            .env("TMUX_TMPDIR", self.dir.path())
            .env("XDG_CONFIG_HOME", self.config_home())
            .env("SHELL", PANE_SHELL)
            .env_remove("TMUX_MOBILE_SOCKET_PATH")
            .env_remove("TMUX")
            .env_remove("TMUX_PANE");
    }

    /// Runs `tmux -L <socket> <args>` against this sandbox's server.
    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket_name)
            .args(args)
            .env("TMUX_TMPDIR", self.dir.path())
            .env("SHELL", PANE_SHELL)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs")
    }

    /// Names of the sessions on this sandbox's server (empty when no server
    /// runs).
    pub fn session_names(&self) -> Vec<String> {
        let out = self.tmux(&["list-sessions", "-F", "#{session_name}"]);
        if !out.status.success() {
            return Vec::new();
        }
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Default for TmuxSandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TmuxSandbox {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
