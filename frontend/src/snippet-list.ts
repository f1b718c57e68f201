// Snippets as data: the list a phone keeps (per device), checked the way the
// server checks its defaults (PROTOCOL.md, "Snippets"), and the escaped form
// a person edits a snippet's text in (`\r` for Enter). No DOM, so the rules
// are easy to test.

export interface Snippet {
  label: string;
  text: string;
}

/** The same bounds as the server's (`tmux_mobile_protocol::snippet`). */
export const SNIPPET_LIMIT = 48;
export const LABEL_LIMIT = 40;
export const TEXT_LIMIT = 4096;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Why `s` cannot be a snippet, or null when it can. */
export function problem(s: Snippet): string | null {
  if (s.text === "") return "The text is empty.";
  if (utf8Length(s.text) > TEXT_LIMIT) return `The text is longer than ${TEXT_LIMIT} bytes.`;
  const chars = [...s.label].length;
  if (chars === 0) return "The label is empty.";
  if (chars > LABEL_LIMIT) return `The label is longer than ${LABEL_LIMIT} characters.`;
  if (CONTROL.test(s.label)) return "The label must not contain control characters.";
  return null;
}

/** A list from storage or the server: only valid snippets, at most SNIPPET_LIMIT; null when `v` is not a list. */
export function cleanList(v: unknown): Snippet[] | null {
  if (!Array.isArray(v)) return null;
  const out: Snippet[] = [];
  for (const item of v) {
    if (typeof item !== "object" || item === null) continue;
    const { label, text } = item as { label?: unknown; text?: unknown };
    if (typeof label !== "string" || typeof text !== "string") continue;
    const s = { label, text };
    if (problem(s) === null && out.length < SNIPPET_LIMIT) out.push(s);
  }
  return out;
}

/** A label for `text` when the person gives none: the text without its final Enter, control characters as `^X`. */
export function labelFor(text: string): string {
  const body = text.endsWith("\r") && text.length > 1 ? text.slice(0, -1) : text;
  let out = "";
  for (const c of body) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20) out += `^${String.fromCharCode(code + 64)}`;
    else if (CONTROL.test(c)) out += "?";
    else out += c;
  }
  const chars = [...out];
  return chars.length > LABEL_LIMIT ? `${chars.slice(0, LABEL_LIMIT - 1).join("")}…` : out;
}

/** `text` as a person edits it: `\r` Enter, `\n`, `\t`, `\e` Esc, `\\`, other control characters as `\xNN`. */
export function escapeText(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (c === "\\") out += "\\\\";
    else if (c === "\r") out += "\\r";
    else if (c === "\n") out += "\\n";
    else if (c === "\t") out += "\\t";
    else if (code === 0x1b) out += "\\e";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return out;
}

/** The inverse of `escapeText`; an unknown escape is kept as it is written. */
export function unescapeText(edited: string): string {
  let out = "";
  for (let i = 0; i < edited.length; i++) {
    const c = edited[i];
    if (c !== "\\" || i + 1 >= edited.length) {
      out += c;
      continue;
    }
    const n = edited[i + 1];
    const simple: Record<string, string> = { r: "\r", n: "\n", t: "\t", e: "\x1b", "\\": "\\" };
    if (n in simple) {
      out += simple[n];
      i++;
    } else if (n === "x" && /^[0-9a-fA-F]{2}$/.test(edited.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(edited.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      out += c;
    }
  }
  return out;
}

/** `list` with the element at `from` moved by `delta` places (clamped). */
export function moveItem<T>(list: readonly T[], from: number, delta: number): T[] {
  const out = [...list];
  const to = Math.max(0, Math.min(out.length - 1, from + delta));
  const [item] = out.splice(from, 1);
  if (item !== undefined) out.splice(to, 0, item);
  return out;
}
