//! Supervising a command (`watch -- CMD`, `run -- CMD`, `run --load-cmd`): start it in a
//! process group of its own, notice when it exits (and why), restart it when asked, and stop
//! the whole tree — TERM, then KILL after a grace period — so nothing it started outlives us.
//!
//! Every way out stops the tree: [`Supervisor::stop`], and `Drop` (errors, panics). If the
//! watcher itself is killed with SIGKILL, the kernel sends the command SIGTERM
//! (`PR_SET_PDEATHSIG`), so it is not left running either.

use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use leakscope_probe::cgroup::Cgroup;
use leakscope_probe::proc::{self as procfs, ProcReader};
use std::path::PathBuf;

use crate::event::Event;

/// How long a stopped command gets between SIGTERM and SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Where a supervised command's stdout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// To our stderr: our stdout is the JSON-line sample log.
    Stderr,
    /// Discarded (a load command's chatter).
    Null,
}

/// A supervised child process and the process group it leads.
pub struct Supervisor {
    argv: Vec<String>,
    restart: bool,
    output: Output,
    child: Option<Child>,
    oom: OomWatch,
    reader: ProcReader,
    restarts: u32,
    finished: bool,
    grace: Duration,
}

impl Supervisor {
    /// Start `argv` in a new process group; its stdout goes to our stderr so that our stdout
    /// stays the sample log.
    pub fn start(argv: &[String], restart: bool) -> std::io::Result<Self> {
        Self::start_with(argv, restart, Output::Stderr)
    }

    /// Start `argv` in a new process group, its stdout going to `output`.
    pub fn start_with(argv: &[String], restart: bool, output: Output) -> std::io::Result<Self> {
        let child = spawn(argv, output)?;
        let oom = OomWatch::of_pid(child.id());
        tracing::info!(pid = child.id(), command = %argv.join(" "), "started");
        Ok(Self {
            argv: argv.to_vec(),
            restart,
            output,
            child: Some(child),
            oom,
            reader: ProcReader::new(),
            restarts: 0,
            finished: false,
            grace: STOP_GRACE,
        })
    }

    /// Change the grace period between SIGTERM and SIGKILL when stopping.
    pub fn set_grace(&mut self, grace: Duration) {
        self.grace = grace;
    }

    /// The running child's pid (also its process group id).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The command line, as given.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The reader used to sample the child (kept to reuse its buffers).
    pub fn reader(&mut self) -> &mut ProcReader {
        &mut self.reader
    }

    /// True once the command exited and will not be restarted.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Check whether the child exited; restart it when asked to.
    pub fn poll(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        let Some(child) = self.child.as_mut() else {
            return events;
        };
        let status = match child.try_wait() {
            Ok(Some(status)) => status,
            Ok(None) => {
                self.oom.follow(child.id());
                return events;
            }
            Err(_) => return events,
        };
        // The leader is gone; what it started in its group is stopped with it.
        let pgid = child.id();
        kill_group_now(pgid);
        events.push(exit_event(status, self.oom.moved()));
        self.child = None;
        if self.restart {
            match spawn(&self.argv, self.output) {
                Ok(c) => {
                    self.restarts += 1;
                    self.oom = OomWatch::of_pid(c.id());
                    tracing::info!(pid = c.id(), restarts = self.restarts, "restarted");
                    self.child = Some(c);
                    events.push(Event::Restarted {
                        count: self.restarts,
                    });
                }
                Err(e) => {
                    tracing::warn!("cannot restart {}: {e}", self.argv.join(" "));
                    eprintln!("leakscope: cannot restart {}: {e}", self.argv.join(" "));
                    self.finished = true;
                }
            }
        } else {
            self.finished = true;
        }
        events
    }

    /// Stop the command and everything in its process group: SIGTERM, then SIGKILL after the
    /// grace period. Descendants that left the group (daemonized) are signalled too.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        self.finished = true;
        stop_tree(&mut child, self.grace);
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop();
    }
}

fn exit_event(status: ExitStatus, oom_killed: bool) -> Event {
    Event::Exited {
        code: status.code(),
        signal: status.signal(),
        oom_killed,
    }
}

