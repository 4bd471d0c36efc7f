//! `goroutine-blocked`: a goroutine that blocks forever on an unbuffered channel because its
//! counterpart can leave without serving it. The channel must be known to be unbuffered (made
//! in the spawning function, or a struct field made unbuffered in this file) and not handed to
//! code we cannot see. Cases, after the patterns of Uber's study (Saioc et al., CGO 2024):
//! - a send whose only receive is conditional or races a timeout/cancel (`early-return`,
//!   `timeout`), or that nobody receives;
//! - N goroutines started in a loop sending to one receive (`ncast`);
//! - a receive or `range` on a channel nobody sends to or closes (`no-close-range`).

use tree_sitter::Node;

use super::{Hit, Match, Src};
use crate::lang::Family;
use crate::syntax::{self, norm, text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Send,
    Recv,
    Range,
}

struct ChanOp<'t> {
    node: Node<'t>,
    chan: String,
    op: Op,
}

/// Where a channel came from.
enum Origin {
    /// `ch := make(chan T)` in this function.
    Local,
    /// A struct field `x.f` made unbuffered somewhere in the file.
    Field,
}

/// Run `goroutine-blocked` on one match (`@match` a `go` statement).
pub fn run<'t>(src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let t = src.text;
    let go = m.node;
    let Some(call) = go.named_child(0).filter(|c| c.kind() == "call_expression") else {
        return Vec::new();
    };
    let Some(parent_fn) = syntax::enclosing_function(Family::Go, go) else {
        return Vec::new();
    };
    let Some((body, params)) = goroutine_body(src, call) else {
        return Vec::new();
    };
    for op in chan_ops(body, t, &params) {
        if escapes_by_select(op.node, body, t) {
            continue;
        }
        let Some(origin) = origin(src, parent_fn, go, &op.chan) else {
            continue;
        };
        let region = match origin {
            Origin::Local => parent_fn,
            Origin::Field => src.root,
        };
        if let Origin::Local = origin {
            if handed_on(parent_fn, go, &op.chan, t) {
                continue;
            }
        }
        let counter = counterparts(region, body, &op, t);
        let variant = match op.op {
            Op::Send => {
                let recvs: Vec<&Node<'t>> = counter
                    .iter()
                    .filter(|(_, k)| *k == Counter::Recv)
                    .map(|(n, _)| n)
                    .collect();
                if recvs.is_empty() {
                    Some("no_receiver")
                } else if recvs.iter().all(|r| conditional(**r, region, t))
                    || (matches!(origin, Origin::Local)
                        && returns_before_receiving(parent_fn, go, &recvs))
                {
                    Some(if recvs.iter().any(|r| in_racing_select(**r, t)) {
                        "timeout"
                    } else {
                        "early_return"
                    })
                } else if matches!(origin, Origin::Local)
                    && syntax::ancestor_below(go, parent_fn, |k| k == "for_statement")
                    && !recvs
                        .iter()
                        .any(|r| syntax::ancestor_below(**r, region, |k| k == "for_statement"))
                {
                    Some("ncast")
                } else {
                    None
                }
            }
            Op::Recv | Op::Range => {
                let closes = counter.iter().any(|(_, k)| *k == Counter::Close);
                let sends: Vec<&Node<'t>> = counter
                    .iter()
                    .filter(|(_, k)| *k == Counter::Send)
                    .map(|(n, _)| n)
                    .collect();
                if closes {
                    None
                } else if op.op == Op::Range {
                    Some("never_closed")
                } else if sends.is_empty() {
                    Some("no_sender")
                } else if sends.iter().all(|s| conditional(**s, region, t)) {
                    Some("sender_may_leave")
                } else {
                    None
                }
            }
        };
        let Some(variant) = variant else { continue };
        let func = syntax::enclosing_function(Family::Go, op.node);
        return vec![Hit::at(op.node)
            .variant(variant)
            .var("chan", op.chan.clone())
            .var("go_line", syntax::line(go).to_string())
            .var(
                "function",
                syntax::function_name(parent_fn, t).unwrap_or_else(|| "<anonymous>".into()),
            )
            .subject(op.chan)
            .scope(func)
            .related(syntax::line(go))];
    }
    Vec::new()
}

