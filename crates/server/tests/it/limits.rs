//! Limits on sockets and clients per address, per credential and in all:
//! over a limit, a clear `error` and close code 4029, never a silent drop;
//! under it, everything works as before.

use serde_json::json;
use tmux_mobile_server::{Limits, TestServer};

use crate::common::{Control, Next, ws_connect, ws_connect_with_headers};

const CLOSE_TOO_MANY: u16 = 4029;

/// A control socket from `ip` (the server trusts `CF-Connecting-IP`).
async fn control_from(server: &TestServer, ip: &'static str) -> Control {
    Control {
        ws: ws_connect_with_headers(server, "/ws/control", &[("cf-connecting-ip", ip)]).await,
    }
}

/// Sends `auth` with `token` (and a resume `clientId`); the first answer.
async fn auth(control: &mut Control, token: &str, client_id: Option<&str>) -> serde_json::Value {
    let mut message = json!({"type": "auth", "token": token});
    if let Some(id) = client_id {
        message["clientId"] = json!(id);
    }
    control.send(message).await;
    control.recv().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_over_the_per_address_limit_close_with_4029_and_free_their_place() {
    let mut limits = Limits::default();
    limits.sockets_per_address = 3;
    let server = TestServer::builder().limits(limits).start().await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(ws_connect(&server, "/ws/control").await);
    }
    let mut refused = Control {
        ws: ws_connect(&server, "/ws/terminal").await,
    };
    let frame = refused.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), CLOSE_TOO_MANY);
    assert_eq!(
        frame.reason.as_str(),
        "too many connections from your address (limit 3)"
    );
    // A socket that closes frees its place.
    drop(open.pop());
    let deadline = tokio::time::Instant::now() + crate::common::DEADLINE;
    loop {
        let mut control = Control::connect(&server).await;
        control
            .send(json!({"type": "auth", "token": server.token()}))
            .await;
        match control.next().await {
            Next::Json(reply) => {
                assert_eq!(reply["type"], "auth_ok", "{reply}");
                break;
            }
            Next::Closed(frame) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(CLOSE_TOO_MANY));
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the place was never freed"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_over_the_address_and_credential_limits_get_an_error_and_4029() {
    let mut limits = Limits::default();
    limits.clients_per_address = 2;
    limits.clients_per_credential = 3;
    let server = TestServer::builder()
        .read_only_link()
        .trust_cf_connecting_ip()
        .limits(limits)
        .start()
        .await;
    let token = server.token().to_owned();
    let mut first = control_from(&server, "198.51.100.1").await;
    let first_id = auth(&mut first, &token, None).await["clientId"]
        .as_str()
        .expect("clientId")
        .to_owned();
    let mut second = control_from(&server, "198.51.100.1").await;
    assert_eq!(auth(&mut second, &token, None).await["type"], "auth_ok");

    // A third client from the same address: refused, and said so.
    let mut third = control_from(&server, "198.51.100.1").await;
    let error = auth(&mut third, &token, None).await;
    assert_eq!(error["type"], "error", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("from your address (limit 2)"), "{message}");
    let frame = third.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), CLOSE_TOO_MANY);

    // Resuming an existing client is not a new one.
    drop(first);
    let mut again = control_from(&server, "198.51.100.1").await;
    let resumed = auth(&mut again, &token, Some(&first_id)).await;
    assert_eq!(resumed["clientId"], first_id.as_str(), "{resumed}");

    // Another address may: until the control link has 3 clients.
    let mut other = control_from(&server, "198.51.100.2").await;
    assert_eq!(auth(&mut other, &token, None).await["type"], "auth_ok");
    let mut fourth = control_from(&server, "198.51.100.3").await;
    let error = auth(&mut fourth, &token, None).await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("use this link (limit 3)")),
        "{error}"
    );
    // The read-only link is another credential.
    let viewer_token = server
        .read_only_token()
        .expect("read-only token")
        .to_owned();
    let mut viewer = control_from(&server, "198.51.100.3").await;
    let ok = auth(&mut viewer, &viewer_token, None).await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    assert_eq!(ok["readOnly"], true);
}
