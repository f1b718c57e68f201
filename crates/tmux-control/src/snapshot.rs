//! The whole sessions → windows → panes tree from one tmux command, and its
//! robust parser.
//!
//! # Why `list-sessions` with loops, not `list-panes -a`
//!
//! Every phone has a grouped session, and every session of a group has
//! every window of the group. `list-panes -a` lists each window once per
//! session: with 100 phones on a session of 100 windows that is 10 000
//! records, each expanding `pane_current_command` (a read of `/proc`), about
//! 0.3–0.5 s of tmux's single thread per snapshot, taken while tmux should
//! be opening the phones' windows (issue 15, point 2). Yet the sessions of a
//! group differ only in their current window. So the snapshot is one
//! `list-sessions` whose format lists the windows and panes (`#{W:#{P:…}}`)
//! only for the sessions that need it — every session a person made, and
//! any session outside a group — and for a managed session of a group only
//! its current window; [`parse_snapshot`] then gives each managed session
//! the windows of its group. A group made only of managed sessions (the
//! person killed their own session while phones were on it) is listed in
//! full for each, as before. Same tree, about a tenth of tmux's time at
//! that size, and one command, so still one consistent moment.
//!
//! # Format
//!
//! Per session, a header line, then one line per pane when its windows are
//! listed, then an empty line:
//!
//! ```text
//! $sid \t attached \t @current-window \t <len>:<session name> \t <len>:<session group> \t listed \n
//! @wid \t windex \t wactive \t wzoomed \t %pid \t pindex \t pactive \t width \t height \t <len>:<window name> \t <pane command> \n
//! …
//! \n
//! ```
//!
//! The ids and numbers are produced by tmux itself. The three names are
//! user-controlled, so each is preceded by its byte length (`#{n:…}`) and
//! read by length, never by searching for a delimiter: a name may contain
//! tabs, newlines or anything else and cannot shift the fields after it.
//! (tmux 3.3a also escapes control characters in session and window names,
//! so this is a second line of defence.)
//!
//! The pane's command is read from `/proc` by tmux at expansion time and is
//! not escaped by tmux: a program can make its name contain a newline. It
//! cannot be length-prefixed (the two expansions could read different
//! values), so the format replaces every tab and newline in it with a space
//! (`#{s/[\t\n]/ /:pane_current_command}`, a single expansion) and puts it
//! last, running to the end of the line. The parser additionally checks the
//! exact shape of every other field, so a malformed record is an error
//! ([`TmuxError::Parse`]), never a panic or a shifted field.

use std::collections::HashMap;

use crate::error::TmuxError;
use crate::ids::{MANAGED_SESSION_PREFIX, PaneId};

/// Whether a session's windows are listed: it is not managed, or not in a
/// group, or its group has no session but managed ones (removing the run
/// of managed names at the start of the group list leaves nothing). `m:`
/// and `s/` are fnmatch and a regular expression over tmux's own text;
/// `#{!:…}` does not exist in tmux 3.3a, hence `==:…,0`. The expression is
/// anchored so tmux runs it once per session: unanchored, tmux's `s/`
/// searches again after every match, rebuilding glibc's wide-character
/// buffer of the rest of the list each time — quadratic in the group's
/// size (0.16 s of tmux per expansion for 101 sessions in a group, 0.02 s
/// anchored; the snapshot expands it twice per session).
macro_rules! listed_condition {
    () => {
        concat!(
            "#{||:#{==:#{m:tmux-mobile-client-*,#{session_name}},0},",
            "#{||:#{==:#{session_grouped},0},",
            "#{==:#{s/^(tmux-mobile-client-[^,]*,?)+//:session_group_list},}}}"
        )
    };
}

