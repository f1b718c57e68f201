// Debian's Chromium driven by playwright-core (never a downloaded browser),
// phone contexts, and helpers that read the page the way a person would:
// through the data-testid contract and xterm's DOM renderer rows.

import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

import { chromium } from "playwright-core";

import { PROMPT } from "./sandbox.mjs";
import { scaled, waitFor } from "./wait.mjs";

export const CHROMIUM = process.env.E2E_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Where screenshots go (`target/e2e/` of the workspace unless E2E_OUT_DIR says otherwise). */
export const OUT_DIR = resolve(process.env.E2E_OUT_DIR ?? resolve(import.meta.dirname, "../../../target/e2e"));

/** `docs/screenshots/` of the repository (written only with E2E_UPDATE_SCREENSHOTS=1). */
export const DOCS_SCREENSHOTS = resolve(import.meta.dirname, "../../../docs/screenshots");

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 };

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: scaled(60_000) });
}

/** A phone-sized context (390×844, touch, scale 3) unless `overrides` say otherwise. */
export async function phoneContext(browser, overrides = {}) {
  const ctx = await browser.newContext({ ...PHONE, ...overrides });
  ctx.setDefaultTimeout(scaled(30_000));
  return ctx;
}

export function screenshotPath(name) {
  mkdirSync(OUT_DIR, { recursive: true });
  return resolve(OUT_DIR, `${name}.png`);
}

export const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

/** The visible terminal screen, one string per row (non-breaking spaces as spaces, right-trimmed). */
export async function termRows(page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="terminal"] .xterm-rows > div'), (row) =>
      (row.textContent ?? "").replace(/\u00a0/g, " ").replace(/\s+$/, ""),
    ),
  );
}

export async function termText(page) {
  return (await termRows(page)).join("\n");
}

/** Waits until the terminal screen satisfies `pred` (a RegExp, a string, or a function of the rows). */
export async function waitForTerm(page, pred, { timeout = 30_000, what } = {}) {
  const test =
    typeof pred === "function"
      ? pred
      : pred instanceof RegExp
        ? (rows) => pred.test(rows.join("\n"))
        : (rows) => rows.join("\n").includes(pred);
  let lastRows = [];
  try {
    return await waitFor(
      async () => {
        lastRows = await termRows(page);
        return test(lastRows);
      },
      { timeout, what: what ?? `terminal to show ${pred}` },
    );
  } catch (e) {
    throw new Error(`${e.message}\n--- terminal screen ---\n${lastRows.join("\n")}`);
  }
}

/**
 * A row that is exactly `text` (command output, as opposed to the command
 * line that produced it); with side-by-side panes, any pane's part of a row.
 */
export const rowEquals = (text) => (rows) => rows.some((r) => r.split("\u2502").some((part) => part.trim() === text));

/** Waits for the last non-empty row to be the shell prompt (the shell waits for input). */
export async function waitForPrompt(page, opts = {}) {
  return waitForTerm(
    page,
    (rows) => {
      const filled = rows.filter((r) => r.trim() !== "");
      // The last row is tmux's status line; the prompt is the last row above it.
      return filled.slice(-3).some((r) => r === PROMPT.trimEnd());
    },
    { what: "the shell prompt", ...opts },
  );
}

/** Status dot state (`ok|warn|error|pending|reconnecting|offline`). */
export async function statusState(page) {
  return byTestId(page, "status").getAttribute("data-state");
}

export async function waitForStatus(page, state, opts = {}) {
  const states = Array.isArray(state) ? state : [state];
  let last;
  try {
    return await waitFor(
      async () => {
        last = await statusState(page);
        return states.includes(last) ? last : false;
      },
      { what: `status data-state=${states.join("|")}`, ...opts },
    );
  } catch (e) {
    throw new Error(`${e.message} (status was ${last})`);
  }
}

