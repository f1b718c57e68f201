//! The typed operations the server needs, each one or two tmux commands
//! (a short process, or a line on the state watcher's control client: see
//! *Commands* on [`Tmux`]) with exact targets (see [`crate::target`] for how
//! targets are built and which names are refused).

use std::ffi::OsString;

use crate::error::TmuxError;
use crate::ids::{MANAGED_SESSION_PREFIX, Orientation, PaneId};
use crate::snapshot::{SNAPSHOT_FORMAT, Snapshot, parse_snapshot};
use crate::target::{
    check_new_session_name, escape_argument, escape_format, session_scope, session_target,
    window_target,
};
use crate::tmux::Tmux;

/// One session as `list_sessions` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The name, exactly as tmux stores it.
    pub name: String,
    /// How many clients are attached.
    pub attached: u32,
    /// How many windows it has.
    pub windows: u32,
    /// Whether tmux-mobile manages it (`tmux-mobile-client-*`).
    pub managed: bool,
}

/// tmux's default `status-left` (tmux 2.9 to 3.5).
const DEFAULT_STATUS_LEFT: &str = "[#{session_name}] ";

/// `capture-pane -J` output as the viewer shows it: trailing spaces of each
/// line and trailing newlines removed.
fn joined_capture_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for line in raw.trim_end_matches('\n').split('\n') {
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
    out.pop();
    out
}

/// `-F` format printed by `new-session -P`: id, then the name by length.
const NEW_SESSION_FORMAT: &str = "#{session_id}:#{n:session_name}:#{session_name}";

impl Tmux {
    /// The whole sessions → windows → panes tree, from one `list-sessions`
    /// (see [`Snapshot`]).
    /// No server running gives an empty snapshot.
    pub async fn snapshot(&self) -> Result<Snapshot, TmuxError> {
        match self
            .run("list-sessions", ["-F", SNAPSHOT_FORMAT], None)
            .await
        {
            Ok(output) => parse_snapshot(&output.stdout),
            Err(TmuxError::NoServer) => Ok(Snapshot::empty()),
            Err(error) if no_sessions(&error) => Ok(Snapshot::empty()),
            Err(other) => Err(other),
        }
    }

    /// [`Tmux::snapshot`] for the watcher while it waits for a quiet
    /// moment: not counted as activity, and no server is
    /// [`TmuxError::NoServer`].
    pub(crate) async fn probe_snapshot(&self) -> Result<Snapshot, TmuxError> {
        match self
            .run_unnoticed("list-sessions", ["-F", SNAPSHOT_FORMAT], None)
            .await
        {
            Ok(output) => parse_snapshot(&output.stdout),
            Err(error) if no_sessions(&error) => Ok(Snapshot::empty()),
            Err(other) => Err(other),
        }
    }

    /// Every session (including managed ones), in tmux's order. No server
    /// running gives an empty list.
    pub async fn list_sessions(&self) -> Result<Vec<SessionInfo>, TmuxError> {
        Ok(self
            .snapshot()
            .await?
            .sessions()
            .iter()
            .map(|s| SessionInfo {
                name: s.name.clone(),
                attached: s.attached,
                windows: u32::try_from(s.windows.len()).unwrap_or(u32::MAX),
                managed: s.managed,
            })
            .collect())
    }

    /// Creates a detached session called exactly `name` (starting the tmux
    /// server if none runs). Names tmux would store differently are refused
    /// (see the [crate documentation](crate)); a name taken gives
    /// [`TmuxError::DuplicateSession`].
    pub async fn new_session(&self, name: impl AsRef<str>) -> Result<(), TmuxError> {
        let name = name.as_ref();
        self.create_session(name, None).await
    }

    /// Creates a detached session `name` in the session group of `base`
    /// (`new-session -d -s name -t =base`): it shares `base`'s windows but
    /// has its own current window.
    pub async fn new_grouped_session(
        &self,
        name: impl AsRef<str>,
        base: impl AsRef<str>,
    ) -> Result<(), TmuxError> {
        let name = name.as_ref();
        let base = base.as_ref();
        self.create_session(name, Some(base)).await
    }

