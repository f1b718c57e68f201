// Touch on the live terminal. xterm.js alone does nothing useful with a
// finger here (tmux draws on the alternate screen, so xterm has no history
// to scroll, and its selection needs a mouse): measured in the e2e test
// `15-clipboard`. So:
// - a vertical swipe scrolls the pane's history in tmux's copy mode
//   (`scroll_pane`), with a "Live" button to go back;
// - a long press selects the word under the finger and starts select mode:
//   two handles to drag, and Copy / All / Done;
// - the toolbar's Select key starts select mode without a long press
//   (then a drag selects from where it starts).
import type { Terminal } from "@xterm/xterm";
import { h, keepFocus, on } from "./dom";

/** Held this long without moving, a touch starts a selection. */
export const LONG_PRESS_MS = 500;
/** A touch that moved more than this (px) is a swipe, not a press. */
const MOVE_SLOP_PX = 10;

export interface TouchHooks {
  /** Scrolls the pane by `lines` (negative: back); 0 = back to live. */
  scroll(lines: number): void;
  copy(text: string): void;
  /** Select mode started or ended. */
  selecting(on: boolean): void;
}

interface Cell {
  col: number;
  /** Buffer row (viewport row + viewportY). */
  row: number;
}

export class TerminalTouch {
  /** Lines scrolled back (> 0 while tmux shows history). */
  private scrolledBack = 0;
  private pendingLines = 0;
  private flushTimer: number | undefined;
  private selectMode = false;
  /** Leaving copy mode: input waits in `held` until the server answers. */
  private leaving = false;
  private leaveTimer: number | undefined;
  private readonly held: (() => void)[] = [];
  private anchor: Cell | null = null;
  private readonly live: HTMLButtonElement;
  private readonly bar: HTMLElement;
  private readonly handles: [HTMLElement, HTMLElement];

  constructor(
    private readonly host: HTMLElement,
    private readonly term: Terminal,
    private readonly hooks: TouchHooks,
  ) {
    this.live = h("button", { class: "live-btn", type: "button", testid: "live-button", hidden: true }, "↓ Live");
    keepFocus(this.live);
    on(this.live, "click", () => this.backToLive());
    const copy = h("button", { class: "btn btn-primary", type: "button", testid: "select-copy" }, "Copy");
    const all = h("button", { class: "btn", type: "button", testid: "select-all" }, "All");
    const done = h("button", { class: "btn", type: "button", testid: "select-done" }, "Done");
    for (const b of [copy, all, done]) keepFocus(b);
    on(copy, "click", () => {
      const text = this.term.getSelection();
      if (text) this.hooks.copy(text);
      this.setSelectMode(false);
    });
    on(all, "click", () => {
      this.term.selectAll();
      this.placeHandles();
    });
    on(done, "click", () => this.setSelectMode(false));
    this.bar = h("div", { class: "select-bar", testid: "select-bar", hidden: true }, h("span", { class: "select-hint" }, "Drag the handles"), copy, all, done);
    const handle = (which: string) => h("div", { class: `sel-handle sel-${which}`, testid: `select-handle-${which}`, hidden: true });
    this.handles = [handle("start"), handle("end")];
    host.parentElement?.append(this.live, this.bar, ...this.handles);
    for (const [i, el] of this.handles.entries()) this.dragHandle(el, i === 0 ? "start" : "end");
    this.installGestures();
    term.onSelectionChange(() => this.placeHandles());
  }

  get isSelecting(): boolean {
    return this.selectMode;
  }

  /** Starts or ends select mode (the toolbar's Select key). */
  setSelectMode(v: boolean): void {
    if (this.selectMode === v) return;
    this.selectMode = v;
    this.bar.hidden = !v;
    if (!v) {
      this.term.clearSelection();
      this.anchor = null;
    }
    this.placeHandles();
    this.host.dataset.selecting = String(v);
    this.hooks.selecting(v);
  }

