//! Protocol version and the size limits every frame is checked against.
//!
//! They live in one place so the server (which configures its WebSocket
//! reader with them) and the decoders in this crate can never disagree.

/// The protocol version this crate implements, sent as `protocolVersion` in
/// `auth_ok`. Version 1 is wire-compatible with the original TypeScript
/// tmux-mobile 0.0.8.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest `/ws/control` frame accepted, in bytes (64 KiB). Larger frames
/// are refused before any parsing.
pub const CONTROL_FRAME_LIMIT: usize = 64 * 1024;

/// The largest `/ws/terminal` frame accepted, in bytes (1 MiB).
pub const TERMINAL_FRAME_LIMIT: usize = 1024 * 1024;

/// The most lines one `scroll_pane` may scroll either way.
pub const SCROLL_LINES_LIMIT: u32 = 10_000;
