//! The optional config file (`docs/CONFIG.md`): prompt patterns, quick
//! replies, per-window silence/activity opt-ins and default snippets, read
//! from `--config PATH` or `$XDG_CONFIG_HOME/tmux-mobile/config.toml`
//! (`~/.config/tmux-mobile/config.toml`).
//!
//! It lives in the binary, not in the server crate: the server takes typed
//! options ([`AttentionOptions`], [`Snippet`]s) so that an embedding program
//! configures it its own way; where a *file* is, and how its mistakes are
//! told to a person, is this program's business.
//!
//! Every mistake is reported with the file, the line and the column (toml's
//! spans; a bad regular expression points at its string), and unknown keys
//! are refused by name, so a typo never silently turns a feature off.

use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tmux_mobile_protocol::SNIPPET_LIMIT;
use tmux_mobile_protocol::Snippet;
use tmux_mobile_tmux_control::attention::{AttentionOptions, PromptMatcher, WindowRule};
use tmux_mobile_tmux_control::attention::{QuickReply, REPLY_LIMIT as QUICK_REPLY_LIMIT};
use toml::Spanned;

use crate::error::AppError;

/// The largest config file read, in bytes.
pub(crate) const FILE_LIMIT: u64 = 256 * 1024;
/// The most user prompt patterns.
pub(crate) const PATTERN_LIMIT: usize = 64;
/// The longest prompt pattern, in bytes.
pub(crate) const PATTERN_LENGTH_LIMIT: usize = 1024;
/// The most per-window rules.
pub(crate) const WINDOW_RULE_LIMIT: usize = 64;
/// The longest `silence`, in seconds (a week).
pub(crate) const SILENCE_LIMIT_SECS: u64 = 7 * 24 * 3600;
/// The longest session or window name pattern, in bytes.
const NAME_PATTERN_LIMIT: usize = 256;
/// The longest quick reply label (characters) and input (bytes).
const REPLY_LABEL_LIMIT: usize = 40;
const REPLY_INPUT_LIMIT: usize = 1024;

/// Where the config file is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfigSource {
    /// `--config PATH`: it must exist.
    Explicit(PathBuf),
    /// The XDG default: read if it exists.
    Default(PathBuf),
    /// No `--config`, and neither `XDG_CONFIG_HOME` nor `HOME` is set.
    None,
}

impl ConfigSource {
    /// `--config` if given, else `$XDG_CONFIG_HOME/tmux-mobile/config.toml`
    /// (an absolute `XDG_CONFIG_HOME` only, as the XDG spec says), else
    /// `$HOME/.config/tmux-mobile/config.toml`.
    pub(crate) fn resolve(flag: Option<PathBuf>, env: &dyn Fn(&str) -> Option<OsString>) -> Self {
        if let Some(path) = flag {
            return ConfigSource::Explicit(path);
        }
        let base = env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .or_else(|| {
                env("HOME")
                    .filter(|home| !home.is_empty())
                    .map(|home| PathBuf::from(home).join(".config"))
            });
        match base {
            Some(base) => ConfigSource::Default(base.join("tmux-mobile").join("config.toml")),
            None => ConfigSource::None,
        }
    }
}

/// What the config file sets, ready for the server.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileSettings {
    /// `None` when `[attention] enabled = false`.
    pub attention: Option<AttentionOptions>,
    /// Default snippets for phones.
    pub snippets: Vec<Snippet>,
    /// The file that was read, if one was.
    pub path: Option<PathBuf>,
}

impl FileSettings {
    /// The defaults, as without a file.
    fn defaults() -> Self {
        FileSettings {
            attention: Some(AttentionOptions::default()),
            snippets: Vec::new(),
            path: None,
        }
    }
}

/// Reads and checks the config file `source` names (a missing default file
/// gives the defaults).
pub(crate) fn load(source: &ConfigSource) -> Result<FileSettings, AppError> {
    let (path, required) = match source {
        ConfigSource::Explicit(path) => (path, true),
        ConfigSource::Default(path) => (path, false),
        ConfigSource::None => return Ok(FileSettings::defaults()),
    };
    let text = match read_bounded(path) {
        Ok(text) => text,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileSettings::defaults());
        }
        Err(error) => {
            return Err(AppError::ConfigRead {
                path: path.clone(),
                reason: if error.kind() == std::io::ErrorKind::NotFound {
                    "no such file (--config names a file that must exist)".to_owned()
                } else {
                    error.to_string()
                },
            });
        }
    };
    let mut settings = parse(&text).map_err(|e| e.in_file(path, &text))?;
    settings.path = Some(path.clone());
    Ok(settings)
}

