//! Entry points for the fuzz targets in `fuzz/`: the two parsers that read
//! what tmux prints (the control-mode line parser and the snapshot
//! parser) are crate-private, so this module exposes them, and only in
//! builds with `--cfg fuzzing` (which `cargo fuzz` sets). It is not part
//! of the public API.

use crate::control::{LineParser, invalidates};
use crate::snapshot::parse_snapshot;

/// Feeds `data`, split at `\n`, through the control-mode line parser and
/// the notification classifier (they must never panic, whatever tmux or
/// a program in a pane makes it print).
pub fn control_lines(data: &[u8]) {
    let mut parser = LineParser::default();
    for line in data.split(|&b| b == b'\n') {
        let _ = invalidates(line);
        let _ = parser.feed(line);
    }
}

/// Parses `data` as the output of the snapshot command and walks what
/// parsed (it must never panic, whatever names and commands panes have).
/// Returns the number of panes, so the walk is not optimised away.
pub fn snapshot(data: &[u8]) -> usize {
    let Ok(snapshot) = parse_snapshot(data) else {
        return 0;
    };
    snapshot
        .sessions()
        .iter()
        .flat_map(|s| &s.windows)
        .flat_map(|w| &w.panes)
        .map(|p| p.current_command.len().min(1))
        .count()
}
