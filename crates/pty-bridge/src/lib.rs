//! A child process (normally `tmux attach-session`) inside a pseudo-terminal,
//! driven asynchronously: output chunks with backpressure, input, resize, exit.
//!
//! This is the only crate of tmux-mobile that contains `unsafe` code (terminal
//! ioctls); every block carries a `// SAFETY:` comment.
