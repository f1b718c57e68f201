// Issue 6, test 9: reconnect.
// (a) The page goes offline (DevTools network emulation) for 5 s and comes
//     back: the status shows `reconnecting`, then the same grouped session is
//     back (same window focus) and typing works.
// (b) The server process restarts on the same port with the same password:
//     while it is down the status shows `reconnecting`. The app prints a new
//     token on every start (there is no way to keep it), so the old link is
//     no longer valid: the page must say so clearly (the `fatal-error` card),
//     and the new link must work, asking only for the password (session keys
//     live in server memory and die with the process). If the restarted
//     server keeps the token, the page must come back by itself without
//     asking for anything.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attachedSession, byTestId, login, rowEquals, runInTerminal, statusState, waitForPrompt, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

// Browser clients' grouped sessions. (Older versions also had helper
// sessions with `~` in their names, which no client id contains; they are
// still left out.)
const managedSessions = async (sandbox) =>
  (await sandbox.tmux("list-sessions", "-F", "#{session_name}"))
    .trim()
    .split("\n")
    .filter((n) => n.startsWith("tmux-mobile-client-") && !n.includes("~"))
    .sort();

test("09 reconnect after 5 s offline and after a server restart", { timeout: 360_000 }, () =>
  scenario("09-reconnect", {}, async ({ app, context, page, sandbox, shot, startApp }) => {
    await login(page, app.url, app.password);
    const session = await attachedSession(page);

    // Give the client a window focus that differs from the base session's.
    await byTestId(page, "drawer-button").click();
    await byTestId(page, "new-window").click();
    await waitFor(async () => (await sandbox.display(`=${session}:`, "#{window_index}")) === "1", { what: "window 1 active" });
    await byTestId(page, "drawer-close").click();
    assert.equal(await sandbox.display("=main:", "#{window_index}"), "0", "the base session kept window 0");
    await waitFor(async () => (await byTestId(page, "title").getAttribute("data-window")) === "1", { what: "title on window 1" });
    await waitForPrompt(page);

    // (a) Offline for 5 s.
    const managedBefore = await managedSessions(sandbox);
    assert.ok(managedBefore.includes(session));
    await context.setOffline(true);
    await waitForStatus(page, "reconnecting");
    await sleep(5000);
    assert.equal(await statusState(page), "reconnecting", "status left reconnecting while offline");
    await shot("-offline");
    await context.setOffline(false);
    await waitForStatus(page, "ok", { timeout: 60_000 });

    assert.equal(await attachedSession(page), session, "a new client instead of the resumed one");
    assert.deepEqual(await managedSessions(sandbox), managedBefore, "resuming changed the server's grouped sessions");
    assert.equal(await sandbox.display(`=${session}:`, "#{window_index}"), "1", "window focus lost");
    await waitFor(async () => (await byTestId(page, "title").getAttribute("data-window")) === "1", { what: "title on window 1" });
    await runInTerminal(page, "echo back-$((4+5))");
    await waitForTerm(page, rowEquals("back-9"));

    // (b) Server restart on the same port with the same password.
    const port = app.port;
    await app.stop();
    await waitForStatus(page, "reconnecting");
    const app2 = await startApp({ port, password: app.password });
    assert.equal(app2.port, port);

    if (app2.token === app.token) {
      // Same credentials: the page comes back by itself and asks for nothing.
      await waitForStatus(page, "ok", { timeout: 90_000 });
      assert.equal(await byTestId(page, "password-form").isVisible(), false, "asked for the password again");
      await runInTerminal(page, "echo restarted-$((5+5))");
      await waitForTerm(page, rowEquals("restarted-10"));
    } else {
      // New token: the old link is dead and the page says so.
      const card = byTestId(page, "fatal-error");
      await card.waitFor({ state: "visible", timeout: 90_000 });
      assert.match(await card.innerText(), /\S/);
      await shot("-old-link");
      // The new link works; only the password is asked for.
      await login(page, app2.url, app2.password);
      await runInTerminal(page, "echo restarted-$((5+5))");
      await waitForTerm(page, rowEquals("restarted-10"));
      assert.equal(await sandbox.display("=main:", "#{session_windows}"), "2", "the base session lost its windows");
    }
    await shot();
  }),
);
