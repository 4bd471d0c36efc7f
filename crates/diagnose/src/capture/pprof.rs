//! Go: `/debug/pprof/heap` (and `/debug/pprof/goroutine`, for goroutines blocked forever)
//! downloaded from the service's pprof base. No signal, no pause beyond the runtime's own
//! profile writing.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::{sleep_until, stamp, Plan, Taken};
use crate::{DiagnoseError, Evidence};

/// The largest profile accepted, bytes.
const MAX_PROFILE_BYTES: u64 = 256 << 20;

pub(super) fn take(
    base: &str,
    plan: &Plan,
    evidence: &Evidence,
    stop: &AtomicBool,
) -> Result<Taken, DiagnoseError> {
    let client = leakscope_probe::http::Client::plain(plan.timeout);
    let stamp = stamp();
    let mut taken = Taken::default();
    let mut goroutines_ok = true;
    for n in 1..=plan.captures {
        let started = Instant::now();
        let mut keep: Vec<PathBuf> = taken.files.clone();
        keep.extend(taken.goroutines.iter().cloned());
        evidence.make_room(MAX_PROFILE_BYTES / 16, &keep)?;
        let heap = evidence.path_for(stamp, plan.target, n, "heap.pb.gz");
        // gc=1: the runtime collects first. A heap profile is as of the last completed GC,
        // and a service whose heap grows slowly may go a minute between GCs: captures
        // seconds apart were then the same profile, and named nothing.
        fetch(&client, &format!("{base}/heap?gc=1"), &heap, evidence)?;
        taken.files.push(heap);
        if goroutines_ok {
            let g = evidence.path_for(stamp, plan.target, n, "goroutine.pb.gz");
            match fetch(&client, &format!("{base}/goroutine"), &g, evidence) {
                Ok(()) => taken.goroutines.push(g),
                Err(e) => {
                    // The heap alone still names a culprit.
                    taken.notes.push(format!("no goroutine profiles: {e}"));
                    goroutines_ok = false;
                    for p in taken.goroutines.drain(..) {
                        let _ = std::fs::remove_file(p);
                    }
                }
            }
        }
        if n < plan.captures {
            sleep_until(started + plan.spacing, stop)?;
        }
    }
    Ok(taken)
}

/// Download `url` into the private file `path`.
fn fetch(
    client: &leakscope_probe::http::Client,
    url: &str,
    path: &std::path::Path,
    evidence: &Evidence,
) -> Result<(), DiagnoseError> {
    let (partial, mut file) = evidence.create_partial(path)?;
    match client.get_to(url, MAX_PROFILE_BYTES, &mut file) {
        Ok(_) => {
            drop(file);
            evidence.keep(&partial, path)
        }
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&partial);
            Err(DiagnoseError::Capture(e.to_string()))
        }
    }
}
