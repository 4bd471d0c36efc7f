//! `listener`: a listener added inside a function to an emitter that outlives the call
//! (`process`, `window`, `document`, a module-level emitter or logger), with no removal of the
//! same listener anywhere in the enclosing scope (the outermost function, or the class for
//! methods). `once`, an AbortSignal, and keeping the returned unsubscribe handle are not
//! leaks. Pairing is per scope, not per file: a removal elsewhere does not hide a leak.

use serde::Deserialize;
use tree_sitter::Node;

use super::{Hit, Match, Src};
use crate::context::{classify, CallSite};
use crate::lang::Family;
use crate::syntax::{self, norm, text};

/// Parameters of `listener`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Methods that remove (`off`, `removeListener`, `removeEventListener`, `removeHandler`).
    pub removers: Vec<String>,
    /// A remover that takes everything away whatever its arguments (`removeAllListeners`).
    #[serde(default)]
    pub remove_all: Vec<String>,
    /// Names that are always long-lived (`process`, `window`, `document`).
    #[serde(default)]
    pub globals: Vec<String>,
    /// Target prefixes that are long-lived (`logging.getLogger(`).
    #[serde(default)]
    pub global_prefixes: Vec<String>,
    /// Option keys that end the listener's life (`once`, `signal`).
    #[serde(default)]
    pub ending_options: Vec<String>,
    /// A note unless the code runs per request or per mount.
    #[serde(default)]
    pub weak_unless_repeats: bool,
}

/// Run `listener` on one match (`@target`, `@method`, optional `@event`, `@match` the call).
pub fn run<'t>(p: &Params, src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let fam = src.family();
    let t = src.text;
    let (Some(target), Some(method)) = (m.get("target"), m.get("method")) else {
        return Vec::new();
    };
    let call = m.node;
    let Some(func) = syntax::enclosing_function(fam, call) else {
        return Vec::new();
    };
    // The handle is kept (`const off = bus.on(...)`, `return emitter.on(...)`): the caller
    // can remove it.
    if call
        .parent()
        .is_some_and(|par| !matches!(par.kind(), "expression_statement" | "await_expression"))
    {
        return Vec::new();
    }
    let args = syntax::args(call);
    if args.iter().skip(1).any(|a| ends_life(p, *a, t)) {
        return Vec::new();
    }
    let target_text = norm(target, t);
    if !long_lived(p, fam, src, &target_text, call) {
        return Vec::new();
    }
    let event = m.get("event").map(|e| norm(e, t));
    let scope = syntax::enclosing_class(fam, call)
        .filter(|c| syntax::contains(*c, func))
        .or_else(|| syntax::enclosing_functions(fam, call).last().copied())
        .unwrap_or(func);
    if removed_in(p, src, scope, &target_text, event.as_deref()) {
        return Vec::new();
    }
    let site = classify(fam, call, t);
    let weak = site == CallSite::Setup || (p.weak_unless_repeats && !site.repeats());
    let root = target_text
        .split(['.', '(', '['])
        .next()
        .unwrap_or(&target_text)
        .to_string();
    vec![Hit::at(call)
        .var("target", target_text.clone())
        .var("method", text(method, t).into_owned())
        .var("event", event.unwrap_or_default())
        .var(
            "function",
            syntax::function_name(func, t).unwrap_or_else(|| "<anonymous>".into()),
        )
        .subject(root)
        .scope(Some(func))
        .weak_if(weak)]
}

/// `{ once: true }`, `{ signal }`: the listener ends by itself.
fn ends_life(p: &Params, arg: Node<'_>, src: &[u8]) -> bool {
    if arg.kind() != "object" {
        return false;
    }
    let mut c = arg.walk();
    let found = arg.named_children(&mut c).any(|prop| {
        let key = match prop.kind() {
            "pair" => prop
                .child_by_field_name("key")
                .map(|k| text(k, src).into_owned()),
            "shorthand_property_identifier" => Some(text(prop, src).into_owned()),
            _ => None,
        };
        let is_false = prop
            .child_by_field_name("value")
            .is_some_and(|v| v.kind() == "false");
        key.is_some_and(|k| p.ending_options.contains(&k)) && !is_false
    });
    found
}

