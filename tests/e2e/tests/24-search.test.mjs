// Issue 14, point 2: search. On the live terminal (Find key, through
// @xterm/addon-search, loaded on first use): highlight, match count,
// next/previous. In the scrollback viewer (its history): the same bar,
// <mark> highlights, the current match scrolled into view. Landscape and
// portrait. In portrait also the jump to the attention markers: the Find
// bar's "? N" goes to the pane that needs you and finds its prompt there.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, DOCS_SCREENSHOTS, login, rowEquals, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const countText = async (page, id) => (await byTestId(page, `${id}-count`).innerText()).trim();

const LANDSCAPE = { viewport: { width: 844, height: 390 } };
const PORTRAIT = { viewport: { width: 390, height: 844 } };

test("24 search: live terminal and scrollback, count, next/previous (landscape)", { timeout: 180_000 }, () =>
  scenario("24-search", { context: LANDSCAPE }, async ({ app, page, sandbox, shot }) => {
    await login(page, app.url, app.password);
    await searchBoth(page, sandbox, shot);
  }),
);

test("24 search: portrait, and the jump to the pane that needs you", { timeout: 180_000 }, () =>
  scenario("24-search-portrait", { context: PORTRAIT }, async ({ app, page, sandbox, shot }) => {
    await login(page, app.url, app.password);
    await searchBoth(page, sandbox, shot);
    await byTestId(page, "scrollback-close").click();

    // Attention markers: a program in another window asks a question.
    const pane = (await sandbox.tmux("new-window", "-d", "-t", "=main:", "-n", "agent", "-P", "-F", "#{pane_id}")).trim();
    const script = join(sandbox.dir, "ask.sh");
    writeFileSync(script, "printf 'Deploy the release?\\n\\nDo you want to proceed?\\n\\342\\235\\257 1. Yes\\n  2. No\\n'\nread -r -n 1 answer\n");
    await sandbox.tmux("send-keys", "-t", pane, "-l", `bash ${script}`);
    await sandbox.tmux("send-keys", "-t", pane, "Enter");
    await byTestId(page, "key-find").tap();
    const jump = byTestId(page, "term-search-attention");
    await waitFor(async () => (await jump.getAttribute("data-count")) === "1", { timeout: 30_000, what: "one pane needs you" });
    assert.equal((await jump.innerText()).trim(), "? 1");
    await jump.tap();
    await waitFor(async () => (await byTestId(page, "title-window").textContent()) === "1: agent", { what: "the jump to window 1" });
    const query = await byTestId(page, "term-search-input").inputValue();
    assert.match(query, /Do you want to proceed\?/, "the bar searches for the prompt");
    await waitFor(async () => /^1\/\d+$/.test(await countText(page, "term-search")), { what: "the prompt found on the screen" });
    assert.equal(await sandbox.display("=main:", "#{window_index}"), "0", "the user's own session did not move");
    const path = await shot("-attention");
    if (process.env.E2E_UPDATE_SCREENSHOTS === "1") {
      mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SCREENSHOTS, "search-attention.png"));
    }
    await byTestId(page, "term-search-close").click();
  }),
);

/** The live terminal's and the scrollback's search, as the first test had them. */
async function searchBoth(page, sandbox, shot) {
  await runInTerminal(page, "clear; for i in 1 2 3; do echo needle-$i; done; echo hay");
  await waitForTerm(page, rowEquals("hay"));

  // Live terminal: the addon chunk loads on first use.
  const chunks = [];
  page.on("request", (r) => chunks.push(new URL(r.url()).pathname));
  await byTestId(page, "key-more").tap();
  await byTestId(page, "key-find").tap();
  await byTestId(page, "term-search").waitFor({ state: "visible" });
  // The bar (and the focused input) make the terminal shorter; a pane that
  // shrinks pushes its top lines into tmux's history. Print the lines again
  // at the final size, then search.
  await byTestId(page, "term-search-input").focus();
  await sandbox.tmux("send-keys", "-t", "=main:", "-l", "clear; for i in 1 2 3; do echo needle-$i; done; echo hay");
  await sandbox.tmux("send-keys", "-t", "=main:", "Enter");
  await waitForTerm(page, rowEquals("hay"));
  await byTestId(page, "term-search-input").fill("needle-");
  // `clear` removed the command line: the three outputs.
  let seen = "";
  await waitFor(async () => /^\d\/3$/.test((seen = await countText(page, "term-search"))), { what: "3 matches on screen" }).catch((e) => {
    throw new Error(`${e.message}; count shows ${JSON.stringify(seen)}`);
  });
  assert.ok(chunks.some((p) => /addon-search/.test(p)), `the search addon was not loaded on demand: ${chunks}`);
  const first = await countText(page, "term-search");
  await byTestId(page, "term-search-next").click();
  await waitFor(async () => (await countText(page, "term-search")) !== first, { what: "next match" });
  const second = await countText(page, "term-search");
  await byTestId(page, "term-search-prev").click();
  await waitFor(async () => (await countText(page, "term-search")) === first, { what: "previous match" });
  assert.notEqual(first, second);
  await byTestId(page, "term-search-input").fill("no-such-text");
  await waitFor(async () => (await countText(page, "term-search")) === "no match", { what: '"no match"' });
  await byTestId(page, "term-search-close").click();
  await byTestId(page, "term-search").waitFor({ state: "hidden" });

  // Scrollback: history beyond the screen.
  await runInTerminal(page, "seq -f 'row-%g' 1 500; echo seq-done");
  await waitForTerm(page, rowEquals("seq-done"));
  await byTestId(page, "scroll-button").click();
  const pre = byTestId(page, "scrollback-text");
  await waitFor(async () => (await pre.textContent()).includes("seq-done"), { what: "the capture" });
  await byTestId(page, "scrollback-find").click();
  await byTestId(page, "scrollback-search-input").fill("row-12");
  // row-12 and row-120..row-129: 11 matches; the newest first.
  await waitFor(async () => (await countText(page, "scrollback-search")) === "11/11", { what: "11 matches, the newest current" });
  const current = () => page.locator('[data-testid="scrollback-text"] mark.current').innerText();
  assert.equal(await current(), "row-12");
  await byTestId(page, "scrollback-search-next").click();
  await waitFor(async () => (await countText(page, "scrollback-search")) === "1/11", { what: "next wraps to the first" });
  const visible = await page.evaluate(() => {
    const m = document.querySelector('[data-testid="scrollback-text"] mark.current').getBoundingClientRect();
    const p = document.querySelector('[data-testid="scrollback-text"]').getBoundingClientRect();
    return m.top >= p.top && m.bottom <= p.bottom;
  });
  assert.ok(visible, "the current match is not scrolled into view");
  assert.equal(await page.locator('[data-testid="scrollback-text"] mark').count(), 11);
  await shot();
  // Closing the bar restores the plain text (copy gets no markup).
  await byTestId(page, "scrollback-search-close").click();
  assert.equal(await page.locator('[data-testid="scrollback-text"] mark').count(), 0);
}
