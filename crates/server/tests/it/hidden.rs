//! The user's tmux shows nothing of tmux-mobile's but one grouped session
//! per connected phone (issue 15, point 4): at start, with phones
//! connected (the state watcher and the attention taps ride on their
//! sessions) and after they left. And the first change made outside right
//! after the first phone arrived reaches it fast.

use std::time::Duration;

use tmux_mobile_server::TestServer;
use tokio::time::Instant;

use crate::common::{Control, eventually, managed_sessions, session};

const ROUNDS: usize = 5;

fn sorted_sessions(server: &TestServer) -> Vec<String> {
    let mut names = server.session_names();
    names.sort();
    names
}

fn windows(state: &serde_json::Value, name: &str) -> usize {
    session(state, name)
        .and_then(|s| s["windowStates"].as_array())
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tmux_ls_shows_one_session_per_phone_and_the_first_change_is_fast() {
    let mut latencies = Vec::new();
    for round in 0..ROUNDS {
        let server = TestServer::builder()
            .with_sessions(&["main"])
            .resume_grace(Duration::from_millis(100))
            .start()
            .await;
        assert_eq!(server.session_names(), ["main"], "round {round}: at start");

        // The first phone: it attaches to the only session.
        let mut first = Control::connect(&server).await;
        first.auth(&server, None).await;
        first.recv_type("attached").await;
        first.wait_state(|s| windows(s, "main") == 1).await;
        // The user opens a window at once.
        let changed = Instant::now();
        server
            .tmux_run(&["new-window", "-d", "-t", "=main:"])
            .expect("new-window");
        first.wait_state(|s| windows(s, "main") == 2).await;
        latencies.push(changed.elapsed());

        let mut second = Control::connect(&server).await;
        second.auth(&server, None).await;
        second.recv_type("attached").await;
        // Our control clients (the watcher, the tap) ride on the phones'
        // sessions; nothing else of ours exists.
        eventually("the watcher and the tap on the phones' sessions", || {
            server
                .tmux_run(&[
                    "list-clients",
                    "-F",
                    "#{client_control_mode} #{session_name}",
                ])
                .is_ok_and(|out| {
                    let ours: Vec<&str> = out.lines().filter(|l| l.starts_with("1 ")).collect();
                    ours.len() == 2 && ours.iter().all(|l| l.starts_with("1 tmux-mobile-client-"))
                })
        })
        .await;
        let phones = managed_sessions(&server);
        assert_eq!(phones.len(), 2, "round {round}: {phones:?}");
        assert_eq!(
            sorted_sessions(&server).len(),
            3,
            "round {round}: {:?}",
            sorted_sessions(&server)
        );

        // Both phones leave (and their resume grace ends).
        drop(first);
        drop(second);
        eventually("only the user's session left", || {
            server.session_names() == ["main"]
        })
        .await;
        eventually("no control client of ours left", || {
            server
                .tmux_run(&["list-clients", "-F", "#{client_control_mode}"])
                .is_ok_and(|out| !out.lines().any(|l| l == "1"))
        })
        .await;
    }
    latencies.sort();
    let median = latencies[ROUNDS / 2];
    eprintln!("first outside change to the first phone: median {median:?}, all {latencies:?}");
    // It was ≈ 400 ms while the watcher waited 750 ms of quiet with
    // one-shot snapshots every 750 ms; the bound leaves room for CI.
    assert!(
        median < Duration::from_millis(300),
        "the first change took {median:?} (median of {latencies:?})"
    );
}
