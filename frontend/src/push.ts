// Notifications, page side: registers the service worker (sw.js next to the
// page, scoped to the page's directory, so that it also works when the server
// is mounted under a path), and the drawer's "Notifications" toggle, which
// asks for permission and subscribes this browser to Web Push with the
// server's VAPID key, so that attention reaches the phone while the page is
// closed (docs/PROTOCOL.md, "Web Push").
//
// The subscription belongs to this browser's session key: the server drops it
// when the key is revoked or expires, and the page subscribes again after
// each login. The service worker gets the token and session key (in its own
// cache) so that a notification's "Yes" can answer without opening the page;
// turning notifications off removes them and the subscription.

import { serverUrl } from "./connection";
import { h, on } from "./dom";
import { logEvent } from "./log";
import { KEYS, load, save } from "./storage";

export interface PushDeps {
  token: string;
  /** The session key this browser holds now (none without a password). */
  sessionKey(): string | null;
  say(text: string, kind: "info" | "error"): void;
}

/** Registers the service worker; its registration, or null where there is none. */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!("serviceWorker" in navigator)) return null;
  try {
    await navigator.serviceWorker.register("./sw.js", { scope: "./" });
    return await navigator.serviceWorker.ready;
  } catch (e) {
    logEvent("sw-register-failed", String(e));
    return null;
  }
}

/** Takes `?pane=%N` (a notification opened this page) out of the address bar. */
export function takeOpenPane(): string | null {
  const params = new URLSearchParams(location.search);
  const pane = params.get("pane");
  if (pane === null) return null;
  params.delete("pane");
  const qs = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${qs ? `?${qs}` : ""}${location.hash}`);
  return /^%\d+$/.test(pane) ? pane : null;
}

function base64UrlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

/** `POST api/push/<what>` (next to the page) with the credentials; the JSON answer or an Error with the server's reason. */
async function api(what: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await fetch(serverUrl(`api/push/${what}`), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    cache: "no-store",
  });
  const json = (await r.json().catch(() => ({}))) as Record<string, unknown>;
  if (!r.ok) throw new Error(typeof json.error === "string" ? json.error : `the server answered ${r.status}`);
  return json;
}

/** The drawer's "Notifications" section. */
export class PushToggle {
  readonly el: HTMLElement;
  private readonly button = h("button", { class: "btn", type: "button", testid: "push-toggle", "aria-pressed": "false" }, "Notifications: Off");
  private readonly status = h("p", { class: "muted push-status", testid: "push-status" });
  private busy = false;

  constructor(private readonly deps: PushDeps) {
    this.el = h("section", { class: "push-section", testid: "push-section" }, h("h3", {}, "Notifications"), this.button, this.status);
    on(this.button, "click", () => void (this.on ? this.disable() : this.enable()));
    this.render("");
  }

  /** Whether the person turned notifications on (and the browser allows them). */
  get on(): boolean {
    return load(KEYS.push) === "on" && typeof Notification !== "undefined" && Notification.permission === "granted";
  }

  /** Whether a hidden page may show notifications: the browser allows them and the person did not turn them off here. */
  get allowsPageNotifications(): boolean {
    return load(KEYS.push) !== "off" && typeof Notification !== "undefined" && Notification.permission === "granted";
  }

  private render(status: string): void {
    this.button.textContent = `Notifications: ${this.on ? "On" : "Off"}`;
    this.button.dataset.on = String(this.on);
    this.button.setAttribute("aria-pressed", String(this.on));
    this.button.disabled = this.busy;
    this.status.textContent = status;
    this.status.hidden = status === "";
  }

  private async enable(): Promise<void> {
    if (typeof Notification === "undefined") {
      this.deps.say("This browser cannot show notifications.", "error");
      return;
    }
    this.busy = true;
    this.render("Asking for permission…");
    const permission = await Notification.requestPermission().catch(() => "denied" as NotificationPermission);
    if (permission !== "granted") {
      this.busy = false;
      this.render("The browser refused notifications for this site (see its site settings).");
      return;
    }
    save(KEYS.push, "on");
    const status = await this.sync();
    this.busy = false;
    this.render(status);
  }

  private async disable(): Promise<void> {
    this.busy = true;
    save(KEYS.push, "off");
    this.render("Turning off…");
    const reg = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration().catch(() => undefined) : undefined;
    reg?.active?.postMessage({ type: "push-credentials" });
    const sub = await reg?.pushManager?.getSubscription().catch(() => null);
    const key = this.deps.sessionKey();
    if (sub) {
      if (key) await api("unsubscribe", { token: this.deps.token, sessionKey: key, endpoint: sub.endpoint }).catch(() => null);
      await sub.unsubscribe().catch(() => false);
    }
    this.busy = false;
    this.render("");
  }

  /**
   * After each login (and when turned on): hands the credentials to the
   * service worker and (re)subscribes to Web Push. Returns what to tell the
   * person; never throws.
   */
  async sync(): Promise<string> {
    if (!this.on) return "";
    const reg = await registerServiceWorker();
    const key = this.deps.sessionKey();
    if (!reg) return "On while this page is open (no service worker here).";
    reg.active?.postMessage({ type: "push-credentials", token: this.deps.token, sessionKey: key });
    if (!key) return "On while this page is open. Push when it is closed needs a password login.";
    if (!("pushManager" in reg)) return "On while this page is open (this browser has no Web Push).";
    try {
      const server = await api("key", { token: this.deps.token, sessionKey: key });
      const vapid = base64UrlToBytes(String(server.publicKey ?? ""));
      let sub = await reg.pushManager.getSubscription();
      if (sub && !sameKey(sub.options.applicationServerKey, vapid)) {
        // The server has a new key (e.g. --no-persist and a restart).
        await sub.unsubscribe();
        sub = null;
      }
      sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: vapid });
      await api("subscribe", { token: this.deps.token, sessionKey: key, subscription: sub.toJSON() });
      logEvent("push-subscribed");
      this.render("On, also while this page is closed.");
      return "On, also while this page is closed.";
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      logEvent("push-subscribe-failed", why);
      const status = `On while this page is open; push unavailable: ${why}`;
      this.render(status);
      return status;
    }
  }
}
