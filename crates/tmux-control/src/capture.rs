//! [`PaneCapture`]: a pane's history read from `capture-pane` piece by
//! piece, so that a caller can pass on 50 000 long lines without ever
//! holding them all.
//!
//! [`Tmux::capture_pane`] collects the whole output; that is fine for a
//! screenful, but a long history of wide lines is tens of megabytes, and a
//! server that holds it (twice: bytes and text, and again as JSON) per
//! request lets one person's "load more" grow its memory without bound.
//! Here the caller reads the output in pieces of at most 64 KiB, as valid
//! UTF-8 text (invalid bytes become U+FFFD, as with
//! `String::from_utf8_lossy`; a character split between two reads is held
//! back until it is complete), and decides itself what to keep.
//!
//! The same rules as every other tmux process apply: argv only, the socket
//! flags and environment of every tmux process, stdin from `/dev/null`, and
//! the process is killed when the [`PaneCapture`] is dropped. The timeout
//! is per read: tmux must produce its next bytes within
//! [`Tmux::timeout`], while a caller that is slow to consume (a phone on a
//! slow link) may take as long as it needs.

use std::process::Stdio;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdout};

use crate::error::TmuxError;
use crate::ids::PaneId;
use crate::tmux::Tmux;

/// Largest piece [`PaneCapture::read`] returns, in bytes.
const READ_SIZE: usize = 64 * 1024;

/// Most of tmux's error output kept (its messages are one line).
const STDERR_LIMIT: u64 = 16 * 1024;

/// A running `capture-pane -p -J`: read its text with [`PaneCapture::read`]
/// until it returns `Ok(None)`. Dropping it kills the process.
#[derive(Debug)]
pub struct PaneCapture {
    child: Child,
    stdout: ChildStdout,
    stderr: Option<ChildStderr>,
    /// The start of a character whose remaining bytes are not read yet.
    partial: Vec<u8>,
    buffer: Vec<u8>,
    timeout: std::time::Duration,
    binary: std::path::PathBuf,
    pane: PaneId,
    finished: bool,
}

impl Tmux {
    /// Starts capturing the last `lines` lines of history of `pane` (and its
    /// visible screen), as [`Tmux::capture_pane`] does (`-J`: lines the
    /// terminal wrapped come joined), to be read piece by piece (see
    /// [`PaneCapture`]). Unlike [`Tmux::capture_pane`] the text is as tmux
    /// prints it: `-J` keeps trailing spaces, which the caller may remove.
    ///
    /// ```no_run
    /// # async fn demo(tmux: tmux_mobile_tmux_control::Tmux) -> Result<(), tmux_mobile_tmux_control::TmuxError> {
    /// let mut capture = tmux.capture_pane_stream("%0", 50_000)?;
    /// let mut bytes = 0;
    /// while let Some(piece) = capture.read().await? {
    ///     bytes += piece.len(); // send it on instead of keeping it
    /// }
    /// println!("{bytes} bytes of history");
    /// # Ok(()) }
    /// ```
    pub fn capture_pane_stream(
        &self,
        pane: impl AsRef<str>,
        lines: u32,
    ) -> Result<PaneCapture, TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        let start = format!("-{lines}");
        let mut cmd = self.command(&[]);
        cmd.args([
            "capture-pane",
            "-p",
            "-J",
            "-t",
            pane.as_str(),
            "-S",
            start.as_str(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| TmuxError::Spawn {
            binary: self.binary().to_owned(),
            source,
        })?;
        let (Some(stdout), stderr) = (child.stdout.take(), child.stderr.take()) else {
            return Err(TmuxError::parse("capture-pane", "no pipe to read from"));
        };
        Ok(PaneCapture {
            child,
            stdout,
            stderr,
            partial: Vec::new(),
            buffer: vec![0; READ_SIZE],
            timeout: self.timeout(),
            binary: self.binary().to_owned(),
            pane: pane.clone(),
            finished: false,
        })
    }
}

impl PaneCapture {
    /// The next piece of the capture (non-empty, at most 64 KiB), or
    /// `None` once tmux finished successfully. Lines end with
    /// `\n`, as tmux prints them (the blank lines below the last output
    /// included).
    ///
    /// Fails with [`TmuxError::Timeout`] when tmux produces nothing for
    /// [`Tmux::timeout`], or with tmux's own error (a pane that is gone is
    /// [`TmuxError::NotFound`]).
    pub async fn read(&mut self) -> Result<Option<String>, TmuxError> {
        loop {
            if self.finished {
                return Ok(None);
            }
            let room = READ_SIZE - self.partial.len();
            let read =
                tokio::time::timeout(self.timeout, self.stdout.read(&mut self.buffer[..room]))
                    .await
                    .map_err(|_| TmuxError::Timeout)?
                    .map_err(|source| TmuxError::Spawn {
                        binary: self.binary.clone(),
                        source,
                    })?;
            if read == 0 {
                self.finished = true;
                self.wait().await?;
                if self.partial.is_empty() {
                    return Ok(None);
                }
                // A character cut off by the end of the output.
                let rest = std::mem::take(&mut self.partial);
                return Ok(Some(String::from_utf8_lossy(&rest).into_owned()));
            }
            let mut bytes = std::mem::take(&mut self.partial);
            bytes.extend_from_slice(&self.buffer[..read]);
            let keep = incomplete_tail(&bytes);
            self.partial = bytes.split_off(bytes.len() - keep);
            if bytes.is_empty() {
                continue;
            }
            return Ok(Some(match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
            }));
        }
    }

