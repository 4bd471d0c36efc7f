//! Python: tracemalloc dumps through the SIGUSR2 hook the examples ship. The signal goes
//! through a pidfd to the process that was checked (CPython, catching SIGUSR2); the dump
//! is taken once it is complete (a readable tracemalloc pickle whose size has settled) and
//! moved into the evidence directory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use leakscope_probe::pidfd::{self, Pidfd};

use super::{sleep_until, stamp, Plan, Taken};
use crate::{bounds, DiagnoseError, Evidence};

/// Tracing snapshots copy the traces: about half the process's memory, at most.
const NEED_PER_USED_BYTE: f64 = 0.5;

pub(super) fn take(
    pid: u32,
    dirs: &[PathBuf],
    plan: &Plan,
    evidence: &Evidence,
    stop: &AtomicBool,
) -> Result<Taken, DiagnoseError> {
    let stamp = stamp();
    let mut taken = Taken::default();
    for n in 1..=plan.captures {
        let started = Instant::now();
        if let Some(used) = plan.used_bytes {
            let room = bounds::room(Some(pid), plan.limit_bytes, plan.used_bytes);
            bounds::room_for(
                "a tracemalloc snapshot",
                used * NEED_PER_USED_BYTE,
                plan.settings.headroom_factor,
                room,
            )?;
            evidence.make_room((used * NEED_PER_USED_BYTE) as u64, &taken.files)?;
        }
        let before = dumps(pid, dirs);
        signal(pid)?;
        let dump = wait_for_dump(pid, dirs, &before, started + plan.timeout, stop)?;
        let path = evidence.path_for(stamp, plan.target, n, "pickle");
        evidence.adopt(&dump, &path)?;
        tracing::info!(file = %path.display(), took_ms = started.elapsed().as_millis() as u64, "tracemalloc dump");
        taken.files.push(path);
        evidence.make_room(0, &taken.files)?;
        if n < plan.captures {
            sleep_until(started + plan.spacing, stop)?;
        }
    }
    Ok(taken)
}

/// SIGUSR2 to `pid`, held by a pidfd, after checking again that it catches the signal.
fn signal(pid: u32) -> Result<(), DiagnoseError> {
    let held = Pidfd::open(pid)
        .ok_or_else(|| DiagnoseError::Capture(format!("Python process {pid} is gone")))?;
    if pidfd::catches(pid, libc::SIGUSR2) != Some(true) {
        return Err(DiagnoseError::Skipped(format!(
            "Python process {pid} no longer catches SIGUSR2; not signalled"
        )));
    }
    held.signal(libc::SIGUSR2).map_err(|e| {
        DiagnoseError::Capture(format!("cannot send SIGUSR2 to Python process {pid}: {e}"))
    })
}

/// The complete dumps of `pid` in `dirs` now: `tracemalloc-<pid>-<n>.pickle`.
fn dumps(pid: u32, dirs: &[PathBuf]) -> HashSet<PathBuf> {
    let prefix = format!("tracemalloc-{pid}-");
    let mut out = HashSet::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && name.ends_with(".pickle") {
                out.insert(e.path());
            }
        }
    }
    out
}

/// Wait for a new dump that is complete: its size unchanged for a poll and readable as a
/// tracemalloc snapshot (one hook writes in place, the other renames).
fn wait_for_dump(
    pid: u32,
    dirs: &[PathBuf],
    before: &HashSet<PathBuf>,
    deadline: Instant,
    stop: &AtomicBool,
) -> Result<PathBuf, DiagnoseError> {
    let mut sizes: Vec<(PathBuf, u64)> = Vec::new();
    loop {
        sleep_until(Instant::now() + Duration::from_millis(100), stop)?;
        for p in dumps(pid, dirs).difference(before) {
            let size = std::fs::metadata(p).map_or(0, |m| m.len());
            let settled = sizes.iter().any(|(q, s)| q == p && *s == size && size > 0);
            if settled && complete(p) {
                return Ok(p.clone());
            }
            sizes.retain(|(q, _)| q != p);
            sizes.push((p.clone(), size));
        }
        if Instant::now() >= deadline {
            return Err(DiagnoseError::Capture(format!(
                "Python process {pid} wrote no tracemalloc dump in {} after SIGUSR2 (looked in {})",
                "the capture timeout",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
}

/// True when `p` reads as a whole tracemalloc snapshot.
fn complete(p: &Path) -> bool {
    leakscope_heap::sniff_file(p).is_ok_and(|f| f == leakscope_heap::Format::Tracemalloc)
        && leakscope_heap::top(
            p,
            &leakscope_heap::Options {
                limit: 1,
                ..Default::default()
            },
        )
        .is_ok()
}
