//! `unbounded-collection`: a module-level map, set, list or dict that functions write to
//! with keys that are not constants, while nothing anywhere in the file deletes from it,
//! clears it, resets it or checks its size. A collection handed to other code (passed,
//! returned, exported) may be bounded there, so it is left alone.

use std::collections::HashMap;

use serde::Deserialize;
use tree_sitter::Node;

use super::{Hit, Match, Src};
use crate::context::{classify, CallSite};
use crate::lang::Family;
use crate::syntax::{self, norm, text};

/// Parameters of `unbounded-collection`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Methods that add (`set`, `add`, `push`, `append`, `Store`).
    pub writers: Vec<String>,
    /// Methods that remove (`delete`, `clear`, `pop`, `Delete`).
    pub shrinkers: Vec<String>,
    /// Properties that tell the size (`size`, `length`); compared, they bound the collection.
    #[serde(default)]
    pub size: Vec<String>,
    /// Calls that only read a collection passed to them (`len`, `list`, `JSON.stringify`).
    #[serde(default)]
    pub readers: Vec<String>,
    /// Words in the initializer that make it bounded (`maxlen`).
    #[serde(default)]
    pub bounded_if: Vec<String>,
}

#[derive(Default)]
struct Uses<'t> {
    writes: Vec<Node<'t>>,
    shrinks: usize,
    escapes: bool,
}

/// Run `unbounded-collection` on one match (`@name` the collection, `@match` its declaration).
pub fn run<'t>(p: &Params, src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let Some(name_node) = m.get("name") else {
        return Vec::new();
    };
    if let Some(init) = m.get("init") {
        let t = text(init, src.text);
        if p.bounded_if.iter().any(|w| t.contains(w.as_str())) {
            return Vec::new();
        }
    }
    let name = text(name_node, src.text).into_owned();
    let fam = src.family();
    let mut uses = Uses::default();
    let mut shadow_cache: HashMap<usize, bool> = HashMap::new();
    syntax::walk(src.root, |n| {
        if uses.escapes || !syntax::is_identifier(n.kind()) || syntax::contains(m.node, n) {
            return;
        }
        if text(n, src.text) != name {
            return;
        }
        let func = syntax::enclosing_function(fam, n);
        if let Some(f) = func {
            let shadowed = *shadow_cache
                .entry(f.id())
                .or_insert_with(|| shadows(fam, f, &name, src.text));
            if shadowed {
                return;
            }
        }
        classify_use(p, src, n, func, &mut uses);
    });
    if uses.escapes || uses.shrinks > 0 || uses.writes.is_empty() {
        return Vec::new();
    }
    let sites: Vec<CallSite> = uses
        .writes
        .iter()
        .map(|w| classify(fam, *w, src.text))
        .collect();
    let pick = sites.iter().position(|s| s.repeats()).unwrap_or(0);
    let write = uses.writes[pick];
    let func = syntax::enclosing_function(fam, write);
    vec![Hit::at(write)
        .var("name", name.clone())
        .var("decl_line", syntax::line(m.node).to_string())
        .var(
            "function",
            func.and_then(|f| syntax::function_name(f, src.text))
                .unwrap_or_else(|| "<anonymous>".into()),
        )
        .subject(name)
        .scope(func)
        .related(syntax::line(m.node))
        .weak_if(!sites[pick].repeats())]
}

