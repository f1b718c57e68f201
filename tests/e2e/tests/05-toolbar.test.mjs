// Issue 6, test 5: every toolbar key of UI.md sends its exact bytes;
// sticky modifiers apply to one key, locked ones to several and turn off on
// the third tap; Ctrl with a letter typed on the soft keyboard sends the
// control code.
//
// Each key is checked twice:
// - the bytes the page sends on /ws/terminal (exactly UI.md's sequence), and
// - the bytes a program in the pane reads (fixtures/byte-dumper.cjs, which
//   puts the tty in raw mode and writes the hex of what it reads to a file).
// tmux sits between the two and re-encodes a few keys for the pane: Home
// (`\x1b[H`) arrives as `\x1b[1~`, End (`\x1b[F`) as `\x1b[4~` (tmux 3.3's
// output for the Home/End keys), and ^B is tmux's prefix, so ^B ^B
// (send-prefix) delivers one `\x02`. Everything else passes unchanged.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";

import { byTestId, focusTerminal, login, recordSockets, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

const DUMPER = resolve(import.meta.dirname, "../fixtures/byte-dumper.cjs");
const hex = (s) => Buffer.from(s, "latin1").toString("hex");

test("05 toolbar keys send exact bytes; sticky/locked modifiers; Ctrl + soft-keyboard letter", { timeout: 400_000 }, () =>
  scenario(
    "05-toolbar",
    { context: { permissions: ["clipboard-read", "clipboard-write"] } },
    async ({ app, page, sandbox, shot }) => {
      const rec = recordSockets(page);
      await login(page, app.url, app.password);

      const out = join(sandbox.dir, "bytes.hex");
      await runInTerminal(page, `${process.execPath} ${DUMPER} ${out}`);
      await waitForTerm(page, /DUMPER-READY/, { what: "the byte dumper to start" });

      const key = (id) => byTestId(page, `key-${id}`);
      const tap = (id) => key(id).tap();
      const modState = (id) => key(id).getAttribute("data-state");
      const dumped = () => readFileSync(out, "utf8");

      let sentMark = rec.terminalHex().length;
      let paneMark = dumped().length;

      /**
       * Runs `action`, then checks that the page sent exactly `browser` (a
       * latin1 string) and that the pane read exactly `pane` (default: the same).
       */
      const expectBytes = async (label, action, browser, pane = browser) => {
        await action();
        const wantSent = hex(browser);
        const wantPane = hex(pane);
        let sent = "";
        await waitFor(
          () => {
            sent = rec.terminalHex().slice(sentMark);
            return sent.length >= wantSent.length;
          },
          { what: `${label}: page to send ${wantSent}` },
        ).catch((e) => {
          throw new Error(`${e.message}; sent so far: "${sent}"`);
        });
        let got = "";
        await waitFor(
          () => {
            got = dumped().slice(paneMark);
            return got.length >= wantPane.length;
          },
          { what: `${label}: pane to read ${wantPane}` },
        ).catch((e) => {
          throw new Error(`${e.message}; read so far: "${got}"`);
        });
        // Give stray extra bytes a moment to show up before comparing exactly.
        await sleep(150);
        sent = rec.terminalHex().slice(sentMark);
        got = dumped().slice(paneMark);
        assert.equal(sent, wantSent, `${label}: bytes the page sent`);
        assert.equal(got, wantPane, `${label}: bytes the pane read`);
        sentMark = rec.terminalHex().length;
        paneMark = dumped().length;
      };

      // The two main rows.
      await expectBytes("Esc", () => tap("esc"), "\x1b");
      await expectBytes("/", () => tap("slash"), "/");
      await expectBytes("@", () => tap("at"), "@");
      await expectBytes("↑", () => tap("up"), "\x1b[A");
      await expectBytes("^C", () => tap("ctrl-c"), "\x03");
      await expectBytes("^B ^B", async () => {
        await tap("ctrl-b");
        await tap("ctrl-b");
      }, "\x02\x02", "\x02");
      await expectBytes("^R", () => tap("ctrl-r"), "\x12");
      await expectBytes("Tab", () => tap("tab"), "\t");
      await expectBytes("Enter", () => tap("enter"), "\r");
      await expectBytes("←", () => tap("left"), "\x1b[D");
      await expectBytes("↓", () => tap("down"), "\x1b[B");
      await expectBytes("→", () => tap("right"), "\x1b[C");

      // "More" shows the More rows (and sends nothing).
      assert.equal(await key("ctrl-d").isVisible(), false, "More rows visible before tapping More");
      await tap("more");
      await key("ctrl-d").waitFor({ state: "visible" });
      await expectBytes("Home", () => tap("home"), "\x1b[H", "\x1b[1~");
      await expectBytes("End", () => tap("end"), "\x1b[F", "\x1b[4~");
      await expectBytes("^D", () => tap("ctrl-d"), "\x04");
      await expectBytes("^L", () => tap("ctrl-l"), "\x0c");
      await expectBytes("Del", () => tap("del"), "\x1b[3~");
      await expectBytes("Insert", () => tap("insert"), "\x1b[2~");
      await expectBytes("PgUp", () => tap("pgup"), "\x1b[5~");
      await expectBytes("PgDn", () => tap("pgdn"), "\x1b[6~");
      await expectBytes("Backspace", () => tap("backspace"), "\x7f");

      // F-Keys shows F1–F12 (and sends nothing).
      await tap("fkeys");
      await key("f1").waitFor({ state: "visible" });
      const fkeys = ["\x1bOP", "\x1bOQ", "\x1bOR", "\x1bOS", "\x1b[15~", "\x1b[17~", "\x1b[18~", "\x1b[19~", "\x1b[20~", "\x1b[21~", "\x1b[23~", "\x1b[24~"];
      for (const [i, seq] of fkeys.entries()) await expectBytes(`F${i + 1}`, () => tap(`f${i + 1}`), seq);

      // Paste sends the clipboard text.
      await page.evaluate(() => navigator.clipboard.writeText("pasted-text"));
      await expectBytes("Paste", () => tap("paste"), "pasted-text");

      // CapsLk: upper-case letters typed on the soft keyboard until tapped again.
      await tap("capslock");
      assert.equal(await modState("capslock"), "locked");
      await expectBytes("CapsLk + a", async () => {
        await focusTerminal(page);
        await page.keyboard.insertText("a");
      }, "A");
      await tap("capslock");
      assert.equal(await modState("capslock"), "off");
      await expectBytes("a after CapsLk off", async () => {
        await focusTerminal(page);
        await page.keyboard.insertText("a");
      }, "a");

      // Sticky Ctrl: applies to the next key only.
      await tap("ctrl");
      assert.equal(await modState("ctrl"), "sticky");
      await expectBytes("sticky Ctrl + ↑", () => tap("up"), "\x1b[1;5A");
      assert.equal(await modState("ctrl"), "off", "sticky Ctrl still on after one key");
      await expectBytes("↑ after sticky Ctrl", () => tap("up"), "\x1b[A");

      // Ctrl + a letter typed on the soft keyboard: the control code.
      await tap("ctrl");
      await expectBytes("Ctrl + soft-keyboard c", async () => {
        await focusTerminal(page);
        await page.keyboard.insertText("c");
      }, "\x03");
      assert.equal(await modState("ctrl"), "off");

      // A second tap later than 300 ms turns a sticky modifier off (no lock).
      await tap("ctrl");
      await sleep(450);
      await tap("ctrl");
      assert.equal(await modState("ctrl"), "off", "a slow second tap must not lock");

      // Locked Ctrl (double tap within 300 ms, dispatched in-page so CDP latency
      // on a loaded machine cannot stretch it): applies to several keys.
      await page.evaluate(() => {
        const b = document.querySelector('[data-testid="key-ctrl"]');
        b.click();
        b.click();
      });
      assert.equal(await modState("ctrl"), "locked");
      await expectBytes("locked Ctrl + ←", () => tap("left"), "\x1b[1;5D");
      await expectBytes("locked Ctrl + ← again", () => tap("left"), "\x1b[1;5D");
      await expectBytes("locked Ctrl + soft-keyboard a", async () => {
        await focusTerminal(page);
        await page.keyboard.insertText("a");
      }, "\x01");
      assert.equal(await modState("ctrl"), "locked");
      await tap("ctrl"); // third tap
      assert.equal(await modState("ctrl"), "off", "the third tap turns Ctrl off");
      await expectBytes("← after Ctrl off", () => tap("left"), "\x1b[D");

      // Alt (tmux's one Meta modifier) prefixes ESC; Shift: Shift+Tab and upper case.
      await tap("alt");
      assert.equal(await modState("alt"), "sticky");
      await expectBytes("Alt + /", () => tap("slash"), "\x1b/");
      await expectBytes("/ after sticky Alt", () => tap("slash"), "/");
      await tap("alt");
      await expectBytes("Alt + @", () => tap("at"), "\x1b@");
      await tap("alt");
      await expectBytes("Alt + soft-keyboard x", async () => {
        await focusTerminal(page);
        await page.keyboard.insertText("x");
      }, "\x1bx");
      await tap("shift");
      assert.equal(await modState("shift"), "sticky");
      await expectBytes("Shift + Tab", () => tap("tab"), "\x1b[Z");
      await tap("shift");
      await expectBytes("Shift + soft-keyboard q", async () => {
        await focusTerminal(page);
        await page.keyboard.insertText("q");
      }, "Q");
      for (const m of ["ctrl", "alt", "shift"]) assert.equal(await modState(m), "off", `${m} left on`);

      await shot();
    },
  ),
);
