//! The streaming `.heapsnapshot` reader: `snapshot.meta` through serde_json (it is small),
//! `nodes`/`edges` through a hand-written integer scanner straight into columnar arrays,
//! `strings` through a streaming string parser into one interned table; everything else
//! (trace trees, samples, locations) is skipped. Field positions always come from `meta`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::model::{edge_kind, kind, Snapshot, Strings};
use super::scan::{ScanError, Scanner};
use crate::HeapError;

/// What `meta` says about the layout.
#[derive(Debug, Deserialize)]
struct Meta {
    node_fields: Vec<String>,
    node_types: Vec<serde_json::Value>,
    edge_fields: Vec<String>,
    edge_types: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Header {
    meta: Meta,
    #[serde(default)]
    node_count: Option<u64>,
    #[serde(default)]
    edge_count: Option<u64>,
    #[serde(default)]
    root_index: Option<u64>,
}

/// Which column a node field feeds.
#[derive(Clone, Copy, PartialEq)]
enum NodeCol {
    Type,
    Name,
    Id,
    SelfSize,
    EdgeCount,
    Detachedness,
    Skip,
}

#[derive(Clone, Copy, PartialEq)]
enum EdgeCol {
    Type,
    Name,
    To,
    Skip,
}

/// Layout derived from the header.
struct Layout {
    node_cols: Vec<NodeCol>,
    node_kinds: Vec<u8>,
    edge_cols: Vec<EdgeCol>,
    edge_kinds: Vec<u8>,
    node_count_hint: u64,
    edge_count_hint: u64,
    root_index: u64,
    /// Byte offset of the `snapshot` header, for errors about its fields.
    header_at: u64,
}

fn type_names(v: &[serde_json::Value]) -> Option<Vec<String>> {
    let first = v.first()?.as_array()?;
    first
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}

fn layout(h: &Header, header_at: u64) -> Result<Layout, String> {
    let nf = &h.meta.node_fields;
    let col = |want: &str| nf.iter().position(|f| f == want);
    for want in ["type", "name", "id", "self_size", "edge_count"] {
        if col(want).is_none() {
            return Err(format!("meta.node_fields has no \"{want}\" field"));
        }
    }
    let node_cols = nf
        .iter()
        .map(|f| match f.as_str() {
            "type" => NodeCol::Type,
            "name" => NodeCol::Name,
            "id" => NodeCol::Id,
            "self_size" => NodeCol::SelfSize,
            "edge_count" => NodeCol::EdgeCount,
            "detachedness" => NodeCol::Detachedness,
            _ => NodeCol::Skip,
        })
        .collect();
    let ef = &h.meta.edge_fields;
    for want in ["type", "name_or_index", "to_node"] {
        if !ef.iter().any(|f| f == want) {
            return Err(format!("meta.edge_fields has no \"{want}\" field"));
        }
    }
    let edge_cols = ef
        .iter()
        .map(|f| match f.as_str() {
            "type" => EdgeCol::Type,
            "name_or_index" => EdgeCol::Name,
            "to_node" => EdgeCol::To,
            _ => EdgeCol::Skip,
        })
        .collect();
    let tpos = col("type").unwrap_or(0);
    let node_kinds = h
        .meta
        .node_types
        .get(tpos)
        .and_then(|v| type_names(std::slice::from_ref(v)))
        .ok_or("meta.node_types does not list the node type names")?
        .iter()
        .map(|s| kind::from_name(s))
        .collect();
    let etpos = ef.iter().position(|f| f == "type").unwrap_or(0);
    let edge_kinds = h
        .meta
        .edge_types
        .get(etpos)
        .and_then(|v| type_names(std::slice::from_ref(v)))
        .ok_or("meta.edge_types does not list the edge type names")?
        .iter()
        .map(|s| edge_kind::from_name(s))
        .collect();
    Ok(Layout {
        node_cols,
        node_kinds,
        edge_cols,
        edge_kinds,
        node_count_hint: h.node_count.unwrap_or(0),
        edge_count_hint: h.edge_count.unwrap_or(0),
        root_index: h.root_index.unwrap_or(0),
        header_at,
    })
}

/// True when one of `wanted` appears more than once in `cols`: such a field would be read
/// once per row, so the layout is refused up front.
fn listed_twice<T: PartialEq>(cols: &[T], wanted: &[T]) -> bool {
    wanted
        .iter()
        .any(|w| cols.iter().filter(|&c| c == w).count() > 1)
}

/// Check that every row's `type` (field `pt` of rows of `width` values) names a kind in
/// `kinds` (`what` is "node" or "edge"); the error is (index of the first bad value, why).
fn check_kinds(
    vals: &[u32],
    width: usize,
    pt: usize,
    kinds: &[u8],
    what: &str,
) -> Result<(), (usize, String)> {
    match vals
        .chunks_exact(width)
        .position(|row| kinds.get(row[pt] as usize).is_none())
    {
        None => Ok(()),
        Some(r) => {
            let v = vals[r * width + pt];
            Err((
                r * width + pt,
                format!("{what} type {v} is not in meta.{what}_types"),
            ))
        }
    }
}

/// Append each row's `to_node` (a node index: ordinal × `nf`) as an ordinal; None, or the
/// first row whose target is not a multiple of `nf` (nothing appended then).
fn push_targets(
    rows: std::slice::ChunksExact<'_, u32>,
    pto: usize,
    nf: u32,
    out: &mut Vec<u32>,
) -> Option<usize> {
    // Inlined with a literal divisor, division compiles to a multiply; V8 writes 6 or 7
    // node fields.
    #[inline(always)]
    fn by(
        rows: std::slice::ChunksExact<'_, u32>,
        pto: usize,
        d: u32,
        out: &mut Vec<u32>,
    ) -> Option<usize> {
        if let Some(r) = rows.clone().position(|row| row[pto] % d != 0) {
            return Some(r);
        }
        out.extend(rows.map(|row| row[pto] / d));
        None
    }
    match nf {
        7 => by(rows, pto, 7, out),
        6 => by(rows, pto, 6, out),
        _ => by(rows, pto, nf.max(1), out),
    }
}

/// True when `prefix` looks like the start of a `.heapsnapshot`.
pub fn sniff(prefix: &[u8]) -> bool {
    let s = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &prefix[i..])
        .unwrap_or(&[]);
    if s.first() != Some(&b'{') {
        return false;
    }
    let window = &s[..s.len().min(512)];
    let has = |needle: &[u8]| window.windows(needle.len()).any(|w| w == needle);
    has(b"\"snapshot\"") && (has(b"\"meta\"") || has(b"node_fields"))
}