    async fn create_session(&self, name: &str, base: Option<&str>) -> Result<(), TmuxError> {
        check_new_session_name(name)?;
        let mut args: Vec<OsString> = Vec::new();
        if let Some(base) = base {
            // `new-session -t` silently creates an ungrouped session when the
            // target does not exist: check it in the same command list (tmux
            // stops the list at the first error, with no gap for a race).
            let base_target = session_target(base)?;
            args.extend([
                "has-session".into(),
                "-t".into(),
                base_target.clone().into(),
                ";".into(),
            ]);
        }
        // `-s` is expanded as a format by tmux: `#` must be doubled.
        args.extend([
            "new-session".into(),
            "-d".into(),
            "-P".into(),
            "-F".into(),
            NEW_SESSION_FORMAT.into(),
            "-s".into(),
            escape_argument(&escape_format(name)).into(),
        ]);
        if let Some(base) = base {
            args.push("-t".into());
            args.push(session_target(base)?.into());
        }
        let output = match self.run_sequence("new-session", args, None).await {
            Err(TmuxError::DuplicateSession { .. }) => {
                return Err(TmuxError::DuplicateSession {
                    name: name.to_owned(),
                });
            }
            Err(TmuxError::NotFound {
                kind: "session", ..
            }) if base.is_some() => {
                return Err(TmuxError::NotFound {
                    kind: "session",
                    target: base.map(str::to_owned).unwrap_or_default(),
                });
            }
            other => other?,
        };
        let (id, stored) = parse_new_session(&output.stdout)?;
        if stored != name {
            // tmux changed the name (characters it escapes that we did not
            // predict). Remove the session again, by id, and refuse.
            let _ = self.run("kill-session", ["-t", id.as_str()], None).await;
            return Err(TmuxError::invalid(
                "session name",
                name,
                format!("tmux would store it as {stored:?}"),
            ));
        }
        Ok(())
    }

    /// Kills the session called exactly `name`.
    pub async fn kill_session(&self, name: impl AsRef<str>) -> Result<(), TmuxError> {
        let name = name.as_ref();
        let target = session_target(name)?;
        self.run("kill-session", ["-t", target.as_str()], Some(name))
            .await
            .map(drop)
    }

    /// Whether a session called exactly `name` exists (false when no server
    /// runs).
    pub async fn has_session(&self, name: impl AsRef<str>) -> Result<bool, TmuxError> {
        let name = name.as_ref();
        let target = session_target(name)?;
        match self
            .run("has-session", ["-t", target.as_str()], Some(name))
            .await
        {
            Ok(_) => Ok(true),
            Err(TmuxError::NotFound { .. } | TmuxError::NoServer) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Creates a window at the next free index of `session` and makes it the
    /// session's current window. It starts in the directory of the program
    /// in the pane the session is showing (a phone's session was made by
    /// tmux-mobile, so its own directory is tmux-mobile's; tmux would pick
    /// that one or another depending on how the command reached it, see
    /// *Commands* on [`Tmux`]).
    ///
    /// The window is created detached (`new-window -d`) and then selected
    /// in `session` alone: a plain `new-window` in a grouped session makes
    /// tmux redraw every client of every session in the group (100 full
    /// redraws per window with 100 phones on one session), while
    /// `select-window` redraws only the clients of `session`.
    pub async fn new_window(&self, session: impl AsRef<str>) -> Result<(), TmuxError> {
        let session = session.as_ref();
        let target = session_scope(session)?;
        let output = self
            .run(
                "new-window",
                [
                    "-d",
                    "-t",
                    target.as_str(),
                    "-c",
                    "#{pane_current_path}",
                    "-P",
                    "-F",
                    "#{window_id}",
                ],
                Some(session),
            )
            .await?;
        let text = String::from_utf8_lossy(&output.stdout);
        let window = window_target(session, text.trim()).map_err(|_| {
            TmuxError::parse("new-window", format!("not a window id: {:?}", text.trim()))
        })?;
        self.run("select-window", ["-t", window.as_str()], Some(session))
            .await
            .map(drop)
    }

    /// Makes the window at `index` the current window of `session`.
    pub async fn select_window(
        &self,
        session: impl AsRef<str>,
        index: u32,
    ) -> Result<(), TmuxError> {
        let session = session.as_ref();
        let target = self.resolve_window(session, index).await?;
        self.run("select-window", ["-t", target.as_str()], Some(session))
            .await
            .map(drop)
    }

    /// Kills the window at `index` of `session` (in every session it is
    /// linked into, as `kill-window` does).
    pub async fn kill_window(&self, session: impl AsRef<str>, index: u32) -> Result<(), TmuxError> {
        let session = session.as_ref();
        let target = self.resolve_window(session, index).await?;
        self.run("kill-window", ["-t", target.as_str()], Some(session))
            .await
            .map(drop)
    }

    /// `=session:@id` for the window at `index`: tmux would fall back from
    /// a missing index to window *names*, so the index is looked up first.
    async fn resolve_window(
        &self,
        session: impl AsRef<str>,
        index: u32,
    ) -> Result<String, TmuxError> {
        let session = session.as_ref();
        let target = session_target(session)?;
        let output = self
            .run(
                "list-windows",
                ["-t", target.as_str(), "-F", "#{window_index} #{window_id}"],
                Some(session),
            )
            .await?;
        let text = String::from_utf8_lossy(&output.stdout);
        for line in text.lines() {
            let (found, id) = line.split_once(' ').ok_or_else(|| {
                TmuxError::parse("list-windows", format!("unexpected line {line:?}"))
            })?;
            if found == index.to_string() {
                return window_target(session, id);
            }
        }
        Err(TmuxError::NotFound {
            kind: "window",
            target: format!("{}:{}", session, index),
        })
    }

    /// Splits `pane` (`h`: side by side, `v`: one above the other) and
    /// returns the new pane, which becomes the active one. The new pane
    /// starts in the directory `pane`'s program is in.
    pub async fn split_pane(
        &self,
        pane: impl AsRef<str>,
        orientation: Orientation,
    ) -> Result<PaneId, TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        self.split(&pane, orientation, false).await
    }

    /// [`Tmux::split_pane`], and the window zoomed onto the new pane
    /// (`split-window -Z`): what a phone wants, where two half-width panes
    /// are too narrow to use.
    pub async fn split_pane_zoomed(
        &self,
        pane: impl AsRef<str>,
        orientation: Orientation,
    ) -> Result<PaneId, TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        self.split(&pane, orientation, true).await
    }

