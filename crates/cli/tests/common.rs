//! Helpers shared by the end-to-end tests: the binary, temp dirs, real child processes.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
#![allow(dead_code)]

use std::borrow::BorrowMut;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `leakscope` binary built for these tests.
pub fn leakscope() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leakscope"));
    c.env_remove("LEAKSCOPE_DB");
    c
}

/// Run `cmd` (a `&mut Command` or a `Command`) to its end and read its stdout as JSON; panics
/// with the command, its exit status, stdout and stderr unless it exited with `code` and wrote
/// JSON.
#[track_caller]
pub fn run_json(mut cmd: impl BorrowMut<Command>, code: i32) -> serde_json::Value {
    let cmd = cmd.borrow_mut();
    let out = cmd.output().expect("the command runs");
    stdout_json(&format!("{cmd:?}"), &out, Some(code))
}

/// [`run_json`] for a command already run (a spawned child's output, or one that had to be
/// cleaned up after before anything is asserted).
#[track_caller]
pub fn expect_json(out: &Output, code: i32) -> serde_json::Value {
    stdout_json("the command", out, Some(code))
}

/// The stdout of a finished command as JSON, whatever its exit code (the caller checks it:
/// several may do); panics with its exit status, stdout and stderr when it is not JSON.
#[track_caller]
pub fn json_of(out: &Output) -> serde_json::Value {
    stdout_json("the command", out, None)
}

#[track_caller]
fn stdout_json(cmd: &str, out: &Output, code: Option<i32>) -> serde_json::Value {
    let ran = format!(
        "{cmd}\n{}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(code) = code {
        assert_eq!(out.status.code(), Some(code), "exit code of {ran}");
    }
    match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => panic!("stdout is not JSON ({e}): {ran}"),
    }
}

/// A python3 process that allocates `step_mb` MiB of touched memory every `every_s` seconds,
/// `steps` times, then sleeps; a real leak at a known rate.
pub fn python_grower(step_mb: u32, every_s: f64, steps: u32) -> Child {
    let code = format!(
        "import time\nheld=[]\nfor i in range({steps}):\n    held.append(bytearray({step_mb}*1024*1024))\n    time.sleep({every_s})\ntime.sleep(3600)\n"
    );
    Command::new("python3")
        .args(["-c", &code])
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 runs")
}

/// Wait until `f` holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// Write `text` to `dir/name` and return the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// A CSV of one series: `rows` samples every `step_s` seconds from `start` bytes, growing
/// by `growth_per_hour` bytes per hour, with a GC sawtooth of `saw` bytes.
pub fn csv_series(rows: usize, step_s: f64, start: f64, growth_per_hour: f64, saw: f64) -> String {
    let mut s = String::from("timestamp,rss_bytes\n");
    for i in 0..rows {
        let t = 1_700_000_000.0 + i as f64 * step_s;
        let v =
            start + growth_per_hour * (i as f64 * step_s / 3600.0) + saw * ((i % 10) as f64 / 10.0);
        s.push_str(&format!("{t},{v:.0}\n"));
    }
    s
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback port held closed: bound by a socket that never listens, so connections to it
/// are refused and nothing else can bind it (not even to port 0) while the socket is kept.
/// [`free_port`] gives a port that anything binding port 0 meanwhile may take.
pub fn closed_port() -> (std::os::fd::OwnedFd, u16) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket(2)/bind(2)/getsockname(2) on a descriptor we own; the address
    // structs are zeroed and sized as the calls expect.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket");
        let fd = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
        assert_eq!(
            libc::bind(raw, std::ptr::addr_of!(addr).cast(), len),
            0,
            "bind"
        );
        let mut got: libc::sockaddr_in = std::mem::zeroed();
        let mut got_len = len;
        assert_eq!(
            libc::getsockname(raw, std::ptr::addr_of_mut!(got).cast(), &mut got_len),
            0,
            "getsockname"
        );
        (fd, u16::from_be(got.sin_port))
    }
}

