//! `cargo xtask frontend [--check]`: builds the browser UI from `frontend/`
//! into `crates/server/ui/`, the directory the server embeds.
//!
//! The build output is committed so that `cargo install` and `cargo package`
//! work without Node. The build is deterministic (same sources, same bytes,
//! `.gz` copies included), which lets `--check` rebuild into a scratch
//! directory and fail when the committed output is stale.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::ci::{run, workspace_root};

/// Where the committed build lives, relative to the workspace root.
const UI_DIR: &str = "crates/server/ui";

/// `cargo xtask frontend` builds into `crates/server/ui/`;
/// `cargo xtask frontend --check` fails when that directory is stale.
pub(crate) fn frontend(args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [a] if a == "--check" => true,
        _ => {
            return Err(format!(
                "unexpected arguments {args:?}; usage: cargo xtask frontend [--check]"
            ));
        }
    };
    install()?;
    let root = workspace_root();
    if !check {
        return build_into(&root.join(UI_DIR));
    }
    let scratch = root
        .join("target")
        .join(format!("xtask-frontend-check-{}", std::process::id()));
    let result = build_into(&scratch).and_then(|()| compare(&root.join(UI_DIR), &scratch));
    // Best effort: a leftover scratch directory under target/ is harmless.
    let _ = fs::remove_dir_all(&scratch);
    result?;
    eprintln!("xtask: {UI_DIR} is up to date with frontend/");
    Ok(())
}

/// `npm ci` from the lockfile (exact versions, no audit or funding calls).
fn install() -> Result<(), String> {
    run(
        "npm",
        &[
            "ci",
            "--prefix",
            "frontend",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ],
    )
    .map_err(|e| format!("{e} (the UI build needs Node.js >= 20.19 and npm)"))
}

/// Type-checks and builds the UI into `out`.
fn build_into(out: &Path) -> Result<(), String> {
    let out = out
        .to_str()
        .ok_or_else(|| format!("output path {} is not valid UTF-8", out.display()))?;
    run("node", &["frontend/scripts/build.mjs", "--out", out])
}

/// Fails with a list of files that differ between `committed` and `fresh`.
fn compare(committed: &Path, fresh: &Path) -> Result<(), String> {
    let a = list_files(committed)?;
    let b = list_files(fresh)?;
    let mut problems = Vec::new();
    for rel in a.union(&b) {
        match (a.contains(rel), b.contains(rel)) {
            (true, false) => problems.push(format!("  extra (not produced by the build): {rel}")),
            (false, true) => problems.push(format!("  missing (produced by the build): {rel}")),
            _ => {
                let x = read(&committed.join(rel))?;
                let y = read(&fresh.join(rel))?;
                if x != y {
                    problems.push(format!("  differs: {rel}"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{UI_DIR} is stale; run `cargo xtask frontend` and commit the result:\n{}",
            problems.join("\n")
        ))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Every file below `dir`, as `/`-separated paths relative to it.
fn list_files(dir: &Path) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).map_err(|e| format!("cannot list {}: {e}", d.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", d.display()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
            if kind.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(parts.join("/"));
            }
        }
    }
    Ok(out)
}
