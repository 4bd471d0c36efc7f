//! Leak suspects across snapshots of one program: collections whose entry count grows at
//! every step (Map, Set, Array, plain objects used as dictionaries), EventEmitter listener
//! arrays that grow, closures whose contexts keep large objects alive ([`super::closures`]),
//! and what grew and then held ([`super::kept`]). Each suspect names the holder as the code
//! does and carries a readable retainer path and advice.
//!
//! A collection is followed from snapshot to snapshot by its V8 object id within one
//! inspector session, and by its holder key ([`super::holders`]) otherwise.

use serde_json::json;

use super::analysis::Analyzed;
use super::closures::closures_with_large_objects;
use super::diff::{lookup, Indexed};
use super::distances::NO_DISTANCE;
use super::model::{edge_kind, kind, Snapshot};
use super::paths::{holder_name, path_edges, render_path, ContextOwners};
use crate::report::Suspect;
use crate::Matching;
use leakscope_core::units::format_bytes;

/// A collection must gain at least this many entries across the snapshots to be reported.
pub const MIN_ENTRY_GROWTH: u64 = 10;
/// Plain objects with at least this many properties are treated as dictionaries.
pub const MIN_DICT_PROPERTIES: u64 = 32;
/// A suspect must grow by at least this many retained bytes (filters runtime noise).
pub const MIN_SIZE_GROWTH: f64 = 16.0 * 1024.0;
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
    /// The class name of this kind of collection.
    pub fn class(self) -> &'static str {
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
fn listener_array(a: &Analyzed, owners: &ContextOwners, n: u32) -> Option<(String, String)> {
    let s = &a.snap;
    let edges = path_edges(a, n);
    let (&last, rest) = edges.split_last()?;
    let &events_edge = rest.last()?;
    if s.edge_kind[last] != edge_kind::PROPERTY || s.edge_str(events_edge) != "_events" {
        return None;
    }
    let emitter = s.edge_from(events_edge);
    Some((
        s.edge_str(last).to_string(),
        holder_name(a, owners, emitter),
    ))
}

