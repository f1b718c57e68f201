//! Finding text in a terminal byte stream. tmux redraws rather than
//! replays, so its output is printable text interleaved with escape
//! sequences whose final bytes are letters too (`ESC [ 2 4 ; 1 H`). The
//! [`Scanner`] drops escape sequences and control bytes, keeping the
//! visible text, and says when a needle has appeared in it — across frame
//! boundaries, without keeping the whole stream.

/// Escape-sequence state between two chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    Escape,
    Csi,
    /// OSC, DCS, APC, PM, SOS: a string ended by BEL or `ESC \`.
    Str,
    StrEscape,
    /// `ESC` followed by intermediates (`ESC ( B`): ends at a final byte.
    EscIntermediate,
}

/// Visible text of a terminal stream, searched for a needle.
#[derive(Debug, Clone)]
pub(crate) struct Scanner {
    state: State,
    /// The last visible bytes, at most `keep` of them.
    tail: Vec<u8>,
    keep: usize,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    /// A scanner that remembers enough visible text for needles up to
    /// 256 bytes.
    pub(crate) fn new() -> Self {
        Self {
            state: State::Ground,
            tail: Vec::new(),
            keep: 256,
        }
    }

    /// Forgets the visible text seen so far (the escape state is kept, so a
    /// sequence split by the reset is still recognised).
    pub(crate) fn clear(&mut self) {
        self.tail.clear();
    }

    /// Feeds `bytes` and returns whether `needle` is now in the visible
    /// text (in what was fed since the last [`Scanner::clear`], as far back
    /// as the scanner remembers).
    pub(crate) fn feed_and_find(&mut self, bytes: &[u8], needle: &[u8]) -> bool {
        let before = self.tail.len();
        for &b in bytes {
            self.step(b);
        }
        // Only a window that ends in new text can hold a new match.
        let from = before.saturating_sub(needle.len().saturating_sub(1));
        let found = self.tail[from.min(self.tail.len())..]
            .windows(needle.len().max(1))
            .any(|w| w == needle);
        let excess = self.tail.len().saturating_sub(self.keep);
        if excess > 0 {
            self.tail.drain(..excess);
        }
        found
    }

    fn step(&mut self, b: u8) {
        self.state = match (self.state, b) {
            (_, 0x18 | 0x1a) => State::Ground,
            (State::Str, 0x07) => State::Ground,
            (State::Str, 0x1b) => State::StrEscape,
            (State::Str, _) => State::Str,
            (State::StrEscape, b'\\') => State::Ground,
            (State::StrEscape, _) => State::Str,
            (_, 0x1b) => State::Escape,
            (State::Escape, b'[') => State::Csi,
            (State::Escape, b']' | b'P' | b'_' | b'^' | b'X') => State::Str,
            (State::Escape, 0x20..=0x2f) => State::EscIntermediate,
            (State::Escape, _) => State::Ground,
            (State::EscIntermediate, 0x30..=0x7e) => State::Ground,
            (State::EscIntermediate, _) => State::EscIntermediate,
            (State::Csi, 0x40..=0x7e) => State::Ground,
            (State::Csi, _) => State::Csi,
            (State::Ground, _) => {
                if b >= 0x20 && b != 0x7f {
                    self.tail.push(b);
                }
                State::Ground
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_text_split_by_escapes_and_frames() {
        let mut s = Scanner::new();
        assert!(!s.feed_and_find(b"\x1b[24;1HW1_4", b"W1_42_E"));
        assert!(!s.feed_and_find(b"2\x1b[", b"W1_42_E"));
        assert!(s.feed_and_find(b"1m_E\r\n", b"W1_42_E"));
        // Letters that are escape finals or inside an OSC are not text.
        let mut s = Scanner::new();
        assert!(!s.feed_and_find(b"\x1b[Ha\x1b]0;title b\x07\x1b(B", b"H"));
        assert!(!s.feed_and_find(b"", b"b"));
        assert!(s.feed_and_find(b"b", b"ab"));
        s.clear();
        assert!(!s.feed_and_find(b"", b"a"));
    }

    #[test]
    fn forgets_old_text_but_not_a_recent_match() {
        let mut s = Scanner::new();
        assert!(!s.feed_and_find(&[b'x'; 10_000], b"END"));
        assert!(s.feed_and_find(b"EN", b"xxEN"));
        assert!(s.feed_and_find(b"D", b"END"));
    }
}
