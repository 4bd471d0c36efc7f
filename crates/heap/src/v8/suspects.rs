//! Leak suspects across snapshots of one process: collections whose entry count grows at
//! every step (Map, Set, Array, plain objects used as dictionaries), EventEmitter listener
//! arrays that grow, and closures whose contexts keep large objects alive. Each suspect names
//! the holder as the code does and carries a readable retainer path and advice.

use std::collections::HashMap;

use serde_json::json;

use super::analysis::Analyzed;
use super::diff::{lookup, Indexed};
use super::distances::NO_DISTANCE;
use super::model::{edge_kind, kind, Snapshot};
use super::paths::{context_closures, holder_name, is_context, path_edges, render_path};
use crate::report::Suspect;
use leakscope_core::units::format_bytes;

/// A collection must gain at least this many entries across the snapshots to be reported.
pub const MIN_ENTRY_GROWTH: u64 = 10;
/// Plain objects with at least this many properties are treated as dictionaries.
pub const MIN_DICT_PROPERTIES: u64 = 32;
/// A suspect must grow by at least this many retained bytes (filters runtime noise).
pub const MIN_SIZE_GROWTH: f64 = 16.0 * 1024.0;
/// A captured object retaining at least this many bytes is "large".
pub const LARGE_OBJECT_BYTES: f64 = 8.0 * 1024.0;
/// At most this many suspects are reported.
pub const MAX_SUSPECTS: usize = 10;

/// What kind of collection a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// A JS `Map` (entries = key/value pairs in its table).
    Map,
    /// A JS `Set`.
    Set,
    /// A JS `Array` (entries = element references).
    Array,
    /// A plain `Object` used as a dictionary (entries = properties).
    Dict,
}

impl Collection {
    fn class(self) -> &'static str {
        match self {
            Collection::Map => "Map",
            Collection::Set => "Set",
            Collection::Array => "Array",
            Collection::Dict => "Object",
        }
    }
}

/// The collection kind of node `n` (from its type and name only), if any.
pub fn collection_kind(s: &Snapshot, n: u32) -> Option<Collection> {
    if s.node_kind[n as usize] != kind::OBJECT {
        return None;
    }
    match s.name(n) {
        "Map" => Some(Collection::Map),
        "Set" => Some(Collection::Set),
        "Array" => Some(Collection::Array),
        "Object" => Some(Collection::Dict),
        _ => None,
    }
}

/// What the strings a collection check compares against are, one byte per string of the
/// table: the collection kind a node name means (low 3 bits) and edge-name flags. Built in
/// one pass, so the checks over millions of nodes compare integers, not strings.
pub struct CollectionNames {
    flags: Vec<u8>,
}

const KIND_MASK: u8 = 0b111;
const TABLE: u8 = 1 << 3;
const PROTO: u8 = 1 << 4;
const DIGIT: u8 = 1 << 5;

