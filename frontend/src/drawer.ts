// The side drawer: sessions, windows and panes of the current tmux state,
// pane/window actions, sticky zoom and the theme picker.
import { badge } from "./attention";
import { h, on, setChildren } from "./dom";
import { MANAGED_SESSION_PREFIX, type PaneState, type SessionState, type TmuxState, type WindowState } from "./protocol";
import { THEMES } from "./themes";

/** What the drawer (and the top bar) need to know about where the client is. */
export interface ViewModel {
  state: TmuxState | null;
  /** The client's own grouped session from `attached`. */
  attachedSession: string | null;
  /** The user session it belongs to (chosen or inferred). */
  baseSession: string | null;
  readOnly: boolean;
  stickyZoom: boolean;
  /** Predictive local echo: `auto` (when the round trip is high), `on`, `off`; `active`: drawn now. */
  prediction?: { mode: "auto" | "on" | "off"; active: boolean };
  themeId: string;
}

export const isManaged = (name: string) => name.startsWith(MANAGED_SESSION_PREFIX);

const URGENCY = ["activity", "silence", "bell", "notify", "prompt"] as const;

/** The most urgent attention of any window of `s`. */
export function sessionAttention(s: SessionState): WindowState["attention"] {
  let best = -1;
  for (const w of s.windowStates) best = Math.max(best, w.attention ? URGENCY.indexOf(w.attention) : -1);
  return best < 0 ? undefined : URGENCY[best];
}

/** User sessions (never our per-client grouped ones). */
export function baseSessions(vm: ViewModel): SessionState[] {
  return vm.state?.sessions.filter((s) => !isManaged(s.name)) ?? [];
}

const windowSignature = (s: SessionState) => s.windowStates.map((w) => `${w.index}:${w.name}`).join("|");

/** The user session the client shows: the remembered choice, else the one whose windows match ours. */
export function activeBaseSession(vm: ViewModel): string | null {
  const bases = baseSessions(vm);
  if (vm.baseSession && bases.some((s) => s.name === vm.baseSession)) return vm.baseSession;
  const mine = vm.state?.sessions.find((s) => s.name === vm.attachedSession);
  if (mine) {
    const sig = windowSignature(mine);
    const match = bases.find((s) => windowSignature(s) === sig);
    if (match) return match.name;
  }
  if (bases.length === 1) return bases[0]?.name ?? null;
  return null;
}

/** The session whose windows the client sees (its grouped session when listed). */
export function currentSession(vm: ViewModel): SessionState | undefined {
  const sessions = vm.state?.sessions ?? [];
  const base = activeBaseSession(vm);
  return sessions.find((s) => s.name === vm.attachedSession) ?? sessions.find((s) => s.name === base);
}

export function activeWindow(vm: ViewModel): WindowState | undefined {
  const s = currentSession(vm);
  return s?.windowStates.find((w) => w.active) ?? s?.windowStates[0];
}

export function activePane(vm: ViewModel): PaneState | undefined {
  const w = activeWindow(vm);
  return w?.panes.find((p) => p.active) ?? w?.panes[0];
}

export interface DrawerActions {
  selectSession(name: string): void;
  newSession(): void;
  selectWindow(index: number): void;
  newWindow(): void;
  selectPane(id: string): void;
  split(orientation: "h" | "v"): void;
  zoomPane(): void;
  toggleStickyZoom(): void;
  /** Cycles predictive local echo auto → on → off. */
  cyclePrediction?: () => void;
  closePane(): void;
  killWindow(): void;
  setTheme(id: string): void;
  /** Present only with `?debug=1`: shows the client-side event log. */
  showLog?: () => void;
}

export class Drawer {
  readonly el: HTMLElement;
  readonly backdrop: HTMLElement;
  private readonly sessions = h("ul", { class: "list", "aria-label": "Sessions" });
  private readonly windows = h("ul", { class: "list", "aria-label": "Windows" });
  private readonly panes = h("ul", { class: "list", "aria-label": "Panes" });
  private readonly buttons: Record<string, HTMLButtonElement>;
  private readonly theme: HTMLSelectElement;
  private isOpen = false;
  private readonly titleEl = h("span", { class: "drawer-title" }, "tmux-mobile");

  constructor(
    private readonly act: DrawerActions,
    private readonly openChanged: (open: boolean) => void,
    top: HTMLElement | null = null,
  ) {
    const btn = (testid: string, label: string, fn: () => void, cls = "btn") => {
      const b = h("button", { class: cls, type: "button", testid }, label);
      on(b, "click", fn);
      return b;
    };
    this.buttons = {
      newSession: btn("new-session", "+ New Session", () => act.newSession(), "btn btn-add"),
      newWindow: btn("new-window", "+ New Window", () => act.newWindow(), "btn btn-add"),
      splitH: btn("split-h", "Split side by side", () => act.split("h")),
      splitV: btn("split-v", "Split top / bottom", () => act.split("v")),
      zoom: btn("zoom-pane", "Zoom Pane", () => act.zoomPane()),
      sticky: btn("sticky-zoom", "Sticky Zoom: Off", () => act.toggleStickyZoom()),
      predict: btn("prediction-toggle", "Predict Typing: Auto", () => act.cyclePrediction?.()),
      closePane: btn("close-pane", "Close Pane", () => act.closePane(), "btn btn-danger"),
      killWindow: btn("kill-window", "Kill Window", () => act.killWindow(), "btn btn-danger"),
    };
    this.theme = h("select", { class: "select", testid: "theme-select", "aria-label": "Theme" });
    for (const t of THEMES) this.theme.append(h("option", { value: t.id }, t.label));
    on(this.theme, "change", () => act.setTheme(this.theme.value));

    const close = h("button", { class: "icon-btn", type: "button", testid: "drawer-close", "aria-label": "Close menu" }, "✕");
    on(close, "click", () => this.open(false));
    const b = this.buttons;
    this.el = h(
      "aside",
      { class: "drawer", testid: "drawer", "data-open": "false", "aria-label": "Sessions and windows", "aria-hidden": "true" },
      h("div", { class: "drawer-head" }, this.titleEl, close),
      h("div", { class: "drawer-body" },
        top,
        h("section", {}, h("h3", {}, "Sessions"), this.sessions, b.newSession),
        h("section", {}, h("h3", {}, "Windows"), this.windows, b.newWindow),
        h("section", {}, h("h3", {}, "Panes"), this.panes),
        h("section", {}, h("h3", {}, "Actions"),
          h("div", { class: "actions" }, b.splitH, b.splitV, b.zoom, b.sticky, b.predict, b.closePane, b.killWindow)),
        h("section", {}, h("h3", {}, "Appearance"), h("label", { class: "label" }, "Theme", this.theme)),
        act.showLog ? h("section", {}, h("h3", {}, "Debug"), btn("debug-log-button", "Debug log", () => act.showLog?.())) : null,
      ),
    );
    this.backdrop = h("div", { class: "backdrop", testid: "drawer-backdrop", hidden: true });
    on(this.backdrop, "click", () => this.open(false));
    on(this.el, "keydown", (e) => {
      if (e.key === "Escape") this.open(false);
    });
  }

