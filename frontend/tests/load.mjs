// Imports a transpiled module of src/ (see scripts/test.mjs).
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export function load(name) {
  const dir = process.env.TMUX_MOBILE_UI_SRC;
  if (!dir) throw new Error("run the tests with `node scripts/test.mjs`");
  return import(pathToFileURL(join(dir, `${name}.mjs`)).href);
}
