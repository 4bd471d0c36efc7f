//! The inspector against real processes: Node 20 (skipped when `node` is missing), Python,
//! and this test binary.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

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
fn this_test_binary_is_not_node_and_has_no_sigusr1_handler() {
    let pid = std::process::id();
    match open_inspector(pid, Duration::from_millis(100), NodeCheck::Required) {
        Err(InspectorError::NotNode { what, .. }) => {
            assert!(what.contains("leakscope_probe"), "{what}")
        }
        other => panic!("expected NotNode, got {other:?}"),
    }
    // Even when the caller vouches for it, a process without a handler is not signalled:
    // SIGUSR1 would terminate it.
    assert_eq!(handles_sigusr1(pid).ok(), Some(false));
    assert!(matches!(
        open_inspector(pid, Duration::from_millis(100), NodeCheck::Skipped),
        Err(InspectorError::NoSigusr1 { .. })
    ));
}

/// Wait until `pid` has installed a SIGUSR1 handler (or 10 s pass).
fn wait_for_handler(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !handles_sigusr1(pid).unwrap_or(false) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A Node process running `script`, with its inspector port free-chosen (so tests running
/// at the same time do not compete for 9229) unless `node_options` says otherwise.
fn spawn_node_with(script: &str, node_options: &str) -> Option<Child> {
    let child = Command::new("node")
        .args(["-e", script])
        .env("NODE_OPTIONS", node_options)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    wait_for_handler(child.id());
    std::thread::sleep(Duration::from_millis(200));
    Some(child)
}

fn spawn_node(script: &str) -> Option<Child> {
    spawn_node_with(script, "--inspect-port=127.0.0.1:0")
}

/// Wait until `pid` listens on no loopback port (or 3 s pass); true when it does not.
fn inspector_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !loopback_listen_ports(pid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    loopback_listen_ports(pid).is_empty()
}

/// Run `f` against a Node process, killing it afterwards whatever happens.
fn with_node(script: &str, f: impl FnOnce(u32) -> Result<(), InspectorError>) {
    let Some(mut child) = spawn_node(script) else {
        eprintln!("node not installed; skipping");
        return;
    };
    let result = f(child.id());
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        panic!("{e}");
    }
}

const IDLE: &str = "globalThis.keep = new Map(); setInterval(() => {}, 1000)";
/// About 40 MB of small objects: a snapshot that takes a while to write.
const BIG: &str = "globalThis.keep = Array.from({length: 400000}, (_, i) => ({i, s: 'x' + i})); setInterval(() => {}, 1000)";

#[test]
fn snapshot_from_a_running_node_process() {
    with_node(IDLE, |pid| {
        let url = open_inspector(pid, Duration::from_secs(5), NodeCheck::Required)?;
        assert!(url.opened_by_us);
        assert!(url.ws_url.starts_with("ws://127.0.0.1:"));
        let mut session = Session::connect(url)?;
        session.collect_garbage()?;
        assert!(session.heap_used_bytes()? > 100_000);
        let mut buf = Vec::new();
        let mut calls = 0;
        let n = session.take_heap_snapshot(&mut buf, |_, _| calls += 1)?;
        assert_eq!(n as usize, buf.len());
        assert!(buf.starts_with(b"{\"snapshot\":{\"meta\""));
        assert!(calls > 0);
        session.close()?;
        assert!(inspector_gone(pid), "inspector still open");
        Ok(())
    });
}

#[test]
fn a_dropped_session_closes_the_inspector() {
    with_node(IDLE, |pid| {
        let url = open_inspector(pid, Duration::from_secs(5), NodeCheck::Required)?;
        let mut session = Session::connect(url)?;
        session.heap_used_bytes()?;
        drop(session); // an error path: no close() call
        assert!(inspector_gone(pid), "inspector still open after drop");
        Ok(())
    });
}

#[test]
fn an_interrupted_snapshot_still_closes_the_inspector() {
    with_node(BIG, |pid| {
        let url = open_inspector(pid, Duration::from_secs(5), NodeCheck::Required)?;
        let mut session = Session::connect(url)?;
        let flag = Arc::new(AtomicBool::new(false));
        session.set_interrupt(Arc::clone(&flag));
        let mut seen = 0u64;
        let r = session.take_heap_snapshot(&mut std::io::sink(), |_, _| {
            seen += 1;
            // Interrupt once V8 is busy writing the snapshot.
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        assert!(
            matches!(r, Err(InspectorError::Interrupted { .. })),
            "{r:?} after {seen} progress reports"
        );
        session.close()?;
        assert!(
            inspector_gone(pid),
            "inspector still open after an interrupt"
        );
        Ok(())
    });
}

#[test]
fn a_timed_out_snapshot_still_closes_the_inspector() {
    with_node(BIG, |pid| {
        let url = open_inspector(pid, Duration::from_secs(5), NodeCheck::Required)?;
        let mut session = Session::connect(url)?;
        session.set_call_timeout(Duration::from_millis(1));
        let r = session.take_heap_snapshot(&mut std::io::sink(), |_, _| {});
        assert!(matches!(r, Err(InspectorError::Timeout { .. })), "{r:?}");
        session.close()?;
        assert!(inspector_gone(pid), "inspector still open after a timeout");
        Ok(())
    });
}

/// A process that took SIGUSR1 for itself: the signal opens nothing; leakscope says so.
#[test]
fn sigusr1_listener_in_the_app_is_reported() {
    let Some(mut child) =
        spawn_node("process.on('SIGUSR1', () => {}); setInterval(() => {}, 1000)")
    else {
        return;
    };
    let r = open_inspector(child.id(), Duration::from_millis(1500), NodeCheck::Required);
    let _ = child.kill();
    let _ = child.wait();
    match r {
        Err(InspectorError::NotListening { .. }) => {}
        other => panic!("expected NotListening, got {other:?}"),
    }
}

/// The inspector's port is held by another process: the error names it.
#[test]
fn a_taken_inspector_port_names_its_holder() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let Some(mut child) = spawn_node_with(IDLE, &format!("--inspect-port=127.0.0.1:{port}")) else {
        return;
    };
    let r = open_inspector(child.id(), Duration::from_millis(1500), NodeCheck::Required);
    let _ = child.kill();
    let _ = child.wait();
    match r {
        Err(e @ InspectorError::PortTaken { .. }) => {
            let text = e.to_string();
            let me = std::process::id();
            assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
            assert!(text.contains(&format!("held by process {me}, ")), "{text}");
            assert!(text.contains("--inspect-port=127.0.0.1:0"), "{text}");
        }
        other => panic!("expected PortTaken, got {other:?}"),
    }
}

/// A Python service with a SIGUSR1 handler of its own is not signalled.
#[test]
fn a_python_service_with_a_sigusr1_handler_is_not_signalled() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("got-sigusr1");
    let code = format!(
        "import signal, time\nsignal.signal(signal.SIGUSR1, lambda *a: open({:?}, 'w').write('x'))\nprint('ready', flush=True)\ntime.sleep(60)\n",
        marker.display().to_string()
    );
    let Ok(mut child) = Command::new("python3")
        .args(["-c", &code])
        .stdout(Stdio::null())
        .spawn()
    else {
        eprintln!("python3 not installed; skipping");
        return;
    };
    wait_for_handler(child.id());
    let r = open_inspector(child.id(), Duration::from_millis(500), NodeCheck::Required);
    std::thread::sleep(Duration::from_millis(300));
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    match r {
        Err(InspectorError::NotNode { what, .. }) => assert!(what.contains("python"), "{what}"),
        other => panic!("expected NotNode, got {other:?}"),
    }
    assert!(alive);
    assert!(!marker.exists(), "the Python handler ran: it got SIGUSR1");
}
