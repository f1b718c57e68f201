import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { activeBaseSession, activePane, activeWindow, baseSessions, currentSession } = await load("drawer");

const pane = (index, active, extra = {}) => ({ index, id: `%${index + 10}`, currentCommand: "bash", active, width: 80, height: 24, zoomed: false, ...extra });
const win = (index, name, active, panes) => ({ index, name, active, paneCount: panes.length, panes });
const session = (name, windowStates, attached = false) => ({ name, attached, windows: windowStates.length, windowStates });

const main = session("main", [win(0, "bash", true, [pane(0, true)]), win(1, "logs", false, [pane(1, true)])]);
const work = session("work", [win(0, "vim", true, [pane(2, false), pane(3, true, { zoomed: true })])]);
// The client's grouped session shares main's windows but has its own window focus.
const mine = session("tmux-mobile-client-abc", [win(0, "bash", false, [pane(0, true)]), win(1, "logs", true, [pane(1, true)])], true);
const vm = (o) => ({ state: { sessions: [main, work, mine], capturedAt: "" }, attachedSession: mine.name, baseSession: null, readOnly: false, stickyZoom: true, themeId: "midnight", ...o });

test("managed sessions are never listed as user sessions", () => {
  assert.deepEqual(baseSessions(vm()).map((s) => s.name), ["main", "work"]);
});

test("the client's own grouped session gives the window focus", () => {
  assert.equal(currentSession(vm()).name, mine.name);
  assert.equal(activeWindow(vm()).name, "logs");
  assert.equal(activePane(vm()).id, "%11");
});

test("the base session is the remembered choice, else the one with the same windows", () => {
  assert.equal(activeBaseSession(vm()), "main");
  assert.equal(activeBaseSession(vm({ baseSession: "work" })), "work");
  // A remembered session that no longer exists falls back to inference.
  assert.equal(activeBaseSession(vm({ baseSession: "gone" })), "main");
});

test("without its grouped session in the state, the base session's windows are shown", () => {
  const v = vm({ state: { sessions: [main, work], capturedAt: "" }, baseSession: "work" });
  assert.equal(currentSession(v).name, "work");
  assert.equal(activePane(v).id, "%13");
  assert.equal(activePane(v).zoomed, true);
});

test("no state yet: nothing is active", () => {
  const v = vm({ state: null, attachedSession: null });
  assert.equal(currentSession(v), undefined);
  assert.equal(activeWindow(v), undefined);
  assert.equal(activeBaseSession(v), null);
});
