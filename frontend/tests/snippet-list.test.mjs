import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { cleanList, escapeText, unescapeText, labelFor, moveItem, problem, SNIPPET_LIMIT, LABEL_LIMIT, TEXT_LIMIT } = await load("snippet-list");

test("escaped text round-trips, control characters included", () => {
  for (const text of ["git status\r", "y", "\x1b[A", "a\\b\\r", "\x03", "tab\there\n", "é ☃ \x7f"]) {
    assert.equal(unescapeText(escapeText(text)), text, JSON.stringify(text));
  }
  assert.equal(escapeText("git status\r"), "git status\\r");
  assert.equal(escapeText("\x1b\x03"), "\\e\\x03");
  assert.equal(unescapeText("/compact\\r"), "/compact\r");
  // An unknown escape or a lone backslash stays as written.
  assert.equal(unescapeText("a\\qb\\"), "a\\qb\\");
  assert.equal(unescapeText("\\x4"), "\\x4");
});

test("labels from text: no final Enter, control characters as ^X, bounded", () => {
  assert.equal(labelFor("git status\r"), "git status");
  assert.equal(labelFor("\x03"), "^C");
  assert.equal(labelFor("\r"), "^M");
  const long = labelFor("x".repeat(100));
  assert.equal([...long].length, LABEL_LIMIT);
  assert.equal(problem({ label: long, text: "x" }), null);
});

test("the server's bounds are checked", () => {
  assert.equal(problem({ label: "ok", text: "y" }), null);
  assert.match(problem({ label: "", text: "y" }), /label is empty/);
  assert.match(problem({ label: "a\tb", text: "y" }), /control/);
  assert.match(problem({ label: "ok", text: "" }), /text is empty/);
  assert.match(problem({ label: "ok", text: "é".repeat(TEXT_LIMIT / 2 + 1) }), /longer/);
});

test("stored and wire lists are cleaned", () => {
  assert.equal(cleanList("nope"), null);
  assert.equal(cleanList(null), null);
  assert.deepEqual(cleanList([{ label: "a", text: "b" }, { label: "", text: "x" }, 3, { label: "c" }, { label: "d", text: "e", extra: 1 }]), [
    { label: "a", text: "b" },
    { label: "d", text: "e" },
  ]);
  const many = Array.from({ length: SNIPPET_LIMIT + 5 }, (_, i) => ({ label: `s${i}`, text: "x" }));
  assert.equal(cleanList(many).length, SNIPPET_LIMIT);
});

test("moving a snippet is clamped at the ends", () => {
  assert.deepEqual(moveItem(["a", "b", "c"], 2, -1), ["a", "c", "b"]);
  assert.deepEqual(moveItem(["a", "b", "c"], 0, -1), ["a", "b", "c"]);
  assert.deepEqual(moveItem(["a", "b", "c"], 2, +1), ["a", "b", "c"]);
});
