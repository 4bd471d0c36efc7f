//! Parsing one file and running the rules of its family on it: one combined tree-sitter
//! query per language (one pass over the tree), then each match's check.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

use streaming_iterator::StreamingIterator;
use tree_sitter::{CaptureQuantifier, Node, Parser, Query, QueryCursor};

use crate::catalog::{self, Rule};
use crate::check::{Check, Hit, Match, Src};
use crate::finding::Severity;
use crate::lang::Language;
use crate::prefilter::{self, Needs, Prefilter};
use crate::syntax;

/// The rules of one language, compiled.
pub struct Compiled {
    query: Query,
    /// For each pattern of `query`, the index of its rule in [`catalog::rules`].
    pattern_rule: Vec<usize>,
    /// The checks, by rule index (only this family's are `Some`).
    checks: Vec<Option<Check>>,
    /// Capture names, leaked once so matches can hold `&'static str`.
    names: Vec<&'static str>,
    /// What each rule needs in a file's text to possibly match there.
    needs: Vec<(usize, Needs)>,
    prefilter: Prefilter,
}

impl Compiled {
    /// What each rule of this language needs in a file to possibly match (catalog index).
    pub fn needs(&self) -> &[(usize, Needs)] {
        &self.needs
    }

    /// The rules (by catalog index) that could match in `text`: a rule whose literals are all
    /// absent cannot.
    pub fn possible(&self, text: &[u8]) -> Vec<bool> {
        let mut possible = vec![false; self.checks.len()];
        self.prefilter.possible(text, &mut possible);
        possible
    }
}

/// The tree-sitter grammar of a language.
pub fn grammar(lang: Language) -> tree_sitter::Language {
    match lang {
        Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        Language::Go => tree_sitter_go::LANGUAGE.into(),
    }
}

/// Compile the rules of `lang` (once per process).
pub fn compiled(lang: Language) -> Result<&'static Compiled, String> {
    static CELLS: [OnceLock<Result<Compiled, String>>; 5] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let i = Language::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    CELLS[i]
        .get_or_init(|| compile(lang, None))
        .as_ref()
        .map_err(Clone::clone)
}

/// Compile only the rules of `lang` that `enabled` selects, once per process and selection
/// (all of them: [`compiled`]). With two rules of nine, compiling the query and matching it
/// cost a fraction of the whole catalog's; a run has one selection, so little is kept.
pub fn compiled_for(
    lang: Language,
    enabled: &dyn Fn(&Rule) -> bool,
) -> Result<&'static Compiled, String> {
    type Selections = Vec<(Language, Vec<bool>, &'static Compiled)>;
    static SUBSETS: Mutex<Selections> = Mutex::new(Vec::new());
    let mask: Vec<bool> = catalog::rules()
        .iter()
        .map(|r| r.family() == lang.family() && enabled(r))
        .collect();
    if catalog::rules()
        .iter()
        .zip(&mask)
        .all(|(r, on)| *on || r.family() != lang.family())
    {
        return compiled(lang);
    }
    let mut subsets = SUBSETS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, c)) = subsets.iter().find(|(l, m, _)| *l == lang && *m == mask) {
        return Ok(c);
    }
    let c: &'static Compiled = Box::leak(Box::new(compile(lang, Some(&mask))?));
    subsets.push((lang, mask, c));
    Ok(c)
}

fn compile(lang: Language, only: Option<&[bool]>) -> Result<Compiled, String> {
    let g = grammar(lang);
    let rules = catalog::rules();
    let mut source = String::new();
    // Where each rule's text starts in `source`, in order: a pattern belongs to the last rule
    // starting at or before it.
    let mut starts: Vec<(usize, usize)> = Vec::new();
    let mut checks = vec![None; rules.len()];
    for (i, rule) in rules.iter().enumerate() {
        if rule.family() != lang.family() || only.is_some_and(|m| !m[i]) {
            continue;
        }
        starts.push((source.len(), i));
        source.push_str(&rule_text(rule, lang));
        source.push('\n');
        checks[i] = Some(Check::of(rule)?);
    }
    // Query analysis is most of a small run's time, so the rules are compiled once, together;
    // one by one only to name the rule when that fails.
    let query = match Query::new(&g, &source) {
        Ok(q) => q,
        Err(e) => {
            for &(_, i) in &starts {
                let rule = &rules[i];
                Query::new(&g, &rule_text(rule, lang)).map_err(|e| {
                    format!("rule {} does not compile for {}: {e}", rule.id, lang.name())
                })?;
            }
            return Err(format!(
                "the {} rules do not compile together: {e}",
                lang.name()
            ));
        }
    };
    let match_index = query.capture_index_for_name("match");
    let mut pattern_rule = Vec::with_capacity(query.pattern_count());
    let mut has_match = vec![false; rules.len()];
    for p in 0..query.pattern_count() {
        let at = query.start_byte_for_pattern(p);
        let Some(&(_, ri)) = starts.iter().rev().find(|(s, _)| *s <= at) else {
            return Err(format!("the {} rules lost a pattern", lang.name()));
        };
        pattern_rule.push(ri);
        if let Some(m) = match_index {
            has_match[ri] |= query.capture_quantifiers(p)[m as usize] != CaptureQuantifier::Zero;
        }
    }
    if let Some(&(_, ri)) = starts.iter().find(|(_, ri)| !has_match[*ri]) {
        return Err(format!("rule {} captures no @match", rules[ri].id));
    }
    let needs = rule_needs(&query, &source, &starts, &pattern_rule);
    let prefilter = Prefilter::new(&needs)?;
    let names = query
        .capture_names()
        .iter()
        .map(|n| &*Box::leak(n.to_string().into_boxed_str()))
        .collect();
    Ok(Compiled {
        query,
        pattern_rule,
        checks,
        names,
        needs,
        prefilter,
    })
}

