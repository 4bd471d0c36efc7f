//! `unreleased`: a resource (file, socket, pooled connection, ticker) bound to a name in a
//! function and never released there. Handing it on (returning it, storing it, passing it to
//! a function that is not known to only borrow it) ends our responsibility, as in pylint,
//! ruff and bodyclose: the rule trades those cases for precision.

use serde::Deserialize;
use tree_sitter::Node;

use super::{go_at_least, Hit, Match, Src};
use crate::context::classify;
use crate::lang::Family;
use crate::syntax::{self, norm, text};

/// Parameters of `unreleased`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Calls that release the resource `{R}`: `{R}.close` (a method on it), `*.closeSync({R})`
    /// (it as an argument; `*.` allows any qualifier), `{R}.Body.Close`.
    pub release: Vec<String>,
    /// Callees that only borrow the resource (`io.ReadAll`, `json.load`): passing it to them
    /// is not handing it on. Compared by their last one or two segments.
    #[serde(default)]
    pub borrowers: Vec<String>,
    /// Python: `with R:` releases it (files); false for connections (`with conn:` commits).
    #[serde(default = "yes")]
    pub with_releases: bool,
    /// The Go release from which the runtime no longer leaks this.
    #[serde(default)]
    pub go_fixed_in: Option<String>,
    /// A note unless the code runs per request or per mount.
    #[serde(default)]
    pub weak_unless_repeats: bool,
}

fn yes() -> bool {
    true
}

/// One release pattern, read.
struct Release<'a> {
    callee: &'a str,
    arg: bool,
}

fn parse_release(p: &str) -> Release<'_> {
    match p.split_once('(') {
        Some((callee, _)) => Release { callee, arg: true },
        None => Release {
            callee: p,
            arg: false,
        },
    }
}

fn callee_matches(pattern: &str, callee: &str, r: &str) -> bool {
    let want = pattern.replace("{R}", r);
    if let Some(rest) = want.strip_prefix("*.") {
        callee == rest || callee.ends_with(&format!(".{rest}"))
    } else {
        callee == want
    }
}

/// How a resource's story ends in its function.
enum Fate {
    /// Released on every path (finally, defer, with).
    Guarded,
    /// Released, but not on every path; the line of the release.
    Unguarded(usize),
    /// Handed on: not ours to release.
    Escapes,
    /// Never released.
    Leaks,
}

/// Run `unreleased` on one match (`@resource` is the bound name, `@match` the acquisition).
pub fn run<'t>(p: &Params, src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    if let Some(v) = &p.go_fixed_in {
        if go_at_least(src, v) {
            return Vec::new();
        }
    }
    let fam = src.family();
    let Some(res) = m.get("resource") else {
        return Vec::new();
    };
    let scope = match m.get("scope") {
        Some(s) => Some(s),
        None => syntax::enclosing_function(fam, m.node),
    };
    let Some(scope) = scope else {
        return Vec::new();
    };
    let name = text(res, src.text).into_owned();
    let site = classify(fam, m.node, src.text);
    let weak = p.weak_unless_repeats && !site.repeats();
    let func_name = syntax::function_name(scope, src.text).unwrap_or_else(|| "<anonymous>".into());
    let base = |hit: Hit<'t>| {
        hit.var("resource", name.clone())
            .var("function", func_name.clone())
            .var(
                "call",
                m.get("callee")
                    .map(|c| norm(c, src.text))
                    .unwrap_or_default(),
            )
            .subject(name.clone())
            .scope(Some(scope))
            .weak_if(weak)
    };
    if name == "_" {
        return vec![base(Hit::at(m.node)).variant("discarded")];
    }
    match fate(p, src, scope, m.node, res, &name) {
        Fate::Guarded | Fate::Escapes => Vec::new(),
        Fate::Unguarded(line) => vec![base(Hit::at(m.node))
            .variant("unguarded")
            .var("release_line", line.to_string())
            .related(line)
            .weak_if(true)],
        Fate::Leaks => vec![base(Hit::at(m.node))],
    }
}

