//! Which push endpoints may be contacted: the SSRF rule.
//!
//! A subscription's endpoint URL comes from a browser, so it is untrusted: a
//! logged-in client could name `https://127.0.0.1:6379/` or a host of the
//! local network and make this server POST to it. An endpoint is therefore
//! accepted only when it is `https:` with a host name or public IP literal,
//! no user info, a bounded length — and at delivery time only the resolved
//! addresses that are **public** ([`is_public`]) are connected to, so a DNS
//! answer cannot point it inward either (the address checked is the address
//! used; there is no second lookup).
//!
//! For tests, [`EndpointPolicy::allow_loopback_http_for_tests`] also admits
//! `http://127.0.0.1:<port>/…` and nothing else.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::PushError;

/// Longest endpoint URL accepted (real ones are 150–400 bytes).
pub const MAX_ENDPOINT_LEN: usize = 1024;

/// Which endpoints are acceptable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointPolicy {
    allow_loopback_http: bool,
}

impl EndpointPolicy {
    /// Only `https:` endpoints on public addresses (the default).
    pub fn public_https_only() -> Self {
        Self::default()
    }

    /// Also `http://127.0.0.1:<port>/…`, for a test push service on this
    /// machine. Never use it outside tests.
    pub fn allow_loopback_http_for_tests() -> Self {
        EndpointPolicy {
            allow_loopback_http: true,
        }
    }

    /// Whether `http://127.0.0.1` endpoints are admitted.
    pub fn allows_loopback_http(self) -> bool {
        self.allow_loopback_http
    }
}

/// The host part of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// A DNS name (lower-cased), resolved at delivery.
    Name(String),
    /// An IP literal.
    Ip(IpAddr),
}

/// A checked push endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    tls: bool,
    host: Host,
    port: u16,
    /// Start of the path (`/…`) in `url`.
    path_at: usize,
}

impl std::fmt::Debug for Endpoint {
    // The URL is a capability (whoever knows it can push to the browser):
    // only its origin is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({}/…)", self.origin())
    }
}

impl Endpoint {
    /// Checks `url` against `policy` (syntax only; addresses are checked
    /// when connecting, against [`is_public`]).
    pub fn parse(url: &str, policy: EndpointPolicy) -> Result<Self, PushError> {
        if url.len() > MAX_ENDPOINT_LEN {
            return Err(PushError::Endpoint("the URL is longer than 1024 bytes"));
        }
        if !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PushError::Endpoint(
                "the URL has spaces, control or non-ASCII characters",
            ));
        }
        let (tls, rest) = if let Some(rest) = strip_prefix_ci(url, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ci(url, "http://") {
            if !policy.allow_loopback_http {
                return Err(PushError::Endpoint("only https: endpoints are contacted"));
            }
            (false, rest)
        } else {
            return Err(PushError::Endpoint("only https: endpoints are contacted"));
        };
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let path_at = url.len() - rest.len() + authority_len;
        if url[path_at..].contains('#') {
            return Err(PushError::Endpoint("the URL has a fragment"));
        }
        if !url[path_at..].starts_with('/') {
            return Err(PushError::Endpoint("the URL has no path"));
        }
        if authority.contains('@') {
            return Err(PushError::Endpoint("the URL has user info"));
        }
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            Some(port) => port,
            None if tls => 443,
            None => 80,
        };
        let host = parse_host(host)?;
        if !tls && host != Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)) {
            return Err(PushError::Endpoint(
                "http: is admitted for tests on 127.0.0.1 only",
            ));
        }
        if let Host::Ip(ip) = host {
            if tls && !is_public(ip) {
                return Err(PushError::NotPublic);
            }
        }
        Ok(Endpoint {
            url: url.to_owned(),
            tls,
            host,
            port,
            path_at,
        })
    }

    /// The whole URL (a secret capability: do not log it).
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// `https://host[:port]`: the VAPID audience and what logs may show.
    pub fn origin(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        let host = match &self.host {
            Host::Name(name) => name.clone(),
            Host::Ip(IpAddr::V4(ip)) => ip.to_string(),
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        };
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{}", self.port)
        }
    }

    pub(crate) fn tls(&self) -> bool {
        self.tls
    }

    pub(crate) fn host(&self) -> &Host {
        &self.host
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The request target: path and query.
    pub(crate) fn path_and_query(&self) -> &str {
        &self.url[self.path_at..]
    }

    /// The `Host` header value.
    pub(crate) fn host_header(&self) -> String {
        self.origin()
            .split_once("://")
            .map(|(_, h)| h.to_owned())
            .unwrap_or_default()
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), PushError> {
    let bad_port = PushError::Endpoint("the URL's port is not a number from 1 to 65535");
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or(PushError::Endpoint("the URL's IPv6 address has no ']'"))?;
        let after = &rest[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(PushError::Endpoint(
                "the URL has characters after its IPv6 address",
            ))?),
        };
        (&authority[..end + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad_port);
            }
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(bad_port),
                Ok(n) => Some(n),
            }
        }
    };
    Ok((host, port))
}

