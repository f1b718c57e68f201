//! Clients over time: resume within and after the grace period, a second
//! socket taking over, independent window focus, stale sessions at startup
//! and cleanup on shutdown.

use std::time::Duration;

use serde_json::json;
use tmux_mobile_server::TestServer;

use crate::common::{
    Control, Terminal, active_window, attached_client, eventually, managed_sessions, session,
};

fn active_index(state: &serde_json::Value, name: &str) -> Option<u64> {
    active_window(state, name).and_then(|w| w["index"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_within_grace_keeps_session_focus_and_redraws() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .resume_grace(Duration::from_secs(60))
        .start()
        .await;
    let (mut control, client_id, own, _) = attached_client(&server).await;
    control
        .send(json!({"type": "new_window", "session": own}))
        .await;
    control
        .wait_state(|s| active_index(s, &own) == Some(1))
        .await;
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal.send_text("echo before-$((5*5))\r").await;
    terminal.read_until("before-25", false).await;
    drop(terminal);
    drop(control);

    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, Some(&client_id)).await;
    assert_eq!(ok["clientId"], client_id.as_str(), "same client");
    let attached = control.recv().await;
    assert_eq!(attached, json!({"type": "attached", "session": own}));
    let state = control.recv().await;
    assert_eq!(state["type"], "tmux_state");
    assert_eq!(active_index(&state["state"], &own), Some(1), "focus kept");
    assert_eq!(managed_sessions(&server), vec![own.clone()]);
    // Selecting the session it is already in changes nothing.
    control
        .send(json!({"type": "select_session", "session": "work"}))
        .await;
    assert_eq!(control.recv_type("attached").await["session"], own.as_str());
    let state = control.recv_type("tmux_state").await;
    assert_eq!(active_index(&state["state"], &own), Some(1), "focus kept");
    // The new terminal gets the whole screen again, without typing.
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal.read_until("before-25", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_grace_period_the_session_is_gone_and_ids_are_new() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .resume_grace(Duration::from_millis(200))
        .start()
        .await;
    let (control, client_id, own, _) = attached_client(&server).await;
    assert_eq!(managed_sessions(&server), vec![own.clone()]);
    drop(control);
    eventually("grouped session removed after grace", || {
        managed_sessions(&server).is_empty()
    })
    .await;
    assert!(server.session_names().contains(&"work".to_owned()));

    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, Some(&client_id)).await;
    assert_ne!(
        ok["clientId"],
        client_id.as_str(),
        "unknown ids get a new one"
    );
    control.recv_type("attached").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_socket_for_the_same_client_replaces_the_first() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut first, client_id, own, _) = attached_client(&server).await;
    let mut second = Control::connect(&server).await;
    let ok = second.auth(&server, Some(&client_id)).await;
    assert_eq!(ok["clientId"], client_id.as_str());
    assert_eq!(second.recv_type("attached").await["session"], own.as_str());
    let frame = first.closed().await.expect("close frame");
    assert_eq!(u16::from(frame.code), 4000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_have_independent_window_focus() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut a, _, own_a, _) = attached_client(&server).await;
    let (mut b, _, own_b, _) = attached_client(&server).await;
    assert_ne!(own_a, own_b);
    a.send(json!({"type": "new_window", "session": own_a}))
        .await;
    a.wait_state(|s| active_index(s, &own_a) == Some(1)).await;
    // B sees the new window, but its own focus stays on window 0, and it
    // is not shown A's session.
    let state = b
        .wait_state(|s| {
            session(s, &own_b)
                .and_then(|x| x["windowStates"].as_array())
                .is_some_and(|w| w.len() == 2)
        })
        .await;
    assert_eq!(active_index(&state, &own_b), Some(0));
    assert!(session(&state, &own_a).is_none());
    b.send(json!({"type": "select_window", "session": own_b, "windowIndex": 1}))
        .await;
    b.wait_state(|s| active_index(s, &own_b) == Some(1)).await;
    a.send(json!({"type": "select_window", "session": own_a, "windowIndex": 0}))
        .await;
    let state = a.wait_state(|s| active_index(s, &own_a) == Some(0)).await;
    assert!(session(&state, &own_b).is_none());
    let b_focus = server
        .tmux_run(&[
            "display-message",
            "-p",
            "-t",
            &format!("={own_b}:"),
            "#{window_index}",
        ])
        .expect("B's window");
    assert_eq!(b_focus.trim(), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_managed_sessions_are_removed_at_startup() {
    let server = TestServer::builder()
        .with_sessions(&["work", "tmux-mobile-client-crashed"])
        .start()
        .await;
    assert_eq!(
        server
            .session_names()
            .into_iter()
            .filter(|n| !n.contains('~'))
            .collect::<Vec<_>>(),
        vec!["work".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_sockets_and_removes_every_managed_session() {
    let mut server = TestServer::builder()
        .with_sessions(&["work"])
        .resume_grace(Duration::from_secs(60))
        .start()
        .await;
    let (mut a, id_a, ..) = attached_client(&server).await;
    let (b, ..) = attached_client(&server).await;
    drop(b); // now in its grace period
    let mut terminal = Terminal::connect(&server, &id_a, false).await;
    terminal.send_text("echo up-$((1+1))\r").await;
    terminal.read_until("up-2", false).await;
    eventually("both clients attached", || {
        server
            .tmux_run(&["list-clients", "-F", "#{session_name}"])
            .is_ok_and(|out| out.lines().filter(|l| !l.contains('~')).count() == 2)
    })
    .await;
    assert_eq!(managed_sessions(&server).len(), 2);

    let (result, control_close, terminal_close) =
        tokio::join!(server.shutdown(), a.closed(), terminal.closed());
    result.expect("clean shutdown");
    assert_eq!(u16::from(control_close.expect("close frame").code), 1001);
    assert_eq!(u16::from(terminal_close.expect("close frame").code), 1001);
    assert!(
        managed_sessions(&server).is_empty(),
        "{:?}",
        server.session_names()
    );
    assert!(
        server.session_names().contains(&"work".to_owned()),
        "the user's session survives: {:?}",
        server.tmux_run(&["list-sessions"])
    );
    let clients = server
        .tmux_run(&["list-clients", "-F", "#{client_pid} #{session_name}"])
        .unwrap_or_default();
    assert!(clients.trim().is_empty(), "tmux clients left: {clients}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_that_exits_is_reported_and_the_client_reattaches() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .default_session("fresh")
        .start()
        .await;
    let (mut control, _, own, _) = attached_client(&server).await;
    // Killing the only window ends the session group and the terminal.
    control
        .send(json!({"type": "kill_window", "session": own, "windowIndex": 0}))
        .await;
    let info = control.recv_type("info").await;
    assert_eq!(info["message"], "tmux client exited");
    assert_eq!(control.recv_type("attached").await["session"], own.as_str());
    let state = control
        .wait_state(|s| session(s, "fresh").is_some() && session(s, &own).is_some())
        .await;
    assert!(session(&state, "work").is_none());
    assert_eq!(managed_sessions(&server), vec![own]);
}

/// A phone's session whose client the server does not know (a removal
/// that timed out, a `new-session` tmux carried out after its client gave
/// up) is removed; a connected phone's session and a tap's own session
/// (`~`) are not (issue 16: the soak left 8 such sessions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_of_clients_that_are_gone_are_removed() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (_control, _client_id, own, _) = attached_client(&server).await;
    for name in ["tmux-mobile-client-gone1", "tmux-mobile-client-~attn-7"] {
        server
            .tmux_run(&["new-session", "-d", "-s", name, "-t", "=work"])
            .expect("made the session");
    }
    eventually("the orphan is removed", || {
        !server
            .session_names()
            .contains(&"tmux-mobile-client-gone1".to_owned())
    })
    .await;
    let names = server.session_names();
    assert!(names.contains(&own), "{names:?}");
    assert!(
        names.contains(&"tmux-mobile-client-~attn-7".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"work".to_owned()), "{names:?}");
}
