import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { Modifiers, DOUBLE_TAP_MS } = await load("modifiers");
const { backoffDelay } = await load("connection");

test("tap = sticky, quick second tap = locked, tap when locked = off", () => {
  let changes = 0;
  const mods = new Modifiers(() => changes++);
  mods.tap("ctrl", 1000);
  assert.equal(mods.get("ctrl"), "sticky");
  mods.tap("ctrl", 1000 + DOUBLE_TAP_MS - 1);
  assert.equal(mods.get("ctrl"), "locked");
  mods.tap("ctrl", 5000);
  assert.equal(mods.get("ctrl"), "off");
  assert.equal(changes, 3);
});

test("a late second tap turns a sticky modifier off", () => {
  const mods = new Modifiers(() => {});
  mods.tap("alt", 0);
  mods.tap("alt", DOUBLE_TAP_MS + 1);
  assert.equal(mods.get("alt"), "off");
});

test("consume clears sticky modifiers and keeps locked ones", () => {
  const mods = new Modifiers(() => {});
  mods.tap("ctrl", 0);
  mods.tap("shift", 0);
  mods.tap("shift", 10);
  assert.deepEqual(mods.current(), { ctrl: true, alt: false, shift: true });
  mods.consume();
  assert.equal(mods.get("ctrl"), "off");
  assert.equal(mods.get("shift"), "locked");
  assert.deepEqual(mods.current(), { ctrl: false, alt: false, shift: true });
});

test("one ESC-prefix modifier: Alt (tmux has no separate Meta or Cmd)", () => {
  const mods = new Modifiers(() => {});
  mods.tap("alt", 0);
  assert.deepEqual(mods.current(), { ctrl: false, alt: true, shift: false });
});

test("Caps Lock toggles", () => {
  const mods = new Modifiers(() => {});
  mods.toggleCaps();
  assert.equal(mods.caps, true);
  mods.toggleCaps();
  assert.equal(mods.caps, false);
});

test("reconnect backoff grows from 0.5 s to 10 s, ±20 % jitter", () => {
  assert.equal(backoffDelay(1, 0.5), 500);
  assert.equal(backoffDelay(2, 0.5), 1000);
  assert.equal(backoffDelay(5, 0.5), 8000);
  assert.equal(backoffDelay(50, 0.5), 10000);
  assert.equal(backoffDelay(50, 1), 12000);
  assert.equal(backoffDelay(1, 0), 400);
});

test("token fingerprints are stable, short and tell tokens apart", async () => {
  const { tokenFingerprint } = await load("connection");
  assert.equal(tokenFingerprint("abc"), tokenFingerprint("abc"));
  assert.match(tokenFingerprint("YW624k3QgAiD-oOCv2wQnwq7"), /^[0-9a-f]{8}$/);
  assert.notEqual(tokenFingerprint("token-a"), tokenFingerprint("token-b"));
});
