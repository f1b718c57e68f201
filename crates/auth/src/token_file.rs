//! The token file (`--token-file PATH`): a link that survives a restart.
//!
//! Without it every run makes a new token, so a home-screen shortcut (which
//! holds the token) and every remembered device (which holds a session key)
//! stop working when tmux-mobile restarts. With it the token, the read-only
//! token and the remembered devices are kept in one private file:
//!
//! ```text
//! # tmux-mobile token file: …
//! version 1
//! token <base64url>
//! read-only-token <base64url>
//! device <id> <control|read-only> <sha256 of the key, hex> <issued> <last seen> <expires> <label>
//! ```
//!
//! (times in Unix seconds). A device's session key itself is never written:
//! only its SHA-256, so whoever reads the file gets the link but still needs
//! the password. The password is never written either.
//!
//! The file is created with mode `0600` when missing (together with the
//! token), and refused when it exists with any permission for the group or
//! others: it holds a credential. It is rewritten whole (a private temporary
//! file renamed over it) when a device is remembered, seen or revoked.
//! Errors name the file and the line, never a line's content.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::credentials::{TOKEN_BYTES, random_base64url};
use crate::error::AuthError;
use crate::secret::{MAX_SECRET_LEN, Secret};
use crate::verify::Role;

/// Largest token file read (a full store of 1024 devices is ≈ 200 KiB).
const MAX_FILE_LEN: u64 = 1024 * 1024;

/// Longest device label kept, in characters.
pub(crate) const MAX_LABEL_CHARS: usize = 60;

/// Shortest token accepted from the file (a generated one has 24).
const MIN_TOKEN_LEN: usize = 16;

const HEADER: &str = "# tmux-mobile token file: the link's token and the remembered devices.\n\
# Keep it private (mode 0600). Delete it to make a new link and forget every device.\n";

/// A remembered device as the file keeps it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct StoredDevice {
    pub(crate) id: String,
    pub(crate) role: Role,
    pub(crate) key_hash: [u8; 32],
    pub(crate) issued: SystemTime,
    pub(crate) last_seen: SystemTime,
    pub(crate) expires: SystemTime,
    pub(crate) label: String,
}

/// The loaded token file and where to write it back.
pub(crate) struct TokenFile {
    path: PathBuf,
    token: Secret,
    read_only_token: Option<Secret>,
    devices: Vec<StoredDevice>,
}

impl fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenFile")
            .field("path", &self.path)
            .field("devices", &self.devices.len())
            .finish_non_exhaustive()
    }
}

