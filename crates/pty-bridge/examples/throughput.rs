//! Throughput of the bridge (PTY → consumer) against a plain blocking read
//! loop on the same kind of PTY, in the same run.
//!
//! Both arms run `head -c <bytes> /dev/zero` (through `sh`, which `exec`s it,
//! after `stty raw -echo` when `RAW=1`) with a pseudo-terminal as its stdout
//! (zero bytes pass the terminal's output processing untranslated, so the byte
//! count is exact either way) and count what arrives. The runs alternate and the
//! medians are printed.
//!
//! ```text
//! [RAW=1] cargo run --release -p tmux-mobile-pty-bridge --example throughput -- [bytes] [runs]
//! ```

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tmux_mobile_pty_bridge::{Pty, PtyCommand, PtyOptions};

/// The producer: `head -c <bytes> /dev/zero`, after `stty raw` when `RAW=1`
/// is set in the environment (through `sh`, in both arms alike).
fn producer(bytes: usize) -> (String, Vec<String>) {
    let head = format!("exec head -c {bytes} /dev/zero");
    if std::env::var_os("RAW").is_some_and(|v| v == "1") {
        ("sh".into(), vec!["-c".into(), format!("stty raw -echo; {head}")])
    } else {
        ("sh".into(), vec!["-c".into(), head])
    }
}

/// A plain blocking `read` loop on the master of a fresh PTY.
fn blocking_run(bytes: usize) -> Duration {
    let pair = nix::pty::openpty(None, None).expect("openpty");
    let slave = std::fs::File::from(pair.slave);
    let (program, args) = producer(bytes);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(slave.try_clone().expect("dup slave"))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn head");
    drop(slave);
    let mut master = std::fs::File::from(pair.master);
    let mut buf = vec![0u8; 64 * 1024];
    let mut received = 0;
    let start = Instant::now();
    loop {
        match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // EIO: the slave side is closed; end of output.
            Err(_) => break,
        }
    }
    let elapsed = start.elapsed();
    child.wait().expect("wait head");
    assert_eq!(received, bytes, "blocking loop lost bytes");
    elapsed
}

/// The bridge: `Pty::spawn` and a consumer task reading chunks.
async fn bridge_run(bytes: usize) -> Duration {
    let (program, args) = producer(bytes);
    let cmd = PtyCommand::new(program).args(args);
    let mut pty = Pty::spawn(cmd, PtyOptions::default()).expect("spawn");
    let start = Instant::now();
    let mut received = 0;
    while let Some(chunk) = pty.read().await {
        received += chunk.len();
    }
    let elapsed = start.elapsed();
    pty.wait().await.expect("wait");
    assert_eq!(received, bytes, "bridge lost bytes");
    elapsed
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bytes: usize = args
        .next()
        .map_or(200_000_000, |v| v.parse().expect("bytes"));
    let runs: usize = args.next().map_or(7, |v| v.parse().expect("runs"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mb_per_s = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    let (mut plain, mut bridge) = (Vec::new(), Vec::new());
    for run in 1..=runs {
        let p = mb_per_s(blocking_run(bytes));
        let b = mb_per_s(runtime.block_on(bridge_run(bytes)));
        println!(
            "run {run}: blocking loop {p:8.1} MB/s   bridge {b:8.1} MB/s   ratio {:.3}",
            b / p
        );
        plain.push(p);
        bridge.push(b);
    }
    let (p, b) = (median(plain), median(bridge));
    println!(
        "median of {runs} runs, {bytes} bytes: blocking loop {p:.1} MB/s, bridge {b:.1} MB/s, ratio {:.3}",
        b / p
    );
}
