//! Real programs in a real pseudo-terminal: output, input, resize, exit
//! codes, kill and reaping, descriptor hygiene, large pastes, tmux attach.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::{DEADLINE, TempDir, TmuxServer, assert_reaped, read_to_end, read_until};
use tmux_mobile_pty_bridge::{Pty, PtyCommand, PtyError, PtyOptions, WindowSize};

fn sh(script: &str) -> PtyCommand {
    PtyCommand::new("sh").arg("-c").arg(script)
}

fn spawn(cmd: PtyCommand) -> Pty {
    Pty::spawn(cmd, PtyOptions::default()).expect("spawn")
}

#[tokio::test]
async fn reads_output_writes_input_and_reports_exit_code() {
    let pty = spawn(sh("echo hi; read x; echo got $x; exit 7"));
    let (mut reader, writer, control) = pty.split();
    read_until(&mut reader, "hi").await;
    writer.write_all(b"world\r").await.unwrap();
    read_until(&mut reader, "got world").await;
    let status = tokio::time::timeout(DEADLINE, control.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(7));
    // The terminal closes once the child is gone: EIO is end of output.
    read_to_end(&mut reader).await;
    assert!(reader.read().await.is_none());
    assert!(matches!(control.try_wait(), Some(Ok(s)) if s.code() == Some(7)));
    assert_reaped(control.pid());
}

#[tokio::test]
async fn output_before_the_first_read_is_kept_and_comes_first() {
    let mut pty = spawn(sh("echo early-bird; exit 3"));
    let status = tokio::time::timeout(DEADLINE, pty.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(3));
    let (mut reader, _writer, _control) = pty.split();
    let all = read_to_end(&mut reader).await;
    assert_eq!(String::from_utf8_lossy(&all), "early-bird\r\n");
}

#[tokio::test]
async fn initial_size_applies_from_the_first_byte_and_resize_is_seen() {
    let opts = PtyOptions::default().with_size(WindowSize::new(100, 30).unwrap());
    let pty = Pty::spawn(sh("stty size; read x; stty size"), opts).unwrap();
    let (mut reader, writer, control) = pty.split();
    let first = read_until(&mut reader, "\n").await;
    assert!(
        first.contains("30 100"),
        "initial size not applied: {first:?}"
    );
    control
        .resize(WindowSize {
            cols: 120,
            rows: 40,
        })
        .unwrap();
    assert_eq!(
        control.size().unwrap(),
        WindowSize {
            cols: 120,
            rows: 40
        }
    );
    writer.write_all(b"\r").await.unwrap();
    read_until(&mut reader, "40 120").await;
    assert!(control.wait().await.unwrap().success());
}

#[tokio::test]
async fn invalid_sizes_and_options_are_rejected() {
    let pty = spawn(PtyCommand::new("sleep").arg("1000"));
    for (cols, rows) in [(0, 24), (80, 0), (1001, 24), (80, 1001), (1, 1)] {
        let err = pty.resize(WindowSize { cols, rows }).unwrap_err();
        assert!(
            matches!(err, PtyError::InvalidSize { .. }),
            "{cols}x{rows}: {err}"
        );
    }
    let bad = PtyOptions::default().with_size(WindowSize { cols: 0, rows: 0 });
    assert!(matches!(
        Pty::spawn(PtyCommand::new("true"), bad),
        Err(PtyError::InvalidSize { .. })
    ));
    let tiny = PtyOptions::default().with_max_buffered_bytes(1);
    assert!(matches!(
        Pty::spawn(PtyCommand::new("true"), tiny),
        Err(PtyError::InvalidOption { .. })
    ));
    pty.kill().await.unwrap();
}