  get opened(): boolean {
    return this.isOpen;
  }

  open(v: boolean): void {
    if (this.isOpen === v) return;
    this.isOpen = v;
    this.el.dataset.open = String(v);
    this.el.setAttribute("aria-hidden", String(!v));
    this.el.inert = !v;
    this.backdrop.hidden = !v;
    this.openChanged(v);
  }

  render(vm: ViewModel): void {
    const ro = vm.readOnly;
    const base = activeBaseSession(vm);
    const cur = currentSession(vm);
    const win = activeWindow(vm);
    const pane = activePane(vm);

    setChildren(
      this.sessions,
      baseSessions(vm).map((s) => {
        const active = s.name === base;
        const item = h(
          "button",
          { class: `item${active ? " active" : ""}`, type: "button", testid: "session-item", "data-name": s.name, "data-active": String(active), "aria-current": active ? "true" : undefined },
          h("span", { class: "mark" }, active ? "●" : ""),
          h("span", { class: "name" }, s.name),
          badge(sessionAttention(s)),
          h("span", { class: "meta" }, `${s.windows} win${s.attached ? " · attached" : ""}`),
        );
        on(item, "click", () => this.act.selectSession(s.name));
        return h("li", {}, item);
      }),
    );

    setChildren(
      this.windows,
      (cur?.windowStates ?? []).map((w) => {
        const active = w === win;
        const item = h(
          "button",
          { class: `item${active ? " active" : ""}`, type: "button", testid: "window-item", "data-index": String(w.index), "data-active": String(active), disabled: ro, "aria-current": active ? "true" : undefined },
          h("span", { class: "mark" }, active ? "●" : ""),
          h("span", { class: "name" }, `${w.index}: ${w.name}`),
          badge(w.attention),
          h("span", { class: "meta" }, `${w.paneCount} pane${w.paneCount === 1 ? "" : "s"}`),
        );
        on(item, "click", () => this.act.selectWindow(w.index));
        return h("li", {}, item);
      }),
    );

    setChildren(
      this.panes,
      (win?.panes ?? []).map((p) => {
        const active = p === pane;
        const item = h(
          "button",
          { class: `item${active ? " active" : ""}`, type: "button", testid: "pane-item", "data-pane-id": p.id, "data-active": String(active), "data-zoomed": String(p.zoomed), disabled: ro, "aria-current": active ? "true" : undefined },
          h("span", { class: "mark" }, active ? "●" : ""),
          h("span", { class: "name" }, `${p.index}: ${p.currentCommand}`),
          badge(p.attention),
          h("span", { class: "meta" }, `${p.id} · ${p.width}×${p.height}${p.zoomed ? " · zoomed" : ""}`),
        );
        on(item, "click", () => this.act.selectPane(p.id));
        return h("li", {}, item);
      }),
    );

    this.titleEl.textContent = ro ? "tmux-mobile · view only" : "tmux-mobile";
    const b = this.buttons;
    const noPane = !pane;
    b.newSession.disabled = ro;
    b.newWindow.disabled = ro || !cur;
    b.splitH.disabled = ro || noPane;
    b.splitV.disabled = ro || noPane;
    b.zoom.disabled = ro || noPane || (win?.panes.length ?? 0) < 2;
    b.zoom.textContent = pane?.zoomed ? "Unzoom Pane" : "Zoom Pane";
    b.closePane.disabled = ro || noPane;
    b.killWindow.disabled = ro || !win;
    b.sticky.textContent = `Sticky Zoom: ${vm.stickyZoom ? "On" : "Off"}`;
    b.sticky.dataset.on = String(vm.stickyZoom);
    b.sticky.setAttribute("aria-pressed", String(vm.stickyZoom));
    const pr = vm.prediction ?? { mode: "auto", active: false };
    b.predict.hidden = !this.act.cyclePrediction;
    b.predict.textContent =
      pr.mode === "auto" ? `Predict Typing: Auto (${pr.active ? "on" : "off"})` : `Predict Typing: ${pr.mode === "on" ? "On" : "Off"}`;
    b.predict.dataset.mode = pr.mode;
    b.predict.title = "Draw typed characters before the server echoes them (Auto: only when the round trip is high)";
    if (this.theme.value !== vm.themeId) this.theme.value = vm.themeId;
  }
}
