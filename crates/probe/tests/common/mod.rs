//! Helpers shared by the integration tests: real child processes that allocate memory on
//! command, killed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// True if `python3` runs; tests that need it print why they skip otherwise.
pub fn have_python() -> bool {
    Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A python3 child that waits for a line on stdin, then allocates (and touches) `mib` MiB,
/// prints `ready`, and sleeps until killed. Start it, optionally move it into a cgroup,
/// then call [`Allocator::go`].
pub struct Allocator {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Allocator {
    pub fn start(mib: u64) -> Allocator {
        let script = format!(
            "import sys, time\n\
             sys.stdin.readline()\n\
             b = bytearray({mib} * 2**20)\n\
             for i in range(0, len(b), 4096): b[i] = 1\n\
             print('ready', flush=True)\n\
             time.sleep(600)\n"
        );
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn python3");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Allocator {
            child,
            stdin,
            stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Tells the child to allocate; returns true once it reports `ready`, false if it died
    /// first (e.g. OOM-killed).
    pub fn go(&mut self) -> bool {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(b"go\n");
            let _ = stdin.flush();
        }
        let mut line = String::new();
        matches!(self.stdout.read_line(&mut line), Ok(n) if n > 0 && line.trim() == "ready")
    }
}

impl Drop for Allocator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed and reaped when dropped.
pub struct Reaped(pub Child);

impl Reaped {
    pub fn spawn(cmd: &mut Command) -> Reaped {
        Reaped(cmd.spawn().expect("spawn"))
    }
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
