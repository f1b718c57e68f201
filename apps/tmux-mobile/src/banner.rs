//! What the person at the terminal sees at startup: the URL lines (each on
//! its own line, in a fixed `Label: value` form that scripts and tests can
//! grep) and a QR code of the best URL ([`crate::qr`], feature `qr`).
//!
//! The banner is the one place where secrets are printed on purpose, and it
//! goes to stdout only, never through the logger.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// The base URL (scheme, host, port; no trailing slash) a browser on this
/// machine uses to reach a server bound to `addr`. A wildcard bind address is
/// reached through loopback.
pub(crate) fn local_base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    // SocketAddr's Display brackets IPv6 addresses, as URLs need.
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// For a wildcard bind (`0.0.0.0` or `::`), the base URL that other machines
/// on the network use: the address of the interface with the outward route.
/// `None` for a specific bind address (the local URL already names it) or
/// when there is no such interface.
pub(crate) fn network_base_url(addr: SocketAddr) -> Option<String> {
    network_base_url_with(addr, outward_ip)
}

fn network_base_url_with(
    addr: SocketAddr,
    outward: impl FnOnce(bool) -> Option<IpAddr>,
) -> Option<String> {
    if !addr.ip().is_unspecified() {
        return None;
    }
    let ip = outward(addr.is_ipv6()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())?;
    Some(format!("http://{}", SocketAddr::new(ip, addr.port())))
}

/// The local address the system would use to reach a documentation-range
/// address (RFC 5737 / RFC 3849). Connecting a UDP socket sends nothing; it
/// only chooses the route.
fn outward_ip(v6: bool) -> Option<IpAddr> {
    let (bind, probe) = if v6 {
        ("[::]:0", "[2001:db8::1]:9")
    } else {
        ("0.0.0.0:0", "192.0.2.1:9")
    };
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect(probe).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

/// `<base>/?token=<token>`, with the token percent-encoded.
pub(crate) fn url_with_token(base: &str, token: &str) -> String {
    let mut url = String::with_capacity(base.len() + token.len() + 9);
    url.push_str(base.trim_end_matches('/'));
    url.push_str("/?token=");
    for byte in token.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            let _ = write!(url, "%{byte:02X}");
        }
    }
    url
}

/// The lines printed once the server listens, in order.
pub(crate) struct StartupBanner<'a> {
    /// Base URL of the local server (see [`local_base_url`]).
    pub local_base: &'a str,
    /// Base URL for other machines, for a wildcard bind (see
    /// [`network_base_url`]).
    pub network_base: Option<&'a str>,
    /// Full-control token.
    pub token: &'a str,
    /// Password, when one is required.
    pub password: Option<&'a str>,
    /// Read-only token, when `--read-only-link` was given.
    pub read_only_token: Option<&'a str>,
}

impl StartupBanner<'_> {
    /// `Local URL: ...`, then `Network URL: ...`, `Password: ...` and
    /// `Read-only URL: ...` when they apply.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "Local URL: {}",
            url_with_token(self.local_base, self.token)
        )];
        if let Some(network) = self.network_base {
            lines.push(format!(
                "Network URL: {}",
                url_with_token(network, self.token)
            ));
        }
        if let Some(password) = self.password {
            lines.push(format!("Password: {password}"));
        }
        if let Some(read_only) = self.read_only_token {
            lines.push(format!(
                "Read-only URL: {}",
                url_with_token(self.local_base, read_only)
            ));
        }
        lines
    }
}

/// `Tunnel URL: ...` (and `Read-only tunnel URL: ...`) for a tunnel base URL
/// such as `https://name.trycloudflare.com`.
pub(crate) fn tunnel_lines(
    tunnel_base: &str,
    token: &str,
    read_only_token: Option<&str>,
) -> Vec<String> {
    let mut lines = vec![format!(
        "Tunnel URL: {}",
        url_with_token(tunnel_base, token)
    )];
    if let Some(read_only) = read_only_token {
        lines.push(format!(
            "Read-only tunnel URL: {}",
            url_with_token(tunnel_base, read_only)
        ));
    }
    lines
}

/// Prints the banner parts to stdout, holding the tokens they need. Not
/// `Debug`: it holds secrets.
pub(crate) struct Printer {
    token: String,
    read_only_token: Option<String>,
    color: bool,
}

impl Printer {
    /// A printer for these tokens; `color` pins the QR code's colours (for
    /// a terminal, not for a pipe).
    pub(crate) fn new(token: String, read_only_token: Option<String>, color: bool) -> Self {
        Self {
            token,
            read_only_token,
            color,
        }
    }

    /// The startup lines for the local server, and the QR code of the best
    /// URL a phone can use (the network URL if any, else the local one) when
    /// `with_qr`, that is, when no tunnel URL is coming.
    pub(crate) fn local(
        &self,
        local_base: &str,
        network_base: Option<&str>,
        password: Option<&str>,
        with_qr: bool,
    ) {
        let banner = StartupBanner {
            local_base,
            network_base,
            token: &self.token,
            password,
            read_only_token: self.read_only_token.as_deref(),
        };
        let best = network_base.unwrap_or(local_base);
        let qr_url = with_qr.then(|| url_with_token(best, &self.token));
        self.emit(&banner.lines(), qr_url.as_deref());
    }

