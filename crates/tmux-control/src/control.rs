//! A tmux control-mode client: one long-lived `tmux -C` process whose
//! stdout is a line protocol.
//!
//! tmux writes two kinds of lines:
//!
//! - notifications, `%name args…`, whenever something changes;
//! - the answer to each command written to its stdin, framed as
//!   `%begin <time> <number> <flags>` … `%end <time> <number> <flags>` (or
//!   `%error …` when the command failed). `flags` is 1 for commands this
//!   client sent and 0 for the ones given on its command line.
//!   Notifications never appear inside a block.
//!
//! A block ends only at a `%end`/`%error` line carrying the same time,
//! number and flags as its `%begin`, so output that happens to contain a line
//! starting with `%end` does not end it early. Only fixed command strings
//! and the commands of [`crate::Tmux`]'s operations (each argument quoted,
//! see [`crate::command_line`]) are written to the client's stdin: what a
//! browser sends reaches it only as a quoted argument of such a command,
//! exactly as it would reach a `tmux` process's argv.
//!
//! # Bounds
//!
//! What tmux writes is read with bounded memory: one line holds at most
//! [`LINE_LIMIT`] bytes and one reply at most [`REPLY_LIMIT`] bytes; past
//! either the reader reports [`Event::TooLong`] and stops, and the client is
//! restarted (tmux splits pane output into lines of a few KiB and a
//! snapshot record is a few hundred bytes, so only a broken or hostile
//! stream gets there). Events wait in a queue of [`EVENT_QUEUE`]; when it is
//! full the reader stops reading and tmux keeps the rest (tmux drops a
//! control client that falls minutes behind).

use std::process::Stdio;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;

use crate::error::{TmuxError, is_no_server_message};
use crate::tmux::Tmux;

/// One thing the control client said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// A notification line (without the leading `%`), e.g.
    /// `window-add @3`.
    Notification(Vec<u8>),
    /// The answer to one command.
    Reply {
        /// Whether this client sent the command over stdin (flags = 1).
        ours: bool,
        /// `%end` (true) or `%error` (false).
        ok: bool,
        /// The output lines, each followed by `\n`.
        body: Vec<u8>,
    },
    /// `%exit`: tmux is detaching this client (server exiting, session
    /// killed, …).
    Exit,
    /// A line outside any block that is not a notification: the stream is
    /// out of step; the client should be restarted.
    Garbage(Vec<u8>),
    /// A line longer than [`LINE_LIMIT`] or a reply longer than
    /// [`REPLY_LIMIT`]: the client must be restarted (nothing more is read
    /// from it).
    TooLong,
}

/// The longest control-mode line read, in bytes (without its `\n`).
pub(crate) const LINE_LIMIT: usize = 256 * 1024;

/// The longest reply body (`%begin` … `%end`) kept, in bytes: a snapshot
/// of a server with 10 000 panes is about 2 MiB.
pub(crate) const REPLY_LIMIT: usize = 16 * 1024 * 1024;

/// How many events may wait between the reader task and the client's user.
pub(crate) const EVENT_QUEUE: usize = 256;

/// Assembles control-mode lines into [`Event`]s.
#[derive(Debug, Default)]
pub(crate) struct LineParser {
    block: Option<OpenBlock>,
}

#[derive(Debug)]
struct OpenBlock {
    /// `<time> <number> <flags>` exactly as in `%begin`.
    key: Vec<u8>,
    ours: bool,
    body: Vec<u8>,
}

