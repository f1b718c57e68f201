// Where this device was (window and pane, per base session), kept in
// localStorage. A client the server still knows resumes by itself; when it
// does not (the drop outlasted the resume grace, the phone closed the tab),
// the new client comes back to the same window and pane instead of window 0,
// and says so.
import { activeBaseSession, currentSession, type ViewModel } from "./drawer";
import { KEYS, load, save } from "./storage";

interface Spot {
  window: number;
  pane: string;
}

/** At most this many base sessions are remembered (the oldest goes first). */
const MAX_SESSIONS = 32;

function loadAll(): Record<string, Spot> {
  try {
    const v: unknown = JSON.parse(load(KEYS.view) ?? "{}");
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, Spot>) : {};
  } catch {
    return {};
  }
}

let lastSaved = "";

/** Remembers that this device shows `window`/`pane` of base session `base`. */
export function rememberView(base: string, window: number, pane: string): void {
  const key = `${base}\u0000${window}\u0000${pane}`;
  if (key === lastSaved) return;
  lastSaved = key;
  const all = loadAll();
  delete all[base];
  all[base] = { window, pane };
  const names = Object.keys(all);
  for (const old of names.slice(0, Math.max(0, names.length - MAX_SESSIONS))) delete all[old];
  save(KEYS.view, JSON.stringify(all));
}

/** The remembered spot in `base`, if any. */
export function rememberedView(base: string): Spot | null {
  const s = loadAll()[base];
  return s && typeof s.window === "number" && typeof s.pane === "string" ? s : null;
}

export interface RestoreActions {
  selectWindow(index: number): void;
  selectPane(id: string): void;
  say(text: string): void;
}

/**
 * Goes back to the remembered window and pane of the session `vm` shows.
 * `expired`: the old client had expired (the message says so).
 */
export function restoreView(vm: ViewModel, expired: boolean, act: RestoreActions): void {
  const session = currentSession(vm);
  const base = activeBaseSession(vm);
  if (!session || !base) return;
  const spot = rememberedView(base);
  const lead = expired ? "The old connection had expired" : "Welcome back";
  if (!spot) {
    if (expired) act.say(`${lead}: a new one was opened.`);
    return;
  }
  const win = session.windowStates.find((w) => w.index === spot.window);
  if (!win) {
    act.say(`${lead}; window ${spot.window} is gone, showing the current one.`);
    return;
  }
  const active = session.windowStates.find((w) => w.active);
  const pane = win.panes.find((p) => p.id === spot.pane);
  if (active?.index === win.index && (!pane || pane.active)) {
    if (expired) act.say(`${lead}: back on window ${win.index}: ${win.name}.`);
    return;
  }
  if (active?.index !== win.index) act.selectWindow(win.index);
  if (pane && !pane.active) act.selectPane(pane.id);
  act.say(`${lead}: back on window ${win.index}: ${win.name}${pane ? `, pane ${pane.id}` : ""}.`);
}
