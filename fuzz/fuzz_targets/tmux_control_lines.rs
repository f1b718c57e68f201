//! What a tmux control-mode client reads (tmux's notifications and reply
//! blocks, with whatever programs in panes made tmux print): the line
//! parser never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tmux_mobile_tmux_control::fuzzing::control_lines(data);
});
