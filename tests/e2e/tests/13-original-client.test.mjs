// Issue 6, test 13: an unmodified original-style client — a scripted
// WebSocket client speaking only PROTOCOL.md's base messages (no clientId
// resume, no sessionKey, no binary output, text-frame input) — completes
// auth → auth_ok → attached → tmux_state, then terminal auth with its
// clientId, a resize, and `echo e2e-$((40+2))\r` whose output e2e-42 comes
// back as text frames.
import assert from "node:assert/strict";
import { test } from "node:test";

import WebSocket from "ws";

import { Sandbox } from "../lib/sandbox.mjs";
import { waitFor } from "../lib/wait.mjs";

/** Opens a WebSocket the way a browser on the page's origin would (Origin = the page). */
function open(base, path) {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}${path}`, { origin: base });
  const messages = [];
  ws.on("message", (data, isBinary) => messages.push({ data: isBinary ? data : data.toString("utf8"), isBinary }));
  const closed = new Promise((res) => ws.on("close", (code, reason) => res({ code, reason: reason.toString() })));
  const opened = new Promise((res, rej) => {
    ws.once("open", res);
    ws.once("error", rej);
  });
  return { ws, messages, closed, opened };
}

test("13 original-style client: auth, attach, state, terminal echo", { timeout: 180_000 }, async () => {
  const sandbox = new Sandbox("13-original");
  let app;
  const sockets = [];
  try {
    app = await sandbox.startApp({});

    const config = await (await fetch(`${app.baseUrl}/api/config`)).json();
    assert.equal(config.passwordRequired, true);
    assert.equal(typeof config.scrollbackLines, "number");
    assert.equal(typeof config.pollIntervalMs, "number");

    // Control socket: auth → auth_ok → attached → tmux_state.
    const control = open(app.baseUrl, "/ws/control");
    sockets.push(control.ws);
    await control.opened;
    control.ws.send(JSON.stringify({ type: "auth", token: app.token, password: app.password }));
    const json = () => control.messages.filter((m) => !m.isBinary).map((m) => JSON.parse(m.data));
    await waitFor(() => json().some((m) => m.type === "tmux_state"), { what: "auth_ok, attached and tmux_state" }).catch((e) => {
      throw new Error(`${e.message}; got ${JSON.stringify(json())}`);
    });
    const [authOk, attached, firstState] = json();
    assert.equal(authOk.type, "auth_ok", `first message: ${JSON.stringify(authOk)}`);
    assert.equal(typeof authOk.clientId, "string");
    assert.equal(authOk.requiresPassword, true);
    assert.equal(attached.type, "attached", `second message: ${JSON.stringify(attached)}`);
    assert.equal(attached.session, `tmux-mobile-client-${authOk.clientId}`);
    assert.equal(firstState.type, "tmux_state", `third message: ${JSON.stringify(firstState)}`);
    // The handshake's state already shows the session the client attached to.
    const state = firstState.state;
    assert.ok(Array.isArray(state.sessions), "tmux_state.state.sessions");
    const main = state.sessions.find((s) => s.name === "main");
    assert.ok(main, `no base session main in ${JSON.stringify(state.sessions.map((s) => s.name))}`);
    assert.ok(main.windowStates.length >= 1 && main.windowStates[0].panes.length >= 1);
    assert.match(main.windowStates[0].panes[0].id, /^%\d+$/);

    // Terminal socket: auth with the clientId, resize, then text input.
    const terminal = open(app.baseUrl, "/ws/terminal");
    sockets.push(terminal.ws);
    await terminal.opened;
    terminal.ws.send(JSON.stringify({ type: "auth", token: app.token, password: app.password, clientId: authOk.clientId }));
    terminal.ws.send(JSON.stringify({ type: "resize", cols: 80, rows: 24 }));
    const output = () => terminal.messages.map((m) => (m.isBinary ? m.data.toString("utf8") : m.data)).join("");
    // Wait for the shell prompt before typing.
    await waitFor(() => output().includes("e2e$"), { what: "the shell prompt on the terminal socket" }).catch((e) => {
      throw new Error(`${e.message}; output: ${JSON.stringify(output().slice(-500))}`);
    });
    terminal.ws.send("echo e2e-$((40+2))\r");
    await waitFor(() => /e2e-42/.test(output()), { what: "e2e-42 on the terminal socket" }).catch((e) => {
      throw new Error(`${e.message}; output: ${JSON.stringify(output().slice(-500))}`);
    });
    assert.ok(terminal.messages.every((m) => !m.isBinary), "output came as binary frames to a client that did not ask for them");
    const pane = await sandbox.tmux("capture-pane", "-p", "-t", "=main:");
    assert.match(pane, /^e2e-42$/m, "the command did not run in the main session's pane");
  } catch (e) {
    if (app) console.error(`--- tmux-mobile output ---\n${app.log(80)}`);
    throw e;
  } finally {
    for (const ws of sockets) ws.terminate();
    await app?.stop();
    await sandbox.destroy();
  }
});

// Issue 15, point 5: the unmodified 0.0.8 web client, byte for byte. It
// opens /ws/terminal as soon as it reads control `auth_ok` (before
// `attached`) and authenticates it with token and password only, no
// clientId; the server binds it to that control client (the newest login
// from the same address with the same credentials that has no terminal).
test("13 the 0.0.8 web client: terminal auth without clientId", { timeout: 180_000 }, async () => {
  const sandbox = new Sandbox("13-original-008");
  let app;
  const sockets = [];
  try {
    app = await sandbox.startApp({});
    const auth = `{"type":"auth","token":${JSON.stringify(app.token)},"password":${JSON.stringify(app.password)}}`;
    const control = open(app.baseUrl, "/ws/control");
    sockets.push(control.ws);
    await control.opened;
    let terminal = null;
    control.ws.on("message", (data, isBinary) => {
      if (isBinary || terminal) return;
      if (JSON.parse(data.toString("utf8")).type !== "auth_ok") return;
      terminal = open(app.baseUrl, "/ws/terminal");
      sockets.push(terminal.ws);
      terminal.opened.then(() => {
        terminal.ws.send(auth);
        terminal.ws.send('{"type":"resize","cols":80,"rows":24}');
      });
    });
    control.ws.send(auth);
    await waitFor(() => terminal !== null, { what: "auth_ok on the control socket" });
    const output = () => terminal.messages.map((m) => (m.isBinary ? m.data.toString("utf8") : m.data)).join("");
    await waitFor(() => output().includes("e2e$"), { what: "the shell prompt on the terminal socket" }).catch((e) => {
      throw new Error(`${e.message}; output: ${JSON.stringify(output().slice(-500))}`);
    });
    terminal.ws.send("echo orig-$((40+2))\r");
    await waitFor(() => /orig-42/.test(output()), { what: "orig-42 on the terminal socket" });
    const pane = await sandbox.tmux("capture-pane", "-p", "-t", "=main:");
    assert.match(pane, /^orig-42$/m, "the command did not run in the main session's pane");

    // A second terminal socket of that kind finds no client without a terminal.
    const stray = open(app.baseUrl, "/ws/terminal");
    sockets.push(stray.ws);
    await stray.opened;
    stray.ws.send(auth);
    const closed = await stray.closed;
    assert.equal(closed.code, 4001);
  } catch (e) {
    if (app) console.error(`--- tmux-mobile output ---\n${app.log(80)}`);
    throw e;
  } finally {
    for (const ws of sockets) ws.terminate();
    await app?.stop();
    await sandbox.destroy();
  }
});
