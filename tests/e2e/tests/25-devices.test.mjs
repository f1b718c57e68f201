// Issue 14 point 8: a link that survives a restart, and the devices list.
// With `--token-file` the token and the remembered devices are kept across
// a restart: the open page and a home-screen shortcut (the app opened on
// `/`, no token in the URL) come back without the password, although the
// restarted server has a new generated password. In the drawer the owner
// sees the remembered devices (this one, the other, read-only or not) and
// revokes the other: that browser is disconnected at once and asked for
// the password; with the password it is back.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, DOCS_SCREENSHOTS, login, phoneContext, rowEquals, runInTerminal, waitForPrompt, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

test("25 devices: --token-file link survives a restart; the owner lists and revokes devices", { timeout: 300_000 }, () =>
  scenario("25-devices", { app: false }, async ({ browser, page, sandbox, shot, startApp, newPage }) => {
    const tokenFile = join(sandbox.dir, "token");
    const args = ["--token-file", tokenFile];
    const app = await startApp({ password: null, args });
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, "the token file is private");

    // Two devices log in with the password: this phone and another one.
    await login(page, app.url, app.password);
    const otherContext = await phoneContext(browser);
    const other = await newPage(otherContext);
    await login(other, app.url, app.password);

    // Restart on the same port: same link, a new generated password.
    const port = app.port;
    await app.stop();
    await waitForStatus(page, "reconnecting");
    const app2 = await startApp({ port, password: null, args });
    assert.equal(app2.token, app.token, "the link survived the restart");
    assert.notEqual(app2.password, app.password, "the password is never stored");

    // Both pages come back by themselves; nobody is asked for the password.
    for (const p of [page, other]) {
      await waitForStatus(p, "ok", { timeout: 90_000 });
      assert.equal(await byTestId(p, "password-form").isVisible(), false, "asked for the password after the restart");
    }
    // A home-screen shortcut opens `/` without the token: it works too.
    const shortcut = await newPage(page.context());
    await shortcut.goto(`${app2.baseUrl}/`);
    await waitForStatus(shortcut, "ok", { timeout: 60_000 });
    assert.equal(await byTestId(shortcut, "password-form").isVisible(), false, "the shortcut asked for the password");
    await waitForPrompt(shortcut);
    await runInTerminal(shortcut, "echo shortcut-$((40+2))");
    await waitForTerm(shortcut, rowEquals("shortcut-42"));
    await shortcut.close();

    // The drawer lists the remembered devices.
    await byTestId(page, "drawer-button").click();
    const items = byTestId(page, "device-item");
    await waitFor(async () => (await items.count()) === 2, { what: "two remembered devices listed" });
    const mine = page.locator('[data-testid="device-item"][data-current="true"]');
    assert.equal(await mine.count(), 1, "this device is marked");
    assert.match(await mine.innerText(), /this device/);
    assert.match(await mine.innerText(), /Chrome/, "the device is named after its browser");
    const theirs = page.locator('[data-testid="device-item"][data-current="false"]');
    assert.equal(await theirs.getAttribute("data-read-only"), "false");
    assert.match(await theirs.innerText(), /online/);
    await byTestId(page, "devices").scrollIntoViewIfNeeded();
    const path = await shot("-drawer");
    if (process.env.E2E_UPDATE_SCREENSHOTS === "1") {
      mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SCREENSHOTS, "devices.png"));
    }

    // Revoke the other device: a confirmation, then it is signed out.
    await theirs.locator('[data-testid="device-revoke"]').click();
    await byTestId(page, "confirm-ok").click();
    await waitFor(async () => (await items.count()) === 1, { what: "the revoked device left the list" });
    const error = byTestId(other, "password-error");
    await error.waitFor({ state: "visible", timeout: 30_000 });
    assert.match(await error.innerText(), /signed out/);
    assert.equal(await other.evaluate(() => localStorage.getItem("tmux-mobile-session-key")), null, "the revoked key is still stored");
    // A reload does not get it back in.
    await other.reload();
    await byTestId(other, "password-form").waitFor({ state: "visible" });
    // The password brings it back, as a new device.
    await byTestId(other, "password-input").fill(app2.password);
    await byTestId(other, "password-submit").click();
    await waitForStatus(other, "ok");
    await waitForPrompt(other);
    await byTestId(page, "drawer-close").click();
    await byTestId(page, "drawer-button").click();
    await waitFor(async () => (await items.count()) === 2, { what: "the device is back after the password" });

    // This phone was never disturbed.
    await byTestId(page, "drawer-close").click();
    await runInTerminal(page, "echo owner-$((6*7))");
    await waitForTerm(page, rowEquals("owner-42"));
  }),
);
