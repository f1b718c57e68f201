//! Floods: `seq 1 4000000` and a marker, typed into the attached pane,
//! timed until the marker is visible at the client (W1, side by side with
//! ttyd, and with attention turned off so that what watching panes costs
//! stays visible), with 50 clients watching (W6), and with a second client
//! that never reads (W8).

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::Bench;
use crate::client::{Pumped, Terminal, TmClient, ttyd_attach, wait_visible};
use crate::procfs::{CpuMeter, RssSampler, rss_bytes};
use crate::report::{Kind, Outcome, num};
use crate::screen::Scanner;
use crate::servers::{PROMPT, START_WAIT, TmServer, TmuxServer, TtydServer};
use crate::stats::Samples;

/// Lines `seq` prints.
const LINES: u32 = 4_000_000;
/// The longest a flood may take before the row fails.
const FLOOD_WAIT: Duration = Duration::from_secs(120);

/// Types the flood and waits for its marker; returns the seconds it took.
/// `tag` makes the marker unique to this repetition; the typed command
/// shows `$((40+2))`, only the output shows `42`, so the echo never counts.
pub(crate) async fn flood_once(
    term: &mut impl Terminal,
    scanner: &mut Scanner,
    tag: &str,
) -> Result<f64, String> {
    let (command, marker) = flood_command(tag);
    scanner.clear();
    let t0 = Instant::now();
    term.send(command.as_bytes()).await?;
    let seen = wait_visible(term, scanner, &marker, FLOOD_WAIT).await?;
    Ok((seen - t0).as_secs_f64())
}

/// The command line of a flood and the marker its output ends with.
fn flood_command(tag: &str) -> (String, String) {
    (
        format!("seq 1 {LINES}; echo W1_$((40+2))_{tag}_E\r"),
        format!("W1_42_{tag}_E"),
    )
}

/// Waits for the shell prompt on a freshly attached terminal.
pub(crate) async fn ready(term: &mut impl Terminal, scanner: &mut Scanner) -> Result<(), String> {
    wait_visible(term, scanner, PROMPT, START_WAIT)
        .await
        .map(drop)
}

/// One flood, timed and with the server's CPU.
async fn measured_flood(
    term: &mut impl Terminal,
    scanner: &mut Scanner,
    pid: u32,
    tag: &str,
) -> Result<(f64, f64), String> {
    let cpu = CpuMeter::start(pid)?;
    let secs = flood_once(term, scanner, tag).await?;
    Ok((secs, cpu.cpu_used()?))
}

/// tmux-mobile with `[attention] enabled = false` (a config file in its
/// tmux sandbox): no attention taps at all.
fn start_without_attention(bench: &Bench) -> Result<TmServer, String> {
    let tmux = TmuxServer::start(&[])?;
    let config = tmux.sandbox().tmpdir().join("attention-off.toml");
    std::fs::write(&config, "[attention]\nenabled = false\n")
        .map_err(|e| format!("writing {}: {e}", config.display()))?;
    let config = config.display().to_string();
    TmServer::start_on(
        &bench.bin,
        tmux,
        TmServer::command(&["--config", config.as_str()]),
    )
}

