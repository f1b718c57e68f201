//! Web Push end to end: a prompt in a real tmux pane reaches a real push
//! service on 127.0.0.1 (crates/push's test service, which verifies the
//! VAPID JWT and decrypts each body with Python's `cryptography` and
//! `http_ece`, independently of our code), a notification's quick reply
//! reaches the pane, a read-only key cannot answer, and a revoked key is
//! neither pushed to nor allowed to act. And a subscribed phone is told
//! even when its page closed long ago (no session of its own left): while
//! a subscription is held every session has a tap on a managed session of
//! ours, gone again with the last subscription.

use serde_json::{Value, json};
use tmux_mobile_push::test_support::{Received, TestPushService};
use tmux_mobile_push::{EndpointPolicy, PushOptions};
use tmux_mobile_server::{TestServer, WebPushOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::attention::{background_window, run_script, tap_sessions, wait_for_tap};
use crate::common::{Control, DEADLINE, HttpResponse, eventually, managed_sessions};

/// `POST <path>` with a JSON body and extra header lines.
async fn post(server: &TestServer, path: &str, body: &str, headers: &[&str]) -> HttpResponse {
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close",
        server.addr(),
        body.len()
    );
    for header in headers {
        head.push_str("\r\n");
        head.push_str(header);
    }
    let request = format!("{head}\r\n\r\n{body}");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// `POST` of a JSON value as `application/json`; status and JSON answer.
async fn post_json(server: &TestServer, path: &str, body: &Value) -> (u16, Value) {
    let response = post(
        server,
        path,
        &body.to_string(),
        &["Content-Type: application/json"],
    )
    .await;
    let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, value)
}

/// Logs in on the control socket with `token` and the password; the
/// session key, and the socket (still connected).
async fn login(server: &TestServer, token: &str) -> (String, Control) {
    let mut control = Control::connect(server).await;
    control
        .send(json!({"type": "auth", "token": token, "password": server.password()}))
        .await;
    let ok = control.recv_type("auth_ok").await;
    let key = ok["sessionKey"].as_str().expect("a session key").to_owned();
    (key, control)
}

fn server_options(service_concurrency: usize) -> WebPushOptions {
    WebPushOptions::default().with_service(
        PushOptions::default()
            .with_endpoint_policy(EndpointPolicy::allow_loopback_http_for_tests())
            .with_subject("mailto:tests@example.org")
            .with_concurrency(service_concurrency),
    )
}

