//! Closures whose shared context keeps objects alive: per snapshot, the objects captured in
//! function contexts, grouped by the function that names the context and the variable; a
//! group that gains objects across the snapshots is a suspect. Groups are keyed by names
//! only, so they match across inspector sessions, restarts and replicas as well as within
//! one session.

use std::collections::HashMap;

use serde_json::json;

use super::analysis::Analyzed;
use super::diff::Indexed;
use super::model::{edge_kind, kind, Snapshot};
use super::paths::{context_closures, is_context, render_path, script_of_closure, ContextOwners};
use super::suspects::MIN_SIZE_GROWTH;
use crate::report::Suspect;
use leakscope_core::units::format_bytes;

/// A captured object retaining at least this many bytes counts (a 4 KiB page or a 2 KiB
/// session string kept by a timer or listener closure, not a short id).
pub const LARGE_OBJECT_BYTES: f64 = 1024.0;

/// The objects one (function, variable) pair keeps alive in one snapshot.
#[derive(Debug, Clone, Copy)]
pub struct ClosureGroup {
    /// Distinct captured objects.
    pub count: u64,
    /// Their retained bytes.
    pub bytes: f64,
    /// The largest one (node ordinal).
    pub example: u32,
    /// The closure naming the context that holds it (node ordinal).
    pub closure: u32,
}

/// Closure groups: (function name, variable) → what they keep alive.
pub type ClosureGroups = HashMap<(String, String), ClosureGroup>;

/// What a closure's context holds, known before retained sizes: every context variable
/// (`(context, edge, target)`, in node and edge order) that could be a large captured object,
/// and which closure names each context.
pub struct ClosureCandidates {
    refs: Vec<(u32, u32, u32)>,
    /// Context → the closure that names it.
    pub owners: ContextOwners,
}

/// Find [`ClosureCandidates`]; needs only the parsed snapshot, so it runs beside the
/// dominator tree.
pub fn closure_candidates(s: &Snapshot) -> ClosureCandidates {
    let mut refs = Vec::new();
    for c in 0..s.node_count() as u32 {
        if !is_context(s, c) {
            continue;
        }
        for e in s.edges(c) {
            if s.edge_kind[e] != edge_kind::CONTEXT {
                continue;
            }
            let t = s.edge_to[e];
            let tk = s.node_kind[t as usize];
            if tk == kind::CLOSURE
                || is_context(s, t)
                || !matches!(
                    tk,
                    kind::OBJECT
                        | kind::ARRAY
                        | kind::STRING
                        | kind::CONS_STRING
                        | kind::SLICED_STRING
                        | kind::NATIVE
                )
            {
                continue;
            }
            refs.push((c, e as u32, t));
        }
    }
    // Paths and holder keys name contexts by their closures too.
    let owners = context_closures(s);
    ClosureCandidates { refs, owners }
}

/// Closures (grouped by function name and captured variable) whose context holds a large
/// object, in one snapshot: key → (count of distinct captured objects, their total retained
/// bytes, example node). One object shared by many closures (e.g. `process`) counts once.
pub fn closure_groups(a: &Analyzed, cands: &ClosureCandidates) -> ClosureGroups {
    let s = &a.snap;
    let mut g: ClosureGroups = HashMap::new();
    let mut seen: std::collections::HashSet<u32> = Default::default();
    for &(c, e, t) in &cands.refs {
        let e = e as usize;
        if a.retained[t as usize] < LARGE_OBJECT_BYTES {
            continue;
        }
        let Some(&f) = cands.owners.get(&c) else {
            continue;
        };
        if !seen.insert(t) {
            continue;
        }
        let fname = match s.name(f) {
            "" => "(anonymous)".to_string(),
            x => x.to_string(),
        };
        let entry = g
            .entry((fname, s.edge_str(e).to_string()))
            .or_insert(ClosureGroup {
                count: 0,
                bytes: 0.0,
                example: t,
                closure: f,
            });
        entry.count += 1;
        entry.bytes += a.retained[t as usize];
        if a.retained[t as usize] > a.retained[entry.example as usize] {
            entry.example = t;
            entry.closure = f;
        }
    }
    g
}

/// Groups that gained captured objects from the first snapshot to the last.
pub fn closures_with_large_objects(snaps: &[Indexed]) -> Vec<Suspect> {
    let first = &snaps[0].closures;
    let last = &snaps[snaps.len() - 1];
    let last_a = &last.a;
    let mut out = Vec::new();
    let mut groups: Vec<_> = last.closures.iter().collect();
    groups.sort_by(|x, y| x.0.cmp(y.0));
    for ((fname, var), g) in groups {
        let (count, bytes, example) = (g.count, g.bytes, g.example);
        let (c0, b0) = first
            .get(&(fname.clone(), var.clone()))
            .map(|x| (x.count, x.bytes))
            .unwrap_or((0, 0.0));
        if count < 2 || count <= c0 || bytes - b0 < MIN_SIZE_GROWTH {
            continue;
        }
        let class = last_a.class_names[last_a.class_of[example as usize] as usize].clone();
        let each = bytes / count as f64;
        let script = script_of_closure(&last_a.snap, g.closure)
            .map(|f| f.rsplit('/').next().unwrap_or(&f).to_string());
        let defined = script
            .as_deref()
            .map(|f| format!("; defined in {f}"))
            .unwrap_or_default();
        let mut sus = Suspect {
            pattern: "closure-retains-large-object".into(),
            name: var.clone(),
            retainer_path: render_path(last_a, &last.owners, example),
            count_delta: (count - c0) as i64,
            size_delta: (bytes - b0).round() as i64,
            advice: format!(
                "{count} `{fname}` closures (was {c0}{defined}) keep `{var}` ({class}, {} each) alive through their shared context. Capture only what is needed: copy the needed fields into locals before creating the closure, or set `{var} = null` when done; and release the closures themselves (clear the timer, remove the listener) when they are no longer needed.",
                format_bytes(each)
            ),
            extra: Default::default(),
        };
        sus.extra.insert("class".into(), json!(class));
        sus.extra.insert("closure".into(), json!(fname));
        if let Some(f) = script {
            sus.extra.insert("script".into(), json!(f));
        }
        sus.extra.insert("closures".into(), json!([c0, count]));
        out.push(sus);
    }
    out
}
