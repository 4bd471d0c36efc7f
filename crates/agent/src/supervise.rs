//! Supervising a command (`watch -- CMD`, `run -- CMD`, `run --load-cmd`): start it in a
//! process group of its own, notice when it exits (and why), restart it when asked, and stop
//! the whole tree — TERM, then KILL after a grace period — so nothing it started outlives us.
//!
//! Every way out stops the tree: [`Supervisor::stop`], and `Drop` (errors, panics). If the
//! watcher itself is killed with SIGKILL, a guardian process it forked for the group (it
//! waits for the end of a pipe only the watcher holds) stops the group, TERM then KILL; the
//! command also gets SIGTERM from the kernel (`PR_SET_PDEATHSIG`).

use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use leakscope_probe::cgroup::{Cgroup, CgroupSample};
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
    guardian: Option<Guardian>,
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
        tracing::info!(pid = child.id(), command = %leakscope_core::redact::redact_command_line(argv), "started");
        let guardian = Guardian::start(child.id());
        Ok(Self {
            argv: argv.to_vec(),
            restart,
            output,
            child: Some(child),
            guardian,
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
        self.guardian = None;
        if self.restart {
            match self.respawn("restarted") {
                Ok(count) => events.push(Event::Restarted { count }),
                Err(e) => {
                    let shown = leakscope_core::redact::redact_command_line(&self.argv);
                    tracing::warn!("cannot restart {shown}: {e}");
                    eprintln!("leakscope: cannot restart {shown}: {e}");
                    self.finished = true;
                }
            }
        } else {
            self.finished = true;
        }
        events
    }

    /// The memory limit of the cgroup the command runs in, bytes, when it has one.
    pub fn limit_bytes(&self) -> Option<u64> {
        self.oom.limit_bytes()
    }

    /// The memory cgroup the command runs in, sampled now.
    pub fn cgroup(&mut self) -> Option<CgroupSample> {
        self.oom.sample()
    }

    /// Restart the command now, whether or not it restarts when it exits: stop its process
    /// group as [`Supervisor::stop`] does (TERM, then KILL after the grace period), start it
    /// again. Returns the restarts so far (this one counted). Its exit is ours, so it is not
    /// reported as an exit.
    pub fn restart_now(&mut self) -> std::io::Result<u32> {
        self.stop();
        self.respawn("restarted before it ran out of memory")
    }

    /// Start the command again (its last run is over): the restarts so far, this one counted.
    fn respawn(&mut self, why: &'static str) -> std::io::Result<u32> {
        let c = spawn(&self.argv, self.output)?;
        self.restarts += 1;
        self.finished = false;
        self.oom = OomWatch::of_pid(c.id());
        self.guardian = Guardian::start(c.id());
        tracing::info!(pid = c.id(), restarts = self.restarts, "{why}");
        self.child = Some(c);
        Ok(self.restarts)
    }

    /// Stop the command and everything in its process group: SIGTERM, then SIGKILL after the
    /// grace period. Descendants that left the group (daemonized) are signalled too.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        self.finished = true;
        stop_tree(&mut child, self.grace);
        self.guardian = None;
    }
}

/// A forked process that stops a process group when the watcher dies without doing it
/// (SIGKILL): it blocks reading a pipe whose write end only the watcher holds (close-on-exec,
/// so commands do not inherit it); end of file means the watcher is gone.
struct Guardian {
    pid: libc::pid_t,
    write_end: libc::c_int,
}

impl Guardian {
    /// Fork a guardian for group `pgid`; None (said in the trace) when it cannot be had.
    fn start(pgid: u32) -> Option<Guardian> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe2 writes two descriptors into the array we own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            tracing::warn!("no guardian for process group {pgid}: pipe failed");
            return None;
        }
        let (read_end, write_end) = (fds[0], fds[1]);
        let grace_s = STOP_GRACE.as_secs() as libc::c_uint;
        // SAFETY: between fork and _exit the child calls only async-signal-safe functions
        // (close, read, kill, sleep, _exit) on values computed before the fork.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            unsafe {
                // Hold nothing of the watcher's open (its stdout pipe, its database, ...).
                for fd in 0..1024 {
                    if fd != read_end {
                        libc::close(fd);
                    }
                }
                let mut b = 0u8;
                loop {
                    let n = libc::read(read_end, (&mut b as *mut u8).cast(), 1);
                    if n == 1 {
                        // The watcher stopped the group itself and says goodbye.
                        libc::_exit(0);
                    }
                    if n == 0 || *libc::__errno_location() != libc::EINTR {
                        break;
                    }
                }
                let group = -(pgid as libc::pid_t);
                if libc::kill(group, 0) == 0 {
                    libc::kill(group, libc::SIGTERM);
                    let mut left = grace_s * 10;
                    while left > 0 && libc::kill(group, 0) == 0 {
                        libc::usleep(100_000);
                        left -= 1;
                    }
                    libc::kill(group, libc::SIGKILL);
                }
                libc::_exit(0);
            }
        }
        // SAFETY: closing the read end we no longer need.
        unsafe { libc::close(read_end) };
        if pid < 0 {
            // SAFETY: as above.
            unsafe { libc::close(write_end) };
            tracing::warn!("no guardian for process group {pgid}: fork failed");
            return None;
        }
        Some(Guardian { pid, write_end })
    }
}

