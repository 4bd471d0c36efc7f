//! Python `tracemalloc.Snapshot.dump()` files: `heap top` = `Snapshot.statistics()`,
//! `heap diff OLD NEW` = `NEW.compare_to(OLD)`, with CPython's numbers and order.
//!
//! [`parse_dump`] reads the pickle with a purpose-built unpickler ([`pickle`]) that never
//! runs code; [`stats`] groups traces exactly as `Lib/tracemalloc.py` does.

pub mod pickle;
pub mod snapshot;
pub mod stats;
pub mod value;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use pickle::PickleError;
pub use snapshot::{parse_dump, Frame, Snapshot, Trace};
pub use stats::{compare_to, statistics, KeyType, Stat};

use crate::{Column, Group, HeapError, HeapReport, Options, Suspect, Unit};
use leakscope_core::units::format_bytes;

/// True when `prefix` starts a pickle (protocol 2+) that names the `tracemalloc` module.
pub fn sniff(prefix: &[u8]) -> bool {
    prefix.len() > 2 && prefix[0] == 0x80 && prefix.windows(11).any(|w| w == b"tracemalloc")
}

/// Read and parse the dump at `path`.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, HeapError> {
    let bytes = crate::pprof::decode::read_file_capped(path)?;
    parse_dump(&bytes).map_err(|e| HeapError::format(path, e.offset, e.message))
}

fn key_type(opts: &Options) -> Result<KeyType, HeapError> {
    let by = opts.by.as_deref().unwrap_or("lineno");
    let k = KeyType::parse(by).ok_or_else(|| {
        HeapError::Usage(format!(
            "--by {by} is not a tracemalloc grouping; use lineno, filename or traceback"
        ))
    })?;
    if opts.cumulative && k == KeyType::Traceback {
        return Err(HeapError::Usage(
            "cumulative statistics group by lineno or filename, not traceback".into(),
        ));
    }
    Ok(k)
}

/// How a group's traceback is named: `file:line` (most recent frame), or `file`.
fn group_name(st: &Stat, key: KeyType) -> (String, Option<String>) {
    let frame = |(f, l): &(String, i64)| format!("{f}:{l}");
    let recent = st.frames.last();
    match key {
        KeyType::Filename => (recent.map(|f| f.0.clone()).unwrap_or_default(), None),
        KeyType::Lineno => (recent.map(frame).unwrap_or_default(), None),
        KeyType::Traceback => (
            recent.map(frame).unwrap_or_default(),
            Some(st.frames.iter().map(frame).collect::<Vec<_>>().join(" > ")),
        ),
    }
}

fn total(s: &Snapshot) -> i64 {
    s.traces.iter().map(|t| t.size).fold(0, i64::saturating_add)
}

fn limit(opts: &Options) -> usize {
    if opts.limit == 0 {
        usize::MAX
    } else {
        opts.limit
    }
}

/// `heap top` on a dump: `statistics(--by, cumulative)`.
pub fn top(path: &Path, opts: &Options) -> Result<HeapReport, HeapError> {
    let key = key_type(opts)?;
    let snap = read_snapshot(path)?;
    let stats = statistics(&snap, key, opts.cumulative);
    let mut rep = HeapReport::new(
        "tracemalloc",
        "snapshot",
        "top",
        vec![path.display().to_string()],
    );
    rep.columns = vec![
        Column::new("size", "Size", Unit::Bytes),
        Column::new("count", "Count", Unit::Count),
        Column::new("average", "Average", Unit::Bytes),
    ];
    for st in stats.iter().take(limit(opts)) {
        let (name, location) = group_name(st, key);
        let mut values = BTreeMap::new();
        values.insert("size".to_owned(), st.size as f64);
        values.insert("count".to_owned(), st.count as f64);
        let avg = if st.count > 0 {
            st.size as f64 / st.count as f64
        } else {
            0.0
        };
        values.insert("average".to_owned(), avg);
        rep.groups.push(Group {
            name,
            location,
            values,
        });
    }
    rep.totals.insert("total_size".into(), total(&snap) as f64);
    rep.totals.insert("traces".into(), snap.traces.len() as f64);
    rep.totals.insert("groups".into(), stats.len() as f64);
    rep.totals
        .insert("traceback_limit".into(), snap.traceback_limit as f64);
    notes(&mut rep, &snap, stats.len());
    if opts.pictures {
        rep.picture = Some(picture(
            "size",
            statistics(&snap, KeyType::Traceback, false)
                .into_iter()
                .map(|s| (s.frames, s.size)),
        ));
    }
    Ok(rep)
}

/// Tracebacks (outermost frame first) and their bytes as a flame graph's stacks.
fn picture(
    what: &str,
    items: impl Iterator<Item = (Vec<(String, i64)>, i64)>,
) -> crate::picture::Picture {
    crate::picture::Picture::Stacks {
        what: what.into(),
        bytes: true,
        stacks: crate::picture::stacks_from(items.map(|(frames, v)| {
            (
                frames
                    .into_iter()
                    .map(|(f, l)| format!("{f}:{l}"))
                    .collect(),
                v,
            )
        })),
    }
}

