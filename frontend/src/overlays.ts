// Toasts, confirmation and naming dialogs, and the full-screen cards
// (missing token, fatal error). All in-app: no window.alert/confirm/prompt.
import { onBack } from "./back";
import { h, on, setChildren } from "./dom";

// ---- toasts -----------------------------------------------------------

const toastBox = h("div", { class: "toasts", role: "status", "aria-live": "polite" });

export type ToastKind = "error" | "info";

/** Shows a readable message for a few seconds; tap to dismiss (and run `onTap`, if given). */
export function toast(message: string, kind: ToastKind = "info", onTap?: () => void): void {
  if (!toastBox.isConnected) document.body.append(toastBox);
  // The same text twice in a row: refresh the existing toast instead.
  const last = toastBox.lastElementChild as HTMLElement | null;
  if (last && last.textContent === message && last.dataset.kind === kind) {
    restartTimer(last, kind);
    return;
  }
  const el = h("div", { class: `toast toast-${kind}`, testid: "toast", "data-kind": kind, role: kind === "error" ? "alert" : "status" }, message);
  on(el, "click", () => {
    el.remove();
    onTap?.();
  });
  toastBox.append(el);
  while (toastBox.childElementCount > 3) toastBox.firstElementChild?.remove();
  restartTimer(el, kind);
}

/** Removes the toast showing `message`, if any (e.g. "Not connected" once connected again). */
export function dismissToast(message: string): void {
  for (const el of Array.from(toastBox.children)) if (el.textContent === message) el.remove();
}

const timers = new WeakMap<HTMLElement, number>();
function restartTimer(el: HTMLElement, kind: ToastKind): void {
  window.clearTimeout(timers.get(el));
  timers.set(el, window.setTimeout(() => el.remove(), kind === "error" ? 6000 : 3500));
}

// ---- modal dialogs ------------------------------------------------------

let openDialog: HTMLElement | null = null;

function modal(testid: string, children: (Node | string)[]): HTMLElement {
  const box = h("div", { class: "dialog", role: "dialog", "aria-modal": "true" });
  setChildren(box, children);
  const wrap = h("div", { class: "modal", testid }, box);
  return wrap;
}

const releases = new WeakMap<HTMLElement, () => void>();

/** Shows a dialog; the phone's Back button cancels it (`cancel`). */
function present(el: HTMLElement, cancel: () => void): void {
  document.body.append(el);
  openDialog = el;
  releases.set(el, onBack(cancel));
}

function close(el: HTMLElement, restoreFocus: Element | null): void {
  el.remove();
  releases.get(el)?.();
  releases.delete(el);
  if (openDialog === el) openDialog = null;
  if (restoreFocus instanceof HTMLElement) restoreFocus.focus({ preventScroll: true });
}

/** Asks to confirm a destructive action. Resolves true on OK. */
export function confirmDialog(title: string, detail: string, okLabel: string): Promise<boolean> {
  if (openDialog) close(openDialog, null);
  const before = document.activeElement;
  return new Promise((resolve) => {
    const ok = h("button", { class: "btn btn-danger", testid: "confirm-ok", type: "button" }, okLabel);
    const cancel = h("button", { class: "btn", testid: "confirm-cancel", type: "button" }, "Cancel");
    const el = modal("confirm-dialog", [h("h2", {}, title), h("p", {}, detail), h("div", { class: "dialog-buttons" }, cancel, ok)]);
    const done = (v: boolean) => {
      close(el, before);
      resolve(v);
    };
    on(ok, "click", () => done(true));
    on(cancel, "click", () => done(false));
    on(el, "keydown", (e) => {
      if (e.key === "Escape") done(false);
    });
    on(el, "click", (e) => {
      if (e.target === el) done(false);
    });
    present(el, () => done(false));
    cancel.focus();
  });
}

/** Asks for a line of text (e.g. a session name). Resolves null on cancel. */
export function promptDialog(title: string, label: string, placeholder: string, okLabel: string): Promise<string | null> {
  if (openDialog) close(openDialog, null);
  const before = document.activeElement;
  return new Promise((resolve) => {
    const input = h("input", {
      class: "input",
      testid: "prompt-input",
      type: "text",
      placeholder,
      autocomplete: "off",
      autocapitalize: "off",
      spellcheck: "false",
      enterkeyhint: "done",
      maxlength: 128,
      "aria-label": label,
    });
    const ok = h("button", { class: "btn btn-primary", testid: "prompt-ok", type: "submit" }, okLabel);
    const cancel = h("button", { class: "btn", testid: "prompt-cancel", type: "button" }, "Cancel");
    const form = h("form", {}, h("label", { class: "label" }, label, input), h("div", { class: "dialog-buttons" }, cancel, ok));
    const el = modal("prompt-dialog", [h("h2", {}, title), form]);
    const done = (v: string | null) => {
      close(el, before);
      resolve(v);
    };
    on(form, "submit", (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (v) done(v);
      else input.focus();
    });
    on(cancel, "click", () => done(null));
    on(el, "keydown", (e) => {
      if (e.key === "Escape") done(null);
    });
    on(el, "click", (e) => {
      if (e.target === el) done(null);
    });
    present(el, () => done(null));
    input.focus();
  });
}

// ---- full-screen cards ------------------------------------------------------

/** A card that replaces the app (no token, invalid link). */
export function showCard(testid: string, title: string, text: string): HTMLElement {
  const card = h("div", { class: "card-screen", testid }, h("div", { class: "card" }, h("h1", {}, title), h("p", {}, text)));
  document.body.append(card);
  return card;
}
