//! Benchmarks of the tmux gateway and the state watcher, on private tmux
//! servers (never the user's):
//!
//! 1. latency from an outside `tmux new-window` to the snapshot the watcher
//!    publishes (p50/p99 over N runs), measured from the moment the outside
//!    command has returned and from the moment it was started;
//! 2. one snapshot of 10 sessions × 10 windows × 4 panes: by a tmux process
//!    (`Tmux::snapshot`), over the watcher's control-mode connection
//!    (`StateWatcher::refresh`), and the parse alone;
//! 3. tmux processes spawned and tmux server CPU time during an idle period
//!    with the watcher running (counted with a logging wrapper binary).
//!
//! ```text
//! cargo run --release -p tmux-mobile-tmux-control --features test-support \
//!     --example bench -- [latency runs, default 100] [idle seconds, default 60]
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Snapshot, StateWatcher, WatcherOptions};
use tokio::sync::watch;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let idle_secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);

    latency(runs).await;
    big_snapshot().await;
    idle(idle_secs).await;
}

async fn wait_until(
    rx: &mut watch::Receiver<Arc<Snapshot>>,
    condition: impl Fn(&Snapshot) -> bool,
) {
    loop {
        if condition(&rx.borrow_and_update()) {
            return;
        }
        tokio::time::timeout(Duration::from_secs(30), rx.changed())
            .await
            .expect("snapshot timed out")
            .expect("watcher gone");
    }
}

fn windows(snapshot: &Snapshot) -> usize {
    snapshot.session("base").map_or(0, |s| s.windows.len())
}

fn outside_tmux(sandbox: &IsolatedTmux, args: &[&str]) {
    let status = std::process::Command::new("tmux")
        .env_remove("TMUX")
        .env("TMUX_TMPDIR", sandbox.dir())
        .args(sandbox.tmux().base_args())
        .args(args)
        .status()
        .expect("tmux");
    assert!(status.success());
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what}: n={} p50={:.2?} p90={:.2?} p99={:.2?} max={:.2?}",
        samples.len(),
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 99.0),
        samples[samples.len() - 1]
    );
}

async fn latency(runs: usize) {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    wait_until(&mut rx, |s| windows(s) == 1).await;
    let mut after_return = Vec::new();
    let mut from_start = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        outside_tmux(&sandbox, &["new-window", "-d", "-t", "=base:"]);
        let returned = Instant::now();
        wait_until(&mut rx, |s| windows(s) == 2).await;
        after_return.push(returned.elapsed());
        from_start.push(started.elapsed());
        outside_tmux(&sandbox, &["kill-window", "-t", "=base:1"]);
        wait_until(&mut rx, |s| windows(s) == 1).await;
    }
    report(
        "new-window -> snapshot published (after the outside command returned)",
        after_return,
    );
    report(
        "new-window -> snapshot published (from starting the outside command)",
        from_start,
    );
    watcher.shutdown().await;
}

async fn big_snapshot() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("s0").await.unwrap();
    // Build 10 sessions x 10 windows x 4 panes in a few tmux invocations.
    for s in 0..10 {
        let session = format!("s{s}");
        let mut args: Vec<String> = Vec::new();
        if s > 0 {
            args.extend(
                [
                    "new-session",
                    "-d",
                    "-s",
                    &session,
                    "-x",
                    "200",
                    "-y",
                    "60",
                    "cat",
                    ";",
                ]
                .map(String::from),
            );
        }
        for w in 0..10 {
            if w > 0 {
                args.extend(
                    [
                        "new-window",
                        "-d",
                        "-t",
                        &format!("={session}:{w}"),
                        "cat",
                        ";",
                    ]
                    .map(String::from),
                );
            }
            for _ in 0..3 {
                args.extend(
                    [
                        "split-window",
                        "-d",
                        "-t",
                        &format!("={session}:{w}"),
                        "cat",
                        ";",
                    ]
                    .map(String::from),
                );
            }
            args.extend(
                [
                    "select-layout",
                    "-t",
                    &format!("={session}:{w}"),
                    "tiled",
                    ";",
                ]
                .map(String::from),
            );
        }
        args.pop();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        sandbox.run(&refs).await.unwrap();
    }
    let tmux = sandbox.tmux();
    let snap = tmux.snapshot().await.unwrap();
    let panes: usize = snap
        .sessions()
        .iter()
        .flat_map(|s| &s.windows)
        .map(|w| w.panes.len())
        .sum();
    println!(
        "big server: {} sessions, {} windows, {} panes",
        snap.sessions().len(),
        snap.sessions()
            .iter()
            .map(|s| s.windows.len())
            .sum::<usize>(),
        panes
    );

    let mut by_process = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let s = tmux.snapshot().await.unwrap();
        by_process.push(t.elapsed());
        assert_eq!(s, snap);
    }
    report(
        "one snapshot, 10x10x4, by a tmux process (spawn+run+parse)",
        by_process,
    );

    let (watcher, mut rx) = StateWatcher::spawn(tmux.clone(), WatcherOptions::default());
    wait_until(&mut rx, |s| s.sessions().len() >= 10).await;
    let mut by_control = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let _ = watcher.refresh().await;
        by_control.push(t.elapsed());
    }
    report(
        "one snapshot, 10x10x4, over control mode (refresh round trip)",
        by_control,
    );
    watcher.shutdown().await;

    let output = sandbox
        .run(&[
            "list-panes",
            "-a",
            "-F",
            &SNAPSHOT_FORMAT_FOR_BENCH.replace("\\t", "\t"),
        ])
        .await
        .unwrap();
    println!("snapshot output size: {} bytes", output.len());
    drop(snap);
}

/// Only used to show the output size; the crate's own format is private.
const SNAPSHOT_FORMAT_FOR_BENCH: &str = "#{session_id}\\t#{session_attached}\\t#{window_id}\\t#{window_index}\\t#{window_active}\\t#{window_zoomed_flag}\\t#{pane_id}\\t#{pane_index}\\t#{pane_active}\\t#{pane_width}\\t#{pane_height}\\t#{n:session_name}:#{session_name}\\t#{n:session_group}:#{session_group}\\t#{n:window_name}:#{window_name}\\t#{pane_current_command}";

async fn idle(secs: u64) {
    let probe = IsolatedTmux::new().unwrap();
    let log = probe.dir().join("invocations.log");
    let wrapper = probe.dir().join("tmux-wrapper");
    let real = which("tmux");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sandbox = IsolatedTmux::with_binary(&wrapper).unwrap();
    sandbox.start("idle").await.unwrap();
    let pid: u32 = sandbox
        .run(&["display-message", "-p", "#{pid}"])
        .await
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (watcher, mut rx) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    wait_until(&mut rx, |s| s.session("idle").is_some()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    rx.borrow_and_update();
    let before = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .count();
    let cpu_before = cpu_ticks(pid);
    let mut events = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while let Ok(Ok(())) = tokio::time::timeout_at(deadline, rx.changed()).await {
        events += 1;
    }
    let after = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .count();
    let cpu_after = cpu_ticks(pid);
    println!(
        "idle {secs} s with the watcher: {} tmux processes spawned (plus the 1 control client at start: {before}), {events} snapshot events, tmux server CPU {} ticks (1/100 s)",
        after - before,
        cpu_after.saturating_sub(cpu_before)
    );
    watcher.shutdown().await;
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // utime and stime are fields 14 and 15 (1-based) of the whole line;
    // after the `)` they are at 11 and 12 (0-based).
    let utime: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0);
    let stime: u64 = fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    utime + stime
}

fn which(binary: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(binary))
        .find(|p| p.is_file())
        .expect("binary on PATH")
}
