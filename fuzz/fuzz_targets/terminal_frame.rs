//! `/ws/terminal` frames: the auth decoder and the input/resize
//! classifier never panic; a frame classified as input is passed on whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tmux_mobile_protocol::{TerminalFrame, classify_terminal_frame, decode_terminal_auth};

fuzz_target!(|data: &[u8]| {
    let _ = decode_terminal_auth(data);
    if let TerminalFrame::Input(bytes) = classify_terminal_frame(data) {
        assert_eq!(*bytes.expose(), data);
    }
});
