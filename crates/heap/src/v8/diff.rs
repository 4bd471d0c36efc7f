//! `heap diff` for V8 snapshots of one program: loading and indexing the series, deciding how
//! objects are matched from one snapshot to the next, then the class table
//! ([`super::compare`]) and the ranked suspects ([`super::suspects`]).
//!
//! Within one inspector session of one process V8 object ids line up: DevTools' Comparison
//! view, memlab's "allocated between the first and second, still alive in the last", and
//! collections followed by id. Across sessions (V8 clears its ids when a session closes),
//! restarts and replicas they do not ([`continuity`] tells): collections are then followed
//! by what holds them ([`super::holders`]) and classes by their counts and sizes.

use std::collections::HashMap;
use std::path::PathBuf;

use super::analysis::{analyze_with, Analyzed};
use super::closures::{closure_candidates, closure_groups, ClosureGroups};
use super::compare::{class_count_table, compare, comparison_table, ClassDiff};
use super::handoff::{Gate, OpenOnDrop};
use super::holders::{holder_groups, Holders};
use super::kept::{kept_objects, KeptObjects};
use super::model::Snapshot;
use super::paths::ContextOwners;
use super::reader::{read_file, read_file_with};
use super::suspects::{collection_entries, collections, find_suspects};
use super::timing::timed;
use crate::report::{HeapReport, Suspect};
use crate::{HeapError, Matching, Options};

/// Node ordinals sorted by V8 object id: `(id << 32) | ordinal`. V8 writes nodes mostly in
/// id order (the first snapshot of a process fully, later ones in a few thousand ascending
/// runs), so a run-adaptive merge sort (std's stable sort) beats both a comparison quicksort
/// and a radix sort here; already sorted input costs one pass.
pub fn sorted_ids(node_id: &[u32]) -> Vec<u64> {
    let mut v: Vec<u64> = node_id
        .iter()
        .enumerate()
        .map(|(o, &id)| ((id as u64) << 32) | o as u64)
        .collect();
    if !v.is_sorted() {
        v.sort();
    }
    v
}

/// Find the node with object id `id` in `sorted` (from [`sorted_ids`]).
pub fn lookup(sorted: &[u64], id: u32) -> Option<u32> {
    let key = (id as u64) << 32;
    let i = sorted.partition_point(|&x| x < key);
    sorted
        .get(i)
        .filter(|&&x| (x >> 32) as u32 == id)
        .map(|&x| x as u32)
}

/// One analyzed snapshot with its id index and the summaries the diff needs.
pub struct Indexed {
    /// The analyses.
    pub a: Analyzed,
    /// Ordinals sorted by id.
    pub ids: Vec<u64>,
    /// Every collection with entries: `(id, entries, retained bytes)`, sorted by id.
    pub colls: Vec<(u32, u32, f64)>,
    /// Closures keeping large objects alive, grouped by (function, variable).
    pub closures: ClosureGroups,
    /// Collections grouped by holder key, for matching across sessions.
    pub holders: Holders,
    /// Context → the closure naming it (for paths; emptied by [`Indexed::slim`]).
    pub owners: ContextOwners,
}

impl Indexed {
    /// Analyze, index and summarize a snapshot. The id index and the collections' entry
    /// counts need only the parsed snapshot: they are built beside the dominator tree.
    /// `dominators_done` as in [`analyze_with`].
    pub fn new(snap: Snapshot, dominators_done: impl FnOnce() + Send) -> Self {
        let (a, (ids, (entries, cands))) = analyze_with(
            snap,
            |s| {
                rayon::join(
                    || timed("ids", || sorted_ids(&s.node_id)),
                    || {
                        rayon::join(
                            || timed("collection entries", || collection_entries(s)),
                            || timed("closure candidates", || closure_candidates(s)),
                        )
                    },
                )
            },
            dominators_done,
        );
        let mut t = super::timing::Timer::new();
        let holders = timed("holder keys", || holder_groups(&a, &cands.owners, &entries));
        let colls = collections(&a, entries);
        let closures = closure_groups(&a, &cands);
        t.lap("collections, closures, holders");
        Self {
            a,
            ids,
            colls,
            closures,
            holders,
            owners: cands.owners,
        }
    }

