//! `AttentionMonitor::watch_unattended` against a real tmux: with no phone
//! connected every session group gets a tap on one managed session of its
//! own (`tmux-mobile-client-~attn-<n>`), a bell there is heard, a group
//! whose user session is killed loses its session of ours (and with it the
//! windows, as the user meant), a phone joining a group takes its tap over,
//! and turning it off leaves nothing of ours but the phone's session.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{DEADLINE, control_clients, phone, session_names};
use tmux_mobile_tmux_control::attention::tap::TAP_SESSION_PREFIX;
use tmux_mobile_tmux_control::attention::{
    AttentionMonitor, AttentionOptions, AttentionReason, Change, Detection,
};
use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{PaneId, StateWatcher, WatcherOptions};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The sessions of taps of their own, by session group (`group → names`).
async fn tap_sessions(sandbox: &IsolatedTmux) -> BTreeMap<String, Vec<String>> {
    let listed = sandbox
        .run(&["list-sessions", "-F", "#{session_group} #{session_name}"])
        .await
        .unwrap_or_default();
    let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in listed.lines() {
        let (group, name) = line.split_once(' ').unwrap_or(("", line));
        if name.starts_with(TAP_SESSION_PREFIX) {
            by_group
                .entry(group.to_owned())
                .or_default()
                .push(name.to_owned());
        }
    }
    by_group
}

/// Polls until the taps' own sessions are exactly one in each of `groups`,
/// and as many read-only control clients (taps) as `taps` are attached.
async fn wait_for_tap_sessions(sandbox: &IsolatedTmux, groups: &[&str], taps: usize, when: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let sessions = tap_sessions(sandbox).await;
        let clients = control_clients(sandbox).await;
        let readonly = clients.iter().filter(|c| c.ends_with(" 1")).count();
        let one_each = sessions.len() == groups.len()
            && groups
                .iter()
                .all(|g| sessions.get(*g).is_some_and(|names| names.len() == 1));
        if one_each && readonly == taps {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{when}: sessions of taps {sessions:?} (want one in each of {groups:?}), \
             control clients {clients:?} (want {taps} taps)"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn background_window(sandbox: &IsolatedTmux, session: &str) -> PaneId {
    let target = format!("={session}:");
    let id = sandbox
        .run(&[
            "new-window",
            "-d",
            "-t",
            &target,
            "-P",
            "-F",
            "#{pane_id}",
            "sh",
        ])
        .await
        .unwrap();
    id.trim().parse().unwrap()
}

async fn ring(sandbox: &IsolatedTmux, pane: &PaneId, name: &str) {
    common::run_script(sandbox, pane, name, "printf 'ding\\007\\n'\n").await;
}

async fn expect_bell(rx: &mut mpsc::Receiver<Detection>, pane: &PaneId) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Detection {
                pane: heard,
                change:
                    Change::Raised {
                        reason: AttentionReason::Bell,
                        ..
                    },
            })) if &heard == pane => return,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the monitor stopped"),
            Err(_) => panic!("timed out waiting for the bell of {pane}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_groups_get_a_session_of_ours_while_asked_and_lose_it_after() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("main").await.unwrap();
    for name in ["other", "extra"] {
        sandbox
            .run(&["new-session", "-d", "-s", name])
            .await
            .unwrap();
    }
    let (watcher, snapshots) = StateWatcher::spawn(sandbox.tmux(), WatcherOptions::default());
    let (monitor, mut rx) = AttentionMonitor::spawn(
        sandbox.tmux(),
        snapshots,
        AttentionOptions::default().with_settle(Duration::from_millis(50), Duration::from_secs(2)),
    );
    watcher.refresh().await;

    // Off (the default): nothing of ours, no phone, no tap.
    assert_eq!(session_names(&sandbox).await, ["extra", "main", "other"]);
    assert!(control_clients(&sandbox).await.is_empty());

    // On, no phone: one session of ours per group, each with its tap.
    monitor.watch_unattended(true);
    wait_for_tap_sessions(&sandbox, &["extra", "main", "other"], 3, "on").await;
    let pane = background_window(&sandbox, "main").await;
    ring(&sandbox, &pane, "ring-main.sh").await;
    expect_bell(&mut rx, &pane).await;
    let pane = background_window(&sandbox, "other").await;
    ring(&sandbox, &pane, "ring-other.sh").await;
    expect_bell(&mut rx, &pane).await;

    // The user kills a session: ours in its group goes too (nobody
    // refreshes the watcher; the tap itself notices), and the group's
    // windows end with it.
    let extra_pane = sandbox
        .run(&["display-message", "-p", "-t", "=extra:", "#{pane_id}"])
        .await
        .unwrap();
    sandbox
        .run(&["kill-session", "-t", "=extra"])
        .await
        .unwrap();
    wait_for_tap_sessions(&sandbox, &["main", "other"], 2, "extra killed").await;
    let panes = sandbox
        .run(&["list-panes", "-a", "-F", "#{pane_id}"])
        .await
        .unwrap();
    assert!(
        !panes.lines().any(|p| p == extra_pane.trim()),
        "the killed session's pane lives on: {panes}"
    );

    // A phone joins main: its tap rides on the phone's session and ours in
    // that group goes.
    let phone = phone(&sandbox, "main", "p1").await;
    watcher.refresh().await;
    wait_for_tap_sessions(&sandbox, &["other"], 2, "a phone on main").await;
    let pane = background_window(&sandbox, "main").await;
    ring(&sandbox, &pane, "ring-phone.sh").await;
    expect_bell(&mut rx, &pane).await;

    // Off: nothing of ours but the phone's session.
    monitor.watch_unattended(false);
    wait_for_tap_sessions(&sandbox, &[], 1, "off").await;
    assert_eq!(
        session_names(&sandbox).await,
        ["main", "other", phone.as_str()]
    );

    // On and stopped: the sessions of ours are removed.
    sandbox
        .run(&["kill-session", "-t", &format!("={phone}")])
        .await
        .unwrap();
    watcher.refresh().await;
    monitor.watch_unattended(true);
    wait_for_tap_sessions(&sandbox, &["main", "other"], 2, "on again").await;
    monitor.shutdown().await;
    watcher.shutdown().await;
    assert_eq!(session_names(&sandbox).await, ["main", "other"]);
    assert!(control_clients(&sandbox).await.is_empty());
}
