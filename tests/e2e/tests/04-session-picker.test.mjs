// Issue 6, test 4: with two pre-created sessions the session picker appears;
// choosing one attaches to it (asserted with the tmux CLI: the client's
// grouped session belongs to the chosen session's group, and a command typed
// in the page runs in that session).
import assert from "node:assert/strict";
import { test } from "node:test";

import { attachedSession, byTestId, rowEquals, runInTerminal, waitForPrompt, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

test("04 session picker lists two sessions, choosing one attaches to it", { timeout: 240_000 }, () =>
  scenario(
    "04-picker",
    {
      before: async (sandbox) => {
        await sandbox.newSession("alpha");
        await sandbox.newSession("beta");
      },
    },
    async ({ app, page, sandbox, shot }) => {
      await page.goto(app.url);
      await byTestId(page, "password-input").fill(app.password);
      await byTestId(page, "password-submit").click();

      const picker = byTestId(page, "session-picker");
      await picker.waitFor({ state: "visible" });
      const items = byTestId(page, "picker-item");
      await waitFor(async () => (await items.count()) === 2, { what: "two picker items" });
      const names = await items.evaluateAll((els) => els.map((e) => e.getAttribute("data-name")).sort());
      assert.deepEqual(names, ["alpha", "beta"], "the picker lists exactly the base sessions");
      await shot("-picker");

      await page.locator('[data-testid="picker-item"][data-name="beta"]').click();
      await picker.waitFor({ state: "hidden" });
      await waitForStatus(page, "ok");
      await waitForPrompt(page);

      const session = await attachedSession(page);
      assert.equal(await sandbox.display(`=${session}:`, "#{session_group}"), "beta", "grouped with beta");

      await runInTerminal(page, "echo picked-$((2+3))");
      await waitForTerm(page, rowEquals("picked-5"));
      const beta = await sandbox.tmux("capture-pane", "-p", "-t", "=beta:");
      const alpha = await sandbox.tmux("capture-pane", "-p", "-t", "=alpha:");
      assert.match(beta, /^picked-5$/m, "the command ran in beta");
      assert.doesNotMatch(alpha, /picked-5/, "the command ran in alpha");
      await shot();
    },
  ),
);
