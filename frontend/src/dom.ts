// A tiny element builder: enough for this UI without a framework.

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | null | undefined | false;

/** Creates `<tag>` with attributes (`on*` values are not supported: use `on()`), and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "testid") el.setAttribute("data-testid", String(v));
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

/** Replaces all children. */
export function setChildren(el: Element, children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function on<K extends keyof HTMLElementEventMap>(
  el: EventTarget,
  type: K,
  fn: (ev: HTMLElementEventMap[K]) => void,
  opts?: AddEventListenerOptions,
): void {
  el.addEventListener(type, fn as EventListener, opts);
}

/** A button that acts on click but never takes focus away from the terminal or compose field. */
export function keepFocus(el: HTMLElement): void {
  el.addEventListener("pointerdown", (e) => e.preventDefault());
  el.addEventListener("mousedown", (e) => e.preventDefault());
}

/** The pending long press of a group of buttons (a new press cancels it). */
export interface PressTimer {
  id?: number;
}

/**
 * A tap calls `tap`; holding `ms` calls `long` instead (the click that ends
 * the press then does nothing). Buttons sharing `timer` share one pending
 * long press.
 */
export function onTapOrLongPress(el: HTMLElement, timer: PressTimer, ms: number, long: () => void, tap: () => void): void {
  let longPressed = false;
  on(el, "pointerdown", () => {
    longPressed = false;
    window.clearTimeout(timer.id);
    timer.id = window.setTimeout(() => {
      longPressed = true;
      long();
    }, ms);
  });
  const cancel = () => window.clearTimeout(timer.id);
  on(el, "pointerup", cancel);
  on(el, "pointercancel", cancel);
  on(el, "pointerleave", cancel);
  on(el, "click", () => {
    if (longPressed) {
      longPressed = false;
      return;
    }
    tap();
  });
}

export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}