/// The snapshot format (see the [module documentation](self)), with `$t`
/// and `$n` as what a tab and a newline are written as.
macro_rules! snapshot_format {
    ($t:literal, $n:literal) => {
        concat!(
            "#{session_id}",
            $t,
            "#{session_attached}",
            $t,
            "#{window_id}",
            $t,
            "#{n:session_name}:#{session_name}",
            $t,
            "#{n:session_group}:#{session_group}",
            $t,
            "#{?",
            listed_condition!(),
            ",1,0}",
            $n,
            "#{?",
            listed_condition!(),
            ",#{W:#{P:",
            "#{window_id}",
            $t,
            "#{window_index}",
            $t,
            "#{window_active}",
            $t,
            "#{window_zoomed_flag}",
            $t,
            "#{pane_id}",
            $t,
            "#{pane_index}",
            $t,
            "#{pane_active}",
            $t,
            "#{pane_width}",
            $t,
            "#{pane_height}",
            $t,
            "#{n:window_name}:#{window_name}",
            $t,
            "#{s/[",
            $t,
            $n,
            "]/ /:pane_current_command}",
            $n,
            "}},}"
        )
    };
}

/// The `-F` format of a snapshot (`list-sessions -F`), with literal tab and
/// newline characters (for argv).
pub(crate) const SNAPSHOT_FORMAT: &str = snapshot_format!("\t", "\n");

/// The same command as a line of tmux's command language, for control mode:
/// the format is double-quoted with `\t` and `\n` escapes (a literal newline
/// would end the command line; an unquoted `#{` would start a comment). The
/// format contains no `"`, `\`, `$` or `~`, so no other escape is needed;
/// a test checks that both forms give the same snapshot.
pub(crate) const SNAPSHOT_CONTROL_COMMAND: &str = concat!(
    "list-sessions -F \"",
    snapshot_format!("\\t", "\\n"),
    "\"\n",
);

/// The state of one tmux server: its sessions in the order tmux lists them
/// (by name). Two snapshots are equal when tmux's structure is the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    sessions: Vec<SessionSnapshot>,
}

/// One session: its identity, clients, group and its own view of the
/// windows (each session of a group has its own current window).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionSnapshot {
    /// tmux's id, like `$3`.
    pub id: String,
    /// The name, exactly as tmux stores it.
    pub name: String,
    /// How many clients are attached (`#{session_attached}`).
    pub attached: u32,
    /// The name of the session group, when the session is in one.
    pub group: Option<String>,
    /// Whether the name starts with [`MANAGED_SESSION_PREFIX`] (a session
    /// tmux-mobile manages).
    pub managed: bool,
    /// The windows linked into this session, in index order.
    pub windows: Vec<WindowSnapshot>,
}

/// One window as linked into one session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WindowSnapshot {
    /// tmux's id, like `@4` (the same in every session it is linked into).
    pub id: String,
    /// The index in this session.
    pub index: u32,
    /// The name.
    pub name: String,
    /// Whether it is this session's current window.
    pub active: bool,
    /// Whether its active pane is zoomed.
    pub zoomed: bool,
    /// Its panes, in index order.
    pub panes: Vec<PaneSnapshot>,
}

/// One pane.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaneSnapshot {
    /// tmux's id, like `%7`.
    pub id: PaneId,
    /// The index in its window.
    pub index: u32,
    /// The command running in it (tabs and newlines replaced by spaces;
    /// bytes that are not UTF-8 replaced by U+FFFD).
    pub current_command: String,
    /// Whether it is its window's active pane.
    pub active: bool,
    /// Width in cells.
    pub width: u32,
    /// Height in cells.
    pub height: u32,
}

impl Snapshot {
    /// A snapshot with no sessions (what a missing server looks like).
    pub fn empty() -> Self {
        Snapshot::default()
    }

    /// Every session, including managed ones (the phones' sessions).
    pub fn sessions(&self) -> &[SessionSnapshot] {
        &self.sessions
    }

    /// The session named exactly `name`.
    pub fn session(&self, name: &str) -> Option<&SessionSnapshot> {
        self.sessions.iter().find(|s| s.name == name)
    }

    /// The sessions a person created: not managed by tmux-mobile.
    pub fn user_sessions(&self) -> impl Iterator<Item = &SessionSnapshot> {
        self.sessions.iter().filter(|s| !s.managed)
    }

    /// The names of every session that contains `pane` (all sessions of a
    /// group share their windows, so a pane belongs to each of them).
    pub fn sessions_with_pane(&self, pane: impl AsRef<str>) -> impl Iterator<Item = &str> {
        let pane = pane.as_ref().to_owned();
        self.sessions
            .iter()
            .filter(move |s| s.contains_pane(&pane))
            .map(|s| s.name.as_str())
    }
}

