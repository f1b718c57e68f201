//! `/ws/control` frames: decoding never panics, and what decodes is a
//! frame within the size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tmux_mobile_protocol::{CONTROL_FRAME_LIMIT, decode_control};

fuzz_target!(|data: &[u8]| {
    if decode_control(data).is_ok() {
        assert!(data.len() <= CONTROL_FRAME_LIMIT);
    }
});
