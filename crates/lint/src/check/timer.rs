//! Timers: `setInterval` created per call and never cleared (`timer-uncleared`), and timer
//! callbacks that keep a large local of the function alive until they run or forever
//! (`timer-closure`).

use serde::Deserialize;
use tree_sitter::Node;

use super::{Hit, Match, Src};
use crate::context::{classify, CallSite};
use crate::syntax::{self, norm, text};

/// Run `timer-uncleared` on one match (`@match` the `setInterval(...)` call).
pub fn uncleared<'t>(src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let fam = src.family();
    let t = src.text;
    let call = m.node;
    let Some(func) = syntax::enclosing_function(fam, call) else {
        return Vec::new();
    };
    // setInterval(...).unref() is still an interval that runs forever.
    let mut expr = call;
    while let Some(member) = expr.parent().filter(|p| p.kind() == "member_expression") {
        match member.parent().filter(|c| c.kind() == "call_expression") {
            Some(outer) => expr = outer,
            None => break,
        }
    }
    let Some(parent) = expr.parent() else {
        return Vec::new();
    };
    let site = classify(fam, call, t);
    let base = |hit: Hit<'t>| {
        hit.var(
            "function",
            syntax::function_name(func, t).unwrap_or_else(|| "<anonymous>".into()),
        )
        .scope(Some(func))
        .weak_if(site == CallSite::Setup)
    };
    let stored = match parent.kind() {
        "expression_statement" => return vec![base(Hit::at(call)).variant("not_stored")],
        "variable_declarator" => parent.child_by_field_name("name"),
        "assignment_expression" if parent.child_by_field_name("right") == Some(expr) => {
            parent.child_by_field_name("left")
        }
        _ => None,
    };
    let Some(stored) = stored else {
        return Vec::new();
    };
    let holder = norm(stored, t);
    if cleared_anywhere(src, &holder) || handed_on(src, func, stored, &holder) {
        return Vec::new();
    }
    vec![base(Hit::at(call))
        .var("holder", holder.clone())
        .subject(holder)]
}

/// `clearInterval(holder)` (or `clearTimeout`) anywhere in the file.
fn cleared_anywhere(src: &Src<'_>, holder: &str) -> bool {
    let t = src.text;
    let mut found = false;
    syntax::walk(src.root, |n| {
        if found || n.kind() != "call_expression" {
            return;
        }
        let Some(c) = syntax::callee(n) else { return };
        let c = norm(c, t);
        let last = c.rsplit('.').next().unwrap_or("");
        if matches!(last, "clearInterval" | "clearTimeout")
            && syntax::args(n)
                .first()
                .is_some_and(|a| norm(*a, t) == holder)
        {
            found = true;
        }
    });
    found
}

/// A local holder that is returned or passed on: someone else may clear it.
fn handed_on(src: &Src<'_>, func: Node<'_>, stored: Node<'_>, holder: &str) -> bool {
    if holder.contains('.') {
        return false;
    }
    let t = src.text;
    let mut out = false;
    syntax::walk(func, |n| {
        if out || n == stored || n.kind() != "identifier" || text(n, t) != holder {
            return;
        }
        if let Some(p) = n.parent() {
            if matches!(
                p.kind(),
                "return_statement"
                    | "arguments"
                    | "pair"
                    | "array"
                    | "assignment_expression"
                    | "shorthand_property_identifier"
            ) || p.kind() == "object"
            {
                out = true;
            }
            if p.kind() == "arrow_function" && p.child_by_field_name("body") == Some(n) {
                out = true;
            }
        }
    });
    out
}

/// Parameters of `timer-closure`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureParams {
    /// `setTimeout` delays (ms) below this let the closure go soon enough; unknown delays
    /// count as long.
    pub min_delay_ms: f64,
    /// Calls whose results are small values, not objects (`Number`, `Date.now`).
    #[serde(default)]
    pub light_calls: Vec<String>,
}

