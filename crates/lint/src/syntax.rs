//! Small helpers over tree-sitter trees that every check uses: text, functions, scopes,
//! calls and identifiers, for the three families' grammars.

use tree_sitter::Node;

use crate::lang::Family;

/// The source text of `node` (lossy for bytes that are not UTF-8).
pub fn text<'s>(node: Node<'_>, src: &'s [u8]) -> std::borrow::Cow<'s, str> {
    String::from_utf8_lossy(&src[node.byte_range()])
}

/// `node`'s text without whitespace and with `?.` read as `.`, for comparing expressions such
/// as `this.timer` and `this . timer`.
pub fn norm(node: Node<'_>, src: &[u8]) -> String {
    norm_str(&text(node, src))
}

/// [`norm`] for text.
pub fn norm_str(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace("?.", ".")
}

/// 1-based line of the node's start.
pub fn line(node: Node<'_>) -> usize {
    node.start_position().row + 1
}

/// 1-based last line of the node.
pub fn end_line(node: Node<'_>) -> usize {
    node.end_position().row + 1
}

/// True for nodes that start a function body of their own.
pub fn is_function(family: Family, kind: &str) -> bool {
    match family {
        Family::Js => matches!(
            kind,
            "function_declaration"
                | "function_expression"
                | "function"
                | "arrow_function"
                | "method_definition"
                | "generator_function_declaration"
                | "generator_function"
        ),
        Family::Py => matches!(kind, "function_definition" | "lambda"),
        Family::Go => matches!(
            kind,
            "function_declaration" | "method_declaration" | "func_literal"
        ),
    }
}

/// The innermost function holding `node` (not `node` itself).
pub fn enclosing_function<'t>(family: Family, node: Node<'t>) -> Option<Node<'t>> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if is_function(family, n.kind()) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// Every function holding `node`, innermost first.
pub fn enclosing_functions<'t>(family: Family, node: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cur = node.parent();
    while let Some(n) = cur {
        if is_function(family, n.kind()) {
            out.push(n);
        }
        cur = n.parent();
    }
    out
}

/// The innermost class body holding `node`, if any (JS `class_body`, Python `class_definition`).
pub fn enclosing_class<'t>(family: Family, node: Node<'t>) -> Option<Node<'t>> {
    let kinds: &[&str] = match family {
        Family::Js => &["class_body"],
        Family::Py => &["class_definition"],
        Family::Go => &[],
    };
    let mut cur = node.parent();
    while let Some(n) = cur {
        if kinds.contains(&n.kind()) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// True when some ancestor of `node` strictly below `region` has a kind that `is` accepts
/// (a loop, a branch, a `go` statement between a statement and the function that holds it).
pub fn ancestor_below(node: Node<'_>, region: Node<'_>, is: impl Fn(&str) -> bool) -> bool {
    let mut cur = node.parent();
    while let Some(p) = cur {
        if p == region {
            return false;
        }
        if is(p.kind()) {
            return true;
        }
        cur = p.parent();
    }
    false
}

/// True when `anc` is `node` or holds it.
pub fn contains(anc: Node<'_>, node: Node<'_>) -> bool {
    anc.start_byte() <= node.start_byte() && node.end_byte() <= anc.end_byte()
}

/// All descendants of `root` (itself included) in document order, visiting each node once.
pub fn walk<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    loop {
        visit(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == root {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// Descendants of `root` of one of `kinds`.
pub fn descendants<'t>(root: Node<'t>, kinds: &[&str]) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    walk(root, |n| {
        if kinds.contains(&n.kind()) {
            out.push(n);
        }
    });
    out
}

/// The call node kind of the family: `call_expression` (JS, Go) or `call` (Python).
pub fn call_kind(family: Family) -> &'static str {
    match family {
        Family::Py => "call",
        _ => "call_expression",
    }
}

/// The callee of a call node (its `function` field).
pub fn callee<'t>(call: Node<'t>) -> Option<Node<'t>> {
    call.child_by_field_name("function")
}

/// The argument nodes of a call (named children of its `arguments`), keyword arguments
/// included as they are.
pub fn args<'t>(call: Node<'t>) -> Vec<Node<'t>> {
    let Some(list) = call.child_by_field_name("arguments") else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// The identifier kinds of the family's grammar (plain names, not properties).
pub fn is_identifier(kind: &str) -> bool {
    matches!(
        kind,
        "identifier" | "shorthand_property_identifier" | "shorthand_property_identifier_pattern"
    )
}

/// For the member-access kinds: the object being accessed (`a` of `a.b`, `a[b]`).
pub fn member_object<'t>(node: Node<'t>) -> Option<Node<'t>> {
    match node.kind() {
        "member_expression" | "subscript_expression" => node.child_by_field_name("object"),
        "attribute" => node.child_by_field_name("object"),
        "subscript" => node.child_by_field_name("value"),
        "selector_expression" | "index_expression" => node.child_by_field_name("operand"),
        _ => None,
    }
}

/// The property of a member access (`b` of `a.b`).
pub fn member_property<'t>(node: Node<'t>) -> Option<Node<'t>> {
    match node.kind() {
        "member_expression" => node.child_by_field_name("property"),
        "attribute" => node.child_by_field_name("attribute"),
        "selector_expression" => node.child_by_field_name("field"),
        _ => None,
    }
}

