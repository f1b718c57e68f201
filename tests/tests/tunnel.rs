//! The tunnel wiring of the real binary, with a fake `cloudflared` on `PATH`
//! (`tests/fixtures/fake-cloudflared`: prints a quick-tunnel banner on
//! stderr and stays up until SIGTERM; cloudflared itself cannot be installed
//! on CI). Checks the `Tunnel URL:` line, that the server accepts a
//! WebSocket from the tunnel's origin and refuses other origins, that a
//! restarted tunnel's new origin replaces the old one, and that cloudflared
//! is gone after SIGTERM of tmux-mobile.

use std::time::Duration;

use nix::sys::signal::Signal;
use tmux_mobile_e2e::procs::{self, ProcessInfo};
use tmux_mobile_e2e::ws;
use tmux_mobile_e2e::{App, AppCommand, DEADLINE, FakeCloudflared, TmuxSandbox};

const TUNNEL_ORIGIN: &str = FakeCloudflared::ORIGIN;
const RESTARTED_ORIGIN: &str = FakeCloudflared::RESTARTED_ORIGIN;
const EXIT_BOUND: Duration = Duration::from_secs(5);

/// The running fake cloudflared processes among `app`'s children.
fn cloudflared_children(app: &App) -> Vec<ProcessInfo> {
    procs::descendants(app.pid())
        .into_iter()
        .filter(|p| p.comm == "sleep" || p.comm == "cloudflared")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunnel_url_is_printed_and_its_origin_allowed() {
    let sandbox = TmuxSandbox::new();
    let fake = FakeCloudflared::new();
    let app = fake.command("steady", &[]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let tunnel = app.wait_for_stdout("Tunnel URL: ", DEADLINE);
    assert_eq!(tunnel, format!("{TUNNEL_ORIGIN}/?token={}", local.token));

    let starts = fake.starts();
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert_eq!(
        starts[0].1,
        format!(
            "tunnel --no-autoupdate --url http://127.0.0.1:{}",
            local.port
        ),
        "cloudflared points at the local port"
    );

    // The tunnel's origin may open the sockets; a look-alike or another
    // site may not; a same-origin browser and a non-browser client may.
    assert_eq!(
        ws::upgrade_status(local.port, "/ws/control", Some(TUNNEL_ORIGIN)).await,
        None
    );
    assert_eq!(
        ws::upgrade_status(local.port, "/ws/terminal", Some(TUNNEL_ORIGIN)).await,
        None
    );
    for refused in [
        "https://evil.example.com",
        "https://test-abc.trycloudflare.com.evil.net",
        "http://test-abc.trycloudflare.com",
        "null",
    ] {
        assert_eq!(
            ws::upgrade_status(local.port, "/ws/control", Some(refused)).await,
            Some(403),
            "{refused}"
        );
    }
    // As cloudflared forwards it: the browser's Host and Origin are the
    // tunnel's; the server must not refuse that Host.
    let host = TUNNEL_ORIGIN.trim_start_matches("https://");
    let mut through_tunnel = ws::connect_with_headers(
        local.port,
        "/ws/control",
        &[("Host", host), ("Origin", TUNNEL_ORIGIN)],
    )
    .await
    .expect("an upgrade as forwarded by cloudflared is accepted");
    ws::send_json(
        &mut through_tunnel,
        &serde_json::json!({"type": "auth", "token": local.token}),
    )
    .await;
    let auth_ok = ws::recv_json(&mut through_tunnel, DEADLINE).await;
    assert_eq!(auth_ok["type"], "auth_ok", "{auth_ok}");

    let same_origin = format!("http://127.0.0.1:{}", local.port);
    assert_eq!(
        ws::upgrade_status(local.port, "/ws/control", Some(&same_origin)).await,
        None
    );

    let children = cloudflared_children(&app);
    assert!(
        children.iter().any(|p| p.pid == starts[0].0),
        "the fake runs as a child: {children:?}"
    );
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_BOUND);
    assert!(out.status.success(), "{out:?}");
    let alive: Vec<_> = children.iter().filter(|p| procs::is_alive(p)).collect();
    assert!(alive.is_empty(), "cloudflared left running: {alive:?}");
    // The QR code comes with the tunnel URL.
    let tunnel_line = out
        .stdout
        .find("Tunnel URL: ")
        .expect("Tunnel URL line in the output");
    assert!(out.stdout[tunnel_line..].contains('█'), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_tunnel_replaces_the_allowed_origin() {
    let sandbox = TmuxSandbox::new();
    let fake = FakeCloudflared::new();
    let app = fake
        .command("restart", &["--read-only-link"])
        .spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let first = app.wait_for_stdout("Tunnel URL: ", DEADLINE);
    assert!(first.starts_with(TUNNEL_ORIGIN), "{first}");
    // The first fake exits after a second; the tunnel crate restarts it and
    // the second one reports another host.
    let second = app.wait_for_stdout(&format!("Tunnel URL: {RESTARTED_ORIGIN}"), DEADLINE);
    assert_eq!(second, format!("/?token={}", local.token));
    app.wait_for_stdout(
        &format!("Read-only tunnel URL: {RESTARTED_ORIGIN}"),
        DEADLINE,
    );

    assert_eq!(
        ws::upgrade_status(local.port, "/ws/control", Some(RESTARTED_ORIGIN)).await,
        None
    );
    assert_eq!(
        ws::upgrade_status(local.port, "/ws/control", Some(TUNNEL_ORIGIN)).await,
        Some(403),
        "the dead tunnel's origin is no longer allowed"
    );
    assert_eq!(fake.starts().len(), 2, "{:?}", fake.starts());

    let children = cloudflared_children(&app);
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_BOUND);
    assert!(out.status.success(), "{out:?}");
    assert!(children.iter().all(|p| !procs::is_alive(p)), "{children:?}");
}

#[test]
fn missing_cloudflared_prints_help_and_serves_locally() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::new(["--port", "0", "--cloudflared", "/nonexistent/cloudflared"])
        .spawn(&sandbox);
    app.local_url(DEADLINE);
    assert!(
        app.wait_for_stderr("--no-tunnel", DEADLINE).is_some(),
        "the help paragraph says how to run without a tunnel\n{}",
        app.transcript()
    );
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_BOUND);
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.contains("Tunnel URL"), "{}", out.stdout);
    assert!(
        out.stdout.contains('█'),
        "QR code of the local URL:\n{}",
        out.stdout
    );
}

