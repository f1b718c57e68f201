//! Attacks on the real binary, one promise of SECURITY.md each. Every test
//! asserts the refusal *and* that a legitimate client is served afterwards:
//! a defence that takes the server down with the attacker proves nothing.
//!
//! Tests that need many source addresses run the binary with its tunnel on
//! (a fake `cloudflared`), so `CF-Connecting-IP` is believed on loopback,
//! exactly as behind a real quick tunnel.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tmux_mobile_e2e::raw::{Next, RawWs, opcode};
use tmux_mobile_e2e::ws::{self, Ws};
use tmux_mobile_e2e::{App, AppCommand, DEADLINE, FakeCloudflared, LocalUrl, TmuxSandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "attack-test-password";
const SHORT: Duration = Duration::from_secs(3);

/// The app behind the fake tunnel, with a password, and its local URL.
fn tunnelled(sandbox: &TmuxSandbox, fake: &FakeCloudflared, extra: &[&str]) -> (App, LocalUrl) {
    let mut args = vec!["--password", PASSWORD];
    args.extend_from_slice(extra);
    let app = fake.command_with("steady", &args).spawn(sandbox);
    let local = app.local_url(DEADLINE);
    app.wait_for_stdout("Tunnel URL: ", DEADLINE);
    (app, local)
}

/// A control socket as if from `ip` through the tunnel.
async fn control_from(port: u16, ip: &str) -> Ws {
    ws::connect_with_headers(port, "/ws/control", &[("cf-connecting-ip", ip)])
        .await
        .expect("connect /ws/control")
}

/// The `auth_error` reason (or `"ok"`) of one `auth` on a fresh socket
/// from `ip`.
async fn try_auth(port: u16, ip: &str, auth: &Value) -> Value {
    let mut control = control_from(port, ip).await;
    ws::send_json(&mut control, auth).await;
    ws::recv_json(&mut control, DEADLINE).await
}

/// The owner is served: control auth, `attached`, a terminal that echoes.
async fn owner_is_served(port: u16, token: &str, ip: &str) {
    let mut control = control_from(port, ip).await;
    ws::send_json(
        &mut control,
        &json!({"type": "auth", "token": token, "password": PASSWORD}),
    )
    .await;
    let auth_ok = ws::recv_json(&mut control, DEADLINE).await;
    assert_eq!(auth_ok["type"], "auth_ok", "{auth_ok}");
    let client_id = auth_ok["clientId"].as_str().expect("clientId").to_owned();
    ws::recv_type(&mut control, "attached", DEADLINE).await;
    // Through the tunnel too, so from the owner's address.
    let mut terminal = ws::connect_with_headers(port, "/ws/terminal", &[("cf-connecting-ip", ip)])
        .await
        .expect("connect /ws/terminal");
    ws::send_json(
        &mut terminal,
        &json!({"type": "auth", "token": token, "password": PASSWORD, "clientId": client_id}),
    )
    .await;
    ws::send_text(&mut terminal, "echo served-$((20+22))\r").await;
    ws::read_terminal_until(&mut terminal, "served-42", DEADLINE).await;
}

/// Resident set of `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// 1000 password guesses with the right token, each over its own connection
/// with its own `CF-Connecting-IP` (the cheapest way to look like 1000
/// phones): the guess budget judges only a handful, whatever the number of
/// addresses; the owner gets in after the delay the server advertises, and
/// a remembered device is never held back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brute_force_from_fresh_tunnel_addresses_is_budgeted() {
    let sandbox = TmuxSandbox::new();
    let fake = FakeCloudflared::new();
    let (app, local) = tunnelled(&sandbox, &fake, &[]);
    let token = local.token.clone();

    // A device that signed in before the attack.
    let remembered = try_auth(
        local.port,
        "198.51.100.1",
        &json!({"type": "auth", "token": token, "password": PASSWORD}),
    )
    .await;
    let key = remembered["sessionKey"]
        .as_str()
        .expect("sessionKey")
        .to_owned();

    let started = Instant::now();
    let (mut judged, mut throttled) = (0u32, 0u32);
    for n in 0..1000u32 {
        let ip = format!("10.{}.{}.{}", n >> 16, (n >> 8) & 0xff, n & 0xff);
        let reply = try_auth(
            local.port,
            &ip,
            &json!({"type": "auth", "token": token, "password": format!("guess-{n}")}),
        )
        .await;
        match reply["reason"].as_str() {
            Some("invalid password") => judged += 1,
            Some("too many attempts") => throttled += 1,
            _ => panic!("unexpected answer to a guess: {reply}"),
        }
    }
    let elapsed = started.elapsed();
    let rate = f64::from(judged) / elapsed.as_secs_f64();
    eprintln!(
        "brute force: 1000 guesses from 1000 addresses in {elapsed:?}: {judged} judged, \
         {throttled} throttled ({rate:.2} judged/s)"
    );
    // 10 free, then 1 s, 2 s, 4 s, 4 s, …: at most one per 4 s after the ramp.
    let ceiling = 10 + 3 + (elapsed.as_secs_f64() / 4.0).ceil() as u32;
    assert!(
        judged <= ceiling,
        "{judged} guesses judged in {elapsed:?}, more than the budget's {ceiling}"
    );

    // The remembered device gets straight in while the gate is shut.
    let reply = try_auth(
        local.port,
        "198.51.100.1",
        &json!({"type": "auth", "token": token, "sessionKey": key}),
    )
    .await;
    assert_eq!(reply["type"], "auth_ok", "{reply}");

    // The owner on a new device: at most one advertised wait.
    let owner = "198.51.100.2";
    let reply = try_auth(
        local.port,
        owner,
        &json!({"type": "auth", "token": token, "password": PASSWORD}),
    )
    .await;
    if reply["type"] != "auth_ok" {
        assert_eq!(reply["reason"], "too many attempts", "{reply}");
        let wait = reply["retryAfterMs"].as_u64().expect("retryAfterMs");
        assert!(wait <= 10_000, "advertised wait {wait} ms");
        // The advertised delay is the protocol's own instruction to wait.
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
    owner_is_served(local.port, &token, owner).await;
    drop(app);
}

/// Every wrong credential on both sockets is refused with the documented
/// answer; none of them disturbs a live client; the owner is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_on_both_sockets_are_refused() {
    let sandbox = TmuxSandbox::new();
    let fake = FakeCloudflared::new();
    let (app, local) = tunnelled(&sandbox, &fake, &["--read-only-link"]);
    let read_only =
        LocalUrl::parse(&app.wait_for_stdout("Read-only URL: ", DEADLINE)).expect("read-only URL");
    let (token, ro_token) = (local.token.clone(), read_only.token.clone());
    // Each attempt from an address of its own, so per-source throttling
    // never masks the answer under test (the guess budget allows 10).
    let mut next_ip = 0u32;
    let mut ip = || {
        next_ip += 1;
        format!("192.0.2.{next_ip}")
    };

    // A live client whose terminal must not be disturbed.
    let live = ws::control_attach(local.port, &token, Some(PASSWORD), DEADLINE).await;
    let mut live_terminal =
        ws::terminal_attach(local.port, &token, Some(PASSWORD), &live.client_id).await;
    ws::send_text(&mut live_terminal, "echo live-$((1+1))\r").await;
    ws::read_terminal_until(&mut live_terminal, "live-2", DEADLINE).await;

    // A read-only device's session key.
    let ro = try_auth(
        local.port,
        &ip(),
        &json!({"type": "auth", "token": ro_token, "password": PASSWORD}),
    )
    .await;
    assert_eq!(ro["readOnly"], true, "{ro}");
    let ro_key = ro["sessionKey"].as_str().expect("sessionKey").to_owned();

    let control_cases = [
        (json!({"type": "auth"}), "invalid token"),
        (json!({"type": "auth", "token": ""}), "invalid token"),
        (json!({"type": "auth", "token": "wrong"}), "invalid token"),
        (
            json!({"type": "auth", "token": "wrong", "password": PASSWORD}),
            "invalid token",
        ),
        (json!({"type": "auth", "token": token}), "invalid password"),
        (
            json!({"type": "auth", "token": token, "password": "wrong"}),
            "invalid password",
        ),
        // A read-only key does not stand in for the password on the
        // read-write link.
        (
            json!({"type": "auth", "token": token, "sessionKey": ro_key}),
            "invalid password",
        ),
        (
            json!({"type": "auth", "token": token, "sessionKey": "AAAAAAAAAAAAAAAAAAAAAA"}),
            "invalid password",
        ),
    ];
    for (auth, reason) in &control_cases {
        let reply = try_auth(local.port, &ip(), auth).await;
        assert_eq!(reply["type"], "auth_error", "{auth} -> {reply}");
        assert_eq!(reply["reason"], *reason, "{auth} -> {reply}");
    }

    let terminal_cases = [
        json!({"type": "auth", "clientId": live.client_id}),
        json!({"type": "auth", "token": "wrong", "password": PASSWORD, "clientId": live.client_id}),
        json!({"type": "auth", "token": token, "password": "wrong", "clientId": live.client_id}),
        json!({"type": "auth", "token": token, "sessionKey": ro_key, "clientId": live.client_id}),
        json!({"type": "auth", "token": token, "password": PASSWORD, "clientId": "never-existed"}),
        json!({"type": "auth", "token": token, "password": PASSWORD, "clientId": "../../etc"}),
        json!(["auth", token, PASSWORD]),
    ];
    for auth in &terminal_cases {
        let mut terminal =
            ws::connect_with_headers(local.port, "/ws/terminal", &[("cf-connecting-ip", &ip())])
                .await
                .expect("connect /ws/terminal");
        ws::send_json(&mut terminal, auth).await;
        let frame = ws::wait_closed(&mut terminal, DEADLINE).await;
        assert_eq!(
            frame.map(|f| u16::from(f.code)),
            Some(4001),
            "terminal auth {auth} must close with 4001"
        );
    }

    // The live client noticed nothing and still types.
    ws::send_text(&mut live_terminal, "echo still-$((2+2))\r").await;
    ws::read_terminal_until(&mut live_terminal, "still-4", DEADLINE).await;
    owner_is_served(local.port, &token, &ip()).await;
    drop(app);
}

