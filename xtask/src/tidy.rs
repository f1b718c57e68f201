//! `cargo xtask tidy`: cheap checks of the project's own rules that neither
//! rustc nor clippy can express (in the spirit of rust-analyzer's tidy tests).
//!
//! - every crate opts into the workspace lint table;
//! - every crate but `pty-bridge` forbids `unsafe` code;
//! - product code never starts a shell;
//! - no ignored tests and no `todo!`/`unimplemented!` anywhere;
//! - the crate layering of README.md (*How it is built*) holds: lower crates
//!   never depend on higher ones, and `protocol`, `auth`, `tmux-control`,
//!   `pty-bridge` and `tunnel` depend on no crate of ours;
//! - every published crate has a README and the manifest fields a registry
//!   page needs, and every unpublished one says `publish = false`;
//! - each crate README's dependency line names exactly the crates of its
//!   manifest's `[dependencies]`, so it cannot drift.

use std::fs;
use std::path::{Path, PathBuf};

use crate::ci::workspace_root;

/// Crates that depend on no crate of ours, so that another program can take
/// any one of them alone (README.md, *How it is built*).
const STANDALONE: &[&str] = &[
    "crates/protocol",
    "crates/auth",
    "crates/tmux-control",
    "crates/pty-bridge",
    "crates/tunnel",
    "crates/push",
];

/// Workspace members that are never published.
const UNPUBLISHED: &[&str] = &["tests", "tests/shaper", "xtask", "bench"];

/// What a published crate's manifest must say for its registry page.
const REGISTRY_FIELDS: &[&str] = &[
    "description = ",
    "license.workspace = true",
    "repository.workspace = true",
    "readme = \"README.md\"",
    "keywords = ",
    "categories = ",
];

/// Our published crates, lowest layer first: (folder, package name).
pub(crate) fn published_crates() -> Vec<(&'static str, &'static str)> {
    LAYERS.iter().map(|(dir, name, _)| (*dir, *name)).collect()
}

/// Our crates, lowest layer first, with the crates of ours each may depend on.
const LAYERS: &[(&str, &str, &[&str])] = &[
    ("crates/protocol", "tmux-mobile-protocol", &[]),
    ("crates/auth", "tmux-mobile-auth", &[]),
    ("crates/tmux-control", "tmux-mobile-tmux-control", &[]),
    ("crates/pty-bridge", "tmux-mobile-pty-bridge", &[]),
    ("crates/tunnel", "tmux-mobile-tunnel", &[]),
    // Web Push is its own security boundary: it depends on no crate of ours.
    ("crates/push", "tmux-mobile-push", &[]),
    (
        "crates/server",
        "tmux-mobile-server",
        &[
            "tmux-mobile-protocol",
            "tmux-mobile-auth",
            "tmux-mobile-tmux-control",
            "tmux-mobile-pty-bridge",
            "tmux-mobile-push",
        ],
    ),
    (
        "apps/tmux-mobile",
        "tmux-mobile",
        &[
            "tmux-mobile-protocol",
            "tmux-mobile-auth",
            "tmux-mobile-tmux-control",
            "tmux-mobile-pty-bridge",
            "tmux-mobile-tunnel",
            "tmux-mobile-server",
        ],
    ),
];

