//! Real engines for tests (feature `testkit`): Debian's `prometheus` loaded with a backfilled
//! fixture and `prometheus-alertmanager`, each started on loopback with its pid recorded and
//! stopped (SIGTERM, then waited for) when dropped.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leakscope_core::Point;

use crate::labels::{self, Labels};

/// A fixed end for fixtures, 2 h aligned and long past (blocks are loaded whatever their age
/// because the servers run with a long retention).
pub const FIXTURE_END: i64 = 1_699_999_200;

/// True when `prog` is on PATH.
pub fn have(prog: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {prog}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A free loopback port (bound, then released).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Series as OpenMetrics text (`# TYPE name gauge`, samples with times in seconds, `# EOF`),
/// what `promtool tsdb create-blocks-from openmetrics` reads. Series are grouped by metric.
pub fn openmetrics(series: &[(Labels, Vec<Point>)]) -> String {
    let mut by_name: std::collections::BTreeMap<String, Vec<&(Labels, Vec<Point>)>> =
        Default::default();
    for s in series {
        by_name
            .entry(s.0.get(labels::NAME).cloned().unwrap_or_default())
            .or_default()
            .push(s);
    }
    let mut out = String::new();
    for (name, list) in by_name {
        out.push_str(&format!("# TYPE {name} gauge\n"));
        for (l, points) in list {
            let sel = labels::selector(l);
            for p in points {
                out.push_str(&format!("{sel} {} {}\n", p.v, p.t));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A running process that is stopped when dropped.
#[derive(Debug)]
struct Running {
    child: Child,
}

impl Running {
    /// Starts `cmd`; the kernel stops it (SIGTERM) if the thread that started it ends
    /// without dropping it, as when a test process is killed: no server outlives its test.
    fn spawn(cmd: &mut Command) -> std::io::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: the closure runs between fork and exec and only calls prctl(2), which is
        // async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        Ok(Self {
            child: cmd.spawn()?,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // SIGTERM to the pid we started, then reap it.
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on the pid of our own child, not reaped yet (so not reused).
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Prometheus server on loopback with a backfilled fixture.
#[derive(Debug)]
pub struct PromServer {
    proc: Running,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    dir: tempfile::TempDir,
}

impl PromServer {
    /// Backfills `series` with promtool into a fresh data dir and starts Prometheus on it.
    pub fn start(series: &[(Labels, Vec<Point>)]) -> Result<Self, String> {
        Self::start_with(series, &[])
    }

    /// Like [`PromServer::start`], with extra command-line flags.
    pub fn start_with(series: &[(Labels, Vec<Point>)], flags: &[&str]) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let om = dir.path().join("fixture.om");
        std::fs::write(&om, openmetrics(series)).map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        if series.is_empty() {
            return Self::serve(dir, data, flags);
        }
        let out = Command::new("promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics", "-q"])
            .arg(&om)
            .arg(&data)
            .output()
            .map_err(|e| format!("promtool: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "promtool failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Self::serve(dir, data, flags)
    }

    fn serve(dir: tempfile::TempDir, data: PathBuf, flags: &[&str]) -> Result<Self, String> {
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(&cfg, "global:\n  scrape_interval: 15s\n").map_err(|e| e.to_string())?;
        let port = free_port().map_err(|e| e.to_string())?;
        let log =
            std::fs::File::create(dir.path().join("prometheus.log")).map_err(|e| e.to_string())?;
        let mut cmd = Command::new("prometheus");
        cmd.arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--storage.tsdb.retention.time=36500d")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(flags)
            .stdout(Stdio::null())
            .stderr(log);
        let proc = Running::spawn(&mut cmd).map_err(|e| format!("prometheus: {e}"))?;
        let url = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{url}/-/ready"), Duration::from_secs(30))?;
        Ok(Self { proc, url, dir })
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// The temporary directory holding data, config and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// An Alertmanager on loopback with the given configuration YAML.
#[derive(Debug)]
pub struct AlertmanagerServer {
    proc: Running,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl AlertmanagerServer {
    /// Starts `prometheus-alertmanager` with `config` (YAML), no cluster port.
    pub fn start(config: &str) -> Result<Self, String> {
        Self::start_on(config, free_port().map_err(|e| e.to_string())?)
    }

    /// Like [`AlertmanagerServer::start`], on loopback port `port` (one a client was told
    /// about before the server came up).
    pub fn start_on(config: &str, port: u16) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let cfg = dir.path().join("am.yml");
        std::fs::File::create(&cfg)
            .and_then(|mut f| f.write_all(config.as_bytes()))
            .map_err(|e| e.to_string())?;
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new("prometheus-alertmanager");
        cmd.arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--web.external-url={url}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let proc = Running::spawn(&mut cmd).map_err(|e| format!("prometheus-alertmanager: {e}"))?;
        wait_ready(&format!("{url}/-/ready"), Duration::from_secs(30))?;
        Ok(Self {
            proc,
            url,
            _dir: dir,
        })
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }
}

fn wait_ready(url: &str, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        if leakscope_probe::http::get(url, Duration::from_secs(1), 4096).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{url} not ready within {} s", within.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A webhook receiver on loopback: every POST body it gets, as JSON, in order.
#[derive(Debug)]
pub struct WebhookSink {
    /// `http://127.0.0.1:PORT/hook`.
    pub url: String,
    rx: std::sync::mpsc::Receiver<serde_json::Value>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WebhookSink {
    /// Listens on a free loopback port.
    pub fn start() -> std::io::Result<Self> {
        use std::io::Read as _;
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut c, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let _ = c.set_nonblocking(false);
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let body = loop {
                    let Ok(n) = c.read(&mut chunk) else {
                        break None;
                    };
                    if n == 0 {
                        break None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(h) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..h]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= h + 4 + len {
                        break Some(buf[h + 4..h + 4 + len].to_vec());
                    }
                };
                let _ = c.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                if let Some(v) = body.and_then(|b| serde_json::from_slice(&b).ok()) {
                    let _ = tx.send(v);
                }
            }
        });
        Ok(Self {
            url,
            rx,
            stop,
            thread: Some(thread),
        })
    }

    /// The next body received within `within`.
    pub fn next(&self, within: Duration) -> Option<serde_json::Value> {
        self.rx.recv_timeout(within).ok()
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
