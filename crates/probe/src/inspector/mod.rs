//! The Node.js inspector client: open the inspector of a running Node process with no code
//! change (SIGUSR1), then speak the Chrome DevTools Protocol over a plain WebSocket on the
//! loopback interface: heap snapshots streamed to disk, forced GCs, heap usage.
//!
//! ```no_run
//! use leakscope_probe::inspector::{open_inspector, NodeCheck, Session};
//! # fn main() -> Result<(), leakscope_probe::inspector::InspectorError> {
//! let url = open_inspector(1234, std::time::Duration::from_secs(5), NodeCheck::Required)?;
//! let mut session = Session::connect(url)?;
//! session.collect_garbage()?;
//! let mut out = std::fs::File::create("app.heapsnapshot")?;
//! session.take_heap_snapshot(&mut out, |done, total| eprintln!("{done}/{total}"))?;
//! session.close()?; // also on drop: the inspector leakscope opened is closed again
//! # Ok(()) }
//! ```
//!
//! Safety rules:
//! - SIGUSR1 goes only to a process whose executable is Node ([`crate::node`]), unless the
//!   caller vouches for a renamed binary ([`NodeCheck::Skipped`]), and only when it has a
//!   SIGUSR1 handler installed (`SigCgt` in `/proc/PID/status`), because for any other process
//!   the signal's default action is to terminate it;
//! - only loopback addresses are contacted;
//! - an inspector that leakscope opened is closed again (`process._debugEnd()`) when the
//!   [`Session`] ends, on every path: close, error, interruption, timeout, drop.
//!
//! - [`open`]: opening an inspector by signal, or finding one already listening.
//! - [`session`]: the session guard that leaves the process as it was found.

mod open;
mod session;

