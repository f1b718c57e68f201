// Issue 6, test 1: open the printed URL → password prompt → wrong password
// shows "Wrong password. Try again." → right password → the terminal shows
// the shell prompt; `echo e2e-$((40+2))` + Enter shows e2e-42.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, rowEquals, runInTerminal, waitForPrompt, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";

test("01 password prompt, wrong then right password, shell works", { timeout: 240_000 }, () =>
  scenario("01-password", {}, async ({ app, page, sandbox, shot }) => {
    await page.goto(app.url);
    const form = byTestId(page, "password-form");
    await form.waitFor({ state: "visible" });
    assert.match(await form.innerText(), /Password Required/);

    await byTestId(page, "password-input").fill("definitely-not-the-password");
    await byTestId(page, "password-submit").click();
    const error = byTestId(page, "password-error");
    await error.waitFor({ state: "visible" });
    assert.equal((await error.innerText()).trim(), "Wrong password. Try again.");
    assert.ok(await form.isVisible(), "the prompt stays open for a retry");

    // Enter submits the form (UI.md: "Password prompt submits on Enter").
    await byTestId(page, "password-input").fill(app.password);
    await byTestId(page, "password-input").press("Enter");
    await form.waitFor({ state: "hidden" });
    await waitForStatus(page, "ok");
    await waitForPrompt(page);

    await runInTerminal(page, "echo e2e-$((40+2))");
    await waitForTerm(page, rowEquals("e2e-42"), { what: "the output line e2e-42" });
    // The command really ran in tmux's pane, not only on the screen.
    const pane = await sandbox.tmux("capture-pane", "-p", "-t", "=main:");
    assert.match(pane, /^e2e-42$/m);
    await shot();
  }),
);
