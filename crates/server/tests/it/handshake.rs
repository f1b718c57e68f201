//! Authentication and the attach handshake on `/ws/control`.

use std::time::Duration;

use serde_json::json;
use tmux_mobile_auth::{Backoff, ThrottlePolicy};
use tmux_mobile_server::TestServer;

use crate::common::{
    Control, Next, attached_client, managed_sessions, session, ws_connect_with_headers,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_session_creates_the_default_and_attaches() {
    let server = TestServer::builder().default_session("home").start().await;
    let (_control, client_id, own, state) = attached_client(&server).await;
    assert!(server.session_names().contains(&"home".to_owned()));
    assert!(session(&state, "home").is_some(), "{state}");
    let mine = session(&state, &own).expect("own session in tmux_state");
    assert_eq!(mine["windows"], 1);
    assert!(
        state["capturedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(managed_sessions(&server), vec![own.clone()]);
    assert!(own.ends_with(&client_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_is_attached_without_creating_another() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (_control, _id, own, state) = attached_client(&server).await;
    let mut names = server.session_names();
    names.sort();
    let mut expected = vec![own.clone(), "work".to_owned()];
    expected.sort();
    assert_eq!(
        names
            .into_iter()
            .filter(|n| !n.contains('~'))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(session(&state, "work").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_sessions_get_the_picker_then_select_session_attaches() {
    let server = TestServer::builder()
        .with_sessions(&["alpha", "beta"])
        .start()
        .await;
    // Another client's managed session must never be offered.
    let (_other, _, other_own, _) = {
        let mut c = Control::connect(&server).await;
        c.auth(&server, None).await;
        let picker = c.recv_type("session_picker").await;
        c.send(json!({"type": "select_session", "session": "alpha"}))
            .await;
        let attached = c.recv_type("attached").await;
        let own = attached["session"].as_str().expect("session").to_owned();
        drop(picker);
        (c, (), own, ())
    };
    let mut control = Control::connect(&server).await;
    let ok = control.auth(&server, None).await;
    assert_eq!(ok["requiresPassword"], false);
    assert_eq!(ok["readOnly"], false);
    assert_eq!(ok["protocolVersion"], 1);
    assert!(ok.get("sessionKey").is_none());
    let picker = control.recv().await;
    assert_eq!(picker["type"], "session_picker", "{picker}");
    let names: Vec<&str> = picker["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["alpha", "beta"]);
    assert!(picker["sessions"][0]["windows"].is_u64());
    assert!(picker["sessions"][0]["attached"].is_boolean());
    let state = control.recv().await;
    assert_eq!(state["type"], "tmux_state");
    assert!(
        session(&state["state"], &other_own).is_none(),
        "another client's session leaked"
    );

    control
        .send(json!({"type": "select_session", "session": "beta"}))
        .await;
    let attached = control.recv_type("attached").await;
    let own = attached["session"].as_str().expect("session").to_owned();
    let state = control.wait_state(|s| session(s, &own).is_some()).await;
    assert!(session(&state, "beta").is_some());
    // Selecting another client's session is refused.
    control
        .send(json!({"type": "select_session", "session": other_own}))
        .await;
    let error = control.recv_error().await;
    assert_eq!(error["type"], "error");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("browser")
    );
    control
        .send(json!({"type": "select_session", "session": "nope"}))
        .await;
    let error = control.recv_error().await;
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("no session named \"nope\""),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_and_messages_before_auth() {
    let server = TestServer::builder().password("secret").start().await;
    let mut control = Control::connect(&server).await;
    control.send_raw("not json").await;
    assert_eq!(
        control.recv().await,
        json!({"type": "error", "message": "invalid message format"})
    );
    control.send_raw("[1,2]").await;
    assert_eq!(control.recv().await["message"], "invalid message format");
    control.send_raw(r#"{"type": 5}"#).await;
    assert_eq!(control.recv().await["message"], "invalid message format");
    control
        .send(json!({"type": "new_window", "session": "x"}))
        .await;
    assert_eq!(
        control.recv().await,
        json!({"type": "auth_error", "reason": "auth required"})
    );
    control.send(json!({"type": "dance"})).await;
    assert_eq!(control.recv().await["reason"], "auth required");

    control
        .send(json!({"type": "auth", "token": "wrong", "password": "secret"}))
        .await;
    assert_eq!(
        control.recv().await,
        json!({"type": "auth_error", "reason": "invalid token"})
    );
    control
        .send(json!({"type": "auth", "token": server.token(), "password": "nope"}))
        .await;
    assert_eq!(control.recv().await["reason"], "invalid password");
    control
        .send(json!({"type": "auth", "token": server.token()}))
        .await;
    assert_eq!(control.recv().await["reason"], "invalid password");

    // The socket stayed open: a correct retry works and yields a session key.
    control
        .send(json!({"type": "auth", "token": server.token(), "password": "secret"}))
        .await;
    let ok = control.recv().await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    assert_eq!(ok["requiresPassword"], true);
    let key = ok["sessionKey"].as_str().expect("session key").to_owned();
    assert!(key.len() >= 22, "128-bit key");

    // After auth: unknown types and a second auth get errors.
    control.recv_type("tmux_state").await;
    control.send(json!({"type": "dance"})).await;
    let error = control.recv_error().await;
    assert_eq!(error["type"], "error");
    assert!(error["message"].as_str().expect("text").contains("dance"));

    // The session key stands in for the password, on a new socket.
    let mut again = Control::connect(&server).await;
    again
        .send(json!({"type": "auth", "token": server.token(), "sessionKey": key}))
        .await;
    let ok = again.recv().await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    assert!(
        ok.get("sessionKey").is_none(),
        "no new key without a password"
    );
    let mut forged = Control::connect(&server).await;
    forged
        .send(json!({"type": "auth", "token": server.token(), "sessionKey": "AAAAAAAAAAAAAAAAAAAAAA"}))
        .await;
    assert_eq!(forged.recv().await["reason"], "invalid password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_throttled_then_admitted() {
    let mut policy = ThrottlePolicy::default();
    policy.per_source = Backoff::new(
        2,
        Duration::from_millis(400),
        Duration::from_millis(400),
        Duration::from_secs(60),
    );
    let server = TestServer::builder().throttle(policy).start().await;
    let mut control = Control::connect(&server).await;
    let mut throttled = None;
    for _ in 0..6 {
        control
            .send(json!({"type": "auth", "token": "guess"}))
            .await;
        let reply = control.recv().await;
        assert_eq!(reply["type"], "auth_error");
        if reply["reason"] == "too many attempts" {
            throttled = Some(reply);
            break;
        }
        assert_eq!(reply["reason"], "invalid token");
    }
    let throttled = throttled.expect("throttled after repeated failures");
    let wait = throttled["retryAfterMs"].as_u64().expect("retryAfterMs");
    assert!(wait > 0 && wait <= 400, "{throttled}");
    tokio::time::sleep(Duration::from_millis(wait + 50)).await;
    control
        .send(json!({"type": "auth", "token": server.token()}))
        .await;
    assert_eq!(control.recv().await["type"], "auth_ok");
}

/// Behind a tunnel every connection comes from loopback: with the option on,
/// one client's failures (by `CF-Connecting-IP`) do not throttle another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunnel_clients_are_throttled_by_their_own_address() {
    let mut policy = ThrottlePolicy::default();
    policy.per_source = Backoff::new(
        2,
        Duration::from_secs(30),
        Duration::from_secs(30),
        Duration::from_secs(60),
    );
    let server = TestServer::builder()
        .throttle(policy)
        .trust_cf_connecting_ip()
        .start()
        .await;
    let connect = |ip: &'static str| {
        let server = &server;
        async move {
            Control {
                ws: ws_connect_with_headers(server, "/ws/control", &[("cf-connecting-ip", ip)])
                    .await,
            }
        }
    };
    let mut attacker = connect("203.0.113.66").await;
    let mut reasons = Vec::new();
    for _ in 0..4 {
        attacker
            .send(json!({"type": "auth", "token": "guess"}))
            .await;
        let reply = attacker.recv().await;
        reasons.push(reply["reason"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        reasons.last().map(String::as_str),
        Some("too many attempts"),
        "{reasons:?}"
    );
    let mut owner = connect("198.51.100.20").await;
    owner
        .send(json!({"type": "auth", "token": server.token()}))
        .await;
    assert_eq!(owner.recv().await["type"], "auth_ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_unauthenticated_sockets_are_closed() {
    let server = TestServer::builder()
        .auth_timeout(Duration::from_millis(300))
        .start()
        .await;
    let mut control = Control::connect(&server).await;
    match control.next().await {
        Next::Closed(frame) => {
            let frame = frame.expect("close frame");
            assert_eq!(u16::from(frame.code), 1008);
        }
        Next::Json(value) => panic!("unexpected {value}"),
    }
    // An authenticated socket is not subject to it.
    let (mut live, ..) = attached_client(&server).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    live.send(json!({"type": "new_window", "session": "main"}))
        .await;
    live.recv_type("tmux_state").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_control_frames_are_refused() {
    let server = TestServer::start().await;
    let (mut control, ..) = attached_client(&server).await;
    let big = "x".repeat(70 * 1024);
    control
        .send(json!({"type": "send_compose", "text": big}))
        .await;
    let frame = control.closed().await.expect("close frame");
    assert_eq!(u16::from(frame.code), 1009);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_is_pushed_only_when_it_changes() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut control, _, own, state) = attached_client(&server).await;
    if session(&state, &own).is_some_and(|s| s["attached"] != true) {
        control
            .wait_state(|s| session(s, &own).is_some_and(|s| s["attached"] == true))
            .await;
    }
    // The watcher re-checks tmux every 1.5 s; nothing changes, so nothing
    // is sent.
    let quiet = tokio::time::timeout(Duration::from_secs(2), control.next()).await;
    assert!(quiet.is_err(), "unexpected message: {:?}", quiet.ok());
    // A change made outside tmux-mobile is pushed.
    server
        .tmux_run(&["new-window", "-d", "-t", "=work:"])
        .expect("new-window");
    control
        .wait_state(|s| session(s, "work").is_some_and(|s| s["windows"] == 2))
        .await;
}