/// Runs every check and reports all problems at once.
pub(crate) fn tidy(_args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let mut problems = Vec::new();

    for (dir, _name, allowed) in LAYERS {
        let manifest_path = root.join(dir).join("Cargo.toml");
        let manifest = read(&manifest_path, &mut problems);
        if !manifest.contains("[lints]\nworkspace = true") {
            problems.push(format!(
                "{dir}/Cargo.toml: missing `[lints] workspace = true`"
            ));
        }
        for dep in our_dependencies(&manifest) {
            if !allowed.contains(&dep.as_str()) {
                problems.push(format!(
                    "{dir}/Cargo.toml: depends on `{dep}`, which is not below it in the layering"
                ));
            }
        }
        if STANDALONE.contains(dir) {
            for dep in our_dependencies(&manifest) {
                problems.push(format!(
                    "{dir}/Cargo.toml: depends on `{dep}`; this crate must depend on no crate of ours"
                ));
            }
        }
        for field in REGISTRY_FIELDS {
            if !manifest.lines().any(|line| line.starts_with(field)) {
                problems.push(format!(
                    "{dir}/Cargo.toml: a published crate needs `{field}…` for its registry page"
                ));
            }
        }
        if manifest.contains("publish = false") {
            problems.push(format!(
                "{dir}/Cargo.toml: a crate of the layering is published"
            ));
        }
        for file in ["README.md", "LICENSE"] {
            if !root.join(dir).join(file).is_file() {
                problems.push(format!("{dir}: missing {file} (it goes into the package)"));
            }
        }
        if !dir.starts_with("apps/") {
            let readme = read(&root.join(dir).join("README.md"), &mut problems);
            problems.extend(readme_dependency_problems(dir, &manifest, &readme));
        }
        let crate_root = if dir.starts_with("apps/") {
            root.join(dir).join("src/main.rs")
        } else {
            root.join(dir).join("src/lib.rs")
        };
        let source = read(&crate_root, &mut problems);
        if !dir.starts_with("apps/") && !source.contains("include_str!(\"../README.md\")") {
            problems.push(format!(
                "{dir}/src/lib.rs: the README's example must run as a doc test \
                 (`#[cfg(doctest)] #[doc = include_str!(\"../README.md\")]`)"
            ));
        }
        let forbids = source.contains("#![forbid(unsafe_code)]");
        if *dir == "crates/pty-bridge" {
            if forbids {
                problems.push(format!(
                    "{dir}: expected to hold the project's only unsafe code"
                ));
            }
        } else if !forbids {
            problems.push(format!(
                "{}: missing `#![forbid(unsafe_code)]`",
                crate_root
                    .strip_prefix(&root)
                    .unwrap_or(&crate_root)
                    .display()
            ));
        }
    }
    for dir in UNPUBLISHED {
        let manifest = read(&root.join(dir).join("Cargo.toml"), &mut problems);
        if !manifest.contains("[lints]\nworkspace = true") {
            problems.push(format!(
                "{dir}/Cargo.toml: missing `[lints] workspace = true`"
            ));
        }
        if !manifest.contains("\npublish = false\n") {
            problems.push(format!(
                "{dir}/Cargo.toml: not for the registry, so `publish = false`"
            ));
        }
    }
    let workspace = read(&root.join("Cargo.toml"), &mut problems);
    for member in workspace_members(&workspace) {
        let known = LAYERS.iter().any(|(dir, _, _)| *dir == member)
            || UNPUBLISHED.contains(&member.as_str());
        if !known {
            problems.push(format!(
                "Cargo.toml: member `{member}` is neither in tidy's LAYERS (published) nor in UNPUBLISHED"
            ));
        }
    }

    let mut rust_files = Vec::new();
    for top in ["crates", "apps", "tests", "xtask", "bench"] {
        collect_rust_files(&root.join(top), &mut rust_files);
    }
    for file in &rust_files {
        let rel = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        let text = read(file, &mut problems);
        // `test_support.rs` / `sandbox.rs` are the `test-support` feature's
        // private-tmux helpers: test code that happens to live in `src/`.
        let is_test_support = rel.ends_with("/test_support.rs") || rel.ends_with("/sandbox.rs");
        let is_product = (rel.starts_with("crates/") || rel.starts_with("apps/"))
            && rel.contains("/src/")
            && !is_test_support;
        for (lineno, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            // Built by concatenation so this file does not flag itself.
            let banned = [
                concat!("#[", "ignore"),
                concat!("todo", "!("),
                concat!("unimplemented", "!("),
            ];
            for b in banned {
                if code.contains(b) {
                    problems.push(format!("{rel}:{}: `{b}` is not allowed", lineno + 1));
                }
            }
            if is_product {
                for shell in [
                    concat!("\"", "sh", "\""),
                    concat!("\"/bin/", "sh\""),
                    concat!("\"", "bash", "\""),
                ] {
                    if code.contains(shell) {
                        problems.push(format!(
                            "{rel}:{}: product code must not start a shell ({shell})",
                            lineno + 1
                        ));
                    }
                }
            }
        }
    }

    if problems.is_empty() {
        eprintln!(
            "xtask: tidy: {} Rust files checked, all rules hold",
            rust_files.len()
        );
        Ok(())
    } else {
        for p in &problems {
            eprintln!("tidy: {p}");
        }
        Err(format!("tidy found {} problem(s)", problems.len()))
    }
}

fn read(path: &Path, problems: &mut Vec<String>) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| {
        problems.push(format!("{}: cannot read: {e}", path.display()));
        String::new()
    })
}

/// Names of `tmux-mobile*` packages listed under `[dependencies]` (not
/// dev-dependencies: tests may use any layer).
fn our_dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && line.starts_with("tmux-mobile") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            deps.push(name);
        }
    }
    deps
}

/// The line of a crate README that lists its runtime dependencies.
const README_DEPENDENCIES: &str = "Dependencies (`cargo tree -e normal --depth 1`):";

