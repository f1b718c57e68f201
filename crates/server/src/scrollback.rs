//! Answering `capture_scrollback` with a pane's history of any length,
//! holding at most a few hundred KiB of it at a time.
//!
//! Why this exists: the answer used to be one `scrollback` message built
//! from the whole capture. Above about 0.6 MB that message no longer fit
//! the control socket's write buffer (tungstenite refuses a message larger
//! than `max_write_buffer_size` with `WriteBufferFull`, which we bound so a
//! peer that stops reading cannot make us buffer without limit), the send
//! failed, and the socket was dropped without a close frame (1006). And the
//! capture, its text and its JSON were all in memory at once, per request.
//!
//! Now the capture is read from tmux piece by piece
//! ([`tmux_mobile_tmux_control::PaneCapture`]) and sent on as it arrives:
//!
//! - **Streamed** (the client sent `"stream":true`, *extension*): several
//!   `scrollback` messages of at most [`PART_BYTES`] each, every one with
//!   `offset` (UTF-8 bytes of text before it) and `done` (`true` on the
//!   last). A short history is one message with `offset: 0, done: true`.
//! - **One message** (the original client): a history that fits in
//!   [`PART_BYTES`] is one ordinary frame, exactly as before. A longer one
//!   is still one `scrollback` message, but written as a fragmented
//!   WebSocket message (RFC 6455 §5.4: frames of at most [`PART_BYTES`]
//!   that the browser joins), so the original client gets what it asked
//!   for and we still never hold it whole.
//!
//! Either way a history of more than [`TEXT_LIMIT`] ends in an `error`
//! (after the message in progress is properly ended), as does a tmux
//! failure. Trailing blank lines (the empty screen below the last output)
//! are dropped, as before.

use std::time::Duration;

use futures_util::{Sink, SinkExt};
use tmux_mobile_protocol::{PaneId, ServerMessage, encode_server};
use tmux_mobile_tmux_control::PaneCapture;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::state::user_message;

/// Largest `scrollback` message of a stream, and largest frame of a
/// fragmented one, in bytes (JSON included).
pub(crate) const PART_BYTES: usize = 256 * 1024;

/// Most text one capture may deliver (50 000 lines of 670 characters).
pub(crate) const TEXT_LIMIT: u64 = 32 * 1024 * 1024;

/// Room left in a part for everything but the text: `type`, `paneId`,
/// `lines`, `offset`, `done` and the JSON around them.
const ENVELOPE: usize = 256;

/// Text (UTF-8 bytes, before JSON escaping) cut into one part. The rest of
/// [`PART_BYTES`] leaves room for escapes (`"`, `\`, tabs); a part whose
/// escaped form is still too large is halved before it is sent.
const TEXT_BUDGET: usize = PART_BYTES / 8 * 7;

/// How the answer went.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything was sent.
    Sent,
    /// Send this `error` (any message in progress was ended first).
    Failed(String),
    /// The socket broke or stopped reading; drop it.
    Broken,
}

/// Reads `capture` to its end and sends it on `ws` (see the module
/// documentation for the two forms).
pub(crate) async fn send<S>(
    ws: &mut S,
    mut capture: PaneCapture,
    pane: &PaneId,
    lines: u32,
    stream: bool,
    send_timeout: Duration,
) -> Outcome
where
    S: Sink<Message> + Unpin,
{
    let mut out = Writer {
        ws,
        pane: pane.to_string(),
        lines,
        stream,
        send_timeout,
        offset: 0,
        fragmenting: false,
    };
    let too_long = || {
        format!(
            "the last {lines} lines of pane {pane} are more than {} MiB; ask for fewer lines",
            TEXT_LIMIT / (1024 * 1024)
        )
    };
    let mut parts = Parts::new(TEXT_BUDGET);
    loop {
        let piece = match capture.read().await {
            Ok(Some(piece)) => piece,
            Ok(None) => break,
            Err(error) => {
                let message = user_message(&format!("capture pane {pane}"), &error);
                return out.fail(message).await;
            }
        };
        parts.push(&piece);
        while let Some(part) = parts.take_full() {
            if out.offset + part.len() as u64 > TEXT_LIMIT {
                drop(capture);
                return out.fail(too_long()).await;
            }
            if !out.part(part, false).await {
                return Outcome::Broken;
            }
        }
    }
    let last = parts.finish();
    if out.offset + last.len() as u64 > TEXT_LIMIT {
        return out.fail(too_long()).await;
    }
    if out.part(last, true).await {
        Outcome::Sent
    } else {
        Outcome::Broken
    }
}

