//! Every mutation of PROTOCOL.md's control table, against real tmux, and
//! the validation around them.

use serde_json::{Value, json};
use tmux_mobile_server::TestServer;

use crate::common::{Control, active_pane, active_window, attached_client, eventually, session};

fn windows(state: &Value, name: &str) -> usize {
    session(state, name)
        .and_then(|s| s["windowStates"].as_array())
        .map_or(0, Vec::len)
}

fn panes_of_active_window(state: &Value, name: &str) -> usize {
    active_window(state, name)
        .and_then(|w| w["panes"].as_array())
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_new_select_kill() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut control, _, own, _) = attached_client(&server).await;

    control
        .send(json!({"type": "new_window", "session": own}))
        .await;
    let state = control.wait_state(|s| windows(s, &own) == 2).await;
    assert_eq!(
        windows(&state, "work"),
        2,
        "the base session shares windows"
    );
    let second = active_window(&state, &own).expect("active")["index"].clone();

    control
        .send(json!({"type": "select_window", "session": own, "windowIndex": 0}))
        .await;
    let state = control
        .wait_state(|s| active_window(s, &own).is_some_and(|w| w["index"] == 0))
        .await;
    assert_eq!(windows(&state, &own), 2);

    control
        .send(json!({"type": "kill_window", "session": own, "windowIndex": second}))
        .await;
    control.wait_state(|s| windows(s, &own) == 1).await;

    control
        .send(json!({"type": "select_window", "session": own, "windowIndex": 7}))
        .await;
    let error = control.recv_error().await;
    assert_eq!(error["type"], "error");
    let text = error["message"].as_str().expect("text");
    assert!(text.contains("window 7"), "{text}");
    assert!(!text.contains("-t"), "no command line in errors: {text}");

    control
        .send(json!({"type": "select_window", "session": own, "windowIndex": "x"}))
        .await;
    let error = control.recv_error().await;
    assert!(
        error["message"]
            .as_str()
            .expect("text")
            .contains("windowIndex")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panes_split_select_zoom_kill() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut control, _, own, state) = attached_client(&server).await;
    let first = active_pane(&state, &own).expect("a pane");

    control
        .send(json!({"type": "split_pane", "paneId": first, "orientation": "h"}))
        .await;
    let state = control
        .wait_state(|s| panes_of_active_window(s, &own) == 2)
        .await;
    let second = active_pane(&state, &own).expect("new pane active");
    assert_ne!(second, first);

    control
        .send(json!({"type": "split_pane", "paneId": second, "orientation": "v"}))
        .await;
    control
        .wait_state(|s| panes_of_active_window(s, &own) == 3)
        .await;

    control
        .send(json!({"type": "select_pane", "paneId": first}))
        .await;
    control
        .wait_state(|s| active_pane(s, &own).as_deref() == Some(first.as_str()))
        .await;

    control
        .send(json!({"type": "zoom_pane", "paneId": first}))
        .await;
    let state = control
        .wait_state(|s| {
            active_window(s, &own)
                .and_then(|w| w["panes"].as_array().cloned())
                .is_some_and(|p| p.iter().any(|p| p["zoomed"] == true))
        })
        .await;
    let zoomed: Vec<&Value> = active_window(&state, &own).expect("window")["panes"]
        .as_array()
        .expect("panes")
        .iter()
        .filter(|p| p["zoomed"] == true)
        .collect();
    assert_eq!(zoomed.len(), 1);
    assert_eq!(zoomed[0]["id"], first.as_str());

    // Sticky zoom keeps the newly selected pane zoomed.
    control
        .send(json!({"type": "select_pane", "paneId": second, "stickyZoom": true}))
        .await;
    control
        .wait_state(|s| {
            active_window(s, &own)
                .and_then(|w| w["panes"].as_array().cloned())
                .is_some_and(|p| {
                    p.iter()
                        .any(|p| p["id"] == second.as_str() && p["zoomed"] == true)
                })
        })
        .await;

    control
        .send(json!({"type": "kill_pane", "paneId": second}))
        .await;
    control
        .wait_state(|s| panes_of_active_window(s, &own) == 2)
        .await;

    control
        .send(json!({"type": "split_pane", "paneId": first, "orientation": "x"}))
        .await;
    let error = control.recv_error().await;
    assert!(
        error["message"]
            .as_str()
            .expect("text")
            .contains("orientation"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sticky_zoom_on_select_window() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut control, _, own, state) = attached_client(&server).await;
    let first = active_pane(&state, &own).expect("a pane");
    control
        .send(json!({"type": "new_window", "session": own}))
        .await;
    control.wait_state(|s| windows(s, &own) == 2).await;
    control
        .send(json!({"type": "select_window", "session": own, "windowIndex": 0}))
        .await;
    control
        .wait_state(|s| active_window(s, &own).is_some_and(|w| w["index"] == 0))
        .await;
    control
        .send(json!({"type": "split_pane", "paneId": first, "orientation": "v"}))
        .await;
    control
        .wait_state(|s| panes_of_active_window(s, &own) == 2)
        .await;
    control
        .send(json!({"type": "select_window", "session": own, "windowIndex": 1}))
        .await;
    control
        .wait_state(|s| active_window(s, &own).is_some_and(|w| w["index"] == 1))
        .await;
    control
        .send(
            json!({"type": "select_window", "session": own, "windowIndex": 0, "stickyZoom": true}),
        )
        .await;
    control
        .wait_state(|s| {
            active_window(s, &own).is_some_and(|w| {
                w["index"] == 0
                    && w["panes"]
                        .as_array()
                        .is_some_and(|p| p.iter().any(|p| p["zoomed"] == true))
            })
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_scrollback_and_send_compose() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut control, _, own, state) = attached_client(&server).await;
    let pane = active_pane(&state, &own).expect("a pane");

    control
        .send(json!({"type": "send_compose", "text": "echo compose-$((6*7))"}))
        .await;
    control.recv_type("tmux_state").await;
    eventually("compose output in the pane", || {
        server
            .tmux_run(&["capture-pane", "-p", "-t", &pane])
            .is_ok_and(|text| text.contains("compose-42"))
    })
    .await;

    control
        .send(json!({"type": "capture_scrollback", "paneId": pane, "lines": 200}))
        .await;
    let scrollback = control.recv_type("scrollback").await;
    assert_eq!(scrollback["paneId"], pane.as_str());
    assert_eq!(scrollback["lines"], 200);
    assert!(
        scrollback["text"]
            .as_str()
            .expect("text")
            .contains("compose-42"),
        "{scrollback}"
    );

    // `lines` is optional (server default) and clamped.
    control
        .send(json!({"type": "capture_scrollback", "paneId": pane}))
        .await;
    assert_eq!(control.recv_type("scrollback").await["lines"], 1000);
    control
        .send(json!({"type": "capture_scrollback", "paneId": pane, "lines": 999999}))
        .await;
    assert_eq!(control.recv_type("scrollback").await["lines"], 50000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_session_with_hostile_names() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut control, _, own, _) = attached_client(&server).await;

    for name in [
        "x $(touch pwned)",
        "a b; kill-server",
        "#{session_name}",
        "ünï",
    ] {
        control
            .send(json!({"type": "new_session", "name": name}))
            .await;
        let attached = control.recv_type("attached").await;
        assert_eq!(attached["session"], own.as_str());
        let state = control.wait_state(|s| session(s, name).is_some()).await;
        assert!(session(&state, &own).is_some());
        assert!(
            server.session_names().iter().any(|n| n == name),
            "{name:?} created exactly"
        );
    }
    assert!(
        !server.tmux_tmpdir().join("pwned").exists() && !std::path::Path::new("pwned").exists()
    );

    for (name, needle) in [
        ("a:1", "name"),
        ("x.y", "name"),
        ("-t", "name"),
        ("line\nbreak", "name"),
        ("", "name"),
        ("$(touch pwned)", "session id"),
        ("tmux-mobile-client-evil", "reserved"),
        ("work", "already exists"),
    ] {
        control
            .send(json!({"type": "new_session", "name": name}))
            .await;
        let error = control.recv_error().await;
        assert_eq!(error["type"], "error", "{name:?}");
        assert!(
            error["message"].as_str().expect("text").contains(needle),
            "{name:?}: {error}"
        );
    }
    assert!(
        !server
            .session_names()
            .iter()
            .any(|n| n == "a_1" || n == "a")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panes_of_other_sessions_are_refused() {
    let server = TestServer::builder()
        .with_sessions(&["mine", "theirs"])
        .start()
        .await;
    let foreign = server
        .tmux_run(&["display-message", "-p", "-t", "=theirs:", "#{pane_id}"])
        .expect("pane of theirs")
        .trim()
        .to_owned();
    let mut control = Control::connect(&server).await;
    control.auth(&server, None).await;
    control.recv_type("session_picker").await;
    // Before attaching, no pane is anyone's.
    control
        .send(json!({"type": "kill_pane", "paneId": foreign}))
        .await;
    assert_eq!(control.recv_error().await["type"], "error");
    control
        .send(json!({"type": "select_session", "session": "mine"}))
        .await;
    control.recv_type("attached").await;

    for message in [
        json!({"type": "kill_pane", "paneId": foreign}),
        json!({"type": "select_pane", "paneId": foreign}),
        json!({"type": "split_pane", "paneId": foreign, "orientation": "h"}),
        json!({"type": "zoom_pane", "paneId": foreign}),
        json!({"type": "capture_scrollback", "paneId": foreign}),
        json!({"type": "kill_pane", "paneId": "%99999"}),
    ] {
        control.send(message.clone()).await;
        let error = control.recv_error().await;
        assert_eq!(error["type"], "error", "{message}");
        assert!(
            error["message"]
                .as_str()
                .expect("text")
                .contains("not in your session"),
            "{message}: {error}"
        );
    }
    control
        .send(json!({"type": "kill_pane", "paneId": "1"}))
        .await;
    let error = control.recv_error().await;
    assert!(
        error["message"].as_str().expect("text").contains("paneId"),
        "{error}"
    );
    assert!(
        server
            .tmux_run(&["display-message", "-p", "-t", &foreign, "#{pane_id}"])
            .is_ok(),
        "the foreign pane survived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_clients_watch_but_cannot_change() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .read_only_link()
        .start()
        .await;
    let viewer_token = server
        .read_only_token()
        .expect("read-only token")
        .to_owned();
    let mut viewer = Control::connect(&server).await;
    viewer
        .send(json!({"type": "auth", "token": viewer_token}))
        .await;
    let ok = viewer.recv().await;
    assert_eq!(ok["type"], "auth_ok");
    assert_eq!(ok["readOnly"], true);
    let own = viewer.recv_type("attached").await["session"]
        .as_str()
        .expect("session")
        .to_owned();
    let state = viewer.recv_type("tmux_state").await;
    let pane = active_pane(&state["state"], &own).expect("pane");

    for message in [
        json!({"type": "new_session", "name": "x"}),
        json!({"type": "new_window", "session": own}),
        json!({"type": "select_window", "session": own, "windowIndex": 0}),
        json!({"type": "kill_window", "session": own, "windowIndex": 0}),
        json!({"type": "select_pane", "paneId": pane}),
        json!({"type": "split_pane", "paneId": pane, "orientation": "h"}),
        json!({"type": "kill_pane", "paneId": pane}),
        json!({"type": "zoom_pane", "paneId": pane}),
        json!({"type": "scroll_pane", "paneId": pane, "lines": -5}),
        json!({"type": "send_compose", "text": "echo nope"}),
    ] {
        viewer.send(message.clone()).await;
        assert_eq!(
            viewer.recv_error().await,
            json!({"type": "error", "message": "read-only"}),
            "{message}"
        );
    }
    viewer
        .send(json!({"type": "capture_scrollback", "paneId": pane}))
        .await;
    viewer.recv_type("scrollback").await;
    eventually("the viewer's tmux client is read-only", || {
        server
            .tmux_run(&["list-clients", "-F", "#{client_readonly}"])
            .is_ok_and(|flags| flags.lines().any(|l| l == "1"))
    })
    .await;

    // Terminal input is refused too (and reported on the control socket).
    let id = ok["clientId"].as_str().expect("id").to_owned();
    let mut terminal =
        crate::common::Terminal::connect_with(&server, &viewer_token, &id, false).await;
    terminal.send_text("echo typed-$((3*3))\r").await;
    assert_eq!(viewer.recv_error().await["message"], "read-only");
    assert!(
        !server.session_names().iter().any(|n| n == "x"),
        "nothing was created"
    );
    let text = server
        .tmux_run(&["capture-pane", "-p", "-t", &pane])
        .expect("capture");
    assert!(!text.contains("typed-9"), "{text}");
}