impl LineParser {
    /// Feeds one line (without its `\n`); returns an event when one is
    /// complete.
    pub(crate) fn feed(&mut self, line: &[u8]) -> Option<Event> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(block) = &mut self.block {
            for (marker, ok) in [(&b"%end "[..], true), (&b"%error "[..], false)] {
                if line.strip_prefix(marker) == Some(block.key.as_slice()) {
                    let block = self.block.take()?;
                    return Some(Event::Reply {
                        ours: block.ours,
                        ok,
                        body: block.body,
                    });
                }
            }
            if block.body.len() + line.len() + 1 > REPLY_LIMIT {
                self.block = None;
                return Some(Event::TooLong);
            }
            block.body.extend_from_slice(line);
            block.body.push(b'\n');
            return None;
        }
        if let Some(key) = line.strip_prefix(b"%begin ") {
            let ours = key
                .rsplit(|&b| b == b' ')
                .next()
                .is_some_and(|flags| flags != b"0");
            self.block = Some(OpenBlock {
                key: key.to_vec(),
                ours,
                body: Vec::new(),
            });
            return None;
        }
        if line == b"%exit" || line.starts_with(b"%exit ") {
            return Some(Event::Exit);
        }
        match line.strip_prefix(b"%") {
            Some(notification) => Some(Event::Notification(notification.to_vec())),
            None if line.is_empty() => None,
            None => Some(Event::Garbage(line.to_vec())),
        }
    }
}

/// Whether a notification can mean that the snapshot changed. Output and
/// flow-control notifications, paste buffers and messages cannot; anything
/// else (including notifications newer tmux versions add) can.
pub(crate) fn invalidates(notification: &[u8]) -> bool {
    let name = notification
        .split(|&b| b == b' ')
        .next()
        .unwrap_or_default();
    !matches!(
        name,
        b"output"
            | b"extended-output"
            | b"pause"
            | b"continue"
            | b"paste-buffer-changed"
            | b"paste-buffer-deleted"
            | b"subscription-changed"
            | b"message"
            | b"config-error"
    )
}

/// A running `tmux -C` process attached to a phone's session (see
/// [`crate::StateWatcher`]).
pub(crate) struct ControlClient {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The event `connect` read to see that tmux is up.
    first: Option<Event>,
    /// Events from the reader task; closed at EOF.
    events: mpsc::Receiver<Event>,
}

