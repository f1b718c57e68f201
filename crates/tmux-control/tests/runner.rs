//! The process runner: typed errors for a missing binary, a missing server
//! and a hung tmux (which is killed).

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{Socket, Tmux, TmuxError, TmuxOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_binary_is_a_spawn_error() {
    let tmux = Tmux::new(TmuxOptions::default().with_binary("/nonexistent/tmux"));
    let error = tmux.snapshot().await.unwrap_err();
    assert!(matches!(error, TmuxError::Spawn { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/tmux"));
    assert!(matches!(tmux.version().await, Err(TmuxError::Spawn { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_in_a_missing_directory_means_no_server() {
    let sandbox = IsolatedTmux::new().unwrap();
    let tmux = Tmux::new(
        TmuxOptions::default().with_socket(Socket::Path(sandbox.dir().join("missing/dir/socket"))),
    );
    assert!(tmux.snapshot().await.unwrap().sessions().is_empty());
    let name = "x".to_owned();
    assert!(matches!(
        tmux.kill_session(&name).await,
        Err(TmuxError::NoServer)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_tmux_times_out_and_is_killed() {
    let sandbox = IsolatedTmux::new().unwrap();
    let pid_file = sandbox.dir().join("pid");
    let fake = sandbox.dir().join("hung-tmux");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho $$ > '{}'\nexec sleep 60\n",
            pid_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tmux = Tmux::new(
        TmuxOptions::default()
            .with_binary(fake)
            .with_socket(Socket::Name("unused".into()))
            .with_timeout(Duration::from_millis(300)),
    );
    let error = tmux.snapshot().await.unwrap_err();
    assert!(matches!(error, TmuxError::Timeout), "{error:?}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    // Killed (and reaped, or at least dead) soon after.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state = std::fs::read_to_string(&stat).ok().and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim().chars().next())
        });
        if matches!(state, None | Some('Z') | Some('X')) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hung tmux was not killed ({state:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A busy tmux is not a hung one: a command that waits longer than the
/// timeout while tmux keeps answering other commands is waited for (issue
/// 15, point 2: 100 phones' `new-window`s queued in tmux were killed as
/// "did not answer in time" while tmux worked through them). The fake
/// tmux holds `list-sessions` until a file appears and answers everything
/// else at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_tmux_that_answers_others_is_waited_for() {
    let sandbox = IsolatedTmux::new().unwrap();
    let release = sandbox.dir().join("release");
    let fake = sandbox.dir().join("busy-tmux");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = list-sessions ]; then\n    \
             while [ ! -e '{}' ]; do sleep 0.02; done\n    exit 0\n  fi\ndone\nexit 0\n",
            release.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let timeout = Duration::from_millis(300);
    let tmux = Tmux::new(
        TmuxOptions::default()
            .with_binary(fake)
            .with_socket(Socket::Name("unused".into()))
            .with_timeout(timeout),
    );
    let started = tokio::time::Instant::now();
    let slow = tokio::spawn({
        let tmux = tmux.clone();
        async move { tmux.snapshot().await }
    });
    // tmux answers other commands meanwhile, for three timeouts.
    let name = "other".to_owned();
    while started.elapsed() < timeout * 3 {
        assert!(tmux.has_session(&name).await.unwrap());
        assert!(!slow.is_finished(), "the slow command ended early");
    }
    std::fs::write(&release, b"").unwrap();
    let snapshot = slow.await.unwrap().expect("waited for, not timed out");
    assert!(snapshot.sessions().is_empty());

    // With nothing else answered, the same wait is a hung tmux.
    std::fs::remove_file(&release).unwrap();
    let error = tmux.snapshot().await.unwrap_err();
    assert!(matches!(error, TmuxError::Timeout), "{error:?}");
}
