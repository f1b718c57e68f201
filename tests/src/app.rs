//! Running the real `tmux-mobile` binary: locating it next to the test
//! executable, starting it in a [`TmuxSandbox`], collecting stdout and
//! stderr line by line from reader threads, and waiting for lines or for its
//! exit with deadlines (never fixed sleeps).

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::procs;
use crate::sandbox::TmuxSandbox;

/// Path of the `tmux-mobile` binary built in the same target directory as the
/// running test (`target/<profile>/tmux-mobile`, while the test executable is
/// `target/<profile>/deps/<test>-<hash>`).
///
/// # Panics
///
/// When the binary is missing, with a message saying how to build it.
pub fn binary_path() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join("tmux-mobile");
    assert!(
        bin.is_file(),
        "the tmux-mobile binary is not built at {}: run `cargo test --workspace` \
         (which builds it first) or `cargo build -p tmux-mobile` with the same target dir",
        bin.display()
    );
    bin
}

/// Lines of one output stream, appended by a reader thread.
#[derive(Debug, Default)]
struct Stream {
    state: Mutex<StreamState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct StreamState {
    lines: Vec<String>,
    closed: bool,
}

impl Stream {
    /// Reads `source` line by line on a thread of its own until EOF.
    fn spawn_reader(self: &Arc<Self>, source: impl Read + Send + 'static) {
        let stream = Arc::clone(self);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(source);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf)
                            .trim_end_matches(['\n', '\r'])
                            .to_owned();
                        let mut state = stream.state.lock().expect("stream lock");
                        state.lines.push(line);
                        stream.changed.notify_all();
                    }
                }
            }
            let mut state = stream.state.lock().expect("stream lock");
            state.closed = true;
            stream.changed.notify_all();
        });
    }

    /// Waits until a line satisfies `pred`; `None` when the stream closed or
    /// the deadline passed first.
    fn wait_for(&self, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().expect("stream lock");
        loop {
            if let Some(line) = state.lines.iter().find(|l| pred(l)) {
                return Some(line.clone());
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .expect("stream lock")
                .0;
        }
    }

    /// Waits until the writer closed the stream; false if it did not in time.
    fn wait_closed(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().expect("stream lock");
        while !state.closed {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .expect("stream lock")
                .0;
        }
        true
    }

    fn text(&self) -> String {
        let state = self.state.lock().expect("stream lock");
        let mut text = state.lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text
    }
}

/// How to start the binary: arguments, environment, and an optional `PATH`.
#[derive(Debug, Clone, Default)]
pub struct AppCommand {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    env_remove: Vec<OsString>,
}

impl AppCommand {
    /// The binary with `args`.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Self {
            args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
            ..Self::default()
        }
    }

    /// The usual local run: `--no-tunnel --port 0` followed by `extra`.
    pub fn local(extra: &[&str]) -> Self {
        Self::new(["--no-tunnel", "--port", "0"].iter().chain(extra))
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env_remove.push(key.as_ref().to_owned());
        self
    }

    /// Starts the binary inside `sandbox`.
    pub fn spawn(&self, sandbox: &TmuxSandbox) -> App {
        self.spawn_binary(&binary_path(), sandbox)
    }

    /// Starts `bin`, a `tmux-mobile` binary found elsewhere than next to the
    /// test executable (the benchmarks run the release build), inside
    /// `sandbox`.
    pub fn spawn_binary(&self, bin: &Path, sandbox: &TmuxSandbox) -> App {
        let mut cmd = Command::new(bin);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A logger default that does not depend on the caller's RUST_LOG.
            .env_remove("RUST_LOG")
            .env_remove("TMUX_MOBILE_DEBUG_LOG")
            .env_remove("TMUX_MOBILE_CLOUDFLARED");
        sandbox.apply_env(&mut cmd);
        for key in &self.env_remove {
            cmd.env_remove(key);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = Arc::new(Stream::default());
        let stderr = Arc::new(Stream::default());
        stdout.spawn_reader(child.stdout.take().expect("piped stdout"));
        stderr.spawn_reader(child.stderr.take().expect("piped stderr"));
        App {
            child,
            stdout,
            stderr,
            status: None,
        }
    }

    /// Runs the binary to completion (bounded by `timeout`) and returns its
    /// status and output.
    ///
    /// # Panics
    ///
    /// When it has not exited by then.
    pub fn run(&self, sandbox: &TmuxSandbox, timeout: Duration) -> Finished {
        self.spawn(sandbox).finish(timeout)
    }
}