async fn next_push(service: &mut TestPushService) -> (Received, Value) {
    let got = service
        .next(DEADLINE)
        .await
        .expect("the push service got a request in time");
    assert!(got.ok, "independent check failed: {:?}", got.error);
    let payload: Value =
        serde_json::from_str(got.plaintext.as_deref().expect("plaintext")).expect("JSON payload");
    (got, payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_is_pushed_encrypted_a_quick_reply_answers_it_and_a_revoked_key_stops() {
    let mut service = TestPushService::start().await;
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .password("correct horse")
        .read_only_link()
        .web_push(Some(server_options(1)))
        .start()
        .await;
    let token = server.token().to_owned();
    let viewer_token = server
        .read_only_token()
        .expect("read-only token")
        .to_owned();
    let (control_key, control) = login(&server, &token).await;
    let (viewer_key, viewer) = login(&server, &viewer_token).await;
    // Both pages close: attention now has to be pushed.
    drop((control, viewer));
    eventually("both pages gone", || server.push_connected_keys() == 0).await;

    let (status, key) = post_json(
        &server,
        "/api/push/key",
        &json!({"token": token, "sessionKey": control_key}),
    )
    .await;
    assert_eq!(status, 200, "{key}");
    let public_key = key["publicKey"].as_str().expect("publicKey").to_owned();
    assert_eq!(public_key.len(), 87, "65 bytes, base64url");
    assert_eq!(key["preview"], "text");
    for (tok, session_key, path) in [
        (&token, &control_key, "/push/control"),
        (&viewer_token, &viewer_key, "/push/viewer"),
    ] {
        let subscription = json!({
            "endpoint": service.endpoint(path),
            "keys": {"p256dh": service.p256dh(), "auth": service.auth()},
        });
        let (status, answer) = post_json(
            &server,
            "/api/push/subscribe",
            &json!({"token": tok, "sessionKey": session_key, "subscription": subscription}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    assert_eq!(server.push_stats().subscriptions, 2);

    // An agent in a background window asks, and waits for one key.
    wait_for_tap(&server).await;
    let agent = background_window(&server, "work", "agent");
    run_script(
        &server,
        &agent,
        "ask.sh",
        "printf '\\nBash command\\n\\nDo you want to proceed?\\n\\342\\235\\257 1. Yes\\n  2. No\\n'\n\
         stty raw -echo\nc=$(dd bs=1 count=1 2>/dev/null)\nstty sane\necho \"got:$c\"\nsleep 600\n",
    );
    let mut payloads = Vec::new();
    for _ in 0..2 {
        let (got, payload) = next_push(&mut service).await;
        let jwt = got.jwt.expect("verified JWT");
        assert_eq!(jwt["k"], public_key.as_str());
        assert_eq!(jwt["sub"], "mailto:tests@example.org");
        assert_eq!(got.urgency.as_deref(), Some("high"));
        assert_eq!(
            got.topic.as_deref(),
            Some(format!("pane-{}", &agent[1..]).as_str())
        );
        payloads.push((got.path, payload));
    }
    payloads.sort_by(|a, b| a.0.cmp(&b.0));
    let (control_push, viewer_push) = (&payloads[0], &payloads[1]);
    assert_eq!(control_push.0, "/push/control");
    assert_eq!(viewer_push.0, "/push/viewer");
    for (_, payload) in &payloads {
        assert_eq!(payload["type"], "attention");
        assert_eq!(payload["reason"], "prompt");
        assert_eq!(payload["paneId"], agent.as_str());
        assert_eq!(payload["session"], "work");
        assert_eq!(payload["text"], "Do you want to proceed?");
        // No more terminal text than `text`: the options stay home.
        assert!(!payload.to_string().contains("Yes"), "{payload}");
    }
    assert_eq!(control_push.1["canAnswer"], true);
    assert_eq!(viewer_push.1["canAnswer"], false, "read-only cannot answer");
    let at = control_push.1["at"].as_u64().expect("at");

    // The quick reply: read-only refused, a stale `at` refused, then typed.
    let reply = |tok: &str, key: &str, at: u64| json!({"token": tok, "sessionKey": key, "paneId": agent, "at": at, "reply": 0});
    let (status, answer) = post_json(
        &server,
        "/api/push/reply",
        &reply(&viewer_token, &viewer_key, at),
    )
    .await;
    assert_eq!((status, answer["error"].as_str()), (403, Some("read-only")));
    let (status, _) = post_json(
        &server,
        "/api/push/reply",
        &reply(&token, &control_key, at - 1),
    )
    .await;
    assert_eq!(
        status, 409,
        "a notification of an older prompt types nothing"
    );
    let (status, answer) =
        post_json(&server, "/api/push/reply", &reply(&token, &control_key, at)).await;
    assert_eq!(status, 200, "{answer}");
    eventually("the pane got the reply", || {
        server
            .tmux_run(&["capture-pane", "-p", "-t", &agent])
            .is_ok_and(|screen| screen.contains("got:1"))
    })
    .await;
    let (status, _) = post_json(&server, "/api/push/reply", &reply(&token, &control_key, at)).await;
    assert_eq!(status, 409, "answered once only");

    // The control key is revoked: its subscription goes before the next
    // push, and it can no longer act.
    server.authenticator().revoke_session_key(&control_key);
    let queued_before = server.push_stats().queued;
    let notifier = background_window(&server, "work", "notifier");
    run_script(
        &server,
        &notifier,
        "notify.sh",
        "printf '\\033]9;build finished\\007'\nsleep 600\n",
    );
    let (got, payload) = next_push(&mut service).await;
    assert_eq!(got.path, "/push/viewer");
    assert_eq!(payload["reason"], "notify");
    assert_eq!(payload["text"], "build finished");
    // Queued before it was delivered: final for this attention.
    assert_eq!(
        server.push_stats().queued - queued_before,
        1,
        "nothing queued for the revoked key"
    );
    assert_eq!(server.push_stats().subscriptions, 1);

    // A page that is open shows attention itself: nothing is pushed to
    // its key while its control socket is connected.
    let mut open = Control::connect(&server).await;
    open.send(json!({"type": "auth", "token": viewer_token, "sessionKey": viewer_key}))
        .await;
    open.recv_type("auth_ok").await;
    eventually("the viewer's page is connected", || {
        server.push_connected_keys() == 1
    })
    .await;
    let handled = server.push_stats().attentions;
    let queued_before = server.push_stats().queued;
    let second = background_window(&server, "work", "second");
    run_script(
        &server,
        &second,
        "notify2.sh",
        "printf '\\033]9;while you look\\007'
sleep 600
",
    );
    loop {
        let attention = open.recv_type("attention").await;
        if attention["paneId"] == second.as_str() {
            break;
        }
    }
    eventually("the push task handled the attention", || {
        server.push_stats().attentions > handled
    })
    .await;
    assert_eq!(
        server.push_stats().queued,
        queued_before,
        "nothing pushed to a connected page"
    );
    drop(open);

    let (status, answer) = post_json(
        &server,
        "/api/push/subscribe",
        &json!({"token": token, "sessionKey": control_key, "subscription": {}}),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("invalid password"))
    );
}

/// `group name` of every session of ours that is not a phone's (the taps'
/// own: `tmux-mobile-client-~attn-<n>`).
fn own_tap_sessions(server: &TestServer) -> Vec<String> {
    server
        .tmux_run(&["list-sessions", "-F", "#{session_group} #{session_name}"])
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" tmux-mobile-client-~attn-"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_gone_past_its_grace_is_still_told_while_subscribed() {
    let mut service = TestPushService::start().await;
    let server = TestServer::builder()
        .with_sessions(&["work", "play"])
        .password("correct horse")
        .resume_grace(std::time::Duration::from_millis(100))
        .web_push(Some(server_options(1)))
        .start()
        .await;
    let token = server.token().to_owned();
    let (key, control) = login(&server, &token).await;
    let (status, answer) = post_json(
        &server,
        "/api/push/key",
        &json!({"token": token, "sessionKey": key}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    // The page closes and its resume grace passes: no phone's session (and
    // so no tap riding on one) is left.
    drop(control);
    eventually("the phone's session is gone", || {
        server.push_connected_keys() == 0 && managed_sessions(&server).is_empty()
    })
    .await;
    assert!(own_tap_sessions(&server).is_empty(), "nothing of ours yet");

    // Subscribing asks to be told while away: each session gets a tap on
    // one session of ours.
    let subscription = json!({
        "endpoint": service.endpoint("/push/away"),
        "keys": {"p256dh": service.p256dh(), "auth": service.auth()},
    });
    let (status, answer) = post_json(
        &server,
        "/api/push/subscribe",
        &json!({"token": token, "sessionKey": key, "subscription": subscription}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    eventually("one session of ours per session, each with its tap", || {
        let mut groups: Vec<String> = own_tap_sessions(&server)
            .iter()
            .filter_map(|l| l.split_once(' ').map(|(group, _)| group.to_owned()))
            .collect();
        groups.sort();
        let taps = tap_sessions(&server)
            .iter()
            .filter(|s| s.starts_with("tmux-mobile-client-~attn-"))
            .count();
        groups == ["play", "work"] && taps == 2
    })
    .await;

    // A bell and a prompt in panes nobody looks at reach the push service.
    let bell = background_window(&server, "play", "bell");
    run_script(&server, &bell, "bell.sh", "printf 'done\\007'\nsleep 600\n");
    let (got, payload) = next_push(&mut service).await;
    assert_eq!(got.path, "/push/away");
    assert_eq!(payload["reason"], "bell");
    assert_eq!(payload["paneId"], bell.as_str());
    assert_eq!(payload["session"], "play");
    let agent = background_window(&server, "work", "agent");
    run_script(
        &server,
        &agent,
        "ask.sh",
        "printf '\\nDo you want to proceed?\\n\\342\\235\\257 1. Yes\\n  2. No\\n'\nsleep 600\n",
    );
    let (_, payload) = next_push(&mut service).await;
    assert_eq!(payload["reason"], "prompt");
    assert_eq!(payload["paneId"], agent.as_str());
    assert_eq!(payload["text"], "Do you want to proceed?");

    // The last subscription goes: so do the sessions of ours.
    let (status, answer) = post_json(
        &server,
        "/api/push/unsubscribe",
        &json!({"token": token, "sessionKey": key, "endpoint": service.endpoint("/push/away")}),
    )
    .await;
    assert_eq!(
        (status, &answer["removed"]),
        (200, &json!(true)),
        "{answer}"
    );
    eventually("nothing of ours left", || {
        let mut names = server.session_names();
        names.sort();
        names == ["play", "work"]
    })
    .await;
    eventually("no control client of ours left", || {
        server
            .tmux_run(&["list-clients", "-F", "#{client_control_mode}"])
            .is_ok_and(|out| !out.lines().any(|l| l == "1"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_requests_are_authenticated_validated_and_bounded() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .password("pw")
        .start()
        .await;
    let token = server.token().to_owned();
    let (key, _control) = login(&server, &token).await;
    let creds = json!({"token": token, "sessionKey": key});

    // Not JSON, not POST, too large, cross-origin, no credentials.
    let response = post(&server, "/api/push/key", &creds.to_string(), &[]).await;
    assert_eq!(response.status, 415);
    let response = crate::common::http_get(&server, "/api/push/key", &[]).await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
    let big = json!({"token": token, "sessionKey": key, "pad": "x".repeat(10_000)});
    let response = post(
        &server,
        "/api/push/key",
        &big.to_string(),
        &["Content-Type: application/json"],
    )
    .await;
    assert_eq!(response.status, 413);
    let response = post(
        &server,
        "/api/push/key",
        &creds.to_string(),
        &[
            "Content-Type: application/json",
            "Origin: https://evil.example",
        ],
    )
    .await;
    assert_eq!(response.status, 403);
    let (status, _) = post_json(&server, "/api/push/key", &json!({"token": token})).await;
    assert_eq!(status, 403, "a session key is required");
    let (status, answer) = post_json(
        &server,
        "/api/push/key",
        &json!({"token": "wrong", "sessionKey": key}),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("invalid token"))
    );
    let (status, _) = post_json(&server, "/api/push/nothing", &creds).await;
    assert_eq!(status, 404);

    // The SSRF rule: only public https endpoints (the default policy).
    let mut body = creds.clone();
    for endpoint in [
        "http://push.example.net/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://localhost/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest",
    ] {
        body["subscription"] = json!({
            "endpoint": endpoint,
            "keys": {
                "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                "auth": "BTBZMqHH6r4Tts7J_aSIgg",
            },
        });
        let (status, answer) = post_json(&server, "/api/push/subscribe", &body).await;
        assert_eq!(status, 400, "{endpoint}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.contains("refused")),
            "{endpoint}: {answer}"
        );
    }
    body["subscription"] = json!({"endpoint": "https://push.example.net/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}});
    let (status, _) = post_json(&server, "/api/push/subscribe", &body).await;
    assert_eq!(status, 400, "bad keys");
    assert_eq!(server.push_stats().subscriptions, 0);

    // Without a password there are no session keys to subscribe with.
    let open = TestServer::builder().with_sessions(&["work"]).start().await;
    let (status, answer) = post_json(
        &open,
        "/api/push/key",
        &json!({"token": open.token(), "sessionKey": "AAAAAAAAAAAAAAAAAAAAAA"}),
    )
    .await;
    assert_eq!(status, 403, "{answer}");

    // The key is made on first use, 0600, and the next run finds it.
    let state = open.tmux_tmpdir().join("state").join("tmux-mobile");
    let key_file = state.join("vapid-key");
    let mut public_keys = Vec::new();
    for _ in 0..2 {
        let server = TestServer::builder()
            .password("pw")
            .web_push(Some(
                WebPushOptions::default().with_key_file(Some(key_file.clone())),
            ))
            .start()
            .await;
        let (key, _control) = login(&server, server.token()).await;
        assert!(
            !key_file.exists() || !public_keys.is_empty(),
            "made on first use only"
        );
        let (status, answer) = post_json(
            &server,
            "/api/push/key",
            &json!({"token": server.token(), "sessionKey": key}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        public_keys.push(answer["publicKey"].as_str().expect("key").to_owned());
    }
    assert_eq!(public_keys[0], public_keys[1], "the key outlives the run");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key_file)
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Turned off: 404.
    let off = TestServer::builder().web_push(None).start().await;
    let (status, _) = post_json(&off, "/api/push/key", &json!({})).await;
    assert_eq!(status, 404);
}
