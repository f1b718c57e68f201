// Issue 6, test 10: the read-only URL. The terminal shows output, typing
// changes nothing in tmux, mutation buttons are disabled.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, rowEquals, typeInTerminal, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

/** Controls that change tmux state or send input: all must be disabled read-only. */
const MUTATIONS = [
  "new-session",
  "new-window",
  "split-h",
  "split-v",
  "zoom-pane",
  "close-pane",
  "kill-window",
  "zoom-button",
  "compose-input",
  "compose-send",
];
const KEYS = ["esc", "ctrl", "alt", "slash", "at", "up", "ctrl-c", "ctrl-b", "ctrl-r", "shift", "tab", "enter", "left", "down", "right"];

test("10 read-only link: output visible, typing changes nothing, mutations disabled", { timeout: 240_000 }, () =>
  scenario(
    "10-read-only",
    {
      app: { readOnlyLink: true },
      before: async (sandbox) => {
        await sandbox.newSession("main");
        // Two panes, so that zoom controls would be enabled for a full client.
        await sandbox.tmux("split-window", "-t", "=main:", "-h");
      },
    },
    async ({ app, page, sandbox, shot }) => {
      assert.ok(app.readOnlyUrl, "no Read-only URL printed");
      assert.notEqual(app.readOnlyToken, app.token);
      await page.goto(app.readOnlyUrl);
      const form = byTestId(page, "password-form");
      // The read-only link may or may not ask for the password; answer it if asked.
      await waitFor(async () => (await form.isVisible()) || (await byTestId(page, "status").getAttribute("data-state")) === "ok", {
        what: "password prompt or connection",
      });
      if (await form.isVisible()) {
        await byTestId(page, "password-input").fill(app.password);
        await byTestId(page, "password-submit").click();
      }
      await waitForStatus(page, "ok");

      // Output made in tmux shows up in the read-only page.
      const pane = (await sandbox.display("=main:", "#{pane_id}")).trim();
      await sandbox.tmux("send-keys", "-t", pane, "echo ro-$((1+1))", "Enter");
      await waitForTerm(page, rowEquals("ro-2"));

      // Typing (keyboard, soft keyboard) reaches nothing.
      await typeInTerminal(page, "echo typed-in-read-only");
      await page.keyboard.press("Enter");
      await page.keyboard.insertText("echo inserted-in-read-only\r");
      // Absence can only be checked after a while: give stray input 1.5 s to
      // arrive, then a marker sent through tmux shows the screen is current.
      await sleep(1500);
      await sandbox.tmux("send-keys", "-t", pane, "echo ro-marker-$((2+2))", "Enter");
      await waitForTerm(page, rowEquals("ro-marker-4"));
      const all = await sandbox.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", pane);
      assert.doesNotMatch(all, /typed-in-read-only|inserted-in-read-only/, "read-only typing reached the pane");

      // Every mutation control is disabled.
      await byTestId(page, "drawer-button").click();
      await waitFor(async () => (await byTestId(page, "drawer").getAttribute("data-open")) === "true", { what: "drawer open" });
      await waitFor(async () => (await byTestId(page, "window-item").count()) >= 1, { what: "windows listed" });
      for (const id of MUTATIONS) {
        const el = byTestId(page, id);
        assert.equal(await el.count(), 1, `${id} missing`);
        assert.ok(await el.isDisabled(), `${id} is not disabled`);
      }
      for (const id of ["window-item", "pane-item"]) {
        const n = await byTestId(page, id).count();
        assert.ok(n >= 1, `no ${id}`);
        for (let i = 0; i < n; i++) assert.ok(await byTestId(page, id).nth(i).isDisabled(), `${id} #${i} is not disabled`);
      }
      for (const k of KEYS) assert.ok(await byTestId(page, `key-${k}`).isDisabled(), `key-${k} is not disabled`);
      await shot();

      // Even forced clicks change nothing in tmux.
      const before = await sandbox.tmux("list-windows", "-a", "-F", "#{session_name}:#{window_index}:#{window_panes}");
      await byTestId(page, "new-window").click({ force: true });
      await byTestId(page, "split-h").click({ force: true });
      await sleep(1000);
      assert.equal(await sandbox.tmux("list-windows", "-a", "-F", "#{session_name}:#{window_index}:#{window_panes}"), before);
    },
  ),
);
