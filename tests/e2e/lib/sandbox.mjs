// A private world for one test: its own tmux server (`tmux -L <unique>` with
// a private TMUX_TMPDIR), its own HOME with a known shell prompt, and the real
// tmux-mobile binary started against it. Everything is torn down afterwards,
// also when the test fails or the test process is interrupted.

import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

import { scaled, waitFor } from "./wait.mjs";

const execFileAsync = promisify(execFile);

/** The shell prompt every pane shows (set in the sandbox's ~/.bashrc). */
export const PROMPT = "e2e$ ";

/** Password the tests start the app with unless they say otherwise. */
export const DEFAULT_PASSWORD = "e2e-correct-horse";

/** Path of the binary under test (set by `cargo xtask e2e`). */
export function binaryPath() {
  const bin = process.env.TMUX_MOBILE_BIN;
  if (bin) return resolve(bin);
  return resolve(import.meta.dirname, "../../../target/debug/tmux-mobile");
}

const live = { sandboxes: new Set(), apps: new Set() };

/** Last-resort cleanup when the test process exits or is interrupted. */
function emergencyCleanup() {
  for (const app of live.apps) {
    try {
      app.proc.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
  live.apps.clear();
  for (const sb of live.sandboxes) sb.destroySync();
  live.sandboxes.clear();
}
process.on("exit", emergencyCleanup);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    emergencyCleanup();
    process.exit(130);
  });
}

export class Sandbox {
  /** @param {string} name short name of the test, used in paths and the socket name */
  constructor(name) {
    this.name = name;
    this.dir = mkdtempSync(join(tmpdir(), `tmux-mobile-e2e-${name}-`));
    this.home = join(this.dir, "home");
    this.tmuxTmp = join(this.dir, "tmux");
    mkdirSync(this.home, { mode: 0o700 });
    mkdirSync(this.tmuxTmp, { mode: 0o700 });
    // A known prompt and no history file; login shells read .bash_profile.
    writeFileSync(
      join(this.home, ".bashrc"),
      ["PS1='e2e$ '", "unset PROMPT_COMMAND", "HISTFILE=/dev/null", "export LANG=C.UTF-8", ""].join("\n"),
    );
    writeFileSync(join(this.home, ".bash_profile"), ". \"$HOME/.bashrc\"\n");
    this.socket = `e2e-${name}-${process.pid}-${randomBytes(3).toString("hex")}`;
    const env = { ...process.env };
    delete env.TMUX;
    delete env.TMUX_PANE;
    delete env.TMUX_MOBILE_SOCKET_PATH;
    Object.assign(env, {
      HOME: this.home,
      // The app's config file is looked for here (none unless a test writes one).
      XDG_CONFIG_HOME: join(this.home, ".config"),
      SHELL: "/bin/bash",
      TMUX_TMPDIR: this.tmuxTmp,
      TMUX_MOBILE_SOCKET_NAME: this.socket,
      LANG: "C.UTF-8",
      TERM: "xterm-256color",
    });
    this.env = env;
    live.sandboxes.add(this);
  }

  /** Runs `tmux -L <socket> ...args` against this sandbox's server; resolves stdout. */
  async tmux(...args) {
    const { stdout } = await execFileAsync("tmux", ["-L", this.socket, ...args], {
      env: this.env,
      timeout: scaled(20_000),
    });
    return stdout;
  }

  /** `tmux display -p -t <target> <format>`, trimmed. */
  async display(target, format) {
    return (await this.tmux("display-message", "-p", "-t", target, format)).trim();
  }

  /** Starts the tmux server with a detached session (for tests that need sessions before the app). */
  async newSession(name) {
    await this.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24");
  }

  /** Starts the app against this sandbox. */
  async startApp(opts = {}) {
    const app = new App(this, opts);
    await app.started;
    return app;
  }

  /** Kills the tmux server and removes the directory. Never throws. */
  async destroy() {
    try {
      await this.tmux("kill-server");
    } catch {
      /* no server running */
    }
    this.removeDir();
    live.sandboxes.delete(this);
  }

