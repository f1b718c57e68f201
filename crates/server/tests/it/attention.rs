//! Attention end to end through the control socket, with programs in real
//! tmux panes: a bell in a background window arrives as `attention` and as
//! the `attention` flag in `tmux_state`; `ack_attention` and selecting the
//! pane clear it for that phone only; a read-only phone sees it but cannot
//! ack it; a prompt carries its quick replies; a phone that connects later
//! still finds what nobody has seen.

use serde_json::{Value, json};
use tmux_mobile_server::TestServer;

use crate::common::{Control, attached_client, session};

/// Opens a background window in `session` running `sh`; its pane id.
pub(crate) fn background_window(server: &TestServer, session: &str, name: &str) -> String {
    background_program(server, session, name, "sh")
}

/// Runs `script` from a file in `pane` (the typed line does not show what
/// the script prints).
pub(crate) fn run_script(server: &TestServer, pane: &str, name: &str, script: &str) {
    let path = server.tmux_tmpdir().join(name);
    std::fs::write(&path, script).expect("write the script");
    let line = format!("sh {}", path.display());
    server
        .tmux_run(&["send-keys", "-t", pane, "-l", &line])
        .expect("send-keys");
    server
        .tmux_run(&["send-keys", "-t", pane, "Enter"])
        .expect("send-keys");
}

/// Waits until tmux-mobile's tap is attached (before it, output is not
/// heard): a read-only control client riding on a phone's session.
pub(crate) async fn wait_for_tap(server: &TestServer) {
    wait_for_taps(server, 1).await;
}

/// Waits until at least `taps` attention taps are attached (read-only
/// control clients riding on the phones' sessions).
pub(crate) async fn wait_for_taps(server: &TestServer, taps: usize) {
    crate::common::eventually("the attention taps", || {
        server
            .tmux_run(&[
                "list-clients",
                "-F",
                "#{client_control_mode} #{client_readonly} #{session_name}",
            ])
            .is_ok_and(|out| {
                out.lines()
                    .filter(|l| l.starts_with("1 1 tmux-mobile-client-"))
                    .count()
                    >= taps
            })
    })
    .await;
}

/// The pane `id` in the state, wherever it is.
fn pane<'a>(state: &'a Value, base: &str, id: &str) -> Option<&'a Value> {
    session(state, base)?["windowStates"]
        .as_array()?
        .iter()
        .flat_map(|w| w["panes"].as_array().into_iter().flatten())
        .find(|p| p["id"] == id)
}

fn window<'a>(state: &'a Value, base: &str, index: u64) -> Option<&'a Value> {
    session(state, base)?["windowStates"]
        .as_array()?
        .iter()
        .find(|w| w["index"] == index)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bell_in_a_background_window_reaches_the_phone_and_ack_clears_it() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut phone, ..) = attached_client(&server).await;
    let (mut other, ..) = attached_client(&server).await;
    wait_for_tap(&server).await;
    let bell_pane = background_window(&server, "work", "build");

    run_script(
        &server,
        &bell_pane,
        "ring.sh",
        "sleep 0.1; printf 'done\\007\\n'\n",
    );
    let (attention, state) = phone
        .recv_type_and_state("attention", |s| {
            pane(s, "work", &bell_pane).is_some_and(|p| p["attention"] == "bell")
        })
        .await;
    assert_eq!(attention["session"], "work");
    assert_eq!(attention["windowIndex"], 1);
    assert_eq!(attention["paneId"], bell_pane.as_str());
    assert_eq!(attention["reason"], "bell");
    assert_eq!(attention["text"], "");
    assert!(attention["at"].as_u64().unwrap() > 1_700_000_000_000);
    assert_eq!(window(&state, "work", 1).unwrap()["attention"], "bell");
    // The window the phone is looking at has none.
    assert!(
        window(&state, "work", 0)
            .unwrap()
            .get("attention")
            .is_none()
    );

    phone
        .send(json!({"type": "ack_attention", "paneId": bell_pane}))
        .await;
    let state = phone
        .wait_state(|s| pane(s, "work", &bell_pane).is_some_and(|p| p.get("attention").is_none()))
        .await;
    assert!(
        window(&state, "work", 1)
            .unwrap()
            .get("attention")
            .is_none()
    );

    // Only for that phone: the other still has it, until it selects the
    // window (selecting the pane clears it too).
    let (_, own) = other
        .recv_type_and_state("attention", |s| {
            pane(s, "work", &bell_pane).is_some_and(|p| p["attention"] == "bell")
        })
        .await;
    let own_session = own["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["name"]
                .as_str()
                .unwrap()
                .starts_with("tmux-mobile-client-")
        })
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    other
        .send(json!({"type": "select_window", "session": own_session, "windowIndex": 1}))
        .await;
    other
        .wait_state(|s| pane(s, "work", &bell_pane).is_some_and(|p| p.get("attention").is_none()))
        .await;

    // A phone that connects now finds nothing: it has been seen.
    let (mut late, _, _, state) = attached_client(&server).await;
    assert!(
        pane(&state, "work", &bell_pane)
            .unwrap()
            .get("attention")
            .is_none()
    );
    late.send(json!({"type": "ack_attention", "paneId": "%999"}))
        .await;
    late.recv_type("tmux_state").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_carries_quick_replies_and_a_late_phone_still_sees_it() {
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .read_only_link()
        .start()
        .await;
    let (mut phone, ..) = attached_client(&server).await;
    wait_for_tap(&server).await;
    let agent = background_window(&server, "work", "agent");
    run_script(
        &server,
        &agent,
        "ask.sh",
        "printf 'Edit file src/main.rs\\n\\nDo you want to make this edit?\\n\\342\\235\\257 1. Yes\\n  2. No, tell me why\\n'\nread answer\n",
    );
    let attention = phone.recv_type("attention").await;
    assert_eq!(attention["reason"], "prompt");
    assert_eq!(attention["text"], "Do you want to make this edit?");
    let replies = attention["replies"].as_array().expect("replies");
    assert_eq!(replies[0], json!({"label": "1. Yes", "input": "1"}));
    assert_eq!(
        replies[1],
        json!({"label": "2. No, tell me why", "input": "2"})
    );
    assert!(replies.contains(&json!({"label": "Esc", "input": "\u{1b}"})));

    // A read-only phone connecting now is shown it, but cannot ack it.
    let viewer_token = server.read_only_token().expect("token").to_owned();
    let mut viewer = Control::connect(&server).await;
    viewer
        .send(json!({"type": "auth", "token": viewer_token}))
        .await;
    assert_eq!(viewer.recv_type("auth_ok").await["readOnly"], true);
    let (replayed, _) = viewer
        .recv_type_and_state("attention", |s| {
            pane(s, "work", &agent).is_some_and(|p| p["attention"] == "prompt")
        })
        .await;
    assert_eq!(replayed["paneId"], agent.as_str());
    viewer
        .send(json!({"type": "ack_attention", "paneId": agent}))
        .await;
    assert_eq!(viewer.recv_error().await["message"], "read-only");
}

