//! W15: the compressed terminal stream (subprotocol
//! `tmux-mobile.v1.deflate`, issue 11) against the raw one.
//!
//! - **Bytes on the wire** of W1's flood and of the agent-style recording
//!   ([`crate::agent`]), both on a compressed socket: the frames as they
//!   came (payload plus WebSocket header) against the same output sent
//!   uncompressed in the same frames. One stream, so the ratio compares
//!   like with like, whatever tmux chose to draw.
//! - **Server CPU and time of W1**, compressed against uncompressed: two
//!   servers, one client each, floods alternating so both see the same load.
//! - **Echo latency (W2)** on both, batches alternating.
//! - **A 4 M-line flood through a phone link** (the link shaper at 300 ms
//!   round trip, 1 Mbit/s each way; both sockets go through it): time until
//!   the marker after the flood is on the screen, raw and compressed. tmux
//!   discards output a slow client cannot take, so this is far less than
//!   the flood's size over 1 Mbit/s: measured, not assumed.

use std::time::Duration;

use tmux_mobile_shaper::{LinkShape, Shaper};
use tokio::time::Instant;

use crate::Bench;
use crate::client::{ByteCount, Pumped, Terminal, TmClient, wait_visible};
use crate::procfs::CpuMeter;
use crate::report::{Kind, Outcome, num};
use crate::rows::echo;
use crate::rows::flood::ready;
use crate::screen::Scanner;
use crate::servers::{START_WAIT, TmServer};
use crate::stats::Samples;

/// Lines of the flood (W1's).
const LINES: u32 = 4_000_000;
/// The longest a flood may take on loopback before the row fails.
const FLOOD_WAIT: Duration = Duration::from_secs(120);
/// The longest a flood may take through the phone link.
const LINK_WAIT: Duration = Duration::from_secs(300);

/// Types `command`, then a marker only its output shows; returns the
/// seconds until the marker was visible.
async fn run_marked(
    term: &mut impl Terminal,
    scanner: &mut Scanner,
    command: &str,
    tag: &str,
    wait: Duration,
) -> Result<f64, String> {
    scanner.clear();
    let t0 = Instant::now();
    term.send(format!("{command}; echo W15_$((40+2))_{tag}_E\r").as_bytes())
        .await?;
    let seen = wait_visible(term, scanner, &format!("W15_42_{tag}_E"), wait).await?;
    Ok((seen - t0).as_secs_f64())
}

/// Attaches a pumped client (compressed or not) and waits for its prompt.
async fn client(port: u16, token: &str, deflate: bool) -> Result<(Pumped, Scanner), String> {
    let mut c = TmClient::attach_with(port, token, START_WAIT, deflate)
        .await?
        .pumped();
    let mut s = Scanner::new();
    ready(&mut c, &mut s).await?;
    Ok((c, s))
}

/// Wire bytes of a compressed stream over what the same output costs
/// uncompressed in the same frames.
fn wire_ratio(b: ByteCount) -> f64 {
    b.framed as f64 / b.output_framed as f64
}

