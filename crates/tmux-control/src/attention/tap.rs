//! A tap: one control-mode client that receives the raw output
//! (`%output`) of every pane of one session group.
//!
//! tmux sends a control client the output of the panes of the windows
//! linked into *its* session only, so seeing every pane of a server takes
//! one client per session group. The user's tmux must show nothing of ours
//! but one grouped session per connected phone, and a client attached to a
//! user's session would count there and run the user's `client-attached`
//! hooks; so each tap rides on a phone's grouped session of that group
//! (`attach-session -t =tmux-mobile-client-<client id>`), like the state
//! watcher. Grouped sessions share the windows but each has its own current
//! window, so the user's sessions, their current windows and their
//! attached-client counts stay as they were. The client flags are
//! `ignore-size` (it never changes a window's size), `read-only` and
//! `pause-after` (tmux stops sending a pane's output to a tap that lags
//! instead of buffering it without bound; the tap turns it back on a moment
//! later). The monitor pauses a flooding pane the same way on purpose
//! (`refresh-client -A '%N:pause'`: the flood guard, see
//! [`AttentionMonitor`](super::AttentionMonitor)'s *Floods*). The host's
//! `detach-on-destroy` is set *on*: when the phone's session goes, the tap
//! is detached (never moved to another session) and ends; the monitor then
//! takes a one-shot snapshot and starts one on another phone's session of
//! the group, if there is one.
//!
//! # Taps on sessions of their own
//!
//! When asked to watch groups no phone is on (see
//! [`AttentionMonitor::watch_unattended`](super::AttentionMonitor::watch_unattended)),
//! a tap has a small managed session of its own instead, grouped with the
//! user's session (`new-session -A -s tmux-mobile-client-~attn-<n> -t $<id>`,
//! with `destroy-unattached off` and `detach-on-destroy on`); the `~` keeps
//! it from being taken for a phone's. It is removed when the tap leaves. It
//! would keep the group's windows alive once the user's last session of the
//! group is killed, so such a tap re-reads the sessions (the snapshot command
//! through its own client, no process) on every `%sessions-changed` and
//! reports them; the monitor then lets it go, and removing its session
//! ends those windows as the user meant.
//!
//! Only fixed commands built from ids tmux itself gave us (`%12`, `$3`)
//! are ever written to a tap; nothing from a browser travels this way.

use std::collections::{HashMap, VecDeque};
use std::process::Stdio;
use std::time::Duration;

use tokio::time::Instant;

use crate::ids::PaneId;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::mpsc;

use crate::control::{Event, LineParser, read_line};
use crate::error::TmuxError;
use crate::snapshot::{SNAPSHOT_CONTROL_COMMAND, Snapshot, parse_snapshot};
use crate::tmux::Tmux;

/// The prefix of the sessions of taps that have their own (the managed
/// prefix, then `~`, which no browser client id contains).
pub const TAP_SESSION_PREFIX: &str = "tmux-mobile-client-~attn-";

/// Where a tap's control client sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// A phone's grouped session, by name.
    Phone(String),
    /// A session of the tap's own, named `session`, grouped with the
    /// user's session `base` (an id like `$3`); made when the tap starts
    /// and removed when it ends.
    Own { base: String, session: String },
}

impl Host {
    /// The session the client attaches to.
    pub(crate) fn session(&self) -> &str {
        match self {
            Host::Phone(session) | Host::Own { session, .. } => session,
        }
    }

    pub(crate) fn is_own(&self) -> bool {
        matches!(self, Host::Own { .. })
    }
}

/// tmux pauses a pane's output to a tap whose oldest unsent output is this
/// many seconds old.
const PAUSE_AFTER_SECS: u32 = 2;

/// A tap pauses a pane's output to itself (the flood guard, see
/// [`AttentionMonitor`](super::AttentionMonitor)'s *Floods*) once the pane
/// wrote this many bytes (as tmux sends them, escaped) within
/// [`FLOOD_WINDOW`].
pub const FLOOD_BYTES: usize = 256 * 1024;

/// See [`FLOOD_BYTES`].
pub const FLOOD_WINDOW: Duration = Duration::from_millis(500);

/// Past this many panes measured, the meters of panes not held back are
/// forgotten (they start again at zero: a flood is still caught).
const METER_LIMIT: usize = 1024;