/// The body of the goroutine and its parameters mapped to the arguments given:
/// `go func(c chan int) {...}(ch)`, or `go s.run(ch)` with `run` declared in this file.
fn goroutine_body<'t>(src: &Src<'t>, call: Node<'t>) -> Option<(Node<'t>, Vec<(String, String)>)> {
    let t = src.text;
    let f = syntax::callee(call)?;
    let args: Vec<String> = syntax::args(call).iter().map(|a| norm(*a, t)).collect();
    let decl = if f.kind() == "func_literal" {
        f
    } else {
        let name = norm(f, t);
        let name = name.rsplit('.').next().unwrap_or(&name).to_string();
        find_func(src.root, &name, t)?
    };
    let params = syntax::param_names(decl, t);
    let map = params.into_iter().zip(args).collect();
    Some((decl.child_by_field_name("body")?, map))
}

fn find_func<'t>(root: Node<'t>, name: &str, t: &[u8]) -> Option<Node<'t>> {
    let mut c = root.walk();
    let found = root.named_children(&mut c).find(|n| {
        matches!(n.kind(), "function_declaration" | "method_declaration")
            && n.child_by_field_name("name")
                .is_some_and(|x| text(x, t) == name)
    });
    found
}

fn mapped(chan: String, params: &[(String, String)]) -> String {
    params
        .iter()
        .find(|(p, _)| *p == chan)
        .map(|(_, a)| a.clone())
        .unwrap_or(chan)
}

/// Channel operations in a goroutine body, outside nested `go` statements.
fn chan_ops<'t>(body: Node<'t>, t: &[u8], params: &[(String, String)]) -> Vec<ChanOp<'t>> {
    let mut ops = Vec::new();
    syntax::walk(body, |n| {
        if syntax::ancestor_below(n, body, |k| k == "go_statement") {
            return;
        }
        match n.kind() {
            "send_statement" => {
                if let Some(ch) = n.child_by_field_name("channel") {
                    ops.push(ChanOp {
                        node: n,
                        chan: mapped(norm(ch, t), params),
                        op: Op::Send,
                    });
                }
            }
            "unary_expression" => {
                let is_recv = n
                    .child_by_field_name("operator")
                    .is_some_and(|o| text(o, t) == "<-");
                if let (true, Some(ch)) = (is_recv, n.child_by_field_name("operand")) {
                    ops.push(ChanOp {
                        node: n,
                        chan: mapped(norm(ch, t), params),
                        op: Op::Recv,
                    });
                }
            }
            "range_clause" => {
                // `for v := range ch`: a range over a call or a composite is not a channel we know.
                if let Some(r) = n.child_by_field_name("right") {
                    if matches!(r.kind(), "identifier" | "selector_expression") {
                        let stmt = n.parent().unwrap_or(n);
                        ops.push(ChanOp {
                            node: stmt,
                            chan: mapped(norm(r, t), params),
                            op: Op::Range,
                        });
                    }
                }
            }
            _ => {}
        }
    });
    ops
}

