// Issue 6, test 2: remembered credential. After a login, a reload asks for
// nothing; a revoked/invalid remembered credential brings the prompt back
// with the error; the token is gone from the address bar after load; the
// plaintext password is nowhere in localStorage (nor sessionStorage).
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, rowEquals, runInTerminal, waitForPrompt, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";

const SESSION_KEY = "tmux-mobile-session-key";

const storageDump = (page) =>
  page.evaluate(() => {
    const all = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => s.key(i)).map((k) => [k, s.getItem(k)]));
    return { local: all(localStorage), session: all(sessionStorage) };
  });

test("02 remembered credential: reload, revoked key, token hygiene, no plaintext password", { timeout: 240_000 }, () =>
  scenario("02-remembered", {}, async ({ app, page, shot }) => {
    // The token is removed from the address bar as soon as the page has it
    // (already at the password prompt) and stays away.
    await page.goto(app.url);
    await byTestId(page, "password-form").waitFor({ state: "visible" });
    assert.ok(!page.url().includes("token="), `address bar still shows the token: ${page.url()}`);
    assert.ok(!page.url().includes(app.token), "address bar still contains the token value");
    await byTestId(page, "password-input").fill(app.password);
    await byTestId(page, "password-submit").click();
    await waitForStatus(page, "ok");
    await waitForPrompt(page);
    assert.ok(!page.url().includes(app.token), "address bar contains the token value after login");

    // What is remembered is the server-issued key, never the password.
    let stored = await storageDump(page);
    const key = stored.local[SESSION_KEY];
    assert.ok(key, `localStorage has no ${SESSION_KEY}: ${JSON.stringify(Object.keys(stored.local))}`);
    assert.notEqual(key, app.password);
    for (const [area, entries] of Object.entries(stored)) {
      for (const [k, v] of Object.entries(entries)) {
        assert.ok(!String(v).includes(app.password), `${area}Storage[${k}] contains the plaintext password`);
      }
    }

    // Reload: no prompt, straight back to a working terminal.
    await page.reload();
    await waitForStatus(page, "ok");
    assert.equal(await byTestId(page, "password-form").isVisible(), false, "reload asked for the password again");
    await waitForPrompt(page);
    await runInTerminal(page, "echo reload-$((20+1))");
    await waitForTerm(page, rowEquals("reload-21"));
    assert.ok(!page.url().includes("token="));

    // A revoked/invalid remembered key: the prompt comes back with the error.
    await page.evaluate((k) => localStorage.setItem(k, "AAAAAAAAAAAAAAAAAAAAAA"), SESSION_KEY);
    await page.reload();
    await byTestId(page, "password-form").waitFor({ state: "visible" });
    const error = byTestId(page, "password-error");
    await error.waitFor({ state: "visible" });
    assert.equal((await error.innerText()).trim(), "Wrong password. Try again.");
    await shot("-revoked");
    stored = await storageDump(page);
    assert.notEqual(stored.local[SESSION_KEY], "AAAAAAAAAAAAAAAAAAAAAA", "the rejected key is still remembered");

    // The right password works again and issues a fresh key.
    await byTestId(page, "password-input").fill(app.password);
    await byTestId(page, "password-submit").click();
    await waitForStatus(page, "ok");
    await waitForPrompt(page);
    stored = await storageDump(page);
    assert.ok(stored.local[SESSION_KEY] && stored.local[SESSION_KEY] !== key, "no fresh session key after the new login");
    for (const [area, entries] of Object.entries(stored)) {
      for (const [k, v] of Object.entries(entries)) {
        assert.ok(!String(v).includes(app.password), `${area}Storage[${k}] contains the plaintext password`);
      }
    }
    await shot();
  }),
);