    /// Entries and retained size of collection `id` of kind `coll`: `Some((0, 0.0))` when
    /// the object exists with no entries, None when it does not exist (or is another kind).
    pub fn collection(&self, id: u32, coll: super::suspects::Collection) -> Option<(u64, f64)> {
        let o = lookup(&self.ids, id)?;
        if super::suspects::collection_kind(&self.a.snap, o) != Some(coll) {
            return None;
        }
        match self.colls.binary_search_by_key(&id, |c| c.0) {
            Ok(i) => Some((self.colls[i].1 as u64, self.colls[i].2)),
            Err(_) => Some((0, 0.0)),
        }
    }

    /// Free the object graph of a snapshot that is not the last of a series: the diff only
    /// needs its ids, classes, sizes and the summaries above.
    pub fn slim(&mut self) {
        let s = &mut self.a.snap;
        for v in [&mut s.edge_name, &mut s.edge_to] {
            *v = Vec::new();
        }
        s.edge_kind = Vec::new();
        s.first_edge = Vec::new();
        // Ids live on in `ids`; sizes in `shallow`; distances and retained sizes in the
        // summaries. Kinds, names and classes stay (same-process check, class diff).
        s.node_id = Vec::new();
        s.self_size = Vec::new();
        s.detachedness = Vec::new();
        self.a.idom = Vec::new();
        self.a.retained = Vec::new();
        self.a.dist.distance = Vec::new();
        self.a.dist.parent_edge = Vec::new();
        self.owners = ContextOwners::new();
    }
}

/// Read, analyze, summarize and index every file, two at a time: while snapshot k is read
/// and analyzed on the thread pool, snapshot k+1 is read by a thread of its own; every
/// snapshot but the last is then slimmed, so memory holds one full graph, one being parsed,
/// and small summaries.
///
/// The reading thread hands its pieces to the pool from outside it, and rayon runs such
/// injected work only when no pool thread has work of its own: snapshot k keeps both cores,
/// and snapshot k+1 is parsed in the gaps (sequential stretches of the reader, waits between
/// the analysis lanes) instead of competing with it. The reader parses the `edges` array
/// (most of a snapshot) only once snapshot k's dominator tree has freed its working arrays,
/// so the two largest allocations of the run never add up.
///
/// With `LEAKSCOPE_V8_SEQUENTIAL` set, one file at a time (lower peak memory, longer wall time).
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Indexed>, HeapError> {
    if std::env::var_os("LEAKSCOPE_V8_SEQUENTIAL").is_some() {
        let mut out = Vec::with_capacity(paths.len());
        for (k, p) in paths.iter().enumerate() {
            let mut x = Indexed::new(read_file(p)?, || ());
            if k + 1 < paths.len() {
                x.slim();
            }
            out.push(x);
        }
        return Ok(out);
    }
    std::thread::scope(|ts| {
        let mut out = Vec::with_capacity(paths.len());
        let mut next: Option<std::thread::ScopedJoinHandle<'_, Result<_, HeapError>>> = None;
        for k in 0..paths.len() {
            let last = k + 1 == paths.len();
            // Joined here, off the pool: a pool thread waiting for the reader could leave
            // none to parse its pieces.
            let cur = next
                .take()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            // Opened when snapshot k's dominator tree is done, or whenever its analysis
            // ends (an error, a panic): the reader is never left waiting.
            let gate = std::sync::Arc::new(Gate::new());
            if !last {
                let p = &paths[k + 1];
                let g = gate.clone();
                next = Some(ts.spawn(move || read_file_with(p, || g.wait())));
            }
            // On the pool, so every stage of this snapshot has priority over the reader.
            let (done, ()) = rayon::join(
                || -> Result<Indexed, HeapError> {
                    let _release = OpenOnDrop(&gate);
                    let cur = cur.unwrap_or_else(|| read_file(&paths[k]));
                    let mut x = Indexed::new(cur?, || gate.open());
                    if !last {
                        x.slim();
                    }
                    Ok(x)
                },
                || (),
            );
            out.push(done?);
        }
        Ok(out)
    })
}

