// Issue 10 (attention): a program in a background window asks a question;
// the phone shows it (title badge, "Needs you" in the drawer, the window's
// badge), a tap jumps there, and a quick reply reaches the pane. Then, with
// the page hidden, a bell elsewhere becomes a system notification.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, login } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

test("16 attention: badge, Needs you, jump, quick reply; a notification while hidden", { timeout: 240_000 }, () =>
  scenario(
    "16-attention",
    {
      before: (sandbox) => sandbox.newSession("main"),
      context: { permissions: ["notifications"] },
    },
    async ({ page, app, sandbox, shot, context }) => {
      // Count the notifications the page shows (service worker or not).
      await page.addInitScript(() => {
        window.__notes = [];
        const Real = window.Notification;
        class Spy extends Real {
          constructor(title, options) {
            super(title, options);
            window.__notes.push({ title, body: options?.body ?? "" });
          }
        }
        Object.defineProperty(Spy, "permission", { get: () => Real.permission });
        window.Notification = Spy;
      });
      await login(page, app.url, app.password);
      const pane = (
        await sandbox.tmux("new-window", "-d", "-t", "=main:", "-n", "agent", "-P", "-F", "#{pane_id}")
      ).trim();
      const script = join(sandbox.dir, "ask.sh");
      writeFileSync(
        script,
        "printf 'Bash command\\n\\n  cargo publish\\n\\nDo you want to proceed?\\n\\342\\235\\257 1. Yes\\n  2. No\\n'\n" +
          "read -r -n 1 answer\necho\necho \"answer=$answer\"\n",
      );
      await sandbox.tmux("send-keys", "-t", pane, "-l", `bash ${script}`);
      await sandbox.tmux("send-keys", "-t", pane, "Enter");

      // The title bar says something elsewhere needs the person.
      const titleBadge = byTestId(page, "title-attention");
      await titleBadge.waitFor({ state: "visible", timeout: 30_000 });
      assert.equal(await titleBadge.textContent(), "1");

      // The drawer lists it at the top, and badges its window.
      await titleBadge.click();
      const item = byTestId(page, "needs-you-item");
      await item.waitFor({ state: "visible" });
      assert.equal(await item.getAttribute("data-reason"), "prompt");
      assert.equal(await item.getAttribute("data-pane-id"), pane);
      assert.match(await item.textContent(), /main:1 agent.*Do you want to proceed\?/);
      const windowBadge = page.locator('[data-testid="window-item"][data-index="1"] [data-testid="attention-badge"]');
      assert.equal(await windowBadge.getAttribute("data-reason"), "prompt");
      await shot("-drawer");

      // A tap jumps there (this phone only) and offers the quick replies.
      await item.click();
      await waitFor(async () => (await byTestId(page, "title-window").textContent()) === "1: agent", {
        what: "the jump to window 1",
      });
      const replies = byTestId(page, "quick-replies");
      await replies.waitFor({ state: "visible" });
      const labels = await byTestId(page, "quick-reply").allTextContents();
      assert.deepEqual(labels.slice(0, 2), ["1. Yes", "2. No"]);
      assert.ok(labels.includes("Esc") && labels.includes("Ctrl-C"), `${labels}`);
      assert.equal(
        (await sandbox.display("=main:", "#{window_index}")).trim(),
        "0",
        "the user's own session did not move",
      );
      await shot("-quick-replies");

      await page.locator('[data-testid="quick-reply"]', { hasText: "1. Yes" }).click();
      await waitFor(async () => /^answer=1$/m.test(await sandbox.tmux("capture-pane", "-p", "-t", pane)), {
        what: "the reply in the pane",
      });
      // Answered: the row and the badges go.
      await replies.waitFor({ state: "hidden" });
      await titleBadge.waitFor({ state: "hidden" });

      // Page hidden: a bell in another window becomes a notification.
      // Headless Chromium now and then drops a persistent notification
      // right after `showNotification` resolved (see 29-push), so the
      // worker's resolved call for the bell's pane counts too.
      const [worker] = context.serviceWorkers();
      await worker?.evaluate(() => {
        self.__shown = [];
        const show = ServiceWorkerRegistration.prototype.showNotification;
        self.registration.showNotification = (title, options) =>
          show.call(self.registration, title, options).then(() => self.__shown.push(options?.tag));
      });
      await page.evaluate(() => {
        Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
        Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
        document.dispatchEvent(new Event("visibilitychange"));
      });
      const bellPane = (
        await sandbox.tmux("new-window", "-d", "-t", "=main:", "-n", "build", "-P", "-F", "#{pane_id}")
      ).trim();
      await sandbox.tmux("send-keys", "-t", bellPane, "-l", "sleep 0.2; printf 'built\\a\\n'");
      await sandbox.tmux("send-keys", "-t", bellPane, "Enter");
      await waitFor(
        async () =>
          (await page.evaluate(async () => {
            const reg = await navigator.serviceWorker?.getRegistration();
            const shown = reg ? await reg.getNotifications() : [];
            return window.__notes.length + shown.length > 0;
          })) ||
          (await worker?.evaluate((tag) => (self.__shown ?? []).includes(tag), `tmux-mobile-attention-${bellPane}`)),
        { what: "a notification for the bell" },
      );
    },
  ),
);
