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
        (
            "sh".into(),
            vec!["-c".into(), format!("stty raw -echo; {head}")],
        )
    } else {
        ("sh".into(), vec!["-c".into(), head])
    }
}

/// Wall time and CPU time of this process (all threads) while reading.
struct Timing {
    wall: Duration,
    cpu: Duration,
}

/// Starts a measurement; `stop` ends it.
struct Stopwatch {
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            wall: Instant::now(),
            cpu: cpu_time(),
        }
    }
    fn stop(self) -> Timing {
        Timing {
            wall: self.wall.elapsed(),
            cpu: cpu_time().saturating_sub(self.cpu),
        }
    }
}

/// A plain blocking `read` loop on the master of a fresh PTY.
fn blocking_run(bytes: usize) -> Timing {
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
    let watch = Stopwatch::start();
    loop {
        match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // EIO: the slave side is closed; end of output.
            Err(_) => break,
        }
    }
    let timing = watch.stop();
    child.wait().expect("wait head");
    assert_eq!(received, bytes, "blocking loop lost bytes");
    timing
}

/// The bridge: `Pty::spawn` and a consumer task reading chunks.
async fn bridge_run(bytes: usize) -> Timing {
    let (program, args) = producer(bytes);
    let cmd = PtyCommand::new(program).args(args);
    let mut pty = Pty::spawn(cmd, PtyOptions::default()).expect("spawn");
    let watch = Stopwatch::start();
    let (mut received, mut chunks) = (0, 0);
    while let Some(chunk) = pty.read().await {
        received += chunk.len();
        chunks += 1;
    }
    let timing = watch.stop();
    if std::env::var_os("CHUNKS").is_some() {
        println!(
            "bridge: {chunks} chunks, {} bytes on average",
            received / chunks.max(1)
        );
    }
    pty.wait().await.expect("wait");
    assert_eq!(received, bytes, "bridge lost bytes");
    timing
}

/// CPU time (user + system) the threads of this process have used so far,
/// in nanoseconds from `/proc/self/task/*/schedstat`.
fn cpu_time() -> Duration {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").expect("read /proc/self/task") {
        let path = task.expect("task entry").path().join("schedstat");
        // A thread may exit between listing and reading.
        if let Ok(stat) = std::fs::read_to_string(path) {
            total += stat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
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
    // RT=current runs the bridge on a single-threaded runtime.
    let runtime = if std::env::var_os("RT").is_some_and(|v| v == "current") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    }
    .expect("runtime");
    let mb_per_s = |t: &Timing| bytes as f64 / t.wall.as_secs_f64() / 1e6;
    // CPU milliseconds of this process per 100 MB read.
    let cpu_ms = |t: &Timing| t.cpu.as_secs_f64() * 1e3 * 1e8 / bytes as f64;
    let mut columns: [Vec<f64>; 4] = Default::default();
    for run in 1..=runs {
        let plain = blocking_run(bytes);
        // The consumer runs as a spawned task, as a server's would.
        let bridge = runtime
            .block_on(runtime.spawn(bridge_run(bytes)))
            .expect("bridge run");
        let (p, b) = (mb_per_s(&plain), mb_per_s(&bridge));
        let (pc, bc) = (cpu_ms(&plain), cpu_ms(&bridge));
        println!(
            "run {run}: blocking loop {p:8.1} MB/s ({pc:6.1} ms CPU/100 MB)   \
             bridge {b:8.1} MB/s ({bc:6.1} ms CPU/100 MB)   ratio {:.3}",
            b / p
        );
        for (column, value) in columns.iter_mut().zip([p, b, pc, bc]) {
            column.push(value);
        }
    }
    let [p, b, pc, bc] = columns.map(median);
    println!(
        "median of {runs} runs, {bytes} bytes: blocking loop {p:.1} MB/s ({pc:.1} ms CPU/100 MB), \
         bridge {b:.1} MB/s ({bc:.1} ms CPU/100 MB), throughput ratio {:.3}",
        b / p
    );
}
