//! Finding the `cloudflared` executable, and what to tell a person who has
//! none. Nothing is ever downloaded: the original fetched the latest binary
//! with no checksum, which handed code execution to whoever controlled that
//! download.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::TunnelError;

/// Environment variable naming the cloudflared executable explicitly
/// (the same as the app's `--cloudflared <path>` flag).
pub const CLOUDFLARED_ENV: &str = "TMUX_MOBILE_CLOUDFLARED";

/// The executable's file name.
const PROGRAM: &str = "cloudflared";

/// Finds the cloudflared executable.
///
/// Search order:
/// 1. `explicit` (the app's `--cloudflared <path>` flag), else the
///    [`CLOUDFLARED_ENV`] variable when set and non-empty. An explicit path
///    is final: if it is not an executable regular file the result is
///    [`TunnelError::NotFound`], with no fallback to a different binary than
///    the one asked for.
/// 2. Every absolute directory of `PATH`, in order (relative entries such as
///    `.` are skipped so the current directory cannot plant a binary).
/// 3. `~/.local/bin/cloudflared`.
///
/// A candidate must be a regular file (symlinks are followed) with an execute
/// bit set.
///
/// ```no_run
/// let cloudflared = tmux_mobile_tunnel::discover(None);
/// if cloudflared.is_err() {
///     eprintln!("{}", tmux_mobile_tunnel::missing_help());
/// }
/// ```
pub fn discover(explicit: Option<&Path>) -> Result<PathBuf, TunnelError> {
    let from_env = std::env::var_os(CLOUDFLARED_ENV).filter(|v| !v.is_empty());
    let explicit = explicit.or(from_env.as_deref().map(Path::new));
    discover_in(
        explicit,
        std::env::var_os("PATH").as_deref(),
        std::env::var_os("HOME").as_deref().map(Path::new),
    )
}

/// [`discover`] with the environment passed in, so it can be tested without
/// touching the process environment.
fn discover_in(
    explicit: Option<&Path>,
    path_var: Option<&OsStr>,
    home: Option<&Path>,
) -> Result<PathBuf, TunnelError> {
    if let Some(path) = explicit {
        return if is_executable_file(path) {
            Ok(path.to_path_buf())
        } else {
            Err(TunnelError::NotFound {
                searched: vec![path.to_path_buf()],
            })
        };
    }
    let mut searched = Vec::new();
    let path_dirs = path_var
        .map(|p| std::env::split_paths(p).collect::<Vec<_>>())
        .unwrap_or_default();
    let home_bin = home
        .filter(|h| h.is_absolute())
        .map(|h| h.join(".local").join("bin"));
    for dir in path_dirs
        .into_iter()
        .filter(|d| d.is_absolute())
        .chain(home_bin)
    {
        let candidate = dir.join(PROGRAM);
        if is_executable_file(&candidate) {
            return Ok(candidate);
        }
        searched.push(candidate);
    }
    Err(TunnelError::NotFound { searched })
}

