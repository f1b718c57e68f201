//! Idle costs: tmux processes started and CPU used while one client sits
//! attached (W4), and the server's resident memory by number of clients
//! (W5).

use std::time::Duration;

use futures_util::future::try_join_all;
use tmux_mobile_e2e::TempDir;

use crate::Bench;
use crate::client::{Drained, TmClient};
use crate::helpers::install_tmux_wrapper;
use crate::procfs::{CpuMeter, rss_bytes};
use crate::report::{Kind, Outcome, num};
use crate::rows::flood::ready;
use crate::screen::Scanner;
use crate::servers::{START_WAIT, TmServer, TmuxServer};
use crate::stats::Samples;

/// A client attached, past its first prompt, read in the background.
pub(super) async fn attached_idle(port: u16, token: &str) -> Result<Drained, String> {
    let mut client = TmClient::attach(port, token, START_WAIT).await?;
    ready(&mut client, &mut Scanner::new()).await?;
    Ok(client.drain_all())
}

/// Attaches `n` more clients, `at_once` at a time.
pub(super) async fn attach_many(
    port: u16,
    token: &str,
    n: usize,
    at_once: usize,
    into: &mut Vec<Drained>,
) -> Result<(), String> {
    let mut left = n;
    while left > 0 {
        let k = left.min(at_once);
        into.extend(try_join_all((0..k).map(|_| attached_idle(port, token))).await?);
        left -= k;
    }
    Ok(())
}

fn log_lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

/// W4: one client attached and idle for 60 s (10 s with `--quick`).
pub(super) fn w4(bench: &Bench) -> Result<Outcome, String> {
    let idle = Duration::from_secs(if bench.quick { 10 } else { 60 });
    let wrapper_dir = TempDir::new("tmux-mobile-bench-wrapper");
    let log = wrapper_dir.path().join("tmux.log");
    let env = install_tmux_wrapper(wrapper_dir.path(), &bench.exe, &log)?;
    let mut cmd = TmServer::command(&[]);
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    let tm = TmServer::start_on(&bench.bin, TmuxServer::start(&[])?, cmd)?;
    let (spawned, cpu_pct, at_attach) = bench.rt.block_on(async {
        let client = attached_idle(tm.port, &tm.token).await?;
        // Settled: no new tmux process for 3 s (the attach itself starts a
        // few: the grouped session, the PTY client, the watcher).
        let mut last = (log_lines(&log), std::time::Instant::now());
        let settle_deadline = std::time::Instant::now() + Duration::from_secs(30);
        while last.1.elapsed() < Duration::from_secs(3) {
            if std::time::Instant::now() > settle_deadline {
                return Err("tmux processes kept starting for 30 s after the attach".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let n = log_lines(&log);
            if n != last.0 {
                last = (n, std::time::Instant::now());
            }
        }
        let before = log_lines(&log);
        let cpu = CpuMeter::start(tm.pid())?;
        // The workload is the idleness itself.
        tokio::time::sleep(idle).await;
        let used = cpu.cpu_used()?;
        let wall = cpu.elapsed().as_secs_f64();
        let spawned = log_lines(&log) - before;
        drop(client);
        Ok::<_, String>((spawned, used / wall * 100.0, before))
    })?;
    let mut o = Outcome::default();
    o.figure(
        format!("tmux processes started in {} s idle", idle.as_secs()),
        "tmux-mobile",
        "count",
        Kind::Run,
        Samples::one(spawned as f64),
    );
    o.figure(
        "server CPU while idle",
        "tmux-mobile",
        "%",
        Kind::Run,
        Samples::one(cpu_pct),
    );
    o.check("0 tmux processes", spawned.to_string(), spawned == 0);
    o.check(
        "CPU ≤ 0.05 %",
        format!("{} %", num(cpu_pct)),
        cpu_pct <= 0.05,
    );
    o.note(format!(
        "{at_attach} tmux invocations from start to a settled attach (through a logging `tmux` wrapper on PATH); CPU is utime+stime at 10 ms resolution"
    ));
    Ok(o)
}

/// Resident memory of the server, in MB, after things settled.
async fn settled_rss(pid: u32) -> Result<f64, String> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(rss_bytes(pid)? as f64 / 1e6)
}

/// W5: RSS with 0, 1, 10 and 100 clients (0, 1, 10 with `--quick`).
pub(super) fn w5(bench: &Bench) -> Result<Outcome, String> {
    let most = if bench.quick { 10 } else { 100 };
    let tm = TmServer::start(&bench.bin)?;
    let mut sizes = Vec::new();
    bench.rt.block_on(async {
        let mut clients = Vec::new();
        sizes.push((0, settled_rss(tm.pid()).await?));
        for n in [1, 10, 100].into_iter().filter(|&n| n <= most) {
            attach_many(tm.port, &tm.token, n - clients.len(), 10, &mut clients).await?;
            sizes.push((n, settled_rss(tm.pid()).await?));
        }
        Ok::<_, String>(())
    })?;
    let mut o = Outcome::default();
    for (n, mb) in &sizes {
        o.figure(
            format!("RSS, {n} clients"),
            "tmux-mobile",
            "MB",
            Kind::Run,
            Samples::one(*mb),
        );
    }
    let rss = |n: usize| sizes.iter().find(|s| s.0 == n).map(|s| s.1);
    let (idle, one, last) = (rss(0), rss(1), sizes.last().copied());
    if let (Some(idle), Some(one), Some((n, last_mb))) = (idle, one, last) {
        let per = (last_mb - one) / (n - 1) as f64;
        o.figure(
            format!("per extra client (1 → {n})"),
            "tmux-mobile",
            "MB",
            Kind::Run,
            Samples::one(per),
        );
        o.check(
            "≤ 8 MB idle (0 clients)",
            format!("{} MB", num(idle)),
            idle <= 8.0,
        );
        o.check(
            "≤ 8 MB with 1 client",
            format!("{} MB", num(one)),
            one <= 8.0,
        );
        o.check(
            "≤ 0.5 MB per extra client",
            format!("{} MB", num(per)),
            per <= 0.5,
        );
    }
    o.note("one run: RSS after 0.5 s of quiet, 1 MB = 10^6 bytes");
    Ok(o)
}
