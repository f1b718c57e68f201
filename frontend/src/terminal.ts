// The xterm.js instance: fitted to its container, Unicode 11 widths, web
// links, the symbols font; resize messages debounced and deduplicated.
import { FitAddon } from "@xterm/addon-fit";
import { Unicode11Addon } from "@xterm/addon-unicode11";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { Terminal } from "@xterm/xterm";
import { installImeInput } from "./ime";
import { logEvent } from "./log";
import type { Theme } from "./themes";

/** Local Nerd Fonts first, then the bundled symbols font (PUA only), then system monospace. */
export const FONT_FAMILY = [
  '"JetBrainsMono Nerd Font"',
  '"JetBrainsMono NF"',
  '"MesloLGS NF"',
  '"MesloLGS Nerd Font"',
  '"FiraCode Nerd Font"',
  '"Hack Nerd Font"',
  '"CaskaydiaCove Nerd Font"',
  '"Symbols Nerd Font Mono"',
  '"TmuxMobile Symbols"',
  "ui-monospace",
  '"SF Mono"',
  "Menlo",
  "Consolas",
  '"DejaVu Sans Mono"',
  '"Liberation Mono"',
  '"Roboto Mono"',
  '"Droid Sans Mono"',
  "monospace",
].join(", ");

const SMALL_SCREEN = "(max-width: 768px), (pointer: coarse)";
const RESIZE_DEBOUNCE_MS = 80;

export class TerminalView {
  readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private lastSent = "";
  private resizeTimer: number | undefined;
  private fitQueued = false;

  constructor(
    private readonly container: HTMLElement,
    theme: Theme,
    private readonly sendResize: (cols: number, rows: number) => boolean,
  ) {
    this.term = new Terminal({
      allowProposedApi: true,
      fontFamily: FONT_FAMILY,
      fontSize: matchMedia(SMALL_SCREEN).matches ? 12 : 14,
      lineHeight: 1.0,
      cursorBlink: false,
      scrollback: 1000,
      macOptionIsMeta: true,
      theme: theme.term,
      drawBoldTextInBrightColors: true,
    });
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = "11";
    this.term.loadAddon(
      new WebLinksAddon((event, uri) => {
        event.preventDefault();
        window.open(uri, "_blank", "noopener,noreferrer");
      }),
    );
    this.term.open(container);
    installImeInput(this.term);
    this.term.onResize(({ cols, rows }) => {
      logEvent("term-resize", { cols, rows });
      this.scheduleResize();
    });
    container.addEventListener("contextmenu", (e) => e.preventDefault());

    new ResizeObserver(() => this.queueFit()).observe(container);
    matchMedia(SMALL_SCREEN).addEventListener("change", (e) => {
      this.term.options.fontSize = e.matches ? 12 : 14;
      this.queueFit();
    });
    // Web fonts change the cell size: fit again once they are in.
    if (document.fonts) {
      void document.fonts.ready.then(() => this.queueFit());
      document.fonts.addEventListener("loadingdone", () => this.queueFit());
    }
    this.fit();
  }

  setTheme(theme: Theme): void {
    this.term.options.theme = theme.term;
  }

  /** Fits on the next animation frame (coalesces bursts of layout changes). */
  queueFit(): void {
    if (this.fitQueued) return;
    this.fitQueued = true;
    requestAnimationFrame(() => {
      this.fitQueued = false;
      this.fit();
    });
  }

  fit(): void {
    if (!this.container.isConnected || this.container.clientHeight === 0) return;
    const dims = this.fitAddon.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows)) return;
    const cols = Math.max(2, dims.cols);
    const rows = Math.max(2, dims.rows);
    if (cols !== this.term.cols || rows !== this.term.rows) {
      const atBottom = this.term.buffer.active.viewportY >= this.term.buffer.active.baseY;
      this.term.resize(cols, rows);
      if (atBottom) this.term.scrollToBottom();
    }
    this.container.dataset.cols = String(this.term.cols);
    this.container.dataset.rows = String(this.term.rows);
  }

  /** Forget what was sent: the next resize goes out even if unchanged (new socket, new attach). */
  resetResize(): void {
    this.lastSent = "";
    this.fit();
    this.scheduleResize(0);
  }

  private scheduleResize(delay = RESIZE_DEBOUNCE_MS): void {
    window.clearTimeout(this.resizeTimer);
    this.resizeTimer = window.setTimeout(() => {
      const key = `${this.term.cols}x${this.term.rows}`;
      if (key === this.lastSent) return;
      if (this.sendResize(this.term.cols, this.term.rows)) this.lastSent = key;
    }, delay);
  }

  /** Writes output; `done` runs once xterm.js has parsed it (the screen shows it). */
  write(data: string | Uint8Array, done?: () => void): void {
    this.term.write(data, done);
  }
}
