//! The Node.js inspector client: open the inspector of a running Node process with no code
//! change (SIGUSR1), then speak the Chrome DevTools Protocol over a plain WebSocket on the
//! loopback interface: heap snapshots streamed to disk, forced GCs, heap usage.
//!
//! ```no_run
//! use leakscope_probe::inspector::{open_inspector, Inspector};
//! # fn main() -> Result<(), leakscope_probe::inspector::InspectorError> {
//! let url = open_inspector(1234, std::time::Duration::from_secs(5))?;
//! let mut insp = Inspector::connect(&url.ws_url)?;
//! insp.collect_garbage()?;
//! let mut out = std::fs::File::create("app.heapsnapshot").map_err(|e| {
//!     leakscope_probe::inspector::InspectorError::Io(e)
//! })?;
//! insp.take_heap_snapshot(&mut out, |done, total| eprintln!("{done}/{total}"))?;
//! insp.close(url.opened_by_us)?;
//! # Ok(()) }
//! ```
//!
//! Safety rules: only loopback addresses are contacted; SIGUSR1 is sent only to a process
//! that has a SIGUSR1 handler installed (`SigCgt` in `/proc/PID/status`), because for any
//! other process the signal's default action is to terminate it; an inspector that
//! leakscope opened is closed again (`process._debugEnd()`) when the session ends.

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

/// Why talking to a Node inspector failed.
#[derive(Debug, thiserror::Error)]
pub enum InspectorError {
    /// There is no process with this pid (or it cannot be seen).
    #[error("process {pid} does not exist (or is not visible to this user)")]
    NoProcess {
        /// The pid.
        pid: u32,
    },
    /// The process has no SIGUSR1 handler, so the inspector cannot be opened by signal.
    #[error("process {pid} cannot open its inspector on SIGUSR1: it has no SIGUSR1 handler ({why}); sending the signal would terminate it, so leakscope did not. Start it with --inspect=127.0.0.1:9229 (or NODE_OPTIONS=--inspect) and pass --inspect-url, or use --heapsnapshot-signal=SIGUSR2")]
    NoSigusr1 {
        /// The pid.
        pid: u32,
        /// The likely reason.
        why: String,
    },
    /// The signal could not be sent.
    #[error("cannot send SIGUSR1 to process {pid}: {source}")]
    Signal {
        /// The pid.
        pid: u32,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// SIGUSR1 was sent but no inspector answered in time.
    #[error("process {pid} got SIGUSR1 but no inspector answered on 127.0.0.1 within {} ms (tried ports {ports}); it may have a SIGUSR1 listener of its own, or its inspector port is taken. Start it with --inspect=127.0.0.1:PORT and pass --inspect-url http://127.0.0.1:PORT", waited.as_millis())]
    NotListening {
        /// The pid.
        pid: u32,
        /// How long leakscope waited.
        waited: Duration,
        /// The ports tried.
        ports: String,
    },
    /// The URL is not on the loopback interface (leakscope only talks to local inspectors).
    #[error("{0}: leakscope only connects to inspectors on the loopback interface (127.0.0.1, localhost, [::1])")]
    NotLoopback(String),
    /// An HTTP request to the inspector's `/json/list` failed.
    #[error("inspector HTTP endpoint {url}: {detail}")]
    Http {
        /// The URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The WebSocket connection failed.
    #[error("inspector WebSocket {url}: {detail}")]
    WebSocket {
        /// The URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The inspector answered with an error or something unexpected.
    #[error("inspector protocol: {0}")]
    Protocol(String),
    /// Writing the snapshot failed.
    #[error("cannot write the snapshot: {0}")]
    Io(#[from] std::io::Error),
}

/// Where an inspector listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectorUrl {
    /// The HTTP base, e.g. `http://127.0.0.1:9229`.
    pub http_base: String,
    /// The target's WebSocket URL, e.g. `ws://127.0.0.1:9229/<uuid>`.
    pub ws_url: String,
    /// True when leakscope opened the inspector (so it should close it afterwards).
    pub opened_by_us: bool,
}

/// V8 heap usage as `Runtime.getHeapUsage` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapUsage {
    /// Bytes used by JS objects.
    pub used_bytes: u64,
    /// Bytes the V8 heap has reserved.
    pub total_bytes: u64,
}

/// True for loopback hosts.
fn is_loopback_host(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1") || host.starts_with("127.")
}

/// Split `scheme://host:port/rest` into (host, port, rest).
fn split_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.split_once("://")?.1;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rfind(':') {
        Some(i) if !hostport[i..].contains(']') => {
            (&hostport[..i], hostport[i + 1..].parse().ok()?)
        }
        _ => (hostport, 80),
    };
    Some((host.to_string(), port, path.to_string()))
}

/// Fetch `/json/list` from `http_base` and return the first target's WebSocket URL.
pub fn websocket_url(http_base: &str) -> Result<String, InspectorError> {
    let base = http_base.trim_end_matches('/');
    let url = format!("{base}/json/list");
    let (host, _, _) = split_url(&url).ok_or_else(|| InspectorError::Http {
        url: url.clone(),
        detail: "not an http://host:port URL".into(),
    })?;
    if !is_loopback_host(&host) {
        return Err(InspectorError::NotLoopback(http_base.to_string()));
    }
    let body = crate::http::get(&url, Duration::from_secs(2), 1 << 20).map_err(|e| {
        InspectorError::Http {
            url: url.clone(),
            detail: e.to_string(),
        }
    })?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| InspectorError::Http {
        url: url.clone(),
        detail: format!("the answer is not JSON: {e}"),
    })?;
    v.as_array()
        .and_then(|a| {
            a.iter()
                .find_map(|t| t.get("webSocketDebuggerUrl").and_then(Value::as_str))
        })
        .map(str::to_string)
        .ok_or_else(|| InspectorError::Http {
            url,
            detail: "no target with a webSocketDebuggerUrl".into(),
        })
}