/// Frames no browser sends, before and after auth: each is answered or
/// the socket is closed with a code, memory stays bounded, the server
/// serves the owner afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_frames_are_answered_or_closed() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--password", PASSWORD]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let port = local.port;
    let auth = json!({"type": "auth", "token": local.token, "password": PASSWORD}).to_string();
    let rss_before = rss_kib(app.pid());

    // Invalid UTF-8 in a text frame: closed with 1007 (invalid payload).
    let mut raw = RawWs::connect(port, "/ws/control", &[]).await;
    raw.send(
        true,
        opcode::TEXT,
        b"{\"type\":\"auth\",\"token\":\"\xff\xfe\"}",
    )
    .await;
    assert_eq!(raw.until_closed(DEADLINE).await, Ok(Some(1007)));

    // Not JSON, an array, a number, wrong field types: `error` or
    // `auth_error`, and the socket stays open for a proper auth.
    let mut raw = RawWs::connect(port, "/ws/control", &[]).await;
    for (frame, ty) in [
        ("not json", "error"),
        ("[1,2,3]", "error"),
        ("42", "error"),
        ("{\"type\":7}", "error"),
        ("{\"type\":\"auth\",\"token\":5}", "auth_error"),
        (
            "{\"type\":\"new_window\",\"session\":\"main\"}",
            "auth_error",
        ),
        ("{\"type\":\"no_such_type\"}", "auth_error"),
    ] {
        raw.send_text(frame).await;
        let reply = raw.next_json(DEADLINE).await.expect("an answer");
        assert_eq!(reply["type"], ty, "{frame} -> {reply}");
    }
    // A binary frame on the control socket.
    raw.send(true, opcode::BINARY, &[0, 1, 2, 3]).await;
    let reply = raw.next_json(DEADLINE).await.expect("an answer");
    assert_eq!(reply["type"], "error", "binary -> {reply}");
    // A fragmented auth is one message.
    let (a, rest) = auth.as_bytes().split_at(10);
    let (b, c) = rest.split_at(10);
    raw.send(false, opcode::TEXT, a).await;
    raw.send(false, opcode::CONTINUATION, b).await;
    raw.send(true, opcode::PING, b"interleaved ping").await;
    raw.send(true, opcode::CONTINUATION, c).await;
    loop {
        let reply = raw.next_json(DEADLINE).await.expect("auth answer");
        if reply["type"] == "auth_ok" {
            break;
        }
        assert_ne!(reply["type"], "auth_error", "{reply}");
    }
    // After auth: unknown types and wrong fields get `error`, socket open.
    for frame in [
        "{\"type\":\"no_such_type\"}",
        "{\"type\":\"select_pane\",\"paneId\":7}",
        "{\"type\":\"capture_scrollback\",\"paneId\":\"%0\",\"lines\":\"all\"}",
    ] {
        raw.send_text(frame).await;
        loop {
            let reply = raw.next_json(DEADLINE).await.expect("an answer");
            if reply["type"] == "error" {
                break;
            }
            // State pushes may come in between.
            assert!(
                ["attached", "tmux_state", "session_picker", "info"]
                    .contains(&reply["type"].as_str().unwrap_or_default()),
                "{frame} -> {reply}"
            );
        }
    }

    // 10 000 small frames in one burst on an authenticated socket: answered
    // in order or cut off with a close code, never a crash.
    let burst: Vec<u8> = (0..10_000)
        .flat_map(|_| RawWs::encode(true, opcode::TEXT, b"{\"type\":\"no_such_type\"}"))
        .collect();
    raw.send_bytes(&burst).await;
    let mut errors = 0;
    let deadline = Instant::now() + DEADLINE;
    while errors < 10_000 && Instant::now() < deadline {
        match raw.next(DEADLINE).await {
            Next::Frame(f) if f.opcode == opcode::TEXT => {
                if f.text().contains("\"error\"") {
                    errors += 1;
                }
            }
            Next::Frame(f) if f.opcode == opcode::CLOSE => {
                assert!(f.close_code().is_some(), "close with a code");
                break;
            }
            Next::Frame(_) => {}
            Next::Closed | Next::Silent => panic!("burst: {errors} answers, then nothing"),
        }
    }
    eprintln!("burst of 10000 unknown frames: {errors} errors answered");

    // A 10 MB frame: refused by its header (1009), never buffered.
    for path in ["/ws/control", "/ws/terminal"] {
        let mut raw = RawWs::connect(port, path, &[]).await;
        let big = vec![b'x'; 10 * 1024 * 1024];
        let frame = RawWs::encode(true, opcode::TEXT, &big);
        // Send the header and the first megabyte only; the server must not
        // wait for the rest.
        raw.send_bytes(&frame[..1024 * 1024]).await;
        match raw.until_closed(DEADLINE).await {
            Ok(code) => assert!(
                code.is_none() || code == Some(1009),
                "{path}: closed with {code:?}"
            ),
            Err(frames) => panic!("{path}: a 10 MB frame left the socket open: {frames:?}"),
        }
    }

    let rss_after = rss_kib(app.pid());
    eprintln!("hostile frames: server RSS {rss_before} KiB -> {rss_after} KiB");
    assert!(
        rss_after < rss_before + 32 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    let mut owner = ws::control_attach(port, &local.token, Some(PASSWORD), DEADLINE).await;
    ws::send_json(
        &mut owner.ws,
        &json!({"type": "new_window", "session": "main"}),
    )
    .await;
    ws::recv_type(&mut owner.ws, "tmux_state", DEADLINE).await;
    drop(app);
}