fn is_executable_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One paragraph for a person who has no cloudflared: how to install it, and
/// how to run without a tunnel.
pub fn missing_help() -> &'static str {
    "cloudflared was not found, so there is no public HTTPS tunnel URL; \
     tmux-mobile serves the local URL only (with --tunnel-required it exits \
     instead). tmux-mobile never downloads cloudflared itself. To reach this \
     machine from a phone anywhere, install it from Cloudflare: on \
     Debian/Ubuntu add Cloudflare's apt repository (see \
     https://pkg.cloudflare.com/) and run `sudo apt-get install cloudflared`, \
     or install the .deb from https://github.com/cloudflare/cloudflared/releases \
     with `sudo apt-get install ./cloudflared-linux-amd64.deb`; on macOS run \
     `brew install cloudflared`. Then put it on PATH or in ~/.local/bin, or \
     name it with --cloudflared <path> or TMUX_MOBILE_CLOUDFLARED. To run \
     local-only without this message, pass --no-tunnel."
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A private directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "tmux-mobile-tunnel-discover-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        /// Creates `rel` (with parents) holding a script, with `mode`.
        fn file(&self, rel: &str, mode: u32) -> PathBuf {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, "#!/bin/true\n").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn path_of(dirs: &[&Path]) -> std::ffi::OsString {
        std::env::join_paths(dirs).unwrap()
    }

    #[test]
    fn explicit_executable_path_wins() {
        let t = TempDir::new();
        let explicit = t.file("custom/my-cloudflared", 0o755);
        let on_path = t.file("bin/cloudflared", 0o755);
        let path = path_of(&[on_path.parent().unwrap()]);
        assert_eq!(
            discover_in(Some(&explicit), Some(&path), None).unwrap(),
            explicit
        );
    }

    #[test]
    fn explicit_path_that_is_not_executable_is_an_error_without_fallback() {
        let t = TempDir::new();
        let on_path = t.file("bin/cloudflared", 0o755);
        let path = path_of(&[on_path.parent().unwrap()]);
        for explicit in [
            t.file("plain/cloudflared", 0o644),
            t.0.join("missing/cloudflared"),
            t.0.join("bin"), // a directory
        ] {
            match discover_in(Some(&explicit), Some(&path), None) {
                Err(TunnelError::NotFound { searched }) => assert_eq!(searched, vec![explicit]),
                other => panic!("expected NotFound, got {other:?}"),
            }
        }
    }

    #[test]
    fn path_is_searched_in_order_skipping_non_executables_and_directories() {
        let t = TempDir::new();
        let not_exec = t.file("a/cloudflared", 0o644);
        fs::create_dir_all(t.0.join("b/cloudflared")).unwrap();
        let first = t.file("c/cloudflared", 0o700);
        t.file("d/cloudflared", 0o755);
        let path = path_of(&[
            not_exec.parent().unwrap(),
            &t.0.join("b"),
            first.parent().unwrap(),
            &t.0.join("d"),
        ]);
        assert_eq!(discover_in(None, Some(&path), None).unwrap(), first);
    }

    #[test]
    fn symlink_to_an_executable_counts() {
        let t = TempDir::new();
        let real = t.file("real/cloudflared-2026.1", 0o755);
        fs::create_dir_all(t.0.join("bin")).unwrap();
        std::os::unix::fs::symlink(&real, t.0.join("bin/cloudflared")).unwrap();
        let path = path_of(&[&t.0.join("bin")]);
        assert_eq!(
            discover_in(None, Some(&path), None).unwrap(),
            t.0.join("bin/cloudflared")
        );
    }

    #[test]
    fn relative_path_entries_are_skipped() {
        let t = TempDir::new();
        let path = std::ffi::OsString::from(".:bin:");
        match discover_in(None, Some(&path), Some(&t.0)) {
            Err(TunnelError::NotFound { searched }) => {
                assert_eq!(searched, vec![t.0.join(".local/bin/cloudflared")]);
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    #[test]
    fn home_local_bin_is_the_last_resort() {
        let t = TempDir::new();
        let home = t.0.join("home");
        let local = t.file("home/.local/bin/cloudflared", 0o755);
        let empty = t.0.join("empty");
        fs::create_dir_all(&empty).unwrap();
        let path = path_of(&[&empty]);
        assert_eq!(discover_in(None, Some(&path), Some(&home)).unwrap(), local);
        // PATH wins over ~/.local/bin.
        let on_path = t.file("bin/cloudflared", 0o755);
        let path = path_of(&[&empty, on_path.parent().unwrap()]);
        assert_eq!(
            discover_in(None, Some(&path), Some(&home)).unwrap(),
            on_path
        );
    }

    #[test]
    fn not_found_lists_everything_searched() {
        let t = TempDir::new();
        let path = path_of(&[&t.0.join("x"), &t.0.join("y")]);
        let err = discover_in(None, Some(&path), Some(&t.0)).unwrap_err();
        match &err {
            TunnelError::NotFound { searched } => assert_eq!(
                searched,
                &vec![
                    t.0.join("x/cloudflared"),
                    t.0.join("y/cloudflared"),
                    t.0.join(".local/bin/cloudflared"),
                ]
            ),
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert!(err.to_string().contains("x/cloudflared"));
        assert!(matches!(
            discover_in(None, None, None),
            Err(TunnelError::NotFound { searched }) if searched.is_empty()
        ));
    }

    #[test]
    fn help_names_every_way_out() {
        let help = missing_help();
        for needle in [
            "apt",
            ".deb",
            "brew install cloudflared",
            "--no-tunnel",
            "--cloudflared",
            "TMUX_MOBILE_CLOUDFLARED",
        ] {
            assert!(help.contains(needle), "help must mention {needle}");
        }
        assert!(!help.contains('\n'), "one paragraph");
    }
}