impl Drop for Guardian {
    fn drop(&mut self) {
        // SAFETY: one byte tells the guardian we stopped the group ourselves, so it exits at
        // once; waitpid reaps our own child.
        unsafe {
            let b = 1u8;
            libc::write(self.write_end, (&b as *const u8).cast(), 1);
            libc::close(self.write_end);
            let mut status = 0;
            libc::waitpid(self.pid, &mut status, 0);
        }
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
        if leader_done && group_members(pgid).is_empty() && tree.iter().all(|p| !alive(*p)) {
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

/// The live (not zombie) processes of group `pgid`, from /proc.
fn group_members(pgid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next();
        let pgrp = f.nth(1).and_then(|x| x.parse::<u32>().ok());
        if pgrp == Some(pgid) && state != Some("Z") {
            out.push(pid);
        }
    }
    out
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
        // A Node service gets an inspector port of its own (SIGUSR1 then opens it on a free
        // port): 9229 may be taken by another service or another soak.
        .env(
            "NODE_OPTIONS",
            leakscope_probe::node::node_options_with_own_inspector_port(
                std::env::var_os("NODE_OPTIONS").as_deref(),
            ),
        )
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
///
/// Reading `/proc/PID/cgroup` costs as much as the sample itself, so it is re-read at each of
/// the first [`OomWatch::DENSE`] calls of [`OomWatch::follow`] (a service typically moves
/// itself right after it starts) and at every [`OomWatch::EVERY`]th call after that.
pub struct OomWatch {
    path: Option<PathBuf>,
    cgroup: Option<Cgroup>,
    before: Option<u64>,
    limit: Option<u64>,
    calls: u64,
}

impl OomWatch {
    /// Watch the cgroup `pid` is in now.
    pub fn of_pid(pid: u32) -> Self {
        let mut w = Self {
            path: None,
            cgroup: None,
            before: None,
            limit: None,
            calls: 0,
        };
        w.follow(pid);
        w
    }

    /// Follows re-read at every call at first.
    pub const DENSE: u64 = 16;
    /// Then every this many calls.
    pub const EVERY: u64 = 16;

    /// Re-read (now and then, see above) which cgroup `pid` is in; when it moved, start
    /// counting there.
    pub fn follow(&mut self, pid: u32) {
        self.calls += 1;
        if self.calls > Self::DENSE && self.calls % Self::EVERY != 0 {
            return;
        }
        let path = procfs::cgroup_of_pid(pid);
        if path != self.path {
            self.cgroup = path.as_deref().and_then(|p| Cgroup::open(p).ok());
            self.path = path;
            let sample = self.cgroup.as_mut().and_then(|c| c.sample().ok());
            self.before = sample.as_ref().and_then(|s| s.oom_kill_count);
            self.limit = sample.and_then(|s| s.limit_bytes);
        }
    }

    fn count(&mut self) -> Option<u64> {
        self.sample()?.oom_kill_count
    }

    /// The cgroup followed, sampled now.
    pub fn sample(&mut self) -> Option<CgroupSample> {
        self.cgroup.as_mut()?.sample().ok()
    }

    /// The memory limit of the cgroup followed, bytes (read when it was last found).
    pub fn limit_bytes(&self) -> Option<u64> {
        self.limit
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
                if String::from_utf8_lossy(&c).starts_with(marker) && alive(pid) {
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
    fn the_guardian_stops_the_group_when_its_watcher_dies() {
        let marker = format!("leakscope-guard-test-{}", std::process::id());
        // A stand-in watcher: a child process that supervises a tree, then is SIGKILLed.
        // SAFETY: the child only runs Rust code that forks/execs and then sleeps; it is a
        // test process of our own.
        let watcher = unsafe { libc::fork() };
        if watcher == 0 {
            let argv = vec![
                "bash".to_string(),
                "-c".to_string(),
                format!(
                    "trap '' TERM; (exec -a {marker}-x sleep 300) & exec -a {marker}-y sleep 300"
                ),
            ];
            let sup = Supervisor::start_with(&argv, false, Output::Null);
            std::thread::sleep(Duration::from_secs(60));
            drop(sup);
            unsafe { libc::_exit(0) };
        }
        let end = Instant::now() + Duration::from_secs(5);
        while pids_with_marker(&marker).len() < 2 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(pids_with_marker(&marker).len(), 2, "the tree started");
        unsafe {
            libc::kill(watcher, libc::SIGKILL);
            let mut st = 0;
            libc::waitpid(watcher, &mut st, 0);
        }
        let end = Instant::now() + STOP_GRACE + Duration::from_secs(3);
        while !pids_with_marker(&marker).is_empty() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(50));
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