impl ControlClient {
    /// Starts the control client attached to the existing session `host`
    /// (`attach-session -t =<host> -f no-output,ignore-size`), without ever
    /// starting a server (`-N`) or creating a session. The host's
    /// `detach-on-destroy` is set *on*, so that killing it detaches this
    /// client instead of moving it to another session (maybe a user's).
    /// A missing host is [`TmuxError::NotFound`].
    pub(crate) async fn connect(tmux: &Tmux, host: &str) -> Result<ControlClient, TmuxError> {
        let target = format!("={host}");
        // `set-option -t` takes a pane-style target: the session needs `:`.
        let scope = format!("={host}:");
        let mut cmd = tmux.command(&["-N", "-C"]);
        // `set-option` first: it fails when the host is gone, and tmux then
        // runs nothing after it.
        cmd.args([
            "set-option",
            "-t",
            scope.as_str(),
            "detach-on-destroy",
            "on",
            ";",
        ])
        .args([
            "attach-session",
            "-t",
            target.as_str(),
            "-f",
            "no-output,ignore-size",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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
        let mut stderr = child
            .stderr
            .take()
            .ok_or_else(|| TmuxError::parse("-C", "no stderr"))?;
        let (tx, mut events) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(read_events(BufReader::new(stdout), tx));

        // The first event tells whether we are attached: the answer to the
        // command line (an error when the host is gone). No event at all
        // means tmux exited: its stderr says why.
        let first = tokio::time::timeout(tmux.timeout(), events.recv()).await;
        match first {
            Ok(Some(Event::Reply {
                ours: false,
                ok: false,
                body,
            })) => {
                let _ = child.kill().await;
                Err(TmuxError::from_stderr(
                    "-C attach-session",
                    &String::from_utf8_lossy(&body),
                    Some(host),
                ))
            }
            Ok(Some(event)) => {
                let mut client = ControlClient {
                    child,
                    stdin,
                    first: Some(event),
                    events,
                };
                client.drain_stderr(stderr);
                Ok(client)
            }
            Ok(None) => {
                let mut text = Vec::new();
                let _ = tokio::time::timeout(tmux.timeout(), stderr.read_to_end(&mut text)).await;
                let _ = child.kill().await;
                let text = String::from_utf8_lossy(&text);
                if text.lines().next().is_some_and(is_no_server_message) {
                    Err(TmuxError::NoServer)
                } else {
                    Err(TmuxError::from_stderr(
                        "-C attach-session",
                        &text,
                        Some(host),
                    ))
                }
            }
            Err(_) => {
                let _ = child.kill().await;
                Err(TmuxError::Timeout)
            }
        }
    }

    fn drain_stderr(&mut self, mut stderr: tokio::process::ChildStderr) {
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                match stderr.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => log::debug!(
                        "tmux control client stderr: {}",
                        String::from_utf8_lossy(&buf[..n]).trim()
                    ),
                }
            }
        });
    }

    /// The next event; `None` once tmux closed its output. Cancel-safe.
    pub(crate) async fn next_event(&mut self) -> Option<Event> {
        if let Some(event) = self.first.take() {
            return Some(event);
        }
        self.events.recv().await
    }

    /// Writes one command line (ending in `\n`) to tmux: a fixed one, or
    /// one written by [`crate::command_line::CommandLine`].
    pub(crate) async fn send(&mut self, line: &str) -> std::io::Result<()> {
        match &mut self.stdin {
            Some(stdin) => {
                stdin.write_all(line.as_bytes()).await?;
                stdin.flush().await
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "stdin closed",
            )),
        }
    }

    /// Leaves cleanly: asks tmux to detach this client (`detach-client`,
    /// then EOF on its stdin) and waits for the process to exit, killing it
    /// only if that takes longer than `grace`. Returns whether it exited by
    /// itself.
    ///
    /// When the process has exited by itself, tmux has already let go of
    /// the client: it answers the client's last message (`MSG_EXITING`) only
    /// after clearing the client's session and recounting attached clients.
    pub(crate) async fn leave(mut self, grace: std::time::Duration) -> bool {
        // A reader waiting for room in the queue gives up and drains.
        self.events.close();
        let exited = tokio::time::timeout(grace, async {
            let _ = self.send("detach-client\n").await;
            self.stdin = None;
            self.child.wait().await
        })
        .await;
        match exited {
            Ok(Ok(_)) => true,
            Ok(Err(_)) | Err(_) => {
                let _ = self.child.kill().await;
                false
            }
        }
    }
}

/// Reads events until EOF or a broken stream. After a line over
/// [`LINE_LIMIT`] or a reply over [`REPLY_LIMIT`] (reported as
/// [`Event::TooLong`]), or once nobody listens, it only drains what tmux
/// still writes, without keeping it: a tmux client blocked on a full pipe
/// would never exit when asked to leave.
async fn read_events<R: AsyncBufRead + Unpin>(mut stdout: R, tx: mpsc::Sender<Event>) {
    let mut parser = LineParser::default();
    let mut line = Vec::new();
    loop {
        let event = match read_line(&mut stdout, &mut line).await {
            Ok(true) => match parser.feed(&line) {
                Some(event) => event,
                None => continue,
            },
            Ok(false) => return,
            Err(error) if error.kind() == std::io::ErrorKind::InvalidData => Event::TooLong,
            Err(_) => return,
        };
        let stop = event == Event::TooLong;
        if tx.send(event).await.is_err() || stop {
            break;
        }
    }
    drain(&mut stdout).await;
}

/// Reads and discards everything until EOF (no allocation).
async fn drain<R: AsyncBufRead + Unpin>(reader: &mut R) {
    loop {
        match reader.fill_buf().await {
            Ok([]) | Err(_) => return,
            Ok(buf) => {
                let consumed = buf.len();
                reader.consume(consumed);
            }
        }
    }
}

