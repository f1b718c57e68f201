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

use std::time::Instant;

use tmux_mobile_tmux_control::{Snapshot, Socket, StateWatcher, Tmux, TmuxOptions, WatcherOptions};

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
    let (watcher, mut snapshots) = StateWatcher::spawn(tmux, WatcherOptions::default());
    let started = Instant::now();
    loop {
        print_tree(&snapshots.borrow_and_update(), started);
        tokio::select! {
            changed = snapshots.changed() => if changed.is_err() { break },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    watcher.shutdown().await;
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
