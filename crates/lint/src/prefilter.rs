//! Which rules could match a file, from its text alone (as semgrep does): each rule needs one
//! of a few literals to be in the file, or it cannot match there. A file in which no enabled
//! rule can match is not parsed; in a parsed file, the rules that cannot match are not checked.
//!
//! The literals are derived from the rule's query, so rules stay data: a pattern matches only
//! when all its text predicates hold, and `(#eq? @c "x")`, `(#any-of? @c "x" "y")` and
//! `(#match? @c "re")` on a capture present in every match of the pattern need their literal
//! (or one literal every match of `re` contains) in the captured node's text, which is part
//! of the file. A rule whose check needs a literal its query cannot say (a SQL `select` in any
//! string) declares it as `needs`, matched in any ASCII case. A rule with a pattern that has
//! neither is always run, and a file of its language always parsed.

use aho_corasick::AhoCorasick;
use regex_syntax::hir::{Class, Hir, HirKind};

/// The literals, one of which a rule needs in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needs {
    /// Always run (no literal is known to be needed).
    Always,
    /// One of these, exactly as written.
    Exact(Vec<String>),
    /// One of these, in any ASCII case.
    AnyCase(Vec<String>),
}

/// The literals of every rule of one language, compiled into two automata (one per case
/// sensitivity), for one pass over each file.
#[derive(Debug)]
pub struct Prefilter {
    /// Literals matched exactly as written.
    exact: Option<Automaton>,
    /// Literals matched in any ASCII case.
    any_case: Option<Automaton>,
    /// Rules always run.
    always: Vec<usize>,
}

impl Prefilter {
    /// Build from each rule's needs (`(catalog index, needs)`).
    pub fn new(needs: &[(usize, Needs)]) -> Result<Prefilter, String> {
        let mut always = Vec::new();
        let mut exact: Vec<(String, usize)> = Vec::new();
        let mut any_case: Vec<(String, usize)> = Vec::new();
        for (rule, n) in needs {
            match n {
                Needs::Always => always.push(*rule),
                Needs::Exact(lits) => exact.extend(lits.iter().map(|l| (l.clone(), *rule))),
                Needs::AnyCase(lits) => any_case.extend(lits.iter().map(|l| (l.clone(), *rule))),
            }
        }
        Ok(Prefilter {
            exact: automaton(exact, false)?,
            any_case: automaton(any_case, true)?,
            always,
        })
    }

    /// Set `possible[rule]` for every rule that could match in `text`.
    pub fn possible(&self, text: &[u8], possible: &mut [bool]) {
        for &r in &self.always {
            if let Some(p) = possible.get_mut(r) {
                *p = true;
            }
        }
        for (ac, rules) in [&self.exact, &self.any_case].into_iter().flatten() {
            // Overlapping, so that a literal inside another one is seen too.
            for m in ac.find_overlapping_iter(text) {
                for &r in &rules[m.pattern().as_usize()] {
                    if let Some(p) = possible.get_mut(r) {
                        *p = true;
                    }
                }
            }
        }
    }
}

/// An automaton over distinct literals and, for each literal, the rules (catalog indexes) it
/// lets through.
type Automaton = (AhoCorasick, Vec<Vec<usize>>);

/// One automaton over the distinct literals, each with the rules it lets through.
fn automaton(lits: Vec<(String, usize)>, any_case: bool) -> Result<Option<Automaton>, String> {
    let mut words: Vec<String> = Vec::new();
    let mut rules: Vec<Vec<usize>> = Vec::new();
    for (lit, rule) in lits {
        let key = if any_case {
            lit.to_ascii_lowercase()
        } else {
            lit
        };
        match words.iter().position(|w| *w == key) {
            Some(i) => rules[i].push(rule),
            None => {
                words.push(key);
                rules.push(vec![rule]);
            }
        }
    }
    if words.is_empty() {
        return Ok(None);
    }
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(any_case)
        .build(&words)
        .map_err(|e| format!("the prefilter does not build: {e}"))?;
    Ok(Some((ac, rules)))
}

