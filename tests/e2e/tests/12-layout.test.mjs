// Issue 6, test 12: layout. Portrait 390×844 and landscape 844×390: no
// horizontal scroll, the toolbar fully visible, at least 20 terminal rows in
// portrait. With the soft keyboard simulated (the viewport shrunk to what
// is left above a phone keyboard) the prompt line stays visible.
// Screenshots go to target/e2e/; with E2E_UPDATE_SCREENSHOTS=1 also to
// docs/screenshots/phone-portrait.png and phone-landscape.png (README).
//
// Headless Chromium has no on-screen keyboard, so it is simulated twice:
// 1. the whole viewport shrinks to what a phone keyboard leaves (844 − 336
//    px), as on a phone whose keyboard resizes content;
// 2. only `window.visualViewport` shrinks (its height is overridden by an
//    init script and a `resize` event fired) while the layout viewport stays
//    844 px tall, as on iOS Safari and Android Chrome's default
//    (`interactive-widget=resizes-visual`). The app must follow it.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { byTestId, DOCS_SCREENSHOTS, focusTerminal, login, rowEquals, runInTerminal, screenshotPath, waitForPrompt, waitForTerm } from "../lib/browser.mjs";
import { PROMPT } from "../lib/sandbox.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

const KEYBOARD_PX = 336;

/** Layout facts measured in the page. */
const measure = (page) =>
  page.evaluate(() => {
    const vw = window.innerWidth;
    const vh = window.visualViewport ? window.visualViewport.height : window.innerHeight;
    const rect = (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
    };
    const toolbar = document.querySelector('[data-testid="toolbar"]');
    const keys = Array.from(document.querySelectorAll('[data-testid^="key-"]')).filter((k) => k.offsetParent !== null);
    const rows = document.querySelectorAll('[data-testid="terminal"] .xterm-rows > div');
    const topbar = document.querySelector('[data-testid="title"]')?.parentElement;
    return {
      vw,
      vh,
      scrollWidth: document.documentElement.scrollWidth,
      bodyScrollWidth: document.body.scrollWidth,
      toolbar: toolbar ? rect(toolbar) : null,
      keys: keys.map((k) => ({ id: k.dataset.testid, ...rect(k) })),
      topbar: topbar ? rect(topbar) : null,
      terminalRows: rows.length,
      terminal: rect(document.querySelector('[data-testid="terminal"]')),
    };
  });

function assertLayout(m, label) {
  assert.ok(m.scrollWidth <= m.vw, `${label}: horizontal scroll (scrollWidth ${m.scrollWidth} > ${m.vw})`);
  assert.ok(m.bodyScrollWidth <= m.vw, `${label}: body wider than the viewport (${m.bodyScrollWidth} > ${m.vw})`);
  assert.ok(m.toolbar, `${label}: no toolbar`);
  const inside = (r) => r.left >= -0.5 && r.top >= -0.5 && r.right <= m.vw + 0.5 && r.bottom <= m.vh + 0.5;
  assert.ok(inside(m.toolbar), `${label}: toolbar outside the viewport ${JSON.stringify(m.toolbar)} in ${m.vw}×${m.vh}`);
  assert.ok(m.keys.length >= 16, `${label}: only ${m.keys.length} toolbar keys visible`);
  for (const k of m.keys) {
    assert.ok(inside(k) && k.width > 0 && k.height > 0, `${label}: ${k.id} not fully visible ${JSON.stringify(k)}`);
    // The 44 px touch-target guideline (Apple HIG; Material asks 48 dp).
    assert.ok(k.width >= 44 && k.height >= 44, `${label}: ${k.id} is ${k.width.toFixed(1)}×${k.height.toFixed(1)} px, below 44×44`);
  }
  assert.ok(m.topbar && inside(m.topbar), `${label}: top bar outside the viewport`);
  assert.ok(m.terminal.bottom <= m.toolbar.top + 0.5, `${label}: terminal overlaps the toolbar`);
}

/** The screen position of the row holding the shell prompt (the last one). */
const promptRowRect = (page) =>
  page.evaluate((prompt) => {
    const rows = Array.from(document.querySelectorAll('[data-testid="terminal"] .xterm-rows > div'));
    const row = rows.filter((r) => (r.textContent ?? "").replace(/\u00a0/g, " ").startsWith(prompt)).pop();
    if (!row) return null;
    const r = row.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, text: row.textContent };
  }, PROMPT.trimEnd());