/// How well `next` continues `prev`: of the V8 objects in `next` whose id is at most the
/// largest id in `prev` (so, in one process, they existed when `prev` was taken), the
/// fraction found in `prev` with the same type and name. Measured on Node 20: 1.0000 for
/// snapshots of one process; 0.91 for two runs of the very same deterministic program (V8
/// hands out the same ids in the same order, until timing and hash seeds make them drift);
/// about 0.55 once the runs did different work.
pub fn continuity(prev: &Indexed, next: &Indexed) -> (f64, u64) {
    // V8 heap objects have odd ids, assigned in increasing order; embedder (native) objects
    // have even ids that change from one snapshot to the next, so they are left out.
    let max_prev = prev
        .ids
        .iter()
        .rev()
        .map(|&x| (x >> 32) as u32)
        .find(|id| id % 2 == 1)
        .unwrap_or(0);
    let (ps, ns) = (&prev.a.snap, &next.a.snap);
    let (mut old, mut same) = (0u64, 0u64);
    // Names are compared as strings once per pair of string indexes: `seen[p]` is the
    // index in `next` last found equal to string `p` of `prev`.
    let mut seen = vec![u32::MAX; ps.strings.len()];
    let mut same_name = |po: u32, no: u32| {
        let (p, n) = (ps.node_name[po as usize], ns.node_name[no as usize]);
        if seen[p as usize] == n {
            return true;
        }
        let eq = ps.name(po) == ns.name(no);
        if eq {
            seen[p as usize] = n;
        }
        eq
    };
    // Both id lists are sorted: one merge pass.
    let mut j = 0;
    for &x in &next.ids {
        let id = (x >> 32) as u32;
        if id > max_prev {
            break;
        }
        if id % 2 == 0 {
            continue;
        }
        let o = x as u32;
        old += 1;
        while j < prev.ids.len() && ((prev.ids[j] >> 32) as u32) < id {
            j += 1;
        }
        if let Some(&y) = prev.ids.get(j).filter(|&&y| (y >> 32) as u32 == id) {
            let po = y as u32;
            if ps.node_kind[po as usize] == ns.node_kind[o as usize] && same_name(po, o) {
                same += 1;
            }
        }
    }
    if old == 0 {
        return (0.0, 0);
    }
    (same as f64 / old as f64, old)
}

/// Below this continuity two snapshots are taken to come from different inspector sessions
/// or processes, and objects are matched by retainers.
pub const MIN_CONTINUITY: f64 = 0.95;

/// The whole `heap diff` over files, oldest first.
pub fn diff_files(paths: &[PathBuf], opts: &Options) -> Result<HeapReport, HeapError> {
    let snaps = load_all(paths)?;
    diff_snapshots(&snaps, paths, opts)
}

/// Suspects and (with object ids) the Comparison counters and kept objects, computed
/// together on the pool.
fn suspects_and_classes(
    snaps: &[Indexed],
    matching: Matching,
) -> (
    Vec<Suspect>,
    Option<HashMap<String, ClassDiff>>,
    Option<KeptObjects>,
) {
    match matching {
        Matching::ObjectIds => {
            let (per, (suspects, kept)) = rayon::join(
                || timed("compare", || compare(&snaps[0], &snaps[snaps.len() - 1])),
                || {
                    timed("suspects", || {
                        let kept = (snaps.len() >= 3).then(|| kept_objects(snaps));
                        (find_suspects(snaps, matching, kept.as_ref()), kept)
                    })
                },
            );
            (suspects, Some(per), kept)
        }
        Matching::Retainers => (
            timed("suspects", || find_suspects(snaps, matching, None)),
            None,
            None,
        ),
    }
}

