//! A pane's raw output through the attention scanner (BEL, OSC 9/777):
//! never panics, and cutting the stream anywhere finds the same bells and
//! notifications as feeding it whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tmux_mobile_tmux_control::attention::OutputScanner;

fuzz_target!(|data: &[u8]| {
    let whole = OutputScanner::new().feed(data);
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut scanner = OutputScanner::new();
    let mut parts = scanner.feed(&data[..cut]);
    let rest = scanner.feed(&data[cut..]);
    parts.bells += rest.bells;
    parts.notifications.extend(rest.notifications);
    assert_eq!(parts, whole, "cut at {cut}");
});
