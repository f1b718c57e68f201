// The scrollback viewer: captured pane text with native scrolling and
// selection. Opens at the newest lines; Load More fetches 1000 older lines
// and keeps the view where it was. Histories arrive streamed (we ask with
// `stream: true`): `scrollback` parts of at most 256 KiB, each with the
// UTF-8 `offset` it starts at and `done` on the last, assembled here; a
// single `scrollback` without them (an original server) is the whole text.
import { h, on } from "./dom";
import { toast } from "./overlays";
import { SearchBar, textTarget } from "./search";

export const LOAD_MORE_STEP = 1000;

export interface ScrollbackHooks {
  /** Asks the server for `lines` lines of the pane; false when not connected. */
  request(paneId: string, lines: number): boolean;
  closed(): void;
}

export class Scrollback {
  readonly el: HTMLElement;
  private readonly pre: HTMLPreElement;
  private readonly info: HTMLElement;
  private readonly more: HTMLButtonElement;
  private paneId: string | null = null;
  private lines = 0;
  private pending: "open" | "more" | null = null;
  private count = 0;
  /** Parts of a streamed answer received so far, and their UTF-8 size. */
  private parts: string[] = [];
  private received = 0;
  private readonly utf8 = new TextEncoder();
  private readonly search: SearchBar;

  constructor(private readonly hooks: ScrollbackHooks) {
    this.pre = h("pre", { class: "scrollback-text", testid: "scrollback-text", tabindex: "0" });
    this.info = h("span", { class: "scrollback-info" });
    this.more = h("button", { class: "btn", type: "button", testid: "scrollback-load-more" }, "Load More");
    const copy = h("button", { class: "btn", type: "button", testid: "scrollback-copy" }, "Copy");
    const close = h("button", { class: "btn btn-primary", type: "button", testid: "scrollback-close" }, "Close");
    const find = h("button", { class: "btn", type: "button", testid: "scrollback-find" }, "Find");
    this.search = new SearchBar("scrollback-search", textTarget(this.pre));
    on(find, "click", () => this.search.open());
    on(this.more, "click", () => this.loadMore());
    on(copy, "click", () => void this.copy());
    on(close, "click", () => this.close());
    this.el = h(
      "div",
      { class: "overlay scrollback", testid: "scrollback", hidden: true, role: "dialog", "aria-label": "Scrollback" },
      h("div", { class: "overlay-head" }, h("span", { class: "overlay-title" }, "Scrollback"), this.info),
      this.search.el,
      this.pre,
      h("div", { class: "overlay-foot" }, find, this.more, copy, close),
    );
    on(this.el, "keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  open(paneId: string, lines: number): void {
    this.paneId = paneId;
    this.lines = lines;
    this.count = 0;
    this.pre.textContent = "Loading…";
    this.info.textContent = "";
    this.el.hidden = false;
    this.pending = "open";
    if (!this.hooks.request(paneId, lines)) {
      this.pre.textContent = "Not connected.";
      this.pending = null;
    }
  }

  loadMore(): void {
    if (!this.paneId || this.pending) return;
    this.lines += LOAD_MORE_STEP;
    this.pending = "more";
    this.more.disabled = true;
    if (!this.hooks.request(this.paneId, this.lines)) {
      this.pending = null;
      this.more.disabled = false;
      toast("Not connected.", "error");
    }
  }

  /** A `scrollback` message (or one part of a streamed answer) arrived. */
  receive(paneId: string, text: string, lines: number, offset?: number, done?: boolean): void {
    if (!this.isOpen || paneId !== this.paneId || !this.pending) return;
    if (offset !== undefined) {
      if (offset === 0) {
        this.parts = [];
        this.received = 0;
      }
      if (offset !== this.received) {
        // A part is missing: what we have is not the history.
        this.fail("Scrollback arrived incomplete; try again.");
        return;
      }
      this.parts.push(text);
      this.received += this.utf8.encode(text).length;
      if (done === false) {
        this.info.textContent = `Loading… ${(this.received / 1048576).toFixed(1)} MB`;
        return;
      }
      text = this.parts.join("");
      this.parts = [];
      this.received = 0;
    }
    const mode = this.pending;
    this.pending = null;
    this.more.disabled = false;
    const body = text.replace(/\n+$/, "");
    const fromBottom = this.pre.scrollHeight - this.pre.scrollTop;
    this.pre.textContent = body;
    const count = body ? body.split("\n").length : 0;
    const all = mode === "more" && count <= this.count;
    this.count = count;
    this.info.textContent = `${count} lines${all ? " (no more history)" : ""}`;
    this.search.refresh();
    if (lines > 0) this.lines = lines; // the server may clamp what was asked
    if (mode === "more") {
      // Keep the lines that were on screen where they were.
      this.pre.scrollTop = this.pre.scrollHeight - fromBottom;
    } else {
      this.pre.scrollTop = this.pre.scrollHeight;
    }
  }

  /** The server answered the request with an `error` instead. */
  failed(message: string): void {
    if (!this.isOpen || !this.pending) return;
    this.fail(message);
  }

  private fail(message: string): void {
    const first = this.pending === "open";
    this.pending = null;
    this.parts = [];
    this.received = 0;
    this.more.disabled = false;
    this.info.textContent = "";
    if (first) this.pre.textContent = message;
  }

  async copy(): Promise<void> {
    const sel = window.getSelection();
    let text = "";
    if (sel && sel.rangeCount > 0 && !sel.isCollapsed && this.pre.contains(sel.anchorNode) && this.pre.contains(sel.focusNode)) {
      text = sel.toString();
    }
    const what = text ? "Selection" : "All text";
    if (!text) text = this.pre.textContent ?? "";
    if (await copyText(text)) toast(`${what} copied.`, "info");
    else toast("Copy failed: the browser refused clipboard access.", "error");
  }

  close(): void {
    if (!this.isOpen) return;
    this.search.close();
    this.el.hidden = true;
    this.pre.textContent = "";
    this.paneId = null;
    this.pending = null;
    this.parts = [];
    this.received = 0;
    this.hooks.closed();
  }
}

/** Writes text to the clipboard; falls back to execCommand outside secure contexts. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back */
  }
  const ta = h("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}
