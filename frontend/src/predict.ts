// Predictive local echo, the state machine (no DOM): which typed characters
// to draw before the server has echoed them, and when a prediction is
// confirmed or was wrong. The idea is Mosh's (and VS Code's terminal
// typeahead): on a 300 ms link, a printable key typed at a shell prompt will
// almost always appear at the cursor, so draw it there at once, marked as a
// guess, and check it against the real screen when output arrives.
//
// Where a guess would lie, none is shown:
// - at a prompt that asks for a password or passphrase (no echo);
// - after any key whose effect is not a plain "character at the cursor"
//   (Enter, arrows, Backspace, control keys, pastes) until the server had
//   time to answer it — the cursor may be anywhere by then;
// - after a key that may end a line or leave a mode (Enter, Esc, control
//   keys), after a wrong guess, and when a full-screen program takes or
//   leaves the alternate screen: guesses are still made and checked, but
//   drawn only again once one was confirmed ("tentative", Mosh's epochs).
//   This is what keeps guesses out of sight in a full-screen program
//   started from the shell: tmux itself draws on the alternate screen, so
//   the browser's terminal never sees vim take it; but vim was started
//   with Enter, and its modes are left with Esc. A key that turns out to
//   be a command (vim's `i`) is then a hidden guess judged wrong, not a
//   drawn one;
// - in `auto` mode, while the measured round trip is short (nobody notices
//   10 ms, and a wrong guess is worse than none).
//
// Rows are viewport rows (0 = top of the visible screen), columns cells.

export type PredictionMode = "auto" | "on" | "off";

/** Round trip from which `auto` draws predictions. */
export const AUTO_THRESHOLD_MS = 60;

/** What the predictor needs to know about the screen. */
export interface Screen {
  readonly cursorRow: number;
  readonly cursorCol: number;
  readonly cols: number;
  /** Whether a full-screen program has the alternate screen. */
  readonly alternate: boolean;
  /** The character in a cell ("" or " " when empty). */
  cell(row: number, col: number): string;
  /** The text of `row` left of `col`. */
  textBefore(row: number, col: number): string;
}

export interface Prediction {
  row: number;
  col: number;
  ch: string;
  /** When it was typed (ms, the predictor's clock). */
  at: number;
  /** Whether it is drawn. */
  shown: boolean;
  /** The predictor's epoch when it was made (see `Predictor.epoch`). */
  epoch: number;
}

/** One decision of the predictor, kept for debugging and the benchmark (W14). */
export interface Judgement {
  /** A guess made, confirmed by the screen, or judged wrong. */
  kind: "guess" | "confirmed" | "wrong";
  ch: string;
  row: number;
  col: number;
  /** Whether the guess was drawn. */
  shown: boolean;
  /** ms since the key was typed. */
  age: number;
  /** What the screen showed in the guess's cell when it was judged. */
  found: string;
  /** Where the screen's cursor was then. */
  cursor: [number, number];
  /** Why a guess was judged wrong: another glyph arrived, the cursor went past it, or its echo never came. */
  why?: "passed" | "late";
}

/** How many judgements the journal keeps. */
const JOURNAL_LENGTH = 256;

export interface PredictionStats {
  /** Guesses made (drawn or not). */
  made: number;
  /** Guesses drawn. */
  shown: number;
  /** Guesses the server's output confirmed. */
  confirmed: number;
  /** Drawn guesses that turned out wrong (or never came): mispredictions seen by the person. */
  shownWrong: number;
  /** Guesses (drawn or not) that turned out wrong. */
  wrong: number;
}

/** Prompts after which typed characters are not echoed. */
const NO_ECHO_PROMPT = /(pass(word|phrase|code)|\bpin\b|secret|token)[^:]*:\s*$/i;

function printable(data: string): boolean {
  return data.length === 1 && data >= " " && data <= "~";
}

/**
 * Keys that edit or move within the line being typed (Backspace, Tab,
 * arrows, Home/End, Delete) and pastes: the cursor may go anywhere, but
 * the program is the same one, in the same mode. Every other key that is
 * not a printable character (Enter, Esc, control keys, function keys) may
 * end a line or switch a mode: after it, guesses are hidden until one is
 * confirmed.
 */
