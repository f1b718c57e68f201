//! The process tree under a pid, read from `/proc`, so tests can prove that
//! `tmux-mobile` leaves no child behind (PTY clients, tmux control clients,
//! cloudflared). A process is identified by pid *and* start time, so a
//! recycled pid is never mistaken for a survivor.

use std::collections::HashMap;

/// One process, as seen in `/proc/<pid>/stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Start time in clock ticks since boot (field 22 of `stat`).
    pub start_time: u64,
    /// State letter (`R`, `S`, `Z`, ...).
    pub state: char,
    /// Command name (`comm`).
    pub comm: String,
}

/// Reads `/proc/<pid>/stat`; `None` when the process does not exist.
pub fn read_process(pid: u32) -> Option<ProcessInfo> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Parses the text of a `/proc/<pid>/stat` file.
pub fn parse_stat(stat: &str) -> Option<ProcessInfo> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let pid = stat[..open].trim().parse().ok()?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // After the command: state(3) ppid(4) ... starttime(22).
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let start_time = fields.get(19)?.parse().ok()?;
    Some(ProcessInfo {
        pid,
        ppid,
        start_time,
        state,
        comm,
    })
}

/// Every live process.
pub fn all_processes() -> Vec<ProcessInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_process)
        .collect()
}

/// Every descendant of `root` (children, their children, ...).
pub fn descendants(root: u32) -> Vec<ProcessInfo> {
    let all = all_processes();
    let mut children: HashMap<u32, Vec<&ProcessInfo>> = HashMap::new();
    for p in &all {
        children.entry(p.ppid).or_default().push(p);
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        for child in children.get(&pid).into_iter().flatten() {
            stack.push(child.pid);
            out.push((*child).clone());
        }
    }
    out
}

/// Whether this very process (same pid and start time) still runs; a zombie
/// counts as gone.
pub fn is_alive(p: &ProcessInfo) -> bool {
    read_process(p.pid).is_some_and(|now| now.start_time == p.start_time && now.state != 'Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_names() {
        let stat = "4242 (tmux: client) S 17 4242 17 34816 4242 4194560 104 0 0 0 0 0 0 0 20 0 1 0 987654 9 0";
        let p = parse_stat(stat).unwrap();
        assert_eq!(p.pid, 4242);
        assert_eq!(p.ppid, 17);
        assert_eq!(p.state, 'S');
        assert_eq!(p.comm, "tmux: client");
        assert_eq!(p.start_time, 987_654);
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn sees_own_children() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let found = descendants(std::process::id());
        let me = found.iter().find(|p| p.pid == child.id()).cloned();
        child.kill().unwrap();
        child.wait().unwrap();
        let me = me.expect("child listed");
        assert_eq!(me.comm, "sleep");
        assert!(!is_alive(&me));
    }
}
