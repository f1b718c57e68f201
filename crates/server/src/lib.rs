//! The embeddable tmux-mobile server: HTTP, the two WebSockets
//! (`/ws/control`, `/ws/terminal`), the embedded browser UI and the
//! per-client grouped tmux sessions.
#![forbid(unsafe_code)]
