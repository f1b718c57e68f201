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

/// `GET path` on the server at `addr` (`host:port`), returning the status
/// line and the body.
async fn http_get(addr: &str, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    tokio::time::timeout(DEADLINE, stream.read_to_string(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
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
    let (status, body) = http_get(&addr, "/healthz").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "ok\n");
    // …and tmux-mobile answers under its prefix only.
    let (status, body) = http_get(&addr, "/tmux/api/config").await;
    assert!(status.contains(" 200 "), "{status}");
    let config: Value = serde_json::from_str(&body).expect("config JSON");
    assert_eq!(config["passwordRequired"], true, "{config}");
    let (status, body) = http_get(&addr, "/api/config").await;
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.contains("the host app"), "{body}");

    drive(base, token, "correct horse").await;
    interrupt(child).await;
    assert_eq!(managed_sessions_left(&tmux), Vec::<String>::new());
}