/// What each rule needs in a file's text: its declared `needs` (any case), else one literal of
/// each of its patterns' (see [`prefilter`]), else nothing (always run).
fn rule_needs(
    query: &Query,
    source: &str,
    starts: &[(usize, usize)],
    pattern_rule: &[usize],
) -> Vec<(usize, Needs)> {
    let rules = catalog::rules();
    starts
        .iter()
        .map(|&(_, ri)| {
            let rule = &rules[ri];
            if let Some(declared) = rule
                .needs
                .as_ref()
                .filter(|d| !d.is_empty() && d.iter().all(|l| !l.is_empty()))
            {
                return (ri, Needs::AnyCase(declared.clone()));
            }
            let mut all: Vec<String> = Vec::new();
            for (p, _) in pattern_rule.iter().enumerate().filter(|(_, r)| **r == ri) {
                let text = source
                    .get(query.start_byte_for_pattern(p)..query.end_byte_for_pattern(p))
                    .unwrap_or("");
                let quantifiers = query.capture_quantifiers(p);
                let always = |name: &str| {
                    query.capture_index_for_name(name).is_some_and(|i| {
                        matches!(
                            quantifiers.get(i as usize),
                            Some(CaptureQuantifier::One | CaptureQuantifier::OneOrMore)
                        )
                    })
                };
                match prefilter::pattern_literals(text, &always) {
                    Some(lits) => all.extend(lits),
                    None => return (ri, Needs::Always),
                }
            }
            all.sort();
            all.dedup();
            if all.is_empty() {
                (ri, Needs::Always)
            } else {
                (ri, Needs::Exact(all))
            }
        })
        .collect()
}

/// A rule's query for one grammar: its patterns plus those for that grammar only.
fn rule_text(rule: &Rule, lang: Language) -> String {
    let mut text = rule.query.clone();
    let extra = match lang {
        Language::TypeScript | Language::Tsx => rule.query_ts.as_ref(),
        Language::JavaScript => rule.query_js.as_ref(),
        _ => None,
    };
    if let Some(extra) = extra {
        text.push('\n');
        text.push_str(extra);
    }
    text
}

/// A hit with its rule, ready to become a finding.
pub struct RuleHit<'t> {
    /// The rule.
    pub rule: &'static Rule,
    /// The hit.
    pub hit: Hit<'t>,
    /// Severity before configuration.
    pub severity: Severity,
}

thread_local! {
    static PARSERS: RefCell<Vec<(Language, Parser)>> = const { RefCell::new(Vec::new()) };
}

/// Parse `text` as `lang` with this thread's parser.
pub fn parse(lang: Language, text: &[u8]) -> Result<tree_sitter::Tree, String> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        if !parsers.iter().any(|(l, _)| *l == lang) {
            let mut p = Parser::new();
            p.set_language(&grammar(lang))
                .map_err(|e| format!("the {} grammar does not load: {e}", lang.name()))?;
            parsers.push((lang, p));
        }
        let parser = parsers
            .iter_mut()
            .find(|(l, _)| *l == lang)
            .map(|(_, p)| p)
            .ok_or_else(|| "no parser".to_string())?;
        parser
            .parse(text, None)
            .ok_or_else(|| "the parser gave up".to_string())
    })
}

/// The first line with a syntax error, if any.
pub fn first_error_line(root: Node<'_>) -> Option<usize> {
    if !root.has_error() {
        return None;
    }
    let mut line = None;
    syntax::walk(root, |n| {
        if line.is_none() && (n.is_error() || n.is_missing()) {
            line = Some(syntax::line(n));
        }
    });
    line.or(Some(1))
}

/// Run the `enabled` rules of `compiled` (the file's language's) over its tree (`enabled` is
/// given the rule's catalog index and the rule).
pub fn run<'t>(
    compiled: &Compiled,
    src: &Src<'t>,
    enabled: &dyn Fn(usize, &Rule) -> bool,
) -> Result<Vec<RuleHit<'t>>, String> {
    let rules = catalog::rules();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&compiled.query, src.root, src.text);
    let mut out = Vec::new();
    let mut seen: HashSet<(usize, usize, usize)> = HashSet::new();
    let match_index = compiled.query.capture_index_for_name("match");
    while let Some(qm) = matches.next() {
        let Some(&ri) = compiled.pattern_rule.get(qm.pattern_index) else {
            continue;
        };
        let rule = &rules[ri];
        if !enabled(ri, rule) {
            continue;
        }
        let Some(check) = compiled.checks[ri].as_ref() else {
            continue;
        };
        let Some(node) = qm
            .captures
            .iter()
            .find(|c| Some(c.index) == match_index)
            .map(|c| c.node)
        else {
            continue;
        };
        // Each node is checked once per rule, however many patterns matched it.
        if !seen.insert((ri, node.start_byte(), node.end_byte())) {
            continue;
        }
        let m = Match {
            node,
            captures: qm
                .captures
                .iter()
                .map(|c| (compiled.names[c.index as usize], c.node))
                .collect(),
        };
        for hit in check.run(src, &m) {
            if hit.node.has_error() {
                continue;
            }
            let severity = if hit.weak {
                Severity::Note
            } else {
                rule.severity
            };
            out.push(RuleHit {
                rule,
                hit,
                severity,
            });
        }
    }
    Ok(out)
}
