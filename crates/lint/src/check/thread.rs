//! `thread-no-exit`: a Python thread whose target runs `while True:` with no way out (no
//! break, return or raise in the loop, no stop event in its condition). Started per call, such
//! threads pile up; started once, they cannot be stopped or joined.

use tree_sitter::Node;

use super::{Hit, Match, Src};
use crate::context::classify;
use crate::lang::Family;
use crate::syntax::{self, norm, text};

/// Run `thread-no-exit` on one match (`@match` a `Thread(...)` call).
pub fn run<'t>(src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let t = src.text;
    let call = m.node;
    let target = syntax::args(call).into_iter().find_map(|a| {
        (a.kind() == "keyword_argument"
            && a.child_by_field_name("name")
                .is_some_and(|n| text(n, t) == "target"))
        .then(|| a.child_by_field_name("value"))
        .flatten()
    });
    let Some(target) = target else {
        return Vec::new();
    };
    let target_name = norm(target, t);
    let Some(body) = resolve(src, call, &target_name) else {
        return Vec::new();
    };
    let Some(lp) = endless_loop(body, t) else {
        return Vec::new();
    };
    let site = classify(Family::Py, call, t);
    let in_loop = {
        let mut cur = call.parent();
        let mut found = false;
        while let Some(n) = cur {
            if n.kind() == "function_definition" {
                break;
            }
            if syntax::is_loop(n.kind()) {
                found = true;
                break;
            }
            cur = n.parent();
        }
        found
    };
    vec![Hit::at(call)
        .var("target", target_name.clone())
        .var("loop_line", syntax::line(lp).to_string())
        .subject(target_name)
        .scope(body.parent())
        .related(syntax::line(lp))
        .weak_if(!(site.repeats() || in_loop))]
}

/// The body of the function `name` names: a function in an enclosing scope or the module,
/// or `self.method` of the enclosing class.
fn resolve<'t>(src: &Src<'t>, at: Node<'t>, name: &str) -> Option<Node<'t>> {
    let t = src.text;
    if let Some(method) = name.strip_prefix("self.") {
        let class = syntax::enclosing_class(Family::Py, at)?;
        return find_def(class.child_by_field_name("body")?, method, t);
    }
    if name.contains('.') {
        return None;
    }
    for f in syntax::enclosing_functions(Family::Py, at) {
        if let Some(b) = f
            .child_by_field_name("body")
            .and_then(|b| find_def(b, name, t))
        {
            return Some(b);
        }
    }
    find_def(src.root, name, t)
}

/// A `def name` directly in `block` (possibly decorated); its body.
fn find_def<'t>(block: Node<'t>, name: &str, t: &[u8]) -> Option<Node<'t>> {
    let mut c = block.walk();
    for stmt in block.named_children(&mut c) {
        let def = if stmt.kind() == "decorated_definition" {
            stmt.child_by_field_name("definition")
        } else {
            Some(stmt)
        };
        if let Some(d) = def.filter(|d| d.kind() == "function_definition") {
            if d.child_by_field_name("name")
                .is_some_and(|n| text(n, t) == name)
            {
                return d.child_by_field_name("body");
            }
        }
    }
    None
}

/// A `while True:` loop in `body` (not in nested functions) with no exit.
fn endless_loop<'t>(body: Node<'t>, t: &[u8]) -> Option<Node<'t>> {
    let mut found = None;
    syntax::walk(body, |n| {
        if found.is_some() || n.kind() != "while_statement" {
            return;
        }
        if enclosing_def(n) != enclosing_def(body) {
            return;
        }
        let cond = n
            .child_by_field_name("condition")
            .map(|c| text(c, t).into_owned());
        if !matches!(cond.as_deref(), Some("True" | "1")) {
            return;
        }
        let Some(loop_body) = n.child_by_field_name("body") else {
            return;
        };
        if !has_exit(loop_body, n, t) {
            found = Some(n);
        }
    });
    found
}

fn enclosing_def(n: Node<'_>) -> Option<usize> {
    let mut cur = n.parent();
    while let Some(p) = cur {
        if p.kind() == "function_definition" {
            return Some(p.id());
        }
        cur = p.parent();
    }
    None
}

/// A return, raise or sys.exit anywhere in the loop, or a break that leaves this loop.
fn has_exit(block: Node<'_>, the_loop: Node<'_>, t: &[u8]) -> bool {
    let mut exit = false;
    syntax::walk(block, |n| {
        if exit {
            return;
        }
        match n.kind() {
            "return_statement" | "raise_statement"
                if enclosing_def(n) == enclosing_def(the_loop) =>
            {
                exit = true;
            }
            "break_statement" => {
                let mut cur = n.parent();
                while let Some(p) = cur {
                    if matches!(p.kind(), "while_statement" | "for_statement") {
                        exit = p == the_loop;
                        break;
                    }
                    cur = p.parent();
                }
            }
            "call" => {
                let c = syntax::callee(n).map(|c| norm(c, t)).unwrap_or_default();
                if matches!(c.as_str(), "sys.exit" | "os._exit" | "exit") {
                    exit = true;
                }
            }
            _ => {}
        }
    });
    exit
}