  destroySync() {
    try {
      execFileSync("tmux", ["-L", this.socket, "kill-server"], { env: this.env, stdio: "ignore", timeout: 10_000 });
    } catch {
      /* no server running */
    }
    this.removeDir();
  }

  removeDir() {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

/** The real tmux-mobile binary, started with `--no-tunnel --port <port>`. */
export class App {
  /**
   * @param {Sandbox} sandbox
   * @param {{password?: string|null, readOnlyLink?: boolean, port?: number, args?: string[], env?: object}} opts
   *   password: a string = `--password`, null = generated (parsed from the banner)
   */
  constructor(sandbox, opts = {}) {
    this.sandbox = sandbox;
    const password = opts.password === undefined ? DEFAULT_PASSWORD : opts.password;
    const args = ["--no-tunnel", "--port", String(opts.port ?? 0)];
    if (password !== null) args.push("--password", password);
    if (opts.readOnlyLink) args.push("--read-only-link");
    args.push(...(opts.args ?? []));
    this.args = args;
    this.output = [];
    this.exited = null;
    this.proc = spawn(binaryPath(), args, {
      env: { ...sandbox.env, RUST_LOG: process.env.E2E_RUST_LOG ?? "info", ...(opts.env ?? {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.apps.add(this);
    this.exitPromise = new Promise((res) => {
      this.proc.on("exit", (code, signal) => {
        this.exited = { code, signal };
        live.apps.delete(this);
        res(this.exited);
      });
      this.proc.on("error", (e) => {
        this.output.push(`[spawn error] ${e.message}`);
        this.exited = { code: null, signal: null, error: e };
        live.apps.delete(this);
        res(this.exited);
      });
    });
    const collect = (stream, tag) => {
      let buf = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          this.output.push(`${tag}${buf.slice(0, nl)}`);
          buf = buf.slice(nl + 1);
        }
      });
    };
    collect(this.proc.stdout, "");
    collect(this.proc.stderr, "[stderr] ");
    this.started = this.awaitBanner(password, Boolean(opts.readOnlyLink));
  }

  line(prefix) {
    const l = this.output.find((x) => x.startsWith(prefix));
    return l === undefined ? undefined : l.slice(prefix.length).trim();
  }

  async awaitBanner(password, readOnly) {
    await waitFor(
      () => {
        if (this.exited) throw new Error(`tmux-mobile exited early (${JSON.stringify(this.exited)}):\n${this.log()}`);
        const ok = this.line("Local URL:") && (password !== null || this.line("Password:")) && (!readOnly || this.line("Read-only URL:"));
        return ok;
      },
      { timeout: 60_000, what: "the startup banner (Local URL/Password lines)" },
    ).catch((e) => {
      throw new Error(`${e.message}\n--- tmux-mobile output ---\n${this.log()}`);
    });
    this.url = this.line("Local URL:");
    const u = new URL(this.url);
    this.port = Number(u.port);
    this.baseUrl = `${u.protocol}//${u.host}`;
    this.token = u.searchParams.get("token");
    this.password = password ?? this.line("Password:");
    this.readOnlyUrl = this.line("Read-only URL:");
    this.readOnlyToken = this.readOnlyUrl ? new URL(this.readOnlyUrl).searchParams.get("token") : undefined;
    return this;
  }

  /** Everything the process printed so far (the tests' diagnostics on failure). */
  log(lastLines = 200) {
    return this.output.slice(-lastLines).join("\n");
  }

  /** SIGTERM, then SIGKILL if it does not exit in time. Never throws. */
  async stop() {
    if (this.exited) return this.exited;
    try {
      this.proc.kill("SIGTERM");
    } catch {
      /* gone */
    }
    const timer = setTimeout(() => {
      try {
        this.proc.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }, scaled(15_000));
    const result = await this.exitPromise;
    clearTimeout(timer);
    return result;
  }
}
