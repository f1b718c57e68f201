// The key toolbar: two main rows, the "More" rows and an F-key row, in the
// order the person arranged (per device). Keys never take focus, so the soft
// keyboard stays open while tapping; a long press shows what a key does.
import { openArrange } from "./arrange";
import { h, keepFocus, on, onTapOrLongPress, type PressTimer, setChildren } from "./dom";
import { FKEYS, keyDef, type KeyDef, MAIN_KEYS, moveKey, normalizeOrder, rows } from "./key-layout";
import { encodeChar, encodeKey } from "./keys";
import { MOD_NAMES, Modifiers, type ModName } from "./modifiers";
import { KEYS, load, loadBool, remove, save } from "./storage";

/** Keys that only change the toolbar itself and stay usable read-only. */
const LOCAL_KEYS = new Set(["more", "fkeys", "arrange", "select", "find"]);
/** Held this long, a key shows its hint instead of acting. */
export const LONG_PRESS_MS = 500;

export interface ToolbarHooks {
  /** Sends bytes to the terminal. */
  send(data: string): void;
  paste(): void;
  /** The Select key: start selecting text on the screen. */
  select(): void;
  /** The Find key: search the screen. */
  find(): void;
  /** The snippets key: show or hide the snippet row. */
  snippets(): void;
  /** The toolbar changed height: the terminal must fit again. */
  layoutChanged(): void;
}

function loadOrder(): string[] {
  try {
    return normalizeOrder(JSON.parse(load(KEYS.toolbarLayout) ?? "null"));
  } catch {
    return normalizeOrder(null);
  }
}

export class Toolbar {
  readonly el: HTMLElement;
  readonly mods: Modifiers;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly rowsMain = h("div", { class: "krows" });
  private readonly rowsMore = h("div", { class: "krows krow-more", testid: "toolbar-more" });
  private readonly rowF: HTMLElement;
  private readonly hint = h("div", { class: "key-hint", testid: "key-hint", role: "tooltip", hidden: true });
  private readonly hintTimer: PressTimer = {};
  private expanded: boolean;
  private fkeys = false;
  private readOnly = false;
  private order: string[];

  constructor(private readonly hooks: ToolbarHooks) {
    this.mods = new Modifiers(() => this.render());
    this.expanded = loadBool(KEYS.toolbarExpanded) ?? false;
    this.order = loadOrder();
    this.rowF = h("div", { class: "krow krow-f" }, ...FKEYS.map((d) => this.button(d)));
    this.el = h("nav", { class: "toolbar", testid: "toolbar", "aria-label": "Keys" }, this.rowsMain, this.rowsMore, this.rowF, this.hint);
    this.build();
  }

  /** The key ids in their current order (main rows first). */
  get layout(): readonly string[] {
    return this.order;
  }

  private build(): void {
    const { main, more } = rows(this.order);
    const row = (ids: string[]) => h("div", { class: "krow" }, ...ids.map((id) => this.buttonFor(id)));
    setChildren(this.rowsMain, main.map(row));
    setChildren(this.rowsMore, more.map(row));
    this.setReadOnly(this.readOnly);
    this.render();
  }

  private buttonFor(id: string): HTMLButtonElement {
    const existing = this.buttons.get(id);
    if (existing) return existing;
    const d = keyDef(id);
    if (!d) throw new Error(`unknown toolbar key ${id}`);
    return this.button(d);
  }

  private button(d: KeyDef): HTMLButtonElement {
    const b = h(
      "button",
      { class: `key ${d.cls ?? ""}${d.sub ? " has-sub" : ""}`, type: "button", testid: `key-${d.id}`, title: d.hint, "aria-label": d.hint, "data-key": d.id },
      h("span", { class: "key-label" }, d.label),
      d.sub ? h("span", { class: "key-sub" }, d.sub) : null,
    );
    keepFocus(b);
    // A long press shows the hint; it does not also act.
    onTapOrLongPress(
      b,
      this.hintTimer,
      LONG_PRESS_MS,
      () => this.showHint(b, d),
      () => this.press(d.id),
    );
    this.buttons.set(d.id, b);
    return b;
  }