    async fn split(
        &self,
        pane: &PaneId,
        orientation: Orientation,
        zoom: bool,
    ) -> Result<PaneId, TmuxError> {
        let mut args = vec![orientation.tmux_flag()];
        if zoom {
            args.push("-Z");
        }
        args.extend([
            "-t",
            pane.as_str(),
            "-c",
            "#{pane_current_path}",
            "-P",
            "-F",
            "#{pane_id}",
        ]);
        let output = self.run("split-window", args, Some(pane.as_str())).await?;
        let text = String::from_utf8_lossy(&output.stdout);
        PaneId::try_from(text.trim()).map_err(|_| {
            TmuxError::parse("split-window", format!("not a pane id: {:?}", text.trim()))
        })
    }

    /// Kills `pane`.
    pub async fn kill_pane(&self, pane: impl AsRef<str>) -> Result<(), TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        self.run("kill-pane", ["-t", pane.as_str()], Some(pane.as_str()))
            .await
            .map(drop)
    }

    /// Types `text` into `pane` as if it came from a keyboard
    /// (`send-keys -l`: literal characters, no key names; `\r` is Enter,
    /// `\x1b` Escape, `\x03` Ctrl-C). For answering a prompt without a
    /// terminal attached (a notification's quick reply). Empty text and
    /// text with a NUL are refused.
    pub async fn send_text(&self, pane: impl AsRef<str>, text: &str) -> Result<(), TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        if text.is_empty() || text.contains('\0') {
            return Err(TmuxError::parse("send-keys", "no text, or a NUL, to type"));
        }
        self.run(
            "send-keys",
            ["-t", pane.as_str(), "-l", "--", text],
            Some(pane.as_str()),
        )
        .await
        .map(drop)
    }

    /// Makes `pane` its window's active pane.
    pub async fn select_pane(&self, pane: impl AsRef<str>) -> Result<(), TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        self.run("select-pane", ["-t", pane.as_str()], Some(pane.as_str()))
            .await
            .map(drop)
    }

    /// Zooms `pane` (making it active), or unzooms its window if it is
    /// zoomed (`resize-pane -Z`).
    pub async fn toggle_zoom(&self, pane: impl AsRef<str>) -> Result<(), TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        self.run(
            "resize-pane",
            ["-Z", "-t", pane.as_str()],
            Some(pane.as_str()),
        )
        .await
        .map(drop)
    }

    /// Whether `pane` is zoomed: its window is zoomed and it is the active
    /// pane.
    pub async fn is_zoomed(&self, pane: impl AsRef<str>) -> Result<bool, TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        let output = self
            .run(
                "display-message",
                [
                    "-p",
                    "-t",
                    pane.as_str(),
                    "#{window_zoomed_flag}#{pane_active}",
                ],
                Some(pane.as_str()),
            )
            .await?;
        match output.stdout.as_slice() {
            b"11\n" | b"11" => Ok(true),
            b"00\n" | b"01\n" | b"10\n" => Ok(false),
            other => Err(TmuxError::parse(
                "display-message",
                format!("unexpected zoom flags {:?}", String::from_utf8_lossy(other)),
            )),
        }
    }

    /// The text of `pane`: its visible screen plus up to `lines` lines of
    /// history (`capture-pane -p -J -S -<lines>`), without trailing
    /// newlines. Lines the terminal wrapped are joined again (`-J`), so a
    /// long command or URL copies whole and each line of the result is one
    /// line the program wrote; trailing spaces (which `-J` keeps) are
    /// removed. Bytes that are not UTF-8 become U+FFFD.
    pub async fn capture_pane(
        &self,
        pane: impl AsRef<str>,
        lines: u32,
    ) -> Result<String, TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        let start = format!("-{lines}");
        let output = self
            .run(
                "capture-pane",
                ["-p", "-J", "-t", pane.as_str(), "-S", start.as_str()],
                Some(pane.as_str()),
            )
            .await?;
        Ok(joined_capture_text(&String::from_utf8_lossy(
            &output.stdout,
        )))
    }

    /// Scrolls `pane`'s history in copy mode by `lines` (negative: back in
    /// time), entering copy mode first (`-e`: it ends by itself once
    /// scrolled back to the bottom); `0` leaves copy mode. The pane's own
    /// program sees nothing of it. Returns how many lines back the pane
    /// now shows (`0`: live).
    pub async fn scroll_pane(&self, pane: impl AsRef<str>, lines: i32) -> Result<u32, TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        let target = pane.as_str();
        let mut args: Vec<OsString> = Vec::new();
        if lines == 0 {
            args.extend(["copy-mode".into(), "-q".into(), "-t".into(), target.into()]);
        } else {
            let direction = if lines < 0 {
                "scroll-up"
            } else {
                "scroll-down"
            };
            args.extend([
                "copy-mode".into(),
                "-e".into(),
                "-t".into(),
                target.into(),
                ";".into(),
                "send-keys".into(),
                "-X".into(),
                "-N".into(),
                lines.unsigned_abs().to_string().into(),
                "-t".into(),
                target.into(),
                direction.into(),
            ]);
        }
        args.extend([
            ";".into(),
            "display-message".into(),
            "-p".into(),
            "-t".into(),
            target.into(),
            "#{?pane_in_mode,#{scroll_position},0}".into(),
        ]);
        let output = self.run_sequence("copy-mode", args, Some(target)).await?;
        let text = String::from_utf8_lossy(&output.stdout);
        let last = text.lines().last().unwrap_or("").trim();
        // An empty position (a mode without one) counts as live.
        Ok(last.parse().unwrap_or(0))
    }

    /// Makes `managed`'s status line name `base` instead of the managed
    /// session's own long name (`[tmux-mobi` cut at 10 columns), but only
    /// while the user's global `status-left` is tmux's default: a status
    /// line the user designed is left alone. Only the managed session's
    /// own options change, never a global one.
    pub async fn name_base_in_status(
        &self,
        managed: impl AsRef<str>,
        base: impl AsRef<str>,
    ) -> Result<bool, TmuxError> {
        let base = base.as_ref();
        let managed = managed.as_ref();
        if !managed.starts_with(MANAGED_SESSION_PREFIX) {
            return Err(TmuxError::invalid(
                "session name",
                managed,
                "only managed sessions get a status line of ours".to_owned(),
            ));
        }
        let output = self
            .run("show-options", ["-gv", "status-left"], None)
            .await?;
        if String::from_utf8_lossy(&output.stdout).trim_end_matches('\n') != DEFAULT_STATUS_LEFT {
            return Ok(false);
        }
        // `set-option -t` takes a pane: `=name:` (the session's current window).
        let target = session_scope(managed)?;
        // status-left goes through strftime and then the format expander.
        let left = format!("[{}] ", escape_format(&base.replace('%', "%%")));
        let length = (base.chars().count() + 3).clamp(10, 40).to_string();
        let args: Vec<OsString> = vec![
            "set-option".into(),
            "-t".into(),
            target.clone().into(),
            "status-left".into(),
            left.into(),
            ";".into(),
            "set-option".into(),
            "-t".into(),
            target.into(),
            "status-left-length".into(),
            length.into(),
        ];
        self.run_sequence("set-option", args, Some(managed))
            .await
            .map(|_| true)
    }

    /// The names of the sessions that contain `pane` (a pane in a window of
    /// a session group belongs to every session of the group). Empty when
    /// the pane does not exist.
    pub async fn pane_sessions(&self, pane: impl AsRef<str>) -> Result<Vec<String>, TmuxError> {
        let pane = PaneId::parse(pane.as_ref())?;
        // The pane id is validated (`%<digits>`), so it is safe inside the
        // filter format.
        let filter = format!("#{{==:#{{pane_id}},{}}}", pane.as_str());
        let output = self
            .run(
                "list-panes",
                [
                    "-a",
                    "-f",
                    filter.as_str(),
                    "-F",
                    "#{n:session_name}:#{session_name}",
                ],
                Some(pane.as_str()),
            )
            .await?;
        parse_sized_lines("list-panes", &output.stdout)
    }

    /// Whether `pane` is in one of the windows of session `session`.
    pub async fn pane_in_session(
        &self,
        pane: impl AsRef<str>,
        session: impl AsRef<str>,
    ) -> Result<bool, TmuxError> {
        let session = session.as_ref();
        let pane = PaneId::parse(pane.as_ref())?;
        let target = session_scope(session)?;
        let output = self
            .run(
                "list-panes",
                ["-s", "-t", target.as_str(), "-F", "#{pane_id}"],
                Some(session),
            )
            .await?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .any(|line| line == pane.as_str()))
    }

    /// Removes the managed sessions (`tmux-mobile-client-*`) that no client
    /// is attached to: left behind by a crash. Returns their names. No
    /// server running removes nothing.
    pub async fn remove_stale_managed_sessions(&self) -> Result<Vec<String>, TmuxError> {
        let snapshot = self.snapshot().await?;
        let mut removed = Vec::new();
        for session in snapshot.sessions() {
            if !session.name.starts_with(MANAGED_SESSION_PREFIX) || session.is_attached() {
                continue;
            }
            // By id: exact, and immune to whatever the name contains.
            match self
                .run(
                    "kill-session",
                    ["-t", session.id.as_str()],
                    Some(&session.name),
                )
                .await
            {
                Ok(_) | Err(TmuxError::NotFound { .. }) => removed.push(session.name.clone()),
                Err(other) => return Err(other),
            }
        }
        Ok(removed)
    }

    /// Redraws every client attached to `session` (`refresh-client`), e.g.
    /// after a browser resumes and needs a full screen.
    pub async fn refresh_session_clients(&self, session: impl AsRef<str>) -> Result<(), TmuxError> {
        let session = session.as_ref();
        let target = session_target(session)?;
        let output = self
            .run(
                "list-clients",
                ["-t", target.as_str(), "-F", "#{client_name}"],
                Some(session),
            )
            .await?;
        for client in String::from_utf8_lossy(&output.stdout).lines() {
            let client = escape_argument(client);
            match self
                .run("refresh-client", ["-t", client.as_str()], None)
                .await
            {
                // The client may have gone in between.
                Ok(_) | Err(TmuxError::NotFound { .. }) => {}
                Err(TmuxError::Failed { ref stderr, .. })
                    if stderr.starts_with("can't find client") => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// The argv of a tmux client attached to `session`, for a PTY:
    /// `[binary, "-u", socket flags…, "attach-session", "-t", "=<session>"]`.
    /// Apply [`Tmux::env_changes`] to its environment too.
    pub fn attach_argv(&self, session: &str) -> Result<Vec<OsString>, TmuxError> {
        let target = session_target(session)?;
        let mut argv = vec![self.binary().as_os_str().to_owned(), OsString::from("-u")];
        argv.extend(self.base_args());
        argv.extend(["attach-session".into(), "-t".into(), target.into()]);
        Ok(argv)
    }
}

/// Parses `$id:<len>:<name>\n` from `new-session -P`.
fn parse_new_session(stdout: &[u8]) -> Result<(String, String), TmuxError> {
    let bad = || {
        TmuxError::parse(
            "new-session",
            format!("unexpected output {:?}", String::from_utf8_lossy(stdout)),
        )
    };
    let text = stdout.strip_suffix(b"\n").unwrap_or(stdout);
    let colon = text.iter().position(|&b| b == b':').ok_or_else(bad)?;
    let (id, rest) = (&text[..colon], &text[colon + 1..]);
    if id.first() != Some(&b'$') {
        return Err(bad());
    }
    let colon = rest.iter().position(|&b| b == b':').ok_or_else(bad)?;
    let len = crate::snapshot::parse_u32(&rest[..colon]).ok_or_else(bad)?;
    let name = &rest[colon + 1..];
    if usize::try_from(len).ok() != Some(name.len()) {
        return Err(bad());
    }
    Ok((
        String::from_utf8_lossy(id).into_owned(),
        String::from_utf8_lossy(name).into_owned(),
    ))
}

/// Parses lines of `<len>:<value>` (values may contain newlines).
fn parse_sized_lines(command: &'static str, mut bytes: &[u8]) -> Result<Vec<String>, TmuxError> {
    let mut values = Vec::new();
    while !bytes.is_empty() {
        let colon = bytes
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| TmuxError::parse(command, "missing length"))?;
        let len = crate::snapshot::parse_u32(&bytes[..colon])
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| TmuxError::parse(command, "bad length"))?;
        let start = colon + 1;
        let end = start
            .checked_add(len)
            .filter(|&end| bytes.get(end) == Some(&b'\n'))
            .ok_or_else(|| TmuxError::parse(command, "value does not have the announced length"))?;
        values.push(String::from_utf8_lossy(&bytes[start..end]).into_owned());
        bytes = &bytes[end + 1..];
    }
    Ok(values)
}

