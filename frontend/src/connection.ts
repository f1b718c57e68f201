// The two WebSockets (control + terminal) as one explicit state machine:
// config → connect → auth (token + remembered session key or password) →
// attach → terminal. Any drop goes to `reconnecting` with backoff; the
// client resumes with its previous `clientId`, so tmux state comes back.
import { DEFLATE_SUBPROTOCOL, deflateSupported, Inflater } from "./compression";
import { logEvent } from "./log";
import { parseServerMessage, type ClientMessage, type ServerConfig, type ServerMessage, type TmuxState } from "./protocol";
import { applyStateDelta, STATE_DELTA_SUBPROTOCOL } from "./state-delta";
import { KEYS, load, remove, save } from "./storage";

export type Phase =
  | "connecting" // fetching config / opening the control socket
  | "authenticating" // auth sent, waiting for the answer
  | "password" // waiting for the person to type the password
  | "attaching" // authenticated; waiting for `attached` and the terminal socket
  | "picker" // the server asked which session to attach
  | "ready" // attached and the terminal socket is open
  | "reconnecting" // connection lost; a retry is scheduled or running
  | "paused" // stopped on purpose (e.g. opened in another tab); tap to retry
  | "fatal"; // cannot go on (invalid token)

export interface PhaseInfo {
  /** Reconnect attempts since the last success (0 on first connect). */
  attempt: number;
  /** When a retry is scheduled: ms until it runs. */
  retryInMs?: number;
  /** Human-readable reason for `paused`/`fatal`/`reconnecting`. */
  message?: string;
  /** Whether the browser reports no network. */
  offline: boolean;
  /** True once a connection has succeeded in this page. */
  everConnected: boolean;
}

