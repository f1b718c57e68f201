// Sizes the app to the visual viewport, so the on-screen keyboard shrinks
// the terminal instead of covering the prompt line.

/** Keeps `app` exactly over the visible part of the page; calls `changed` after each change. */
export function installViewportLayout(app: HTMLElement, changed: () => void): void {
  let last = "";
  const apply = () => {
    const vv = window.visualViewport;
    const height = Math.round(vv ? vv.height : window.innerHeight);
    const top = Math.round(vv ? vv.offsetTop : 0);
    const key = `${height}/${top}`;
    if (key === last) return;
    last = key;
    app.style.height = `${height}px`;
    app.style.transform = top > 0 ? `translateY(${top}px)` : "";
    // Some browsers scroll the page to show a focused field; the app is fixed, keep it at 0.
    if (window.scrollY !== 0 && !vv) window.scrollTo(0, 0);
    changed();
  };
  window.visualViewport?.addEventListener("resize", apply);
  window.visualViewport?.addEventListener("scroll", apply);
  window.addEventListener("resize", apply);
  window.addEventListener("orientationchange", () => window.setTimeout(apply, 50));
  apply();
}
