//! The class table of `heap diff` for V8 snapshots. Within one inspector session: DevTools'
//! Comparison view (new, deleted, allocated, freed, by object id) with retained-size deltas
//! and memlab's kept objects. Across sessions, restarts and replicas, where object ids say
//! nothing: each class's count, shallow and retained size in the first and last snapshot.

use std::collections::HashMap;

use super::diff::Indexed;
use super::kept::KeptObjects;
use crate::report::{Column, Group, HeapReport, Unit};
use crate::Options;

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

/// Per-class counts and sizes from the class aggregates (DevTools Summary) of one snapshot.
fn summary(x: &Indexed) -> HashMap<&str, (u64, u64, f64)> {
    let a = &x.a;
    let mut m = HashMap::new();
    for (c, g) in a.aggs.iter().enumerate() {
        if g.count > 0 {
            let e = m.entry(a.class_names[c].as_str()).or_insert((0, 0, 0.0));
            e.0 += g.count;
            e.1 += g.shallow;
            e.2 += g.retained;
        }
    }
    m
}

/// Fill `r`'s class table with DevTools' Comparison between the first and last snapshot
/// (matched by object id), retained deltas and, with `kept`, memlab's kept objects.
pub fn comparison_table(
    snaps: &[Indexed],
    mut per: HashMap<String, ClassDiff>,
    kept: Option<&KeptObjects>,
    opts: &Options,
    r: &mut HeapReport,
) {
    let (first, last) = (&snaps[0], &snaps[snaps.len() - 1]);
    for (name, (_, _, retained)) in summary(first) {
        per.entry(name.to_string()).or_default().retained_base = retained;
    }
    for (name, (_, _, retained)) in summary(last) {
        per.entry(name.to_string()).or_default().retained_last = retained;
    }
    r.columns = vec![
        Column::new("new", "# New", Unit::Count),
        Column::new("deleted", "# Deleted", Unit::Count),
        Column::new("delta", "# Delta", Unit::Count),
        Column::new("alloc_size", "Alloc. Size", Unit::Bytes),
        Column::new("freed_size", "Freed Size", Unit::Bytes),
        Column::new("size_delta", "Size Delta", Unit::Bytes),
        Column::new("retained_delta", "Retained Delta", Unit::Bytes),
    ];
    if let Some(k) = kept {
        for (c, &(n, bytes)) in k.per_class.iter().enumerate() {
            if n > 0 {
                let d = per.entry(last.a.class_names[c].clone()).or_default();
                d.leaked += n;
                d.leaked_size += bytes;
            }
        }
        r.columns.push(Column::new(
            "leaked",
            "# Kept (1→2, alive in last)",
            Unit::Count,
        ));
        r.columns
            .push(Column::new("leaked_size", "Kept Size", Unit::Bytes));
        r.totals.insert("kept_count".into(), k.count as f64);
        r.totals.insert("kept_size".into(), k.bytes as f64);
        r.notes.push(format!(
            "memlab's method: {} objects ({} bytes) allocated between the first and second snapshot are still alive in the last",
            k.count, k.bytes
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
    let mut sum = [0i64; 4];
    for (_, d) in &rows {
        sum[0] += d.new as i64;
        sum[1] += d.deleted as i64;
        sum[2] += d.alloc as i64;
        sum[3] += d.freed as i64;
    }
    truncate(&mut rows, opts, r);
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
        if kept.is_some() {
            v.insert("leaked".into(), d.leaked as f64);
            v.insert("leaked_size".into(), d.leaked_size as f64);
        }
        r.groups.push(g);
    }
    r.totals.insert("new".into(), sum[0] as f64);
    r.totals.insert("deleted".into(), sum[1] as f64);
    r.totals.insert("alloc_size".into(), sum[2] as f64);
    r.totals.insert("freed_size".into(), sum[3] as f64);
}

/// Fill `r`'s class table across sessions: per class, the count, shallow size and retained
/// size in the first and last snapshot and their deltas (nothing here needs object ids).
pub fn class_count_table(snaps: &[Indexed], opts: &Options, r: &mut HeapReport) {
    let (first, last) = (summary(&snaps[0]), summary(&snaps[snaps.len() - 1]));
    let mut names: Vec<&str> = first.keys().chain(last.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    let zero = (0u64, 0u64, 0.0f64);
    let mut rows: Vec<(String, [f64; 5])> = names
        .into_iter()
        .map(|n| {
            let (c0, s0, r0) = first.get(n).copied().unwrap_or(zero);
            let (c1, s1, r1) = last.get(n).copied().unwrap_or(zero);
            let row = [
                c1 as f64,
                c1 as f64 - c0 as f64,
                s1 as f64,
                s1 as f64 - s0 as f64,
                (r1 - r0).round(),
            ];
            (n.to_string(), row)
        })
        .filter(|(_, v)| v[1] != 0.0 || v[3] != 0.0)
        .collect();
    rows.sort_by(|x, y| {
        y.1[3]
            .total_cmp(&x.1[3])
            .then(y.1[1].total_cmp(&x.1[1]))
            .then(x.0.cmp(&y.0))
    });
    r.columns = vec![
        Column::new("count", "# Last", Unit::Count),
        Column::new("delta", "# Delta", Unit::Count),
        Column::new("shallow_size", "Size Last", Unit::Bytes),
        Column::new("size_delta", "Size Delta", Unit::Bytes),
        Column::new("retained_delta", "Retained Delta", Unit::Bytes),
    ];
    let keys = [
        "count",
        "delta",
        "shallow_size",
        "size_delta",
        "retained_delta",
    ];
    let grown: f64 = rows.iter().map(|x| x.1[1].max(0.0)).sum();
    let shrunk: f64 = rows.iter().map(|x| (-x.1[1]).max(0.0)).sum();
    r.totals.insert("count_grown".into(), grown);
    r.totals.insert("count_shrunk".into(), shrunk);
    truncate(&mut rows, opts, r);
    for (name, v) in rows {
        let mut g = Group {
            name,
            location: None,
            values: Default::default(),
        };
        for (k, x) in keys.iter().zip(v) {
            g.values.insert((*k).into(), x);
        }
        r.groups.push(g);
    }
}

fn truncate<T>(rows: &mut Vec<T>, opts: &Options, r: &mut HeapReport) {
    let total = rows.len();
    if opts.limit > 0 && total > opts.limit {
        rows.truncate(opts.limit);
        r.notes.push(format!(
            "showing the top {} of {} classes by size delta (use --limit 0 for all)",
            opts.limit, total
        ));
    }
}
