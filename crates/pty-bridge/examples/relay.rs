//! The bridge on its own: runs a program in a pseudo-terminal and relays this
//! process's stdin to it and its output to this process's stdout.
//!
//! ```text
//! printf 'echo hello\nexit 3\n' | cargo run -p tmux-mobile-pty-bridge --example relay -- sh
//! ```

use std::process::ExitCode;

use tmux_mobile_pty_bridge::{Pty, PtyCommand, PtyOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main]
async fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match PtyCommand::from_argv(argv) {
        Ok(cmd) => cmd,
        Err(e) => {
            eprintln!("usage: relay <program> [args...]: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut output, input, control) = match Pty::spawn(cmd, PtyOptions::default()) {
        Ok(pty) => pty.split(),
        Err(e) => {
            eprintln!("relay: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Input in its own task, so output keeps flowing while input waits.
    tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut buf = vec![0u8; 4096];
        while let Ok(n @ 1..) = stdin.read(&mut buf).await {
            // A terminal's Enter key sends CR, not LF.
            let line: Vec<u8> = buf[..n]
                .iter()
                .map(|&b| if b == b'\n' { b'\r' } else { b })
                .collect();
            if input.write_all(&line).await.is_err() {
                break;
            }
        }
    });
    let mut stdout = tokio::io::stdout();
    while let Some(chunk) = output.read().await {
        if stdout.write_all(&chunk).await.is_err() {
            break;
        }
        let _ = stdout.flush().await;
    }
    match control.wait().await {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("relay: {e}");
            ExitCode::FAILURE
        }
    }
}