const LINE_EDIT = /^(\x7f|\x08|\t|\x1b(\[|O)[ABCDHF]|\x1b\[[1-4]~|\x1b\[1;\d[ABCD]|[ -~]{2,})$/;

export class Predictor {
  mode: PredictionMode;
  /** Smoothed round trip (ms), from confirmed guesses and the socket handshake. */
  srtt: number | null = null;
  readonly stats: PredictionStats = { made: 0, shown: 0, confirmed: 0, shownWrong: 0, wrong: 0 };
  /** The latest decisions, oldest first (at most [`JOURNAL_LENGTH`]). */
  readonly journal: Judgement[] = [];
  private pending: Prediction[] = [];
  /** Drawing paused until a guess is confirmed (after a wrong one; full-screen programs). */
  private tentative = false;
  /**
   * Counts the times drawing was paused. Only a guess made since the
   * latest pause resumes it: the echo of a command typed before its Enter
   * says nothing about the program the Enter started.
   */
  private epoch = 0;
  /** Time of the last key that moved the cursor unpredictably; guesses wait for its answer. */
  private barrier: number | null = null;
  private wasAlternate = false;
  /** When server output last reached the screen. */
  private lastOutput = -Infinity;

  constructor(
    mode: PredictionMode,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.mode = mode;
  }

  /** A round-trip sample from elsewhere (e.g. the terminal socket's handshake). */
  seedRtt(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.sample(ms);
  }

  /** Whether guesses are drawn right now (mode and round trip). */
  get active(): boolean {
    if (this.mode === "off") return false;
    if (this.mode === "on") return true;
    return this.srtt !== null && this.srtt >= AUTO_THRESHOLD_MS;
  }

  /** Guesses to draw. */
  visible(): Prediction[] {
    return this.pending.filter((p) => p.shown);
  }

  /** Whether guesses wait for the answer to a key that moved the cursor unpredictably. */
  get blocked(): boolean {
    this.liftBarrier();
    return this.barrier !== null;
  }

  /** Guesses not yet confirmed. */
  get outstanding(): number {
    return this.pending.length;
  }

  /**
   * The cursor is out of sight or moved by something other than typing
   * (e.g. the view is scrolled back): hide the guesses and make none until
   * the screen caught up, as after an arrow key.
   */
  lostCursor(): void {
    for (const p of this.pending) p.shown = false;
    this.barrier = this.now();
  }

  /** Forgets every guess (new terminal socket, resize, switched window). */
  reset(): void {
    this.pending = [];
    this.barrier = this.now();
  }

  /** Call with every piece of input, before it is sent. */
  typed(data: string, screen: Screen): void {
    if (this.mode === "off") {
      this.pending = [];
      return;
    }
    this.noteScreen(screen);
    this.liftBarrier();
    if (!printable(data) || this.barrier !== null) {
      // The cursor may go anywhere (or the screen is behind what was
      // typed since): stop drawing, and wait until typing pauses long
      // enough for the screen to catch up.
      if (!printable(data)) {
        for (const p of this.pending) p.shown = false;
        // A new line or a new mode: draw again only once a guess made
        // after it proved right.
        if (!LINE_EDIT.test(data)) this.pause();
      }
      this.barrier = this.now();
      return;
    }
    const last = this.pending[this.pending.length - 1];
    const row = last ? last.row : screen.cursorRow;
    const col = last ? last.col + 1 : screen.cursorCol;
    if (col >= screen.cols - 1) {
      // The line wraps (or a program scrolls): no guess about where.
      this.barrier = this.now();
      return;
    }
    if (!last && NO_ECHO_PROMPT.test(screen.textBefore(row, col))) return;
    const shown = this.active && !this.tentative;
    const guess = { row, col, ch: data, at: this.now(), shown, epoch: this.epoch };
    this.pending.push(guess);
    this.note("guess", guess, screen);
    this.stats.made++;
    if (shown) this.stats.shown++;
  }

  /** Call after server output has reached the screen (and from a timer). */
  update(screen: Screen): void {
    this.noteScreen(screen);
    const now = this.now();
    this.lastOutput = now;
    this.liftBarrier();
    while (this.pending.length > 0) {
      const p = this.pending[0];
      if (screen.cell(p.row, p.col) === p.ch) {
        this.pending.shift();
        this.note("confirmed", p, screen);
        this.stats.confirmed++;
        this.sample(now - p.at);
        if (p.epoch === this.epoch) this.tentative = false;
        continue;
      }
      const passed = screen.cursorRow !== p.row || screen.cursorCol > p.col;
      const late = now - p.at > this.patience();
      if (late || (passed && now - p.at > (this.srtt ?? 0) * 0.5)) {
        this.miss(screen, late ? "late" : "passed");
      }
      break;
    }
  }

  /** Guesses resume once output came in after typing paused for most of a round trip. */
  private liftBarrier(): void {
    if (this.barrier === null) return;
    const waited = this.now() - this.barrier >= (this.srtt ?? 0) * 0.75 + 20;
    if (waited && this.lastOutput > this.barrier) this.barrier = null;
  }

  /** How long a guess may wait for its echo before it counts as wrong. */
  private patience(): number {
    return Math.max(250, (this.srtt ?? 250) * 2) + 250;
  }

  private miss(screen: Screen, why: "passed" | "late"): void {
    for (const p of this.pending) {
      this.note("wrong", p, screen, why);
      this.stats.wrong++;
      if (p.shown) this.stats.shownWrong++;
    }
    this.pending = [];
    this.pause();
  }

  /** Draws no guesses until one made from now on is confirmed. */
  private pause(): void {
    this.tentative = true;
    this.epoch++;
  }

  private note(kind: Judgement["kind"], p: Prediction, screen: Screen, why?: Judgement["why"]): void {
    if (this.journal.length >= JOURNAL_LENGTH) this.journal.shift();
    this.journal.push({
      kind,
      ch: p.ch,
      row: p.row,
      col: p.col,
      shown: p.shown,
      age: Math.round(this.now() - p.at),
      found: screen.cell(p.row, p.col),
      cursor: [screen.cursorRow, screen.cursorCol],
      ...(why ? { why } : {}),
    });
  }

  private noteScreen(screen: Screen): void {
    if (screen.alternate !== this.wasAlternate) {
      this.wasAlternate = screen.alternate;
      // A full-screen program came or went: earlier guesses mean nothing,
      // and in one, guesses are drawn only once they prove right.
      this.pending = [];
      if (screen.alternate) this.pause();
    }
  }

  private sample(ms: number): void {
    this.srtt = this.srtt === null ? ms : this.srtt * 0.875 + ms * 0.125;
  }
}
