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
//! control-mode client riding on a phone's grouped session of that group.
//! The user's windows, options and sessions are left as they are. While no
//! pane writes anything, nothing runs: no process, no timer.
//!
//! # What is not watched
//!
//! The user's tmux shows nothing of ours but one grouped session per
//! connected phone, a control client must be attached to a session, and
//! `%output` covers only the windows of that session's group. So a session
//! group that no phone's session is on (no phone connected, or every phone
//! looking at other sessions) has no tap, and its bells, notifications and
//! prompts are not seen; nor is anything while no phone is connected (a
//! phone within its resume grace period still has its session, so a phone
//! that just went to the background is still served). The alternative, a
//! session of ours per watched group, is exactly what `tmux ls` must not
//! show; a control client on the user's own session would count as
//! attached there and run the user's `client-attached` hooks. A pane whose
//! group gets a phone is looked at once when its tap starts (a prompt
//! already showing is found then); a bell rung meanwhile is lost.
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
