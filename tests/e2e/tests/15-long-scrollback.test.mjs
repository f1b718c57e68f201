// Issue 15, point 1: a history too long for one 256 KiB message reaches the
// scrollback viewer as several streamed `scrollback` parts (offset/done),
// which the page joins into the whole text, first line to last.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, login, rowEquals, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const TOTAL = 20000;
const PART_BYTES = 256 * 1024;

test("15 long scrollback: streamed parts joined in the viewer", { timeout: 240_000 }, () =>
  scenario(
    "15-long-scrollback",
    {
      // The tmux server the app starts reads ~/.tmux.conf: room for the history.
      before: async (sandbox) => writeFileSync(join(sandbox.home, ".tmux.conf"), "set -g history-limit 30000\n"),
      app: { args: ["--scrollback", "25000"] },
    },
    async ({ app, page }) => {
      const parts = [];
      page.on("websocket", (ws) => {
        if (new URL(ws.url()).pathname !== "/ws/control") return;
        ws.on("framereceived", ({ payload }) => {
          const text = typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8");
          if (!text.startsWith('{"type":"scrollback"')) return;
          const msg = JSON.parse(text);
          parts.push({ size: Buffer.byteLength(text), offset: msg.offset, done: msg.done });
        });
      });
      await login(page, app.url, app.password);
      // 20000 lines of 33 characters: about 660 KB, three parts or more.
      await runInTerminal(page, `seq -f 'row-%06g-abcdefghijklmnopqrstu' 1 ${TOTAL}; echo seq-done`);
      await waitForTerm(page, rowEquals("seq-done"), { timeout: 120_000 });

      await byTestId(page, "scroll-button").click();
      const pre = byTestId(page, "scrollback-text");
      await waitFor(async () => (await pre.textContent()).includes("seq-done"), { what: "the whole history in the viewer", timeout: 60_000 });
      const rows = Array.from((await pre.textContent()).matchAll(/^row-(\d{6})-abcdefghijklmnopqrstu$/gm), (m) => Number(m[1]));
      assert.equal(rows.length, TOTAL, `rows in the viewer: ${rows.length}`);
      rows.forEach((n, i) => assert.equal(n, i + 1, `row ${i + 1} is ${n}`));
      assert.match(await byTestId(page, "scrollback").textContent(), /\d+ lines/);

      assert.ok(parts.length >= 3, `${parts.length} scrollback parts`);
      assert.equal(parts[0].offset, 0);
      assert.equal(parts.at(-1).done, true);
      assert.ok(parts.slice(0, -1).every((p) => p.done === false), "only the last part is done");
      assert.ok(parts.every((p) => p.size <= PART_BYTES), `part sizes ${parts.map((p) => p.size)}`);
    },
  ),
);