fn fate(
    p: &Params,
    src: &Src<'_>,
    scope: Node<'_>,
    acquire: Node<'_>,
    res: Node<'_>,
    name: &str,
) -> Fate {
    let fam = src.family();
    let releases: Vec<Release<'_>> = p.release.iter().map(|r| parse_release(r)).collect();
    let call_kind = syntax::call_kind(fam);
    let mut released: Option<(bool, usize)> = None;
    let mut escapes = false;
    syntax::walk(scope, |n| {
        if escapes || n.start_byte() < acquire.start_byte() && !syntax::contains(acquire, n) {
            return;
        }
        if n.kind() == call_kind {
            let Some(callee) = syntax::callee(n) else {
                return;
            };
            let c = norm(callee, src.text);
            let args: Vec<String> = syntax::args(n).iter().map(|a| norm(*a, src.text)).collect();
            let is_release = releases.iter().any(|r| {
                callee_matches(r.callee, &c, name) && (!r.arg || args.iter().any(|a| a == name))
            });
            if is_release {
                let guarded = is_guarded(fam, n, scope);
                let line = syntax::line(n);
                released = match released {
                    Some((g, l)) => Some((g || guarded, if g { l } else { line })),
                    None => Some((guarded, line)),
                };
            }
            return;
        }
        if fam == Family::Py && n.kind() == "with_item" && p.with_releases {
            let t = norm(n, src.text);
            if t == name || t.starts_with(&format!("{name}as")) || t.contains(&format!("({name})"))
            {
                released = Some((true, syntax::line(n)));
            }
            return;
        }
        if syntax::is_identifier(n.kind())
            && n != res
            && text(n, src.text) == name
            && hands_on(p, src, n, scope, &releases, name)
        {
            escapes = true;
        }
    });
    match (escapes, released) {
        (_, Some((true, _))) => Fate::Guarded,
        (true, _) => Fate::Escapes,
        (false, Some((false, line))) => Fate::Unguarded(line),
        (false, None) => Fate::Leaks,
    }
}

/// A release on every path: inside `finally`, a Go `defer`, or a promise's `.finally`.
fn is_guarded(fam: Family, call: Node<'_>, scope: Node<'_>) -> bool {
    let mut cur = call.parent();
    while let Some(n) = cur {
        if n == scope {
            return false;
        }
        match (fam, n.kind()) {
            (Family::Go, "defer_statement") => return true,
            (Family::Js | Family::Py, "finally_clause") => return true,
            _ => {}
        }
        cur = n.parent();
    }
    false
}

/// True when this use of the resource's name hands it on.
fn hands_on(
    p: &Params,
    src: &Src<'_>,
    n: Node<'_>,
    scope: Node<'_>,
    releases: &[Release<'_>],
    name: &str,
) -> bool {
    let fam = src.family();
    let Some(parent) = n.parent() else {
        return false;
    };
    // `R.method()`, `R.Body`, `R[i]`: a use, not a hand-off.
    if syntax::is_member(parent.kind()) && syntax::member_object(parent) == Some(n) {
        return false;
    }
    // Used inside a closure that does not release it: the closure may outlive the function.
    if syntax::enclosing_function(fam, n) != Some(scope)
        && syntax::enclosing_function(fam, n).is_some_and(|f| syntax::contains(scope, f))
    {
        return true;
    }
    let mut cur = Some(parent);
    let mut child = n;
    while let Some(a) = cur {
        match a.kind() {
            "return_statement" | "yield" | "yield_expression" | "yield_statement" => return true,
            "arguments" | "argument_list" => {
                let Some(call) = a.parent() else { return true };
                let Some(callee) = syntax::callee(call) else {
                    return true;
                };
                let c = norm(callee, src.text);
                let releasing = releases
                    .iter()
                    .any(|r| r.arg && callee_matches(r.callee, &c, name));
                return !releasing && !borrows(&p.borrowers, &c);
            }
            "keyword_argument" => {}
            "pair" | "keyed_element" | "literal_element" | "array" | "list" | "tuple"
            | "dictionary" | "object" | "literal_value" | "expression_list" | "pattern_list" => {
                // A composite holding it stores it, unless it is the left side of a binding.
                if a.kind() == "expression_list" || a.kind() == "pattern_list" {
                    if let Some(g) = a.parent() {
                        if g.child_by_field_name("right") == Some(a) {
                            return true;
                        }
                        if g.kind() == "return_statement" {
                            return true;
                        }
                    }
                    return false;
                }
                return true;
            }
            "variable_declarator"
            | "assignment_expression"
            | "assignment"
            | "assignment_statement"
            | "short_var_declaration" => {
                let right = a
                    .child_by_field_name("value")
                    .or_else(|| a.child_by_field_name("right"));
                return right.is_some_and(|r| r == child || syntax::contains(r, child));
            }
            "expression_statement"
            | "block"
            | "statement_block"
            | "if_statement"
            | "for_statement" => {
                return false;
            }
            _ => {}
        }
        if a == scope {
            return false;
        }
        child = a;
        cur = a.parent();
    }
    false
}

fn borrows(borrowers: &[String], callee: &str) -> bool {
    let last2: Vec<&str> = callee.rsplitn(3, '.').take(2).collect();
    let tail2 = if last2.len() == 2 {
        format!("{}.{}", last2[1], last2[0])
    } else {
        callee.to_string()
    };
    let tail1 = last2.first().copied().unwrap_or(callee);
    borrowers
        .iter()
        .any(|b| b == callee || *b == tail2 || b == tail1)
}
