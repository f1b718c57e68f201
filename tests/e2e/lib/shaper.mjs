// The link shaper (tests/shaper, `tmux-mobile-shaper`) as seen from a test:
// a TCP proxy on 127.0.0.1 in front of the app that adds delay each way and
// caps bandwidth, so the browser talks to tmux-mobile as a phone on a mobile
// network would. `stats()` reads the bytes it carried each way.

import { spawn } from "node:child_process";
import { resolve } from "node:path";

import { scaled } from "./wait.mjs";

/** Path of the shaper binary (set by `cargo xtask e2e`; default next to the app). */
export function shaperPath() {
  const bin = process.env.TMUX_MOBILE_SHAPER_BIN;
  if (bin) return resolve(bin);
  return resolve(import.meta.dirname, "../../../target/debug/tmux-mobile-shaper");
}

export class Shaper {
  /**
   * Starts a shaper in front of `upstreamPort` and waits until it listens.
   * @param {number} upstreamPort the app's port
   * @param {{rttMs?: number, rateKbit?: number, downKbit?: number, upKbit?: number, queueBytes?: number}} shape
   */
  static async start(upstreamPort, shape = {}) {
    const s = new Shaper(upstreamPort, shape);
    await s.started;
    return s;
  }

  constructor(upstreamPort, shape) {
    const args = ["--upstream", `127.0.0.1:${upstreamPort}`, "--rtt-ms", String(shape.rttMs ?? 0)];
    if (shape.rateKbit) args.push("--rate-kbit", String(shape.rateKbit));
    if (shape.downKbit) args.push("--down-kbit", String(shape.downKbit));
    if (shape.upKbit) args.push("--up-kbit", String(shape.upKbit));
    if (shape.queueBytes) args.push("--queue-bytes", String(shape.queueBytes));
    this.args = args;
    this.lines = [];
    this.waiters = [];
    // stdin stays open: the shaper exits when it closes (also if we die).
    this.proc = spawn(shaperPath(), args, { stdio: ["pipe", "pipe", "inherit"] });
    this.exited = null;
    this.proc.on("exit", (code, signal) => (this.exited = { code, signal }));
    this.proc.on("error", (e) => (this.exited = { error: e.message }));
    let buf = "";
    this.proc.stdout.setEncoding("utf8");
    this.proc.stdout.on("data", (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
    this.started = this.nextLine("the shaper's `listening on` line").then((line) => {
      const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (!m) throw new Error(`tmux-mobile-shaper said ${JSON.stringify(line)}`);
      this.port = Number(m[1]);
      this.baseUrl = `http://127.0.0.1:${this.port}`;
      return this;
    });
  }

  nextLine(what) {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((res, rej) => {
      const fail = (why) => {
        clearTimeout(timer);
        this.proc.off("exit", onExit);
        rej(new Error(`tmux-mobile-shaper ${why} before ${what}`));
      };
      const onExit = () => fail(`exited (${JSON.stringify(this.exited)})`);
      const timer = setTimeout(() => fail("said nothing for 20 s"), scaled(20_000));
      if (this.exited) return onExit();
      this.proc.once("exit", onExit);
      this.waiters.push((line) => {
        clearTimeout(timer);
        this.proc.off("exit", onExit);
        res(line);
      });
    });
  }

  /** `{down, up, connections}`: bytes carried server → browser and back, connections accepted. */
  async stats() {
    this.proc.stdin.write("stats\n");
    const line = await this.nextLine("an answer to `stats`");
    const out = {};
    for (const part of line.split(" ")) {
      const [k, v] = part.split("=");
      out[k] = Number(v);
    }
    return out;
  }

  /** Zeroes the byte counters. */
  async reset() {
    this.proc.stdin.write("reset\n");
    await this.nextLine("an answer to `reset`");
  }

  /** A page URL through the shaper for an app URL (`http://127.0.0.1:<app>/?token=…`). */
  url(appUrl) {
    const u = new URL(appUrl);
    u.port = String(this.port);
    return u.toString();
  }

  async stop() {
    if (this.exited) return;
    const gone = new Promise((res) => this.proc.once("exit", res));
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
  }
}
