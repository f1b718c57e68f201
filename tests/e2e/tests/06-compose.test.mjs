// Issue 6, test 6: compose bar. Text + Send runs in the pane (Enter sends
// too); Enter during an IME composition does not send early.
//
// The IME is simulated with DOM events (compositionstart, a keydown Enter
// with isComposing, compositionend): headless Chromium has no IME, and these
// are the events a browser with one delivers.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, login, recordSockets, rowEquals, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

test("06 compose: Send runs text in the pane; IME composition does not send early", { timeout: 240_000 }, () =>
  scenario("06-compose", {}, async ({ app, page, sandbox, shot }) => {
    const rec = recordSockets(page);
    await login(page, app.url, app.password);
    const bar = byTestId(page, "compose-bar");
    const input = byTestId(page, "compose-input");
    assert.ok(await bar.isVisible(), "compose bar is on by default");
    const composes = () => rec.control.filter((m) => m.type === "send_compose");

    // Text + Send.
    await input.fill("echo compose-$((6*7))");
    await byTestId(page, "compose-send").click();
    await waitForTerm(page, rowEquals("compose-42"));
    assert.equal(await input.inputValue(), "", "the field is cleared after sending");
    assert.match(await sandbox.tmux("capture-pane", "-p", "-t", "=main:"), /^compose-42$/m);
    assert.deepEqual(composes().map((m) => m.text), ["echo compose-$((6*7))"]);

    // Enter in the field sends too.
    await input.fill("echo enter-$((1+1))");
    await input.press("Enter");
    await waitForTerm(page, rowEquals("enter-2"));

    // IME: Enter that confirms a composition must not send.
    await input.fill("");
    await input.focus();
    const sentBefore = composes().length;
    await input.evaluate((el) => {
      el.dispatchEvent(new CompositionEvent("compositionstart", { data: "" }));
      el.value = "echo ime-$((3+4))";
      el.dispatchEvent(new InputEvent("input", { data: "echo ime-$((3+4))", inputType: "insertCompositionText", isComposing: true }));
      el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", isComposing: true, bubbles: true, cancelable: true }));
    });
    // Nothing may be sent; the control socket is watched for a while.
    await sleep(1500);
    assert.equal(composes().length, sentBefore, "Enter during composition sent the text");
    assert.equal(await input.inputValue(), "echo ime-$((3+4))", "the composed text was lost");
    assert.ok(!(await sandbox.tmux("capture-pane", "-p", "-t", "=main:")).match(/^ime-7$/m));

    // Composition ends; now Enter sends.
    await input.evaluate((el) => {
      el.dispatchEvent(new CompositionEvent("compositionend", { data: "echo ime-$((3+4))" }));
      el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", bubbles: true, cancelable: true }));
    });
    await waitFor(() => composes().length === sentBefore + 1, { what: "send_compose after the composition ended" });
    await waitForTerm(page, rowEquals("ime-7"));
    await shot();
  }),
);
