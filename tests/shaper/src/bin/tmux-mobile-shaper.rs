//! `tmux-mobile-shaper`: the link shaper as a process, for the browser tests
//! (Node) and the benchmarks, which start it next to the app.
//!
//! It prints `listening on 127.0.0.1:<port>` as its first line, then answers
//! commands on stdin, one a line: `stats` prints
//! `down=<bytes> up=<bytes> connections=<n>`, `reset` zeroes the byte
//! counters and prints `ok`. It exits when stdin closes (so it never outlives
//! the test that started it) or on a signal.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tmux_mobile_shaper::{Link, LinkShape, Shaper};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A TCP proxy on 127.0.0.1 that adds delay and caps bandwidth each way.
#[derive(argh::FromArgs, Debug)]
struct Args {
    /// address to forward to, e.g. 127.0.0.1:8767
    #[argh(option)]
    upstream: SocketAddr,
    /// address to listen on (loopback only; default 127.0.0.1:0, a free port)
    #[argh(option, default = "SocketAddr::from(([127, 0, 0, 1], 0))")]
    listen: SocketAddr,
    /// round-trip time added, in milliseconds, split evenly between the two directions
    #[argh(option, default = "0")]
    rtt_ms: u64,
    /// bandwidth cap each way in kbit/s (1000 = 1 Mbit/s); 0 = unlimited
    #[argh(option, default = "0")]
    rate_kbit: u64,
    /// cap server → client only, in kbit/s (overrides --rate-kbit)
    #[argh(option)]
    down_kbit: Option<u64>,
    /// cap client → server only, in kbit/s (overrides --rate-kbit)
    #[argh(option)]
    up_kbit: Option<u64>,
    /// most bytes held in each direction before the sender is pushed back
    /// (default: bandwidth-delay product + 64 KiB)
    #[argh(option)]
    queue_bytes: Option<usize>,
}

impl Args {
    fn shape(&self) -> LinkShape {
        let rate = |kbit: Option<u64>| {
            let kbit = kbit.unwrap_or(self.rate_kbit);
            (kbit > 0).then(|| kbit.saturating_mul(1000))
        };
        let link = |kbit| Link {
            delay: Duration::from_millis(self.rtt_ms) / 2,
            rate_bits: rate(kbit),
            queue_bytes: self.queue_bytes,
        };
        LinkShape {
            down: link(self.down_kbit),
            up: link(self.up_kbit),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Args = argh::from_env();
    let shaper = match Shaper::start_on(args.listen, args.upstream, args.shape()).await {
        Ok(shaper) => shaper,
        Err(error) => {
            eprintln!(
                "tmux-mobile-shaper: cannot listen on {}: {error}",
                args.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = tokio::io::stdout();
    let hello = format!("listening on {}\n", shaper.local_addr());
    if stdout.write_all(hello.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
        return ExitCode::FAILURE;
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let answer = match line.trim() {
            "stats" => {
                let c = shaper.counters();
                format!(
                    "down={} up={} connections={}\n",
                    c.down_bytes, c.up_bytes, c.connections
                )
            }
            "reset" => {
                shaper.reset_counters();
                "ok\n".to_owned()
            }
            "" => continue,
            other => format!("error: unknown command {other:?} (try stats or reset)\n"),
        };
        if stdout.write_all(answer.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}
