// localStorage/sessionStorage access that never throws (private mode,
// disabled storage) and one place that names every key we use.

export const KEYS = {
  theme: "tmux-mobile-theme",
  stickyZoom: "tmux-mobile-sticky-zoom",
  toolbarExpanded: "tmux-mobile-toolbar-expanded",
  toolbarLayout: "tmux-mobile-toolbar-layout",
  sessionKey: "tmux-mobile-session-key",
  sessionKeyToken: "tmux-mobile-session-key-token",
  clientId: "tmux-mobile-client-id",
  clientIdReleasedAt: "tmux-mobile-client-id-released-at",
  token: "tmux-mobile-token",
  compose: "tmux-mobile-compose",
  baseSession: "tmux-mobile-base-session",
  prediction: "tmux-mobile-prediction",
  view: "tmux-mobile-view",
  snippets: "tmux-mobile-snippets",
  snippetsShown: "tmux-mobile-snippets-shown",
  push: "tmux-mobile-push",
} as const;

type Area = "local" | "session";

function area(a: Area): Storage | null {
  try {
    return a === "local" ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

export function load(key: string, a: Area = "local"): string | null {
  try {
    return area(a)?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function save(key: string, value: string, a: Area = "local"): void {
  try {
    area(a)?.setItem(key, value);
  } catch {
    /* storage full or disabled: the setting lasts for this page only */
  }
}

export function remove(key: string, a: Area = "local"): void {
  try {
    area(a)?.removeItem(key);
  } catch {
    /* ignore */
  }
}

export function loadBool(key: string): boolean | null {
  const v = load(key);
  return v === "true" ? true : v === "false" ? false : null;
}
