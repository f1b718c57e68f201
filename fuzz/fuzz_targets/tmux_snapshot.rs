//! The snapshot command's output (session, window and command names are
//! chosen by users and programs): the parser never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tmux_mobile_tmux_control::fuzzing::snapshot(data);
});
