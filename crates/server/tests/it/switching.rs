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
        // The other direction too: the next switch must not overtake this
        // line on its way in (two sockets again). A pong on the terminal
        // socket means the server has read, and taken, the line.
        terminal_pong(&mut terminal).await;
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

/// Pauses or resumes the whole tmux server (`kill -STOP`/`-CONT` on its
/// `pid`, no shell): while it is stopped a switch cannot finish, so the
/// input sent meanwhile is certainly held.
fn signal_tmux(pid: &str, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// Sends a ping on the terminal socket and reads until its pong: the server
/// has read (and handled) every frame sent before it.
async fn terminal_pong(terminal: &mut Terminal) {
    terminal
        .ws
        .send(Message::Ping(b"sync".to_vec().into()))
        .await
        .expect("send ping");
    loop {
        let frame = tokio::time::timeout(DEADLINE, terminal.ws.next())
            .await
            .expect("the pong in time")
            .expect("socket open")
            .expect("a frame");
        if matches!(frame, Message::Pong(data) if data.as_ref() == b"sync") {
            return;
        }
    }
}

/// Waits until `log` holds exactly `expected` (a file another process
/// writes: polled).
async fn wait_for_log(log: &Path, expected: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let got = std::fs::read_to_string(log).unwrap_or_default();
        if got.len() >= expected.len() {
            assert_eq!(got, expected, "what {} received", log.display());
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not everything arrived in time: got {} of {} bytes",
            got.len(),
            expected.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// More input than the bound (64 KiB) typed while a switch cannot finish:
/// the first 64 KiB reach the new session whole and in order, the rest is
/// dropped and the person is told with an `error`; nothing goes missing
/// without a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_over_the_bound_while_held_is_reported_and_the_rest_delivered() {
    let server = TestServer::builder()
        .with_sessions(&["s0", "s1"])
        .start()
        .await;
    let log = server.tmux_tmpdir().join("s1.log");
    log_pane(&server, "s1", &log);
    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, None).await;
    let client_id = ok["clientId"].as_str().expect("clientId").to_owned();
    control.recv_type("session_picker").await;
    control
        .send(json!({"type": "select_session", "session": "s0"}))
        .await;
    control.recv_type("attached").await;
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal.read_until("", false).await;

    // tmux stops; the switch is read (and marked) but cannot finish.
    let pid = server
        .tmux_run(&["display-message", "-p", "#{pid}"])
        .expect("the tmux server's pid");
    let pid = pid.trim();
    signal_tmux(pid, "-STOP");
    control
        .send(json!({"type": "select_session", "session": "s1"}))
        .await;
    assert!(
        !pong_after(&mut control, 0).await,
        "switched with tmux stopped"
    );
    // 64-byte lines: 1024 fill the bound exactly, 100 more do not fit.
    let line = |i: usize| format!("{i:05}-{}\r", "x".repeat(57));
    let lines: Vec<String> = (0..1124).map(line).collect();
    for chunk in lines.chunks(64) {
        terminal.send_text(&chunk.concat()).await;
    }
    terminal_pong(&mut terminal).await;
    signal_tmux(pid, "-CONT");

    // The `error` (queued while the switch was stuck) and the switch.
    let mut error = None;
    let mut attached = false;
    while error.is_none() || !attached {
        let value = control.recv().await;
        match value["type"].as_str() {
            Some("error") => error = Some(value["message"].as_str().unwrap_or("").to_owned()),
            Some("attached") => attached = true,
            _ => {}
        }
    }
    let error = error.unwrap_or_default();
    assert!(error.contains("64 KiB"), "{error}");
    let expected: String = lines[..1024]
        .iter()
        .map(|l| l.replace('\r', "\n"))
        .collect();
    assert_eq!(expected.len(), 64 * 1024);
    wait_for_log(&log, &expected).await;
    drop(terminal);
}

/// The PTY ends without a switch (the phone's grouped session was killed):
/// input sent once the server noticed, before the client is attached
/// again, reaches the new PTY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_is_held_across_a_re_attach() {
    let server = TestServer::builder().with_sessions(&["only"]).start().await;
    let log = server.tmux_tmpdir().join("only.log");
    log_pane(&server, "only", &log);
    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, None).await;
    let client_id = ok["clientId"].as_str().expect("clientId").to_owned();
    control.recv_type("attached").await;
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal.read_until("", false).await;

    for round in 0..5 {
        let managed = format!("tmux-mobile-client-{client_id}");
        server
            .tmux_run(&["kill-session", "-t", &format!("={managed}")])
            .expect("kill the phone's session");
        control.recv_type("info").await;
        terminal
            .send_text(&format!("after-re-attach-{round}\r"))
            .await;
        control.recv_type("attached").await;
        let expected: String = (0..=round)
            .map(|r| format!("after-re-attach-{r}\n"))
            .collect();
        wait_for_log(&log, &expected).await;
    }
}

/// tmux itself is killed: the server starts it again (with the default
/// session) and attaches the client; input sent once the server noticed
/// is held until then and reaches the new session's shell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_is_held_across_a_tmux_restart() {
    let server = TestServer::builder().with_sessions(&["only"]).start().await;
    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, None).await;
    let client_id = ok["clientId"].as_str().expect("clientId").to_owned();
    control.recv_type("attached").await;
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal.read_until("", false).await;

    server.tmux_run(&["kill-server"]).expect("kill tmux");
    control.recv_type("info").await;
    terminal.send_text("held-across-restart\r").await;
    let attached = control.recv_type("attached").await;
    let managed = attached["session"].as_str().unwrap_or_default().to_owned();
    assert!(managed.starts_with("tmux-mobile-client-"), "{attached}");
    // The line reaches the new session's pane (its terminal shows it;
    // whatever the pane runs may not have started reading yet).
    crate::common::eventually("the held line on the new session's screen", || {
        server
            .tmux_run(&["capture-pane", "-p", "-t", &format!("={managed}:")])
            .is_ok_and(|screen| screen.contains("held-across-restart"))
    })
    .await;
}
