//! DevTools' retained-size rules: page-owned flags, essential edges, shallow-size
//! reattribution (`calculateShallowSizes`) and the Lengauer–Tarjan dominator tree with retained
//! sizes (`calculateDominatorsAndRetainedSizes`), ported from devtools-frontend's
//! `HeapSnapshot.ts` so that totals match DevTools on the same file.

use super::model::{edge_kind, kind, Snapshot};

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

/// Per-string cache of [`weakmap_table_id`] (computed lazily for internal edge names).
pub struct WeakMapNames {
    state: Vec<u8>,
    ids: std::collections::HashMap<u32, u32>,
}

impl WeakMapNames {
    /// An empty cache for a snapshot's strings.
    pub fn new(s: &Snapshot) -> Self {
        Self {
            state: vec![0; s.strings.len()],
            ids: Default::default(),
        }
    }

    /// The WeakMap table id named by string `i`, if it is an ephemeron edge name.
    pub fn table_id(&mut self, s: &Snapshot, i: u32) -> Option<u32> {
        let st = self.state.get(i as usize).copied()?;
        match st {
            1 => None,
            2 => self.ids.get(&i).copied(),
            _ => {
                let r = weakmap_table_id(s.strings.get(i));
                self.state[i as usize] = if r.is_some() { 2 } else { 1 };
                if let Some(id) = r {
                    self.ids.insert(i, id);
                }
                r
            }
        }
    }
}

/// DevTools' `computeIsEssentialEdge` for every edge, as a bit per edge.
pub fn essential_edges(s: &Snapshot, owned: &[bool]) -> Vec<u64> {
    let m = s.edge_count();
    let mut bits = vec![0u64; m.div_ceil(64)];
    let mut wm = WeakMapNames::new(s);
    for v in 0..s.node_count() as u32 {
        let vid = s.node_id[v as usize];
        for e in s.edges(v) {
            let k = s.edge_kind[e];
            if k == edge_kind::WEAK {
                continue;
            }
            if k == edge_kind::INTERNAL && wm.table_id(s, s.edge_name[e]) == Some(vid) {
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
            bits[e >> 6] |= 1 << (e & 63);
        }
    }
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
            || (k == kind::NATIVE && s.name(i as u32) == "system / ExternalStringData")
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

/// The dominator tree and retained sizes.
pub struct Dominators {
    /// Immediate dominator per node ordinal (the root dominates itself).
    pub idom: Vec<u32>,
    /// Retained size per node, bytes.
    pub retained: Vec<f64>,
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
fn essential_predecessors(s: &Snapshot, ess: &[u64]) -> (Vec<u32>, Vec<u32>) {
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
    (first, src)
}

/// Lengauer–Tarjan over the essential edges, exactly as DevTools does it (iterative DFS from
/// the root, then from weak-only orphans, then leftover cliques attached to the root).
/// Vertices are node ordinal + 1 (0 means none).
pub fn dominators(s: &Snapshot, ess: &[u64], sizes: &[u32]) -> Dominators {
    let node_count = s.node_count();
    let len = node_count + 1;
    let mut lt = vec![Lt::default(); len];
    let mut vertex = vec![0u32; len];
    // DFS cursor per vertex; reused as the bucket list heads afterwards.
    let mut next_edge = vec![0u32; len];
    let fe = &s.first_edge;
    let mut n: u32 = 0;

    let dfs = |root: u32, lt: &mut [Lt], vertex: &mut [u32], next_edge: &mut [u32], n: &mut u32| {
        next_edge[(root - 1) as usize] = fe[(root - 1) as usize];
        let mut v = root;
        while v != 0 {
            if lt[v as usize].semi == 0 {
                *n += 1;
                lt[v as usize].semi = *n;
                vertex[*n as usize] = v;
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
    };

    let r = s.root + 1;
    // The reverse edges are first needed after the DFS from the root: build them meanwhile.
    let ((pred_first, pred), ()) = rayon::join(
        || essential_predecessors(s, ess),
        || dfs(r, &mut lt, &mut vertex, &mut next_edge, &mut n),
    );
    let preds =
        |o: u32| &pred[pred_first[o as usize] as usize..pred_first[o as usize + 1] as usize];
    let reached = n as usize;
    if (n as usize) < node_count {
        for v in 1..=node_count as u32 {
            let vo = v - 1;
            if lt[v as usize].semi == 0 && preds(vo).is_empty() {
                lt[v as usize].parent = r;
                dfs(v, &mut lt, &mut vertex, &mut next_edge, &mut n);
            }
        }
    }
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
        for &vo in preds(wo) {
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
    drop(bucket_head);
    drop(bucket_next);
    drop(pred);
    drop(pred_first);
    dom[0] = r;
    dom[r as usize] = r;
    for i in 2..=n {
        let w = vertex[i as usize] as usize;
        if dom[w] != vertex[lt[w].semi as usize] {
            dom[w] = dom[dom[w] as usize];
        }
    }
    drop(lt);
    // `dom` becomes `idom` in place: idom[o] = dom[o + 1] - 1.
    for o in 0..node_count {
        dom[o] = dom[o + 1].saturating_sub(1);
    }
    dom.truncate(node_count);
    let idom = dom;
    let mut retained: Vec<f64> = sizes.iter().map(|&x| x as f64).collect();
    let mut i = n;
    while i > 1 {
        let o = (vertex[i as usize] - 1) as usize;
        let d = idom[o] as usize;
        retained[d] += retained[o];
        i -= 1;
    }
    Dominators {
        idom,
        retained,
        unreachable: node_count - reached,
    }
}
