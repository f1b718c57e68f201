import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { applyStateDelta, DeltaMismatch } = await load("state-delta");

const pane = (id) => ({ index: 0, id, currentCommand: "bash", active: true, width: 80, height: 24, zoomed: false });
const win = (index, name) => ({ index, name, active: index === 0, paneCount: 1, panes: [pane(`%${index}`)] });
const base = {
  sessions: [
    { name: "a", attached: true, windows: 2, windowStates: [win(0, "vim"), win(1, "logs")] },
    { name: "b", attached: false, windows: 1, windowStates: [win(0, "sh")] },
  ],
  capturedAt: "2026-12-03T09:00:00.000Z",
};

test("strings and numbers stand for unchanged sessions and windows", () => {
  const delta = {
    sessions: ["b", { name: "a", attached: true, windows: 3, windowStates: [0, win(1, "build"), win(2, "new")] }],
    capturedAt: "2026-12-03T09:00:01.000Z",
    attention: ["%1"],
  };
  const next = applyStateDelta(base, delta);
  assert.deepEqual(next, {
    sessions: [base.sessions[1], { name: "a", attached: true, windows: 3, windowStates: [win(0, "vim"), win(1, "build"), win(2, "new")] }],
    capturedAt: "2026-12-03T09:00:01.000Z",
    attention: ["%1"],
  });
  // The base is not modified.
  assert.equal(base.sessions[0].windowStates[1].name, "logs");
});

test("sessions and windows not listed are gone", () => {
  const next = applyStateDelta(base, { sessions: [{ ...base.sessions[0], windowStates: [1] }], capturedAt: "x" });
  assert.deepEqual(next.sessions, [{ ...base.sessions[0], windowStates: [win(1, "logs")] }]);
});

test("a delta naming what the base lacks is refused", () => {
  for (const bad of [{ sessions: ["zzz"] }, { sessions: [{ name: "a", windowStates: [9] }] }, { sessions: "all" }, null, [3]]) {
    assert.throws(() => applyStateDelta(base, bad), DeltaMismatch, JSON.stringify(bad));
  }
});
