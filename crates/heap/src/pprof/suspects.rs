//! `growing-allocation-site` suspects of a pprof heap diff: the source lines whose in-use
//! bytes grew most, each with the heaviest stack through it.

use std::collections::BTreeMap;

use super::graph::{Granularity, Graph};
use super::merge::{st, Merged};
use super::Profile;
use crate::Suspect;
use leakscope_core::units::format_bytes;

/// At most this many sites are reported.
const MAX_SUSPECTS: usize = 5;
/// A site must grow by at least this fraction of the newer profile's in-use total.
const MIN_FRACTION: f64 = 0.01;

fn index_of(p: &Profile, name: &str) -> Option<usize> {
    p.sample_type.iter().position(|vt| st(p, vt.r#type) == name)
}

/// Rank the lines whose in-use bytes grew (`m` = source minus base). Uses `inuse_space` and
/// `inuse_objects` when the profile has them, else value `vi` when it is in bytes.
pub fn growing_sites(
    m: &Merged,
    source: &Profile,
    vi: usize,
    notes: &mut Vec<String>,
) -> Vec<Suspect> {
    let space = index_of(source, "inuse_space")
        .or_else(|| (m.sample_types.get(vi).map(|t| t.1.as_str()) == Some("bytes")).then_some(vi));
    let Some(space) = space else {
        return Vec::new();
    };
    let count = index_of(source, "inuse_objects");
    let g = Graph::new(m, Granularity::Lines);
    let (flat, _) = g.weigh(m, space);
    let flat_count = count.map(|c| g.weigh(m, c).0);
    let source_total: i64 = source
        .sample
        .iter()
        .map(|s| s.value.get(space).copied().unwrap_or(0))
        .fold(0, i64::saturating_add);
    let min = (source_total as f64 * MIN_FRACTION).max(1.0);
    let mut cands: Vec<u32> = (0..g.len() as u32)
        .filter(|&n| {
            let d = flat[n as usize];
            let (func, _, _) = g.parts(m, n);
            d > 0 && (d as f64 >= min || func == "runtime.malg")
        })
        .collect();
    cands.sort_by(|a, b| flat[*b as usize].cmp(&flat[*a as usize]).then(a.cmp(b)));
    // The heaviest grown stack ending at each candidate.
    let mut best: BTreeMap<u32, (i64, usize)> = BTreeMap::new();
    for (si, s) in m.samples.iter().enumerate() {
        let v = s.values.get(space).copied().unwrap_or(0);
        let leaf = s
            .locs
            .first()
            .and_then(|l| g.loc_nodes.get(*l as usize))
            .and_then(|n| n.first());
        if let Some(&leaf) = leaf {
            let e = best.entry(leaf).or_insert((i64::MIN, si));
            if v > e.0 {
                *e = (v, si);
            }
        }
    }
    let mut out = Vec::new();
    for n in cands.into_iter().take(MAX_SUSPECTS) {
        let (func, file, line) = g.parts(m, n);
        let d = flat[n as usize];
        let dc = flat_count.as_ref().map(|f| f[n as usize]).unwrap_or(0);
        let path = best
            .get(&n)
            .and_then(|(_, si)| m.samples.get(*si))
            .map(|s| {
                g.stack(&s.locs)
                    .into_iter()
                    .map(|i| g.names[i as usize].clone())
                    .collect()
            })
            .unwrap_or_default();
        let location = format!("{file}:{line}");
        let advice = if func == "runtime.malg" {
            notes.push(format!(
                "runtime.malg (goroutine descriptors) grew by {}: goroutines are piling up; their stacks are not in the heap profile",
                format_bytes(d as f64)
            ));
            "runtime.malg allocates goroutine descriptors, so goroutines are piling up: capture /debug/pprof/goroutine two or more times and run `leakscope heap diff` on them to see where they block".to_owned()
        } else {
            format!(
                "memory allocated by {func} at {location} and still in use grew by {}: something keeps these objects reachable; look for a map, slice or cache filled here and never pruned, and bound it or delete entries when done",
                format_bytes(d as f64)
            )
        };
        let mut extra = BTreeMap::new();
        extra.insert("function".to_owned(), serde_json::json!(func));
        extra.insert("location".to_owned(), serde_json::json!(location));
        if func == "runtime.malg" {
            extra.insert("hint".to_owned(), serde_json::json!("goroutine-leak"));
        }
        out.push(Suspect {
            pattern: "growing-allocation-site".into(),
            name: format!("{func} ({location})"),
            retainer_path: path,
            count_delta: dc,
            size_delta: d,
            advice,
            extra,
        });
    }
    out
}