/// The enclosing `select` of an operation, if the operation is one of its cases' headers.
fn case_select(op: Node<'_>) -> Option<Node<'_>> {
    let mut cur = op.parent();
    while let Some(p) = cur {
        match p.kind() {
            "communication_case" => {
                // the op must be in the case's header, not its body
                let header = p.child_by_field_name("communication")?;
                return (syntax::contains(header, op)).then(|| p.parent()).flatten();
            }
            "block" | "func_literal" | "function_declaration" | "method_declaration" => {
                return None
            }
            _ => {}
        }
        cur = p.parent();
    }
    None
}

/// A `select` with a default or a second case never waits on this one operation alone.
fn escapes_by_select(op: Node<'_>, _body: Node<'_>, _t: &[u8]) -> bool {
    let Some(sel) = case_select(op) else {
        return false;
    };
    let mut c = sel.walk();
    let cases = sel
        .named_children(&mut c)
        .filter(|n| matches!(n.kind(), "communication_case" | "default_case"))
        .count();
    cases >= 2
}

/// Is the receive a case of a `select` with other ways out (a timeout, a cancel)?
fn in_racing_select(op: Node<'_>, t: &[u8]) -> bool {
    escapes_by_select(op, op, t)
}

/// Where the channel comes from, if we can tell it is unbuffered.
fn origin<'t>(src: &Src<'t>, parent_fn: Node<'t>, go: Node<'t>, chan: &str) -> Option<Origin> {
    let t = src.text;
    if chan.contains('(') || chan.contains('[') {
        return None;
    }
    if let Some((_, field)) = chan.rsplit_once('.') {
        // x.f: every `f: make(chan T...)` / `.f = make(chan T...)` in the file must be unbuffered.
        let mut makes = Vec::new();
        syntax::walk(src.root, |n| {
            let (key, value) = match n.kind() {
                "keyed_element" => {
                    let mut c = n.walk();
                    let kids: Vec<Node<'_>> = n.named_children(&mut c).collect();
                    (kids.first().copied(), kids.get(1).copied())
                }
                "assignment_statement" => (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ),
                _ => return,
            };
            let (Some(k), Some(v)) = (key, value) else {
                return;
            };
            let k = norm(k, t);
            if k == field || k.ends_with(&format!(".{field}")) {
                if let Some(b) = make_chan(v, t) {
                    makes.push(b);
                }
            }
        });
        return (!makes.is_empty() && makes.iter().all(|buffered| !buffered))
            .then_some(Origin::Field);
    }
    // ch := make(chan T) in the spawning function, before the go statement.
    let mut found: Option<(Node<'t>, bool)> = None;
    syntax::walk(parent_fn, |n| {
        if n.start_byte() > go.start_byte() {
            return;
        }
        if !matches!(
            n.kind(),
            "short_var_declaration" | "assignment_statement" | "var_spec"
        ) {
            return;
        }
        let left = n
            .child_by_field_name("left")
            .or_else(|| n.child_by_field_name("name"));
        let right = n
            .child_by_field_name("right")
            .or_else(|| n.child_by_field_name("value"));
        let (Some(l), Some(r)) = (left, right) else {
            return;
        };
        if norm(l, t) != chan {
            return;
        }
        if let Some(buffered) = make_chan(r, t) {
            found = Some((n, buffered));
        } else {
            found = None;
        }
    });
    match found {
        Some((_, false)) => Some(Origin::Local),
        _ => None,
    }
}

/// `make(chan T)` → Some(false); `make(chan T, n)` with n not 0 → Some(true); else None.
fn make_chan(expr: Node<'_>, t: &[u8]) -> Option<bool> {
    let e = if matches!(expr.kind(), "expression_list" | "literal_element") {
        expr.named_child(0)?
    } else {
        expr
    };
    if e.kind() != "call_expression" {
        return None;
    }
    if syntax::callee(e).map(|c| norm(c, t)).as_deref() != Some("make") {
        return None;
    }
    let args = syntax::args(e);
    if args.first().is_none_or(|a| a.kind() != "channel_type") {
        return None;
    }
    Some(match args.get(1) {
        None => false,
        Some(n) => text(*n, t).trim() != "0",
    })
}

/// The channel is given to code we cannot see (passed to a call other than the goroutine's,
/// returned, stored): its other end may be there.
fn handed_on(parent_fn: Node<'_>, go: Node<'_>, chan: &str, t: &[u8]) -> bool {
    let mut out = false;
    syntax::walk(parent_fn, |n| {
        if out || n.kind() != "identifier" || text(n, t) != chan {
            return;
        }
        let Some(p) = n.parent() else { return };
        match p.kind() {
            "argument_list" => {
                let call = p.parent();
                let is_go_call = call.is_some_and(|c| c.parent() == Some(go));
                let builtin = call
                    .and_then(syntax::callee)
                    .is_some_and(|c| matches!(&*text(c, t), "close" | "len" | "cap"));
                if !is_go_call && !builtin {
                    out = true;
                }
            }
            "return_statement" | "keyed_element" | "literal_element" => out = true,
            "expression_list"
                if p.parent().is_some_and(|g| {
                    g.kind() == "return_statement" || g.child_by_field_name("right") == Some(p)
                }) =>
            {
                out = true;
            }
            _ => {}
        }
    });
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counter {
    Send,
    Recv,
    Close,
}

/// Operations on the same channel in `region`, outside the goroutine's own body.
fn counterparts<'t>(
    region: Node<'t>,
    body: Node<'t>,
    op: &ChanOp<'t>,
    t: &[u8],
) -> Vec<(Node<'t>, Counter)> {
    let same = |n: Node<'_>| {
        let x = norm(n, t);
        x == op.chan
            || (op.chan.contains('.')
                && op
                    .chan
                    .rsplit_once('.')
                    .is_some_and(|(_, f)| x.ends_with(&format!(".{f}"))))
    };
    let mut out = Vec::new();
    syntax::walk(region, |n| {
        if syntax::contains(body, n) {
            return;
        }
        match n.kind() {
            "send_statement" if n.child_by_field_name("channel").is_some_and(same) => {
                out.push((n, Counter::Send));
            }
            "unary_expression" => {
                let is_recv = n
                    .child_by_field_name("operator")
                    .is_some_and(|o| text(o, t) == "<-");
                if is_recv && n.child_by_field_name("operand").is_some_and(same) {
                    out.push((n, Counter::Recv));
                }
            }
            "range_clause" if n.child_by_field_name("right").is_some_and(same) => {
                out.push((n, Counter::Recv));
            }
            "call_expression" => {
                let is_close = syntax::callee(n).is_some_and(|c| text(c, t) == "close");
                if is_close && syntax::args(n).first().is_some_and(|a| same(*a)) {
                    out.push((n, Counter::Close));
                }
            }
            _ => {}
        }
    });
    out
}