impl SessionSnapshot {
    /// Whether any client is attached.
    pub fn is_attached(&self) -> bool {
        self.attached > 0
    }

    /// The current window of this session.
    pub fn active_window(&self) -> Option<&WindowSnapshot> {
        self.windows.iter().find(|w| w.active)
    }

    /// The window at `index`.
    pub fn window(&self, index: u32) -> Option<&WindowSnapshot> {
        self.windows.iter().find(|w| w.index == index)
    }

    /// Whether `pane` is in one of this session's windows.
    pub fn contains_pane(&self, pane: impl AsRef<str>) -> bool {
        let pane = pane.as_ref();
        self.windows
            .iter()
            .any(|w| w.panes.iter().any(|p| p.id.as_str() == pane))
    }
}

impl WindowSnapshot {
    /// The window's active pane.
    pub fn active_pane(&self) -> Option<&PaneSnapshot> {
        self.panes.iter().find(|p| p.active)
    }
}

/// Parses the output of `list-sessions -F SNAPSHOT_FORMAT`.
pub(crate) fn parse_snapshot(output: &[u8]) -> Result<Snapshot, TmuxError> {
    let mut snapshot = Snapshot::default();
    // The current window of each session whose windows were not listed.
    let mut unlisted: Vec<(usize, String)> = Vec::new();
    let mut cursor = Cursor {
        bytes: output,
        pos: 0,
        record: 0,
    };
    while !cursor.at_end() {
        cursor.record += 1;
        let header = cursor.header()?;
        let mut windows: Vec<WindowSnapshot> = Vec::new();
        let mut window_at: HashMap<String, usize> = HashMap::new();
        while !cursor.take_newline() {
            cursor.record += 1;
            let pane = cursor.pane()?;
            let w = match window_at.get(&pane.window_id) {
                Some(&at) => at,
                None => {
                    windows.push(WindowSnapshot {
                        id: pane.window_id.clone(),
                        index: pane.window_index,
                        name: pane.window_name,
                        active: pane.window_active,
                        zoomed: pane.zoomed,
                        panes: Vec::new(),
                    });
                    window_at.insert(pane.window_id, windows.len() - 1);
                    windows.len() - 1
                }
            };
            windows[w].panes.push(pane.pane);
        }
        if header.listed == windows.is_empty() {
            return Err(cursor.error(if header.listed {
                "a listed session has no panes"
            } else {
                "panes of a session that is not listed"
            }));
        }
        windows.sort_by_key(|w| w.index);
        for window in &mut windows {
            window.panes.sort_by_key(|p| p.index);
        }
        if !header.listed {
            unlisted.push((snapshot.sessions.len(), header.current_window));
        }
        let managed = header.name.starts_with(MANAGED_SESSION_PREFIX);
        snapshot.sessions.push(SessionSnapshot {
            id: header.id,
            name: header.name,
            attached: header.attached,
            group: (!header.group.is_empty()).then_some(header.group),
            managed,
            windows,
        });
    }
    // A session whose windows were not listed has its group's: those of a
    // listed session of the group, with its own current window.
    for (at, current) in unlisted {
        let template = snapshot.sessions[at].group.as_ref().and_then(|group| {
            snapshot
                .sessions
                .iter()
                .find(|s| s.group.as_ref() == Some(group) && !s.windows.is_empty())
        });
        let Some(template) = template else {
            return Err(cursor.error("a session that is not listed has no listed group"));
        };
        let windows = template
            .windows
            .iter()
            .map(|w| WindowSnapshot {
                active: w.id == current,
                ..w.clone()
            })
            .collect();
        snapshot.sessions[at].windows = windows;
    }
    Ok(snapshot)
}

/// A session's header line.
struct Header {
    id: String,
    attached: u32,
    current_window: String,
    name: String,
    group: String,
    listed: bool,
}

/// One pane's line.
struct PaneRecord {
    window_id: String,
    window_index: u32,
    window_active: bool,
    zoomed: bool,
    window_name: String,
    pane: PaneSnapshot,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    record: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn error(&self, what: &str) -> TmuxError {
        TmuxError::parse("list-sessions", format!("line {}: {what}", self.record))
    }