fn parse_host(host: &str) -> Result<Host, PushError> {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| PushError::Endpoint("the URL's IPv6 address is not valid"));
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(valid_label) {
        return Err(PushError::Endpoint("the URL's host is not a valid name"));
    }
    // Names that are numbers in disguise (`0x7f.1`, `2130706433`) would be
    // read as IPv4 by the resolver; the address check would refuse them,
    // but there is no reason to accept them in the first place.
    let last = name.rsplit('.').next().unwrap_or("");
    if last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x") {
        return Err(PushError::Endpoint("the URL's host is not a valid name"));
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return Err(PushError::NotPublic);
    }
    Ok(Host::Name(name))
}

/// Whether `ip` is a public unicast address: not loopback, private,
/// link-local, shared (CGNAT), multicast, broadcast, unspecified,
/// documentation, benchmarking or reserved space, and not an IPv6 form that
/// embeds or translates an IPv4 address (mapped, compatible, NAT64, 6to4,
/// Teredo) — those could reach an inward IPv4 address through a gateway.
/// For IPv6 only global unicast (`2000::/3`) qualifies.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0 included
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if s[0] & 0xe000 != 0x2000 {
        // Not global unicast: ::, ::1, ::ffff:a.b.c.d (mapped), ::a.b.c.d
        // (compatible), 64:ff9b::/96 (NAT64), 100::/64 (discard),
        // fc00::/7 (unique local), fe80::/10 (link-local), ff00::/8
        // (multicast) and everything unassigned.
        return false;
    }
    let refused = match s[0] {
        0x2001 => {
            s[1] == 0x0000 // Teredo
                || s[1] == 0x0db8 // documentation
                || (s[1] & 0xfff0) == 0x0010 // ORCHID
                || (s[1] & 0xfff0) == 0x0020 // ORCHIDv2
                || (s[1] == 0x0002 && s[2] == 0) // benchmarking
        }
        0x2002 => true,          // 6to4: embeds an IPv4 address
        0x3fff => s[1] < 0x1000, // documentation (RFC 9637)
        _ => false,
    };
    !refused
}

