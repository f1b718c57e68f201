// tmux-mobile phone UI: wires the connection, the terminal and the controls.
import "@xterm/xterm/css/xterm.css";
import "./fonts.css";
import "./style.css";

import { Attentions, type Needed, NeedsYouList, notify, QuickReplies } from "./attention";
import { onBack } from "./back";
import { Connection, type Phase, type PhaseInfo } from "./connection";
import { enableOsc52 } from "./clipboard";
import { installCspStyleShims } from "./csp-styles";
import { h, keepFocus, on, setChildren } from "./dom";
import { activeBaseSession, activePane, activeWindow, currentSession, Drawer, type ViewModel } from "./drawer";
import { applyToTyped } from "./keys";
import { installViewportLayout } from "./layout";
import { debugEnabled, enableDebugLog, logEntries, logEvent } from "./log";
import { AttentionJump } from "./attention-jump";
import { DevicesPanel } from "./devices";
import { confirmDialog, dismissToast, promptDialog, showCard, toast } from "./overlays";
import type { ClientMessage, ServerConfig, ServerMessage, SessionSummary } from "./protocol";
import { copyText, Scrollback } from "./scrollback";
import { KEYS, load, loadBool, save } from "./storage";
import type { PredictionMode } from "./predict";
import { PredictionView } from "./prediction-view";
import { PushToggle, registerServiceWorker, takeOpenPane } from "./push";
import { SearchBar, terminalTarget } from "./search";
import { SnippetBar } from "./snippets";
import { TerminalView } from "./terminal";
import { TerminalTouch } from "./touch";
import { rememberView, restoreView } from "./view-memory";
import { applyChrome, DEFAULT_THEME, themeById } from "./themes";
import { Toolbar } from "./toolbar";
import type { Overview } from "./overview";

const DEFAULT_SCROLLBACK_LINES = 1000;

/** A pane to jump to (from "Needs you" or the overview). */
type Place = Pick<Needed, "session" | "windowIndex" | "paneId">;

/** Takes the token from `?token=` (and removes it from the address bar) or from storage. */
function takeToken(): string | null {
  const params = new URLSearchParams(location.search);
  if (params.get("debug") === "1") enableDebugLog();
  const fromUrl = params.get("token");
  if (fromUrl !== null) {
    params.delete("token");
    const qs = params.toString();
    history.replaceState(history.state, "", `${location.pathname}${qs ? `?${qs}` : ""}${location.hash}`);
    if (fromUrl) {
      save(KEYS.token, fromUrl);
      save(KEYS.token, fromUrl, "session");
      return fromUrl;
    }
  }
  return load(KEYS.token, "session") ?? load(KEYS.token);
}

