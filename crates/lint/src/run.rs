//! One lint run: collect files, read each (bounded), parse, run the rules, and turn hits into
//! findings. Files are linted in parallel; a file that cannot be used is a warning. A file in
//! which no enabled rule can match (see [`crate::prefilter`]) is read but not parsed.

use std::collections::HashMap;
use std::io::Read;

use rayon::prelude::*;

use crate::catalog;
use crate::check::Src;
use crate::engine;
use crate::error::LintError;
use crate::finding::{Finding, Warning};
use crate::gomod::GoMods;
use crate::lang::{Family, Language};
use crate::options::Options;
use crate::report::Report;
use crate::suppress::Suppressions;
use crate::syntax;
use crate::walk::{self, SourceFile};

/// Lint the files under `paths`. All findings are returned, whatever their severity: apply
/// evidence, then [`Report::retain_shown`].
pub fn lint(paths: &[std::path::PathBuf], opts: &Options) -> Result<Report, LintError> {
    let mut warnings = Vec::new();
    let mut files = walk::collect(paths, &opts.exclude, &mut warnings)?;
    // A language none of whose rules is selected (`--rule py`) is not read at all.
    let wanted: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|fam| {
            catalog::rules()
                .iter()
                .any(|r| r.family() == *fam && opts.enabled(r))
        })
        .collect();
    files.retain(|f| wanted.contains(&f.lang.family()));
    // Compile the rules of the languages present only (the TypeScript grammars' queries alone
    // cost more than parsing a small tree), side by side.
    let present: Vec<Language> = Language::ALL
        .into_iter()
        .filter(|l| files.iter().any(|f| f.lang == *l))
        .collect();
    present
        .par_iter()
        .try_for_each(|l| engine::compiled_for(*l, &|r| opts.enabled(r)).map(|_| ()))
        .map_err(LintError::Rules)?;
    let gomods = GoMods::default();
    let results: Vec<FileResult> = files
        .par_iter()
        .map(|f| lint_file(f, opts, &gomods))
        .collect();
    let mut report = Report {
        warnings,
        ..Report::default()
    };
    for r in results {
        report.files += usize::from(r.read);
        report.lines += r.lines;
        report.bytes += r.bytes;
        report.suppressed += r.suppressed;
        report.findings.extend(r.findings);
        report.warnings.extend(r.warnings);
    }
    report.sort();
    Ok(report)
}

#[derive(Default)]
struct FileResult {
    read: bool,
    lines: u64,
    bytes: u64,
    suppressed: usize,
    findings: Vec<Finding>,
    warnings: Vec<Warning>,
}

/// Longest line accepted before a file counts as minified or generated (characters), when
/// the file is also large.
const MINIFIED_LINE: usize = 5_000;
const MINIFIED_MIN_BYTES: usize = 64 * 1024;

fn lint_file(f: &SourceFile, opts: &Options, gomods: &GoMods) -> FileResult {
    let mut out = FileResult::default();
    let warn = |out: &mut FileResult, message: String| {
        out.warnings.push(Warning {
            path: f.path.clone(),
            message,
        })
    };
    let text = match read_bounded(&f.path, opts.max_file_bytes) {
        Ok(Some(t)) => t,
        Ok(None) => {
            warn(
                &mut out,
                format!(
                    "larger than {} bytes (max_file_bytes), probably generated; skipped",
                    opts.max_file_bytes
                ),
            );
            return out;
        }
        Err(e) => {
            warn(&mut out, format!("cannot be read: {e}; skipped"));
            return out;
        }
    };
    if text.iter().take(8192).any(|b| *b == 0) {
        warn(&mut out, "is a binary file; skipped".into());
        return out;
    }
    if text.len() >= MINIFIED_MIN_BYTES {
        let longest = text
            .split(|b| *b == b'\n')
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        if longest > MINIFIED_LINE {
            warn(
                &mut out,
                format!("looks minified or generated (a line of {longest} bytes); skipped"),
            );
            return out;
        }
    }
    let go_version = if f.lang.family() == Family::Go {
        gomods.version_for(&f.path)
    } else {
        None
    };
    let checked = check_text(&f.display, f.lang, &text, go_version, opts);
    out.read = checked.parsed || checked.unmatchable;
    if out.read {
        out.bytes = text.len() as u64;
        out.lines = text.iter().filter(|b| **b == b'\n').count() as u64
            + u64::from(!text.is_empty() && !text.ends_with(b"\n"));
    }
    out.suppressed = checked.suppressed;
    out.findings = checked.findings;
    for message in checked.problems {
        warn(&mut out, message);
    }
    out
}

/// What checking one text gave.
#[derive(Debug, Default)]
pub struct Checked {
    /// True when the text was parsed (possibly with syntax errors).
    pub parsed: bool,
    /// True when no enabled rule could match the text (it has none of the literals they need),
    /// so it was not parsed.
    pub unmatchable: bool,
    /// Findings of every severity.
    pub findings: Vec<Finding>,
    /// Findings silenced by comments.
    pub suppressed: usize,
    /// Problems with the text, one sentence each (syntax errors, parser failures).
    pub problems: Vec<String>,
}

