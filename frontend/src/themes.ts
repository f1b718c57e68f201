// The six colour themes: terminal palette plus the UI chrome colours.
import type { ITheme } from "@xterm/xterm";

export interface Theme {
  id: string;
  label: string;
  /** Chrome: background, panels, text, muted text, accent, border. */
  ui: { bg: string; panel: string; panel2: string; text: string; muted: string; accent: string; border: string };
  term: ITheme;
}

const ansi = (c: string[]) => ({
  black: c[0],
  red: c[1],
  green: c[2],
  yellow: c[3],
  blue: c[4],
  magenta: c[5],
  cyan: c[6],
  white: c[7],
  brightBlack: c[8],
  brightRed: c[9],
  brightGreen: c[10],
  brightYellow: c[11],
  brightBlue: c[12],
  brightMagenta: c[13],
  brightCyan: c[14],
  brightWhite: c[15],
});

export const THEMES: Theme[] = [
  {
    id: "midnight",
    label: "Midnight",
    ui: { bg: "#0b1020", panel: "#131a2e", panel2: "#1c2540", text: "#dbe2f0", muted: "#8490a8", accent: "#5b9cff", border: "#26314f" },
    term: {
      background: "#0b1020",
      foreground: "#dbe2f0",
      cursor: "#5b9cff",
      cursorAccent: "#0b1020",
      selectionBackground: "#2c3d66",
      ...ansi([
        "#1b2133", "#ff5f6d", "#4fd18b", "#ffcc66", "#5b9cff", "#c792ea", "#4fd1d9", "#cdd3de",
        "#4a5573", "#ff8a94", "#7ee2aa", "#ffdd8f", "#8bb8ff", "#dcb3f2", "#85e3e8", "#ffffff",
      ]),
    },
  },
  {
    id: "amber",
    label: "Amber",
    ui: { bg: "#120c02", panel: "#1d1405", panel2: "#2a1d08", text: "#ffb84d", muted: "#a8792f", accent: "#ffb000", border: "#3d2a0c" },
    term: {
      background: "#120c02",
      foreground: "#ffb84d",
      cursor: "#ffb000",
      cursorAccent: "#120c02",
      selectionBackground: "#4d3510",
      ...ansi([
        "#2a1d08", "#ff7a3d", "#ffc266", "#ffd280", "#e69a2e", "#ff9f5a", "#ffcf8a", "#ffb84d",
        "#6b4c1a", "#ff9966", "#ffd699", "#ffe0a3", "#ffb84d", "#ffb380", "#ffe0b3", "#fff0d6",
      ]),
    },
  },
  {
    id: "solarized-dark",
    label: "Solarized Dark",
    ui: { bg: "#002b36", panel: "#073642", panel2: "#0d4352", text: "#93a1a1", muted: "#657b83", accent: "#268bd2", border: "#1a4d5a" },
    term: {
      background: "#002b36",
      foreground: "#839496",
      cursor: "#93a1a1",
      cursorAccent: "#002b36",
      selectionBackground: "#0f5161",
      ...ansi([
        "#073642", "#dc322f", "#859900", "#b58900", "#268bd2", "#d33682", "#2aa198", "#eee8d5",
        "#586e75", "#cb4b16", "#93a1a1", "#839496", "#657b83", "#6c71c4", "#93a1a1", "#fdf6e3",
      ]),
    },
  },
  {
    id: "dracula",
    label: "Dracula",
    ui: { bg: "#282a36", panel: "#303241", panel2: "#3b3e51", text: "#f8f8f2", muted: "#9ea3c0", accent: "#bd93f9", border: "#44475a" },
    term: {
      background: "#282a36",
      foreground: "#f8f8f2",
      cursor: "#f8f8f2",
      cursorAccent: "#282a36",
      selectionBackground: "#44475a",
      ...ansi([
        "#21222c", "#ff5555", "#50fa7b", "#f1fa8c", "#bd93f9", "#ff79c6", "#8be9fd", "#f8f8f2",
        "#6272a4", "#ff6e6e", "#69ff94", "#ffffa5", "#d6acff", "#ff92df", "#a4ffff", "#ffffff",
      ]),
    },
  },
  {
    id: "nord",
    label: "Nord",
    ui: { bg: "#2e3440", panel: "#3b4252", panel2: "#434c5e", text: "#eceff4", muted: "#a3adc2", accent: "#88c0d0", border: "#4c566a" },
    term: {
      background: "#2e3440",
      foreground: "#d8dee9",
      cursor: "#d8dee9",
      cursorAccent: "#2e3440",
      selectionBackground: "#4c566a",
      ...ansi([
        "#3b4252", "#bf616a", "#a3be8c", "#ebcb8b", "#81a1c1", "#b48ead", "#88c0d0", "#e5e9f0",
        "#4c566a", "#bf616a", "#a3be8c", "#ebcb8b", "#81a1c1", "#b48ead", "#8fbcbb", "#eceff4",
      ]),
    },
  },
  {
    id: "gruvbox",
    label: "Gruvbox",
    ui: { bg: "#282828", panel: "#32302f", panel2: "#3c3836", text: "#ebdbb2", muted: "#a89984", accent: "#fabd2f", border: "#504945" },
    term: {
      background: "#282828",
      foreground: "#ebdbb2",
      cursor: "#ebdbb2",
      cursorAccent: "#282828",
      selectionBackground: "#504945",
      ...ansi([
        "#282828", "#cc241d", "#98971a", "#d79921", "#458588", "#b16286", "#689d6a", "#a89984",
        "#928374", "#fb4934", "#b8bb26", "#fabd2f", "#83a598", "#d3869b", "#8ec07c", "#ebdbb2",
      ]),
    },
  },
];

export const DEFAULT_THEME = "midnight";

export function themeById(id: string | null): Theme {
  return THEMES.find((t) => t.id === id) ?? (THEMES[0] as Theme);
}

/** Sets the chrome colours as CSS custom properties (CSSOM, allowed by the CSP). */
export function applyChrome(t: Theme): void {
  const s = document.documentElement.style;
  for (const [k, v] of Object.entries(t.ui)) s.setProperty(`--${k}`, v);
  document.documentElement.dataset.theme = t.id;
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", t.ui.panel);
}
