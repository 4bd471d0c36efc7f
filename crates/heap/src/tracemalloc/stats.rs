//! `Snapshot.statistics()` and `Snapshot.compare_to()` of CPython's `Lib/tracemalloc.py`,
//! with the same grouping, the same numbers and the same order.

use crate::pprof::fxhash::FxHashMap as HashMap;

use super::snapshot::Snapshot;

/// What traces are grouped by (tracemalloc's `key_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// The most recent frame (file and line): `'lineno'`.
    Lineno,
    /// The most recent frame's file: `'filename'`.
    Filename,
    /// The whole traceback: `'traceback'`.
    Traceback,
}

impl KeyType {
    /// Parse `lineno`, `filename` or `traceback`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lineno" | "line" => Some(KeyType::Lineno),
            "filename" | "file" => Some(KeyType::Filename),
            "traceback" => Some(KeyType::Traceback),
            _ => None,
        }
    }
}

/// One `Statistic` or `StatisticDiff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The group's traceback, **oldest frame first** like the Python API: (file, line);
    /// line 0 when grouped by file.
    pub frames: Vec<(String, i64)>,
    /// Bytes in the group (in the newer snapshot for a diff).
    pub size: i64,
    /// Number of traces (memory blocks).
    pub count: i64,
    /// size - old size (0 for `statistics`).
    pub size_diff: i64,
    /// count - old count (0 for `statistics`).
    pub count_diff: i64,
}

type Key<'a> = Vec<(&'a str, i64)>;

/// `_group_by(key_type, cumulative)`: per key, (size, count). Keys are oldest frame first.
fn group_by(s: &Snapshot, key: KeyType, cumulative: bool) -> HashMap<Key<'_>, (i64, i64)> {
    fn add<'a>(out: &mut HashMap<Key<'a>, (i64, i64)>, k: Key<'a>, v: (i64, i64)) {
        let e = out.entry(k).or_insert((0, 0));
        e.0 = e.0.saturating_add(v.0);
        e.1 += v.1;
    }
    // Sum per traceback first: O(traces) without hashing.
    let mut per_tb = vec![(0i64, 0i64); s.tracebacks.len()];
    for t in &s.traces {
        if let Some(e) = per_tb.get_mut(t.traceback as usize) {
            e.0 = e.0.saturating_add(t.size);
            e.1 += 1;
        }
    }
    let name = |i: u32| {
        s.filenames
            .get(i as usize)
            .map(String::as_str)
            .unwrap_or("")
    };
    let mut out: HashMap<Key<'_>, (i64, i64)> = HashMap::default();
    for (tb, &(size, count)) in s.tracebacks.iter().zip(&per_tb) {
        if count == 0 {
            continue;
        }
        if cumulative && key != KeyType::Traceback {
            for f in tb {
                let lineno = if key == KeyType::Lineno { f.lineno } else { 0 };
                add(&mut out, vec![(name(f.filename), lineno)], (size, count));
            }
            continue;
        }
        let k: Key<'_> = match key {
            KeyType::Traceback => tb
                .iter()
                .rev()
                .map(|f| (name(f.filename), f.lineno))
                .collect(),
            KeyType::Lineno => tb
                .iter()
                .take(1)
                .map(|f| (name(f.filename), f.lineno))
                .collect(),
            KeyType::Filename => vec![(tb.first().map(|f| name(f.filename)).unwrap_or(""), 0)],
        };
        add(&mut out, k, (size, count));
    }
    out
}

fn own(k: &Key<'_>) -> Vec<(String, i64)> {
    k.iter().map(|(f, l)| ((*f).to_owned(), *l)).collect()
}

/// `snapshot.statistics(key, cumulative)`: sorted by (size, count, traceback), largest first.
pub fn statistics(s: &Snapshot, key: KeyType, cumulative: bool) -> Vec<Stat> {
    let mut v: Vec<(Key<'_>, (i64, i64))> = group_by(s, key, cumulative).into_iter().collect();
    v.sort_by(|a, b| (b.1 .0, b.1 .1, &b.0).cmp(&(a.1 .0, a.1 .1, &a.0)));
    v.iter()
        .map(|(k, (size, count))| Stat {
            frames: own(k),
            size: *size,
            count: *count,
            size_diff: 0,
            count_diff: 0,
        })
        .collect()
}

/// `new.compare_to(old, key, cumulative)`: sorted by (|size_diff|, size, |count_diff|, count,
/// traceback), largest first; groups only in `old` appear with size 0 and negative diffs.
pub fn compare_to(new: &Snapshot, old: &Snapshot, key: KeyType, cumulative: bool) -> Vec<Stat> {
    let newg = group_by(new, key, cumulative);
    let mut oldg = group_by(old, key, cumulative);
    let mut v: Vec<(Key<'_>, i64, i64, i64, i64)> = Vec::with_capacity(newg.len() + oldg.len());
    for (k, (size, count)) in newg {
        let (os, oc) = oldg.remove(&k).unwrap_or((0, 0));
        v.push((k, size, size.saturating_sub(os), count, count - oc));
    }
    for (k, (os, oc)) in oldg {
        v.push((k, 0, os.saturating_neg(), 0, -oc));
    }
    let sort_key =
        |e: &(Key<'_>, i64, i64, i64, i64)| (e.2.unsigned_abs(), e.1, e.4.unsigned_abs(), e.3);
    v.sort_by(|a, b| (sort_key(b), &b.0).cmp(&(sort_key(a), &a.0)));
    v.iter()
        .map(|(k, size, sd, count, cd)| Stat {
            frames: own(k),
            size: *size,
            count: *count,
            size_diff: *sd,
            count_diff: *cd,
        })
        .collect()
}