/// What a tap reports to the monitor.
#[derive(Debug)]
pub(crate) enum TapEvent {
    /// Raw output of a pane.
    Output(PaneId, Vec<u8>),
    /// tmux paused the pane's output to this tap: it lagged (tmux's
    /// `pause-after`), or the pane flooded (`flood`: the tap asked).
    Paused {
        /// The pane.
        pane: PaneId,
        /// The flood guard paused it.
        flood: bool,
    },
    /// The visible screen of a pane (the answer to [`TapCommand::Capture`]);
    /// `None` when the pane is gone.
    Screen(PaneId, Option<String>),
    /// The sessions, windows and panes now (taps on a session of their
    /// own read them after each `%sessions-changed`).
    Sessions(Snapshot),
    /// The tap ended (tmux exited, the session went away, or it broke).
    Ended,
}

/// What the monitor asks a tap to do.
#[derive(Debug, Clone)]
pub(crate) enum TapCommand {
    /// Read a pane's visible screen (`capture-pane -p`).
    Capture(PaneId),
    /// Turn a paused pane's output back on (`refresh-client -A
    /// '%N:continue'`): tmux sends what the pane writes from then on, not
    /// what it wrote while paused.
    Continue(PaneId),
}

/// A running tap: its command queue; dropping it (or [`TapHandle::leave`])
/// makes the tap detach.
#[derive(Debug)]
pub(crate) struct TapHandle {
    commands: mpsc::UnboundedSender<Option<TapCommand>>,
    /// Where the tap sits.
    pub(crate) host: Host,
}

impl TapHandle {
    /// Queues a command (ignored once the tap has ended).
    pub(crate) fn send(&self, command: TapCommand) {
        let _ = self.commands.send(Some(command));
    }

    /// Asks the tap to detach (and remove its session, if it has its
    /// own).
    pub(crate) fn leave(&self) {
        let _ = self.commands.send(None);
    }
}

/// Starts a tap on `host` (see [`Host`]). Returns once tmux has answered
/// (so the caller knows the client has identified itself); events then
/// arrive on `events` tagged with `tap`. A missing host (or base session)
/// is [`TmuxError::NotFound`].
pub(crate) async fn start(
    tmux: &Tmux,
    host: &Host,
    tap: u64,
    events: mpsc::Sender<(u64, TapEvent)>,
) -> Result<TapHandle, TmuxError> {
    let session = host.session();
    let target = format!("={session}");
    // `set-option -t` takes a pane-style target: the session needs `:`.
    let scope = format!("={session}:");
    let flags = format!("ignore-size,read-only,pause-after={PAUSE_AFTER_SECS}");
    let mut cmd = tmux.command(&["-N", "-C"]);
    match host {
        // `set-option` first: it fails when the host is gone, and tmux
        // then runs nothing after it.
        Host::Phone(_) => cmd
            .args(["set-option", "-t", &scope, "detach-on-destroy", "on", ";"])
            .args(["attach-session", "-t", &target, "-f", &flags]),
        // `has-session` first: `new-session -t` with a missing target
        // would silently make an ungrouped session.
        Host::Own { base, .. } => cmd
            .args(["has-session", "-t", base, ";"])
            .args(["new-session", "-A", "-s", session, "-t", base, "-f", &flags])
            .args([";", "set-option", "-t", &scope, "destroy-unattached", "off"])
            .args([";", "set-option", "-t", &scope, "detach-on-destroy", "on"]),
    };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|source| TmuxError::Spawn {
        binary: tmux.binary().to_owned(),
        source,
    })?;
    let stdin = child.stdin.take();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| TmuxError::parse("-C", "no stdout"))?;
    let mut reader = BufReader::new(stdout);
    let mut parser = LineParser::default();
    let mut line = Vec::new();
    // The first event says whether tmux took the client: a reply to our
    // command line (flags 0) or, on failure, EOF.
    let first = tokio::time::timeout(tmux.timeout(), async {
        loop {
            match read_line(&mut reader, &mut line).await {
                Ok(true) => match parser.feed(&line) {
                    Some(Event::Reply { ok, body, .. }) => return Some((ok, body)),
                    Some(Event::Notification(_)) | None => {}
                    Some(Event::Exit | Event::Garbage(_) | Event::TooLong) => return None,
                },
                Ok(false) | Err(_) => return None,
            }
        }
    })
    .await;
    match first {
        Ok(Some((true, _))) => {}
        Ok(Some((false, body))) => {
            let _ = child.kill().await;
            if host.is_own() {
                remove_session(tmux, session).await;
            }
            return Err(TmuxError::from_stderr(
                "-C attach-session",
                &String::from_utf8_lossy(&body),
                Some(session),
            ));
        }
        Ok(None) => {
            let _ = child.kill().await;
            return Err(TmuxError::NoServer);
        }
        Err(_) => {
            let _ = child.kill().await;
            return Err(TmuxError::Timeout);
        }
    }
    let (commands, inbox) = mpsc::unbounded_channel();
    tokio::spawn(
        Running {
            tap,
            child,
            stdin,
            reader,
            parser,
            events,
            inbox,
            awaiting: VecDeque::new(),
            host: host.clone(),
            tmux: tmux.clone(),
            meters: HashMap::new(),
        }
        .run(),
    );
    Ok(TapHandle {
        commands,
        host: host.clone(),
    })
}

