//! Long histories: 50 000 lines of 200 characters (10 MB) delivered whole,
//! streamed in parts (extension) and as the original's single message,
//! from a real tmux pane.

use serde_json::{Value, json};
use tmux_mobile_server::TestServer;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{Control, DEADLINE, active_pane, attached_client, eventually};
use futures_util::StreamExt;

const LINES: usize = 50_000;
const WIDTH: usize = 200;
/// The largest part a stream may use (docs/PROTOCOL.md).
const PART_BYTES: usize = 256 * 1024;

/// Line `i`: its number, then characters that vary with it (and include
/// characters JSON must escape), 200 in all.
fn line(i: usize) -> String {
    let mut line = format!("{i:05} \"\\ ");
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    while line.len() < WIDTH {
        line.push(alphabet[(i + line.len()) % alphabet.len()] as char);
    }
    line
}

/// A server whose only session shows a pane that printed [`LINES`] lines
/// of [`WIDTH`] characters, and a client attached to it.
async fn server_with_long_history() -> (TestServer, Control, String, String) {
    let server = TestServer::start().await;
    let file = server.tmux_tmpdir().join("history.txt");
    let mut text = String::with_capacity(LINES * (WIDTH + 1));
    for i in 0..LINES {
        text.push_str(&line(i));
        text.push('\n');
    }
    std::fs::write(&file, &text).expect("write the history");
    let command = format!("cat '{}'; exec sleep 600", file.display());
    // History this long (history-limit applies to new panes)...
    let config = server.tmux_tmpdir().join("long-history.conf");
    std::fs::write(
        &config,
        "set -g default-shell /bin/sh\nset -g history-limit 60000\n",
    )
    .expect("write the tmux config");
    let config = config.to_str().expect("UTF-8 path");
    server
        .tmux_run(&[
            "-f",
            config,
            "new-session",
            "-d",
            "-s",
            "work",
            "-x",
            "220",
            "-y",
            "40",
            &command,
        ])
        .expect("new-session");
    // ...and a window that keeps its width when the client's terminal
    // attaches (a narrower one would re-wrap the lines). tmux makes the
    // window's `window-size` manual; setting that option globally makes
    // tmux 3.3a exit at the next new-session.
    server
        .tmux_run(&["resize-window", "-t", "=work:", "-x", "220", "-y", "40"])
        .expect("resize-window");
    let last = line(LINES - 1);
    eventually("the pane printed every line", || {
        server
            .tmux_run(&["capture-pane", "-p", "-t", "=work:"])
            .is_ok_and(|screen| screen.contains(&last))
    })
    .await;
    let (control, _, own, state) = attached_client(&server).await;
    let pane = active_pane(&state, &own).expect("a pane");
    let expected = text.trim_end_matches('\n').to_owned();
    (server, control, pane, expected)
}

/// The next `scrollback` message as sent: its raw length and its JSON.
async fn next_scrollback(control: &mut Control) -> (usize, Value) {
    loop {
        let frame = tokio::time::timeout(DEADLINE, control.ws.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("a message");
        let Message::Text(text) = frame else {
            continue;
        };
        let value: Value = serde_json::from_str(&text).expect("JSON");
        assert_ne!(value["type"], "error", "{value}");
        if value["type"] == "scrollback" {
            return (text.len(), value);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_long_lines_arrive_whole_streamed_and_in_one_message() {
    let (_server, mut control, pane, expected) = server_with_long_history().await;
    assert!(expected.len() > 10_000_000);

    // Streamed: parts of at most 256 KiB, each starting where the last
    // ended, the last one marked done.
    control
        .send(json!({"type": "capture_scrollback", "paneId": pane, "lines": 50000, "stream": true}))
        .await;
    let mut assembled = String::with_capacity(expected.len());
    let mut parts = 0;
    loop {
        let (size, part) = next_scrollback(&mut control).await;
        parts += 1;
        assert!(size <= PART_BYTES, "part {parts} is {size} bytes");
        assert_eq!(part["paneId"], pane.as_str());
        assert_eq!(part["lines"], 50000);
        assert_eq!(part["offset"], assembled.len() as u64, "part {parts}");
        assembled.push_str(part["text"].as_str().expect("text"));
        if part["done"] == true {
            break;
        }
        assert_eq!(part["done"], false, "{}", part["done"]);
    }
    assert!(parts > expected.len() / PART_BYTES, "{parts} parts");
    assert_eq!(assembled.len(), expected.len());
    assert!(assembled == expected, "the streamed history differs");

    // The original client's form: one `scrollback` message, no extension
    // fields.
    control
        .send(json!({"type": "capture_scrollback", "paneId": pane, "lines": 50000}))
        .await;
    let (_, whole) = next_scrollback(&mut control).await;
    assert_eq!(whole["lines"], 50000);
    assert!(whole.get("offset").is_none() && whole.get("done").is_none());
    let text = whole["text"].as_str().expect("text");
    assert_eq!(text.len(), expected.len());
    assert!(text == expected, "the single-message history differs");

    // A small request is one ordinary part either way, and the socket is
    // still in order.
    control
        .send(json!({"type": "capture_scrollback", "paneId": pane, "lines": 5, "stream": true}))
        .await;
    let (_, small) = next_scrollback(&mut control).await;
    assert_eq!(small["offset"], 0);
    assert_eq!(small["done"], true);
    assert!(
        small["text"]
            .as_str()
            .expect("text")
            .ends_with(&line(LINES - 1))
    );
}
