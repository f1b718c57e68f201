//! `cargo xtask soak --minutes N` (`tmux-mobile-bench soak`): the release
//! `tmux-mobile` on a private tmux server under a steady churn of clients
//! while output flows, to show that nothing accumulates (issue 16, "Load
//! and soak"). Not part of CI: it runs for minutes.
//!
//! - One *viewer* stays attached the whole time, its pane printing in a
//!   loop (`seq` bursts), so output flows through the server throughout.
//! - `--clients` *churners* each attach (control socket, terminal socket),
//!   read the flowing output for 0.5–2.5 s, and leave: every other one with
//!   close frames, the rest by dropping the TCP connections (the server
//!   keeps those for its resume grace, here 5 s, then cleans up), and
//!   attach again.
//! - The server's RSS (`VmRSS`), open file descriptors (`/proc/<pid>/fd`),
//!   child processes and the tmux server's session count are printed at
//!   the start, every minute and at the end. The end is taken after the
//!   churn stopped and the last grace period ran out (the session count is
//!   back to the start's, or 60 s passed).
//!
//! It fails when a churner could not attach or saw no output, or when the
//! end exceeds the bounds: RSS ≤ the first minute's + [`RSS_BOUND_MB`]
//! (the first minute is the allocator's warm-up), descriptors, children
//! and sessions ≤ the start's (the viewer alone) + [`FD_SLACK`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use argh::FromArgs;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::client::{AbortOnDrop, Terminal, TmClient};
use crate::procfs::rss_bytes;
use crate::rows::flood::ready;
use crate::screen::Scanner;
use crate::servers::{START_WAIT, TmServer, TmuxServer};

/// Allowed RSS growth from the end of the first minute to the end, MB.
pub(crate) const RSS_BOUND_MB: f64 = 8.0;
/// Allowed extra descriptors (and children, sessions) at the end.
pub(crate) const FD_SLACK: u64 = 4;
/// The server's resume grace in the soak, seconds.
const GRACE_SECS: u64 = 5;

/// Clients connecting and disconnecting for N minutes with output flowing;
/// fails when the server's memory or descriptors grow.
#[derive(FromArgs, Debug)]
#[argh(name = "soak")]
pub(crate) struct SoakArgs {
    /// how long the churn runs, in minutes (default 10)
    #[argh(option, default = "10")]
    minutes: u64,

    /// churning clients at once (default 6)
    #[argh(option, default = "6")]
    clients: usize,

    /// the tmux-mobile binary (default: next to this binary)
    #[argh(option)]
    bin: Option<std::path::PathBuf>,
}

/// One look at the server.
#[derive(Debug, Clone, Copy)]
struct Sample {
    rss_mb: f64,
    fds: u64,
    children: u64,
    sessions: u64,
}

impl Sample {
    fn take(pid: u32, tmux: &TmuxServer) -> Result<Self, String> {
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map_err(|e| format!("cannot list /proc/{pid}/fd: {e}"))?
            .count() as u64;
        let sessions = tmux
            .tmux(&["list-sessions", "-F", "#{session_name}"])?
            .lines()
            .count() as u64;
        Ok(Self {
            rss_mb: rss_bytes(pid)? as f64 / 1e6,
            fds,
            children: tmux_mobile_e2e::procs::descendants(pid).len() as u64,
            sessions,
        })
    }

    fn line(&self, label: &str, cycles: u64) -> String {
        format!(
            "soak: {label:>8}  RSS {:7.2} MB  fds {:4}  children {:3}  tmux sessions {:3}  client cycles {cycles:6}  load {:.1}",
            self.rss_mb,
            self.fds,
            self.children,
            self.sessions,
            crate::procfs::load_average()
        )
    }
}