#[tokio::test]
async fn a_missing_program_is_a_spawn_error() {
    let err = Pty::spawn(
        PtyCommand::new("/nonexistent/tmux-mobile-no-such-program"),
        PtyOptions::default(),
    )
    .unwrap_err();
    match err {
        PtyError::Spawn { program, source } => {
            assert!(program.contains("no-such-program"));
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected a spawn error, got {other}"),
    }
    assert!(matches!(
        PtyCommand::from_argv(Vec::<&str>::new()),
        Err(PtyError::EmptyCommand)
    ));
}

#[tokio::test]
async fn environment_and_working_directory_are_applied() {
    let dir = TempDir::new();
    let cmd = sh(r#"echo "T=$TERM H=${HOME-unset} E=$EXTRA D=$(pwd)""#)
        .env("EXTRA", "yes")
        .env_remove("HOME")
        .cwd(dir.path());
    let mut pty = spawn(cmd);
    let expected = format!("T=xterm-256color H=unset E=yes D={}", dir.path().display());
    let (mut reader, _w, _c) = {
        let out = tokio::time::timeout(DEADLINE, pty.wait()).await.unwrap();
        assert!(out.unwrap().success());
        pty.split()
    };
    let all = String::from_utf8(read_to_end(&mut reader).await).unwrap();
    assert!(all.contains(&expected), "{all:?} lacks {expected:?}");
}

#[tokio::test]
async fn kill_hangs_up_the_child_and_reaps_it() {
    let pty = spawn(PtyCommand::new("sleep").arg("1000"));
    let pid = pty.pid();
    let status = tokio::time::timeout(DEADLINE, pty.kill())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.signal(), Some(nix::libc::SIGHUP));
    assert_reaped(pid);
}

#[tokio::test]
async fn kill_escalates_to_sigkill_when_hangup_is_ignored() {
    let pty = spawn(sh("trap '' HUP; echo ready; exec sleep 1000"));
    let pid = pty.pid();
    let (mut reader, _writer, control) = pty.split();
    read_until(&mut reader, "ready").await;
    let status = tokio::time::timeout(
        DEADLINE,
        control.kill_with_grace(Duration::from_millis(100)),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(status.signal(), Some(nix::libc::SIGKILL));
    assert_reaped(pid);
    // Killing again, or waiting, reports the same status.
    assert_eq!(
        control.kill().await.unwrap().signal(),
        Some(nix::libc::SIGKILL)
    );
}

#[tokio::test]
async fn dropping_every_handle_ends_and_reaps_the_child() {
    let pty = spawn(PtyCommand::new("sleep").arg("1000"));
    let pid = pty.pid();
    drop(pty);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while common::proc_state(pid).is_some_and(|(_, ppid)| ppid == std::process::id()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "child {pid} still alive"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_child_holds_only_its_terminal_as_stdio() {
    let pty = spawn(PtyCommand::new("sleep").arg("1000"));
    let fd_dir = format!("/proc/{}/fd", pty.pid());
    let mut fds: Vec<String> = std::fs::read_dir(&fd_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    assert_eq!(fds, ["0", "1", "2"]);
    let tty = std::fs::read_link(format!("{fd_dir}/0")).unwrap();
    assert!(tty.starts_with("/dev/pts"), "stdin is {tty:?}");
    for fd in ["1", "2"] {
        assert_eq!(std::fs::read_link(format!("{fd_dir}/{fd}")).unwrap(), tty);
    }
    // The terminal is the child's controlling terminal: the child leads its
    // own session (session id == pid) and `tty_nr` is set.
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pty.pid())).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    assert_eq!(fields[3], pty.pid().to_string(), "session id");
    assert_ne!(fields[4], "0", "controlling terminal");
    pty.kill().await.unwrap();
}

/// Deterministic bytes covering every value.
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn a_one_mebibyte_paste_arrives_byte_exact() {
    const LEN: usize = 1024 * 1024;
    let dir = TempDir::new();
    let out = dir.path().join("paste.bin");
    let cmd = PtyCommand::new("sh").args([
        "-c",
        "stty raw -echo; echo READY; head -c \"$1\" > \"$2\"",
        "sh",
        &LEN.to_string(),
        out.to_str().unwrap(),
    ]);
    let (mut reader, writer, control) = spawn(cmd).split();
    read_until(&mut reader, "READY").await;
    let data = pattern(LEN);
    tokio::time::timeout(DEADLINE, writer.write_all(&data))
        .await
        .expect("paste finished in time")
        .unwrap();
    let status = tokio::time::timeout(DEADLINE, control.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written.len(), LEN);
    assert!(written == data, "paste arrived altered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_do_not_interleave() {
    const EACH: usize = 256 * 1024;
    let dir = TempDir::new();
    let out = dir.path().join("both.bin");
    let cmd = PtyCommand::new("sh").args([
        "-c",
        "stty raw -echo; echo READY; head -c \"$1\" > \"$2\"",
        "sh",
        &(2 * EACH).to_string(),
        out.to_str().unwrap(),
    ]);
    let (mut reader, writer, control) = spawn(cmd).split();
    read_until(&mut reader, "READY").await;
    let tasks: Vec<_> = [b'a', b'b']
        .into_iter()
        .map(|byte| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.write_all(&vec![byte; EACH]).await })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(DEADLINE, task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    assert!(control.wait().await.unwrap().success());
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written.len(), 2 * EACH);
    let runs = 1 + written.windows(2).filter(|w| w[0] != w[1]).count();
    assert_eq!(runs, 2, "the two writes were interleaved");
}

#[tokio::test]
async fn writing_after_the_child_exited_is_an_error() {
    let pty = spawn(PtyCommand::new("true"));
    let (mut reader, writer, control) = pty.split();
    assert!(control.wait().await.unwrap().success());
    read_to_end(&mut reader).await;
    let err = writer.write_all(b"late").await.unwrap_err();
    assert!(matches!(err, PtyError::Closed), "{err}");
}

#[tokio::test]
async fn tmux_attach_on_a_private_socket_shows_the_session() {
    // The marker is assembled by printf so the command line never contains it.
    let server = TmuxServer::start("main", &["sh", "-c", "printf 'MARK%s\\n' ER-42; exec cat"]);
    let mut attach = PtyCommand::new("tmux")
        .args(["-L", &server.socket, "attach-session", "-t", "=main"])
        .env("TMUX_TMPDIR", server.tmpdir.path());
    attach = attach.env_remove("TMUX");
    let (mut reader, writer, control) = spawn(attach).split();
    read_until(&mut reader, "MARKER-42").await;
    // Typing reaches the pane: `cat` echoes it back through tmux.
    writer.write_all(b"typed-through-tmux\r").await.unwrap();
    read_until(&mut reader, "typed-through-tmux").await;
    let pid = control.pid();
    let status = tokio::time::timeout(DEADLINE, control.kill())
        .await
        .unwrap()
        .unwrap();
    assert!(status.code().is_some() || status.signal().is_some());
    assert_reaped(pid);
    // Hanging up detaches the client; the session lives on.
    let alive = server
        .command()
        .args(["has-session", "-t", "=main"])
        .status()
        .unwrap();
    assert!(
        alive.success(),
        "session should survive the client's hangup"
    );
}
