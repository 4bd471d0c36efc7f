//! memlab's method over three or more snapshots of one inspector session: the objects
//! allocated between the first and second snapshot that are still alive in the last ("kept"),
//! counted per class, and the holders they hang from. A holder that kept a lot but gained
//! almost nothing in the last interval grew and then held: the leak whose traffic stopped
//! (or paused) before the last snapshot, which growth-at-every-step cannot see.

use std::collections::HashMap;

use serde_json::json;

use super::diff::Indexed;
use super::paths::{holder_name, render_path};
use super::suspects::{collection_kind, Collection};
use crate::report::Suspect;
use leakscope_core::units::format_bytes;

/// A holder must keep at least this many bytes to be a suspect.
pub const MIN_KEPT_BYTES: u64 = 1 << 20;
/// ... and have gained less than this fraction of that in the last interval ("held").
pub const HELD_FRACTION: f64 = 0.1;

/// The node existed in the first snapshot.
const OLD: u8 = 1;
/// Allocated between the first and second snapshot, alive in the last.
const KEPT: u8 = 2;
/// Allocated in the last interval (not in the snapshot before the last).
const RECENT: u8 = 4;

/// The kept objects of a series, on the last snapshot's nodes.
pub struct KeptObjects {
    /// [`OLD`] / [`KEPT`] / [`RECENT`] flags per node of the last snapshot.
    state: Vec<u8>,
    /// Kept objects and their shallow bytes (in the last snapshot) per class of the last.
    pub per_class: Vec<(u64, u64)>,
    /// Kept objects in all.
    pub count: u64,
    /// Their shallow bytes.
    pub bytes: u64,
}

/// Mark the last snapshot's nodes by when their objects were allocated: one merge of the
/// id-sorted node lists (objects with a zero shallow size are not counted, as in DevTools).
pub fn kept_objects(snaps: &[Indexed]) -> KeptObjects {
    let (first, second) = (&snaps[0], &snaps[1]);
    let prev = &snaps[snaps.len() - 2];
    let last = &snaps[snaps.len() - 1];
    let mut state = vec![0u8; last.a.snap.node_count()];
    let mut per_class = vec![(0u64, 0u64); last.a.class_names.len()];
    let (mut count, mut bytes) = (0u64, 0u64);
    // Cursors into the other id lists; ids only increase along `last.ids`.
    let (mut i1, mut i2, mut ip) = (0usize, 0usize, 0usize);
    let find = |list: &[u64], i: &mut usize, id: u32| -> Option<u32> {
        while *i < list.len() && ((list[*i] >> 32) as u32) < id {
            *i += 1;
        }
        list.get(*i)
            .filter(|&&x| (x >> 32) as u32 == id)
            .map(|&x| x as u32)
    };
    for &x in &last.ids {
        let (id, o) = ((x >> 32) as u32, x as u32 as usize);
        let in_first = find(&first.ids, &mut i1, id).is_some();
        let in_second = find(&second.ids, &mut i2, id);
        let in_prev = find(&prev.ids, &mut ip, id).is_some();
        let mut st = 0;
        if in_first {
            st |= OLD;
        } else if let Some(so) = in_second {
            let sz = last.a.shallow[o] as u64;
            if second.a.shallow[so as usize] > 0 && sz > 0 {
                st |= KEPT;
                let c = &mut per_class[last.a.class_of[o] as usize];
                c.0 += 1;
                c.1 += sz;
                count += 1;
                bytes += sz;
            }
        }
        if !in_prev {
            st |= RECENT;
        }
        state[o] = st;
    }
    KeptObjects {
        state,
        per_class,
        count,
        bytes,
    }
}

/// What one holder kept and gained.
#[derive(Default, Clone, Copy)]
struct Held {
    count: u64,
    bytes: u64,
    recent: u64,
}

/// The holder of a kept or recent node: its nearest dominator that existed in the first
/// snapshot (the Map, not the table it outgrew), or the top-most newer one when only the
/// root is older. Memoized per node walked.
fn holder_of(
    k: &KeptObjects,
    idom: &[u32],
    root: u32,
    v: u32,
    memo: &mut HashMap<u32, u32>,
) -> u32 {
    let mut chain = vec![v];
    let mut u = idom[v as usize];
    let holder = loop {
        if let Some(&h) = memo.get(&u) {
            break h;
        }
        if u == root {
            break *chain.last().unwrap_or(&v);
        }
        if k.state[u as usize] & OLD != 0 {
            break u;
        }
        chain.push(u);
        u = idom[u as usize];
        if chain.len() > idom.len() {
            break u;
        }
    };
    for c in chain {
        memo.insert(c, holder);
    }
    holder
}