impl CollectionNames {
    /// Classify every string of `s`.
    pub fn new(s: &Snapshot) -> Self {
        let flags = s.strings.classify(|t| {
            let kind = match t {
                "Map" => 1,
                "Set" => 2,
                "Array" => 3,
                "Object" => 4,
                _ => 0,
            };
            let mut f = kind;
            if t == "table" {
                f |= TABLE;
            }
            if t == "__proto__" {
                f |= PROTO;
            }
            if t.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                f |= DIGIT;
            }
            f
        });
        Self { flags }
    }

    fn flag(&self, string: u32) -> u8 {
        self.flags.get(string as usize).copied().unwrap_or(0)
    }

    /// The collection kind of node `n`, if any (same answer as [`collection_kind`]).
    pub fn kind(&self, s: &Snapshot, n: u32) -> Option<Collection> {
        if s.node_kind[n as usize] != kind::OBJECT {
            return None;
        }
        match self.flag(s.node_name[n as usize]) & KIND_MASK {
            1 => Some(Collection::Map),
            2 => Some(Collection::Set),
            3 => Some(Collection::Array),
            4 => Some(Collection::Dict),
            _ => None,
        }
    }

    /// Edge `e` has a string name carrying `flag`.
    fn edge_is(&self, s: &Snapshot, e: usize, flag: u8) -> bool {
        !edge_kind::has_numeric_name(s.edge_kind[e]) && self.flag(s.edge_name[e]) & flag != 0
    }

    /// The collection kind and entry count of node `n`, if it is a collection: entries of a
    /// Map's or Set's table, an Array's elements, a plain object's own properties.
    pub fn entry_count(&self, s: &Snapshot, n: u32) -> Option<(Collection, u64)> {
        let coll = self.kind(s, n)?;
        let count = match coll {
            Collection::Map | Collection::Set => {
                let table = s
                    .edges(n)
                    .find(|&e| s.edge_kind[e] == edge_kind::INTERNAL && self.edge_is(s, e, TABLE))
                    .map(|e| s.edge_to[e])?;
                let refs = s
                    .edges(table)
                    .filter(|&e| {
                        edge_kind::has_numeric_name(s.edge_kind[e]) || self.edge_is(s, e, DIGIT)
                    })
                    .count() as u64;
                if coll == Collection::Map {
                    refs / 2
                } else {
                    refs
                }
            }
            Collection::Array => s
                .edges(n)
                .filter(|&e| s.edge_kind[e] == edge_kind::ELEMENT)
                .count() as u64,
            Collection::Dict => s
                .edges(n)
                .filter(|&e| s.edge_kind[e] == edge_kind::PROPERTY && !self.edge_is(s, e, PROTO))
                .count() as u64,
        };
        Some((coll, count))
    }
}

/// Every collection with at least one entry: `(id, entries, node)`, sorted by id. Needs
/// only the parsed snapshot, so it runs beside the dominator tree.
pub fn collection_entries(s: &Snapshot) -> Vec<(u32, u32, u32)> {
    let names = CollectionNames::new(s);
    let mut v: Vec<(u32, u32, u32)> = (0..s.node_count() as u32)
        .filter_map(|n| {
            let (_, c) = names.entry_count(s, n)?;
            (c > 0).then(|| (s.node_id[n as usize], c.min(u32::MAX as u64) as u32, n))
        })
        .collect();
    v.sort_unstable_by_key(|c| c.0);
    v.dedup_by_key(|c| c.0);
    v
}

/// [`collection_entries`] with each collection's retained size: `(id, entries, retained
/// bytes)`, sorted by id.
pub fn collections(a: &Analyzed, entries: Vec<(u32, u32, u32)>) -> Vec<(u32, u32, f64)> {
    entries
        .into_iter()
        .map(|(id, c, n)| (id, c, a.retained[n as usize]))
        .collect()
}

/// If collection `n` is an EventEmitter's listener array (`emitter._events[event]`), the
/// event name and the emitter's name.
fn listener_array(a: &Analyzed, n: u32) -> Option<(String, String)> {
    let s = &a.snap;
    let edges = path_edges(a, n);
    let (&last, rest) = edges.split_last()?;
    let &events_edge = rest.last()?;
    if s.edge_kind[last] != edge_kind::PROPERTY || s.edge_str(events_edge) != "_events" {
        return None;
    }
    let emitter = s.edge_from(events_edge);
    Some((s.edge_str(last).to_string(), holder_name(a, emitter)))
}

/// Every suspect, ranked (largest growth first).
pub fn find_suspects(snaps: &[Indexed]) -> Vec<Suspect> {
    let mut out = growing_collections(snaps);
    out.extend(closures_with_large_objects(snaps));
    out.sort_by(|x, y| {
        y.size_delta
            .cmp(&x.size_delta)
            .then(y.count_delta.cmp(&x.count_delta))
    });
    out.truncate(MAX_SUSPECTS);
    for (i, s) in out.iter_mut().enumerate() {
        s.extra.insert("rank".into(), json!(i + 1));
    }
    out
}