/// True when function `f` has its own binding of `name` (a parameter or a local).
fn shadows(fam: Family, f: Node<'_>, name: &str, src: &[u8]) -> bool {
    if syntax::param_names(f, src).iter().any(|p| p == name) {
        return true;
    }
    let Some(body) = f.child_by_field_name("body") else {
        return false;
    };
    let mut local = false;
    let mut global = false;
    syntax::walk(body, |n| match (fam, n.kind()) {
        (Family::Js, "variable_declarator")
            if n.child_by_field_name("name")
                .is_some_and(|x| text(x, src) == name) =>
        {
            local = true;
        }
        (Family::Py, "assignment")
            if n.child_by_field_name("left")
                .is_some_and(|x| x.kind() == "identifier" && text(x, src) == name) =>
        {
            local = true;
        }
        (Family::Py, "global_statement") | (Family::Py, "nonlocal_statement")
            if text(n, src)
                .split(|c: char| c == ',' || c.is_whitespace())
                .any(|w| w == name) =>
        {
            global = true;
        }
        (Family::Go, "short_var_declaration")
            if n.child_by_field_name("left").is_some_and(|l| {
                let mut c = l.walk();
                let found = l.named_children(&mut c).any(|x| text(x, src) == name);
                found
            }) =>
        {
            local = true;
        }
        (Family::Go, "var_spec")
            if n.child_by_field_name("name")
                .is_some_and(|x| text(x, src) == name) =>
        {
            local = true;
        }
        _ => {}
    });
    local && !global
}

fn is_comparison(n: Node<'_>, src: &[u8]) -> bool {
    match n.kind() {
        "comparison_operator" => true,
        "binary_expression" => n.child_by_field_name("operator").is_some_and(|o| {
            matches!(
                &*text(o, src),
                "<" | "<=" | ">" | ">=" | "==" | "===" | "!=" | "!=="
            )
        }),
        _ => false,
    }
}

/// Within a few levels, is `n` part of a size comparison (`len(x) > N`, `x.size >= max`)?
fn in_comparison(n: Node<'_>, src: &[u8]) -> bool {
    let mut cur = n.parent();
    for _ in 0..4 {
        match cur {
            Some(a) if is_comparison(a, src) => return true,
            Some(a) => cur = a.parent(),
            None => return false,
        }
    }
    false
}

