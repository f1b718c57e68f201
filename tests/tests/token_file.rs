//! `--token-file` against the real binary: the link and the remembered
//! devices survive a restart (a home-screen shortcut keeps working), the
//! owner lists and revokes devices, a revoked device is cut off at once
//! and stays out after a restart, and a file other users may read is
//! refused. No secret reaches stderr, and the file holds neither the
//! password nor a session key.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::{Value, json};
use tmux_mobile_e2e::ws::{self, Ws};
use tmux_mobile_e2e::{AppCommand, DEADLINE, TmuxSandbox};

const EXIT_DEADLINE: Duration = Duration::from_secs(10);

const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";

/// Logs in on `/ws/control` as a browser with `user_agent`; returns the
/// socket and the answer (`auth_ok` or `auth_error`).
async fn login(port: u16, user_agent: &str, auth: Value) -> (Ws, Value) {
    let mut ws = ws::connect_with_headers(port, "/ws/control", &[("User-Agent", user_agent)])
        .await
        .expect("connect /ws/control");
    ws::send_json(&mut ws, &auth).await;
    let answer = ws::recv_json(&mut ws, DEADLINE).await;
    (ws, answer)
}

async fn devices(ws: &mut Ws) -> Vec<Value> {
    ws::send_json(ws, &json!({"type": "list_devices"})).await;
    let msg = ws::recv_type(ws, "devices", DEADLINE).await;
    msg["devices"]
        .as_array()
        .expect("devices is a list")
        .clone()
}

fn start(sandbox: &TmuxSandbox, file: &Path) -> (tmux_mobile_e2e::App, u16, String, String) {
    let path = file.to_str().expect("UTF-8 path");
    let app = AppCommand::local(&["--token-file", path, "--read-only-link"]).spawn(sandbox);
    let local = app.local_url(DEADLINE);
    let password = app.wait_for_stdout("Password: ", DEADLINE);
    let read_only = app.wait_for_stdout("Read-only URL: ", DEADLINE);
    let read_only = tmux_mobile_e2e::LocalUrl::parse(&read_only).expect("read-only URL");
    (
        app,
        local.port,
        local.token,
        format!("{password}\n{}", read_only.token),
    )
}

