// OSC 52: a program (or tmux's copy mode) sets the clipboard through the
// terminal. tmux's default `set-clipboard external` forwards its own copies
// (copy mode, `set-buffer -w`) to the attached terminal, so those reach the
// phone's clipboard as they are; what programs in a pane print reaches it
// only when the user's tmux has `set -s set-clipboard on` (a server-wide
// option we never set). Reading the clipboard through OSC 52 is refused:
// no program in a pane reads what the phone copied.
//
// Loaded on demand (a separate chunk), after the terminal is up.
import type { Terminal } from "@xterm/xterm";
import { copyText } from "./scrollback";

/** `copied(text, ok)`: the text reached the clipboard (or the browser refused without a tap). */
export async function enableOsc52(term: Terminal, copied: (text: string, ok: boolean) => void): Promise<void> {
  const { ClipboardAddon } = await import("@xterm/addon-clipboard");
  term.loadAddon(
    new ClipboardAddon(undefined, {
      readText: () => "",
      writeText: async (_selection, text) => {
        copied(text, await copyText(text));
      },
    }),
  );
}