/**
 * Installed before the page loads: lets the test shrink only the visual
 * viewport (`window.__e2eKeyboard(px)`; 0 hides the keyboard again).
 */
function fakeVisualViewport() {
  const real = window.visualViewport;
  if (!real) return;
  let keyboard = 0;
  const listeners = [];
  const fake = new Proxy(real, {
    get(target, prop) {
      if (prop === "height") return target.height - keyboard;
      if (prop === "addEventListener")
        return (type, fn, opts) => {
          listeners.push([type, fn]);
          target.addEventListener(type, fn, opts);
        };
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  Object.defineProperty(window, "visualViewport", { get: () => fake, configurable: true });
  window.__e2eKeyboard = (px) => {
    keyboard = px;
    for (const [type, fn] of listeners) if (type === "resize") fn(new Event("resize"));
  };
}

async function saveForReadme(page, name) {
  const path = screenshotPath(`12-layout-${name}`);
  await page.screenshot({ path });
  if (process.env.E2E_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    copyFileSync(path, join(DOCS_SCREENSHOTS, `phone-${name}.png`));
  }
}

test("12 layout: portrait and landscape fit, soft keyboard keeps the prompt visible", { timeout: 300_000 }, () =>
  scenario("12-layout", {}, async ({ app, page, shot }) => {
    await page.addInitScript(fakeVisualViewport);
    await login(page, app.url, app.password);
    // Something worth looking at in the README screenshot.
    await runInTerminal(page, "printf '\\e[1;32m%s\\e[0m %s\\n' tmux-mobile 'on your phone'; ls -la --color=always /usr/share | head -n 8; echo layout-$((3*3))");
    await waitForTerm(page, rowEquals("layout-9"));
    await waitForPrompt(page);

    // Portrait.
    let m = await measure(page);
    assertLayout(m, "portrait");
    assert.ok(m.terminalRows >= 20, `portrait: only ${m.terminalRows} terminal rows`);
    await saveForReadme(page, "portrait");

    // Landscape.
    await page.setViewportSize({ width: 844, height: 390 });
    await waitFor(async () => (await measure(page)).vw === 844, { what: "landscape viewport" });
    await waitForPrompt(page);
    m = await waitFor(
      async () => {
        const x = await measure(page);
        return x.terminal.bottom <= (x.toolbar?.top ?? 0) + 0.5 ? x : null;
      },
      { what: "the landscape layout to settle" },
    );
    assertLayout(m, "landscape");
    assert.ok(m.terminalRows >= 5, `landscape: only ${m.terminalRows} terminal rows`);
    await saveForReadme(page, "landscape");

    // Portrait with the soft keyboard up: the prompt line stays visible.
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor(async () => (await measure(page)).vw === 390, { what: "portrait viewport" });
    await focusTerminal(page);
    await page.setViewportSize({ width: 390, height: 844 - KEYBOARD_PX });
    await runInTerminal(page, "echo keyboard-$((2*5))");
    await waitForTerm(page, rowEquals("keyboard-10"));
    await waitForPrompt(page);
    const check = await waitFor(
      async () => {
        const x = await measure(page);
        const p = await promptRowRect(page);
        if (!p || !x.toolbar) return null;
        return p.top >= 0 && p.bottom <= x.toolbar.top + 0.5 && p.bottom <= x.vh ? { x, p } : null;
      },
      { what: "the prompt line visible above the toolbar with the keyboard up" },
    );
    assertLayout(check.x, "keyboard");
    await shot("-keyboard");

    // Only the visual viewport shrinks (layout viewport stays 844 px tall).
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor(async () => (await measure(page)).vh === 844, { what: "full-height viewport" });
    await page.evaluate((px) => window.__e2eKeyboard(px), KEYBOARD_PX);
    await runInTerminal(page, "echo visual-$((3*5))");
    await waitForTerm(page, rowEquals("visual-15"));
    await waitForPrompt(page);
    const visual = await waitFor(
      async () => {
        const x = await measure(page);
        const p = await promptRowRect(page);
        if (!p || !x.toolbar || x.vh !== 844 - KEYBOARD_PX) return null;
        return p.top >= 0 && p.bottom <= x.toolbar.top + 0.5 && x.toolbar.bottom <= x.vh + 0.5 ? { x, p } : null;
      },
      { what: "the prompt line and the toolbar above the keyboard (visual viewport only)" },
    );
    assertLayout(visual.x, "visual-viewport keyboard");
    assert.equal(await page.evaluate(() => window.innerHeight), 844, "the layout viewport changed");
    await shot("-keyboard-visual");
  }),
);