export interface ConnectionEvents {
  phase(p: Phase, info: PhaseInfo): void;
  config(c: ServerConfig): void;
  /** The password prompt must be shown (error text or null, and an optional wait). */
  needPassword(error: string | null, waitMs?: number): void;
  /** `expired`: this page asked to resume a client the server no longer had (the grace period passed). */
  /** `snippets`: the server's default snippets (extension; unchecked, see snippet-list.ts). */
  authOk(info: { clientId: string; readOnly: boolean; resumed: boolean; expired: boolean; snippets?: unknown }): void;
  /** Every control message after auth (attached, tmux_state, errors, ...). */
  message(msg: ServerMessage): void;
  terminalOpen(): void;
  terminalData(data: string | Uint8Array): void;
  terminalClosed(): void;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** Hidden longer than this (phone asleep, app in background): reconnect on return. */
const STALE_AFTER_HIDDEN_MS = 20_000;
const BACKOFF_MAX_MS = 10_000;

/** How long a released client id is worth resuming (the server keeps clients 30 s by default). */
const RELEASED_CLIENT_MAX_AGE_MS = 60_000;

/** Takes a client id that a closed page left behind, if recent. */
function claimReleasedClientId(): string | null {
  const id = load(KEYS.clientId);
  const at = Number(load(KEYS.clientIdReleasedAt));
  remove(KEYS.clientIdReleasedAt);
  if (!id || !Number.isFinite(at) || Date.now() - at > RELEASED_CLIENT_MAX_AGE_MS) return null;
  return id;
}

/**
 * A short, non-reversible tag for a token (FNV-1a, 32 bits): enough to tell
 * two tokens apart in storage without storing a second copy of either.
 */
export function tokenFingerprint(token: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** Delay before reconnect attempt `n` (1-based): 0.5 s doubling to 10 s, ±20 % jitter. */
export function backoffDelay(n: number, rand: number = Math.random()): number {
  const base = Math.min(BACKOFF_MAX_MS, 500 * 2 ** Math.max(0, n - 1));
  return Math.round(base * (0.8 + 0.4 * rand));
}

/**
 * The URL of a server endpoint (`"api/config"`, `"ws/control"`: no leading
 * slash) for the page at `page`. Relative to the page's directory, not to
 * the origin's root, so the UI also works when the server is mounted under
 * a path: the page is `<mount>/` or `<mount>/index.html`, with the token in
 * its query string (never carried over). `"ws"` gives the ws(s) URL of the
 * same place.
 */
export function serverUrl(path: string, kind: "http" | "ws" = "http", page: string = location.href): string {
  const url = new URL(path, page);
  if (kind === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

type AuthKind = "key" | "password" | "token";

export class Connection {
  private control: WebSocket | null = null;
  private terminal: WebSocket | null = null;
  private gen = 0;
  private termGen = 0;
  private authed = false;
  private attached = false;
  private terminalIsOpen = false;
  private phaseNow: Phase = "connecting";
  private attempt = 0;
  private termAttempt = 0;
  private termAuthFailures = 0;
  private retryTimer: number | undefined;
  private termTimer: number | undefined;
  private connectTimer: number | undefined;
  private everConnected = false;
  private lastAuth: AuthKind = "token";
  private triedMemoryPassword = false;
  private cfg: ServerConfig | null = null;
  private clientId: string | null;
  /** Typed in this page only; never stored. Lets a server restart pass without a prompt. */
  private password: string | null = null;
  private readonly encoder = new TextEncoder();
  private phaseMessage: string | undefined;
  private hiddenAt: number | null = null;
  /** Ask for the compressed terminal stream (`?compress=0` turns it off, to compare). */
  private readonly wantDeflate: boolean;
  /** How long the last terminal socket took to open: about one round trip. */
  terminalRttMs: number | null = null;
  /** The last `tmux_state` of this control socket: the base of the next delta. */
  private lastState: TmuxState | null = null;
  /** The current terminal socket's inflater, when the server agreed to compress. */
  private inflater: Inflater | null = null;

  constructor(
    private readonly token: string,
    private readonly ev: ConnectionEvents,
  ) {
    this.clientId = load(KEYS.clientId, "session") ?? claimReleasedClientId();
    // A reload of this tab takes back what its unload offered.
    if (this.clientId && load(KEYS.clientId) === this.clientId) remove(KEYS.clientIdReleasedAt);
    this.wantDeflate = new URLSearchParams(location.search).get("compress") !== "0" && deflateSupported();
  }

  /** Whether the current terminal socket's output is compressed. */
  get terminalCompressed(): boolean {
    return this.inflater !== null;
  }

  get phase(): Phase {
    return this.phaseNow;
  }

  /** The session key this browser holds for its token (for Web Push), if any. */
  get sessionKey(): string | null {
    return this.loadKey();
  }

  get isAuthed(): boolean {
    return this.authed;
  }

  get terminalReady(): boolean {
    return this.terminalIsOpen;
  }

  /** Starts the first connection. */
  start(): void {
    window.addEventListener("online", () => this.check("online"));
    window.addEventListener("offline", () => this.wentOffline());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") {
        this.hiddenAt = Date.now();
        return;
      }
      const away = this.hiddenAt === null ? 0 : Date.now() - this.hiddenAt;
      this.hiddenAt = null;
      // After a long sleep a socket can look open but be dead (the phone
      // changed networks); nothing would tell until the next keystroke got
      // lost. Resuming is cheap, so start afresh.
      if (away > STALE_AFTER_HIDDEN_MS && this.phaseNow === "ready") {
        logEvent("stale-after-hidden", { away });
        void this.connect();
        return;
      }
      this.check("visible");
    });
    window.addEventListener("pagehide", () => this.releaseClientId());
    window.addEventListener("pageshow", (e) => {
      // Back from the back/forward cache: withdraw the offer made on pagehide.
      if (e.persisted && this.clientId && load(KEYS.clientId) === this.clientId) remove(KEYS.clientIdReleasedAt);
    });
    window.addEventListener("pageshow", () => this.check("pageshow"));
    void this.connect();
  }

  /** Tap-to-retry and "something may have changed" (visibility, network back). */
  retryNow(): void {
    logEvent("retry-now", { phase: this.phaseNow });
    if (this.phaseNow === "fatal" || this.phaseNow === "password") return;
    if (this.control && this.authed && this.control.readyState === WebSocket.OPEN) {
      if (!this.terminalIsOpen) this.openTerminal();
      return;
    }
    void this.connect();
  }

  /** Drops both sockets and connects again (the server attaches anew on auth). */
  reconnect(): void {
    if (this.phaseNow === "fatal" || this.phaseNow === "password") return;
    void this.connect();
  }

  /** Submits the password typed into the prompt. */
  submitPassword(password: string): void {
    this.password = password;
    this.triedMemoryPassword = true;
    if (this.control && this.control.readyState === WebSocket.OPEN) {
      this.sendAuth("password");
    } else {
      void this.connect();
    }
  }

  /** Sends a control message; false when not connected. */
  send(msg: ClientMessage): boolean {
    if (!this.control || !this.authed || this.control.readyState !== WebSocket.OPEN) return false;
    logEvent("send", msg.type);
    this.control.send(JSON.stringify(msg));
    return true;
  }

  /** Sends terminal input bytes (binary frame); false when the terminal socket is not open. */
  sendInput(data: string | Uint8Array): boolean {
    const t = this.terminal;
    if (!t || !this.terminalIsOpen || t.readyState !== WebSocket.OPEN) return false;
    t.send(typeof data === "string" ? this.encoder.encode(data) : data);
    return true;
  }

  sendResize(cols: number, rows: number): boolean {
    const t = this.terminal;
    if (!t || !this.terminalIsOpen || t.readyState !== WebSocket.OPEN) return false;
    logEvent("resize", { cols, rows });
    t.send(JSON.stringify({ type: "resize", cols, rows }));
    return true;
  }

  // ---- internals -------------------------------------------------------

  /*
   * Session keys are issued per token (a read-only link gets a read-only
   * key). `tmux-mobile-session-key` holds the latest key; a copy under a
   * short fingerprint of its token keeps a control tab and a read-only tab
   * of the same browser from overwriting each other's key.
   */
  private keyName(): string {
    return `${KEYS.sessionKey}.${tokenFingerprint(this.token)}`;
  }

  private loadKey(): string | null {
    const latest = load(KEYS.sessionKey);
    const owner = load(KEYS.sessionKeyToken);
    if (latest && (!owner || owner === tokenFingerprint(this.token))) return latest;
    return load(this.keyName());
  }

  private saveKey(key: string): void {
    save(KEYS.sessionKey, key);
    save(KEYS.sessionKeyToken, tokenFingerprint(this.token));
    save(this.keyName(), key);
  }

  private removeKey(): void {
    const owner = load(KEYS.sessionKeyToken);
    if (!owner || owner === tokenFingerprint(this.token)) {
      remove(KEYS.sessionKey);
      remove(KEYS.sessionKeyToken);
    }
    remove(this.keyName());
  }

  /**
   * The page is going away (closed, reloaded, put in the back/forward cache): leave
   * the client id where the next start of the app can pick it up and resume
   * within the server's grace period. A live tab never advertises its id, so
   * a second tab does not take over the first one's client.
   */
  private releaseClientId(): void {
    if (!this.clientId) return;
    save(KEYS.clientId, this.clientId);
    save(KEYS.clientIdReleasedAt, String(Date.now()));
  }

  private setPhase(p: Phase, extra: { retryInMs?: number; message?: string } = {}): void {
    this.phaseNow = p;
    this.phaseMessage = extra.message;
    logEvent("phase", { p, attempt: this.attempt, ...extra });
    this.ev.phase(p, {
      attempt: this.attempt,
      retryInMs: extra.retryInMs,
      message: extra.message ?? this.phaseMessage,
      offline: navigator.onLine === false,
      everConnected: this.everConnected,
    });
  }

  private clearTimers(): void {
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.connectTimer);
    window.clearTimeout(this.termTimer);
    this.retryTimer = this.connectTimer = this.termTimer = undefined;
  }