/// W15: flood ×2 each, the recording ×1, echo 2 batches of 50 each, the
/// link flood once each; `--quick`: the recording and one echo batch only.
pub(super) fn w15(bench: &Bench) -> Result<Outcome, String> {
    let reps = bench.reps(2, 0);
    let agent_reps = 1;
    let echo_batches = bench.reps(2, 1);
    let raw_srv = TmServer::start(&bench.bin)?;
    let def_srv = TmServer::start(&bench.bin)?;
    let flood = format!("seq 1 {LINES}");
    let agent = format!("{} __agent 120", bench.exe.display());
    let mut f = Figures::default();
    bench.rt.block_on(async {
        let (mut raw, mut raw_screen) = client(raw_srv.port, &raw_srv.token, false).await?;
        let (mut def, mut def_screen) = client(def_srv.port, &def_srv.token, true).await?;
        for rep in 0..reps {
            let tag = format!("f{rep}");
            let cpu = CpuMeter::start(raw_srv.pid())?;
            let t = run_marked(&mut raw, &mut raw_screen, &flood, &tag, FLOOD_WAIT).await?;
            let raw_cpu = cpu.cpu_used()?;
            f.raw_time.push(t);
            f.raw_cpu.push(raw_cpu);

            let cpu = CpuMeter::start(def_srv.pid())?;
            let before = def.bytes();
            let t = run_marked(&mut def, &mut def_screen, &flood, &tag, FLOOD_WAIT).await?;
            let def_cpu = cpu.cpu_used()?;
            let b = def.bytes().since(before);
            f.def_time.push(t);
            f.def_cpu.push(def_cpu);
            f.cpu_ratio.push(def_cpu / raw_cpu);
            f.flood_ratio.push(wire_ratio(b));
            f.flood_mb.push(b.output_framed as f64 / 1e6);
            f.flood_wire_mb.push(b.framed as f64 / 1e6);
            f.flood_frames.push(b.frames as f64);
        }
        for rep in 0..agent_reps {
            let before = def.bytes();
            run_marked(
                &mut def,
                &mut def_screen,
                &agent,
                &format!("a{rep}"),
                FLOOD_WAIT,
            )
            .await?;
            let b = def.bytes().since(before);
            f.agent_ratio.push(wire_ratio(b));
            f.agent_kb.push(b.output_framed as f64 / 1e3);
            f.agent_wire_kb.push(b.framed as f64 / 1e3);
            f.agent_frames.push(b.frames as f64);
        }
        for _ in 0..echo_batches {
            echo::batch(&mut raw, &mut raw_screen, &mut f.raw_echo).await?;
            echo::batch(&mut def, &mut def_screen, &mut f.def_echo).await?;
        }
        Ok::<_, String>(())
    })?;
    drop((raw_srv, def_srv));
    if !bench.quick {
        for deflate in [false, true] {
            let (secs, mb) = link_flood(bench, deflate)?;
            let (time, wire) = if deflate {
                (&mut f.link_def, &mut f.link_def_mb)
            } else {
                (&mut f.link_raw, &mut f.link_raw_mb)
            };
            time.push(secs);
            wire.push(mb);
        }
    }
    Ok(f.outcome())
}

/// One flood through the phone link (300 ms, 1 Mbit/s): seconds to the
/// marker and megabytes the link carried down.
fn link_flood(bench: &Bench, deflate: bool) -> Result<(f64, f64), String> {
    let srv = TmServer::start(&bench.bin)?;
    bench.rt.block_on(async {
        let upstream = std::net::SocketAddr::from(([127, 0, 0, 1], srv.port));
        let link = Shaper::start(upstream, LinkShape::phone())
            .await
            .map_err(|e| format!("cannot start the link shaper: {e}"))?;
        let (mut c, mut s) = client(link.local_addr().port(), &srv.token, deflate).await?;
        let before = link.counters().down_bytes;
        let secs = run_marked(&mut c, &mut s, &format!("seq 1 {LINES}"), "link", LINK_WAIT).await?;
        let mb = (link.counters().down_bytes - before) as f64 / 1e6;
        Ok((secs, mb))
    })
}

/// Everything W15 measures.
#[derive(Default)]
struct Figures {
    raw_time: Samples,
    raw_cpu: Samples,
    def_time: Samples,
    def_cpu: Samples,
    cpu_ratio: Samples,
    flood_ratio: Samples,
    flood_mb: Samples,
    flood_wire_mb: Samples,
    flood_frames: Samples,
    agent_ratio: Samples,
    agent_kb: Samples,
    agent_wire_kb: Samples,
    agent_frames: Samples,
    raw_echo: Samples,
    def_echo: Samples,
    link_raw: Samples,
    link_raw_mb: Samples,
    link_def: Samples,
    link_def_mb: Samples,
}