/// Resolve what the user gave as `--inspect-url`: a `ws://` URL is used as is, an
/// `http://host:port` base is asked for its `/json/list`.
pub fn resolve_inspect_url(given: &str) -> Result<InspectorUrl, InspectorError> {
    let (host, port, _) =
        split_url(given).ok_or_else(|| InspectorError::NotLoopback(given.to_string()))?;
    if !is_loopback_host(&host) {
        return Err(InspectorError::NotLoopback(given.to_string()));
    }
    if given.starts_with("ws://") {
        return Ok(InspectorUrl {
            http_base: format!("http://{host}:{port}"),
            ws_url: given.to_string(),
            opened_by_us: false,
        });
    }
    let base = format!("http://{host}:{port}");
    let ws_url = websocket_url(&base)?;
    Ok(InspectorUrl {
        http_base: base,
        ws_url,
        opened_by_us: false,
    })
}

/// True when the process has a SIGUSR1 handler (`SigCgt` bit 10 in `/proc/PID/status`).
pub fn handles_sigusr1(pid: u32) -> Result<bool, InspectorError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|_| InspectorError::NoProcess { pid })?;
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or(0);
    Ok(mask & (1 << (libc::SIGUSR1 - 1)) != 0)
}

/// TCP ports on which `pid` listens on 127.0.0.1 (IPv4) or ::1, from `/proc/PID/fd` and
/// `/proc/net/tcp{,6}`.
pub fn loopback_listen_ports(pid: u32) -> Vec<u16> {
    let mut inodes = std::collections::HashSet::new();
    if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in rd.flatten() {
            if let Ok(t) = std::fs::read_link(e.path()) {
                let t = t.to_string_lossy();
                if let Some(i) = t.strip_prefix("socket:[").and_then(|x| x.strip_suffix(']')) {
                    inodes.insert(i.to_string());
                }
            }
        }
    }
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != "0A" || !inodes.contains(f[9]) {
                continue;
            }
            let Some((addr, port)) = f[1].split_once(':') else {
                continue;
            };
            let loopback = addr == "0100007F"
                || addr == "00000000000000000000000001000000"
                || addr.ends_with("7F") && addr.len() == 8;
            if let (true, Ok(p)) = (loopback, u16::from_str_radix(port, 16)) {
                ports.push(p);
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Find an inspector already listening for `pid` (on any of its loopback ports).
fn find_listening(pid: u32, also: &[u16]) -> Option<InspectorUrl> {
    let mut ports = loopback_listen_ports(pid);
    for p in also {
        if !ports.contains(p) {
            ports.push(*p);
        }
    }
    for p in ports {
        let base = format!("http://127.0.0.1:{p}");
        if let Ok(ws_url) = websocket_url(&base) {
            return Some(InspectorUrl {
                http_base: base,
                ws_url,
                opened_by_us: false,
            });
        }
    }
    None
}

/// Open the inspector of Node process `pid`: use it if it is already listening, otherwise send
/// SIGUSR1 (only if the process handles it) and wait up to `timeout` for it to answer.
pub fn open_inspector(pid: u32, timeout: Duration) -> Result<InspectorUrl, InspectorError> {
    if !Path::new(&format!("/proc/{pid}")).exists() {
        return Err(InspectorError::NoProcess { pid });
    }
    // Already open (started with --inspect, or a previous SIGUSR1)? Only its own ports count
    // here: 9229 may belong to another process.
    if let Some(u) = find_listening(pid, &[]) {
        return Ok(u);
    }
    if !handles_sigusr1(pid)? {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let why = if comm.trim().starts_with("node") {
            "it was probably started with --disable-sigusr1".to_string()
        } else {
            format!("it does not look like Node.js (command `{}`)", comm.trim())
        };
        return Err(InspectorError::NoSigusr1 { pid, why });
    }
    // SAFETY: kill(2) with a valid signal number has no memory-safety preconditions.
    let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGUSR1) };
    if rc != 0 {
        return Err(InspectorError::Signal {
            pid,
            source: std::io::Error::last_os_error(),
        });
    }
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if let Some(mut u) = find_listening(pid, &[]) {
            u.opened_by_us = true;
            return Ok(u);
        }
        if start.elapsed() >= timeout {
            let mut tried: Vec<String> = loopback_listen_ports(pid)
                .iter()
                .map(u16::to_string)
                .collect();
            if tried.is_empty() {
                tried.push("none listening".into());
            }
            return Err(InspectorError::NotListening {
                pid,
                waited: start.elapsed(),
                ports: tried.join(", "),
            });
        }
    }
}

