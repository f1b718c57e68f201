import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { serverUrl } = await load("connection");

test("endpoints are next to the page at the root, without the page's query", () => {
  const page = "http://127.0.0.1:8080/?token=secret#x";
  assert.equal(serverUrl("api/config", "http", page), "http://127.0.0.1:8080/api/config");
  assert.equal(serverUrl("ws/control", "ws", page), "ws://127.0.0.1:8080/ws/control");
});

test("under a mount path, endpoints stay under it (page at <mount>/ or <mount>/index.html)", () => {
  for (const page of ["https://host.example/apps/tmux/?token=t", "https://host.example/apps/tmux/index.html?token=t"]) {
    assert.equal(serverUrl("api/push/key", "http", page), "https://host.example/apps/tmux/api/push/key");
    assert.equal(serverUrl("ws/terminal", "ws", page), "wss://host.example/apps/tmux/ws/terminal");
  }
});

test("an explicit port is kept when the scheme becomes ws(s)", () => {
  assert.equal(serverUrl("ws/control", "ws", "https://h:8443/m/"), "wss://h:8443/m/ws/control");
  assert.equal(serverUrl("ws/control", "ws", "http://h:80/m/"), "ws://h/m/ws/control");
});
