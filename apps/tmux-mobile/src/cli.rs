//! The command line: the argh definition of every flag, and its validation
//! (together with the `TMUX_MOBILE_*` environment) into a [`Config`] that the
//! rest of the program trusts. All user-input checking lives here so that
//! `main.rs` only wires parts together.

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use argh::FromArgs;
use tmux_mobile_auth::{MAX_SECRET_LEN, PasswordChoice};
use tmux_mobile_protocol::SessionName;

use crate::config_file::ConfigSource;
use crate::error::AppError;

/// Environment variable: run tmux as `tmux -L <name>` (a private server).
pub(crate) const ENV_SOCKET_NAME: &str = "TMUX_MOBILE_SOCKET_NAME";
/// Environment variable: run tmux as `tmux -S <path>`.
pub(crate) const ENV_SOCKET_PATH: &str = "TMUX_MOBILE_SOCKET_PATH";
/// Environment variable: same as `--debug-log <path>`.
pub(crate) const ENV_DEBUG_LOG: &str = "TMUX_MOBILE_DEBUG_LOG";
/// Environment variable: same as `--cloudflared <path>`.
pub(crate) const ENV_CLOUDFLARED: &str = "TMUX_MOBILE_CLOUDFLARED";
/// Environment variable: the password (unlike `--password`, not visible to
/// other local users in `ps`; see [`password_choice`]).
pub(crate) const ENV_PASSWORD: &str = "TMUX_MOBILE_PASSWORD";

/// Largest `--scrollback` accepted (the protocol clamps capture requests to it).
pub(crate) const MAX_SCROLLBACK: u32 = 50_000;

/// Drive a live tmux session from a phone browser.
///
/// Starts a web server on 127.0.0.1 that serves a terminal UI for your tmux
/// session, and (unless --no-tunnel) publishes it over HTTPS through a
/// Cloudflare quick tunnel. Open the printed URL (or scan the QR code) on your
/// phone; the URL carries a secret token, and a password is asked for as well
/// unless --no-require-password.
#[derive(FromArgs, PartialEq, Eq)]
#[argh(
    example = "tmux-mobile                      # tunnel + generated password\n\
               tmux-mobile --no-tunnel -p 9000  # this machine only, port 9000\n\
               tmux-mobile --session work --read-only-link",
    note = "Environment:\n\
  TMUX_MOBILE_SOCKET_NAME  use a private tmux server (`tmux -L <name>`)\n\
  TMUX_MOBILE_SOCKET_PATH  use the tmux server at this socket (`tmux -S <path>`)\n\
  (set at most one of the two socket variables)\n\
  TMUX_MOBILE_DEBUG_LOG    same as --debug-log\n\
  TMUX_MOBILE_CLOUDFLARED  same as --cloudflared\n\
  TMUX_MOBILE_PASSWORD     the password, kept out of `ps` (--password and\n\
                           --password-file take precedence)\n\
  RUST_LOG                 log filter for stderr (default: info for tmux-mobile)\n\
\n\
Needs tmux 3.2 or newer; the tunnel needs cloudflared (never downloaded\n\
automatically). SIGINT/SIGTERM stop the server, remove the per-client tmux\n\
sessions it created and stop the tunnel."
)]
pub(crate) struct Args {
    /// port to listen on (default 8767; 0 picks a free port)
    #[argh(option, short = 'p', default = "8767")]
    pub port: u16,

    /// address to listen on (default 127.0.0.1); any other address exposes
    /// the server over plain, unencrypted HTTP
    #[argh(option, default = "String::from(\"127.0.0.1\")")]
    pub host: String,

    /// password the browser must enter (default: a random one is generated
    /// and printed); other local users can read it in `ps`, so prefer
    /// --password-file or TMUX_MOBILE_PASSWORD
    #[argh(option)]
    pub password: Option<String>,

    /// read the password from this file (its first line; keep the file
    /// private, e.g. chmod 600); never visible in `ps`
    #[argh(option)]
    pub password_file: Option<PathBuf>,

    /// do not ask for a password: the token in the URL is the only secret
    #[argh(switch)]
    pub no_require_password: bool,

    /// also print a read-only URL: whoever opens it sees the terminal but
    /// cannot type or change anything
    #[argh(switch)]
    pub read_only_link: bool,