/// Stop `child`, the leader of its own process group, with everything it started: TERM to
/// the group and to every descendant, wait up to `grace`, then KILL what is left.
pub fn stop_tree(child: &mut Child, grace: Duration) {
    let pgid = child.id();
    let started = Instant::now();
    let mut tree = procfs::descendants(pgid);
    signal_all(pgid, &tree, libc::SIGTERM);
    let deadline = started + grace;
    let mut leader_done = false;
    while Instant::now() < deadline {
        if !leader_done {
            leader_done = matches!(child.try_wait(), Ok(Some(_)));
        }
        if leader_done && !group_alive(pgid) && tree.iter().all(|p| !alive(*p)) {
            tracing::debug!(
                pgid,
                took_ms = started.elapsed().as_millis() as u64,
                "stopped"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Whatever is left ignored SIGTERM. Children started meanwhile are caught here too.
    tree.extend(procfs::descendants(pgid));
    signal_all(pgid, &tree, libc::SIGKILL);
    let _ = child.kill();
    let _ = child.wait();
    tracing::info!(pgid, "killed after {} s of grace", grace.as_secs_f64());
}

/// After the leader exited: kill what is left of its group at once (it was only there
/// because of the leader).
fn kill_group_now(pgid: u32) {
    if group_alive(pgid) {
        // SAFETY: kill(2) with a negative pid signals our own child's process group.
        unsafe {
            libc::kill(-(pgid as libc::pid_t), libc::SIGTERM);
        }
    }
}

fn signal_all(pgid: u32, tree: &[u32], sig: libc::c_int) {
    // SAFETY: kill(2) has no memory effects; the group is the one our child leads, and the
    // pids are its descendants read from /proc just now.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), sig);
        for &p in tree {
            libc::kill(p as libc::pid_t, sig);
        }
    }
}

/// True while any process is in group `pgid` (zombies included until reaped).
fn group_alive(pgid: u32) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    unsafe { libc::kill(-(pgid as libc::pid_t), 0) == 0 }
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie is dead for our purpose: it holds no memory and runs nothing.
        Ok(s) => !s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn spawn(argv: &[String], output: Output) -> std::io::Result<Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"))?;
    let stdout = match output {
        // The child's stdout goes to our stderr: our stdout is the JSON-line sample log.
        Output::Stderr => std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::inherit()),
        Output::Null => Stdio::null(),
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .process_group(0);
    // SAFETY: the closure runs between fork and exec and only calls prctl(2), which is
    // async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            // If we die without stopping it (SIGKILL), the kernel stops it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn()
}

/// The OOM-kill counter of a process's memory cgroup, followed while the process lives (it
/// may move into another cgroup after it starts) and compared once it is gone.
pub struct OomWatch {
    path: Option<PathBuf>,
    cgroup: Option<Cgroup>,
    before: Option<u64>,
}

impl OomWatch {
    /// Watch the cgroup `pid` is in now.
    pub fn of_pid(pid: u32) -> Self {
        let mut w = Self {
            path: None,
            cgroup: None,
            before: None,
        };
        w.follow(pid);
        w
    }

    /// Re-read which cgroup `pid` is in; when it moved, start counting there.
    pub fn follow(&mut self, pid: u32) {
        let path = procfs::cgroup_of_pid(pid);
        if path != self.path {
            self.cgroup = path.as_deref().and_then(|p| Cgroup::open(p).ok());
            self.path = path;
            self.before = self.count();
        }
    }

    fn count(&mut self) -> Option<u64> {
        self.cgroup.as_mut()?.sample().ok()?.oom_kill_count
    }

    /// True when the counter moved since it was last read.
    pub fn moved(&mut self) -> bool {
        let now = self.count();
        let moved = matches!((self.before, now), (Some(a), Some(b)) if b > a);
        if now.is_some() {
            self.before = now;
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pids_with_marker(marker: &str) -> Vec<u32> {
        let mut found = Vec::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return found;
        };
        for e in dir.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if let Ok(c) = std::fs::read(format!("/proc/{pid}/cmdline")) {
                if String::from_utf8_lossy(&c).contains(marker) && alive(pid) {
                    found.push(pid);
                }
            }
        }
        found
    }

    #[test]
    fn stop_ends_the_whole_tree_even_children_that_ignore_term() {
        let marker = format!("leakscope-stop-test-{}", std::process::id());
        // A shell with two children: one ignores SIGTERM, one has left the group (setsid).
        let script = format!(
            "trap '' TERM; bash -c 'trap \"\" TERM; exec -a {marker}-a sleep 300' & setsid bash -c 'exec -a {marker}-b sleep 300' & wait"
        );
        let argv = vec!["bash".to_string(), "-c".to_string(), script];
        let mut sup = Supervisor::start_with(&argv, false, Output::Null).expect("sh runs");
        sup.set_grace(Duration::from_millis(500));
        let end = Instant::now() + Duration::from_secs(5);
        while pids_with_marker(&marker).len() < 2 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(pids_with_marker(&marker).len(), 2, "both children started");
        let t = Instant::now();
        sup.stop();
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        let end = Instant::now() + Duration::from_secs(2);
        while !pids_with_marker(&marker).is_empty() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(pids_with_marker(&marker), Vec::<u32>::new(), "nothing left");
    }

    #[test]
    fn dropping_the_supervisor_stops_the_command() {
        let marker = format!("leakscope-drop-test-{}", std::process::id());
        let argv = vec![
            "bash".to_string(),
            "-c".to_string(),
            format!("exec -a {marker} sleep 300"),
        ];
        let sup = Supervisor::start_with(&argv, false, Output::Null).expect("sh runs");
        let end = Instant::now() + Duration::from_secs(5);
        while pids_with_marker(&marker).is_empty() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(sup);
        assert!(pids_with_marker(&marker).is_empty());
    }
}
