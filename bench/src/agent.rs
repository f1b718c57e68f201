//! The agent-style recording of W15: what an agent CLI (Claude Code, Codex,
//! aider and the like) writes to its terminal while it works, replayed with
//! its pacing by `tmux-mobile-bench __agent`.
//!
//! It is a script rather than a captured byte file so it is readable and
//! deterministic, and it holds what makes such output expensive on a phone
//! link:
//!
//! - a spinner line redrawn in place every 80 ms (`\r`, erase line, a
//!   coloured glyph, an elapsed-time and token counter that change);
//! - an input box under it redrawn with cursor movement (cursor up, erase,
//!   box-drawing characters, 256-colour attributes) after every burst;
//! - streamed prose arriving a few words at a time;
//! - tool calls followed by coloured diffs (numbered lines, red/green
//!   backgrounds) of a Rust file.
//!
//! Pacing matters: the server compresses each batch of output as one
//! sync-flushed frame, so many small bursts compress worse than one big
//! write. The replay sleeps between chunks as the real program would.

use std::io::Write;
use std::time::Duration;

/// One write of the recording and the pause before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// Pause before the write.
    pub after: Duration,
    /// The bytes written at once.
    pub bytes: Vec<u8>,
}

const SPINNER: [&str; 6] = ["·", "✢", "✳", "✶", "✻", "✽"];

const PROSE: &str = "I'll look at how the terminal socket batches output before it \
compresses it. The writer takes every chunk that is queued, joins them, and sends \
one frame; under a flood that keeps frames large, but an interactive program that \
writes a few bytes at a time produces many small frames, each with its own sync \
flush. Let me read the fan-out queue and the writer loop, then add a test that \
types into a pane and checks that the echo still arrives in one frame.";

const CODE: [&str; 12] = [
    "    let (sink, stream) = ws.split();",
    "    let stop = Stop::default();",
    "    let mut writer = std::pin::pin!(write_output(sink, &subscription));",
    "    let mut reader = std::pin::pin!(read_input(stream, &client, read_only));",
    "    tokio::select! {",
    "        close = &mut reader => {",
    "            stop.request(close);",
    "            let _ = tokio::time::timeout(Duration::from_millis(500), &mut writer).await;",
    "        }",
    "        () = &mut writer => {}",
    "    }",
    "    client.fanout.unsubscribe(subscription.id);",
];

/// The input box under the spinner, redrawn from the spinner's line down.
fn input_box(cols: usize) -> String {
    let inner = cols - 2;
    let mut s = String::new();
    s.push_str(&format!(
        "\x1b[2K\x1b[38;5;244m╭{}╮\x1b[39m\r\n",
        "─".repeat(inner)
    ));
    s.push_str(&format!(
        "\x1b[2K\x1b[38;5;244m│\x1b[39m > \x1b[2mTry \"refactor the writer\"\x1b[22m{}\x1b[38;5;244m│\x1b[39m\r\n",
        " ".repeat(inner - 28)
    ));
    s.push_str(&format!(
        "\x1b[2K\x1b[38;5;244m╰{}╯\x1b[39m\r\n",
        "─".repeat(inner)
    ));
    s.push_str("\x1b[2K  \x1b[2m? for shortcuts\x1b[22m");
    s
}

/// The spinner line with its counters, then the box below it; leaves the
/// cursor at the start of the spinner line (4 lines up).
fn status(tick: usize, tokens: usize, cols: usize) -> Vec<u8> {
    let glyph = SPINNER[tick % SPINNER.len()];
    let secs = tick * 80 / 1000;
    let mut s = format!(
        "\r\x1b[2K\x1b[38;5;174m{glyph}\x1b[39m \x1b[38;5;174mPondering…\x1b[39m \x1b[2m({secs}s · ↑ {:.1}k tokens · esc to interrupt)\x1b[22m\r\n",
        tokens as f64 / 1000.0
    );
    s.push_str(&input_box(cols));
    s.push_str("\x1b[4A\r");
    s.into_bytes()
}

