//! The attention monitor against a real tmux on a private socket: a bell,
//! OSC 9 / OSC 777 notifications, a prompt (and its disappearance) and
//! silence in panes nobody is looking at, from programs run in the panes;
//! an idle server still costs no process; and the flood guard holds a
//! flooding pane's output back without stopping the pane, and still finds
//! the prompt at the end of a flood and a bell after it.

mod common;

use std::time::Duration;

use common::{DEADLINE, Logged, control_clients, phone, run_script};
use std::sync::Arc;

use tmux_mobile_tmux_control::attention::{
    AttentionMonitor, AttentionOptions, AttentionReason, Change, Detection, FloodGuard, WindowRule,
};
use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{PaneId, StateWatcher, WatcherOptions};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

fn fast_options() -> AttentionOptions {
    AttentionOptions::default()
        .with_settle(Duration::from_millis(50), Duration::from_secs(2))
        .with_window_rule(
            WindowRule::default()
                .with_session("main")
                .with_window("quiet*")
                .with_silence(Some(Duration::from_secs(1))),
        )
}

/// Waits until `count` taps (read-only control clients) ride on the
/// phones' sessions; returns their sessions.
async fn wait_for_taps(sandbox: &IsolatedTmux, count: usize) -> Vec<String> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let taps: Vec<String> = control_clients(sandbox)
            .await
            .into_iter()
            .filter_map(|c| c.strip_suffix(" 1").map(str::to_owned))
            .collect();
        if taps.len() == count {
            return taps;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {count} taps: {taps:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Opens a background window running `sh` and returns its pane.
async fn background_window(sandbox: &IsolatedTmux, name: &str) -> PaneId {
    let id = sandbox
        .run(&[
            "new-window",
            "-d",
            "-t",
            "=main:",
            "-n",
            name,
            "-P",
            "-F",
            "#{pane_id}",
            "sh",
        ])
        .await
        .unwrap();
    id.trim().parse().unwrap()
}

/// The next detection for `pane` that `matches`, skipping others.
async fn expect(
    rx: &mut mpsc::Receiver<Detection>,
    pane: &PaneId,
    what: &str,
    matches: impl Fn(&Change) -> bool,
) -> Change {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(detection)) if &detection.pane == pane && matches(&detection.change) => {
                return detection.change;
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("the monitor stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// Waits for `pane` to raise `reason` and returns the attention's text.
async fn expect_raised(
    rx: &mut mpsc::Receiver<Detection>,
    pane: &PaneId,
    what: &str,
    reason: AttentionReason,
) -> String {
    match expect(rx, pane, what, raised(reason)).await {
        Change::Raised { text, .. } => text,
        other => panic!("{what}: expected a raised attention, got {other:?}"),
    }
}

fn raised(reason: AttentionReason) -> impl Fn(&Change) -> bool {
    move |change| matches!(change, Change::Raised { reason: r, .. } if *r == reason)
}

async fn start() -> (
    IsolatedTmux,
    StateWatcher,
    AttentionMonitor,
    mpsc::Receiver<Detection>,
) {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("main").await.unwrap();
    // A phone looks at main: the tap rides on its session.
    let phone = phone(&sandbox, "main", "p1").await;
    let (watcher, snapshots) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    let (monitor, detections) =
        AttentionMonitor::spawn(sandbox.tmux(), snapshots.clone(), fast_options());
    watcher.refresh().await;
    assert_eq!(wait_for_taps(&sandbox, 1).await, [phone]);
    (sandbox, watcher, monitor, detections)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bell_and_notifications_in_a_background_window() {
    let (sandbox, watcher, monitor, mut rx) = start().await;
    let pane = background_window(&sandbox, "bg").await;
    run_script(
        &sandbox,
        &pane,
        "ring.sh",
        "printf 'title\\033]0;not a bell\\007 then a bell\\007\\n'\n",
    )
    .await;
    let change = expect(&mut rx, &pane, "the bell", raised(AttentionReason::Bell)).await;
    assert_eq!(
        change,
        Change::Raised {
            reason: AttentionReason::Bell,
            text: String::new(),
            replies: Vec::new()
        }
    );

    run_script(
        &sandbox,
        &pane,
        "notify.sh",
        "printf '\\033]9;build finished\\007'\nprintf '\\033]777;notify;Agent;needs you\\033\\\\'\n",
    )
    .await;
    let first = expect(&mut rx, &pane, "OSC 9", raised(AttentionReason::Notify)).await;
    let second = expect(&mut rx, &pane, "OSC 777", raised(AttentionReason::Notify)).await;
    let texts: Vec<String> = [first, second]
        .into_iter()
        .map(|c| match c {
            Change::Raised { text, .. } => text,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["build finished", "Agent: needs you"]);

    monitor.shutdown().await;
    watcher.shutdown().await;
    // Nothing of ours is left but the phone's session (the tap had none).
    assert!(control_clients(&sandbox).await.is_empty());
    assert_eq!(
        common::session_names(&sandbox).await,
        ["main", "tmux-mobile-client-p1"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_is_found_when_the_pane_goes_quiet_and_cleared_when_it_goes() {
    let (sandbox, watcher, monitor, mut rx) = start().await;
    let pane = background_window(&sandbox, "agent").await;
    run_script(
        &sandbox,
        &pane,
        "ask.sh",
        "printf 'Bash command\\n\\n  rm -rf build\\n\\nDo you want to proceed?\\n\\342\\235\\257 1. Yes\\n  2. No\\n'\nread answer\necho \"got $answer\"\nclear\n",
    )
    .await;
    let change = expect(
        &mut rx,
        &pane,
        "the prompt",
        raised(AttentionReason::Prompt),
    )
    .await;
    let Change::Raised { text, replies, .. } = change else {
        unreachable!()
    };
    assert_eq!(text, "Do you want to proceed?");
    let inputs: Vec<&str> = replies.iter().map(|r| r.input.as_str()).collect();
    assert_eq!(&inputs[..3], ["1", "2", "\r"]);

    // Answering it (here from "elsewhere", tmux send-keys) clears it.
    sandbox
        .run(&["send-keys", "-t", pane.as_str(), "1", "Enter"])
        .await
        .unwrap();
    expect(&mut rx, &pane, "the prompt to go", |c| {
        *c == Change::Cleared(AttentionReason::Prompt)
    })
    .await;
    monitor.shutdown().await;
    watcher.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_only_in_windows_that_opted_in() {
    let (sandbox, watcher, monitor, mut rx) = start().await;
    let loud = background_window(&sandbox, "loud").await;
    let quiet = background_window(&sandbox, "quietjob").await;
    let job = "echo working\nsleep 0.2\necho done\n";

    run_script(&sandbox, &loud, "job1.sh", job).await;
    run_script(&sandbox, &quiet, "job2.sh", job).await;
    let text = expect_raised(&mut rx, &quiet, "silence", AttentionReason::Silence).await;
    assert!(text.starts_with("no output for "), "{text}");
    // Nothing about the window that did not opt in (give it the same time
    // again, then look at everything that arrived).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    monitor.shutdown().await;
    let mut rest = Vec::new();
    while let Ok(detection) = rx.try_recv() {
        rest.push(detection);
    }
    assert!(
        rest.iter().all(|d| d.pane != loud
            || !matches!(
                d.change,
                Change::Raised {
                    reason: AttentionReason::Silence,
                    ..
                }
            )),
        "{rest:?}"
    );
    watcher.shutdown().await;
}

/// With taps attached, an idle server still spawns no tmux process (the
/// tmux binary is a wrapper that logs every invocation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taps_cost_no_process_while_idle() {
    let logged = Logged::new();
    let sandbox = &logged.sandbox;
    sandbox.start("main").await.unwrap();
    sandbox
        .run(&["new-session", "-d", "-s", "other", "sh"])
        .await
        .unwrap();
    phone(sandbox, "main", "p1").await;
    phone(sandbox, "other", "p2").await;
    let (watcher, snapshots) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    let (monitor, _rx) = AttentionMonitor::spawn(sandbox.tmux(), snapshots.clone(), fast_options());
    watcher.refresh().await;
    wait_for_taps(sandbox, 2).await;
    // And the watcher's own control client (after its one-shot snapshots).
    let deadline = Instant::now() + DEADLINE;
    while !control_clients(sandbox)
        .await
        .iter()
        .any(|c| c.ends_with(" 0"))
    {
        assert!(Instant::now() < deadline, "the watcher never attached");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The first look at each screen and the shells' start are over after
    // this; from here on nothing may run.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = logged.text();
    let taps = logged
        .invocations()
        .iter()
        .filter(|l| l.contains(" -C ") && l.contains("pause-after"))
        .count();
    assert_eq!(taps, 2, "{before}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(logged.text(), before, "tmux was spawned while idle");
    monitor.shutdown().await;
    watcher.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_of_any_pane_is_a_change_event_for_subscribers() {
    let (sandbox, watcher, monitor, _rx) = start().await;
    let mut output = monitor.output();
    let pane = background_window(&sandbox, "busy").await;
    run_script(&sandbox, &pane, "print.sh", "echo changed\n").await;
    let deadline = Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, output.recv()).await {
            Ok(Ok(heard)) if heard == pane => break,
            Ok(Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(error)) => panic!("the output feed ended: {error}"),
            Err(_) => panic!("no output event for {pane} in time"),
        }
    }
    monitor.shutdown().await;
    watcher.shutdown().await;
}

/// Waits for the flood guard to start (`holding`) or stop holding `pane`.
async fn expect_guard(guard: &mut broadcast::Receiver<FloodGuard>, pane: &PaneId, holding: bool) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, guard.recv()).await {
            Ok(Ok(event)) if &event.pane == pane && event.holding == holding => return,
            Ok(Ok(_) | Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(error)) => panic!("the guard feed ended: {error}"),
            Err(_) => panic!("the flood guard never turned {holding} for {pane}"),
        }
    }
}

/// Polls (with [`DEADLINE`]) until `path` exists.
async fn wait_for_file(path: &std::path::Path, what: &str) {
    let deadline = Instant::now() + DEADLINE;
    while !path.exists() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// tmux stops reading a pane when every attached client is a control
/// client that cannot take more of it (from 3.4 on, also one that turned
/// the pane `off`); a pane the guard *paused* never counts. Here the tap is
/// the only client attached anywhere (a phone's session without its PTY,
/// no watcher): the flooding program still runs to its end while the guard
/// holds its output back, and the tap is never replaced meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_held_back_and_its_pane_still_runs_to_the_end_with_only_a_tap_attached() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("main").await.unwrap();
    phone(&sandbox, "main", "p1").await;
    let pane = background_window(&sandbox, "flood").await;
    // No state watcher: its control client (`no-output`) would keep the
    // pane read whatever the tap does. One snapshot, published by hand.
    let snapshot = sandbox.tmux().snapshot().await.unwrap();
    let (_publish, snapshots) = watch::channel(Arc::new(snapshot));
    let (monitor, _rx) = AttentionMonitor::spawn(sandbox.tmux(), snapshots, fast_options());
    let mut guard = monitor.flood_guard();
    wait_for_taps(&sandbox, 1).await;
    let clients = || async {
        sandbox
            .run(&[
                "list-clients",
                "-F",
                "#{client_control_mode} #{client_name}",
            ])
            .await
            .unwrap()
    };
    let tap = clients().await;
    assert!(
        tap.starts_with("1 ") && tap.trim().lines().count() == 1,
        "only the tap is attached: {tap}"
    );

    // A first flood turns the guard on; the second is written while it
    // holds the pane (and each time it lets go, it holds it again).
    let go = sandbox.dir().join("flood-go");
    let done = sandbox.dir().join("flood-done");
    run_script(
        &sandbox,
        &pane,
        "flood.sh",
        &format!(
            "seq 1 1000000\nwhile [ ! -e '{go}' ]; do sleep 0.05; done\nseq 1 1000000\n: > '{done}'\n",
            go = go.display(),
            done = done.display()
        ),
    )
    .await;
    expect_guard(&mut guard, &pane, true).await;
    std::fs::write(&go, b"").unwrap();
    wait_for_file(&done, "the flooding program to finish").await;
    // The same tap all along: a new one would have started with the pane
    // on.
    assert_eq!(clients().await, tap);
    // Once it has gone quiet the guard lets go for good.
    expect_guard(&mut guard, &pane, false).await;
    monitor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_at_the_end_of_a_flood_and_a_bell_after_it_are_reported() {
    let (sandbox, watcher, monitor, mut rx) = start().await;
    let mut guard = monitor.flood_guard();
    let pane = background_window(&sandbox, "flood").await;
    run_script(
        &sandbox,
        &pane,
        "flood-then-ask.sh",
        "seq 1 2000000\nprintf 'Overwrite the old build? [y/N] '\nread answer\nprintf 'ok\\007\\n'\n",
    )
    .await;
    expect_guard(&mut guard, &pane, true).await;
    // The tail of the flood and the prompt were held back (or not): the
    // screen is read once the pane has gone quiet.
    let text = expect_raised(
        &mut rx,
        &pane,
        "the prompt after the flood",
        AttentionReason::Prompt,
    )
    .await;
    assert_eq!(text, "Overwrite the old build? [y/N]");
    // No bell rang so far: the flood printed none.
    sandbox
        .run(&["send-keys", "-t", pane.as_str(), "y", "Enter"])
        .await
        .unwrap();
    expect(
        &mut rx,
        &pane,
        "the bell after the flood",
        raised(AttentionReason::Bell),
    )
    .await;
    monitor.shutdown().await;
    watcher.shutdown().await;
}

/// A window whose program sends a notification the moment it starts: the
/// tap is in the window's session group already, so it hears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_from_the_first_output_of_a_new_window_is_reported() {
    let (sandbox, watcher, monitor, mut rx) = start().await;
    let id = sandbox
        .run(&[
            "new-window",
            "-d",
            "-t",
            "=main:",
            "-n",
            "fresh",
            "-P",
            "-F",
            "#{pane_id}",
            "printf '\\033]9;fresh pane says hi\\007'; exec sleep 600",
        ])
        .await
        .unwrap();
    let pane: PaneId = id.trim().parse().unwrap();
    let text = expect_raised(
        &mut rx,
        &pane,
        "the new window's notification",
        AttentionReason::Notify,
    )
    .await;
    assert_eq!(text, "fresh pane says hi");
    monitor.shutdown().await;
    watcher.shutdown().await;
}

/// A tap whose host (a phone's session) goes while nobody publishes a new
/// snapshot (the phone left right after it came; the state watcher has not
/// looked yet): the monitor looks for itself and moves the tap to the phone
/// that is still there, instead of retrying the dead host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tap_whose_host_goes_moves_to_another_phone_without_a_new_snapshot() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("main").await.unwrap();
    let a = phone(&sandbox, "main", "a").await;
    let z = phone(&sandbox, "main", "z").await;
    let pane = background_window(&sandbox, "bg").await;
    let snapshot = sandbox.tmux().snapshot().await.unwrap();
    let (_publish, snapshots) = watch::channel(Arc::new(snapshot));
    let (monitor, mut rx) = AttentionMonitor::spawn(sandbox.tmux(), snapshots, fast_options());
    let first = wait_for_taps(&sandbox, 1).await.remove(0);
    let (gone, stays) = if first == a { (a, z) } else { (z, a) };
    sandbox
        .run(&["kill-session", "-t", &format!("={gone}")])
        .await
        .unwrap();
    let deadline = Instant::now() + DEADLINE;
    while wait_for_taps(&sandbox, 1).await != [stays.clone()] {
        assert!(Instant::now() < deadline, "the tap never moved to {stays}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run_script(&sandbox, &pane, "ring.sh", "printf 'moved\\007\\n'\n").await;
    expect(&mut rx, &pane, "the bell", raised(AttentionReason::Bell)).await;
    monitor.shutdown().await;
}

/// A prompt that was already on its screen when the tap attached, in a
/// window newer than the snapshot the tap was started from (the window
/// came between the snapshot and the tap's attach): the pane writes nothing
/// more, so no tap hears it, and the tap's first look at the screens it
/// knew of missed it. The first snapshot that shows the window makes the
/// monitor look at the new pane's screen. (A browser test caught this: a
/// prompt opened while a phone's tap was starting was never reported.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_in_a_window_made_while_the_tap_started_is_found() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("main").await.unwrap();
    phone(&sandbox, "main", "p1").await;
    // The snapshot the monitor starts from, before the window.
    let before = sandbox.tmux().snapshot().await.unwrap();
    let pane = background_window(&sandbox, "agent").await;
    run_script(
        &sandbox,
        &pane,
        "ask.sh",
        "printf 'Do you want to proceed?\\n\\342\\235\\257 1. Yes\\n  2. No\\n'\nread answer\n",
    )
    .await;
    let deadline = Instant::now() + DEADLINE;
    loop {
        let screen = sandbox
            .run(&["capture-pane", "-p", "-t", pane.as_str()])
            .await
            .unwrap();
        if screen.contains("2. No") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the prompt never showed: {screen}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (publish, snapshots) = watch::channel(Arc::new(before));
    let (monitor, mut rx) = AttentionMonitor::spawn(sandbox.tmux(), snapshots, fast_options());
    wait_for_taps(&sandbox, 1).await;
    // The tap is attached; the prompt is on the screen and stays quiet.
    publish.send_replace(Arc::new(sandbox.tmux().snapshot().await.unwrap()));
    let text = expect_raised(&mut rx, &pane, "the prompt", AttentionReason::Prompt).await;
    assert_eq!(text, "Do you want to proceed?");
    monitor.shutdown().await;
}
