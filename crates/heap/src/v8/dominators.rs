//! DevTools' retained-size rules: page-owned flags, essential edges, shallow-size
//! reattribution (`calculateShallowSizes`) and the Lengauer–Tarjan dominator tree with retained
//! sizes (`calculateDominatorsAndRetainedSizes`), ported from devtools-frontend's
//! `HeapSnapshot.ts` so that totals match DevTools on the same file.

use super::model::{edge_kind, kind, known, Snapshot};

/// Marks nodes reachable from the root's shortcut edges (user globals) and from the
/// `(Document DOM trees)` root without following weak edges: DevTools' "page-owned" flag.
pub fn page_owned(s: &Snapshot) -> Vec<bool> {
    let n = s.node_count();
    let mut flag = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    for e in s.edges(s.root) {
        let t = s.edge_to[e];
        let k = s.edge_kind[e];
        let seed = if k == edge_kind::ELEMENT {
            s.node_kind[t as usize] == kind::SYNTHETIC && s.name(t) == "(Document DOM trees)"
        } else {
            k == edge_kind::SHORTCUT
        };
        if seed {
            flag[t as usize] = true;
            stack.push(t);
        }
    }
    while let Some(v) = stack.pop() {
        for e in s.edges(v) {
            let t = s.edge_to[e] as usize;
            if flag[t] || s.edge_kind[e] == edge_kind::WEAK {
                continue;
            }
            flag[t] = true;
            stack.push(t as u32);
        }
    }
    flag
}

/// The WeakMap ephemeron edge name `N / part of key (A @1) -> value (B @2) pair in WeakMap
/// (table @ID)`: returns ID, or None for any other name.
pub fn weakmap_table_id(name: &str) -> Option<u32> {
    let rest = name.strip_suffix(')')?;
    let at = rest.rfind(" pair in WeakMap (table @")?;
    let id = &rest[at + " pair in WeakMap (table @".len()..];
    if !name.as_bytes().first()?.is_ascii_digit() || !name.contains(" / part of key (") {
        return None;
    }
    id.parse().ok()
}

/// [`weakmap_table_id`] of every string of a snapshot, computed once (on all cores) and
/// shared by the passes that skip WeakMap ephemeron edges.
pub struct WeakMapNames {
    /// Table id per string; `NOT_EPHEMERON` for any other name.
    ids: Vec<u32>,
}

const NOT_EPHEMERON: u32 = u32::MAX;

impl WeakMapNames {
    /// Classify every string of `s`.
    pub fn new(s: &Snapshot) -> Self {
        Self {
            ids: s
                .strings
                .classify(|t| weakmap_table_id(t).unwrap_or(NOT_EPHEMERON)),
        }
    }

    /// The WeakMap table id named by string `i`, if it is an ephemeron edge name.
    #[inline]
    pub fn table_id(&self, i: u32) -> Option<u32> {
        self.ids
            .get(i as usize)
            .copied()
            .filter(|&id| id != NOT_EPHEMERON)
    }
}

/// DevTools' `computeIsEssentialEdge` for every edge, as a bit per edge. Runs on all cores,
/// in runs of edges that each start by finding their first edge's source node.
pub fn essential_edges(s: &Snapshot, owned: &[bool], wm: &WeakMapNames) -> Vec<u64> {
    use rayon::prelude::*;
    const WORDS: usize = 4096; // 256 Ki edges per task
    let m = s.edge_count();
    let mut bits = vec![0u64; m.div_ceil(64)];
    bits.par_chunks_mut(WORDS)
        .enumerate()
        .for_each(|(ci, words)| {
            let e0 = ci * WORDS * 64;
            let e1 = (e0 + words.len() * 64).min(m);
            let mut v = s.edge_from(e0);
            for e in e0..e1 {
                while s.first_edge[v as usize + 1] as usize <= e {
                    v += 1;
                }
                let k = s.edge_kind[e];
                if k == edge_kind::WEAK {
                    continue;
                }
                if k == edge_kind::INTERNAL
                    && wm.table_id(s.edge_name[e]) == Some(s.node_id[v as usize])
                {
                    continue;
                }
                let t = s.edge_to[e];
                if t == v {
                    continue;
                }
                if v != s.root {
                    if k == edge_kind::SHORTCUT {
                        continue;
                    }
                    if owned[t as usize] && !owned[v as usize] {
                        continue;
                    }
                }
                let i = e - e0;
                words[i >> 6] |= 1 << (i & 63);
            }
        });
    bits
}