impl Figures {
    fn outcome(self) -> Outcome {
        let mut o = Outcome::default();
        // Figures of parts `--quick` leaves out are left out too.
        let run = |o: &mut Outcome, name: &str, subject, unit, s: &Samples| {
            if !s.is_empty() {
                o.figure(name, subject, unit, Kind::Run, s.clone());
            }
        };
        run(
            &mut o,
            "W1 wire bytes, compressed / raw",
            "ratio",
            "×",
            &self.flood_ratio,
        );
        run(
            &mut o,
            "W1 raw (uncompressed equivalent)",
            "tmux-mobile",
            "MB",
            &self.flood_mb,
        );
        run(
            &mut o,
            "W1 compressed",
            "tmux-mobile",
            "MB",
            &self.flood_wire_mb,
        );
        run(
            &mut o,
            "W1 compressed frames",
            "tmux-mobile",
            "count",
            &self.flood_frames,
        );
        run(
            &mut o,
            "agent recording wire bytes, compressed / raw",
            "ratio",
            "×",
            &self.agent_ratio,
        );
        run(
            &mut o,
            "agent recording raw",
            "tmux-mobile",
            "KB",
            &self.agent_kb,
        );
        run(
            &mut o,
            "agent recording compressed",
            "tmux-mobile",
            "KB",
            &self.agent_wire_kb,
        );
        run(
            &mut o,
            "agent recording frames",
            "tmux-mobile",
            "count",
            &self.agent_frames,
        );
        run(&mut o, "W1 time, raw", "tmux-mobile", "s", &self.raw_time);
        run(
            &mut o,
            "W1 time, compressed",
            "tmux-mobile",
            "s",
            &self.def_time,
        );
        run(
            &mut o,
            "W1 server CPU, raw",
            "tmux-mobile",
            "s",
            &self.raw_cpu,
        );
        run(
            &mut o,
            "W1 server CPU, compressed",
            "tmux-mobile",
            "s",
            &self.def_cpu,
        );
        run(
            &mut o,
            "W1 server CPU, compressed / raw",
            "ratio",
            "×",
            &self.cpu_ratio,
        );
        o.figure(
            "echo latency, raw",
            "tmux-mobile",
            "ms",
            Kind::Event,
            self.raw_echo.clone(),
        );
        o.figure(
            "echo latency, compressed",
            "tmux-mobile",
            "ms",
            Kind::Event,
            self.def_echo.clone(),
        );
        if !self.link_raw.is_empty() {
            run(
                &mut o,
                "4 M-line flood at 300 ms / 1 Mbit/s → final screen, raw",
                "tmux-mobile",
                "s",
                &self.link_raw,
            );
            run(
                &mut o,
                "… link bytes down, raw",
                "tmux-mobile",
                "MB",
                &self.link_raw_mb,
            );
            run(
                &mut o,
                "4 M-line flood at 300 ms / 1 Mbit/s → final screen, compressed",
                "tmux-mobile",
                "s",
                &self.link_def,
            );
            run(
                &mut o,
                "… link bytes down, compressed",
                "tmux-mobile",
                "MB",
                &self.link_def_mb,
            );
        }
        let flood = self.flood_ratio.median().unwrap_or(f64::NAN);
        let agent = self.agent_ratio.median().unwrap_or(f64::NAN);
        let cpu = self.cpu_ratio.median().unwrap_or(f64::NAN);
        if !self.flood_ratio.is_empty() {
            o.check(
                "W1 bytes ≤ 0.35 of raw",
                format!("{}×", num(flood)),
                flood <= 0.35,
            );
            o.check(
                "W1 server CPU ≤ 1.3× uncompressed",
                format!("{}×", num(cpu)),
                cpu <= 1.3,
            );
        }
        o.check(
            "agent recording bytes ≤ 0.35 of raw",
            format!("{}×", num(agent)),
            agent <= 0.35,
        );
        let (r, d) = (
            self.raw_echo.median().unwrap_or(f64::NAN),
            self.def_echo.median().unwrap_or(f64::NAN),
        );
        o.note(format!(
            "echo p50 compressed / raw: {}× (target: unchanged)",
            num(d / r)
        ));
        o.note("bytes: one compressed stream, its frames (payload + WebSocket header) against the same output in the same frames uncompressed");
        o
    }
}
