// The compressed terminal stream (PROTOCOL.md, subprotocol
// `tmux-mobile.v1.deflate`): the server sends output as binary frames that
// are consecutive pieces of one raw DEFLATE stream per socket, each ending in
// a sync flush. The browser's own DecompressionStream inflates them — no
// JavaScript library, nothing added to the first load.
import { logEvent } from "./log";

export const DEFLATE_SUBPROTOCOL = "tmux-mobile.v1.deflate";

/** Whether this browser can inflate a raw DEFLATE stream (Chrome 103+, Safari 16.4+, Firefox 113+). */
export function deflateSupported(): boolean {
  try {
    if (typeof DecompressionStream !== "function") return false;
    new DecompressionStream("deflate-raw");
    return true;
  } catch {
    return false;
  }
}

/**
 * One socket's inflater: `push` each frame as it arrives; `onData` gets the
 * inflated bytes in order. A corrupt stream calls `onError` once (the
 * caller reconnects: a new socket starts a new stream).
 */
export class Inflater {
  private readonly writer: WritableStreamDefaultWriter<BufferSource>;
  private closed = false;
  /** Bytes received on the wire and produced, for the debug log and tests. */
  wireBytes = 0;
  rawBytes = 0;

  constructor(
    private readonly onData: (bytes: Uint8Array) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    const stream = new DecompressionStream("deflate-raw");
    this.writer = stream.writable.getWriter();
    void this.pump(stream.readable.getReader());
  }

  push(frame: Uint8Array<ArrayBuffer>): void {
    if (this.closed) return;
    this.wireBytes += frame.byteLength;
    this.writer.write(frame).catch((e: unknown) => this.fail(e));
  }

  /** Stops inflating (the socket closed); nothing more is delivered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.abort().catch(() => {
      /* already errored */
    });
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.closed) return;
        this.rawBytes += value.byteLength;
        this.onData(value);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    logEvent("inflate-failed", String(error));
    this.onError(error);
  }
}
