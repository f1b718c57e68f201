//! `cargo xtask ci`, `cargo xtask test` and `cargo xtask package`: the whole
//! test suite, as CI runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Root of the workspace (the parent of `xtask/`).
pub(crate) fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Runs `program args...` in the workspace root and fails with a readable
/// message when it does not exit successfully.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_with_env(program, args, &[])
}

/// Like [`run`], with extra environment variables for the child.
pub(crate) fn run_with_env(
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<(), String> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed: {status}", args.join(" ")))
    }
}

/// Lints, docs and every test.
pub(crate) fn ci(_args: &[String]) -> Result<(), String> {
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    crate::tidy::tidy(&[])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run_with_env(
        "cargo",
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    test(&[])?;
    package(&[])?;
    crate::frontend::frontend(&["--check".to_string()])?;
    crate::e2e::e2e(&[])?;
    Ok(())
}

/// Every test of the workspace.
pub(crate) fn test(_args: &[String]) -> Result<(), String> {
    run("cargo", &["test", "--workspace"])
}

/// `cargo package` for every published crate, then a check that the
/// packaged sources build on their own, with and without default features.
///
/// Cargo's own verification (`cargo package` without `--no-verify`) builds
/// each crate alone in a separate ephemeral workspace: every dependency is
/// rebuilt once per crate's feature set, without the workspace's profile
/// (about 2.5 CPU-minutes on a warm cache, every CI run). Nothing forces
/// `--no-verify` here (cargo ≥ 1.90 resolves our path dependencies through a
/// temporary registry of the packages just made); we use it for cost only and
/// do the verification ourselves: the `.crate` files are unpacked into one
/// workspace under `target/package/verify` whose dependencies on each other
/// are patched to the unpacked copies, and `cargo check` runs there, with
/// our `Cargo.lock` as its starting point and the main target directory, so every dependency clippy already
/// checked is reused. What that catches is what verification is for: a file
/// a crate needs (`README.md` for its doc test, the server's `ui/`) left out
/// of the package, or a manifest that does not build from the registry.
pub(crate) fn package(_args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let published = crate::tidy::published_crates();
    let mut args = vec!["package", "--no-verify", "--allow-dirty", "--locked"];
    for (_, name) in &published {
        args.extend(["-p", name]);
    }
    run("cargo", &args)?;

    let target = target_dir(&root);
    let packages = target.join("package");
    let verify = packages.join("verify");
    if verify.exists() {
        std::fs::remove_dir_all(&verify)
            .map_err(|e| format!("cannot remove {}: {e}", verify.display()))?;
    }
    std::fs::create_dir_all(&verify)
        .map_err(|e| format!("cannot create {}: {e}", verify.display()))?;
    let version = workspace_version(&root)?;
    let mut members = Vec::new();
    let mut patches = Vec::new();
    for (dir, name) in &published {
        let unpacked = format!("{name}-{version}");
        let crate_file = packages.join(format!("{unpacked}.crate"));
        run_in(&verify, "tar", &["-xzf", &crate_file.to_string_lossy()])?;
        members.push(format!("{unpacked:?}"));
        if !dir.starts_with("apps/") {
            patches.push(format!("{name} = {{ path = {unpacked:?} }}"));
        }
    }
    let ui_index = verify.join(format!("tmux-mobile-server-{version}/ui/index.html"));
    if !ui_index.is_file() {
        return Err(format!(
            "the server package lacks its UI build ({})",
            ui_index.display()
        ));
    }
    let profile = read_file(&root.join("Cargo.toml"))?;
    let profile = profile
        .find("[profile.")
        .map(|at| &profile[at..])
        .unwrap_or("");
    let manifest = format!(
        "# Written by `cargo xtask package`: the packaged crates, built together.\n\
         [workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[patch.crates-io]\n{}\n\n{profile}",
        members.join(", "),
        patches.join("\n"),
    );
    write_file(&verify.join("Cargo.toml"), &manifest)?;
    std::fs::copy(root.join("Cargo.lock"), verify.join("Cargo.lock"))
        .map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
    let target_arg = target.to_string_lossy().into_owned();
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--target-dir", &target_arg];
        args.extend_from_slice(extra);
        run_in(&verify, "cargo", &args)
    };
    check(&["--workspace"])?;
    // An embedder without the UI bytes, a binary without the QR code.
    // (One at a time: the app enables the server's default features.)
    check(&["-p", "tmux-mobile-server", "--no-default-features"])?;
    check(&["-p", "tmux-mobile", "--no-default-features"])?;
    eprintln!(
        "xtask: package: {} crates packaged and checked from their packages",
        published.len()
    );
    Ok(())
}

/// Like [`run`], in `dir` instead of the workspace root.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!(
        "xtask: $ (cd {}) {program} {}",
        dir.display(),
        args.join(" ")
    );
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed: {status}", args.join(" ")))
    }
}

/// `CARGO_TARGET_DIR` or `target/`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// `version` of `[workspace.package]`.
fn workspace_version(root: &Path) -> Result<String, String> {
    let manifest = read_file(&root.join("Cargo.toml"))?;
    let section = manifest
        .split("[workspace.package]")
        .nth(1)
        .ok_or("Cargo.toml has no [workspace.package]")?;
    section
        .lines()
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| line.strip_prefix("version = "))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .ok_or_else(|| "Cargo.toml: [workspace.package] has no version".to_owned())
}

fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
