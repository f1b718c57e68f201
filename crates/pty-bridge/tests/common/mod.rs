//! Helpers shared by the integration tests: reading until a marker with a
//! deadline, private temp dirs, a private tmux server, and /proc inspection.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tmux_mobile_pty_bridge::PtyReader;

/// Generous: CI machines are small and loaded.
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

/// Reads from `reader` until the accumulated output contains `needle`;
/// returns everything read. Panics with the output on EOF or deadline.
pub(crate) async fn read_until(reader: &mut PtyReader, needle: &str) -> String {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(DEADLINE, async {
        loop {
            if String::from_utf8_lossy(&seen).contains(needle) {
                return true;
            }
            match reader.read().await {
                Some(chunk) => seen.extend_from_slice(&chunk),
                None => return false,
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&seen).into_owned();
    match found {
        Ok(true) => text,
        Ok(false) => panic!("terminal closed before {needle:?} appeared; output: {text:?}"),
        Err(_) => panic!("{needle:?} did not appear within {DEADLINE:?}; output: {text:?}"),
    }
}

/// Reads everything until EOF (with a deadline).
pub(crate) async fn read_to_end(reader: &mut PtyReader) -> Vec<u8> {
    let mut all = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        while let Some(chunk) = reader.read().await {
            all.extend_from_slice(&chunk);
        }
    })
    .await
    .expect("terminal output did not end in time");
    all
}

/// A unique name for sockets and directories of this test process.
pub(crate) fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temporary directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let path = std::env::temp_dir().join(unique("pty-bridge-test"));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tmux server on a private socket in a private `TMUX_TMPDIR`, killed on drop.
pub(crate) struct TmuxServer {
    pub socket: String,
    pub tmpdir: TempDir,
}

impl TmuxServer {
    /// Starts a server with a detached session `session` running `argv`.
    pub(crate) fn start(session: &str, argv: &[&str]) -> Self {
        let server = TmuxServer {
            socket: unique("ptyb"),
            tmpdir: TempDir::new(),
        };
        let mut args = vec!["new-session", "-d", "-s", session, "-x", "80", "-y", "24"];
        args.extend_from_slice(argv);
        let status = server.command().args(&args).status().expect("run tmux");
        assert!(status.success(), "tmux new-session failed: {status}");
        server
    }

    /// `tmux -L <socket> -f /dev/null` (no user config) with the private environment.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-L")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .env("TMUX_TMPDIR", self.tmpdir.path())
            .env_remove("TMUX")
            .env_remove("TMUX_PANE");
        cmd
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// The state letter of `/proc/<pid>/stat` and the parent pid, or `None` if
/// the process does not exist.
pub(crate) fn proc_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Asserts that `pid` is not a zombie child of this process.
pub(crate) fn assert_reaped(pid: u32) {
    if let Some((state, ppid)) = proc_state(pid) {
        assert!(
            !(ppid == std::process::id() && state == 'Z'),
            "process {pid} is a zombie child of the test"
        );
        assert_ne!(ppid, std::process::id(), "process {pid} is still our child");
    }
}

/// Number of open descriptors of this process.
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// Resident set size of this process in bytes.
pub(crate) fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value");
    kib * 1024
}
