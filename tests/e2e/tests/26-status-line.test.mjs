// Issue 14 point 5: the phone's tmux status line names the base session,
// as the phone shows it in Chromium: `[api-%d] ` where the grouped
// session's own name read `[tmux-mobi` (the name is taken literally: no
// strftime, no format expansion). A status line the user designed (their
// global `status-left`) is left alone for the next phone, and the user's
// own session never gets our option.
import assert from "node:assert/strict";
import { test } from "node:test";

import { login, phoneContext, termRows, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";

const BASE = "api-%d";
const statusRow = (rows) => rows.filter((r) => r.trim() !== "").at(-1) ?? "";

test("26 status line: the phone's tmux status line names the base session", { timeout: 180_000 }, () =>
  scenario("26-status-line", { before: (sandbox) => sandbox.newSession(BASE) }, async ({ app, browser, page, sandbox, newPage, shot }) => {
    await login(page, app.url, app.password);
    await waitForTerm(page, (rows) => statusRow(rows).startsWith(`[${BASE}] `), { what: `the status line to start with [${BASE}]` });
    const row = statusRow(await termRows(page));
    assert.ok(!row.includes("tmux-mobi"), `the grouped session's name shows: ${row}`);
    assert.match(row, /0:bash\*/, `the window list follows the name: ${row}`);
    await shot();
    // Only our grouped session got the option; the user's session and the
    // global default are untouched.
    assert.equal((await sandbox.tmux("show-options", "-t", `=${BASE}:`, "status-left")).trim(), "");
    assert.equal((await sandbox.tmux("show-options", "-gv", "status-left")).trim(), "[#{session_name}]", "the global default is untouched");

    // The user designs their own status line: the next phone keeps it.
    await sandbox.tmux("set-option", "-g", "status-left", "MINE> ");
    const second = await newPage(await phoneContext(browser));
    await login(second, app.url, app.password);
    await waitForTerm(second, (rows) => statusRow(rows).startsWith("MINE> "), { what: "the user's own status-left" });
    assert.ok(!statusRow(await termRows(second)).includes(`[${BASE}]`));
  }),
);