  private closeSockets(): void {
    this.gen++;
    this.termGen++;
    const c = this.control;
    const t = this.terminal;
    this.control = this.terminal = null;
    const wasTerminal = this.terminalIsOpen;
    this.authed = this.attached = this.terminalIsOpen = false;
    this.dropInflater();
    for (const s of [t, c]) {
      if (!s) continue;
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try {
        s.close(1000);
      } catch {
        /* already closed */
      }
    }
    if (wasTerminal) this.ev.terminalClosed();
  }

  private async connect(): Promise<void> {
    this.clearTimers();
    this.closeSockets();
    const gen = this.gen;
    this.setPhase(this.attempt > 0 ? "reconnecting" : "connecting");
    try {
      const res = await fetch(serverUrl("api/config"), { cache: "no-store", headers: { accept: "application/json" } });
      if (!res.ok) throw new Error(`config: HTTP ${res.status}`);
      const cfg = (await res.json()) as ServerConfig;
      if (gen !== this.gen) return;
      this.cfg = cfg;
      this.ev.config(cfg);
    } catch (e) {
      if (gen !== this.gen) return;
      logEvent("config-failed", String(e));
      this.scheduleReconnect("server not reachable");
      return;
    }
    if (this.cfg.passwordRequired && !this.loadKey() && this.password === null) {
      // Ask first: an auth without password would only fail.
      this.setPhase("password");
      this.ev.needPassword(null);
      return;
    }
    this.openControl();
  }