/// One reply the tap waits for, in the order the commands were written.
#[derive(Debug)]
enum Awaiting {
    Screen(PaneId),
    /// A pause we asked for: tmux's `%pause` comes inside the reply's
    /// `%begin`/`%end` block, so the reply itself says it is paused.
    Paused(PaneId),
    Sessions,
    Nothing,
}

struct Running {
    tap: u64,
    child: Child,
    stdin: Option<ChildStdin>,
    reader: BufReader<ChildStdout>,
    parser: LineParser,
    events: mpsc::Sender<(u64, TapEvent)>,
    inbox: mpsc::UnboundedReceiver<Option<TapCommand>>,
    awaiting: VecDeque<Awaiting>,
    host: Host,
    tmux: Tmux,
    /// The flood guard's count per pane.
    meters: HashMap<PaneId, Meter>,
}

/// How much a pane wrote lately, for the flood guard.
#[derive(Debug, Default)]
struct Meter {
    since: Option<Instant>,
    bytes: usize,
    /// Paused (or being paused) by the guard until the monitor continues
    /// it: its output lines still in flight are dropped unread.
    held: bool,
}

impl Running {
    async fn run(mut self) {
        let mut line = Vec::new();
        loop {
            tokio::select! {
                read = read_line(&mut self.reader, &mut line) => {
                    match read {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(error) => {
                            // An over-long line (see `control::LINE_LIMIT`):
                            // the tap ends and the monitor starts another.
                            log::warn!("attention tap on {}: {error}", self.host.session());
                            break;
                        }
                    }
                    let Some(event) = self.parser.feed(&line) else { continue };
                    if !self.on_event(event).await {
                        break;
                    }
                }
                command = self.inbox.recv() => match command {
                    Some(Some(command)) => {
                        if !self.on_command(command).await {
                            break;
                        }
                    }
                    // Asked to leave, or the monitor is gone.
                    Some(None) | None => break,
                },
            }
        }
        self.leave().await;
        if self.host.is_own() {
            remove_session(&self.tmux, self.host.session()).await;
        }
        let _ = self.events.send((self.tap, TapEvent::Ended)).await;
    }

    /// Handles one event; false when the tap must stop.
    async fn on_event(&mut self, event: Event) -> bool {
        match event {
            Event::Exit => false,
            Event::TooLong => {
                log::warn!(
                    "attention tap on {}: a reply too long; restarting",
                    self.host.session()
                );
                false
            }
            Event::Garbage(_) => {
                log::debug!(
                    "attention tap on {}: unexpected line from tmux",
                    self.host.session()
                );
                false
            }
            Event::Notification(text) if text == b"sessions-changed" && self.host.is_own() => {
                self.write(SNAPSHOT_CONTROL_COMMAND, Awaiting::Sessions)
                    .await
            }
            Event::Notification(text) => match parse_notification(&text) {
                Some(Heard::Output(pane, escaped)) => self.on_output(pane, escaped).await,
                Some(Heard::Paused(pane)) => self
                    .events
                    .send((self.tap, TapEvent::Paused { pane, flood: false }))
                    .await
                    .is_ok(),
                None => true,
            },
            Event::Reply { ours: false, .. } => true,
            Event::Reply {
                ours: true,
                ok,
                body,
            } => match self.awaiting.pop_front() {
                Some(Awaiting::Screen(pane)) => {
                    let screen = ok.then(|| String::from_utf8_lossy(&body).into_owned());
                    self.events
                        .send((self.tap, TapEvent::Screen(pane, screen)))
                        .await
                        .is_ok()
                }
                Some(Awaiting::Sessions) => match ok.then(|| parse_snapshot(&body)) {
                    Some(Ok(snapshot)) => self
                        .events
                        .send((self.tap, TapEvent::Sessions(snapshot)))
                        .await
                        .is_ok(),
                    _ => true,
                },
                Some(Awaiting::Paused(pane)) => {
                    if !ok {
                        // Refused (the pane went): nothing to hold.
                        self.meters.remove(&pane);
                        return true;
                    }
                    self.events
                        .send((self.tap, TapEvent::Paused { pane, flood: true }))
                        .await
                        .is_ok()
                }
                Some(Awaiting::Nothing) => true,
                None => {
                    log::debug!(
                        "attention tap on {}: an answer nobody asked for",
                        self.host.session()
                    );
                    false
                }
            },
        }
    }

