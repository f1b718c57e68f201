// Byte sequences for toolbar keys and typed input, with xterm-style
// modifier encoding. Pure functions: no DOM, so the rules are easy to check.

/**
 * Modifiers in effect for one key press. `alt` is tmux's only Meta modifier
 * (`M-`): Alt, Meta, Option and Cmd all arrive in a pane as the same ESC
 * prefix, so there is no separate Meta or Cmd.
 */
export interface Mods {
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
}

export const NO_MODS: Mods = { ctrl: false, alt: false, shift: false };

/** A key whose modified form follows xterm's `CSI 1;m X` / `CSI n;m ~` rules. */
type Special =
  | { kind: "letter"; final: string; ss3?: boolean } // CSI X, with CSI 1;m X when modified
  | { kind: "tilde"; code: number } // CSI n ~, CSI n;m ~
  | { kind: "plain"; seq: string }; // fixed bytes; only ESC-prefix modifiers apply

const SPECIAL: Record<string, Special> = {
  up: { kind: "letter", final: "A" },
  down: { kind: "letter", final: "B" },
  right: { kind: "letter", final: "C" },
  left: { kind: "letter", final: "D" },
  home: { kind: "letter", final: "H" },
  end: { kind: "letter", final: "F" },
  insert: { kind: "tilde", code: 2 },
  del: { kind: "tilde", code: 3 },
  pgup: { kind: "tilde", code: 5 },
  pgdn: { kind: "tilde", code: 6 },
  f1: { kind: "letter", final: "P", ss3: true },
  f2: { kind: "letter", final: "Q", ss3: true },
  f3: { kind: "letter", final: "R", ss3: true },
  f4: { kind: "letter", final: "S", ss3: true },
  f5: { kind: "tilde", code: 15 },
  f6: { kind: "tilde", code: 17 },
  f7: { kind: "tilde", code: 18 },
  f8: { kind: "tilde", code: 19 },
  f9: { kind: "tilde", code: 20 },
  f10: { kind: "tilde", code: 21 },
  f11: { kind: "tilde", code: 23 },
  f12: { kind: "tilde", code: 24 },
  esc: { kind: "plain", seq: "\x1b" },
  tab: { kind: "plain", seq: "\t" },
  enter: { kind: "plain", seq: "\r" },
  backspace: { kind: "plain", seq: "\x7f" },
  "ctrl-c": { kind: "plain", seq: "\x03" },
  "ctrl-b": { kind: "plain", seq: "\x02" },
  "ctrl-r": { kind: "plain", seq: "\x12" },
  "ctrl-d": { kind: "plain", seq: "\x04" },
  "ctrl-l": { kind: "plain", seq: "\x0c" },
};

/** Ids of keys that `encodeKey` knows. */
export function isSpecialKey(id: string): boolean {
  return Object.prototype.hasOwnProperty.call(SPECIAL, id);
}

/** xterm modifier parameter: 1 + Shift(1) + Alt(2) + Ctrl(4). */
export function modifierParam(m: Mods): number {
  return 1 + (m.shift ? 1 : 0) + (m.alt ? 2 : 0) + (m.ctrl ? 4 : 0);
}

const escPrefix = (m: Mods) => m.alt;

/** Bytes for a named special key (`up`, `f5`, `tab`, `ctrl-c`, ...) under modifiers. */
export function encodeKey(id: string, m: Mods): string {
  const k = SPECIAL[id];
  if (!k) throw new Error(`unknown key ${id}`);
  const p = modifierParam(m);
  switch (k.kind) {
    case "letter":
      if (p === 1) return k.ss3 ? `\x1bO${k.final}` : `\x1b[${k.final}`;
      return `\x1b[1;${p}${k.final}`;
    case "tilde":
      return p === 1 ? `\x1b[${k.code}~` : `\x1b[${k.code};${p}~`;
    case "plain": {
      let seq = k.seq;
      if (id === "tab" && m.shift) seq = "\x1b[Z";
      else if (id === "backspace" && m.ctrl) seq = "\x08";
      return escPrefix(m) ? `\x1b${seq}` : seq;
    }
  }
}