fn notes(rep: &mut HeapReport, snap: &Snapshot, groups: usize) {
    if groups > rep.groups.len() {
        rep.notes.push(format!(
            "showing {} of {groups} groups (--limit)",
            rep.groups.len()
        ));
    }
    if snap.traceback_limit <= 1 {
        rep.notes.push(
            "the snapshot keeps 1 frame per trace: start tracemalloc with more frames (tracemalloc.start(25)) to see who calls the allocation sites".into(),
        );
    }
}

/// `heap diff OLD.. NEW` on dumps: `NEW.compare_to(OLD, --by)` and the sites that grew.
pub fn diff(paths: &[PathBuf], opts: &Options) -> Result<HeapReport, HeapError> {
    let (Some(first), Some(last)) = (paths.first(), paths.last()) else {
        return Err(HeapError::Usage(
            "heap diff needs at least two files, oldest first".into(),
        ));
    };
    let key = key_type(opts)?;
    let old = read_snapshot(first)?;
    let new = read_snapshot(last)?;
    let stats = compare_to(&new, &old, key, opts.cumulative);
    let inputs = paths.iter().map(|p| p.display().to_string()).collect();
    let mut rep = HeapReport::new("tracemalloc", "snapshot", "diff", inputs);
    rep.columns = vec![
        Column::new("size", "Size", Unit::Bytes),
        Column::new("size_diff", "Size +/-", Unit::Bytes),
        Column::new("count", "Count", Unit::Count),
        Column::new("count_diff", "Count +/-", Unit::Count),
    ];
    for st in stats.iter().take(limit(opts)) {
        let (name, location) = group_name(st, key);
        let mut values = BTreeMap::new();
        values.insert("size".to_owned(), st.size as f64);
        values.insert("size_diff".to_owned(), st.size_diff as f64);
        values.insert("count".to_owned(), st.count as f64);
        values.insert("count_diff".to_owned(), st.count_diff as f64);
        rep.groups.push(Group {
            name,
            location,
            values,
        });
    }
    let (ot, nt) = (total(&old), total(&new));
    rep.totals.insert("old_total_size".into(), ot as f64);
    rep.totals.insert("new_total_size".into(), nt as f64);
    rep.totals
        .insert("size_diff".into(), nt.saturating_sub(ot) as f64);
    rep.totals
        .insert("old_traces".into(), old.traces.len() as f64);
    rep.totals
        .insert("new_traces".into(), new.traces.len() as f64);
    rep.totals.insert("groups".into(), stats.len() as f64);
    notes(&mut rep, &new, stats.len());
    if paths.len() > 2 {
        rep.notes.push(format!(
            "compared the first and the last of {} dumps",
            paths.len()
        ));
    }
    rep.suspects = suspects(&new, &old);
    rep.matching = Some("allocation-sites".into());
    if opts.pictures {
        rep.picture = Some(picture(
            "size +/-",
            compare_to(&new, &old, KeyType::Traceback, false)
                .into_iter()
                .map(|s| (s.frames, s.size_diff)),
        ));
    }
    Ok(rep)
}

/// `growing-allocation-site`: lines whose live bytes grew by at least 1% of the newer total.
fn suspects(new: &Snapshot, old: &Snapshot) -> Vec<Suspect> {
    let min = (total(new) as f64 * 0.01).max(1.0);
    let by_tb = compare_to(new, old, KeyType::Traceback, false);
    compare_to(new, old, KeyType::Lineno, false)
        .into_iter()
        .filter(|s| s.size_diff > 0 && s.size_diff as f64 >= min)
        .take(5)
        .map(|s| {
            let site = s.frames.last().cloned().unwrap_or_default();
            let location = format!("{}:{}", site.0, site.1);
            // The traceback that grew most through this line, outermost first.
            let path = by_tb
                .iter()
                .filter(|t| t.size_diff > 0 && t.frames.last() == Some(&site))
                .max_by_key(|t| t.size_diff)
                .map(|t| t.frames.iter().map(|(f, l)| format!("{f}:{l}")).collect())
                .unwrap_or_else(|| vec![location.clone()]);
            let mut extra = BTreeMap::new();
            extra.insert("location".to_owned(), serde_json::json!(location));
            extra.insert("size".to_owned(), serde_json::json!(s.size));
            extra.insert("count".to_owned(), serde_json::json!(s.count));
            Suspect {
                pattern: "growing-allocation-site".into(),
                name: location.clone(),
                retainer_path: path,
                count_delta: s.count_diff,
                size_delta: s.size_diff,
                advice: format!(
                    "memory allocated at {location} and still alive grew by {} ({:+} blocks) between the dumps: something keeps these objects reachable, often a module-level dict or list or a cache without eviction; bound it or remove entries when done",
                    format_bytes(s.size_diff as f64),
                    s.count_diff
                ),
                extra,
            }
        })
        .collect()
}