fn growing_collections(snaps: &[Indexed]) -> Vec<Suspect> {
    let last = &snaps[snaps.len() - 1];
    let ls = &last.a.snap;
    let mut out = Vec::new();
    // The last snapshot's collections were counted when it was summarized; look only at
    // those big enough, in node order (ties in the ranking keep that order).
    let mut candidates: Vec<(u32, u64)> = last
        .colls
        .iter()
        .filter(|c| c.1 as u64 >= MIN_ENTRY_GROWTH)
        .filter_map(|c| Some((lookup(&last.ids, c.0)?, c.1 as u64)))
        .collect();
    candidates.sort_unstable();
    for (n, count_last) in candidates {
        let Some(coll) = collection_kind(ls, n) else {
            continue;
        };
        if count_last < MIN_ENTRY_GROWTH
            || (coll == Collection::Dict && count_last < MIN_DICT_PROPERTIES)
            || last.a.dist.distance[n as usize] == NO_DISTANCE
        {
            continue;
        }
        let id = ls.node_id[n as usize];
        let mut counts = Vec::with_capacity(snaps.len());
        let mut sizes = Vec::with_capacity(snaps.len());
        let mut ok = true;
        for sn in snaps {
            match sn.collection(id, coll) {
                Some((k, size)) => {
                    counts.push(k);
                    sizes.push(size);
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok || counts.windows(2).any(|w| w[1] <= w[0]) {
            continue;
        }
        let growth = counts[counts.len() - 1] - counts[0];
        if growth < MIN_ENTRY_GROWTH {
            continue;
        }
        let size_delta = sizes[sizes.len() - 1] - sizes[0];
        if size_delta < MIN_SIZE_GROWTH {
            continue;
        }
        let path = render_path(&last.a, n);
        let steps = counts
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" → ");
        let (pattern, name, advice) = if let Some((event, emitter)) = listener_array(&last.a, n) {
            (
                "listener-accumulation",
                event.clone(),
                format!(
                    "{growth} '{event}' listeners were added to `{emitter}` and never removed ({steps}): a listener is added per request or connection. Remove it when that request/connection closes (emitter.off/removeListener in a 'close' handler, or `once`), or register one listener at startup."
                ),
            )
        } else {
            let name = holder_name(&last.a, n);
            let what = match coll {
                Collection::Map | Collection::Set | Collection::Dict => format!(
                    "`{name}` ({}) only grows: {steps} entries, {} more retained. If it is a cache, bound it: an LRU with a maximum size and a TTL (e.g. the lru-cache package with max and ttl), or delete entries when their request/session ends.",
                    coll.class(),
                    format_bytes(size_delta)
                ),
                Collection::Array => format!(
                    "`{name}` (Array) only grows: {steps} elements, {} more retained. Remove items once they are handled (or cap the array, e.g. a ring buffer), instead of pushing forever.",
                    format_bytes(size_delta)
                ),
            };
            ("unbounded-collection", name, what)
        };
        let mut sus = Suspect {
            pattern: pattern.into(),
            name,
            retainer_path: path,
            count_delta: growth as i64,
            size_delta: size_delta.round() as i64,
            advice,
            extra: Default::default(),
        };
        sus.extra.insert("class".into(), json!(coll.class()));
        sus.extra.insert("node_id".into(), json!(id));
        sus.extra.insert("entries".into(), json!(counts));
        sus.extra.insert(
            "retained_size".into(),
            json!(sizes.iter().map(|x| x.round() as i64).collect::<Vec<_>>()),
        );
        out.push(sus);
    }
    // A listener array also shows up as an array: keep one suspect per holder node.
    out
}

/// Closure groups: (function name, variable) → (distinct large objects, their retained
/// bytes, the largest one's node ordinal).
pub type ClosureGroups = HashMap<(String, String), (u64, f64, u32)>;

/// What a closure's context holds, known before retained sizes: every context variable
/// (`(context, edge, target)`, in node and edge order) that could be a large captured object,
/// and which closure owns each context.
pub struct ClosureCandidates {
    refs: Vec<(u32, u32, u32)>,
    owners: HashMap<u32, u32>,
}

/// Find [`ClosureCandidates`]; needs only the parsed snapshot, so it runs beside the
/// dominator tree.
pub fn closure_candidates(s: &Snapshot) -> ClosureCandidates {
    let mut refs = Vec::new();
    for c in 0..s.node_count() as u32 {
        if !is_context(s, c) {
            continue;
        }
        for e in s.edges(c) {
            if s.edge_kind[e] != edge_kind::CONTEXT {
                continue;
            }
            let t = s.edge_to[e];
            let tk = s.node_kind[t as usize];
            if tk == kind::CLOSURE
                || is_context(s, t)
                || !matches!(tk, kind::OBJECT | kind::ARRAY | kind::STRING | kind::NATIVE)
            {
                continue;
            }
            refs.push((c, e as u32, t));
        }
    }
    let owners = if refs.is_empty() {
        HashMap::new()
    } else {
        context_closures(s)
    };
    ClosureCandidates { refs, owners }
}

/// Closures (grouped by function name and captured variable) whose context holds a large
/// object, in one snapshot: key → (count of distinct captured objects, their total retained
/// bytes, example node). One object shared by many closures (e.g. `process`) counts once.
pub fn closure_groups(a: &Analyzed, cands: &ClosureCandidates) -> ClosureGroups {
    let s = &a.snap;
    let mut g: HashMap<(String, String), (u64, f64, u32)> = HashMap::new();
    let mut seen: std::collections::HashSet<u32> = Default::default();
    for &(c, e, t) in &cands.refs {
        let e = e as usize;
        if a.retained[t as usize] < LARGE_OBJECT_BYTES {
            continue;
        }
        let Some(&f) = cands.owners.get(&c) else {
            continue;
        };
        if !seen.insert(t) {
            continue;
        }
        let fname = match s.name(f) {
            "" => "(anonymous)".to_string(),
            x => x.to_string(),
        };
        let entry = g
            .entry((fname, s.edge_str(e).to_string()))
            .or_insert((0, 0.0, t));
        entry.0 += 1;
        entry.1 += a.retained[t as usize];
        if a.retained[t as usize] > a.retained[entry.2 as usize] {
            entry.2 = t;
        }
    }
    g
}

fn closures_with_large_objects(snaps: &[Indexed]) -> Vec<Suspect> {
    let first = &snaps[0].closures;
    let last_a = &snaps[snaps.len() - 1].a;
    let last = snaps[snaps.len() - 1].closures.clone();
    let mut out = Vec::new();
    for ((fname, var), (count, bytes, example)) in last {
        let (c0, b0) = first
            .get(&(fname.clone(), var.clone()))
            .map(|x| (x.0, x.1))
            .unwrap_or((0, 0.0));
        if count < 2 || count <= c0 || bytes - b0 < MIN_SIZE_GROWTH {
            continue;
        }
        let class = last_a.class_names[last_a.class_of[example as usize] as usize].clone();
        let each = bytes / count as f64;
        let mut sus = Suspect {
            pattern: "closure-retains-large-object".into(),
            name: var.clone(),
            retainer_path: render_path(last_a, example),
            count_delta: (count - c0) as i64,
            size_delta: (bytes - b0).round() as i64,
            advice: format!(
                "{count} `{fname}` closures (was {c0}) keep `{var}` ({class}, {} each) alive through their shared context, though the function may never use it. Capture only what is needed: copy the needed fields into locals before creating the closure, or set `{var} = null` when done; and release the closures themselves when they are no longer needed.",
                format_bytes(each)
            ),
            extra: Default::default(),
        };
        sus.extra.insert("class".into(), json!(class));
        sus.extra.insert("closure".into(), json!(fname));
        sus.extra.insert("closures".into(), json!([c0, count]));
        out.push(sus);
    }
    out
}