/// The file's text, refusing files over [`FILE_LIMIT`] and text that is
/// not UTF-8.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(FILE_LIMIT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} KiB; is this the right file?",
                FILE_LIMIT / 1024
            ),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// A mistake in the file: what, and where (a byte range of the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileError {
    /// What is wrong, for a person.
    pub message: String,
    /// Where, in bytes of the text; `None` when toml could not say.
    pub span: Option<Range<usize>>,
}

impl FileError {
    fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        FileError {
            message: message.into(),
            span: Some(span),
        }
    }

    /// 1-based line and column (in characters) of the start of the span.
    pub(crate) fn position(&self, text: &str) -> Option<(usize, usize)> {
        let start = self.span.as_ref()?.start.min(text.len());
        let mut start = start;
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..start].chars().count() + 1;
        Some((line, column))
    }

    fn in_file(self, path: &Path, text: &str) -> AppError {
        let (line, column) = self.position(text).unwrap_or((1, 1));
        let source_line = text.lines().nth(line - 1).unwrap_or("").trim_end();
        AppError::Config {
            path: path.to_path_buf(),
            line,
            column,
            message: self.message,
            excerpt: format!(
                "{line:>4} | {source_line}\n     | {}^",
                " ".repeat(column.saturating_sub(1))
            ),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    attention: RawAttention,
    snippets: Option<Spanned<Vec<Spanned<RawSnippet>>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAttention {
    enabled: Option<bool>,
    bell: Option<bool>,
    prompt: Option<bool>,
    notify: Option<bool>,
    prompt_patterns: Option<Spanned<Vec<Spanned<String>>>>,
    replies: Option<Spanned<Vec<Spanned<RawReply>>>>,
    windows: Option<Spanned<Vec<Spanned<RawWindow>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReply {
    label: String,
    input: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    session: Option<Spanned<String>>,
    window: Option<Spanned<String>>,
    silence: Option<Spanned<i64>>,
    activity: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnippet {
    label: Option<String>,
    text: String,
}

/// Parses and checks the text of a config file.
pub(crate) fn parse(text: &str) -> Result<FileSettings, FileError> {
    let raw: RawFile = toml::from_str(text).map_err(|error| FileError {
        message: error.message().trim_end().to_owned(),
        span: error.span(),
    })?;
    let attention = attention_options(raw.attention)?;
    let snippets = snippets(raw.snippets)?;
    Ok(FileSettings {
        attention,
        snippets,
        path: None,
    })
}

/// The list of an optional array, if it holds at most `limit` elements.
fn bounded<T>(
    list: Option<Spanned<Vec<T>>>,
    limit: usize,
    what: &str,
) -> Result<Vec<T>, FileError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    if list.get_ref().len() > limit {
        return Err(FileError::at(
            list.span(),
            format!(
                "{} {what} given; at most {limit} are allowed",
                list.get_ref().len()
            ),
        ));
    }
    Ok(list.into_inner())
}

fn attention_options(raw: RawAttention) -> Result<Option<AttentionOptions>, FileError> {
    let patterns = bounded(raw.prompt_patterns, PATTERN_LIMIT, "prompt patterns")?;
    let raw_replies = bounded(raw.replies, QUICK_REPLY_LIMIT, "quick replies")?;
    let raw_windows = bounded(raw.windows, WINDOW_RULE_LIMIT, "window rules")?;

    let mut matcher = PromptMatcher::new();
    for pattern in &patterns {
        if pattern.get_ref().is_empty() {
            return Err(FileError::at(
                pattern.span(),
                "an empty prompt pattern would match every line",
            ));
        }
        if pattern.get_ref().len() > PATTERN_LENGTH_LIMIT {
            return Err(FileError::at(
                pattern.span(),
                format!("a prompt pattern may be at most {PATTERN_LENGTH_LIMIT} bytes long"),
            ));
        }
        // One at a time, so that the error points at the pattern at fault.
        matcher = matcher
            .with_patterns([pattern.get_ref()])
            .map_err(|error| FileError::at(pattern.span(), error.to_string()))?;
    }

    let mut replies = Vec::new();
    for reply in &raw_replies {
        let RawReply { label, input } = reply.get_ref();
        let label_chars = label.chars().count();
        if label_chars == 0
            || label_chars > REPLY_LABEL_LIMIT
            || label.chars().any(char::is_control)
        {
            return Err(FileError::at(
                reply.span(),
                format!(
                    "a quick reply's label must be 1 to {REPLY_LABEL_LIMIT} characters without \
                     control characters"
                ),
            ));
        }
        if input.is_empty() || input.len() > REPLY_INPUT_LIMIT {
            return Err(FileError::at(
                reply.span(),
                format!("a quick reply's input must be 1 to {REPLY_INPUT_LIMIT} bytes long"),
            ));
        }
        replies.push(QuickReply {
            label: label.clone(),
            input: input.clone(),
        });
    }
    matcher = matcher.with_replies(replies);

    let mut windows = Vec::new();
    for rule in &raw_windows {
        windows.push(window_rule(rule)?);
    }

    if raw.enabled == Some(false) {
        return Ok(None);
    }
    let mut options = AttentionOptions::default();
    if let Some(bell) = raw.bell {
        options.bell = bell;
    }
    if let Some(prompt) = raw.prompt {
        options.prompt = prompt;
    }
    if let Some(notify) = raw.notify {
        options.notify = notify;
    }
    options.matcher = matcher;
    options.windows = windows;
    Ok(Some(options))
}

// Field by field on a default: `WindowRule` is becoming `#[non_exhaustive]`
// (no struct literal outside its crate).
#[allow(clippy::field_reassign_with_default)]
fn window_rule(spanned: &Spanned<RawWindow>) -> Result<WindowRule, FileError> {
    let raw = spanned.get_ref();
    let name = |pattern: &Option<Spanned<String>>| -> Result<String, FileError> {
        match pattern {
            None => Ok(String::new()),
            Some(p) if p.get_ref().len() > NAME_PATTERN_LIMIT => Err(FileError::at(
                p.span(),
                format!("a name pattern may be at most {NAME_PATTERN_LIMIT} bytes long"),
            )),
            Some(p) => Ok(p.get_ref().clone()),
        }
    };
    let mut rule = WindowRule::default();
    rule.session = name(&raw.session)?;
    rule.window = name(&raw.window)?;
    if let Some(silence) = &raw.silence {
        let secs = *silence.get_ref();
        if !(1..=SILENCE_LIMIT_SECS as i64).contains(&secs) {
            return Err(FileError::at(
                silence.span(),
                format!("silence is a number of seconds from 1 to {SILENCE_LIMIT_SECS}"),
            ));
        }
        rule.silence = Some(Duration::from_secs(secs as u64));
    }
    rule.activity = raw.activity.unwrap_or(false);
    if rule.silence.is_none() && !rule.activity {
        return Err(FileError::at(
            spanned.span(),
            "this window rule turns nothing on: give `silence = <seconds>` or `activity = true`",
        ));
    }
    Ok(rule)
}

fn snippets(raw: Option<Spanned<Vec<Spanned<RawSnippet>>>>) -> Result<Vec<Snippet>, FileError> {
    bounded(raw, SNIPPET_LIMIT, "snippets")?
        .iter()
        .map(|snippet| {
            let RawSnippet { label, text } = snippet.get_ref();
            let label = label.clone().unwrap_or_else(|| Snippet::label_for(text));
            Snippet::new(&label, text).map_err(|reason| FileError::at(snippet.span(), reason))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (usize, usize, String) {
        let e = parse(text).expect_err("an error");
        let (line, column) = e.position(text).expect("a position");
        (line, column, e.message)
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let s = parse("").unwrap();
        let a = s.attention.unwrap();
        assert!(a.bell && a.prompt && a.notify);
        assert!(a.windows.is_empty());
        assert!(s.snippets.is_empty());
    }

    #[test]
    fn everything_is_read() {
        let text = r#"
[attention]
bell = false
prompt_patterns = ['^Approve deploy to \w+\?$']
replies = [{ label = "deploy", input = "deploy\r" }]

[[attention.windows]]
session = "work"
window = "build*"
silence = 30

[[attention.windows]]
window = "logs"
activity = true

[[snippets]]
text = "git status\r"

[[snippets]]
label = "compact"
text = "/compact\r"
"#;
        let s = parse(text).unwrap();
        let a = s.attention.unwrap();
        assert!(!a.bell && a.prompt && a.notify);
        let p = a
            .matcher
            .find("ok\nApprove deploy to prod?")
            .expect("user pattern");
        assert_eq!(p.replies.last().unwrap().input, "deploy\r");
        assert_eq!(a.windows.len(), 2);
        assert!(a.windows[0].matches("work", "build-7"));
        assert!(!a.windows[0].matches("play", "build-7"));
        assert_eq!(a.windows[0].silence, Some(Duration::from_secs(30)));
        assert!(!a.windows[0].activity);
        assert!(a.windows[1].matches("any", "logs") && a.windows[1].activity);
        assert_eq!(
            s.snippets,
            [
                Snippet::new("git status", "git status\r").unwrap(),
                Snippet::new("compact", "/compact\r").unwrap()
            ]
        );
    }

    #[test]
    fn attention_can_be_turned_off() {
        assert!(
            parse("[attention]\nenabled = false\n")
                .unwrap()
                .attention
                .is_none()
        );
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let (line, column, message) = error("[attention]\nbell = yes\n");
        assert_eq!((line, column), (2, 8), "{message}");
        assert!(!message.is_empty());
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let (line, column, message) = error("[attention]\nbell = true\nbel = false\n");
        assert_eq!((line, column), (3, 1));
        assert!(message.contains("unknown field `bel`"), "{message}");
        assert!(message.contains("`bell`"), "{message}");
        let (line, _, message) = error("[[attention.windows]]\nwindow = \"x\"\nsilense = 3\n");
        assert_eq!(line, 3);
        assert!(message.contains("`silense`"), "{message}");
        let (line, _, message) = error("snippet = []\n");
        assert_eq!(line, 1);
        assert!(message.contains("`snippet`"), "{message}");
    }

    #[test]
    fn a_bad_regex_names_its_line() {
        let text = "[attention]\nprompt_patterns = [\n  'fine',\n  '(unclosed',\n]\n";
        let (line, column, message) = error(text);
        assert_eq!((line, column), (4, 3));
        assert!(
            message.contains("not a valid regular expression"),
            "{message}"
        );
    }

    #[test]
    fn a_huge_regex_is_refused() {
        // Small to write, large once compiled: over the size limit.
        let text = "[attention]\nprompt_patterns = ['\\w{1000}\\w{1000}\\w{1000}']\n";
        let (line, _, message) = error(text);
        assert_eq!(line, 2);
        assert!(
            message.contains("not a valid regular expression"),
            "{message}"
        );
        let long = format!("[attention]\nprompt_patterns = ['{}']\n", "a".repeat(2000));
        assert!(error(&long).2.contains("at most 1024 bytes"));
    }

    #[test]
    fn window_rules_are_checked() {
        let (line, column, message) = error("[[attention.windows]]\nwindow = \"w\"\nsilence = 0\n");
        assert_eq!((line, column), (3, 11));
        assert!(message.contains("seconds"), "{message}");
        let (line, _, message) = error("[[attention.windows]]\nwindow = \"w\"\n");
        assert_eq!(line, 1);
        assert!(message.contains("turns nothing on"), "{message}");
    }

    #[test]
    fn snippets_are_checked() {
        let text = "[[snippets]]\ntext = \"ok\"\n\n[[snippets]]\nlabel = \"\"\ntext = \"x\"\n";
        let (line, _, message) = error(text);
        assert_eq!(line, 4, "{message}");
        assert!(message.contains("label"), "{message}");
        let many = "[[snippets]]\ntext = \"x\"\n".repeat(SNIPPET_LIMIT + 1);
        assert!(error(&many).2.contains("at most"));
    }

    #[test]
    fn the_source_is_resolved_the_xdg_way() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            ConfigSource::resolve(Some("/x.toml".into()), &env(&[("HOME", "/h")])),
            ConfigSource::Explicit("/x.toml".into())
        );
        assert_eq!(
            ConfigSource::resolve(None, &env(&[("XDG_CONFIG_HOME", "/c"), ("HOME", "/h")])),
            ConfigSource::Default("/c/tmux-mobile/config.toml".into())
        );
        // A relative XDG_CONFIG_HOME is ignored (XDG Base Directory spec).
        assert_eq!(
            ConfigSource::resolve(None, &env(&[("XDG_CONFIG_HOME", "rel"), ("HOME", "/h")])),
            ConfigSource::Default("/h/.config/tmux-mobile/config.toml".into())
        );
        assert_eq!(ConfigSource::resolve(None, &env(&[])), ConfigSource::None);
    }

    #[test]
    fn a_missing_default_file_is_fine_but_a_missing_explicit_one_is_not() {
        let missing = std::env::temp_dir().join(format!(
            "tmux-mobile-no-such-config-{}.toml",
            std::process::id()
        ));
        let ok = load(&ConfigSource::Default(missing.clone())).unwrap();
        assert!(ok.path.is_none() && ok.attention.is_some());
        let err = load(&ConfigSource::Explicit(missing))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no such file"), "{err}");
    }

    /// The full example of docs/CONFIG.md parses and means what it says.
    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("../../../docs/CONFIG.md");
        let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let end = start + doc[start..].find("```").expect("its end");
        let s = parse(&doc[start..end]).unwrap_or_else(|e| {
            let at = e.position(&doc[start..end]);
            panic!("docs/CONFIG.md example: {at:?}: {}", e.message)
        });
        let a = s.attention.expect("attention on");
        assert!(a.matcher.find("Approve deploy to production? ").is_some());
        assert!(!a.windows.is_empty());
        assert!(!s.snippets.is_empty());
    }
}
