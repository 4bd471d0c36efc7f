//! Go pprof profiles (profile.proto, gzipped or not): `heap top` and `heap diff` with the
//! numbers of `go tool pprof -top` and `go tool pprof -top -base OLD NEW`.
//!
//! The pipeline mirrors pprof's: [`parse_profile`] (gunzip within [`Limits`], a survey that
//! measures what decoding will build, prost decode, checks),
//! [`merge::merge`] (pprof's `Merge`, the base scaled by -1), [`graph::Graph`] (nodes keyed
//! like pprof's `NodeInfo` at a granularity) and [`graph::top_rows`] (sort and node cut).
//! Goroutine profiles are handed to [`crate::goroutine`].

pub mod budget;
pub mod decode;
pub mod filter;
pub mod fxhash;
pub mod graph;
pub mod list;
pub mod merge;
pub mod proto;
mod report;
mod suspects;

use std::path::{Path, PathBuf};

pub use budget::{Limits, Shape};
pub use decode::{
    parse_profile, parse_profile_capped, parse_profile_limited, ParseError,
    DEFAULT_MAX_DECOMPRESSED_BYTES,
};
pub use graph::{Granularity, Row};
pub use proto::Profile;
pub use report::unit_of as report_unit;

use crate::{HeapError, HeapReport, Options};

/// True when `prefix` starts a pprof profile: gzip data, or an uncompressed profile.proto
/// whose first field is a `sample_type` message.
pub fn sniff(prefix: &[u8]) -> bool {
    if decode::is_gzip(prefix) {
        return true;
    }
    // Field 1 (sample_type), wire type 2, then a short length and a ValueType field.
    matches!(prefix, [0x0a, len, 0x08, ..] if *len < 0x40)
}

/// Read and parse the profile at `path` (gzipped or not).
pub fn read_profile(path: &Path) -> Result<Profile, HeapError> {
    let bytes = crate::pprof::decode::read_file_capped(path)?;
    parse_profile(&bytes).map_err(|e| HeapError::format(path, e.offset, e.message))
}

/// True when `p` is a goroutine profile (`goroutine/count` or `goroutineleak/count` values).
pub fn is_goroutine(p: &Profile) -> bool {
    p.sample_type.len() == 1 && {
        let t = merge::st(p, p.sample_type[0].r#type);
        t == "goroutine" || t == "goroutineleak"
    }
}

/// What a `-top` table is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct TopQuery {
    /// Frame grouping.
    pub granularity: Granularity,
    /// Sample type name (`inuse_space`), or index; None = the profile's default (else last).
    pub sample_index: Option<String>,
    /// Sort by cumulative instead of flat value (pprof's `-cum`).
    pub cum_sort: bool,
    /// Drop nodes whose |cum| is below this fraction of the total (pprof's `-nodefraction`, 0.005).
    pub node_fraction: f64,
}

impl Default for TopQuery {
    fn default() -> Self {
        Self {
            granularity: Granularity::Functions,
            sample_index: None,
            cum_sort: false,
            node_fraction: 0.005,
        }
    }
}

/// A `-top` table: the rows and the numbers of pprof's header.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Name of the sample type shown (`inuse_space`).
    pub sample_type: String,
    /// Its unit (`bytes`, `count`, `nanoseconds`).
    pub unit: String,
    /// pprof's total: the sum of |value| over the (merged) samples (saturating at i64::MAX);
    /// percentages divide by it.
    pub total: i64,
    /// The rows, sorted as pprof prints them.
    pub rows: Vec<Row>,
    /// Nodes under the `node_fraction` cut.
    pub dropped_nodes: usize,
}

