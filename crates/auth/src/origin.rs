//! Which `Origin` may open a WebSocket.
//!
//! A browser attaches `Origin` to every WebSocket upgrade, and cookies or
//! not, a page on another site must not be able to drive the terminal. An
//! upgrade is allowed when:
//!
//! * there is no `Origin` header (not a browser: curl, scripts, tests);
//! * `Origin` is the request's own scheme and `Host` — `http://<host>` for
//!   a plain connection, `https://<host>` for a TLS one — compared as
//!   scheme, host (case-insensitive) and port, exactly;
//! * or `Origin` is on the allowlist: a fixed part given at startup (and
//!   extended with [`OriginPolicy::allow`]) plus a dynamic part replaced as
//!   a whole with [`OriginPolicy::replace_dynamic`] — the current tunnel
//!   origin, whose host is only known once the tunnel is up.
//!
//! `Origin: null` (sandboxed frames, `file:` pages, some redirects) is
//! always refused, as is anything that does not parse as
//! `http[s]://host[:port]`. Origins are compared after normalisation
//! (lowercase scheme and host, a default port `:80`/`:443` dropped, one
//! trailing `/` dropped) as whole values, never by prefix or suffix, so
//! look-alikes such as `http://example.com.evil.net` or
//! `http://127.0.0.1:8767.evil.net` never match.

use std::net::Ipv6Addr;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::AuthError;

/// An origin in normal form (`scheme://host[:port]`, lowercase, no default
/// port), or the reason it is not one.
fn normalise(origin: &str) -> Result<String, &'static str> {
    if origin.eq_ignore_ascii_case("null") {
        return Err("the opaque origin null is never allowed");
    }
    let (scheme, authority) = origin
        .split_once("://")
        .ok_or("missing scheme (http:// or https://)")?;
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else {
        return Err("only http and https origins are supported");
    };
    let (host, port) = split_host_port(authority)?;
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err("the port must be a number from 1 to 65535");
            }
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err("the port must be a number from 1 to 65535"),
                Ok(n) if n == default_port => None,
                Ok(n) => Some(n),
            }
        }
    };
    Ok(match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Splits `host[:port]` (host possibly a bracketed IPv6 address) and
/// returns the lowercase host and the port text.
fn split_host_port(authority: &str) -> Result<(String, Option<&str>), &'static str> {
    if authority.is_empty() {
        return Err("missing host");
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let (addr, after) = rest.split_once(']').ok_or("unclosed [ in an IPv6 host")?;
        let ip: Ipv6Addr = addr.parse().map_err(|_| "invalid IPv6 address")?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("unexpected text after the host")?,
            ),
        };
        return Ok((format!("[{ip}]"), port));
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err("missing host");
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(
            "the host may hold only letters, digits, '-', '_' and '.' (no path, user or query)",
        );
    }
    if host.split('.').any(str::is_empty) {
        return Err("the host has an empty label");
    }
    Ok((host.to_ascii_lowercase(), port))
}

#[derive(Debug, Default)]
struct Lists {
    fixed: Vec<String>,
    dynamic: Vec<String>,
}

/// The origin rules (see the module docs). `Send + Sync`; the allowlist
/// can change while the server runs.
///
/// ```
/// use tmux_mobile_auth::OriginPolicy;
///
/// let policy = OriginPolicy::new(vec!["https://Example.com/".into()])?;
/// assert!(policy.check(None, Some("127.0.0.1:8767"), false).is_ok());
/// assert!(policy.check(Some("http://127.0.0.1:8767"), Some("127.0.0.1:8767"), false).is_ok());
/// assert!(policy.check(Some("https://example.com"), Some("127.0.0.1:8767"), false).is_ok());
/// assert!(policy.check(Some("https://example.com.evil.net"), Some("127.0.0.1:8767"), false).is_err());
///
/// policy.replace_dynamic(vec!["https://a-b.trycloudflare.com".into()])?;
/// assert!(policy.check(Some("https://a-b.trycloudflare.com"), Some("a-b.trycloudflare.com"), false).is_ok());
/// # Ok::<(), tmux_mobile_auth::AuthError>(())
/// ```
#[derive(Debug, Default)]
pub struct OriginPolicy {
    lists: RwLock<Lists>,
}

fn normalise_all(entries: Vec<String>) -> Result<Vec<String>, AuthError> {
    entries
        .into_iter()
        .map(|entry| {
            normalise(entry.trim()).map_err(|problem| AuthError::InvalidOrigin { entry, problem })
        })
        .collect()
}

impl OriginPolicy {
    /// A policy with `allowlist` as its fixed allowlist. Fails on the first
    /// entry that is not `http[s]://host[:port]` (a trailing `/` and
    /// surrounding spaces are tolerated).
    pub fn new(allowlist: Vec<String>) -> Result<Self, AuthError> {
        let fixed = normalise_all(allowlist)?;
        Ok(OriginPolicy {
            lists: RwLock::new(Lists {
                fixed,
                dynamic: Vec::new(),
            }),
        })
    }