/// Erases the status area (spinner line and box) from the cursor down.
const CLEAR_STATUS: &[u8] = b"\r\x1b[J";

/// The whole recording for a terminal `cols` wide (≥ 40).
pub(crate) fn recording(cols: usize) -> Vec<Chunk> {
    let cols = cols.max(40);
    let mut out = Vec::new();
    let mut tick = 0;
    let mut tokens = 1200;
    let mut push = |after_ms: u64, bytes: Vec<u8>| {
        out.push(Chunk {
            after: Duration::from_millis(after_ms),
            bytes,
        });
    };
    for round in 0..3 {
        // Thinking: the spinner alone, 24 ticks.
        for _ in 0..24 {
            tick += 1;
            tokens += 37;
            push(80, status(tick, tokens, cols));
        }
        // Streamed prose above the status area, a few words per burst,
        // the status redrawn after each.
        let words: Vec<&str> = PROSE.split(' ').collect();
        let mut line = String::new();
        for (i, group) in words.chunks(4).enumerate() {
            let mut text = group.join(" ");
            text.push(' ');
            let mut burst = CLEAR_STATUS.to_vec();
            if line.len() + text.len() > cols - 4 {
                burst.extend_from_slice(format!("  {line}\r\n").as_bytes());
                line.clear();
            }
            line.push_str(&text);
            burst.extend_from_slice(format!("  {line}\r\n").as_bytes());
            // Keep the partial line on the status line's row: move up.
            burst.extend_from_slice(b"\x1b[1A");
            tick += 1;
            tokens += 11;
            burst.extend(status(tick, tokens, cols));
            push(if i % 3 == 0 { 60 } else { 25 }, burst);
        }
        // A tool call and its diff, written at once, then the status.
        let mut diff = CLEAR_STATUS.to_vec();
        diff.extend_from_slice(format!(
            "\r\n\x1b[38;5;114m⏺\x1b[39m \x1b[1mUpdate\x1b[22m(crates/server/src/terminal.rs)\r\n  ⎿  Updated crates/server/src/terminal.rs with {} additions and {} removals\r\n",
            4 + round, 2 + round
        ).as_bytes());
        for (n, code) in CODE.iter().enumerate() {
            let number = 70 + n + round * 40;
            let (mark, bg) = match (n + round) % 5 {
                1 => ("-", "\x1b[48;5;52m"),
                2 | 3 => ("+", "\x1b[48;5;22m"),
                _ => (" ", ""),
            };
            let mut text = format!("{number:>6} {mark} {code}");
            text.truncate(cols - 2);
            diff.extend_from_slice(
                format!("      \x1b[38;5;246m{bg}{text}\x1b[K\x1b[0m\r\n").as_bytes(),
            );
        }
        diff.extend_from_slice(b"\r\n");
        tick += 1;
        diff.extend(status(tick, tokens, cols));
        push(120, diff);
    }
    // Done: the status area goes, the prompt's line stays clean.
    push(80, CLEAR_STATUS.to_vec());
    out
}

/// `__agent [cols]`: writes the recording to stdout with its pauses.
pub(crate) fn replay(args: &[String]) -> Result<(), String> {
    let cols = args.first().and_then(|a| a.parse().ok()).unwrap_or(120);
    let mut out = std::io::stdout().lock();
    for chunk in recording(cols) {
        std::thread::sleep(chunk.after);
        out.write_all(&chunk.bytes)
            .and_then(|()| out.flush())
            .map_err(|e| format!("write: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recording_is_a_few_seconds_of_small_paced_bursts() {
        let chunks = recording(120);
        let total: Duration = chunks.iter().map(|c| c.after).sum();
        let bytes: usize = chunks.iter().map(|c| c.bytes.len()).sum();
        assert!(
            (Duration::from_secs(3)..Duration::from_secs(20)).contains(&total),
            "{total:?}"
        );
        assert!((20_000..1_000_000).contains(&bytes), "{bytes}");
        assert!(chunks.len() > 100, "{}", chunks.len());
        assert!(chunks.iter().all(|c| std::str::from_utf8(&c.bytes).is_ok()));
    }
}