    async fn on_command(&mut self, command: TapCommand) -> bool {
        let (line, awaiting) = match &command {
            // Pane ids are `%<digits>`, checked when parsed: safe unquoted.
            TapCommand::Capture(pane) => (
                format!("capture-pane -p -t {pane}\n"),
                Awaiting::Screen(pane.clone()),
            ),
            TapCommand::Continue(pane) => {
                self.meters.remove(pane);
                (
                    format!("refresh-client -A '{pane}:continue'\n"),
                    Awaiting::Nothing,
                )
            }
        };
        self.write(&line, awaiting).await
    }

    /// Output of `pane` (escaped as tmux sends it): counted for the flood
    /// guard, unescaped and passed on. Past [`FLOOD_BYTES`] within
    /// [`FLOOD_WINDOW`] the pane is paused (`refresh-client -A
    /// '%N:pause'`: tmux drops what it had queued for the tap and sends
    /// nothing more of the pane until the monitor continues it), and the
    /// lines already on their way are dropped without being unescaped or
    /// scanned. Counting here, before the queue to the monitor, keeps that
    /// in-flight part small.
    async fn on_output(&mut self, pane: PaneId, escaped: &[u8]) -> bool {
        if self.meters.len() > METER_LIMIT {
            self.meters.retain(|_, meter| meter.held);
        }
        let now = Instant::now();
        let meter = self.meters.entry(pane.clone()).or_default();
        if meter.held {
            return true;
        }
        if meter
            .since
            .is_none_or(|since| now.duration_since(since) >= FLOOD_WINDOW)
        {
            meter.since = Some(now);
            meter.bytes = 0;
        }
        meter.bytes += escaped.len();
        let flooding = meter.bytes >= FLOOD_BYTES;
        meter.held = flooding;
        let output = TapEvent::Output(pane.clone(), unescape(escaped));
        if self.events.send((self.tap, output)).await.is_err() {
            return false;
        }
        if !flooding {
            return true;
        }
        // Pane ids are `%<digits>`, checked when parsed: safe unquoted.
        let line = format!("refresh-client -A '{pane}:pause'\n");
        self.write(&line, Awaiting::Paused(pane)).await
    }

    /// Writes one command line and remembers what its reply is for.
    async fn write(&mut self, line: &str, awaiting: Awaiting) -> bool {
        let Some(stdin) = &mut self.stdin else {
            return false;
        };
        if stdin.write_all(line.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
            return false;
        }
        self.awaiting.push_back(awaiting);
        true
    }

