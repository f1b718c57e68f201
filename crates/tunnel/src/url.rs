//! Recognises the public URL of a quick tunnel in cloudflared's output.
//!
//! cloudflared announces a quick tunnel in a box on stderr:
//!
//! ```text
//! INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |
//! INF |  https://seasonal-deck-organisms-sf.trycloudflare.com                                       |
//! ```
//!
//! The URL becomes an allowed browser origin, so the matcher is strict and
//! hand-written (no regex engine to reason about): exactly `https://`, one
//! DNS label of `[a-z0-9-]`, exactly `.trycloudflare.com`, and then the end
//! of the host. Anything that would make a browser see a different host
//! (`.trycloudflare.com.evil.net`, `@evil.net` user-info tricks, a port or a
//! second label) is rejected rather than trimmed. `api.trycloudflare.com`,
//! which cloudflared names in its own error messages, is never a tunnel.

/// The domain every quick tunnel lives under, with its leading dot.
const SUFFIX: &str = ".trycloudflare.com";
/// The only scheme a quick tunnel URL has.
const SCHEME: &str = "https://";
/// The longest DNS label.
const MAX_LABEL: usize = 63;
/// Labels under the quick-tunnel domain that belong to Cloudflare's service,
/// not to a tunnel (`api` appears in cloudflared's "failed to request quick
/// Tunnel: Post https://api.trycloudflare.com/tunnel" errors).
const RESERVED_LABELS: &[&str] = &["api", "www"];

/// Returns the first quick-tunnel URL in `text`, as an origin
/// (`https://<label>.trycloudflare.com`, no path, no trailing slash).
///
/// ```
/// use tmux_mobile_tunnel::find_quick_tunnel_url;
/// let line = "INF |  https://seasonal-deck-organisms-sf.trycloudflare.com   |";
/// assert_eq!(
///     find_quick_tunnel_url(line),
///     Some("https://seasonal-deck-organisms-sf.trycloudflare.com")
/// );
/// assert_eq!(find_quick_tunnel_url("https://x.trycloudflare.com.evil.net"), None);
/// ```
pub fn find_quick_tunnel_url(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find(SCHEME) {
        let start = from + found;
        if let Some(end) = match_at(bytes, start) {
            return Some(&text[start..end]);
        }
        from = start + SCHEME.len();
    }
    None
}

/// If a quick-tunnel origin starts at `start` (which holds `https://`),
/// returns the index just past it.
fn match_at(bytes: &[u8], start: usize) -> Option<usize> {
    // `xhttps://` is some other token, not a URL starting here.
    if start > 0 && is_word_byte(bytes[start - 1]) {
        return None;
    }
    let label_start = start + SCHEME.len();
    let label_len = bytes[label_start..]
        .iter()
        .take_while(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        .count();
    let label = &bytes[label_start..label_start + label_len];
    if label.is_empty()
        || label.len() > MAX_LABEL
        || label.first() == Some(&b'-')
        || label.last() == Some(&b'-')
        || RESERVED_LABELS.iter().any(|r| r.as_bytes() == label)
    {
        return None;
    }
    let suffix_start = label_start + label_len;
    if !bytes[suffix_start..].starts_with(SUFFIX.as_bytes()) {
        return None;
    }
    let end = suffix_start + SUFFIX.len();
    match bytes.get(end) {
        None => Some(end),
        Some(&next) if ends_host(next) => Some(end),
        Some(_) => None,
    }
}

/// Characters that may follow the host of a URL printed in a log line
/// without changing which host it is: whitespace, the start of a path, query
/// or fragment, and punctuation used to quote or frame a URL. Everything
/// else (a further host character, `.`, `:` for a port or user-info, `@`,
/// `\`, `%`, non-ASCII) makes the match fail.
fn ends_host(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'/' | b'?'
                | b'#'
                | b'"'
                | b'\''
                | b'`'
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'|'
                | b','
                | b';'
        )
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' || b == b'+'
}

#[cfg(test)]
mod tests {
    use super::find_quick_tunnel_url as find;

    const URL: &str = "https://seasonal-deck-organisms-sf.trycloudflare.com";

    #[test]
    fn finds_the_url_in_cloudflared_banner() {
        let line =
            format!("2026-11-30T06:00:00Z INF |  {URL}                                       |");
        assert_eq!(find(&line), Some(URL));
    }

    #[test]
    fn accepts_bare_url_and_url_with_path_query_or_fragment() {
        assert_eq!(find(URL), Some(URL));
        for tail in [
            "/", "/path", "?q=1", "#frag", " ", "\t", "\"", "'", ">", ")", "]", "|", ",", ";", "\r",
        ] {
            let text = format!("{URL}{tail}");
            assert_eq!(find(&text), Some(URL), "followed by {tail:?}");
        }
        for head in ["", " ", "\"", "'", "(", "<", "[", "=", ":", "|"] {
            let text = format!("{head}{URL}");
            assert_eq!(find(&text), Some(URL), "preceded by {head:?}");
        }
    }

    #[test]
    fn accepts_short_and_digit_labels() {
        assert_eq!(
            find("https://a.trycloudflare.com"),
            Some("https://a.trycloudflare.com")
        );
        assert_eq!(
            find("https://0-9.trycloudflare.com"),
            Some("https://0-9.trycloudflare.com")
        );
        let label = "a".repeat(63);
        let url = format!("https://{label}.trycloudflare.com");
        assert_eq!(find(&url), Some(url.as_str()));
    }

