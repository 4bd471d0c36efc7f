//! Opening a Node process's inspector: find one already listening, or send SIGUSR1 — only to
//! Node, only when it handles the signal, and through a pidfd so that a pid reused between
//! the checks and the signal is not hit — then find the port it opened.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{is_loopback_host, split_url, InspectorError, InspectorUrl};
use crate::node::{self, ProcessIdentity};
use crate::pidfd::Pidfd;
use crate::sockets::{self, loopback_listen_ports};

/// Whether [`open_inspector`] may signal a process whose executable is not Node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeCheck {
    /// Only a process whose executable is Node ([`ProcessIdentity::is_node`]). The default.
    Required,
    /// The user vouches that it is Node under another name (`--force`). The SIGUSR1-handler
    /// check still applies.
    Skipped,
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

/// An inspector answering on one of `ports` (loopback).
fn inspector_on(ports: &[u16]) -> Option<InspectorUrl> {
    ports.iter().find_map(|p| {
        let base = format!("http://127.0.0.1:{p}");
        websocket_url(&base).ok().map(|ws_url| InspectorUrl {
            http_base: base,
            ws_url,
            opened_by_us: false,
        })
    })
}

/// Open the inspector of Node process `pid`: use it if it is already listening, otherwise send
/// SIGUSR1 and wait up to `timeout` for it to answer. Refuses, before any signal or request,
/// a process that is not Node (unless `check` is [`NodeCheck::Skipped`]) and one without a
/// SIGUSR1 handler (for which the signal would be fatal).
pub fn open_inspector(
    pid: u32,
    timeout: Duration,
    check: NodeCheck,
) -> Result<InspectorUrl, InspectorError> {
    // Hold the process first: every check below is then about the process we signal.
    let handle = Pidfd::open(pid).ok_or(InspectorError::NoProcess { pid })?;
    let identity = ProcessIdentity::read(pid).ok_or(InspectorError::NoProcess { pid })?;
    if check == NodeCheck::Required && !identity.is_node() {
        return Err(InspectorError::NotNode {
            pid,
            what: identity.describe(),
        });
    }
    // Already open (started with --inspect, or a previous SIGUSR1)? Only its own ports count
    // here: 9229 may belong to another process.
    let before = loopback_listen_ports(pid);
    if let Some(u) = inspector_on(&before) {
        return Ok(u);
    }
    if !handles_sigusr1(pid)? {
        let why = if identity.is_node() {
            "it was probably started with --disable-sigusr1".to_string()
        } else {
            format!("it does not look like Node.js: {}", identity.describe())
        };
        return Err(InspectorError::NoSigusr1 { pid, why });
    }
    handle
        .signal(libc::SIGUSR1)
        .map_err(|source| InspectorError::Signal { pid, source })?;
    let start = Instant::now();
    // The inspector is a port that was not there before the signal; the service's own ports
    // are not asked for /json/list again.
    let opened = || {
        let new: Vec<u16> = loopback_listen_ports(pid)
            .into_iter()
            .filter(|p| !before.contains(p))
            .collect();
        inspector_on(&new).map(|u| InspectorUrl {
            opened_by_us: true,
            ..u
        })
    };
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if let Some(u) = opened() {
            return Ok(u);
        }
        if start.elapsed() >= timeout {
            break;
        }
    }
    // Once more after a pause, so that an inspector opening just after the deadline is
    // used (and so closed again later) rather than left open behind us.
    std::thread::sleep(Duration::from_millis(250));
    if let Some(u) = opened() {
        return Ok(u);
    }
    Err(not_listening(pid, start.elapsed()))
}

/// Why no inspector answered: its port held by another process, or no reason known.
fn not_listening(pid: u32, waited: Duration) -> InspectorError {
    if let Some(port) = node::inspector_port(pid) {
        if let Some(holder) = sockets::port_holder(port).filter(|h| h.pid != Some(pid)) {
            return InspectorError::PortTaken { pid, port, holder };
        }
    }
    let mut tried: Vec<String> = loopback_listen_ports(pid)
        .iter()
        .map(u16::to_string)
        .collect();
    if tried.is_empty() {
        tried.push("none listening".into());
    }
    InspectorError::NotListening {
        pid,
        waited,
        ports: tried.join(", "),
    }
}
