// Issue 14, point 2: search. On the live terminal (Find key, through
// @xterm/addon-search, loaded on first use): highlight, match count,
// next/previous. In the scrollback viewer (its history): the same bar,
// <mark> highlights, the current match scrolled into view. Landscape.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, login, rowEquals, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const countText = async (page, id) => (await byTestId(page, `${id}-count`).innerText()).trim();

test("24 search: live terminal and scrollback, count, next/previous", { timeout: 180_000 }, () =>
  scenario("24-search", { context: { viewport: { width: 844, height: 390 } } }, async ({ app, page, shot }) => {
    await login(page, app.url, app.password);
    await runInTerminal(page, "clear; for i in 1 2 3; do echo needle-$i; done; echo hay");
    await waitForTerm(page, rowEquals("hay"));

    // Live terminal: the addon chunk loads on first use.
    const chunks = [];
    page.on("request", (r) => chunks.push(new URL(r.url()).pathname));
    await byTestId(page, "key-more").tap();
    await byTestId(page, "key-find").tap();
    await byTestId(page, "term-search").waitFor({ state: "visible" });
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
  }),
);
