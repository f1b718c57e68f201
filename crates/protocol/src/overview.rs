//! The overview (extension): a grid of every window of every session, each
//! tile the last lines of the window's active pane, so a person checks on
//! ten agents at a glance.
//!
//! - client → server: `{"type":"overview","open":true}` starts the tiles,
//!   `{"type":"overview","open":false}` stops them
//!   ([`crate::ClientMessage::Overview`]); so does closing the socket;
//! - server → client: [`OverviewTile`], sent as
//!   `{"type":"overview_tile","paneId":"%3","lines":[…]}` (see
//!   [`crate::ServerMessage::OverviewTile`]) for the active pane of each
//!   window, once when the overview opens and again whenever the pane's
//!   screen changed (at most once a second per pane).
//!
//! A tile names only its pane: the browser places it with the `tmux_state`
//! it already has (the active pane of each window). Everything in a tile is
//! bounded here, where it is built: [`OVERVIEW_TILE_LINES`] lines of at most
//! [`OVERVIEW_LINE_CHARS`] characters each, control characters replaced.
//! The original's clients never send `overview`, so they never receive a
//! tile.
//!
//! ```
//! use tmux_mobile_protocol::{OverviewTile, ServerMessage, encode_server};
//! let tile = OverviewTile::from_screen("%3".parse()?, "$ cargo test\nok\n\n\n");
//! assert_eq!(
//!     encode_server(&ServerMessage::OverviewTile(tile)),
//!     r#"{"type":"overview_tile","paneId":"%3","lines":["$ cargo test","ok"]}"#
//! );
//! # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::ids::PaneId;

/// The most lines one tile carries: the last ones with text on the pane's
/// screen.
pub const OVERVIEW_TILE_LINES: usize = 12;

/// The most characters (Unicode scalar values) of one tile line; the rest
/// of a longer line is cut off.
pub const OVERVIEW_LINE_CHARS: usize = 160;

/// The most panes the overview shows tiles of (windows beyond it are listed
/// by the browser without their text).
pub const OVERVIEW_TILE_LIMIT: usize = 64;

/// The body of `overview_tile`: the last lines of one pane's screen.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverviewTile {
    /// The pane, like `%3` (the active pane of a window in `tmux_state`).
    pub pane_id: PaneId,
    /// The last lines with text on its screen, top to bottom, at most
    /// [`OVERVIEW_TILE_LINES`] of at most [`OVERVIEW_LINE_CHARS`]
    /// characters; trailing blank lines and trailing spaces removed.
    pub lines: Vec<String>,
}

impl OverviewTile {
    /// The tile of `pane_id` whose screen reads `screen` (lines separated
    /// by `\n`): the last [`OVERVIEW_TILE_LINES`] lines that end in text,
    /// each cut to [`OVERVIEW_LINE_CHARS`] characters, control characters
    /// (a tab, an escape) replaced by spaces.
    ///
    /// ```
    /// use tmux_mobile_protocol::{OverviewTile, OVERVIEW_TILE_LINES};
    /// let screen: String = (1..=40).map(|n| format!("line {n}\n")).collect();
    /// let tile = OverviewTile::from_screen("%0".parse()?, &screen);
    /// assert_eq!(tile.lines.len(), OVERVIEW_TILE_LINES);
    /// assert_eq!(tile.lines.last().map(String::as_str), Some("line 40"));
    /// # Ok::<(), tmux_mobile_protocol::ProtocolError>(())
    /// ```
    pub fn from_screen(pane_id: PaneId, screen: &str) -> Self {
        let mut lines: Vec<String> = screen
            .split('\n')
            .map(|line| {
                line.chars()
                    .take(OVERVIEW_LINE_CHARS)
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        let lines = lines.split_off(lines.len().saturating_sub(OVERVIEW_TILE_LINES));
        OverviewTile { pane_id, lines }
    }
}

/// Prints the pane and how many lines, never their text (a tile may show a
/// secret someone typed).
impl std::fmt::Debug for OverviewTile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OverviewTile")
            .field("pane_id", &self.pane_id)
            .field("lines", &self.lines.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane() -> PaneId {
        PaneId::from(7)
    }

    #[test]
    fn keeps_the_last_lines_with_text() {
        let tile = OverviewTile::from_screen(pane(), "a\n\nb   \n  \n\n");
        assert_eq!(tile.lines, ["a", "", "b"]);
        assert!(OverviewTile::from_screen(pane(), "").lines.is_empty());
        assert!(
            OverviewTile::from_screen(pane(), "\n \n\n")
                .lines
                .is_empty()
        );
    }

    #[test]
    fn bounds_lines_and_width_by_characters() {
        let wide = "é".repeat(500);
        let screen = format!("{}\n", [wide.as_str(); 30].join("\n"));
        let tile = OverviewTile::from_screen(pane(), &screen);
        assert_eq!(tile.lines.len(), OVERVIEW_TILE_LINES);
        for line in &tile.lines {
            assert_eq!(line.chars().count(), OVERVIEW_LINE_CHARS);
        }
        // The JSON of the largest tile stays far below a control frame.
        let json = serde_json::to_string(&tile).unwrap();
        assert!(json.len() < 8 * 1024, "{}", json.len());
    }

    #[test]
    fn control_characters_become_spaces() {
        let tile = OverviewTile::from_screen(pane(), "a\tb\u{1b}[31mc\r\u{7f}\n");
        assert_eq!(tile.lines, ["a b [31mc"]);
    }

    #[test]
    fn debug_hides_the_text() {
        let tile = OverviewTile::from_screen(pane(), "password: hunter2\n");
        let shown = format!("{tile:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("%7"), "{shown}");
    }

    proptest::proptest! {
        #[test]
        fn any_screen_gives_a_bounded_tile(screen in "\\PC{0,2000}|[a\\n\\t ]{0,400}") {
            let tile = OverviewTile::from_screen(pane(), &screen);
            proptest::prop_assert!(tile.lines.len() <= OVERVIEW_TILE_LINES);
            for line in &tile.lines {
                proptest::prop_assert!(line.chars().count() <= OVERVIEW_LINE_CHARS);
                proptest::prop_assert!(!line.chars().any(char::is_control));
                proptest::prop_assert!(!line.ends_with(' '));
            }
            proptest::prop_assert!(tile.lines.last().is_none_or(|l| !l.is_empty()));
        }
    }
}
