// Issue 14, point 7: readable keys. No label is clipped (portrait and
// landscape, More rows open), a long press shows what a key does without
// sending it, and `Arrange` reorders the keys for this device (kept over a
// reload, Reset restores the default).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, centerOf, DOCS_SCREENSHOTS, login, recordSockets, screenshotPath, touchInput, waitForStatus } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const clipped = (page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid^="key-"]'))
      .filter((k) => k.offsetParent !== null)
      .filter((k) => Array.from(k.children).some((c) => c.scrollWidth > c.clientWidth + 0.5) || k.scrollWidth > k.clientWidth + 0.5)
      .map((k) => k.dataset.testid),
  );

const order = (page) => page.evaluate(() => Array.from(document.querySelectorAll('[data-testid="toolbar"] .krows:first-child [data-key]'), (k) => k.dataset.key));

test("23 keys: readable labels, long-press hints, arranged per device", { timeout: 180_000 }, () =>
  scenario("23-keys", {}, async ({ app, page }) => {
    const rec = recordSockets(page);
    await login(page, app.url, app.password);
    await byTestId(page, "key-more").tap();
    await byTestId(page, "key-ctrl-d").waitFor({ state: "visible" });
    assert.deepEqual(await clipped(page), [], "portrait: clipped labels");
    await page.setViewportSize({ width: 844, height: 390 });
    await waitFor(async () => (await page.evaluate(() => window.innerWidth)) === 844, { what: "landscape" });
    assert.deepEqual(await clipped(page), [], "landscape: clipped labels");
    await page.setViewportSize({ width: 390, height: 844 });

    // Long press: the hint, and nothing sent.
    const sentBefore = rec.terminal.length;
    const t = await touchInput(page);
    const c = await centerOf(page, "key-ctrl-b");
    await t.start(c.x, c.y);
    const hint = byTestId(page, "key-hint");
    await hint.waitFor({ state: "visible" });
    assert.match(await hint.innerText(), /tmux's prefix/);
    const path = screenshotPath("23-keys-hint");
    await page.screenshot({ path });
    if (process.env.E2E_UPDATE_SCREENSHOTS === "1") {
      mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SCREENSHOTS, "keys-long-press-hint.png"));
    }
    await t.end();
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.equal(rec.terminal.length, sentBefore, "the long press also sent the key");

    // Arrange: move "@" (last of the main rows) one place earlier.
    const before = await order(page);
    await byTestId(page, "key-arrange").tap();
    await byTestId(page, "arrange").waitFor({ state: "visible" });
    await page.locator('[data-testid="arrange-list"] li[data-key="at"] [data-testid="arrange-up"]').click();
    await byTestId(page, "arrange-done").click();
    const after = await order(page);
    const i = before.indexOf("at");
    assert.deepEqual(after.slice(i - 1, i + 1), ["at", before[i - 1]], `order ${after}`);
    await page.reload();
    await waitForStatus(page, "ok");
    assert.deepEqual(await order(page), after, "the arranged order did not survive a reload");
    // The More rows stay open over a reload too.
    await byTestId(page, "key-arrange").waitFor({ state: "visible" });
    await byTestId(page, "key-arrange").tap();
    await byTestId(page, "arrange-reset").click();
    await byTestId(page, "arrange-done").click();
    assert.deepEqual(await order(page), before, "Reset did not restore the default");
  }),
);