/// The literals one match of a pattern needs, from the text predicates in `pattern` (the
/// pattern's query source). `always_captured(name)` tells whether capture `@name` holds a node
/// in every match of the pattern (a predicate on an optional capture holds vacuously when it
/// is absent, so it says nothing). `None` when no predicate needs a literal.
pub fn pattern_literals(
    pattern: &str,
    always_captured: &dyn Fn(&str) -> bool,
) -> Option<Vec<String>> {
    let mut best: Option<Vec<String>> = None;
    for pred in predicates(pattern) {
        let [op, args @ ..] = pred.as_slice() else {
            continue;
        };
        let (Some(Token::Capture(cap)), rest) = (args.first(), args.get(1..).unwrap_or(&[])) else {
            continue;
        };
        if !always_captured(cap) {
            continue;
        }
        let strings: Vec<&str> = rest
            .iter()
            .filter_map(|t| match t {
                Token::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        // Only positive predicates whose arguments are all strings.
        if strings.len() != rest.len() || strings.is_empty() {
            continue;
        }
        let set = match op {
            Token::Op(o) if o == "eq?" && strings.len() == 1 => Some(vec![strings[0].to_string()]),
            Token::Op(o) if o == "any-of?" => Some(strings.iter().map(|s| s.to_string()).collect()),
            Token::Op(o) if o == "match?" && strings.len() == 1 => regex_literals(strings[0]),
            _ => None,
        };
        if let Some(mut set) = set.filter(|s| s.iter().all(|l| !l.is_empty())) {
            set.sort();
            set.dedup();
            if best.as_ref().is_none_or(|b| score(&set) > score(b)) {
                best = Some(set);
            }
        }
    }
    best
}

/// How selective a literal set is: its shortest literal's length, then fewer literals.
fn score(set: &[String]) -> (usize, std::cmp::Reverse<usize>) {
    (
        set.iter().map(String::len).min().unwrap_or(0),
        std::cmp::Reverse(set.len()),
    )
}

/// Literals one of which every match of the regular expression `re` contains; `None` when
/// there is no such set (or `re` does not parse, which the query compiler reports anyway).
pub fn regex_literals(re: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::Parser::new().parse(re).ok()?;
    let set = required(&hir)?;
    let set: Vec<String> = set
        .into_iter()
        .map(|b| String::from_utf8(b).ok())
        .collect::<Option<_>>()?;
    let mut set = set;
    set.sort();
    set.dedup();
    Some(set)
}

/// Most characters a class may have to be spelled out.
const MAX_CLASS: usize = 8;

/// Most strings a finite part of a regular expression may match before it counts as open-ended.
const MAX_EXACT: usize = 64;

/// Every string `h` matches, when that is a short finite list (`^`, `$` and `\b` match the
/// empty string).
fn exact(h: &Hir) -> Option<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        // A small class (`[Hh]`) is its characters.
        HirKind::Class(Class::Unicode(c)) => {
            let n: usize = c
                .ranges()
                .iter()
                .map(|r| r.end() as usize - r.start() as usize + 1)
                .sum();
            (n <= MAX_CLASS).then(|| {
                c.ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|ch| ch.to_string().into_bytes())
                    .collect()
            })
        }
        HirKind::Class(Class::Bytes(c)) => {
            let n: usize = c
                .ranges()
                .iter()
                .map(|r| usize::from(r.end()) - usize::from(r.start()) + 1)
                .sum();
            (n <= MAX_CLASS).then(|| {
                c.ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|b| vec![b])
                    .collect()
            })
        }
        HirKind::Capture(c) => exact(&c.sub),
        HirKind::Repetition(r) if r.min == 0 && r.max == Some(1) => {
            let mut set = exact(&r.sub)?;
            set.push(Vec::new());
            Some(set)
        }
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for s in subs {
                all.extend(exact(s)?);
            }
            (all.len() <= MAX_EXACT).then_some(all)
        }
        HirKind::Concat(subs) => subs
            .iter()
            .try_fold(vec![Vec::new()], |acc, s| cross(&acc, &exact(s)?)),
        _ => None,
    }
}

