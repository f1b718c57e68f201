// The phone's Back button closes what is open (drawer, scrollback, search,
// dialogs) instead of leaving the app: every overlay pushes a history entry
// while it is open, and Back (popstate) closes the newest one.

type Close = () => void;

const open: Close[] = [];
/** popstate events caused by our own `history.back()` (an overlay closed by a tap). */
let ownBacks = 0;
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  window.addEventListener("popstate", () => {
    if (ownBacks > 0) {
      ownBacks--;
      return;
    }
    const close = open.pop();
    close?.();
  });
}

/**
 * An overlay opened: Back now calls `close`. Returns the function to call
 * when the overlay closes some other way (a tap), which removes the history
 * entry again. Calling it more than once, or after Back, does nothing.
 */
export function onBack(close: Close): () => void {
  install();
  open.push(close);
  history.pushState({ ...(history.state as object | null), tmuxMobileOverlay: open.length }, "");
  return () => {
    const i = open.lastIndexOf(close);
    if (i < 0) return;
    open.splice(i, 1);
    ownBacks++;
    history.back();
  };
}