    /// keep the link's token and the remembered devices in this file
    /// (created with mode 0600 when missing; refused if others may read
    /// it), so the link and a home-screen shortcut survive a restart; the
    /// password is never stored
    #[argh(option)]
    pub token_file: Option<PathBuf>,

    /// tmux session to attach to, created when no session exists (default
    /// main)
    #[argh(option, default = "String::from(\"main\")")]
    pub session: String,

    /// lines of scrollback the UI fetches at a time (default 1000, at most
    /// 50000)
    #[argh(option, default = "1000")]
    pub scrollback: u32,

    /// seconds a disconnected browser's session is kept so it can resume
    /// (default 30)
    #[argh(option, default = "30")]
    pub resume_grace: u64,

    /// extra origin allowed to open the WebSockets, such as
    /// `https://term.example.com` (repeatable)
    #[argh(option)]
    pub allow_origin: Vec<String>,

    /// write a debug log to this file (also TMUX_MOBILE_DEBUG_LOG); secrets
    /// are never logged
    #[argh(option)]
    pub debug_log: Option<PathBuf>,

    /// do not start a Cloudflare quick tunnel; serve locally only
    #[argh(switch)]
    pub no_tunnel: bool,

    /// path to the cloudflared binary (also TMUX_MOBILE_CLOUDFLARED; default:
    /// PATH, then ~/.local/bin/cloudflared)
    #[argh(option)]
    pub cloudflared: Option<PathBuf>,

    /// exit with an error when the tunnel cannot be started, instead of
    /// continuing local-only
    #[argh(switch)]
    pub tunnel_required: bool,

    /// seconds to wait for cloudflared to report its URL (default 30)
    #[argh(option, default = "30")]
    pub tunnel_timeout: u64,

    /// config file (default $XDG_CONFIG_HOME/tmux-mobile/config.toml, i.e.
    /// ~/.config/tmux-mobile/config.toml, read if it exists): prompt
    /// patterns, quick replies, per-window attention, snippets
    #[argh(option)]
    pub config: Option<PathBuf>,
    /// how much terminal text a Web Push notification carries through the
    /// browser's push service: `text` (the prompt line or notification
    /// body, at most 200 characters; the default) or `none`
    #[argh(option, default = "String::from(\"text\")")]
    pub push_preview: String,

    /// keep nothing on disk: the Web Push key lives for this run only (by
    /// default it is kept in $XDG_STATE_HOME/tmux-mobile/, mode 600)
    #[argh(switch)]
    pub no_persist: bool,

    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
}

impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Args")
            .field("port", &self.port)
            .field("host", &self.host)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("password_file", &self.password_file)
            .field("no_require_password", &self.no_require_password)
            .field("read_only_link", &self.read_only_link)
            .field("token_file", &self.token_file)
            .field("session", &self.session)
            .field("scrollback", &self.scrollback)
            .field("resume_grace", &self.resume_grace)
            .field("allow_origin", &self.allow_origin)
            .field("debug_log", &self.debug_log)
            .field("no_tunnel", &self.no_tunnel)
            .field("cloudflared", &self.cloudflared)
            .field("tunnel_required", &self.tunnel_required)
            .field("tunnel_timeout", &self.tunnel_timeout)
            .field("config", &self.config)
            .finish()
    }
}

/// Which tmux server to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SocketSetting {
    /// The user's default tmux server.
    Default,
    /// `tmux -L <name>`.
    Name(String),
    /// `tmux -S <path>`.
    Path(PathBuf),
}

/// Whether and how to start the tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TunnelSetting {
    /// `--no-tunnel`.
    Disabled,
    /// Start cloudflared.
    Enabled {
        /// `--cloudflared` or `TMUX_MOBILE_CLOUDFLARED`, when given.
        cloudflared: Option<PathBuf>,
        /// `--tunnel-required`: a tunnel failure is fatal.
        required: bool,
        /// How long to wait for the tunnel URL.
        timeout: Duration,
    },
}