/// Read a snapshot file into the compact model.
pub fn read_file(path: &Path) -> Result<Snapshot, HeapError> {
    read_file_with(path, || ())
}

/// [`read_file`], calling `before_edges` (which may block) when the `edges` array, the
/// largest part of the file, is next: a background reader waits there for memory to be
/// freed beside it.
pub fn read_file_with(path: &Path, before_edges: impl FnOnce()) -> Result<Snapshot, HeapError> {
    let mut t = super::timing::Timer::new();
    let f = File::open(path).map_err(|e| HeapError::io(path, e))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut snap = read(f, size, before_edges).map_err(|e| match e {
        ScanError::Io(e) => HeapError::io(path, e),
        ScanError::Format { offset, message } => HeapError::format(path, Some(offset), message),
    })?;
    snap.file_size = size;
    t.lap("read + parse + indexes");
    Ok(snap)
}

/// Read a snapshot held in memory (tests, fuzzing); errors name the file as `<memory>`.
pub fn read_slice(data: &[u8]) -> Result<Snapshot, HeapError> {
    let path = Path::new("<memory>");
    let mut snap = read(data, data.len() as u64, || ()).map_err(|e| match e {
        ScanError::Io(e) => HeapError::io(path, e),
        ScanError::Format { offset, message } => HeapError::format(path, Some(offset), message),
    })?;
    snap.file_size = data.len() as u64;
    Ok(snap)
}