/// The stderr of a spawned `leakscope run` given `{port}` (stderr piped): the port it says
/// the service listens on, and all of its text at the end.
pub struct RunStderr {
    port: std::sync::mpsc::Receiver<u16>,
    all: std::thread::JoinHandle<String>,
}

impl RunStderr {
    /// Read `child`'s stderr from now on.
    pub fn of(child: &mut Child) -> RunStderr {
        use std::io::BufRead;
        let err = child.stderr.take().expect("stderr is piped");
        let (tx, port) = std::sync::mpsc::channel();
        let all = std::thread::spawn(move || {
            let mut all = String::new();
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if let Some(p) = port_after(&line, "leakscope: the service listens on 127.0.0.1:") {
                    let _ = tx.send(p);
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        RunStderr { port, all }
    }

    /// The port found, once said (within `timeout`).
    pub fn port(&self, timeout: Duration) -> Option<u16> {
        self.port.recv_timeout(timeout).ok()
    }

    /// Everything written, once the child has closed its stderr.
    pub fn text(self) -> String {
        self.all.join().unwrap_or_default()
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// How many samples of `field` the store at `db` holds, summed over targets (via `leakscope ls`).
pub fn stored_samples(db: &Path, field: &str) -> u64 {
    let ls = leakscope()
        .args(["ls", "--format", "json", "--db"])
        .arg(db)
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap_or_default();
    list.as_array()
        .map(|a| {
            a.iter()
                .filter(|s| s["field"] == field)
                .map(|s| s["samples"].as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

/// `leakscope watch --pid PID --interval 50ms -q --db DB`, its stdout as given.
pub fn spawn_watch(pid: u32, db: &Path, stdout: Stdio) -> Child {
    leakscope()
        .args([
            "watch",
            "--pid",
            &pid.to_string(),
            "--interval",
            "50ms",
            "-q",
            "--db",
        ])
        .arg(db)
        .stdout(stdout)
        .spawn()
        .unwrap()
}

/// A fresh memory cgroup limited to `limit` bytes (v2 when its memory controller is on, else
/// v1), and the name of the file a pid is written to to join it; Err (why) when this machine
/// does not let us make one. The caller removes it.
pub fn memory_cgroup(tag: &str, limit: u64) -> Result<(PathBuf, &'static str), String> {
    let name = format!("leakscope-{tag}-{}", std::process::id());
    let v2_root = PathBuf::from("/sys/fs/cgroup");
    let v2 = std::fs::read_to_string(v2_root.join("cgroup.subtree_control"))
        .map(|s| s.split_whitespace().any(|c| c == "memory"))
        .unwrap_or(false);
    let (dir, limit_file) = if v2 {
        (v2_root.join(&name), "memory.max")
    } else {
        (
            PathBuf::from("/sys/fs/cgroup/memory").join(&name),
            "memory.limit_in_bytes",
        )
    };
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if let Err(e) = std::fs::write(dir.join(limit_file), limit.to_string()) {
        let _ = std::fs::remove_dir(&dir);
        return Err(format!("cannot set {limit_file}: {e}"));
    }
    // v1: no swap to fall back on, so the limit bites.
    let _ = std::fs::write(dir.join("memory.swappiness"), "0");
    Ok((dir, "cgroup.procs"))
}

/// `python3 -m http.server` serving `dir` on a free loopback port, once it accepts
/// connections: the child (kill it when done) and its port.
pub fn serve_dir(dir: &Path) -> (Child, u16) {
    let port = free_port();
    let server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        }),
        "python3 -m http.server did not start on port {port}"
    );
    (server, port)
}

/// What a finished child did, and the most memory it held.
#[derive(Debug)]
pub struct Measured {
    /// Exit code (None when killed by a signal).
    pub code: Option<i32>,
    /// Its stdout.
    pub stdout: Vec<u8>,
    /// Its stderr.
    pub stderr: Vec<u8>,
    /// Peak resident set size (bytes), from the kernel's rusage of this one child.
    pub peak_rss_bytes: u64,
}

impl Measured {
    /// stderr as text.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs argv[1..] as a grandchild and reports its peak RSS. The kernel's figure for a direct
/// child is useless here: a child spawned with vfork + exec inherits the test process's own
/// high-water mark (rusage maxrss survives exec), so a small python forks it instead.
const MEASURE_PY: &str = "import os, resource, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status = os.waitpid(pid, 0)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write('\\nPEAK_RSS_KB=%d\\n' % peak)
sys.exit(os.waitstatus_to_exitcode(status) % 256)
";

/// Run `cmd` to its end with piped output and measure its peak RSS (see [`MEASURE_PY`]).
pub fn run_measured(cmd: &Command) -> Measured {
    let mut py = Command::new("python3");
    py.arg("-c")
        .arg(MEASURE_PY)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => py.env(k, v),
            None => py.env_remove(k),
        };
    }
    let out = py.stdin(Stdio::null()).output().expect("python3 runs");
    let mut stderr = out.stderr;
    let text = String::from_utf8_lossy(&stderr).into_owned();
    let at = text
        .rfind("\nPEAK_RSS_KB=")
        .expect("the measuring wrapper reports");
    let kb: u64 = text[at + 14..].trim().parse().expect("a number of KB");
    stderr.truncate(at);
    Measured {
        code: out.status.code(),
        stdout: out.stdout,
        stderr,
        peak_rss_bytes: kb * 1024,
    }
}

/// A webhook receiver on loopback that answers 200 to its first `max` requests and hands
/// each request's body to the returned channel; its URL first.
pub fn webhook_receiver(max: usize) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(max) {
            let Ok(mut c) = conn else { continue };
            c.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read headers, then Content-Length bytes of body.
            loop {
                let n = c.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some(h) = text.find("\r\n\r\n") {
                    let len = text[..h]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= h + 4 + len {
                        let _ =
                            tx.send(String::from_utf8_lossy(&buf[h + 4..h + 4 + len]).into_owned());
                        break;
                    }
                }
            }
            let _ =
                c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, rx)
}

/// `/user/<n>` with a new `n` each time, about `per_second` a second, until `stop`.
/// Keep-alive, reconnecting after a failure (a service restarting).
pub fn drive(
    port: u16,
    per_second: u64,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    use std::io::{BufRead, Read, Write};
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut conn: Option<std::io::BufReader<std::net::TcpStream>> = None;
        let mut done = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let due = Duration::from_secs_f64(done as f64 / per_second as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
            if conn.is_none() {
                conn = std::net::TcpStream::connect(("127.0.0.1", port))
                    .ok()
                    .map(std::io::BufReader::new);
            }
            let Some(c) = conn.as_mut() else {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            let req = format!("GET /user/{done} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            let mut ok = c.get_mut().write_all(req.as_bytes()).is_ok();
            let mut length = 0;
            let mut line = String::new();
            while ok {
                line.clear();
                ok = c.read_line(&mut line).unwrap_or(0) > 0;
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if ok && c.read_exact(&mut body).is_ok() {
                done += 1;
            } else {
                conn = None;
            }
        }
        done
    })
}

/// True when `program --version` runs; otherwise says on stderr that the test skips.
pub fn have(program: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: {program} is not installed");
    }
    ok
}

/// Each line `child` writes to its (piped) stderr, on a channel, as it comes.
pub fn stderr_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let err = child.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Spawn an example service told `--port 0` and wait (up to 20 s) for its "listening on
/// 127.0.0.1:PORT" line on stdout: the child and the port it really bound. A port picked
/// with [`free_port`] beforehand races with any socket bound to port 0 meanwhile (a Node
/// inspector opened by a test alongside took one, so the service died and the test drove load
/// at the inspector). The rest of stdout is drained so the service never blocks on it.
pub fn spawn_service(cmd: &mut Command) -> (Child, u16) {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(port) = port_after(&line, "listening on 127.0.0.1:") {
                let _ = tx.send(port);
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(port) => (child, port),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} printed no 'listening on 127.0.0.1:PORT' within 20 s");
        }
    }
}

/// The port that follows `prefix` in `line` ("listening on 127.0.0.1:" in "... listening on
/// 127.0.0.1:4312"), if any.
pub fn port_after(line: &str, prefix: &str) -> Option<u16> {
    line.split(prefix).nth(1)?.trim().parse().ok()
}

/// The port in the first "listening on 127.0.0.1:PORT" line among `lines` (the stderr of a
/// `watch -- SERVICE --port 0`, which passes the service's stdout there), within `timeout`;
/// the lines before it are dropped. For a service started through `watch`, as
/// [`spawn_service`] is for one the test starts itself.
pub fn listening_port(lines: &std::sync::mpsc::Receiver<String>, timeout: Duration) -> Option<u16> {
    let end = Instant::now() + timeout;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let line = lines.recv_timeout(left).ok()?;
        if let Some(port) = port_after(&line, "listening on 127.0.0.1:") {
            return Some(port);
        }
    }
    None
}

/// True once something accepts connections on 127.0.0.1:`port`, within `timeout`.
pub fn listening(port: u16, timeout: Duration) -> bool {
    wait_for(timeout, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
}

/// SIGTERM to `child` (a watcher stops what it supervises), and its exit.
pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
    // SAFETY: kill(2) on our own child with a valid signal.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    child.wait().unwrap()
}

/// What a fixed twin's watch may say: any diagnosis among its stderr lines `seen` names no
/// culprit, and it exited 0, or 1 after a growth alert (a seconds-long judged span can alert on
/// warm-up on a loaded machine; that is recognition's business, tested elsewhere). Returns
/// whether such an alert came.
pub fn assert_no_culprit_named(seen: &[String], code: Option<i32>) -> bool {
    let alerted = seen.iter().any(|l| l.contains("\"MemoryGrowthLeak\""));
    for l in seen.iter().filter(|l| l.contains("\"diagnosis\"")) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(
            v["diagnosis"]["suspects"].as_array().map(Vec::len),
            Some(0),
            "a culprit named in a fixed service: {l}"
        );
    }
    assert!(
        code == Some(0) || (alerted && code == Some(1)),
        "{code:?}\n{}",
        seen.join("\n")
    );
    alerted
}

