//! [`OutputScanner`]: BELs and OSC 9 / OSC 777 notifications in a pane's
//! raw output (its documentation has the rules).

/// The most bytes of one OSC string kept (longer ones are ignored).
pub const OSC_LIMIT: usize = 1024;

/// What one chunk of output contained.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// How many BELs rang.
    pub bells: usize,
    /// Desktop notifications (OSC 9 or OSC 777 `notify`), in order.
    pub notifications: Vec<Notification>,
}

/// One desktop notification a program asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The title (OSC 777 only; empty for OSC 9).
    pub title: String,
    /// The body.
    pub body: String,
}

impl Notification {
    /// `title: body`, or whichever of the two is not empty.
    pub fn text(&self) -> String {
        match (self.title.trim(), self.body.trim()) {
            ("", body) => body.to_owned(),
            (title, "") => title.to_owned(),
            (title, body) => format!("{title}: {body}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Ground,
    /// After ESC.
    Escape,
    /// After ESC followed by an intermediate byte (`ESC ( B`, …).
    EscapeIntermediate,
    /// Inside `ESC [ …` until a final byte.
    Csi,
    /// Inside `ESC ] …`.
    Osc,
    /// ESC inside an OSC (maybe the start of ST, `ESC \`).
    OscEscape,
    /// Inside DCS, SOS, PM or APC (`ESC P`, `ESC X`, `ESC ^`, `ESC _`).
    Str,
    /// ESC inside such a string.
    StrEscape,
}

/// [`OutputScanner`]: finds bells and desktop notifications in a pane's raw
/// output, the bytes a program wrote before tmux interpreted them.
///
/// tmux 3.3a drops OSC 9 and OSC 777 (it does not know them), so they can
/// only be seen in the raw stream that control mode's `%output` carries. A
/// BEL counts only where a terminal would ring it: in the ground state or
/// inside an escape or CSI sequence (where C0 controls are executed), never
/// when it ends an OSC/DCS/APC/PM/SOS string (`ESC ] 0 ; title BEL` sets a
/// title; it does not ring).
///
/// The scanner keeps its state between chunks, so a sequence split across
/// two `%output` lines is still seen whole. Strings are bounded
/// ([`OSC_LIMIT`]): a longer OSC is read to its end but its content dropped.
/// Pure and total: any bytes, no panics (a property test feeds it random
/// input in random chunks and checks it against the whole input at once).
#[derive(Debug, Clone, Default)]
pub struct OutputScanner {
    state: State,
    osc: Vec<u8>,
    osc_overflow: bool,
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

impl OutputScanner {
    /// A scanner in the ground state.
    pub fn new() -> Self {
        OutputScanner::default()
    }

    /// Feeds the next chunk of output.
    pub fn feed(&mut self, bytes: &[u8]) -> Scanned {
        let mut out = Scanned::default();
        let mut rest = bytes;
        while let Some((&byte, tail)) = rest.split_first() {
            if self.state == State::Ground {
                // Text is most of any output, and only BEL and ESC mean
                // anything in the ground state: skip to the next one.
                match rest.iter().position(|&b| b == BEL || b == ESC) {
                    Some(at) => {
                        self.step(rest[at], &mut out);
                        rest = &rest[at + 1..];
                    }
                    None => break,
                }
                continue;
            }
            self.step(byte, &mut out);
            rest = tail;
        }
        out
    }

    fn step(&mut self, byte: u8, out: &mut Scanned) {
        match self.state {
            State::Ground => match byte {
                BEL => out.bells += 1,
                ESC => self.state = State::Escape,
                _ => {}
            },
            State::Escape => match byte {
                BEL => out.bells += 1,
                ESC => {}
                b'[' => self.state = State::Csi,
                b']' => {
                    self.osc.clear();
                    self.osc_overflow = false;
                    self.state = State::Osc;
                }
                b'P' | b'X' | b'^' | b'_' => self.state = State::Str,
                0x20..=0x2f => self.state = State::EscapeIntermediate,
                0x00..=0x1f => {}
                _ => self.state = State::Ground,
            },
            State::EscapeIntermediate => match byte {
                BEL => out.bells += 1,
                ESC => self.state = State::Escape,
                0x00..=0x2f => {}
                _ => self.state = State::Ground,
            },
            State::Csi => match byte {
                BEL => out.bells += 1,
                ESC => self.state = State::Escape,
                0x40..=0x7e => self.state = State::Ground,
                _ => {}
            },
            State::Osc => match byte {
                BEL => self.end_osc(out),
                ESC => self.state = State::OscEscape,
                // CAN and SUB abort a sequence.
                0x18 | 0x1a => self.state = State::Ground,
                _ => {
                    if self.osc.len() < OSC_LIMIT {
                        self.osc.push(byte);
                    } else {
                        self.osc_overflow = true;
                    }
                }
            },
            State::OscEscape => {
                if byte == b'\\' {
                    self.end_osc(out);
                } else {
                    // An ESC that is not ST ends the string and starts a new
                    // sequence (as xterm does), so dropping the string.
                    self.state = State::Escape;
                    self.step(byte, out);
                }
            }
            State::Str => match byte {
                BEL | 0x18 | 0x1a => self.state = State::Ground,
                ESC => self.state = State::StrEscape,
                _ => {}
            },
            State::StrEscape => {
                if byte == b'\\' {
                    self.state = State::Ground;
                } else {
                    self.state = State::Escape;
                    self.step(byte, out);
                }
            }
        }
    }

    fn end_osc(&mut self, out: &mut Scanned) {
        self.state = State::Ground;
        if self.osc_overflow {
            return;
        }
        if let Some(notification) = parse_notification(&self.osc) {
            out.notifications.push(notification);
        }
        self.osc.clear();
    }
}

/// The notification in one OSC string's content (what came between `ESC ]`
/// and its terminator), if it is one:
///
/// - `9;<body>` (iTerm2, also kitty and Windows Terminal) — except ConEmu's
///   numbered `9;<n>;…` commands such as `9;4;…` (progress), which are not
///   notifications;
/// - `777;notify;<title>;<body>` (rxvt-unicode, VTE).
pub fn parse_notification(content: &[u8]) -> Option<Notification> {
    let text = String::from_utf8_lossy(content);
    if let Some(body) = text.strip_prefix("9;") {
        let numbered = body
            .split(';')
            .next()
            .is_some_and(|first| !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()));
        if numbered || body.trim().is_empty() {
            return None;
        }
        return Some(Notification {
            title: String::new(),
            body: body.to_owned(),
        });
    }
    let rest = text.strip_prefix("777;notify;")?;
    let (title, body) = rest.split_once(';').unwrap_or((rest, ""));
    if title.trim().is_empty() && body.trim().is_empty() {
        return None;
    }
    Some(Notification {
        title: title.to_owned(),
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(bytes: &[u8]) -> Scanned {
        OutputScanner::new().feed(bytes)
    }

    #[test]
    fn a_plain_bel_rings() {
        assert_eq!(scan(b"done\x07\n").bells, 1);
        assert_eq!(scan(b"\x07\x07").bells, 2);
        assert_eq!(scan(b"no bell here").bells, 0);
    }

    #[test]
    fn a_bel_that_ends_a_title_does_not_ring() {
        assert_eq!(scan(b"\x1b]0;my title\x07prompt$ ").bells, 0);
        assert_eq!(scan(b"\x1b]2;t\x1b\\x\x07").bells, 1);
        assert_eq!(scan(b"\x1bPtmux;data\x07").bells, 0);
        assert_eq!(scan(b"\x1b_apc\x1b\\\x07").bells, 1);
    }

    #[test]
    fn c0_bel_inside_escape_and_csi_rings() {
        assert_eq!(scan(b"\x1b[3\x07m").bells, 1);
        assert_eq!(scan(b"\x1b\x07").bells, 1);
        assert_eq!(scan(b"\x1b(\x07B").bells, 1);
    }

    #[test]
    fn osc_9_and_777_are_notifications() {
        let out = scan(b"\x1b]9;Build finished\x07");
        assert_eq!(
            out.notifications,
            vec![Notification {
                title: String::new(),
                body: "Build finished".into()
            }]
        );
        assert_eq!(out.bells, 0);
        let out = scan(b"\x1b]777;notify;Claude;Needs your approval\x1b\\");
        assert_eq!(out.notifications[0].text(), "Claude: Needs your approval");
        let out = scan(b"\x1b]777;notify;Only a title\x07");
        assert_eq!(out.notifications[0].text(), "Only a title");
    }

    #[test]
    fn other_oscs_are_not_notifications() {
        for osc in [
            &b"\x1b]9;4;1;50\x07"[..],
            b"\x1b]9;\x07",
            b"\x1b]0;title\x07",
            b"\x1b]777;preexec\x07",
            b"\x1b]7779;x\x07",
            b"\x1b]52;c;aGk=\x07",
        ] {
            assert_eq!(scan(osc), Scanned::default(), "{osc:?}");
        }
    }

    #[test]
    fn sequences_split_across_chunks_are_seen_whole() {
        let mut scanner = OutputScanner::new();
        assert_eq!(scanner.feed(b"\x1b]9;he"), Scanned::default());
        assert_eq!(scanner.feed(b"llo\x1b"), Scanned::default());
        let out = scanner.feed(b"\\\x07");
        assert_eq!(out.notifications[0].body, "hello");
        assert_eq!(out.bells, 1);
    }

    #[test]
    fn an_overlong_osc_is_dropped_but_ends() {
        let mut bytes = b"\x1b]9;".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', OSC_LIMIT + 10));
        bytes.extend_from_slice(b"\x07\x07");
        let out = scan(&bytes);
        assert!(out.notifications.is_empty());
        assert_eq!(out.bells, 1);
    }

    #[test]
    fn cancel_aborts_an_osc() {
        assert_eq!(scan(b"\x1b]9;abc\x18\x07").bells, 1);
    }

    proptest::proptest! {
        #[test]
        fn chunking_never_changes_the_result(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(vec![0x07u8, 0x1b, b']', b'9', b';', b'\\', b'[', b'P']),
                ],
                0..300,
            ),
            cuts in proptest::collection::vec(0usize..300, 0..8),
        ) {
            let whole = OutputScanner::new().feed(&bytes);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut scanner = OutputScanner::new();
            let mut total = Scanned::default();
            let mut start = 0;
            for cut in cuts.into_iter().chain(std::iter::once(bytes.len())) {
                let part = scanner.feed(&bytes[start..cut]);
                total.bells += part.bells;
                total.notifications.extend(part.notifications);
                start = cut;
            }
            proptest::prop_assert_eq!(total, whole);
        }

        #[test]
        fn skipping_text_changes_nothing(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(vec![0x07u8, 0x1b, b']', b'9', b';', b'\\', b'[', b'P']),
                ],
                0..300,
            ),
        ) {
            // The ground state's skip to the next BEL or ESC against one
            // step per byte.
            let mut bytewise = OutputScanner::new();
            let mut expected = Scanned::default();
            for &byte in &bytes {
                bytewise.step(byte, &mut expected);
            }
            proptest::prop_assert_eq!(OutputScanner::new().feed(&bytes), expected);
        }

        #[test]
        fn plain_text_with_bels_counts_every_bel(text in "[a-z \\x07]{0,200}") {
            let bells = text.bytes().filter(|&b| b == 0x07).count();
            proptest::prop_assert_eq!(OutputScanner::new().feed(text.as_bytes()).bells, bells);
        }
    }
}