/// Opens a background window in `session` running `program`; its pane id.
fn background_program(server: &TestServer, session: &str, name: &str, program: &str) -> String {
    let target = format!("={session}:");
    server
        .tmux_run(&[
            "new-window",
            "-d",
            "-t",
            &target,
            "-n",
            name,
            "-P",
            "-F",
            "#{pane_id}",
            program,
        ])
        .expect("new-window")
        .trim()
        .to_owned()
}

/// Reads messages until an `attention` of `reason` for `pane` arrives;
/// returns it and the attentions read before it.
async fn attention_for(phone: &mut Control, pane: &str, reason: &str) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    loop {
        let attention = phone.recv_type("attention").await;
        if attention["paneId"] == pane && attention["reason"] == reason {
            return (attention, before);
        }
        before.push(attention);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn osc_9_and_osc_777_notifications_reach_the_phone() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut phone, ..) = attached_client(&server).await;
    wait_for_tap(&server).await;
    let agent = background_window(&server, "work", "agent");
    // A notification from a pane the phone already knows (one from the
    // first output of a brand-new pane has its own test below).
    phone
        .wait_state(|s| pane(s, "work", &agent).is_some())
        .await;

    run_script(
        &server,
        &agent,
        "osc9.sh",
        "printf '\\033]9;Build finished\\007'\n",
    );
    let (osc9, mut others) = attention_for(&mut phone, &agent, "notify").await;
    assert_eq!(osc9["text"], "Build finished");
    assert_eq!(osc9["session"], "work");
    assert_eq!(osc9["windowIndex"], 1);
    phone
        .wait_state(|s| pane(s, "work", &agent).is_some_and(|p| p["attention"] == "notify"))
        .await;

    // OSC 777 with a title, ended by ST (ESC \).
    run_script(
        &server,
        &agent,
        "osc777.sh",
        "printf '\\033]777;notify;Claude;Needs your approval\\033\\\\'\n",
    );
    let (osc777, between) = attention_for(&mut phone, &agent, "notify").await;
    assert_eq!(osc777["text"], "Claude: Needs your approval");
    // A notification is not a bell: the BEL ending OSC 9 rang nothing.
    others.extend(between);
    assert!(others.iter().all(|a| a["reason"] != "bell"), "{others:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Field by field: the attention types are becoming `#[non_exhaustive]`.
#[allow(clippy::field_reassign_with_default)]
async fn silence_and_activity_are_reported_for_the_windows_that_opt_in() {
    use std::time::Duration;
    use tmux_mobile_tmux_control::attention::{AttentionOptions, WindowRule};

    let mut activity = WindowRule::default();
    activity.window = "watch*".into();
    activity.activity = true;
    let mut silence = WindowRule::default();
    silence.session = "work".into();
    silence.window = "job".into();
    silence.silence = Some(Duration::from_secs(1));
    let mut options = AttentionOptions::default();
    options.windows = vec![activity, silence];
    let server = TestServer::builder()
        .with_sessions(&["work"])
        .attention(Some(options))
        .start()
        .await;
    let (mut phone, ..) = attached_client(&server).await;
    wait_for_tap(&server).await;

    // No rule names this window: its output and its quiet after it are
    // never reported.
    let misc = background_window(&server, "work", "misc");
    run_script(&server, &misc, "misc.sh", "echo busy\n");

    // Activity: `cat` prints nothing until typed to; type once the window
    // is in the state.
    let watched = background_program(&server, "work", "watched", "cat");
    phone
        .wait_state(|s| pane(s, "work", &watched).is_some())
        .await;
    server
        .tmux_run(&["send-keys", "-t", &watched, "-l", "hello"])
        .expect("send-keys");
    let (seen, mut before) = attention_for(&mut phone, &watched, "activity").await;
    assert_eq!(seen["text"], "");
    phone
        .wait_state(|s| pane(s, "work", &watched).is_some_and(|p| p["attention"] == "activity"))
        .await;

    // A watched window whose program speaks at once: its first output
    // comes before any snapshot shows the window, and still counts.
    let eager = background_program(&server, "work", "watch-eager", "echo started; exec cat");
    let (_, more) = attention_for(&mut phone, &eager, "activity").await;
    before.extend(more);

    // Silence: output, then 1 s without any.
    let job = background_window(&server, "work", "job");
    run_script(&server, &job, "job.sh", "echo working; echo done\n");
    let (quiet, between) = attention_for(&mut phone, &job, "silence").await;
    assert!(
        quiet["text"]
            .as_str()
            .unwrap()
            .starts_with("no output for "),
        "{quiet}"
    );
    phone
        .wait_state(|s| pane(s, "work", &job).is_some_and(|p| p["attention"] == "silence"))
        .await;
    // `misc` went quiet before `job` did: had a rule matched it, its
    // silence or activity would have come first.
    before.extend(between);
    assert!(
        before.iter().all(|a| a["paneId"] != misc.as_str()),
        "{before:?}"
    );
}

/// The sessions the attention taps (read-only control clients) ride on.
pub(crate) fn tap_sessions(server: &TestServer) -> Vec<String> {
    server
        .tmux_run(&[
            "list-clients",
            "-F",
            "#{client_control_mode} #{client_readonly} #{session_name}",
        ])
        .map(|out| {
            out.lines()
                .filter_map(|l| l.strip_prefix("1 1 "))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Phones whose sockets close right after `auth_ok`: each leaves a session
/// behind for the resume grace, which the taps may pick as their host. Once
/// those are gone the tap must ride on the phone that stayed (and hear its
/// windows), not wait on a host that no longer exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tap_moves_to_the_phone_that_stayed_when_phones_leave_right_after_auth_ok() {
    use std::time::Duration;

    let server = TestServer::builder()
        .with_sessions(&["work"])
        .resume_grace(Duration::from_millis(300))
        .start()
        .await;
    for _ in 0..3 {
        let mut fleeting = Control::connect(&server).await;
        fleeting.auth(&server, None).await;
        drop(fleeting);
    }
    let (mut phone, _, own, _) = attached_client(&server).await;
    crate::common::eventually("the fleeting phones' sessions to go", || {
        crate::common::managed_sessions(&server) == [own.clone()]
    })
    .await;
    crate::common::eventually("the tap on the phone that stayed", || {
        tap_sessions(&server) == [own.clone()]
    })
    .await;
    let pane = background_window(&server, "work", "after");
    run_script(&server, &pane, "ring.sh", "printf 'still here\\007\\n'\n");
    attention_for(&mut phone, &pane, "bell").await;
}

/// A notification written the moment a new window's program starts, before
/// any snapshot names the pane: it still reaches the phone, placed in its
/// window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_from_the_first_output_of_a_new_window_reaches_the_phone() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let (mut phone, ..) = attached_client(&server).await;
    wait_for_tap(&server).await;
    let fresh = background_program(
        &server,
        "work",
        "fresh",
        "printf '\\033]9;first words\\007'; exec cat",
    );
    let (notify, _) = attention_for(&mut phone, &fresh, "notify").await;
    assert_eq!(notify["text"], "first words");
    assert_eq!(notify["session"], "work");
    assert_eq!(notify["windowIndex"], 1);
}

/// The only phone closes its sockets right after `auth_ok`, while the
/// server is still making its session: the session stays for the resume
/// grace (the phone may come back, or be told by Web Push), so it must be
/// watched like any other: the state watcher and the tap ride on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_leaves_right_after_auth_ok_still_has_its_session_watched() {
    let server = TestServer::builder().with_sessions(&["work"]).start().await;
    let mut fleeting = Control::connect(&server).await;
    let ok = fleeting.auth(&server, None).await;
    drop(fleeting);
    let own = format!("tmux-mobile-client-{}", ok["clientId"].as_str().unwrap());
    crate::common::eventually("the phone's session", || {
        crate::common::managed_sessions(&server) == [own.clone()]
    })
    .await;
    crate::common::eventually("the tap on the phone's session", || {
        tap_sessions(&server) == [own.clone()]
    })
    .await;
}