    #[test]
    fn rejects_look_alike_hosts() {
        for text in [
            "https://x.trycloudflare.com.evil.net",
            "https://x.trycloudflare.com.evil.net/",
            "https://x.trycloudflare.com-evil.net",
            "https://x.trycloudflare.comevil.net",
            "https://x.trycloudflare.com_evil",
            "https://x.trycloudflare.com@evil.net",
            "https://x.trycloudflare.com:pass@evil.net",
            "https://x.trycloudflare.com:443",
            "https://x.trycloudflare.com\\@evil.net",
            "https://x.trycloudflare.com%2eevil.net",
            "https://x.trycloudflare.com\u{2024}evil.net",
            "https://x.trycloudflare.com.",
            "https://trycloudflare.com",
            "https://.trycloudflare.com",
            "https://evil.net/x.trycloudflare.com",
            "https://evil.net?x.trycloudflare.com",
            "https://evil.net#https:x.trycloudflare.com",
            "https://a.b.trycloudflare.com",
            "https://x.trycloudflare.co",
            "https://x.trycloudflare.org",
            "https://x.trycloudflarexcom",
            "https://x-trycloudflare.com",
            "https://x.try-cloudflare.com",
            "https://xtrycloudflare.com",
            "https://X.trycloudflare.com",
            "https://x.TRYCLOUDFLARE.COM",
            "HTTPS://x.trycloudflare.com",
            "https://x_y.trycloudflare.com",
            "https://-x.trycloudflare.com",
            "https://x-.trycloudflare.com",
            "https://user@x.trycloudflare.com",
            "https://x.trycloudflare.com\u{0}",
        ] {
            assert_eq!(find(text), None, "{text:?} must not match");
        }
    }

    #[test]
    fn rejects_other_schemes() {
        for text in [
            "http://x.trycloudflare.com",
            "ws://x.trycloudflare.com",
            "wss://x.trycloudflare.com",
            "https:/x.trycloudflare.com",
            "https//x.trycloudflare.com",
            "//x.trycloudflare.com",
            "x.trycloudflare.com",
            "xhttps://x.trycloudflare.com",
            "evil.nethttps://x.trycloudflare.com",
            "git+https://x.trycloudflare.com",
        ] {
            assert_eq!(find(text), None, "{text:?} must not match");
        }
    }

    #[test]
    fn rejects_overlong_labels() {
        let url = format!("https://{}.trycloudflare.com", "a".repeat(64));
        assert_eq!(find(&url), None);
    }

    #[test]
    fn never_takes_cloudflares_api_host_from_an_error_message() {
        let line = "ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": \
                    dial tcp: lookup api.trycloudflare.com: no such host";
        assert_eq!(find(line), None);
        assert_eq!(find("https://www.trycloudflare.com"), None);
        // ...but a label merely containing "api" is a tunnel.
        assert_eq!(
            find("https://api-x.trycloudflare.com"),
            Some("https://api-x.trycloudflare.com")
        );
    }

    #[test]
    fn returns_the_first_valid_url_after_skipping_look_alikes() {
        let text = format!(
            "https://x.trycloudflare.com.evil.net http://y.trycloudflare.com {URL} https://z.trycloudflare.com"
        );
        assert_eq!(find(&text), Some(URL));
    }

    #[test]
    fn every_ascii_character_after_the_host_is_classified() {
        let host_safe = " \t\n\r\x0c/?#\"'`<>()[]{}|,;";
        for b in 0u8..=127 {
            let c = char::from(b);
            let text = format!("{URL}{c}rest");
            let expected = host_safe.contains(c).then_some(URL);
            assert_eq!(find(&text), expected, "followed by {c:?}");
        }
    }

    #[test]
    fn every_ascii_character_inside_the_label_is_classified() {
        for b in 0u8..=127 {
            let c = char::from(b);
            let text = format!("https://ab{c}cd.trycloudflare.com");
            let ok = c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
            let expected = ok.then_some(text.as_str());
            assert_eq!(find(&text), expected, "label containing {c:?}");
        }
    }

    #[test]
    fn every_ascii_character_before_the_scheme_is_classified() {
        for b in 0u8..=127 {
            let c = char::from(b);
            let text = format!("x{c}{URL}");
            let word = c.is_ascii_alphanumeric() || "_-.+".contains(c);
            assert_eq!(find(&text), (!word).then_some(URL), "preceded by {c:?}");
        }
    }

    #[test]
    fn a_match_is_always_a_well_formed_origin_inside_the_input() {
        // Splices of real and hostile fragments; whatever is found must be
        // exactly scheme + one valid label + the suffix.
        let parts = [
            "https://",
            "http://",
            "a",
            "-",
            ".",
            "trycloudflare.com",
            ".trycloudflare.com",
            "evil.net",
            "@",
            ":",
            "/",
            " ",
            "|",
            "api",
            "é",
            "\u{0}",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        let text = format!("{a}{b}{c}{d}");
                        if let Some(found) = find(&text) {
                            let label = found
                                .strip_prefix("https://")
                                .and_then(|r| r.strip_suffix(".trycloudflare.com"))
                                .expect("scheme and suffix");
                            assert!(!label.is_empty() && label != "api", "{text:?}");
                            assert!(
                                label.bytes().all(|b| b.is_ascii_lowercase()
                                    || b.is_ascii_digit()
                                    || b == b'-'),
                                "{text:?}"
                            );
                            assert!(text.contains(found));
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 0, "some splices are real URLs");
    }

    #[test]
    fn handles_truncated_and_non_ascii_input_without_panicking() {
        for text in [
            "",
            "https://",
            "https://x",
            "https://x.trycloud",
            "https://x.trycloudflare.co",
            "é https://ü.trycloudflare.com",
            "https://\u{1F600}.trycloudflare.com",
            "https://https://https://",
        ] {
            assert_eq!(find(text), None, "{text:?}");
        }
        assert_eq!(
            find("→ https://x.trycloudflare.com ←"),
            Some("https://x.trycloudflare.com")
        );
    }
}
