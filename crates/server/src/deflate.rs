//! The compressed terminal stream: one raw DEFLATE stream (RFC 1951) per
//! terminal socket that asked for [`DEFLATE_SUBPROTOCOL`].
//!
//! tungstenite has no permessage-deflate, and a phone on a tunnel pays for
//! every byte of a redraw, so compression happens here, at the application
//! layer: each batch of output becomes one binary frame holding the next
//! piece of the stream, ending in a sync flush so the browser's
//! `DecompressionStream('deflate-raw')` yields all of it at once. The
//! dictionary carries across frames, which is where most of the gain on
//! repetitive terminal output comes from.
//!
//! [`DEFLATE_SUBPROTOCOL`]: tmux_mobile_protocol::DEFLATE_SUBPROTOCOL

use flate2::{Compress, Compression, FlushCompress, Status};

/// Level 1: terminal output is highly repetitive, so the fastest level
/// already gets most of the gain, and the server's CPU per byte of a flood
/// must stay close to the uncompressed path.
const LEVEL: u32 = 1;

/// The compressor of one socket.
///
/// A frame is built with [`DeflateStream::push`] (any number of chunks,
/// compressed without a flush) and ended with [`DeflateStream::finish`]
/// (the sync flush). The flush is what costs: every frame ends a DEFLATE
/// block, and the backend builds a Huffman table per block (about half the
/// compressor's time on 1 KiB frames, against a few per cent on 64 KiB
/// ones), so the socket's writer puts a flood's chunks into few frames.
pub(crate) struct DeflateStream {
    compress: Compress,
    /// The frame being built: `buf[..len]`. The rest of `buf` is scratch
    /// the compressor writes into; it stays initialised across frames, so
    /// it is not zeroed again for every call (flate2's Vec API does that).
    buf: Vec<u8>,
    len: usize,
}

impl std::fmt::Debug for DeflateStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeflateStream")
            .field("total_in", &self.compress.total_in())
            .field("total_out", &self.compress.total_out())
            .finish()
    }
}

impl Default for DeflateStream {
    fn default() -> Self {
        Self {
            // `false`: raw DEFLATE, no zlib header or checksum.
            compress: Compress::new(Compression::new(LEVEL), false),
            buf: Vec::new(),
            len: 0,
        }
    }
}

/// The scratch buffer a stream starts with and keeps between frames; a
/// bigger frame grows it for that frame only.
const KEPT_BUFFER: usize = 64 * 1024;

impl DeflateStream {
    /// The next piece of the stream: all of `chunks`, compressed and
    /// sync-flushed (so it ends with `00 00 ff ff`).
    #[cfg(test)]
    pub(crate) fn frame<'a>(&mut self, chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
        for chunk in chunks {
            self.push(chunk);
        }
        self.finish()
    }

    /// Adds `chunk` to the frame being built.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.feed(chunk, FlushCompress::None);
    }

    /// Ends the frame being built: everything pushed since the last one,
    /// sync-flushed, so it decodes completely on arrival.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        self.feed(&[], FlushCompress::Sync);
        let frame = self.buf[..self.len].to_vec();
        self.len = 0;
        if self.buf.len() > KEPT_BUFFER {
            self.buf.truncate(KEPT_BUFFER);
            self.buf.shrink_to(KEPT_BUFFER);
        }
        frame
    }

    /// Compresses all of `input` into the frame, growing the buffer as
    /// needed.
    fn feed(&mut self, mut input: &[u8], flush: FlushCompress) {
        loop {
            if self.buf.len() - self.len < 1024 {
                let grown = (self.buf.len() * 2).max(KEPT_BUFFER.min(4096 + input.len()));
                self.buf.resize(grown, 0);
            }
            let (before_in, before_out) = (self.compress.total_in(), self.compress.total_out());
            let status = self
                .compress
                .compress(input, &mut self.buf[self.len..], flush);
            let consumed =
                usize::try_from(self.compress.total_in() - before_in).unwrap_or(usize::MAX);
            let written =
                usize::try_from(self.compress.total_out() - before_out).unwrap_or(usize::MAX);
            input = &input[consumed.min(input.len())..];
            self.len = (self.len + written).min(self.buf.len());
            if matches!(status, Err(_) | Ok(Status::StreamEnd)) {
                // Compressing into a buffer with room cannot fail; an
                // error would be a bug in the backend: end the frame here.
                return;
            }
            // As with zlib: once all input is in and the compressor left
            // room in the buffer, the flush is complete.
            if input.is_empty() && self.len < self.buf.len() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use flate2::{Decompress, FlushDecompress};

    use super::*;

    /// Inflates one frame with a stream's decompressor; the frame must
    /// decode completely on its own (what the browser relies on).
    fn inflate(decompress: &mut Decompress, frame: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(frame.len() * 8 + 1024);
        let mut input = frame;
        loop {
            let before = decompress.total_in();
            decompress
                .decompress_vec(input, &mut out, FlushDecompress::Sync)
                .expect("a valid raw DEFLATE stream");
            let used = usize::try_from(decompress.total_in() - before).unwrap();
            input = &input[used..];
            if input.is_empty() && out.len() < out.capacity() {
                return out;
            }
            out.reserve(out.capacity());
        }
    }

    #[test]
    fn frames_decode_to_the_raw_bytes_one_by_one() {
        let mut stream = DeflateStream::default();
        let mut decompress = Decompress::new(false);
        let mut total_raw = 0;
        let mut total_wire = 0;
        for n in 0..200u32 {
            let line = format!("\x1b[32m{n}\x1b[0m line of output {}\r\n", n * 7919);
            let more = "x".repeat((n as usize * 37) % 3000);
            let chunks = [line.as_bytes(), more.as_bytes()];
            let frame = stream.frame(chunks);
            assert!(frame.ends_with(&[0, 0, 0xff, 0xff]), "sync-flushed");
            let mut expected = line.into_bytes();
            expected.extend_from_slice(more.as_bytes());
            assert_eq!(inflate(&mut decompress, &frame), expected, "frame {n}");
            total_raw += expected.len();
            total_wire += frame.len();
        }
        assert!(total_wire * 5 < total_raw, "{total_wire} of {total_raw}");
    }

    #[test]
    fn big_and_incompressible_frames_decode_whole() {
        let mut stream = DeflateStream::default();
        let mut decompress = Decompress::new(false);
        // 1 MiB of pseudo-random bytes: output larger than input.
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let frame = stream.frame([noise.as_slice()]);
        assert_eq!(inflate(&mut decompress, &frame), noise);
        let empty = stream.frame(std::iter::empty());
        assert_eq!(inflate(&mut decompress, &empty), b"");
        let after = stream.frame([b"still in step".as_slice()]);
        assert_eq!(inflate(&mut decompress, &after), b"still in step");
    }
}
