//! The config file reaches the running program: a user prompt pattern gives
//! a `prompt` attention with the user's quick reply, per-window `activity`
//! and `silence` opt-ins work (and only for the windows they name), the
//! default snippets arrive in `auth_ok` (not for a read-only link); a
//! mistake stops the program with the file, line and column; `--config`
//! names a file that must exist, while the default file may be missing.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::{Value, json};
use tmux_mobile_e2e::ws::{self, Ws};
use tmux_mobile_e2e::{AppCommand, DEADLINE, LocalUrl, TmuxSandbox};

const EXIT_DEADLINE: Duration = Duration::from_secs(10);

const CONFIG: &str = r#"
[attention]
prompt_patterns = ['^Ship it to (prod|staging)\?$']
replies = [{ label = "ship", input = "ship\r" }]

[[attention.windows]]
window = "watched"
activity = true

[[attention.windows]]
session = "main"
window = "quiet*"
silence = 1

[[snippets]]
label = "status"
text = "git status\r"

[[snippets]]
text = "/compact\r"
"#;

/// Writes `text` as the default config file of `sandbox`
/// (`$XDG_CONFIG_HOME/tmux-mobile/config.toml`).
fn write_default_config(sandbox: &TmuxSandbox, text: &str) -> std::path::PathBuf {
    let dir = sandbox.config_home().join("tmux-mobile");
    std::fs::create_dir_all(&dir).expect("create the config dir");
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write the config file");
    path
}

/// A detached window named `name` in session `main` running `sh`; its pane.
fn window(sandbox: &TmuxSandbox, name: &str) -> String {
    window_running(sandbox, name, "sh")
}

