//! W2: keystroke echo. One printable byte goes in, and the time until it
//! is visible in the terminal output is one sample. The pane's shell waits
//! in `read` with the terminal in canonical mode, so the echo is the
//! terminal's own: what is timed is the path through the server and tmux,
//! nothing a program does. Letters cycle so two consecutive samples never
//! wait for the same byte; batches end with Ctrl-U (erase the line), so the
//! line never wraps; tmux-mobile and ttyd alternate batch by batch.

use std::time::Duration;

use tokio::time::Instant;

use crate::Bench;
use crate::client::{Terminal, TmClient, ttyd_attach, wait_visible};
use crate::report::{Kind, Outcome, num};
use crate::rows::flood::ready;
use crate::screen::Scanner;
use crate::servers::{START_WAIT, TmServer, TtydServer};
use crate::stats::Samples;

/// Keystrokes per batch (the line stays shorter than the 120 columns).
const BATCH: usize = 50;
/// Longest wait for one echo before the row fails.
const ECHO_WAIT: Duration = Duration::from_secs(10);

/// Types `BATCH` letters one at a time; adds each echo's latency in ms.
pub(crate) async fn batch(
    term: &mut impl Terminal,
    scanner: &mut Scanner,
    into: &mut Samples,
) -> Result<(), String> {
    for i in 0..BATCH {
        let key = b'a' + (i % 26) as u8;
        scanner.clear();
        let t0 = Instant::now();
        term.send(&[key]).await?;
        let seen = wait_visible(term, scanner, &char::from(key).to_string(), ECHO_WAIT).await?;
        into.push((seen - t0).as_secs_f64() * 1000.0);
    }
    // Ctrl-U: the terminal erases the line; its redraw holds no letters.
    term.send(b"\x15").await
}

/// W2, ×500 (×100 with `--quick`) per server.
pub(super) fn w2(bench: &Bench) -> Result<Outcome, String> {
    let batches = bench.reps(10, 2);
    let tm = TmServer::start(&bench.bin)?;
    let ttyd = bench.ttyd.as_deref().map(TtydServer::start).transpose()?;
    let (mut ours, mut theirs) = (Samples::new(), Samples::new());
    bench.rt.block_on(async {
        let mut client = TmClient::attach(tm.port, &tm.token, START_WAIT)
            .await?
            .pumped();
        let mut screen = Scanner::new();
        ready(&mut client, &mut screen).await?;
        let mut other = match &ttyd {
            Some(t) => {
                let mut c = ttyd_attach(t.port).await?;
                let mut s = Scanner::new();
                ready(&mut c, &mut s).await?;
                Some((c, s))
            }
            None => None,
        };
        for _ in 0..batches {
            batch(&mut client, &mut screen, &mut ours).await?;
            if let Some((c, s)) = other.as_mut() {
                batch(c, s, &mut theirs).await?;
            }
        }
        Ok::<_, String>(())
    })?;
    let mut o = Outcome::default();
    o.figure(
        "echo latency",
        "tmux-mobile",
        "ms",
        Kind::Event,
        ours.clone(),
    );
    if ttyd.is_some() {
        o.figure("echo latency", "ttyd", "ms", Kind::Event, theirs.clone());
        let p50 = ours.median().unwrap_or(f64::NAN) / theirs.median().unwrap_or(f64::NAN);
        let p99 = ours.p99().unwrap_or(f64::NAN) / theirs.p99().unwrap_or(f64::NAN);
        o.figure(
            "p50, tmux-mobile / ttyd",
            "ratio",
            "×",
            Kind::Run,
            Samples::one(p50),
        );
        o.figure(
            "p99, tmux-mobile / ttyd",
            "ratio",
            "×",
            Kind::Run,
            Samples::one(p99),
        );
        o.check("p50 ≤ 0.9× ttyd", format!("{}×", num(p50)), p50 <= 0.9);
        o.check("p99 ≤ ttyd", format!("{}×", num(p99)), p99 <= 1.0);
    } else {
        o.note("no --vs-ttyd: the targets are relative to ttyd and were not checked");
    }
    Ok(o)
}
