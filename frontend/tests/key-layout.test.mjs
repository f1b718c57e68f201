import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { normalizeOrder, moveKey, rows, DEFAULT_ORDER, MAIN_KEYS, KEYS_PER_ROW, ALL_KEYS } = await load("key-layout");

test("a stored order is cleaned: unknown and repeated ids dropped, new keys appended", () => {
  const out = normalizeOrder(["tab", "nope", "esc", "tab", 3]);
  assert.deepEqual(out.slice(0, 2), ["tab", "esc"]);
  assert.equal(out.length, DEFAULT_ORDER.length);
  assert.equal(new Set(out).size, out.length);
  assert.deepEqual(normalizeOrder("garbage"), [...DEFAULT_ORDER]);
});

test("More always stays among the main keys", () => {
  const order = DEFAULT_ORDER.filter((id) => id !== "more").concat("more");
  const out = normalizeOrder(order);
  assert.ok(out.indexOf("more") < MAIN_KEYS);
  assert.ok(out.indexOf("more") >= 0);
});

test("moving a key shifts it by one place, clamped at the ends", () => {
  const moved = moveKey(DEFAULT_ORDER, 1, -1);
  assert.deepEqual(moved.slice(0, 2), [DEFAULT_ORDER[1], DEFAULT_ORDER[0]]);
  assert.deepEqual(moveKey(DEFAULT_ORDER, 0, -1), [...DEFAULT_ORDER]);
});

test("rows of 8: two main rows, the rest under More; labels are words or symbols", () => {
  const r = rows(DEFAULT_ORDER);
  assert.equal(r.main.length, 2);
  for (const row of [...r.main, ...r.more]) assert.ok(row.length <= KEYS_PER_ROW);
  assert.equal(r.main.flat().length + r.more.flat().length, DEFAULT_ORDER.length);
  for (const d of ALL_KEYS) {
    assert.ok(!["Hm", "Ed", "Sft", "CapsLk", "..."].includes(d.label), `${d.id} has the old label ${d.label}`);
    assert.ok(d.hint.length > 3, `${d.id} has no hint`);
  }
  assert.ok(!DEFAULT_ORDER.includes("cmd") && !DEFAULT_ORDER.includes("meta"), "Cmd/Meta are tmux's M- like Alt");
});
