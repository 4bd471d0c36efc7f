//! Retainer paths as people read them: `(Stack roots) → module app.js → cache (Map)`, and the
//! name the code uses for a holder (the last named property or variable edge into it).

use super::analysis::Analyzed;
use super::distances::NO_EDGE;
use super::model::{edge_kind, kind, known, Snapshot};

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

/// A closure whose `context` edge points at context `ctx`, if any. One pass over the
/// nodes: for the few contexts a report describes; [`context_closures`] serves many.
pub fn closure_of_context(s: &Snapshot, ctx: u32) -> Option<u32> {
    (0..s.node_count() as u32).find(|&f| context_of_closure(s, f) == Some(ctx))
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

/// Context → the first closure (by node order) whose `context` edge points at it.
pub fn context_closures(s: &Snapshot) -> std::collections::HashMap<u32, u32> {
    let mut m = std::collections::HashMap::new();
    for f in 0..s.node_count() as u32 {
        if let Some(c) = context_of_closure(s, f) {
            m.entry(c).or_insert(f);
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

/// Describe a context: `module app.js` for a module's top-level context, else
/// `context of fn()`.
pub fn describe_context(s: &Snapshot, ctx: u32) -> String {
    let top_level = s
        .edges(ctx)
        .any(|e| s.edge_str(e) == "previous" && s.name(s.edge_to[e]) == "system / NativeContext");
    let f = closure_of_context(s, ctx);
    if top_level {
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
pub fn describe_node(a: &Analyzed, n: u32) -> String {
    let s = &a.snap;
    if is_context(s, n) {
        return describe_context(s, n);
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

/// The retainer path of `node`, root first, as display strings. Internal plumbing hops
/// (a closure's `context` edge, backing stores) are folded into their neighbours.
pub fn render_path(a: &Analyzed, node: u32) -> Vec<String> {
    let s = &a.snap;
    let edges = path_edges(a, node);
    let mut out: Vec<String> = Vec::new();
    let start = edges.first().map(|&e| s.edge_from(e)).unwrap_or(node);
    if start != s.root {
        out.push(describe_node(a, start));
    }
    for (i, &e) in edges.iter().enumerate() {
        let t = s.edge_to[e];
        let from = s.edge_from(e);
        let last = i + 1 == edges.len();
        let k = s.edge_kind[e];
        if from == s.root && s.node_kind[t as usize] == kind::SYNTHETIC {
            out.push(s.name(t).to_string());
            continue;
        }
        if s.node_kind[t as usize] == kind::SYNTHETIC {
            out.push(s.name(t).to_string());
            continue;
        }
        let desc = describe_node(a, t);
        let hop = match k {
            edge_kind::CONTEXT | edge_kind::PROPERTY | edge_kind::SHORTCUT => {
                format!("{} ({desc})", s.edge_str(e))
            }
            edge_kind::ELEMENT => format!("{} {desc}", s.edge_label(e)),
            _ => {
                // Internal/hidden edges: show the node only when it is meaningful.
                if is_context(s, t) || last || s.node_kind[t as usize] == kind::CLOSURE {
                    desc
                } else if matches!(s.node_kind[t as usize], kind::ARRAY | kind::HIDDEN) {
                    continue;
                } else {
                    desc
                }
            }
        };
        out.push(hop);
    }
    if out.is_empty() {
        out.push(describe_node(a, node));
    }
    out
}

/// The name the code uses for `node`: the last property or context-variable edge on its
/// retainer path (e.g. `cache`), or the class name when there is none.
pub fn holder_name(a: &Analyzed, node: u32) -> String {
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
    describe_node(a, node)
}