/// Read a snapshot from any reader. `size_hint` (bytes, 0 = unknown) caps preallocation so a
/// lying header cannot make us reserve absurd amounts.
pub(crate) fn read<R: Read>(
    r: R,
    size_hint: u64,
    before_edges: impl FnOnce(),
) -> Result<Snapshot, ScanError> {
    let mut before_edges = Some(before_edges);
    let mut t = super::timing::Timer::new();
    let mut sc = Scanner::with_size_hint(r, size_hint);
    let mut snap = Snapshot::default();
    let mut lay: Option<Layout> = None;
    let mut node_total: u64 = 0;
    let mut edge_total: u64 = 0;
    let mut seen_nodes = false;
    let mut seen_edges = false;
    let mut seen_strings = false;
    let mut edge_counts: Vec<u32> = Vec::new();
    let mut key = Vec::new();
    // Each integer takes at least 2 bytes ("0,"), so this bounds any honest count.
    let cap = |n: u64| -> usize {
        let lim = if size_hint == 0 {
            1 << 20
        } else {
            size_hint / 2
        };
        n.min(lim) as usize
    };

    sc.expect(b'{', "the start of a heap snapshot ('{')")?;
    loop {
        match sc.peek_token()? {
            Some(b'}') => {
                sc.bump();
                break;
            }
            Some(b'"') => {}
            Some(_) => return sc.err("expected a key or '}' at the top level"),
            None => return sc.err("the file ends early (truncated?)"),
        }
        key.clear();
        sc.read_string_into(&mut key)?;
        sc.expect(b':', "':' after a key")?;
        match key.as_slice() {
            b"snapshot" => {
                let at = sc.offset();
                let mut raw = Vec::new();
                sc.skip_value(Some(&mut raw))?;
                let h: Header = match serde_json::from_slice(&raw) {
                    Ok(h) => h,
                    Err(e) => {
                        return Err(ScanError::Format {
                            offset: at,
                            message: format!("the snapshot header is not valid: {e}"),
                        })
                    }
                };
                match layout(&h, at) {
                    Ok(l) => lay = Some(l),
                    Err(m) => {
                        return Err(ScanError::Format {
                            offset: at,
                            message: m,
                        })
                    }
                }
            }
            b"nodes" => {
                let Some(l) = lay.as_ref() else {
                    return sc.err("\"nodes\" comes before the \"snapshot\" header");
                };
                let n = cap(l.node_count_hint);
                snap.node_kind.reserve_exact(n);
                snap.node_name.reserve_exact(n);
                snap.node_id.reserve_exact(n);
                snap.self_size.reserve_exact(n);
                // One more: the counts become the edge index in place, with its end.
                edge_counts.reserve_exact(n + 1);
                let cols = &l.node_cols;
                let kinds = &l.node_kinds;
                let nf = cols.len();
                let s = &mut snap;
                let ec = &mut edge_counts;
                let pos = |c: NodeCol| cols.iter().position(|&x| x == c);
                let (pt, pn, pi, ps, pe) = (
                    pos(NodeCol::Type).unwrap_or(0),
                    pos(NodeCol::Name).unwrap_or(0),
                    pos(NodeCol::Id).unwrap_or(0),
                    pos(NodeCol::SelfSize).unwrap_or(0),
                    pos(NodeCol::EdgeCount).unwrap_or(0),
                );
                let pd = pos(NodeCol::Detachedness);
                if listed_twice(
                    cols,
                    &[
                        NodeCol::Type,
                        NodeCol::Name,
                        NodeCol::Id,
                        NodeCol::SelfSize,
                        NodeCol::EdgeCount,
                        NodeCol::Detachedness,
                    ],
                ) {
                    return sc.err("meta.node_fields lists a field twice");
                }
                node_total = sc.read_uint_array("nodes", nf, |vals| {
                    // Column by column: each extend writes without a capacity check per value.
                    check_kinds(vals, nf, pt, kinds, "node")?;
                    let rows = vals.chunks_exact(nf);
                    s.node_kind
                        .extend(rows.clone().map(|row| kinds[row[pt] as usize]));
                    s.node_name.extend(rows.clone().map(|row| row[pn]));
                    s.node_id.extend(rows.clone().map(|row| row[pi]));
                    s.self_size.extend(rows.clone().map(|row| row[ps]));
                    ec.extend(rows.clone().map(|row| row[pe]));
                    if let Some(d) = pd {
                        s.detachedness.extend(rows.map(|row| row[d].min(255) as u8));
                    }
                    Ok(())
                })?;
                if node_total % nf as u64 != 0 {
                    return sc.err(format!(
                        "the nodes array holds {node_total} values, not a multiple of the {nf} node fields"
                    ));
                }
                seen_nodes = true;
                t.lap("  nodes");
            }
            b"edges" => {
                if let Some(f) = before_edges.take() {
                    f();
                    t.lap("  waited before the edges");
                }
                let Some(l) = lay.as_ref() else {
                    return sc.err("\"edges\" comes before the \"snapshot\" header");
                };
                let m = cap(l.edge_count_hint);
                snap.edge_kind.reserve_exact(m);
                snap.edge_name.reserve_exact(m);
                snap.edge_to.reserve_exact(m);
                let cols = &l.edge_cols;
                let kinds = &l.edge_kinds;
                let ef = cols.len();
                let nf = l.node_cols.len() as u64;
                let s = &mut snap;
                let nf32 = nf as u32;
                let pos = |c: EdgeCol| cols.iter().position(|&x| x == c).unwrap_or(0);
                let (pt, pn, pto) = (pos(EdgeCol::Type), pos(EdgeCol::Name), pos(EdgeCol::To));
                if listed_twice(cols, &[EdgeCol::Type, EdgeCol::Name, EdgeCol::To]) {
                    return sc.err("meta.edge_fields lists a field twice");
                }
                edge_total = sc.read_uint_array("edges", ef, |vals| {
                    check_kinds(vals, ef, pt, kinds, "edge")?;
                    let rows = vals.chunks_exact(ef);
                    if let Some(r) = push_targets(rows.clone(), pto, nf32, &mut s.edge_to) {
                        let v = vals[r * ef + pto];
                        return Err((
                            r * ef + pto,
                            format!(
                                "edge target {v} is not a multiple of the node field count {nf}"
                            ),
                        ));
                    }
                    s.edge_kind
                        .extend(rows.clone().map(|row| kinds[row[pt] as usize]));
                    s.edge_name.extend(rows.map(|row| row[pn]));
                    Ok(())
                })?;
                if edge_total % ef as u64 != 0 {
                    return sc.err(format!(
                        "the edges array holds {edge_total} values, not a multiple of the {ef} edge fields"
                    ));
                }
                seen_edges = true;
                t.lap("  edges");
            }
            b"strings" => {
                read_strings(&mut sc, &mut snap.strings)?;
                seen_strings = true;
                t.lap("  strings");
            }
            _ => {
                sc.skip_value(None)?;
                t.lap("  skipped a section");
            }
        }
        match sc.peek_token()? {
            Some(b',') => sc.bump(),
            Some(b'}') => {}
            Some(_) => return sc.err("expected ',' or '}' at the top level"),
            None => return sc.err("the file ends early (truncated?)"),
        }
    }
    let end = sc.offset();
    let missing = [
        (lay.is_some(), "snapshot"),
        (seen_nodes, "nodes"),
        (seen_edges, "edges"),
        (seen_strings, "strings"),
    ];
    if let Some((_, what)) = missing.iter().find(|(ok, _)| !ok) {
        return Err(ScanError::Format {
            offset: end,
            message: format!("this is not a complete heap snapshot: it has no \"{what}\""),
        });
    }
    let _ = (node_total, edge_total);
    let root = lay.map_or(
        Root {
            index: 0,
            node_fields: 1,
            header_at: 0,
        },
        |l| Root {
            index: l.root_index,
            node_fields: l.node_cols.len() as u64,
            header_at: l.header_at,
        },
    );
    finish(&mut snap, edge_counts, root, end)?;
    snap.classify_strings();
    t.lap("  checks, edge index, known names");
    Ok(snap)
}

