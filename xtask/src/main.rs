//! `cargo xtask <command>`: project automation kept out of build scripts.
//!
//! Commands: `ci` (everything CI runs), `test`, `package`, `frontend [--check]`,
//! `e2e`, `bench`, `soak`, `tidy`.
#![forbid(unsafe_code)]

mod bench;
mod ci;
mod e2e;
mod frontend;
mod soak;
mod tidy;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", &[][..]),
    };
    let result = match cmd {
        "ci" => ci::ci(rest),
        "test" => ci::test(rest),
        "package" => ci::package(rest),
        "tidy" => tidy::tidy(rest),
        "frontend" => frontend::frontend(rest),
        "e2e" => e2e::e2e(rest),
        "bench" => bench::bench(rest),
        "soak" => soak::soak(rest),
        "help" | "--help" | "-h" => {
            println!(
                "usage: cargo xtask <ci|test|package|tidy|frontend [--check]|e2e|bench [--quick] [--vs-ttyd PATH] [--only W1,…]|soak [--minutes N] [--clients K]>"
            );
            Ok(())
        }
        other => Err(format!(
            "unknown xtask command `{other}`; try `cargo xtask help`"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
