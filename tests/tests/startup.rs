//! What the real binary prints at startup, and that what it prints works:
//! the token and password of the `Local URL:`/`Password:` lines authenticate
//! a WebSocket client, the `Read-only URL:` token gives a read-only client.
//! Also: a port that is taken gives a clear error, not a panic.

use std::net::TcpListener;
use std::time::Duration;

use nix::sys::signal::Signal;
use tmux_mobile_e2e::ws;
use tmux_mobile_e2e::{AppCommand, DEADLINE, LocalUrl, TmuxSandbox};

const EXIT_DEADLINE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_urls_and_password_authenticate() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--read-only-link"]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let password = app.wait_for_stdout("Password: ", DEADLINE);
    let read_only = app.wait_for_stdout("Read-only URL: ", DEADLINE);
    let read_only = LocalUrl::parse(&read_only).expect("Read-only URL has the Local URL form");

    assert_ne!(local.port, 0, "--port 0 prints the port actually bound");
    assert_eq!(read_only.port, local.port);
    assert!(
        local.token.len() >= 20,
        "token looks random: {}",
        local.token
    );
    assert!(password.len() >= 16, "password looks random");
    assert_ne!(read_only.token, local.token);

    let control = ws::control_attach(local.port, &local.token, Some(&password), DEADLINE).await;
    assert_eq!(control.auth_ok["requiresPassword"], true);
    assert_ne!(control.auth_ok["readOnly"], true);
    assert!(
        control.attached_session.starts_with("tmux-mobile-client-"),
        "{}",
        control.attached_session
    );

    let viewer =
        ws::control_attach(read_only.port, &read_only.token, Some(&password), DEADLINE).await;
    assert_eq!(viewer.auth_ok["readOnly"], true, "{}", viewer.auth_ok);

    // A wrong password is refused.
    let mut wrong = ws::connect(local.port, "/ws/control", None)
        .await
        .expect("connect");
    ws::send_json(
        &mut wrong,
        &serde_json::json!({"type": "auth", "token": local.token, "password": "nope"}),
    )
    .await;
    let refused = ws::recv_json(&mut wrong, DEADLINE).await;
    assert_eq!(refused["type"], "auth_error", "{refused}");

    // The default session was created on the private tmux server.
    assert!(sandbox.session_names().iter().any(|s| s == "main"));

    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_DEADLINE);
    assert!(out.status.success(), "{out:?}");
    // The QR code of the local URL came with the banner (no tunnel asked).
    assert!(out.stdout.contains('█'), "QR code printed:\n{}", out.stdout);
    // Secrets go to stdout only, never to the log on stderr.
    assert!(!out.stderr.contains(&local.token), "token leaked to stderr");
    assert!(!out.stderr.contains(&password), "password leaked to stderr");
}

#[test]
fn given_password_is_printed_and_no_password_prints_none() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--password", "correct horse"]).spawn(&sandbox);
    assert_eq!(app.wait_for_stdout("Password: ", DEADLINE), "correct horse");
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_DEADLINE);
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.contains("Read-only URL"), "{}", out.stdout);

    let app = AppCommand::local(&["--no-require-password"]).spawn(&sandbox);
    app.local_url(DEADLINE);
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_DEADLINE);
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.contains("Password:"), "{}", out.stdout);
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("Local URL: "))
            .count(),
        1
    );
}