/// Run `timer-closure` on one match (`@callback`, optional `@delay`, `@match` the call).
pub fn closure<'t>(p: &ClosureParams, src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let fam = src.family();
    let t = src.text;
    let call = m.node;
    let Some(cb) = m.get("callback") else {
        return Vec::new();
    };
    let Some(func) = syntax::enclosing_function(fam, call) else {
        return Vec::new();
    };
    let timer = syntax::callee(call).map(|c| norm(c, t)).unwrap_or_default();
    let is_timeout = timer.ends_with("setTimeout");
    if is_timeout {
        match m.get("delay").and_then(|d| const_number(d, t)) {
            Some(ms) if ms < p.min_delay_ms => return Vec::new(),
            _ => {}
        }
        if m.get("delay").is_none() {
            return Vec::new();
        }
    }
    let cb_params = syntax::param_names(cb, t);
    // Locals of the enclosing function (not of nested functions) bound to objects.
    let mut heavy: Vec<(String, usize)> = Vec::new();
    syntax::walk(func, |n| {
        if n.kind() != "variable_declarator" || syntax::contains(cb, n) {
            return;
        }
        if syntax::enclosing_function(fam, n) != Some(func) {
            return;
        }
        let (Some(name), Some(value)) = (
            n.child_by_field_name("name"),
            n.child_by_field_name("value"),
        ) else {
            return;
        };
        if name.kind() == "identifier" && is_heavy(p, value, t) {
            heavy.push((text(name, t).into_owned(), syntax::line(n)));
        }
    });
    heavy.retain(|(name, _)| !cb_params.contains(name));
    let mut captured: Option<(String, usize)> = None;
    syntax::walk(cb, |n| {
        if captured.is_some() || n.kind() != "identifier" {
            return;
        }
        let name = text(n, t);
        if let Some(h) = heavy.iter().find(|(h, _)| *h == name) {
            captured = Some(h.clone());
        }
    });
    let Some((name, decl_line)) = captured else {
        return Vec::new();
    };
    let site = classify(fam, call, t);
    vec![Hit::at(call)
        .var("captured", name.clone())
        .var(
            "timer",
            timer.rsplit('.').next().unwrap_or(&timer).to_string(),
        )
        .var("decl_line", decl_line.to_string())
        .var(
            "function",
            syntax::function_name(func, t).unwrap_or_else(|| "<anonymous>".into()),
        )
        .subject(name)
        .scope(Some(func))
        .related(decl_line)
        .weak_if(!site.repeats())]
}

/// Values that are objects of unknown, possibly large size: call results, `new`, awaited
/// values, array and object literals, templates with substitutions.
fn is_heavy(p: &ClosureParams, value: Node<'_>, t: &[u8]) -> bool {
    match value.kind() {
        "call_expression" | "new_expression" => {
            let c = syntax::callee(value)
                .or_else(|| value.child_by_field_name("constructor"))
                .map(|c| norm(c, t))
                .unwrap_or_default();
            !p.light_calls
                .iter()
                .any(|l| c == *l || c.ends_with(&format!(".{l}")))
        }
        "await_expression" => value.named_child(0).is_none_or(|v| is_heavy(p, v, t)),
        "array" | "object" => value.named_child_count() > 0,
        "template_string" => syntax::has_substitution(value),
        _ => false,
    }
}

/// A numeric constant: `600000`, `600_000`, `10 * 60 * 1000`.
fn const_number(n: Node<'_>, t: &[u8]) -> Option<f64> {
    match n.kind() {
        "number" => text(n, t).replace('_', "").parse().ok(),
        "parenthesized_expression" => n.named_child(0).and_then(|c| const_number(c, t)),
        "binary_expression" => {
            let l = const_number(n.child_by_field_name("left")?, t)?;
            let r = const_number(n.child_by_field_name("right")?, t)?;
            match &*text(n.child_by_field_name("operator")?, t) {
                "*" => Some(l * r),
                "+" => Some(l + r),
                "-" => Some(l - r),
                "/" if r != 0.0 => Some(l / r),
                _ => None,
            }
        }
        _ => None,
    }
}