#[inline]
fn bit(bits: &[u64], e: usize) -> bool {
    bits[e >> 6] & (1 << (e & 63)) != 0
}

/// True when the snapshot has user roots (non-synthetic children of the root).
pub fn has_user_roots(s: &Snapshot) -> bool {
    s.edges(s.root)
        .any(|e| s.node_kind[s.edge_to[e] as usize] != kind::SYNTHETIC)
}

/// DevTools' `calculateShallowSizes`: the self size of hidden/array nodes (and
/// `system / ExternalStringData`) owned by exactly one object moves onto that owner.
pub fn shallow_sizes(s: &Snapshot) -> Vec<u32> {
    let mut sizes = s.self_size.clone();
    if !has_user_roots(s) {
        return sizes;
    }
    const UNVISITED: u32 = u32::MAX;
    const MULTIPLE: u32 = u32::MAX - 1;
    let n = s.node_count();
    let mut owners = vec![0u32; n];
    let mut work: Vec<u32> = Vec::new();
    for (i, owner) in owners.iter_mut().enumerate() {
        let k = s.node_kind[i];
        if k == kind::HIDDEN
            || k == kind::ARRAY
            || (k == kind::NATIVE && s.known_name(i as u32) == known::EXTERNAL_STRING_DATA)
        {
            *owner = UNVISITED;
        } else {
            *owner = i as u32;
            work.push(i as u32);
        }
    }
    while let Some(id) = work.pop() {
        let owner = owners[id as usize];
        for e in s.edges(id) {
            if s.edge_kind[e] == edge_kind::WEAK {
                continue;
            }
            let t = s.edge_to[e];
            let cur = owners[t as usize];
            if cur == UNVISITED {
                owners[t as usize] = owner;
                work.push(t);
            } else if cur == t || cur == owner || cur == MULTIPLE {
            } else {
                owners[t as usize] = MULTIPLE;
                work.push(t);
            }
        }
    }
    for i in 0..n {
        let o = owners[i];
        if o == UNVISITED || o == MULTIPLE || o == i as u32 {
            continue;
        }
        if s.node_kind[o as usize] == kind::SYNTHETIC || o == s.root {
            continue;
        }
        let moved = sizes[i];
        sizes[i] = 0;
        sizes[o as usize] = sizes[o as usize].saturating_add(moved);
    }
    sizes
}

/// The dominator tree.
pub struct Dominators {
    /// Immediate dominator per node ordinal (the root dominates itself).
    pub idom: Vec<u32>,
    /// Node ordinals in DFS preorder (every node's dominator comes before it); the root
    /// first. Retained sizes are summed over it backwards.
    pub order: Vec<u32>,
    /// Nodes not reachable from the root through essential edges (attached to the root).
    pub unreachable: usize,
}

/// Per-vertex Lengauer–Tarjan state, kept together so one cache line serves `eval`.
#[derive(Clone, Copy, Default)]
struct Lt {
    semi: u32,
    label: u32,
    ancestor: u32,
    parent: u32,
}

/// The sources of every node's essential retaining edges, as a CSR: the sources of node `t`
/// are `src[first[t]..first[t + 1]]`. Only Lengauer–Tarjan walks edges backwards, so this
/// lives only while it runs.
pub struct Predecessors {
    first: Vec<u32>,
    src: Vec<u32>,
}

impl Predecessors {
    fn of(&self, o: u32) -> &[u32] {
        &self.src[self.first[o as usize] as usize..self.first[o as usize + 1] as usize]
    }
}

