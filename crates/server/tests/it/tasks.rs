//! Nothing the server spawns outlives it: after `serve` returns, the
//! runtime runs no task of ours — not the connection and socket tasks, not
//! a resume grace timer still waiting, not a redraw, not the attention hub.

use std::time::Duration;

use tmux_mobile_server::TestServer;

use crate::common::{Terminal, attached_client, eventually};

/// Tasks alive on this test's runtime.
fn alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_every_task_the_server_spawned() {
    let before = alive();
    let mut server = TestServer::builder()
        .resume_grace(Duration::from_secs(600))
        .start()
        .await;
    // A client with a terminal (redraws), then a second one that drops its
    // control socket: its grace timer waits ten minutes.
    let (_control, client_id, ..) = attached_client(&server).await;
    let mut terminal = Terminal::connect(&server, &client_id, false).await;
    terminal.read_until("", false).await;
    let (gone, ..) = attached_client(&server).await;
    drop(gone);
    assert!(alive() > before + 3, "the server runs tasks");

    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("shutdown within its timeout")
        .expect("clean shutdown");
    // `serve` returned; let the runtime reap what just finished.
    eventually("no task of the server left", || alive() <= before).await;
}