/// Reads one line (without its `\n`) into `line`. `Ok(false)` at EOF
/// (a last line without `\n` is dropped: tmux ends every line). A line
/// longer than [`LINE_LIMIT`] is an `InvalidData` error, found without
/// holding more than [`LINE_LIMIT`] bytes of it; the stream is then out of
/// step and must not be read further.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    line.clear();
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(false);
        }
        let (content, consumed, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(at) => (&buf[..at], at + 1, true),
            None => (buf, buf.len(), false),
        };
        if line.len() + content.len() > LINE_LIMIT {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("tmux wrote a control-mode line longer than {LINE_LIMIT} bytes"),
            ));
        }
        line.extend_from_slice(content);
        reader.consume(consumed);
        if done {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(input: &[u8]) -> Vec<Event> {
        let mut parser = LineParser::default();
        input
            .split(|&b| b == b'\n')
            .filter_map(|line| parser.feed(line))
            .collect()
    }

    /// Captured from tmux 3.3a: initial blocks (flags 0), our command's
    /// reply, notifications from outside commands, an error and `%exit`.
    #[test]
    fn parses_a_captured_session() {
        let captured = b"%begin 1796018455 268 0\n%end 1796018455 268 0\n\
%session-changed $1 tmux-mobile-client-~watcher\n\
%begin 1796018455 273 1\n$0\t4:base\t%0\tbash\n%end 1796018455 273 1\n\
%session-window-changed $0 @2\n%unlinked-window-add @2\n%sessions-changed\n\
%begin 1796018456 314 1\nparse error: unknown command: bogus-cmd\n%error 1796018456 314 1\n\
%exit\n";
        let events = feed_all(captured);
        assert_eq!(
            events,
            vec![
                Event::Reply {
                    ours: false,
                    ok: true,
                    body: Vec::new()
                },
                Event::Notification(b"session-changed $1 tmux-mobile-client-~watcher".to_vec()),
                Event::Reply {
                    ours: true,
                    ok: true,
                    body: b"$0\t4:base\t%0\tbash\n".to_vec()
                },
                Event::Notification(b"session-window-changed $0 @2".to_vec()),
                Event::Notification(b"unlinked-window-add @2".to_vec()),
                Event::Notification(b"sessions-changed".to_vec()),
                Event::Reply {
                    ours: true,
                    ok: false,
                    body: b"parse error: unknown command: bogus-cmd\n".to_vec()
                },
                Event::Exit,
            ]
        );
    }

    #[test]
    fn a_fake_end_inside_a_block_does_not_end_it() {
        let events = feed_all(b"%begin 1 5 1\n%end 1 4 1\n%end 2 5 1\n%error 1 5 0\n%end 1 5 1\n");
        assert_eq!(
            events,
            vec![Event::Reply {
                ours: true,
                ok: true,
                body: b"%end 1 4 1\n%end 2 5 1\n%error 1 5 0\n".to_vec()
            }]
        );
    }

    #[test]
    fn stray_lines_are_reported() {
        assert_eq!(
            feed_all(b"hello\n"),
            vec![Event::Garbage(b"hello".to_vec())]
        );
    }

    proptest::proptest! {
        #[test]
        fn the_line_parser_never_panics(lines in proptest::collection::vec(
            proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..40))
        {
            let mut parser = LineParser::default();
            for line in &lines {
                let _ = parser.feed(line);
            }
        }
    }

    #[tokio::test]
    async fn lines_up_to_the_limit_are_read_and_longer_ones_are_an_error() {
        let mut input = vec![b'a'; LINE_LIMIT];
        input.push(b'\n');
        input.extend(std::iter::repeat_n(b'b', LINE_LIMIT + 1));
        input.extend_from_slice(b"\nnever read\n");
        // Small reads: the limit holds across partial fills.
        let mut reader = BufReader::with_capacity(4096, input.as_slice());
        let mut line = Vec::new();
        assert!(read_line(&mut reader, &mut line).await.unwrap());
        assert_eq!(line.len(), LINE_LIMIT);
        let error = read_line(&mut reader, &mut line).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        assert!(line.len() <= LINE_LIMIT, "held {} bytes", line.len());
    }

    #[tokio::test]
    async fn a_last_line_without_newline_is_eof() {
        let mut reader = BufReader::new(&b"%sessions-changed\n%window-add"[..]);
        let mut line = Vec::new();
        assert!(read_line(&mut reader, &mut line).await.unwrap());
        assert_eq!(line, b"%sessions-changed");
        assert!(!read_line(&mut reader, &mut line).await.unwrap());
    }

    #[tokio::test]
    async fn an_overlong_line_ends_the_reader_with_too_long() {
        let mut input = b"%sessions-changed\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', LINE_LIMIT + 10));
        input.extend_from_slice(b"\n%window-add @1\n");
        let (tx, mut rx) = mpsc::channel(EVENT_QUEUE);
        read_events(BufReader::new(input.as_slice()), tx).await;
        let mut events = Vec::new();
        while let Some(event) = rx.recv().await {
            events.push(event);
        }
        assert_eq!(
            events,
            vec![
                Event::Notification(b"sessions-changed".to_vec()),
                Event::TooLong
            ]
        );
    }

    #[tokio::test]
    async fn after_too_long_the_reader_drains_to_eof() {
        // Far more than a pipe holds after the over-long line: the writer
        // must not block (a tmux client that cannot write never exits).
        let (mut writer, reader) = tokio::io::duplex(4096);
        let (tx, mut rx) = mpsc::channel(EVENT_QUEUE);
        let reading = tokio::spawn(read_events(BufReader::new(reader), tx));
        let writing = tokio::spawn(async move {
            writer.write_all(&vec![b'z'; LINE_LIMIT + 1]).await.unwrap();
            for _ in 0..1000 {
                writer.write_all(b"%window-add @1\n").await.unwrap();
            }
        });
        assert_eq!(rx.recv().await, Some(Event::TooLong));
        writing.await.unwrap();
        reading.await.unwrap();
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn the_event_queue_is_bounded_and_loses_nothing() {
        let count = 2000;
        let input: Vec<u8> = (0..count)
            .flat_map(|i| format!("%window-add @{i}\n").into_bytes())
            .collect();
        let (tx, mut rx) = mpsc::channel(8);
        let reader = tokio::spawn(async move { read_events(BufReader::new(&input[..]), tx).await });
        // Nobody reads yet: the reader waits once the queue is full.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!reader.is_finished());
        assert!(rx.len() <= 8, "{} events queued", rx.len());
        let mut seen = 0;
        while let Some(event) = rx.recv().await {
            assert_eq!(
                event,
                Event::Notification(format!("window-add @{seen}").into_bytes())
            );
            seen += 1;
        }
        assert_eq!(seen, count);
        reader.await.unwrap();
    }

    #[test]
    fn a_reply_over_the_limit_is_too_long() {
        let mut parser = LineParser::default();
        assert_eq!(parser.feed(b"%begin 1 2 1"), None);
        let line = vec![b'y'; LINE_LIMIT];
        let mut fed = 0;
        let event = loop {
            if let Some(event) = parser.feed(&line) {
                break event;
            }
            fed += line.len() + 1;
            assert!(fed <= REPLY_LIMIT);
        };
        assert_eq!(event, Event::TooLong);
        // The block is gone: its `%end` is now a stray notification.
        assert_eq!(
            parser.feed(b"%end 1 2 1"),
            Some(Event::Notification(b"end 1 2 1".to_vec()))
        );
    }

    #[test]
    fn which_notifications_invalidate() {
        for name in [
            &b"window-add @1"[..],
            b"sessions-changed",
            b"layout-change @1 x",
            b"unlinked-window-close @3",
            b"client-detached /dev/pts/1",
            b"some-future-thing",
        ] {
            assert!(invalidates(name), "{}", String::from_utf8_lossy(name));
        }
        for name in [
            &b"output %1 abc"[..],
            b"paste-buffer-changed buffer0",
            b"message hi",
            b"pause %1",
        ] {
            assert!(!invalidates(name), "{}", String::from_utf8_lossy(name));
        }
    }
}
