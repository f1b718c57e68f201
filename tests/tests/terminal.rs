//! A real WebSocket client driving a real shell through the real binary:
//! auth → attached → terminal socket → keystrokes in, shell output out.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;
use tmux_mobile_e2e::ws;
use tmux_mobile_e2e::{AppCommand, DEADLINE, TmuxSandbox};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystrokes_reach_the_shell_and_output_comes_back() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--no-require-password", "--session", "e2e"]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);

    let mut control = ws::control_attach(local.port, &local.token, None, DEADLINE).await;
    let state = ws::recv_type(&mut control.ws, "tmux_state", DEADLINE).await;
    let sessions = state["state"]["sessions"].as_array().expect("sessions");
    assert!(
        sessions.iter().any(|s| s["name"] == "e2e"),
        "--session names the created session: {state}"
    );
    assert!(
        sandbox.session_names().contains(&control.attached_session),
        "the grouped session exists in tmux"
    );

    let mut terminal =
        ws::terminal_attach(local.port, &local.token, None, &control.client_id).await;
    ws::send_json(
        &mut terminal,
        &json!({"type": "resize", "cols": 100, "rows": 30}),
    )
    .await;
    // The product of the shell, not an echo of the typed text.
    ws::send_text(&mut terminal, "echo tmux-mobile-$((6*7))\r").await;
    ws::read_terminal_until(&mut terminal, "tmux-mobile-42", DEADLINE).await;

    // The same keystrokes through `send_compose` on the control socket.
    ws::send_json(
        &mut control.ws,
        &json!({"type": "send_compose", "text": "echo composed-$((7*8))"}),
    )
    .await;
    ws::read_terminal_until(&mut terminal, "composed-56", DEADLINE).await;

    app.signal(Signal::SIGTERM);
    let out = app.finish(Duration::from_secs(10));
    assert!(out.status.success(), "{out:?}");
}
