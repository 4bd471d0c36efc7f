//! `report`: the query says it all, with optional conditions the query language lacks
//! (ancestors up to the function boundary, function names to leave alone, the Go version).

use serde::Deserialize;

use super::{go_at_least, Hit, Match, Src};
use crate::context::classify;
use crate::syntax::{self, norm};

/// Parameters of `report`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Node kinds that must all enclose the match, inside its function (e.g. `for_statement`).
    #[serde(default)]
    pub inside: Vec<String>,
    /// Functions (by name) where the match is fine (e.g. `main`, `init`).
    #[serde(default)]
    pub not_in_functions: Vec<String>,
    /// Parent kinds under which the match is fine (e.g. `range_clause`).
    #[serde(default)]
    pub not_under: Vec<String>,
    /// The Go release from which the runtime no longer leaks this (e.g. `"1.23"`).
    #[serde(default)]
    pub go_fixed_in: Option<String>,
    /// A note unless the code runs per request or per mount.
    #[serde(default)]
    pub weak_unless_repeats: bool,
    /// Also report at module level (outside any function).
    #[serde(default)]
    pub top_level: bool,
    /// Fine when the body of the enclosing `inside` node ends with an unconditional `break` or
    /// `return` after the match: the loop runs it at most once.
    #[serde(default)]
    pub unless_loop_exits: bool,
}

/// Run `report` on one match.
pub fn run<'t>(p: &Params, src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    if let Some(v) = &p.go_fixed_in {
        if go_at_least(src, v) {
            return Vec::new();
        }
    }
    let fam = src.family();
    let node = m.node;
    let func = syntax::enclosing_function(fam, node);
    if func.is_none() && !p.top_level {
        return Vec::new();
    }
    for kind in &p.inside {
        let mut cur = node.parent();
        let mut found = None;
        while let Some(n) = cur {
            if syntax::is_function(fam, n.kind()) {
                break;
            }
            if n.kind() == kind {
                found = Some(n);
                break;
            }
            cur = n.parent();
        }
        let Some(outer) = found else {
            return Vec::new();
        };
        if p.unless_loop_exits && exits_after(outer, node) {
            return Vec::new();
        }
    }
    if !p.not_under.is_empty()
        && node
            .parent()
            .is_some_and(|par| p.not_under.iter().any(|k| k == par.kind()))
    {
        return Vec::new();
    }
    if let Some(f) = func {
        let name = syntax::function_name(f, src.text).unwrap_or_default();
        if p.not_in_functions.contains(&name) {
            return Vec::new();
        }
    }
    let site = classify(fam, node, src.text);
    let mut hit = Hit::at(node)
        .scope(func)
        .weak_if(p.weak_unless_repeats && !site.repeats());
    for (name, n) in &m.captures {
        if *name != "match" {
            hit = hit.var(name, norm(*n, src.text));
        }
    }
    if let Some(f) = func {
        hit = hit.var(
            "function",
            syntax::function_name(f, src.text).unwrap_or_else(|| "<anonymous>".into()),
        );
    }
    vec![hit]
}

/// Does the body of `looped` hold, as one of its own statements after `node`, a `break` or
/// `return` (so the iteration that reaches `node` is the last)?
fn exits_after(looped: tree_sitter::Node<'_>, node: tree_sitter::Node<'_>) -> bool {
    let Some(body) = looped.child_by_field_name("body") else {
        return false;
    };
    let mut statements = Vec::new();
    let mut cursor = body.walk();
    for child in body.named_children(&mut cursor) {
        if child.kind() == "statement_list" {
            let mut inner = child.walk();
            statements.extend(child.named_children(&mut inner));
        } else {
            statements.push(child);
        }
    }
    statements.iter().any(|s| {
        matches!(s.kind(), "break_statement" | "return_statement")
            && s.start_byte() > node.end_byte()
    })
}