/// Whether `error` is tmux's answer to a command that needs a session on a
/// server that has none (it is exiting, or runs with `exit-empty off`): "no
/// current target". That is an empty snapshot, not a failure. (The snapshot
/// is a `list-sessions`, which prints nothing then; tmux versions that
/// answer it with this error are covered too.)
fn no_sessions(error: &TmuxError) -> bool {
    matches!(error, TmuxError::Failed { stderr, .. } if stderr.contains("no current target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_new_session_output() {
        assert_eq!(
            parse_new_session(b"$3:5:a:b c\n").unwrap(),
            ("$3".to_owned(), "a:b c".to_owned())
        );
        assert!(parse_new_session(b"$3:9:short\n").is_err());
        assert!(parse_new_session(b"3:1:a\n").is_err());
        assert!(parse_new_session(b"").is_err());
    }

    #[test]
    fn joined_capture_loses_trailing_spaces_only() {
        assert_eq!(joined_capture_text("a  b   \n  c \n\n\n"), "a  b\n  c");
        assert_eq!(joined_capture_text(""), "");
        assert_eq!(joined_capture_text("\n\nx"), "\n\nx");
    }

    #[test]
    fn parses_sized_lines() {
        assert_eq!(
            parse_sized_lines("x", b"1:a\n3:b\nc\n0:\n").unwrap(),
            ["a", "b\nc", ""]
        );
        assert!(parse_sized_lines("x", b"2:a\n").is_err());
    }

    #[test]
    fn attach_argv_is_exact() {
        let tmux = Tmux::new(crate::TmuxOptions {
            socket: crate::Socket::Name("s".into()),
            ..Default::default()
        });
        let argv = tmux.attach_argv("tmux-mobile-client-x").unwrap();
        let argv: Vec<_> = argv.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            argv,
            [
                "tmux",
                "-u",
                "-L",
                "s",
                "attach-session",
                "-t",
                "=tmux-mobile-client-x"
            ]
        );
        assert!(tmux.attach_argv("$1").is_err());
    }
}
