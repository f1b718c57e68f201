// The toolbar's keys: what each one is called and does, and the order the
// person arranged them in (stored per device). Pure data and functions, no
// DOM, so the rules are easy to check.

export interface KeyDef {
  id: string;
  /** What the key shows: a word or a symbol everybody reads the same way. */
  label: string;
  /** A second, smaller line for keys whose label is jargon (`^C` → "stop"). */
  sub?: string;
  /** The long-press hint (also the accessible name). */
  hint: string;
  cls?: string;
}

const k = (id: string, label: string, hint: string, opts: { sub?: string; cls?: string } = {}): KeyDef => ({ id, label, hint, ...opts });

/** Every key the toolbar knows, in the default order. F1–F12 have their own row. */
export const ALL_KEYS: readonly KeyDef[] = [
  k("esc", "Esc", "Escape"),
  k("tab", "Tab", "Tab (Shift + Tab: back-tab)"),
  k("ctrl", "Ctrl", "Control: tap = next key only, double tap = lock, tap again = off", { cls: "mod" }),
  k("alt", "Alt", "Alt / Meta / Option: ESC before the next key (tmux's M-). Tap = next key, double tap = lock", { cls: "mod" }),
  k("up", "↑", "Arrow up"),
  k("ctrl-c", "^C", "Ctrl-C: interrupt the running program", { sub: "stop", cls: "danger" }),
  k("slash", "/", "Slash"),
  k("more", "More", "More keys: Home, End, Page up/down, F-keys…"),
  k("shift", "Shift", "Shift: tap = next key only, double tap = lock", { cls: "mod" }),
  k("enter", "⏎", "Enter (Return)", { sub: "enter" }),
  k("left", "←", "Arrow left"),
  k("down", "↓", "Arrow down"),
  k("right", "→", "Arrow right"),
  k("ctrl-b", "^B", "Ctrl-B: tmux's prefix key", { sub: "tmux" }),
  k("ctrl-r", "^R", "Ctrl-R: search the shell history", { sub: "history" }),
  k("at", "@", "At sign"),
  // The "More" rows.
  k("select", "Select", "Select text on the screen to copy it (or long-press the terminal)"),
  k("find", "Find", "Find text on the screen (the scrollback viewer finds in the history)"),
  k("home", "Home", "Home: start of line"),
  k("end", "End", "End: end of line"),
  k("pgup", "PgUp", "Page up"),
  k("pgdn", "PgDn", "Page down"),
  k("del", "Del", "Delete (forward)"),
  k("backspace", "⌫", "Backspace", { sub: "back" }),
  k("ctrl-d", "^D", "Ctrl-D: end of input (exits a shell)", { sub: "EOF" }),
  k("ctrl-l", "^L", "Ctrl-L: clear the screen", { sub: "clear" }),
  k("paste", "Paste", "Paste from the clipboard into the pane"),
  k("snippets", "Text", "Snippets: show or hide your row of buttons that type a text (long-press one to edit it)", { sub: "snippets" }),
  k("insert", "Ins", "Insert"),
  k("capslock", "Caps", "Caps Lock: capital letters until tapped again", { cls: "mod" }),
  k("fkeys", "F1–12", "Show the function keys F1 to F12"),
  k("arrange", "Keys", "Arrange the toolbar keys (saved on this device)", { sub: "arrange" }),
];

export const FKEYS: readonly KeyDef[] = Array.from({ length: 12 }, (_, i) => k(`f${i + 1}`, `F${i + 1}`, `Function key F${i + 1}`));

/** Keys per toolbar row: 8 keeps every key ≥ 44 px wide on a 390 px phone. */
export const KEYS_PER_ROW = 8;
/** The first this many keys of the order are always shown; the rest under "More". */
export const MAIN_KEYS = 2 * KEYS_PER_ROW;

export const DEFAULT_ORDER: readonly string[] = ALL_KEYS.map((d) => d.id);

const BY_ID = new Map(ALL_KEYS.map((d) => [d.id, d]));

export function keyDef(id: string): KeyDef | undefined {
  return BY_ID.get(id) ?? FKEYS.find((d) => d.id === id);
}

/**
 * The order to use from what storage holds: unknown ids dropped, duplicates
 * dropped, keys added since it was saved appended; `more` always stays among
 * the main keys (otherwise nothing could open the rest).
 */
export function normalizeOrder(stored: unknown): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  if (Array.isArray(stored)) {
    for (const id of stored) {
      if (typeof id === "string" && BY_ID.has(id) && !seen.has(id)) {
        seen.add(id);
        out.push(id);
      }
    }
  }
  for (const id of DEFAULT_ORDER) if (!seen.has(id)) out.push(id);
  const more = out.indexOf("more");
  if (more >= MAIN_KEYS) {
    out.splice(more, 1);
    out.splice(MAIN_KEYS - 1, 0, "more");
  }
  return out;
}

/** `order` with the key at `from` moved by `delta` places (clamped). */
export function moveKey(order: readonly string[], from: number, delta: number): string[] {
  const out = [...order];
  const to = Math.max(0, Math.min(out.length - 1, from + delta));
  const [id] = out.splice(from, 1);
  if (id !== undefined) out.splice(to, 0, id);
  return normalizeOrder(out);
}

/** Splits an order into rows of `KEYS_PER_ROW`: main rows first, then the "More" rows. */
export function rows(order: readonly string[]): { main: string[][]; more: string[][] } {
  const chunk = (ids: readonly string[]) => {
    const r: string[][] = [];
    for (let i = 0; i < ids.length; i += KEYS_PER_ROW) r.push(ids.slice(i, i + KEYS_PER_ROW));
    return r;
  };
  return { main: chunk(order.slice(0, MAIN_KEYS)), more: chunk(order.slice(MAIN_KEYS)) };
}
