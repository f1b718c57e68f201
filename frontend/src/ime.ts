// Soft keyboards that compose (Gboard, SwiftKey, every CJK IME) type into
// xterm's hidden textarea. xterm.js 6 turns that into input by diffing the
// textarea after 0 ms timeouts (`CompositionHelper`): measured in the e2e
// test `21-composition`, a space typed right after a word arrived before
// the word (" echo hello"), a corrected word ("wrld" → "world") was lost,
// and with Android's keydown 229 a space never arrived. xterm.js issue 3600
// and kin report the same as doubled or mangled words.
//
// So this module owns IME input, from listeners on an ancestor of the
// textarea in the capture phase (they run before xterm's own):
// - a composition is shown at the cursor while it runs and sent once, in
//   order, when it ends (`compositionend`'s data, which is what the
//   keyboard committed, corrections included); xterm never sees it;
// - outside a composition, a keydown 229 (Android's "some key") is kept
//   from xterm, and the text it announces comes from `beforeinput`, which
//   says exactly what is inserted or deleted.
// Keys with real key codes and text inserted without any key (a desktop
// keyboard, pasting) stay with xterm, as before.
import type { Terminal } from "@xterm/xterm";

/** The bytes a non-composing `beforeinput` stands for, or null to leave it to xterm. */
export function inputBytes(inputType: string, data: string | null): string | null {
  switch (inputType) {
    case "insertText":
    case "insertReplacementText":
      return data ? data : null;
    case "insertLineBreak":
    case "insertParagraph":
      return "\r";
    case "deleteContentBackward":
      return "\x7f";
    default:
      return null;
  }
}

/** An `input` event right after a commit that only repeats it (some keyboards send one). */
const ECHO_WINDOW_MS = 80;

/** Installs the IME input path on `term` (after `term.open`). */
export function installImeInput(term: Terminal): void {
  const root = term.element;
  const ta = term.textarea;
  if (!root || !ta) return;
  const preview = root.querySelector<HTMLElement>(".composition-view");
  let composing = false;
  /** A keydown 229 was kept from xterm: the next `beforeinput` is ours to send. */
  let pending229 = false;
  let committed: { data: string; at: number } | null = null;
  const opts = { capture: true };
  const mine = (e: Event) => e.target === ta;

  const showPreview = (text: string) => {
    if (!preview) return;
    preview.textContent = text;
    preview.classList.toggle("active", text !== "");
    const screen = root.querySelector(".xterm-screen")?.getBoundingClientRect();
    const box = root.getBoundingClientRect();
    if (!screen || !text) return;
    const buf = term.buffer.active;
    const w = screen.width / term.cols;
    const hgt = screen.height / term.rows;
    preview.style.left = `${Math.round(screen.left - box.left + buf.cursorX * w)}px`;
    preview.style.top = `${Math.round(screen.top - box.top + buf.cursorY * hgt)}px`;
    preview.style.height = `${Math.round(hgt)}px`;
    preview.style.lineHeight = `${Math.round(hgt)}px`;
  };

  root.addEventListener(
    "compositionstart",
    (e) => {
      if (!mine(e)) return;
      e.stopPropagation();
      composing = true;
      showPreview("");
    },
    opts,
  );
  root.addEventListener(
    "compositionupdate",
    (e) => {
      if (!mine(e)) return;
      e.stopPropagation();
      showPreview((e as CompositionEvent).data);
    },
    opts,
  );
  root.addEventListener(
    "compositionend",
    (e) => {
      if (!mine(e)) return;
      e.stopPropagation();
      composing = false;
      showPreview("");
      const data = (e as CompositionEvent).data;
      if (data) {
        committed = { data, at: performance.now() };
        term.input(data, true);
      }
    },
    opts,
  );
  root.addEventListener(
    "keydown",
    (e) => {
      if (!mine(e)) return;
      const ke = e as KeyboardEvent;
      committed = null;
      pending229 = false;
      if (ke.keyCode === 229 || ke.isComposing || composing) {
        // The IME's key: nothing for xterm to diff.
        e.stopPropagation();
        pending229 = ke.keyCode === 229 && !ke.isComposing && !composing;
      }
    },
    opts,
  );
  root.addEventListener(
    "beforeinput",
    (e) => {
      if (!mine(e)) return;
      const ie = e as InputEvent;
      if (ie.isComposing || composing || !pending229) return;
      pending229 = false;
      const bytes = inputBytes(ie.inputType, ie.data);
      if (bytes === null) return;
      // The textarea stays as it was: nothing for xterm to diff or resend.
      e.preventDefault();
      term.input(bytes, true);
    },
    opts,
  );
  root.addEventListener(
    "input",
    (e) => {
      if (!mine(e)) return;
      const ie = e as InputEvent;
      if (ie.isComposing || composing || ie.inputType === "insertCompositionText") {
        e.stopPropagation();
        return;
      }
      if (committed && ie.data === committed.data && performance.now() - committed.at <= ECHO_WINDOW_MS) {
        // The keyboard repeating the word it just committed.
        committed = null;
        e.stopPropagation();
      }
    },
    opts,
  );
}
