// Issue 6, test 11: flood. `yes | head -c 50000000` runs in the pane while
// the test taps the drawer button: the drawer opens within 1 s during the
// flood and the page stays responsive; afterwards `echo done-marker` is
// visible.
//
// Timing (the only timing assertion in these tests): the 1 s is measured in
// the page, from the tap's pointerdown/touchstart event to the first frame
// painted after the drawer's data-open turned true — what a person
// perceives. The test driver's own round trips (CDP on a loaded 2-core
// machine) are outside that window; the wall-clock time seen by the driver
// only has to stay under 5 s (slack for the driver, not for the page).
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, login, rowEquals, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const OPEN_WITHIN_MS = 1000;
const DRIVER_SLACK_MS = 5000;

test("11 flood: drawer opens within 1 s during 50 MB of output, then done-marker", { timeout: 400_000 }, () =>
  scenario("11-flood", {}, async ({ app, page, sandbox, shot }) => {
    await login(page, app.url, app.password);
    await page.evaluate(() => {
      const drawer = document.querySelector('[data-testid="drawer"]');
      const probe = { down: null, open: null, painted: null };
      window.__e2eDrawer = probe;
      const mark = () => {
        if (probe.down === null) probe.down = performance.now();
      };
      window.addEventListener("pointerdown", mark, { capture: true });
      window.addEventListener("touchstart", mark, { capture: true });
      new MutationObserver(() => {
        if (drawer.dataset.open === "true" && probe.down !== null && probe.open === null) {
          probe.open = performance.now();
          requestAnimationFrame(() => requestAnimationFrame(() => (probe.painted = performance.now())));
        }
      }).observe(drawer, { attributes: true, attributeFilter: ["data-open"] });
    });

    const pane = await sandbox.display("=main:", "#{pane_id}");
    await runInTerminal(page, "yes | head -c 50000000; echo done-marker");
    // The flood is on: the screen fills with "y" and tmux runs it in the pane.
    await waitForTerm(page, (rows) => rows.filter((r) => r === "y").length >= 5, { what: "the flood on screen" });

    const measured = [];
    for (let i = 0; i < 3; i++) {
      const cmd = await sandbox.display(pane, "#{pane_current_command}");
      if (!["yes", "head"].includes(cmd)) {
        assert.ok(measured.length > 0, `the flood ended before the first tap (pane runs ${cmd})`);
        break;
      }
      await page.evaluate(() => Object.assign(window.__e2eDrawer, { down: null, open: null, painted: null }));
      const t0 = Date.now();
      await byTestId(page, "drawer-button").tap();
      const probe = await waitFor(
        async () => {
          const p = await page.evaluate(() => window.__e2eDrawer);
          return p.painted !== null ? p : null;
        },
        { timeout: 60_000, interval: 50, what: "the drawer to open during the flood" },
      );
      const wall = Date.now() - t0;
      const inPage = Math.round(probe.painted - probe.down);
      measured.push({ inPage, wall });
      assert.ok(await byTestId(page, "drawer").isVisible(), "drawer not visible");
      assert.ok(inPage <= OPEN_WITHIN_MS, `drawer took ${inPage} ms in the page (limit ${OPEN_WITHIN_MS} ms)`);
      assert.ok(wall <= DRIVER_SLACK_MS, `drawer took ${wall} ms as seen by the driver (limit ${DRIVER_SLACK_MS} ms)`);
      if (i === 0) await shot("-drawer-during-flood");
      // Close it again (the page keeps reacting to taps).
      await byTestId(page, "drawer-close").tap();
      await waitFor(async () => (await byTestId(page, "drawer").getAttribute("data-open")) === "false", { what: "drawer closed" });
    }
    console.log(`drawer open times during the flood (ms): ${JSON.stringify(measured)}`);

    await waitForTerm(page, rowEquals("done-marker"), { timeout: 300_000, what: "done-marker after the flood" });
    await runInTerminal(page, "echo after-$((8*8))");
    await waitForTerm(page, rowEquals("after-64"));
    await shot();
  }),
);
