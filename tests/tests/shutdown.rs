//! SIGTERM/SIGINT of the real binary while browsers are connected: it exits
//! promptly and successfully, closes the sockets with 1001 ("going away"),
//! removes the per-client tmux sessions it created, and leaves no child
//! process behind.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tmux_mobile_e2e::procs;
use tmux_mobile_e2e::ws;
use tmux_mobile_e2e::{AppCommand, DEADLINE, TmuxSandbox};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The binary aims at 2 s; this bound only catches a hang (CI is loaded).
const EXIT_BOUND: Duration = Duration::from_secs(5);

async fn connected_app(
    sandbox: &TmuxSandbox,
    clients: usize,
) -> (tmux_mobile_e2e::App, Vec<ws::Ws>, Vec<String>) {
    let app = AppCommand::local(&["--no-require-password"]).spawn(sandbox);
    let local = app.local_url(DEADLINE);
    let mut sockets = Vec::new();
    let mut sessions = Vec::new();
    for _ in 0..clients {
        let control = ws::control_attach(local.port, &local.token, None, DEADLINE).await;
        let mut terminal =
            ws::terminal_attach(local.port, &local.token, None, &control.client_id).await;
        ws::send_text(&mut terminal, "echo ready-$((2+3))\r").await;
        ws::read_terminal_until(&mut terminal, "ready-5", DEADLINE).await;
        sessions.push(control.attached_session);
        sockets.push(control.ws);
        sockets.push(terminal);
    }
    (app, sockets, sessions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_clients_cleans_up_everything() {
    let sandbox = TmuxSandbox::new();
    let (app, mut sockets, grouped) = connected_app(&sandbox, 2).await;

    let existing = sandbox.session_names();
    assert_ne!(grouped[0], grouped[1], "one grouped session per client");
    for session in &grouped {
        assert!(existing.contains(session), "{session} in {existing:?}");
    }
    let children = procs::descendants(app.pid());
    assert!(
        children.iter().any(|p| p.comm.starts_with("tmux")),
        "the terminals run tmux clients under tmux-mobile: {children:?}"
    );

    let started = Instant::now();
    app.signal(Signal::SIGTERM);
    // Sockets come in (control, terminal) pairs. Control sockets are told
    // the server is going away (1001); terminal sockets must be closed too.
    for (i, socket) in sockets.iter_mut().enumerate() {
        let frame = ws::wait_closed(socket, EXIT_BOUND).await;
        if i % 2 == 0 {
            let frame = frame.expect("control socket gets a close frame");
            assert_eq!(frame.code, CloseCode::Away, "{frame:?}");
        }
    }
    let out = app.finish(EXIT_BOUND);
    let took = started.elapsed();
    // A figure for the report, not an assertion on speed.
    eprintln!("SIGTERM to exit with 2 clients: {took:?}");
    assert!(out.status.success(), "{out:?}");
    assert!(took < EXIT_BOUND, "exit took {took:?}");

    let left: Vec<String> = sandbox
        .session_names()
        .into_iter()
        .filter(|s| s.starts_with("tmux-mobile-client-"))
        .collect();
    assert!(left.is_empty(), "managed sessions left behind: {left:?}");
    let alive: Vec<_> = children.iter().filter(|p| procs::is_alive(p)).collect();
    assert!(alive.is_empty(), "child processes left behind: {alive:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_it_too() {
    let sandbox = TmuxSandbox::new();
    let (app, _sockets, _grouped) = connected_app(&sandbox, 1).await;
    let children = procs::descendants(app.pid());
    app.signal(Signal::SIGINT);
    let out = app.finish(EXIT_BOUND);
    assert!(out.status.success(), "{out:?}");
    assert!(
        !sandbox
            .session_names()
            .iter()
            .any(|s| s.starts_with("tmux-mobile-client-"))
    );
    assert!(children.iter().all(|p| !procs::is_alive(p)));
}
