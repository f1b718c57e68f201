// Vite settings for the tmux-mobile UI. `scripts/build.mjs` drives the build
// (output directory, fonts, gzip copies); this file only holds what Vite needs.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
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
  },
});
