//! `tmux_state_delta` against real tmux: a control socket opened with the
//! subprotocol `tmux-mobile.v1.state-delta` gets one full `tmux_state`, then
//! deltas; applying them reproduces what a client without deltas is sent in
//! full, and a rename costs a fraction of a full state. A socket that did
//! not ask (the original's client) only ever gets full states.

use serde_json::Value;
use tmux_mobile_protocol::apply_state_delta;
use tmux_mobile_server::TestServer;

use crate::common::{Control, ws_connect_with_headers};

/// The base (non-managed) sessions of a state: what every client is shown alike.
fn base_sessions(state: &Value) -> Vec<Value> {
    state["sessions"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|s| {
            !s["name"]
                .as_str()
                .unwrap_or("")
                .starts_with("tmux-mobile-client-")
        })
        .cloned()
        .collect()
}

/// Reads control messages, keeping `state` current, until `pred(state)`;
/// returns the wire size of the state messages read on the way.
async fn follow(
    control: &mut Control,
    state: &mut Value,
    pred: impl Fn(&Value) -> bool,
    deltas: bool,
) -> Vec<usize> {
    let mut sizes = Vec::new();
    while !pred(state) {
        let message = control.recv().await;
        let size = message.to_string().len();
        match message["type"].as_str() {
            Some("tmux_state") => *state = message["state"].clone(),
            Some("tmux_state_delta") => {
                assert!(deltas, "a delta to a client that did not ask: {message}");
                *state = apply_state_delta(state, &message["delta"]).expect("delta applies");
            }
            Some("error") => panic!("unexpected error: {message}"),
            _ => continue,
        }
        sizes.push(size);
    }
    sizes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deltas_rebuild_the_full_state_and_cost_less() {
    let server = TestServer::builder()
        .with_sessions(&["work", "other"])
        .start()
        .await;
    for _ in 0..5 {
        server
            .tmux_run(&["new-window", "-d", "-t", "=other:"])
            .expect("new-window");
    }
    server
        .tmux_run(&["split-window", "-d", "-t", "=other:1"])
        .expect("split");

    let ws = ws_connect_with_headers(
        &server,
        "/ws/control",
        &[("sec-websocket-protocol", "tmux-mobile.v1.state-delta")],
    )
    .await;
    let mut packed = Control { ws };
    packed.auth(&server, None).await;
    packed
        .send(serde_json::json!({"type": "select_session", "session": "work"}))
        .await;
    let mut plain_client = Control::connect(&server).await;
    plain_client.auth(&server, None).await;
    plain_client
        .send(serde_json::json!({"type": "select_session", "session": "work"}))
        .await;

    // The first state is whole.
    let mut packed_state = Value::Null;
    let mut plain_state = Value::Null;
    let has_windows = |n: usize| {
        move |s: &Value| {
            base_sessions(s).iter().any(|s| {
                s["name"] == "other" && s["windowStates"].as_array().map(Vec::len) == Some(n)
            })
        }
    };
    follow(&mut packed, &mut packed_state, has_windows(6), true).await;
    follow(&mut plain_client, &mut plain_state, has_windows(6), false).await;
    // The phones' terminals (80x24, one line of status) have resized
    // `work`: from here on both clients see the same states (before, one
    // could stop at a state from before the resize, the other after it).
    let resized = |s: &Value| {
        base_sessions(s)
            .iter()
            .any(|s| s["name"] == "work" && s["windowStates"][0]["panes"][0]["height"] == 23)
    };
    follow(&mut packed, &mut packed_state, resized, true).await;
    follow(&mut plain_client, &mut plain_state, resized, false).await;

    // Changes made outside tmux-mobile, one after another.
    server
        .tmux_run(&["rename-window", "-t", "=other:3", "renamed-outside"])
        .expect("rename");
    let renamed = |s: &Value| {
        base_sessions(s).iter().any(|s| {
            s["windowStates"]
                .as_array()
                .is_some_and(|ws| ws.iter().any(|w| w["name"] == "renamed-outside"))
        })
    };
    let delta_sizes = follow(&mut packed, &mut packed_state, renamed, true).await;
    let full_sizes = follow(&mut plain_client, &mut plain_state, renamed, false).await;
    assert_eq!(base_sessions(&packed_state), base_sessions(&plain_state));
    let (delta, full) = (delta_sizes.last().unwrap(), full_sizes.last().unwrap());
    assert!(
        delta * 2 < *full,
        "rename: delta {delta} bytes, full state {full} bytes"
    );

    server
        .tmux_run(&["kill-window", "-t", "=other:2"])
        .expect("kill");
    server
        .tmux_run(&["new-session", "-d", "-s", "third"])
        .expect("new session");
    let done =
        |s: &Value| has_windows(5)(s) && base_sessions(s).iter().any(|s| s["name"] == "third");
    follow(&mut packed, &mut packed_state, done, true).await;
    follow(&mut plain_client, &mut plain_state, done, false).await;
    assert_eq!(base_sessions(&packed_state), base_sessions(&plain_state));
}