/// A detached window named `name` in session `main` running `program`.
fn window_running(sandbox: &TmuxSandbox, name: &str, program: &str) -> String {
    let out = sandbox.tmux(&[
        "new-window",
        "-d",
        "-t",
        "=main:",
        "-n",
        name,
        "-P",
        "-F",
        "#{pane_id}",
        program,
    ]);
    assert!(out.status.success(), "new-window: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs `script` (from a file, so the typed line does not show its output)
/// in `pane`.
fn run_script(sandbox: &TmuxSandbox, pane: &str, name: &str, script: &str) {
    let path = sandbox.tmpdir().join(name);
    std::fs::write(&path, script).expect("write the script");
    let line = format!("sh {}", path.display());
    assert!(
        sandbox
            .tmux(&["send-keys", "-t", pane, "-l", &line])
            .status
            .success()
    );
    assert!(
        sandbox
            .tmux(&["send-keys", "-t", pane, "Enter"])
            .status
            .success()
    );
}

/// A control socket and every `attention` message read from it.
struct Phone {
    ws: Ws,
    attentions: Vec<Value>,
}

impl Phone {
    /// Reads messages until one satisfies `wanted`, keeping the attentions.
    async fn until(&mut self, what: &str, mut wanted: impl FnMut(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "no {what}; attentions seen: {:?}",
                self.attentions
            );
            let msg = ws::recv_json(&mut self.ws, left).await;
            if msg["type"] == "attention" {
                self.attentions.push(msg.clone());
            }
            if wanted(&msg) {
                return msg;
            }
        }
    }

    /// Waits for an `attention` of `reason` for `pane`.
    async fn attention(&mut self, pane: &str, reason: &str) -> Value {
        self.until(&format!("{reason} attention for {pane}"), |m| {
            m["type"] == "attention" && m["paneId"] == pane && m["reason"] == reason
        })
        .await
    }

    /// Waits for a `tmux_state` in which `pane` is in a window named `name`.
    async fn shows(&mut self, pane: &str, name: &str) {
        self.until(&format!("a state with {pane} in window {name}"), |m| {
            m["type"] == "tmux_state"
                && m["state"]["sessions"].as_array().is_some_and(|sessions| {
                    sessions.iter().any(|s| {
                        s["windowStates"].as_array().is_some_and(|windows| {
                            windows.iter().any(|w| {
                                w["name"] == name
                                    && w["panes"]
                                        .as_array()
                                        .is_some_and(|panes| panes.iter().any(|p| p["id"] == pane))
                            })
                        })
                    })
                })
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_file_drives_prompts_window_opt_ins_and_snippets() {
    let sandbox = TmuxSandbox::new();
    write_default_config(&sandbox, CONFIG);
    let app = AppCommand::local(&["--no-require-password", "--read-only-link"]).spawn(&sandbox);
    let local = app.local_url(DEADLINE);
    let phone = ws::control_attach(local.port, &local.token, None, DEADLINE).await;
    assert_eq!(
        phone.auth_ok["snippets"],
        json!([
            {"label": "status", "text": "git status\r"},
            {"label": "/compact", "text": "/compact\r"},
        ]),
        "{}",
        phone.auth_ok
    );
    // A read-only link cannot type: no snippets for it.
    let viewer =
        LocalUrl::parse(&app.wait_for_stdout("Read-only URL: ", DEADLINE)).expect("read-only URL");
    let viewer = ws::control_attach(local.port, &viewer.token, None, DEADLINE).await;
    assert_eq!(viewer.auth_ok["readOnly"], true);
    assert!(
        viewer.auth_ok.get("snippets").is_none(),
        "{}",
        viewer.auth_ok
    );
    drop(viewer);

    // The attention tap listens once it is attached.
    assert!(
        tmux_mobile_e2e::wait_until(DEADLINE, || {
            // A read-only control client riding on the phone's session.
            let out = sandbox.tmux(&[
                "list-clients",
                "-F",
                "#{client_control_mode} #{client_readonly} #{session_name}",
            ]);
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.starts_with("1 1 tmux-mobile-client-"))
        }),
        "the attention tap never attached\n{}",
        app.transcript()
    );

    let mut phone = Phone {
        ws: phone.ws,
        attentions: Vec::new(),
    };
    // A window no rule names prints first: it must never be reported.
    let other = window(&sandbox, "other");
    run_script(&sandbox, &other, "other.sh", "echo busy\n");

    // `activity = true` for windows named "watched". Its program (`cat`)
    // is silent until typed to; type once the window is in the state.
    let watched = window_running(&sandbox, "watched", "cat");
    phone.shows(&watched, "watched").await;
    assert!(
        sandbox
            .tmux(&["send-keys", "-t", &watched, "-l", "hello"])
            .status
            .success()
    );
    let activity = phone.attention(&watched, "activity").await;
    assert_eq!(activity["session"], "main");

    // `silence = 1` for windows "quiet*" of session "main".
    let quiet = window(&sandbox, "quiet-job");
    run_script(&sandbox, &quiet, "job.sh", "echo working; echo done\n");
    let silence = phone.attention(&quiet, "silence").await;
    assert!(
        silence["text"]
            .as_str()
            .unwrap()
            .starts_with("no output for"),
        "{silence}"
    );
    // "other" went quiet before "quiet-job" did: a silence or activity for
    // it would have come first.
    for seen in &phone.attentions {
        assert_ne!(
            seen["paneId"],
            other.as_str(),
            "a rule matched `other`: {seen}"
        );
    }

    // The user's pattern: a prompt with the user's quick reply.
    let asking = window(&sandbox, "deploy");
    run_script(
        &sandbox,
        &asking,
        "ask.sh",
        "echo 'checks passed'; echo 'Ship it to prod?'; read answer\n",
    );
    let prompt = phone.attention(&asking, "prompt").await;
    assert_eq!(prompt["text"], "Ship it to prod?");
    let replies = prompt["replies"].as_array().expect("replies");
    assert_eq!(
        replies.last(),
        Some(&json!({"label": "ship", "input": "ship\r"})),
        "{prompt}"
    );

    app.signal(Signal::SIGTERM);
    assert!(app.finish(EXIT_DEADLINE).status.success());
}

#[test]
fn a_mistake_in_the_config_file_stops_the_program_with_line_and_column() {
    let sandbox = TmuxSandbox::new();
    let path = write_default_config(
        &sandbox,
        "[[attention.windows]]\nwindow = \"build\"\nsilense = 30\n",
    );
    let run = AppCommand::local(&[]).run(&sandbox, EXIT_DEADLINE);
    assert!(!run.status.success());
    let expected = format!(
        "config file {}, line 3, column 1: unknown field `silense`",
        path.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("`silence`"), "{}", run.stderr);

    let bad_regex = sandbox.tmpdir().join("regex.toml");
    std::fs::write(
        &bad_regex,
        "[attention]\nprompt_patterns = [\n  'ok',\n  '(unclosed',\n]\n",
    )
    .unwrap();
    let run =
        AppCommand::local(&["--config", bad_regex.to_str().unwrap()]).run(&sandbox, EXIT_DEADLINE);
    assert!(!run.status.success());
    assert!(run.stderr.contains("line 4, column 3"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not a valid regular expression"),
        "{}",
        run.stderr
    );
    // Nothing was started: no tmux server (the check comes first).
    assert!(sandbox.session_names().is_empty());
}

#[test]
fn an_explicit_config_file_must_exist() {
    let sandbox = TmuxSandbox::new();
    let missing = sandbox.tmpdir().join("nope.toml");
    let run =
        AppCommand::local(&["--config", missing.to_str().unwrap()]).run(&sandbox, EXIT_DEADLINE);
    assert!(!run.status.success());
    assert!(run.stderr.contains("nope.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("no such file"), "{}", run.stderr);
}
