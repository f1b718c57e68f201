//! Faults around the real binary: tmux killed under attached phones, a
//! phone's `tmux attach` killed, a phone vanishing without a close frame,
//! SIGTERM/SIGINT with 20 phones, SIGKILL then a restart, and the tmux
//! binary replaced while the server runs. In each the program keeps
//! working (or stops cleanly) and the person is told what happened.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{Value, json};
use tmux_mobile_e2e::procs;
use tmux_mobile_e2e::ws::{self, ControlClient, Ws};
use tmux_mobile_e2e::{App, AppCommand, DEADLINE, LocalUrl, TempDir, TmuxSandbox, wait_until};

/// The binary aims at 2 s; CI is loaded, so allow a little more before
/// calling it a hang (the measured figure is printed).
const EXIT_BOUND: Duration = Duration::from_secs(3);

fn start(sandbox: &TmuxSandbox, extra: &[&str]) -> (App, LocalUrl) {
    let mut args = vec!["--no-require-password"];
    args.extend_from_slice(extra);
    let app = AppCommand::local(&args).spawn(sandbox);
    let local = app.local_url(DEADLINE);
    (app, local)
}

/// A phone: control socket and a terminal that has echoed once.
async fn phone(local: &LocalUrl) -> (ControlClient, Ws) {
    let control = ws::control_attach(local.port, &local.token, None, DEADLINE).await;
    let mut terminal =
        ws::terminal_attach(local.port, &local.token, None, &control.client_id).await;
    ws::send_text(&mut terminal, "echo up-$((3*3))\r").await;
    ws::read_terminal_until(&mut terminal, "up-9", DEADLINE).await;
    (control, terminal)
}

fn managed(sandbox: &TmuxSandbox) -> Vec<String> {
    sandbox
        .session_names()
        .into_iter()
        .filter(|s| s.starts_with("tmux-mobile-client-"))
        .collect()
}

/// Reads control messages until one satisfies `pred`.
async fn until(ws: &mut Ws, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(!left.is_zero(), "no {what} within {DEADLINE:?}");
        let msg = ws::recv_json(ws, left).await;
        if pred(&msg) {
            return msg;
        }
    }
}

/// `tmux kill-server` under two attached phones: they are told, the
/// server keeps running, and the next phone gets a fresh session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tmux_killed_under_attached_phones() {
    let sandbox = TmuxSandbox::new();
    let (app, local) = start(&sandbox, &[]);
    let (mut first, _t1) = phone(&local).await;
    let (mut second, _t2) = phone(&local).await;

    let out = sandbox.tmux(&["kill-server"]);
    assert!(out.status.success(), "kill-server: {out:?}");

    // Each phone hears that its terminal ended, or sees the sessions go.
    for control in [&mut first, &mut second] {
        until(&mut control.ws, "a notice that tmux went away", |m| {
            m["type"] == "info"
                || m["type"] == "error"
                || (m["type"] == "tmux_state"
                    && m["state"]["sessions"]
                        .as_array()
                        .is_some_and(|s| s.iter().all(|s| s["name"] != "main")))
        })
        .await;
    }
    assert!(
        procs::read_process(app.pid()).is_some_and(|p| procs::is_alive(&p)),
        "the server keeps running\n{}",
        app.transcript()
    );
    // The next phone gets a fresh default session on a new tmux server.
    let (_control, mut terminal) = phone(&local).await;
    ws::send_text(&mut terminal, "echo again-$((4*4))\r").await;
    ws::read_terminal_until(&mut terminal, "again-16", DEADLINE).await;
    assert!(sandbox.session_names().iter().any(|s| s == "main"));
    drop(app);
}

/// The `tmux attach` under one phone is killed: that phone is told and
/// attached again; another phone is not disturbed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_pty_child_is_reported_and_replaced() {
    let sandbox = TmuxSandbox::new();
    let (app, local) = start(&sandbox, &[]);
    let (mut victim, _victim_terminal) = phone(&local).await;
    let before: Vec<u32> = attach_clients(&app);
    let (_other, mut other_terminal) = phone(&local).await;
    let victim_pid = *before.first().expect("a tmux attach under the server");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(victim_pid as i32),
        Signal::SIGKILL,
    )
    .expect("kill the PTY child");

    let info = until(&mut victim.ws, "info about the terminal", |m| {
        m["type"] == "info"
    })
    .await;
    assert!(
        info["message"]
            .as_str()
            .is_some_and(|m| m.contains("exited")),
        "{info}"
    );
    until(&mut victim.ws, "attached again", |m| {
        m["type"] == "attached"
    })
    .await;
    // A new terminal socket for the victim works.
    let mut terminal = ws::terminal_attach(local.port, &local.token, None, &victim.client_id).await;
    ws::send_text(&mut terminal, "echo back-$((5*5))\r").await;
    ws::read_terminal_until(&mut terminal, "back-25", DEADLINE).await;
    ws::send_text(&mut other_terminal, "echo other-$((6*6))\r").await;
    ws::read_terminal_until(&mut other_terminal, "other-36", DEADLINE).await;
    drop(app);
}

