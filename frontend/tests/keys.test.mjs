import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { encodeKey, encodeChar, ctrlCode, applyToTyped, modifierParam, NO_MODS } = await load("keys");
const m = (o) => ({ ...NO_MODS, ...o });

test("every toolbar key sends the sequence of UI.md", () => {
  const table = {
    esc: "\x1b", home: "\x1b[H", end: "\x1b[F", up: "\x1b[A", down: "\x1b[B", right: "\x1b[C", left: "\x1b[D",
    del: "\x1b[3~", insert: "\x1b[2~", pgup: "\x1b[5~", pgdn: "\x1b[6~", "ctrl-c": "\x03", "ctrl-b": "\x02",
    "ctrl-r": "\x12", "ctrl-d": "\x04", "ctrl-l": "\x0c", tab: "\t", enter: "\r", backspace: "\x7f",
    f1: "\x1bOP", f2: "\x1bOQ", f3: "\x1bOR", f4: "\x1bOS", f5: "\x1b[15~", f6: "\x1b[17~", f7: "\x1b[18~",
    f8: "\x1b[19~", f9: "\x1b[20~", f10: "\x1b[21~", f11: "\x1b[23~", f12: "\x1b[24~",
  };
  for (const [id, seq] of Object.entries(table)) assert.equal(encodeKey(id, NO_MODS), seq, id);
  assert.equal(encodeChar("/", NO_MODS, false), "/");
  assert.equal(encodeChar("@", NO_MODS, false), "@");
});

test("modified cursor keys use xterm's modifier parameter", () => {
  assert.equal(modifierParam(m({ shift: true })), 2);
  assert.equal(modifierParam(m({ alt: true })), 3);
  assert.equal(modifierParam(m({ ctrl: true })), 5);
  assert.equal(modifierParam(m({ ctrl: true, shift: true })), 6);
  assert.equal(modifierParam(m({ ctrl: true, alt: true, shift: true })), 8);
  assert.equal(encodeKey("up", m({ ctrl: true })), "\x1b[1;5A");
  assert.equal(encodeKey("left", m({ shift: true })), "\x1b[1;2D");
  assert.equal(encodeKey("home", m({ alt: true })), "\x1b[1;3H");
  assert.equal(encodeKey("end", m({ ctrl: true, shift: true })), "\x1b[1;6F");
  assert.equal(encodeKey("del", m({ ctrl: true })), "\x1b[3;5~");
  assert.equal(encodeKey("pgup", m({ shift: true })), "\x1b[5;2~");
  assert.equal(encodeKey("f1", m({ ctrl: true })), "\x1b[1;5P");
  assert.equal(encodeKey("f12", m({ alt: true })), "\x1b[24;3~");
});

test("Shift+Tab, Alt prefixes and Ctrl+Backspace", () => {
  assert.equal(encodeKey("tab", m({ shift: true })), "\x1b[Z");
  assert.equal(encodeKey("enter", m({ alt: true })), "\x1b\r");
  assert.equal(encodeKey("esc", m({ alt: true })), "\x1b\x1b");
  assert.equal(encodeKey("backspace", m({ ctrl: true })), "\x08");
  assert.equal(encodeKey("ctrl-c", m({ alt: true })), "\x1b\x03");
  assert.throws(() => encodeKey("nope", NO_MODS));
});

test("Ctrl maps characters to control codes", () => {
  assert.equal(ctrlCode("a"), "\x01");
  assert.equal(ctrlCode("C"), "\x03");
  assert.equal(ctrlCode("z"), "\x1a");
  assert.equal(ctrlCode("@"), "\x00");
  assert.equal(ctrlCode(" "), "\x00");
  assert.equal(ctrlCode("["), "\x1b");
  assert.equal(ctrlCode("\\"), "\x1c");
  assert.equal(ctrlCode("]"), "\x1d");
  assert.equal(ctrlCode("/"), "\x1f");
  assert.equal(ctrlCode("?"), "\x7f");
  assert.equal(ctrlCode("é"), null);
  assert.equal(encodeChar("/", m({ ctrl: true }), false), "\x1f");
  assert.equal(encodeChar("x", m({ ctrl: true, alt: true }), false), "\x1b\x18");
});

test("Shift and Caps Lock change letters only", () => {
  assert.equal(encodeChar("a", m({ shift: true }), false), "A");
  assert.equal(encodeChar("a", NO_MODS, true), "A");
  assert.equal(encodeChar("a", m({ shift: true }), true), "a");
  assert.equal(encodeChar("1", m({ shift: true }), true), "1");
});

test("typed input honours toolbar modifiers", () => {
  assert.deepEqual(applyToTyped("c", m({ ctrl: true }), false), { data: "\x03", consumed: true });
  assert.deepEqual(applyToTyped("x", m({ alt: true }), false), { data: "\x1bx", consumed: true });
  assert.deepEqual(applyToTyped("\x1b[A", m({ ctrl: true }), false), { data: "\x1b[1;5A", consumed: true });
  assert.deepEqual(applyToTyped("\x1bOA", m({ shift: true }), false), { data: "\x1b[1;2A", consumed: true });
  assert.deepEqual(applyToTyped("\t", m({ shift: true }), false), { data: "\x1b[Z", consumed: true });
  assert.deepEqual(applyToTyped("\x7f", m({ alt: true }), false), { data: "\x1b\x7f", consumed: true });
  // Multi-character input (a soft-keyboard word): the modifier applies to the first character.
  assert.deepEqual(applyToTyped("cd", m({ ctrl: true }), false), { data: "\x03d", consumed: true });
  assert.deepEqual(applyToTyped("abc", NO_MODS, true), { data: "ABC", consumed: false });
  assert.deepEqual(applyToTyped("abc", NO_MODS, false), { data: "abc", consumed: false });
});

test("terminal replies and mouse reports pass through untouched", () => {
  for (const seq of ["\x1b[<0;10;5M", "\x1b[M #!", "\x1b[?1;2c", "\x1b]11;rgb:0000/0000/0000\x07", "\x03"]) {
    assert.deepEqual(applyToTyped(seq, m({ ctrl: true }), true), { data: seq, consumed: false }, JSON.stringify(seq));
  }
});


const { inputBytes } = await load("ime");

test("what a keyboard inserts outside a composition becomes exactly those bytes", () => {
  assert.equal(inputBytes("insertText", " "), " ");
  assert.equal(inputBytes("insertText", "é"), "é");
  assert.equal(inputBytes("insertText", ""), null);
  assert.equal(inputBytes("insertLineBreak", null), "\r");
  assert.equal(inputBytes("deleteContentBackward", null), "\x7f");
  assert.equal(inputBytes("insertCompositionText", "ab"), null, "compositions stay with xterm");
  assert.equal(inputBytes("insertFromPaste", "x"), null, "pastes stay with xterm (bracketed paste)");
});
