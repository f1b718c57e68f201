// Issue 6, test 3: the drawer. `+ New Window` adds a window to the list and
// the title follows; selecting a window and a pane changes tmux's active
// window/pane (asserted with the tmux CLI); Split H / Split V / Close Pane /
// Kill Window (with confirmation) change tmux state; `+ New Session` through
// the in-app dialog.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attachedSession, byTestId, login } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

/** [{index, active, name}] of a session's windows, from tmux. */
async function windows(sandbox, session) {
  const out = await sandbox.tmux("list-windows", "-t", `=${session}`, "-F", "#{window_index} #{window_active} #{window_name}");
  return out
    .trim()
    .split("\n")
    .map((l) => {
      const [index, active, ...name] = l.split(" ");
      return { index: Number(index), active: active === "1", name: name.join(" ") };
    });
}

/** [{id, active}] of the panes of a session's current window, from tmux. */
async function panes(sandbox, session) {
  const out = await sandbox.tmux("list-panes", "-t", `=${session}:`, "-F", "#{pane_id} #{pane_active}");
  return out
    .trim()
    .split("\n")
    .map((l) => {
      const [id, active] = l.split(" ");
      return { id, active: active === "1" };
    });
}

const activeIndex = async (sandbox, s) => (await windows(sandbox, s)).find((w) => w.active)?.index;

