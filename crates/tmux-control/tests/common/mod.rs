//! Helpers shared by the watcher test binaries (`watcher`, `startup`,
//! `shutdown`, `hidden`, `attention`, `unattended`): waiting for published snapshots,
//! making a phone's grouped session (what the watcher and the taps ride
//! on), and checking that tmux and the user's session survived.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use tmux_mobile_tmux_control::sandbox::IsolatedTmux;
use tmux_mobile_tmux_control::{MANAGED_SESSION_PREFIX, PaneId, Snapshot};
use tokio::sync::watch;
use tokio::time::Instant;

/// Generous bound for anything the tests wait for (CI has 2 loaded cores).
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

/// Waits (without timing assertions) until a published snapshot satisfies
/// `condition`; panics with the last snapshot after [`DEADLINE`].
pub(crate) async fn wait_for(
    rx: &mut watch::Receiver<Arc<Snapshot>>,
    what: &str,
    condition: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let current = rx.borrow_and_update().clone();
        if condition(&current) {
            return current;
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            _ => panic!("timed out waiting for {what}; last snapshot: {current:#?}"),
        }
    }
}

/// Whether the watcher's control client rides on a phone's session (the
/// phones' sessions in these tests have no PTY, so an attached one has one
/// of our control clients).
pub(crate) fn watcher_attached(snapshot: &Snapshot) -> bool {
    snapshot
        .sessions()
        .iter()
        .any(|s| s.managed && s.is_attached())
}

/// Makes a phone's grouped session on `base`, as tmux-mobile does for each
/// connected phone (without the PTY): `tmux-mobile-client-<id>`.
pub(crate) async fn phone(sandbox: &IsolatedTmux, base: &str, id: &str) -> String {
    let name = format!("{MANAGED_SESSION_PREFIX}{id}");
    sandbox
        .tmux()
        .new_grouped_session(&name, base)
        .await
        .unwrap();
    name
}

/// A sandbox whose [`tmux_mobile_tmux_control::Tmux`] handle runs a
/// wrapper that appends each invocation's arguments to [`Logged::log`],
/// then runs the real tmux.
pub(crate) struct Logged {
    pub(crate) sandbox: IsolatedTmux,
    pub(crate) log: std::path::PathBuf,
    /// Holds the wrapper and the log; dropped (removed) after `sandbox`.
    _files: IsolatedTmux,
}

impl Logged {
    pub(crate) fn new() -> Logged {
        let files = IsolatedTmux::new().unwrap();
        let log = files.dir().join("invocations.log");
        let wrapper = files.dir().join("tmux-wrapper");
        let real = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join("tmux"))
            .find(|p| p.is_file())
            .expect("tmux on PATH");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                log.display(),
                real.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        Logged {
            sandbox: IsolatedTmux::with_binary(&wrapper).unwrap(),
            log,
            _files: files,
        }
    }

    /// The whole log so far.
    pub(crate) fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The invocations logged so far: one per line starting with `-u` (the
    /// snapshot format holds a newline, whose continuation does not).
    pub(crate) fn invocations(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.starts_with("-u "))
            .map(str::to_owned)
            .collect()
    }
}

/// What `tmux ls` shows: every session's name, sorted.
pub(crate) async fn session_names(sandbox: &IsolatedTmux) -> Vec<String> {
    let mut names: Vec<String> = sandbox
        .run(&["list-sessions", "-F", "#{session_name}"])
        .await
        .map(|out| out.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The control clients attached now, as `<session> <read-only>` lines
/// (`1` for an attention tap, `0` for the watcher).
pub(crate) async fn control_clients(sandbox: &IsolatedTmux) -> Vec<String> {
    sandbox
        .run(&[
            "list-clients",
            "-F",
            "#{client_control_mode} #{session_name} #{client_readonly}",
        ])
        .await
        .map(|out| {
            out.lines()
                .filter_map(|l| l.strip_prefix("1 "))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `pid session_id pane_pid` of the tmux server and the user's session
/// `main`: the same answer after every round means the server and the
/// session (with its shell) survived. Panics when tmux no longer answers.
pub(crate) async fn main_identity(sandbox: &IsolatedTmux, when: &str) -> String {
    match sandbox
        .run(&[
            "display-message",
            "-p",
            "-t",
            "=main:",
            "#{pid} #{session_id} #{pane_pid}",
        ])
        .await
    {
        Ok(identity) => identity,
        Err(error) => panic!("{when}: tmux lost the session main or died: {error}"),
    }
}

/// Polls until no control client is attached.
pub(crate) async fn no_control_client(sandbox: &IsolatedTmux, when: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let clients = control_clients(sandbox).await;
        if clients.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{when}: still attached: {clients:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs `script` (written to a file, so the typed command line does not
/// itself show what the script prints) in `pane`.
pub(crate) async fn run_script(sandbox: &IsolatedTmux, pane: &PaneId, name: &str, script: &str) {
    let path = sandbox.dir().join(name);
    std::fs::write(&path, script).unwrap();
    let line = format!("sh {}", path.display());
    sandbox
        .run(&["send-keys", "-t", pane.as_str(), "-l", line.as_str()])
        .await
        .unwrap();
    sandbox
        .run(&["send-keys", "-t", pane.as_str(), "Enter"])
        .await
        .unwrap();
}
