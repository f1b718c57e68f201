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
  assert.equal(p.journal.at(-1).kind, "wrong");
  assert.equal(p.journal.at(-1).found, "X", "the journal says what the screen showed instead");
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
  assert.deepEqual(p.journal.at(-1), { kind: "guess", ch: "d", row: 1, col: 5, shown: false, age: 0, found: "", cursor: [1, 5] });
  assert.equal(p.visible().length, 0, "after Enter, hidden until a guess made since is confirmed");
  w.t = 1000;
  w.echo("d");
  p.update(w);
  p.typed("f", w);
  assert.deepEqual(p.visible().map((x) => [x.row, x.col, x.ch]), [[1, 6, "f"]]);
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
  w.t = 900;
  p.update(w);
  p.typed("e", w);
  assert.equal(p.visible().length, 0, "still tentative");
  w.t = 1200;
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

/**
 * What the browser sees under tmux: tmux's own client draws on the
 * alternate screen, so `alternate` is true all along, also at the shell
 * and when vim starts (W14's vim part, replayed).
 */
function tmuxWorld() {
  const { w, p } = world();
  w.alternate = true;
  return { w, p };
}

test("under tmux, vim's mode commands are hidden guesses, never drawn wrong", () => {
  const { w, p } = tmuxWorld();
  p.seedRtt(300);
  // Confident at the shell.
  p.typed("x", w);
  w.t = 300;
  w.echo("x");
  p.update(w);
  assert.equal(p.stats.confirmed, 1);
  w.rows[0] = "e2e$ ";
  w.cursorCol = 5;
  w.t = 700;
  p.update(w);
  // `vim` + Enter: vim clears the screen, the cursor goes to the top left.
  for (const ch of "vim") p.typed(ch, w);
  assert.equal(p.visible().length, 3, "shell typing is drawn");
  p.typed("\r", w);
  assert.equal(p.visible().length, 0, "hidden at Enter");
  // The command's echo confirms guesses made before Enter: no reason to
  // trust what follows it.
  w.t = 1000;
  w.echo("vim");
  p.update(w);
  assert.equal(p.stats.confirmed, 4);
  w.t = 1300;
  w.rows = ["", "~", "~"];
  w.cursorRow = 0;
  w.cursorCol = 0;
  p.update(w);
  // `i`: a command, vim echoes nothing at the cursor, only `-- INSERT --` below.
  w.t = 1700;
  p.update(w);
  p.typed("i", w);
  assert.equal(p.stats.made, 5, "guessed");
  assert.equal(p.visible().length, 0, "but not drawn: Enter started something that may not echo");
  w.t = 2000;
  w.rows[2] = "-- INSERT --";
  p.update(w);
  // Text typed in insert mode, one key per echo (as W14 types).
  p.typed("t", w);
  assert.equal(p.visible().length, 0, "still hidden: nothing confirmed since Enter");
  w.t = 2300;
  w.echo("t");
  p.update(w);
  const wrong = p.journal.filter((j) => j.kind === "wrong");
  assert.deepEqual(
    wrong.map((j) => [j.ch, j.col, j.found, j.shown]),
    [["i", 0, "t", false], ["t", 1, "", false]],
    "'i' was never echoed, and 't' was guessed one cell to the right of where it came",
  );
  p.typed("h", w);
  assert.deepEqual(p.journal.at(-1), { kind: "guess", ch: "h", row: 0, col: 1, shown: false, age: 0, found: "", cursor: [0, 1] });
  w.t = 2600;
  w.echo("h");
  p.update(w);
  p.typed("e", w);
  assert.equal(p.visible().length, 1, "'h', guessed after the miss, proved insert mode");
  w.t = 2900;
  w.echo("e");
  p.update(w);
  for (const ch of " lazy") p.typed(ch, w);
  assert.equal(p.visible().map((x) => x.ch).join(""), " lazy", "insert mode proved itself: drawn");
  assert.deepEqual(p.visible().map((x) => x.col), [3, 4, 5, 6, 7]);
  w.t = 3200;
  w.echo(" lazy");
  p.update(w);
  // Esc, then `:q!` at once: no guesses at all (the cursor goes to the bottom line).
  p.typed("\x1b", w);
  for (const ch of ":q!") p.typed(ch, w);
  assert.equal(p.outstanding, 0);
  w.t = 3500;
  w.rows[2] = ":q!";
  w.cursorRow = 2;
  w.cursorCol = 3;
  p.update(w);
  w.t = 4000;
  p.update(w);
  p.typed("j", w);
  assert.equal(p.visible().length, 0, "after Esc, hidden again until confirmed");
  assert.equal(p.stats.shownWrong, 0, "nothing wrong was ever drawn");
  assert.equal(p.stats.wrong, 2);
});

test("under tmux, shell line editing keeps drawing: Backspace and arrows only wait for the screen", () => {
  const { w, p } = tmuxWorld();
  p.seedRtt(300);
  p.typed("a", w);
  w.t = 300;
  w.echo("a");
  p.update(w);
  for (const key of ["\x7f", "\x1b[D", "\x1b[C", "\x1bOD", "\x1b[3~", "\t", "\x1b[H"]) {
    p.typed(key, w);
    w.t += 400;
    p.update(w);
    p.typed("b", w);
    assert.equal(p.visible().length, 1, `drawn after ${JSON.stringify(key)}`);
    w.t += 300;
    w.echo("b");
    p.update(w);
    assert.equal(p.outstanding, 0);
  }
  for (const key of ["\r", "\x1b", "\x03", "\x1bOP"]) {
    p.typed(key, w);
    w.t += 400;
    p.update(w);
    p.typed("c", w);
    assert.equal(p.visible().length, 0, `hidden after ${JSON.stringify(key)}`);
    w.t += 300;
    w.echo("c");
    p.update(w);
    assert.equal(p.stats.confirmed >= 1, true);
    p.typed("d", w);
    assert.equal(p.visible().length, 1, `drawn again once a guess after ${JSON.stringify(key)} was confirmed`);
    w.t += 300;
    w.echo("d");
    p.update(w);
  }
  assert.equal(p.stats.shownWrong, 0);
  assert.equal(p.stats.wrong, 0);
});

test("the journal keeps the latest decisions only", () => {
  const { w, p } = world();
  p.seedRtt(300);
  for (let i = 0; i < 200; i++) {
    p.typed("a", w);
    w.t += 300;
    w.echo("a");
    p.update(w);
    if (w.cursorCol > 30) {
      w.rows[0] = "e2e$ ";
      w.cursorCol = 5;
    }
  }
  assert.equal(p.journal.length, 256);
  assert.equal(p.journal.at(-1).kind, "confirmed");
  assert.equal(p.stats.confirmed, 200);
});

test("scrolled back: the cursor is out of sight, guesses wait for the screen", () => {
  const { w, p } = world();
  p.seedRtt(300);
  p.typed("a", w);
  p.lostCursor();
  assert.equal(p.visible().length, 0);
  p.typed("b", w);
  assert.equal(p.stats.made, 1, "no guess");
  assert.equal(p.blocked, true);
});
