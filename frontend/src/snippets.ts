// Snippets (issue 14, point 4): a row of buttons above the toolbar, each
// typing a text into the pane exactly as if it were typed (`y`, `1`,
// `/compact`, `git status⏎`). The list is kept per device
// (`tmux-mobile-snippets`); until the person edits it, the server's
// defaults from its config file are used (`auth_ok.snippets`). A long press
// on a snippet edits it; `✎` at the end of the row adds, reorders (the same
// Arrange dialog as the toolbar's keys) and resets to the defaults.
import { openArrange } from "./arrange";
import { onBack } from "./back";
import { h, keepFocus, on, onTapOrLongPress, type PressTimer, setChildren } from "./dom";
import { confirmDialog } from "./overlays";
import { cleanList, escapeText, LABEL_LIMIT, labelFor, moveItem, problem, type Snippet, SNIPPET_LIMIT, unescapeText } from "./snippet-list";
import { KEYS, load, loadBool, remove, save } from "./storage";

/** Held this long, a snippet opens its editor instead of typing (as the toolbar's keys show their hint). */
export const SNIPPET_LONG_PRESS_MS = 500;

export interface SnippetHooks {
  /** Types `text` into the pane (as typed input). */
  send(text: string): void;
  /** The row appeared or went away: the terminal must fit again. */
  layoutChanged(): void;
}

function loadStored(): Snippet[] | null {
  try {
    return cleanList(JSON.parse(load(KEYS.snippets) ?? "null"));
  } catch {
    return null;
  }
}

export class SnippetBar {
  readonly el: HTMLElement;
  private readonly row = h("div", { class: "snippet-row" });
  private readonly editBtn = h("button", { class: "tb-btn snippet-edit", type: "button", testid: "snippet-edit", "aria-label": "Edit snippets: add, reorder, reset" }, "✎");
  private defaults: Snippet[] = [];
  /** The person's own list (null: never edited, the defaults apply). */
  private stored: Snippet[] | null = loadStored();
  private readOnly = false;
  private readonly pressTimer: PressTimer = {};

  constructor(private readonly hooks: SnippetHooks) {
    keepFocus(this.editBtn);
    on(this.editBtn, "click", () => this.manage());
    this.el = h("div", { class: "snippet-bar", testid: "snippet-bar", role: "toolbar", "aria-label": "Snippets", hidden: true }, this.row, this.editBtn);
    // A long press must not open the browser's menu.
    on(this.el, "contextmenu", (e) => e.preventDefault());
    this.render(false);
  }

  /** The snippets in use, in order. */
  get snippets(): readonly Snippet[] {
    return this.stored ?? this.defaults;
  }

  /** After `auth_ok`: the server's defaults (unchecked wire data), and whether this link may type. */
  setServer(defaults: unknown, readOnly: boolean): void {
    this.defaults = cleanList(defaults) ?? [];
    this.readOnly = readOnly;
    this.render();
  }

  /** Shows or hides the row (the toolbar's `snippets` key); kept per device. */
  toggle(): void {
    save(KEYS.snippetsShown, String(!this.visible()));
    this.render();
  }

  private visible(): boolean {
    if (this.readOnly) return false;
    return loadBool(KEYS.snippetsShown) ?? this.snippets.length > 0;
  }

  private setList(list: Snippet[] | null): void {
    this.stored = list;
    if (list === null) remove(KEYS.snippets);
    else save(KEYS.snippets, JSON.stringify(list));
    this.render();
  }

  /** Redraws the row; `notify`: tell the layout when the row appeared or went away. */
  private render(notify = true): void {
    const wasHidden = this.el.hidden;
    setChildren(
      this.row,
      this.snippets.map((s, i) => this.button(s, i)),
    );
    this.el.hidden = !this.visible();
    if (notify && wasHidden !== this.el.hidden) this.hooks.layoutChanged();
  }

  private button(s: Snippet, index: number): HTMLButtonElement {
    const b = h("button", { class: "tb-btn snippet", type: "button", testid: "snippet", "data-index": index, title: `Types ${escapeText(s.text)} (long-press to edit)` }, s.label);
    keepFocus(b);
    onTapOrLongPress(
      b,
      this.pressTimer,
      SNIPPET_LONG_PRESS_MS,
      () => this.edit(index),
      () => {
        if (!this.readOnly) this.hooks.send(s.text);
      },
    );
    return b;
  }