    /// A policy that allows only absent and same-origin `Origin` headers.
    pub fn same_origin_only() -> Self {
        OriginPolicy::default()
    }

    /// Adds one origin to the fixed allowlist.
    pub fn allow(&self, origin: &str) -> Result<(), AuthError> {
        let normal = normalise(origin.trim()).map_err(|problem| AuthError::InvalidOrigin {
            entry: origin.to_string(),
            problem,
        })?;
        let mut lists = self.write();
        if !lists.fixed.contains(&normal) {
            lists.fixed.push(normal);
        }
        Ok(())
    }

    /// Replaces the dynamic allowlist (for example with the current tunnel
    /// origin). All or nothing: on an invalid entry the old list stays.
    pub fn replace_dynamic(&self, origins: Vec<String>) -> Result<(), AuthError> {
        let dynamic = normalise_all(origins)?;
        self.write().dynamic = dynamic;
        Ok(())
    }

    /// The allowlist in normal form, fixed part first.
    pub fn allowlist(&self) -> Vec<String> {
        let lists = self.read();
        lists.fixed.iter().chain(&lists.dynamic).cloned().collect()
    }

    /// Whether an upgrade with this `Origin` header may proceed. `host` is
    /// the request's `Host` header, `secure` whether the connection to this
    /// server is TLS. Refusal is [`AuthError::OriginNotAllowed`].
    pub fn check(
        &self,
        origin: Option<&str>,
        host: Option<&str>,
        secure: bool,
    ) -> Result<(), AuthError> {
        let Some(origin) = origin else {
            return Ok(());
        };
        let origin = normalise(origin).map_err(|_| AuthError::OriginNotAllowed)?;
        if let Some(host) = host {
            let scheme = if secure { "https" } else { "http" };
            if normalise(&format!("{scheme}://{host}")).is_ok_and(|own| own == origin) {
                return Ok(());
            }
        }
        let lists = self.read();
        if lists.fixed.contains(&origin) || lists.dynamic.contains(&origin) {
            return Ok(());
        }
        Err(AuthError::OriginNotAllowed)
    }

