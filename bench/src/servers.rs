//! The processes under measurement, each on its own private tmux server:
//! the release `tmux-mobile` and, for side-by-side rows, ttyd running
//! `tmux attach` on the same kind of session. Everything started here is
//! killed on drop (the apps with their children, then the tmux server).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tmux_mobile_e2e::{App, AppCommand, TmuxSandbox, procs};

use crate::client::{COLS, ROWS};

/// The shell prompt of every benchmark pane; seeing it means the shell
/// reads input.
pub(crate) const PROMPT: &str = "bench$ ";

/// How long any start-up step may take before the row fails.
pub(crate) const START_WAIT: Duration = Duration::from_secs(30);

/// A private tmux server (`-L` socket in a private `TMUX_TMPDIR`) with one
/// session `main` running `/bin/sh` with [`PROMPT`], and no status line
/// (its clock would redraw text in the middle of a measurement).
#[derive(Debug)]
pub(crate) struct TmuxServer {
    sandbox: TmuxSandbox,
}

impl TmuxServer {
    /// Starts the server; `conf` lines are added to its configuration.
    pub(crate) fn start(conf: &[&str]) -> Result<Self, String> {
        Self::start_with(conf, (COLS, ROWS), &["/bin/sh"])
    }

    /// Like [`TmuxServer::start`], with a first window of `size` (columns,
    /// rows) running `command`.
    pub(crate) fn start_with(
        conf: &[&str],
        size: (u16, u16),
        command: &[&str],
    ) -> Result<Self, String> {
        let sandbox = TmuxSandbox::new();
        let conf_path = sandbox.tmpdir().join("bench.tmux.conf");
        let mut text = String::from("set -g status off\n");
        for line in conf {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&conf_path, text).map_err(|e| format!("cannot write tmux.conf: {e}"))?;
        let conf_arg = conf_path.to_string_lossy().into_owned();
        let (cols, rows) = (size.0.to_string(), size.1.to_string());
        let prompt = format!("PS1={PROMPT}");
        let mut args = vec![
            "-f",
            conf_arg.as_str(),
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            cols.as_str(),
            "-y",
            rows.as_str(),
            "-e",
            prompt.as_str(),
        ];
        args.extend_from_slice(command);
        let out = sandbox.tmux(&args);
        if !out.status.success() {
            return Err(format!(
                "tmux new-session failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self { sandbox })
    }

    /// The sandbox (socket name, `TMUX_TMPDIR`).
    pub(crate) fn sandbox(&self) -> &TmuxSandbox {
        &self.sandbox
    }

    /// Runs `tmux -L <socket> args…`; fails with tmux's message.
    pub(crate) fn tmux(&self, args: &[&str]) -> Result<String, String> {
        let out = self.sandbox.tmux(args);
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "tmux {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Waits until tmux-mobile's state watcher has attached its control
    /// client (a control client that is not read-only, riding on a phone's
    /// session). It starts only after 750 ms of quiet (at most 8 s after
    /// the first client; see `tmux_mobile_tmux_control::StateWatcher`);
    /// until then, outside changes are published from one-shot snapshots
    /// every 40 ms, so a latency row measures the steady state only once it
    /// is attached.
    pub(crate) fn wait_watcher(&self, wait: Duration) -> Result<(), String> {
        let attached = tmux_mobile_e2e::wait_until(wait, || {
            self.tmux(&[
                "list-clients",
                "-F",
                "#{client_control_mode}:#{client_readonly}",
            ])
            .is_ok_and(|out| out.lines().any(|l| l == "1:0"))
        });
        if attached {
            Ok(())
        } else {
            Err(format!("the state watcher did not attach within {wait:?}"))
        }
    }

    /// A `tmux` command for this server, for a child that runs it.
    pub(crate) fn attach_argv(&self) -> Vec<String> {
        [
            "tmux",
            "-L",
            self.sandbox.socket_name(),
            "attach-session",
            "-t",
            "=main",
        ]
        .map(str::to_owned)
        .to_vec()
    }
}

/// A running release `tmux-mobile` on its own [`TmuxServer`], without
/// password (the token is the only credential) and without a tunnel.
#[derive(Debug)]
pub(crate) struct TmServer {
    // Field order is drop order: the app before its tmux server.
    app: App,
    /// The port it listens on.
    pub port: u16,
    /// The URL token.
    pub token: String,
    tmux: TmuxServer,
}

impl TmServer {
    /// Starts `bin` on a fresh tmux server.
    pub(crate) fn start(bin: &Path) -> Result<Self, String> {
        Self::start_on(bin, TmuxServer::start(&[])?, Self::command(&[]))
    }

    /// The command line of every run: local only, port 0, no password,
    /// then `extra`.
    pub(crate) fn command(extra: &[&str]) -> AppCommand {
        AppCommand::local(&[&["--no-require-password"], extra].concat())
    }

    /// Starts `bin` as `cmd` says on `tmux`, and waits for its `Local URL:`
    /// line.
    pub(crate) fn start_on(bin: &Path, tmux: TmuxServer, cmd: AppCommand) -> Result<Self, String> {
        let app = cmd.spawn_binary(bin, tmux.sandbox());
        let url =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.local_url(START_WAIT)))
                .map_err(|_| format!("tmux-mobile did not start:\n{}", app.transcript()))?;
        Ok(Self {
            app,
            port: url.port,
            token: url.token,
            tmux,
        })
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.app.pid()
    }

    /// The end of what it printed, for a failing row's message.
    pub(crate) fn log_tail(&self) -> String {
        let text = self.app.transcript();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    /// Its tmux server.
    pub(crate) fn tmux(&self) -> &TmuxServer {
        &self.tmux
    }
}

/// ttyd serving `tmux attach` of its own [`TmuxServer`]'s `main` session,
/// writable, on a loopback port.
#[derive(Debug)]
pub(crate) struct TtydServer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    _tmux: TmuxServer,
}

impl TtydServer {
    /// Starts `ttyd` and waits until its port accepts connections.
    pub(crate) fn start(ttyd: &Path) -> Result<Self, String> {
        let tmux = TmuxServer::start(&[])?;
        let port = free_port()?;
        let mut cmd = Command::new(ttyd);
        cmd.args(["--writable", "--interface", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .args(tmux.attach_argv())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("BENCH_DEBUG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        tmux.sandbox().apply_env(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", ttyd.display()))?;
        let server = Self {
            child,
            port,
            _tmux: tmux,
        };
        wait_accepting(port, START_WAIT)?;
        Ok(server)
    }

    /// ttyd's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for TtydServer {
    fn drop(&mut self) {
        let leftovers = procs::descendants(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        for p in leftovers.iter().filter(|p| procs::is_alive(p)) {
            if let Ok(pid) = i32::try_from(p.pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Polls `127.0.0.1:port` until it accepts a connection.
pub(crate) fn wait_accepting(port: u16, wait: Duration) -> Result<(), String> {
    let ok = tmux_mobile_e2e::wait_until(wait, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(format!("nothing accepts on port {port} after {wait:?}"))
    }
}

/// The release `tmux-mobile` next to this benchmark binary (both are built
/// by `cargo xtask bench` into the same target directory).
pub(crate) fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("tmux-mobile")))
        .unwrap_or_else(|| PathBuf::from("tmux-mobile"))
}
