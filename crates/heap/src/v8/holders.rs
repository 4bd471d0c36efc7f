//! What holds an object, named so that the same holder gets the same name in another
//! snapshot of the same program: another inspector session, a restarted process, a replica.
//! V8 object ids say nothing across those (an inspector session that closes clears them), so
//! collections are matched by their holder key instead: the retainer path from the nearest
//! anchor (a module's top-level scope, or a global) down to the collection, with element
//! indexes left out, e.g. `module app.js → cache (Map)` or
//! `module app.js → bus (EventEmitter) → _events (Object) → change (Array)`.

use std::collections::HashMap;

use super::analysis::Analyzed;
use super::distances::NO_EDGE;
use super::model::kind;
use super::paths::{describe_node, hop, is_top_level_context, ContextOwners};
use super::suspects::{collection_kind, Collection, MIN_DICT_PROPERTIES, MIN_ENTRY_GROWTH};

/// A holder key is at most this many hops long when no anchor comes first.
pub const MAX_KEY_HOPS: usize = 8;

/// The holder key of `node`: its retainer path from the nearest anchor (a module's top-level
/// context, a global object, a synthetic root) or from at most [`MAX_KEY_HOPS`] hops up,
/// with element indexes written `[]`.
pub fn holder_key(a: &Analyzed, owners: &ContextOwners, node: u32) -> String {
    let s = &a.snap;
    let mut hops: Vec<String> = Vec::new();
    let mut v = node;
    // Bounded by the hop limit, and by the node count against a malformed parent chain.
    for _ in 0..s.node_count() {
        let pe = a.dist.parent_edge[v as usize];
        if pe == NO_EDGE {
            if hops.is_empty() {
                hops.push(describe_node(a, owners, v));
            }
            break;
        }
        let e = pe as usize;
        hops.extend(hop(a, owners, e, v == node, false));
        let from = s.edge_from(e);
        if is_anchor(a, from) || hops.len() >= MAX_KEY_HOPS {
            if s.node_kind[from as usize] == kind::SYNTHETIC {
                hops.push(s.name(from).to_string());
            } else if from != s.root {
                hops.push(describe_node(a, owners, from));
            }
            break;
        }
        v = from;
    }
    hops.reverse();
    hops.join(" → ")
}

/// Where a holder key starts: the things a program names the same way in every run.
fn is_anchor(a: &Analyzed, n: u32) -> bool {
    let s = &a.snap;
    n == s.root
        || s.node_kind[n as usize] == kind::SYNTHETIC
        || a.dist.distance[n as usize] == 1
        || is_top_level_context(s, n)
}

/// The collections of one snapshot that share a holder key, summed.
#[derive(Debug, Clone)]
pub struct HolderGroup {
    /// What kind of collection.
    pub coll: Collection,
    /// Entries of all of them.
    pub entries: u64,
    /// Retained bytes of all of them.
    pub retained: f64,
    /// How many collections share the key.
    pub instances: u32,
    /// The one with the most entries (node ordinal in its snapshot).
    pub node: u32,
    /// Its entries.
    pub node_entries: u64,
}

/// Holder key → the collections under it, for one snapshot.
pub type Holders = HashMap<String, HolderGroup>;

/// Group the collections of a snapshot big enough to be reported (`entries`: `(id, entries,
/// node)` from [`super::suspects::collection_entries`]) by holder key.
pub fn holder_groups(a: &Analyzed, owners: &ContextOwners, entries: &[(u32, u32, u32)]) -> Holders {
    let s = &a.snap;
    let mut out: Holders = HashMap::new();
    for &(_, count, n) in entries {
        let count = count as u64;
        if count < MIN_ENTRY_GROWTH {
            continue;
        }
        // A string compare per collection big enough: few, unlike the strings of the table.
        let Some(coll) = collection_kind(s, n) else {
            continue;
        };
        if coll == Collection::Dict && count < MIN_DICT_PROPERTIES {
            continue;
        }
        if a.dist.parent_edge[n as usize] == NO_EDGE {
            continue;
        }
        let key = holder_key(a, owners, n);
        let g = out.entry(key).or_insert(HolderGroup {
            coll,
            entries: 0,
            retained: 0.0,
            instances: 0,
            node: n,
            node_entries: 0,
        });
        g.entries += count;
        g.retained += a.retained[n as usize];
        g.instances += 1;
        if count > g.node_entries {
            g.node = n;
            g.node_entries = count;
        }
    }
    out
}