test("03 drawer: windows, panes, splits, kill with confirmation, new session", { timeout: 300_000 }, () =>
  scenario("03-drawer", {}, async ({ app, page, sandbox, shot }) => {
    await login(page, app.url, app.password);
    const session = await attachedSession(page);
    const drawer = byTestId(page, "drawer");
    const title = byTestId(page, "title");

    await byTestId(page, "drawer-button").click();
    await waitFor(async () => (await drawer.getAttribute("data-open")) === "true", { what: "drawer open" });
    await waitFor(async () => (await byTestId(page, "window-item").count()) === 1, { what: "one window listed" });

    // + New Window: tmux gets a window, the list shows it, the title follows.
    await byTestId(page, "new-window").click();
    await waitFor(async () => (await windows(sandbox, session)).length === 2, { what: "tmux has 2 windows" });
    await waitFor(async () => (await byTestId(page, "window-item").count()) === 2, { what: "two windows listed" });
    const w1 = (await windows(sandbox, session)).find((w) => w.active);
    assert.equal(w1.index, 1, "the new window is active in the client's session");
    // The title names the session and the window.
    await waitFor(async () => (await byTestId(page, "title-window").innerText()).trim() === `${w1.index}: ${w1.name}`, {
      what: `title "${w1.index}: ${w1.name}"`,
    });
    assert.equal((await byTestId(page, "title-session").innerText()).trim(), "main", "the title names the session");
    await waitFor(async () => (await page.locator('[data-testid="window-item"][data-active="true"]').getAttribute("data-index")) === "1", {
      what: "window 1 marked active",
    });

    // Select window 0 in the drawer: tmux's active window changes, the drawer closes.
    await page.locator('[data-testid="window-item"][data-index="0"]').click();
    await waitFor(async () => (await activeIndex(sandbox, session)) === 0, { what: "tmux active window 0" });
    await waitFor(async () => (await title.getAttribute("data-window")) === "0", { what: "title shows window 0" });
    await waitFor(async () => (await drawer.getAttribute("data-open")) === "false", { what: "the drawer closed after the switch" });
    await byTestId(page, "drawer-button").click();
    // Sticky zoom (on by default at 390 px) would zoom each new pane: this part checks the layout.
    if ((await byTestId(page, "sticky-zoom").getAttribute("data-on")) === "true") await byTestId(page, "sticky-zoom").click();

    // Split H, then Split V: tmux's pane count grows.
    await byTestId(page, "split-h").click();
    await waitFor(async () => (await panes(sandbox, session)).length === 2, { what: "2 panes after Split H" });
    await byTestId(page, "split-v").click();
    await waitFor(async () => (await panes(sandbox, session)).length === 3, { what: "3 panes after Split V" });
    await waitFor(async () => (await byTestId(page, "pane-item").count()) === 3, { what: "three panes listed" });
    const layout = (await sandbox.display(`=${session}:`, "#{window_layout}")).trim();
    assert.match(layout, /\{.*\[|\[.*\{/, `layout has both a horizontal and a vertical split: ${layout}`);

    // Select another pane: tmux's active pane changes.
    const before = await panes(sandbox, session);
    const target = before.find((p) => !p.active);
    // Pane rows show tmux's real pane ids.
    for (const p of before) assert.match(await page.locator(`[data-testid="pane-item"][data-pane-id="${p.id}"]`).innerText(), new RegExp(`${p.id}\\b`));
    await page.locator(`[data-testid="pane-item"][data-pane-id="${target.id}"]`).click();
    await waitFor(async () => (await panes(sandbox, session)).find((p) => p.active)?.id === target.id, {
      what: `tmux active pane ${target.id}`,
    });
    await waitFor(async () => (await drawer.getAttribute("data-open")) === "false", { what: "the drawer closed after the pane switch" });
    await byTestId(page, "drawer-button").click();
    await waitFor(async () => (await page.locator(`[data-testid="pane-item"][data-pane-id="${target.id}"]`).getAttribute("data-active")) === "true", {
      what: "the pane marked active in the drawer",
    });

    // Close Pane asks first; Cancel keeps it, OK closes it.
    await byTestId(page, "close-pane").click();
    await byTestId(page, "confirm-dialog").waitFor({ state: "visible" });
    await byTestId(page, "confirm-cancel").click();
    await byTestId(page, "confirm-dialog").waitFor({ state: "detached" });
    assert.equal((await panes(sandbox, session)).length, 3, "Cancel closed the pane anyway");
    await byTestId(page, "close-pane").click();
    await byTestId(page, "confirm-ok").click();
    await waitFor(async () => (await panes(sandbox, session)).length === 2, { what: "2 panes after Close Pane" });
    assert.ok(!(await panes(sandbox, session)).some((p) => p.id === target.id), "the closed pane is still there");
    await waitFor(async () => (await byTestId(page, "pane-item").count()) === 2, { what: "two panes listed" });

    // Kill Window asks first; OK kills the current window (0).
    if ((await drawer.getAttribute("data-open")) !== "true") await byTestId(page, "drawer-button").click();
    await byTestId(page, "kill-window").click();
    await byTestId(page, "confirm-dialog").waitFor({ state: "visible" });
    await byTestId(page, "confirm-ok").click();
    await waitFor(async () => (await windows(sandbox, session)).map((w) => w.index).join(",") === "1", {
      what: "only window 1 left in tmux",
    });
    await waitFor(async () => (await byTestId(page, "window-item").count()) === 1, { what: "one window listed" });
    await waitFor(async () => (await title.getAttribute("data-window")) === "1", { what: "title follows to window 1" });

    // + New Session through the in-app dialog (never window.prompt).
    page.on("dialog", (d) => {
      throw new Error(`native ${d.type()} dialog opened: ${d.message()}`);
    });
    if ((await drawer.getAttribute("data-open")) !== "true") await byTestId(page, "drawer-button").click();
    await byTestId(page, "new-session").click();
    await byTestId(page, "prompt-dialog").waitFor({ state: "visible" });
    await byTestId(page, "prompt-input").fill("e2e-new");
    await byTestId(page, "prompt-ok").click();
    await waitFor(
      async () => {
        try {
          await sandbox.tmux("has-session", "-t", "=e2e-new");
          return true;
        } catch {
          return false;
        }
      },
      { what: "tmux session e2e-new" },
    );
    if ((await drawer.getAttribute("data-open")) !== "true") await byTestId(page, "drawer-button").click();
    await page.locator('[data-testid="session-item"][data-name="e2e-new"]').waitFor({ state: "visible" });
    await shot();
  }),
);
