//! The overview through the control socket, with programs writing in real
//! tmux panes: opening it sends a tile for the active pane of every window
//! of every user session; a pane's new output reaches the tile; a busy
//! pane is captured at most once a second; closing it (or another phone
//! closing theirs) stops the tiles for that socket only; a read-only phone
//! may look.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use tmux_mobile_server::TestServer;
use tokio::time::Instant;

use crate::attention::{background_window, run_script, wait_for_taps};
use crate::common::{Control, DEADLINE, attached_client};

/// The active pane of every window of every user session, from tmux.
fn shown_panes(server: &TestServer) -> Vec<String> {
    server
        .tmux_run(&[
            "list-panes",
            "-a",
            "-F",
            "#{session_name} #{pane_active} #{pane_id}",
        ])
        .expect("list-panes")
        .lines()
        .filter(|l| !l.starts_with("tmux-mobile-client-"))
        .filter_map(|l| {
            let mut parts = l.rsplitn(3, ' ');
            let id = parts.next()?;
            (parts.next()? == "1").then(|| id.to_owned())
        })
        .collect()
}

/// Skips messages until an `overview_tile` of `pane` whose text satisfies
/// `pred`; its lines.
async fn tile_of(control: &mut Control, pane: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        assert!(
            Instant::now() < deadline,
            "no matching tile of {pane} in time"
        );
        let message = control.recv().await;
        assert_ne!(message["type"], "error", "{message}");
        if message["type"] == "overview_tile" && message["paneId"] == pane {
            let lines = lines(&message);
            if pred(&lines.join("\n")) {
                return lines;
            }
        }
    }
}

/// Whether a line of `text` ends in `word` (the script's output, possibly
/// after a prompt printed late; the typed command line ends in `.sh`).
fn printed(text: &str, word: &str) -> bool {
    text.lines().any(|line| line.ends_with(word))
}

fn lines(tile: &Value) -> Vec<String> {
    tile["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l.as_str().expect("a line").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_window_of_every_session_and_fresh_output() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut phone, ..) = attached_client(&server).await;
    let agent = background_window(&server, "work", "agent");
    run_script(&server, &agent, "hello.sh", "echo hello-agent\n");
    let play = server
        .tmux_run(&[
            "new-session",
            "-d",
            "-s",
            "play",
            "-P",
            "-F",
            "#{pane_id}",
            "sh",
        ])
        .expect("new-session")
        .trim()
        .to_owned();
    wait_for_taps(&server, 1).await;
    phone
        .wait_state(|s| crate::common::session(s, "play").is_some())
        .await;

    phone.send(json!({"type": "overview", "open": true})).await;
    let shown = shown_panes(&server);
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(shown.contains(&agent) && shown.contains(&play), "{shown:?}");
    // A tile of every one of them, and of nothing else.
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    let deadline = Instant::now() + DEADLINE;
    while !shown.iter().all(|p| seen.contains_key(p))
        || !seen
            .get(&agent)
            .is_some_and(|l| l.iter().any(|l| l.ends_with("hello-agent")))
    {
        assert!(Instant::now() < deadline, "tiles so far: {seen:?}");
        let message = phone.recv().await;
        if message["type"] == "overview_tile" {
            let pane = message["paneId"].as_str().expect("paneId").to_owned();
            assert!(shown.contains(&pane), "a tile of {pane}, not shown");
            assert!(lines(&message).len() <= 12);
            seen.insert(pane, lines(&message));
        }
    }

    // New output in a window of another session reaches its tile.
    run_script(&server, &play, "fresh.sh", "echo fresh-output\n");
    let lines = tile_of(&mut phone, &play, |t| printed(t, "fresh-output")).await;
    assert!(lines.len() <= 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_pane_is_captured_at_most_once_a_second() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut phone, ..) = attached_client(&server).await;
    let busy = background_window(&server, "work", "busy");
    wait_for_taps(&server, 1).await;
    // A new line every 20 ms: ≈ 50 changes a second.
    run_script(
        &server,
        &busy,
        "busy.sh",
        "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.02; done\n",
    );
    phone.send(json!({"type": "overview", "open": true})).await;
    let first = tile_of(&mut phone, &busy, |t| t.contains("tick-")).await;
    let start = Instant::now();
    let mut tiles = 1;
    let mut last = first;
    // Watch for 4 s of tiles: the pane keeps writing, so they must keep
    // coming (`tile_of` fails if none does within its deadline).
    while start.elapsed() < Duration::from_secs(4) {
        let next = tile_of(&mut phone, &busy, |t| t.contains("tick-")).await;
        assert_ne!(next, last, "a tile is sent only when it changed");
        last = next;
        tiles += 1;
    }
    let span = start.elapsed().as_secs_f64();
    // One capture a second gives span + 1 tiles; 2 more allow for one
    // capture that took long followed by a quick one on a loaded machine.
    // Unthrottled it would be ≈ 50 a second.
    assert!(
        f64::from(tiles) <= span + 3.0,
        "{tiles} tiles in {span:.1} s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_stops_the_tiles_of_that_socket_only_and_read_only_may_look() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .read_only_link()
        .start()
        .await;
    let (mut phone, ..) = attached_client(&server).await;
    let agent = background_window(&server, "work", "agent");
    wait_for_taps(&server, 1).await;

    // A read-only phone opens the overview too.
    let mut viewer = Control::connect(&server).await;
    let token = server.read_only_token().expect("token").to_owned();
    viewer.send(json!({"type": "auth", "token": token})).await;
    assert_eq!(viewer.recv_type("auth_ok").await["readOnly"], true);
    viewer.recv_type("tmux_state").await;
    viewer.send(json!({"type": "overview", "open": true})).await;
    phone.send(json!({"type": "overview", "open": true})).await;
    tile_of(&mut viewer, &agent, |_| true).await;
    tile_of(&mut phone, &agent, |_| true).await;

    // The phone closes its overview; the viewer keeps it. (Tiles sent
    // before the close was read may still arrive: the answer to a later
    // message says it was.)
    phone.send(json!({"type": "overview", "open": false})).await;
    phone
        .send(json!({"type": "ack_attention", "paneId": agent}))
        .await;
    phone.recv_type("tmux_state").await;
    run_script(&server, &agent, "after.sh", "echo after-close\n");
    tile_of(&mut viewer, &agent, |t| printed(t, "after-close")).await;
    // The viewer got the new tile, so the phone would have had it by now:
    // nothing the phone is sent before the answer to a later message is a
    // tile.
    phone
        .send(json!({"type": "ack_attention", "paneId": agent}))
        .await;
    loop {
        let message = phone.recv().await;
        if message["type"] == "tmux_state" {
            break;
        }
        assert_ne!(message["type"], "overview_tile", "{message}");
    }

    // Bad requests are refused with a reason.
    phone.send(json!({"type": "overview"})).await;
    assert_eq!(phone.recv_error().await["message"], "open is required");
}