/// Writes the parts in the form the client asked for.
struct Writer<'a, S> {
    ws: &'a mut S,
    pane: String,
    lines: u32,
    stream: bool,
    send_timeout: Duration,
    /// Bytes of text sent so far.
    offset: u64,
    /// Whether a fragmented message was begun (one-message form only).
    fragmenting: bool,
}

impl<S: Sink<Message> + Unpin> Writer<'_, S> {
    /// Sends one part (halved until each half fits [`PART_BYTES`] once
    /// escaped); `false` if the socket broke.
    async fn part(&mut self, text: String, last: bool) -> bool {
        let mut queue = vec![(text, last)];
        while let Some((text, last)) = queue.pop() {
            match self.frame(&text, last) {
                Some(message) => {
                    self.offset += text.len() as u64;
                    let sent = tokio::time::timeout(self.send_timeout, self.ws.send(message));
                    if !matches!(sent.await, Ok(Ok(()))) {
                        return false;
                    }
                }
                None => {
                    let (first, second) = halve(text);
                    // Popped in order: the first half, then the second.
                    queue.push((second, last));
                    queue.push((first, false));
                }
            }
        }
        true
    }

    /// The message or frame carrying `text`; `None` if it would be larger
    /// than [`PART_BYTES`].
    fn frame(&mut self, text: &str, last: bool) -> Option<Message> {
        let encoded = if self.stream || (last && !self.fragmenting) {
            let (offset, done) = if self.stream {
                (Some(self.offset), Some(last))
            } else {
                // The whole history in one ordinary frame, as it always was.
                (None, None)
            };
            encode_server(&ServerMessage::Scrollback {
                pane_id: self.pane.clone(),
                text: text.into(),
                lines: self.lines,
                offset,
                done,
            })
        } else {
            let mut payload = String::with_capacity(text.len() + ENVELOPE);
            if !self.fragmenting {
                payload.push_str(&self.head());
            }
            payload.push_str(&json_string_body(text));
            if last {
                payload.push_str(&self.tail());
            }
            payload
        };
        // A part of one character cannot be halved; it always fits.
        if encoded.len() > PART_BYTES && text.chars().nth(1).is_some() {
            return None;
        }
        if self.stream || (last && !self.fragmenting) {
            return Some(Message::Text(encoded.into()));
        }
        let opcode = if self.fragmenting {
            OpCode::Data(Data::Continue)
        } else {
            OpCode::Data(Data::Text)
        };
        self.fragmenting = !last;
        Some(Message::Frame(Frame::message(
            encoded.into_bytes(),
            opcode,
            last,
        )))
    }

    /// Ends a fragmented message in progress, then says what went wrong.
    async fn fail(&mut self, message: String) -> Outcome {
        if self.fragmenting {
            let end = Frame::message(self.tail().into_bytes(), OpCode::Data(Data::Continue), true);
            self.fragmenting = false;
            let sent = tokio::time::timeout(self.send_timeout, self.ws.send(Message::Frame(end)));
            if !matches!(sent.await, Ok(Ok(()))) {
                return Outcome::Broken;
            }
        }
        Outcome::Failed(message)
    }

    /// `{"type":"scrollback","paneId":…,"text":"` — the same field order
    /// as [`encode_server`] writes.
    fn head(&self) -> String {
        format!(
            r#"{{"type":"scrollback","paneId":{},"text":""#,
            serde_json::Value::from(self.pane.as_str())
        )
    }

    /// `","lines":N}`.
    fn tail(&self) -> String {
        format!(r#"","lines":{}}}"#, self.lines)
    }
}

