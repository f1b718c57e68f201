// Issue 14, point 9: what a walk-through as a new user at 390×844 found,
// each fix checked on the real binary (touch emulation; some parts in
// landscape 844×390). The drawer's own fixes (title names the session,
// drawer closes on a switch, real pane ids) are in 03-drawer, the 44 px
// keys in 12-layout.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attachedSession, byTestId, centerOf, login, rowEquals, runInTerminal, touchInput, waitForPrompt, waitForStatus, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const LANDSCAPE = { viewport: { width: 844, height: 390 } };

test("20 back button closes the drawer, the scrollback and dialogs instead of leaving", { timeout: 180_000 }, () =>
  scenario("20-back-button", {}, async ({ app, page }) => {
    await login(page, app.url, app.password);
    const url = page.url();
    const drawer = byTestId(page, "drawer");
    const back = () => page.evaluate(() => history.back());

    await byTestId(page, "drawer-button").click();
    await waitFor(async () => (await drawer.getAttribute("data-open")) === "true", { what: "drawer open" });
    await back();
    await waitFor(async () => (await drawer.getAttribute("data-open")) === "false", { what: "Back closed the drawer" });

    await byTestId(page, "scroll-button").click();
    await byTestId(page, "scrollback").waitFor({ state: "visible" });
    await back();
    await byTestId(page, "scrollback").waitFor({ state: "hidden" });

    // A dialog on top of the drawer: Back closes the dialog first, then the drawer.
    await byTestId(page, "drawer-button").click();
    await byTestId(page, "new-session").click();
    await byTestId(page, "prompt-dialog").waitFor({ state: "visible" });
    await back();
    await byTestId(page, "prompt-dialog").waitFor({ state: "detached" });
    assert.equal(await drawer.getAttribute("data-open"), "true", "Back closed more than the dialog");
    await back();
    await waitFor(async () => (await drawer.getAttribute("data-open")) === "false", { what: "second Back closed the drawer" });

    // Closing by tap leaves no stale entry: the next Back closes the next overlay.
    await byTestId(page, "drawer-button").click();
    await byTestId(page, "drawer-close").click();
    await byTestId(page, "scroll-button").click();
    await byTestId(page, "scrollback").waitFor({ state: "visible" });
    await byTestId(page, "scrollback-close").click();
    await byTestId(page, "scrollback").waitFor({ state: "hidden" });
    await waitFor(async () => (await page.evaluate(() => history.state?.tmuxMobileOverlay ?? 0)) === 0, { what: "no overlay entry left in history" });
    assert.equal(page.url(), url);
    await waitForStatus(page, "ok");
  }),
);

test("20 scrollback joins wrapped lines and counts lines, not screen rows", { timeout: 180_000 }, () =>
  scenario("20-wrapped-scrollback", { context: { permissions: ["clipboard-read", "clipboard-write"] } }, async ({ app, page }) => {
    await login(page, app.url, app.password);
    // 240 characters: several rows on a 390 px screen (about 50 columns).
    await runInTerminal(page, "printf 'https://example.com/%s\\n' $(printf 'a%.0s' $(seq 1 220)); echo wrap-done");
    await waitForTerm(page, rowEquals("wrap-done"));
    const url = `https://example.com/${"a".repeat(220)}`;
    await byTestId(page, "scroll-button").click();
    const pre = byTestId(page, "scrollback-text");
    await waitFor(async () => (await pre.textContent()).includes("wrap-done"), { what: "the capture" });
    const lines = (await pre.textContent()).split("\n");
    assert.ok(lines.includes(url), `the long URL is not one line: ${JSON.stringify(lines.filter((l) => l.includes("example")))}`);
    const info = await byTestId(page, "scrollback").locator(".scrollback-info").innerText();
    assert.equal(Number(info.match(/(\d+) lines/)?.[1]), lines.length, `count "${info}" is not the number of lines`);
    // Copy (everything) gives the URL whole.
    await byTestId(page, "scrollback-copy").click();
    await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())).split("\n").includes(url), { what: "the whole URL on the clipboard" });
  }),
);

test("20 after the resume grace expired the phone comes back to its window and pane, and says so", { timeout: 240_000 }, () =>
  scenario("20-view-restored", { app: { args: ["--resume-grace", "1"] } }, async ({ app, context, page, sandbox, shot }) => {
    await login(page, app.url, app.password);
    const old = await attachedSession(page);
    await byTestId(page, "drawer-button").click();
    await byTestId(page, "new-window").click();
    await waitFor(async () => (await sandbox.display(`=${old}:`, "#{window_index}")) === "1", { what: "window 1 active" });
    await byTestId(page, "drawer-close").click();
    await waitFor(async () => (await byTestId(page, "title").getAttribute("data-window")) === "1", { what: "title on window 1" });

    // Offline for longer than the grace: the server drops the client and its session.
    await context.setOffline(true);
    await waitFor(async () => !(await sandbox.tmux("list-sessions", "-F", "#{session_name}")).split("\n").includes(old), {
      what: "the old grouped session removed after the grace",
    });
    await context.setOffline(false);
    await waitForStatus(page, "ok", { timeout: 60_000 });
    const fresh = await attachedSession(page);
    assert.notEqual(fresh, old, "the client resumed: the grace did not expire");
    await waitFor(async () => (await sandbox.display(`=${fresh}:`, "#{window_index}")) === "1", { what: "the new client back on window 1" });
    await waitFor(async () => (await byTestId(page, "title").getAttribute("data-window")) === "1", { what: "title back on window 1" });
    const toasts = await byTestId(page, "toast").allInnerTexts();
    assert.ok(toasts.some((t) => /expired/i.test(t) && /window 1/.test(t)), `nothing said the old connection expired: ${JSON.stringify(toasts)}`);
    await shot();
  }),
);