/// Requests no browser makes: traversal, huge or many headers, odd methods,
/// a pipelined flood on one keep-alive connection, a slowloris upgrade.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_http_requests_get_clean_answers() {
    let sandbox = TmuxSandbox::new();
    let app = AppCommand::local(&["--password", PASSWORD]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let port = local.port;

    for path in [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2fCargo.toml",
        "//etc/passwd",
        "/assets/%00",
        "/.git/config",
    ] {
        let answer = http(
            port,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .await;
        let status = status_of(&answer);
        assert!(
            [200, 400, 404].contains(&status),
            "{path}: status {status}\n{answer}"
        );
        assert!(
            !answer.contains("root:")
                && !answer.contains("[package]")
                && !answer.contains("[core]"),
            "{path} served a file from outside the UI:\n{answer}"
        );
    }

    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let status = status_of(&http(port, &huge).await);
    assert!(
        status == 431 || status == 400 || status == 0,
        "a 200 KB header: {status}"
    );
    let many: String = (0..2000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let status = status_of(
        &http(
            port,
            &format!("GET / HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n"),
        )
        .await,
    );
    assert!(
        status == 431 || status == 400 || status == 0,
        "2000 headers: {status}"
    );

    let head = http(
        port,
        "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&head), 200, "{head}");
    assert!(head.ends_with("\r\n\r\n"), "HEAD has no body: {head:?}");
    let options = http(
        port,
        "OPTIONS /api/config HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let status = status_of(&options);
    assert!([200, 204, 405].contains(&status), "OPTIONS: {options}");
    assert!(
        !options
            .to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "no wildcard CORS: {options}"
    );

    // 1000 pipelined requests on one keep-alive connection.
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let one = "GET /api/config HTTP/1.1\r\nHost: x\r\n\r\n";
    let flood = one.repeat(1000);
    let writer = async {
        let _ = stream.write_all(flood.as_bytes()).await;
    };
    writer.await;
    let mut got = Vec::new();
    let mut answered = 0;
    let deadline = Instant::now() + DEADLINE;
    while answered < 1000 && Instant::now() < deadline {
        let mut chunk = [0u8; 64 * 1024];
        match tokio::time::timeout(SHORT, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                got.extend_from_slice(&chunk[..n]);
                answered = String::from_utf8_lossy(&got)
                    .matches("HTTP/1.1 200")
                    .count();
            }
            _ => break,
        }
    }
    eprintln!("keep-alive flood: {answered} of 1000 pipelined requests answered");
    assert!(
        answered > 0,
        "the pipelined connection got no answer at all"
    );

    // A slowloris upgrade: one byte at a time, never finishing the head.
    let mut slow = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request = tmux_mobile_e2e::raw::upgrade_request(port, "/ws/control", &[]);
    let started = Instant::now();
    let mut closed = false;
    for byte in request.as_bytes()[..request.len() - 2].iter() {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(200), slow.read(&mut probe)).await
        {
            closed = true;
            break;
        }
        if started.elapsed() > Duration::from_secs(40) {
            break;
        }
    }
    eprintln!(
        "slowloris: connection closed={closed} after {:?}",
        started.elapsed()
    );
    assert!(closed, "a request head trickling in forever is cut off");

    let mut owner = ws::control_attach(port, &local.token, Some(PASSWORD), DEADLINE).await;
    ws::send_json(
        &mut owner.ws,
        &json!({"type": "new_window", "session": "main"}),
    )
    .await;
    ws::recv_type(&mut owner.ws, "tmux_state", DEADLINE).await;
    drop(app);
}

/// 500 sockets that never authenticate, then 10 000 connections from one
/// peer: each is upgraded or refused with an answer, the idle ones are
/// closed by the server, memory stays bounded, and the owner (another
/// address, through the tunnel) is served throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_and_connection_floods_are_bounded() {
    let sandbox = TmuxSandbox::new();
    let fake = FakeCloudflared::new();
    let (app, local) = tunnelled(&sandbox, &fake, &[]);
    let port = local.port;
    let rss_before = rss_kib(app.pid());

    let mut idle = Vec::new();
    let mut refused = 0;
    for _ in 0..500 {
        match RawWs::try_connect(port, "/ws/control", &[]).await {
            Ok(raw) => idle.push(raw),
            Err(head) => {
                assert!(
                    head.is_empty() || head.starts_with("HTTP/1.1 "),
                    "a refused upgrade is answered: {head:?}"
                );
                refused += 1;
            }
        }
    }
    let rss_idle = rss_kib(app.pid());
    eprintln!(
        "500 idle sockets: {} upgraded, {refused} refused; RSS {rss_before} -> {rss_idle} KiB",
        idle.len()
    );
    owner_is_served(port, &local.token, "198.51.100.77").await;
    // Every idle socket is closed by the server (auth timeout, 10 s).
    for raw in &mut idle {
        match raw.until_closed(Duration::from_secs(30)).await {
            // 1008: auth timeout; 4029: over the per-address socket
            // limit (docs/PROTOCOL.md, Limits).
            Ok(code) => assert!(
                code.is_none() || code == Some(1008) || code == Some(4029),
                "idle socket closed with {code:?}"
            ),
            Err(frames) => panic!("an idle unauthenticated socket stayed open: {frames:?}"),
        }
    }
    drop(idle);

    // 10 000 connections, 250 at a time, each dropped after its answer.
    let started = Instant::now();
    let (mut upgraded, mut answered) = (0u32, 0u32);
    for _ in 0..40 {
        let wave = (0..250).map(|_| RawWs::try_connect(port, "/ws/control", &[]));
        for result in futures_util::future::join_all(wave).await {
            match result {
                Ok(_) => upgraded += 1,
                Err(head) if head.starts_with("HTTP/1.1 ") => answered += 1,
                Err(head) => panic!("a connection got no answer: {head:?}"),
            }
        }
    }
    let rss_after = rss_kib(app.pid());
    eprintln!(
        "10000 connections in {:?}: {upgraded} upgraded, {answered} refused with an answer; \
         RSS {rss_before} -> {rss_after} KiB",
        started.elapsed()
    );
    assert!(
        rss_idle < rss_before + 64 * 1024 && rss_after < rss_before + 64 * 1024,
        "RSS grew from {rss_before} KiB to {rss_idle}/{rss_after} KiB"
    );
    owner_is_served(port, &local.token, "198.51.100.78").await;
    drop(app);
}

/// Sends `request` and reads until the server closes (or a short silence).
async fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let _ = stream.write_all(request.as_bytes()).await;
    let mut got = Vec::new();
    loop {
        let mut chunk = [0u8; 64 * 1024];
        match tokio::time::timeout(SHORT, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The status code of an HTTP answer (0 when there was none).
fn status_of(answer: &str) -> u16 {
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// Everything of the user's tmux a phone must not change: sessions,
/// windows and panes with their ids, names and layout (the phones' own
/// grouped sessions left out).
fn user_tmux_state(sandbox: &TmuxSandbox) -> String {
    let out = sandbox.tmux(&[
        "list-panes",
        "-a",
        "-F",
        "#{session_name} #{window_id} #{window_index} #{window_name} #{window_layout} \
         #{pane_id} #{window_zoomed_flag}",
    ]);
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("tmux-mobile-client-"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines.join("\n")
}

/// Hostile names, pane ids and indexes, each through the operation that
/// would carry it into tmux: every one is refused with an `error` (or, for
/// a name tmux can store exactly, creates exactly that session), and
/// nothing else of the user's tmux changes; no file is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tmux_injection_changes_nothing_outside_the_named_object() {
    let sandbox = TmuxSandbox::new();
    sandbox.tmux(&["new-session", "-d", "-s", "main"]);
    sandbox.tmux(&["new-window", "-d", "-t", "=main:"]);
    sandbox.tmux(&["new-session", "-d", "-s", "other"]);
    let foreign_pane = String::from_utf8_lossy(
        &sandbox
            .tmux(&["display-message", "-p", "-t", "=other:", "#{pane_id}"])
            .stdout,
    )
    .trim()
    .to_owned();
    let app = AppCommand::local(&["--password", PASSWORD, "--session", "main"]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let mut ws = ws::connect(local.port, "/ws/control", None)
        .await
        .expect("connect");
    ws::send_json(
        &mut ws,
        &json!({"type": "auth", "token": local.token, "password": PASSWORD}),
    )
    .await;
    ws::recv_type(&mut ws, "auth_ok", DEADLINE).await;
    // Two sessions: the phone is asked to pick; it picks `main`.
    ws::recv_type(&mut ws, "session_picker", DEADLINE).await;
    ws::send_json(
        &mut ws,
        &json!({"type": "select_session", "session": "main"}),
    )
    .await;
    let attached = ws::recv_type(&mut ws, "attached", DEADLINE).await;
    let grouped = attached["session"].as_str().expect("session").to_owned();
    // `attached` is sent once the phone's `tmux attach` is started, not
    // once tmux has attached it; when it has, tmux resizes the shared
    // window to the phone's terminal (a change the phone is allowed).
    assert!(
        tmux_mobile_e2e::wait_until(DEADLINE, || {
            String::from_utf8_lossy(
                &sandbox
                    .tmux(&["list-clients", "-F", "#{client_session}"])
                    .stdout,
            )
            .lines()
            .any(|s| s == grouped)
        }),
        "the phone's terminal attached to {grouped}"
    );
    let before = user_tmux_state(&sandbox);

    let long = "x".repeat(4096);
    let hostile_names = [
        "a;b",
        "$(touch pwned)",
        "`touch pwned`",
        "-t",
        "-k",
        "a:b",
        "a.b",
        "=main",
        "main:",
        "a\nb",
        "a\rb",
        "\u{0}",
        long.as_str(),
    ];
    let hostile_panes = [
        "%1;kill-server".to_owned(),
        ".0".to_owned(),
        "=main:".to_owned(),
        "%99999".to_owned(),
        "-t".to_owned(),
        "%".to_owned(),
        foreign_pane.clone(),
    ];
    let mut messages = Vec::new();
    for name in hostile_names {
        messages.push(json!({"type": "select_session", "session": name}));
        // The server targets the phone's own session whatever `session`
        // says; a window that does not exist there is an error.
        messages.push(json!({"type": "select_window", "session": name, "windowIndex": 99}));
        messages.push(json!({"type": "kill_window", "session": name, "windowIndex": 99}));
    }
    for pane in &hostile_panes {
        for ty in [
            "select_pane",
            "kill_pane",
            "zoom_pane",
            "capture_scrollback",
        ] {
            messages.push(json!({"type": ty, "paneId": pane}));
        }
        messages.push(json!({"type": "split_pane", "paneId": pane, "orientation": "h"}));
        messages
            .push(json!({"type": "split_pane", "paneId": pane, "orientation": "h;kill-server"}));
    }
    for index in [
        json!(-1),
        json!(1e20),
        json!("0;kill-server"),
        json!(4_294_967_296u64),
    ] {
        messages.push(json!({"type": "kill_window", "session": "main", "windowIndex": index}));
    }
    for message in &messages {
        ws::send_json(&mut ws, message).await;
        let reply = until_answer(&mut ws).await;
        assert_eq!(reply["type"], "error", "{message} -> {reply}");
        let text = reply["message"].as_str().unwrap_or_default();
        assert!(
            !text.contains(" -t ") && !text.contains("#{"),
            "errors do not echo tmux command lines: {reply}"
        );
    }

    // Names tmux stores exactly are created exactly; the rest refused.
    for name in ["a;b", "`touch pwned`", "x $(touch pwned)"] {
        ws::send_json(&mut ws, &json!({"type": "new_session", "name": name})).await;
        let reply = until_answer(&mut ws).await;
        assert_ne!(reply["type"], "error", "{name:?} -> {reply}");
        assert!(
            sandbox.session_names().iter().any(|n| n == name),
            "{name:?} created exactly: {:?}",
            sandbox.session_names()
        );
        sandbox.tmux(&["kill-session", "-t", &format!("={name}")]);
    }
    for name in ["-t", "a:b", "a.b", "a\nb", "\u{0}", long.as_str()] {
        ws::send_json(&mut ws, &json!({"type": "new_session", "name": name})).await;
        let reply = until_answer(&mut ws).await;
        assert_eq!(reply["type"], "error", "{name:?} -> {reply}");
    }

    assert_eq!(
        user_tmux_state(&sandbox),
        before,
        "the user's tmux changed ({} messages sent)",
        messages.len()
    );
    for dir in [
        sandbox.tmpdir().to_owned(),
        std::env::current_dir().expect("cwd"),
    ] {
        assert!(!dir.join("pwned").exists(), "a file was created in {dir:?}");
    }
    eprintln!(
        "tmux injection: {} hostile messages refused",
        messages.len()
    );
    drop(app);
}

/// The next answer to a message: an `error`, `attached`, `scrollback` or
/// `info` (state pushes in between are skipped).
async fn until_answer(ws: &mut Ws) -> Value {
    loop {
        let msg = ws::recv_json(ws, DEADLINE).await;
        if msg["type"] != "tmux_state" {
            return msg;
        }
    }
}

/// A whole session at the most verbose logging (`RUST_LOG=trace` and
/// `--debug-log`), with the password from a file: the token, the read-only
/// token, the password and every session key appear in no log line and
/// not in the process's command line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_logs_or_the_command_line() {
    let sandbox = TmuxSandbox::new();
    let log = sandbox.tmpdir().join("trace.log");
    let password_file = sandbox.tmpdir().join("password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).expect("write password file");
    let password_file = password_file.to_str().expect("utf-8 path").to_owned();
    let log_path = log.to_str().expect("utf-8 path").to_owned();
    let app = AppCommand::local(&[
        "--password-file",
        &password_file,
        "--read-only-link",
        "--debug-log",
        &log_path,
    ])
    .env("RUST_LOG", "trace")
    .spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let read_only =
        LocalUrl::parse(&app.wait_for_stdout("Read-only URL: ", DEADLINE)).expect("read-only URL");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", app.pid())).expect("cmdline");
    let cmdline = String::from_utf8_lossy(&cmdline);

    let mut secrets = vec![
        local.token.clone(),
        read_only.token.clone(),
        PASSWORD.to_owned(),
    ];
    // Password login, terminal, typing, a mutation, scrollback.
    let mut control = ws::control_attach(local.port, &local.token, Some(PASSWORD), DEADLINE).await;
    let key = control.auth_ok["sessionKey"]
        .as_str()
        .expect("sessionKey")
        .to_owned();
    secrets.push(key.clone());
    let mut terminal = ws::connect(local.port, "/ws/terminal", None)
        .await
        .expect("connect");
    ws::send_json(
        &mut terminal,
        &json!({"type": "auth", "token": local.token, "sessionKey": key, "clientId": control.client_id}),
    )
    .await;
    ws::send_text(&mut terminal, "echo traced-$((7*6))\r").await;
    ws::read_terminal_until(&mut terminal, "traced-42", DEADLINE).await;
    ws::send_json(
        &mut control.ws,
        &json!({"type": "new_window", "session": "main"}),
    )
    .await;
    ws::recv_type(&mut control.ws, "tmux_state", DEADLINE).await;
    // Resume with the session key; a wrong password; a read-only login.
    drop(control);
    let mut again = ws::connect(local.port, "/ws/control", None)
        .await
        .expect("connect");
    ws::send_json(
        &mut again,
        &json!({"type": "auth", "token": local.token, "sessionKey": key}),
    )
    .await;
    assert_eq!(ws::recv_json(&mut again, DEADLINE).await["type"], "auth_ok");
    let wrong = json!({"type": "auth", "token": local.token, "password": "not-it"});
    let mut failing = ws::connect(local.port, "/ws/control", None)
        .await
        .expect("connect");
    ws::send_json(&mut failing, &wrong).await;
    ws::recv_type(&mut failing, "auth_error", DEADLINE).await;
    let viewer =
        ws::control_attach(read_only.port, &read_only.token, Some(PASSWORD), DEADLINE).await;
    if let Some(ro_key) = viewer.auth_ok["sessionKey"].as_str() {
        secrets.push(ro_key.to_owned());
    }

    app.signal(nix::sys::signal::Signal::SIGTERM);
    let out = app.finish(DEADLINE);
    assert!(out.status.success(), "{out:?}");
    let file = std::fs::read_to_string(&log).expect("debug log written");
    assert!(
        file.contains("TRACE") || file.contains("DEBUG"),
        "verbose records:\n{file}"
    );
    for (i, secret) in secrets.iter().enumerate() {
        for (name, text) in [("stderr", &out.stderr), ("the debug log", &file)] {
            let leaked: Vec<&str> = text
                .lines()
                .filter(|l| l.contains(secret.as_str()))
                .map(|l| l.get(..60).unwrap_or(l))
                .collect();
            assert!(
                leaked.is_empty(),
                "secret #{i} (0 token, 1 read-only token, 2 password, then keys) reached \
                 {name} in lines starting {leaked:?}"
            );
        }
    }
    assert!(
        !cmdline.contains(PASSWORD),
        "the password is in the command line"
    );
    eprintln!(
        "secrets: {} secrets checked against {} log lines and the command line",
        secrets.len(),
        file.lines().count() + out.stderr.lines().count()
    );
}