  /**
   * Runs `send` (input for the pane) once the pane is live: while it shows
   * history in copy mode, tmux would take the keys as copy-mode commands,
   * so copy mode is left first and the input waits for the server's answer.
   */
  whenLive(send: () => void): void {
    if (this.scrolledBack <= 0 && this.pendingLines === 0 && !this.leaving) {
      send();
      return;
    }
    this.held.push(send);
    if (!this.leaving) this.backToLive();
  }

  /** The server's answer to a scroll: how many lines back the pane is. */
  scrolled(position: number): void {
    this.scrolledBack = position;
    this.live.hidden = position <= 0;
    if (position <= 0 && this.leaving) this.release();
  }

  backToLive(): void {
    window.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pendingLines = 0;
    this.scrolledBack = 0;
    this.live.hidden = true;
    this.leaving = true;
    // Should the answer never come (connection lost), do not hold input for long.
    window.clearTimeout(this.leaveTimer);
    this.leaveTimer = window.setTimeout(() => this.release(), 1500);
    this.hooks.scroll(0);
  }

  private release(): void {
    window.clearTimeout(this.leaveTimer);
    this.leaving = false;
    const held = this.held.splice(0);
    for (const send of held) send();
  }

  private queueScroll(lines: number): void {
    if (lines === 0) return;
    this.pendingLines += lines;
    // At most one scroll message per 50 ms while the finger moves.
    this.flushTimer ??= window.setTimeout(() => {
      this.flushTimer = undefined;
      let n = this.pendingLines;
      this.pendingLines = 0;
      // Never past live: copy mode ends there by itself.
      if (n > 0 && n > this.scrolledBack) n = this.scrolledBack;
      if (n === 0) return;
      this.scrolledBack -= n;
      this.live.hidden = this.scrolledBack <= 0;
      this.hooks.scroll(n);
    }, 50);
  }

  private cellSize(): { w: number; h: number; rect: DOMRect } | null {
    const screen = this.host.querySelector(".xterm-screen");
    if (!screen) return null;
    const rect = screen.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return null;
    return { w: rect.width / this.term.cols, h: rect.height / this.term.rows, rect };
  }

  private cellAt(x: number, y: number): Cell | null {
    const c = this.cellSize();
    if (!c) return null;
    const col = Math.max(0, Math.min(this.term.cols - 1, Math.floor((x - c.rect.left) / c.w)));
    const vrow = Math.max(0, Math.min(this.term.rows - 1, Math.floor((y - c.rect.top) / c.h)));
    return { col, row: vrow + this.term.buffer.active.viewportY };
  }

  /** Selects from `a` to `b` (either order), inclusive. */
  private selectCells(a: Cell, b: Cell): void {
    const [s, e] = a.row < b.row || (a.row === b.row && a.col <= b.col) ? [a, b] : [b, a];
    const length = (e.row - s.row) * this.term.cols + (e.col - s.col) + 1;
    this.term.select(s.col, s.row, length);
  }

  /** The word (non-blank run) around `cell`. */
  private selectWord(cell: Cell): void {
    const line = this.term.buffer.active.getLine(cell.row)?.translateToString(false) ?? "";
    const isWord = (ch: string | undefined) => ch !== undefined && ch !== " " && ch !== "";
    let s = cell.col;
    let e = cell.col;
    if (isWord(line[s])) {
      while (s > 0 && isWord(line[s - 1])) s--;
      while (e < line.length - 1 && isWord(line[e + 1])) e++;
    }
    this.term.select(s, cell.row, e - s + 1);
  }

  private placeHandles(): void {
    const pos = this.selectMode ? this.term.getSelectionPosition() : undefined;
    // The action bar keeps out of the way of the selection: at the bottom
    // while it is in the upper half of the screen (or there is none yet).
    const upper = !pos || pos.start.y - this.term.buffer.active.viewportY < this.term.rows / 2;
    this.bar.dataset.pos = upper ? "bottom" : "top";
    const c = this.cellSize();
    const wrap = this.host.parentElement?.getBoundingClientRect();
    if (!pos || !c || !wrap) {
      for (const el of this.handles) el.hidden = true;
      return;
    }
    const top = this.term.buffer.active.viewportY;
    const place = (el: HTMLElement, col: number, row: number, below: boolean) => {
      const x = c.rect.left - wrap.left + col * c.w;
      const y = c.rect.top - wrap.top + (row - top + (below ? 1 : 0)) * c.h;
      el.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
      el.hidden = row < top || row >= top + this.term.rows;
    };
    place(this.handles[0], pos.start.x, pos.start.y, false);
    place(this.handles[1], pos.end.x, pos.end.y, true);
  }

