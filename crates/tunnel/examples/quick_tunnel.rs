//! Publishes a local port through a cloudflared quick tunnel, prints the URL
//! (and every new one after a restart) and stops cleanly on Ctrl-C.
//!
//! ```text
//! cargo run -p tmux-mobile-tunnel --example quick_tunnel -- 8080 [path/to/cloudflared]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use tmux_mobile_tunnel::{Tunnel, TunnelOptions, discover, missing_help};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(port) = args.next().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: quick_tunnel <port> [path/to/cloudflared]");
        return ExitCode::from(2);
    };
    let explicit = args.next().map(PathBuf::from);
    let cloudflared = match discover(explicit.as_deref()) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("{e}\n\n{}", missing_help());
            return ExitCode::FAILURE;
        }
    };
    let tunnel = match Tunnel::start(TunnelOptions::for_port(cloudflared, port)).await {
        Ok(tunnel) => tunnel,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Tunnel URL: {}", tunnel.url());

    let mut urls = tunnel.subscribe();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            changed = urls.changed() => {
                if changed.is_err() {
                    break; // cloudflared stopped for good
                }
                match urls.borrow_and_update().clone() {
                    Some(url) => println!("Tunnel URL: {url}"),
                    None => println!("Tunnel down, restarting..."),
                }
            }
        }
    }
    // cloudflared runs in its own process group, so Ctrl-C did not reach it:
    // stop it before exiting (std::process::exit would skip the drop guard).
    tunnel.shutdown().await;
    ExitCode::SUCCESS
}
