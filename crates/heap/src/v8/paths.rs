//! Retainer paths as people read them: `(Stack roots) → module app.js → cache (Map)`, and the
//! name the code uses for a holder (the last named property or variable edge into it).

use std::collections::HashMap;

use super::analysis::Analyzed;
use super::distances::NO_EDGE;
use super::model::{edge_kind, kind, known, Snapshot};

/// Function context → the closure that names it ([`context_closures`]).
pub type ContextOwners = HashMap<u32, u32>;

/// The BFS edges from a root to `node`, root first.
pub fn path_edges(a: &Analyzed, node: u32) -> Vec<usize> {
    let mut out = Vec::new();
    let mut v = node;
    let limit = a.snap.node_count();
    while a.dist.parent_edge[v as usize] != NO_EDGE && out.len() < limit {
        let e = a.dist.parent_edge[v as usize] as usize;
        out.push(e);
        v = a.snap.edge_from(e);
    }
    out.reverse();
    out
}

/// True for V8 function contexts (`system / Context`).
pub fn is_context(s: &Snapshot, n: u32) -> bool {
    matches!(s.node_kind[n as usize], kind::OBJECT | kind::HIDDEN)
        && s.known_name(n) == known::SYSTEM_CONTEXT
}

/// The context a closure's `context` edge points at (None for other nodes).
fn context_of_closure(s: &Snapshot, f: u32) -> Option<u32> {
    if s.node_kind[f as usize] != kind::CLOSURE {
        return None;
    }
    s.edges(f)
        .find(|&e| s.edge_str(e) == "context")
        .map(|e| s.edge_to[e])
}

/// Which of two closures sharing a context names it: a named one over an anonymous one,
/// then the smaller name, then the earlier node. Node order differs from one process to
/// the next; names do not, so the same context reads the same everywhere.
fn better_owner(s: &Snapshot, f: u32, than: u32) -> bool {
    let (a, b) = (s.name(f), s.name(than));
    match (a.is_empty(), b.is_empty()) {
        (false, true) => true,
        (true, false) => false,
        _ => (a, f) < (b, than),
    }
}

/// Context → the closure that names it: of the closures whose `context` edge points at it,
/// the named one with the smallest name (anonymous ones only when none is named).
pub fn context_closures(s: &Snapshot) -> ContextOwners {
    let mut m: ContextOwners = HashMap::new();
    for f in 0..s.node_count() as u32 {
        if let Some(c) = context_of_closure(s, f) {
            m.entry(c)
                .and_modify(|o| {
                    if better_owner(s, f, *o) {
                        *o = f;
                    }
                })
                .or_insert(f);
        }
    }
    m
}

/// The script file a closure was defined in (closure → shared → script), if known.
pub fn script_of_closure(s: &Snapshot, f: u32) -> Option<String> {
    let shared = s
        .edges(f)
        .find(|&e| s.edge_str(e) == "shared")
        .map(|e| s.edge_to[e])?;
    let script = s
        .edges(shared)
        .find(|&e| matches!(s.edge_str(e), "script_or_debug_info" | "script"))
        .map(|e| s.edge_to[e])?;
    let name = s.name(script);
    (!name.is_empty() && !name.starts_with("system /")).then(|| name.to_string())
}

/// True for a module's (or script's) top-level context: its `previous` is the realm's
/// native context.
pub fn is_top_level_context(s: &Snapshot, ctx: u32) -> bool {
    is_context(s, ctx)
        && s.edges(ctx).any(|e| {
            s.edge_str(e) == "previous" && s.known_name(s.edge_to[e]) == known::NATIVE_CONTEXT
        })
}

/// Describe a context: `module app.js` for a module's top-level context, else
/// `closure context of fn()`.
pub fn describe_context(s: &Snapshot, owners: &ContextOwners, ctx: u32) -> String {
    let f = owners.get(&ctx).copied();
    if is_top_level_context(s, ctx) {
        if let Some(file) = f.and_then(|f| script_of_closure(s, f)) {
            let short = file.rsplit('/').next().unwrap_or(&file).to_string();
            return format!("module {short}");
        }
    }
    match f {
        Some(f) if !s.name(f).is_empty() => format!("closure context of {}()", s.name(f)),
        _ => "closure context".to_string(),
    }
}

/// How a node reads in a path: `Map`, `onTimeout()`, `module app.js`, `"some string"`.
pub fn describe_node(a: &Analyzed, owners: &ContextOwners, n: u32) -> String {
    let s = &a.snap;
    if is_context(s, n) {
        return describe_context(s, owners, n);
    }
    match s.node_kind[n as usize] {
        kind::CLOSURE => {
            let name = s.name(n);
            if name.is_empty() {
                "(anonymous)()".into()
            } else {
                format!("{name}()")
            }
        }
        kind::STRING | kind::CONS_STRING | kind::SLICED_STRING => "(string)".into(),
        _ => {
            // The global object is named `global / ` (or `Window / url` in Chrome).
            let c = &a.class_names[a.class_of[n as usize] as usize];
            c.trim_end_matches([' ', '/']).to_string()
        }
    }
}