/// The JSON lines of a watcher's `--log` so far (a line being written is skipped).
pub fn log_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Every line `child` writes to its (piped) stderr, kept as it comes; join the handle to have
/// all of them once the child has exited.
pub fn collect_stderr(
    child: &mut Child,
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    std::thread::JoinHandle<()>,
) {
    let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = stderr_lines(child);
    let reader = {
        let kept = std::sync::Arc::clone(&kept);
        std::thread::spawn(move || {
            for l in lines {
                kept.lock().unwrap().push(l);
            }
        })
    };
    (kept, reader)
}

/// The first `MemoryGrowthLeak` alert that carries a diagnosis among the JSON lines `lines`
/// brings within `timeout`, and every line seen (for the failure message).
pub fn first_diagnosed_alert(
    lines: &std::sync::mpsc::Receiver<String>,
    timeout: Duration,
) -> (Option<serde_json::Value>, Vec<String>) {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        seen.push(line.clone());
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if v["name"] == "MemoryGrowthLeak" && v.get("diagnosis").is_some() {
            return (Some(v), seen);
        }
    }
    (None, seen)
}

/// The resident set of process `pid`, bytes.
pub fn resident_bytes(pid: u32) -> Option<u64> {
    status_bytes(pid, "VmRSS")
}

/// The field `key` (a size in kB: `VmRSS`, `RssAnon`, `RssFile`...) of `/proc/PID/status`,
/// bytes.
pub fn status_bytes(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?;
    Some(
        kib.trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()?
            * 1024,
    )
}
