// Issue 6, test 8: the theme and sticky-zoom choices survive a reload.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTestId, login, waitForPrompt, waitForStatus } from "../lib/browser.mjs";
import { scenario } from "../lib/scenario.mjs";
import { waitFor } from "../lib/wait.mjs";

/** The colours a person sees: the page background and the terminal's text colour. */
const terminalBackground = (page) =>
  page.evaluate(() => {
    const rows = document.querySelector('[data-testid="terminal"] .xterm-rows');
    return `${getComputedStyle(document.body).backgroundColor} / ${rows ? getComputedStyle(rows).color : "?"}`;
  });

test("08 theme and sticky zoom survive a reload", { timeout: 240_000 }, () =>
  scenario("08-persistence", {}, async ({ app, page, shot }) => {
    await login(page, app.url, app.password);
    await byTestId(page, "drawer-button").click();
    const select = byTestId(page, "theme-select");
    const sticky = byTestId(page, "sticky-zoom");

    const options = await select.evaluate((el) => Array.from(el.options, (o) => o.value));
    assert.ok(options.length >= 6, `theme picker offers ${options.length} themes`);
    const initialTheme = await select.inputValue();
    const choice = options.find((v) => v !== initialTheme && /dracula/i.test(v)) ?? options.find((v) => v !== initialTheme);
    const bgBefore = await terminalBackground(page);
    await select.selectOption(choice);
    await waitFor(async () => (await terminalBackground(page)) !== bgBefore, { what: "the terminal to change colours" });
    const bgChosen = await terminalBackground(page);

    // Phone width: sticky zoom defaults to on; turn it off.
    const stickyBefore = await sticky.getAttribute("data-on");
    assert.equal(stickyBefore, "true", "sticky zoom is on by default at 390 px");
    await sticky.click();
    await waitFor(async () => (await sticky.getAttribute("data-on")) === "false", { what: "sticky zoom off" });
    assert.match(await sticky.innerText(), /Sticky Zoom: Off/);
    await shot("-before-reload");

    await page.reload();
    await waitForStatus(page, "ok");
    await waitForPrompt(page);
    assert.equal(await select.inputValue(), choice, "theme choice lost on reload");
    assert.equal(await sticky.getAttribute("data-on"), "false", "sticky zoom choice lost on reload");
    await waitFor(async () => (await terminalBackground(page)) === bgChosen, { what: "the chosen colours after reload" });
    const stored = await page.evaluate(() => ({
      theme: localStorage.getItem("tmux-mobile-theme"),
      sticky: localStorage.getItem("tmux-mobile-sticky-zoom"),
    }));
    assert.equal(stored.theme, choice);
    assert.equal(stored.sticky, "false");

    // And back on: also remembered.
    await byTestId(page, "drawer-button").click();
    await sticky.click();
    await waitFor(async () => (await sticky.getAttribute("data-on")) === "true", { what: "sticky zoom on" });
    await page.reload();
    await waitForStatus(page, "ok");
    assert.equal(await sticky.getAttribute("data-on"), "true", "sticky zoom on lost on reload");
    await shot();
  }),
);
