// Issue 11: the app over a phone-like link. The browser reaches tmux-mobile
// only through the link shaper (300 ms round trip, 1 Mbit/s each way): the
// page loads, logs in and runs a command, and the shaper saw every byte.
import assert from "node:assert/strict";
import { test } from "node:test";

import { login, rowEquals, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { Shaper } from "../lib/shaper.mjs";

test("14 through a 300 ms, 1 Mbit/s link", { timeout: 240_000 }, () =>
  scenario("14-link", {}, async ({ app, page, shot }) => {
    const link = await Shaper.start(app.port, { rttMs: 300, rateKbit: 1000 });
    try {
      await login(page, link.url(app.url), app.password);
      await runInTerminal(page, "echo link-$((6*7))");
      await waitForTerm(page, rowEquals("link-42"), { what: "the output line link-42" });
      const stats = await link.stats();
      assert.ok(stats.connections >= 3, `page, control and terminal went through the shaper: ${JSON.stringify(stats)}`);
      assert.ok(stats.down > 50_000, `the page itself came through the shaper: ${JSON.stringify(stats)}`);
      await shot();
    } finally {
      await link.stop();
    }
  }),
);