/// The first index in `0..len` where `bad` holds, checked in runs on all cores.
fn first_where(len: usize, bad: impl Fn(usize) -> bool + Sync) -> Option<usize> {
    use rayon::prelude::*;
    const RUN: usize = 1 << 18;
    (0..len.div_ceil(RUN))
        .into_par_iter()
        .filter_map(|r| (r * RUN..((r + 1) * RUN).min(len)).find(|&i| bad(i)))
        .min()
}

fn read_strings<R: Read>(sc: &mut Scanner<R>, out: &mut Strings) -> Result<(), ScanError> {
    sc.expect(b'[', "the start of the strings array")?;
    let mut bytes: Vec<u8> = Vec::new();
    let mut ends = Vec::new();
    if sc.peek_token()? == Some(b']') {
        sc.bump();
    } else {
        loop {
            let start = bytes.len();
            sc.read_string_into(&mut bytes)?;
            if std::str::from_utf8(&bytes[start..]).is_err() {
                let fixed = String::from_utf8_lossy(&bytes[start..]).into_owned();
                bytes.truncate(start);
                bytes.extend_from_slice(fixed.as_bytes());
            }
            let Ok(e) = u32::try_from(bytes.len()) else {
                return sc.err("the strings table exceeds 4 GiB");
            };
            ends.push(e);
            match sc.peek_token()? {
                Some(b',') => sc.bump(),
                Some(b']') => {
                    sc.bump();
                    break;
                }
                Some(_) => return sc.err("expected ',' or ']' in the strings array"),
                None => return sc.err("the file ends inside the strings array (truncated?)"),
            }
        }
    }
    // Every string was checked (or repaired) above, so this cannot fail; stay safe anyway.
    out.bytes = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    out.ends = ends;
    Ok(())
}

