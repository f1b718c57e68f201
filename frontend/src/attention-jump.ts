// The Find bar's way to the attention markers: "? N" jumps to the next pane
// that needs you (the "Needs you" list of the drawer, newest first, then
// round again) and finds its prompt text there, highlighted like any match.
// A bell or an activity has no text: the jump alone shows the pane.
import type { Needed } from "./attention";
import { h, keepFocus, on } from "./dom";

export interface AttentionJumpActions {
  /** Move this phone's view to the pane (as a tap in "Needs you" does). */
  jump(item: Needed): void;
  /** Find `text` on the screen once the pane is shown. */
  find(text: string): void;
}

/** What to search for of an attention's text: the prompt line as the screen shows it, up to a gap, at most 40 characters. */
export function attentionQuery(text: string): string {
  const trimmed = text.trim();
  const gap = trimmed.search(/\s{2,}/);
  return (gap > 0 ? trimmed.slice(0, gap) : trimmed).slice(0, 40).trimEnd();
}

export class AttentionJump {
  readonly el: HTMLButtonElement;
  private items: Needed[] = [];
  private lastPane: string | null = null;

  constructor(private readonly act: AttentionJumpActions) {
    this.el = h("button", { class: "btn btn-small search-attention", type: "button", testid: "term-search-attention", disabled: true }, "?");
    keepFocus(this.el);
    on(this.el, "click", () => this.next());
    this.render([]);
  }

  /** The panes that need you now. */
  render(items: Needed[]): void {
    this.items = items;
    this.el.disabled = items.length === 0;
    this.el.textContent = items.length ? `? ${items.length}` : "?";
    this.el.dataset.count = String(items.length);
    const label = items.length ? `Next pane that needs you (${items.length})` : "No pane needs you";
    this.el.title = label;
    this.el.setAttribute("aria-label", label);
  }

  /** Jumps to the pane after the last one jumped to (the newest first). */
  next(): void {
    if (!this.items.length) return;
    const at = this.items.findIndex((n) => n.paneId === this.lastPane);
    const item = this.items[(at + 1) % this.items.length];
    if (!item) return;
    this.lastPane = item.paneId;
    this.act.jump(item);
    const query = attentionQuery(item.text);
    if (query) this.act.find(query);
  }
}
