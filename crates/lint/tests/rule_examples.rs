//! Every rule's own examples: each `leak` snippet yields a finding of that rule at the rule's
//! severity or above, each `ok` snippet none at the default threshold (warning) — the same
//! threshold the false-positive benchmark counts at. Snippets run in every grammar of the
//! family whose syntax they use (JS snippets also as TypeScript where they parse as it).

use leakscope_lint::catalog::{self, Rule};
use leakscope_lint::lang::{Family, Language};
use leakscope_lint::run::check_text;
use leakscope_lint::{Options, Severity};

fn findings(rule: &Rule, lang: Language, text: &str, min: Severity) -> (Vec<String>, bool) {
    let opts = Options::default();
    let checked = check_text("snippet", lang, text.as_bytes(), Some((1, 19)), &opts);
    let clean = checked.problems.is_empty();
    let mine = checked
        .findings
        .iter()
        .filter(|f| f.rule == rule.id && f.severity >= min)
        .map(|f| format!("{}:{} {}", f.line, f.severity.as_str(), f.message))
        .collect();
    (mine, clean)
}

fn langs(rule: &Rule, text: &str) -> Vec<Language> {
    match rule.family() {
        Family::Py => vec![Language::Python],
        Family::Go => vec![Language::Go],
        Family::Js => {
            let mut v = vec![Language::JavaScript];
            // TypeScript-only syntax parses as TS; JSX as TSX; plain JS as both.
            let checked = check_text(
                "s",
                Language::TypeScript,
                text.as_bytes(),
                None,
                &Options::default(),
            );
            if checked.problems.is_empty() {
                v.push(Language::TypeScript);
            } else {
                let tsx = check_text(
                    "s",
                    Language::Tsx,
                    text.as_bytes(),
                    None,
                    &Options::default(),
                );
                if tsx.problems.is_empty() {
                    v.push(Language::Tsx);
                }
            }
            let js = check_text(
                "s",
                Language::JavaScript,
                text.as_bytes(),
                None,
                &Options::default(),
            );
            if !js.problems.is_empty() {
                v.retain(|l| *l != Language::JavaScript);
            }
            v
        }
    }
}

#[test]
fn every_rule_flags_its_leaks_and_passes_its_fixes() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for rule in catalog::rules() {
        for text in &rule.examples.leak {
            let ls = langs(rule, text);
            if ls.is_empty() {
                failures.push(format!(
                    "{}: a leak example parses in no grammar:\n{text}",
                    rule.id
                ));
            }
            for lang in ls {
                runs += 1;
                let (found, _) = findings(rule, lang, text, rule.severity);
                if found.is_empty() {
                    failures.push(format!(
                        "{} ({}): missed a leak:\n{text}",
                        rule.id,
                        lang.name()
                    ));
                }
            }
        }
        for text in &rule.examples.ok {
            let ls = langs(rule, text);
            if ls.is_empty() {
                failures.push(format!(
                    "{}: an ok example parses in no grammar:\n{text}",
                    rule.id
                ));
            }
            for lang in ls {
                runs += 1;
                let (found, _) = findings(rule, lang, text, Severity::Warning);
                if !found.is_empty() {
                    failures.push(format!(
                        "{} ({}): flagged a fix: {found:?}\n{text}",
                        rule.id,
                        lang.name()
                    ));
                }
            }
        }
    }
    assert!(runs > 100, "only {runs} example runs");
    assert!(
        failures.is_empty(),
        "{} failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_rule_compiles_for_every_grammar_of_its_family() {
    for lang in Language::ALL {
        leakscope_lint::engine::compiled(lang).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Every prefix of every example (cut at each line and mid-line), in every grammar of its
/// family: tree-sitter's error recovery builds odd trees, and no check may panic on them or
/// name a line the text does not have. The `lint_source` fuzz target does the same on
/// arbitrary bytes. The prefilter changes nothing: parsing every file and running every rule
/// gives the same findings.
#[test]
fn truncated_examples_never_panic_and_name_real_lines() {
    let opts = Options {
        min_severity: Severity::Note,
        ..Options::default()
    };
    let all = Options {
        parse_all: true,
        ..opts.clone()
    };
    let mut runs = 0;
    for rule in catalog::rules() {
        let grammars: &[Language] = match rule.family() {
            Family::Py => &[Language::Python],
            Family::Go => &[Language::Go],
            Family::Js => &[Language::JavaScript, Language::TypeScript, Language::Tsx],
        };
        let examples = rule.examples.leak.iter().chain(rule.examples.ok.iter());
        for text in examples {
            let cuts = text
                .char_indices()
                .filter(|(i, c)| *c == '\n' || i % 7 == 3)
                .map(|(i, _)| i);
            for cut in cuts {
                let part = &text[..cut];
                let lines = part.split('\n').count();
                for lang in grammars {
                    let checked = check_text("cut", *lang, part.as_bytes(), Some((1, 19)), &opts);
                    let parsed = check_text("cut", *lang, part.as_bytes(), Some((1, 19)), &all);
                    assert_eq!(checked.findings, parsed.findings, "{}: {part}", rule.id);
                    for f in &checked.findings {
                        assert!(
                            f.line >= 1 && f.line <= lines,
                            "{}: line {} of {lines} in\n{part}",
                            f.rule,
                            f.line
                        );
                    }
                    runs += 1;
                }
            }
        }
    }
    assert!(runs > 1000, "{runs}");
}

/// Each rule's prefilter lets its own leak examples through, and every rule whose query has a
/// literal-bearing predicate on each pattern (or that declares `needs`) gets one: the rules
/// that are always run are exactly the ones whose queries cannot say a literal.
#[test]
fn prefilter_lets_every_example_through_and_derives_literals() {
    use leakscope_lint::prefilter::Needs;
    let mut always = Vec::new();
    for lang in Language::ALL {
        let compiled = leakscope_lint::engine::compiled(lang).unwrap_or_else(|e| panic!("{e}"));
        for (ri, needs) in compiled.needs() {
            let rule = &catalog::rules()[*ri];
            if *needs == Needs::Always {
                always.push(rule.id.clone());
            }
            for text in &rule.examples.leak {
                assert!(
                    compiled.possible(text.as_bytes())[*ri],
                    "{} ({}): {needs:?} rejects\n{text}",
                    rule.id,
                    lang.name()
                );
            }
        }
        // A text with no literal at all lets through only the rules always run.
        let none = compiled.possible(b"");
        for (ri, needs) in compiled.needs() {
            assert_eq!(
                none[*ri],
                *needs == Needs::Always,
                "{}",
                catalog::rules()[*ri].id
            );
        }
    }
    always.sort();
    always.dedup();
    assert_eq!(
        always,
        [
            "go/goroutine-blocked",
            "go/unbounded-cache",
            "js/unbounded-cache",
            "py/unbounded-cache",
        ],
        "rules always run"
    );
}
