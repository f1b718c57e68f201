//! The only way tmux-mobile talks to tmux: argv-only invocations on an
//! explicit socket, exact targets, robust parsing, whole-state snapshots and
//! change events from one long-lived control-mode client.
//!
//! Whatever a browser sends reaches tmux only as the exact object it names.
#![forbid(unsafe_code)]
