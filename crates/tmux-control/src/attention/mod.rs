//! Attention: noticing, for every pane of a tmux server, that it needs its
//! person — it rang the bell, it shows a confirmation prompt, it sent a
//! desktop notification, it went silent or showed activity — without
//! spawning a process while nothing happens.
//!
//! # Which tmux mechanism, and why
//!
//! tmux 3.3a offers three ways to learn about a pane without polling with
//! processes, measured on this machine (see the crate's `attention` tests
//! and the server's latency test):
//!
//! | mechanism | sees | latency | cost |
//! |---|---|---|---|
//! | control-mode `%output` | every byte a pane's program writes (BEL, OSC 9/777, any output) | immediate (≈ 1–3 ms bell → event) | tmux copies each pane's output once more (escaped) to the tap, and we scan it; nothing while idle |
//! | `refresh-client -B` subscriptions | a format's value (e.g. `#{window_bell_flag}`) | checked once a second by tmux | a format expansion per second inside tmux |
//! | alert flags (`window_bell_flag`, `monitor-activity`, `monitor-silence`) | bell / activity / silence per window (not pane) | only as fast as they are read (subscription or snapshot) | silence and activity need window options set, which would change the user's windows |
//!
//! OSC 9 and OSC 777 never reach tmux's alert flags (tmux drops those
//! sequences), a bell must reach the phone in well under a second, and the
//! prompt detector needs to know when *a pane* (not a window) went quiet, so
//! the monitor uses `%output`: one *tap* per session group ([`tap`]), a
//! control-mode client attached to a small grouped session of its own. The
//! user's windows, options and sessions are left as they are. While no
//! pane writes anything, nothing runs: no process, no timer.
//!
//! The pieces:
//!
//! - [`OutputScanner`] (pure) finds BELs and OSC 9/777 notifications in the
//!   raw byte stream;
//! - [`PromptMatcher`] (pure) decides whether a quiet pane's screen asks a
//!   question and which quick replies fit;
//! - [`AttentionMonitor`] runs the taps, keeps per-pane timers (quiet →
//!   read the screen through the tap with `capture-pane`, inside tmux, no
//!   process; silence) and reports [`Detection`]s.

mod monitor;
mod prompt;
mod reason;
mod scan;
pub mod tap;

pub use monitor::{AttentionMonitor, AttentionOptions, Change, Detection, WindowRule};
pub use prompt::{
    LINE_PROMPT_LINES, MENU_LINES, PatternError, Prompt, PromptMatcher, SCREEN_LIMIT,
};
pub use reason::{AttentionReason, QuickReply, REPLY_LIMIT, TEXT_LIMIT, clip_text};
pub use scan::{Notification, OSC_LIMIT, OutputScanner, Scanned, parse_notification};