    /// After the end of the output: tmux's exit status, with its error
    /// message when it failed.
    async fn wait(&mut self) -> Result<(), TmuxError> {
        let status = tokio::time::timeout(self.timeout, self.child.wait())
            .await
            .map_err(|_| TmuxError::Timeout)?
            .map_err(|source| TmuxError::Spawn {
                binary: self.binary.clone(),
                source,
            })?;
        if status.success() {
            return Ok(());
        }
        let mut stderr = Vec::new();
        if let Some(pipe) = self.stderr.take() {
            let _ = tokio::time::timeout(
                self.timeout,
                pipe.take(STDERR_LIMIT).read_to_end(&mut stderr),
            )
            .await;
        }
        Err(TmuxError::from_stderr(
            "capture-pane",
            &String::from_utf8_lossy(&stderr),
            Some(self.pane.as_str()),
        ))
    }
}

/// How many bytes at the end of `bytes` are the start of a UTF-8 character
/// whose continuation bytes have not arrived (0 to 3). Invalid sequences
/// are not held back: they become U+FFFD.
fn incomplete_tail(bytes: &[u8]) -> usize {
    let start = bytes.len().saturating_sub(3);
    for (i, &byte) in bytes.iter().enumerate().skip(start).rev() {
        let needed = match byte {
            0x00..=0x7f => return 0,
            0x80..=0xbf => continue,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let have = bytes.len() - i;
        return if have < needed { have } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_characters_are_held_back_and_nothing_else() {
        let text = "a€😀".as_bytes();
        assert_eq!(incomplete_tail(text), 0);
        // "€" is 3 bytes, "😀" 4.
        assert_eq!(incomplete_tail(&text[..2]), 1);
        assert_eq!(incomplete_tail(&text[..3]), 2);
        assert_eq!(incomplete_tail(&text[..4]), 0);
        assert_eq!(incomplete_tail(&text[..5]), 1);
        assert_eq!(incomplete_tail(&text[..7]), 3);
        assert_eq!(incomplete_tail(b""), 0);
        // Lone continuation bytes are invalid, not incomplete.
        assert_eq!(incomplete_tail(&[0x80, 0x80, 0x80, 0x80]), 0);
    }
}