/// The validated configuration of one run. `Debug` never shows the password.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Address to listen on (port 0 = any free port).
    pub bind: SocketAddr,
    /// Password choice.
    pub password: PasswordChoice,
    /// Also create a read-only link.
    pub read_only_link: bool,
    /// `--token-file`: where the token and remembered devices are kept.
    pub token_file: Option<PathBuf>,
    /// Default tmux session name.
    pub session: SessionName,
    /// Scrollback lines for the UI.
    pub scrollback: u32,
    /// Resume grace period.
    pub resume_grace: Duration,
    /// Extra allowed origins, normalised (`scheme://host[:port]`, lowercase).
    pub allow_origins: Vec<String>,
    /// Debug log file, from the flag or the environment.
    pub debug_log: Option<PathBuf>,
    /// tmux server selection.
    pub socket: SocketSetting,
    /// Tunnel settings.
    pub tunnel: TunnelSetting,
    /// Where the config file is looked for.
    pub config_file: ConfigSource,
    /// `--push-preview`.
    pub push_preview: tmux_mobile_server::PushPreview,
    /// Where the Web Push key is kept (`None`: `--no-persist`, or no home).
    pub vapid_key_file: Option<PathBuf>,
}

impl Config {
    /// Validates `args` together with the environment, read through `env`
    /// (injected so tests need not touch the process environment).
    pub(crate) fn from_args(
        args: Args,
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<Self, AppError> {
        let non_empty = |key: &str| env(key).filter(|v| !v.is_empty());

        let ip = parse_host(&args.host)?;
        let password = password_choice(
            args.password,
            args.password_file.as_deref(),
            env(ENV_PASSWORD),
            args.no_require_password,
        )?;
        let session = parse_session(&args.session)?;
        let token_file = match args.token_file {
            Some(path) if path.as_os_str().is_empty() => {
                return Err(AppError::Usage(
                    "--token-file needs a path, e.g. ~/.config/tmux-mobile/token".into(),
                ));
            }
            other => other,
        };
        if args.scrollback == 0 || args.scrollback > MAX_SCROLLBACK {
            return Err(AppError::Usage(format!(
                "--scrollback must be between 1 and {MAX_SCROLLBACK}, got {}",
                args.scrollback
            )));
        }
        let allow_origins = args
            .allow_origin
            .iter()
            .map(|o| normalize_origin(o))
            .collect::<Result<Vec<_>, _>>()?;

        let socket = match (non_empty(ENV_SOCKET_NAME), non_empty(ENV_SOCKET_PATH)) {
            (Some(_), Some(_)) => return Err(AppError::ConflictingSocketEnv),
            (Some(name), None) => {
                let name = name.into_string().map_err(|_| {
                    AppError::Usage(format!("{ENV_SOCKET_NAME} must be valid UTF-8"))
                })?;
                if name.contains('/') {
                    return Err(AppError::Usage(format!(
                        "{ENV_SOCKET_NAME} is a socket name, not a path (it must not contain `/`); \
                         use {ENV_SOCKET_PATH} for a path"
                    )));
                }
                SocketSetting::Name(name)
            }
            (None, Some(path)) => SocketSetting::Path(PathBuf::from(path)),
            (None, None) => SocketSetting::Default,
        };

        let debug_log = args
            .debug_log
            .or_else(|| non_empty(ENV_DEBUG_LOG).map(PathBuf::from));

        let tunnel = if args.no_tunnel {
            if args.tunnel_required {
                return Err(AppError::Usage(
                    "--no-tunnel and --tunnel-required contradict each other; use one".into(),
                ));
            }
            TunnelSetting::Disabled
        } else {
            if args.tunnel_timeout == 0 {
                return Err(AppError::Usage(
                    "--tunnel-timeout must be at least 1 second".into(),
                ));
            }
            TunnelSetting::Enabled {
                cloudflared: args
                    .cloudflared
                    .or_else(|| non_empty(ENV_CLOUDFLARED).map(PathBuf::from)),
                required: args.tunnel_required,
                timeout: Duration::from_secs(args.tunnel_timeout),
            }
        };

        let config_file = ConfigSource::resolve(args.config, env);

        let push_preview = args
            .push_preview
            .parse()
            .map_err(|e| AppError::Usage(format!("--push-preview: {e}")))?;
        let vapid_key_file = if args.no_persist {
            None
        } else {
            crate::state_dir::state_dir(env).map(|dir| dir.join(crate::state_dir::VAPID_KEY_FILE))
        };

        Ok(Self {
            config_file,
            push_preview,
            vapid_key_file,
            bind: SocketAddr::new(ip, args.port),
            password,
            read_only_link: args.read_only_link,
            token_file,
            session,
            scrollback: args.scrollback,
            resume_grace: Duration::from_secs(args.resume_grace),
            allow_origins,
            debug_log,
            socket,
            tunnel,
        })
    }

    /// True when the server is reachable from other machines over plain
    /// HTTP, which deserves a warning.
    pub(crate) fn exposes_plain_http(&self) -> bool {
        !self.bind.ip().is_loopback()
    }
}

/// Where the password comes from: `--password`, `--password-file` or
/// [`ENV_PASSWORD`], in that order of precedence (a flag is the more
/// explicit wish; giving both flags is a mistake), or none of them with
/// `--no-require-password` (which contradicts every one of them, the
/// variable included: a person who exported it expects to be protected).
///
/// The file's first line is the password (a trailing `\n` or `\r\n` is
/// not part of it). Errors name the source, never the secret.
pub(crate) fn password_choice(
    flag: Option<String>,
    file: Option<&std::path::Path>,
    env: Option<OsString>,
    no_require_password: bool,
) -> Result<PasswordChoice, AppError> {
    let (given, source) = match (flag, file) {
        (Some(_), Some(_)) => {
            return Err(AppError::Usage(
                "--password and --password-file contradict each other; use one \
                 (--password-file keeps the password out of `ps`)"
                    .into(),
            ));
        }
        (Some(password), None) => (Some(password), "--password"),
        (None, Some(path)) => (Some(read_password_file(path)?), "--password-file"),
        (None, None) => match env.filter(|v| !v.is_empty()) {
            Some(value) => {
                let value = value
                    .into_string()
                    .map_err(|_| AppError::Usage(format!("{ENV_PASSWORD} must be valid UTF-8")))?;
                (Some(value), ENV_PASSWORD)
            }
            None => (None, ""),
        },
    };
    match (given, no_require_password) {
        (Some(_), true) => Err(AppError::Usage(format!(
            "{source} and --no-require-password contradict each other; use one"
        ))),
        (Some(p), false) if p.is_empty() => Err(AppError::Usage(format!(
            "{source} must not give an empty password (use --no-require-password to run \
             without one)"
        ))),
        (Some(p), false) if p.len() > MAX_SECRET_LEN => Err(AppError::Usage(format!(
            "{source}: the password is {} bytes long; the limit is {MAX_SECRET_LEN} bytes",
            p.len()
        ))),
        (Some(p), false) => Ok(PasswordChoice::Given(p)),
        (None, true) => Ok(PasswordChoice::Disabled),
        (None, false) => Ok(PasswordChoice::Generate),
    }
}

/// The first line of `path`, read with a bound (a password file is tiny;
/// pointing the flag at a huge file by mistake must not read it all).
fn read_password_file(path: &std::path::Path) -> Result<String, AppError> {
    use std::io::Read as _;
    let unreadable = |error: std::io::Error| {
        AppError::Usage(format!(
            "--password-file {}: cannot read it: {error}",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_LEN as u64 + 3)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    let line_end = bytes.iter().position(|b| *b == b'\n');
    if line_end.is_none() && bytes.len() > MAX_SECRET_LEN {
        return Err(AppError::Usage(format!(
            "--password-file {}: the password is longer than the limit of {MAX_SECRET_LEN} bytes",
            path.display()
        )));
    }
    bytes.truncate(line_end.unwrap_or(bytes.len()));
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    String::from_utf8(bytes).map_err(|_| {
        AppError::Usage(format!(
            "--password-file {}: the password must be valid UTF-8",
            path.display()
        ))
    })
}

/// `--host`: an IP address, or `localhost`.
fn parse_host(host: &str) -> Result<IpAddr, AppError> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let trimmed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    trimmed.parse().map_err(|_| {
        AppError::Usage(format!(
            "--host expects an IP address such as 127.0.0.1 or 0.0.0.0, got {host:?}"
        ))
    })
}

/// `--session`: the protocol's [`SessionName`] rules, and not one of the
/// sessions tmux-mobile manages for its clients.
fn parse_session(name: &str) -> Result<SessionName, AppError> {
    let session = SessionName::try_from(name)
        .map_err(|e| AppError::Usage(format!("--session {name:?}: {e}")))?;
    if session.is_managed() {
        return Err(AppError::Usage(format!(
            "--session {name:?}: names starting with tmux-mobile-client- are reserved for \
             the sessions tmux-mobile creates for each browser"
        )));
    }
    Ok(session)
}

/// `--allow-origin`: `scheme://host[:port]`, http or https, no path; returned
/// lowercased without a trailing slash (the form browsers send).
fn normalize_origin(origin: &str) -> Result<String, AppError> {
    let bad = || {
        AppError::Usage(format!(
            "--allow-origin expects an origin like https://example.com or http://10.0.0.5:8767 \
             (scheme and host, no path), got {origin:?}"
        ))
    };
    let lower = origin.trim().to_ascii_lowercase();
    let lower = lower.strip_suffix('/').unwrap_or(&lower);
    let (scheme, rest) = lower.split_once("://").ok_or_else(bad)?;
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "-.:[]_".contains(c);
    if rest.is_empty() || !rest.chars().all(valid_char) || rest.starts_with(':') {
        return Err(bad());
    }
    Ok(format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Args, argh::EarlyExit> {
        Args::from_args(&["tmux-mobile"], argv)
    }

    fn config(argv: &[&str], env: &[(&str, &str)]) -> Result<Config, AppError> {
        let env: Vec<(String, OsString)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let lookup = move |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        Config::from_args(parse(argv).expect("argv parses"), &lookup)
    }

    #[test]
    fn defaults_match_the_original() {
        let c = config(&[], &[]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8767".parse().unwrap());
        assert!(matches!(c.password, PasswordChoice::Generate));
        assert_eq!(c.session.as_str(), "main");
        assert_eq!(c.scrollback, 1000);
        assert_eq!(c.resume_grace, Duration::from_secs(30));
        assert_eq!(c.socket, SocketSetting::Default);
        assert_eq!(c.debug_log, None);
        assert!(!c.read_only_link);
        assert_eq!(c.token_file, None);
        assert!(!c.exposes_plain_http());
        assert_eq!(
            c.tunnel,
            TunnelSetting::Enabled {
                cloudflared: None,
                required: false,
                timeout: Duration::from_secs(30)
            }
        );
    }

    #[test]
    fn every_flag_is_read() {
        let c = config(
            &[
                "-p",
                "0",
                "--host",
                "0.0.0.0",
                "--password",
                "hunter2",
                "--read-only-link",
                "--token-file",
                "/tmp/tm-token",
                "--session",
                "work",
                "--scrollback",
                "5000",
                "--resume-grace",
                "5",
                "--allow-origin",
                "https://Term.Example.com/",
                "--allow-origin",
                "http://10.0.0.5:8767",
                "--debug-log",
                "/tmp/x.log",
                "--cloudflared",
                "/opt/cf",
                "--tunnel-required",
                "--tunnel-timeout",
                "7",
                "--config",
                "/etc/tm.toml",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            c.config_file,
            crate::config_file::ConfigSource::Explicit(PathBuf::from("/etc/tm.toml"))
        );
        assert_eq!(c.bind, "0.0.0.0:0".parse().unwrap());
        assert!(c.exposes_plain_http());
        assert!(matches!(c.password, PasswordChoice::Given(ref p) if p == "hunter2"));
        assert!(c.read_only_link);
        assert_eq!(c.token_file, Some(PathBuf::from("/tmp/tm-token")));
        assert_eq!(c.session.as_str(), "work");
        assert_eq!(c.scrollback, 5000);
        assert_eq!(c.resume_grace, Duration::from_secs(5));
        assert_eq!(
            c.allow_origins,
            ["https://term.example.com", "http://10.0.0.5:8767"]
        );
        assert_eq!(c.debug_log, Some(PathBuf::from("/tmp/x.log")));
        assert_eq!(
            c.tunnel,
            TunnelSetting::Enabled {
                cloudflared: Some(PathBuf::from("/opt/cf")),
                required: true,
                timeout: Duration::from_secs(7)
            }
        );
    }

    #[test]
    fn long_port_and_switches() {
        let c = config(
            &["--port", "9000", "--no-require-password", "--no-tunnel"],
            &[],
        )
        .unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert!(matches!(c.password, PasswordChoice::Disabled));
        assert_eq!(c.tunnel, TunnelSetting::Disabled);
    }

    #[test]
    fn environment_is_read() {
        let c = config(
            &[],
            &[
                (ENV_SOCKET_NAME, "private"),
                (ENV_DEBUG_LOG, "/tmp/d.log"),
                (ENV_CLOUDFLARED, "/usr/local/bin/cloudflared"),
            ],
        )
        .unwrap();
        assert_eq!(c.socket, SocketSetting::Name("private".into()));
        assert_eq!(c.debug_log, Some(PathBuf::from("/tmp/d.log")));
        assert!(matches!(
            c.tunnel,
            TunnelSetting::Enabled { cloudflared: Some(ref p), .. } if p == &PathBuf::from("/usr/local/bin/cloudflared")
        ));
        let c = config(&[], &[(ENV_SOCKET_PATH, "/tmp/tmux-sock")]).unwrap();
        assert_eq!(c.socket, SocketSetting::Path("/tmp/tmux-sock".into()));
        // Empty variables count as unset.
        let c = config(&[], &[(ENV_SOCKET_NAME, ""), (ENV_SOCKET_PATH, "/s")]).unwrap();
        assert_eq!(c.socket, SocketSetting::Path("/s".into()));
    }

    #[test]
    fn flags_win_over_environment() {
        let c = config(
            &["--debug-log", "/a", "--cloudflared", "/b"],
            &[(ENV_DEBUG_LOG, "/x"), (ENV_CLOUDFLARED, "/y")],
        )
        .unwrap();
        assert_eq!(c.debug_log, Some(PathBuf::from("/a")));
        assert!(matches!(
            c.tunnel,
            TunnelSetting::Enabled { cloudflared: Some(ref p), .. } if p == &PathBuf::from("/b")
        ));
    }

    #[test]
    fn both_socket_variables_are_refused() {
        let err = config(&[], &[(ENV_SOCKET_NAME, "a"), (ENV_SOCKET_PATH, "/b")]).unwrap_err();
        assert!(matches!(err, AppError::ConflictingSocketEnv));
        let msg = err.to_string();
        assert!(msg.contains("TMUX_MOBILE_SOCKET_NAME") && msg.contains("TMUX_MOBILE_SOCKET_PATH"));
    }

    #[test]
    fn socket_name_with_slash_is_refused() {
        let err = config(&[], &[(ENV_SOCKET_NAME, "/tmp/x")]).unwrap_err();
        assert!(err.to_string().contains(ENV_SOCKET_PATH), "{err}");
    }

    #[test]
    fn contradictions_are_refused() {
        for argv in [
            &["--password", "x", "--no-require-password"][..],
            &["--no-tunnel", "--tunnel-required"][..],
        ] {
            let err = config(argv, &[]).unwrap_err();
            assert!(err.to_string().contains("contradict"), "{err}");
        }
    }

    #[test]
    fn password_comes_from_flag_file_or_environment() {
        let dir = std::env::temp_dir().join(format!("tmux-mobile-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("password");
        std::fs::write(&file, "from file\r\nsecond line\n").unwrap();
        let path = file.to_str().unwrap();
        let given = |c: Config| match c.password {
            PasswordChoice::Given(p) => p,
            other => panic!("expected a given password, got {other:?}"),
        };
        let env = [(ENV_PASSWORD, "from env")];
        assert_eq!(given(config(&[], &env).unwrap()), "from env");
        assert_eq!(
            given(config(&["--password-file", path], &env).unwrap()),
            "from file",
            "the file wins over the variable; only its first line counts"
        );
        assert_eq!(
            given(config(&["--password", "flag"], &env).unwrap()),
            "flag"
        );
        assert!(matches!(
            config(&[], &[(ENV_PASSWORD, "")]).unwrap().password,
            PasswordChoice::Generate
        ));
        std::fs::write(&file, "no newline").unwrap();
        assert_eq!(
            given(config(&["--password-file", path], &[]).unwrap()),
            "no newline"
        );

        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
        let refused: &[Case<'_>] = &[
            (
                &["--password", "x", "--password-file", path],
                &[],
                "contradict",
            ),
            (
                &["--password-file", path, "--no-require-password"],
                &[],
                "contradict",
            ),
            (&["--no-require-password"], &env, ENV_PASSWORD),
            (
                &["--password-file", "/nonexistent/tmux-mobile-pw"],
                &[],
                "cannot read",
            ),
        ];
        for (argv, env, needle) in refused {
            let err = config(argv, env).unwrap_err();
            assert!(err.to_string().contains(needle), "{argv:?}: {err}");
        }
        for (content, needle) in [
            ("\n".to_owned(), "empty"),
            ("x".repeat(MAX_SECRET_LEN + 1), "limit"),
        ] {
            std::fs::write(&file, &content).unwrap();
            let err = config(&["--password-file", path], &[]).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
            assert!(err.to_string().contains("--password-file"), "{err}");
        }
        std::fs::write(&file, "hunter2\n").unwrap();
        let c = config(&["--password-file", path], &[]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_values_get_clear_errors() {
        let cases: &[(&[&str], &str)] = &[
            (&["--host", "example.com"], "--host"),
            (&["--host", "300.1.1.1"], "--host"),
            (&["--password", ""], "--password"),
            (
                &["--password", &"x".repeat(MAX_SECRET_LEN + 1)],
                "--password",
            ),
            (&["--scrollback", "0"], "--scrollback"),
            (&["--scrollback", "50001"], "--scrollback"),
            (&["--session", ""], "--session"),
            (&["--session", "a\nb"], "--session"),
            (&["--session", "a:1"], "--session"),
            (&["--session", "tmux-mobile-client-x"], "--session"),
            (&["--allow-origin", "example.com"], "--allow-origin"),
            (&["--allow-origin", "ftp://example.com"], "--allow-origin"),
            (
                &["--allow-origin", "https://example.com/path"],
                "--allow-origin",
            ),
            (&["--allow-origin", "https://"], "--allow-origin"),
            (&["--tunnel-timeout", "0"], "--tunnel-timeout"),
        ];
        for (argv, flag) in cases {
            let err = config(argv, &[]).unwrap_err();
            assert!(matches!(err, AppError::Usage(_)), "{argv:?}: {err:?}");
            assert!(err.to_string().contains(flag), "{argv:?}: {err}");
        }
    }

    #[test]
    fn hosts_accepted() {
        for (host, ip) in [
            ("localhost", "127.0.0.1"),
            ("::1", "::1"),
            ("[::]", "::"),
            ("192.168.1.2", "192.168.1.2"),
        ] {
            let c = config(&["--host", host], &[]).unwrap();
            assert_eq!(c.bind.ip(), ip.parse::<IpAddr>().unwrap());
        }
        assert!(
            !config(&["--host", "::1"], &[])
                .unwrap()
                .exposes_plain_http()
        );
    }

    #[test]
    fn argh_rejects_malformed_numbers() {
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["-p", "x"]).is_err());
        assert!(parse(&["--resume-grace", "-1"]).is_err());
    }

    #[test]
    fn help_documents_every_flag_and_variable() {
        let help = parse(&["--help"]).unwrap_err();
        assert!(help.status.is_ok());
        for needle in [
            "-p, --port",
            "--host",
            "--password",
            "--no-require-password",
            "--read-only-link",
            "--token-file",
            "--session",
            "--scrollback",
            "--resume-grace",
            "--allow-origin",
            "--debug-log",
            "--no-tunnel",
            "--cloudflared",
            "--tunnel-required",
            "--tunnel-timeout",
            "--version",
            ENV_SOCKET_NAME,
            ENV_SOCKET_PATH,
            ENV_DEBUG_LOG,
            ENV_CLOUDFLARED,
            "RUST_LOG",
        ] {
            assert!(
                help.output.contains(needle),
                "--help lacks {needle}:\n{}",
                help.output
            );
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let args = parse(&["--password", "hunter2"]).unwrap();
        assert!(!format!("{args:?}").contains("hunter2"));
        let c = config(&["--password", "hunter2"], &[]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

#[cfg(test)]
mod push_flag_tests {
    use super::*;

    fn config(argv: &[&str], env: &[(&'static str, &'static str)]) -> Result<Config, AppError> {
        let env = env.to_vec();
        let lookup = move |key: &str| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        };
        let args = Args::from_args(&["tmux-mobile"], argv).expect("argv parses");
        Config::from_args(args, &lookup)
    }

    #[test]
    fn push_preview_and_the_key_file_follow_the_flags() {
        let home = [("HOME", "/home/me")];
        let c = config(&[], &home).unwrap();
        assert_eq!(c.push_preview, tmux_mobile_server::PushPreview::Text);
        assert_eq!(
            c.vapid_key_file,
            Some(PathBuf::from("/home/me/.local/state/tmux-mobile/vapid-key"))
        );
        let c = config(&["--push-preview", "none", "--no-persist"], &home).unwrap();
        assert_eq!(c.push_preview, tmux_mobile_server::PushPreview::None);
        assert_eq!(c.vapid_key_file, None, "--no-persist keeps nothing on disk");
        let err = config(&["--push-preview", "all"], &home).unwrap_err();
        assert!(err.to_string().contains("--push-preview"), "{err}");
    }
}