/// The addresses of `candidates` that `endpoint` may be connected to under
/// `policy`; an error when none may.
pub(crate) fn check_addresses(
    endpoint: &Endpoint,
    candidates: impl IntoIterator<Item = IpAddr>,
) -> Result<Vec<IpAddr>, PushError> {
    let allowed: Vec<IpAddr> = candidates
        .into_iter()
        .filter(|ip| {
            if endpoint.tls {
                is_public(*ip)
            } else {
                // Only reachable with the test policy (see `Endpoint::parse`).
                *ip == IpAddr::V4(Ipv4Addr::LOCALHOST)
            }
        })
        .collect();
    if allowed.is_empty() {
        Err(PushError::NotPublic)
    } else {
        Ok(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn inward_ipv4_addresses_are_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254", // cloud metadata
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!v4(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn public_ipv4_addresses_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "142.250.74.110",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "223.255.255.254",
        ] {
            assert!(v4(ip), "{ip} is public");
        }
    }

    #[test]
    fn inward_and_embedding_ipv6_addresses_are_refused() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:8.8.8.8", // mapped: refused whatever it embeds
            "::127.0.0.1",    // IPv4-compatible
            "64:ff9b::a00:1", // NAT64 of 10.0.0.1
            "64:ff9b:1::1",
            "100::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001::1", // Teredo
            "2001:db8::1",
            "2001:10::1",
            "2001:20::1",
            "2001:2::1",
            "2002:7f00:1::1", // 6to4 of 127.0.0.1
            "3fff::1",
            "4000::1",
        ] {
            assert!(!v4(ip), "{ip} must be refused");
        }
        for ip in [
            "2a00:1450:4001:80e::200a",
            "2606:4700::1111",
            "2001:4860::8888",
        ] {
            assert!(v4(ip), "{ip} is public");
        }
    }

    #[test]
    fn endpoints_must_be_https_with_a_real_host() {
        let policy = EndpointPolicy::public_https_only();
        let ok = Endpoint::parse("https://fcm.googleapis.com/fcm/send/abc:def", policy).unwrap();
        assert_eq!(ok.origin(), "https://fcm.googleapis.com");
        assert_eq!(ok.path_and_query(), "/fcm/send/abc:def");
        assert_eq!(ok.port(), 443);
        let with_port = Endpoint::parse("HTTPS://Push.Example.NET:8443/w?x=1", policy).unwrap();
        assert_eq!(with_port.origin(), "https://push.example.net:8443");
        assert_eq!(with_port.host_header(), "push.example.net:8443");
        assert_eq!(with_port.path_and_query(), "/w?x=1");
        let v6 = Endpoint::parse("https://[2606:4700::1111]/p", policy).unwrap();
        assert_eq!(v6.origin(), "https://[2606:4700::1111]");
        assert_eq!(format!("{ok:?}"), "Endpoint(https://fcm.googleapis.com/…)");

        for bad in [
            "http://push.example.net/x",
            "ftp://push.example.net/x",
            "https://push.example.net",
            "https://user:pw@push.example.net/x",
            "https://push.example.net/x#frag",
            "https://push.example.net:0/x",
            "https://push.example.net:99999/x",
            "https://push.example.net:/x",
            "https:///x",
            "https://exa mple.net/x",
            "https://push.example.net/\u{e9}",
            "https://-bad-.example/x",
            "https://[::1/x",
            "https://[::1]x/x",
            "https://127.0.0.1/x",
            "https://10.0.0.1/x",
            "https://[::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://localhost/x",
            "https://a.localhost/x",
            "https://0x7f.1/x",
            "https://2130706433/x",
            "http://127.0.0.1:9/x",
        ] {
            assert!(
                Endpoint::parse(bad, policy).is_err(),
                "{bad} must be refused"
            );
        }
        let long = format!("https://push.example.net/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert!(Endpoint::parse(&long, policy).is_err());
    }

    #[test]
    fn the_test_policy_admits_http_on_127_0_0_1_only() {
        let policy = EndpointPolicy::allow_loopback_http_for_tests();
        let ok = Endpoint::parse("http://127.0.0.1:4567/push/1", policy).unwrap();
        assert!(!ok.tls());
        assert_eq!(ok.origin(), "http://127.0.0.1:4567");
        for bad in [
            "http://localhost:4567/x",
            "http://127.0.0.2:4567/x",
            "http://[::1]:4567/x",
            "http://10.0.0.1/x",
            "http://push.example.net/x",
            "https://127.0.0.1/x",
        ] {
            assert!(
                Endpoint::parse(bad, policy).is_err(),
                "{bad} must be refused"
            );
        }
    }

    #[test]
    fn only_public_resolved_addresses_are_connected_to() {
        let policy = EndpointPolicy::public_https_only();
        let endpoint = Endpoint::parse("https://push.example.net/x", policy).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A rebinding answer: one public, one inward address.
        let allowed = check_addresses(&endpoint, [ip("127.0.0.1"), ip("8.8.8.8")]).unwrap();
        assert_eq!(allowed, vec![ip("8.8.8.8")]);
        let err = check_addresses(&endpoint, [ip("10.1.2.3"), ip("::1"), ip("::ffff:8.8.8.8")])
            .unwrap_err();
        assert!(matches!(err, PushError::NotPublic));
        let test = Endpoint::parse(
            "http://127.0.0.1:9/x",
            EndpointPolicy::allow_loopback_http_for_tests(),
        )
        .unwrap();
        assert!(check_addresses(&test, [ip("127.0.0.1")]).is_ok());
    }
}
