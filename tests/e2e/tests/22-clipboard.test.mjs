// Issue 14, point 1: copy on a touch screen, OSC 52, paste.
// - First measured: what xterm.js itself does with a finger dragging over
//   text (nothing: no selection, neither xterm's nor the page's).
// - A long press selects the word under the finger, with handles and
//   Copy: the word is on the clipboard.
// - The Select key (More row) starts select mode; a drag selects a span.
// - tmux's own copies (copy mode, `set-buffer -w`) reach the clipboard
//   through OSC 52 with tmux's default `set-clipboard external`; a program's
//   OSC 52 does once the user's tmux has `set -s set-clipboard on`.
// - Paste puts the clipboard into the pane.
// Portrait, then the same long-press copy in landscape.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attachedSession, byTestId, login, rowEquals, runInTerminal, touchInput, waitForPrompt, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const CLIPBOARD = { permissions: ["clipboard-read", "clipboard-write"] };

/** Screen position (CSS px) of the middle of column `col`, row `row` of the terminal. */
async function cellPoint(page, col, row) {
  return page.evaluate(
    ([c, r]) => {
      const host = document.querySelector('[data-testid="terminal"]');
      const screen = host.querySelector(".xterm-screen").getBoundingClientRect();
      const w = screen.width / Number(host.dataset.cols);
      const h = screen.height / Number(host.dataset.rows);
      return { x: screen.left + (c + 0.5) * w, y: screen.top + (r + 0.5) * h };
    },
    [col, row],
  );
}

/** Row and column where `text` is on screen. */
async function find(page, text) {
  const rows = await page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="terminal"] .xterm-rows > div'), (r) => (r.textContent ?? "").replace(/\u00a0/g, " ")),
  );
  const row = rows.findIndex((r) => r.trim() === text);
  if (row < 0) throw new Error(`${text} not on screen`);
  return { row, col: rows[row].indexOf(text) };
}

const clipboard = (page) => page.evaluate(() => navigator.clipboard.readText());
const selectionState = (page) =>
  page.evaluate(() => ({
    xterm: document.querySelectorAll('[data-testid="terminal"] .xterm-selection div').length,
    page: window.getSelection()?.toString() ?? "",
  }));

/** Long-presses a word on screen and copies it. */
async function longPressCopy(page, t, word) {
  const at = await find(page, word);
  const p = await cellPoint(page, at.col + 2, at.row);
  await page.evaluate(() => navigator.clipboard.writeText("before"));
  await t.start(p.x, p.y);
  await byTestId(page, "select-bar").waitFor({ state: "visible" });
  await t.end();
  await byTestId(page, "select-handle-start").waitFor({ state: "visible" });
  await byTestId(page, "select-handle-end").waitFor({ state: "visible" });
  await byTestId(page, "select-copy").tap();
  await waitFor(async () => (await clipboard(page)) === word, { what: `"${word}" on the clipboard (has ${JSON.stringify(await clipboard(page))})` });
  await byTestId(page, "select-bar").waitFor({ state: "hidden" });
}