/// Is the emitter one that outlives the call: a global, or a name bound at module level and
/// not rebound by an enclosing function?
fn long_lived(p: &Params, fam: Family, src: &Src<'_>, target: &str, at: Node<'_>) -> bool {
    if p.global_prefixes
        .iter()
        .any(|g| target.starts_with(g.as_str()))
    {
        return true;
    }
    if target.starts_with("this.") || target == "this" || target.starts_with("self.") {
        return false;
    }
    let root = target.split(['.', '(', '[']).next().unwrap_or(target);
    if root.is_empty() {
        return false;
    }
    for f in syntax::enclosing_functions(fam, at) {
        if syntax::param_names(f, src.text).iter().any(|n| n == root)
            || binds_locally(fam, f, root, src.text)
        {
            return false;
        }
    }
    if p.globals.iter().any(|g| g == root) {
        return true;
    }
    module_binding(fam, src, root)
}

fn binds_locally(fam: Family, f: Node<'_>, name: &str, src: &[u8]) -> bool {
    let Some(body) = f.child_by_field_name("body") else {
        return false;
    };
    let mut found = false;
    syntax::walk(body, |n| {
        if found {
            return;
        }
        let bound = match (fam, n.kind()) {
            (Family::Js, "variable_declarator") => n.child_by_field_name("name"),
            (Family::Py, "assignment") => n.child_by_field_name("left"),
            _ => None,
        };
        if bound.is_some_and(|b| text(b, src) == name) {
            found = true;
        }
    });
    found
}

/// True when `name` is declared at module level (a variable, an import, a require).
fn module_binding(fam: Family, src: &Src<'_>, name: &str) -> bool {
    let t = src.text;
    let mut c = src.root.walk();
    for stmt in src.root.named_children(&mut c) {
        let stmt = if stmt.kind() == "export_statement" {
            stmt.child_by_field_name("declaration").unwrap_or(stmt)
        } else {
            stmt
        };
        match (fam, stmt.kind()) {
            (Family::Js, "lexical_declaration" | "variable_declaration") => {
                let mut c2 = stmt.walk();
                for d in stmt.named_children(&mut c2) {
                    if let Some(n) = d.child_by_field_name("name") {
                        if text(n, t) == name {
                            return true;
                        }
                        // const { a, b } = require(...)
                        let mut hit = false;
                        syntax::walk(n, |x| {
                            if matches!(
                                x.kind(),
                                "shorthand_property_identifier_pattern" | "identifier"
                            ) && text(x, t) == name
                            {
                                hit = true;
                            }
                        });
                        if hit {
                            return true;
                        }
                    }
                }
            }
            (Family::Js, "import_statement") => {
                let mut hit = false;
                syntax::walk(stmt, |x| {
                    if x.kind() == "identifier" && text(x, t) == name {
                        hit = true;
                    }
                });
                if hit {
                    return true;
                }
            }
            (Family::Py, "expression_statement") => {
                let mut c2 = stmt.walk();
                for a in stmt.named_children(&mut c2) {
                    if a.kind() == "assignment"
                        && a.child_by_field_name("left")
                            .is_some_and(|l| text(l, t) == name)
                    {
                        return true;
                    }
                }
            }
            (Family::Py, "import_statement" | "import_from_statement") => {
                let mut hit = false;
                syntax::walk(stmt, |x| {
                    if x.kind() == "identifier" && text(x, t) == name {
                        hit = true;
                    }
                });
                if hit {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Is there a removal of this listener (same target, same event or handler) in `scope`?
fn removed_in(
    p: &Params,
    src: &Src<'_>,
    scope: Node<'_>,
    target: &str,
    event: Option<&str>,
) -> bool {
    let fam = src.family();
    let t = src.text;
    let kind = syntax::call_kind(fam);
    let mut found = false;
    syntax::walk(scope, |n| {
        if found || n.kind() != kind {
            return;
        }
        let Some(callee) = syntax::callee(n) else {
            return;
        };
        let c = norm(callee, t);
        let Some((obj, method)) = c.rsplit_once('.') else {
            return;
        };
        if obj != target {
            return;
        }
        if p.remove_all.iter().any(|r| r == method) {
            found = true;
            return;
        }
        if p.removers.iter().any(|r| r == method) {
            let first = syntax::args(n).first().map(|a| norm(*a, t));
            if event.is_none() || first.as_deref() == event {
                found = true;
            }
        }
    });
    found
}