/// A CDP session with one Node inspector target.
pub struct Inspector {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    url: String,
    next_id: u64,
}

impl Inspector {
    /// Connect to a target's `ws://` URL (loopback only).
    pub fn connect(ws_url: &str) -> Result<Self, InspectorError> {
        let (host, _, _) =
            split_url(ws_url).ok_or_else(|| InspectorError::NotLoopback(ws_url.to_string()))?;
        if !ws_url.starts_with("ws://") || !is_loopback_host(&host) {
            return Err(InspectorError::NotLoopback(ws_url.to_string()));
        }
        let (ws, _) = tungstenite::connect(ws_url).map_err(|e| InspectorError::WebSocket {
            url: ws_url.to_string(),
            detail: e.to_string(),
        })?;
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            // A snapshot of a big heap can keep the target silent for minutes.
            let _ = s.set_read_timeout(Some(Duration::from_secs(600)));
            let _ = s.set_nodelay(true);
        }
        Ok(Self {
            ws,
            url: ws_url.to_string(),
            next_id: 1,
        })
    }

    fn ws_err(&self, e: impl std::fmt::Display) -> InspectorError {
        InspectorError::WebSocket {
            url: self.url.clone(),
            detail: e.to_string(),
        }
    }

    /// Send `method` and wait for its result; every event before it goes to `on_event`.
    pub fn call_with(
        &mut self,
        method: &str,
        params: Value,
        mut on_event: impl FnMut(&str, &Value) -> Result<(), InspectorError>,
    ) -> Result<Value, InspectorError> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws
            .send(Message::text(msg))
            .map_err(|e| self.ws_err(e))?;
        loop {
            let m = self.ws.read().map_err(|e| self.ws_err(e))?;
            let text = match m {
                Message::Text(t) => t,
                Message::Close(_) => {
                    return Err(InspectorError::Protocol(format!(
                        "the target closed the connection during {method}"
                    )))
                }
                _ => continue,
            };
            let v: Value = serde_json::from_str(text.as_str())
                .map_err(|e| InspectorError::Protocol(format!("a message is not JSON: {e}")))?;
            if v.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(err) = v.get("error") {
                    return Err(InspectorError::Protocol(format!("{method} failed: {err}")));
                }
                return Ok(v.get("result").cloned().unwrap_or(Value::Null));
            }
            if let Some(name) = v.get("method").and_then(Value::as_str) {
                on_event(name, v.get("params").unwrap_or(&Value::Null))?;
            }
        }
    }

    /// Send `method` and wait for its result, ignoring events.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, InspectorError> {
        self.call_with(method, params, |_, _| Ok(()))
    }

    /// Force a full garbage collection in the target (`HeapProfiler.collectGarbage`).
    pub fn collect_garbage(&mut self) -> Result<(), InspectorError> {
        self.call("HeapProfiler.enable", json!({}))?;
        self.call("HeapProfiler.collectGarbage", json!({}))?;
        Ok(())
    }

    /// The V8 heap usage now (`Runtime.getHeapUsage`).
    pub fn heap_usage(&mut self) -> Result<HeapUsage, InspectorError> {
        let r = self.call("Runtime.getHeapUsage", json!({}))?;
        let get = |k: &str| r.get(k).and_then(Value::as_f64).map(|x| x as u64);
        match (get("usedSize"), get("totalSize")) {
            (Some(used_bytes), Some(total_bytes)) => Ok(HeapUsage {
                used_bytes,
                total_bytes,
            }),
            _ => Err(InspectorError::Protocol(format!(
                "Runtime.getHeapUsage answered {r}"
            ))),
        }
    }

    /// Bytes used by JS objects now (`Runtime.getHeapUsage().usedSize`).
    pub fn heap_used_bytes(&mut self) -> Result<u64, InspectorError> {
        Ok(self.heap_usage()?.used_bytes)
    }

    /// Take a heap snapshot, streaming its chunks to `out` as they arrive; `progress(done,
    /// total)` follows V8's progress reports (objects). Returns the bytes written.
    ///
    /// Object ids are stable only within one session: when a session ends, V8's inspector
    /// clears its object-id map, so take every snapshot of a series through one `Inspector`.
    pub fn take_heap_snapshot(
        &mut self,
        out: &mut impl Write,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<u64, InspectorError> {
        self.call("HeapProfiler.enable", json!({}))?;
        let mut written = 0u64;
        self.call_with(
            "HeapProfiler.takeHeapSnapshot",
            json!({"reportProgress": true, "captureNumericValue": false}),
            |name, params| {
                match name {
                    "HeapProfiler.addHeapSnapshotChunk" => {
                        if let Some(chunk) = params.get("chunk").and_then(Value::as_str) {
                            out.write_all(chunk.as_bytes())?;
                            written += chunk.len() as u64;
                        }
                    }
                    "HeapProfiler.reportHeapSnapshotProgress" => {
                        let g = |k: &str| params.get(k).and_then(Value::as_u64).unwrap_or(0);
                        progress(g("done"), g("total"));
                    }
                    _ => {}
                }
                Ok(())
            },
        )?;
        out.flush()?;
        // No HeapProfiler.disable here: it clears V8's object-id map, and snapshots of one
        // session are only comparable by id while that map lives (until the session ends).
        Ok(written)
    }

    /// End the session. With `close_inspector` (when leakscope opened it), also ask the
    /// target to stop its inspector (`process._debugEnd()`), leaving it as it was found.
    pub fn close(mut self, close_inspector: bool) -> Result<(), InspectorError> {
        if close_inspector {
            let id = self.next_id;
            let msg = json!({"id": id, "method": "Runtime.evaluate",
                "params": {"expression": "process._debugEnd && setImmediate(() => process._debugEnd())"}})
            .to_string();
            self.ws
                .send(Message::text(msg))
                .map_err(|e| self.ws_err(e))?;
            // Wait for the answer (the target closes the socket soon after).
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                match self.ws.read() {
                    Ok(Message::Text(t)) if t.as_str().contains(&format!("\"id\":{id}")) => break,
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
        }
        let _ = self.ws.close(None);
        // Drain until the close handshake completes or the peer goes away.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if self.ws.read().is_err() {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_and_loopback_is_enforced() {
        assert_eq!(
            split_url("ws://127.0.0.1:9229/abc"),
            Some(("127.0.0.1".into(), 9229, "/abc".into()))
        );
        assert!(matches!(
            resolve_inspect_url("ws://10.0.0.1:9229/x"),
            Err(InspectorError::NotLoopback(_))
        ));
        assert!(matches!(
            Inspector::connect("ws://example.com:9229/x"),
            Err(InspectorError::NotLoopback(_))
        ));
        assert!(resolve_inspect_url("ws://127.0.0.1:9229/x").is_ok());
    }

    #[test]
    fn own_process_has_no_sigusr1_handler() {
        // Rust test binaries do not catch SIGUSR1, so leakscope must refuse to signal them.
        let pid = std::process::id();
        assert_eq!(handles_sigusr1(pid).ok(), Some(false));
        assert!(matches!(
            open_inspector(pid, Duration::from_millis(100)),
            Err(InspectorError::NoSigusr1 { .. })
        ));
    }

    fn spawn_node(script: &str) -> Option<std::process::Child> {
        let child = std::process::Command::new("node")
            .args(["-e", script])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        // Wait until Node has installed its signal handlers.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if handles_sigusr1(child.id()).unwrap_or(false) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        Some(child)
    }

    /// End-to-end against a real Node process (skipped when `node` is not installed).
    #[test]
    fn snapshot_from_a_running_node_process() {
        let Some(mut child) =
            spawn_node("globalThis.keep = new Map(); setInterval(() => {}, 1000)")
        else {
            eprintln!("node not installed; skipping");
            return;
        };
        let pid = child.id();
        let result = (|| -> Result<(), InspectorError> {
            let url = open_inspector(pid, Duration::from_secs(5))?;
            assert!(url.opened_by_us);
            assert!(url.ws_url.starts_with("ws://127.0.0.1:"));
            let mut insp = Inspector::connect(&url.ws_url)?;
            insp.collect_garbage()?;
            assert!(insp.heap_used_bytes()? > 100_000);
            let mut buf = Vec::new();
            let mut calls = 0;
            let n = insp.take_heap_snapshot(&mut buf, |_, _| calls += 1)?;
            assert_eq!(n as usize, buf.len());
            assert!(buf.starts_with(b"{\"snapshot\":{\"meta\""));
            assert!(calls > 0);
            insp.close(true)?;
            // Left as found: the inspector port is closed again.
            let deadline = Instant::now() + Duration::from_secs(3);
            while !loopback_listen_ports(pid).is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(
                loopback_listen_ports(pid).is_empty(),
                "inspector still open"
            );
            Ok(())
        })();
        let _ = child.kill();
        let _ = child.wait();
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    /// A process that took SIGUSR1 for itself: the signal opens nothing; leakscope says so.
    #[test]
    fn sigusr1_listener_in_the_app_is_reported() {
        let Some(mut child) =
            spawn_node("process.on('SIGUSR1', () => {}); setInterval(() => {}, 1000)")
        else {
            return;
        };
        let r = open_inspector(child.id(), Duration::from_millis(1500));
        let _ = child.kill();
        let _ = child.wait();
        match r {
            Err(InspectorError::NotListening { .. }) => {}
            other => panic!("expected NotListening, got {other:?}"),
        }
    }
}
