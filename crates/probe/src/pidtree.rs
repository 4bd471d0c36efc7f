//! Process relations: the descendants of a process (so `watch -- CMD` also watches what CMD
//! starts) and the memory cgroup a process belongs to.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use crate::fsutil::parse_u64;
use crate::proc::parse_stat;

/// Where cgroup hierarchies are mounted on systemd-style systems.
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// All descendants of `pid` (children, grandchildren, …), breadth-first, without `pid`
/// itself. Reads `/proc/PID/task/*/children` (needs `CONFIG_PROC_CHILDREN`, on in common
/// kernels) and falls back to one scan of every `/proc/*/stat` ppid when that file is
/// missing. Processes that exit during the walk are skipped; an unknown pid gives `[]`.
pub fn descendants(pid: u32) -> Vec<u32> {
    if !Path::new("/proc/thread-self/children").exists() {
        return descendants_by_scan(pid);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::from([pid]);
    let mut queue = VecDeque::from([pid]);
    while let Some(parent) = queue.pop_front() {
        for child in children_from_task_files(parent) {
            if seen.insert(child) {
                out.push(child);
                queue.push_back(child);
            }
        }
    }
    out
}

/// Children of `pid` from `/proc/PID/task/*/children` (each thread lists the children it
/// forked). Empty when the process is gone.
fn children_from_task_files(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return children;
    };
    for task in tasks.flatten() {
        if let Ok(text) = fs::read(task.path().join("children")) {
            children.extend(
                text.split(|c| c.is_ascii_whitespace())
                    .filter_map(parse_u64)
                    .filter_map(|v| u32::try_from(v).ok()),
            );
        }
    }
    children
}

/// Descendants of `pid` by reading the ppid of every process in `/proc`.
pub(crate) fn descendants_by_scan(pid: u32) -> Vec<u32> {
    let mut by_parent: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(child) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(text) = fs::read(entry.path().join("stat")) else {
                continue;
            };
            if let Ok(stat) = parse_stat(&text) {
                by_parent.entry(stat.ppid).or_default().push(child);
            }
        }
    }
    let mut out = Vec::new();
    let mut seen = HashSet::from([pid]);
    let mut queue = VecDeque::from([pid]);
    while let Some(parent) = queue.pop_front() {
        for &child in by_parent.get(&parent).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.insert(child) {
                out.push(child);
                queue.push_back(child);
            }
        }
    }
    out
}

/// The memory cgroup directory of `pid`, from `/proc/PID/cgroup`: a v1 line
/// `N:…memory…:/path` resolves under `/sys/fs/cgroup/memory`, the v2 line `0::/path` under
/// `/sys/fs/cgroup` (or `/sys/fs/cgroup/unified` on hybrid systems). Only a directory that
/// really has memory accounting files is returned; `None` when the process is gone, sits in
/// the v2 root cgroup (which has no `memory.current`), or no memory controller is mounted.
pub fn cgroup_of_pid(pid: u32) -> Option<PathBuf> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    cgroup_from_text(&text, Path::new(CGROUP_ROOT))
}

/// The resolution behind [`cgroup_of_pid`], with the text of `/proc/PID/cgroup` and the
/// cgroup mount root given (tests point it at a fixture tree).
pub fn cgroup_from_text(text: &str, root: &Path) -> Option<PathBuf> {
    let mut v2_path = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let rel = path.trim().trim_start_matches('/');
        if controllers.split(',').any(|c| c == "memory") {
            let dir = root.join("memory").join(rel);
            if dir.join("memory.usage_in_bytes").exists() {
                return Some(dir);
            }
        } else if controllers.is_empty() {
            v2_path = Some(rel.to_string());
        }
    }
    let rel = v2_path?;
    [root.to_path_buf(), root.join("unified")]
        .into_iter()
        .map(|base| base.join(&rel))
        .find(|dir| dir.join("memory.current").exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_children_and_ppid_scan_agree() {
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("sleep 600 & sleep 600 & wait")
            .spawn()
            .expect("spawn sh");
        let pid = child.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut fast = descendants(pid);
        while fast.len() < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
            fast = descendants(pid);
        }
        let mut scanned = descendants_by_scan(pid);
        fast.sort_unstable();
        scanned.sort_unstable();
        for &p in &fast {
            // SAFETY: kill(2) with a pid we just listed as our own grandchild.
            unsafe { libc::kill(p as i32, libc::SIGTERM) };
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(fast.len(), 2, "{fast:?}");
        assert_eq!(fast, scanned);
    }

    #[test]
    fn v1_memory_line_wins_on_hybrid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cg = dir.path().join("memory/app/x");
        fs::create_dir_all(&cg).expect("mkdir");
        fs::write(cg.join("memory.usage_in_bytes"), "1\n").expect("write");
        let text = "9:name=systemd:/\n4:memory:/app/x\n0::/\n";
        assert_eq!(cgroup_from_text(text, dir.path()), Some(cg));
    }

    #[test]
    fn v2_line_resolves_under_root_or_unified() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cg = dir.path().join("unified/system.slice/foo.service");
        fs::create_dir_all(&cg).expect("mkdir");
        fs::write(cg.join("memory.current"), "1\n").expect("write");
        let text = "1:cpu:/\n0::/system.slice/foo.service\n";
        assert_eq!(cgroup_from_text(text, dir.path()), Some(cg));
        // v2 root cgroup: no memory.current there.
        assert_eq!(cgroup_from_text("0::/\n", dir.path()), None);
        assert_eq!(cgroup_from_text("garbage", dir.path()), None);
    }
}
