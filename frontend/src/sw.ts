// The service worker (built to sw.js next to index.html, its scope the page's
// directory: `/` at the root, `<mount>/` under a path): shows attention as a
// system notification — from a Web Push message while the page is closed,
// or at the page's request while it is hidden — with actions ("Yes" = the
// prompt's first quick reply, "Open"), and answers taps.
//
// "Yes" posts to api/push/reply (under the scope) with the token and session
// key the page left in this worker's cache (the same secrets the page keeps
// in localStorage; cleared when notifications are turned off). The server
// types the reply only while that very prompt still waits, and only for a
// control key. A tap elsewhere focuses an open page (which jumps to the pane)
// or opens one at `<scope>?pane=%N`. Every URL it uses is relative to its
// registration's scope, so two servers mounted under different paths of one
// origin keep apart.
//
// Self-contained on purpose (no imports): it is its own bundle, not part of
// the page's first load. Only DOM types are available to the type checker,
// so the few worker types used are declared here.

interface SwExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface SwPushEvent extends SwExtendableEvent {
  readonly data: { json(): unknown; text(): string } | null;
}
interface SwNotificationEvent extends SwExtendableEvent {
  readonly action: string;
  readonly notification: Notification;
}
interface SwMessageEvent extends SwExtendableEvent {
  readonly data: unknown;
}
interface SwWindowClient {
  readonly url: string;
  focus(): Promise<SwWindowClient>;
  postMessage(message: unknown): void;
}
interface SwScope {
  readonly registration: ServiceWorkerRegistration;
  readonly clients: {
    matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<SwWindowClient[]>;
    openWindow(url: string): Promise<SwWindowClient | null>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: "install" | "activate", listener: (e: SwExtendableEvent) => void): void;
  addEventListener(type: "push", listener: (e: SwPushEvent) => void): void;
  addEventListener(type: "notificationclick", listener: (e: SwNotificationEvent) => void): void;
  addEventListener(type: "message", listener: (e: SwMessageEvent) => void): void;
}

const sw = self as unknown as SwScope;

/** Where the page leaves the credentials for the "Yes" action. */
const CREDENTIALS_CACHE = "tmux-mobile-push";
/** `path` (no leading slash) under this worker's scope, where the page is. */
function inScope(path: string): string {
  return new URL(path, sw.registration.scope).href;
}

const CREDENTIALS_PATH = "__tmux-mobile/push-credentials";

/** What a notification needs (a push payload, or the page's `attention` message). */
interface Shown {
  paneId: string;
  reason: string;
  at: number;
  windowIndex?: number;
  session?: string;
  text?: string;
  canAnswer?: boolean;
}

const LABEL: Record<string, string> = {
  prompt: "asks you",
  notify: "notification",
  bell: "bell",
  silence: "went quiet",
  activity: "activity",
};

function isShown(v: unknown): v is Shown {
  const o = v as Partial<Shown> | null;
  return Boolean(o) && typeof o?.paneId === "string" && /^%\d+$/.test(o.paneId) && typeof o.reason === "string" && typeof o.at === "number";
}

async function show(a: Shown): Promise<void> {
  const where = a.session !== undefined ? `${a.session}:${a.windowIndex ?? ""}` : `pane ${a.paneId}`;
  const title = `${where} ${LABEL[a.reason] ?? a.reason}`;
  const actions = a.canAnswer
    ? [
        { action: "yes", title: "Yes" },
        { action: "open", title: "Open" },
      ]
    : [{ action: "open", title: "Open" }];
  const options = {
    body: a.text || "Tap to open tmux-mobile.",
    tag: `tmux-mobile-attention-${a.paneId}`,
    renotify: true,
    icon: inScope("icon-192.png"),
    data: { paneId: a.paneId, at: a.at, canAnswer: Boolean(a.canAnswer) },
    actions,
  };
  await sw.registration.showNotification(title, options as NotificationOptions);
}