#[test]
fn missing_cloudflared_with_tunnel_required_fails() {
    let sandbox = TmuxSandbox::new();
    let out = AppCommand::new([
        "--port",
        "0",
        "--cloudflared",
        "/nonexistent/cloudflared",
        "--tunnel-required",
    ])
    .run(&sandbox, DEADLINE);
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stderr.contains("--tunnel-required"), "{}", out.stderr);
    assert!(
        out.stderr.contains("brew install cloudflared"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("Local URL"), "{}", out.stdout);
}

#[test]
fn signal_while_the_tunnel_starts_stops_everything() {
    let sandbox = TmuxSandbox::new();
    let fake = FakeCloudflared::new();
    let app = fake.command("silent", &[]).spawn(&sandbox);
    app.local_url(DEADLINE);
    assert!(
        tmux_mobile_e2e::wait_until(DEADLINE, || fake.starts().len() == 1),
        "the fake cloudflared was started\n{}",
        app.transcript()
    );
    let children = cloudflared_children(&app);
    assert!(!children.is_empty(), "{children:?}");
    // Still waiting for a URL (default timeout 30 s): SIGTERM must not wait.
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_BOUND);
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.contains("Tunnel URL"), "{}", out.stdout);
    let alive: Vec<_> = children.iter().filter(|p| procs::is_alive(p)).collect();
    assert!(alive.is_empty(), "cloudflared left running: {alive:?}");
}

#[test]
fn tunnel_timeout_falls_back_to_local_unless_required() {
    let sandbox = TmuxSandbox::new();
    let fake = FakeCloudflared::new();
    let app = fake
        .command("silent", &["--tunnel-timeout", "1"])
        .spawn(&sandbox);
    app.local_url(DEADLINE);
    assert!(
        app.wait_for_stderr("serving the local URL only", DEADLINE)
            .is_some(),
        "{}",
        app.transcript()
    );
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_BOUND);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stdout.contains('█'),
        "QR code of the local URL:\n{}",
        out.stdout
    );

    let out = fake
        .command("silent", &["--tunnel-timeout", "1", "--tunnel-required"])
        .run(&sandbox, DEADLINE);
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stderr.contains("--tunnel-required"), "{}", out.stderr);
    for (pid, _) in fake.starts() {
        assert!(
            procs::read_process(pid).is_none_or(|p| p.state == 'Z'),
            "fake cloudflared {pid} left running"
        );
    }
}