/// The whole `heap diff` over loaded snapshots, oldest first.
pub fn diff_snapshots(
    snaps: &[Indexed],
    paths: &[PathBuf],
    opts: &Options,
) -> Result<HeapReport, HeapError> {
    if snaps.len() < 2 {
        return Err(HeapError::Usage(
            "heap diff needs at least two snapshots, oldest first".into(),
        ));
    }
    let mut t = super::timing::Timer::new();
    let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut r = HeapReport::new("v8", "snapshot", "diff", inputs.clone());
    // Object ids are the usual case (one session): its passes start beside the check
    // that the ids line up, and are dropped if they do not.
    let guess = opts.matching.unwrap_or(Matching::ObjectIds);
    let (continuities, by_guess) = rayon::join(
        || {
            timed("continuity", || {
                (1..snaps.len())
                    .map(|k| continuity(&snaps[k - 1], &snaps[k]))
                    .collect::<Vec<_>>()
            })
        },
        || suspects_and_classes(snaps, guess),
    );
    t.lap("continuity, compare, suspects");
    let broken = (1..snaps.len())
        .zip(&continuities)
        .find(|(_, &(c, old))| old >= 1000 && c < MIN_CONTINUITY);
    for (k, &(c, _)) in (1..snaps.len()).zip(&continuities) {
        r.totals
            .insert(format!("continuity_{k}"), (c * 1000.0).round() / 1000.0);
    }
    let matching = match (opts.matching, broken) {
        (Some(m), None) => m,
        (Some(Matching::ObjectIds), Some((k, &(c, old)))) => {
            return Err(HeapError::Mismatch(format!(
                "{} and {} cannot be matched by object id: only {:.0}% of the {} older objects in the second match the first by id, type and name (one inspector session of one process gives 100%); take them in one session (heap capture --count), or match by retainers",
                inputs[k - 1],
                inputs[k],
                c * 100.0,
                old
            )));
        }
        (Some(Matching::Retainers), _) | (None, Some(_)) => Matching::Retainers,
        (None, None) => Matching::ObjectIds,
    };
    let (suspects, per, kept) = if matching == guess {
        by_guess
    } else {
        suspects_and_classes(snaps, matching)
    };
    r.matching = Some(matching.as_str().into());
    if let Some((k, &(c, old))) = broken.filter(|_| opts.matching.is_none()) {
        r.notes.push(format!(
            "{} and {} come from different inspector sessions or processes (only {:.0}% of {} older objects match by id), so objects were matched by what holds them: retainer paths from a module or global, property names, closures' functions and variables. Class rows are counts and sizes, not DevTools' per-object # New/# Deleted, and memlab's kept objects need one session (heap capture --count N).",
            inputs[k - 1],
            inputs[k],
            c * 100.0,
            old
        ));
    }
    let (first, last) = (&snaps[0], &snaps[snaps.len() - 1]);
    match per {
        Some(per) => comparison_table(snaps, per, kept.as_ref(), opts, &mut r),
        None => class_count_table(snaps, opts, &mut r),
    }
    let t0: u64 = first.a.shallow.iter().map(|&x| x as u64).sum();
    let t1: u64 = last.a.shallow.iter().map(|&x| x as u64).sum();
    r.totals.insert("total_size_first".into(), t0 as f64);
    r.totals.insert("total_size_last".into(), t1 as f64);
    r.suspects = suspects;
    if opts.pictures {
        r.picture = Some(super::picture(&last.a, &last.owners));
    }
    t.lap("classes diff");
    if snaps.len() == 2 {
        r.notes.push(
            "with two snapshots, growth is one step; take three or more (e.g. --count 3) to see which collections grow at every step".into(),
        );
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_like_a_comparison_sort() {
        let mut x: u64 = 12345;
        let mut ids: Vec<u32> = (0..100_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 33) as u32
            })
            .collect();
        ids.extend([0, u32::MAX, 7, 7, 7]);
        let mut want: Vec<u64> = ids
            .iter()
            .enumerate()
            .map(|(o, &id)| ((id as u64) << 32) | o as u64)
            .collect();
        want.sort_unstable();
        assert_eq!(sorted_ids(&ids), want);
        // Descending ids (a run per element, the worst case for a run-adaptive sort) and
        // ascending ones (the one-pass case of a first snapshot).
        let small: Vec<u32> = (0..5000u32).rev().map(|i| i * 2 + 1).collect();
        let got = sorted_ids(&small);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(lookup(&got, 1), Some(4999));
        let ascending: Vec<u32> = (0..5000u32).map(|i| i * 2 + 1).collect();
        let got = sorted_ids(&ascending);
        assert_eq!(lookup(&got, 1), Some(0));
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sorted_ids(&[]), Vec::<u64>::new());
    }
}