/// Where the header says the root node is.
struct Root {
    /// `snapshot.root_index`: a node index (ordinal × field count), as DevTools reads it.
    index: u64,
    /// Fields per node.
    node_fields: u64,
    /// Byte offset of the header.
    header_at: u64,
}

/// Check the parsed arrays against each other and build the edge and retainer indexes.
fn finish(
    snap: &mut Snapshot,
    edge_counts: Vec<u32>,
    root: Root,
    end: u64,
) -> Result<(), ScanError> {
    let bad = |message: String| ScanError::Format {
        offset: end,
        message,
    };
    let n = snap.node_kind.len();
    let m = snap.edge_kind.len();
    if snap.node_name.len() != n
        || snap.node_id.len() != n
        || snap.self_size.len() != n
        || edge_counts.len() != n
    {
        return Err(bad("the node columns have different lengths".into()));
    }
    if n == 0 {
        return Err(bad("the snapshot has no nodes".into()));
    }
    if !snap.detachedness.is_empty() && snap.detachedness.len() != n {
        return Err(bad("the node columns have different lengths".into()));
    }
    if snap.edge_name.len() != m || snap.edge_to.len() != m {
        return Err(bad("the edge columns have different lengths".into()));
    }
    // The counts become the edge index in place.
    let mut first = edge_counts;
    let mut acc: u64 = 0;
    for c in first.iter_mut() {
        let count = *c as u64;
        *c = acc as u32;
        acc += count;
        if acc > m as u64 {
            return Err(bad(format!(
                "node edge counts add up to more than the {m} edges in the file"
            )));
        }
    }
    if acc != m as u64 {
        return Err(bad(format!(
            "node edge counts add up to {acc}, but the file has {m} edges"
        )));
    }
    first.push(acc as u32);
    snap.first_edge = first;
    let strings = snap.strings.len() as u32;
    // Checked on all cores; the first bad one is reported, as a sequential scan would.
    let names = &snap.node_name;
    if let Some(i) = first_where(n, |i| names[i] >= strings) {
        return Err(bad(format!(
            "node {i} names string {} but there are only {strings} strings",
            names[i]
        )));
    }
    let (to, kinds, edge_names) = (&snap.edge_to, &snap.edge_kind, &snap.edge_name);
    let bad_edge = first_where(m, |e| {
        to[e] as usize >= n || (!edge_kind::has_numeric_name(kinds[e]) && edge_names[e] >= strings)
    });
    if let Some(e) = bad_edge {
        if snap.edge_to[e] as usize >= n {
            return Err(bad(format!("edge {e} points past the last node")));
        }
        return Err(bad(format!(
            "edge {e} names string {} but there are only {strings} strings",
            snap.edge_name[e]
        )));
    }
    // A root elsewhere than the header says would make every retained size and path wrong.
    let nf = root.node_fields.max(1);
    if root.index % nf != 0 || root.index / nf >= n as u64 {
        return Err(ScanError::Format {
            offset: root.header_at,
            message: format!(
                "snapshot.root_index is {}, which is not the start of any of the {n} nodes \
                 ({nf} fields each: 0, {nf}, ... {}); the snapshot is corrupt",
                root.index,
                (n as u64 - 1) * nf
            ),
        });
    }
    snap.root = (root.index / nf) as u32;
    Ok(())
}