/** Focuses the terminal's input (as tapping it would) and types `text` key by key. */
export async function typeInTerminal(page, text) {
  await focusTerminal(page);
  await page.keyboard.type(text, { delay: 5 });
}

export async function focusTerminal(page) {
  await page.evaluate(() => {
    const ta = document.querySelector('[data-testid="terminal"] .xterm-helper-textarea');
    if (!(ta instanceof HTMLElement)) throw new Error("xterm helper textarea not found");
    ta.focus();
  });
}

/** Types a command and Enter into the terminal. */
export async function runInTerminal(page, command) {
  await typeInTerminal(page, command);
  await page.keyboard.press("Enter");
}

/**
 * Opens the app's URL, answers the password prompt and waits until the
 * terminal is connected and shows the shell prompt.
 */
export async function login(page, url, password, { expectPrompt = true } = {}) {
  await page.goto(url);
  await byTestId(page, "password-form").waitFor({ state: "visible" });
  await byTestId(page, "password-input").fill(password);
  await byTestId(page, "password-submit").click();
  await waitForStatus(page, "ok");
  if (expectPrompt) await waitForPrompt(page);
}

/** The client's grouped tmux session (`tmux-mobile-client-<clientId>`), from the page's storage. */
export async function attachedSession(page) {
  const id = await page.evaluate(
    () => sessionStorage.getItem("tmux-mobile-client-id") ?? localStorage.getItem("tmux-mobile-client-id"),
  );
  if (!id) throw new Error("the page has no tmux-mobile-client-id in storage");
  return `tmux-mobile-client-${id}`;
}

/**
 * Records what the page sends on its WebSockets (register before `goto`).
 * `terminal` holds Buffers of input frames (resize frames excluded),
 * `control` the parsed JSON control messages.
 */
export function recordSockets(page) {
  const rec = { terminal: [], control: [], resizes: [] };
  page.on("websocket", (ws) => {
    const path = new URL(ws.url()).pathname;
    ws.on("framesent", ({ payload }) => {
      const buf = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
      if (path === "/ws/terminal") {
        const text = buf.toString("utf8");
        if (text.startsWith('{"type":"auth"')) return;
        if (/^\{"type":"resize","cols":\d+,"rows":\d+\}$/.test(text)) {
          rec.resizes.push(JSON.parse(text));
          return;
        }
        rec.terminal.push(buf);
      } else if (path === "/ws/control") {
        try {
          rec.control.push(JSON.parse(buf.toString("utf8")));
        } catch {
          rec.control.push({ unparsable: buf.toString("utf8") });
        }
      }
    });
  });
  rec.terminalHex = () => Buffer.concat(rec.terminal).toString("hex");
  return rec;
}

/**
 * Real touch input through the DevTools protocol (`Input.dispatchTouchEvent`),
 * as a finger makes it: what `hasTouch` pages receive on a phone.
 */
export async function touchInput(page) {
  const cdp = await page.context().newCDPSession(page);
  const point = (x, y) => [{ x, y, radiusX: 4, radiusY: 4, force: 1, id: 1 }];
  const send = (type, pts) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: pts });
  return {
    cdp,
    start: (x, y) => send("touchStart", point(x, y)),
    move: (x, y) => send("touchMove", point(x, y)),
    end: () => send("touchEnd", []),
    /** A swipe from (x1,y1) to (x2,y2) in `steps` moves. */
    async swipe(x1, y1, x2, y2, steps = 12) {
      await send("touchStart", point(x1, y1));
      for (let i = 1; i <= steps; i++) {
        await send("touchMove", point(x1 + ((x2 - x1) * i) / steps, y1 + ((y2 - y1) * i) / steps));
      }
      await send("touchEnd", []);
    },
  };
}

/** The centre of the element with `testid`, in CSS pixels. */
export async function centerOf(page, testid) {
  const box = await byTestId(page, testid).boundingBox();
  if (!box) throw new Error(`${testid} has no box`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2, box };
}