    /// The QR code of `base` with the token, alone (after the tunnel
    /// failed).
    pub(crate) fn qr_only(&self, base: &str) {
        self.emit(&[], Some(&url_with_token(base, &self.token)));
    }

    /// The tunnel lines and the QR code of the tunnel URL.
    pub(crate) fn tunnel(&self, tunnel_base: &str) {
        let lines = tunnel_lines(tunnel_base, &self.token, self.read_only_token.as_deref());
        self.emit(&lines, Some(&url_with_token(tunnel_base, &self.token)));
    }

    /// Writes `lines` and a QR code of `qr_url` in one go. Errors (a closed
    /// stdout) are ignored: the server keeps serving.
    fn emit(&self, lines: &[String], qr_url: Option<&str>) {
        let mut text = String::new();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        #[cfg(feature = "qr")]
        if let Some(url) = qr_url {
            match crate::qr::render_qr(url) {
                Ok(qr) => {
                    text.push('\n');
                    text.push_str(&if self.color {
                        crate::qr::colorize_qr(&qr)
                    } else {
                        qr
                    });
                    text.push('\n');
                }
                Err(e) => log::warn!("{e}"),
            }
        }
        #[cfg(not(feature = "qr"))]
        let _ = (qr_url, self.color);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_base_urls() {
        let cases = [
            ("127.0.0.1:8767", "http://127.0.0.1:8767"),
            ("0.0.0.0:8767", "http://127.0.0.1:8767"),
            ("192.168.1.5:80", "http://192.168.1.5:80"),
            ("[::]:9000", "http://[::1]:9000"),
            ("[::1]:9000", "http://[::1]:9000"),
        ];
        for (addr, url) in cases {
            assert_eq!(local_base_url(addr.parse().unwrap()), url);
        }
    }

    #[test]
    fn token_is_percent_encoded() {
        assert_eq!(
            url_with_token("http://127.0.0.1:1", "AbC-_9"),
            "http://127.0.0.1:1/?token=AbC-_9"
        );
        assert_eq!(
            url_with_token("https://x.trycloudflare.com/", "a+b/c=&d"),
            "https://x.trycloudflare.com/?token=a%2Bb%2Fc%3D%26d"
        );
    }

    #[test]
    fn startup_lines_each_on_their_own_line() {
        let banner = StartupBanner {
            local_base: "http://127.0.0.1:8767",
            network_base: None,
            token: "tok",
            password: Some("pw"),
            read_only_token: Some("ro"),
        };
        assert_eq!(
            banner.lines(),
            [
                "Local URL: http://127.0.0.1:8767/?token=tok",
                "Password: pw",
                "Read-only URL: http://127.0.0.1:8767/?token=ro",
            ]
        );
        let bare = StartupBanner {
            password: None,
            read_only_token: None,
            ..banner
        };
        assert_eq!(
            bare.lines(),
            ["Local URL: http://127.0.0.1:8767/?token=tok"]
        );
        let networked = StartupBanner {
            network_base: Some("http://192.168.1.5:8767"),
            ..bare
        };
        assert_eq!(
            networked.lines(),
            [
                "Local URL: http://127.0.0.1:8767/?token=tok",
                "Network URL: http://192.168.1.5:8767/?token=tok",
            ]
        );
    }

    #[test]
    fn network_url_only_for_wildcard_binds() {
        let lan = |_v6: bool| Some("192.168.1.5".parse().unwrap());
        assert_eq!(
            network_base_url_with("0.0.0.0:8767".parse().unwrap(), lan).as_deref(),
            Some("http://192.168.1.5:8767")
        );
        let lan6 = |v6: bool| {
            assert!(v6);
            Some("fd00::5".parse().unwrap())
        };
        assert_eq!(
            network_base_url_with("[::]:80".parse().unwrap(), lan6).as_deref(),
            Some("http://[fd00::5]:80")
        );
        for specific in ["127.0.0.1:8767", "192.168.1.5:8767", "[::1]:1"] {
            let never = |_: bool| -> Option<IpAddr> { panic!("not asked for {specific}") };
            assert_eq!(
                network_base_url_with(specific.parse().unwrap(), never),
                None
            );
        }
        let offline = |_: bool| Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(
            network_base_url_with("0.0.0.0:1".parse().unwrap(), offline),
            None
        );
        assert_eq!(
            network_base_url_with("0.0.0.0:1".parse().unwrap(), |_| None),
            None
        );
    }

    #[test]
    fn tunnel_line() {
        assert_eq!(
            tunnel_lines("https://a-b.trycloudflare.com", "t", None),
            ["Tunnel URL: https://a-b.trycloudflare.com/?token=t"]
        );
        assert_eq!(
            tunnel_lines("https://a-b.trycloudflare.com", "t", Some("r"))[1],
            "Read-only tunnel URL: https://a-b.trycloudflare.com/?token=r"
        );
    }
}
