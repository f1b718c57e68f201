//! Flags reach the server: `--scrollback` and `--no-require-password` show
//! in `/api/config`, `--allow-origin` opens the sockets to that origin only,
//! `--resume-grace` bounds how long a dropped client's session is kept.

use std::time::Duration;

use nix::sys::signal::Signal;
use tmux_mobile_e2e::ws;
use tmux_mobile_e2e::{AppCommand, DEADLINE, TmuxSandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EXIT_DEADLINE: Duration = Duration::from_secs(10);

/// `GET <path>` over a plain TCP connection; returns the whole response.
async fn http_get(port: u16, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut response = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read response");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_reflects_the_flags() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--scrollback", "2500", "--no-require-password"]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let response = http_get(local.port, "/api/config").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .expect("a body");
    let config: serde_json::Value = serde_json::from_str(body).expect("JSON config");
    assert_eq!(config["scrollbackLines"], 2500, "{config}");
    assert_eq!(config["passwordRequired"], false, "{config}");
    app.signal(Signal::SIGTERM);
    assert!(app.finish(EXIT_DEADLINE).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_origin_opens_the_sockets_to_that_origin_only() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--allow-origin", "https://Term.Example.com/"]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    assert_eq!(
        ws::upgrade_status(local.port, "/ws/control", Some("https://term.example.com")).await,
        None
    );
    assert_eq!(
        ws::upgrade_status(local.port, "/ws/control", Some("https://other.example.com")).await,
        Some(403)
    );
    app.signal(Signal::SIGTERM);
    assert!(app.finish(EXIT_DEADLINE).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_grace_bounds_how_long_a_dropped_client_is_kept() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--no-require-password", "--resume-grace", "1"]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let control = ws::control_attach(local.port, &local.token, None, DEADLINE).await;
    let grouped = control.attached_session.clone();
    assert!(sandbox.session_names().contains(&grouped));
    drop(control);
    // With the default grace (30 s) this would outlast the deadline.
    assert!(
        tmux_mobile_e2e::wait_until(DEADLINE, || !sandbox.session_names().contains(&grouped)),
        "{grouped} still exists after the 1 s grace period"
    );
    app.signal(Signal::SIGTERM);
    assert!(app.finish(EXIT_DEADLINE).status.success());
}
