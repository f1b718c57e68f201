//! Supervision of a `cloudflared` quick tunnel: find the executable, start it
//! with an argv vector, discover the public URL, restart it when it dies, and
//! stop it without leaving an orphan.
#![forbid(unsafe_code)]
