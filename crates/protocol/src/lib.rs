//! Wire protocol of tmux-mobile (v1): the messages a browser and the server
//! exchange on `/ws/control` and `/ws/terminal`, their validation and their
//! size limits.
//!
//! This crate does no I/O. It exists so that every byte that arrives from the
//! network is turned into a typed, validated value in exactly one place, and so
//! that other programs can speak the protocol without pulling in a server.
//! The contract it implements is `shared/spec/PROTOCOL.md`.
#![forbid(unsafe_code)]
