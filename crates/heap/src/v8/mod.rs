//! V8 / Node.js / Chrome `.heapsnapshot` files: a streaming reader into a compact columnar
//! model, DevTools-compatible analyses (shallow-size reattribution, Lengauer–Tarjan dominators,
//! retained sizes, distances, class aggregates), the Comparison-view diff, memlab's
//! allocated-then-retained method, growing collections and ranked leak suspects.
//!
//! Retained-size policy (the same as DevTools, so numbers match it on the same file): the
//! dominator tree is built over "essential" edges only: weak edges, self edges, shortcut edges
//! (except from the root), WeakMap table→value edges and edges from non-page-owned to
//! page-owned nodes are skipped; page-owned means reachable from the root's shortcut edges.

pub mod analysis;
pub mod closures;
pub mod compare;
pub mod diff;
pub mod distances;
pub mod dominators;
pub mod handoff;
pub mod holders;
pub mod kept;
pub mod model;
pub mod paths;
pub mod reader;
mod scan;
pub mod suspects;
pub mod timing;

use std::path::{Path, PathBuf};

use crate::report::{Column, Group, HeapReport, Unit};
use crate::{HeapError, Options};

pub use analysis::{analyze, Analyzed, ClassAgg};
pub use model::Snapshot;
pub use reader::read_file;

/// True when `prefix` starts a V8 `.heapsnapshot` file.
pub fn sniff(prefix: &[u8]) -> bool {
    reader::sniff(prefix)
}

/// Read and analyze one snapshot file.
pub fn load(path: &Path) -> Result<Analyzed, HeapError> {
    Ok(analyze(read_file(path)?))
}

fn check_by(opts: &Options) -> Result<(), HeapError> {
    match opts.by.as_deref() {
        None | Some("class") => Ok(()),
        Some(other) => Err(HeapError::Usage(format!(
            "V8 snapshots group by class only (got --by {other})"
        ))),
    }
}

/// `heap top` for a V8 snapshot: classes by count, shallow and retained size, sorted by
/// retained size like DevTools' Summary view.
pub fn top(path: &Path, opts: &Options) -> Result<HeapReport, HeapError> {
    check_by(opts)?;
    let a = load(path)?;
    let mut r = top_report(&a, &path.display().to_string(), opts);
    if opts.pictures {
        r.picture = Some(picture(&a, &paths::context_closures(&a.snap)));
    }
    Ok(r)
}

/// The dominator tree picture of `--html`: 8 levels, 12 children a node, nodes of at least
/// 0.2% of the heap.
pub fn picture(a: &Analyzed, owners: &paths::ContextOwners) -> crate::picture::Picture {
    crate::picture::Picture::Tree(paths::dominator_picture(a, owners, 8, 12, 0.002))
}

/// Build the `heap top` report of an analyzed snapshot.
pub fn top_report(a: &Analyzed, input: &str, opts: &Options) -> HeapReport {
    let mut r = HeapReport::new("v8", "snapshot", "top", vec![input.to_string()]);
    r.columns = vec![
        Column::new("count", "Count", Unit::Count),
        Column::new("shallow_size", "Shallow", Unit::Bytes),
        Column::new("retained_size", "Retained", Unit::Bytes),
        Column::new("distance", "Distance", Unit::Count),
    ];
    let aggs = &a.aggs;
    let mut rows: Vec<(usize, &ClassAgg)> = aggs
        .iter()
        .enumerate()
        .filter(|(_, g)| g.count > 0)
        .collect();
    rows.sort_by(|x, y| {
        y.1.retained
            .total_cmp(&x.1.retained)
            .then(y.1.shallow.cmp(&x.1.shallow))
            .then(a.class_names[x.0].cmp(&a.class_names[y.0]))
    });
    let total_groups = rows.len();
    if opts.limit > 0 && rows.len() > opts.limit {
        rows.truncate(opts.limit);
        r.notes.push(format!(
            "showing the top {} of {} classes (use --limit 0 for all)",
            opts.limit, total_groups
        ));
    }
    for (c, g) in rows {
        let mut grp = Group {
            name: a.class_names[c].clone(),
            location: None,
            values: Default::default(),
        };
        grp.values.insert("count".into(), g.count as f64);
        grp.values.insert("shallow_size".into(), g.shallow as f64);
        grp.values
            .insert("retained_size".into(), g.retained.round());
        grp.values
            .insert("distance".into(), display_distance(g.distance));
        r.groups.push(grp);
    }
    let s = &a.snap;
    let total: u64 = a.shallow.iter().map(|&x| x as u64).sum();
    r.totals.insert("total_size".into(), total as f64);
    r.totals.insert("node_count".into(), s.node_count() as f64);
    r.totals.insert("edge_count".into(), s.edge_count() as f64);
    r.totals.insert("class_count".into(), total_groups as f64);
    if a.unreachable > 0 {
        r.notes.push(format!(
            "{} nodes are unreachable from the root through strong edges; they are counted under the root",
            a.unreachable
        ));
    }
    r
}

/// Distances as DevTools computes them: 1 for globals, 100000000 + d for objects reached only
/// from system roots (DevTools' `baseSystemDistance`), and -1 for unreachable objects.
fn display_distance(d: u32) -> f64 {
    if d == distances::NO_DISTANCE {
        -1.0
    } else {
        d as f64
    }
}

/// `heap diff` for V8 snapshots of one process, oldest first.
pub fn diff(paths: &[PathBuf], opts: &Options) -> Result<HeapReport, HeapError> {
    check_by(opts)?;
    diff::diff_files(paths, opts)
}
