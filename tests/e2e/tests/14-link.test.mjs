// Issue 11: the app over a phone-like link. The browser reaches tmux-mobile
// only through the link shaper (300 ms round trip, 1 Mbit/s each way).
// - The terminal stream is compressed (subprotocol tmux-mobile.v1.deflate):
//   every output frame is binary, the frames inflate (as one raw DEFLATE
//   stream) to what the terminal shows, and the screen is the same as on a
//   page that asked for no compression (`?compress=0`).
// - Predictive local echo: at this round trip a typed key is drawn at once
//   as a prediction, then confirmed by the echo (the prediction goes, the
//   terminal shows the character); with prediction off (drawer toggle) the
//   glyph takes a round trip.
import assert from "node:assert/strict";
import { test } from "node:test";
import { constants, inflateRawSync } from "node:zlib";

import { byTestId, focusTerminal, login, rowEquals, runInTerminal, termRows, waitForPrompt, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { Shaper } from "../lib/shaper.mjs";
import { waitFor } from "../lib/wait.mjs";

/**
 * Presses `ch` in the terminal and measures, in the page, the time from the
 * keydown to the glyph being in the DOM: as a prediction or in xterm's rows.
 */
export async function keyToGlyph(page, ch) {
  await page.evaluate((ch) => {
    const rowsText = () => document.querySelector('[data-testid="terminal"] .xterm-rows')?.textContent ?? "";
    const count = (text) => text.split(ch).length - 1;
    const before = count(rowsText());
    window.__glyph = new Promise((resolve) => {
      let t0 = null;
      document.addEventListener("keydown", () => (t0 = performance.now()), { capture: true, once: true });
      const check = () => {
        if (t0 === null) return;
        const predicted = [...document.querySelectorAll('[data-testid="prediction"]')].some((s) => s.textContent === ch);
        if (predicted || count(rowsText()) > before) {
          observer.disconnect();
          resolve({ ms: performance.now() - t0, by: predicted ? "prediction" : "echo" });
        }
      };
      const observer = new MutationObserver(check);
      observer.observe(document.querySelector('[data-testid="terminal"]'), { subtree: true, childList: true, characterData: true });
    });
  }, ch);
  await page.keyboard.press(ch);
  return page.evaluate(() => window.__glyph);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Waits until no prediction is drawn or outstanding (all confirmed or repaired). */
export async function settled(page) {
  await waitFor(
    () => page.evaluate(() => document.querySelectorAll('[data-testid="prediction"]').length === 0 && (window.tmuxMobilePrediction?.outstanding ?? 0) === 0),
    { what: "predictions confirmed" },
  );
}

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

test("14 through a 300 ms, 1 Mbit/s link: compressed stream, predictive echo", { timeout: 240_000 }, () =>
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

      // Prediction: on by itself at this round trip (auto).
      await runInTerminal(page, "clear");
      await waitForPrompt(page);
      await focusTerminal(page);
      // The long command above wrapped and went faster than its echo, and
      // Enter makes the predictor tentative (drawing only after a guess
      // made since is confirmed): one key it sees confirmed, erased again,
      // makes it confident. That key must come after the screen caught up
      // with the Enter (not blocked), or no guess is made for it.
      await waitFor(() => page.evaluate(() => !window.tmuxMobilePrediction.blocked), { what: "the Enter answered" });
      await page.keyboard.press("x");
      await settled(page);
      await page.keyboard.press("Backspace");
      await waitForTerm(page, (rows) => rows.some((r) => r === "e2e$"), { what: "the erased x" });
      await waitFor(() => page.evaluate(() => !window.tmuxMobilePrediction.blocked), { what: "the Backspace answered" });
      const statsBefore = await page.evaluate(() => ({ ...window.tmuxMobilePrediction.stats }));
      const predicted = [];
      for (const ch of "echo pq") {
        const probe = await keyToGlyph(page, ch);
        assert.equal(probe.by, "prediction", `'${ch}' was drawn as a prediction (${JSON.stringify(probe)})`);
        predicted.push(probe.ms);
      }
      await settled(page);
      await waitForTerm(page, (rows) => rows.some((r) => r.endsWith("e2e$ echo pq")), { what: "the echoed line" });
      await shot("-predicted");
      const stats = await page.evaluate(() => ({ ...window.tmuxMobilePrediction.stats }));
      assert.equal(stats.shownWrong - statsBefore.shownWrong, 0, JSON.stringify({ statsBefore, stats }));
      assert.ok(stats.confirmed - statsBefore.confirmed >= 7, JSON.stringify({ statsBefore, stats }));
      console.log(`prediction stats over the whole test: ${JSON.stringify(stats)}`);
      await page.keyboard.press("Enter");
      await waitForTerm(page, rowEquals("pq"), { what: "the command ran" });
      await waitForPrompt(page);

      // Off (drawer toggle: auto → on → off): every glyph waits for the echo.
      const toggle = byTestId(page, "prediction-toggle");
      await toggle.evaluate((b) => b.click());
      await toggle.evaluate((b) => b.click());
      assert.equal(await toggle.getAttribute("data-mode"), "off");
      await focusTerminal(page);
      const echoed = [];
      for (const ch of "echo rs") {
        const probe = await keyToGlyph(page, ch);
        assert.equal(probe.by, "echo", `'${ch}' without prediction (${JSON.stringify(probe)})`);
        assert.ok(probe.ms >= 250, `a glyph without prediction cannot beat the 300 ms round trip: ${probe.ms} ms`);
        echoed.push(probe.ms);
      }
      console.log(`keystroke to glyph at 300 ms RTT: median ${median(predicted).toFixed(1)} ms with prediction, ${median(echoed).toFixed(1)} ms without`);
      await shot();
    } finally {
      await link.stop();
    }
  }),
);
