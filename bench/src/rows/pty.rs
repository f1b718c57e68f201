//! W9: the PTY bridge alone. A generator writes 200 MB (50 MB with
//! `--quick`) of printable lines into a pseudo-terminal; once through
//! `tmux_mobile_pty_bridge::Pty` (async reads on the tokio reactor, bounded
//! queue), once through a plain blocking `read` loop on the master of a
//! pseudo-terminal opened here. Runs alternate; the figure is the bridge's
//! throughput as a ratio to the plain read's, pair by pair.

use std::fs::File;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

use tmux_mobile_pty_bridge::{Pty, PtyCommand, PtyOptions};

use crate::Bench;
use crate::report::{Kind, Outcome, num};
use crate::stats::Samples;

/// Reads everything the generator writes through a plain blocking loop;
/// returns bytes read and seconds.
fn plain(bench: &Bench, bytes: usize) -> Result<(usize, f64), String> {
    let pty = nix::pty::openpty(None, None).map_err(|e| format!("openpty: {e}"))?;
    let slave = |what| {
        pty.slave
            .try_clone()
            .map(Stdio::from)
            .map_err(|e| format!("dup {what}: {e}"))
    };
    let t0 = Instant::now();
    let mut child = Command::new(&bench.exe)
        .args(["__generate", &bytes.to_string()])
        .stdin(Stdio::null())
        .stdout(slave("stdout")?)
        .stderr(slave("stderr")?)
        .spawn()
        .map_err(|e| format!("cannot start the generator: {e}"))?;
    // Only the child may hold the slave now, or the read never ends.
    drop(pty.slave);
    let mut master = File::from(pty.master);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            // EIO: every slave descriptor is closed and the data is read.
            Err(e) if e.raw_os_error() == Some(nix::libc::EIO) => break,
            Err(e) => return Err(format!("read the PTY: {e}")),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    child.wait().map_err(|e| format!("wait: {e}"))?;
    Ok((total, secs))
}

/// The same through the bridge.
fn bridged(bench: &Bench, bytes: usize) -> Result<(usize, f64), String> {
    bench.rt.block_on(async {
        let cmd = PtyCommand::new(&bench.exe).args(["__generate".to_owned(), bytes.to_string()]);
        let t0 = Instant::now();
        let mut pty = Pty::spawn(cmd, PtyOptions::default()).map_err(|e| e.to_string())?;
        let mut total = 0;
        while let Some(chunk) = pty.read().await {
            total += chunk.len();
        }
        let secs = t0.elapsed().as_secs_f64();
        pty.wait().await.map_err(|e| e.to_string())?;
        Ok((total, secs))
    })
}

/// W9.
pub(super) fn w9(bench: &Bench) -> Result<Outcome, String> {
    let bytes = if bench.quick { 50_000_000 } else { 200_000_000 };
    let reps = bench.reps(2, 1);
    let (mut ours, mut base, mut ratio) = (Samples::new(), Samples::new(), Samples::new());
    for _ in 0..reps {
        let (pb, ps) = plain(bench, bytes)?;
        let (bb, bs) = bridged(bench, bytes)?;
        if pb < bytes || bb < bytes {
            return Err(format!(
                "short read: {pb} bytes plain, {bb} bridged, {bytes} written"
            ));
        }
        let (plain_mbs, bridge_mbs) = (pb as f64 / ps / 1e6, bb as f64 / bs / 1e6);
        base.push(plain_mbs);
        ours.push(bridge_mbs);
        ratio.push(bridge_mbs / plain_mbs);
    }
    let mut o = Outcome::default();
    o.figure(
        "pty-bridge throughput",
        "tmux-mobile",
        "MB/s",
        Kind::Run,
        ours,
    );
    o.figure("plain blocking read", "baseline", "MB/s", Kind::Run, base);
    o.figure("bridge / plain", "ratio", "×", Kind::Run, ratio.clone());
    let r = ratio.median().unwrap_or(f64::NAN);
    o.check("≥ 0.9× plain read", format!("{}×", num(r)), r >= 0.9);
    o.note(format!(
        "{} MB per run; ONLCR makes a few % more bytes arrive than were written",
        bytes / 1_000_000
    ));
    Ok(o)
}