    /// Detaches (`detach-client`, EOF) and waits for the process to exit,
    /// killing it after the command timeout.
    async fn leave(&mut self) {
        let grace = self.tmux.timeout();
        let exited = tokio::time::timeout(grace, async {
            if let Some(stdin) = &mut self.stdin {
                let _ = stdin.write_all(b"detach-client\n").await;
                let _ = stdin.flush().await;
            }
            self.stdin = None;
            // Drain output so tmux is never blocked writing to us.
            let mut sink = [0u8; 8192];
            loop {
                match self.reader.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            self.child.wait().await
        })
        .await;
        if !matches!(exited, Ok(Ok(_))) {
            let _ = self.child.kill().await;
        }
    }
}

/// Removes a tap's own session once its client has left, unless someone
/// else is attached to it.
async fn remove_session(tmux: &Tmux, session: &str) {
    let scope = format!("={session}:");
    let kill = format!("kill-session -t '={session}'");
    let result = tmux
        .run(
            "if-shell",
            [
                "-F",
                "-t",
                scope.as_str(),
                "#{==:#{session_attached},0}",
                kill.as_str(),
            ],
            Some(session),
        )
        .await;
    match result {
        Ok(_) | Err(TmuxError::NoServer) | Err(TmuxError::NotFound { .. }) => {}
        Err(error) => log::debug!("attention tap {session}: could not remove its session: {error}"),
    }
}

/// A notification a tap cares about.
#[derive(Debug)]
enum Heard<'a> {
    /// A pane's output, still escaped.
    Output(PaneId, &'a [u8]),
    /// tmux paused a pane's output (`pause-after`).
    Paused(PaneId),
}

/// What a notification line (without its `%`) says, if it is one a tap
/// cares about: `output %N data`, `extended-output %N age … : data` or
/// `pause %N`.
fn parse_notification(text: &[u8]) -> Option<Heard<'_>> {
    if let Some(rest) = text.strip_prefix(b"output ") {
        let (pane, data) = split_word(rest)?;
        return Some(Heard::Output(pane_id(pane)?, data));
    }
    if let Some(rest) = text.strip_prefix(b"extended-output ") {
        let (pane, rest) = split_word(rest)?;
        let colon = rest.windows(3).position(|w| w == b" : ")?;
        return Some(Heard::Output(pane_id(pane)?, &rest[colon + 3..]));
    }
    if let Some(rest) = text.strip_prefix(b"pause ") {
        return Some(Heard::Paused(pane_id(rest)?));
    }
    None
}

fn split_word(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = text.iter().position(|&b| b == b' ');
    Some(match space {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, &[][..]),
    })
}

fn pane_id(word: &[u8]) -> Option<PaneId> {
    std::str::from_utf8(word).ok()?.parse().ok()
}

/// Undoes control mode's escaping of output: every byte below 0x20 and `\`
/// is written as `\ooo` (three octal digits). Runs between backslashes are
/// copied whole (a flood's lines are mostly text with a `\015\012` at the
/// end).
pub(crate) fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(at) = rest.iter().position(|&b| b == b'\\') {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at..];
        let value = rest.get(1..4).and_then(|digits| {
            digits.iter().all(|d| (b'0'..=b'7').contains(d)).then(|| {
                digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'))
            })
        });
        match value {
            Some(value) => {
                out.push(u8::try_from(value & 0xff).unwrap_or(0));
                rest = &rest[4..];
            }
            None => {
                out.push(b'\\');
                rest = &rest[1..];
            }
        }
    }
    out.extend_from_slice(rest);
    out
}

/// How long a paused pane stays off before its output is turned back on
/// (after tmux paused it because the tap lagged, or the flood guard did).
pub(crate) const RESUME_AFTER: Duration = Duration::from_millis(500);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_control_mode_output() {
        assert_eq!(unescape(br"ab\007c\134d\015\012"), b"ab\x07c\\d\r\n");
        assert_eq!(unescape(br"trailing\07"), br"trailing\07");
        assert_eq!(unescape(br"\999"), br"\999");
        assert_eq!(unescape(b""), b"");
    }

    #[test]
    fn parses_the_notifications_a_tap_needs() {
        match parse_notification(br"output %3 hi\007") {
            Some(Heard::Output(pane, data)) => {
                assert_eq!(pane.as_str(), "%3");
                assert_eq!(unescape(data), b"hi\x07");
            }
            other => panic!("{other:?}"),
        }
        match parse_notification(br"extended-output %12 345 : x : y\033") {
            Some(Heard::Output(pane, data)) => {
                assert_eq!(pane.as_str(), "%12");
                assert_eq!(unescape(data), b"x : y\x1b");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_notification(b"pause %4"),
            Some(Heard::Paused(_))
        ));
        assert!(parse_notification(b"output 3 x").is_none());
        assert!(parse_notification(b"window-add @1").is_none());
        assert!(matches!(
            parse_notification(b"output %3"),
            Some(Heard::Output(_, data)) if data.is_empty()
        ));
    }

    proptest::proptest! {
        #[test]
        fn unescape_inverts_tmux_escaping(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut escaped = Vec::new();
            for &b in &bytes {
                if b < b' ' || b == b'\\' {
                    escaped.extend_from_slice(format!("\\{b:03o}").as_bytes());
                } else {
                    escaped.push(b);
                }
            }
            proptest::prop_assert_eq!(unescape(&escaped), bytes);
        }
    }
}
