//! Supervising a command for `watch -- CMD` and `run -- CMD`: start the command, notice when it exits (and why), restart it with
//! `--restart`, and stop it when the watch ends.

use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leakscope_probe::proc::ProcReader;

use leakscope_probe::cgroup::Cgroup;
use leakscope_probe::proc as procfs;
use std::path::PathBuf;

use crate::event::Event;

/// How long a stopped command gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A supervised child process.
pub struct Supervisor {
    argv: Vec<String>,
    restart: bool,
    child: Option<Child>,
    oom: OomWatch,
    reader: ProcReader,
    restarts: u32,
    finished: bool,
}

impl Supervisor {
    /// Start `argv`; its stdout goes to our stderr so that our stdout stays the sample log.
    pub fn start(argv: &[String], restart: bool) -> std::io::Result<Self> {
        let child = spawn(argv)?;
        let oom = OomWatch::of_pid(child.id());
        Ok(Self {
            argv: argv.to_vec(),
            restart,
            child: Some(child),
            oom,
            reader: ProcReader::new(),
            restarts: 0,
            finished: false,
        })
    }

    /// The running child's pid.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
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
        events.push(Event::Exited {
            code: status.code(),
            signal: status.signal(),
            oom_killed: self.oom.moved(),
        });
        self.child = None;
        if self.restart {
            match spawn(&self.argv) {
                Ok(c) => {
                    self.restarts += 1;
                    self.oom = OomWatch::of_pid(c.id());
                    self.child = Some(c);
                    events.push(Event::Restarted {
                        count: self.restarts,
                    });
                }
                Err(e) => {
                    eprintln!(
                        "leakscope: cannot restart {}: {e}",
                        leakscope_core::redact::redact_command_line(&self.argv)
                    );
                    self.finished = true;
                }
            }
        } else {
            self.finished = true;
        }
        events
    }

    /// Stop the child: SIGTERM, then SIGKILL after a grace period.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        // SAFETY: kill(2) with a pid we own and a valid signal number has no memory effects.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn spawn(argv: &[String]) -> std::io::Result<Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"))?;
    // The child's stdout goes to our stderr: our stdout is the JSON-line sample log.
    let stdout = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::inherit());
    Command::new(program)
        .args(args)
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
        .spawn()
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