/// Build [`Predecessors`] from the essential edges.
pub fn essential_predecessors(s: &Snapshot, ess: &[u64]) -> Predecessors {
    let n = s.node_count();
    // Count into first[t + 1], prefix-sum, then use first[t] as the fill cursor: after the
    // fill, first[t] holds the end of t's run, i.e. the start of t + 1's.
    let mut first = vec![0u32; n + 1];
    let mut total = 0usize;
    for (e, &t) in s.edge_to.iter().enumerate() {
        if bit(ess, e) {
            first[t as usize + 1] += 1;
            total += 1;
        }
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut src = vec![0u32; total];
    for v in 0..n {
        for e in s.edges(v as u32) {
            if bit(ess, e) {
                let t = s.edge_to[e] as usize;
                src[first[t] as usize] = v as u32;
                first[t] += 1;
            }
        }
    }
    for i in (1..=n).rev() {
        first[i] = first[i - 1];
    }
    first[0] = 0;
    Predecessors { first, src }
}

/// The spanning tree of Lengauer–Tarjan's first step: the iterative DFS from the root over
/// essential edges, as DevTools does it. Vertices are node ordinal + 1 (0 means none).
pub struct SpanningTree {
    lt: Vec<Lt>,
    vertex: Vec<u32>,
    /// DFS cursor per vertex; reused as the bucket list heads afterwards.
    next_edge: Vec<u32>,
    n: u32,
}

impl SpanningTree {
    /// DFS from `root` (a vertex), numbering what it reaches after the `n` already numbered.
    fn extend(&mut self, s: &Snapshot, ess: &[u64], root: u32) {
        let fe = &s.first_edge;
        let (lt, vertex, next_edge) = (&mut self.lt, &mut self.vertex, &mut self.next_edge);
        next_edge[(root - 1) as usize] = fe[(root - 1) as usize];
        let mut v = root;
        while v != 0 {
            if lt[v as usize].semi == 0 {
                self.n += 1;
                lt[v as usize].semi = self.n;
                vertex[self.n as usize] = v;
                lt[v as usize].label = v;
            }
            let mut v_next = lt[v as usize].parent;
            let vo = (v - 1) as usize;
            while next_edge[vo] < fe[vo + 1] {
                let e = next_edge[vo] as usize;
                next_edge[vo] += 1;
                if !bit(ess, e) {
                    continue;
                }
                let wo = s.edge_to[e];
                let w = wo + 1;
                if lt[w as usize].semi == 0 {
                    lt[w as usize].parent = v;
                    next_edge[wo as usize] = fe[wo as usize];
                    v_next = w;
                    // DevTools does not advance past this edge before descending; the edge
                    // is skipped on return anyway because w then has a DFS number.
                    next_edge[vo] -= 1;
                    break;
                }
            }
            v = v_next;
        }
    }
}

/// The DFS from the root (the part of Lengauer–Tarjan that needs no reverse edges, so it
/// can run while [`essential_predecessors`] builds them).
pub fn spanning_tree(s: &Snapshot, ess: &[u64]) -> SpanningTree {
    let len = s.node_count() + 1;
    let mut t = SpanningTree {
        lt: vec![Lt::default(); len],
        vertex: vec![0u32; len],
        next_edge: vec![0u32; len],
        n: 0,
    };
    t.extend(s, ess, s.root + 1);
    t
}

/// Lengauer–Tarjan over the essential edges, exactly as DevTools does it, from its first
/// step ([`spanning_tree`], the DFS from the root) and the [`Predecessors`]: then DFS from
/// weak-only orphans, leftover cliques attached to the root, semidominators and idom.
pub fn dominators_from(
    s: &Snapshot,
    ess: &[u64],
    mut tree: SpanningTree,
    preds: Predecessors,
) -> Dominators {
    let mut t = super::timing::Timer::new();
    let node_count = s.node_count();
    let len = node_count + 1;
    let r = s.root + 1;
    let reached = tree.n as usize;
    if reached < node_count {
        for v in 1..=node_count as u32 {
            if tree.lt[v as usize].semi == 0 && preds.of(v - 1).is_empty() {
                tree.lt[v as usize].parent = r;
                tree.extend(s, ess, v);
            }
        }
    }
    let SpanningTree {
        mut lt,
        mut vertex,
        next_edge,
        mut n,
    } = tree;
    if (n as usize) < node_count {
        for v in 1..=node_count as u32 {
            if lt[v as usize].semi == 0 {
                lt[v as usize].parent = r;
                n += 1;
                lt[v as usize].semi = n;
                vertex[n as usize] = v;
                lt[v as usize].label = v;
            }
        }
    }

    let mut stack: Vec<u32> = Vec::new();
    let mut eval = |v: u32, lt: &mut [Lt]| -> u32 {
        if lt[v as usize].ancestor == 0 {
            return v;
        }
        // compress
        let mut x = v;
        stack.clear();
        while lt[lt[x as usize].ancestor as usize].ancestor != 0 {
            stack.push(x);
            x = lt[x as usize].ancestor;
        }
        while let Some(w) = stack.pop() {
            let a = lt[w as usize].ancestor as usize;
            let (la, lw) = (lt[a].label, lt[w as usize].label);
            if lt[la as usize].semi < lt[lw as usize].semi {
                lt[w as usize].label = la;
            }
            lt[w as usize].ancestor = lt[a].ancestor;
        }
        lt[v as usize].label
    };

    let mut dom = vec![0u32; len];
    // Buckets as linked lists: each vertex enters exactly one bucket once.
    let mut bucket_head = next_edge;
    bucket_head.fill(0);
    let mut bucket_next = vec![0u32; len];
    let mut i = n;
    while i >= 2 {
        let w = vertex[i as usize];
        let wo = w - 1;
        let mut orphan = true;
        let mut semi_w = lt[w as usize].semi;
        for &vo in preds.of(wo) {
            orphan = false;
            let v = vo + 1;
            let u = eval(v, &mut lt);
            semi_w = semi_w.min(lt[u as usize].semi);
        }
        if orphan {
            semi_w = lt[r as usize].semi;
        }
        lt[w as usize].semi = semi_w;
        let b = vertex[semi_w as usize] as usize;
        bucket_next[w as usize] = bucket_head[b];
        bucket_head[b] = w;
        let pw = lt[w as usize].parent;
        lt[w as usize].ancestor = pw;
        let mut v = bucket_head[pw as usize];
        bucket_head[pw as usize] = 0;
        while v != 0 {
            let u = eval(v, &mut lt);
            dom[v as usize] = if lt[u as usize].semi < lt[v as usize].semi {
                u
            } else {
                pw
            };
            v = bucket_next[v as usize];
        }
        i -= 1;
    }
    t.lap("    semidominators");
    drop(bucket_head);
    drop(bucket_next);
    drop(preds);
    dom[0] = r;
    dom[r as usize] = r;
    for i in 2..=n {
        let w = vertex[i as usize] as usize;
        if dom[w] != vertex[lt[w].semi as usize] {
            dom[w] = dom[dom[w] as usize];
        }
    }
    drop(lt);
    // `dom` becomes `idom` in place: idom[o] = dom[o + 1] - 1; `vertex` becomes `order`.
    for o in 0..node_count {
        dom[o] = dom[o + 1].saturating_sub(1);
    }
    dom.truncate(node_count);
    let mut order = vertex;
    for i in 0..node_count {
        order[i] = order[i + 1].saturating_sub(1);
    }
    order.truncate(node_count);
    t.lap("    idom");
    Dominators {
        idom: dom,
        order,
        unreachable: node_count - reached,
    }
}

/// Retained size per node: its shallow size plus its dominator-tree children's, summed
/// children first (backwards over the DFS preorder).
pub fn retained_sizes(d: &Dominators, sizes: &[u32]) -> Vec<f64> {
    let mut retained: Vec<f64> = sizes.iter().map(|&x| x as f64).collect();
    for &o in d.order.iter().skip(1).rev() {
        let o = o as usize;
        retained[d.idom[o] as usize] += retained[o];
    }
    retained
}