/// `text` as the inside of a JSON string (escaped, without the quotes).
fn json_string_body(text: &str) -> String {
    let quoted = serde_json::Value::from(text).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Splits `text` in two near its middle, after a newline when there is
/// one in the middle half.
fn halve(mut text: String) -> (String, String) {
    let middle = char_floor(&text, text.len() / 2).max(char_ceil(&text, 1));
    let quarter = char_floor(&text, text.len() / 4);
    let cut = match text[quarter..middle].rfind('\n') {
        Some(at) => quarter + at + 1,
        None => middle,
    };
    let second = text.split_off(cut);
    (text, second)
}

/// The character boundary at or before byte `at`.
fn char_floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The character boundary at or after byte `at` (at most the end).
fn char_ceil(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Cuts text arriving in arbitrary pieces into parts of at most `budget`
/// bytes, ending a part after a newline when there is one in its second
/// half. Removes what the viewer does not show, as
/// [`Tmux::capture_pane`](tmux_mobile_tmux_control::Tmux::capture_pane)
/// does: the spaces at the end of every line (`capture-pane -J` keeps
/// them) and the blank lines at the end. So it holds back the newlines and
/// spaces at the end of what it has, until other text follows.
#[derive(Debug)]
struct Parts {
    budget: usize,
    pending: String,
    /// Held back: this many newlines, then `held_spaces` spaces.
    held_newlines: usize,
    held_spaces: usize,
}

impl Parts {
    fn new(budget: usize) -> Self {
        Self {
            budget,
            pending: String::new(),
            held_newlines: 0,
            held_spaces: 0,
        }
    }

    fn push(&mut self, piece: &str) {
        let mut lines = piece.split('\n');
        if let Some(first) = lines.next() {
            self.push_line_text(first);
        }
        for line in lines {
            // The spaces before a newline are the end of a line: dropped.
            self.held_spaces = 0;
            self.held_newlines += 1;
            self.push_line_text(line);
        }
    }

    /// Text without newlines.
    fn push_line_text(&mut self, text: &str) {
        let body = text.trim_end_matches(' ');
        if body.is_empty() {
            self.held_spaces += text.len();
            return;
        }
        let newlines = std::mem::take(&mut self.held_newlines);
        let spaces = std::mem::replace(&mut self.held_spaces, text.len() - body.len());
        self.pending.extend(std::iter::repeat_n('\n', newlines));
        self.pending.extend(std::iter::repeat_n(' ', spaces));
        self.pending.push_str(body);
    }

    /// A full part, once enough text is pending.
    fn take_full(&mut self) -> Option<String> {
        if self.pending.len() <= self.budget {
            return None;
        }
        let end = char_floor(&self.pending, self.budget);
        let half = char_floor(&self.pending, end / 2);
        let cut = match self.pending[half..end].rfind('\n') {
            Some(at) => half + at + 1,
            // One character longer than the budget still makes progress.
            None if end == 0 => self.pending.chars().next().map_or(0, char::len_utf8),
            None => end,
        };
        let rest = self.pending.split_off(cut);
        Some(std::mem::replace(&mut self.pending, rest))
    }

    /// What is left at the end (trailing newlines and spaces dropped).
    fn finish(self) -> String {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(budget: usize, pieces: &[&str]) -> (Vec<String>, String) {
        let mut parts = Parts::new(budget);
        let mut out = Vec::new();
        for piece in pieces {
            parts.push(piece);
            while let Some(part) = parts.take_full() {
                out.push(part);
            }
        }
        (out, parts.finish())
    }

    #[test]
    fn parts_fit_the_budget_and_join_to_the_input_without_trailing_newlines() {
        let line = "0123456789 \"quoted\" \\ tab\t é € 😀 \u{1}\n";
        let input: String = line.repeat(200);
        for budget in [64, 100, 1000, 4096] {
            let pieces: Vec<&str> = {
                // Arbitrary piece boundaries (on characters, as PaneCapture
                // delivers them).
                let mut pieces = Vec::new();
                let mut rest = input.as_str();
                let mut size = 7;
                while !rest.is_empty() {
                    let mut at = size.min(rest.len());
                    while !rest.is_char_boundary(at) {
                        at += 1;
                    }
                    pieces.push(&rest[..at]);
                    rest = &rest[at..];
                    size = size * 3 % 97 + 1;
                }
                pieces
            };
            let (parts, last) = cut(budget, &pieces);
            assert!(parts.len() > 1, "budget {budget} splits the input");
            for part in &parts {
                assert!(part.len() <= budget, "budget {budget}");
                assert!(!part.is_empty());
            }
            let joined = parts.concat() + &last;
            assert_eq!(joined, input.trim_end_matches('\n'), "budget {budget}");
            // Most parts end at a line end.
            let at_line_end = parts.iter().filter(|p| p.ends_with('\n')).count();
            assert!(at_line_end * 2 >= parts.len(), "budget {budget}");
        }
    }

    #[test]
    fn trailing_blank_lines_and_spaces_are_dropped_but_inner_ones_kept() {
        let (parts, last) = cut(1000, &["a  \n\n", "\n", "b\n", "\n\n\n"]);
        assert!(parts.is_empty());
        assert_eq!(last, "a\n\n\nb");
        let (_, last) = cut(1000, &["\n\n"]);
        assert_eq!(last, "");
        // Spaces split from their line's end or its next word by a piece
        // boundary.
        let (_, last) = cut(1000, &["x ", " ", " y  ", "  ", "\n ", " z", "   "]);
        assert_eq!(last, "x   y\n  z");
        // The same as the whole-capture text of Tmux::capture_pane.
        let raw = "  indented  \n\n tail \n   \n\n";
        let (_, last) = cut(1000, &[raw]);
        assert_eq!(last, "  indented\n\n tail");
    }

    #[test]
    fn halves_split_near_the_middle_after_a_newline_and_on_characters() {
        let (a, b) = halve("aaaaaa\nbbbbbbbbbbbbb".into());
        assert_eq!((a.as_str(), b.as_str()), ("aaaaaa\n", "bbbbbbbbbbbbb"));
        let (a, b) = halve("aa\nbbbbbbbbbbbbbbbbb".into());
        assert_eq!((a.as_str(), b.as_str()), ("aa\nbbbbbbb", "bbbbbbbbbb"));
        let (a, b) = halve("€€€€€".into());
        assert_eq!(a.clone() + &b, "€€€€€");
        assert!(!a.is_empty() && !b.is_empty());
        let (a, b) = halve("xy".into());
        assert_eq!((a.as_str(), b.as_str()), ("x", "y"));
    }

    #[test]
    fn a_fragmented_message_is_the_one_message_encode_server_writes() {
        let writer_head = format!(
            r#"{{"type":"scrollback","paneId":{},"text":""#,
            serde_json::Value::from("%3")
        );
        let text = "line \"one\"\nline two";
        let joined = format!(
            "{writer_head}{}{}{}",
            json_string_body(&text[..6]),
            json_string_body(&text[6..]),
            r#"","lines":2}"#
        );
        let whole = encode_server(&ServerMessage::Scrollback {
            pane_id: "%3".into(),
            text: text.into(),
            lines: 2,
            offset: None,
            done: None,
        });
        assert_eq!(joined, whole);
    }
}
