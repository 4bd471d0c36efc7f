//! Node: heap snapshots through the inspector, all in one session (V8 keeps object ids
//! stable only within one, so the diff matches exactly). The inspector leakscope opened is
//! closed on every path ([`Session`] closes it when dropped, too).

use std::io::BufWriter;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use leakscope_probe::inspector::{open_inspector, InspectorError, NodeCheck, Session};

use super::{sleep_until, stamp, Plan, Taken};
use crate::{bounds, DiagnoseError, Evidence};

/// How long the inspector may take to open after SIGUSR1.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A snapshot file is about this many times the heap in use (strings and edges as JSON).
const FILE_PER_HEAP_BYTE: f64 = 2.0;

pub(super) fn take(
    pid: u32,
    plan: &Plan,
    evidence: &Evidence,
    stop: &Arc<AtomicBool>,
) -> Result<Taken, DiagnoseError> {
    let fail = |e: InspectorError| DiagnoseError::Capture(format!("Node process {pid}: {e}"));
    // The Node check of probe: only a process whose executable is Node gets SIGUSR1.
    let url = open_inspector(pid, CONNECT_TIMEOUT, NodeCheck::Required).map_err(|e| match e {
        InspectorError::NotNode { .. } | InspectorError::NoSigusr1 { .. } => {
            DiagnoseError::Skipped(e.to_string())
        }
        e => fail(e),
    })?;
    let mut session = Session::connect(url).map_err(fail)?;
    // Raised when the watch stops: a call in flight is given up (and the session closed).
    session.set_interrupt(Arc::clone(stop));
    session.set_call_timeout(plan.timeout);
    let result = snapshots(&mut session, pid, plan, evidence, stop);
    let closed = session.close();
    let mut taken = result?;
    if let Err(e) = closed {
        tracing::warn!("{e}");
        taken.notes.push(format!("warning: {e}"));
    }
    Ok(taken)
}

fn snapshots(
    session: &mut Session,
    pid: u32,
    plan: &Plan,
    evidence: &Evidence,
    stop: &AtomicBool,
) -> Result<Taken, DiagnoseError> {
    let fail = |e: InspectorError| DiagnoseError::Capture(format!("Node process {pid}: {e}"));
    let stamp = stamp();
    let mut taken = Taken::default();
    for n in 1..=plan.captures {
        let started = Instant::now();
        let used = session.heap_usage().map_err(fail)?.used_bytes as f64;
        // V8 needs about the heap again to write a snapshot.
        let room = bounds::room(Some(pid), plan.limit_bytes, plan.used_bytes);
        bounds::room_for(
            "a V8 heap snapshot",
            used,
            plan.settings.headroom_factor,
            room,
        )?;
        evidence.make_room((used * FILE_PER_HEAP_BYTE) as u64, &taken.files)?;
        let path = evidence.path_for(stamp, plan.target, n, "heapsnapshot");
        let (partial, file) = evidence.create_partial(&path)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let written = session.take_heap_snapshot(&mut w, |_, _| {});
        drop(w);
        match written {
            Ok(bytes) => {
                evidence.keep(&partial, &path)?;
                tracing::info!(file = %path.display(), bytes, took_ms = started.elapsed().as_millis() as u64, "heap snapshot");
                taken.files.push(path);
            }
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(match e {
                    InspectorError::Interrupted { .. } => DiagnoseError::Stopped,
                    e => fail(e),
                });
            }
        }
        evidence.make_room(0, &taken.files)?;
        if n < plan.captures {
            // From the end of the snapshot, not its start: V8 stops the service while it
            // writes one, so nothing leaks meanwhile, and a snapshot longer than the spacing
            // (a loaded machine) would start the next at once, leaving nothing to diff.
            sleep_until(Instant::now() + plan.spacing, stop)?;
        }
    }
    Ok(taken)
}