    fn read(&self) -> RwLockReadGuard<'_, Lists> {
        // Nothing panics while the lock is held; recover the data anyway.
        self.lists.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Lists> {
        self.lists.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "127.0.0.1:8767";

    fn allowed(p: &OriginPolicy, origin: &str, host: Option<&str>, secure: bool) -> bool {
        p.check(Some(origin), host, secure).is_ok()
    }

    #[test]
    fn absent_origin_is_allowed() {
        let p = OriginPolicy::same_origin_only();
        assert!(p.check(None, Some(HOST), false).is_ok());
        assert!(p.check(None, None, true).is_ok());
    }

    #[test]
    fn same_origin_follows_scheme_host_and_port() {
        let p = OriginPolicy::same_origin_only();
        assert!(allowed(&p, "http://127.0.0.1:8767", Some(HOST), false));
        assert!(!allowed(&p, "https://127.0.0.1:8767", Some(HOST), false));
        assert!(allowed(&p, "https://127.0.0.1:8767", Some(HOST), true));
        assert!(!allowed(&p, "http://127.0.0.1:8767", Some(HOST), true));
        assert!(!allowed(&p, "http://127.0.0.1:8768", Some(HOST), false));
        assert!(!allowed(&p, "http://127.0.0.1", Some(HOST), false));
        assert!(!allowed(&p, "http://localhost:8767", Some(HOST), false));
        // Host is case-insensitive, and a default port is the same as none.
        assert!(allowed(
            &p,
            "http://MyBox.Local:8767",
            Some("mybox.local:8767"),
            false
        ));
        assert!(allowed(
            &p,
            "HTTP://mybox.local",
            Some("MYBOX.local:80"),
            false
        ));
        assert!(allowed(
            &p,
            "https://mybox.local:443",
            Some("mybox.local"),
            true
        ));
        assert!(allowed(&p, "http://[::1]:8767", Some("[::1]:8767"), false));
        assert!(allowed(
            &p,
            "http://[0:0::1]:8767",
            Some("[::1]:8767"),
            false
        ));
    }

    #[test]
    fn origin_without_host_header_needs_the_allowlist() {
        let p = OriginPolicy::new(vec!["http://example.com".into()]).unwrap();
        assert!(!allowed(&p, "http://127.0.0.1:8767", None, false));
        assert!(allowed(&p, "http://example.com", None, false));
    }

    #[test]
    fn null_and_malformed_origins_are_refused() {
        let p = OriginPolicy::same_origin_only();
        for bad in [
            "null",
            "NULL",
            "",
            "127.0.0.1:8767",
            "file://",
            "ws://127.0.0.1:8767",
            "http://",
            "http://127.0.0.1:8767/path",
            "http://user@127.0.0.1:8767",
            "http://127.0.0.1:8767?x",
            "http://127.0.0.1:8767 ",
        ] {
            let err = p.check(Some(bad), Some(HOST), false).unwrap_err();
            assert!(matches!(err, AuthError::OriginNotAllowed), "{bad:?}");
        }
        // A malformed Host header never matches anything.
        assert!(!allowed(&p, "http://evil.net", Some("evil.net/x"), false));
        assert!(!allowed(&p, "http://x", Some(""), false));
    }

    #[test]
    fn look_alike_hosts_are_refused() {
        let p = OriginPolicy::new(vec!["http://example.com".into()]).unwrap();
        for bad in [
            "http://127.0.0.1:8767.evil.net",
            "http://127.0.0.1.evil.net:8767",
            "http://example.com.evil.net",
            "http://evil-example.com",
            "http://example.com:81",
            "https://example.com",
            "http://sub.example.com",
            "http://example.com@evil.net",
            "http://example.com.",
        ] {
            assert!(!allowed(&p, bad, Some(HOST), false), "{bad:?}");
        }
        assert!(allowed(&p, "http://EXAMPLE.com", Some(HOST), false));
        assert!(allowed(&p, "http://example.com:80", Some(HOST), false));
    }

    #[test]
    fn allowlist_entries_are_normalised() {
        let p = OriginPolicy::new(vec![
            "HTTPS://Example.COM/".into(),
            " http://box.lan:8080 ".into(),
            "https://x.test:443".into(),
        ])
        .unwrap();
        assert_eq!(
            p.allowlist(),
            [
                "https://example.com",
                "http://box.lan:8080",
                "https://x.test"
            ]
        );
        assert!(allowed(&p, "https://example.com", Some(HOST), false));
        assert!(allowed(&p, "http://box.lan:8080", Some(HOST), false));
        assert!(allowed(&p, "https://x.test", Some(HOST), false));
    }

    #[test]
    fn malformed_allowlist_entries_are_rejected_clearly() {
        for (bad, hint) in [
            ("example.com", "missing scheme"),
            ("ftp://example.com", "only http and https"),
            ("http://example.com/app", "letters, digits"),
            ("http://example.com:99999", "port"),
            ("http://example.com:", "port"),
            ("http://", "missing host"),
            ("null", "null"),
            ("http://[::1", "unclosed"),
        ] {
            let err = OriginPolicy::new(vec!["http://ok.test".into(), bad.into()]).unwrap_err();
            assert!(matches!(err, AuthError::InvalidOrigin { .. }), "{bad:?}");
            let msg = err.to_string();
            assert!(msg.contains(hint), "{bad:?}: {msg}");
            assert!(msg.contains(bad), "{bad:?}: {msg}");
        }
        let p = OriginPolicy::same_origin_only();
        assert!(p.allow("not an origin").is_err());
        assert!(p.allowlist().is_empty());
    }

    #[test]
    fn allow_adds_and_replace_dynamic_replaces() {
        let p = OriginPolicy::new(vec!["http://fixed.test".into()]).unwrap();
        p.allow("http://added.test/").unwrap();
        p.allow("http://added.test").unwrap();
        assert_eq!(p.allowlist(), ["http://fixed.test", "http://added.test"]);

        p.replace_dynamic(vec!["https://one.trycloudflare.com".into()])
            .unwrap();
        assert!(allowed(
            &p,
            "https://one.trycloudflare.com",
            Some("one.trycloudflare.com"),
            false
        ));
        p.replace_dynamic(vec!["https://two.trycloudflare.com".into()])
            .unwrap();
        assert!(!allowed(
            &p,
            "https://one.trycloudflare.com",
            Some("one.trycloudflare.com"),
            false
        ));
        assert!(allowed(
            &p,
            "https://two.trycloudflare.com",
            Some(HOST),
            false
        ));
        // All or nothing.
        assert!(
            p.replace_dynamic(vec!["https://three.test".into(), "bad".into()])
                .is_err()
        );
        assert!(allowed(
            &p,
            "https://two.trycloudflare.com",
            Some(HOST),
            false
        ));
        assert!(!allowed(&p, "https://three.test", Some(HOST), false));
        // The fixed part is untouched.
        assert!(allowed(&p, "http://fixed.test", Some(HOST), false));
        assert!(allowed(&p, "http://added.test", Some(HOST), false));
        p.replace_dynamic(Vec::new()).unwrap();
        assert!(!allowed(
            &p,
            "https://two.trycloudflare.com",
            Some(HOST),
            false
        ));
    }
}
