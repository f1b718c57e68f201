// Wire types of PROTOCOL.md v1 (control socket JSON), as the browser sees them.

export interface PaneState {
  index: number;
  id: string;
  currentCommand: string;
  active: boolean;
  width: number;
  height: number;
  zoomed: boolean;
  /** Attention pending for this phone (extension). */
  attention?: AttentionReason;
}

export interface WindowState {
  index: number;
  name: string;
  active: boolean;
  paneCount: number;
  panes: PaneState[];
  /** The most urgent attention pending on one of its panes (extension). */
  attention?: AttentionReason;
}

export type AttentionReason = "bell" | "prompt" | "notify" | "silence" | "activity";

export interface QuickReply {
  label: string;
  input: string;
}

/** `attention` (extension): a pane needs its person. */
export interface AttentionMessage {
  type: "attention";
  session: string;
  windowIndex: number;
  paneId: string;
  reason: AttentionReason;
  text: string;
  at: number;
  replies?: QuickReply[];
}

/** A remembered device in `devices` (extension). */
export interface DeviceInfo {
  id: string;
  label: string;
  readOnly: boolean;
  issuedAt: number;
  lastSeenAt: number;
  expiresAt: number;
  online: boolean;
  current: boolean;
}

export interface SessionState {
  name: string;
  attached: boolean;
  windows: number;
  windowStates: WindowState[];
}

export interface TmuxState {
  sessions: SessionState[];
  capturedAt: string;
}

export interface SessionSummary {
  name: string;
  attached: boolean;
  windows: number;
}

export type ServerMessage =
  | { type: "auth_ok"; clientId: string; requiresPassword: boolean; readOnly?: boolean; protocolVersion?: number; sessionKey?: string; snippets?: unknown }
  | { type: "auth_error"; reason: string; retryAfterMs?: number }
  | { type: "attached"; session: string }
  | { type: "session_picker"; sessions: SessionSummary[] }
  | { type: "tmux_state"; state: TmuxState }
  | { type: "tmux_state_delta"; delta: unknown }
  | { type: "scrollback"; paneId: string; text: string; lines: number; offset?: number; done?: boolean }
  | { type: "scrolled"; paneId: string; position: number }
  | { type: "error"; message: string }
  | { type: "info"; message: string }
  | { type: "devices"; devices: DeviceInfo[] }
  | AttentionMessage
  | { type: "overview_tile"; paneId: string; lines: string[] };

export type ClientMessage =
  | { type: "auth"; token: string; password?: string; clientId?: string; sessionKey?: string }
  | { type: "select_session"; session: string }
  | { type: "new_session"; name: string }
  | { type: "new_window"; session: string }
  | { type: "select_window"; session: string; windowIndex: number; stickyZoom?: boolean }
  | { type: "kill_window"; session: string; windowIndex: number }
  | { type: "select_pane"; paneId: string; stickyZoom?: boolean }
  | { type: "split_pane"; paneId: string; orientation: "h" | "v"; stickyZoom?: boolean }
  | { type: "scroll_pane"; paneId: string; lines: number }
  | { type: "kill_pane"; paneId: string }
  | { type: "zoom_pane"; paneId: string }
  | { type: "capture_scrollback"; paneId: string; lines?: number; stream?: boolean }
  | { type: "send_compose"; text: string }
  | { type: "ack_attention"; paneId: string }
  | { type: "list_devices" }
  | { type: "revoke_device"; id: string }
  | { type: "overview"; open: boolean };

/** Sessions the server makes per browser client; never shown as user sessions. */
export const MANAGED_SESSION_PREFIX = "tmux-mobile-client-";

export interface ServerConfig {
  passwordRequired: boolean;
  scrollbackLines: number;
  pollIntervalMs: number;
  protocolVersion?: number;
}

/** Parses a control frame; null when it is not a JSON object with a string `type`. */
export function parseServerMessage(text: string): ServerMessage | null {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string") {
      return v as ServerMessage;
    }
  } catch {
    /* fall through */
  }
  return null;
}