/// The command line of process `pid` as `ps` shows it to every local user.
fn cmdline(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).expect("read /proc/<pid>/cmdline");
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_file_and_variable_stay_out_of_ps_and_work() {
    let sandbox = TmuxSandbox::new();
    let file = sandbox.tmpdir().join("password");
    std::fs::write(&file, "from a file 7f3c\n").expect("write the password file");
    let file = file.to_str().expect("UTF-8 temp path").to_owned();
    // The first run starts the tmux server, with the variable set.
    let runs = [
        (
            AppCommand::local(&[]).env("TMUX_MOBILE_PASSWORD", "from the environment 9e1d"),
            "from the environment 9e1d",
        ),
        (
            AppCommand::local(&["--password-file", &file]),
            "from a file 7f3c",
        ),
    ];
    for (command, password) in runs {
        let app = command.spawn(&sandbox);
        let local = app.local_url(DEADLINE);
        assert_eq!(app.wait_for_stdout("Password: ", DEADLINE), password);
        let shown = cmdline(app.pid());
        assert!(
            shown.contains("--no-tunnel"),
            "read the right process: {shown}"
        );
        assert!(!shown.contains(password), "password visible in ps: {shown}");
        let control = ws::control_attach(local.port, &local.token, Some(password), DEADLINE).await;
        assert_eq!(control.auth_ok["requiresPassword"], true);
        // The tmux server the app started, and so every shell in it, never
        // received the variable.
        let global = sandbox.tmux(&["show-environment", "-g"]);
        let global = String::from_utf8_lossy(&global.stdout);
        assert!(
            global.contains("TMUX_TMPDIR"),
            "read the environment: {global}"
        );
        assert!(!global.contains("TMUX_MOBILE_PASSWORD"), "{global}");
        assert!(!global.contains(password), "{global}");
        drop(control);
        app.signal(Signal::SIGTERM);
        let out = app.finish(EXIT_DEADLINE);
        assert!(out.status.success(), "{out:?}");
        assert!(!out.stderr.contains(password), "password leaked to stderr");
    }
}

#[test]
fn port_in_use_is_a_clear_error() {
    let sandbox = TmuxSandbox::new();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("addr").port();
    let out = AppCommand::new(["--no-tunnel", "--port", &port.to_string()]).run(&sandbox, DEADLINE);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        out.stderr
            .contains(&format!("port {port} is in use; pick another with --port")),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(!out.stdout.contains("Local URL"), "{}", out.stdout);
}

#[test]
fn debug_log_goes_to_the_file_without_secrets() {
    let sandbox = TmuxSandbox::new();
    let log = sandbox.tmpdir().join("debug.log");
    let app = AppCommand::local(&[])
        .env("TMUX_MOBILE_DEBUG_LOG", &log)
        .spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let password = app.wait_for_stdout("Password: ", DEADLINE);
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_DEADLINE);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&log).expect("debug log written");
    assert!(text.contains("DEBUG"), "debug records in the file:\n{text}");
    assert!(
        !text.contains(&local.token),
        "token leaked to the debug log"
    );
    assert!(
        !text.contains(&password),
        "password leaked to the debug log"
    );
}

/// Kills the tmux server at a socket path on drop.
struct SocketPathServer(std::path::PathBuf);

impl Drop for SocketPathServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.0)
            .arg("kill-server")
            .env_remove("TMUX")
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_path_variable_selects_the_tmux_server() {
    let sandbox = TmuxSandbox::new();
    let socket = SocketPathServer(sandbox.tmpdir().join("explicit.sock"));
    let app = AppCommand::local(&["--no-require-password", "--session", "by-path"])
        .env_remove("TMUX_MOBILE_SOCKET_NAME")
        .env("TMUX_MOBILE_SOCKET_PATH", &socket.0)
        .spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let control = ws::control_attach(local.port, &local.token, None, DEADLINE).await;
    let listed = std::process::Command::new("tmux")
        .arg("-S")
        .arg(&socket.0)
        .args(["list-sessions", "-F", "#{session_name}"])
        .env_remove("TMUX")
        .output()
        .expect("tmux runs");
    let names = String::from_utf8_lossy(&listed.stdout);
    assert!(names.lines().any(|n| n == "by-path"), "{names}");
    assert!(
        names.lines().any(|n| n == control.attached_session),
        "{names}"
    );
    assert!(
        sandbox.session_names().is_empty(),
        "nothing on the -L server"
    );
    app.signal(Signal::SIGTERM);
    assert!(app.finish(EXIT_DEADLINE).status.success());
}

#[test]
fn rust_log_controls_stderr() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&[])
        .env("RUST_LOG", "tmux_mobile=debug")
        .spawn(&sandbox);
    app.local_url(DEADLINE);
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_DEADLINE);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.contains("DEBUG"), "{}", out.stderr);

    let app = AppCommand::local(&[])
        .env("RUST_LOG", "off")
        .spawn(&sandbox);
    app.local_url(DEADLINE);
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_DEADLINE);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stderr, "", "RUST_LOG=off silences the log");
}
