//! The embedding examples of `examples/`, run as their users run them and
//! driven over real WebSockets, so the crate docs cannot promise an
//! embedding that does not work.
//!
//! The example binaries are built by `cargo test` (it builds every example
//! of the package unless a single test target is selected); a test that
//! does not find its binary says so.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

use crate::common::DEADLINE;

/// `target/<profile>/examples/<name>`, next to this test binary's `deps/`.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo test -p tmux-mobile-server` (which builds the examples) \
         or `cargo build -p tmux-mobile-server --examples` first",
        path.display()
    );
    path
}

/// A private `TMUX_TMPDIR` whose tmux server (socket `socket`) is killed and
/// which is removed on drop, even when the test fails.
pub(crate) struct PrivateTmux {
    pub(crate) dir: PathBuf,
    pub(crate) socket: &'static str,
}

impl PrivateTmux {
    pub(crate) fn new(socket: &'static str) -> PrivateTmux {
        let dir = std::env::temp_dir().join(format!(
            "tmux-mobile-example-{socket}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("private TMUX_TMPDIR");
        // The session the example attaches to, running `/bin/sh` with no
        // user configuration (a login shell's rc files are slow and vary).
        let started = std::process::Command::new("tmux")
            .args([
                "-f",
                "/dev/null",
                "-L",
                socket,
                "new-session",
                "-d",
                "-s",
                "main",
                "/bin/sh",
            ])
            .env("TMUX_TMPDIR", &dir)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .status()
            .expect("start tmux");
        assert!(started.success(), "tmux new-session failed");
        PrivateTmux { dir, socket }
    }
}

impl Drop for PrivateTmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", self.socket, "kill-server"])
            .env("TMUX_TMPDIR", &self.dir)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts an example with a private tmux directory and returns it with the
/// first `http://` URL it printed.
async fn start(name: &str, args: &[&str], tmux: &PrivateTmux) -> (Child, String) {
    let mut child = Command::new(example_binary(name))
        .args(args)
        .env("TMUX_TMPDIR", &tmux.dir)
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the example");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(at) = line.find("http://") {
                return line[at..].trim().to_owned();
            }
        }
        panic!("the example exited without printing its URL");
    })
    .await
    .expect("URL in time");
    (child, url)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(DEADLINE, ws.next())
            .await
            .expect("message in time")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

async fn next_of_type(ws: &mut Ws, ty: &str) -> Value {
    loop {
        let msg = next_json(ws).await;
        assert_ne!(msg["type"], "auth_error", "{msg}");
        if msg["type"] == ty {
            return msg;
        }
    }
}

