// Attention: which panes need this phone's person (PROTOCOL.md,
// "Attention"), the "Needs you" list, the quick-reply row for a prompt, and
// a system notification while the page is hidden.
//
// The server is the source of truth for *what is pending*: the `attention`
// flags in `tmux_state`. The `attention` messages add what the flags do not
// carry (the text, the quick replies, when); the latest one per pane is
// kept here.

import { h, keepFocus, on, setChildren } from "./dom";
import type { AttentionMessage, AttentionReason, QuickReply, TmuxState } from "./protocol";
import { MANAGED_SESSION_PREFIX } from "./protocol";

/** One pane that needs its person, as the "Needs you" list shows it. */
export interface Needed {
  paneId: string;
  reason: AttentionReason;
  session: string;
  windowIndex: number;
  windowName: string;
  text: string;
  replies: QuickReply[];
  at: number;
}

export const REASON_LABEL: Record<AttentionReason, string> = {
  prompt: "asks you",
  notify: "notification",
  bell: "bell",
  silence: "went quiet",
  activity: "activity",
};

/** Short badge text per reason. */
const BADGE: Record<AttentionReason, string> = {
  prompt: "?",
  notify: "!",
  bell: "🔔",
  silence: "…",
  activity: "•",
};

/** A badge element for `reason` (nothing for none). */
export function badge(reason: AttentionReason | undefined): HTMLElement | null {
  if (!reason) return null;
  return h("span", { class: `att-badge att-${reason}`, testid: "attention-badge", "data-reason": reason, title: REASON_LABEL[reason] }, BADGE[reason]);
}

export class Attentions {
  private readonly latest = new Map<string, AttentionMessage>();
  private lastNotified = 0;

  /** Remembers an `attention` message. */
  receive(msg: AttentionMessage): void {
    this.latest.set(msg.paneId, msg);
  }

  /** The message for `paneId`, if one arrived. */
  message(paneId: string): AttentionMessage | undefined {
    return this.latest.get(paneId);
  }

  /** Every pane with attention pending in `state` (user sessions only, each pane once), most recent first. */
  pending(state: TmuxState | null): Needed[] {
    const out = new Map<string, Needed>();
    for (const s of state?.sessions ?? []) {
      if (s.name.startsWith(MANAGED_SESSION_PREFIX)) continue;
      for (const w of s.windowStates) {
        for (const p of w.panes) {
          if (!p.attention || out.has(p.id)) continue;
          const m = this.latest.get(p.id);
          const same = m && m.reason === p.attention;
          out.set(p.id, {
            paneId: p.id,
            reason: p.attention,
            session: s.name,
            windowIndex: w.index,
            windowName: w.name,
            text: same ? m.text : "",
            replies: same ? (m.replies ?? []) : [],
            at: same ? m.at : 0,
          });
        }
      }
    }
    return [...out.values()].sort((a, b) => b.at - a.at);
  }

  /** Whether a notification should be shown for `msg` now (page hidden, permission given, not shown before). */
  shouldNotify(msg: AttentionMessage): boolean {
    if (!document.hidden || typeof Notification === "undefined" || Notification.permission !== "granted") return false;
    if (msg.at <= this.lastNotified) return false;
    this.lastNotified = msg.at;
    return true;
  }
}

/** Shows a system notification for `msg` through the service worker (with "Yes"/"Open" actions), else the plain Notification API. */
export async function notify(msg: AttentionMessage, canAnswer: boolean): Promise<void> {
  const first = msg.replies?.[0];
  const attention = { ...msg, canAnswer: canAnswer && Boolean(first), answer: first ? "Yes" : undefined };
  try {
    const reg = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
    if (reg?.active) {
      reg.active.postMessage({ type: "show-attention", attention });
      return;
    }
  } catch {
    /* fall back below */
  }
  try {
    const n = new Notification(`${msg.session}:${msg.windowIndex} ${REASON_LABEL[msg.reason]}`, {
      body: msg.text || "Tap to open tmux-mobile.",
      tag: `tmux-mobile-attention-${msg.paneId}`,
    });
    n.onclick = () => window.focus();
  } catch {
    /* notifications unavailable */
  }
}

export interface NeedsYouActions {
  /** Move this phone's view to the pane. */
  jump(item: Needed): void;
  /** Dismiss it for this phone. */
  ack(paneId: string): void;
}

/** The "Needs you" list at the top of the drawer. */
export class NeedsYouList {
  readonly el: HTMLElement;
  private readonly list = h("ul", { class: "list needs-you-list", "aria-label": "Needs you" });

  constructor(private readonly act: NeedsYouActions) {
    this.el = h("section", { class: "needs-you", testid: "needs-you", hidden: true }, h("h3", {}, "Needs you"), this.list);
  }

  render(items: Needed[], readOnly: boolean): void {
    this.el.hidden = items.length === 0;
    setChildren(
      this.list,
      items.map((item) => {
        const row = h(
          "button",
          { class: "item needs-you-item", type: "button", testid: "needs-you-item", "data-pane-id": item.paneId, "data-reason": item.reason },
          badge(item.reason),
          h("span", { class: "name" }, `${item.session}:${item.windowIndex} ${item.windowName}`),
          h("span", { class: "meta" }, item.text || REASON_LABEL[item.reason]),
        );
        on(row, "click", () => this.act.jump(item));
        const dismiss = h("button", { class: "icon-btn needs-you-dismiss", type: "button", testid: "needs-you-dismiss", "aria-label": "Dismiss", disabled: readOnly }, "✕");
        on(dismiss, "click", () => this.act.ack(item.paneId));
        return h("li", { class: "needs-you-row" }, row, dismiss);
      }),
    );
  }
}

/** The row of quick replies under the terminal, for a prompt in the pane on screen. */
export class QuickReplies {
  readonly el = h("div", { class: "quick-replies", testid: "quick-replies", role: "toolbar", "aria-label": "Quick replies", hidden: true });
  private shownFor = "";

  constructor(private readonly reply: (paneId: string, input: string) => void) {}

  /** Shows `item`'s replies (or hides the row); returns whether the visibility changed. */
  render(item: Needed | undefined, readOnly: boolean): boolean {
    const key = item && !readOnly ? `${item.paneId}@${item.at}` : "";
    const wasHidden = this.el.hidden;
    if (key === this.shownFor) return false;
    this.shownFor = key;
    if (!item || readOnly || item.replies.length === 0) {
      this.el.hidden = true;
      setChildren(this.el, []);
      return !wasHidden;
    }
    setChildren(
      this.el,
      [h("span", { class: "quick-text", title: item.text }, item.text)].concat(
        item.replies.map((r) => {
          const b = h("button", { class: "tb-btn quick-reply", type: "button", testid: "quick-reply", "data-input": r.input }, r.label);
          keepFocus(b);
          on(b, "click", () => this.reply(item.paneId, r.input));
          return b;
        }),
      ),
    );
    this.el.hidden = false;
    return wasHidden;
  }
}