/// How edge `e` (into `t`) reads in a path, or None when the hop is plumbing to fold away
/// (a backing store on the way to its owner's entries). `numbered` writes element indexes
/// (`[16] onTimeout()`); without it they read `[]`, the same for every element. `last`:
/// `t` is the node the path leads to (always shown).
pub fn hop(
    a: &Analyzed,
    owners: &ContextOwners,
    e: usize,
    last: bool,
    numbered: bool,
) -> Option<String> {
    let s = &a.snap;
    let t = s.edge_to[e];
    if s.node_kind[t as usize] == kind::SYNTHETIC {
        return Some(s.name(t).to_string());
    }
    let desc = describe_node(a, owners, t);
    Some(match s.edge_kind[e] {
        // `(string)` and `(anonymous)()` already carry their parentheses.
        edge_kind::CONTEXT | edge_kind::PROPERTY | edge_kind::SHORTCUT
            if desc.starts_with('(') && desc.ends_with(')') && !desc.ends_with("()") =>
        {
            format!("{} {desc}", s.edge_str(e))
        }
        edge_kind::CONTEXT | edge_kind::PROPERTY | edge_kind::SHORTCUT => {
            format!("{} ({desc})", s.edge_str(e))
        }
        edge_kind::ELEMENT if numbered => format!("{} {desc}", s.edge_label(e)),
        edge_kind::ELEMENT => format!("[] {desc}"),
        _ => {
            // Internal/hidden edges: show the node only when it is meaningful.
            if is_context(s, t) || last || s.node_kind[t as usize] == kind::CLOSURE {
                desc
            } else if matches!(s.node_kind[t as usize], kind::ARRAY | kind::HIDDEN) {
                return None;
            } else {
                desc
            }
        }
    })
}

/// The retainer path of `node`, root first, as display strings. Internal plumbing hops
/// (a closure's `context` edge, backing stores) are folded into their neighbours, and a run
/// of the same hop (a linked list: `_idlePrev (Timeout)` a thousand times) reads as one hop
/// with a count: `_idlePrev (Timeout) ×1000`.
pub fn render_path(a: &Analyzed, owners: &ContextOwners, node: u32) -> Vec<String> {
    let s = &a.snap;
    let edges = path_edges(a, node);
    let mut hops: Vec<String> = Vec::new();
    let start = edges.first().map(|&e| s.edge_from(e)).unwrap_or(node);
    if start != s.root {
        hops.push(describe_node(a, owners, start));
    }
    for (i, &e) in edges.iter().enumerate() {
        hops.extend(hop(a, owners, e, i + 1 == edges.len(), true));
    }
    if hops.is_empty() {
        hops.push(describe_node(a, owners, node));
    }
    let mut out: Vec<String> = Vec::with_capacity(hops.len());
    let mut i = 0;
    while i < hops.len() {
        let run = hops[i..].iter().take_while(|h| **h == hops[i]).count();
        if run > 1 {
            out.push(format!("{} ×{run}", hops[i]));
        } else {
            out.push(hops[i].clone());
        }
        i += run;
    }
    out
}

/// The name the code uses for `node`: the last property or context-variable edge on its
/// retainer path (e.g. `cache`), or the class name when there is none.
pub fn holder_name(a: &Analyzed, owners: &ContextOwners, node: u32) -> String {
    let s = &a.snap;
    for &e in path_edges(a, node).iter().rev() {
        let k = s.edge_kind[e];
        if matches!(k, edge_kind::PROPERTY | edge_kind::CONTEXT) {
            let name = s.edge_str(e);
            if !name.is_empty() && name != "__proto__" {
                return name.to_string();
            }
        }
    }
    describe_node(a, owners, node)
}

/// The top of the dominator tree as a picture: from the root, each node's largest dominated
/// nodes (at most `max_children`, each retaining at least `min_fraction` of the root's
/// retained size), down to `max_depth` levels. Nodes read as on a retainer path.
pub fn dominator_picture(
    a: &Analyzed,
    owners: &ContextOwners,
    max_depth: usize,
    max_children: usize,
    min_fraction: f64,
) -> crate::picture::TreeNode {
    use crate::picture::TreeNode;
    let s = &a.snap;
    let n = s.node_count();
    const NONE: u32 = u32::MAX;
    let mut first_child = vec![NONE; n];
    let mut next_sibling = vec![NONE; n];
    if a.idom.len() == n {
        for (v, &p) in a.idom.iter().enumerate() {
            let p = p as usize;
            if v as u32 != s.root && p < n {
                next_sibling[v] = first_child[p];
                first_child[p] = v as u32;
            }
        }
    }
    let total = a.retained.get(s.root as usize).copied().unwrap_or(0.0);
    let min = total * min_fraction;
    let name = |v: u32| -> String {
        let pe = a
            .dist
            .parent_edge
            .get(v as usize)
            .copied()
            .unwrap_or(NO_EDGE);
        if pe != NO_EDGE {
            if let Some(h) = hop(a, owners, pe as usize, true, true) {
                return h;
            }
        }
        if s.node_kind[v as usize] == kind::SYNTHETIC {
            return s.name(v).to_string();
        }
        describe_node(a, owners, v)
    };
    fn build(
        v: u32,
        depth: usize,
        ctx: &dyn Fn(u32) -> (String, f64, Vec<u32>),
        max_depth: usize,
    ) -> TreeNode {
        let (name, value, kids) = ctx(v);
        TreeNode {
            name,
            value,
            children: if depth >= max_depth {
                Vec::new()
            } else {
                kids.into_iter()
                    .map(|k| build(k, depth + 1, ctx, max_depth))
                    .collect()
            },
        }
    }
    let ctx = |v: u32| -> (String, f64, Vec<u32>) {
        let mut kids = Vec::new();
        let mut c = first_child.get(v as usize).copied().unwrap_or(NONE);
        while c != NONE {
            if a.retained[c as usize] >= min {
                kids.push(c);
            }
            c = next_sibling[c as usize];
        }
        kids.sort_by(|x, y| a.retained[*y as usize].total_cmp(&a.retained[*x as usize]));
        kids.truncate(max_children);
        let label = if v == s.root {
            "(root)".to_string()
        } else {
            name(v)
        };
        (label, a.retained[v as usize], kids)
    };
    build(s.root, 0, &ctx, max_depth)
}
