//! [`PromptMatcher`]: whether a quiet pane's screen asks its person
//! something (its documentation has the patterns).

use super::reason::{QuickReply, REPLY_LIMIT, clip_text};
use regex::{Regex, RegexBuilder};

/// How many of the last non-empty lines may hold a question with numbered
/// options or a selection menu (agent CLIs draw a footer under it).
pub const MENU_LINES: usize = 16;

/// How many of the last non-empty lines may hold a one-line prompt such as
/// `(y/n)` (the cursor waits right after it).
pub const LINE_PROMPT_LINES: usize = 3;

/// The most bytes of screen text looked at (the end of it).
pub const SCREEN_LIMIT: usize = 64 * 1024;

/// The longest line looked at, in bytes (longer lines are cut).
const LINE_LIMIT: usize = 1024;

/// A prompt found on a screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The question or prompt line, cleaned of box-drawing characters and
    /// cut to the attention text limit.
    pub text: String,
    /// The replies to offer, in order.
    pub replies: Vec<QuickReply>,
}

/// [`PromptMatcher`]: does the bottom of a quiet pane's screen ask its
/// person something, and which one-tap replies fit?
///
/// It reads the visible screen as text (what `capture-pane -p` prints) and
/// looks only at its last non-empty lines, because a program waiting for an
/// answer has drawn its question last. Built-in patterns:
///
/// | kind | example | must be within the last |
/// |---|---|---|
/// | a question followed by numbered options (agent CLIs) | `Do you want to proceed?` / `❯ 1. Yes` / `2. No` | [`MENU_LINES`] lines |
/// | a selection menu (a cursor on one of ≥ 2 numbered options) | `❯ 1. Allow once` | [`MENU_LINES`] lines |
/// | yes/no | `Overwrite? (y/n)`, `Continue? [y/N]`, `[yes/no]` | [`LINE_PROMPT_LINES`] lines |
/// | press a key | `Press Enter to continue`, `press any key` | [`LINE_PROMPT_LINES`] lines |
/// | a password | `[sudo] password for ann:`, `Password:` | [`LINE_PROMPT_LINES`] lines |
/// | user patterns (regular expressions, [`PromptMatcher::with_patterns`]) | | [`LINE_PROMPT_LINES`] lines |
///
/// The replies are the numbered options found (typing the digit), `y`/`n`
/// (each followed by Enter) for a yes/no question, then Enter, Esc and
/// Ctrl-C, then the user's own ([`PromptMatcher::with_replies`]).
///
/// Pure: no I/O, no state between calls; it never panics, whatever the
/// text (a property test checks this), and the work is bounded by
/// [`SCREEN_LIMIT`] whatever the pane's size.
#[derive(Debug, Clone)]
pub struct PromptMatcher {
    question: Regex,
    option: Regex,
    yes_no: Regex,
    press_key: Regex,
    password: Regex,
    user: Vec<Regex>,
    extra_replies: Vec<QuickReply>,
}

/// A user pattern that is not a valid regular expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("prompt pattern {pattern:?} is not a valid regular expression: {reason}")]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

fn builtin(pattern: &str) -> Regex {
    // The built-in patterns are constants checked by the tests; a failure
    // here is a bug caught by every test run, so a never-matching fallback
    // is enough to keep this total.
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .unwrap_or_else(|_| Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable_regex()))
}

fn unreachable_regex() -> Regex {
    // `a^` never matches and always compiles; reached only if the regex
    // crate itself is broken.
    Regex::new("a^").expect("the regex crate compiles a^")
}

impl Default for PromptMatcher {
    fn default() -> Self {
        PromptMatcher::new()
    }
}

impl PromptMatcher {
    /// The built-in patterns only.
    pub fn new() -> Self {
        PromptMatcher {
            question: builtin(
                r"(\b(do|would) you (want|like) to\b|\bproceed\s*\?|\bcontinue\s*\?|\bare you sure\b|\b(allow|approve|apply|run|execute|overwrite|delete|accept)\b[^?]{0,120}\?)",
            ),
            option: builtin(r"^\s*(?:[❯›>▶►●○◯◉*→]\s*)?(\d{1,2})[.)]\s+(\S.*?)\s*$"),
            yes_no: builtin(r"[\[(]\s*y(?:es)?\s*/\s*n(?:o)?\s*[\])]"),
            press_key: builtin(r"\bpress\s+(?:enter|return|any key)\b"),
            password: builtin(
                r"(\[sudo\] password for\b|\bpassword\s*(for\s+\S+\s*)?:\s*$|\bpassphrase\b.*:\s*$)",
            ),
            user: Vec::new(),
            extra_replies: Vec::new(),
        }
    }

