// The key toolbar: two fixed rows, an expandable row and an F-key row.
// Keys never take focus, so the soft keyboard stays open while tapping.
import { h, keepFocus, on } from "./dom";
import { encodeChar, encodeKey } from "./keys";
import { MOD_NAMES, Modifiers, type ModName } from "./modifiers";
import { KEYS, loadBool, save } from "./storage";

interface KeyDef {
  id: string;
  label: string;
  title: string;
  cls?: string;
}

const k = (id: string, label: string, title: string, cls?: string): KeyDef => ({ id, label, title, cls });

const ROW1: KeyDef[] = [
  k("esc", "Esc", "Escape"),
  k("ctrl", "Ctrl", "Control modifier (tap: next key, double tap: lock)", "mod"),
  k("alt", "Alt", "Alt modifier (sends ESC prefix)", "mod"),
  k("cmd", "Cmd", "Cmd modifier (sends ESC prefix)", "mod"),
  k("meta", "Meta", "Meta modifier (sends ESC prefix)", "mod"),
  k("slash", "/", "Slash"),
  k("at", "@", "At sign"),
  k("home", "Hm", "Home"),
  k("up", "↑", "Up"),
  k("end", "Ed", "End"),
];
const ROW2: KeyDef[] = [
  k("ctrl-c", "^C", "Ctrl-C (interrupt)", "danger"),
  k("ctrl-b", "^B", "Ctrl-B (tmux prefix)"),
  k("ctrl-r", "^R", "Ctrl-R (history search)"),
  k("shift", "Sft", "Shift modifier", "mod"),
  k("tab", "Tab", "Tab"),
  k("enter", "Enter", "Enter"),
  k("more", "...", "More keys"),
  k("left", "←", "Left"),
  k("down", "↓", "Down"),
  k("right", "→", "Right"),
];
const ROW3: KeyDef[] = [
  k("ctrl-d", "^D", "Ctrl-D (end of input)"),
  k("ctrl-l", "^L", "Ctrl-L (clear)"),
  k("paste", "Paste", "Paste from the clipboard"),
  k("del", "Del", "Delete"),
  k("insert", "Insert", "Insert"),
  k("pgup", "PgUp", "Page up"),
  k("pgdn", "PgDn", "Page down"),
  k("capslock", "CapsLk", "Caps Lock", "mod"),
  k("fkeys", "F-Keys", "Show F1-F12"),
  k("backspace", "⌫", "Backspace"),
];
const FROW: KeyDef[] = Array.from({ length: 12 }, (_, i) => k(`f${i + 1}`, `F${i + 1}`, `F${i + 1}`));

/** Keys that only change the toolbar itself and stay usable read-only. */
const LOCAL_KEYS = new Set(["more", "fkeys"]);

export interface ToolbarHooks {
  /** Sends bytes to the terminal. */
  send(data: string): void;
  paste(): void;
  /** The toolbar changed height: the terminal must fit again. */
  layoutChanged(): void;
}

export class Toolbar {
  readonly el: HTMLElement;
  readonly mods: Modifiers;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly rowMore: HTMLElement;
  private readonly rowF: HTMLElement;
  private expanded: boolean;
  private fkeys = false;

  constructor(private readonly hooks: ToolbarHooks) {
    this.mods = new Modifiers(() => this.render());
    this.expanded = loadBool(KEYS.toolbarExpanded) ?? false;
    const row = (defs: KeyDef[], cls = "") => h("div", { class: `krow ${cls}` }, ...defs.map((d) => this.button(d)));
    this.rowMore = row(ROW3, "krow-more");
    this.rowF = row(FROW, "krow-f");
    this.el = h("nav", { class: "toolbar", testid: "toolbar", "aria-label": "Keys" }, row(ROW1), row(ROW2), this.rowMore, this.rowF);
    this.render();
  }

  private button(d: KeyDef): HTMLButtonElement {
    const long = d.label.length >= 6 ? " long" : "";
    const b = h("button", { class: `key ${d.cls ?? ""}${long}`, type: "button", testid: `key-${d.id}`, title: d.title, "aria-label": d.title }, d.label);
    keepFocus(b);
    on(b, "click", () => this.press(d.id));
    this.buttons.set(d.id, b);
    return b;
  }

  setReadOnly(ro: boolean): void {
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
      case "paste":
        this.hooks.paste();
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
    this.rowMore.hidden = !this.expanded;
    this.rowF.hidden = !(this.expanded && this.fkeys);
    this.buttons.get("more")?.setAttribute("aria-expanded", String(this.expanded));
    this.buttons.get("fkeys")?.setAttribute("aria-expanded", String(this.fkeys));
    const fk = this.buttons.get("fkeys");
    if (fk) fk.dataset.state = this.fkeys ? "on" : "off";
  }
}
