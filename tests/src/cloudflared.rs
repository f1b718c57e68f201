//! [`FakeCloudflared`]: a stand-in for `cloudflared` on `PATH`
//! (`tests/fixtures/fake-cloudflared`: prints a quick-tunnel banner on
//! stderr and stays up until SIGTERM), since cloudflared itself cannot be
//! installed on CI. With it the real binary runs its tunnel wiring: the
//! tunnel origin is allowed and `CF-Connecting-IP` is believed on loopback.

use std::path::{Path, PathBuf};

use crate::{AppCommand, TempDir};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fake-cloudflared");

/// A directory holding an executable `cloudflared` (a copy of the fixture,
/// so the test does not depend on the checkout keeping the execute bit),
/// and the log file the fixture appends a line to on every start.
#[derive(Debug)]
pub struct FakeCloudflared {
    dir: TempDir,
}

impl FakeCloudflared {
    /// The origin of the tunnel the fake reports first.
    pub const ORIGIN: &'static str = "https://test-abc.trycloudflare.com";
    /// The origin it reports after a restart (mode `restart`).
    pub const RESTARTED_ORIGIN: &'static str = "https://test-def.trycloudflare.com";

    /// A fresh copy of the fixture in a temporary directory.
    pub fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new("tmux-mobile-e2e-cloudflared");
        let bin = dir.path().join("cloudflared");
        std::fs::copy(FIXTURE, &bin).expect("copy the fake cloudflared");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))
            .expect("make it executable");
        Self { dir }
    }

    fn bin_dir(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("starts.log")
    }

    /// `PATH` with the fake first (tmux must stay reachable).
    pub fn path_var(&self) -> std::ffi::OsString {
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.bin_dir().to_owned()];
        dirs.extend(std::env::split_paths(&rest));
        std::env::join_paths(dirs).expect("PATH joins")
    }

    /// The command with the tunnel on (no `--no-tunnel`), the fake on PATH
    /// behaving as `mode` (`steady`, `restart`, `silent`), `--port 0`, no
    /// password, then `extra`.
    pub fn command(&self, mode: &str, extra: &[&str]) -> AppCommand {
        let args: Vec<&str> = ["--no-require-password"]
            .iter()
            .chain(extra)
            .copied()
            .collect();
        self.command_with(mode, &args)
    }

    /// Like [`FakeCloudflared::command`], with exactly `args` after
    /// `--port 0` (a password is then required unless `args` say not).
    pub fn command_with(&self, mode: &str, args: &[&str]) -> AppCommand {
        AppCommand::new(["--port", "0"].iter().chain(args))
            .env("PATH", self.path_var())
            .env("FAKE_CLOUDFLARED_LOG", self.log())
            .env("FAKE_CLOUDFLARED_MODE", mode)
    }

    /// Every start so far: (pid, arguments).
    pub fn starts(&self) -> Vec<(u32, String)> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (pid, args) = l.split_once(' ')?;
                Some((pid.parse().ok()?, args.to_owned()))
            })
            .collect()
    }
}

impl Default for FakeCloudflared {
    fn default() -> Self {
        Self::new()
    }
}
