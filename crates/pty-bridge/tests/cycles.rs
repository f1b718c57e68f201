//! Many spawn/kill cycles leave no descriptor and no child process behind.
//! Alone in its test binary so the descriptor count is this test's alone.

mod common;

use common::{DEADLINE, open_fds, proc_state};
use tmux_mobile_pty_bridge::{Pty, PtyCommand, PtyOptions};

const CYCLES: usize = 1000;

/// Pids of processes whose parent is this process.
fn our_children() -> Vec<(u32, char)> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let (state, ppid) = proc_state(pid)?;
            (ppid == me).then_some((pid, state))
        })
        .collect()
}

async fn cycle(i: usize) {
    if i % 2 == 0 {
        // A child that exits by itself; its status is collected.
        let mut pty = Pty::spawn(PtyCommand::new("true"), PtyOptions::default()).unwrap();
        assert!(pty.wait().await.unwrap().success());
    } else {
        // A child that has to be killed.
        let pty = Pty::spawn(PtyCommand::new("sleep").arg("1000"), PtyOptions::default()).unwrap();
        pty.kill().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_spawn_kill_cycles_leak_nothing() {
    // Warm up lazily created runtime descriptors (signal pipes and the like).
    cycle(0).await;
    cycle(1).await;
    let before = open_fds();
    tokio::time::timeout(DEADLINE * 4, async {
        for i in 0..CYCLES {
            cycle(i).await;
        }
    })
    .await
    .expect("cycles finished in time");
    // Reader tasks end on their own once the terminal closes; give the
    // runtime a moment to drop them, polling with a deadline.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while open_fds() > before && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let after = open_fds();
    assert!(
        after <= before,
        "descriptors leaked: {before} before, {after} after {CYCLES} cycles"
    );
    let children = our_children();
    assert!(children.is_empty(), "children left behind: {children:?}");
}