/// Each string of `a` followed by each of `b`, when there are few enough.
fn cross(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_EXACT {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat()))
            .collect(),
    )
}

/// A set of literals one of which every match of `h` contains (`None`: no such set known).
/// Runs of finite parts of a concatenation are joined (`@(functools\.)?(lru_cache|cache)`
/// needs `@lru_cache`, `@cache`, `@functools.lru_cache` or `@functools.cache`), and the
/// most selective candidate wins.
fn required(h: &Hir) -> Option<Vec<Vec<u8>>> {
    if let Some(set) = exact(h) {
        return useful(set);
    }
    match h.kind() {
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Concat(subs) => {
            let mut candidates: Vec<Vec<Vec<u8>>> = Vec::new();
            let mut run: Option<Vec<Vec<u8>>> = Some(vec![Vec::new()]);
            for s in subs {
                match exact(s) {
                    Some(set) => {
                        run = match run.take() {
                            Some(r) => cross(&r, &set).or_else(|| {
                                // Too many strings: keep what was joined so far, start over.
                                candidates.extend(useful(r));
                                Some(set)
                            }),
                            None => Some(set),
                        };
                    }
                    None => {
                        candidates.extend(run.take().and_then(useful));
                        candidates.extend(required(s));
                    }
                }
            }
            candidates.extend(run.and_then(useful));
            candidates.into_iter().max_by_key(|s| score_bytes(s))
        }
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for s in subs {
                all.extend(required(s)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// A literal set is useful when it has no empty string (which every text contains).
fn useful(set: Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
    (!set.is_empty() && set.iter().all(|l| !l.is_empty())).then_some(set)
}

fn score_bytes(set: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    (
        set.iter().map(Vec::len).min().unwrap_or(0),
        std::cmp::Reverse(set.len()),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `#name?` or `name?` (the operator of a predicate).
    Op(String),
    /// `@name`.
    Capture(String),
    /// A string, unescaped as the query compiler does.
    Str(String),
    /// Anything else (a nested list, a symbol).
    Other,
}

/// The predicates of a query text: each as its operator and arguments. Strings and comments
/// are skipped over so a parenthesis inside them does not count.
fn predicates(text: &str) -> Vec<Vec<Token>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string(b, i).0,
            b';' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if b.get(i + 1) == Some(&b'#') => {
                let (pred, end) = predicate(b, i + 1);
                out.push(pred);
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// Read one predicate from `#op?` to its closing parenthesis.
fn predicate(b: &[u8], mut i: usize) -> (Vec<Token>, usize) {
    let mut tokens = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == b')' {
            return (tokens, i + 1);
        }
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'"' {
            let (end, s) = skip_string(b, i);
            tokens.push(Token::Str(s));
            i = end;
        } else if c == b'(' {
            // A nested list is not a literal argument: skip it whole.
            let mut depth = 0;
            while i < b.len() {
                match b[i] {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    b'"' => {
                        i = skip_string(b, i).0;
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
            tokens.push(Token::Other);
        } else {
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'(' | b')' | b'"')
            {
                i += 1;
            }
            let word = String::from_utf8_lossy(&b[start..i]).into_owned();
            tokens.push(if let Some(op) = word.strip_prefix('#') {
                Token::Op(op.to_string())
            } else if let Some(cap) = word.strip_prefix('@') {
                Token::Capture(cap.to_string())
            } else {
                Token::Other
            });
        }
    }
    (tokens, i)
}

/// Skip the string starting at `b[i]` (a `"`): its end and its unescaped value (the query
/// language's escapes: `\n`, `\r`, `\t`, `\0`, and `\` before any other character).
fn skip_string(b: &[u8], mut i: usize) -> (usize, String) {
    let mut s = Vec::new();
    i += 1;
    while i < b.len() {
        match b[i] {
            b'"' => return (i + 1, String::from_utf8_lossy(&s).into_owned()),
            b'\\' if i + 1 < b.len() => {
                s.push(match b[i + 1] {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'0' => 0,
                    c => c,
                });
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    (i, String::from_utf8_lossy(&s).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn regex_literals_are_ones_every_match_contains() {
        assert_eq!(
            regex_literals(r"^(open|io\.open|gzip\.open)$"),
            lits(&["gzip.open", "io.open", "open"])
        );
        // The longer part of a concatenation wins over a one-character one.
        // Finite parts are joined: the longest literals every match holds.
        assert_eq!(
            regex_literals(r"^@(functools\.)?(lru_cache|cache)\b"),
            lits(&[
                "@cache",
                "@functools.cache",
                "@functools.lru_cache",
                "@lru_cache"
            ])
        );
        // An open-ended part splits the runs; the more selective side wins.
        assert_eq!(
            regex_literals(r"^([A-Za-z_.]*([Hh]ttp|HTTP)[A-Za-z_]*|client|c)\.(Do|Get)$"),
            lits(&[".Do", ".Get"])
        );
        assert_eq!(regex_literals(r"x[a-z]+yz"), lits(&["yz"]));
        assert_eq!(
            regex_literals(r"([Pp]ool\.(connect|acquire)|\.getConnection)$"),
            lits(&[
                ".getConnection",
                "Pool.acquire",
                "Pool.connect",
                "pool.acquire",
                "pool.connect"
            ])
        );
        assert_eq!(
            regex_literals(r"\.getConnection$"),
            lits(&[".getConnection"])
        );
        // An optional part or an alternative with no literal says nothing.
        assert_eq!(regex_literals(r"(abc)?"), None);
        assert_eq!(regex_literals(r"abc|\w+"), None);
        assert_eq!(regex_literals(r"\w+"), None);
        // Case-insensitive letters are spelled out while few enough.
        assert_eq!(regex_literals(r"(?i)ab"), lits(&["AB", "Ab", "aB", "ab"]));
        assert_eq!(regex_literals(r"(ab)+c"), lits(&["ab"]));
    }

    #[test]
    fn predicates_on_captures_in_every_match_give_literals() {
        let always = |_: &str| true;
        assert_eq!(
            pattern_literals(
                r#"(call function: (_) @f (#eq? @f "time.After")) @match"#,
                &always
            ),
            lits(&["time.After"])
        );
        assert_eq!(
            pattern_literals(
                r#"((x) @m (#any-of? @m "on" "addListener") (#match? @m "^(a\\.b|c)$"))"#,
                &always
            ),
            lits(&["addListener", "on"]),
        );
        // A string with a parenthesis and an escaped quote does not end the predicate early.
        assert_eq!(
            pattern_literals(r#"((x) @m (#match? @m "^f\\(\"xyz"))"#, &always),
            lits(&["f(\"xyz"])
        );
        // Negative predicates, capture-to-capture and optional captures say nothing.
        assert_eq!(
            pattern_literals(r#"((x) @m (#not-eq? @m "abc"))"#, &always),
            None
        );
        assert_eq!(
            pattern_literals(r#"((x) @m (y) @n (#eq? @m @n))"#, &always),
            None
        );
        assert_eq!(
            pattern_literals(r#"((x) @m (#eq? @m "abc"))"#, &|_| false),
            None
        );
        // A comment with a parenthesis is skipped.
        assert_eq!(
            pattern_literals("; (#eq? @m \"no\")\n((x) @m (#eq? @m \"yes\"))", &always),
            lits(&["yes"])
        );
    }

    #[test]
    fn possible_rules_are_those_with_a_literal_present_or_none_needed() {
        let p = Prefilter::new(&[
            (0, Needs::Always),
            (1, Needs::Exact(vec!["time.After".into()])),
            (2, Needs::AnyCase(vec!["select".into()])),
            (3, Needs::Exact(vec!["After".into(), "zzz".into()])),
        ])
        .expect("builds");
        let mut got = vec![false; 4];
        p.possible(b"x := <-time.After(d); q := \"SeLeCt a\"", &mut got);
        assert_eq!(got, [true, true, true, true]);
        let mut got = vec![false; 4];
        p.possible(b"time.after selec", &mut got);
        assert_eq!(got, [true, false, false, false]);
    }
}
