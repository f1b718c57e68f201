//! `cargo xtask e2e`: the browser end-to-end tests of `tests/e2e/`.
//!
//! Builds the real binary (and the link shaper of `tests/shaper`, which
//! tests of slow links put between browser and app, and the server's
//! `mount` example, which serves the UI under a path), makes sure the node
//! project's dependencies are installed from its lockfile (never a browser
//! download: the tests drive Debian's `/usr/bin/chromium`), and runs
//! `node --test` over every `tests/e2e/tests/*.test.mjs`, one file at a
//! time. Screenshots land in `target/e2e/`. Extra arguments go to
//! `node --test` (for example
//! `--test-name-pattern=toolbar`, or file names to run only those).

use std::path::Path;
use std::process::Command;

use crate::ci::{run, target_dir, workspace_root};

/// The browser the tests launch (installed by `.ci/run` when missing).
const CHROMIUM: &str = "/usr/bin/chromium";

const INSTALL_HINT: &str = "run .ci/run or apt-get install chromium tmux";

/// Builds `tmux-mobile`, installs the e2e node dependencies when missing and
/// runs every browser test; fails when any test fails.
pub(crate) fn e2e(args: &[String]) -> Result<(), String> {
    preflight()?;
    let root = workspace_root();
    run(
        "cargo",
        &["build", "-p", "tmux-mobile", "-p", "tmux-mobile-shaper"],
    )?;
    // The server mounted under a path of a host app (tests/30-mount).
    run(
        "cargo",
        &["build", "-p", "tmux-mobile-server", "--example", "mount"],
    )?;
    let bin = target_dir(&root).join("debug").join("tmux-mobile");
    let shaper = target_dir(&root).join("debug").join("tmux-mobile-shaper");
    let mount = target_dir(&root)
        .join("debug")
        .join("examples")
        .join("mount");
    for built in [&bin, &shaper, &mount] {
        if !built.is_file() {
            return Err(format!("the build did not produce {}", built.display()));
        }
    }

    let dir = root.join("tests").join("e2e");
    if !dir.join("node_modules").is_dir() {
        node_tool(&dir, "npm", &["ci", "--no-audit", "--no-fund"])?;
    }

    let out = root.join("target").join("e2e");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;

    let mut node_args: Vec<String> = vec!["--test".into(), "--test-concurrency=1".into()];
    let (files, options): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|a| a.ends_with(".mjs"));
    node_args.extend(options.into_iter().cloned());
    if files.is_empty() {
        node_args.extend(test_files(&dir.join("tests"))?);
    } else {
        node_args.extend(files.into_iter().map(|f| {
            if f.starts_with("tests/") {
                f.clone()
            } else {
                format!("tests/{f}")
            }
        }));
    }
    let mut cmd = Command::new("node");
    cmd.args(&node_args)
        .current_dir(&dir)
        .env("TMUX_MOBILE_BIN", &bin)
        .env("TMUX_MOBILE_SHAPER_BIN", &shaper)
        .env("TMUX_MOBILE_MOUNT_EXAMPLE", &mount)
        .env("E2E_OUT_DIR", &out)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE");
    eprintln!("xtask: $ (cd tests/e2e && node {})", node_args.join(" "));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start node: {e}"))?;
    if status.success() {
        eprintln!("xtask: e2e passed; screenshots in {}", out.display());
        Ok(())
    } else {
        Err(format!(
            "e2e tests failed ({status}); see the output above and the screenshots in {}",
            out.display()
        ))
    }
}

/// Fails fast, with the fix, when a tool the tests need is missing.
fn preflight() -> Result<(), String> {
    if !Path::new(CHROMIUM).is_file() {
        return Err(format!("{CHROMIUM} is missing: {INSTALL_HINT}"));
    }
    for (tool, arg) in [("tmux", "-V"), ("node", "--version"), ("npm", "--version")] {
        let ok = Command::new(tool)
            .arg(arg)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            let hint = if tool == "tmux" {
                INSTALL_HINT
            } else {
                "run .ci/run or apt-get install nodejs npm"
            };
            return Err(format!("`{tool}` is missing: {hint}"));
        }
    }
    Ok(())
}

/// Every `*.test.mjs` in `dir`, sorted, relative to `tests/e2e/`.
fn test_files(dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".test.mjs"))
        .map(|n| format!("tests/{n}"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.mjs files in {}", dir.display()));
    }
    Ok(files)
}

/// Runs an npm command in `dir` without ever downloading a browser.
fn node_tool(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!(
        "xtask: $ (cd {} && {program} {})",
        dir.display(),
        args.join(" ")
    );
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` in {} failed: {status}",
            args.join(" "),
            dir.display()
        ))
    }
}