    /// Adds user patterns (regular expressions, matched case-sensitively
    /// unless they say `(?i)`, against each of the last
    /// [`LINE_PROMPT_LINES`] lines).
    pub fn with_patterns<I, S>(mut self, patterns: I) -> Result<Self, PatternError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let regex = RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|error| PatternError {
                    pattern: pattern.to_owned(),
                    reason: error.to_string(),
                })?;
            self.user.push(regex);
        }
        Ok(self)
    }

    /// Adds replies offered after the built-in ones for every prompt.
    pub fn with_replies(mut self, replies: impl IntoIterator<Item = QuickReply>) -> Self {
        self.extra_replies.extend(replies);
        self
    }

    /// The prompt at the bottom of `screen`, if there is one.
    pub fn find(&self, screen: &str) -> Option<Prompt> {
        let lines = last_lines(screen, MENU_LINES);
        if lines.is_empty() {
            return None;
        }
        let tail = &lines[lines.len().saturating_sub(LINE_PROMPT_LINES)..];

        // Numbered options: the last run of at least one option line, and a
        // question above it (or a cursor marking a menu of ≥ 2 options).
        if let Some(prompt) = self.find_menu(&lines) {
            return Some(prompt);
        }
        for line in tail.iter().rev() {
            if self.yes_no.is_match(line) {
                let yes_no = [("y", "y\r"), ("n", "n\r")];
                return Some(self.prompt(line, yes_no.iter().map(|(l, i)| reply(l, i))));
            }
            if self.press_key.is_match(line) || self.password.is_match(line) {
                return Some(self.prompt(line, std::iter::empty()));
            }
            if self.user.iter().any(|regex| regex.is_match(line)) {
                return Some(self.prompt(line, std::iter::empty()));
            }
        }
        None
    }

    fn find_menu(&self, lines: &[String]) -> Option<Prompt> {
        let mut options: Vec<(usize, u32, String, bool)> = Vec::new();
        for (at, line) in lines.iter().enumerate() {
            let cleaned = strip_frame(line);
            if let Some(caps) = self.option.captures(&cleaned) {
                let number: u32 = caps.get(1)?.as_str().parse().ok()?;
                let label = caps.get(2)?.as_str().to_owned();
                let cursor = cleaned
                    .trim_start()
                    .starts_with(['❯', '›', '>', '▶', '►', '●', '◉', '→']);
                // A new run starts at option 1.
                if number == 1 {
                    options.clear();
                }
                let follows = options.last().is_none_or(|(_, n, _, _)| number == n + 1);
                if follows {
                    options.push((at, number, label, cursor));
                }
            }
        }
        let first_at = options.first()?.0;
        let has_cursor = options.iter().any(|(_, _, _, cursor)| *cursor);
        // The question: the nearest question line above the options (a few
        // lines up at most).
        let question = lines[first_at.saturating_sub(6)..first_at]
            .iter()
            .rev()
            .find(|line| self.question.is_match(line));
        let text = match question {
            Some(question) => question.clone(),
            None if has_cursor && options.len() >= 2 => lines[..first_at]
                .iter()
                .rev()
                .map(|line| strip_frame(line))
                .find(|line| !line.trim().is_empty())
                .unwrap_or_else(|| options[0].2.clone()),
            None => return None,
        };
        let replies = options
            .iter()
            .take(9)
            .map(|(_, number, label, _)| reply(&format!("{number}. {label}"), &number.to_string()));
        Some(self.prompt(&text, replies))
    }

    fn prompt(&self, line: &str, found: impl Iterator<Item = QuickReply>) -> Prompt {
        let mut replies: Vec<QuickReply> = found.collect();
        replies.extend([
            reply("Enter", "\r"),
            reply("Esc", "\u{1b}"),
            reply("Ctrl-C", "\u{3}"),
        ]);
        replies.extend(self.extra_replies.iter().cloned());
        replies.truncate(REPLY_LIMIT);
        for r in &mut replies {
            r.label = clip_text(&r.label);
        }
        Prompt {
            text: clip_text(strip_frame(line).trim()),
            replies,
        }
    }
}

fn reply(label: &str, input: &str) -> QuickReply {
    QuickReply {
        label: label.to_owned(),
        input: input.to_owned(),
    }
}

/// The last `count` non-empty lines of `screen` (trailing blanks trimmed),
/// looking at no more than [`SCREEN_LIMIT`] bytes and [`LINE_LIMIT`] bytes
/// of each line.
fn last_lines(screen: &str, count: usize) -> Vec<String> {
    let mut start = screen.len().saturating_sub(SCREEN_LIMIT);
    while !screen.is_char_boundary(start) {
        start += 1;
    }
    let mut lines: Vec<String> = screen[start..]
        .lines()
        .rev()
        .map(|line| {
            let mut end = line.len().min(LINE_LIMIT);
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line[..end].trim_end().to_owned()
        })
        .filter(|line| !strip_frame(line).trim().is_empty())
        .take(count)
        .collect();
    lines.reverse();
    lines
}

