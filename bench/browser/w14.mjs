// W14 of `cargo xtask bench`: keystroke → glyph at 300 ms round trip, in
// headless Chromium, with and without predictive local echo, and the share
// of mispredictions over a scripted session. Run by the bench driver (row
// W14), which sets TMUX_MOBILE_BIN (the release binary),
// TMUX_MOBILE_SHAPER_BIN and E2E_OUT_DIR, with tests/e2e's node_modules
// installed; it prints one line `W14RESULT <json>` at the end.
//
// The browser reaches the app only through the link shaper (300 ms round
// trip, 1 Mbit/s each way). The scripted session, once with prediction on
// its default (auto: on at this round trip) and once with it off (drawer
// toggle):
//   1. shell line editing: type a command, erase a word with Backspace,
//      retype, move the cursor left and insert, run it;
//   2. vim insert mode (`vim -u NONE -N`): `i`, a line of text, Esc, `:q!`;
//   3. a password prompt (`read -s -p 'Password: '`): typed characters are
//      never echoed, so any guess drawn there is a misprediction.
// Each printable key but space is timed from its keydown to its glyph in the
// DOM (a drawn prediction or xterm's row text), as tests/e2e's 14-link
// test does; keys are typed one after another without waiting for echoes,
// as a person types.
import { byTestId, focusTerminal, login, rowEquals, runInTerminal, waitForPrompt, waitForTerm } from "../../tests/e2e/lib/browser.mjs";
import { scenario } from "../../tests/e2e/lib/scenario.mjs";
import { Shaper } from "../../tests/e2e/lib/shaper.mjs";
import { waitFor } from "../../tests/e2e/lib/wait.mjs";

/** Longest wait for one glyph before the key counts as never drawn. */
const GLYPH_WAIT_MS = 5000;

