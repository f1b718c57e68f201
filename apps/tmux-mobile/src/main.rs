//! `tmux-mobile`: drive a live tmux session from a phone browser.
//!
//! The binary is thin: [`cli`] turns flags and environment into a checked
//! [`cli::Config`], [`preflight`] checks tmux, [`logging`] sets up `log`,
//! [`banner`] prints the URLs and QR code, and this file wires them to the
//! server and tunnel crates.
#![forbid(unsafe_code)]

// The banner is printed once the server crate is wired in (next slice).
#[cfg_attr(not(test), expect(dead_code, reason = "wired with the server crate"))]
mod banner;
mod cli;
mod error;
mod logging;
mod preflight;

use std::process::ExitCode;

use error::AppError;

fn main() -> ExitCode {
    let args: cli::Args = argh::from_env();
    if args.version {
        println!("tmux-mobile {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tmux-mobile: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: cli::Args) -> Result<(), AppError> {
    let config = cli::Config::from_args(args, &|key| std::env::var_os(key))?;
    let rust_log = std::env::var("RUST_LOG").ok();
    logging::init(rust_log.as_deref(), config.debug_log.as_deref())?;
    let tmux = preflight::find_tmux(std::env::var_os("PATH").as_deref())?;
    let version = preflight::check_tmux(&tmux)?;
    log::debug!("using {} ({})", tmux.display(), version.text());
    if config.exposes_plain_http() {
        eprintln!(
            "warning: listening on {}: traffic between browsers and tmux-mobile is unencrypted \
             plain HTTP that anyone on the network path can read; prefer the tunnel (HTTPS) or 127.0.0.1",
            config.bind.ip()
        );
    }
    Err(AppError::Server(
        "this build has no server yet (the server crate is being written)".into(),
    ))
}
