// Predictive local echo on the page: feeds the Predictor (predict.ts) with
// what xterm.js shows, and draws its guesses over the terminal as
// underlined cells (data-testid="prediction") until the server's echo
// replaces them.
import type { Terminal } from "@xterm/xterm";
import { h } from "./dom";
import { type PredictionMode, Predictor, type Screen } from "./predict";

function screenOf(term: Terminal): Screen {
  const buf = term.buffer.active;
  return {
    cursorRow: buf.cursorY,
    cursorCol: buf.cursorX,
    cols: term.cols,
    alternate: buf.type === "alternate",
    cell: (row, col) => buf.getLine(buf.viewportY + row)?.getCell(col)?.getChars() ?? "",
    textBefore: (row, col) => buf.getLine(buf.viewportY + row)?.translateToString(false, 0, col) ?? "",
  };
}

export class PredictionView {
  readonly predictor: Predictor;
  private readonly layer = h("div", { class: "predictions", testid: "predictions", "aria-hidden": "true" });
  private timer: number | undefined;

  constructor(
    private readonly term: Terminal,
    mode: PredictionMode,
  ) {
    this.predictor = new Predictor(mode);
    term.element?.querySelector(".xterm-screen")?.append(this.layer);
    term.onResize(() => this.reset());
    // Debug and benchmark access (the e2e tests read the statistics).
    (window as unknown as { tmuxMobilePrediction?: Predictor }).tmuxMobilePrediction = this.predictor;
  }

  set mode(mode: PredictionMode) {
    this.predictor.mode = mode;
    this.predictor.reset();
    this.draw();
  }

  /** Every piece of input, before it is sent. */
  typed(data: string): void {
    // Scrolled back: the cursor is not on screen, guesses would go astray.
    const buf = this.term.buffer.active;
    if (buf.viewportY !== buf.baseY) {
      this.predictor.lostCursor();
    } else {
      this.predictor.typed(data, screenOf(this.term));
    }
    this.draw();
    this.schedule();
  }

  /** After server output has been written to the terminal. */
  update(): void {
    this.predictor.update(screenOf(this.term));
    this.draw();
    this.schedule();
  }

  reset(): void {
    this.predictor.reset();
    this.draw();
  }

  /** Checks for expired guesses while any are outstanding (no output may come). */
  private schedule(): void {
    if (this.timer !== undefined || this.predictor.outstanding === 0) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, 100);
  }

  private draw(): void {
    const shown = this.predictor.visible();
    if (shown.length === 0) {
      if (this.layer.childElementCount) this.layer.replaceChildren();
      return;
    }
    const screen = this.layer.parentElement;
    if (!screen) return;
    const theme = this.term.options.theme ?? {};
    this.layer.style.fontFamily = this.term.options.fontFamily ?? "monospace";
    this.layer.style.fontSize = `${this.term.options.fontSize ?? 14}px`;
    this.layer.style.color = theme.foreground ?? "#ddd";
    const background = theme.background ?? "#000";
    const w = screen.clientWidth / this.term.cols;
    const rowH = screen.clientHeight / this.term.rows;
    const cells = shown.map((p) => {
      const span = h("span", { class: "prediction", testid: "prediction" }, p.ch);
      span.style.left = `${p.col * w}px`;
      span.style.top = `${p.row * rowH}px`;
      span.style.width = `${w}px`;
      span.style.height = `${rowH}px`;
      span.style.lineHeight = `${rowH}px`;
      span.style.background = background;
      return span;
    });
    this.layer.replaceChildren(...cells);
  }
}
