// Builds the tmux-mobile UI into a directory the server embeds.
//
// Usage: node scripts/build.mjs [--out DIR] [--no-typecheck] [--no-test]
//   default DIR: ../crates/server/ui (relative to frontend/)
//
// The output is deterministic: the same sources give byte-identical files,
// including the `.gz` copies (fixed level, gzip header mtime 0), so
// `cargo xtask frontend --check` can compare a fresh build with the
// committed one.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants as zlibConstants } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");

function parseArgs(argv) {
  const opts = { out: resolve(root, "../crates/server/ui"), typecheck: true, test: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") {
      const v = argv[++i];
      if (!v) throw new Error("--out needs a directory");
      opts.out = resolve(process.cwd(), v);
    } else if (a === "--no-typecheck") {
      opts.typecheck = false;
    } else if (a === "--no-test") {
      opts.test = false;
    } else {
      throw new Error(`unknown argument ${a}; usage: build.mjs [--out DIR] [--no-typecheck] [--no-test]`);
    }
  }
  return opts;
}

/** Files whose gzip copy the server may serve. */
const TEXT_EXT = [".html", ".js", ".css", ".webmanifest", ".svg", ".json", ".txt"];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function gzip(buf) {
  // Node writes a fixed gzip header (mtime 0, OS byte of the platform);
  // level 9 and default strategy keep the output stable for equal input.
  return gzipSync(buf, { level: 9, memLevel: 9, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));

  if (opts.typecheck) {
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", root, "--noEmit"], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("type check failed");
  }

  if (opts.test) {
    const { runUnitTests } = await import("./test.mjs");
    if (!runUnitTests()) throw new Error("unit tests failed");
  }

  const { build, createLogger } = await import("vite");
  // The symbols font is copied below, so its URL cannot resolve at build time.
  const logger = createLogger("warn");
  const warn = logger.warn.bind(logger);
  const warnOnce = logger.warnOnce.bind(logger);
  logger.warn = (msg, o) => {
    if (!msg.includes("/fonts/symbols-nerd-")) warn(msg, o);
  };
  logger.warnOnce = (msg, o) => {
    if (!msg.includes("/fonts/symbols-nerd-")) warnOnce(msg, o);
  };
  await build({
    root,
    configFile: join(root, "vite.config.ts"),
    logLevel: "warn",
    customLogger: logger,
    build: { outDir: opts.out, emptyOutDir: true },
  });

  // The symbols font (Nerd Fonts icons only, MIT) from its npm package.
  const fontPkg = join(root, "node_modules/@azurity/pure-nerd-font");
  const nerdVersion = readFileSync(join(fontPkg, "nerd-version.txt"), "utf8").trim();
  if (nerdVersion !== "v3.4.0") {
    throw new Error(`symbols font is Nerd Fonts ${nerdVersion}; update src/fonts.css and this check`);
  }
  mkdirSync(join(opts.out, "fonts"), { recursive: true });
  copyFileSync(join(fontPkg, "PureNerdFont.woff2"), join(opts.out, "fonts/symbols-nerd-3.4.0.woff2"));
  writeFileSync(
    join(opts.out, "fonts/LICENSE.txt"),
    "symbols-nerd-3.4.0.woff2: Nerd Fonts symbols (Nerd Fonts v3.4.0), packaged as\n" +
      "@azurity/pure-nerd-font 3.0.5 (MIT). The glyphs come from the Nerd Fonts\n" +
      "project and the icon sets it bundles, each under its own free license\n" +
      "(MIT, OFL-1.1 or Apache-2.0).\n",
  );

  // Precompressed copies of every text file. The first load is index.html
  // and what it references (entry script, its preloaded imports, styles);
  // chunks loaded on demand (addons) are counted apart.
  const html = readFileSync(join(opts.out, "index.html"), "utf8");
  const firstLoad = new Set(["index.html", ...Array.from(html.matchAll(/\/(assets\/[^"'\s>]+)/g), (m) => m[1])]);
  let pageWeight = 0;
  let rawWeight = 0;
  let lazyWeight = 0;
  for (const file of walk(opts.out)) {
    if (!TEXT_EXT.some((e) => file.endsWith(e))) continue;
    const raw = readFileSync(file);
    const gz = gzip(raw);
    writeFileSync(`${file}.gz`, gz);
    const rel = relative(opts.out, file).split("\\").join("/");
    if (firstLoad.has(rel)) {
      pageWeight += gz.length;
      rawWeight += raw.length;
    } else if (rel.startsWith("assets/") && /\.(js|css)$/.test(rel)) {
      lazyWeight += gz.length;
    }
  }
  console.log(
    `tmux-mobile UI built into ${opts.out}: first load ${(rawWeight / 1024).toFixed(1)} KiB, ` +
      `${(pageWeight / 1024).toFixed(1)} KiB gzip (HTML+JS+CSS, fonts excluded); ` +
      `${(lazyWeight / 1024).toFixed(1)} KiB gzip loaded on demand`,
  );
}

main().catch((e) => {
  console.error(`build failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
