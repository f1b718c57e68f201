// Issue 11: the app over a phone-like link. The browser reaches tmux-mobile
// only through the link shaper (300 ms round trip, 1 Mbit/s each way).
// - The terminal stream is compressed (subprotocol tmux-mobile.v1.deflate):
//   every output frame is binary, the frames inflate (as one raw DEFLATE
//   stream) to what the terminal shows, and the screen is the same as on a
//   page that asked for no compression (`?compress=0`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { constants, inflateRawSync } from "node:zlib";

import { login, rowEquals, runInTerminal, termRows, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { Shaper } from "../lib/shaper.mjs";
import { waitFor } from "../lib/wait.mjs";

/** Records the terminal socket's received frames (register before `goto`). */
function recordTerminalFrames(page) {
  const rec = { frames: [], protocols: [] };
  page.on("websocket", (ws) => {
    if (new URL(ws.url()).pathname !== "/ws/terminal") return;
    const frames = [];
    rec.frames = frames; // the latest socket
    ws.on("framereceived", ({ payload }) => frames.push(payload));
  });
  return rec;
}

test("14 through a 300 ms, 1 Mbit/s link: compressed stream", { timeout: 240_000 }, () =>
  scenario("14-link", {}, async ({ app, page, browser, newPage, shot }) => {
    const link = await Shaper.start(app.port, { rttMs: 300, rateKbit: 1000 });
    try {
      const packed = recordTerminalFrames(page);
      await login(page, link.url(app.url), app.password);
      const plainContext = await browser.newContext({ viewport: page.viewportSize() ?? undefined, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
      const plainPage = await newPage(plainContext);
      const plain = recordTerminalFrames(plainPage);
      const plainUrl = new URL(link.url(app.url));
      plainUrl.searchParams.set("compress", "0");
      await login(plainPage, plainUrl.toString(), app.password);

      await runInTerminal(page, "for i in $(seq 1 40); do printf '\\033[3%dm%s colour line %d\\033[0m\\n' $((i%7+1)) $i $((i*i)); done; echo link-$((6*7))");
      await waitForTerm(page, rowEquals("link-42"), { what: "the output line link-42" });
      await waitForTerm(plainPage, rowEquals("link-42"), { what: "link-42 on the uncompressed page" });
      // The same screen, row for row, on both pages (tmux may still be
      // drawing the prompt on one of them: wait for equality).
      let a = [];
      let b = [];
      await waitFor(
        async () => {
          a = await termRows(page);
          b = await termRows(plainPage);
          return JSON.stringify(a) === JSON.stringify(b);
        },
        { what: "the same screen on both pages" },
      ).catch((e) => assert.deepEqual(a, b, e.message));
      assert.ok(a.some((r) => r.includes("40 colour line 1600")), a.join("\n"));

      // Compressed page: every output frame binary, one raw DEFLATE stream.
      assert.ok(packed.frames.length > 0);
      assert.ok(packed.frames.every((f) => typeof f !== "string"), "only binary output frames");
      const inflated = inflateRawSync(Buffer.concat(packed.frames), { finishFlush: constants.Z_SYNC_FLUSH }).toString("utf8");
      assert.match(inflated, /40 colour line 1600/);
      assert.match(inflated, /link-42/);
      // Uncompressed page: raw bytes (binary frames, as this client asks) as before.
      const raw = Buffer.concat(plain.frames.map((f) => Buffer.from(f))).toString("utf8");
      assert.match(raw, /link-42/);
      const wire = packed.frames.reduce((n, f) => n + f.length, 0);
      assert.ok(wire < Buffer.byteLength(inflated), `compressed ${wire} of ${Buffer.byteLength(inflated)} bytes`);
      await shot();
    } finally {
      await link.stop();
    }
  }),
);
