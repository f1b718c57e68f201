// Issue 14, point 4: snippets. The config file's `[[snippets]]` are the
// buttons a phone starts with; a tap types the text exactly like typed input
// (the shell runs it), a long press edits a snippet without typing it, `✎`
// reorders and adds, the list is kept per device over a reload, the
// toolbar's `Text` key hides the row; at 844×390 the row fits and works too;
// a read-only link has no snippets.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, centerOf, DOCS_SCREENSHOTS, login, recordSockets, rowEquals, screenshotPath, touchInput, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const CONFIG = `
[[snippets]]
label = "status"
text = "echo snip-$((6*7))\\r"

[[snippets]]
text = "y"
`;

const labels = (page) => page.evaluate(() => Array.from(document.querySelectorAll('[data-testid="snippet"]'), (b) => b.textContent));
const snippet = (page, label) => page.locator('[data-testid="snippet"]', { hasText: label }).first();
const typed = (rec) => Buffer.concat(rec.terminal).toString("utf8");

test("27 snippets: config defaults, tap types, long-press edits, reorder, per device, landscape, read-only", { timeout: 240_000 }, () =>
  scenario(
    "27-snippets",
    {
      before: async (sandbox) => {
        const dir = join(sandbox.home, ".config", "tmux-mobile");
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "config.toml"), CONFIG);
        await sandbox.newSession("main");
      },
      app: { readOnlyLink: true },
    },
    async ({ page, app, context, newPage }) => {
      const rec = recordSockets(page);
      await login(page, app.url, app.password);

      // The server's defaults, in order.
      await byTestId(page, "snippet-bar").waitFor({ state: "visible" });
      assert.deepEqual(await labels(page), ["status", "y"]);

      // A tap types the text as it is: the shell runs it.
      await snippet(page, "status").tap();
      await waitForTerm(page, rowEquals("snip-42"), { what: "the snippet's command ran" });
      assert.ok(typed(rec).includes("echo snip-$((6*7))\r"), JSON.stringify(typed(rec)));

      // A long press edits (and types nothing).
      const sentBefore = typed(rec).length;
      const t = await touchInput(page);
      const box = await snippet(page, "y").boundingBox();
      await t.start(box.x + box.width / 2, box.y + box.height / 2);
      await byTestId(page, "snippet-editor").waitFor({ state: "visible" });
      await t.end();
      assert.equal(await byTestId(page, "snippet-text").inputValue(), "y");
      await byTestId(page, "snippet-label").fill("five");
      await byTestId(page, "snippet-text").fill("echo long-$((2+3))\\r");
      await byTestId(page, "snippet-save").tap();
      await byTestId(page, "snippet-editor").waitFor({ state: "detached" });
      assert.equal(typed(rec).length, sentBefore, "the long press typed the snippet");
      assert.deepEqual(await labels(page), ["status", "five"]);
      await snippet(page, "five").tap();
      await waitForTerm(page, rowEquals("long-5"), { what: "the edited snippet ran" });

      // ✎: move "five" first, add one (its label defaults to the text).
      await byTestId(page, "snippet-edit").tap();
      await byTestId(page, "snippets-arrange").waitFor({ state: "visible" });
      await page.locator('[data-testid="snippets-arrange-list"] li[data-key="1"] [data-testid="snippets-arrange-up"]').tap();
      await byTestId(page, "snippets-new").tap();
      await byTestId(page, "snippet-text").fill("echo added\\r");
      await byTestId(page, "snippet-save").tap();
      await byTestId(page, "snippet-editor").waitFor({ state: "detached" });
      // A bad snippet is refused with a reason.
      await byTestId(page, "snippets-new").tap();
      await byTestId(page, "snippet-save").tap();
      assert.match(await byTestId(page, "snippet-error").innerText(), /text is empty/);
      await byTestId(page, "snippet-cancel").tap();
      await byTestId(page, "snippets-arrange-done").tap();
      assert.deepEqual(await labels(page), ["five", "status", "echo added"]);

      // Kept on this device.
      await page.reload();
      await waitForStatus(page, "ok");
      await byTestId(page, "snippet-bar").waitFor({ state: "visible" });
      assert.deepEqual(await labels(page), ["five", "status", "echo added"]);
      const shot = screenshotPath("27-snippets");
      await page.screenshot({ path: shot });
      if (process.env.E2E_UPDATE_SCREENSHOTS === "1") {
        mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
        copyFileSync(shot, join(DOCS_SCREENSHOTS, "snippets.png"));
      }

      // Landscape: the row fits under the terminal, 44 px targets, still types.
      await page.setViewportSize({ width: 844, height: 390 });
      await waitFor(async () => (await page.evaluate(() => window.innerWidth)) === 844, { what: "landscape" });
      const bar = await centerOf(page, "snippet-bar");
      assert.ok(bar.box.y + bar.box.height <= 390, `the snippet row is off screen: ${JSON.stringify(bar.box)}`);
      const heights = await page.evaluate(() => Array.from(document.querySelectorAll('[data-testid="snippet"]'), (b) => b.getBoundingClientRect().height));
      assert.ok(heights.every((hgt) => hgt >= 44), `snippet heights ${heights}`);
      const term = await centerOf(page, "terminal");
      assert.ok(term.box.height >= 100, `the terminal is only ${term.box.height}px tall`);
      await snippet(page, "echo added").tap();
      await waitForTerm(page, rowEquals("added"), { what: "a snippet typed in landscape" });

      // The toolbar's Text key hides the row (kept over a reload).
      await page.setViewportSize({ width: 390, height: 844 });
      if (!(await byTestId(page, "key-snippets").isVisible())) await byTestId(page, "key-more").tap();
      await byTestId(page, "key-snippets").tap();
      await byTestId(page, "snippet-bar").waitFor({ state: "hidden" });
      await page.reload();
      await waitForStatus(page, "ok");
      assert.equal(await byTestId(page, "snippet-bar").isVisible(), false);

      // A read-only link cannot type: no snippets.
      const viewer = await newPage(context);
      await viewer.goto(app.readOnlyUrl);
      const form = byTestId(viewer, "password-form");
      await waitFor(async () => (await form.isVisible()) || (await byTestId(viewer, "status").getAttribute("data-state")) === "ok", {
        what: "password prompt or connection",
      });
      if (await form.isVisible()) {
        await byTestId(viewer, "password-input").fill(app.password);
        await byTestId(viewer, "password-submit").click();
      }
      await waitForStatus(viewer, "ok");
      assert.equal(await viewer.evaluate(() => document.documentElement.dataset.readonly), "true");
      await viewer.evaluate(() => localStorage.removeItem("tmux-mobile-snippets-shown"));
      await viewer.reload();
      await waitForStatus(viewer, "ok");
      assert.equal(await byTestId(viewer, "snippet-bar").isVisible(), false, "a read-only link shows snippets");
    },
  ),
);
