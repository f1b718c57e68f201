import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { Predictor, AUTO_THRESHOLD_MS } = await load("predict");

/** A fake screen: rows of text, a cursor, a clock the test moves. */
function world(prompt = "e2e$ ") {
  const w = {
    t: 0,
    rows: [prompt, "", ""],
    cursorRow: 0,
    cursorCol: prompt.length,
    cols: 40,
    alternate: false,
    cell(r, c) {
      return w.rows[r]?.[c] ?? "";
    },
    textBefore(r, c) {
      return (w.rows[r] ?? "").slice(0, c);
    },
    /** The server echoes `text` at the cursor. */
    echo(text) {
      const r = w.rows[w.cursorRow].padEnd(w.cursorCol);
      w.rows[w.cursorRow] = r.slice(0, w.cursorCol) + text + r.slice(w.cursorCol + text.length);
      w.cursorCol += text.length;
    },
  };
  const p = new Predictor("auto", () => w.t);
  return { w, p };
}

test("auto mode draws nothing until the round trip is high", () => {
  const { w, p } = world();
  p.seedRtt(5);
  p.typed("l", w);
  assert.equal(p.visible().length, 0, "5 ms: no drawing");
  assert.equal(p.outstanding, 1, "but the guess is tracked (it measures the round trip)");
  w.t = 5;
  w.echo("l");
  p.update(w);
  assert.equal(p.outstanding, 0);
  assert.equal(p.stats.confirmed, 1);

  const slow = world();
  slow.p.seedRtt(300);
  assert.ok(slow.p.srtt >= AUTO_THRESHOLD_MS);
  slow.p.typed("l", slow.w);
  assert.deepEqual(slow.p.visible().map((x) => [x.row, x.col, x.ch]), [[0, 5, "l"]]);
});

test("typed characters are drawn in a row, then confirmed by the echo", () => {
  const { w, p } = world();
  p.seedRtt(300);
  for (const ch of "ls -l") p.typed(ch, w);
  assert.equal(p.visible().map((x) => x.ch).join(""), "ls -l");
  assert.deepEqual(p.visible().map((x) => x.col), [5, 6, 7, 8, 9]);
  w.t = 300;
  w.echo("ls ");
  p.update(w);
  assert.equal(p.visible().map((x) => x.ch).join(""), "-l", "the echoed part is confirmed");
  w.echo("-l");
  p.update(w);
  assert.equal(p.visible().length, 0);
  assert.equal(p.stats.confirmed, 5);
  assert.equal(p.stats.shownWrong, 0);
});

test("a wrong guess is erased and drawing pauses until one is confirmed", () => {
  const { w, p } = world();
  p.seedRtt(300);
  p.typed("x", w);
  assert.equal(p.visible().length, 1);
  // The program printed something else there (e.g. it upper-cases).
  w.t = 400;
  w.echo("X");
  p.update(w);
  assert.equal(p.visible().length, 0, "repaired");
  assert.equal(p.stats.shownWrong, 1);
  p.typed("y", w);
  assert.equal(p.visible().length, 0, "tentative after a miss");
  w.t = 700;
  w.echo("y");
  p.update(w);
  assert.equal(p.stats.confirmed, 1);
  p.typed("z", w);
  assert.equal(p.visible().length, 1, "confident again");
});

test("no guesses at a password prompt, and a guess nobody echoes expires", () => {
  const { w, p } = world("[sudo] password for e2e: ");
  p.seedRtt(300);
  for (const ch of "hunter2") p.typed(ch, w);
  assert.equal(p.outstanding, 0, "nothing predicted where input is not echoed");
  assert.equal(p.stats.made, 0);

  const other = world("read -s > ");
  other.p.seedRtt(300);
  other.p.typed("s", other.w);
  assert.equal(other.p.visible().length, 1);
  other.w.t = 2000; // no echo ever comes
  other.p.update(other.w);
  assert.equal(other.p.visible().length, 0, "expired");
  assert.equal(other.p.stats.shownWrong, 1);
});

test("after Enter, arrows or a paste, nothing is guessed until the answer had time to come", () => {
  const { w, p } = world();
  p.seedRtt(300);
  p.typed("a", w);
  p.typed("\r", w);
  assert.equal(p.visible().length, 0, "the cursor may go anywhere: guesses hidden");
  p.typed("b", w);
  assert.equal(p.outstanding, 1, "only the hidden 'a' is outstanding");
  w.t = 100;
  p.update(w);
  p.typed("c", w);
  assert.equal(p.stats.made, 1, "still too early");
  w.t = 300;
  p.update(w);
  p.typed("e", w);
  assert.equal(p.stats.made, 1, "keys typed while blocked keep it blocked: the screen is behind them");
  w.t = 700;
  w.echo("a");
  w.cursorRow = 1;
  w.rows[1] = "e2e$ ";
  w.cursorCol = 5;
  p.update(w);
  p.typed("d", w);
  assert.deepEqual(p.visible().map((x) => [x.row, x.col, x.ch]), [[1, 5, "d"]]);
  p.typed("paste me", w);
  assert.equal(p.visible().length, 0);
});

test("full-screen programs: drawn only once a guess there proved right", () => {
  const { w, p } = world();
  p.seedRtt(300);
  w.alternate = true;
  w.rows = ["", "", ""];
  w.cursorRow = 1;
  w.cursorCol = 0;
  p.typed("i", w);
  assert.equal(p.visible().length, 0, "vim may treat 'i' as a command");
  w.t = 300;
  p.update(w);
  p.typed("h", w);
  assert.equal(p.visible().length, 0);
  w.t = 600;
  w.echo("h");
  p.update(w);
  assert.equal(p.stats.wrong, 2, "'i' was a command, not text: the hidden chain was wrong");
  p.typed("e", w);
  assert.equal(p.visible().length, 0, "still tentative");
  w.t = 900;
  w.echo("e");
  p.update(w);
  p.typed("l", w);
  assert.equal(p.visible().length, 1, "insert mode proved itself");
  assert.equal(p.stats.shownWrong, 0, "nothing wrong was ever drawn");
});

test("off means off; the end of a line is never guessed", () => {
  const { w, p } = world();
  p.seedRtt(300);
  p.mode = "off";
  p.typed("a", w);
  assert.equal(p.outstanding, 0);
  p.mode = "on";
  w.cursorCol = w.cols - 1;
  p.typed("a", w);
  assert.equal(p.outstanding, 0);
});
