//! Everything computed once per snapshot: DevTools shallow sizes, dominators, retained sizes,
//! distances, class names and per-class aggregates.

use std::collections::HashMap;

use super::distances::{distances, Distances};
use super::dominators::{dominators, essential_edges, page_owned, shallow_sizes};
use super::model::{kind, Snapshot};

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
    let mut by_name: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut class_of = Vec::with_capacity(s.node_count());
    for n in 0..s.node_count() as u32 {
        let k = s.node_kind[n as usize];
        let si = s.node_name[n as usize] as usize;
        if (k == kind::OBJECT || k == kind::NATIVE) && by_string[si] != u32::MAX {
            class_of.push(by_string[si]);
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
        if k == kind::OBJECT || k == kind::NATIVE {
            by_string[si] = id;
        }
        class_of.push(id);
    }
    (class_of, names)
}

/// Run every per-snapshot analysis.
pub fn analyze(mut snap: Snapshot) -> Analyzed {
    let mut t = Timer::new();
    // Renames detached embedder nodes, so it comes before anything that reads names.
    snap.propagate_dom_state();
    let (shallow, ess) = rayon::join(
        || shallow_sizes(&snap),
        || essential_edges(&snap, &page_owned(&snap)),
    );
    t.lap("shallow sizes, essential edges");
    let (d, (dist, (class_of, class_names))) = rayon::join(
        || dominators(&snap, &ess, &shallow),
        || rayon::join(|| distances(&snap), || classes(&snap)),
    );
    drop(ess);
    t.lap("dominators, distances, classes");
    Analyzed {
        snap,
        shallow,
        idom: d.idom,
        retained: d.retained,
        dist,
        class_of,
        class_names,
        unreachable: d.unreachable,
    }
}

/// Phase timings on stderr when `LEAKSCOPE_TIMING` is set (for benchmarks).
pub struct Timer {
    on: bool,
    last: std::time::Instant,
}

impl Timer {
    /// Start timing.
    pub fn new() -> Self {
        Self {
            on: std::env::var_os("LEAKSCOPE_TIMING").is_some(),
            last: std::time::Instant::now(),
        }
    }

    /// Report the time since the last lap under `what`.
    pub fn lap(&mut self, what: &str) {
        if self.on {
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|t| {
                    t.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .map(|l| l.trim_start_matches("VmRSS:").trim().to_string())
                })
                .unwrap_or_default();
            eprintln!(
                "[v8] {what}: {:.3} s (RSS {rss})",
                self.last.elapsed().as_secs_f64()
            );
        }
        self.last = std::time::Instant::now();
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
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

impl Analyzed {
    /// Per-class aggregates indexed by class id (DevTools `buildAggregates` +
    /// `calculateClassesRetainedSize`; nodes with zero shallow size are not counted).
    pub fn aggregates(&self) -> Vec<ClassAgg> {
        let s = &self.snap;
        let n = s.node_count();
        let mut aggs = vec![
            ClassAgg {
                distance: u32::MAX,
                ..Default::default()
            };
            self.class_names.len()
        ];
        for v in 0..n {
            let sz = self.shallow[v];
            if sz == 0 {
                continue;
            }
            let a = &mut aggs[self.class_of[v] as usize];
            a.count += 1;
            a.shallow += sz as u64;
            a.distance = a.distance.min(self.dist.distance[v]);
        }
        // Dominator-tree children as CSR.
        let mut first = vec![0u32; n + 1];
        for v in 0..n {
            if v as u32 != s.root {
                first[self.idom[v] as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut kids = vec![0u32; n.saturating_sub(1).max(1)];
        for v in 0..n {
            if v as u32 != s.root {
                let d = self.idom[v] as usize;
                if let Some(slot) = kids.get_mut(fill[d] as usize) {
                    *slot = v as u32;
                }
                fill[d] += 1;
            }
        }
        drop(fill);
        let mut active = vec![false; self.class_names.len()];
        // Stack of (node, entered): on exit, release the class if this node activated it.
        let mut stack: Vec<(u32, bool)> = vec![(s.root, false)];
        let mut activated = vec![false; n];
        while let Some((v, exiting)) = stack.pop() {
            let c = self.class_of[v as usize] as usize;
            if exiting {
                if activated[v as usize] {
                    active[c] = false;
                }
                continue;
            }
            let (a, b) = (first[v as usize] as usize, first[v as usize + 1] as usize);
            if !active[c] && self.shallow[v as usize] > 0 {
                aggs[c].retained += self.retained[v as usize];
                if a != b {
                    active[c] = true;
                    activated[v as usize] = true;
                }
            }
            stack.push((v, true));
            for &k in &kids[a..b] {
                stack.push((k, false));
            }
        }
        aggs
    }
}
