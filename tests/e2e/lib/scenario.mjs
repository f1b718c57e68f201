// One test = one scenario: a sandbox (private tmux), the real app, a browser
// with a phone context and a page. On failure it saves a screenshot and
// prints what the app and the page said; afterwards everything is stopped,
// always.

import { rmSync } from "node:fs";

import { byTestId, launchBrowser, phoneContext, screenshotPath, termText } from "./browser.mjs";
import { Sandbox } from "./sandbox.mjs";

/**
 * @param {string} name e.g. "01-password"; names screenshots and the tmux socket
 * @param {{app?: object|false, context?: object, before?: (sb: Sandbox) => Promise<void>}} opts
 *   app: options for `Sandbox.startApp` (false = the test starts it itself)
 *   before: runs against the sandbox before the app starts (e.g. create sessions)
 * @param {(s: {sandbox: Sandbox, app: any, browser: any, context: any, page: any, apps: any[], shot: (n?: string) => Promise<string>}) => Promise<void>} fn
 */
export async function scenario(name, opts, fn) {
  rmSync(screenshotPath(`${name}-failure`), { force: true });
  const sandbox = new Sandbox(name);
  const s = { name, sandbox, app: null, apps: [], browser: null, context: null, page: null, pageLog: [] };
  s.shot = async (suffix = "") => {
    const path = screenshotPath(`${name}${suffix}`);
    await s.page.screenshot({ path });
    return path;
  };
  s.startApp = async (appOpts) => {
    const app = await sandbox.startApp(appOpts);
    s.apps.push(app);
    return app;
  };
  s.newPage = async (context = s.context) => {
    const page = await context.newPage();
    page.on("console", (m) => s.pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on("pageerror", (e) => s.pageLog.push(`[pageerror] ${e.message}`));
    return page;
  };
  try {
    if (opts.before) await opts.before(sandbox);
    if (opts.app !== false) s.app = await s.startApp(opts.app ?? {});
    s.browser = await launchBrowser();
    s.context = await phoneContext(s.browser, opts.context ?? {});
    s.page = await s.newPage();
    await fn(s);
  } catch (e) {
    await reportFailure(s, e);
    throw e;
  } finally {
    await s.browser?.close().catch(() => {});
    for (const app of s.apps) await app.stop();
    await sandbox.destroy();
  }
}

async function reportFailure(s, e) {
  const lines = [`\n=== ${s.name} failed: ${e?.message ?? e}`];
  if (s.page && !s.page.isClosed()) {
    try {
      lines.push(`screenshot: ${await s.shot("-failure")}`);
      lines.push(`status: ${await byTestId(s.page, "status").getAttribute("data-state", { timeout: 2000 })}`);
      lines.push(`--- terminal ---\n${await termText(s.page)}`);
    } catch (err) {
      lines.push(`(no page diagnostics: ${err.message})`);
    }
  }
  if (s.pageLog.length) lines.push(`--- page console (last 40) ---\n${s.pageLog.slice(-40).join("\n")}`);
  for (const app of s.apps) lines.push(`--- tmux-mobile ${app.args.join(" ").replace(/--password \S+/, "--password ***")} ---\n${app.log(80)}`);
  console.error(lines.join("\n"));
}