  private showHint(b: HTMLElement, d: KeyDef): void {
    this.hint.textContent = d.hint;
    this.hint.dataset.key = d.id;
    this.hint.hidden = false;
    const bar = this.el.getBoundingClientRect();
    const r = b.getBoundingClientRect();
    const w = Math.min(260, bar.width - 8);
    const left = Math.max(4, Math.min(bar.width - w - 4, r.left - bar.left + r.width / 2 - w / 2));
    this.hint.style.width = `${w}px`;
    this.hint.style.left = `${left}px`;
    this.hint.style.bottom = `${bar.bottom - r.top + 6}px`;
    window.setTimeout(() => (this.hint.hidden = true), 2500);
  }

  setReadOnly(ro: boolean): void {
    this.readOnly = ro;
    for (const [id, b] of this.buttons) b.disabled = ro && !LOCAL_KEYS.has(id);
    if (ro) this.mods.reset();
  }

  /** Handles a tap on a toolbar key. */
  press(id: string): void {
    if ((MOD_NAMES as readonly string[]).includes(id)) {
      this.mods.tap(id as ModName, performance.now());
      return;
    }
    switch (id) {
      case "capslock":
        this.mods.toggleCaps();
        return;
      case "more":
        this.expanded = !this.expanded;
        save(KEYS.toolbarExpanded, String(this.expanded));
        this.render();
        this.hooks.layoutChanged();
        return;
      case "fkeys":
        this.fkeys = !this.fkeys;
        this.render();
        this.hooks.layoutChanged();
        return;
      case "arrange":
        this.arrange();
        return;
      case "paste":
        this.hooks.paste();
        return;
      case "select":
        this.hooks.select();
        return;
      case "find":
        this.hooks.find();
        return;
      case "snippets":
        this.hooks.snippets();
        return;
      case "slash":
      case "at":
        this.hooks.send(encodeChar(id === "slash" ? "/" : "@", this.mods.current(), this.mods.caps));
        break;
      default:
        this.hooks.send(encodeKey(id, this.mods.current()));
    }
    this.mods.consume();
  }

  /** Uses `order` (normalized), saves it for this device and rebuilds the rows. */
  setLayout(order: readonly string[] | null): void {
    this.order = normalizeOrder(order);
    if (order === null) remove(KEYS.toolbarLayout);
    else save(KEYS.toolbarLayout, JSON.stringify(this.order));
    this.build();
    this.hooks.layoutChanged();
  }

  /** The "Arrange keys" dialog (`arrange.ts`): move keys up/down the order; the first 16 are the main rows. */
  arrange(): void {
    const reset = h("button", { class: "btn", type: "button", testid: "arrange-reset" }, "Reset");
    const dialog = openArrange({
      testid: "arrange",
      title: "Arrange keys",
      info: "first 16 always shown",
      rows: () =>
        this.order.map((id, i) => {
          const d = keyDef(id);
          return { key: id, label: d?.label ?? id, hint: d?.hint ?? "", cls: i < MAIN_KEYS ? undefined : "arrange-more" };
        }),
      move: (from, delta) => this.setLayout(moveKey(this.order, from, delta)),
      extra: [reset],
    });
    on(reset, "click", () => {
      this.setLayout(null);
      dialog.redraw();
    });
  }

  private render(): void {
    for (const n of MOD_NAMES) {
      const b = this.buttons.get(n);
      if (b) {
        const s = this.mods.get(n);
        b.dataset.state = s;
        b.setAttribute("aria-pressed", s === "off" ? "false" : "true");
      }
    }
    const caps = this.buttons.get("capslock");
    if (caps) {
      caps.dataset.state = this.mods.caps ? "locked" : "off";
      caps.setAttribute("aria-pressed", String(this.mods.caps));
    }
    this.rowsMore.hidden = !this.expanded;
    this.rowF.hidden = !(this.expanded && this.fkeys);
    const more = this.buttons.get("more");
    if (more) {
      more.setAttribute("aria-expanded", String(this.expanded));
      more.dataset.state = this.expanded ? "on" : "off";
      const label = more.querySelector(".key-label");
      if (label) label.textContent = this.expanded ? "Less" : "More";
    }
    this.buttons.get("fkeys")?.setAttribute("aria-expanded", String(this.fkeys));
    const fk = this.buttons.get("fkeys");
    if (fk) fk.dataset.state = this.fkeys ? "on" : "off";
  }
}
