//! Reading cloudflared's stdout and stderr: line by line, with a bound on
//! line length (a child that prints an endless line must not grow our
//! memory), control characters neutralised (lines end up in errors a
//! terminal prints), and the last lines kept for error messages.

use std::collections::VecDeque;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// Longest line kept, in bytes; the rest of a longer line is dropped.
pub(crate) const MAX_LINE_BYTES: usize = 4096;
/// How many lines of output an error carries.
pub(crate) const TAIL_LINES: usize = 20;

/// Marker appended to a line cut at [`MAX_LINE_BYTES`].
const TRUNCATED: &str = " [line truncated]";

/// Reads lines from `source` until end of file (or a read error) and sends
/// them, sanitised, to `lines`. Stops early when the receiver is gone.
pub(crate) async fn forward_lines<R>(source: R, lines: mpsc::Sender<String>)
where
    R: AsyncRead + Unpin,
{
    let mut reader = BufReader::new(source);
    let mut buf = Vec::with_capacity(256);
    loop {
        buf.clear();
        match read_bounded_line(&mut reader, &mut buf, MAX_LINE_BYTES).await {
            Ok(None) => return,
            Ok(Some(truncated)) => {
                let mut line = sanitize(&buf);
                if truncated {
                    line.push_str(TRUNCATED);
                }
                if lines.send(line).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                log::debug!("stopped reading cloudflared output: {e}");
                return;
            }
        }
    }
}

/// Reads one line (without its `\n` or `\r\n`) into `buf`, keeping at most
/// `max` bytes of it. Returns `None` at end of file with nothing read, else
/// whether the line was cut.
async fn read_bounded_line<R>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>>
where
    R: AsyncBufRead + Unpin,
{
    let mut truncated = false;
    let mut read_any = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (chunk, used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room {
            truncated = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        reader.consume(used);
        if done {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(truncated))
}

/// Lossy UTF-8 with control characters (escape sequences, NUL, bare CR)
/// replaced, so a line can be printed or logged as-is.
pub(crate) fn sanitize(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The last [`TAIL_LINES`] lines of output.
#[derive(Debug, Default)]
pub(crate) struct Tail {
    lines: VecDeque<String>,
}

impl Tail {
    /// Remembers `line`, forgetting the oldest one when full.
    pub(crate) fn push(&mut self, line: String) {
        if self.lines.len() == TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// The remembered lines, oldest first, one per line; a placeholder when
    /// there were none (an empty "last output" reads like a bug).
    pub(crate) fn render(&self) -> String {
        if self.lines.is_empty() {
            return "(no output)".to_owned();
        }
        self.lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(input: &[u8], max: usize) -> Vec<(String, bool)> {
        // A tiny buffer makes lines span several fill_buf calls.
        let mut reader = BufReader::with_capacity(3, input);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(truncated) = read_bounded_line(&mut reader, &mut buf, max).await.unwrap() {
            out.push((String::from_utf8(buf.clone()).unwrap(), truncated));
            buf.clear();
        }
        out
    }

    fn owned(v: &[(&str, bool)]) -> Vec<(String, bool)> {
        v.iter().map(|(s, t)| ((*s).to_owned(), *t)).collect()
    }

    #[tokio::test]
    async fn splits_lines_across_buffer_boundaries() {
        assert_eq!(
            collect(b"hello\nwide world\r\n\nlast", 100).await,
            owned(&[
                ("hello", false),
                ("wide world", false),
                ("", false),
                ("last", false)
            ])
        );
        assert_eq!(collect(b"", 100).await, owned(&[]));
        assert_eq!(collect(b"\n", 100).await, owned(&[("", false)]));
    }

    #[tokio::test]
    async fn long_lines_are_cut_and_the_rest_dropped() {
        assert_eq!(
            collect(b"0123456789\nok\n0123", 4).await,
            owned(&[("0123", true), ("ok", false), ("0123", false)])
        );
    }

    #[tokio::test]
    async fn forwards_sanitised_lines_until_eof() {
        let (tx, mut rx) = mpsc::channel(8);
        let long = vec![b'a'; MAX_LINE_BYTES + 10];
        let mut input = b"one\x1b[31m red\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\n\xff\xfe bytes\n");
        forward_lines(&input[..], tx).await;
        assert_eq!(rx.recv().await.unwrap(), "one\u{FFFD}[31m red");
        let cut = rx.recv().await.unwrap();
        assert_eq!(cut.len(), MAX_LINE_BYTES + TRUNCATED.len());
        assert!(cut.ends_with(TRUNCATED));
        assert_eq!(rx.recv().await.unwrap(), "\u{FFFD}\u{FFFD} bytes");
        assert_eq!(rx.recv().await, None);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let mut tail = Tail::default();
        assert_eq!(tail.render(), "(no output)");
        for i in 0..TAIL_LINES + 5 {
            tail.push(format!("line {i}"));
        }
        let rendered = tail.render();
        assert!(rendered.starts_with("line 5\n"));
        assert!(rendered.ends_with(&format!("line {}", TAIL_LINES + 4)));
        assert_eq!(rendered.lines().count(), TAIL_LINES);
    }
}
