// `tmux_state_delta` (PROTOCOL.md, subprotocol `tmux-mobile.v1.state-delta`
// on /ws/control): rebuilds the full state from the last one and a delta.
// In a delta's `sessions`, a string is the unchanged session of that name;
// in a changed session's `windowStates`, a number is the unchanged window of
// that index. Every other field of the state comes whole.
import type { TmuxState } from "./protocol";

export const STATE_DELTA_SUBPROTOCOL = "tmux-mobile.v1.state-delta";

type Json = Record<string, unknown>;

/** Thrown when a delta refers to something the base does not have. */
export class DeltaMismatch extends Error {}

function byKey(list: unknown, key: string): Map<string, Json> {
  const map = new Map<string, Json>();
  if (Array.isArray(list)) {
    for (const item of list) {
      if (item && typeof item === "object") map.set(String((item as Json)[key]), item as Json);
    }
  }
  return map;
}

/** The state a delta describes, given the state it was made against. */
export function applyStateDelta(base: TmuxState, delta: unknown): TmuxState {
  if (!delta || typeof delta !== "object" || !Array.isArray((delta as Json).sessions)) {
    throw new DeltaMismatch("a delta needs a sessions list");
  }
  const oldSessions = byKey(base.sessions, "name");
  const sessions = ((delta as Json).sessions as unknown[]).map((entry) => {
    if (typeof entry === "string") {
      const same = oldSessions.get(entry);
      if (!same) throw new DeltaMismatch(`no session ${entry} in the base`);
      return same;
    }
    if (!entry || typeof entry !== "object") throw new DeltaMismatch("bad session entry");
    const session = { ...(entry as Json) };
    const windows = session.windowStates;
    if (Array.isArray(windows)) {
      const oldWindows = byKey(oldSessions.get(String(session.name))?.windowStates, "index");
      session.windowStates = windows.map((w: unknown) => {
        if (typeof w !== "number") return w;
        const same = oldWindows.get(String(w));
        if (!same) throw new DeltaMismatch(`no window ${w} of ${String(session.name)} in the base`);
        return same;
      });
    }
    return session;
  });
  return { ...(delta as Json), sessions } as unknown as TmuxState;
}
