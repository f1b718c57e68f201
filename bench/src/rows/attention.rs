//! W13: a bell in a background window reaching the phone as an `attention`
//! message. The bell's pane runs `cat` on a FIFO the driver holds open, so
//! one byte written into the FIFO is one BEL the pane's program writes: the
//! clock starts before that write and stops when the control socket
//! delivers the `attention` for that pane. Between samples the client acks
//! (and waits for the `tmux_state` answer), then pauses past the monitor's
//! 200 ms bell coalescing window so every bell is reported on its own.
//! Measured once the attention tap (a control client of its own session
//! group) is attached, i.e. in the steady state.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use crate::Bench;
use crate::client::{AbortOnDrop, recv_json, recv_type, send_json};
use crate::report::{Kind, Outcome, num};
use crate::servers::{START_WAIT, TmServer, TmuxServer};
use crate::stats::Samples;

/// How long one bell may take to arrive before the row fails.
const BELL_WAIT: Duration = Duration::from_secs(10);

/// Longer than the monitor's bell coalescing (two bells of one pane closer
/// than 200 ms are reported once).
const BELL_SPACING: Duration = Duration::from_millis(300);

/// Waits until an attention tap's control client is attached.
fn wait_tap(tmux: &TmuxServer, wait: Duration) -> Result<(), String> {
    let attached = tmux_mobile_e2e::wait_until(wait, || {
        // A read-only control client riding on a phone's session.
        tmux.tmux(&[
            "list-clients",
            "-F",
            "#{client_control_mode} #{client_readonly} #{session_name}",
        ])
        .is_ok_and(|out| {
            out.lines()
                .any(|l| l.starts_with("1 1 tmux-mobile-client-"))
        })
    });
    if attached {
        Ok(())
    } else {
        Err(format!("no attention tap attached within {wait:?}"))
    }
}

/// Opens the FIFO for writing once its reader (`cat` in the pane) has it
/// open (a non-blocking open fails with ENXIO until then).
fn open_fifo(path: &Path, wait: Duration) -> Result<std::fs::File, String> {
    let mut file = None;
    tmux_mobile_e2e::wait_until(wait, || {
        file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(path)
            .ok();
        file.is_some()
    });
    file.ok_or_else(|| format!("the bell pane did not open {}", path.display()))
}

/// W13, ×30 (×10 with `--quick`), after one warm-up bell.
pub(super) fn w13(bench: &Bench) -> Result<Outcome, String> {
    let reps = bench.reps(30, 10);
    let tm = TmServer::start(&bench.bin)?;
    let fifo = tm.tmux().sandbox().tmpdir().join("bell.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU)
        .map_err(|e| format!("mkfifo {}: {e}", fifo.display()))?;
    let mut latency = Samples::new();
    bench.rt.block_on(async {
        let client = crate::client::TmClient::attach(tm.port, &tm.token, START_WAIT).await?;
        let mut control = client.control;
        let mut terminal = client.terminal;
        let _drain = AbortOnDrop(tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(Ok(_)) = terminal.next().await {}
        }));
        recv_type(&mut control, "tmux_state", START_WAIT).await?;
        let fifo_arg = fifo.to_string_lossy().into_owned();
        let pane = tm
            .tmux()
            .tmux(&[
                "new-window",
                "-d",
                "-t",
                "=main:",
                "-n",
                "bell",
                "-P",
                "-F",
                "#{pane_id}",
                "cat",
                &fifo_arg,
            ])?
            .trim()
            .to_owned();
        let mut bell = open_fifo(&fifo, START_WAIT)?;
        wait_tap(tm.tmux(), START_WAIT)?;
        for i in 0..=reps {
            let t0 = Instant::now();
            bell.write_all(b"\x07")
                .map_err(|e| format!("cannot ring the bell: {e}"))?;
            let deadline = t0 + BELL_WAIT;
            loop {
                let msg = recv_json(&mut control, deadline)
                    .await
                    .map_err(|e| format!("waiting for the bell's attention: {e}"))?;
                if msg["type"] == "attention" && msg["paneId"] == pane.as_str() {
                    if msg["reason"] != "bell" {
                        return Err(format!("the bell pane's attention is not a bell: {msg}"));
                    }
                    break;
                }
            }
            // The first bell is a warm-up: the tap's first output.
            if i > 0 {
                latency.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            send_json(
                &mut control,
                &json!({"type": "ack_attention", "paneId": pane}),
            )
            .await?;
            recv_type(&mut control, "tmux_state", BELL_WAIT).await?;
            tokio::time::sleep_until(t0 + BELL_SPACING).await;
        }
        Ok::<_, String>(())
    })?;
    let mut o = Outcome::default();
    o.figure(
        "bell → attention",
        "tmux-mobile",
        "ms",
        Kind::Event,
        latency.clone(),
    );
    let p99 = latency.p99().unwrap_or(f64::NAN);
    o.check("p99 ≤ 50 ms", format!("{} ms", num(p99)), p99 <= 50.0);
    o.note("steady state: the attention tap attached, one warm-up bell not counted; bells 300 ms apart (the monitor reports bells of one pane closer than 200 ms once)");
    Ok(o)
}
