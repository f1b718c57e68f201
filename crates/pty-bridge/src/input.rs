//! The input side: bytes typed or pasted into the terminal. Writes go to the
//! non-blocking master and wait for room when the child is not reading, so a
//! large paste arrives whole; a lock keeps concurrent writers from
//! interleaving inside each other's input.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use tokio::io::unix::AsyncFd;
use tokio::sync::Mutex;

use crate::PtyError;
use crate::child::Lifeline;

/// The input half of a terminal. Cheap to clone; all clones write to the same
/// terminal, one `write_all` at a time.
#[derive(Debug, Clone)]
pub struct PtyWriter {
    inner: Arc<WriterInner>,
}

#[derive(Debug)]
struct WriterInner {
    master: Arc<AsyncFd<OwnedFd>>,
    /// Held for a whole `write_all`, so two pastes never interleave.
    turn: Mutex<()>,
    _lifeline: Arc<Lifeline>,
}

impl PtyWriter {
    pub(crate) fn new(master: Arc<AsyncFd<OwnedFd>>, lifeline: Arc<Lifeline>) -> Self {
        PtyWriter {
            inner: Arc::new(WriterInner {
                master,
                turn: Mutex::new(()),
                _lifeline: lifeline,
            }),
        }
    }

    /// Writes all of `bytes` as the terminal's input, waiting for the child to
    /// read when the terminal's input buffer is full.
    ///
    /// Writes from clones are serialized: each `write_all` completes before the
    /// next one starts. If the future is dropped midway, a prefix of `bytes`
    /// may have been written. Fails with [`PtyError::Closed`] once the
    /// terminal has no reader left (the child exited).
    ///
    /// Keep reading output in another task while writing: a child that echoes
    /// its input (as a terminal does by default) stops reading input once its
    /// output is blocked by [backpressure](crate::PtyOptions::max_buffered_bytes).
    pub async fn write_all(&self, bytes: &[u8]) -> Result<(), PtyError> {
        let _turn = self.inner.turn.lock().await;
        let mut written = 0;
        while written < bytes.len() {
            let mut guard = self
                .inner
                .master
                .writable()
                .await
                .map_err(PtyError::Write)?;
            // Linux accepts (and discards) writes to a master whose slave side
            // is gone until its buffer is full, then blocks forever; the
            // hangup the reactor saw tells us to stop instead.
            if guard.ready().is_write_closed() {
                return Err(PtyError::Closed);
            }
            let result = guard.try_io(|fd| {
                nix::unistd::write(fd.get_ref(), &bytes[written..]).map_err(io::Error::from)
            });
            match result {
                // A terminal never reports progress of zero bytes for a
                // non-empty write; if one did, wait for fresh readiness
                // instead of spinning.
                Ok(Ok(0)) => guard.clear_ready(),
                Ok(Ok(n)) => written += n,
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(e)) if e.raw_os_error() == Some(nix::libc::EIO) => {
                    return Err(PtyError::Closed);
                }
                Ok(Err(e)) => return Err(PtyError::Write(e)),
                Err(_would_block) => {}
            }
        }
        Ok(())
    }
}
