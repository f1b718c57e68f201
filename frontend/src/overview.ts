// The overview (PROTOCOL.md, "Overview"): a grid of every window of every
// user session, each tile the last lines of the window's active pane, with
// its attention badge; a tap jumps there (this phone only). How a person
// checks on ten agents at a glance.
//
// Loaded on first use (not needed for the first screen). While it is open
// the server sends `overview_tile`s, keyed by pane: once for every pane at
// `open`, then whenever a pane's screen changed (at most once a second).
// The grid itself follows `tmux_state`: which windows exist, their names,
// badges and active panes.
import { badge, REASON_LABEL } from "./attention";
import { onBack } from "./back";
import { h, keepFocus, on, setChildren } from "./dom";
import { activeBaseSession, activeWindow, isManaged, type ViewModel } from "./drawer";

export interface OverviewActions {
  /** Asks the server to start or stop the tiles; false when not connected. */
  send(open: boolean): boolean;
  /** Move this phone's view to the window (and its pane). */
  jump(session: string, windowIndex: number, paneId: string): void;
  closed(): void;
}

export class Overview {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly count: HTMLElement;
  /** The latest lines per pane (kept while open). */
  private readonly lines = new Map<string, string[]>();
  private isOpen = false;
  private release: (() => void) | null = null;
  private signature = "";

  constructor(private readonly act: OverviewActions) {
    this.grid = h("div", { class: "ov-grid", testid: "overview-grid" });
    this.count = h("span", { class: "scrollback-info", testid: "overview-count" });
    const close = h("button", { class: "btn btn-primary", type: "button", testid: "overview-close" }, "Close");
    keepFocus(close);
    on(close, "click", () => this.close());
    this.el = h(
      "div",
      { class: "overlay overview", testid: "overview", hidden: true, role: "dialog", "aria-label": "Overview of all windows" },
      h("div", { class: "overlay-head" }, h("span", { class: "overlay-title" }, "Overview"), this.count, close),
      this.grid,
    );
  }

  get opened(): boolean {
    return this.isOpen;
  }

  open(vm: ViewModel): void {
    if (this.isOpen) return;
    this.isOpen = true;
    this.el.hidden = false;
    this.lines.clear();
    this.signature = "";
    this.render(vm);
    this.act.send(true);
    this.release = onBack(() => this.close(true));
  }

  /** `fromBack`: the history entry is gone already. */
  close(fromBack = false): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.el.hidden = true;
    this.act.send(false);
    this.lines.clear();
    setChildren(this.grid, []);
    const release = this.release;
    this.release = null;
    if (!fromBack) release?.();
    this.act.closed();
  }

  /** A new control socket (reconnect): ask for the tiles again. */
  reconnected(): void {
    if (this.isOpen) this.act.send(true);
  }

  /** An `overview_tile`. */
  tile(paneId: string, lines: string[]): void {
    if (!this.isOpen) return;
    this.lines.set(paneId, lines);
    for (const pre of this.grid.querySelectorAll<HTMLElement>(`.ov-tile[data-pane-id="${CSS.escape(paneId)}"] .ov-lines`)) {
      fill(pre, lines);
    }
  }

  /** Rebuilds the grid from the state (only what changed in it). */
  render(vm: ViewModel): void {
    if (!this.isOpen) return;
    const base = activeBaseSession(vm);
    const here = activeWindow(vm);
    const sessions = (vm.state?.sessions ?? []).filter((s) => !isManaged(s.name));
    const windows = sessions.reduce((n, s) => n + s.windowStates.length, 0);
    this.count.textContent = `${windows} window${windows === 1 ? "" : "s"}`;
    const signature = JSON.stringify([base, here?.index, sessions]);
    if (signature === this.signature) return;
    this.signature = signature;
    const children: HTMLElement[] = [];
    for (const s of sessions) {
      children.push(h("h3", { class: "ov-session", testid: "overview-session" }, s.name));
      for (const w of s.windowStates) {
        const pane = w.panes.find((p) => p.active) ?? w.panes[0];
        const current = s.name === base && w.index === here?.index;
        const pre = h("pre", { class: "ov-lines", testid: "overview-lines" });
        fill(pre, pane ? this.lines.get(pane.id) : undefined);
        const tile = h(
          "button",
          {
            class: "ov-tile",
            type: "button",
            testid: "overview-tile",
            "data-session": s.name,
            "data-window": String(w.index),
            "data-pane-id": pane?.id ?? "",
            "data-current": String(current),
            "data-attention": w.attention ?? "",
            "aria-current": current ? "true" : undefined,
            title: `${s.name}:${w.index} ${w.name}${w.attention ? ` · ${REASON_LABEL[w.attention]}` : ""}`,
          },
          h(
            "span",
            { class: "ov-head" },
            h("span", { class: "ov-name" }, `${w.index}: ${w.name}`),
            badge(w.attention),
            h("span", { class: "ov-meta" }, pane ? `${pane.currentCommand}${w.paneCount > 1 ? ` · ${w.paneCount} panes` : ""}` : ""),
          ),
          h("span", { class: "ov-screen" }, pre),
        );
        on(tile, "click", () => {
          if (!pane) return;
          this.close();
          this.act.jump(s.name, w.index, pane.id);
        });
        children.push(tile);
      }
    }
    setChildren(this.grid, children);
  }
}

/** Shows `lines` in a tile (a placeholder until the first capture). */
function fill(pre: HTMLElement, lines: string[] | undefined): void {
  pre.dataset.loaded = String(lines !== undefined);
  pre.textContent = lines === undefined ? "…" : lines.join("\n");
}
