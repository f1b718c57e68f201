// Issue 14, point 6: Android IMEs (Gboard, SwiftKey) compose words in the
// terminal's hidden textarea; no word may arrive twice or mangled. The IME
// is simulated through Chromium's DevTools protocol, as an IME drives the
// page: `Input.imeSetComposition` for each composing step, `Input.insertText`
// to commit, the way Gboard types "hello world" with suggestions on.
// Checked twice: the bytes the page sends and what the shell received.
import assert from "node:assert/strict";
import { test } from "node:test";

import { focusTerminal, login, recordSockets, rowEquals, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

/** Types `word` the way a composing IME does: one composition step per letter, then the commit. */
async function imeWord(cdp, word, commit = word) {
  for (let i = 1; i <= word.length; i++) {
    const text = word.slice(0, i);
    await cdp.send("Input.imeSetComposition", { text, selectionStart: text.length, selectionEnd: text.length });
  }
  await cdp.send("Input.insertText", { text: commit });
}

for (const [label, context] of [
  ["portrait", {}],
  ["landscape", { viewport: { width: 844, height: 390 } }],
]) {
  test(`21 composition (${label}): IME words arrive once each`, { timeout: 180_000 }, () =>
    scenario(`21-composition-${label}`, { context }, async ({ app, page }) => {
      const rec = recordSockets(page);
      await login(page, app.url, app.password);
      const cdp = await page.context().newCDPSession(page);
      await focusTerminal(page);
      const mark = rec.terminal.length;
      const sent = () => Buffer.concat(rec.terminal.slice(mark)).toString("utf8");

      await imeWord(cdp, "echo");
      await cdp.send("Input.insertText", { text: " " });
      await imeWord(cdp, "hello");
      await cdp.send("Input.insertText", { text: " " });
      // A suggestion that replaces the composed text ("wrld" → "world").
      await imeWord(cdp, "wrld", "world");
      await waitFor(() => sent() === "echo hello world", { what: `"echo hello world" sent once (sent ${JSON.stringify(sent())})` });
      await page.keyboard.press("Enter");
      await waitForTerm(page, rowEquals("hello world"));
      assert.equal(sent(), "echo hello world\r");

      // Composition is not sent while it is still composing.
      const before = sent();
      await cdp.send("Input.imeSetComposition", { text: "pend", selectionStart: 4, selectionEnd: 4 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(sent(), before, "text sent before the IME committed it");
      await cdp.send("Input.insertText", { text: "pend" });
      await waitFor(() => sent() === `${before}pend`, { what: "the committed word" });

      // A space typed right after the commit (a fast thumb, a loaded phone)
      // keeps its place after the word: both commands go out back to back.
      const mark1 = rec.terminal.length;
      const sent1 = () => Buffer.concat(rec.terminal.slice(mark1)).toString("utf8");
      for (let i = 1; i <= 4; i++) await cdp.send("Input.imeSetComposition", { text: "fast".slice(0, i), selectionStart: i, selectionEnd: i });
      await Promise.all([cdp.send("Input.insertText", { text: "fast" }), cdp.send("Input.insertText", { text: " " }), cdp.send("Input.insertText", { text: "x" })]);
      await waitFor(() => sent1().length >= 6, { what: `"fast x" (sent ${JSON.stringify(sent1())})` });
      await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
      assert.equal(sent1(), "fast x", "the space overtook the word, or something doubled");

      // Android Chrome sends every key of a composing keyboard as keydown
      // 229 ("Unidentified") around each composition step; a word typed
      // that way, with a correction (backspace inside the composition).
      const mark2 = rec.terminal.length;
      const sent2 = () => Buffer.concat(rec.terminal.slice(mark2)).toString("utf8");
      const key229 = async (type) =>
        cdp.send("Input.dispatchKeyEvent", { type, key: "Unidentified", code: "", windowsVirtualKeyCode: 229, nativeVirtualKeyCode: 229 });
      for (const step of ["a", "ag", "agi", "ag", "aga", "agai", "again"]) {
        await key229("rawKeyDown");
        await cdp.send("Input.imeSetComposition", { text: step, selectionStart: step.length, selectionEnd: step.length });
        await key229("keyUp");
      }
      await key229("rawKeyDown");
      await cdp.send("Input.insertText", { text: "again" });
      await key229("keyUp");
      await key229("rawKeyDown");
      await cdp.send("Input.insertText", { text: " " });
      await key229("keyUp");
      await waitFor(() => sent2() === "again ", { what: `"again " once (sent ${JSON.stringify(sent2())})` });
      await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
      assert.equal(sent2(), "again ", "the Android-style word arrived twice or mangled");
    }),
  );
}