/// The line without the box-drawing characters agent CLIs frame their
/// questions with (`│ Do you want… │`).
fn strip_frame(line: &str) -> String {
    line.chars()
        .map(|c| {
            if ('\u{2500}'..='\u{257f}').contains(&c) {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(prompt: &Prompt) -> Vec<&str> {
        prompt.replies.iter().map(|r| r.input.as_str()).collect()
    }

    const CLAUDE: &str = "\
╭──────────────────────────────────────────────╮
│ Bash command                                 │
│                                              │
│   rm -rf target                              │
│                                              │
│ Do you want to proceed?                      │
│ ❯ 1. Yes                                     │
│   2. Yes, and don't ask again for rm commands │
│   3. No, and tell Claude what to do (esc)    │
╰──────────────────────────────────────────────╯
";

    #[test]
    fn an_agent_question_with_numbered_options() {
        let prompt = PromptMatcher::new().find(CLAUDE).unwrap();
        assert_eq!(prompt.text, "Do you want to proceed?");
        assert_eq!(
            inputs(&prompt),
            ["1", "2", "3", "\r", "\u{1b}", "\u{3}"],
            "{prompt:?}"
        );
        assert_eq!(prompt.replies[0].label, "1. Yes");
        assert_eq!(
            prompt.replies[2].label,
            "3. No, and tell Claude what to do (esc)"
        );
    }

    #[test]
    fn a_menu_with_a_cursor_needs_no_question_word() {
        let screen = "Pick a model\n❯ 1. opus\n  2. sonnet\n\n";
        let prompt = PromptMatcher::new().find(screen).unwrap();
        assert_eq!(prompt.text, "Pick a model");
        assert_eq!(&inputs(&prompt)[..2], ["1", "2"]);
    }

    #[test]
    fn a_numbered_list_alone_is_not_a_prompt() {
        let screen = "Steps:\n1. build\n2. test\n3. ship\n$ ";
        assert_eq!(PromptMatcher::new().find(screen), None);
    }

    #[test]
    fn yes_no_and_press_enter() {
        let m = PromptMatcher::new();
        let p = m
            .find("Reading lists...\nDo you want to continue? [Y/n] ")
            .unwrap();
        assert_eq!(p.text, "Do you want to continue? [Y/n]");
        assert_eq!(&inputs(&p)[..2], ["y\r", "n\r"]);
        assert!(m.find("Overwrite file.txt? (y/n)").is_some());
        assert!(m.find("type [yes/no]:").is_some());
        let p = m.find("Installed.\nPress Enter to continue").unwrap();
        assert_eq!(inputs(&p), ["\r", "\u{1b}", "\u{3}"]);
        assert!(m.find("[sudo] password for ann: ").is_some());
    }

    #[test]
    fn an_old_prompt_scrolled_up_does_not_count() {
        let screen = "Continue? (y/n) y\nok\nbuilding\ndone\n$ ";
        assert_eq!(PromptMatcher::new().find(screen), None);
        assert_eq!(PromptMatcher::new().find("$ ls\nfile\n$ \n\n\n"), None);
    }

    #[test]
    fn user_patterns_and_replies() {
        let m = PromptMatcher::new()
            .with_patterns([r"^Approve deploy to \w+\?"])
            .unwrap()
            .with_replies([reply("deploy", "deploy\r")]);
        let p = m.find("checks passed\nApprove deploy to prod?").unwrap();
        assert_eq!(p.text, "Approve deploy to prod?");
        assert_eq!(p.replies.last().unwrap().input, "deploy\r");
        let err = PromptMatcher::new()
            .with_patterns(["(unclosed"])
            .unwrap_err();
        assert_eq!(err.pattern, "(unclosed");
        assert!(err.to_string().contains("not a valid regular expression"));
    }

    #[test]
    fn text_is_clipped_and_replies_bounded() {
        let long = format!("{}? (y/n)", "really ".repeat(100));
        let p = PromptMatcher::new()
            .with_replies((0..40).map(|i| reply(&i.to_string(), "x")))
            .find(&long)
            .unwrap();
        assert_eq!(p.text.chars().count(), super::super::reason::TEXT_LIMIT);
        assert_eq!(p.replies.len(), REPLY_LIMIT);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(screen in "(\\PC|[\\n❯│ 1-9.?()/yYnN\\[\\]])*") {
            let m = PromptMatcher::new();
            if let Some(p) = m.find(&screen) {
                proptest::prop_assert!(p.text.chars().count() <= super::super::reason::TEXT_LIMIT);
                proptest::prop_assert!(p.replies.len() <= REPLY_LIMIT);
            }
        }

        #[test]
        fn a_yes_no_line_last_is_always_found(prefix in "[a-z ]{0,40}", noise in "([a-z ]{0,30}\\n){0,20}") {
            let screen = format!("{noise}{prefix} (y/n)\n");
            proptest::prop_assert!(PromptMatcher::new().find(&screen).is_some());
        }
    }
}