/// Which value index `name` selects in `p` (pprof's `SampleIndexByName`).
pub fn sample_index(p: &Profile, name: Option<&str>) -> Result<usize, HeapError> {
    let types: Vec<&str> = p
        .sample_type
        .iter()
        .map(|vt| merge::st(p, vt.r#type))
        .collect();
    if types.is_empty() {
        return Err(HeapError::Usage("the profile has no sample types".into()));
    }
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        let dst = merge::st(p, p.default_sample_type);
        if !dst.is_empty() {
            if let Some(i) = types.iter().position(|t| *t == dst) {
                return Ok(i);
            }
        }
        return Ok(types.len() - 1);
    };
    if let Ok(i) = name.parse::<i64>() {
        return usize::try_from(i)
            .ok()
            .filter(|&i| i < types.len())
            .ok_or_else(|| {
                HeapError::Usage(format!(
                    "--sample-index {name} is outside the range [0..{}]",
                    types.len() - 1
                ))
            });
    }
    let no_inuse = name.strip_prefix("inuse_").unwrap_or(name);
    types
        .iter()
        .position(|t| *t == name || *t == no_inuse)
        .ok_or_else(|| {
            HeapError::Usage(format!(
                "--sample-index {name} must be one of: {}",
                types.join(", ")
            ))
        })
}

/// Check that `base` can be subtracted from `source` (pprof's `compatible`).
pub fn check_compatible(source: &Profile, base: &Profile) -> Result<(), HeapError> {
    let types = |p: &Profile| -> Vec<(String, String)> {
        p.sample_type
            .iter()
            .map(|vt| {
                (
                    merge::st(p, vt.r#type).to_owned(),
                    merge::st(p, vt.unit).to_owned(),
                )
            })
            .collect()
    };
    let pt = |p: &Profile| {
        p.period_type.map(|vt| {
            (
                merge::st(p, vt.r#type).to_owned(),
                merge::st(p, vt.unit).to_owned(),
            )
        })
    };
    if types(source) != types(base) || pt(source) != pt(base) {
        return Err(HeapError::Mismatch(format!(
            "the profiles hold different sample types ({:?} vs {:?}); diff compares profiles of one kind",
            types(base),
            types(source)
        )));
    }
    Ok(())
}

/// `go tool pprof -top [-base BASE] SOURCE` as data.
pub fn top_table(
    source: &Profile,
    base: Option<&Profile>,
    q: &TopQuery,
) -> Result<Table, HeapError> {
    let vi = sample_index(source, q.sample_index.as_deref())?;
    let mut inputs = vec![(source, 1i64)];
    if let Some(b) = base {
        check_compatible(source, b)?;
        inputs.push((b, -1));
    }
    let m = merge::merge(&inputs);
    Ok(table_from(&m, vi, q))
}

/// The `-top` table of an already merged profile for value index `vi`.
pub fn table_from(m: &merge::Merged, vi: usize, q: &TopQuery) -> Table {
    table_with_totals(m, vi, q, None)
}

/// pprof's total: the sum of |value| of index `vi` over the samples of `m` (saturating).
fn sample_total(m: &merge::Merged, vi: usize) -> i64 {
    m.samples
        .iter()
        .map(|s| abs(s.values.get(vi).copied().unwrap_or(0)))
        .fold(0i64, i64::saturating_add)
}

/// [`table_from`], with percentages of `total` (pprof's total) taken before
/// `--focus`/`--ignore` dropped samples, as pprof does ("percentages on all samples").
fn table_with_totals(m: &merge::Merged, vi: usize, q: &TopQuery, total: Option<i64>) -> Table {
    let g = graph::Graph::new(m, q.granularity);
    let (flat, cum, edges) = g.weigh_inline(m, vi, true);
    let (rows, dropped_nodes) =
        graph::top_rows(&g, &flat, &cum, &edges, q.cum_sort, q.node_fraction);
    let total = total.unwrap_or_else(|| sample_total(m, vi));
    let (sample_type, unit) = m.sample_types.get(vi).cloned().unwrap_or_default();
    Table {
        sample_type,
        unit,
        total,
        rows,
        dropped_nodes,
    }
}

/// |v|, saturating: |i64::MIN| is i64::MAX.
fn abs(v: i64) -> i64 {
    v.checked_abs().unwrap_or(i64::MAX)
}

fn granularity(opts: &Options) -> Result<Granularity, HeapError> {
    match opts.by.as_deref().unwrap_or("function") {
        "function" | "functions" | "func" => Ok(Granularity::Functions),
        "line" | "lines" => Ok(Granularity::Lines),
        "file" | "files" => Ok(Granularity::Files),
        other => Err(HeapError::Usage(format!(
            "--by {other} is not a pprof grouping; use function, line or file"
        ))),
    }
}

fn query(opts: &Options) -> Result<TopQuery, HeapError> {
    Ok(TopQuery {
        granularity: granularity(opts)?,
        sample_index: opts.sample_index.clone(),
        cum_sort: opts.cumulative,
        node_fraction: 0.005,
    })
}

/// `heap top` on a pprof file: pprof's `-top` rows (goroutine profiles go to the goroutine
/// analysis).
pub fn top(path: &Path, opts: &Options) -> Result<HeapReport, HeapError> {
    let p = read_profile(path)?;
    if is_goroutine(&p) {
        return crate::goroutine::top_profile(path, &p, opts);
    }
    let q = query(opts)?;
    let vi = sample_index(&p, q.sample_index.as_deref())?;
    let mut m = merge::merge(&[(&p, 1)]);
    let total = sample_total(&m, vi);
    let notes = apply_filters(&mut m, opts)?;
    let table = table_with_totals(&m, vi, &q, Some(total));
    let mut rep = report::build(&p, &table, "top", vec![path.display().to_string()], opts);
    rep.notes.extend(notes);
    rep.listing = list(&m, vi, opts, total)?;
    if opts.pictures {
        rep.picture = Some(picture(&m, vi, &table));
    }
    Ok(rep)
}

/// The allocation stacks of `m` for value index `vi` (functions, outermost first).
fn picture(m: &merge::Merged, vi: usize, table: &Table) -> crate::picture::Picture {
    let g = graph::Graph::new(m, Granularity::Functions);
    let stacks = crate::picture::stacks_from(m.samples.iter().map(|s| {
        let frames = g
            .stack(&s.locs)
            .into_iter()
            .map(|n| g.names[n as usize].clone())
            .collect();
        (frames, s.values.get(vi).copied().unwrap_or(0))
    }));
    crate::picture::Picture::Stacks {
        what: table.sample_type.clone(),
        bytes: table.unit == "bytes",
        stacks,
    }
}

/// `--focus` / `--ignore` on a merged profile; notes for the report.
fn apply_filters(m: &mut merge::Merged, opts: &Options) -> Result<Vec<String>, HeapError> {
    let focus = filter::compile("--focus", opts.focus.as_deref())?;
    let ignore = filter::compile("--ignore", opts.ignore.as_deref())?;
    Ok(filter::focus_ignore(m, focus.as_ref(), ignore.as_ref()))
}

/// `--list`: the listing of the matching functions, or an error when none matches (as
/// pprof: "no matches found for regexp").
fn list(
    m: &merge::Merged,
    vi: usize,
    opts: &Options,
    total: i64,
) -> Result<Option<list::Listing>, HeapError> {
    let Some(re) = filter::compile("--list", opts.list.as_deref())? else {
        return Ok(None);
    };
    let search = match &opts.source_path {
        Some(p) => p.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    let l = list::listing(m, vi, &re, &search, total);
    if l.routines.is_empty() {
        return Err(HeapError::Usage(format!(
            "--list {:?}: no function with samples matches",
            re.as_str()
        )));
    }
    Ok(Some(l))
}

/// `heap diff OLD.. NEW` on pprof files: `-top -base OLD NEW` rows (the first file is the
/// base, the last the source) and the allocation sites that grew.
pub fn diff(paths: &[PathBuf], opts: &Options) -> Result<HeapReport, HeapError> {
    let (Some(first), Some(last)) = (paths.first(), paths.last()) else {
        return Err(HeapError::Usage(
            "heap diff needs at least two files, oldest first".into(),
        ));
    };
    let base = read_profile(first)?;
    let source = read_profile(last)?;
    if is_goroutine(&base) && is_goroutine(&source) {
        return crate::goroutine::diff(paths, opts);
    }
    check_compatible(&source, &base).map_err(|e| match e {
        HeapError::Mismatch(m) => {
            HeapError::Mismatch(format!("{} and {}: {m}", first.display(), last.display()))
        }
        other => other,
    })?;
    let q = query(opts)?;
    let vi = sample_index(&source, q.sample_index.as_deref())?;
    let mut m = merge::merge(&[(&source, 1), (&base, -1)]);
    let total = sample_total(&m, vi);
    let notes = apply_filters(&mut m, opts)?;
    let table = table_with_totals(&m, vi, &q, Some(total));
    let inputs = paths.iter().map(|p| p.display().to_string()).collect();
    let mut rep = report::build(&source, &table, "diff", inputs, opts);
    rep.matching = Some("allocation-sites".into());
    rep.notes.extend(notes);
    rep.listing = list(&m, vi, opts, total)?;
    report::add_diff_totals(&mut rep, &base, &source, &table);
    if paths.len() > 2 {
        rep.notes.push(format!(
            "compared the first and the last of {} profiles ({} as base)",
            paths.len(),
            first.display()
        ));
    }
    rep.suspects = suspects::growing_sites(&m, &source, vi, &mut rep.notes);
    if opts.pictures {
        rep.picture = Some(picture(&m, vi, &table));
    }
    Ok(rep)
}