function main(): void {
  installCspStyleShims();
  const token = takeToken();
  const storedTheme = load(KEYS.theme);
  const theme = themeById(storedTheme ?? DEFAULT_THEME);
  applyChrome(theme);
  if (!token) {
    showCard("missing-token", "URL missing token", "Open the full address that tmux-mobile printed when it started (it ends in ?token=…).");
    return;
  }
  logEvent("start");
  /** A notification opened this page: jump to that pane once attached. */
  let openPane = takeOpenPane();
  void registerServiceWorker();

  const vm: ViewModel = {
    state: null,
    attachedSession: null,
    baseSession: load(KEYS.baseSession, "session"),
    readOnly: false,
    stickyZoom: loadBool(KEYS.stickyZoom) ?? window.innerWidth <= 768,
    themeId: theme.id,
  };
  let config: ServerConfig | null = null;
  let composeOn = loadBool(KEYS.compose) ?? true;
  let pasting = false;

  // ---- top bar -------------------------------------------------------------
  const drawerBtn = h("button", { class: "icon-btn", type: "button", testid: "drawer-button", "aria-label": "Open menu" }, "☰");
  const titleSession = h("span", { class: "title-session", testid: "title-session" });
  const titleWindow = h("span", { class: "title-window", testid: "title-window" }, "tmux-mobile");
  const titleBadge = h("span", { class: "att-badge att-title", testid: "title-attention", hidden: true });
  const title = h("div", { class: "title", testid: "title" }, titleSession, titleWindow, titleBadge);
  const statusText = h("span", { class: "status-text" });
  const status = h("button", { class: "status", type: "button", testid: "status", "data-state": "pending", "aria-label": "Connection status" }, h("span", { class: "dot" }), statusText);
  const zoomBtn = h("button", { class: "tb-btn", type: "button", testid: "zoom-button", disabled: true, "data-zoomed": "false", title: "Zoom the active pane" }, "Zoom");
  const scrollBtn = h("button", { class: "tb-btn", type: "button", testid: "scroll-button", title: "Scrollback" }, "Scroll");
  const composeBtn = h("button", { class: "tb-btn", type: "button", testid: "compose-toggle", title: "Compose bar" }, "Compose");
  const overviewBtn = h("button", { class: "icon-btn", type: "button", testid: "overview-button", "aria-label": "Overview", title: "Overview of all windows" }, "▦");
  for (const b of [drawerBtn, status, zoomBtn, scrollBtn, composeBtn, overviewBtn]) keepFocus(b);
  const topbar = h("header", { class: "topbar" }, drawerBtn, title, status, overviewBtn, zoomBtn, scrollBtn, composeBtn);

  // ---- terminal ------------------------------------------------------------
  const termEl = h("div", { class: "term-host", testid: "terminal" });
  const connBanner = h("button", { class: "conn-banner", type: "button", testid: "connection-banner", hidden: true, "aria-live": "polite" });
  keepFocus(connBanner);
  const termWrap = h("main", { class: "term-wrap" }, termEl, connBanner);

  // ---- compose bar ---------------------------------------------------------
  const composeInput = h("input", {
    class: "input compose-input",
    testid: "compose-input",
    type: "text",
    placeholder: "Type a command, Enter sends",
    autocomplete: "off",
    autocapitalize: "off",
    autocorrect: "off",
    spellcheck: "false",
    enterkeyhint: "send",
    "aria-label": "Compose",
  });
  const composeSend = h("button", { class: "btn btn-primary", type: "button", testid: "compose-send" }, "Send");
  keepFocus(composeSend);
  const composeBar = h("div", { class: "compose-bar", testid: "compose-bar" }, composeInput, composeSend);

  // ---- connection ------------------------------------------------------------
  const NOT_CONNECTED = "Not connected. Reconnecting…";
  /** Something could not be sent: the banner says so when it shows (a toast would cover it). */
  const notConnected = (): void => {
    if (!connBanner.hidden) {
      connBanner.dataset.flash = String(Number(connBanner.dataset.flash ?? "0") + 1);
      connBanner.classList.remove("flash");
      void connBanner.offsetWidth;
      connBanner.classList.add("flash");
      return;
    }
    toast(NOT_CONNECTED, "error");
  };
  const mutate = (msg: ClientMessage): void => {
    if (vm.readOnly) {
      toast("Read-only link: changes are disabled.", "info");
      return;
    }
    if (!conn.send(msg)) notConnected();
  };
  const sendInput = (data: string): void => {
    if (vm.readOnly || data === "") return;
    touch.whenLive(() => {
      if (conn.terminalReady) predict.typed(data);
      if (!conn.sendInput(data)) notConnected();
    });
    // Typing into a pane that asked something answers it.
    const p = activePane(vm);
    if (p?.attention === "prompt") ackAttention(p.id);
  };
  const acked = new Set<string>();
  const ackAttention = (paneId: string): void => {
    if (vm.readOnly || acked.has(paneId)) return;
    acked.add(paneId);
    conn.send({ type: "ack_attention", paneId });
  };

  // ---- attention -------------------------------------------------------------
  const attentions = new Attentions();
  /** Where to go once the session switch a jump asked for is done. */
  let pendingJump: Place | null = null;
  const jumpInSession = (item: Place): void => {
    mutate({ type: "select_window", session: mySession(), windowIndex: item.windowIndex, stickyZoom: vm.stickyZoom });
    mutate({ type: "select_pane", paneId: item.paneId, stickyZoom: vm.stickyZoom });
  };
  const jumpTo = (item: Place): void => {
    drawer.open(false);
    if (vm.readOnly) return;
    if (item.session !== activeBaseSession(vm)) {
      pendingJump = item;
      vm.baseSession = item.session;
      save(KEYS.baseSession, item.session, "session");
      if (!conn.send({ type: "select_session", session: item.session })) notConnected();
      return;
    }
    jumpInSession(item);
  };
  const devices = new DevicesPanel((m) => conn.send(m), confirmDialog);
  const needsYou = new NeedsYouList({ jump: (item) => jumpTo(item), ack: (paneId) => ackAttention(paneId) });
  const quickReplies = new QuickReplies((paneId, input) => {
    if (vm.readOnly) return;
    touch.whenLive(() => {
      if (!conn.sendInput(input)) notConnected();
    });
    ackAttention(paneId);
  });
  if ("serviceWorker" in navigator) {
    // "Open" on a notification shown by the service worker.
    navigator.serviceWorker.addEventListener("message", (e: MessageEvent) => {
      const data = e.data as { type?: string; paneId?: string } | null;
      if (data?.type !== "attention-open" || !data.paneId) return;
      const item = attentions.pending(vm.state).find((n) => n.paneId === data.paneId);
      if (item) jumpTo(item);
    });
  }

  const toolbar = new Toolbar({
    send: sendInput,
    paste: () => void paste(),
    select: () => touch.setSelectMode(!touch.isSelecting),
    find: () => termSearch.open(),
    snippets: () => snippetBar.toggle(),
    layoutChanged: () => view.queueFit(),
  });
  // Snippets type their text like typed input (so read-only links cannot).
  const snippetBar = new SnippetBar({ send: sendInput, layoutChanged: () => view.queueFit() });

  const scrollback = new Scrollback({
    request: (paneId, lines) => conn.send({ type: "capture_scrollback", paneId, lines, stream: true }),
    closed: () => {
      releaseScrollback?.();
      releaseScrollback = null;
      restoreFocus();
    },
  });
  let releaseScrollback: (() => void) | null = null;

  const mySession = () => vm.attachedSession ?? currentSession(vm)?.name ?? "";

  const drawer = new Drawer(
    {
      selectSession: (name) => {
        vm.baseSession = name;
        save(KEYS.baseSession, name, "session");
        if (!conn.send({ type: "select_session", session: name })) notConnected();
      },
      newSession: () => {
        void promptDialog("New Session", "Session name", "e.g. work", "Create").then((name) => {
          if (!name) return;
          vm.baseSession = name.replace(/[:.]/g, "_");
          save(KEYS.baseSession, vm.baseSession, "session");
          mutate({ type: "new_session", name });
        });
      },
      selectWindow: (index) => {
        drawer.open(false);
        mutate({ type: "select_window", session: mySession(), windowIndex: index, stickyZoom: vm.stickyZoom });
      },
      newWindow: () => mutate({ type: "new_window", session: mySession() }),
      selectPane: (id) => {
        drawer.open(false);
        mutate({ type: "select_pane", paneId: id, stickyZoom: vm.stickyZoom });
      },
      split: (orientation) => {
        const p = activePane(vm);
        if (!p) return;
        // With sticky zoom the new pane fills the screen (two half-width panes
        // on a phone are too narrow to use); the drawer gets out of the way.
        if (vm.stickyZoom) drawer.open(false);
        mutate({ type: "split_pane", paneId: p.id, orientation, stickyZoom: vm.stickyZoom });
      },
      zoomPane: () => {
        const p = activePane(vm);
        if (p) mutate({ type: "zoom_pane", paneId: p.id });
      },
      toggleStickyZoom: () => {
        vm.stickyZoom = !vm.stickyZoom;
        save(KEYS.stickyZoom, String(vm.stickyZoom));
        render();
      },
      cyclePrediction: () => {
        const next: Record<PredictionMode, PredictionMode> = { auto: "on", on: "off", off: "auto" };
        predict.mode = next[predict.predictor.mode];
        save(KEYS.prediction, predict.predictor.mode);
        render();
      },
      closePane: () => {
        const p = activePane(vm);
        if (!p) return;
        void confirmDialog(`Close pane ${p.id}?`, `The pane and its process (${p.currentCommand}) end.`, "Close Pane").then((ok) => {
          if (ok) mutate({ type: "kill_pane", paneId: p.id });
        });
      },
      killWindow: () => {
        const w = activeWindow(vm);
        if (!w) return;
        void confirmDialog(`Kill window ${w.index}: ${w.name}?`, `All ${w.paneCount} pane(s) of this window and their processes end.`, "Kill Window").then((ok) => {
          if (ok) mutate({ type: "kill_window", session: mySession(), windowIndex: w.index });
        });
      },
      showLog: debugEnabled() ? () => showDebugLog() : undefined,
      setTheme: (id) => {
        const t = themeById(id);
        vm.themeId = t.id;
        save(KEYS.theme, t.id);
        applyChrome(t);
        view.setTheme(t);
        render();
      },
    },
    (open) => {
      drawerBtn.setAttribute("aria-expanded", String(open));
      if (open) {
        rememberFocus();
        releaseDrawer = onBack(() => drawer.open(false));
        devices.refresh(vm.readOnly);
      } else {
        releaseDrawer?.();
        releaseDrawer = null;
        restoreFocus();
      }
    },
    needsYou.el,
  );
  let releaseDrawer: (() => void) | null = null;
  drawer.el.querySelector(".drawer-body")?.append(devices.el);
  const pushToggle = new PushToggle({ token, sessionKey: () => conn.sessionKey, say: (text, kind) => toast(text, kind) });
  drawer.el.querySelector(".drawer-body")?.append(pushToggle.el);

  // Overlays give the focus back to where it was (the terminal or the compose
  // field) and only then, so closing one never pops up a keyboard by itself.
  let focusBefore: HTMLElement | null = null;
  function rememberFocus(): void {
    const a = document.activeElement;
    focusBefore = a instanceof HTMLElement && (termEl.contains(a) || a === composeInput) ? a : null;
  }
  function restoreFocus(): void {
    const el = focusBefore;
    focusBefore = null;
    if (el === composeInput) composeInput.focus({ preventScroll: true });
    else if (el) view.term.focus();
  }

  // ---- debug log viewer (only with ?debug=1) ----------------------------------
  function showDebugLog(): void {
    const pre = h("pre", { class: "scrollback-text", testid: "debug-log-text" }, logEntries().join("\n"));
    const copy = h("button", { class: "btn", type: "button" }, "Copy");
    const close = h("button", { class: "btn btn-primary", type: "button" }, "Close");
    const el = h(
      "div",
      { class: "overlay", testid: "debug-log", role: "dialog", "aria-label": "Debug log" },
      h("div", { class: "overlay-head" }, h("span", { class: "overlay-title" }, "Debug log")),
      pre,
      h("div", { class: "overlay-foot" }, copy, close),
    );
    on(copy, "click", () => void copyText(pre.textContent ?? "").then((ok) => toast(ok ? "Log copied." : "Copy failed.", ok ? "info" : "error")));
    const release = onBack(() => el.remove());
    on(close, "click", () => {
      el.remove();
      release();
    });
    drawer.open(false);
    document.body.append(el);
    pre.scrollTop = pre.scrollHeight;
  }

  // ---- session picker --------------------------------------------------------
  const pickerList = h("div", { class: "picker-list" });
  const picker = h(
    "div",
    { class: "overlay picker", testid: "session-picker", hidden: true, role: "dialog", "aria-label": "Choose a session" },
    h("div", { class: "overlay-head" }, h("span", { class: "overlay-title" }, "Choose a tmux session")),
    pickerList,
  );
  const showPicker = (sessions: SessionSummary[]) => {
    setChildren(
      pickerList,
      sessions.map((s) => {
        const b = h(
          "button",
          { class: "item picker-item", type: "button", testid: "picker-item", "data-name": s.name },
          h("span", { class: "name" }, s.name),
          h("span", { class: "meta" }, `${s.windows} window${s.windows === 1 ? "" : "s"}${s.attached ? " · attached" : ""}`),
        );
        on(b, "click", () => {
          vm.baseSession = s.name;
          save(KEYS.baseSession, s.name, "session");
          if (!conn.send({ type: "select_session", session: s.name })) notConnected();
        });
        return b;
      }),
    );
    picker.hidden = false;
  };

  // ---- password prompt -----------------------------------------------------
  const pwInput = h("input", {
    class: "input",
    testid: "password-input",
    type: "password",
    autocomplete: "current-password",
    enterkeyhint: "go",
    "aria-label": "Password",
    placeholder: "Password",
  });
  const pwSubmit = h("button", { class: "btn btn-primary", type: "submit", testid: "password-submit" }, "Unlock");
  const pwError = h("p", { class: "form-error", testid: "password-error", role: "alert", hidden: true });
  const pwForm = h(
    "form",
    { class: "card", testid: "password-form", autocomplete: "on" },
    h("h1", {}, "Password Required"),
    h("p", { class: "muted" }, "This tmux-mobile server asks for its password."),
    pwInput,
    pwError,
    pwSubmit,
  );
  const pwScreen = h("div", { class: "card-screen", hidden: true }, pwForm);
  let pwWaitTimer: number | undefined;
  on(pwForm, "submit", (e) => {
    e.preventDefault();
    const pw = pwInput.value;
    if (!pw) {
      pwInput.focus();
      return;
    }
    pwSubmit.disabled = true;
    pwError.hidden = true;
    conn.submitPassword(pw);
  });
  const showPassword = (error: string | null, waitMs?: number) => {
    pwScreen.hidden = false;
    // After "too many attempts" keep what was typed: one tap retries it.
    if (!waitMs) pwInput.value = "";
    pwError.textContent = error ?? "";
    pwError.hidden = !error;
    window.clearInterval(pwWaitTimer);
    pwSubmit.disabled = Boolean(waitMs);
    if (waitMs) {
      // Count down visibly until the server accepts another attempt.
      const until = Date.now() + waitMs;
      const tick = () => {
        const left = Math.ceil((until - Date.now()) / 1000);
        if (left > 0) {
          pwError.textContent = `Too many attempts. Try again in ${left} s.`;
          return;
        }
        window.clearInterval(pwWaitTimer);
        pwError.textContent = "Too many attempts. You can try again now.";
        pwSubmit.disabled = false;
      };
      tick();
      pwWaitTimer = window.setInterval(tick, 250);
    }
    pwInput.focus();
  };

  // ---- app shell -------------------------------------------------------------
  const app = h("div", { class: "app", id: "app" }, topbar, termWrap, quickReplies.el, composeBar, snippetBar.el, toolbar.el);
  document.body.append(app, drawer.backdrop, drawer.el, picker, scrollback.el, pwScreen);
  drawer.el.inert = true;

  const view = new TerminalView(termEl, theme, (cols, rows) => conn.sendResize(cols, rows));
  const savedMode = load(KEYS.prediction);
  const predict = new PredictionView(view.term, savedMode === "on" || savedMode === "off" ? savedMode : "auto");
  const attentionJump = new AttentionJump({ jump: (item) => jumpTo(item), find: (text) => termSearch.seek(text) });
  const termSearch = new SearchBar("term-search", terminalTarget(view.term), () => restoreFocus(), [attentionJump.el]);
  termWrap.append(termSearch.el);
  const touch = new TerminalTouch(termEl, view.term, {
    scroll: (lines) => {
      const p = activePane(vm);
      if (p && !vm.readOnly) conn.send({ type: "scroll_pane", paneId: p.id, lines });
    },
    copy: (text) => void copyText(text).then((ok) => toast(ok ? "Copied." : "Copy failed: the browser refused clipboard access.", ok ? "info" : "error")),
    selecting: () => {},
  });
  installViewportLayout(app, () => view.queueFit());
  void enableOsc52(view.term, (text, ok) => {
    if (ok) toast(`Copied to the clipboard (${text.length} characters).`, "info");
    // Without a tap some browsers refuse: one tap on the toast copies.
    else toast("A program copied text. Tap here to put it on the clipboard.", "info", () => void copyText(text));
  }).catch((e) => logEvent("osc52-unavailable", String(e)));

  view.term.onData((data) => {
    if (vm.readOnly) return;
    if (pasting) {
      sendInput(data);
      return;
    }
    const r = applyToTyped(data, toolbar.mods.current(), toolbar.mods.caps);
    sendInput(r.data);
    if (r.consumed) toolbar.mods.consume();
  });
  view.term.onBinary((data) => {
    if (vm.readOnly) return;
    const bytes = Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff);
    touch.whenLive(() => {
      predict.typed("\x1b");
      if (!conn.sendInput(bytes)) notConnected();
    });
  });

  async function paste(): Promise<void> {
    if (vm.readOnly) return;
    try {
      if (navigator.clipboard?.readText) {
        const text = await navigator.clipboard.readText();
        if (text) {
          pasting = true;
          try {
            view.term.paste(text);
          } finally {
            pasting = false;
          }
        }
        return;
      }
    } catch (e) {
      logEvent("paste-failed", String(e));
    }
    toast("The browser does not allow reading the clipboard here. Long-press the compose field and paste there.", "info");
    setCompose(true);
    composeInput.focus();
  }

  // ---- compose ---------------------------------------------------------------
  let composing = false;
  on(composeInput, "compositionstart", () => (composing = true));
  on(composeInput, "compositionend", () => (composing = false));
  const sendCompose = () => {
    if (vm.readOnly) return;
    const text = composeInput.value;
    composeInput.value = "";
    touch.whenLive(() => {
      if (!conn.send({ type: "send_compose", text })) {
        composeInput.value = text;
        notConnected();
      }
    });
  };
  on(composeInput, "keydown", (e) => {
    if (e.key !== "Enter") return;
    // Enter that confirms an IME composition must not send.
    if (e.isComposing || composing || e.keyCode === 229) return;
    e.preventDefault();
    sendCompose();
  });
  on(composeSend, "click", sendCompose);
  const setCompose = (v: boolean) => {
    composeOn = v;
    save(KEYS.compose, String(v));
    composeBar.hidden = !v;
    composeBtn.textContent = v ? "Compose On" : "Compose Off";
    composeBtn.dataset.on = String(v);
    composeBtn.setAttribute("aria-pressed", String(v));
    view.queueFit();
  };
  on(composeBtn, "click", () => setCompose(!composeOn));
  setCompose(composeOn);

  // ---- top bar actions -------------------------------------------------------
  on(drawerBtn, "click", () => drawer.open(!drawer.opened));
  on(titleBadge, "click", () => drawer.open(true));
  on(zoomBtn, "click", () => {
    const p = activePane(vm);
    if (p) mutate({ type: "zoom_pane", paneId: p.id });
  });
  on(scrollBtn, "click", () => {
    const p = activePane(vm);
    if (!p) {
      toast("No pane to capture yet.", "info");
      return;
    }
    rememberFocus();
    scrollback.open(p.id, config?.scrollbackLines ?? DEFAULT_SCROLLBACK_LINES);
    releaseScrollback ??= onBack(() => scrollback.close());
  });
  on(connBanner, "click", () => (attachError ? conn.reconnect() : conn.retryNow()));

  // ---- overview (loaded on first use) ----------------------------------------
  let overview: Overview | null = null;
  on(overviewBtn, "click", () => {
    drawer.open(false);
    rememberFocus();
    void import("./overview").then(({ Overview }) => {
      overview ??= new Overview({
        send: (open) => conn.send({ type: "overview", open }),
        jump: (session, windowIndex, paneId) => {
          if (vm.readOnly) toast("Read-only link: switching windows is disabled.", "info");
          else jumpTo({ session, windowIndex, paneId });
        },
        closed: () => restoreFocus(),
      });
      if (!overview.el.isConnected) document.body.append(overview.el);
      overview.open(vm);
    });
  });
  on(status, "click", () => {
    const p = conn.phase;
    if (p === "reconnecting" || p === "paused" || p === "attaching") conn.retryNow();
    else toast(statusDescription(), "info");
  });

  // ---- rendering -------------------------------------------------------------
  function render(): void {
    const w = activeWindow(vm);
    const p = activePane(vm);
    const base = activeBaseSession(vm);
    const session = base ?? "";
    const windowText = w ? `${w.index}: ${w.name}` : "tmux-mobile";
    if (titleSession.textContent !== session) titleSession.textContent = session;
    if (titleWindow.textContent !== windowText) titleWindow.textContent = windowText;
    title.dataset.session = session;
    title.dataset.window = w ? String(w.index) : "";
    title.title = w ? `Session ${session}, window ${w.index}: ${w.name}` : "";
    document.title = w ? `${session ? `${session} · ` : ""}${w.name} · tmux-mobile` : "tmux-mobile";
    zoomBtn.disabled = vm.readOnly || !w || w.panes.length < 2;
    const zoomed = Boolean(p?.zoomed);
    zoomBtn.dataset.zoomed = String(zoomed);
    // Zoomed: say which pane of how many fills the screen.
    const pos = w && p ? [...w.panes].sort((a, b) => a.index - b.index).indexOf(p) + 1 : 0;
    zoomBtn.textContent = zoomed && w ? `Pane ${pos}/${w.panes.length}` : "Zoom";
    zoomBtn.title = zoomed && w ? `Pane ${pos} of ${w.panes.length} is zoomed; tap to show all panes` : "Zoom the active pane";
    zoomBtn.setAttribute("aria-pressed", String(zoomed));
    if (base && w && p && attachedNow && !restorePending) rememberView(base, w.index, p.id);
    scrollBtn.disabled = !p;
    composeInput.disabled = vm.readOnly;
    composeSend.disabled = vm.readOnly;
    vm.prediction = { mode: predict.predictor.mode, active: predict.predictor.active };
    renderAttention();
    drawer.render(vm);
    overview?.render(vm);
  }

  function renderAttention(): void {
    const needed = attentions.pending(vm.state);
    for (const id of acked) if (!needed.some((n) => n.paneId === id)) acked.delete(id);
    needsYou.render(needed, vm.readOnly);
    attentionJump.render(needed);
    const p = activePane(vm);
    const elsewhere = needed.filter((n) => n.paneId !== p?.id);
    titleBadge.hidden = elsewhere.length === 0;
    titleBadge.textContent = elsewhere.length ? String(elsewhere.length) : "";
    titleBadge.title = elsewhere.length ? `${elsewhere.length} pane(s) need you; open the menu` : "";
    const prompt = needed.find((n) => n.paneId === p?.id && n.reason === "prompt");
    if (quickReplies.render(prompt, vm.readOnly)) view.queueFit();
  }

  let phaseInfo: PhaseInfo | null = null;
  function statusDescription(): string {
    const p = conn.phase;
    switch (p) {
      case "ready":
        return vm.readOnly ? "Connected (read-only)." : "Connected.";
      case "reconnecting":
        return `Reconnecting${phaseInfo?.message ? ` (${phaseInfo.message})` : ""}. Tap the status to retry now.`;
      default:
        return phaseInfo?.message ?? p;
    }
  }

  /** The status dot (`data-state`) and, while not connected, a banner over the terminal (tap = retry). */
  function renderStatus(p: Phase, info: PhaseInfo): void {
    let state: string;
    let banner = "";
    let delayed = false;
    switch (p) {
      case "ready":
        state = "ok";
        break;
      case "connecting":
        state = info.offline && !info.everConnected ? "offline" : "pending";
        banner = info.offline ? "Offline: waiting for the network…" : "Connecting…";
        delayed = !info.offline;
        break;
      case "authenticating":
      case "attaching":
        state = info.everConnected && !conn.terminalReady && conn.isAuthed && p === "attaching" ? "warn" : "pending";
        banner = attachError ? `${attachError} · tap to retry` : "Connecting…";
        delayed = !attachError;
        if (attachError) state = "error";
        break;
      case "picker":
        state = "pending";
        break;
      case "password":
        state = "warn";
        break;
      case "reconnecting":
        state = info.offline && !info.everConnected ? "offline" : "reconnecting";
        banner = info.offline ? "Offline: reconnecting when the network is back · tap to retry" : "Reconnecting… · tap to retry now";
        break;
      case "paused":
        state = "error";
        banner = "Disconnected: this session was opened elsewhere · tap to reconnect here";
        break;
      case "fatal":
        state = "error";
        break;
    }
    status.dataset.state = state;
    status.dataset.phase = p;
    statusText.textContent = p === "ready" && vm.readOnly ? "view only" : "";
    status.title = statusDescription();
    connBanner.textContent = banner;
    connBanner.hidden = banner === "";
    connBanner.dataset.delayed = String(delayed);
    connBanner.dataset.state = state;
  }

  let fatalCard: HTMLElement | null = null;
  /** An `error` that answered the attach step (no `attached` yet): shown until a retry. */
  let attachError: string | null = null;
  /** Whether `attached` came on the current connection. */
  let attachedNow = false;
  let lastPhase: { p: Phase; info: PhaseInfo } | null = null;
  /** Set by a non-resumed `auth_ok`: restore this device's last view (and say whether the old client had expired). */
  let restorePending: { expired: boolean } | null = null;
  function tryRestore(): void {
    if (!restorePending || !attachedNow || !vm.state) return;
    const why = restorePending;
    restorePending = null;
    restoreView(vm, why.expired, {
      selectWindow: (index) => conn.send({ type: "select_window", session: mySession(), windowIndex: index, stickyZoom: false }),
      selectPane: (id) => conn.send({ type: "select_pane", paneId: id, stickyZoom: false }),
      say: (text) => toast(text, "info"),
    });
  }

  const conn: Connection = new Connection(token, {
    phase(p, info) {
      phaseInfo = info;
      lastPhase = { p, info };
      if (p !== "attaching") attachError = null;
      if (p === "ready") dismissToast(NOT_CONNECTED);
      renderStatus(p, info);
      if (p === "paused" && info.message) toast(info.message, "error");
      if (p === "fatal") {
        fatalCard?.remove();
        fatalCard = showCard("fatal-error", "Cannot connect", info.message ?? "The server refused this link.");
      }
      if (p !== "password") pwScreen.hidden = true;
    },
    config(c) {
      config = c;
    },
    needPassword(error, waitMs) {
      showPassword(error, waitMs);
    },
    authOk(info) {
      attachedNow = false;
      pwScreen.hidden = true;
      pwSubmit.disabled = false;
      vm.readOnly = info.readOnly;
      toolbar.setReadOnly(info.readOnly);
      snippetBar.setServer(info.snippets, info.readOnly);
      view.term.options.disableStdin = info.readOnly;
      document.documentElement.dataset.readonly = String(info.readOnly);
      if (!info.resumed) logEvent("new-client");
      // A new client (the old one expired, or a fresh start) comes back to
      // where this device was, once the first state after `attached` is in.
      restorePending = info.resumed ? null : { expired: info.expired };
      void pushToggle.sync();
      overview?.reconnected();
      render();
    },
    message(msg: ServerMessage) {
      switch (msg.type) {
        case "attached":
          vm.attachedSession = msg.session;
          attachedNow = true;
          attachError = null;
          picker.hidden = true;
          drawer.open(false);
          view.resetResize();
          tryRestore();
          render();
          break;
        case "session_picker": {
          // After a server restart or a reload, go back to the session this
          // tab was showing instead of asking again.
          const again = vm.baseSession && msg.sessions.some((s) => s.name === vm.baseSession);
          if (again && vm.baseSession && conn.send({ type: "select_session", session: vm.baseSession })) {
            logEvent("picker-auto", vm.baseSession);
            break;
          }
          showPicker(msg.sessions);
          break;
        }
        case "tmux_state":
          vm.state = msg.state;
          tryRestore();
          if (pendingJump && attachedNow && activeBaseSession(vm) === pendingJump.session) {
            const item = pendingJump;
            pendingJump = null;
            jumpInSession(item);
          }
          if (openPane && attachedNow) {
            const item = attentions.pending(vm.state).find((n) => n.paneId === openPane);
            openPane = null;
            if (item) jumpTo(item);
          }
          render();
          break;
        case "attention":
          attentions.receive(msg);
          acked.delete(msg.paneId);
          if (pushToggle.allowsPageNotifications && attentions.shouldNotify(msg)) void notify(msg, !vm.readOnly);
          render();
          break;
        case "scrollback":
          scrollback.receive(msg.paneId, msg.text, msg.lines, msg.offset, msg.done);
          break;
        case "scrolled":
          touch.scrolled(msg.position);
          break;
        case "overview_tile":
          overview?.tile(msg.paneId, msg.lines);
          break;
        case "error":
          scrollback.failed(msg.message);
          toast(msg.message === "read-only" ? "Read-only link: input and changes are disabled." : msg.message, "error");
          if (conn.phase === "attaching" && !attachedNow) {
            attachError = msg.message;
            if (lastPhase) renderStatus(lastPhase.p, lastPhase.info);
          }
          break;
        case "info":
          toast(msg.message, "info");
          break;
        case "devices":
          devices.receive(msg.devices);
          break;
        default:
          break;
      }
    },
    terminalOpen() {
      // Cancel any escape sequence cut off by the previous connection.
      view.write("\x18");
      view.resetResize();
      predict.reset();
      if (conn.terminalRttMs !== null) predict.predictor.seedRtt(conn.terminalRttMs);
      render();
    },
    terminalData(data) {
      view.write(data, () => predict.update());
    },
    terminalClosed() {
      /* the status shows it; input is refused until the socket is back */
    },
  });

  render();
  conn.start();
  view.term.focus();
}

main();
