//! W3: a change made outside tmux-mobile (`tmux new-window` from another
//! terminal) reaching the client as a `tmux_state` push. The clock starts
//! before the tmux command is spawned, so the figure includes starting that
//! tmux client, as a person at a desktop terminal would see it. Measured in
//! the steady state, once the server's state watcher is attached (see
//! [`crate::servers::TmuxServer::wait_watcher`]).

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::Bench;
use crate::client::{TmClient, recv_json};
use crate::report::{Kind, Outcome, num};
use crate::servers::{START_WAIT, TmServer};
use crate::stats::Samples;

/// How long one push may take before the row fails.
const PUSH_WAIT: Duration = Duration::from_secs(10);

/// Windows of session `name` in a `tmux_state` message.
pub(super) fn windows(msg: &Value, name: &str) -> Option<u64> {
    session(msg, name)?["windows"].as_u64()
}

/// Session `name` of a `tmux_state` message.
pub(super) fn session<'a>(msg: &'a Value, name: &str) -> Option<&'a Value> {
    msg["state"]["sessions"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
}

/// Reads control messages until a `tmux_state` satisfies `pred`.
pub(super) async fn state_where(
    client: &mut TmClient,
    wait: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Result<Value, String> {
    let deadline = Instant::now() + wait;
    loop {
        let msg = recv_json(&mut client.control, deadline)
            .await
            .map_err(|e| format!("waiting for tmux_state: {e}"))?;
        if msg["type"] == "tmux_state" && pred(&msg) {
            return Ok(msg);
        }
    }
}

/// W3, ×20 (×10 with `--quick`).
pub(super) fn w3(bench: &Bench) -> Result<Outcome, String> {
    let reps = bench.reps(20, 10);
    let tm = TmServer::start(&bench.bin)?;
    let (mut latency, mut command, mut after) = (Samples::new(), Samples::new(), Samples::new());
    bench.rt.block_on(async {
        let mut client = TmClient::attach(tm.port, &tm.token, START_WAIT).await?;
        let first = state_where(&mut client, START_WAIT, |m| windows(m, "main").is_some()).await?;
        let before = windows(&first, "main").unwrap_or(1);
        tm.tmux().wait_watcher(START_WAIT)?;
        for count in (before + 1..).take(reps) {
            let t0 = Instant::now();
            // Blocking is fine: this future alone reads the client.
            tm.tmux().tmux(&["new-window", "-d", "-t", "=main:"])?;
            let returned = Instant::now();
            state_where(&mut client, PUSH_WAIT, |m| {
                windows(m, "main") == Some(count)
            })
            .await?;
            latency.push(t0.elapsed().as_secs_f64() * 1000.0);
            command.push((returned - t0).as_secs_f64() * 1000.0);
            after.push(returned.elapsed().as_secs_f64() * 1000.0);
        }
        Ok::<_, String>(())
    })?;
    let mut o = Outcome::default();
    o.figure(
        "new-window → tmux_state",
        "tmux-mobile",
        "ms",
        Kind::Event,
        latency.clone(),
    );
    o.figure(
        "of which the tmux command itself",
        "tmux",
        "ms",
        Kind::Event,
        command,
    );
    o.figure(
        "of which command exit → tmux_state",
        "tmux-mobile",
        "ms",
        Kind::Event,
        after,
    );
    let p99 = latency.p99().unwrap_or(f64::NAN);
    o.check("p99 ≤ 20 ms", format!("{} ms", num(p99)), p99 <= 20.0);
    o.note("steady state: after the state watcher attached (in the first 0.75–8 s after the first client, outside changes arrive from 750 ms probes instead)");
    Ok(o)
}