/// Holders that kept at least [`MIN_KEPT_BYTES`] of objects allocated between the first and
/// second snapshot and gained less than [`HELD_FRACTION`] of that in the last interval,
/// largest first; a collection among them must have gained entries between the first and
/// second snapshot. Holders already named in `already` (by object id), and holders on the
/// retainer path of a suspect already named (the same leak, seen from higher up: the timer
/// list above a growing closure, the Map above its growing entries), are left out.
pub fn grew_then_held(snaps: &[Indexed], k: &KeptObjects, already: &[Suspect]) -> Vec<Suspect> {
    let last = &snaps[snaps.len() - 1];
    let a = &last.a;
    let s = &a.snap;
    if a.idom.len() != s.node_count() || k.bytes < MIN_KEPT_BYTES {
        return Vec::new();
    }
    let mut memo: HashMap<u32, u32> = HashMap::new();
    let mut held: HashMap<u32, Held> = HashMap::new();
    for v in 0..s.node_count() as u32 {
        let st = k.state[v as usize];
        if st & (KEPT | RECENT) == 0 || a.shallow[v as usize] == 0 || v == s.root {
            continue;
        }
        let h = holder_of(k, &a.idom, s.root, v, &mut memo);
        let sz = a.shallow[v as usize] as u64;
        let e = held.entry(h).or_default();
        if st & KEPT != 0 {
            e.count += 1;
            e.bytes += sz;
        } else {
            e.recent += sz;
        }
    }
    let named: Vec<u64> = already
        .iter()
        .filter_map(|x| x.extra.get("node_id").and_then(|v| v.as_u64()))
        .collect();
    let mut picked: Vec<(u32, Held)> = held
        .into_iter()
        .filter(|(h, x)| {
            x.bytes >= MIN_KEPT_BYTES
                && (x.recent as f64) < x.bytes as f64 * HELD_FRACTION
                && !named.contains(&(s.node_id[*h as usize] as u64))
        })
        .collect();
    picked.sort_by(|x, y| y.1.bytes.cmp(&x.1.bytes).then(x.0.cmp(&y.0)));
    let n = snaps.len();
    picked
        .into_iter()
        .map(|(h, x)| (h, x, render_path(a, &last.owners, h)))
        .filter(|(_, _, path)| {
            path.is_empty()
                || !already
                .iter()
                .any(|sus| sus.retainer_path.starts_with(path))
        })
        .filter_map(|(h, x, retainer_path)| {
            let id = s.node_id[h as usize];
            let coll = collection_kind(s, h);
            let entries: Option<Vec<u64>> = coll.and_then(|c| {
                snaps
                    .iter()
                    .map(|sn| sn.collection(id, c).map(|e| e.0))
                    .collect()
            });
            // A collection that did not gain entries did not grow: what it kept are
            // replacements (a full LRU evicting as it inserts), not growth.
            if entries.as_ref().is_some_and(|e| e[1] <= e[0]) {
                return None;
            }
            let name = holder_name(a, &last.owners, h);
            let class = a.class_names[a.class_of[h as usize] as usize].clone();
            let steps = entries
                .as_ref()
                .map(|e| {
                    let word = if coll == Some(Collection::Array) { "elements" } else { "entries" };
                    format!(
                        " ({} {word})",
                        e.iter().map(u64::to_string).collect::<Vec<_>>().join(" → ")
                    )
                })
                .unwrap_or_default();
            let mut sus = Suspect {
                pattern: "grew-then-held".into(),
                name: name.clone(),
                retainer_path,
                count_delta: x.count as i64,
                size_delta: x.bytes as i64,
                advice: format!(
                    "`{name}` ({class}) grew and then held{steps}: {} objects ({}) allocated between the first and second snapshot are still alive in the last, and it gained only {} in the last interval. Growth that stops when traffic stops comes back with traffic: if nothing bounds `{name}`, bound it (an LRU with a maximum size and a TTL) or delete entries when their request/session ends. If it is a cache that filled up to its limit, this is expected.",
                    x.count,
                    format_bytes(x.bytes as f64),
                    format_bytes(x.recent as f64)
                ),
                extra: Default::default(),
            };
            sus.extra.insert("class".into(), json!(class));
            sus.extra.insert("node_id".into(), json!(id));
            sus.extra.insert("kept_count".into(), json!(x.count));
            sus.extra.insert("kept_size".into(), json!(x.bytes));
            sus.extra.insert("last_interval_size".into(), json!(x.recent));
            if let Some(e) = entries {
                sus.extra.insert("entries".into(), json!(e));
            }
            sus.extra
                .insert("snapshots".into(), json!(n));
            Some(sus)
        })
        .collect()
}
