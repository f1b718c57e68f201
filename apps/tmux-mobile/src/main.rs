//! `tmux-mobile`: drive a live tmux session from a phone browser.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("tmux-mobile: UI not built yet; the server lands with the server issue.");
}