/// What is wrong with the dependency line of a crate's README: it must name
/// exactly the crates of the manifest's `[dependencies]` (what `cargo tree
/// -e normal --depth 1` prints with every feature on), and say "No crate of
/// tmux-mobile" only when none of ours is among them.
fn readme_dependency_problems(dir: &str, manifest: &str, readme: &str) -> Vec<String> {
    let Some(listed) = readme_dependencies(readme) else {
        return vec![format!(
            "{dir}/README.md: needs a line `{README_DEPENDENCIES} a, b, c.`"
        )];
    };
    let mut problems = Vec::new();
    let declared = runtime_dependencies(manifest);
    for name in declared.iter().filter(|name| !listed.contains(name)) {
        problems.push(format!(
            "{dir}/README.md: the dependency line omits `{name}` (see {dir}/Cargo.toml)"
        ));
    }
    for name in listed.iter().filter(|name| !declared.contains(name)) {
        problems.push(format!(
            "{dir}/README.md: the dependency line names `{name}`, which {dir}/Cargo.toml \
             does not depend on"
        ));
    }
    let claims_none = readme.contains("No crate of tmux-mobile");
    if claims_none && declared.iter().any(|name| name.starts_with("tmux-mobile")) {
        problems.push(format!(
            "{dir}/README.md: says it uses no crate of tmux-mobile, but it does"
        ));
    }
    problems
}

/// The crate names of a README's dependency line, sorted: the list after
/// [`README_DEPENDENCIES`] up to its full stop, each item's first word (a
/// note in parentheses may follow it).
fn readme_dependencies(readme: &str) -> Option<Vec<String>> {
    let start = readme.find(README_DEPENDENCIES)? + README_DEPENDENCIES.len();
    let rest = &readme[start..];
    let end = rest.find('.')?;
    let mut names: Vec<String> = rest[..end]
        .split(',')
        .filter_map(|item| item.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    Some(names)
}

/// Every crate in a manifest's `[dependencies]` (optional ones included),
/// sorted.
fn runtime_dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if !in_deps || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !name.is_empty() {
            deps.push(name);
        }
    }
    deps.sort();
    deps
}

/// The `members` of `[workspace]`.
fn workspace_members(manifest: &str) -> Vec<String> {
    let Some(start) = manifest.find("members = [") else {
        return Vec::new();
    };
    let list = &manifest[start + "members = [".len()..];
    let list = &list[..list.find(']').unwrap_or(list.len())];
    list.split(',')
        .map(|item| item.trim().trim_matches('"').to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name == "fixtures" {
            continue;
        }
        if path.is_dir() {
            collect_rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        our_dependencies, readme_dependencies, readme_dependency_problems, workspace_members,
    };

    #[test]
    fn reads_workspace_members() {
        let manifest = "[workspace]\nmembers = [\n    \"crates/a\",\n    \"xtask\",\n]\n";
        assert_eq!(workspace_members(manifest), ["crates/a", "xtask"]);
    }

    #[test]
    fn finds_only_runtime_dependencies_of_ours() {
        let manifest = "[dependencies]\ntmux-mobile-protocol.workspace = true\nserde = \"1\"\n\
                        [dev-dependencies]\ntmux-mobile-server = { workspace = true }\n";
        assert_eq!(
            our_dependencies(manifest),
            vec!["tmux-mobile-protocol".to_string()]
        );
    }

    #[test]
    fn readme_dependency_line_must_match_the_manifest() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\n# why\nlog.workspace = true\n\
                        include_dir = { workspace = true, optional = true }\n\
                        [dev-dependencies]\nproptest = \"1\"\n";
        let good = "Text.\n\nDependencies (`cargo tree -e normal --depth 1`): include_dir (only\n\
                    with `embedded-ui`), log. No crate of tmux-mobile.\n";
        assert_eq!(
            readme_dependencies(good),
            Some(vec!["include_dir".to_string(), "log".to_string()])
        );
        assert_eq!(
            readme_dependency_problems("c", manifest, good),
            Vec::<String>::new()
        );

        let stale = "Dependencies (`cargo tree -e normal --depth 1`): log, regex.\n";
        let problems = readme_dependency_problems("c", manifest, stale);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("omits `include_dir`"), "{problems:?}");
        assert!(problems[1].contains("names `regex`"), "{problems:?}");

        let ours = "[dependencies]\ntmux-mobile-protocol.workspace = true\n";
        let claim = "Dependencies (`cargo tree -e normal --depth 1`): tmux-mobile-protocol. \
                     No crate of tmux-mobile.";
        assert_eq!(readme_dependency_problems("c", ours, claim).len(), 1);
        assert_eq!(readme_dependency_problems("c", ours, "no line").len(), 1);
    }
}
