// The "Arrange" dialog: a full-screen list whose rows move up and down with
// ↑/↓ buttons (44 px, easy to hit; no drag that fights the page's scroll).
// The toolbar's keys and the snippets use it; each caller owns its order and
// saves it, the dialog only draws it and reports the moves.
import { onBack } from "./back";
import { h, on, setChildren } from "./dom";

export interface ArrangeRow {
  /** A stable id (`data-key` of the row). */
  key: string;
  /** The short name shown first (a key's label, a snippet's label). */
  label: string;
  /** The longer line after it. */
  hint: string;
  /** Extra class of the row. */
  cls?: string;
  /** A tap on the row's text (e.g. edit it). */
  onTap?: () => void;
}

export interface ArrangeSpec {
  /** Test id of the dialog; its parts are `<id>-list`, `<id>-up`, `<id>-down`, `<id>-done`. */
  testid: string;
  title: string;
  /** A note in the head, e.g. "first 16 always shown". */
  info?: string;
  /** The rows, in their current order (called on every redraw). */
  rows(): ArrangeRow[];
  /** Move the row at `from` by `delta` (−1 earlier, +1 later); the dialog redraws after. */
  move(from: number, delta: number): void;
  /** Buttons shown in the foot before Done (Reset, New…). */
  extra?: HTMLElement[];
  closed?(): void;
}

export interface ArrangeDialog {
  redraw(): void;
  close(): void;
}

/** Opens the dialog; Back or Done closes it. */
export function openArrange(spec: ArrangeSpec): ArrangeDialog {
  const list = h("ol", { class: "arrange-list", testid: `${spec.testid}-list` });
  const draw = () => {
    const rows = spec.rows();
    setChildren(
      list,
      rows.map((row, i) => {
        const up = h("button", { class: "btn btn-small", type: "button", testid: `${spec.testid}-up`, "aria-label": `Move ${row.hint || row.label} earlier`, disabled: i === 0 }, "↑");
        const down = h("button", { class: "btn btn-small", type: "button", testid: `${spec.testid}-down`, "aria-label": `Move ${row.hint || row.label} later`, disabled: i === rows.length - 1 }, "↓");
        on(up, "click", () => {
          spec.move(i, -1);
          draw();
        });
        on(down, "click", () => {
          spec.move(i, +1);
          draw();
        });
        const text = row.onTap
          ? h("button", { class: "arrange-text", type: "button", testid: `${spec.testid}-item` }, h("span", { class: "arrange-key" }, row.label), h("span", { class: "arrange-hint" }, row.hint))
          : h("span", { class: "arrange-text" }, h("span", { class: "arrange-key" }, row.label), h("span", { class: "arrange-hint" }, row.hint));
        if (row.onTap) on(text, "click", row.onTap);
        return h("li", { class: `arrange-item${row.cls ? ` ${row.cls}` : ""}`, "data-key": row.key }, text, up, down);
      }),
    );
  };
  draw();
  const done = h("button", { class: "btn btn-primary", type: "button", testid: `${spec.testid}-done` }, "Done");
  const el = h(
    "div",
    { class: "overlay arrange", testid: spec.testid, role: "dialog", "aria-label": spec.title },
    h("div", { class: "overlay-head" }, h("span", { class: "overlay-title" }, spec.title), spec.info ? h("span", { class: "scrollback-info" }, spec.info) : null),
    list,
    h("div", { class: "overlay-foot" }, ...(spec.extra ?? []), done),
  );
  const close = () => {
    el.remove();
    release();
    spec.closed?.();
  };
  // After Back, `release` does nothing (the history entry is gone already).
  const release = onBack(close);
  on(done, "click", close);
  document.body.append(el);
  return { redraw: draw, close };
}