/// Does the operation run on some paths only (under an if/switch/case, or as one case of a
/// select with others) within `region`?
fn conditional(op: Node<'_>, region: Node<'_>, t: &[u8]) -> bool {
    in_racing_select(op, t) || syntax::ancestor_below(op, region, syntax::is_branch)
}

/// Can the spawning function return after starting the goroutine and before any receive
/// (`if err != nil { return }` between `go` and `<-ch`)? Only a return on some paths counts
/// (one at the end runs after the receives), and only when no receive runs before it on every
/// path to it (not under a branch below their common ancestor; a loop body counts as run).
/// Returns inside nested function literals are theirs, not the spawner's.
fn returns_before_receiving(parent_fn: Node<'_>, go: Node<'_>, recvs: &[&Node<'_>]) -> bool {
    let mut early = false;
    syntax::walk(parent_fn, |n| {
        if early || n.kind() != "return_statement" || n.start_byte() < go.end_byte() {
            return;
        }
        if syntax::enclosing_function(Family::Go, n) != Some(parent_fn)
            || !syntax::ancestor_below(n, parent_fn, syntax::is_branch)
        {
            return;
        }
        let served = recvs.iter().any(|r| {
            r.start_byte() > go.end_byte() && r.start_byte() < n.start_byte() && runs_before(**r, n)
        });
        early = !served;
    });
    early
}

/// Does `earlier` run on every path that reaches `later`: no branch between it and the
/// nearest node that encloses both?
fn runs_before(earlier: Node<'_>, later: Node<'_>) -> bool {
    let mut cur = earlier.parent();
    while let Some(p) = cur {
        if syntax::contains(p, later) {
            return true;
        }
        if syntax::is_branch(p.kind()) {
            return false;
        }
        cur = p.parent();
    }
    false
}
