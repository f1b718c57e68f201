//! The real binary's command line and its refusals: `--help`, bad
//! environment, missing tmux. Nothing here needs a browser.

use tmux_mobile_e2e::{AppCommand, DEADLINE, TempDir, TmuxSandbox};

#[test]
fn help_documents_every_flag_and_variable() {
    let sandbox = TmuxSandbox::new();
    let out = AppCommand::new(["--help"]).run(&sandbox, DEADLINE);
    assert!(out.status.success(), "--help exits 0: {out:?}");
    for needle in [
        "-p, --port",
        "--host",
        "--password",
        "--password-file",
        "--no-require-password",
        "--read-only-link",
        "--session",
        "--scrollback",
        "--resume-grace",
        "--allow-origin",
        "--debug-log",
        "--no-tunnel",
        "--cloudflared",
        "--tunnel-required",
        "--tunnel-timeout",
        "--push-preview",
        "--no-persist",
        "TMUX_MOBILE_SOCKET_NAME",
        "TMUX_MOBILE_SOCKET_PATH",
        "TMUX_MOBILE_DEBUG_LOG",
        "TMUX_MOBILE_CLOUDFLARED",
        "TMUX_MOBILE_PASSWORD",
        "RUST_LOG",
    ] {
        assert!(
            out.stdout.contains(needle),
            "--help lacks {needle}:\n{}",
            out.stdout
        );
    }
    assert!(
        sandbox.session_names().is_empty(),
        "--help must not touch tmux"
    );
}

#[test]
fn version_prints_the_package_version() {
    let sandbox = TmuxSandbox::new();
    let out = AppCommand::new(["--version"]).run(&sandbox, DEADLINE);
    assert!(out.status.success());
    assert!(
        out.stdout.starts_with("tmux-mobile ") && out.stdout.trim().len() > "tmux-mobile ".len(),
        "{out:?}"
    );
}

#[test]
fn both_socket_variables_are_refused() {
    let sandbox = TmuxSandbox::new();
    let out = AppCommand::new(["--no-tunnel", "--port", "0"])
        .env("TMUX_MOBILE_SOCKET_PATH", sandbox.tmpdir().join("sock"))
        .run(&sandbox, DEADLINE);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        out.stderr.contains("TMUX_MOBILE_SOCKET_NAME")
            && out.stderr.contains("TMUX_MOBILE_SOCKET_PATH"),
        "the error names both variables: {}",
        out.stderr
    );
    assert!(!out.stdout.contains("Local URL"), "{}", out.stdout);
    assert!(sandbox.session_names().is_empty());
}

#[test]
fn missing_tmux_gives_an_install_hint() {
    let sandbox = TmuxSandbox::new();
    let empty_path = TempDir::new("tmux-mobile-e2e-empty-path");
    let out = AppCommand::new(["--no-tunnel", "--port", "0"])
        .env("PATH", empty_path.path())
        .run(&sandbox, DEADLINE);
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stderr.contains("tmux was not found"), "{}", out.stderr);
    assert!(
        out.stderr.contains("apt-get install tmux"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("brew install tmux"), "{}", out.stderr);
    assert!(!out.stdout.contains("Local URL"), "{}", out.stdout);
}

#[test]
fn bad_flag_values_are_refused_with_the_flag_named() {
    let sandbox = TmuxSandbox::new();
    for (args, flag) in [
        (&["--no-tunnel", "--host", "not-an-ip"][..], "--host"),
        (&["--no-tunnel", "--scrollback", "0"][..], "--scrollback"),
        (
            &["--no-tunnel", "--allow-origin", "example.com"][..],
            "--allow-origin",
        ),
        (
            &["--password", "x", "--no-require-password"][..],
            "--no-require-password",
        ),
        (&["--port", "not-a-number"][..], "--port"),
    ] {
        let out = AppCommand::new(args).run(&sandbox, DEADLINE);
        assert!(!out.status.success(), "{args:?}: {out:?}");
        assert!(out.stderr.contains(flag), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn too_old_tmux_names_its_version_and_how_to_upgrade() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = TmuxSandbox::new();
    let bin = TempDir::new("tmux-mobile-e2e-old-tmux");
    let tmux = bin.path().join("tmux");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/old-tmux"),
        &tmux,
    )
    .expect("copy the fixture");
    std::fs::set_permissions(&tmux, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = AppCommand::new(["--no-tunnel", "--port", "0"])
        .env("PATH", bin.path())
        .run(&sandbox, DEADLINE);
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stderr.contains("2.9a"), "{}", out.stderr);
    assert!(out.stderr.contains("3.2 or newer"), "{}", out.stderr);
    assert!(
        out.stderr.contains("apt-get install tmux"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("Local URL"), "{}", out.stdout);
}