test("20 split in landscape with sticky zoom zooms the new pane and says pane 2/2", { timeout: 180_000 }, () =>
  scenario("20-split-sticky-zoom", { context: LANDSCAPE }, async ({ app, page, sandbox, shot }) => {
    await login(page, app.url, app.password);
    const session = await attachedSession(page);
    await byTestId(page, "drawer-button").click();
    const sticky = byTestId(page, "sticky-zoom");
    if ((await sticky.getAttribute("data-on")) !== "true") await sticky.click();
    assert.match(await byTestId(page, "split-h").innerText(), /side by side/i);
    assert.match(await byTestId(page, "split-v").innerText(), /top/i);
    await byTestId(page, "split-h").click();
    await waitFor(async () => (await sandbox.display(`=${session}:`, "#{window_panes} #{window_zoomed_flag}")) === "2 1", {
      what: "two panes, zoomed",
    });
    const active = await sandbox.display(`=${session}:`, "#{pane_id}");
    const panes = (await sandbox.tmux("list-panes", "-t", `=${session}:`, "-F", "#{pane_id}")).trim().split("\n");
    assert.equal(active, panes[1], "the zoomed pane is not the new one");
    const zoom = byTestId(page, "zoom-button");
    await waitFor(async () => (await zoom.innerText()).trim() === "Pane 2/2", { what: 'zoom indicator "Pane 2/2"' });
    assert.equal(await byTestId(page, "drawer").getAttribute("data-open"), "false", "the drawer stayed over the new pane");
    await shot();
  }),
);

test("20 swipe on the live terminal scrolls the pane's history; typing returns to live", { timeout: 180_000 }, () =>
  scenario("20-swipe-scroll", {}, async ({ app, page, sandbox }) => {
    await login(page, app.url, app.password);
    const session = await attachedSession(page);
    await runInTerminal(page, "seq 1 400; echo seq-done");
    await waitForTerm(page, rowEquals("seq-done"));
    const t = await touchInput(page);
    const { x, box } = await centerOf(page, "terminal");
    // Finger down the screen = back in history.
    await t.swipe(x, box.y + 60, x, box.y + box.height - 60);
    await waitFor(async () => (await sandbox.display(`=${session}:`, "#{pane_in_mode} #{scroll_position}")).match(/^1 ([1-9]\d*)$/), {
      what: "the pane in copy mode, scrolled back",
    });
    await byTestId(page, "live-button").waitFor({ state: "visible" });
    await waitForTerm(page, (rows) => !rows.some((r) => r === "seq-done"), { what: "older lines on screen" });
    // Typing goes to the shell again, not to copy mode.
    await runInTerminal(page, "echo live-$((6*7))");
    await waitForTerm(page, rowEquals("live-42"));
    assert.equal(await sandbox.display(`=${session}:`, "#{pane_in_mode}"), "0");
    assert.equal(await byTestId(page, "live-button").isVisible(), false);
  }),
);

test("20 not-connected feedback stays off the retry banner and goes when connected", { timeout: 180_000 }, () =>
  scenario("20-reconnect-toast", {}, async ({ app, context, page }) => {
    await login(page, app.url, app.password);
    await context.setOffline(true);
    const banner = byTestId(page, "connection-banner");
    await banner.waitFor({ state: "visible" });
    await byTestId(page, "key-esc").tap();
    await byTestId(page, "key-tab").tap();
    await waitFor(async () => (await banner.getAttribute("class")).includes("flash"), { what: "the banner to flash" });
    const covering = await page.evaluate(() => {
      const b = document.querySelector('[data-testid="connection-banner"]').getBoundingClientRect();
      return Array.from(document.querySelectorAll('[data-testid="toast"]')).some((t) => {
        const r = t.getBoundingClientRect();
        return r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top;
      });
    });
    assert.equal(covering, false, "a toast covers the tap-to-retry banner");
    await context.setOffline(false);
    await waitForStatus(page, "ok", { timeout: 60_000 });
    await waitForPrompt(page);
    const left = await byTestId(page, "toast").allInnerTexts();
    assert.ok(!left.some((t) => t.includes("Not connected")), `a stale toast after reconnecting: ${JSON.stringify(left)}`);
  }),
);
