//! Backpressure, measured on a real flood: a 200 MB producer and a consumer
//! that pauses. Alone in its test binary so the process's resident memory is
//! this test's alone.

mod common;

use std::time::Duration;

use common::{DEADLINE, rss_bytes};
use tmux_mobile_pty_bridge::{MAX_CHUNK_BYTES, Pty, PtyCommand, PtyOptions, PtyReader};

const TOTAL: usize = 200_000_000;
const BOUND: usize = 2 * 1024 * 1024;
/// Allowance on top of the bound: the reader's scratch buffer, the chunk the
/// consumer holds, allocator slack and tokio's bookkeeping.
const SLACK: usize = 8 * 1024 * 1024;

/// Checks that `chunk`, starting at stream offset `offset`, continues the
/// `y\n` stream of `yes` (raw mode: no CR is added). Compares slices, so the
/// check runs at memcmp speed even in a debug build.
fn check_yes(chunk: &[u8], offset: usize) {
    static REFERENCE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let reference = REFERENCE.get_or_init(|| b"y\n".repeat(MAX_CHUNK_BYTES / 2 + 1));
    let start = offset % 2;
    assert!(
        chunk == &reference[start..start + chunk.len()],
        "corrupted output in the chunk at byte {offset}"
    );
}

struct Consumer {
    reader: PtyReader,
    received: usize,
    peak_rss: usize,
}

impl Consumer {
    /// Reads until `target` bytes in total have arrived (or EOF).
    async fn read_up_to(&mut self, target: usize) {
        while self.received < target {
            let Some(chunk) = self.reader.read().await else {
                return;
            };
            check_yes(&chunk, self.received);
            self.received += chunk.len();
            if self.received % (8 << 20) < chunk.len() {
                self.peak_rss = self.peak_rss.max(rss_bytes());
            }
        }
    }
}

#[tokio::test]
async fn a_paused_consumer_bounds_memory_and_loses_nothing() {
    let baseline = rss_bytes();
    let cmd = PtyCommand::new("sh").args([
        "-c",
        "stty raw -echo; yes | head -c \"$1\"",
        "sh",
        &TOTAL.to_string(),
    ]);
    let opts = PtyOptions::default().with_max_buffered_bytes(BOUND);
    let (reader, _writer, control) = Pty::spawn(cmd, opts).unwrap().split();
    let mut consumer = Consumer {
        reader,
        received: 0,
        peak_rss: baseline,
    };

    // Consume for a while at full speed, then stop reading.
    tokio::time::timeout(DEADLINE, consumer.read_up_to(20_000_000))
        .await
        .expect("first 20 MB in time");
    let paused_at = consumer.received;

    // While paused the queue fills up to the bound and then stops growing:
    // the bridge no longer reads, so the producer is blocked.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut stable_polls = 0;
    let mut last = usize::MAX;
    while stable_polls < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue never settled"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
        let queued = consumer.reader.buffered_bytes();
        assert!(queued <= BOUND, "queued {queued} exceeds the bound {BOUND}");
        stable_polls = if queued == last && queued > BOUND / 2 {
            stable_polls + 1
        } else {
            0
        };
        last = queued;
        consumer.peak_rss = consumer.peak_rss.max(rss_bytes());
    }
    let paused_rss = rss_bytes();
    assert!(
        control.try_wait().is_none(),
        "the producer must still be running, blocked"
    );

    // Resume: everything arrives, byte-exact.
    tokio::time::timeout(Duration::from_secs(300), consumer.read_up_to(usize::MAX))
        .await
        .expect("the rest of the output in time");
    assert_eq!(consumer.received, TOTAL, "bytes lost or added");
    assert!(control.wait().await.unwrap().success());

    let growth_paused = paused_rss.saturating_sub(baseline);
    let growth_peak = consumer.peak_rss.saturating_sub(baseline);
    eprintln!(
        "backpressure: bound {BOUND} B, paused after {paused_at} B with {last} B queued; \
         RSS growth while paused {growth_paused} B, peak growth {growth_peak} B"
    );
    assert!(
        growth_peak <= BOUND + SLACK,
        "resident memory grew by {growth_peak} bytes, more than the bound {BOUND} + {SLACK}"
    );
}