/// Pids of the phones' `tmux attach` processes under the server (not the
/// control-mode clients of the state watcher and the attention taps, which
/// ride on the phones' sessions, nor one-shot tmux commands).
fn attach_clients(app: &App) -> Vec<u32> {
    procs::descendants(app.pid())
        .into_iter()
        .filter(|p| p.comm.starts_with("tmux") && procs::is_alive(p))
        .filter(|p| {
            let argv = std::fs::read(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
            let argv: Vec<&[u8]> = argv.split(|&b| b == 0).collect();
            argv.contains(&&b"attach-session"[..]) && !argv.contains(&&b"-C"[..])
        })
        .map(|p| p.pid)
        .collect()
}

/// A phone whose connection dies without a close frame (the process holding
/// it is gone: the kernel resets the connection) is kept for the resume
/// grace, then its session is removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_phone_is_cleaned_up_after_the_grace() {
    let sandbox = TmuxSandbox::new();
    let (app, local) = start(&sandbox, &["--resume-grace", "1"]);
    let (control, terminal) = phone(&local).await;
    let session = control.attached_session.clone();
    assert!(managed(&sandbox).contains(&session));
    // Drop the TCP streams without a WebSocket close.
    let stream = control.ws.into_inner();
    drop(stream);
    drop(terminal.into_inner());
    let gone = Instant::now();
    assert!(
        wait_until(DEADLINE, || !managed(&sandbox).contains(&session)),
        "the vanished phone's session is removed after the grace"
    );
    let took = gone.elapsed();
    eprintln!("vanished phone: session removed {took:?} after the drop (grace 1 s)");
    assert!(
        took >= Duration::from_millis(900),
        "kept for the grace: {took:?}"
    );
    // Another phone is fine.
    phone(&local).await;
    drop(app);
}

/// SIGTERM and SIGINT with 20 phones attached: exit within the bound, no
/// managed session, no child left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_with_twenty_phones_stop_promptly_and_cleanly() {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let sandbox = TmuxSandbox::new();
        sandbox.tmux(&["new-session", "-d", "-s", "mine"]);
        let (app, local) = start(&sandbox, &["--session", "mine"]);
        let mut phones = Vec::new();
        for _ in 0..20 {
            phones.push(phone(&local).await);
        }
        assert_eq!(managed(&sandbox).len(), 20);
        let children = procs::descendants(app.pid());
        let started = Instant::now();
        app.signal(signal);
        let out = app.finish(Duration::from_secs(10));
        let took = started.elapsed();
        eprintln!("{signal:?} with 20 phones: exit after {took:?}");
        assert!(out.status.success(), "{out:?}");
        assert!(took < EXIT_BOUND, "{signal:?}: exit took {took:?}");
        assert!(managed(&sandbox).is_empty(), "{:?}", managed(&sandbox));
        assert_eq!(sandbox.session_names(), vec!["mine".to_owned()]);
        let alive: Vec<_> = children.iter().filter(|p| procs::is_alive(p)).collect();
        assert!(alive.is_empty(), "children left: {alive:?}");
    }
}

/// SIGKILL leaves managed sessions behind; the next start removes them and
/// leaves the user's own sessions alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_then_restart_removes_only_stale_managed_sessions() {
    let sandbox = TmuxSandbox::new();
    sandbox.tmux(&["new-session", "-d", "-s", "mine"]);
    sandbox.tmux(&["new-window", "-d", "-t", "=mine:"]);
    let (app, local) = start(&sandbox, &["--session", "mine"]);
    let _phones = [phone(&local).await, phone(&local).await];
    assert_eq!(managed(&sandbox).len(), 2);
    let user_windows = sandbox.tmux(&["list-windows", "-t", "=mine", "-F", "#{window_id}"]);
    app.signal(Signal::SIGKILL);
    drop(app);
    assert_eq!(managed(&sandbox).len(), 2, "SIGKILL leaves them behind");

    let (app, local) = start(&sandbox, &["--session", "mine"]);
    assert!(
        wait_until(DEADLINE, || managed(&sandbox).is_empty()),
        "stale managed sessions removed at start: {:?}",
        managed(&sandbox)
    );
    assert_eq!(sandbox.session_names(), vec!["mine".to_owned()]);
    let after = sandbox.tmux(&["list-windows", "-t", "=mine", "-F", "#{window_id}"]);
    assert_eq!(user_windows.stdout, after.stdout, "user windows untouched");
    phone(&local).await;
    drop(app);
}

/// The tmux on `PATH` is replaced while the server runs (an upgrade): new
/// tmux processes can no longer talk to the running server. A phone that
/// connects then is told so in words, not with a hang or a raw error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tmux_replaced_while_running_is_reported() {
    let sandbox = TmuxSandbox::new();
    let bin = TempDir::new("tmux-mobile-e2e-tmux-bin");
    let real = which_tmux();
    let wrapper = bin.path().join("tmux");
    std::os::unix::fs::symlink(&real, &wrapper).expect("symlink tmux");
    let path = std::env::join_paths(std::iter::once(bin.path().to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let app = AppCommand::local(&["--no-require-password"])
        .env("PATH", &path)
        .spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    phone(&local).await;

    // What an upgraded tmux binary says to an older running server.
    std::fs::remove_file(&wrapper).expect("remove the symlink");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\nif [ \"$1\" = -V ]; then echo 'tmux 9.9'; exit 0; fi\n\
         echo 'protocol version mismatch (client 9, server 8)' >&2\nexit 1\n",
    )
    .expect("write the replacement");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let mut ws = ws::connect(local.port, "/ws/control", None)
        .await
        .expect("connect");
    ws::send_json(&mut ws, &json!({"type": "auth", "token": local.token})).await;
    let reply = until(&mut ws, "an error about the tmux version", |m| {
        m["type"] == "error"
    })
    .await;
    let message = reply["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("tmux") && message.contains("version") && message.contains("restart"),
        "a message a person can act on: {reply}"
    );
    drop(app);
}

fn which_tmux() -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("tmux"))
        .find(|p| p.is_file())
        .expect("tmux on PATH")
}