fn problem(path: &Path, problem: impl Into<String>) -> AuthError {
    AuthError::TokenFile {
        path: path.to_owned(),
        problem: problem.into(),
    }
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn from_unix_secs(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A label as it may be stored and shown: printable, one line, bounded.
pub(crate) fn clean_label(label: &str) -> String {
    let cleaned: String = label
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_LABEL_CHARS)
        .collect();
    cleaned.trim().to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl TokenFile {
    /// Reads the file at `path`, or creates it (mode 0600, fresh tokens)
    /// when it does not exist. `read_only_link`: a read-only token is
    /// needed; one is added to the file when it has none.
    pub(crate) fn load_or_create(path: &Path, read_only_link: bool) -> Result<Self, AuthError> {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let created = TokenFile {
                    path: path.to_owned(),
                    token: random_base64url(TOKEN_BYTES)?,
                    read_only_token: if read_only_link {
                        Some(random_base64url(TOKEN_BYTES)?)
                    } else {
                        None
                    },
                    devices: Vec::new(),
                };
                created.write(&[], true)?;
                log::info!("created the token file {}", path.display());
                return Ok(created);
            }
            Err(e) => return Err(problem(path, format!("cannot open it: {e}"))),
        };
        let meta = file
            .metadata()
            .map_err(|e| problem(path, format!("cannot read its metadata: {e}")))?;
        if !meta.is_file() {
            return Err(problem(path, "it is not a regular file"));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(problem(
                path,
                format!(
                    "other users may access it (mode {mode:04o}); it holds the link's token: \
                     run `chmod 600 {}`",
                    path.display()
                ),
            ));
        }
        if meta.len() > MAX_FILE_LEN {
            return Err(problem(
                path,
                format!("it is larger than {} KiB", MAX_FILE_LEN / 1024),
            ));
        }
        let mut text = String::new();
        (&mut file)
            .take(MAX_FILE_LEN)
            .read_to_string(&mut text)
            .map_err(|e| problem(path, format!("cannot read it as UTF-8 text: {e}")))?;
        let mut loaded = Self::parse(path, &text)?;
        if read_only_link && loaded.read_only_token.is_none() {
            loaded.read_only_token = Some(random_base64url(TOKEN_BYTES)?);
            let devices = loaded.devices.clone();
            loaded.write(&devices, false)?;
        }
        Ok(loaded)
    }

    fn parse(path: &Path, text: &str) -> Result<Self, AuthError> {
        let mut token = None;
        let mut read_only_token = None;
        let mut devices = Vec::new();
        let mut version_seen = false;
        for (n, line) in text.lines().enumerate() {
            let at = |what: &str| problem(path, format!("line {}: {what}", n + 1));
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "version" => {
                    if rest.trim() != "1" {
                        return Err(at("unsupported version (this tmux-mobile reads version 1)"));
                    }
                    version_seen = true;
                }
                "token" | "read-only-token" => {
                    let value = rest.trim();
                    if value.len() < MIN_TOKEN_LEN
                        || value.len() > MAX_SECRET_LEN
                        || !is_base64url(value)
                    {
                        return Err(at(&format!(
                            "a {word} must be {MIN_TOKEN_LEN} to {MAX_SECRET_LEN} base64url \
                             characters (A-Z a-z 0-9 - _)"
                        )));
                    }
                    let slot = if word == "token" {
                        &mut token
                    } else {
                        &mut read_only_token
                    };
                    if slot.is_some() {
                        return Err(at(&format!("a second {word} line")));
                    }
                    *slot = Some(Secret::new(value.to_owned()));
                }
                "device" => devices.push(parse_device(rest).ok_or_else(|| {
                    at("a device line must read `device <id> <control|read-only> \
                        <sha256 hex> <issued> <last seen> <expires> <label>`")
                })?),
                _ => {
                    return Err(at(
                        "unknown line (expected version, token, read-only-token or device)",
                    ));
                }
            }
        }
        if !version_seen {
            return Err(problem(path, "the `version 1` line is missing"));
        }
        let token = token.ok_or_else(|| problem(path, "the `token` line is missing"))?;
        Ok(TokenFile {
            path: path.to_owned(),
            token,
            read_only_token,
            devices,
        })
    }

    /// The control token.
    pub(crate) fn token(&self) -> &Secret {
        &self.token
    }

    /// The read-only token, if the file holds one.
    pub(crate) fn read_only_token(&self) -> Option<&Secret> {
        self.read_only_token.as_ref()
    }

    /// The devices as loaded.
    pub(crate) fn devices(&self) -> &[StoredDevice] {
        &self.devices
    }

    /// Where the file is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the tokens and `devices` to the file: a new private file
    /// renamed over the old one, so a crash never leaves half a file.
    /// `create`: the file must not exist yet.
    pub(crate) fn write(&self, devices: &[StoredDevice], create: bool) -> Result<(), AuthError> {
        let mut text = String::from(HEADER);
        text.push_str("version 1\n");
        text.push_str("token ");
        text.push_str(self.token.expose());
        text.push('\n');
        if let Some(ro) = &self.read_only_token {
            text.push_str("read-only-token ");
            text.push_str(ro.expose());
            text.push('\n');
        }
        for d in devices {
            text.push_str(&format!(
                "device {} {} {} {} {} {} {}\n",
                d.id,
                role_word(d.role),
                hex(&d.key_hash),
                unix_secs(d.issued),
                unix_secs(d.last_seen),
                unix_secs(d.expires),
                clean_label(&d.label)
            ));
        }
        let path = &self.path;
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        if create && fs::symlink_metadata(path).is_ok() {
            return Err(problem(path, "it appeared while being created"));
        }
        // A leftover from a crash is ours to replace.
        let _ = fs::remove_file(&tmp);
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| problem(path, format!("cannot create {}: {e}", tmp.display())))?;
        out.write_all(text.as_bytes())
            .and_then(|()| out.sync_all())
            .map_err(|e| problem(path, format!("cannot write it: {e}")))?;
        drop(out);
        fs::rename(&tmp, path).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            problem(path, format!("cannot replace it: {e}"))
        })
    }
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Control => "control",
        Role::ReadOnly => "read-only",
    }
}