/// Runs the soak (argv after `soak`).
pub(crate) fn soak(argv: &[String]) -> Result<(), String> {
    let args = match SoakArgs::from_args(
        &["tmux-mobile-bench soak"],
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
    ) {
        Ok(a) => a,
        Err(early) => {
            return match early.status {
                Ok(()) => {
                    println!("{}", early.output);
                    Ok(())
                }
                Err(()) => Err(early.output),
            };
        }
    };
    let bin = args.bin.unwrap_or_else(crate::servers::default_binary);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let grace = GRACE_SECS.to_string();
    let srv = TmServer::start_on(
        &bin,
        TmuxServer::start(&[])?,
        TmServer::command(&["--resume-grace", &grace]),
    )?;
    let pid = srv.pid();
    let cycles = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (stop_tx, stop_rx) = watch::channel(false);

    let (start, minute1, end) = rt.block_on(async {
        // The viewer, its pane printing in bursts for the whole soak.
        let mut viewer = TmClient::attach(srv.port, &srv.token, START_WAIT)
            .await?
            .pumped();
        ready(&mut viewer, &mut Scanner::new()).await?;
        viewer
            .send(b"while :; do seq 1 3000; sleep 0.5; done\r")
            .await?;
        let _viewer_reader = AbortOnDrop(tokio::spawn(async move {
            let far = Instant::now() + Duration::from_secs(365 * 86_400);
            while viewer.output(far).await.is_ok() {}
        }));
        // Output flows (a second client sees it); the start's picture is
        // taken once that client is gone again (the viewer alone).
        let alone = Sample::take(pid, srv.tmux())?;
        wait_output_flowing(srv.port, &srv.token).await?;
        let gone = Instant::now() + START_WAIT;
        let mut start = Sample::take(pid, srv.tmux())?;
        while Instant::now() < gone
            && (start.sessions > alone.sessions || start.children > alone.children)
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
            start = Sample::take(pid, srv.tmux())?;
        }
        println!("{}", start.line("start", 0));

        let mut churners = Vec::new();
        for n in 0..args.clients {
            let (port, token) = (srv.port, srv.token.clone());
            let (cycles, errors, stop) =
                (Arc::clone(&cycles), Arc::clone(&errors), stop_rx.clone());
            churners.push(tokio::spawn(async move {
                churn(n, port, token, stop, cycles, errors).await;
            }));
        }
        let t0 = Instant::now();
        let mut minute1 = start;
        for minute in 1..=args.minutes {
            tokio::time::sleep_until(t0 + Duration::from_secs(60 * minute)).await;
            let s = Sample::take(pid, srv.tmux())?;
            println!(
                "{}",
                s.line(&format!("{minute} min"), cycles.load(Ordering::Relaxed))
            );
            if minute == 1 {
                minute1 = s;
            }
        }
        stop_tx.send_replace(true);
        for c in churners {
            let _ = c.await;
        }
        // The last dropped clients' grace runs out, then cleanup.
        let settled = Instant::now() + Duration::from_secs(60);
        let mut end = Sample::take(pid, srv.tmux())?;
        while Instant::now() < settled
            && (end.sessions > start.sessions || end.children > start.children)
        {
            tokio::time::sleep(Duration::from_millis(500)).await;
            end = Sample::take(pid, srv.tmux())?;
        }
        println!("{}", end.line("end", cycles.load(Ordering::Relaxed)));
        if end.sessions > start.sessions {
            let names = srv.tmux().tmux(&[
                "list-sessions",
                "-F",
                "#{session_name} attached=#{session_attached} windows=#{session_windows}",
            ])?;
            println!("soak: tmux sessions at the end:\n{}", names.trim_end());
        }
        Ok::<_, String>((start, minute1, end))
    })?;

    let errors = errors.lock().map(|e| e.clone()).unwrap_or_default();
    let mut failures = Vec::new();
    if !errors.is_empty() {
        failures.push(format!(
            "{} client cycles failed, first: {}",
            errors.len(),
            errors[0]
        ));
    }
    let growth = end.rss_mb - minute1.rss_mb;
    if growth > RSS_BOUND_MB {
        failures.push(format!(
            "RSS grew {growth:.2} MB after the first minute (bound {RSS_BOUND_MB} MB)"
        ));
    }
    for (what, s, e) in [
        ("open fds", start.fds, end.fds),
        ("children", start.children, end.children),
        ("tmux sessions", start.sessions, end.sessions),
    ] {
        if e > s + FD_SLACK {
            failures.push(format!(
                "{what}: {s} at the start, {e} at the end (bound +{FD_SLACK})"
            ));
        }
    }
    println!(
        "soak: {} minutes, {} client cycles, {} clients at once; RSS {:.2} → {:.2} MB (after minute 1: {:.2}, bound +{RSS_BOUND_MB}), fds {} → {}, children {} → {}, sessions {} → {}",
        args.minutes,
        cycles.load(Ordering::Relaxed),
        args.clients,
        start.rss_mb,
        end.rss_mb,
        minute1.rss_mb,
        start.fds,
        end.fds,
        start.children,
        end.children,
        start.sessions,
        end.sessions
    );
    if failures.is_empty() {
        println!("soak: passed");
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// Waits until a fresh client sees output arriving (the viewer's loop
/// runs), then leaves.
async fn wait_output_flowing(port: u16, token: &str) -> Result<(), String> {
    let mut c = TmClient::attach(port, token, START_WAIT).await?;
    let deadline = Instant::now() + START_WAIT;
    let mut bytes = 0;
    while bytes < 20_000 {
        bytes += c
            .output(deadline)
            .await
            .map_err(|e| format!("waiting for the viewer's output: {e}"))?
            .len();
    }
    let _ = c.control.close(None).await;
    let _ = c.terminal.close(None).await;
    Ok(())
}

/// One churning client: attach, read, leave, until `stop`.
async fn churn(
    n: usize,
    port: u16,
    token: String,
    stop: watch::Receiver<bool>,
    cycles: Arc<AtomicU64>,
    errors: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let mut i: usize = 0;
    while !*stop.borrow() {
        i += 1;
        // 0.5–2.5 s, different per client and cycle.
        let hold = Duration::from_millis(500 + ((n * 7919 + i * 104_729) % 2000) as u64);
        if let Err(e) = cycle(port, &token, hold, (n + i) % 2 == 0).await {
            if let Ok(mut errors) = errors.lock() {
                errors.push(format!("client {n} cycle {i}: {e}"));
            }
            eprintln!("soak: client {n} cycle {i}: {e}");
        }
        cycles.fetch_add(1, Ordering::Relaxed);
    }
}

/// Attaches, reads terminal output for `hold` (and control messages, as a
/// browser does), then leaves: with close frames when `clean`, else by
/// dropping the connections.
async fn cycle(port: u16, token: &str, hold: Duration, clean: bool) -> Result<(), String> {
    let mut c = TmClient::attach(port, token, START_WAIT).await?;
    let until = Instant::now() + hold;
    let mut got = 0usize;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(until) => break,
            m = c.terminal.next() => match m {
                Some(Ok(m)) => got += m.len(),
                other => return Err(format!("terminal socket ended: {other:?}")),
            },
            m = c.control.next() => if !matches!(m, Some(Ok(_))) {
                return Err(format!("control socket ended: {m:?}"));
            },
        }
    }
    if got == 0 {
        return Err(format!("no output in {hold:?}"));
    }
    if clean {
        let _ = c.terminal.close(None).await;
        let _ = c.control.close(None).await;
    }
    Ok(())
}
