// Issue 14, point 3: the overview. A grid of every window of every session
// (the module loads on first use), each tile the last lines of the
// window's active pane, kept fresh while open; an attention badge on the
// window whose program asks something; a tap jumps there (this phone
// only); Back closes it. Portrait 390×844 and landscape 844×390, touch.
// Screenshot: docs/screenshots/overview.png (E2E_UPDATE_SCREENSHOTS=1).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, DOCS_SCREENSHOTS, login } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

/** Runs a script file in `pane` (the typed line does not show its output). */
async function runScript(sandbox, pane, name, script) {
  const path = join(sandbox.dir, name);
  writeFileSync(path, script);
  await sandbox.tmux("send-keys", "-t", pane, "-l", `bash ${path}`);
  await sandbox.tmux("send-keys", "-t", pane, "Enter");
}

const tile = (page, session, index) => page.locator(`[data-testid="overview-tile"][data-session="${session}"][data-window="${index}"]`);
const tileText = async (page, session, index) => (await tile(page, session, index).locator('[data-testid="overview-lines"]').textContent()) ?? "";

test("28 overview: every window's last lines, fresh, badges, tap to jump", { timeout: 240_000 }, () =>
  scenario("28-overview", { before: (sandbox) => sandbox.newSession("main") }, async ({ page, sandbox, app, shot }) => {
    await login(page, app.url, app.password);
    const newWindow = async (session, name) =>
      (await sandbox.tmux("new-window", "-d", "-t", `=${session}:`, "-n", name, "-P", "-F", "#{pane_id}")).trim();
    const agent = await newWindow("main", "agent");
    await runScript(sandbox, agent, "agent.sh", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo \"step $i of the plan\"; done; echo agent-ready\n");
    const asker = await newWindow("main", "claude");
    await runScript(
      sandbox,
      asker,
      "ask.sh",
      "printf 'Bash command\\n\\n  cargo publish\\n\\nDo you want to proceed?\\n\\342\\235\\257 1. Yes\\n  2. No\\n'\nread -r -n 1 answer\n",
    );
    const build = (await sandbox.tmux("new-session", "-d", "-s", "work", "-n", "build", "-P", "-F", "#{pane_id}")).trim();
    await runScript(sandbox, build, "build.sh", "echo compiling; echo build-started\n");

    // The overview module is not part of the first load.
    const chunks = [];
    page.on("request", (r) => chunks.push(new URL(r.url()).pathname));
    await byTestId(page, "overview-button").tap();
    const overview = byTestId(page, "overview");
    await overview.waitFor({ state: "visible" });
    assert.ok(chunks.some((p) => /\/assets\/overview-/.test(p)), `the overview was not loaded on demand: ${chunks}`);

    // Every window of every session: main 0..2, work 0.
    await waitFor(async () => (await byTestId(page, "overview-tile").count()) === 4, { what: "4 tiles" });
    assert.deepEqual(await byTestId(page, "overview-session").allTextContents(), ["main", "work"]);
    await waitFor(async () => /step 15 of the plan\nagent-ready(\n|$)/.test(await tileText(page, "main", 1)), { what: "the agent's last lines" });
    // The last lines only: a tile holds at most 12.
    const agentLines = (await tileText(page, "main", 1)).split("\n");
    assert.ok(agentLines.length <= 12, `${agentLines.length} lines`);
    assert.ok(!agentLines.includes("step 1 of the plan"), "the oldest lines are not in the tile");
    await waitFor(async () => (await tileText(page, "work", 0)).includes("build-started"), { what: "the other session's window" });
    assert.equal(await tile(page, "main", 0).getAttribute("data-current"), "true");

    // The window that asks something carries its badge.
    await waitFor(async () => (await tile(page, "main", 2).getAttribute("data-attention")) === "prompt", { what: "the prompt's badge", timeout: 45_000 });
    assert.equal(await tile(page, "main", 2).locator('[data-testid="attention-badge"]').getAttribute("data-reason"), "prompt");
    await waitFor(async () => (await tileText(page, "main", 2)).includes("Do you want to proceed?"), { what: "the prompt in its tile" });

    // Kept fresh while open: new output in a background window of another session.
    await runScript(sandbox, build, "done.sh", "echo build-finished-ok\n");
    await waitFor(async () => (await tileText(page, "work", 0)).includes("build-finished-ok"), { what: "the fresh output" });
    const path = await shot();
    if (process.env.E2E_UPDATE_SCREENSHOTS === "1") {
      mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SCREENSHOTS, "overview.png"));
    }

    // Landscape: more tiles side by side, all inside the screen.
    await page.setViewportSize({ width: 844, height: 390 });
    await waitFor(
      async () => {
        const xs = await byTestId(page, "overview-tile").evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().left)));
        return new Set(xs).size >= 3;
      },
      { what: "three or more columns in landscape" },
    );
    const widest = await byTestId(page, "overview-tile").evaluateAll((els) => Math.max(...els.map((e) => e.getBoundingClientRect().right)));
    assert.ok(widest <= 844, `a tile reaches past the screen: ${widest}`);
    await shot("-landscape");

    // A tap jumps there, for this phone only.
    await tile(page, "work", 0).tap();
    await overview.waitFor({ state: "hidden" });
    await waitFor(async () => (await byTestId(page, "title-session").textContent()) === "work", { what: "the jump to work" });
    await waitFor(async () => (await byTestId(page, "title-window").textContent()) === "0: build", { what: "window 0: build" });
    assert.equal((await sandbox.display("=main:", "#{window_index}")).trim(), "0", "the user's own session did not move");

    // Back closes it (the app stays); the server stops the tiles.
    await page.setViewportSize({ width: 390, height: 844 });
    await byTestId(page, "overview-button").tap();
    await overview.waitFor({ state: "visible" });
    await waitFor(async () => (await tile(page, "work", 0).getAttribute("data-current")) === "true", { what: "work:0 marked current" });
    await page.goBack();
    await overview.waitFor({ state: "hidden" });
    await byTestId(page, "terminal").waitFor({ state: "visible" });
    assert.equal(await byTestId(page, "overview-tile").count(), 0);
  }),
);