    /// Consumes an empty line (the end of a session), if one is next.
    fn take_newline(&mut self) -> bool {
        if self.bytes.get(self.pos) == Some(&b'\n') {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The bytes up to (not including) the next `stop`, consuming the stop.
    fn until(&mut self, stop: u8, what: &str) -> Result<&[u8], TmuxError> {
        let rest = &self.bytes[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == stop)
            .ok_or_else(|| self.error(&format!("{what} is not terminated")))?;
        self.pos += len + 1;
        Ok(&rest[..len])
    }

    fn number(&mut self, what: &str) -> Result<u32, TmuxError> {
        let field = self.until(b'\t', what)?;
        parse_u32(field).ok_or_else(|| self.error(&format!("{what} is not a number")))
    }

    fn flag(&mut self, stop: u8, what: &str) -> Result<bool, TmuxError> {
        match self.until(stop, what)? {
            b"1" => Ok(true),
            b"0" => Ok(false),
            _ => Err(self.error(&format!("{what} is not 0 or 1"))),
        }
    }

    fn id(&mut self, sigil: u8, what: &str) -> Result<String, TmuxError> {
        let field = self.until(b'\t', what)?;
        match field.split_first() {
            Some((&first, digits)) if first == sigil && parse_u32(digits).is_some() => {
                Ok(String::from_utf8_lossy(field).into_owned())
            }
            _ => Err(self.error(&format!("{what} is malformed"))),
        }
    }

    /// `<len>:<len bytes>` followed by a tab.
    fn sized(&mut self, what: &str) -> Result<String, TmuxError> {
        let len_field = self.until(b':', what)?;
        let len = parse_u32(len_field)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.error(&format!("length of {what} is not a number")))?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end < self.bytes.len() && self.bytes[end] == b'\t')
            .ok_or_else(|| self.error(&format!("{what} does not have the announced length")))?;
        let value = String::from_utf8_lossy(&self.bytes[self.pos..end]).into_owned();
        self.pos = end + 1;
        Ok(value)
    }

    fn header(&mut self) -> Result<Header, TmuxError> {
        let id = self.id(b'$', "session id")?;
        let attached = self.number("session_attached")?;
        let current_window = self.id(b'@', "current window id")?;
        let name = self.sized("session name")?;
        let group = self.sized("session group")?;
        let listed = self.flag(b'\n', "listed flag")?;
        if name.is_empty() {
            return Err(self.error("session name is empty"));
        }
        Ok(Header {
            id,
            attached,
            current_window,
            name,
            group,
            listed,
        })
    }

    fn pane(&mut self) -> Result<PaneRecord, TmuxError> {
        let window_id = self.id(b'@', "window id")?;
        let window_index = self.number("window index")?;
        let window_active = self.flag(b'\t', "window_active")?;
        let zoomed = self.flag(b'\t', "window_zoomed_flag")?;
        let pane_id = self.id(b'%', "pane id")?;
        let pane_id =
            PaneId::try_from(pane_id.as_str()).map_err(|_| self.error("pane id is malformed"))?;
        let pane_index = self.number("pane index")?;
        let pane_active = self.flag(b'\t', "pane_active")?;
        let width = self.number("pane width")?;
        let height = self.number("pane height")?;
        let window_name = self.sized("window name")?;
        let command = self.until(b'\n', "pane command")?;
        let current_command = String::from_utf8_lossy(command).into_owned();
        Ok(PaneRecord {
            window_id,
            window_index,
            window_active,
            zoomed,
            window_name,
            pane: PaneSnapshot {
                id: pane_id,
                index: pane_index,
                current_command,
                active: pane_active,
                width,
                height,
            },
        })
    }
}

