//! Keystrokes around session switches: input sent right after
//! `select_session` reaches the session switched to, every byte, in order,
//! even when the next switch follows at once.

use std::path::Path;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tmux_mobile_server::TestServer;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{Control, DEADLINE, Terminal};

/// Makes the only pane of `session` run `cat > <log>`: every line typed into
/// it lands in the file, exactly.
fn log_pane(server: &TestServer, session: &str, log: &Path) {
    let command = format!("exec cat > '{}'", log.display());
    server
        .tmux_run(&[
            "respawn-pane",
            "-k",
            "-t",
            &format!("={session}:"),
            &command,
        ])
        .expect("respawn the pane with cat");
}

/// Sends a ping carrying `n` on the control socket and reads until its pong;
/// returns whether an `attached` came first (the switch was that fast).
async fn pong_after(control: &mut Control, n: usize) -> bool {
    let payload = n.to_string().into_bytes();
    control
        .ws
        .send(Message::Ping(payload.clone().into()))
        .await
        .expect("send ping");
    let mut attached = false;
    loop {
        let frame = tokio::time::timeout(DEADLINE, control.ws.next())
            .await
            .expect("the pong in time")
            .expect("socket open")
            .expect("a frame");
        match frame {
            Message::Pong(data) if data.as_ref() == payload.as_slice() => return attached,
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).expect("JSON");
                assert_ne!(value["type"], "error", "{value}");
                attached |= value["type"] == "attached";
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_after_each_of_50_switches_lands_in_the_new_session_in_order() {
    let server = TestServer::builder()
        .with_sessions(&["s0", "s1"])
        .start()
        .await;
    let logs = [
        server.tmux_tmpdir().join("s0.log"),
        server.tmux_tmpdir().join("s1.log"),
    ];
    log_pane(&server, "s0", &logs[0]);
    log_pane(&server, "s1", &logs[1]);

    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, None).await;
    let client_id = ok["clientId"].as_str().expect("clientId").to_owned();
    control.recv_type("session_picker").await;
    control
        .send(json!({"type": "select_session", "session": "s0"}))
        .await;
    control.recv_type("attached").await;
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    // The terminal socket is bound once it shows something (it authenticates
    // on its own, in parallel with the control socket).
    terminal.read_until("", false).await;

    const SWITCHES: usize = 50;
    let mut expected = [String::new(), String::new()];
    for i in 0..SWITCHES {
        let target = (i + 1) % 2;
        control
            .send(json!({"type": "select_session", "session": format!("s{target}")}))
            .await;
        // Two TCP connections are not ordered: a terminal frame sent 20 µs
        // after a control frame is often read first. A ping behind the
        // switch orders them: its pong means the server has read the
        // switch (this costs one loopback round trip, not the switch).
        let attached_early = pong_after(&mut control, i).await;
        // At once, without waiting for the switch: a line long enough to
        // show reordering or loss inside it.
        let line = format!("switch-{i:02}-to-s{target}-abcdefghijklmnopqrstuvwxyz");
        terminal.send_text(&format!("{line}\r")).await;
        expected[target].push_str(&line);
        expected[target].push('\n');
        if !attached_early {
            control.recv_type("attached").await;
        }
    }

    // Every line reaches its file; nothing else does.
    let deadline = Instant::now() + DEADLINE;
    loop {
        let got: Vec<String> = logs
            .iter()
            .map(|log| std::fs::read_to_string(log).unwrap_or_default())
            .collect();
        if got[0].len() >= expected[0].len() && got[1].len() >= expected[1].len() {
            assert_eq!(got[0], expected[0], "what s0 received");
            assert_eq!(got[1], expected[1], "what s1 received");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every line arrived in time: s0 got {:?}, s1 got {:?}",
            got[0],
            got[1]
        );
        // Polls a file another process writes; nothing to wait on instead.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(terminal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_right_after_auth_reaches_the_first_terminal() {
    let server = TestServer::builder().with_sessions(&["only"]).start().await;
    let log = server.tmux_tmpdir().join("only.log");
    log_pane(&server, "only", &log);
    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, None).await;
    let client_id = ok["clientId"].as_str().expect("clientId").to_owned();
    // Before `attached`: the PTY may not even be started yet.
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal.send_text("typed-before-attached\r").await;
    control.recv_type("attached").await;
    let deadline = Instant::now() + DEADLINE;
    loop {
        let got = std::fs::read_to_string(&log).unwrap_or_default();
        if got == "typed-before-attached\n" {
            break;
        }
        assert!(Instant::now() < deadline, "got {got:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
