//! Logging setup: `env_logger` on stderr (filtered by `RUST_LOG`, default
//! `info` for our crates and `warn` for everything else) and, when
//! `--debug-log`/`TMUX_MOBILE_DEBUG_LOG` asks for it, a second logger that
//! writes `debug` records of our crates to a file created with mode 0600.
//!
//! Secrets are never passed to `log` anywhere in tmux-mobile, so neither sink
//! ever sees a token or password. The WebSocket library is another matter:
//! at `trace` level tungstenite logs every frame it reads and writes, `auth`
//! messages with their token and password included. Its `trace` records
//! (and tokio-tungstenite's) are therefore dropped whatever `RUST_LOG` says
//! ([`carries_frame_contents`]).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use env_logger::{Builder, Logger, Target};
use log::{LevelFilter, Log, Metadata, Record};

use crate::error::AppError;

/// Our crates' log targets (the `target` of a record starts with one).
const OUR_CRATES: &[&str] = &[
    "tmux_mobile",
    "tmux_mobile_server",
    "tmux_mobile_auth",
    "tmux_mobile_tmux_control",
    "tmux_mobile_pty_bridge",
    "tmux_mobile_tunnel",
    "tmux_mobile_protocol",
    "tmux_mobile_push",
];

/// Crates that log whole WebSocket frames (credentials included) at
/// `trace` level.
const FRAME_LOGGING_CRATES: &[&str] = &["tungstenite", "tokio_tungstenite"];

/// Whether a record may hold frame contents: `trace` from a crate that
/// logs frames. Such records are never written.
fn carries_frame_contents(metadata: &Metadata<'_>) -> bool {
    metadata.level() == log::Level::Trace
        && FRAME_LOGGING_CRATES.iter().any(|krate| {
            metadata
                .target()
                .strip_prefix(krate)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

/// The stderr filter used when `RUST_LOG` is unset.
pub(crate) fn default_filter(level: LevelFilter) -> String {
    let mut filter = String::from("warn");
    for krate in OUR_CRATES {
        filter.push(',');
        filter.push_str(krate);
        filter.push('=');
        filter.push_str(&level.to_string().to_ascii_lowercase());
    }
    filter
}

/// Installs the global logger. `rust_log` is the value of `RUST_LOG`, if set.
pub(crate) fn init(rust_log: Option<&str>, debug_log: Option<&Path>) -> Result<(), AppError> {
    let stderr = Builder::new()
        .parse_filters(
            rust_log
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(&default_filter(LevelFilter::Info)),
        )
        .target(Target::Stderr)
        .build();

    let file = match debug_log {
        Some(path) => Some(file_logger(path)?),
        None => None,
    };

    let max = stderr
        .filter()
        .max(file.as_ref().map_or(LevelFilter::Off, Logger::filter));
    // A second init (only possible in tests) keeps the first logger.
    if log::set_boxed_logger(Box::new(Tee { stderr, file })).is_ok() {
        log::set_max_level(max);
    }
    Ok(())
}

/// A logger writing `debug` records of our crates to `path` (appending).
fn file_logger(path: &Path) -> Result<Logger, AppError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| AppError::DebugLog {
            path: path.to_owned(),
            source,
        })?;
    Ok(Builder::new()
        .parse_filters(&default_filter(LevelFilter::Debug))
        .target(Target::Pipe(Box::new(file)))
        .write_style(env_logger::WriteStyle::Never)
        .format_timestamp_millis()
        .build())
}

/// Sends each record to every sink whose filter accepts it.
struct Tee {
    stderr: Logger,
    file: Option<Logger>,
}

impl Log for Tee {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        !carries_frame_contents(metadata)
            && (self.stderr.enabled(metadata)
                || self.file.as_ref().is_some_and(|f| f.enabled(metadata)))
    }

    fn log(&self, record: &Record<'_>) {
        if carries_frame_contents(record.metadata()) {
            return;
        }
        if self.stderr.matches(record) {
            self.stderr.log(record);
        }
        if let Some(file) = &self.file {
            if file.matches(record) {
                file.log(record);
            }
        }
    }

    fn flush(&self) {
        self.stderr.flush();
        if let Some(file) = &self.file {
            file.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_filter_names_our_crates() {
        let f = default_filter(LevelFilter::Info);
        assert!(f.starts_with("warn,"));
        assert!(f.contains("tmux_mobile_server=info"));
        assert!(f.contains("tmux_mobile=info"));
    }

    #[test]
    fn debug_file_receives_debug_records_of_our_crates_only() {
        let dir = std::env::temp_dir().join(format!("tmux-mobile-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("debug.log");
        let logger = file_logger(&path).unwrap();
        let ours = Record::builder()
            .level(log::Level::Debug)
            .target("tmux_mobile_server::ws")
            .args(format_args!("client connected"))
            .build();
        let theirs = Record::builder()
            .level(log::Level::Debug)
            .target("hyper::proto")
            .args(format_args!("noise"))
            .build();
        for r in [&ours, &theirs] {
            if logger.matches(r) {
                logger.log(r);
            }
        }
        logger.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("client connected"), "{text}");
        assert!(!text.contains("noise"), "{text}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn frame_trace_of_the_websocket_crates_is_never_logged() {
        let meta = |level, target| Metadata::builder().level(level).target(target).build();
        for target in [
            "tungstenite",
            "tungstenite::protocol",
            "tokio_tungstenite::compat",
        ] {
            assert!(
                carries_frame_contents(&meta(log::Level::Trace, target)),
                "{target}"
            );
            assert!(
                !carries_frame_contents(&meta(log::Level::Debug, target)),
                "{target}"
            );
        }
        for target in ["tungstenite_other", "tmux_mobile_server", "hyper"] {
            assert!(
                !carries_frame_contents(&meta(log::Level::Trace, target)),
                "{target}"
            );
        }
    }

    #[test]
    fn unwritable_debug_log_is_a_clear_error() {
        let err = file_logger(Path::new("/nonexistent-dir/x/debug.log")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent-dir/x/debug.log"),
            "{err}"
        );
    }
}