fn classify_use<'t>(
    p: &Params,
    src: &Src<'t>,
    n: Node<'t>,
    func: Option<Node<'t>>,
    uses: &mut Uses<'t>,
) {
    let fam = src.family();
    let t = src.text;
    let Some(parent) = n.parent() else { return };
    let pk = parent.kind();
    // x.method(...) / x.size
    if syntax::is_member(pk) && syntax::member_object(parent) == Some(n) {
        if let Some(prop) = syntax::member_property(parent) {
            let prop = text(prop, t);
            if p.shrinkers.iter().any(|s| *s == prop) {
                uses.shrinks += 1;
                return;
            }
            if p.size.iter().any(|s| *s == prop) {
                let assigned = parent
                    .parent()
                    .is_some_and(|g| g.child_by_field_name("left") == Some(parent));
                if assigned || in_comparison(parent, t) {
                    uses.shrinks += 1;
                }
                return;
            }
            if p.writers.iter().any(|s| *s == prop) {
                let call = parent
                    .parent()
                    .filter(|c| c.kind() == syntax::call_kind(fam));
                if let (Some(call), Some(_)) = (call, func) {
                    let first = syntax::args(call).into_iter().next();
                    if first.is_some_and(|a| !syntax::is_literal(a)) {
                        uses.writes.push(call);
                    }
                }
                return;
            }
            return;
        }
        // x[k] ...
        let index = parent
            .child_by_field_name("index")
            .or_else(|| parent.child_by_field_name("subscript"));
        let Some(g) = parent.parent() else { return };
        let is_slice = index.is_some_and(|i| i.kind() == "slice");
        // del x[k] / delete x[k]
        if g.kind() == "delete_statement"
            || (g.kind() == "unary_expression" && text(g, t).starts_with("delete"))
            || (g.kind() == "expression_list"
                && g.parent().is_some_and(|d| d.kind() == "delete_statement"))
        {
            uses.shrinks += 1;
            return;
        }
        let left_of = |a: Node<'_>| {
            a.child_by_field_name("left")
                .is_some_and(|l| l == parent || syntax::contains(l, parent))
        };
        let assign = if matches!(
            g.kind(),
            "assignment"
                | "assignment_expression"
                | "augmented_assignment"
                | "augmented_assignment_expression"
        ) {
            Some(g)
        } else if g.kind() == "expression_list" {
            g.parent().filter(|a| a.kind() == "assignment_statement")
        } else {
            None
        };
        if let Some(a) = assign {
            if left_of(a) {
                if is_slice {
                    uses.shrinks += 1;
                } else if func.is_some() && index.is_some_and(|i| !syntax::is_literal(i)) {
                    uses.writes.push(a);
                }
            }
            return;
        }
        // x[k].append(v): a write keyed by k (defaultdict(list))
        if syntax::is_member(g.kind()) && syntax::member_object(g) == Some(parent) {
            if let Some(prop) = syntax::member_property(g) {
                let prop = text(prop, t);
                if p.writers.iter().any(|s| *s == prop)
                    && func.is_some()
                    && index.is_some_and(|i| !syntax::is_literal(i))
                {
                    if let Some(call) = g.parent().filter(|c| c.kind() == syntax::call_kind(fam)) {
                        uses.writes.push(call);
                    }
                }
            }
        }
        return;
    }
    // Passed to a call: builtins that grow, shrink or measure it; readers; else handed on.
    if matches!(pk, "arguments" | "argument_list") {
        let Some(call) = parent.parent() else { return };
        let callee = syntax::callee(call).map(|c| norm(c, t)).unwrap_or_default();
        match callee.as_str() {
            "delete" | "clear" => uses.shrinks += 1,
            "len" => {
                if in_comparison(call, t) {
                    uses.shrinks += 1;
                }
            }
            "append" => {
                // x = append(x, v)
                let stmt = call.parent().and_then(|l| l.parent());
                if let Some(s) = stmt.filter(|s| s.kind() == "assignment_statement") {
                    let left = s.child_by_field_name("left").map(|l| norm(l, t));
                    if left.as_deref() == Some(&*text(n, t)) && func.is_some() {
                        uses.writes.push(s);
                    }
                }
            }
            c if p.readers.iter().any(|r| r == c) => {}
            _ => uses.escapes = true,
        }
        return;
    }
    // x = ... inside a function: a reset (Go: unless it is x = append(x, ...)).
    if matches!(
        pk,
        "assignment_expression" | "assignment" | "expression_list"
    ) && func.is_some()
    {
        let assign = if pk == "expression_list" {
            parent.parent()
        } else {
            Some(parent)
        };
        if let Some(a) = assign {
            let is_left = a
                .child_by_field_name("left")
                .is_some_and(|l| l == n || (pk == "expression_list" && l == parent));
            if is_left {
                let right = a
                    .child_by_field_name("right")
                    .map(|r| norm(r, t))
                    .unwrap_or_default();
                if !right.starts_with("append(") {
                    let in_init = func
                        .and_then(|f| syntax::function_name(f, t))
                        .is_some_and(|f| f == "init");
                    if !in_init {
                        uses.shrinks += 1;
                    }
                }
                return;
            }
            // y = x: aliased
            if a.child_by_field_name("right")
                .is_some_and(|r| r == n || r == parent)
            {
                uses.escapes = true;
            }
        }
        return;
    }
    if pk == "assignment_expression" || pk == "variable_declarator" {
        if parent
            .child_by_field_name("value")
            .or_else(|| parent.child_by_field_name("right"))
            == Some(n)
        {
            uses.escapes = true;
        }
        return;
    }
    // Returned, exported, put in another structure: handed on.
    if matches!(
        pk,
        "return_statement"
            | "export_clause"
            | "export_specifier"
            | "pair"
            | "shorthand_property_identifier"
            | "object"
            | "array"
            | "list"
            | "tuple"
            | "dictionary"
            | "keyed_element"
            | "literal_element"
    ) || parent.kind() == "object"
        || n.kind() == "shorthand_property_identifier"
    {
        uses.escapes = true;
    }
}