/// True for the member-access kinds (`a.b`, `a[b]`).
pub fn is_member(kind: &str) -> bool {
    matches!(
        kind,
        "member_expression"
            | "subscript_expression"
            | "attribute"
            | "subscript"
            | "selector_expression"
            | "index_expression"
    )
}

/// Names of the parameters of a function node (patterns reduced to their identifiers).
pub fn param_names(func: Node<'_>, src: &[u8]) -> Vec<String> {
    let params = func
        .child_by_field_name("parameters")
        .or_else(|| func.child_by_field_name("parameter"));
    let Some(params) = params else {
        return Vec::new();
    };
    if params.kind() == "identifier" {
        return vec![text(params, src).into_owned()];
    }
    let mut out = Vec::new();
    let mut cursor = params.walk();
    for p in params.named_children(&mut cursor) {
        collect_param_names(p, src, &mut out);
    }
    out
}

fn collect_param_names(p: Node<'_>, src: &[u8], out: &mut Vec<String>) {
    match p.kind() {
        "identifier" => out.push(text(p, src).into_owned()),
        // TypeScript wraps parameters; Python has typed/default parameters; Go declarations
        // may name several parameters of one type.
        "required_parameter" | "optional_parameter" => {
            if let Some(pat) = p.child_by_field_name("pattern") {
                collect_param_names(pat, src, out);
            }
        }
        "assignment_pattern" => {
            if let Some(l) = p.child_by_field_name("left") {
                collect_param_names(l, src, out);
            }
        }
        "default_parameter" | "typed_default_parameter" => {
            if let Some(n) = p.child_by_field_name("name") {
                collect_param_names(n, src, out);
            }
        }
        "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" | "rest_pattern" => {
            if let Some(first) = p.named_child(0) {
                collect_param_names(first, src, out);
            }
        }
        "parameter_declaration" | "variadic_parameter_declaration" => {
            let mut c = p.walk();
            for n in p.children_by_field_name("name", &mut c) {
                out.push(text(n, src).into_owned());
            }
        }
        "object_pattern" | "array_pattern" => {
            walk(p, |n| {
                if matches!(
                    n.kind(),
                    "identifier" | "shorthand_property_identifier_pattern"
                ) {
                    out.push(text(n, src).into_owned());
                }
            });
        }
        _ => {}
    }
}

/// The Go parameter types of a function, as written (`*http.Request`).
pub fn go_param_types(func: Node<'_>, src: &[u8]) -> Vec<String> {
    let Some(params) = func.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cursor = params.walk();
    for p in params.named_children(&mut cursor) {
        if let Some(t) = p.child_by_field_name("type") {
            out.push(norm(t, src));
        }
    }
    out
}

/// The name a function goes by: its declared name, a method's name, the key of an object
/// property or the variable it is assigned to (`const handle = () => ...`).
pub fn function_name(func: Node<'_>, src: &[u8]) -> Option<String> {
    if let Some(n) = func.child_by_field_name("name") {
        return Some(text(n, src).into_owned());
    }
    let parent = func.parent()?;
    let named = match parent.kind() {
        "variable_declarator" => parent.child_by_field_name("name"),
        "pair" => parent.child_by_field_name("key"),
        "assignment_expression" => parent.child_by_field_name("left"),
        _ => None,
    }?;
    let t = text(named, src);
    Some(t.rsplit('.').next().unwrap_or(&t).to_string())
}

/// True when a node kind is a string literal of the family.
pub fn is_string(kind: &str) -> bool {
    matches!(
        kind,
        "string" | "template_string" | "interpreted_string_literal" | "raw_string_literal"
    )
}

/// The contents of a string literal without its quotes and prefixes (interpolations kept
/// as written).
pub fn string_content(node: Node<'_>, src: &[u8]) -> String {
    let t = text(node, src);
    let t = t.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let t = t
        .trim_start_matches("\"\"\"")
        .trim_start_matches("'''")
        .trim_end_matches("\"\"\"")
        .trim_end_matches("'''");
    t.trim_matches(|c| c == '"' || c == '\'' || c == '`')
        .to_string()
}

/// True when the node is a literal constant (string, number, boolean, nil).
pub fn is_literal(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "string"
            | "number"
            | "integer"
            | "float"
            | "true"
            | "false"
            | "none"
            | "null"
            | "undefined"
            | "nil"
            | "int_literal"
            | "float_literal"
            | "interpreted_string_literal"
            | "raw_string_literal"
            | "rune_literal"
    ) || (node.kind() == "template_string" && !has_substitution(node))
}

/// True for a template string with `${...}` parts.
pub fn has_substitution(node: Node<'_>) -> bool {
    let mut c = node.walk();
    let found = node
        .named_children(&mut c)
        .any(|n| n.kind() == "template_substitution");
    found
}

/// Kinds that introduce a branch: code inside runs on some paths only.
pub fn is_branch(kind: &str) -> bool {
    matches!(
        kind,
        "if_statement"
            | "else_clause"
            | "elif_clause"
            | "switch_statement"
            | "switch_case"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "expression_case"
            | "type_case"
            | "default_case"
            | "communication_case"
            | "conditional_expression"
            | "ternary_expression"
            | "catch_clause"
            | "except_clause"
            | "case_clause"
            | "match_statement"
    )
}

/// Kinds of loops.
pub fn is_loop(kind: &str) -> bool {
    matches!(
        kind,
        "for_statement"
            | "for_in_statement"
            | "while_statement"
            | "do_statement"
            | "for_of_statement"
    )
}
