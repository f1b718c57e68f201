//! Start-up and size: process start to an accepting port (W7), and the
//! release binary's size with the page weight of a first load (W10).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tmux_mobile_e2e::AppCommand;

use crate::Bench;
use crate::report::{Kind, Outcome, num};
use crate::servers::{TmServer, TmuxServer, free_port};
use crate::stats::Samples;

/// W7: ×20 (×5 with `--quick`) starts on one tmux server, each timed from
/// just before the spawn until a TCP connect to its port succeeds.
pub(super) fn w7(bench: &Bench) -> Result<Outcome, String> {
    let reps = bench.reps(20, 5);
    let tmux = TmuxServer::start(&[])?;
    let mut start = Samples::new();
    for _ in 0..reps {
        let port = free_port()?.to_string();
        let cmd = AppCommand::new(["--no-tunnel", "--no-require-password", "--port", &port]);
        let port: u16 = port.parse().map_err(|_| "port")?;
        let t0 = Instant::now();
        let mut app = cmd.spawn_binary(&bench.bin, tmux.sandbox());
        let deadline = t0 + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                start.push(t0.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "port {port} not accepting after 10 s:\n{}",
                    app.transcript()
                ));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        app.signal(nix::sys::signal::Signal::SIGTERM);
        if app.wait_exit(Duration::from_secs(10)).is_none() {
            return Err("tmux-mobile did not exit within 10 s of SIGTERM".into());
        }
    }
    let mut o = Outcome::default();
    o.figure(
        "start → accepting",
        "tmux-mobile",
        "ms",
        Kind::Run,
        start.clone(),
    );
    let median = start.median().unwrap_or(f64::NAN);
    o.check(
        "≤ 20 ms",
        format!("{} ms (median)", num(median)),
        median <= 20.0,
    );
    Ok(o)
}

/// One HTTP/1.1 GET; returns the status and the body as sent (still
/// compressed when the server compressed it) and the `Content-Encoding`.
fn get(port: u16, path: &str, gzip: bool) -> Result<(u16, Vec<u8>, String), String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let encoding = if gzip {
        "Accept-Encoding: gzip\r\n"
    } else {
        ""
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{encoding}Connection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read {path}: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header end in the answer to {path}"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in the answer to {path}"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(format!(
            "{path} came chunked; this client counts plain bodies only"
        ));
    }
    let content_encoding = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-encoding")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    Ok((status, body, content_encoding))
}

/// Every `src` and `href` of a page that names a file of the server, as an
/// absolute path: `/x` as it is, `./x` (the page is served at `/`; the UI
/// uses relative URLs so that it also works mounted under a path) as `/x`.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                let url = &rest[..end];
                let path = match url.strip_prefix("./") {
                    Some(relative) => format!("/{relative}"),
                    None if url.starts_with('/') && !url.starts_with("//") => url.to_owned(),
                    None => continue,
                };
                if !out.contains(&path) {
                    out.push(path);
                }
            }
        }
    }
    out
}

/// W10: the binary's size, and what a first load transfers with gzip: the
/// page and everything it references, fonts excluded (they load only when
/// a glyph needs them).
pub(super) fn w10(bench: &Bench) -> Result<Outcome, String> {
    let size = std::fs::metadata(&bench.bin)
        .map_err(|e| format!("{}: {e}", bench.bin.display()))?
        .len() as f64
        / 1e6;
    let tm = TmServer::start(&bench.bin)?;
    let (status, page, _) = get(tm.port, "/", false)?;
    if status != 200 {
        return Err(format!("GET / answered {status}"));
    }
    let html = String::from_utf8_lossy(&page).into_owned();
    let mut parts = vec!["/".to_owned()];
    parts.extend(
        references(&html)
            .into_iter()
            .filter(|u| !u.starts_with("/fonts/")),
    );
    let mut total = 0usize;
    let mut listing = Vec::new();
    for path in &parts {
        let (status, body, encoding) = get(tm.port, path, true)?;
        if status != 200 {
            return Err(format!("GET {path} answered {status}"));
        }
        total += body.len();
        let enc = if encoding.is_empty() {
            "identity"
        } else {
            encoding.as_str()
        };
        listing.push(format!("{path} {} B ({enc})", body.len()));
    }
    let kb = total as f64 / 1e3;
    let mut o = Outcome::default();
    o.figure(
        "release binary",
        "tmux-mobile",
        "MB",
        Kind::Run,
        Samples::one(size),
    );
    o.figure(
        "first load, gzip, no fonts",
        "tmux-mobile",
        "KB",
        Kind::Run,
        Samples::one(kb),
    );
    o.check("binary ≤ 8 MB", format!("{} MB", num(size)), size <= 8.0);
    o.check(
        "first load ≤ 150 KB",
        format!("{} KB", num(kb)),
        kb <= 150.0,
    );
    o.note(format!("first load: {}", listing.join(", ")));
    Ok(o)
}