test("22 clipboard: long-press copy, Select mode, OSC 52 from tmux and programs, paste", { timeout: 240_000 }, () =>
  scenario("22-clipboard", { context: CLIPBOARD }, async ({ app, page, sandbox, shot }) => {
    await login(page, app.url, app.password);
    const session = await attachedSession(page);
    await runInTerminal(page, "clear; echo copy-me-42; echo second-line-7");
    await waitForTerm(page, rowEquals("second-line-7"));
    await waitForPrompt(page);
    const t = await touchInput(page);

    // Measured first: xterm.js alone, a finger dragging sideways over the
    // text (our swipe handling only takes vertical moves): no selection.
    const at = await find(page, "copy-me-42");
    const a = await cellPoint(page, at.col, at.row);
    const b = await cellPoint(page, at.col + 9, at.row);
    await t.swipe(a.x, a.y, b.x, b.y, 8);
    assert.deepEqual(await selectionState(page), { xterm: 0, page: "" }, "xterm.js selected on touch after all");

    // Long press: the word, with handles, Copy.
    await longPressCopy(page, t, "copy-me-42");
    await shot("-copied");

    // The Select key, then a drag over the second line.
    await byTestId(page, "key-more").tap();
    await byTestId(page, "key-select").tap();
    await byTestId(page, "select-bar").waitFor({ state: "visible" });
    const s = await find(page, "second-line-7");
    const from = await cellPoint(page, s.col, s.row);
    const to = await cellPoint(page, s.col + "second-line-7".length - 1, s.row);
    await t.swipe(from.x, from.y, to.x, to.y, 6);
    await waitFor(async () => (await selectionState(page)).xterm > 0, { what: "a selection drawn" });
    await shot("-select-mode");
    await byTestId(page, "select-copy").tap();
    await waitFor(async () => (await clipboard(page)) === "second-line-7", { what: "the dragged span on the clipboard" });

    // OSC 52 from tmux itself (what copy mode's copy does), default settings.
    const tty = (await sandbox.tmux("list-clients", "-t", `=${session}`, "-F", "#{client_tty}")).trim().split("\n")[0];
    await sandbox.tmux("set-buffer", "-w", "-t", tty, "from-tmux-copy-mode");
    await waitFor(async () => (await clipboard(page)) === "from-tmux-copy-mode", { what: "tmux's copy on the clipboard" });

    // OSC 52 from a program, once the user allows it in their tmux.
    await sandbox.tmux("set-option", "-s", "set-clipboard", "on");
    await runInTerminal(page, "printf '\\033]52;c;%s\\a' $(printf from-a-program | base64)");
    await waitFor(async () => (await clipboard(page)) === "from-a-program", { what: "the program's OSC 52 on the clipboard" });
    // Reading the clipboard through OSC 52 never gets the phone's clipboard
    // (tmux answers such a query from its own buffer; that reply is typed
    // into the prompt, hence the ^C afterwards).
    await page.evaluate(() => navigator.clipboard.writeText("secret-on-the-phone"));
    // (tmux's reply may be typed while printf still runs, and the terminal
    // then echoes it on the same row as the marker: look for the marker
    // the shell computes, which the typed line does not contain.)
    await runInTerminal(page, "printf '\\033]52;c;?\\a'; echo query-$((6*7))-sent");
    await waitForTerm(page, (rows) => rows.some((r) => r.includes("query-42-sent")));
    assert.ok(!(await sandbox.tmux("capture-pane", "-p", "-t", `=${session}:`)).includes(Buffer.from("secret-on-the-phone").toString("base64")));
    await byTestId(page, "key-ctrl-c").tap();
    await runInTerminal(page, "clear");
    await waitForPrompt(page);

    // Paste: the clipboard into the pane.
    await page.evaluate(() => navigator.clipboard.writeText("echo pasted-$((40+2))"));
    await byTestId(page, "key-paste").tap();
    // The paste reaches the pane asynchronously (clipboard read, then the
    // socket): press Enter only once the pasted line is on the screen.
    await waitForTerm(page, (rows) => rows.some((r) => r.includes("echo pasted-$((40+2))")));
    await page.keyboard.press("Enter");
    await waitForTerm(page, rowEquals("pasted-42"));
  }),
);

test("22 clipboard (landscape): long-press copy", { timeout: 180_000 }, () =>
  scenario("22-clipboard-landscape", { context: { ...CLIPBOARD, viewport: { width: 844, height: 390 } } }, async ({ app, page }) => {
    await login(page, app.url, app.password);
    await runInTerminal(page, "clear; echo landscape-word-5");
    await waitForTerm(page, rowEquals("landscape-word-5"));
    await longPressCopy(page, await touchInput(page), "landscape-word-5");
  }),
);
