// Client-side event log, on with `?debug=1`: console lines, the last entries
// in `window.tmuxMobileLog` for DevTools, and a "Debug log" viewer in the
// drawer for phones, where there are no DevTools.

const MAX = 500;
let enabled = false;
const entries: string[] = [];

export function enableDebugLog(): void {
  enabled = true;
  (window as unknown as { tmuxMobileLog: string[] }).tmuxMobileLog = entries;
}

export function debugEnabled(): boolean {
  return enabled;
}

/** The entries so far (newest last). */
export function logEntries(): readonly string[] {
  return entries;
}

/** Logs an event when debug logging is on. Never pass secrets here. */
export function logEvent(event: string, detail?: unknown): void {
  if (!enabled) return;
  const line = `${new Date().toISOString()} ${event}${detail === undefined ? "" : ` ${safe(detail)}`}`;
  entries.push(line);
  if (entries.length > MAX) entries.splice(0, entries.length - MAX);
  console.debug(`[tmux-mobile] ${line}`);
}

function safe(v: unknown): string {
  try {
    return typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    return String(v);
  }
}
