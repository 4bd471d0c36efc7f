//! Everything computed once per snapshot: DevTools shallow sizes, dominators, retained sizes,
//! distances, class names and per-class aggregates.

use std::collections::HashMap;

use super::distances::{distances, Distances};
use super::dominators::{
    dominators_from, essential_edges, essential_predecessors, page_owned, retained_sizes,
    shallow_sizes, spanning_tree, Dominators, SpanningTree, WeakMapNames,
};
use super::handoff::{LaneGuard, Slot};
use super::model::{kind, Snapshot};
use super::timing::{timed, Timer};

/// A snapshot with its analyses.
pub struct Analyzed {
    /// The parsed snapshot.
    pub snap: Snapshot,
    /// Shallow size per node after DevTools' reattribution, bytes.
    pub shallow: Vec<u32>,
    /// Immediate dominator per node.
    pub idom: Vec<u32>,
    /// Retained size per node, bytes.
    pub retained: Vec<f64>,
    /// BFS distances and parent edges.
    pub dist: Distances,
    /// Class id per node (index into `class_names`).
    pub class_of: Vec<u32>,
    /// Class names as DevTools shows them (`Map`, `(string)`, `Function`, `(system)`...).
    pub class_names: Vec<String>,
    /// Per-class aggregates (DevTools Summary), indexed by class id.
    pub aggs: Vec<ClassAgg>,
    /// Nodes unreachable through essential edges.
    pub unreachable: usize,
}

/// DevTools' class name for a node (`getNodeClassIndex` in `calculateObjectNames`).
pub fn class_name(s: &Snapshot, n: u32) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match s.node_kind[n as usize] {
        kind::HIDDEN => Cow::Borrowed("(system)"),
        kind::OBJECT | kind::NATIVE => {
            let name = s.name(n);
            if let Some(rest) = name.strip_prefix("Detached <") {
                if let Some(sp) = rest.find(' ') {
                    return Cow::Owned(format!("Detached <{}>", &rest[..sp]));
                }
            } else if name.starts_with('<') {
                if let Some(sp) = name.find(' ') {
                    return Cow::Owned(format!("{}>", &name[..sp]));
                }
            }
            Cow::Borrowed(name)
        }
        kind::CODE => Cow::Borrowed("(compiled code)"),
        kind::CLOSURE => Cow::Borrowed("Function"),
        kind::REGEXP => Cow::Borrowed("RegExp"),
        kind::ARRAY => Cow::Borrowed("(array)"),
        kind::STRING => Cow::Borrowed("(string)"),
        kind::NUMBER => Cow::Borrowed("(number)"),
        kind::SYNTHETIC => Cow::Borrowed("(synthetic)"),
        kind::CONS_STRING => Cow::Borrowed("(concatenated string)"),
        kind::SLICED_STRING => Cow::Borrowed("(sliced string)"),
        kind::SYMBOL => Cow::Borrowed("(symbol)"),
        kind::BIGINT => Cow::Borrowed("(bigint)"),
        kind::OBJECT_SHAPE => Cow::Borrowed("(object shape)"),
        kind::WASM => Cow::Borrowed("(wasm object)"),
        _ => Cow::Borrowed("(unknown)"),
    }
}

/// Assign class ids: object/native names share one id per distinct name string.
fn classes(s: &Snapshot) -> (Vec<u32>, Vec<String>) {
    let mut by_string = vec![u32::MAX; s.strings.len()];
    // Other kinds have one class name per kind.
    let mut by_kind = [u32::MAX; 256];
    let mut by_name: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut class_of = Vec::with_capacity(s.node_count());
    for n in 0..s.node_count() as u32 {
        let k = s.node_kind[n as usize];
        let si = s.node_name[n as usize] as usize;
        let named = k == kind::OBJECT || k == kind::NATIVE;
        let known = if named {
            by_string[si]
        } else {
            by_kind[k as usize]
        };
        if known != u32::MAX {
            class_of.push(known);
            continue;
        }
        let name = class_name(s, n);
        let id = match by_name.get(name.as_ref()) {
            Some(&id) => id,
            None => {
                let id = names.len() as u32;
                names.push(name.to_string());
                by_name.insert(name.into_owned(), id);
                id
            }
        };
        if named {
            by_string[si] = id;
        } else {
            by_kind[k as usize] = id;
        }
        class_of.push(id);
    }
    (class_of, names)
}

/// Run every per-snapshot analysis.
pub fn analyze(snap: Snapshot) -> Analyzed {
    analyze_with(snap, |_| (), || ()).0
}

