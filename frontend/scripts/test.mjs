// Runs the unit tests of the DOM-free modules (keys, modifiers, backoff) with
// node's test runner. TypeScript is transpiled on the fly with the project's
// own `typescript` package into a scratch directory; no extra test framework.
//
// Usage: node scripts/test.mjs
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function runUnitTests() {
  const out = mkdtempSync(join(tmpdir(), "tmux-mobile-ui-test-"));
  try {
    const src = join(out, "src");
    mkdirSync(src);
    for (const name of readdirSync(join(root, "src"))) {
      if (!name.endsWith(".ts") || name.endsWith(".d.ts")) continue;
      const code = ts.transpileModule(readFileSync(join(root, "src", name), "utf8"), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      }).outputText.replace(/from "\.\/([\w-]+)"/g, 'from "./$1.mjs"');
      writeFileSync(join(src, name.replace(/\.ts$/, ".mjs")), code);
    }
    const tests = readdirSync(join(root, "tests"))
      .filter((n) => n.endsWith(".test.mjs"))
      .sort()
      .map((n) => join(root, "tests", n));
    const r = spawnSync(process.execPath, ["--test", ...tests], {
      stdio: "inherit",
      env: { ...process.env, TMUX_MOBILE_UI_SRC: src },
    });
    return r.status === 0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(runUnitTests() ? 0 : 1);
}