/** The C0 control code for `ch` under Ctrl, or null when there is none. */
export function ctrlCode(ch: string): string | null {
  if (ch.length !== 1) return null;
  const c = ch.charCodeAt(0);
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return String.fromCharCode(c & 0x1f);
  switch (ch) {
    case "@":
    case " ":
    case "2":
      return "\x00";
    case "[":
    case "3":
      return "\x1b";
    case "\\":
    case "4":
      return "\x1c";
    case "]":
    case "5":
      return "\x1d";
    case "^":
    case "6":
      return "\x1e";
    case "_":
    case "/":
    case "-":
    case "7":
      return "\x1f";
    case "?":
    case "8":
      return "\x7f";
    default:
      return null;
  }
}

const isLetter = (ch: string) => /^[a-zA-Z]$/.test(ch);

/** Applies Caps Lock (and Shift, which inverts it) to letters. */
function caseFor(ch: string, shift: boolean, caps: boolean): string {
  if (!isLetter(ch)) return ch;
  return shift !== caps ? ch.toUpperCase() : ch.toLowerCase();
}

/** Bytes for one typed character under modifiers and Caps Lock. */
export function encodeChar(ch: string, m: Mods, caps: boolean): string {
  let out = caseFor(ch, m.shift, caps);
  if (m.ctrl) out = ctrlCode(out) ?? out;
  return escPrefix(m) ? `\x1b${out}` : out;
}

/** Sequences xterm produces for keys that the toolbar also has. */
const FROM_XTERM: Record<string, string> = {
  "\x1b[A": "up",
  "\x1bOA": "up",
  "\x1b[B": "down",
  "\x1bOB": "down",
  "\x1b[C": "right",
  "\x1bOC": "right",
  "\x1b[D": "left",
  "\x1bOD": "left",
  "\x1b[H": "home",
  "\x1bOH": "home",
  "\x1b[F": "end",
  "\x1bOF": "end",
  "\x1b[2~": "insert",
  "\x1b[3~": "del",
  "\x1b[5~": "pgup",
  "\x1b[6~": "pgdn",
  "\x1bOP": "f1",
  "\x1bOQ": "f2",
  "\x1bOR": "f3",
  "\x1bOS": "f4",
  "\x1b[15~": "f5",
  "\x1b[17~": "f6",
  "\x1b[18~": "f7",
  "\x1b[19~": "f8",
  "\x1b[20~": "f9",
  "\x1b[21~": "f10",
  "\x1b[23~": "f11",
  "\x1b[24~": "f12",
  "\x1b": "esc",
  "\t": "tab",
  "\r": "enter",
  "\x7f": "backspace",
};

/** Result of applying toolbar modifiers to input typed into the terminal. */
export interface TypedResult {
  /** Bytes to send. */
  data: string;
  /** True when a modifier was used (sticky modifiers then turn off). */
  consumed: boolean;
}

/**
 * Applies toolbar modifiers and Caps Lock to what xterm reports as typed
 * (`onData`): a soft-keyboard letter with Ctrl becomes its control code, a
 * cursor key with Ctrl becomes `CSI 1;5 A`, and so on. Other sequences
 * (mouse reports, terminal replies) pass through untouched.
 */
export function applyToTyped(data: string, m: Mods, caps: boolean): TypedResult {
  const any = m.ctrl || m.alt || m.shift;
  if (!any && !caps) return { data, consumed: false };
  const key = FROM_XTERM[data];
  if (key) {
    if (!any) return { data, consumed: false };
    return { data: encodeKey(key, m), consumed: true };
  }
  if (data.startsWith("\x1b") || data.length === 0) return { data, consumed: false };
  const chars = Array.from(data);
  if (chars.some((c) => c.charCodeAt(0) < 0x20 && c !== "\r" && c !== "\t")) {
    // A control code typed directly (e.g. a hardware Ctrl chord): keep as is.
    return { data, consumed: false };
  }
  const [first, ...rest] = chars;
  if (first === undefined) return { data, consumed: false };
  const head = encodeChar(first, m, caps);
  const tail = rest.map((c) => caseFor(c, false, caps)).join("");
  return { data: head + tail, consumed: any };
}
