// Issue 13: the browser UI loads from a server mounted under a path of a
// host app. crates/server/examples/mount.rs serves tmux-mobile under /tmux/
// next to the host's own routes; the page is opened at the link a person
// would type without the slash (`/tmux?token=…`, redirected to /tmux/),
// logs in, and drives the shell. Every request the page makes (scripts,
// styles, icons, api/config, both sockets) stays under /tmux/, and the
// service worker is scoped to it. (The manifest and every file the page
// names are fetched under the prefix by crates/server/tests/it/examples.rs;
// headless Chromium does not always fetch a manifest.)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { test } from "node:test";

import { login, rowEquals, runInTerminal, waitForTerm } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

/** The mount example (built by `cargo xtask e2e`), next to the binary under test. */
function examplePath() {
  const bin = process.env.TMUX_MOBILE_MOUNT_EXAMPLE;
  if (bin) return resolve(bin);
  return resolve(import.meta.dirname, "../../../target/debug/examples/mount");
}

/** The example running against `sandbox`'s tmux server, as an entry of the scenario's apps (stopped and reported by it). */
function startExample(sandbox) {
  const output = [];
  const proc = spawn(examplePath(), ["0"], { env: sandbox.env, stdio: ["ignore", "pipe", "pipe"] });
  let exited = null;
  const exit = new Promise((res) => {
    proc.on("exit", (code, signal) => res((exited = { code, signal })));
    proc.on("error", (e) => res((exited = { error: e.message })));
  });
  const kill = () => proc.kill("SIGKILL");
  process.on("exit", kill);
  for (const [stream, tag] of [[proc.stdout, ""], [proc.stderr, "[stderr] "]]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => output.push(...chunk.split("\n").filter(Boolean).map((l) => tag + l)));
  }
  return {
    args: ["examples/mount 0"],
    log: (n = 80) => output.slice(-n).join("\n"),
    url: () => {
      if (exited) throw new Error(`the mount example exited (${JSON.stringify(exited)}):\n${output.join("\n")}`);
      return output.map((l) => l.match(/http:\/\/\S+/)?.[0]).find(Boolean);
    },
    async stop() {
      // Ctrl-C: the example shuts the server down and removes its sessions.
      if (!exited) proc.kill("SIGINT");
      const timer = setTimeout(kill, 15_000);
      const result = await exit;
      clearTimeout(timer);
      process.off("exit", kill);
      return result;
    },
  };
}

test("30 mounted under /tmux/: the UI loads there, every request stays under it, the shell works", { timeout: 240_000 }, () =>
  scenario(
    "30-mount",
    {
      app: false,
      // The example's tmux socket is `-L mounted` (in the sandbox's private TMUX_TMPDIR).
      before: async (sandbox) => {
        sandbox.socket = "mounted";
        await sandbox.newSession("main");
      },
    },
    async ({ sandbox, page, apps }) => {
      const example = startExample(sandbox);
      apps.push(example);
      const url = await waitFor(() => example.url(), { what: "the mount example's URL" });
      const printed = new URL(url);
      assert.equal(printed.pathname, "/tmux/");
      const token = printed.searchParams.get("token");

      const requests = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("websocket", (ws) => requests.push(ws.url()));
      // Typed without the slash: redirected to /tmux/ (relative URLs need it).
      await login(page, `${printed.origin}/tmux?token=${token}`, "correct horse");
      assert.equal(new URL(page.url()).pathname, "/tmux/");

      await runInTerminal(page, "echo mounted-$((40+2))");
      await waitForTerm(page, rowEquals("mounted-42"), { what: "the output line mounted-42" });
      const pane = await sandbox.tmux("capture-pane", "-p", "-t", "=main:");
      assert.match(pane, /^mounted-42$/m);

      // The service worker registers next to the page, scoped to the mount.
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
      assert.equal(scope, `${printed.origin}/tmux/`);

      const paths = requests.map((u) => new URL(u)).filter((u) => u.protocol !== "data:" && u.protocol !== "blob:").map((u) => u.pathname);
      for (const must of ["/tmux/api/config", "/tmux/ws/control", "/tmux/ws/terminal"]) {
        assert.ok(paths.includes(must), `${must} was not requested: ${paths.join(" ")}`);
      }
      assert.ok(paths.some((p) => /^\/tmux\/assets\/.+\.js$/.test(p)), paths.join(" "));
      const outside = paths.filter((p) => p !== "/tmux" && !p.startsWith("/tmux/"));
      assert.deepEqual(outside, [], "requests outside the mount path");
    },
  ),
);
