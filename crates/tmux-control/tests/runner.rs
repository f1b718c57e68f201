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
