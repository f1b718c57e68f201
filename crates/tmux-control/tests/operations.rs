//! Every gateway operation against a real tmux on a private socket,
//! asserting the resulting tmux state.

use std::time::Duration;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Orientation, PaneId};
use tmux_mobile_tmux_control::{Snapshot, TmuxError};

fn name(s: &str) -> String {
    s.to_owned()
}

async fn snapshot(sandbox: &IsolatedTmux) -> Snapshot {
    sandbox.tmux().snapshot().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_is_a_normal_outcome() {
    let sandbox = IsolatedTmux::new().unwrap();
    let tmux = sandbox.tmux();
    assert_eq!(tmux.snapshot().await.unwrap(), Snapshot::empty());
    assert!(tmux.list_sessions().await.unwrap().is_empty());
    assert!(!tmux.has_session(&name("main")).await.unwrap());
    assert!(
        tmux.remove_stale_managed_sessions()
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        tmux.kill_session(&name("main")).await,
        Err(TmuxError::NoServer)
    ));
    assert!(matches!(
        tmux.new_window(&name("main")).await,
        Err(TmuxError::NoServer)
    ));
    let version = tmux.version().await.unwrap();
    assert!(version.is_supported(), "{version:?}");
}

/// A server that is up but has no session (`exit-empty off`, or exiting)
/// has nothing to list: that is an empty snapshot, not an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_sessions_is_an_empty_snapshot() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox
        .run(&["start-server", ";", "set", "-g", "exit-empty", "off"])
        .await
        .unwrap();
    let tmux = sandbox.tmux();
    assert_eq!(tmux.snapshot().await.unwrap(), Snapshot::empty());
    assert!(tmux.list_sessions().await.unwrap().is_empty());
    assert!(!tmux.has_session(&name("main")).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_created_listed_and_killed_exactly() {
    let sandbox = IsolatedTmux::new().unwrap();
    let tmux = sandbox.tmux();
    // Creating the first session starts the server.
    tmux.new_session(&name("abc")).await.unwrap();
    assert!(tmux.has_session(&name("abc")).await.unwrap());
    // `a` must not match `abc`.
    assert!(!tmux.has_session(&name("a")).await.unwrap());
    assert!(matches!(
        tmux.kill_session(&name("a")).await,
        Err(TmuxError::NotFound {
            kind: "session",
            ..
        })
    ));
    assert!(matches!(
        tmux.new_window(&name("a")).await,
        Err(TmuxError::NotFound {
            kind: "session",
            ..
        })
    ));
    tmux.new_session(&name("a")).await.unwrap();
    assert!(matches!(
        tmux.new_session(&name("a")).await,
        Err(TmuxError::DuplicateSession { name }) if name == "a"
    ));
    let sessions = tmux.list_sessions().await.unwrap();
    let names: Vec<_> = sessions.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "abc"]);
    assert!(
        sessions
            .iter()
            .all(|s| s.windows == 1 && s.attached == 0 && !s.managed)
    );
    tmux.kill_session(&name("a")).await.unwrap();
    let names: Vec<_> = snapshot(&sandbox)
        .await
        .sessions()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names, ["abc"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_sessions_share_windows_but_not_the_current_one() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    let tmux = sandbox.tmux();
    let client = name("tmux-mobile-client-abc");
    tmux.new_grouped_session(&client, &name("base"))
        .await
        .unwrap();
    tmux.new_window(&client).await.unwrap();
    let snap = snapshot(&sandbox).await;
    let base = snap.session("base").unwrap();
    let managed = snap.session("tmux-mobile-client-abc").unwrap();
    assert!(managed.managed && !base.managed);
    assert_eq!(base.group, managed.group);
    assert!(base.group.is_some());
    assert_eq!(base.windows.len(), 2);
    assert_eq!(managed.windows.len(), 2);
    // new_window selected the new window in the managed session only.
    assert_eq!(managed.active_window().unwrap().index, 1);
    assert_eq!(base.active_window().unwrap().index, 0);
    // Every pane belongs to both sessions.
    let pane = base.windows[1].panes[0].id.clone();
    let mut owners = tmux.pane_sessions(&pane).await.unwrap();
    owners.sort();
    assert_eq!(owners, ["base", "tmux-mobile-client-abc"]);
    assert!(tmux.pane_in_session(&pane, &client).await.unwrap());
    assert_eq!(snap.user_sessions().count(), 1);
    assert_eq!(snap.sessions().len(), 2);
    // A group target that does not exist is an error, and creates nothing.
    assert!(matches!(
        tmux.new_grouped_session(&name("tmux-mobile-client-x"), &name("nope"))
            .await,
        Err(TmuxError::NotFound { .. })
    ));
    assert_eq!(snapshot(&sandbox).await.sessions().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_are_addressed_by_index_never_by_name() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("s").await.unwrap();
    let tmux = sandbox.tmux();
    let s = name("s");
    tmux.new_window(&s).await.unwrap();
    tmux.new_window(&s).await.unwrap();
    let snap = snapshot(&sandbox).await;
    let session = snap.session("s").unwrap();
    assert_eq!(
        session.windows.iter().map(|w| w.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert_eq!(session.active_window().unwrap().index, 2);

    tmux.select_window(&s, 0).await.unwrap();
    assert_eq!(
        snapshot(&sandbox)
            .await
            .session("s")
            .unwrap()
            .active_window()
            .unwrap()
            .index,
        0
    );

    tmux.kill_window(&s, 1).await.unwrap();
    let snap = snapshot(&sandbox).await;
    assert_eq!(
        snap.session("s")
            .unwrap()
            .windows
            .iter()
            .map(|w| w.index)
            .collect::<Vec<_>>(),
        [0, 2]
    );

    // A window *named* 7 (and one named 70) at index 2: index 7 does not
    // exist, and tmux must not fall back to the names.
    sandbox
        .run(&["rename-window", "-t", "=s:2", "7"])
        .await
        .unwrap();
    sandbox
        .run(&["rename-window", "-t", "=s:0", "70"])
        .await
        .unwrap();
    for result in [
        tmux.kill_window(&s, 7).await,
        tmux.select_window(&s, 7).await,
    ] {
        assert!(
            matches!(result, Err(TmuxError::NotFound { kind: "window", ref target }) if target == "s:7"),
            "{result:?}"
        );
    }
    let snap = snapshot(&sandbox).await;
    let session = snap.session("s").unwrap();
    assert_eq!(session.windows.len(), 2);
    assert_eq!(session.active_window().unwrap().index, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panes_split_select_zoom_capture_and_die() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("p").await.unwrap();
    let tmux = sandbox.tmux();
    let first = snapshot(&sandbox).await.session("p").unwrap().windows[0].panes[0]
        .id
        .clone();

    let right = tmux
        .split_pane(&first, Orientation::Horizontal)
        .await
        .unwrap();
    let below = tmux
        .split_pane(&right, Orientation::Vertical)
        .await
        .unwrap();
    let snap = snapshot(&sandbox).await;
    let window = &snap.session("p").unwrap().windows[0];
    assert_eq!(window.panes.len(), 3);
    let pane = |id: &PaneId| window.panes.iter().find(|p| &p.id == id).unwrap().clone();
    // h: side by side (same height); v: one above the other (same width).
    assert_eq!(pane(&first).height, 24);
    assert_eq!(pane(&right).height + 1 + pane(&below).height, 24);
    assert_eq!(pane(&first).width + 1 + pane(&right).width, 80);
    assert_eq!(pane(&right).width, pane(&below).width);
    assert_eq!(window.active_pane().unwrap().id, below);

    tmux.select_pane(&first).await.unwrap();
    assert_eq!(
        snapshot(&sandbox).await.session("p").unwrap().windows[0]
            .active_pane()
            .unwrap()
            .id,
        first
    );

    assert!(!tmux.is_zoomed(&first).await.unwrap());
    tmux.toggle_zoom(&first).await.unwrap();
    assert!(tmux.is_zoomed(&first).await.unwrap());
    assert!(!tmux.is_zoomed(&right).await.unwrap());
    let snap = snapshot(&sandbox).await;
    let window = &snap.sessions()[0].windows[0];
    assert!(window.zoomed);
    let zoomed: Vec<_> = window
        .panes
        .iter()
        .filter(|p| p.active)
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(zoomed, [first.to_string()]);
    tmux.toggle_zoom(&first).await.unwrap();
    assert!(!tmux.is_zoomed(&first).await.unwrap());

    // Capture: print a marker in the first pane and wait for it.
    sandbox
        .run(&[
            "send-keys",
            "-t",
            first.as_str(),
            "-l",
            "printf 'MARK%s\\n' 42",
        ])
        .await
        .unwrap();
    sandbox
        .run(&["send-keys", "-t", first.as_str(), "Enter"])
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = tmux.capture_pane(&first, 100).await.unwrap();
        if text.lines().any(|l| l == "MARK42") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "marker never appeared: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    tmux.kill_pane(&below).await.unwrap();
    let snap = snapshot(&sandbox).await;
    assert!(snap.sessions_with_pane(&below).next().is_none());
    assert_eq!(snap.session("p").unwrap().windows[0].panes.len(), 2);
    for result in [
        tmux.kill_pane(&below).await,
        tmux.select_pane(&below).await,
        tmux.toggle_zoom(&below).await,
    ] {
        assert!(
            matches!(result, Err(TmuxError::NotFound { kind: "pane", .. })),
            "{result:?}"
        );
    }
    assert!(tmux.pane_sessions(&below).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_managed_sessions_are_removed_attached_ones_kept() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("main").await.unwrap();
    let tmux = sandbox.tmux();
    tmux.new_grouped_session(&name("tmux-mobile-client-stale"), &name("main"))
        .await
        .unwrap();
    tmux.new_grouped_session(&name("tmux-mobile-client-live"), &name("main"))
        .await
        .unwrap();
    // A control-mode client keeps "live" attached while the test runs.
    let mut attached = tokio::process::Command::new("tmux")
        .env_remove("TMUX")
        .env("TMUX_TMPDIR", sandbox.dir())
        .args(tmux.base_args())
        .args(["-C", "attach-session", "-t", "=tmux-mobile-client-live"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !snapshot(&sandbox)
        .await
        .session("tmux-mobile-client-live")
        .unwrap()
        .is_attached()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "control client never attached"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let removed = tmux.remove_stale_managed_sessions().await.unwrap();
    assert_eq!(removed, ["tmux-mobile-client-stale"]);
    let snap = snapshot(&sandbox).await;
    let names: Vec<_> = snap.sessions().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["main", "tmux-mobile-client-live"]);
    tmux.refresh_session_clients(&name("tmux-mobile-client-live"))
        .await
        .unwrap();
    let _ = attached.kill().await;
}

/// Each hostile name either works exactly (created under exactly that name,
/// found, killed, nothing else touched) or is refused before tmux runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_session_names_one_by_one() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("keep").await.unwrap();
    let tmux = sandbox.tmux();
    let long128: String = "n".repeat(127) + "é";
    let works = [
        "with space",
        " leading and trailing ",
        "quote'single",
        "quote\"double",
        "x$(id)",
        "a$",
        "a;b",
        "semi;",
        ";",
        "#S",
        "##{session_name}",
        "{",
        "}",
        "~",
        "=eq",
        "%5",
        "@1",
        "*",
        "a?b[c]",
        "é日本🎉",
        "e\u{301}",
        "\u{200b}",
        long128.as_str(),
    ];
    for hostile in works {
        let n = name(hostile);
        tmux.new_session(&n)
            .await
            .unwrap_or_else(|e| panic!("{hostile:?}: {e}"));
        assert!(tmux.has_session(&n).await.unwrap(), "{hostile:?}");
        let snap = snapshot(&sandbox).await;
        assert!(
            snap.session(hostile).is_some(),
            "{hostile:?} not in {snap:?}"
        );
        assert_eq!(snap.sessions().len(), 2, "{hostile:?}");
        tmux.new_window(&n).await.unwrap();
        tmux.select_window(&n, 0).await.unwrap();
        tmux.kill_window(&n, 1).await.unwrap();
        assert_eq!(
            snapshot(&sandbox)
                .await
                .session(hostile)
                .unwrap()
                .windows
                .len(),
            1
        );
        tmux.kill_session(&n).await.unwrap();
        let snap = snapshot(&sandbox).await;
        let names: Vec<_> = snap.sessions().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["keep"], "{hostile:?}");
    }

    // (Names with `:`, `.`, control characters and the like are refused
    // by the server's wire type, `SessionName`, before they reach this
    // crate; the protocol crate tests that.)
    // Refused by this crate before tmux runs: tmux would store another name,
    // or `=` + name would be read as a session id.
    for refused in ["$(id)", "$3", "back\\slash", "a$b", "${x}", "x$_y"] {
        let n = name(refused);
        assert!(
            matches!(
                tmux.new_session(&n).await,
                Err(TmuxError::InvalidTarget { .. })
            ),
            "{refused:?}"
        );
        assert!(matches!(
            tmux.has_session(&n).await,
            Err(TmuxError::InvalidTarget { .. }) | Ok(false)
        ));
    }
    // Characters tmux escapes that we do not predict: created, seen renamed,
    // removed again, refused.
    for odd in ["line\u{2028}sep", "un\u{378}assigned"] {
        let result = tmux.new_session(&name(odd)).await;
        assert!(
            matches!(result, Err(TmuxError::InvalidTarget { ref reason, .. }) if reason.contains("store")),
            "{odd:?}: {result:?}"
        );
    }
    let snap = snapshot(&sandbox).await;
    let names: Vec<_> = snap.sessions().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["keep"]);
}

/// Sessions created outside with names this crate cannot address are listed
/// exactly, and never mistaken for another session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_names_are_reported_exactly_and_never_mistargeted() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("keep").await.unwrap();
    // Session ids start at $0: `$0` as a *name* must not address session $0.
    sandbox
        .run(&["new-session", "-d", "-s", "$0"])
        .await
        .unwrap();
    sandbox
        .run(&["new-session", "-d", "-s", "-dash"])
        .await
        .unwrap();
    sandbox
        .run(&["new-session", "-d", "-s", "tab\there"])
        .await
        .unwrap();
    sandbox
        .run(&["rename-window", "-t", "=keep:0", "w\tname \"q\" é"])
        .await
        .unwrap();
    let tmux = sandbox.tmux();
    let snap = snapshot(&sandbox).await;
    let names: Vec<_> = snap.sessions().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["$0", "-dash", "keep", "tab\\there"]);
    assert_eq!(
        snap.session("keep").unwrap().windows[0].name,
        "w\\tname \"q\" é"
    );
    assert!(matches!(
        tmux.kill_session(&name("$0")).await,
        Err(TmuxError::InvalidTarget { .. })
    ));
    assert_eq!(snapshot(&sandbox).await.sessions().len(), 4);
}

/// A program can give itself any name, including newlines and tabs, and
/// tmux reports it unescaped as the pane's command. It must not shift or
/// forge records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_program_name_cannot_forge_records() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    let forged = "exec -a $'evil\\n$9\\t1\\t@9\\t0\\t1\\t0\\t%99\\t0\\t1\\t1\\t1\\t1:x\\t0:\\t1:w\\tsh\\xff' sleep 1000";
    sandbox
        .run(&["new-window", "-t", "=base:", "bash", "-c", forged])
        .await
        .unwrap();
    let tmux = sandbox.tmux();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let snap = loop {
        let snap = tmux.snapshot().await.unwrap();
        let evil = snap
            .sessions()
            .iter()
            .flat_map(|s| &s.windows)
            .flat_map(|w| &w.panes)
            .any(|p| p.current_command.starts_with("evil"));
        if evil {
            break snap;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the program never renamed itself: {snap:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let names: Vec<_> = snap.sessions().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["base"]);
    let window = snap.session("base").unwrap().window(1).unwrap();
    assert_eq!(window.panes.len(), 1);
    let command = &window.panes[0].current_command;
    assert!(command.starts_with("evil $9 1 @9"), "{command:?}");
    assert!(!command.contains(['\n', '\t']), "{command:?}");
    assert!(snap.sessions_with_pane("%99").next().is_none());
}

/// Polls `capture` (a real tmux command each time) until `done` holds.
async fn until_capture(
    tmux: &tmux_mobile_tmux_control::Tmux,
    pane: &PaneId,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = tmux.capture_pane(pane, 100).await.unwrap();
        if done(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} never appeared: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A line longer than the pane is wide comes back as one line (the
/// scrollback viewer copies a long URL whole), without trailing spaces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_joins_wrapped_lines() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("wrap").await.unwrap();
    let tmux = sandbox.tmux();
    let pane = snapshot(&sandbox).await.session("wrap").unwrap().windows[0].panes[0]
        .id
        .clone();
    // 200 characters in an 80-column pane: three screen rows.
    sandbox
        .run(&[
            "send-keys",
            "-t",
            pane.as_str(),
            "-l",
            "printf 'W%.0s' $(seq 1 199); printf 'Z\\n'",
        ])
        .await
        .unwrap();
    sandbox
        .run(&["send-keys", "-t", pane.as_str(), "Enter"])
        .await
        .unwrap();
    let long = format!("{}Z", "W".repeat(199));
    // The line starts with sh's prompt (`# `) on screen row one.
    let text = until_capture(&tmux, &pane, "the long line", |t| {
        t.lines()
            .any(|l| l.ends_with(&long) && l.len() <= long.len() + 2)
    })
    .await;
    assert!(
        text.lines().all(|l| !l.ends_with(' ')),
        "trailing spaces kept: {text:?}"
    );
}

/// Scrolling enters copy mode in the pane and `0` leaves it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scroll_pane_uses_copy_mode() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("scroll").await.unwrap();
    let tmux = sandbox.tmux();
    let pane = snapshot(&sandbox).await.session("scroll").unwrap().windows[0].panes[0]
        .id
        .clone();
    let in_mode = || async {
        sandbox
            .run(&[
                "display-message",
                "-p",
                "-t",
                pane.as_str(),
                "#{pane_in_mode}:#{scroll_position}",
            ])
            .await
            .unwrap()
    };
    // Something to scroll back to.
    sandbox
        .run(&["send-keys", "-t", pane.as_str(), "-l", "seq 1 100"])
        .await
        .unwrap();
    sandbox
        .run(&["send-keys", "-t", pane.as_str(), "Enter"])
        .await
        .unwrap();
    until_capture(&tmux, &pane, "seq output", |t| {
        t.lines().any(|l| l == "100")
    })
    .await;
    assert_eq!(tmux.scroll_pane(&pane, -5).await.unwrap(), 5);
    assert!(in_mode().await.starts_with("1:5"), "not in copy mode");
    assert_eq!(tmux.scroll_pane(&pane, 2).await.unwrap(), 3);
    assert_eq!(tmux.scroll_pane(&pane, 0).await.unwrap(), 0);
    assert_eq!(in_mode().await.trim(), "0:");
    // Leaving when not in copy mode is fine too.
    assert_eq!(tmux.scroll_pane(&pane, 0).await.unwrap(), 0);
    // Scrolling down to the bottom ends copy mode by itself (`-e`).
    assert_eq!(tmux.scroll_pane(&pane, -4).await.unwrap(), 4);
    assert_eq!(tmux.scroll_pane(&pane, 10).await.unwrap(), 0);
    assert_eq!(in_mode().await.trim(), "0:");
}

/// The status line of a managed session names its base session while the
/// global `status-left` is tmux's default, and is left alone otherwise;
/// never a global option.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_status_line_names_the_base_session() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("work#1").await.unwrap();
    let tmux = sandbox.tmux();
    let managed = name("tmux-mobile-client-abc");
    tmux.new_grouped_session(&managed, &name("work#1"))
        .await
        .unwrap();
    assert!(
        tmux.name_base_in_status(&managed, &name("work#1"))
            .await
            .unwrap()
    );
    let left = sandbox
        .run(&[
            "show-options",
            "-v",
            "-t",
            "=tmux-mobile-client-abc:",
            "status-left",
        ])
        .await
        .unwrap();
    assert_eq!(left.trim_end_matches('\n'), "[work##1] ");
    let shown = sandbox
        .run(&[
            "display-message",
            "-p",
            "-t",
            "=tmux-mobile-client-abc:",
            "#{T:status-left}",
        ])
        .await
        .unwrap();
    assert_eq!(shown.trim_end_matches('\n'), "[work#1] ");
    let global = sandbox
        .run(&["show-options", "-gv", "status-left"])
        .await
        .unwrap();
    assert_eq!(global.trim_end_matches('\n'), "[#{session_name}] ");
    // The user's base session is untouched.
    let base = sandbox
        .run(&["show-options", "-t", "=work#1:", "status-left"])
        .await
        .unwrap();
    assert_eq!(base.trim(), "");

    // A status-left of the user's own: ours stays out of the way.
    sandbox
        .run(&["set-option", "-g", "status-left", "#H "])
        .await
        .unwrap();
    let other = name("tmux-mobile-client-def");
    tmux.new_grouped_session(&other, &name("work#1"))
        .await
        .unwrap();
    assert!(
        !tmux
            .name_base_in_status(&other, &name("work#1"))
            .await
            .unwrap()
    );
    let left = sandbox
        .run(&[
            "show-options",
            "-t",
            "=tmux-mobile-client-def:",
            "status-left",
        ])
        .await
        .unwrap();
    assert_eq!(left.trim(), "");
    // Only managed sessions.
    assert!(
        tmux.name_base_in_status(&name("work#1"), &name("x"))
            .await
            .is_err()
    );
}

/// With zoom, the split's new pane fills the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_zoomed_zooms_the_new_pane() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("z").await.unwrap();
    let tmux = sandbox.tmux();
    let first = snapshot(&sandbox).await.session("z").unwrap().windows[0].panes[0]
        .id
        .clone();
    let new = tmux
        .split_pane_zoomed(&first, Orientation::Horizontal)
        .await
        .unwrap();
    assert!(tmux.is_zoomed(&new).await.unwrap());
}

