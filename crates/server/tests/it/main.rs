//! Integration tests of the server over real WebSockets and real tmux on
//! private sockets. One test binary (so the suite links once); tests run in
//! parallel, each with its own `TestServer`.

mod attention;
mod common;
mod deflate;
mod deltas;
mod examples;
mod handshake;
mod hidden;
mod http;
mod lifecycle;
mod limits;
mod mount;
mod mutations;
mod overview;
mod push;
mod scrollback;
mod switching;
mod tasks;
mod terminal;
