// Android keyboards (Gboard, SwiftKey) report every key as keydown 229
// ("Unidentified") and put the text in xterm's hidden textarea. xterm.js
// answers a 229 by diffing the textarea before and after a 0 ms timeout
// (`CompositionHelper._handleAnyTextareaChanges`): text that lands after
// the timeout is lost, and a textarea the keyboard rewrote to the same
// length is sent whole, again (xterm.js issue 3600 and kin). Measured in
// the e2e test `21-composition`: a space typed that way never arrived.
//
// So, outside a composition, a 229 is kept from xterm and the text of the
// input it announces comes from `beforeinput` instead, which says exactly
// what is inserted or deleted (other input, with real key codes or none,
// stays with xterm); compositions themselves stay with xterm, whose
// compositionstart/compositionend handling sends each committed word once.
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

/** Installs the input path on `term`'s textarea (after `term.open`). */
export function installImeInput(term: Terminal): void {
  const ta = term.textarea;
  if (!ta) return;
  let composing = false;
  /** A keydown 229 was kept from xterm: the next input is ours to send. */
  let pending229 = false;
  // Capture listeners on the target run before xterm's (bubble) ones.
  const opts = { capture: true };
  ta.addEventListener("compositionstart", () => (composing = true), opts);
  ta.addEventListener("compositionend", () => (composing = false), opts);
  ta.addEventListener(
    "keydown",
    (e) => {
      pending229 = e.keyCode === 229 && !e.isComposing && !composing;
      if (pending229) e.stopImmediatePropagation();
    },
    opts,
  );
  ta.addEventListener(
    "beforeinput",
    (e) => {
      if (e.isComposing || composing || !pending229) return;
      pending229 = false;
      const bytes = inputBytes(e.inputType, e.data);
      if (bytes === null) return;
      // The textarea stays as it was: nothing for xterm to diff or resend.
      e.preventDefault();
      term.input(bytes, true);
    },
    opts,
  );
}