/// A run that has ended.
#[derive(Debug)]
pub struct Finished {
    /// Exit status.
    pub status: ExitStatus,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

/// Port and token read from the `Local URL:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUrl {
    /// The whole URL.
    pub url: String,
    /// The port the server listens on.
    pub port: u16,
    /// The `token` query parameter.
    pub token: String,
}

impl LocalUrl {
    /// Parses `http://127.0.0.1:<port>/?token=<token>`.
    pub fn parse(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("http://127.0.0.1:")?;
        let (port, query) = rest.split_once("/?token=")?;
        if query.is_empty() || query.contains(['&', '#', ' ']) {
            return None;
        }
        Some(Self {
            url: url.to_owned(),
            port: port.parse().ok()?,
            token: query.to_owned(),
        })
    }
}

/// A running `tmux-mobile`. Killed (SIGKILL) on drop if still running.
#[derive(Debug)]
pub struct App {
    child: Child,
    stdout: Arc<Stream>,
    stderr: Arc<Stream>,
    status: Option<ExitStatus>,
}

impl App {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line starting with `prefix` and returns the rest
    /// of it.
    ///
    /// # Panics
    ///
    /// When no such line appears in time (or the program exits first), with
    /// everything it printed.
    pub fn wait_for_stdout(&self, prefix: &str, timeout: Duration) -> String {
        match self.stdout.wait_for(|l| l.starts_with(prefix), timeout) {
            Some(line) => line[prefix.len()..].to_owned(),
            None => panic!(
                "no stdout line starting with {prefix:?} within {timeout:?}\n{}",
                self.transcript()
            ),
        }
    }

    /// Waits for a stderr line containing `needle`; `None` if none came.
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> Option<String> {
        self.stderr.wait_for(|l| l.contains(needle), timeout)
    }

    /// Waits for the `Local URL:` line and parses it.
    pub fn local_url(&self, timeout: Duration) -> LocalUrl {
        let url = self.wait_for_stdout("Local URL: ", timeout);
        LocalUrl::parse(&url)
            .unwrap_or_else(|| panic!("malformed Local URL line {url:?}\n{}", self.transcript()))
    }

    /// Everything printed on stdout so far.
    pub fn stdout_text(&self) -> String {
        self.stdout.text()
    }

    /// Everything printed on stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr.text()
    }

    /// Both streams, for failure messages.
    pub fn transcript(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout.text(),
            self.stderr.text()
        )
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: Signal) {
        let pid = Pid::from_raw(i32::try_from(self.pid()).expect("pid fits i32"));
        kill(pid, signal).expect("signal tmux-mobile");
    }

    /// Waits up to `timeout` for the process to exit (polling its status),
    /// and reaps it.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.status {
            return Some(status);
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.status = Some(status);
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl App {
    /// Waits for the exit (bounded by `timeout`) and for the end of both
    /// output streams, and returns everything.
    ///
    /// # Panics
    ///
    /// When it has not exited by then.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let status = self.wait_exit(timeout).unwrap_or_else(|| {
            panic!(
                "tmux-mobile did not exit within {timeout:?}\n{}",
                self.transcript()
            )
        });
        // A grandchild that inherited the pipes could hold them open; the
        // streams are read as far as they got in that case.
        let deadline = Instant::now() + timeout;
        for stream in [&self.stdout, &self.stderr] {
            let left = deadline.saturating_duration_since(Instant::now());
            stream.wait_closed(left);
        }
        Finished {
            status,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
        }
    }
}

impl Drop for App {
    /// A test that failed half-way must not leave processes behind: kill
    /// the binary and everything it started.
    fn drop(&mut self) {
        if self.status.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            let leftovers = procs::descendants(self.pid());
            let _ = self.child.kill();
            let _ = self.child.wait();
            for p in leftovers.iter().filter(|p| procs::is_alive(p)) {
                if let Ok(pid) = i32::try_from(p.pid) {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_url_parses() {
        let u = LocalUrl::parse("http://127.0.0.1:8767/?token=abc-_").unwrap();
        assert_eq!((u.port, u.token.as_str()), (8767, "abc-_"));
        assert!(LocalUrl::parse("http://127.0.0.1:8767/").is_none());
        assert!(LocalUrl::parse("http://127.0.0.1:x/?token=a").is_none());
        assert!(LocalUrl::parse("http://127.0.0.1:1/?token=").is_none());
        assert!(LocalUrl::parse("https://127.0.0.1:1/?token=a").is_none());
    }
}