/// A canonical unsigned decimal (no sign, no leading zeros except "0").
pub(crate) fn parse_u32(field: &[u8]) -> Option<u32> {
    if field.is_empty() || field.len() > 10 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if field.len() > 1 && field[0] == b'0' {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from tmux 3.3a (`list-sessions -F SNAPSHOT_FORMAT`) with a
    /// session `base` (two windows, the second split and zoomed, current),
    /// a phone's session grouped with it (its current window the first),
    /// and a session named `a<TAB>tab` (tmux stored it as `a\ttab`); the
    /// command of `%1` is then replaced by `bad\xff na`, what tmux printed
    /// for a program that named itself `bad\xff<LF>na` in an earlier capture.
    const CAPTURED: &[u8] = b"$2\t0\t@3\t6:a\\ttab\t0:\t1\n\
@3\t0\t1\t0\t%4\t0\t1\t80\t24\t4:bash\tbash\n\
\n\
$0\t0\t@1\t4:base\t4:base\t1\n\
@0\t0\t0\t0\t%0\t0\t1\t80\t24\t4:bash\tbash\n\
@1\t1\t1\t1\t%1\t0\t1\t80\t24\t8:new name\tbad\xff na\n\
@1\t1\t1\t1\t%2\t1\t0\t80\t11\t8:new name\tbash\n\
\n\
$1\t1\t@0\t24:tmux-mobile-client-abc12\t4:base\t0\n\
\n";

    #[test]
    fn parses_captured_output() {
        let snap = parse_snapshot(CAPTURED).unwrap();
        let names: Vec<_> = snap.sessions().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a\\ttab", "base", "tmux-mobile-client-abc12"]);
        let base = snap.session("base").unwrap();
        assert_eq!(base.id, "$0");
        assert_eq!(base.group.as_deref(), Some("base"));
        assert!(!base.managed);
        assert_eq!(base.windows.len(), 2);
        assert_eq!(base.active_window().unwrap().index, 1);
        let w1 = base.window(1).unwrap();
        assert!(w1.zoomed);
        assert_eq!(w1.name, "new name");
        assert_eq!(w1.panes.len(), 2);
        assert_eq!(w1.panes[0].current_command, "bad\u{fffd} na");
        assert_eq!(w1.active_pane().unwrap().id.as_str(), "%1");
        // The phone's session has the group's windows and its own current
        // window.
        let managed = snap.session("tmux-mobile-client-abc12").unwrap();
        assert!(managed.managed);
        assert!(managed.is_attached());
        assert_eq!(managed.id, "$1");
        assert_eq!(managed.active_window().unwrap().index, 0);
        assert_eq!(managed.windows.len(), 2);
        assert_eq!(managed.windows[1].panes, w1.panes);
        assert!(!managed.windows[1].active);
        let owners: Vec<_> = snap.sessions_with_pane("%2").collect();
        assert_eq!(owners, ["base", "tmux-mobile-client-abc12"]);
        assert_eq!(snap.session("a\\ttab").unwrap().group, None);
    }

    /// A group of phones' sessions only (the person's own session is gone):
    /// tmux lists each of them in full.
    #[test]
    fn a_group_of_managed_sessions_only_is_listed() {
        let out = b"$1\t1\t@0\t22:tmux-mobile-client-one\t1:g\t1\n\
@0\t0\t1\t0\t%0\t0\t1\t80\t24\t1:w\tsh\n\
\n";
        let snap = parse_snapshot(out).unwrap();
        assert_eq!(snap.sessions()[0].windows.len(), 1);
        // A session left unlisted with no listed session of its group is
        // not a shape tmux produces: an error, not a session without windows.
        let orphan = b"$1\t1\t@0\t22:tmux-mobile-client-one\t1:g\t0\n\n";
        assert!(matches!(
            parse_snapshot(orphan),
            Err(TmuxError::Parse { .. })
        ));
    }

    #[test]
    fn names_are_read_by_length_not_by_delimiter() {
        let out = b"$5\t2\t@7\t9:a\tb\nc:d\te\t3:g\tg\t1\n\
@7\t3\t1\t0\t%9\t0\t1\t10\t5\t3:w\tw\tcmd with\ttab?\n\n";
        // The last field runs to the end of the line; tabs in it are kept.
        let snap = parse_snapshot(out).unwrap();
        let s = &snap.sessions()[0];
        assert_eq!(s.name, "a\tb\nc:d\te");
        assert_eq!(s.group.as_deref(), Some("g\tg"));
        assert_eq!(s.windows[0].name, "w\tw");
        assert_eq!(s.windows[0].panes[0].current_command, "cmd with\ttab?");
        assert_eq!(s.attached, 2);
    }

    #[test]
    fn unicode_names_use_byte_lengths() {
        let out = "$1\t0\t@1\t8:é日本\t0:\t1\n@1\t0\t1\t0\t%1\t0\t1\t80\t24\t4:🎉\tvim\n\n";
        let snap = parse_snapshot(out.as_bytes()).unwrap();
        assert_eq!(snap.sessions()[0].name, "é日本");
        assert_eq!(snap.sessions()[0].windows[0].name, "🎉");
    }

    #[test]
    fn empty_output_is_an_empty_snapshot() {
        assert_eq!(parse_snapshot(b"").unwrap(), Snapshot::empty());
    }

    #[test]
    fn malformed_records_are_errors() {
        const PANE: &[u8] = b"@1\t0\t1\t0\t%1\t0\t1\t80\t24\t1:w\tsh\n";
        let session = |header: &[u8], pane: &[u8]| [header, pane, b"\n"].concat();
        let good = session(b"$1\t0\t@1\t1:a\t0:\t1\n", PANE);
        assert!(parse_snapshot(&good).is_ok());
        let bad: Vec<Vec<u8>> = vec![
            good[..good.len() - 1].to_vec(),           // no end of session
            session(b"$1\t0\t@1\t5:a\t0:\t1\n", PANE), // wrong length
            session(b"$1\t0\t@1\t99999999999:a\t0:\t1\n", PANE), // huge length
            session(b"1\t0\t@1\t1:a\t0:\t1\n", PANE),  // no $
            session(b"$1\t0\t@1\t1:a\t0:\t2\n", PANE), // flag 2
            session(b"$1\t-1\t@1\t1:a\t0:\t1\n", PANE), // negative
            session(b"$1\t0\t@1\t0:\t0:\t1\n", PANE),  // empty name
            session(b"$1\t0\t@1\t1:a\t0:\t1\n", b""),  // listed, no panes
            session(b"$1\t0\t@1\t1:a\t0:\t0\n", PANE), // panes, not listed
            session(
                b"$1\t0\t@1\t1:a\t0:\t1\n",
                b"@1\t0\t2\t0\t%1\t0\t1\t80\t24\t1:w\tsh\n",
            ),
            session(
                b"$1\t0\t@1\t1:a\t0:\t1\n",
                b"@1\t0\t1\t0\t%01\t0\t1\t80\t24\t1:w\tsh\n",
            ),
            session(
                b"$1\t0\t@1\t1:a\t0:\t1\n",
                b"@1\t0\t1\t0\t%1\t0\t1\t80\t24\t1:w\tsh",
            ),
            b"garbage\n".to_vec(),
            b"\n".to_vec(),
        ];
        for input in &bad {
            let err = parse_snapshot(input).unwrap_err();
            assert!(matches!(err, TmuxError::Parse { .. }), "{input:?}: {err}");
        }
    }

    #[test]
    fn control_command_matches_argv_format() {
        // The control-mode command is the argv format with tab/newline
        // written as escapes inside double quotes.
        let inner = SNAPSHOT_CONTROL_COMMAND
            .strip_prefix("list-sessions -F \"")
            .and_then(|s| s.strip_suffix("\"\n"))
            .unwrap();
        assert_eq!(
            inner.replace("\\t", "\t").replace("\\n", "\n"),
            SNAPSHOT_FORMAT
        );
        assert!(!SNAPSHOT_FORMAT.contains(['"', '\\', '$', '~']));
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_snapshot(&bytes);
        }

        #[test]
        fn any_names_round_trip(
            session in "[^\\x00]{1,40}",
            window in "[^\\x00]{0,40}",
            command in "[^\\t\\n]{0,40}",
        ) {
            let line = format!(
                "$1\t1\t@2\t{}:{}\t0:\t1\n@2\t3\t1\t0\t%4\t0\t1\t80\t24\t{}:{}\t{}\n\n",
                session.len(), session, window.len(), window, command
            );
            let snap = parse_snapshot(line.as_bytes()).unwrap();
            proptest::prop_assert_eq!(&snap.sessions()[0].name, &session);
            proptest::prop_assert_eq!(&snap.sessions()[0].windows[0].name, &window);
            proptest::prop_assert_eq!(&snap.sessions()[0].windows[0].panes[0].current_command, &command);
        }
    }
}
