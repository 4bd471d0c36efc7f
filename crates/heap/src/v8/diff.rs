//! `heap diff` for V8 snapshots of one process: DevTools' Comparison view per class (new,
//! deleted, delta, allocated, freed, size delta) between the first and the last snapshot,
//! memlab's "allocated between the first and second, still alive in the last" with three or
//! more, a check that the snapshots come from one process, and the ranked suspects.

use std::collections::HashMap;
use std::path::PathBuf;

use super::analysis::{analyze_with, Analyzed};
use super::handoff::{Gate, OpenOnDrop};
use super::model::Snapshot;
use super::reader::{read_file, read_file_with};
use super::suspects::{
    closure_candidates, closure_groups, collection_entries, collections, find_suspects,
};
use super::timing::timed;
use crate::report::{Column, Group, HeapReport, Unit};
use crate::{HeapError, Options};

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
    pub closures: super::suspects::ClosureGroups,
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
        let colls = collections(&a, entries);
        let closures = closure_groups(&a, &cands);
        t.lap("collections, closures");
        Self {
            a,
            ids,
            colls,
            closures,
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

/// Below this continuity two snapshots are taken to come from different processes.
pub const MIN_CONTINUITY: f64 = 0.95;

/// Per-class Comparison-view counters.
#[derive(Debug, Default, Clone)]
pub struct ClassDiff {
    /// Objects whose id is not in the base snapshot.
    pub new: u64,
    /// Base objects whose id is gone.
    pub deleted: u64,
    /// Sum of shallow sizes of new objects, bytes.
    pub alloc: u64,
    /// Sum of shallow sizes of deleted objects, bytes.
    pub freed: u64,
    /// memlab: allocated between the first and second snapshot, alive in the last (count).
    pub leaked: u64,
    /// Shallow bytes of those.
    pub leaked_size: u64,
    /// Retained size of the class in the base snapshot (DevTools Summary), bytes.
    pub retained_base: f64,
    /// Retained size of the class in the last snapshot, bytes.
    pub retained_last: f64,
}

/// DevTools' `calculateSnapshotDiff`, with classes matched by name: merge-join by id of the
/// objects with a non-zero shallow size; an object whose class changed counts as deleted from
/// its old class and new in its new one.
pub fn compare(base: &Indexed, cur: &Indexed) -> HashMap<String, ClassDiff> {
    // Counters per class id of each side, merged by name at the end; a base class maps to
    // the current class of the same name (u32::MAX: none), so the join compares integers.
    let by_name: HashMap<&str, u32> = cur
        .a
        .class_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let to_cur: Vec<u32> = base
        .a
        .class_names
        .iter()
        .map(|n| by_name.get(n.as_str()).copied().unwrap_or(u32::MAX))
        .collect();
    let mut freed = vec![(0u64, 0u64); base.a.class_names.len()];
    let mut alloc = vec![(0u64, 0u64); cur.a.class_names.len()];
    let (bs, cs) = (&base.a.shallow, &cur.a.shallow);
    let (bc, cc) = (&base.a.class_of, &cur.a.class_of);
    let mut deleted = |o: usize| {
        let d = &mut freed[bc[o] as usize];
        d.0 += 1;
        d.1 += bs[o] as u64;
    };
    let mut added = |o: usize| {
        let d = &mut alloc[cc[o] as usize];
        d.0 += 1;
        d.1 += cs[o] as u64;
    };
    let mut b = base
        .ids
        .iter()
        .copied()
        .filter(|&v| bs[v as u32 as usize] > 0)
        .peekable();
    let mut c = cur
        .ids
        .iter()
        .copied()
        .filter(|&v| cs[v as u32 as usize] > 0)
        .peekable();
    loop {
        let bid = b.peek().map(|&x| (x >> 32) as u32);
        let cid = c.peek().map(|&x| (x >> 32) as u32);
        match (bid, cid) {
            (None, None) => break,
            (Some(x), Some(y)) if x == y => {
                let (bo, co) = (b.next().unwrap_or(0) as u32, c.next().unwrap_or(0) as u32);
                if to_cur[bc[bo as usize] as usize] != cc[co as usize] {
                    deleted(bo as usize);
                    added(co as usize);
                }
            }
            (Some(x), Some(y)) if x < y => deleted(b.next().unwrap_or(0) as u32 as usize),
            (Some(_), None) => deleted(b.next().unwrap_or(0) as u32 as usize),
            _ => added(c.next().unwrap_or(0) as u32 as usize),
        }
    }
    let mut out: HashMap<String, ClassDiff> = HashMap::new();
    for (i, &(n, bytes)) in freed.iter().enumerate() {
        if n > 0 {
            let d = out.entry(base.a.class_names[i].clone()).or_default();
            d.deleted += n;
            d.freed += bytes;
        }
    }
    for (i, &(n, bytes)) in alloc.iter().enumerate() {
        if n > 0 {
            let d = out.entry(cur.a.class_names[i].clone()).or_default();
            d.new += n;
            d.alloc += bytes;
        }
    }
    out
}

/// memlab's method: objects (non-zero shallow size) of `second` not in `first`, still alive
/// in `last`; counted per class of `last`.
fn allocated_and_retained(
    first: &Indexed,
    second: &Indexed,
    last: &Indexed,
    out: &mut HashMap<String, ClassDiff>,
) -> (u64, u64) {
    let (mut n, mut bytes) = (0u64, 0u64);
    for &x in &second.ids {
        let id = (x >> 32) as u32;
        if second.a.shallow[x as u32 as usize] == 0 || lookup(&first.ids, id).is_some() {
            continue;
        }
        let Some(lo) = lookup(&last.ids, id) else {
            continue;
        };
        let sz = last.a.shallow[lo as usize] as u64;
        if sz == 0 {
            continue;
        }
        let name = &last.a.class_names[last.a.class_of[lo as usize] as usize];
        let d = out.entry(name.clone()).or_default();
        d.leaked += 1;
        d.leaked_size += sz;
        n += 1;
        bytes += sz;
    }
    (n, bytes)
}

/// The whole `heap diff` over files, oldest first.
pub fn diff_files(paths: &[PathBuf], opts: &Options) -> Result<HeapReport, HeapError> {
    let snaps = load_all(paths)?;
    diff_snapshots(&snaps, paths, opts)
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
    // Independent passes over the loaded snapshots, run side by side.
    let (continuities, (mut per, suspects)) = rayon::join(
        || {
            timed("continuity", || {
                (1..snaps.len())
                    .map(|k| continuity(&snaps[k - 1], &snaps[k]))
                    .collect::<Vec<_>>()
            })
        },
        || {
            rayon::join(
                || timed("compare", || compare(&snaps[0], &snaps[snaps.len() - 1])),
                || timed("suspects", || find_suspects(snaps)),
            )
        },
    );
    t.lap("continuity, compare, suspects");
    for (k, &(c, old)) in (1..snaps.len()).zip(&continuities) {
        if old >= 1000 && c < MIN_CONTINUITY {
            return Err(HeapError::Mismatch(format!(
                "{} and {} do not look like snapshots of one process, in this order: only {:.0}% of the {} older objects in the second match the first by id, type and name (one process gives 100%); take the snapshots from one running process, oldest first",
                inputs[k - 1],
                inputs[k],
                c * 100.0,
                old
            )));
        }
        r.totals
            .insert(format!("continuity_{k}"), (c * 1000.0).round() / 1000.0);
    }
    let (first, last) = (&snaps[0], &snaps[snaps.len() - 1]);
    for (agg, which) in [(&first.a.aggs, 0), (&last.a.aggs, 1)] {
        let a = if which == 0 { &first.a } else { &last.a };
        for (c, g) in agg.iter().enumerate() {
            if g.count == 0 {
                continue;
            }
            let d = per.entry(a.class_names[c].clone()).or_default();
            if which == 0 {
                d.retained_base = g.retained;
            } else {
                d.retained_last = g.retained;
            }
        }
    }
    let three = snaps.len() >= 3;
    r.columns = vec![
        Column::new("new", "# New", Unit::Count),
        Column::new("deleted", "# Deleted", Unit::Count),
        Column::new("delta", "# Delta", Unit::Count),
        Column::new("alloc_size", "Alloc. Size", Unit::Bytes),
        Column::new("freed_size", "Freed Size", Unit::Bytes),
        Column::new("size_delta", "Size Delta", Unit::Bytes),
        Column::new("retained_delta", "Retained Delta", Unit::Bytes),
    ];
    if three {
        let (n, bytes) = allocated_and_retained(&snaps[0], &snaps[1], last, &mut per);
        r.columns.push(Column::new(
            "leaked",
            "# Kept (1→2, alive in last)",
            Unit::Count,
        ));
        r.columns
            .push(Column::new("leaked_size", "Kept Size", Unit::Bytes));
        r.totals.insert("kept_count".into(), n as f64);
        r.totals.insert("kept_size".into(), bytes as f64);
        r.notes.push(format!(
            "memlab's method: {n} objects ({bytes} bytes) allocated between the first and second snapshot are still alive in the last"
        ));
    }
    let mut rows: Vec<(String, ClassDiff)> = per
        .into_iter()
        .filter(|(_, d)| d.new + d.deleted + d.leaked > 0)
        .collect();
    rows.sort_by(|x, y| {
        let sx = x.1.alloc as i64 - x.1.freed as i64;
        let sy = y.1.alloc as i64 - y.1.freed as i64;
        sy.cmp(&sx)
            .then((y.1.new as i64 - y.1.deleted as i64).cmp(&(x.1.new as i64 - x.1.deleted as i64)))
            .then(x.0.cmp(&y.0))
    });
    let total_rows = rows.len();
    let mut sum = [0i64; 4];
    for (_, d) in &rows {
        sum[0] += d.new as i64;
        sum[1] += d.deleted as i64;
        sum[2] += d.alloc as i64;
        sum[3] += d.freed as i64;
    }
    if opts.limit > 0 && rows.len() > opts.limit {
        rows.truncate(opts.limit);
        r.notes.push(format!(
            "showing the top {} of {} classes by size delta (use --limit 0 for all)",
            opts.limit, total_rows
        ));
    }
    for (name, d) in rows {
        let mut g = Group {
            name,
            location: None,
            values: Default::default(),
        };
        let v = &mut g.values;
        v.insert("new".into(), d.new as f64);
        v.insert("deleted".into(), d.deleted as f64);
        v.insert("delta".into(), d.new as f64 - d.deleted as f64);
        v.insert("alloc_size".into(), d.alloc as f64);
        v.insert("freed_size".into(), d.freed as f64);
        v.insert("size_delta".into(), d.alloc as f64 - d.freed as f64);
        v.insert(
            "retained_delta".into(),
            (d.retained_last - d.retained_base).round(),
        );
        if three {
            v.insert("leaked".into(), d.leaked as f64);
            v.insert("leaked_size".into(), d.leaked_size as f64);
        }
        r.groups.push(g);
    }
    r.totals.insert("new".into(), sum[0] as f64);
    r.totals.insert("deleted".into(), sum[1] as f64);
    r.totals.insert("alloc_size".into(), sum[2] as f64);
    r.totals.insert("freed_size".into(), sum[3] as f64);
    let t0: u64 = first.a.shallow.iter().map(|&x| x as u64).sum();
    let t1: u64 = last.a.shallow.iter().map(|&x| x as u64).sum();
    r.totals.insert("total_size_first".into(), t0 as f64);
    r.totals.insert("total_size_last".into(), t1 as f64);
    r.suspects = suspects;
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