async function credentials(): Promise<{ token: string; sessionKey: string } | null> {
  try {
    const cache = await caches.open(CREDENTIALS_CACHE);
    const r = await cache.match(inScope(CREDENTIALS_PATH));
    const c = r ? ((await r.json()) as { token?: unknown; sessionKey?: unknown }) : null;
    return c && typeof c.token === "string" && typeof c.sessionKey === "string" ? { token: c.token, sessionKey: c.sessionKey } : null;
  } catch {
    return null;
  }
}

async function storeCredentials(c: { token: string; sessionKey: string } | null): Promise<void> {
  const cache = await caches.open(CREDENTIALS_CACHE);
  if (c) await cache.put(inScope(CREDENTIALS_PATH), new Response(JSON.stringify(c), { headers: { "Content-Type": "application/json" } }));
  else await cache.delete(inScope(CREDENTIALS_PATH));
}

/** "Yes": the prompt's first quick reply, typed by the server. */
async function answer(data: { paneId: string; at: number }): Promise<void> {
  const c = await credentials();
  let problem = "";
  if (!c) problem = "Open tmux-mobile to answer (not signed in).";
  else {
    try {
      const r = await fetch(inScope("api/push/reply"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...c, paneId: data.paneId, at: data.at, reply: 0 }),
        credentials: "omit",
        cache: "no-store",
      });
      if (!r.ok) {
        const body = (await r.json().catch(() => null)) as { error?: string } | null;
        problem = body?.error ?? `The server answered ${r.status}.`;
      }
    } catch {
      problem = "The server could not be reached.";
    }
  }
  if (problem) {
    await sw.registration.showNotification("Could not answer", {
      body: problem,
      tag: `tmux-mobile-attention-${data.paneId}`,
      icon: inScope("icon-192.png"),
      data: { paneId: data.paneId, at: data.at, canAnswer: false },
    });
  }
}

/** A tap: focus an open page (it jumps to the pane) or open one there. */
async function open(paneId: string): Promise<void> {
  const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
  const scope = sw.registration.scope;
  const page = windows.find((w) => w.url.startsWith(scope));
  if (page) {
    await page.focus().catch(() => page);
    page.postMessage({ type: "attention-open", paneId });
    return;
  }
  await sw.clients.openWindow(inScope(`?pane=${encodeURIComponent(paneId)}`));
}

sw.addEventListener("install", (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener("activate", (e) => e.waitUntil(sw.clients.claim()));

sw.addEventListener("push", (e) => {
  let payload: unknown = null;
  try {
    payload = e.data?.json() ?? null;
  } catch {
    payload = null;
  }
  // Every push must show something (userVisibleOnly).
  const shown = isShown(payload) ? payload : { paneId: "%0", reason: "notify", at: Date.now(), text: "A pane needs you." };
  e.waitUntil(show(shown));
});

sw.addEventListener("message", (e) => {
  const m = e.data as { type?: string; attention?: unknown; token?: unknown; sessionKey?: unknown } | null;
  if (m?.type === "show-attention" && isShown(m.attention)) e.waitUntil(show(m.attention));
  else if (m?.type === "push-credentials") {
    const c = typeof m.token === "string" && typeof m.sessionKey === "string" ? { token: m.token, sessionKey: m.sessionKey } : null;
    e.waitUntil(storeCredentials(c));
  }
});

sw.addEventListener("notificationclick", (e) => {
  const data = e.notification.data as { paneId?: string; at?: number; canAnswer?: boolean } | null;
  e.notification.close();
  const paneId = data?.paneId;
  if (!paneId || !/^%\d+$/.test(paneId)) return;
  if (e.action === "yes" && data.canAnswer && typeof data.at === "number") {
    e.waitUntil(answer({ paneId, at: data.at }));
    return;
  }
  e.waitUntil(open(paneId));
});

// A module for the type checker (isolatedModules); the bundle exports nothing.
export {};