  private openControl(): void {
    const gen = this.gen;
    let ws: WebSocket;
    try {
      // Ask for state deltas; an older server ignores the offer and sends full states.
      ws = new WebSocket(serverUrl("ws/control", "ws"), [STATE_DELTA_SUBPROTOCOL]);
    } catch (e) {
      logEvent("control-create-failed", String(e));
      this.scheduleReconnect("cannot open a connection");
      return;
    }
    this.control = ws;
    this.connectTimer = window.setTimeout(() => {
      if (gen === this.gen && !this.authed) {
        logEvent("control-timeout");
        ws.close();
        this.onControlClosed(gen, 1006, "timeout");
      }
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      if (gen !== this.gen) return;
      this.lastState = null;
      logEvent("control-open", { deltas: ws.protocol === STATE_DELTA_SUBPROTOCOL });
      const key = this.loadKey();
      this.sendAuth(key ? "key" : this.password !== null ? "password" : "token");
    };
    ws.onmessage = (e) => {
      if (gen !== this.gen || typeof e.data !== "string") return;
      const msg = parseServerMessage(e.data);
      if (!msg) {
        logEvent("control-bad-frame");
        return;
      }
      this.onControlMessage(msg);
    };
    ws.onclose = (e) => this.onControlClosed(gen, e.code, e.reason);
  }

  private sendAuth(kind: AuthKind): void {
    const ws = this.control;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const msg: ClientMessage = { type: "auth", token: this.token };
    if (this.clientId) msg.clientId = this.clientId;
    const key = this.loadKey();
    if (kind === "key" && key) msg.sessionKey = key;
    else if (kind === "password" && this.password !== null) msg.password = this.password;
    else kind = "token";
    this.lastAuth = kind;
    logEvent("auth", { kind, resume: Boolean(this.clientId) });
    ws.send(JSON.stringify(msg));
    this.setPhase("authenticating");
  }

  private onControlMessage(msg: ServerMessage): void {
    logEvent("recv", msg.type);
    switch (msg.type) {
      case "auth_ok": {
        window.clearTimeout(this.connectTimer);
        const resumed = this.clientId === msg.clientId;
        const expired = this.clientId !== null && !resumed;
        this.authed = true;
        this.attached = false;
        this.clientId = msg.clientId;
        save(KEYS.clientId, msg.clientId, "session");
        if (msg.sessionKey) this.saveKey(msg.sessionKey);
        this.attempt = 0;
        this.termAttempt = 0;
        this.termAuthFailures = 0;
        this.everConnected = true;
        this.ev.authOk({ clientId: msg.clientId, readOnly: msg.readOnly === true, resumed, expired, snippets: msg.snippets });
        this.setPhase("attaching");
        this.openTerminal();
        return;
      }
      case "auth_error":
        this.onAuthError(msg.reason, msg.retryAfterMs);
        return;
      case "attached":
        this.attached = true;
        this.ev.message(msg);
        this.updateReady();
        return;
      case "session_picker":
        this.attached = false;
        this.ev.message(msg);
        this.setPhase("picker");
        return;
      case "tmux_state":
        this.lastState = msg.state;
        this.ev.message(msg);
        return;
      case "tmux_state_delta": {
        let state: TmuxState;
        try {
          if (!this.lastState) throw new Error("a delta before any state");
          state = applyStateDelta(this.lastState, msg.delta);
        } catch (e) {
          // Out of step with the server (a bug): a new socket starts with a full state.
          logEvent("state-delta-failed", String(e));
          void this.connect();
          return;
        }
        this.lastState = state;
        this.ev.message({ type: "tmux_state", state });
        return;
      }
      default:
        this.ev.message(msg);
    }
  }

  private onAuthError(reason: string, retryAfterMs?: number): void {
    logEvent("auth-error", reason);
    window.clearTimeout(this.connectTimer);
    if (reason === "invalid token") {
      remove(KEYS.token);
      this.clearTimers();
      this.closeSockets();
      this.setPhase("fatal", { message: "This link is not valid (anymore). Open the URL that tmux-mobile printed." });
      return;
    }
    if (reason === "too many attempts") {
      const wait = retryAfterMs ?? 5000;
      if (this.lastAuth === "password" || this.phaseNow === "password") {
        this.setPhase("password");
        this.ev.needPassword(`Too many attempts. Try again in ${Math.ceil(wait / 1000)} s.`, wait);
      } else {
        const kind = this.lastAuth;
        this.retryTimer = window.setTimeout(() => this.sendAuth(kind), wait);
        this.setPhase("reconnecting", { retryInMs: wait, message: "too many attempts" });
      }
      return;
    }
    if (reason === "invalid password") {
      if (this.lastAuth === "key") {
        // The remembered key was revoked or the server restarted.
        this.removeKey();
        if (this.password !== null && !this.triedMemoryPassword) {
          this.triedMemoryPassword = true;
          this.sendAuth("password");
          return;
        }
        this.password = null;
        this.setPhase("password");
        this.ev.needPassword("Wrong password. Try again.");
        return;
      }
      const hadPassword = this.lastAuth === "password";
      this.password = null;
      this.setPhase("password");
      this.ev.needPassword(hadPassword ? "Wrong password. Try again." : null);
      return;
    }
    // "auth required" or anything unknown: start over.
    this.scheduleReconnect(reason);
  }

  private onControlClosed(gen: number, code: number, reason: string): void {
    if (gen !== this.gen) return;
    logEvent("control-closed", { code, reason });
    this.closeSockets();
    if (this.phaseNow === "fatal") return;
    if (code === 4000) {
      this.setPhase("paused", { message: "Opened in another tab or window. Tap to reconnect here." });
      return;
    }
    if (code === 4003) {
      // The owner revoked this device (drawer → Devices): forget everything
      // that would log in by itself, and ask.
      this.password = null;
      this.removeKey();
      this.clearTimers();
      this.setPhase("password");
      this.ev.needPassword("This device was signed out. Enter the password to come back.");
      return;
    }
    if (this.phaseNow === "password") return;
    this.scheduleReconnect(reason || "connection lost");
  }

  private scheduleReconnect(message: string): void {
    this.clearTimers();
    this.attempt++;
    this.triedMemoryPassword = false;
    const delay = backoffDelay(this.attempt);
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
    this.setPhase("reconnecting", { retryInMs: delay, message });
  }

  private wentOffline(): void {
    logEvent("offline");
    if (this.phaseNow === "fatal" || this.phaseNow === "password" || this.phaseNow === "paused") return;
    // Sockets over a lost network die silently; drop them now and retry
    // (quickly once the `online` event comes).
    this.closeSockets();
    this.scheduleReconnect("offline");
  }

  private check(why: string): void {
    logEvent("check", { why, phase: this.phaseNow });
    if (this.phaseNow === "reconnecting") {
      void this.connect();
      return;
    }
    if (this.phaseNow === "ready" || this.phaseNow === "attaching" || this.phaseNow === "picker") {
      if (!this.control || this.control.readyState !== WebSocket.OPEN) void this.connect();
      else if (this.attached && (!this.terminal || this.terminal.readyState !== WebSocket.OPEN)) this.openTerminal();
    }
  }

  private openTerminal(): void {
    window.clearTimeout(this.termTimer);
    if (!this.authed || !this.clientId) return;
    const old = this.terminal;
    this.dropInflater();
    if (old) {
      old.onopen = old.onmessage = old.onclose = old.onerror = null;
      try {
        old.close(1000);
      } catch {
        /* ignore */
      }
      if (this.terminalIsOpen) {
        this.terminalIsOpen = false;
        this.ev.terminalClosed();
      }
    }
    const tg = ++this.termGen;
    let ws: WebSocket;
    try {
      ws = this.wantDeflate
        ? new WebSocket(serverUrl("ws/terminal", "ws"), [DEFLATE_SUBPROTOCOL])
        : new WebSocket(serverUrl("ws/terminal", "ws"));
    } catch (e) {
      logEvent("terminal-create-failed", String(e));
      this.scheduleTerminal();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.terminal = ws;
    const openedAt = performance.now();
    const clientId = this.clientId;
    ws.onopen = () => {
      if (tg !== this.termGen) return;
      this.terminalRttMs = performance.now() - openedAt;
      const auth: Record<string, unknown> = { type: "auth", token: this.token, clientId, binary: true };
      const key = this.loadKey();
      if (key) auth.sessionKey = key;
      else if (this.password !== null) auth.password = this.password;
      ws.send(JSON.stringify(auth));
      this.terminalIsOpen = true;
      // An older server (or a proxy) may not agree: then frames are raw.
      if (ws.protocol === DEFLATE_SUBPROTOCOL) {
        const inflater = new Inflater(
          (bytes) => {
            if (tg === this.termGen && this.inflater === inflater) this.ev.terminalData(bytes);
          },
          () => {
            // A broken stream cannot be resynchronised: start a new socket.
            if (tg !== this.termGen) return;
            ws.close(1000);
          },
        );
        this.inflater = inflater;
      }
      logEvent("terminal-open", { compressed: ws.protocol === DEFLATE_SUBPROTOCOL });
      this.ev.terminalOpen();
      this.updateReady();
    };
    ws.onmessage = (e) => {
      if (tg !== this.termGen) return;
      if (typeof e.data === "string") this.ev.terminalData(e.data);
      else if (e.data instanceof ArrayBuffer) {
        if (this.inflater) this.inflater.push(new Uint8Array(e.data));
        else this.ev.terminalData(new Uint8Array(e.data));
      }
    };
    ws.onclose = (e) => {
      if (tg !== this.termGen) return;
      logEvent("terminal-closed", { code: e.code, reason: e.reason });
      this.dropInflater();
      const wasOpen = this.terminalIsOpen;
      this.terminalIsOpen = false;
      this.terminal = null;
      if (wasOpen) this.ev.terminalClosed();
      if (!this.authed) return;
      if (e.code === 4001) this.termAuthFailures++;
      if (this.termAuthFailures >= 2) {
        // The server does not know this client any more: start over.
        this.termAuthFailures = 0;
        this.closeSockets();
        this.scheduleReconnect("terminal refused");
        return;
      }
      this.scheduleTerminal();
    };
  }

  private dropInflater(): void {
    this.inflater?.close();
    this.inflater = null;
  }

  private scheduleTerminal(): void {
    this.termAttempt++;
    const delay = backoffDelay(this.termAttempt);
    window.clearTimeout(this.termTimer);
    this.termTimer = window.setTimeout(() => this.openTerminal(), delay);
    this.updateReady();
  }

  private updateReady(): void {
    if (!this.authed) return;
    if (this.attached && this.terminalIsOpen) {
      this.termAttempt = 0;
      if (this.phaseNow !== "ready") this.setPhase("ready");
    } else if (this.phaseNow !== "picker" || this.attached) {
      this.setPhase("attaching");
    }
  }
}