/// Run every per-snapshot analysis, and `side` (work that needs only the parsed snapshot)
/// in the gaps; `dominators_done` is called once the dominator tree's working arrays are
/// freed (the largest temporary memory of the analysis).
///
/// After the essential edges, work runs in two lanes. This thread takes the critical path:
/// the reverse edges, the rest of Lengauer–Tarjan, retained sizes, class aggregates. The
/// other lane runs the DFS from the root first (the dominator lane needs it next), then
/// shallow sizes, classes, distances and `side`; each result is handed over through a
/// [`Slot`] as soon as it is ready.
pub fn analyze_with<E: Send>(
    mut snap: Snapshot,
    side: impl FnOnce(&Snapshot) -> E + Send,
    dominators_done: impl FnOnce() + Send,
) -> (Analyzed, E) {
    let mut t = Timer::new();
    // Renames detached embedder nodes, so it comes before anything that reads names.
    snap.propagate_dom_state();
    let (owned, wm) = rayon::join(
        || timed("page-owned", || page_owned(&snap)),
        || timed("WeakMap names", || WeakMapNames::new(&snap)),
    );
    let ess = timed("essential edges", || essential_edges(&snap, &owned, &wm));
    drop(owned);
    t.lap("page-owned, essential edges");
    let failed = std::sync::atomic::AtomicBool::new(false);
    let tree: Slot<std::sync::Mutex<Option<SpanningTree>>> = Slot::new(&failed);
    let shallow: Slot<Vec<u32>> = Slot::new(&failed);
    let cls: Slot<(Vec<u32>, Vec<String>)> = Slot::new(&failed);
    let dist: Slot<Distances> = Slot::new(&failed);
    let (a, extra) = rayon::join(
        || {
            let preds = timed("predecessors", || essential_predecessors(&snap, &ess));
            let first = tree.get().lock().unwrap_or_else(|p| p.into_inner()).take();
            let Some(first) = first else {
                unreachable!("the DFS is handed over once and taken once");
            };
            let d = dominators_from(&snap, &ess, first, preds);
            dominators_done();
            let sh = shallow.get();
            let retained = timed("retained sizes", || retained_sizes(&d, sh));
            let (class_of, class_names) = cls.get();
            let distance = &dist.get().distance;
            let aggs = timed("aggregates", || {
                class_aggregates(
                    &snap,
                    sh,
                    class_of,
                    class_names.len(),
                    distance,
                    &d,
                    &retained,
                )
            });
            (d, retained, aggs)
        },
        || {
            let _guard = LaneGuard(&failed);
            let first = timed("dfs", || spanning_tree(&snap, &ess));
            tree.put(std::sync::Mutex::new(Some(first)));
            shallow.put(timed("shallow sizes", || shallow_sizes(&snap)));
            cls.put(timed("classes", || classes(&snap)));
            dist.put(timed("distances", || distances(&snap, &wm)));
            side(&snap)
        },
    );
    drop(ess);
    let (d, retained, aggs) = a;
    t.lap("dominators, retained sizes, classes, distances, aggregates");
    // Every slot was filled by the second lane before the join returned.
    let (Some(shallow), Some((class_of, class_names)), Some(dist)) =
        (shallow.into_inner(), cls.into_inner(), dist.into_inner())
    else {
        unreachable!("the second lane fills every slot");
    };
    let a = Analyzed {
        snap,
        shallow,
        idom: d.idom,
        retained,
        dist,
        class_of,
        class_names,
        aggs,
        unreachable: d.unreachable,
    };
    (a, extra)
}

/// Per-class totals, DevTools Summary style.
#[derive(Debug, Clone, Default)]
pub struct ClassAgg {
    /// Objects with a non-zero shallow size.
    pub count: u64,
    /// Sum of shallow sizes, bytes.
    pub shallow: u64,
    /// Sum of retained sizes of the class's top-most instances (none dominated by another
    /// instance of the class), bytes.
    pub retained: f64,
    /// Smallest distance from a root.
    pub distance: u32,
}

/// Per-class aggregates indexed by class id (DevTools `buildAggregates` +
/// `calculateClassesRetainedSize`; nodes with zero shallow size are not counted).
fn class_aggregates(
    s: &Snapshot,
    shallow: &[u32],
    class_of: &[u32],
    classes: usize,
    distance: &[u32],
    d: &Dominators,
    retained: &[f64],
) -> Vec<ClassAgg> {
    let n = s.node_count();
    let mut aggs = vec![
        ClassAgg {
            distance: u32::MAX,
            ..Default::default()
        };
        classes
    ];
    for v in 0..n {
        let sz = shallow[v];
        if sz == 0 {
            continue;
        }
        let a = &mut aggs[class_of[v] as usize];
        a.count += 1;
        a.shallow += sz as u64;
        a.distance = a.distance.min(distance[v]);
    }
    // The dominator tree as first-child / next-sibling links (one pass), walked without a
    // stack: down to a first child, else across to a sibling, else back up through idom.
    const NONE: u32 = u32::MAX;
    let mut first_child = vec![NONE; n];
    let mut next_sibling = vec![NONE; n];
    for (v, sibling) in next_sibling.iter_mut().enumerate() {
        if v as u32 != s.root {
            let p = d.idom[v] as usize;
            *sibling = first_child[p];
            first_child[p] = v as u32;
        }
    }
    let mut active = vec![false; classes];
    // Set on a node that switched its class on, so leaving it switches it off again.
    let mut activated = vec![false; n];
    let mut v = s.root as usize;
    'tree: loop {
        let c = class_of[v] as usize;
        let kid = first_child[v];
        if !active[c] && shallow[v] > 0 {
            aggs[c].retained += retained[v];
            if kid != NONE {
                active[c] = true;
                activated[v] = true;
            }
        }
        if kid != NONE {
            v = kid as usize;
            continue;
        }
        loop {
            if activated[v] {
                active[class_of[v] as usize] = false;
            }
            if v == s.root as usize {
                break 'tree;
            }
            if next_sibling[v] != NONE {
                v = next_sibling[v] as usize;
                continue 'tree;
            }
            v = d.idom[v] as usize;
        }
    }
    aggs
}
