//! Unbounded queries: a SQL `SELECT` string with no LIMIT (`sql`), and a Django queryset
//! iterated or listed whole instead of in chunks (`django-queryset`).

use super::{Hit, Match, Src};
use crate::context::{classify, CallSite};
use crate::syntax::{self, norm};

/// Callees that run SQL: lower-case `select` strings count only when passed to one.
const RUNS_SQL: &[&str] = &[
    "execute",
    "executemany",
    "query",
    "raw",
    "exec",
    "prepare",
    "Query",
    "QueryContext",
    "QueryRow",
    "QueryRowContext",
    "Exec",
    "ExecContext",
    "Prepare",
    "PrepareContext",
    "Select",
    "Get",
    "all",
    "each",
    "run",
    "get",
    "fetch",
    "fetchall",
    "read_sql",
    "read_sql_query",
    "text",
];

/// What a SQL text says about its size.
#[derive(Debug, PartialEq, Eq)]
pub struct Sql {
    /// Has LIMIT, TOP, FETCH FIRST/NEXT, ROWNUM or OFFSET ... ROWS.
    pub limited: bool,
    /// Has a WHERE clause.
    pub filtered: bool,
    /// Selects only aggregates (one row).
    pub aggregate: bool,
}

/// Read a string as a SELECT statement, if it is one.
pub fn parse_select(content: &str, strict_case: bool) -> Option<Sql> {
    let trimmed = content.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let head = trimmed.get(..7)?;
    if strict_case && !head.starts_with("SELECT") {
        return None;
    }
    if !head.eq_ignore_ascii_case("select ") && !head[..6].eq_ignore_ascii_case("select") {
        return None;
    }
    if !trimmed[6..].starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let lower: String = trimmed
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let from = lower.find(" from ")?;
    let after = &lower[from + 6..];
    let table = after.split([' ', ',', ')', ';']).next().unwrap_or("");
    if table.is_empty()
        || !table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.\"`[]${}%?:".contains(c))
    {
        return None;
    }
    let word = |w: &str| lower.contains(&format!(" {w} ")) || lower.ends_with(&format!(" {w}"));
    let limited = word("limit")
        || word("top")
        || lower.contains("fetch first")
        || lower.contains("fetch next")
        || word("rownum")
        || (word("offset") && lower.contains(" rows"));
    let filtered = word("where");
    let list = &lower[6..from];
    let aggregate = !word("group") && {
        let items: Vec<&str> = list.split(',').map(str::trim).collect();
        !items.is_empty()
            && items.iter().all(|i| {
                ["count(", "sum(", "min(", "max(", "avg(", "exists(", "1"]
                    .iter()
                    .any(|a| i.starts_with(a))
            })
    };
    Some(Sql {
        limited,
        filtered,
        aggregate,
    })
}

/// Run `sql` on one match (`@match` a string literal).
pub fn run<'t>(src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let fam = src.family();
    let t = src.text;
    let node = m.node;
    // Most strings are not SQL: look at the text first, the parent (a walk down from the root
    // in tree-sitter) only for those that may be.
    let content = syntax::string_content(node, t);
    if content.len() < 14
        || !content
            .as_bytes()
            .windows(6)
            .any(|w| w.eq_ignore_ascii_case(b"select"))
    {
        return Vec::new();
    }
    // Docstrings and bare strings are prose, not queries.
    if node
        .parent()
        .is_some_and(|p| p.kind() == "expression_statement")
    {
        return Vec::new();
    }
    let passed_to_sql = passed_to_sql_call(node, t);
    let Some(sql) = parse_select(&content, !passed_to_sql) else {
        return Vec::new();
    };
    if sql.limited || sql.aggregate {
        return Vec::new();
    }
    let site = classify(fam, node, t);
    let strong = site == CallSite::RequestPath && !sql.filtered;
    let func = syntax::enclosing_function(fam, node);
    let shown: String = content.split_whitespace().collect::<Vec<_>>().join(" ");
    let shown = if shown.chars().count() > 60 {
        format!("{}…", shown.chars().take(60).collect::<String>())
    } else {
        shown
    };
    vec![Hit::at(node)
        .var("sql", shown)
        .scope(func)
        .weak_if(!strong)
        .variant_if(sql.filtered, "filtered")]
}

fn passed_to_sql_call(node: tree_sitter::Node<'_>, t: &[u8]) -> bool {
    let mut cur = node.parent();
    for _ in 0..3 {
        let Some(n) = cur else { return false };
        if matches!(n.kind(), "call_expression" | "call") {
            return syntax::callee(n).is_some_and(|c| {
                let c = norm(c, t);
                let last = c.rsplit('.').next().unwrap_or("");
                RUNS_SQL.contains(&last)
            });
        }
        cur = n.parent();
    }
    false
}

const QUERYSET_METHODS: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "distinct",
    "values",
    "values_list",
    "defer",
    "only",
    "using",
    "reverse",
    "extra",
];

/// Run `django-queryset` on one match (`@iter` the iterated expression, `@match` the loop or
/// `list(...)` call).
pub fn django<'t>(src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
    let fam = src.family();
    let t = src.text;
    let Some(iter) = m.get("iter") else {
        return Vec::new();
    };
    let text = norm(iter, t);
    // `objects` as written, not only once whitespace is gone: the rule's `needs` promises it.
    let Some(at) = text
        .find(".objects.")
        .filter(|_| syntax::text(iter, t).contains("objects"))
    else {
        return Vec::new();
    };
    let chain = &text[at + ".objects.".len()..];
    if chain.contains(".iterator(") || chain.contains('[') || !text.ends_with(')') {
        return Vec::new();
    }
    let methods: Vec<&str> = chain
        .split('.')
        .filter_map(|seg| seg.split_once('(').map(|(name, _)| name))
        .collect();
    if methods.is_empty() || !methods.iter().all(|m| QUERYSET_METHODS.contains(m)) {
        return Vec::new();
    }
    let model = text[..at]
        .rsplit(['.', '(', ' '])
        .next()
        .unwrap_or("")
        .to_string();
    let site = classify(fam, m.node, t);
    let func = syntax::enclosing_function(fam, m.node);
    vec![Hit::at(m.node)
        .var("queryset", text.clone())
        .var("model", model)
        .scope(func)
        .weak_if(!site.repeats())]
}

impl<'t> Hit<'t> {
    /// Use `variant` when `cond`.
    pub fn variant_if(self, cond: bool, variant: &'static str) -> Self {
        if cond {
            self.variant(variant)
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_are_read() {
        let s = parse_select("SELECT * FROM users", true).expect("a select");
        assert!(!s.limited && !s.filtered && !s.aggregate);
        let s =
            parse_select("  SELECT id FROM users WHERE id = $1 LIMIT 10", true).expect("a select");
        assert!(s.limited && s.filtered);
        assert!(
            parse_select("SELECT count(*) FROM users", true)
                .expect("a select")
                .aggregate
        );
        assert!(
            !parse_select("SELECT kind, count(*) FROM t GROUP BY kind", true)
                .expect("a select")
                .aggregate
        );
        assert!(parse_select("Select the rows from the table", true).is_none());
        assert!(parse_select("select a from b", true).is_none());
        assert!(parse_select("select a from b", false).is_some());
        assert!(parse_select("SELECTED items", true).is_none());
        assert!(
            parse_select(
                "SELECT a FROM t ORDER BY a OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY",
                true
            )
            .expect("a select")
            .limited
        );
    }
}