use std::io::{ErrorKind, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

pub use crate::sockets::loopback_listen_ports;
pub use open::{handles_sigusr1, open_inspector, resolve_inspect_url, websocket_url, NodeCheck};
pub use session::{Session, CLOSE_WAIT};

/// Why talking to a Node inspector failed.
#[derive(Debug, thiserror::Error)]
pub enum InspectorError {
    /// There is no process with this pid (or it cannot be seen).
    #[error("process {pid} does not exist (or is not visible to this user)")]
    NoProcess {
        /// The pid.
        pid: u32,
    },
    /// The process is not Node.js, so leakscope will not signal it.
    #[error("process {pid} is {what}, not Node; leakscope sends SIGUSR1 only to Node (use --force for a renamed node binary)")]
    NotNode {
        /// The pid.
        pid: u32,
        /// What it is: its executable and command line.
        what: String,
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
    /// SIGUSR1 was sent but the inspector could not listen: another process holds its port.
    #[error("process {pid} got SIGUSR1 but its inspector could not listen on 127.0.0.1:{port}: that port is held by {holder}. Free the port and retry, or restart the service with NODE_OPTIONS=--inspect-port=127.0.0.1:0 (SIGUSR1 then opens the inspector on a free port)")]
    PortTaken {
        /// The pid signalled.
        pid: u32,
        /// The inspector port it wanted.
        port: u16,
        /// Who holds it.
        holder: crate::sockets::PortHolder,
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
    /// A call was given up because the caller's interrupt flag was raised (Ctrl-C).
    #[error("interrupted during {method}")]
    Interrupted {
        /// The protocol method in flight.
        method: String,
    },
    /// A call took longer than the session's call timeout.
    #[error("{method} took longer than {} s; gave up", timeout.as_secs_f64())]
    Timeout {
        /// The protocol method in flight.
        method: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The inspector leakscope opened could not be closed again.
    #[error("the inspector at {url} is still open ({why}); it stays open on loopback until the process exits or it is closed")]
    StillOpen {
        /// Its HTTP base.
        url: String,
        /// Why closing failed.
        why: String,
    },
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

/// How long a read waits before checking the interrupt flag and the call's deadline.
const POLL: Duration = Duration::from_millis(200);

/// Default longest wait for one call's answer: a snapshot of a big heap can keep the target
/// silent for minutes.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(600);

/// How long the TCP connect and the WebSocket handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A CDP session with one Node inspector target. Prefer [`Session`], which also closes an
/// inspector leakscope opened on every exit path.
pub struct Inspector {
    ws: WebSocket<TcpStream>,
    url: String,
    next_id: u64,
    /// The id of a call whose answer has not arrived (it was interrupted or timed out).
    pending: Option<u64>,
    cancel: Option<Arc<AtomicBool>>,
    call_timeout: Duration,
}

impl Inspector {
    /// Connect to a target's `ws://` URL (loopback only; no redirects).
    pub fn connect(ws_url: &str) -> Result<Self, InspectorError> {
        let (host, port, _) =
            split_url(ws_url).ok_or_else(|| InspectorError::NotLoopback(ws_url.to_string()))?;
        if !ws_url.starts_with("ws://") || !is_loopback_host(&host) {
            return Err(InspectorError::NotLoopback(ws_url.to_string()));
        }
        let err = |detail: String| InspectorError::WebSocket {
            url: ws_url.to_string(),
            detail,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| err(e.to_string()))?
            .next()
            .ok_or_else(|| err("no address".into()))?;
        let stream =
            TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|e| err(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let _ = stream.set_read_timeout(Some(CONNECT_TIMEOUT));
        let _ = stream.set_write_timeout(Some(CONNECT_TIMEOUT));
        let (ws, _) = tungstenite::client(ws_url, stream).map_err(|e| err(e.to_string()))?;
        // From here on reads wake up every POLL to look at the interrupt flag and deadline.
        // Writes are small and block only on a full buffer; without a timeout they are
        // restarted after a signal instead of failing with EINTR.
        let _ = ws.get_ref().set_read_timeout(Some(POLL));
        let _ = ws.get_ref().set_write_timeout(None);
        Ok(Self {
            ws,
            url: ws_url.to_string(),
            next_id: 1,
            pending: None,
            cancel: None,
            call_timeout: DEFAULT_CALL_TIMEOUT,
        })
    }

    /// Give up a call (with [`InspectorError::Interrupted`]) once `flag` is raised, e.g. by
    /// a SIGINT handler.
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.cancel = Some(flag);
    }

    /// Give up a call (with [`InspectorError::Timeout`]) when its answer takes longer than
    /// `timeout` (default [`DEFAULT_CALL_TIMEOUT`]).
    pub fn set_call_timeout(&mut self, timeout: Duration) {
        self.call_timeout = timeout;
    }

    fn ws_err(&self, e: impl std::fmt::Display) -> InspectorError {
        InspectorError::WebSocket {
            url: self.url.clone(),
            detail: e.to_string(),
        }
    }

    fn interrupted(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// The next message, or `None` when a read timed out (POLL) with nothing complete.
    fn read(&mut self) -> Result<Option<Message>, InspectorError> {
        match self.ws.read() {
            Ok(m) => Ok(Some(m)),
            // A read with a timeout is not restarted after a signal handler ran (EINTR), even
            // with SA_RESTART: it is a wake-up like the timeout itself.
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.ws_err(e)),
        }
    }

    /// Send one message, finishing the write if a signal interrupted it.
    fn send(&mut self, text: String) -> Result<(), InspectorError> {
        let mut result = self.ws.send(Message::text(text));
        for _ in 0..100 {
            match result {
                Err(tungstenite::Error::Io(ref e))
                    if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::WouldBlock) =>
                {
                    // The frame is queued; flushing again finishes it.
                    result = self.ws.flush();
                }
                _ => break,
            }
        }
        result.map_err(|e| self.ws_err(e))
    }

    /// Send `method` and wait for its result; every event before it goes to `on_event`.
    pub fn call_with(
        &mut self,
        method: &str,
        params: Value,
        mut on_event: impl FnMut(&str, &Value) -> Result<(), InspectorError>,
    ) -> Result<Value, InspectorError> {
        if self.pending.is_some() {
            return Err(InspectorError::Protocol(format!(
                "cannot call {method}: an earlier call is still unanswered"
            )));
        }
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.send(msg)?;
        self.pending = Some(id);
        let started = Instant::now();
        loop {
            // Checked before every read: a snapshot streams messages without pause.
            if self.interrupted() {
                return Err(InspectorError::Interrupted {
                    method: method.to_string(),
                });
            }
            if started.elapsed() >= self.call_timeout {
                return Err(InspectorError::Timeout {
                    method: method.to_string(),
                    timeout: self.call_timeout,
                });
            }
            let Some(m) = self.read()? else {
                continue;
            };
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
                self.pending = None;
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

    /// Wait (discarding events, ignoring the interrupt flag) until the answer to a call that
    /// was given up arrives, for at most `wait`. True when nothing is pending any more.
    fn settle(&mut self, wait: Duration) -> bool {
        let Some(id) = self.pending else {
            return true;
        };
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            match self.read() {
                Ok(Some(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    if v.get("id").and_then(Value::as_u64) == Some(id) {
                        self.pending = None;
                        return true;
                    }
                }
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    /// End the session. With `close_inspector` (when leakscope opened it), first wait up to
    /// `wait` for a call still running in the target (V8 cannot abandon a snapshot half-way,
    /// and the target runs nothing else meanwhile), then ask it to stop its inspector
    /// (`process._debugEnd()`), leaving it as it was found.
    pub fn close(mut self, close_inspector: bool, wait: Duration) -> Result<(), InspectorError> {
        let mut result = Ok(());
        if close_inspector {
            result = self.end_inspector(wait);
        }
        let _ = self.ws.close(None);
        // Drain until the close handshake completes or the peer goes away.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match self.read() {
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        result
    }

    /// Ask the target to stop its inspector, after any call still running there.
    fn end_inspector(&mut self, wait: Duration) -> Result<(), InspectorError> {
        if !self.settle(wait) {
            return Err(InspectorError::Protocol(format!(
                "the target was still busy with an earlier call after {} s",
                wait.as_secs()
            )));
        }
        let id = self.next_id;
        self.next_id += 1;
        // Later, not at once: Node 20 ending its inspector while this session is still attached
        // crashed the target (SIGSEGV, 1 run in 8 right after a snapshot). By then the socket is
        // closed below, and the target ends an inspector nobody is attached to.
        let msg = json!({"id": id, "method": "Runtime.evaluate",
            "params": {"expression": "process._debugEnd && setTimeout(() => process._debugEnd(), 500).unref()"}})
        .to_string();
        self.send(msg)?;
        // Wait for the answer (the target closes the socket soon after).
        self.pending = Some(id);
        if self.settle(Duration::from_secs(5)) {
            Ok(())
        } else {
            Err(InspectorError::Protocol(
                "process._debugEnd() was not answered".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