/// Authenticates on `/ws/control` and `/ws/terminal` of the server at
/// `base` (`http://host:port`), then types into the terminal and waits for
/// the echo: the whole path from a browser to tmux and back.
pub(crate) async fn drive(base: &str, token: &str, password: &str) {
    let ws_base = base.replacen("http://", "ws://", 1);
    let (mut control, _) = tokio_tungstenite::connect_async(format!("{ws_base}/ws/control"))
        .await
        .expect("control socket");
    let auth = json!({"type": "auth", "token": token, "password": password});
    control
        .send(Message::text(auth.to_string()))
        .await
        .expect("send auth");
    let ok = next_of_type(&mut control, "auth_ok").await;
    let client_id = ok["clientId"].as_str().expect("clientId").to_owned();
    next_of_type(&mut control, "attached").await;

    let (mut terminal, _) = tokio_tungstenite::connect_async(format!("{ws_base}/ws/terminal"))
        .await
        .expect("terminal socket");
    let auth = json!({"type": "auth", "token": token, "password": password, "clientId": client_id});
    terminal
        .send(Message::text(auth.to_string()))
        .await
        .expect("send terminal auth");
    terminal
        .send(Message::text("echo embedded-$((6*7))\r"))
        .await
        .expect("type");
    let mut seen = String::new();
    tokio::time::timeout(DEADLINE, async {
        while !seen.contains("embedded-42") {
            match terminal.next().await {
                Some(Ok(Message::Binary(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                Some(Ok(Message::Text(text))) => seen.push_str(&text),
                Some(Ok(_)) => {}
                other => panic!("terminal socket ended: {other:?}; output so far {seen:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no echo; output so far {seen:?}"));
}

/// Sends SIGINT (what Ctrl-C sends) and waits for a clean exit.
async fn interrupt(mut child: Child) {
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the example stops on Ctrl-C")
        .expect("wait");
    assert!(exit.success(), "example exited with {exit}");
}

/// Whether the private tmux server still has a session of tmux-mobile's.
pub(crate) fn managed_sessions_left(tmux: &PrivateTmux) -> Vec<String> {
    let out = std::process::Command::new("tmux")
        .args(["-L", tmux.socket, "list-sessions", "-F", "#{session_name}"])
        .env("TMUX_TMPDIR", &tmux.dir)
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .output()
        .expect("tmux list-sessions");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|name| name.starts_with("tmux-mobile-client-"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embed_example_serves_a_browser_over_websockets() {
    let tmux = PrivateTmux::new("embedded");
    let (child, url) = start("embed", &["0"], &tmux).await;
    let (base, token) = url.split_once("/?token=").expect("URL with a token");
    drive(base, token, "correct horse").await;
    interrupt(child).await;
    assert_eq!(managed_sessions_left(&tmux), Vec::<String>::new());
}

/// An HTTP response read off the wire.
struct Got {
    /// The status line.
    status: String,
    /// The header lines, as sent.
    head: String,
    body: Vec<u8>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    /// The value of header `name` (case-insensitive), if present.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// `GET path` on the server at `addr` (`host:port`).
async fn http_get(addr: &str, path: &str) -> Got {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head and body");
    let head = String::from_utf8(response[..split].to_vec()).expect("an ASCII head");
    let status = head.lines().next().unwrap_or_default().to_owned();
    Got {
        status,
        head,
        body: response[split + 4..].to_vec(),
    }
}

/// `reference` (a URL found in the UI) resolved against the directory
/// `dir` (`/tmux/`, `/tmux/assets/`): it must be relative, so that the UI
/// loads wherever it is mounted.
fn resolve(dir: &str, reference: &str) -> String {
    assert!(
        !reference.starts_with('/') && !reference.contains("://"),
        "{reference:?} is not relative to the page"
    );
    let mut segments: Vec<&str> = dir.trim_end_matches('/').split('/').collect();
    let mut rest = reference;
    loop {
        if let Some(after) = rest.strip_prefix("./") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix("../") {
            assert!(segments.len() > 1, "{reference:?} climbs out of {dir}");
            segments.pop();
            rest = after;
        } else {
            break;
        }
    }
    format!("{}/{rest}", segments.join("/"))
}

/// The values of `attr="…"` in `text`.
fn attribute_values<'t>(text: &'t str, attr: &str) -> Vec<&'t str> {
    let needle = format!("{attr}=\"");
    text.match_indices(&needle)
        .filter_map(|(at, _)| {
            let value = &text[at + needle.len()..];
            value.find('"').map(|end| &value[..end])
        })
        .collect()
}

/// The browser UI loads from the mount path: `<prefix>` redirects to
/// `<prefix>/` (query kept), the page there names every file relatively,
/// and each file it names (stylesheet, script, icons, manifest, and what
/// the manifest and the stylesheet name in turn) is served under the
/// prefix.
async fn assert_ui_loads_under(addr: &str, prefix: &str, token: &str) {
    let got = http_get(addr, &format!("{prefix}?token={token}")).await;
    assert!(got.status.contains(" 308 "), "{}", got.status);
    assert_eq!(
        got.header("location"),
        Some(format!("{prefix}/?token={token}").as_str())
    );

    let dir = format!("{prefix}/");
    let page = http_get(addr, &format!("{dir}?token={token}")).await;
    assert!(page.status.contains(" 200 "), "{}", page.status);
    let html = page.text();
    assert!(html.contains("<title>tmux-mobile</title>"), "{html}");
    for absolute in ["src=\"/", "href=\"/"] {
        assert!(!html.contains(absolute), "{absolute} in {html}");
    }
    let mut references: Vec<&str> = attribute_values(&html, "src");
    references.extend(attribute_values(&html, "href"));
    assert!(references.len() >= 6, "{references:?}");
    let mut fetched = Vec::new();
    for reference in references {
        let path = resolve(&dir, reference);
        let got = http_get(addr, &path).await;
        assert!(got.status.contains(" 200 "), "{path}: {}", got.status);
        // Not the page again (an unknown path falls back to it).
        assert!(
            !got.body.starts_with(b"<!doctype html>"),
            "{path} is the page"
        );
        fetched.push((path, got));
    }

    let manifest = fetched
        .iter()
        .find(|(path, _)| path.ends_with(".webmanifest"))
        .expect("a manifest link");
    let manifest: Value = serde_json::from_str(&manifest.1.text()).expect("manifest JSON");
    assert_eq!(
        resolve(&dir, manifest["start_url"].as_str().expect("start_url")),
        dir
    );
    assert_eq!(
        resolve(&dir, manifest["scope"].as_str().expect("scope")),
        dir
    );
    let icons = manifest["icons"].as_array().expect("icons");
    assert!(!icons.is_empty());
    for icon in icons {
        let path = resolve(&dir, icon["src"].as_str().expect("icon src"));
        let got = http_get(addr, &path).await;
        assert!(got.status.contains(" 200 "), "{path}: {}", got.status);
    }

    let (css_path, css) = fetched
        .iter()
        .find(|(path, _)| path.ends_with(".css"))
        .expect("a stylesheet");
    let css_dir = &css_path[..=css_path.rfind('/').expect("a directory")];
    let css = css.text();
    let urls: Vec<&str> = css
        .match_indices("url(")
        .filter_map(|(at, _)| {
            let value = &css[at + 4..];
            value
                .find(')')
                .map(|end| value[..end].trim_matches(['"', '\'']))
        })
        .filter(|url| !url.starts_with("data:"))
        .collect();
    assert!(!urls.is_empty(), "the stylesheet names the symbols font");
    for url in urls {
        let path = resolve(css_dir, url);
        let got = http_get(addr, &path).await;
        assert!(got.status.contains(" 200 "), "{path}: {}", got.status);
    }

    // The service worker the page registers as `./sw.js`.
    let got = http_get(addr, &format!("{dir}sw.js")).await;
    assert!(got.status.contains(" 200 "), "{}", got.status);
    assert!(
        got.header("content-type")
            .is_some_and(|t| t.contains("javascript")),
        "{}",
        got.head
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mount_example_serves_tmux_mobile_under_a_path_next_to_host_routes() {
    let tmux = PrivateTmux::new("mounted");
    let (child, url) = start("mount", &["0"], &tmux).await;
    let (base, token) = url.split_once("/?token=").expect("URL with a token");
    assert!(base.ends_with("/tmux"), "{base}");
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches("/tmux")
        .to_owned();

    // The host's own routes answer next to the mounted server…
    let got = http_get(&addr, "/healthz").await;
    assert!(got.status.contains(" 200 "), "{}", got.status);
    assert_eq!(got.text(), "ok\n");
    // …and tmux-mobile answers under its prefix only.
    let got = http_get(&addr, "/tmux/api/config").await;
    assert!(got.status.contains(" 200 "), "{}", got.status);
    let config: Value = serde_json::from_str(&got.text()).expect("config JSON");
    assert_eq!(config["passwordRequired"], true, "{config}");
    let got = http_get(&addr, "/api/config").await;
    assert!(got.status.contains(" 200 "), "{}", got.status);
    assert!(got.text().contains("the host app"), "{}", got.text());

    assert_ui_loads_under(&addr, "/tmux", token).await;

    drive(base, token, "correct horse").await;
    interrupt(child).await;
    assert_eq!(managed_sessions_left(&tmux), Vec::<String>::new());
}
