// Find: one search bar (query, previous/next, "3/12"), two places to search.
// - The live terminal, through @xterm/addon-search (loaded on first use:
//   it is not needed for the first screen). tmux draws the pane on the
//   alternate screen, so this finds what is on screen; history is the
//   scrollback viewer's job.
// - The scrollback viewer's text, with <mark> highlights.
import type { Terminal } from "@xterm/xterm";
import { onBack } from "./back";
import { h, keepFocus, on, setChildren } from "./dom";

export interface SearchResult {
  /** 0-based index of the current match, -1 when none. */
  index: number;
  count: number;
}

/** Where a search bar searches. */
export interface SearchTarget {
  find(query: string, backwards: boolean): Promise<SearchResult>;
  clear(): void;
}

/** The bar: an input, ↑/↓, the count and Close; Enter = next, Shift+Enter = previous. */
export class SearchBar {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly count: HTMLElement;
  private release: (() => void) | null = null;
  private seq = 0;
  private seeking = 0;

  constructor(
    testid: string,
    private readonly target: SearchTarget,
    private readonly closed: () => void = () => {},
    extras: HTMLElement[] = [],
  ) {
    this.input = h("input", {
      class: "input search-input",
      testid: `${testid}-input`,
      type: "search",
      placeholder: "Find",
      autocomplete: "off",
      autocapitalize: "off",
      spellcheck: "false",
      enterkeyhint: "search",
      "aria-label": "Find",
    });
    this.count = h("span", { class: "search-count", testid: `${testid}-count`, "aria-live": "polite" });
    const prev = h("button", { class: "btn btn-small", type: "button", testid: `${testid}-prev`, "aria-label": "Previous match" }, "↑");
    const next = h("button", { class: "btn btn-small", type: "button", testid: `${testid}-next`, "aria-label": "Next match" }, "↓");
    const close = h("button", { class: "btn btn-small", type: "button", testid: `${testid}-close`, "aria-label": "Close find" }, "✕");
    for (const b of [prev, next, close]) keepFocus(b);
    on(prev, "click", () => void this.run(true));
    on(next, "click", () => void this.run(false));
    on(close, "click", () => this.close());
    on(this.input, "input", () => void this.run(false, true));
    on(this.input, "keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        void this.run(e.shiftKey);
      } else if (e.key === "Escape") {
        this.close();
      }
    });
    this.el = h("div", { class: "search-bar", testid, role: "search", hidden: true }, this.input, this.count, prev, next, ...extras, close);
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  open(): void {
    if (!this.isOpen) {
      this.el.hidden = false;
      this.release = onBack(() => this.close());
    }
    this.input.focus();
    this.input.select();
  }

  close(): void {
    if (!this.isOpen) return;
    this.el.hidden = true;
    this.seq++;
    this.target.clear();
    this.count.textContent = "";
    this.release?.();
    this.release = null;
    this.closed();
  }

  /**
   * Searches for `query` as if typed, again every 300 ms for up to 5 s
   * while nothing matches (the text may be on its way to the screen, e.g.
   * right after a jump to another pane).
   */
  seek(query: string): void {
    this.open();
    this.input.value = query;
    const id = ++this.seeking;
    const until = Date.now() + 5000;
    const attempt = (): void => {
      void this.run(false, true).then(() => {
        const stale = id !== this.seeking || this.input.value !== query || !this.isOpen;
        if (!stale && this.el.dataset.count === "0" && Date.now() < until) window.setTimeout(attempt, 300);
      });
    };
    attempt();
  }

  /** Searches again (e.g. the text changed under an open bar). */
  refresh(): void {
    if (this.isOpen && this.input.value) void this.run(false, true);
  }

  private async run(backwards: boolean, fromStart = false): Promise<void> {
    const q = this.input.value;
    const seq = ++this.seq;
    if (!q) {
      this.target.clear();
      this.count.textContent = "";
      return;
    }
    if (fromStart) this.target.clear();
    const r = await this.target.find(q, backwards);
    if (seq !== this.seq) return;
    this.count.textContent = r.count === 0 ? "no match" : `${r.index + 1}/${r.count}`;
    this.el.dataset.count = String(r.count);
  }
}

/** Finds in the live terminal with @xterm/addon-search (loaded on first use). */
export function terminalTarget(term: Terminal): SearchTarget {
  let addon: import("@xterm/addon-search").SearchAddon | null = null;
  let last: SearchResult = { index: -1, count: 0 };
  const load = async () => {
    if (addon) return addon;
    const { SearchAddon } = await import("@xterm/addon-search");
    addon = new SearchAddon({ highlightLimit: 1000 });
    term.loadAddon(addon);
    addon.onDidChangeResults((e) => (last = { index: e.resultIndex, count: e.resultCount }));
    return addon;
  };
  const colors = {
    matchBackground: "#6b5a00",
    matchOverviewRuler: "#d29922",
    activeMatchBackground: "#d29922",
    activeMatchBorder: "#ffffff",
    activeMatchColorOverviewRuler: "#ffffff",
  };
  return {
    async find(query, backwards) {
      const a = await load();
      last = { index: -1, count: 0 };
      const found = backwards ? a.findPrevious(query, { decorations: colors }) : a.findNext(query, { decorations: colors });
      // Results are reported synchronously by the find call.
      return found ? last : { index: -1, count: 0 };
    },
    clear() {
      addon?.clearDecorations();
      term.clearSelection();
    },
  };
}

/** Case-insensitive match positions of `query` in `text`. */
export function matchPositions(text: string, query: string, limit = 10_000): number[] {
  if (!query) return [];
  const hay = text.toLowerCase();
  const needle = query.toLowerCase();
  const out: number[] = [];
  for (let i = hay.indexOf(needle); i >= 0 && out.length < limit; i = hay.indexOf(needle, i + needle.length)) out.push(i);
  return out;
}

/** Finds in a <pre>'s text, marking every match and scrolling to the current one. */
export function textTarget(pre: HTMLElement): SearchTarget {
  let query = "";
  let text = "";
  let marks: HTMLElement[] = [];
  let current = -1;
  const restore = () => {
    if (marks.length) pre.textContent = text;
    marks = [];
    current = -1;
    query = "";
  };
  return {
    async find(q, backwards) {
      if (q !== query || !marks.length) {
        restore();
        text = pre.textContent ?? "";
        query = q;
        const at = matchPositions(text, q);
        if (!at.length) return { index: -1, count: 0 };
        const parts: (string | HTMLElement)[] = [];
        let pos = 0;
        for (const i of at) {
          parts.push(text.slice(pos, i));
          const m = h("mark", { class: "search-match" }, text.slice(i, i + q.length));
          marks.push(m);
          parts.push(m);
          pos = i + q.length;
        }
        parts.push(text.slice(pos));
        setChildren(pre, parts);
        // A new query starts at the newest (bottom) match: the viewer opens there.
        current = marks.length - 1;
      } else {
        marks[current]?.classList.remove("current");
        current = (current + (backwards ? -1 : 1) + marks.length) % marks.length;
      }
      const m = marks[current];
      m?.classList.add("current");
      m?.scrollIntoView({ block: "center" });
      return { index: current, count: marks.length };
    },
    clear: restore,
  };
}