/// Check one source text named `display`, written in `lang` (for Go, built with
/// `go_version`), with the rules `opts` enables.
pub fn check_text(
    display: &str,
    lang: Language,
    text: &[u8],
    go_version: Option<(u32, u32)>,
    opts: &Options,
) -> Checked {
    let mut out = Checked::default();
    if !catalog::rules_of(lang.family()).any(|r| opts.enabled(r)) {
        out.unmatchable = true;
        return out;
    }
    let compiled = match engine::compiled_for(lang, &|r| opts.enabled(r)) {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(format!("rules could not run: {e}"));
            return out;
        }
    };
    // Rules whose literals are all absent cannot match: skip them, and the parse when none is
    // left.
    let possible = if opts.parse_all {
        vec![true; catalog::rules().len()]
    } else {
        compiled.possible(text)
    };
    let enabled = |ri: usize, r: &catalog::Rule| {
        possible.get(ri).copied().unwrap_or(false) && opts.enabled(r)
    };
    if !catalog::rules()
        .iter()
        .enumerate()
        .any(|(ri, r)| r.family() == lang.family() && enabled(ri, r))
    {
        out.unmatchable = true;
        return out;
    }
    let tree = match engine::parse(lang, text) {
        Ok(t) => t,
        Err(e) => {
            out.problems.push(format!("cannot be parsed: {e}; skipped"));
            return out;
        }
    };
    out.parsed = true;
    let root = tree.root_node();
    if let Some(line) = engine::first_error_line(root) {
        out.problems.push(format!(
            "has a syntax error at line {line}; the rest of the file was checked"
        ));
    }
    let src = Src {
        text,
        lang,
        root,
        go_version,
    };
    let hits = match engine::run(compiled, &src, &enabled) {
        Ok(h) => h,
        Err(e) => {
            out.problems.push(format!("rules could not run: {e}"));
            return out;
        }
    };
    let suppressions = Suppressions::scan(text);
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let mut occurrences: HashMap<u64, usize> = HashMap::new();
    for rh in hits {
        let hit = rh.hit;
        let start = hit.node.start_position();
        let end = hit.node.end_position();
        let line = start.row + 1;
        if suppressions.covers(&rh.rule.id, line) {
            out.suppressed += 1;
            continue;
        }
        let (message, fix) = texts(rh.rule, &hit);
        let line_text = lines.get(start.row).copied().unwrap_or(b"");
        let hash = fnv1a(rh.rule.id.as_bytes(), line_text);
        let n = occurrences.entry(hash).or_insert(0);
        *n += 1;
        out.findings.push(Finding {
            rule: rh.rule.id.clone(),
            file: display.to_string(),
            line,
            column: char_column(line_text, start.column) + 1,
            end_line: end.row + 1,
            end_column: char_column(lines.get(end.row).copied().unwrap_or(b""), end.column) + 1,
            severity: opts.severity(rh.rule, rh.severity),
            message,
            fix,
            language: lang.name(),
            item: rh.rule.item.clone(),
            precision: rh.rule.precision,
            subject: hit.subject.clone(),
            function_lines: hit.scope.map(|s| [syntax::line(s), syntax::end_line(s)]),
            related_lines: hit.related.clone(),
            confirmed: false,
            evidence: None,
            fingerprint: format!("{hash:016x}:{n}"),
        });
    }
    out
}

fn texts(rule: &catalog::Rule, hit: &crate::check::Hit<'_>) -> (String, String) {
    let variant = hit.variant.and_then(|v| rule.variants.get(v));
    let message = variant.map_or(rule.message.as_str(), |v| v.message.as_str());
    let fix = variant
        .and_then(|v| v.fix.as_deref())
        .unwrap_or(rule.fix.as_str());
    (
        catalog::fill(message, &hit.vars),
        catalog::fill(fix, &hit.vars),
    )
}

/// Read at most `max` bytes; `None` when the file is larger.
fn read_bounded(path: &std::path::Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > max {
        return Ok(None);
    }
    let mut buf = Vec::new();
    file.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Ok(None);
    }
    Ok(Some(buf))
}

/// The character column of a byte column on a line.
fn char_column(line: &[u8], byte_col: usize) -> usize {
    String::from_utf8_lossy(&line[..byte_col.min(line.len())])
        .chars()
        .count()
}

/// FNV-1a over the rule id and the line with its whitespace collapsed: the same line keeps
/// its fingerprint when code above it moves.
fn fnv1a(rule: &[u8], line: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    rule.iter().copied().for_each(&mut eat);
    eat(0);
    let mut space = false;
    for &b in line.iter().skip_while(|b| b.is_ascii_whitespace()) {
        if b.is_ascii_whitespace() {
            space = true;
            continue;
        }
        if space {
            eat(b' ');
            space = false;
        }
        eat(b);
    }
    h
}
