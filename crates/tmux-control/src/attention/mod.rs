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
//! | control-mode `%output` | every byte a pane's program writes (BEL, OSC 9/777, any output) | immediate (≈ 1–3 ms bell → event) | tmux copies each pane's output once more (escaped) to the tap, and we scan it (a flooding pane's is held back, see *Floods* below); nothing while idle |
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
//! # Floods
//!
//! Hearing every byte costs most when a pane prints megabytes (`cat` of a
//! big log): without a bound it tripled tmux-mobile's CPU during the W1
//! benchmark (`seq 1 4000000`, 0.54 s against 0.16–0.19 s with attention
//! off), and tmux's own time went into escaping the copy (the marker came
//! ≈ 1 s later). So a flood guard in each tap pauses a pane's output to
//! that tap once the pane wrote [`FLOOD_BYTES`] within [`FLOOD_WINDOW`],
//! and the monitor lets it go again half a second later, as long as the
//! flood lasts; see
//! [`AttentionMonitor`]'s *Floods* for how it uses tmux's own flow control
//! and why the pane never stops. **What is given up:** a bell or an OSC
//! 9/777 notification that a pane writes while its output is held back
//! (inside a flood of that pane, or within half a second of its end) is not
//! reported. A prompt is still found (the screen is read once the pane goes
//! quiet), and silence and activity count the held-back output.
//!
//! # New panes, new session groups
//!
//! A tap hears a pane from its program's first byte when the pane's window
//! is in the tap's session group: tmux 3.3a links a new window into every
//! session of the group (the tap's host included) in the same command that
//! starts its program (`spawn_window`), before its event loop reads
//! anything from the pane, so `new-window` or `split-window` in a watched group misses
//! nothing (tested with a program that writes an OSC 9 at once). What is
//! missed is output of a *session group that has no tap yet*: a session
//! created while no phone is on its group, until its tap starts (only when
//! watched unattended, below; the tap starts at a quiet moment, ≥ 750 ms
//! after the session appears, since a control client starting amid tmux's
//! notifications can crash tmux 3.3a), and a group a phone has just moved
//! to, until its tap starts. A bell or notification written in that moment
//! is lost: tmux keeps no trace of either (it drops OSC 9/777, and a tap's
//! output starts where the pane is when it attaches). A prompt showing by
//! then is found by the tap's first look at each screen.
//!
//! # What is not watched
//!
//! The user's tmux shows nothing of ours but one grouped session per
//! connected phone, a control client must be attached to a session, and
//! `%output` covers only the windows of that session's group. So, unless
//! asked otherwise (next section), a session group that no phone's session
//! is on (no phone connected, or every phone looking at other sessions) has
//! no tap, and its bells, notifications and prompts are not seen; nor is
//! anything while no phone is connected (a
//! phone within its resume grace period still has its session, so a phone
//! that just went to the background is still served). The alternative, a
//! session of ours per watched group, is exactly what `tmux ls` must not
//! show; a control client on the user's own session would count as
//! attached there and run the user's `client-attached` hooks. A pane whose
//! group gets a phone is looked at once when its tap starts (a prompt
//! already showing is found then); a bell rung meanwhile is lost.
//!
//! # Watching while nobody is connected
//!
//! That default defeats a caller whose point is to tell someone who is
//! away (Web Push: the phone's page is closed, and its session goes after
//! the resume grace). So [`AttentionMonitor::watch_unattended`] brings back,
//! on request, the design from before: every session group with a user
//! session but no phone's session gets a tap on a small managed session of
//! its own (`tmux-mobile-client-~attn-<n>`, see [`tap`]). The trade-off is
//! visible: `tmux ls` and `choose-tree` list one such session per group, and
//! creating it runs the user's `session-created` hooks. It is removed when
//! the option is turned off, when a phone's session joins the group (the
//! tap on the phone's session takes over once it is up, so nothing is
//! missed in between) and when the user's last session of the group is
//! killed (the tap re-reads the sessions at each `%sessions-changed`, so
//! this needs no state watcher, which is dormant while no phone is
//! connected). Sessions created while no phone is connected are watched
//! from the next snapshot (the next time tmux-mobile looks, or a tap's
//! re-read when sessions change). The server turns this on while Web Push
//! holds at least one subscription.
//!
//! Each tap on a session of its own is started by the same starter as the
//! others: at a quiet moment, with the commands of the [`crate::Tmux`]
//! handle held while its client identifies itself and creates the session,
//! because tmux 3.3a crashes when a control client still starting gets a
//! notification (see `StateWatcher`'s *Starting*); its session is removed
//! through the same handle, so never while another of our control clients
//! starts.
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

pub use monitor::{AttentionMonitor, AttentionOptions, Change, Detection, FloodGuard, WindowRule};
pub use prompt::{
    LINE_PROMPT_LINES, MENU_LINES, PatternError, Prompt, PromptMatcher, SCREEN_LIMIT,
};
pub use reason::{AttentionReason, QuickReply, REPLY_LIMIT, TEXT_LIMIT, clip_text};
pub use scan::{Notification, OSC_LIMIT, OutputScanner, Scanned, parse_notification};
pub use tap::{FLOOD_BYTES, FLOOD_WINDOW};
