//! `watch -- CMD`: start the command, notice when it exits (and why), restart it with
//! `--restart`, and stop it when the watch ends.

use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leakscope_probe::proc::ProcReader;

use super::target::{Event, OomWatch};

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
                    eprintln!("leakscope: cannot restart {}: {e}", self.argv.join(" "));
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
        .stdin(Stdio::null())
        .stdout(stdout)
        .spawn()
}
