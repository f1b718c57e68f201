//! End-to-end tests of the tunnel supervisor against real child processes:
//! the executables in `tests/fixtures/` behave like cloudflared (banner and
//! URL, no URL, look-alike URLs, early failure, ignoring SIGTERM, dying and
//! being restarted). Each test runs its fixture through a `cloudflared`
//! symlink in a private temp dir, where the fixture also writes its pid, its
//! arguments and its counters, and ends by checking that no fixture process
//! (nor any member of its process group) is left.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tmux_mobile_tunnel::{Tunnel, TunnelError, TunnelOptions};

/// Generous: CI machines are small and busy.
const DEADLINE: Duration = Duration::from_secs(15);

/// A fixture behind a `cloudflared` symlink in a private directory.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(script: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(script);
        // Committed executable, but be safe against a checkout that lost the
        // bit. chmod opens no file for writing, so no "text file busy".
        fs::set_permissions(&source, fs::Permissions::from_mode(0o755)).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "tmux-mobile-tunnel-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(&source, dir.join("cloudflared")).unwrap();
        Fixture { dir }
    }

    fn cloudflared(&self) -> PathBuf {
        self.dir.join("cloudflared")
    }

    /// Options with test-sized delays.
    fn options(&self) -> TunnelOptions {
        let mut opts = TunnelOptions::for_port(self.cloudflared(), 9);
        opts.start_timeout = DEADLINE;
        opts.stop_grace = Duration::from_secs(3);
        opts.restart_backoff = Duration::from_millis(50);
        opts.restart_backoff_max = Duration::from_millis(200);
        opts
    }

    /// Pids of every fixture process started so far (their process groups
    /// have the same ids).
    fn pids(&self) -> Vec<u32> {
        fs::read_to_string(self.dir.join("pids"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect()
    }

    fn read(&self, name: &str) -> Option<String> {
        fs::read_to_string(self.dir.join(name)).ok()
    }

    /// Waits until `n` fixture processes have started.
    async fn wait_for_pids(&self, n: usize) -> Vec<u32> {
        poll(|| {
            let pids = self.pids();
            (pids.len() >= n).then_some(pids)
        })
        .await
        .unwrap_or_else(|| panic!("{n} fixture process(es) never started"))
    }

    /// Asserts that every fixture process and every member of its process
    /// group is gone (zombies count as gone: they no longer run, and
    /// orphaned grandchildren are reaped by init, not by us).
    async fn assert_no_survivors(&self) {
        let pids = self.pids();
        assert!(!pids.is_empty(), "the fixture never ran");
        if poll(|| survivors(&pids).is_empty().then_some(()))
            .await
            .is_none()
        {
            panic!("fixture processes survived: {:?}", survivors(&pids));
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Polls `f` every 20 ms until it returns `Some`, for at most [`DEADLINE`].
async fn poll<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Running processes among `pids` and their process groups, described.
fn survivors(pids: &[u32]) -> Vec<String> {
    let mut found = Vec::new();
    for &pid in pids {
        if is_running(pid) {
            found.push(format!("pid {pid}"));
        }
        for member in group_members(pid) {
            if member != pid {
                found.push(format!("pid {member} in group {pid}"));
            }
        }
    }
    found
}

/// `(state, pgrp)` of a process from `/proc/<pid>/stat`.
fn stat(pid: &str) -> Option<(char, u32)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

fn is_running(pid: u32) -> bool {
    matches!(stat(&pid.to_string()), Some((state, _)) if state != 'Z' && state != 'X')
}

/// Whether the process table still has an entry for `pid` (a zombie counts).
fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Running processes whose process group is `pgid`.
fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let pid: u32 = name.parse().ok()?;
            let (state, pgrp) = stat(&name)?;
            (pgrp == pgid && state != 'Z' && state != 'X').then_some(pid)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_the_url_and_stops_gracefully() {
    let fx = Fixture::new("quick-tunnel.sh");
    let mut opts = fx.options();
    // Extreme settings are accepted, not an arithmetic overflow.
    opts.start_timeout = Duration::MAX;
    opts.stop_grace = Duration::MAX;
    opts.restart_backoff_max = Duration::MAX;
    let tunnel = Tunnel::start(opts).await.unwrap();
    let url = "https://seasonal-deck-organisms-sf.trycloudflare.com";
    assert_eq!(tunnel.url(), url);
    assert_eq!(tunnel.current_url().as_deref(), Some(url));
    let pid = tunnel.pid().expect("running");
    assert_eq!(fx.wait_for_pids(1).await, vec![pid]);
    assert_eq!(
        fx.read("args").unwrap(),
        "tunnel\n--no-autoupdate\n--url\nhttp://127.0.0.1:9\n",
        "argv passed without a shell"
    );
    let rx = tunnel.subscribe();
    assert_eq!(rx.borrow().as_deref(), Some(url));

    tunnel.shutdown().await;
    assert_eq!(
        fx.read("terminated").as_deref(),
        Some("terminated\n"),
        "got SIGTERM first"
    );
    assert!(!exists(pid), "leader reaped by shutdown");
    assert_eq!(*rx.borrow(), None, "URL withdrawn");
    assert!(rx.has_changed().is_err(), "channel closed after shutdown");
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_url_times_out_with_the_output_tail() {
    let fx = Fixture::new("no-url.sh");
    let mut opts = fx.options();
    opts.start_timeout = Duration::from_millis(1500);
    match Tunnel::start(opts).await {
        Err(TunnelError::Timeout { after, tail }) => {
            assert_eq!(after, Duration::from_millis(1500));
            assert!(
                tail.contains("stdout: starting without a URL"),
                "stdout in tail: {tail}"
            );
            assert!(
                tail.contains("WRN still waiting, no URL today"),
                "stderr in tail: {tail}"
            );
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    let pids = fx.pids();
    assert_eq!(pids.len(), 1);
    assert!(!exists(pids[0]), "leader reaped");
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_urls_are_not_taken() {
    let fx = Fixture::new("lookalike-url.sh");
    let mut opts = fx.options();
    opts.start_timeout = Duration::from_millis(1500);
    match Tunnel::start(opts).await {
        Err(TunnelError::Timeout { tail, .. }) => {
            assert!(tail.contains("trycloudflare.com.evil.net"), "{tail}");
            assert!(
                tail.contains("https://evil.net/x.trycloudflare.com"),
                "{tail}"
            );
            assert!(tail.contains("api.trycloudflare.com"), "{tail}");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_exit_reports_code_and_tail() {
    let fx = Fixture::new("fails.sh");
    match Tunnel::start(fx.options()).await {
        Err(e @ TunnelError::ExitedEarly { .. }) => {
            let message = e.to_string();
            let TunnelError::ExitedEarly { code, tail } = e else {
                unreachable!()
            };
            assert_eq!(code, Some(1));
            assert!(tail.contains("failed to request quick Tunnel"), "{tail}");
            assert!(message.contains("exit code 1"), "{message}");
        }
        other => panic!("expected ExitedEarly, got {other:?}"),
    }
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unstartable_executable_is_a_spawn_error() {
    let fx = Fixture::new("fails.sh");
    // A directory cannot be executed.
    let opts = TunnelOptions::for_port(&fx.dir, 9);
    match Tunnel::start(opts).await {
        Err(TunnelError::Spawn { program, .. }) => assert_eq!(program, fx.dir),
        other => panic!("expected Spawn, got {other:?}"),
    }
    let bad = TunnelOptions::new(fx.cloudflared(), "127.0.0.1:9");
    assert!(matches!(
        Tunnel::start(bad).await,
        Err(TunnelError::InvalidLocalUrl { .. })
    ));
    assert!(fx.pids().is_empty(), "nothing was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ignored_means_sigkill_after_the_grace_period() {
    let fx = Fixture::new("ignores-sigterm.sh");
    let mut opts = fx.options();
    opts.stop_grace = Duration::from_millis(300);
    let tunnel = Tunnel::start(opts).await.unwrap();
    assert_eq!(tunnel.url(), "https://stubborn-process.trycloudflare.com");
    let pid = tunnel.pid().unwrap();
    tunnel.shutdown().await;
    assert!(!exists(pid), "leader killed and reaped by shutdown");
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_with_backoff_and_publishes_the_new_url() {
    let fx = Fixture::new("dies-after-url.sh");
    let tunnel = Tunnel::start(fx.options()).await.unwrap();
    assert_eq!(tunnel.url(), "https://run-1.trycloudflare.com");
    let mut rx = tunnel.subscribe();
    // Start 1 dies, start 2 fails without a URL, start 3 stays up.
    let published = tokio::time::timeout(
        DEADLINE,
        rx.wait_for(|u| u.as_deref() == Some("https://run-3.trycloudflare.com")),
    )
    .await
    .expect("new URL published in time")
    .expect("channel open")
    .clone();
    assert_eq!(
        published.as_deref(),
        Some("https://run-3.trycloudflare.com")
    );
    assert_eq!(tunnel.url(), "https://run-3.trycloudflare.com");
    let pids = fx.pids();
    assert_eq!(pids.len(), 3, "three starts: {pids:?}");
    assert_eq!(tunnel.pid(), Some(pids[2]));
    assert!(
        !exists(pids[0]) && !exists(pids[1]),
        "dead runs were reaped"
    );
    tunnel.shutdown().await;
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_restart_the_url_is_withdrawn_and_the_channel_closes() {
    let fx = Fixture::new("dies-after-url.sh");
    let mut opts = fx.options();
    opts.restart = false;
    let tunnel = Tunnel::start(opts).await.unwrap();
    let mut rx = tunnel.subscribe();
    let closed =
        tokio::time::timeout(DEADLINE, async { while rx.changed().await.is_ok() {} }).await;
    assert!(closed.is_ok(), "channel closes once cloudflared exited");
    assert_eq!(*rx.borrow(), None);
    assert_eq!(tunnel.current_url(), None);
    assert_eq!(
        tunnel.url(),
        "https://run-1.trycloudflare.com",
        "last known URL"
    );
    assert_eq!(tunnel.pid(), None);
    assert_eq!(fx.read("count").as_deref(), Some("1\n"), "no restart");
    tunnel.shutdown().await;
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_kills_the_process_group() {
    let fx = Fixture::new("ignores-sigterm.sh");
    let mut opts = fx.options();
    // Far beyond the test deadline: only the synchronous kill in `Drop` can
    // make the process go away in time.
    opts.stop_grace = Duration::from_secs(600);
    let tunnel = Tunnel::start(opts).await.unwrap();
    let pid = tunnel.pid().unwrap();
    assert!(!group_members(pid).is_empty());
    drop(tunnel);
    fx.assert_no_survivors().await;
    assert!(
        poll(|| (!exists(pid)).then_some(())).await.is_some(),
        "leader reaped in the background"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_while_holding_the_tunnel_leaves_no_process() {
    let fx = Fixture::new("ignores-sigterm.sh");
    let mut opts = fx.options();
    opts.stop_grace = Duration::from_secs(600); // only the drop guard is fast enough
    let task = tokio::spawn(async move {
        let tunnel = Tunnel::start(opts).await.unwrap();
        assert!(tunnel.pid().is_some());
        panic!("simulated crash while the tunnel runs");
    });
    assert!(task.await.unwrap_err().is_panic());
    fx.assert_no_survivors().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_start_kills_the_child() {
    let fx = Fixture::new("no-url.sh");
    let opts = fx.options(); // 15 s start timeout: cancelled long before
    let start = tokio::spawn(Tunnel::start(opts));
    let pids = fx.wait_for_pids(1).await;
    assert!(is_running(pids[0]));
    start.abort();
    assert!(start.await.unwrap_err().is_cancelled());
    fx.assert_no_survivors().await;
}

#[test]
fn runtime_shutdown_then_drop_outside_any_runtime_leaves_no_process() {
    let fx = Fixture::new("ignores-sigterm.sh");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut opts = fx.options();
    opts.stop_grace = Duration::from_secs(600); // only the drop paths are fast enough
    let tunnel = rt.block_on(Tunnel::start(opts)).unwrap();
    // The supervisor task dies with the runtime; the handle outlives it.
    drop(rt);
    drop(tunnel);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fx.assert_no_survivors());
}
