//! A live tmux tree printer built on this crate alone: prints the sessions,
//! windows and panes of a tmux server every time they change, and nothing
//! while tmux is idle (no process is spawned to find out).
//!
//! ```text
//! cargo run -p tmux-mobile-tmux-control --example live            # default socket
//! cargo run -p tmux-mobile-tmux-control --example live -- -L work # tmux -L work
//! cargo run -p tmux-mobile-tmux-control --example live -- -S /path/to/socket
//! ```
//!
//! Stop it with Ctrl-C.
//!
//! The watcher's control client rides on a session of tmux-mobile's own
//! (normally a phone's grouped session), never on one of the user's and
//! never on a session made only for it. So this example plays the phone:
//! it adds one grouped session (`tmux-mobile-client-live-<pid>`) to the
//! first user session while it runs, and removes it on Ctrl-C.

use std::time::Instant;

use tmux_mobile_tmux_control::{
    MANAGED_SESSION_PREFIX, Snapshot, Socket, StateWatcher, Tmux, TmuxOptions, WatcherOptions,
};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let socket = match args.as_slice() {
        [] => Socket::Default,
        [flag, name] if flag == "-L" => Socket::Name(name.clone()),
        [flag, path] if flag == "-S" => Socket::Path(path.into()),
        _ => {
            eprintln!("usage: live [-L socket-name | -S socket-path]");
            std::process::exit(2);
        }
    };
    let tmux = Tmux::new(TmuxOptions::default().with_socket(socket));
    let (watcher, mut snapshots) = StateWatcher::spawn(tmux.clone(), WatcherOptions::default());
    let started = Instant::now();
    let base = watcher
        .refresh()
        .await
        .user_sessions()
        .next()
        .map(|session| session.name.clone());
    let own = format!("{MANAGED_SESSION_PREFIX}live-{}", std::process::id());
    let riding = match &base {
        Some(base) => match tmux.new_grouped_session(&own, base).await {
            Ok(_) => {
                watcher.refresh().await;
                true
            }
            Err(error) => {
                eprintln!("cannot add a session to ride on ({error}); changes show up late");
                false
            }
        },
        None => false,
    };
    loop {
        print_tree(&snapshots.borrow_and_update(), started);
        tokio::select! {
            changed = snapshots.changed() => if changed.is_err() { break },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    watcher.shutdown().await;
    if riding {
        let _ = tmux.kill_session(&own).await;
    }
}

fn print_tree(snapshot: &Snapshot, started: Instant) {
    println!("--- {:.3} s", started.elapsed().as_secs_f64());
    if snapshot.user_sessions().next().is_none() {
        println!("(no sessions)");
    }
    for session in snapshot.user_sessions() {
        let attached = if session.is_attached() {
            " (attached)"
        } else {
            ""
        };
        println!("{} {}{attached}", session.id, session.name);
        for window in &session.windows {
            let active = if window.active { "*" } else { " " };
            let zoomed = if window.zoomed { " Z" } else { "" };
            println!("  {active}{}: {}{zoomed}", window.index, window.name);
            for pane in &window.panes {
                let active = if pane.active { "*" } else { " " };
                println!(
                    "    {active}{} {}x{} {}",
                    pane.id, pane.width, pane.height, pane.current_command
                );
            }
        }
    }
}