fn parse_device(rest: &str) -> Option<StoredDevice> {
    let mut parts = rest.splitn(7, ' ');
    let id = parts.next()?;
    if id.is_empty() || id.len() > 32 || !is_base64url(id) {
        return None;
    }
    let role = match parts.next()? {
        "control" => Role::Control,
        "read-only" => Role::ReadOnly,
        _ => return None,
    };
    let key_hash = unhex32(parts.next()?)?;
    let mut time = || parts.next()?.parse::<u64>().ok().map(from_unix_secs);
    let issued = time()?;
    let last_seen = time()?;
    let expires = time()?;
    let label = clean_label(parts.next().unwrap_or(""));
    Some(StoredDevice {
        id: id.to_owned(),
        role,
        key_hash,
        issued,
        last_seen,
        expires,
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir() -> PathBuf {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        let dir = std::env::temp_dir().join(format!("tm-token-file-{}", hex(&bytes)));
        fs::create_dir(&dir).unwrap();
        dir
    }

    #[test]
    fn a_missing_file_is_created_private_and_read_back_the_same() {
        let dir = dir();
        let path = dir.join("token");
        let made = TokenFile::load_or_create(&path, false).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(made.token().expose().len(), 24);
        assert!(made.read_only_token().is_none());
        let again = TokenFile::load_or_create(&path, true).unwrap();
        assert_eq!(again.token().expose(), made.token().expose());
        let ro = again.read_only_token().unwrap().expose().to_owned();
        let third = TokenFile::load_or_create(&path, true).unwrap();
        assert_eq!(third.read_only_token().unwrap().expose(), ro);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn devices_round_trip_and_labels_stay_one_line() {
        let dir = dir();
        let path = dir.join("token");
        let file = TokenFile::load_or_create(&path, false).unwrap();
        let device = StoredDevice {
            id: "abc_DEF-1".into(),
            role: Role::ReadOnly,
            key_hash: [7; 32],
            issued: from_unix_secs(1_700_000_000),
            last_seen: from_unix_secs(1_700_000_100),
            expires: from_unix_secs(1_800_000_000),
            label: "Android\n· Chrome".into(),
        };
        file.write(std::slice::from_ref(&device), false).unwrap();
        let back = TokenFile::load_or_create(&path, false).unwrap();
        assert_eq!(back.devices().len(), 1);
        let d = &back.devices()[0];
        assert_eq!(d.label, "Android · Chrome");
        assert_eq!(
            (d.id.as_str(), d.role, d.key_hash),
            ("abc_DEF-1", Role::ReadOnly, [7; 32])
        );
        assert_eq!(
            (d.issued, d.last_seen, d.expires),
            (device.issued, device.last_seen, device.expires)
        );
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("password"));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_others_can_read_is_refused_with_the_fix() {
        let dir = dir();
        let path = dir.join("token");
        TokenFile::load_or_create(&path, false).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = TokenFile::load_or_create(&path, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mode 0644") && err.contains("chmod 600"),
            "{err}"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_lines_name_the_line_never_its_content() {
        let dir = dir();
        let path = dir.join("token");
        for (text, expect) in [
            ("version 1\ntoken short\n", "line 2"),
            (
                "version 1\ntoken AAAAAAAAAAAAAAAAAAAAAAAA\nsecret-value-here\n",
                "line 3",
            ),
            ("token AAAAAAAAAAAAAAAAAAAAAAAA\n", "version 1"),
            ("version 2\n", "unsupported version"),
            ("version 1\n", "`token` line is missing"),
            (
                "version 1\ntoken AAAAAAAAAAAAAAAAAAAAAAAA\ndevice x control zz 1 2 3 l\n",
                "line 3",
            ),
        ] {
            fs::write(&path, text).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            let err = TokenFile::load_or_create(&path, false)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{text:?}: {err}");
            assert!(
                !err.contains("secret-value-here") && !err.contains("AAAAAAAA"),
                "{err}"
            );
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
