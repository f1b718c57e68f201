// Lets xterm.js style itself under the server's CSP (`style-src 'self'`).
//
// xterm's DOM renderer writes its theme, font and cell rules into inline
// `<style>` elements and sets `style="..."` attributes for true-colour cells;
// a strict CSP blocks both, which would leave the terminal without colours.
// CSSOM access is not restricted by CSP, so:
// - `document.createElement("style")` returns a stand-in element whose text
//   goes into a constructed stylesheet adopted by the document;
// - `setAttribute("style", css)` becomes `element.style.cssText = css`.
// Nothing here loosens the policy: no inline CSS is ever parsed from markup.

const sheets = new Set<CSSStyleSheet>();

function adopt(doc: Document, sheet: CSSStyleSheet): void {
  if (!doc.adoptedStyleSheets.includes(sheet)) doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
}

function drop(doc: Document, sheet: CSSStyleSheet): void {
  doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
}

function styleStandIn(doc: Document, create: (tag: string) => HTMLElement): HTMLElement {
  const el = create("tmux-mobile-style");
  el.hidden = true;
  const sheet = new CSSStyleSheet();
  sheets.add(sheet);
  let css = "";
  Object.defineProperty(el, "textContent", {
    configurable: true,
    get: () => css,
    set: (v: string | null) => {
      css = v ?? "";
      sheet.replaceSync(css);
      adopt(doc, sheet);
    },
  });
  Object.defineProperty(el, "sheet", { configurable: true, get: () => (adopt(doc, sheet), sheet) });
  const remove = el.remove.bind(el);
  el.remove = () => {
    drop(doc, sheet);
    sheets.delete(sheet);
    remove();
  };
  return el;
}

/** Installs the shims once; safe to call more than once. */
export function installCspStyleShims(): void {
  const proto = Document.prototype as Document & { __tmuxMobileCsp?: boolean };
  if (proto.__tmuxMobileCsp || typeof CSSStyleSheet === "undefined" || !("adoptedStyleSheets" in Document.prototype)) return;
  proto.__tmuxMobileCsp = true;

  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    if (typeof tag === "string" && tag.toLowerCase() === "style") {
      return styleStandIn(this, (t) => createElement.call(this, t) as HTMLElement);
    }
    return createElement.call(this, tag, options);
  } as typeof Document.prototype.createElement;

  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
    if (name.toLowerCase() === "style" && "style" in this) {
      (this as HTMLElement).style.cssText = String(value);
      return;
    }
    setAttribute.call(this, name, value);
  };
}
