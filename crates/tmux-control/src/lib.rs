//! The only way tmux-mobile talks to tmux: argv-only invocations on an
//! explicit socket, exact targets, robust parsing, whole-state snapshots and
//! change events from one long-lived control-mode client.
//!
//! Whatever a browser sends reaches tmux only as the exact object it names.
//!
//! - [`Tmux`] — a handle on one server (binary, [`Socket`], timeout) with
//!   typed operations: [`Tmux::snapshot`], [`Tmux::list_sessions`],
//!   [`Tmux::new_session`], [`Tmux::new_grouped_session`],
//!   [`Tmux::kill_session`], [`Tmux::has_session`], [`Tmux::new_window`],
//!   [`Tmux::select_window`], [`Tmux::kill_window`], [`Tmux::split_pane`],
//!   [`Tmux::kill_pane`], [`Tmux::select_pane`], [`Tmux::toggle_zoom`],
//!   [`Tmux::is_zoomed`], [`Tmux::capture_pane`] (and, piece by piece,
//!   [`Tmux::capture_pane_stream`]), [`Tmux::pane_sessions`],
//!   [`Tmux::pane_in_session`], [`Tmux::remove_stale_managed_sessions`],
//!   [`Tmux::refresh_session_clients`], and [`Tmux::attach_argv`] for the
//!   PTY that runs `tmux attach`.
//! - [`Snapshot`] — sessions → windows → panes from one tmux command.
//!   What a client is shown of it is the embedding server's business: this
//!   crate knows no wire format and depends on no other crate of
//!   tmux-mobile.
//! - [`PaneId`], [`Orientation`], [`MANAGED_SESSION_PREFIX`] — tmux's own
//!   identifiers. Operations take session names and pane ids as any
//!   `AsRef<str>` and validate them before tmux runs.
//! - [`StateWatcher`] — the current snapshot on a `watch` channel, updated
//!   from control-mode notifications; spawns no process while tmux is idle.
//!   While it is attached, the [`Tmux`] handle's commands go through its
//!   control client instead of a process each (see *Commands* on [`Tmux`]).
//! - [`attention`] — [`attention::AttentionMonitor`]: bells, prompts,
//!   OSC 9/777 notifications, silence and activity of every pane, from one
//!   control-mode tap per session group; spawns nothing while idle.
//! - [`TmuxError`] — typed failures ([`TmuxError::NoServer`] is a normal
//!   outcome, not a string to grep).
//!
//! # Exact targets
//!
//! Sessions are addressed as `=name` (`=name:` where tmux expects a window
//! or pane), windows as `=name:@id` (indexes are resolved to ids first,
//! because tmux falls back from a missing index to window *names*), panes
//! only by validated `%id`. A final `;` in an argument is escaped (tmux's
//! argv parser would read it as a command separator) and `#` is doubled
//! where tmux expands formats (`new-session -s`).
//!
//! # Names tmux would not store as given
//!
//! tmux 3.3a passes a new session name through `utf8_stravis` and rewrites
//! `:`/`.` to `_`. The names that would therefore come out different, and so
//! could never be addressed by the name the user typed, are refused
//! before tmux runs ([`TmuxError::InvalidTarget`]):
//!
//! | name contains | tmux stores | our answer |
//! |---|---|---|
//! | `:` or `.` | `_` instead | refused (also by `SessionName`) |
//! | `\` | `\\` | refused |
//! | `$` followed by a letter, `_` or `{` | `\$…` | refused |
//! | a leading `$` | (read as a session id in `=$…` targets) | refused, also when addressing existing sessions |
//! | control characters | `\t`, `\n`, `\ooo` | refused (also by `SessionName`) |
//! | other characters tmux considers unprintable (U+2028, unassigned code points) | `\ooo` | created, found renamed, removed again, refused |
//!
//! Names beginning with `-` are refused by `SessionName`; as targets they
//! would be safe (`-t`, `=-name` are separate argv elements).
//!
//! Everything else works exactly, which the tests check one name at a time:
//! spaces, quotes, `$()` (a `$` followed by `(`), `;` anywhere,
//! `#` (escaped as `##` where tmux expands formats), `{`/`}`, `~`, `=`, `%`,
//! `@`, non-ASCII letters and emoji, and names of 128 characters.
//!
//! Every tmux process gets `TMUX`/`TMUX_PANE` removed from its environment,
//! stdin from `/dev/null`, `-u`, and a timeout after which it is killed.
#![forbid(unsafe_code)]

pub mod attention;
mod capture;
mod command_line;
mod control;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod ids;
mod operations;
mod snapshot;
mod target;
mod tmux;
mod watcher;

#[cfg(feature = "test-support")]
pub mod sandbox;

pub use capture::PaneCapture;
pub use error::TmuxError;
pub use ids::{MANAGED_SESSION_PREFIX, Orientation, PaneId};
pub use operations::SessionInfo;
pub use snapshot::{PaneSnapshot, SessionSnapshot, Snapshot, WindowSnapshot};
pub use tmux::{Socket, Tmux, TmuxOptions, TmuxVersion};
pub use watcher::{StateWatcher, WatcherOptions};

/// The crate's README (the registry page), compiled and run as a doc test so
/// its example cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