  private dragHandle(el: HTMLElement, which: "start" | "end"): void {
    on(el, "touchstart", (e) => {
      e.preventDefault();
      e.stopPropagation();
      const pos = this.term.getSelectionPosition();
      if (!pos) return;
      // The other end stays where it is.
      this.anchor = which === "start" ? { col: Math.max(0, pos.end.x - 1), row: pos.end.y } : { col: pos.start.x, row: pos.start.y };
    }, { passive: false });
    on(el, "touchmove", (e) => {
      e.preventDefault();
      e.stopPropagation();
      const t = e.touches[0];
      const cell = t && this.cellAt(t.clientX, t.clientY - (which === "end" ? 12 : -12));
      if (cell && this.anchor) this.selectCells(this.anchor, cell);
    }, { passive: false });
  }

  private installGestures(): void {
    let start: { x: number; y: number; t: number } | null = null;
    let lastY = 0;
    let swiping = false;
    let pressTimer: number | undefined;
    let pressed = false;
    let carry = 0;
    const host = this.host;
    on(host, "touchstart", (e) => {
      if (e.touches.length !== 1) {
        start = null;
        window.clearTimeout(pressTimer);
        return;
      }
      const t = e.touches[0];
      if (!t) return;
      start = { x: t.clientX, y: t.clientY, t: performance.now() };
      lastY = t.clientY;
      swiping = false;
      pressed = false;
      carry = 0;
      window.clearTimeout(pressTimer);
      if (this.selectMode) {
        // In select mode a drag selects from where it starts.
        const cell = this.cellAt(t.clientX, t.clientY);
        if (cell) {
          this.anchor = cell;
          this.selectCells(cell, cell);
        }
        e.stopPropagation();
        return;
      }
      pressTimer = window.setTimeout(() => {
        if (!start) return;
        pressed = true;
        const cell = this.cellAt(start.x, start.y);
        if (!cell) return;
        this.setSelectMode(true);
        this.selectWord(cell);
        const pos = this.term.getSelectionPosition();
        this.anchor = pos ? { col: pos.start.x, row: pos.start.y } : cell;
        navigator.vibrate?.(15);
      }, LONG_PRESS_MS);
    }, { capture: true, passive: true });
    on(host, "touchmove", (e) => {
      const t = e.touches[0];
      if (!start || !t) return;
      if (this.selectMode) {
        e.preventDefault();
        e.stopPropagation();
        const cell = this.cellAt(t.clientX, t.clientY);
        if (cell && this.anchor) this.selectCells(this.anchor, cell);
        return;
      }
      const dx = t.clientX - start.x;
      const dy = t.clientY - start.y;
      if (!swiping && Math.hypot(dx, dy) > MOVE_SLOP_PX) {
        window.clearTimeout(pressTimer);
        swiping = Math.abs(dy) > Math.abs(dx);
      }
      if (!swiping || pressed) return;
      e.preventDefault();
      e.stopPropagation();
      const c = this.cellSize();
      if (!c) return;
      carry += t.clientY - lastY;
      lastY = t.clientY;
      // Finger down = content down = back in history.
      const lines = Math.trunc(carry / c.h);
      if (lines !== 0) {
        carry -= lines * c.h;
        this.queueScroll(-lines);
      }
    }, { capture: true, passive: false });
    const end = (e: TouchEvent) => {
      window.clearTimeout(pressTimer);
      if (swiping || this.selectMode || pressed) {
        // No emulated mouse events after a gesture of ours: xterm would take
        // the mousedown as a click and clear the selection.
        e.preventDefault();
        e.stopPropagation();
      }
      start = null;
      swiping = false;
    };
    on(host, "touchend", end, { capture: true, passive: false });
    on(host, "touchcancel", end, { capture: true, passive: false });
  }
}
