//! Credentials of tmux-mobile: generation, constant-time verification, session
//! keys, throttling of failed attempts and the WebSocket origin policy.
//!
//! It is the only crate that sees a token or password in the clear, so that
//! the rules for secrets (random generation, constant-time comparison, never
//! printed) live behind one small API.
#![forbid(unsafe_code)]
