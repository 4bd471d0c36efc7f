//! The rules as data: `rules/{js,py,go}.toml`, embedded at build time. Each rule names its
//! checklist item, severity, precision, texts, a tree-sitter query that finds candidates and
//! the check (in Rust) that decides what the query cannot say.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::{Precision, Severity};
use crate::lang::Family;

/// One rule of the catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `FAMILY/NAME`, e.g. `js/listener-not-removed`. Stable: SARIF alerts are tracked by it.
    pub id: String,
    /// The checklist item: `cache`, `listener`, `query`, `background`, `closure`, `pool`,
    /// `close`, `timer`.
    pub item: String,
    /// Severity of a full-strength finding (a check may lower one finding to `note`).
    pub severity: Severity,
    /// How often its findings are real leaks.
    pub precision: Precision,
    /// CWE number, for SARIF tags.
    #[serde(default)]
    pub cwe: Option<u32>,
    /// SARIF `security-severity` (0-10), for rules whose growth requests can drive.
    #[serde(default)]
    pub security_severity: Option<f64>,
    /// One line: what the rule finds (SARIF `shortDescription`).
    pub summary: String,
    /// A paragraph: why it leaks and what the rule does not flag (SARIF `fullDescription`).
    pub description: String,
    /// The finding's message; `{name}` placeholders are filled by the check.
    pub message: String,
    /// What to change; placeholders as in `message`.
    pub fix: String,
    /// Messages for particular cases a check reports (key: the case).
    #[serde(default)]
    pub variants: BTreeMap<String, Variant>,
    /// The Rust check that decides: `report`, `unreleased`, `unbounded-collection`,
    /// `listener`, `timer-uncleared`, `timer-closure`, `sql`, `django-queryset`,
    /// `thread-no-exit`, `goroutine-blocked`.
    pub check: String,
    /// The check's parameters.
    #[serde(default)]
    pub params: toml::Table,
    /// Literals (any ASCII case) one of which the check needs in a file's text for the rule to
    /// find anything there (a SQL rule: `select`). A file with none of them is not checked
    /// for this rule. When absent, they are derived from the query's text predicates.
    #[serde(default)]
    pub needs: Option<Vec<String>>,
    /// The tree-sitter query (the match to check is captured `@match`).
    pub query: String,
    /// More patterns for the JavaScript grammar only (its parameter nodes differ from TS's).
    #[serde(default)]
    pub query_js: Option<String>,
    /// More patterns for the TypeScript and TSX grammars only.
    #[serde(default)]
    pub query_ts: Option<String>,
    /// Positive and negative snippets, tested by the crate's tests.
    #[serde(default)]
    pub examples: Examples,
}

/// A message and fix for one case of a rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// The message for this case.
    pub message: String,
    /// The fix for this case (the rule's own when absent).
    #[serde(default)]
    pub fix: Option<String>,
}

/// Snippets a rule must flag (`leak`) and must not flag (`ok`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Each must yield at least one finding of this rule.
    #[serde(default)]
    pub leak: Vec<String>,
    /// Each must yield no finding of this rule.
    #[serde(default)]
    pub ok: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    rule: Vec<Rule>,
}

const SOURCES: [(Family, &str); 3] = [
    (Family::Js, include_str!("../rules/js.toml")),
    (Family::Py, include_str!("../rules/py.toml")),
    (Family::Go, include_str!("../rules/go.toml")),
];

impl Rule {
    /// The family from the id's prefix.
    pub fn family(&self) -> Family {
        self.id
            .split_once('/')
            .and_then(|(p, _)| Family::from_prefix(p))
            .unwrap_or(Family::Js)
    }

    /// The id without its family prefix (`listener-not-removed`).
    pub fn name(&self) -> &str {
        self.id.split_once('/').map_or(&self.id, |(_, n)| n)
    }
}

/// Every rule, in catalog order (js, py, go). The catalog is checked by the crate's tests; a
/// file that does not parse here is a build mistake, so it panics with the reason.
pub fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut all = Vec::new();
        for (family, text) in SOURCES {
            #[allow(clippy::panic)]
            let file: CatalogFile = toml::from_str(text).unwrap_or_else(|e| {
                panic!("rules/{}.toml is not a valid catalog: {e}", family.prefix())
            });
            all.extend(file.rule);
        }
        all
    })
}

/// The rules of one family.
pub fn rules_of(family: Family) -> impl Iterator<Item = &'static Rule> {
    rules().iter().filter(move |r| r.family() == family)
}

/// Fill `{key}` placeholders of `template` from `vars`; unknown ones stay as written.
pub fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end)
                if after[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                let key = &after[..end];
                match vars.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_loads_with_unique_ids_and_known_fields() {
        let rules = rules();
        assert!(rules.len() >= 20, "{} rules", rules.len());
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule ids");
        for r in rules {
            let (prefix, name) = r.id.split_once('/').expect("id has a family prefix");
            assert!(Family::from_prefix(prefix).is_some(), "{}", r.id);
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.id
            );
            assert!(
                [
                    "cache",
                    "listener",
                    "query",
                    "background",
                    "closure",
                    "pool",
                    "close",
                    "timer"
                ]
                .contains(&r.item.as_str()),
                "{}: item {}",
                r.id,
                r.item
            );
            assert!(!r.summary.is_empty() && r.summary.len() <= 1024, "{}", r.id);
            assert!(
                !r.description.is_empty() && r.description.len() <= 1024,
                "{}",
                r.id
            );
            assert!(!r.examples.leak.is_empty(), "{} has no leak example", r.id);
            assert!(!r.examples.ok.is_empty(), "{} has no ok example", r.id);
        }
    }

    #[test]
    fn placeholders_fill_and_unknown_ones_stay() {
        let v = [("name", "cache".to_string())];
        assert_eq!(fill("`{name}` grows {x} {", &v), "`cache` grows {x} {");
        assert_eq!(fill("{ a: 1 }", &v), "{ a: 1 }");
    }
}