  /** The editor of snippet `index` (null: a new one). Resolves once it closed. */
  edit(index: number | null): Promise<void> {
    const list = [...this.snippets];
    const current = index === null ? undefined : list[index];
    if (index === null && list.length >= SNIPPET_LIMIT) {
      return confirmDialog("No room", `At most ${SNIPPET_LIMIT} snippets; delete one first.`, "OK").then(() => undefined);
    }
    return new Promise((resolve) => {
      const label = h("input", { class: "input", testid: "snippet-label", type: "text", maxlength: LABEL_LIMIT, autocomplete: "off", autocapitalize: "off", spellcheck: "false", placeholder: "e.g. status (default: the text)" });
      const text = h("input", { class: "input snippet-text", testid: "snippet-text", type: "text", autocomplete: "off", autocapitalize: "off", autocorrect: "off", spellcheck: "false", placeholder: "e.g. git status\\r" });
      label.value = current?.label ?? "";
      text.value = current ? escapeText(current.text) : "";
      const error = h("p", { class: "snippet-error", testid: "snippet-error", role: "alert" });
      const save = h("button", { class: "btn btn-primary", type: "submit", testid: "snippet-save" }, "Save");
      const cancel = h("button", { class: "btn", type: "button", testid: "snippet-cancel" }, "Cancel");
      const del = current ? h("button", { class: "btn btn-danger", type: "button", testid: "snippet-delete" }, "Delete") : null;
      const form = h(
        "form",
        {},
        h("h2", {}, current ? "Edit snippet" : "New snippet"),
        h("label", { class: "label" }, "Label", label),
        h("label", { class: "label" }, "Text it types", text),
        h("p", { class: "snippet-help" }, "\\r = Enter, \\e = Esc, \\t = Tab, \\x03 = Ctrl-C, \\\\ = \\"),
        error,
        h("div", { class: "dialog-buttons" }, del, cancel, save),
      );
      const el = h("div", { class: "modal", testid: "snippet-editor" }, h("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": current ? "Edit snippet" : "New snippet" }, form));
      const close = () => {
        el.remove();
        release();
        resolve();
      };
      const release = onBack(close);
      on(cancel, "click", close);
      if (del) {
        on(del, "click", () => {
          if (index !== null) list.splice(index, 1);
          this.setList(list);
          close();
        });
      }
      on(form, "submit", (e) => {
        e.preventDefault();
        const typed = unescapeText(text.value);
        const s = { label: label.value.trim() || labelFor(typed), text: typed };
        const why = problem(s);
        if (why) {
          error.textContent = why;
          return;
        }
        if (index === null) list.push(s);
        else list[index] = s;
        this.setList(list);
        close();
      });
      document.body.append(el);
      (current ? label : text).focus();
    });
  }

  /** The list dialog: reorder (↑/↓), tap to edit, add, reset to the server's defaults. */
  manage(): void {
    const add = h("button", { class: "btn", type: "button", testid: "snippets-new" }, "+ New");
    const reset = h("button", { class: "btn", type: "button", testid: "snippets-reset" }, "Reset");
    const dialog = openArrange({
      testid: "snippets-arrange",
      title: "Snippets",
      info: "tap to edit · saved on this device",
      rows: () =>
        this.snippets.map((s, i) => ({
          key: String(i),
          label: s.label,
          hint: escapeText(s.text),
          onTap: () => void this.edit(i).then(() => dialog.redraw()),
        })),
      move: (from, delta) => this.setList(moveItem(this.snippets, from, delta)),
      extra: [reset, add],
    });
    on(add, "click", () => void this.edit(null).then(() => dialog.redraw()));
    on(reset, "click", () => {
      void confirmDialog("Reset snippets?", this.defaults.length ? "Your snippets on this device are replaced by the server's defaults." : "Your snippets on this device are deleted (the server has no defaults).", "Reset").then((ok) => {
        if (!ok) return;
        this.setList(null);
        dialog.redraw();
      });
    });
  }
}
