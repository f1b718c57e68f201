// Sticky/locked toolbar modifiers: tap = sticky (next key only), a second
// tap within 300 ms = locked, a tap when locked (or a late second tap) = off.
import type { Mods } from "./keys";

// tmux has one Meta modifier (`M-`): Alt, Meta, Option and Cmd all reach a
// pane as the same ESC prefix, so the toolbar has one key for them (Alt).
export type ModName = "ctrl" | "alt" | "shift";
export type ModState = "off" | "sticky" | "locked";

export const MOD_NAMES: readonly ModName[] = ["ctrl", "alt", "shift"];
export const DOUBLE_TAP_MS = 300;

export class Modifiers {
  private state: Record<ModName, ModState> = { ctrl: "off", alt: "off", shift: "off" };
  private lastTap: Record<ModName, number> = { ctrl: -Infinity, alt: -Infinity, shift: -Infinity };
  /** Caps Lock: letters are upper case until tapped again. */
  caps = false;

  constructor(private readonly onChange: () => void) {}

  get(name: ModName): ModState {
    return this.state[name];
  }

  /** Handles a tap on a modifier key at time `now` (ms). */
  tap(name: ModName, now: number): void {
    const cur = this.state[name];
    let next: ModState;
    if (cur === "off") next = "sticky";
    else if (cur === "sticky") next = now - this.lastTap[name] <= DOUBLE_TAP_MS ? "locked" : "off";
    else next = "off";
    this.state[name] = next;
    this.lastTap[name] = now;
    this.onChange();
  }

  toggleCaps(): void {
    this.caps = !this.caps;
    this.onChange();
  }

  /** Modifiers in effect now. */
  current(): Mods {
    const s = this.state;
    return {
      ctrl: s.ctrl !== "off",
      alt: s.alt !== "off",
      shift: s.shift !== "off",
    };
  }

  anyActive(): boolean {
    return MOD_NAMES.some((n) => this.state[n] !== "off");
  }

  /** Called after a key used the modifiers: sticky ones turn off, locked stay. */
  consume(): void {
    let changed = false;
    for (const n of MOD_NAMES) {
      if (this.state[n] === "sticky") {
        this.state[n] = "off";
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  reset(): void {
    for (const n of MOD_NAMES) this.state[n] = "off";
    this.onChange();
  }
}
