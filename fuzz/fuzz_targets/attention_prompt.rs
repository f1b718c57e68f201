//! A pane's screen through the prompt matcher: never panics, and a prompt
//! it finds has a text within the attention limit and at least one reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tmux_mobile_tmux_control::attention::PromptMatcher;
use tmux_mobile_tmux_control::attention::TEXT_LIMIT as ATTENTION_TEXT_LIMIT;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static MATCHER: PromptMatcher = PromptMatcher::new();
    }
    let screen = String::from_utf8_lossy(data);
    MATCHER.with(|matcher| {
        if let Some(prompt) = matcher.find(&screen) {
            assert!(prompt.text.chars().count() <= ATTENTION_TEXT_LIMIT);
            assert!(!prompt.replies.is_empty());
        }
    });
});