/// Every suspect, ranked (largest growth first).
/// `kept`: memlab's kept objects (one session, three or more snapshots).
pub fn find_suspects(
    snaps: &[Indexed],
    matching: Matching,
    kept: Option<&super::kept::KeptObjects>,
) -> Vec<Suspect> {
    let mut out = match matching {
        Matching::ObjectIds => growing_collections(snaps, &by_object_id(snaps)),
        Matching::Retainers => growing_collections(snaps, &by_holder_key(snaps)),
    };
    out.extend(closures_with_large_objects(snaps));
    if let Some(k) = kept {
        let held = super::kept::grew_then_held(snaps, k, &out);
        out.extend(held);
    }
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

/// One collection (or, across sessions, the collections under one holder key) followed
/// through the snapshots.
struct Followed {
    /// The collection in the last snapshot (node ordinal), for its path and name.
    node: u32,
    coll: Collection,
    /// Entries and retained bytes per snapshot, oldest first; None where it was not found.
    steps: Vec<Option<(u64, f64)>>,
    /// How many collections share the holder key in each snapshot (across sessions only).
    instances: Option<Vec<u32>>,
}

/// The last snapshot's collections, each followed back by its object id (one session).
/// One that did not exist in an earlier snapshot is left out.
fn by_object_id(snaps: &[Indexed]) -> Vec<Followed> {
    let last = &snaps[snaps.len() - 1];
    let ls = &last.a.snap;
    // The last snapshot's collections were counted when it was summarized; look only at
    // those big enough, in node order (ties in the ranking keep that order).
    let mut candidates: Vec<u32> = last
        .colls
        .iter()
        .filter(|c| c.1 as u64 >= MIN_ENTRY_GROWTH)
        .filter_map(|c| lookup(&last.ids, c.0))
        .collect();
    candidates.sort_unstable();
    let mut out = Vec::new();
    for n in candidates {
        let Some(coll) = collection_kind(ls, n) else {
            continue;
        };
        if last.a.dist.distance[n as usize] == NO_DISTANCE {
            continue;
        }
        let id = ls.node_id[n as usize];
        let steps: Vec<Option<(u64, f64)>> =
            snaps.iter().map(|sn| sn.collection(id, coll)).collect();
        if steps.iter().any(Option::is_none) {
            continue;
        }
        out.push(Followed {
            node: n,
            coll,
            steps,
            instances: None,
        });
    }
    out
}

/// The last snapshot's collections grouped by holder key, each key followed back through
/// the earlier snapshots (separate sessions, restarts, replicas). A key missing from an
/// earlier snapshot had fewer entries there than a suspect needs.
fn by_holder_key(snaps: &[Indexed]) -> Vec<Followed> {
    let last = &snaps[snaps.len() - 1];
    let mut keys: Vec<(&String, &super::holders::HolderGroup)> = last.holders.iter().collect();
    // Node order, as with object ids, so ties rank the same way.
    keys.sort_by_key(|(_, g)| g.node);
    keys.into_iter()
        .filter(|(_, g)| last.a.dist.distance[g.node as usize] != NO_DISTANCE)
        .map(|(key, g)| {
            let found: Vec<Option<&super::holders::HolderGroup>> = snaps
                .iter()
                .map(|sn| sn.holders.get(key).filter(|h| h.coll == g.coll))
                .collect();
            Followed {
                node: g.node,
                coll: g.coll,
                steps: found
                    .iter()
                    .map(|h| h.map(|h| (h.entries, h.retained)))
                    .collect(),
                instances: Some(found.iter().map(|h| h.map_or(0, |h| h.instances)).collect()),
            }
        })
        .collect()
}

/// Entries that grew at every step: strictly increasing where found, and found from some
/// snapshot on (a collection too small to be counted earlier counts as none).
fn grows_at_every_step(steps: &[Option<(u64, f64)>]) -> bool {
    let first_found = steps.iter().position(Option::is_some);
    let Some(f) = first_found else {
        return false;
    };
    let found: Vec<u64> = steps[f..].iter().map(|x| x.map_or(0, |x| x.0)).collect();
    steps[f..].iter().all(Option::is_some) && found.windows(2).all(|w| w[1] > w[0])
}

fn growing_collections(snaps: &[Indexed], followed: &[Followed]) -> Vec<Suspect> {
    let last = &snaps[snaps.len() - 1];
    let mut out = Vec::new();
    for f in followed {
        let n = f.node;
        let coll = f.coll;
        let counts: Vec<u64> = f.steps.iter().map(|x| x.map_or(0, |x| x.0)).collect();
        let sizes: Vec<f64> = f.steps.iter().map(|x| x.map_or(0.0, |x| x.1)).collect();
        let count_last = counts[counts.len() - 1];
        if count_last < MIN_ENTRY_GROWTH
            || (coll == Collection::Dict && count_last < MIN_DICT_PROPERTIES)
            || !grows_at_every_step(&f.steps)
        {
            continue;
        }
        let growth = count_last - counts[0];
        if growth < MIN_ENTRY_GROWTH {
            continue;
        }
        let size_delta = sizes[sizes.len() - 1] - sizes[0];
        if size_delta < MIN_SIZE_GROWTH {
            continue;
        }
        let path = render_path(&last.a, &last.owners, n);
        let steps = f
            .steps
            .iter()
            .map(|c| c.map_or_else(|| "few".to_string(), |c| c.0.to_string()))
            .collect::<Vec<_>>()
            .join(" → ");
        let many = f
            .instances
            .as_ref()
            .and_then(|i| i.last())
            .filter(|&&i| i > 1)
            .map(|i| format!(" ({i} collections held the same way, summed)"))
            .unwrap_or_default();
        let (pattern, name, advice) = if let Some((event, emitter)) =
            listener_array(&last.a, &last.owners, n)
        {
            (
                    "listener-accumulation",
                    event.clone(),
                    format!(
                        "{growth} '{event}' listeners were added to `{emitter}` and never removed ({steps}){many}: a listener is added per request or connection. Remove it when that request/connection closes (emitter.off/removeListener in a 'close' handler, or `once`), or register one listener at startup."
                    ),
                )
        } else {
            let name = holder_name(&last.a, &last.owners, n);
            let what = match coll {
                    Collection::Map | Collection::Set | Collection::Dict => format!(
                        "`{name}` ({}) only grows: {steps} entries{many}, {} more retained. If it is a cache, bound it: an LRU with a maximum size and a TTL (e.g. the lru-cache package with max and ttl), or delete entries when their request/session ends.",
                        coll.class(),
                        format_bytes(size_delta)
                    ),
                    Collection::Array => format!(
                        "`{name}` (Array) only grows: {steps} elements{many}, {} more retained. Remove items once they are handled (or cap the array, e.g. a ring buffer), instead of pushing forever.",
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
        sus.extra
            .insert("node_id".into(), json!(last.a.snap.node_id[n as usize]));
        sus.extra.insert("entries".into(), json!(counts));
        sus.extra.insert(
            "retained_size".into(),
            json!(sizes.iter().map(|x| x.round() as i64).collect::<Vec<_>>()),
        );
        if let Some(i) = &f.instances {
            sus.extra.insert("instances".into(), json!(i));
        }
        out.push(sus);
    }
    out
}
