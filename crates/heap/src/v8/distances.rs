//! Distances from the roots (DevTools' `calculateDistances`), plus the BFS parent edge of
//! every node so that a shortest retainer path can be read back.

use super::dominators::WeakMapNames;
use super::model::{edge_kind, kind, known, Snapshot};

/// Distance of nodes reached only through system roots starts here (DevTools'
/// `baseSystemDistance`).
pub const BASE_SYSTEM_DISTANCE: u32 = 100_000_000;
/// Distance of nodes never reached.
pub const NO_DISTANCE: u32 = u32::MAX;
/// Parent edge of nodes that have none (roots and unreached nodes).
pub const NO_EDGE: u32 = u32::MAX;

/// BFS results.
pub struct Distances {
    /// Distance per node: 1 for user roots (globals), `BASE_SYSTEM_DISTANCE + d` for nodes
    /// reached only from system roots, [`NO_DISTANCE`] when unreachable.
    pub distance: Vec<u32>,
    /// The edge through which the BFS first reached each node, or [`NO_EDGE`].
    pub parent_edge: Vec<u32>,
}

/// BFS from user roots (the root's non-synthetic children), then from the root for the rest,
/// over non-weak edges with DevTools' JS filters (NativeContext `sloppy_function_map`,
/// descriptor-array links, WeakMap ephemeron pairs).
pub fn distances(s: &Snapshot, wm: &WeakMapNames) -> Distances {
    let n = s.node_count();
    let mut dist = vec![NO_DISTANCE; n];
    let mut parent = vec![NO_EDGE; n];
    let mut queue: Vec<u32> = Vec::with_capacity(n);
    let mut pending: std::collections::HashSet<String> = Default::default();
    let sloppy = find_string(s, "sloppy_function_map");

    for e in s.edges(s.root) {
        let t = s.edge_to[e];
        if s.node_kind[t as usize] != kind::SYNTHETIC {
            dist[t as usize] = 1;
            queue.push(t);
        }
    }
    let user_roots = !queue.is_empty();
    let mut bfs =
        |queue: &mut Vec<u32>, dist: &mut Vec<u32>, parent: &mut Vec<u32>, start: usize| {
            let mut idx = start;
            while idx < queue.len() {
                let v = queue[idx];
                idx += 1;
                let d = dist[v as usize].saturating_add(1);
                let vk = s.node_kind[v as usize];
                let special_hidden = vk == kind::HIDDEN && s.known_name(v) == known::NATIVE_CONTEXT;
                let descriptors = vk == kind::ARRAY && s.known_name(v) == known::MAP_DESCRIPTORS;
                for e in s.edges(v) {
                    let ek = s.edge_kind[e];
                    if ek == edge_kind::WEAK {
                        continue;
                    }
                    let t = s.edge_to[e];
                    if dist[t as usize] != NO_DISTANCE {
                        continue;
                    }
                    if special_hidden
                        && Some(s.edge_name[e]) == sloppy
                        && !edge_kind::has_numeric_name(ek)
                    {
                        continue;
                    }
                    if descriptors {
                        let idx = if edge_kind::has_numeric_name(ek) {
                            Some(s.edge_name[e])
                        } else {
                            s.strings.get(s.edge_name[e]).parse::<u32>().ok()
                        };
                        // DevTools keeps an edge when parseInt(name) < 2 || index % 3 != 1 (NaN keeps it).
                        if matches!(idx, Some(i) if i >= 2 && i % 3 == 1) {
                            continue;
                        }
                    }
                    if ek == edge_kind::INTERNAL && wm.table_id(s.edge_name[e]).is_some() {
                        let name = s.strings.get(s.edge_name[e]);
                        let dup = name.find(" / ").map(|p| &name[p..]).unwrap_or(name);
                        if !pending.remove(dup) {
                            pending.insert(dup.to_string());
                            continue;
                        }
                    }
                    dist[t as usize] = d;
                    parent[t as usize] = e as u32;
                    queue.push(t);
                }
            }
        };
    bfs(&mut queue, &mut dist, &mut parent, 0);
    dist[s.root as usize] = if user_roots { BASE_SYSTEM_DISTANCE } else { 0 };
    let start = queue.len();
    queue.push(s.root);
    bfs(&mut queue, &mut dist, &mut parent, start);
    Distances {
        distance: dist,
        parent_edge: parent,
    }
}

/// The index of string `want` in the table, if present (linear scan; used once per run).
pub fn find_string(s: &Snapshot, want: &str) -> Option<u32> {
    (0..s.strings.len() as u32).find(|&i| s.strings.get(i) == want)
}