/** Presses `ch`; resolves with the ms from keydown to its glyph in the DOM. */
async function keyToGlyph(page, ch) {
  await page.evaluate(
    ({ ch, wait }) => {
      // Per row: the glyph is drawn when some row holds more of `ch` than
      // before (a total over the screen misses it when another row loses
      // one at the same time, e.g. tmux's status line as vim starts).
      const counts = () =>
        [...(document.querySelector('[data-testid="terminal"] .xterm-rows')?.children ?? [])].map((row) => (row.textContent ?? "").split(ch).length - 1);
      const before = counts();
      window.__glyph = new Promise((resolve) => {
        let t0 = null;
        document.addEventListener("keydown", () => (t0 = performance.now()), { capture: true, once: true });
        const timer = setTimeout(() => {
          observer.disconnect();
          resolve({ ms: null, by: "never" });
        }, wait);
        const check = () => {
          if (t0 === null) return;
          const predicted = [...document.querySelectorAll('[data-testid="prediction"]')].some((s) => s.textContent === ch);
          if (predicted || counts().some((n, i) => n > (before[i] ?? 0))) {
            observer.disconnect();
            clearTimeout(timer);
            resolve({ ms: performance.now() - t0, by: predicted ? "prediction" : "echo" });
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.querySelector('[data-testid="terminal"]'), { subtree: true, childList: true, characterData: true });
      });
    },
    { ch, wait: GLYPH_WAIT_MS },
  );
  await page.keyboard.press(ch);
  return page.evaluate(() => window.__glyph);
}

/** Types `text`, timing every key but space into `into`. */
async function typeTimed(page, text, into) {
  for (const ch of text) {
    if (ch === " ") {
      await page.keyboard.press("Space");
      continue;
    }
    const probe = await keyToGlyph(page, ch);
    into.push(probe);
  }
}

/** Waits until no prediction is drawn or outstanding. */
async function settled(page) {
  await waitFor(
    () => page.evaluate(() => document.querySelectorAll('[data-testid="prediction"]').length === 0 && (window.tmuxMobilePrediction?.outstanding ?? 0) === 0),
    { what: "predictions confirmed or repaired" },
  );
}

const stats = (page) => page.evaluate(() => ({ ...window.tmuxMobilePrediction.stats }));

/** The predictor's counters since `before`. */
async function since(page, before) {
  const now = await stats(page);
  return Object.fromEntries(Object.keys(now).map((k) => [k, now[k] - before[k]]));
}

/**
 * The scripted session; returns the timed keys of parts 1 and 2 and the
 * predictor's counters of each part.
 */
async function session(page, tag, predicting) {
  const shell = [];
  const vim = [];
  const parts = {};
  let mark = await stats(page);
  await focusTerminal(page);
  // 1. Shell line editing.
  await typeTimed(page, "echo fox jumped", shell);
  for (let i = 0; i < 6; i++) await page.keyboard.press("Backspace");
  await typeTimed(page, "runs", shell);
  for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowLeft");
  await typeTimed(page, "quick ", shell);
  await typeTimed(page, tag, shell);
  if (predicting) await settled(page);
  await page.keyboard.press("Enter");
  await waitForTerm(page, rowEquals(`fox quick ${tag}runs`), { what: "the edited command's output" });
  await waitForPrompt(page);
  parts.shell = await since(page, mark);
  mark = await stats(page);
  const journalMark = await page.evaluate(() => window.tmuxMobilePrediction.journal.length);
  // 2. vim insert mode.
  await runInTerminal(page, "vim -u NONE -N -n");
  await waitForTerm(page, (rows) => rows.filter((r) => r.startsWith("~")).length > 5, { what: "vim's empty buffer" });
  await focusTerminal(page);
  await page.keyboard.press("i");
  await waitForTerm(page, /-- INSERT --/, { what: "vim's insert mode" });
  await typeTimed(page, "the lazy dog sleeps", vim);
  if (predicting) await settled(page);
  await page.keyboard.press("Escape");
  await page.keyboard.type(":q!");
  await page.keyboard.press("Enter");
  await waitForPrompt(page);
  if (predicting) await settled(page);
  parts.vim = await since(page, mark);
  if (predicting) {
    // The predictor's decisions in this part (guess, confirmed, wrong:
    // cell, what the screen showed there, the cursor), for the log.
    const judged = await page.evaluate((from) => window.tmuxMobilePrediction.journal.slice(from), journalMark);
    console.error(`W14 vim part, the predictor's decisions:\n${judged.map((j) => JSON.stringify(j)).join("\n")}`);
  }
  mark = await stats(page);
  // 3. A password prompt: nothing typed is echoed.
  await runInTerminal(page, "read -r -s -p 'Password: ' pw; echo; echo \"got-${#pw}\"");
  await waitForTerm(page, (rows) => rows.some((r) => r.trimEnd().endsWith("Password:")), { what: "the password prompt" });
  await focusTerminal(page);
  for (const ch of "hunter22") await page.keyboard.press(ch);
  await page.keyboard.press("Enter");
  await waitForTerm(page, rowEquals("got-8"), { what: "the password read" });
  await waitForPrompt(page);
  if (predicting) await settled(page);
  parts.password = await since(page, mark);
  return { shell, vim, parts };
}

const result = {};
await scenario("bench-w14", {}, async ({ app, page }) => {
  const link = await Shaper.start(app.port, { rttMs: 300, rateKbit: 1000 });
  try {
    await login(page, link.url(app.url), app.password);
    // Warm-up, as a person's first keys are: the predictor measures the
    // round trip and becomes confident after a confirmed guess.
    await focusTerminal(page);
    await waitFor(() => page.evaluate(() => !window.tmuxMobilePrediction.blocked), { what: "the screen caught up" });
    await page.keyboard.press("x");
    await settled(page);
    await page.keyboard.press("Backspace");
    await waitForTerm(page, (rows) => rows.some((r) => r === "e2e$"), { what: "the erased x" });
    await waitFor(() => page.evaluate(() => !window.tmuxMobilePrediction.blocked), { what: "the Backspace answered" });

    const before = await stats(page);
    result.with = await session(page, "a", true);
    const after = await stats(page);
    result.stats = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));

    // Off (drawer toggle: auto → on → off).
    const toggle = byTestId(page, "prediction-toggle");
    await toggle.evaluate((b) => b.click());
    await toggle.evaluate((b) => b.click());
    const mode = await toggle.getAttribute("data-mode");
    if (mode !== "off") throw new Error(`prediction toggle is ${mode}, not off`);
    result.without = await session(page, "b", false);
  } finally {
    await link.stop();
  }
});
console.log(`W14RESULT ${JSON.stringify(result)}`);
