// Vite settings for the tmux-mobile UI. `scripts/build.mjs` drives the build
// (output directory, fonts, gzip copies); this file only holds what Vite needs.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // Every URL in the build is relative to the page, so the UI also loads
  // when the server is mounted under a path (`ServerService::with_prefix`):
  // the page is always `<mount>/` (or `<mount>/index.html`).
  base: "./",
  publicDir: "public",
  build: {
    target: "es2022",
    assetsDir: "assets",
    // Never inline assets as data: URLs; everything is a file the server embeds.
    assetsInlineLimit: 0,
    // No modulepreload polyfill: one entry chunk, and modern browsers only.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    cssCodeSplit: false,
    rollupOptions: {
      // The service worker is its own entry, next to index.html (its scope is
      // the whole app) under a fixed name; the page registers ./sw.js after load.
      input: { index: here("index.html"), sw: here("src/sw.ts") },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
});