/// W1: time to the marker and server CPU, tmux-mobile, tmux-mobile with
/// attention off and (with `--vs-ttyd`) ttyd, repetitions interleaved.
pub(crate) fn w1(bench: &Bench) -> Result<Outcome, String> {
    let reps = bench.reps(3, 1);
    let tm = TmServer::start(&bench.bin)?;
    let quiet = start_without_attention(bench)?;
    let ttyd = bench.ttyd.as_deref().map(TtydServer::start).transpose()?;
    let (mut time, mut cpu, mut ttyd_time, mut ttyd_cpu) = (
        Samples::new(),
        Samples::new(),
        Samples::new(),
        Samples::new(),
    );
    let (mut time_ratio, mut cpu_ratio) = (Samples::new(), Samples::new());
    let (mut off_time, mut off_cpu) = (Samples::new(), Samples::new());
    bench.rt.block_on(async {
        let mut ours = TmClient::attach(tm.port, &tm.token, START_WAIT)
            .await?
            .pumped();
        let mut our_screen = Scanner::new();
        ready(&mut ours, &mut our_screen).await?;
        let mut unwatched = TmClient::attach(quiet.port, &quiet.token, START_WAIT)
            .await?
            .pumped();
        let mut unwatched_screen = Scanner::new();
        ready(&mut unwatched, &mut unwatched_screen).await?;
        let mut theirs = match &ttyd {
            Some(t) => {
                let mut c = ttyd_attach(t.port).await?;
                let mut s = Scanner::new();
                ready(&mut c, &mut s).await?;
                Some((c, s, t.pid()))
            }
            None => None,
        };
        for rep in 0..reps {
            let (t, c) =
                measured_flood(&mut ours, &mut our_screen, tm.pid(), &format!("r{rep}")).await?;
            time.push(t);
            cpu.push(c);
            let (ot, oc) = measured_flood(
                &mut unwatched,
                &mut unwatched_screen,
                quiet.pid(),
                &format!("o{rep}"),
            )
            .await?;
            off_time.push(ot);
            off_cpu.push(oc);
            if let Some((client, screen, pid)) = theirs.as_mut() {
                let (tt, tc) = measured_flood(client, screen, *pid, &format!("r{rep}")).await?;
                ttyd_time.push(tt);
                ttyd_cpu.push(tc);
                time_ratio.push(t / tt);
                cpu_ratio.push(c / tc);
            }
        }
        Ok::<_, String>(())
    })?;
    let mut o = Outcome::default();
    o.figure(
        "time to marker",
        "tmux-mobile",
        "s",
        Kind::Run,
        time.clone(),
    );
    o.figure("server CPU", "tmux-mobile", "s", Kind::Run, cpu.clone());
    o.figure(
        "time to marker",
        "tmux-mobile, attention off",
        "s",
        Kind::Run,
        off_time,
    );
    o.figure(
        "server CPU",
        "tmux-mobile, attention off",
        "s",
        Kind::Run,
        off_cpu,
    );
    o.note("attention off: a second server with `[attention] enabled = false` (no taps), floods interleaved with the first's; the difference is what watching every pane costs during a flood");
    if ttyd.is_some() {
        o.figure("time to marker", "ttyd", "s", Kind::Run, ttyd_time);
        o.figure("server CPU", "ttyd", "s", Kind::Run, ttyd_cpu);
        o.figure(
            "time, tmux-mobile / ttyd",
            "ratio",
            "×",
            Kind::Run,
            time_ratio.clone(),
        );
        o.figure(
            "CPU, tmux-mobile / ttyd",
            "ratio",
            "×",
            Kind::Run,
            cpu_ratio.clone(),
        );
        let tr = time_ratio.median().unwrap_or(f64::NAN);
        let cr = cpu_ratio.median().unwrap_or(f64::NAN);
        o.check("time ≤ ttyd", format!("{}×", num(tr)), tr <= 1.0);
        o.check("CPU ≤ 0.7× ttyd", format!("{}×", num(cr)), cr <= 0.7);
        o.note(
            "ratios are medians of per-repetition ratios (runs interleaved: ours, ttyd, ours, …)",
        );
    } else {
        o.note("no --vs-ttyd: the targets are relative to ttyd and were not checked");
    }
    Ok(o)
}

/// W6: 50 clients on one session; one types the flood; time until every
/// one of them has seen the marker, against W1 with that client alone.
pub(crate) fn w6(bench: &Bench) -> Result<Outcome, String> {
    let (reps, watchers) = (bench.reps(2, 1), 49);
    let tm = TmServer::start(&bench.bin)?;
    let mut solo = Samples::new();
    let mut all = Samples::new();
    bench.rt.block_on(async {
        let mut typist = TmClient::attach(tm.port, &tm.token, START_WAIT)
            .await?
            .pumped();
        let mut screen = Scanner::new();
        ready(&mut typist, &mut screen).await?;
        for rep in 0..reps {
            solo.push(flood_once(&mut typist, &mut screen, &format!("solo{rep}")).await?);
        }
        let (marker_tx, marker_rx) = watch::channel(String::new());
        let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for _ in 0..watchers {
            let mut client = TmClient::attach(tm.port, &tm.token, START_WAIT)
                .await?
                .pumped();
            let mut scanner = Scanner::new();
            ready(&mut client, &mut scanner).await?;
            let (rx, tx) = (marker_rx.clone(), seen_tx.clone());
            tasks.push(crate::client::AbortOnDrop(tokio::spawn(async move {
                watch_markers(client, scanner, rx, tx).await;
            })));
        }
        for rep in 0..reps {
            let (_, marker) = flood_command(&format!("all{rep}"));
            marker_tx.send_replace(marker);
            let t0 = Instant::now();
            flood_once(&mut typist, &mut screen, &format!("all{rep}")).await?;
            let mut last = Instant::now();
            for _ in 0..watchers {
                let deadline = t0 + FLOOD_WAIT;
                match tokio::time::timeout_at(deadline, seen_rx.recv()).await {
                    Ok(Some(Ok(at))) => last = last.max(at),
                    Ok(Some(Err(e))) => return Err(format!("a watching client failed: {e}")),
                    Ok(None) | Err(_) => {
                        return Err("not every watching client saw the marker in time".into());
                    }
                }
            }
            all.push((last - t0).as_secs_f64());
        }
        drop(tasks);
        Ok::<_, String>(())
    })?;
    let mut o = Outcome::default();
    o.figure("W1 alone", "tmux-mobile", "s", Kind::Run, solo.clone());
    o.figure(
        "all 50 saw the marker",
        "tmux-mobile",
        "s",
        Kind::Run,
        all.clone(),
    );
    let ratio = all.median().unwrap_or(f64::NAN) / solo.median().unwrap_or(f64::NAN);
    o.figure(
        "all 50 / alone",
        "ratio",
        "×",
        Kind::Run,
        Samples::one(ratio),
    );
    o.check("≤ 1.5× W1", format!("{}×", num(ratio)), ratio <= 1.5);
    Ok(o)
}