fn stop(app: tmux_mobile_e2e::App, secrets: &[&str]) {
    app.signal(Signal::SIGTERM);
    let out = app.finish(EXIT_DEADLINE);
    assert!(out.status.success(), "{out:?}");
    for secret in secrets {
        assert!(!out.stderr.contains(secret), "a secret reached stderr");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_and_remembered_devices_survive_a_restart_and_revoking_cuts_one_off() {
    let sandbox = TmuxSandbox::new();
    let file = sandbox.tmpdir().join("token");

    // First run: the file is made, private, and holds the printed token.
    let (app, port, token, extra) = start(&sandbox, &file);
    let (password, ro_token) = extra.split_once('\n').expect("two lines");
    let mode = std::fs::metadata(&file)
        .expect("token file made")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let text = std::fs::read_to_string(&file).expect("read the token file");
    assert!(
        text.contains(&format!("token {token}\n")),
        "printed token is the file's"
    );

    let (mut owner, ok) = login(
        port,
        ANDROID_CHROME,
        json!({"type": "auth", "token": token, "password": password}),
    )
    .await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    let owner_key = ok["sessionKey"].as_str().expect("a session key").to_owned();
    let (other, ok) = login(
        port,
        "curl/8",
        json!({"type": "auth", "token": token, "password": password}),
    )
    .await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    let other_key = ok["sessionKey"].as_str().expect("a session key").to_owned();
    let (mut viewer, ok) = login(
        port,
        "curl/8",
        json!({"type": "auth", "token": ro_token, "password": password}),
    )
    .await;
    assert_eq!(ok["readOnly"], true, "{ok}");
    let viewer_key = ok["sessionKey"].as_str().expect("a session key").to_owned();

    let list = devices(&mut owner).await;
    assert_eq!(list.len(), 3, "{list:?}");
    let me: Vec<&Value> = list.iter().filter(|d| d["current"] == true).collect();
    assert_eq!(me.len(), 1, "{list:?}");
    assert_eq!(me[0]["label"], "Android · Chrome");
    assert_eq!(me[0]["readOnly"], false);
    assert!(list.iter().all(|d| d["online"] == true), "{list:?}");
    assert_eq!(list.iter().filter(|d| d["readOnly"] == true).count(), 1);
    let text = std::fs::read_to_string(&file).expect("read the token file");
    for secret in [password, &owner_key, &other_key, &viewer_key] {
        assert!(
            !text.contains(secret),
            "the file holds a password or session key"
        );
    }
    // A read-only device may not see or change the list.
    ws::send_json(&mut viewer, &json!({"type": "list_devices"})).await;
    assert_eq!(
        ws::recv_type(&mut viewer, "error", DEADLINE).await["message"],
        "read-only"
    );
    drop((owner, other, viewer));
    stop(
        app,
        &[&token, password, &owner_key, &other_key, &viewer_key],
    );

    // Second run: same link; the remembered devices get in without the
    // (new) password, as a home-screen shortcut would.
    let (app, port, token2, extra) = start(&sandbox, &file);
    let (password2, ro_token2) = extra.split_once('\n').expect("two lines");
    assert_eq!(token2, token, "the link survived the restart");
    assert_eq!(ro_token2, ro_token, "the read-only link survived too");
    assert_ne!(password2, password, "the password is never stored");
    let (mut owner, ok) = login(
        port,
        ANDROID_CHROME,
        json!({"type": "auth", "token": token, "sessionKey": owner_key}),
    )
    .await;
    assert_eq!(
        ok["type"], "auth_ok",
        "remembered device refused after restart: {ok}"
    );
    let (mut other, ok) = login(
        port,
        "curl/8",
        json!({"type": "auth", "token": token, "sessionKey": other_key}),
    )
    .await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    let attached = ws::recv_type(&mut other, "attached", DEADLINE).await;
    let other_session = attached["session"].as_str().expect("a session").to_owned();
    ws::recv_type(&mut other, "tmux_state", DEADLINE).await;

    // Revoke the other device: its socket closes at once, its key is dead.
    let list = devices(&mut owner).await;
    assert_eq!(list.len(), 3, "{list:?}");
    let victim = list
        .iter()
        .find(|d| d["current"] == false && d["readOnly"] == false)
        .expect("the other control device")["id"]
        .clone();
    ws::send_json(&mut owner, &json!({"type": "revoke_device", "id": victim})).await;
    let list = ws::recv_type(&mut owner, "devices", DEADLINE).await;
    let ids: Vec<&Value> = list["devices"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| &d["id"])
        .collect();
    assert!(!ids.contains(&&victim), "{list}");
    assert_eq!(ids.len(), 2, "{list}");
    let closed = ws::wait_closed(&mut other, DEADLINE)
        .await
        .expect("a close frame");
    assert_eq!(u16::from(closed.code), 4003, "{closed:?}");
    // No resume grace: its grouped session goes at once (30 s grace here).
    assert!(
        tmux_mobile_e2e::wait_until(DEADLINE, || !sandbox
            .session_names()
            .contains(&other_session)),
        "the revoked client's session {other_session} is still there"
    );
    let (_gone, refused) = login(
        port,
        "curl/8",
        json!({"type": "auth", "token": token, "sessionKey": other_key}),
    )
    .await;
    assert_eq!(refused["type"], "auth_error", "{refused}");
    assert_eq!(refused["reason"], "invalid password");
    // Revoking it again is an error a person can read, not a crash.
    ws::send_json(&mut owner, &json!({"type": "revoke_device", "id": victim})).await;
    let error = ws::recv_type(&mut owner, "error", DEADLINE).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("not remembered"),
        "{error}"
    );
    // A malformed id is refused by the decoder.
    ws::send_json(&mut owner, &json!({"type": "revoke_device", "id": "a b"})).await;
    let error = ws::recv_type(&mut owner, "error", DEADLINE).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("id must be"),
        "{error}"
    );
    drop(owner);
    stop(app, &[&token, password2, &owner_key, &other_key]);

    // Third run: the revocation was kept.
    let (app, port, _, _) = start(&sandbox, &file);
    let (_gone, refused) = login(
        port,
        "curl/8",
        json!({"type": "auth", "token": token, "sessionKey": other_key}),
    )
    .await;
    assert_eq!(refused["reason"], "invalid password", "{refused}");
    let (_owner, ok) = login(
        port,
        "curl/8",
        json!({"type": "auth", "token": token, "sessionKey": owner_key}),
    )
    .await;
    assert_eq!(ok["type"], "auth_ok", "{ok}");
    stop(app, &[&token, &owner_key, &other_key]);
}

#[test]
fn a_token_file_other_users_may_read_is_refused_with_the_fix() {
    let sandbox = TmuxSandbox::new();
    let file = sandbox.tmpdir().join("token");
    let token = "Zm9vYmFyYmF6cXV4cXV1eHh5";
    std::fs::write(&file, format!("version 1\ntoken {token}\n")).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let path = file.to_str().expect("UTF-8 path");
    let out = AppCommand::local(&["--token-file", path]).run(&sandbox, DEADLINE);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        out.stderr.contains("mode 0644") && out.stderr.contains("chmod 600"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(token) && !out.stdout.contains(token),
        "the token was printed"
    );
    assert!(!out.stdout.contains("Local URL"), "{}", out.stdout);

    // Fixed as told, the same file works and its token is the link's.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let app = AppCommand::local(&["--token-file", path]).spawn(&sandbox);
    assert_eq!(app.local_url(DEADLINE).token, token);
    app.signal(Signal::SIGTERM);
    assert!(app.finish(EXIT_DEADLINE).status.success());
}
