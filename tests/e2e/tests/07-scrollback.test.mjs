// Issue 6, test 7: the scrollback viewer opens at the newest lines, `Load
// More` adds older ones, `Copy` puts the selection on the clipboard.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, login, rowEquals, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const TOTAL = 3000;

/** Numbers N of the `line-N` rows in the viewer. */
const lineNumbers = (text) => Array.from(text.matchAll(/^line-(\d+)$/gm), (m) => Number(m[1]));

test("07 scrollback: opens at the newest lines, Load More, Copy selection", { timeout: 240_000 }, () =>
  scenario(
    "07-scrollback",
    { app: { args: ["--scrollback", "1000"] }, context: { permissions: ["clipboard-read", "clipboard-write"] } },
    async ({ app, page, sandbox, shot }) => {
      await login(page, app.url, app.password);
      await runInTerminal(page, `seq -f 'line-%g' 1 ${TOTAL}; echo seq-done`);
      await waitForTerm(page, rowEquals("seq-done"));

      await byTestId(page, "scroll-button").click();
      const overlay = byTestId(page, "scrollback");
      const pre = byTestId(page, "scrollback-text");
      await overlay.waitFor({ state: "visible" });
      await waitFor(async () => (await pre.textContent()).includes(`line-${TOTAL}`), { what: `line-${TOTAL} in the viewer` });

      const first = lineNumbers(await pre.textContent());
      assert.ok(first.length > 500, `only ${first.length} lines captured`);
      assert.equal(Math.max(...first), TOTAL);
      assert.ok(Math.min(...first) > 1, "the first capture already reaches line 1: nothing left for Load More");

      // Opens at the newest lines: scrolled to the bottom.
      await waitFor(
        () => pre.evaluate((el) => el.scrollHeight > el.clientHeight && el.scrollTop + el.clientHeight >= el.scrollHeight - 4),
        { what: "viewer scrolled to the bottom" },
      );
      const lastVisible = await pre.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return document.elementFromPoint(r.left + 10, r.bottom - 8)?.closest('[data-testid="scrollback-text"]') !== null;
      });
      assert.ok(lastVisible, "the bottom of the text is on screen");
      await shot("-open");

      // Load More: older lines are added.
      await byTestId(page, "scrollback-load-more").click();
      await waitFor(async () => Math.min(...lineNumbers(await pre.textContent())) < Math.min(...first), {
        what: "older lines after Load More",
      });
      const more = lineNumbers(await pre.textContent());
      assert.ok(more.length > first.length, `Load More did not add lines (${first.length} -> ${more.length})`);
      assert.equal(Math.max(...more), TOTAL, "newest line lost after Load More");

      // Copy: the selection goes to the clipboard.
      await page.evaluate(() => navigator.clipboard.writeText("clipboard-before-copy"));
      const selected = await pre.evaluate((el) => {
        const text = el.firstChild;
        const start = text.textContent.indexOf(`line-2990\n`);
        const end = text.textContent.indexOf(`line-2995`) + "line-2995".length;
        const range = document.createRange();
        range.setStart(text, start);
        range.setEnd(text, end);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        return sel.toString();
      });
      assert.equal(selected, "line-2990\nline-2991\nline-2992\nline-2993\nline-2994\nline-2995");
      await byTestId(page, "scrollback-copy").click();
      await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())) === selected, {
        what: "the selection on the clipboard",
      });
      await shot();

      // Copy without a selection copies everything shown.
      await page.evaluate(() => window.getSelection().removeAllRanges());
      await byTestId(page, "scrollback-copy").click();
      const everything = (await pre.textContent()).replace(/\n+$/, "");
      await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())).replace(/\n+$/, "") === everything, {
        what: "all the text on the clipboard",
      });

      await byTestId(page, "scrollback-close").click();
      await overlay.waitFor({ state: "hidden" });
    },
  ),
);