/// A watching client of W6: reports when each new marker becomes visible.
async fn watch_markers(
    mut term: Pumped,
    mut scanner: Scanner,
    markers: watch::Receiver<String>,
    seen: mpsc::UnboundedSender<Result<Instant, String>>,
) {
    let mut reported = String::new();
    loop {
        let far = Instant::now() + Duration::from_secs(3600);
        let chunk = match term.output(far).await {
            Ok(c) => c,
            Err(e) => {
                let _ = seen.send(Err(e));
                return;
            }
        };
        let marker = markers.borrow().clone();
        if !marker.is_empty()
            && marker != reported
            && scanner.feed_and_find(&chunk, marker.as_bytes())
        {
            let _ = seen.send(Ok(Instant::now()));
            reported = marker;
            scanner.clear();
        }
    }
}

/// W8: a second client attaches and never reads while the first floods:
/// the server's RSS growth, and the flood's time against the first client
/// alone.
pub(crate) fn w8(bench: &Bench) -> Result<Outcome, String> {
    let reps = bench.reps(2, 1);
    let tm = TmServer::start(&bench.bin)?;
    let (mut solo, mut stalled) = (Samples::new(), Samples::new());
    let mut growth = Samples::new();
    bench.rt.block_on(async {
        let mut fast = TmClient::attach(tm.port, &tm.token, START_WAIT)
            .await?
            .pumped();
        let mut screen = Scanner::new();
        ready(&mut fast, &mut screen).await?;
        for rep in 0..reps {
            solo.push(flood_once(&mut fast, &mut screen, &format!("solo{rep}")).await?);
        }
        // The stalled client reads up to its prompt, then never again.
        let mut slow = TmClient::attach(tm.port, &tm.token, START_WAIT).await?;
        ready(&mut slow, &mut Scanner::new()).await?;
        for rep in 0..reps {
            let before = rss_bytes(tm.pid())?;
            let sampler = RssSampler::start(tm.pid(), Duration::from_millis(20));
            stalled.push(flood_once(&mut fast, &mut screen, &format!("stall{rep}")).await?);
            let peak = sampler.stop();
            growth.push(peak.saturating_sub(before) as f64 / 1e6);
        }
        drop(slow);
        Ok::<_, String>(())
    })?;
    let mut o = Outcome::default();
    o.figure("W1 alone", "tmux-mobile", "s", Kind::Run, solo.clone());
    o.figure(
        "W1 beside a stalled client",
        "tmux-mobile",
        "s",
        Kind::Run,
        stalled.clone(),
    );
    o.figure(
        "server RSS growth",
        "tmux-mobile",
        "MB",
        Kind::Run,
        growth.clone(),
    );
    let speed = solo.median().unwrap_or(f64::NAN) / stalled.median().unwrap_or(f64::NAN);
    o.figure(
        "speed beside a stalled client / alone",
        "ratio",
        "×",
        Kind::Run,
        Samples::one(speed),
    );
    let worst = growth.max().unwrap_or(f64::NAN);
    o.check(
        "RSS growth ≤ 16 MB",
        format!("{} MB (max)", num(worst)),
        worst <= 16.0,
    );
    o.check(
        "fast client ≥ 0.9× solo speed",
        format!("{}×", num(speed)),
        speed >= 0.9,
    );
    Ok(o)
}