/// tmux evaluates the snapshot's "no person's session in the group" test
/// itself: a group left with phones' sessions only (the user's session was
/// killed) still lists its windows, through either phone's session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_left_with_only_phone_sessions_keeps_its_windows() {
    let sandbox = IsolatedTmux::new().unwrap();
    sandbox.start("base").await.unwrap();
    let tmux = sandbox.tmux();
    let phones = ["tmux-mobile-client-a", "tmux-mobile-client-b"];
    for phone in phones {
        tmux.new_grouped_session(&name(phone), &name("base"))
            .await
            .unwrap();
    }
    tmux.new_window(&name(phones[0])).await.unwrap();
    let before = snapshot(&sandbox).await;
    for phone in phones {
        assert_eq!(before.session(phone).unwrap().windows.len(), 2, "{phone}");
    }
    sandbox.run(&["kill-session", "-t", "=base"]).await.unwrap();
    let after = snapshot(&sandbox).await;
    assert_eq!(after.user_sessions().count(), 0);
    for phone in phones {
        let session = after.session(phone).unwrap();
        assert_eq!(session.windows.len(), 2, "{phone}: {after:#?}");
        assert!(session.windows.iter().all(|w| !w.panes.is_empty()));
    }
    // The first phone still shows the window it opened.
    assert_eq!(
        after
            .session(phones[0])
            .unwrap()
            .active_window()
            .unwrap()
            .index,
        1
    );
}
