//! Runtime evidence: a heap diff (`leakscope heap diff --format json`: pprof, tracemalloc,
//! goroutine or V8 suspects) marks the findings whose code is also growing at run time as
//! confirmed, and ranks them first. A static finding plus a growing allocation site is the
//! strongest signal a reviewer can get.
//!
//! A suspect confirms a finding when its location or a frame of its stack is in the
//! finding's file and on its lines (`line`) or inside its function (`function`); V8 suspects
//! carry no source location, so a V8 holder or captured variable confirms the JavaScript
//! findings about an identifier of that name (`name`).

use std::path::{Component, Path};

use leakscope_heap::HeapReport;

use crate::error::LintError;
use crate::finding::{Evidence, Finding, Severity};
use crate::report::Report;

/// One growing thing from a heap diff.
#[derive(Debug, Clone)]
pub struct Growth {
    source: String,
    format: String,
    pattern: String,
    name: String,
    location: Option<String>,
    /// Source places: the suspect's location, then its stack.
    places: Vec<(String, usize)>,
    /// Identifiers it is known by (V8 holders and captured variables).
    names: Vec<String>,
    size_delta: i64,
    count_delta: i64,
}

/// Largest evidence file read (bytes): heap diffs are kilobytes to a few megabytes.
const MAX_EVIDENCE_BYTES: u64 = 64 * 1024 * 1024;

/// Read the growing suspects of a heap diff JSON file.
pub fn read(path: &Path) -> Result<Vec<Growth>, LintError> {
    let bad = |message: String| LintError::Evidence {
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if meta.len() > MAX_EVIDENCE_BYTES {
        return Err(bad(format!(
            "it is {} bytes, more than a heap diff report holds ({MAX_EVIDENCE_BYTES}); give the output of `leakscope heap diff --format json`",
            meta.len()
        )));
    }
    let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let report: HeapReport = serde_json::from_slice(&text).map_err(|e| {
        bad(format!(
            "it is not the JSON of `leakscope heap diff --format json` ({e})"
        ))
    })?;
    let source = path.display().to_string();
    Ok(report
        .suspects
        .iter()
        .filter(|s| s.size_delta > 0 || s.count_delta > 0)
        .map(|s| {
            let location = s
                .extra
                .get("location")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let mut places: Vec<(String, usize)> =
                location.iter().filter_map(|l| place(l)).collect();
            places.extend(s.retainer_path.iter().filter_map(|p| place(p)));
            let mut names = Vec::new();
            if report.format == "v8" {
                names.push(s.name.clone());
                for key in ["closure", "variable"] {
                    if let Some(v) = s.extra.get(key).and_then(|v| v.as_str()) {
                        names.push(v.to_string());
                    }
                }
            }
            Growth {
                source: source.clone(),
                format: report.format.clone(),
                pattern: s.pattern.clone(),
                name: s.name.clone(),
                location,
                places,
                names,
                size_delta: s.size_delta,
                count_delta: s.count_delta,
            }
        })
        .collect())
}

/// `path/to/file.go:42` (also `func (file.go:42)` and `file.py:42` forms) as (path, line).
fn place(text: &str) -> Option<(String, usize)> {
    let t = text.trim().trim_end_matches(')');
    let t = t.rsplit_once(" (").map_or(t, |(_, inner)| inner);
    let t = t.rsplit_once(' ').map_or(t, |(_, last)| last);
    let (file, line) = t.rsplit_once(':')?;
    let line: usize = line.trim().parse().ok()?;
    (!file.is_empty() && line > 0).then(|| (file.to_string(), line))
}

/// True when two paths name the same file: the shorter is a suffix of the longer (a relative
/// path against an absolute one), or they share their last three components (a `-trimpath`
/// module path against a checkout path).
pub fn same_file(a: &str, b: &str) -> bool {
    let parts = |p: &str| -> Vec<String> {
        Path::new(p)
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let (pa, pb) = (parts(a), parts(b));
    if pa.is_empty() || pb.is_empty() {
        return false;
    }
    let common = pa
        .iter()
        .rev()
        .zip(pb.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    common == pa.len().min(pb.len()) || common >= 3
}

fn matches(f: &Finding, g: &Growth) -> Option<&'static str> {
    let mut best: Option<&'static str> = None;
    for (file, line) in &g.places {
        if !same_file(&f.file, file) {
            continue;
        }
        if (f.line..=f.end_line).contains(line) || f.related_lines.contains(line) {
            return Some("line");
        }
        if let Some([a, b]) = f.function_lines {
            if (a..=b).contains(line) {
                best = Some("function");
            }
        }
    }
    if best.is_none()
        && g.format == "v8"
        && matches!(f.language, "javascript" | "typescript" | "tsx")
        && f.subject
            .as_ref()
            .is_some_and(|s| g.names.iter().any(|n| n == s))
    {
        best = Some("name");
    }
    best
}

/// How strongly a growth is tied to a finding: in its code (its line or its function) beats
/// by name only. Between line and function the larger growth wins, line breaking ties: a
/// cache's line may show only the map's own bucket growth (or, with Go's heap sampling,
/// nothing), while its entries are allocated by a call in the same function.
fn rank(m: &str) -> u8 {
    match m {
        "line" | "function" => 2,
        _ => 1,
    }
}

/// Mark the findings confirmed by `growth`, raise them to error, and rank them first.
/// Returns how many were confirmed.
pub fn apply(report: &mut Report, growth: &[Growth]) -> usize {
    let mut confirmed = 0;
    for f in &mut report.findings {
        let best = growth
            .iter()
            .filter_map(|g| matches(f, g).map(|m| (m, g)))
            .max_by_key(|(m, g)| (rank(m), g.size_delta, g.count_delta, *m == "line"));
        if let Some((m, g)) = best {
            f.confirmed = true;
            f.severity = Severity::Error;
            f.evidence = Some(Evidence {
                source: g.source.clone(),
                format: g.format.clone(),
                pattern: g.pattern.clone(),
                name: g.name.clone(),
                location: g.location.clone(),
                size_delta: g.size_delta,
                count_delta: g.count_delta,
                matched: m.to_string(),
            });
            confirmed += 1;
        }
    }
    report.sort();
    confirmed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn growth(name: &str, place: (&str, usize), size_delta: i64) -> Growth {
        Growth {
            source: "diff.json".into(),
            format: "pprof".into(),
            pattern: "growing-allocation-site".into(),
            name: name.into(),
            location: Some(format!("{}:{}", place.0, place.1)),
            places: vec![(place.0.into(), place.1)],
            names: Vec::new(),
            size_delta,
            count_delta: 1,
        }
    }

    /// The Go cache example: the map's bucket growth is sampled on the finding's line, the
    /// entries are allocated by a call one line up in the same function. The larger wins.
    #[test]
    fn the_larger_growth_in_the_findings_code_is_its_evidence() {
        let finding = Finding {
            rule: "go/unbounded-cache".into(),
            file: "examples/go/cache/leaky/main.go".into(),
            line: 31,
            column: 3,
            end_line: 31,
            end_column: 27,
            severity: Severity::Warning,
            message: String::new(),
            fix: String::new(),
            language: "go",
            item: "cache".into(),
            precision: crate::finding::Precision::Medium,
            subject: Some("profiles".into()),
            function_lines: Some([26, 35]),
            related_lines: vec![23],
            confirmed: false,
            evidence: None,
            fingerprint: String::new(),
        };
        let main = "/w/examples/go/cache/leaky/main.go";
        let mut report = Report {
            findings: vec![finding],
            ..Report::default()
        };
        let diff = [
            growth("main.handle", (main, 31), 730_032),
            growth("service.Payload", (main, 30), 12_000_000),
            growth("elsewhere", ("/w/examples/go/other.go", 31), 50_000_000),
        ];
        assert_eq!(apply(&mut report, &diff), 1);
        let ev = report.findings[0].evidence.as_ref().unwrap();
        assert_eq!(
            (ev.name.as_str(), ev.size_delta),
            ("service.Payload", 12_000_000)
        );
        assert_eq!(ev.matched, "function");
        // Equal growth: the finding's own line.
        let mut report = Report {
            findings: vec![report.findings[0].clone()],
            ..Report::default()
        };
        let diff = [
            growth("a", (main, 30), 1_000),
            growth("b", (main, 31), 1_000),
        ];
        apply(&mut report, &diff);
        assert_eq!(
            report.findings[0].evidence.as_ref().unwrap().matched,
            "line"
        );
    }

    #[test]
    fn places_and_paths() {
        assert_eq!(place("/x/main.go:42"), Some(("/x/main.go".into(), 42)));
        assert_eq!(
            place("main.handle (/x/main.go:42)"),
            Some(("/x/main.go".into(), 42))
        );
        assert_eq!(place("main.handle"), None);
        assert!(same_file(
            "examples/go/cache/leaky/main.go",
            "/work/wt/lint/examples/go/cache/leaky/main.go"
        ));
        assert!(same_file(
            "examples/go/cache/leaky/main.go",
            "leakscope.invalid/examples/cache/leaky/main.go"
        ));
        assert!(!same_file(
            "examples/go/goroutines/leaky/main.go",
            "/w/examples/go/cache/leaky/main.go"
        ));
        assert!(!same_file(
            "examples/go/cache/fixed/main.go",
            "/w/examples/go/cache/leaky/main.go"
        ));
        assert!(same_file("main.go", "/w/x/main.go"));
        assert!(!same_file("a/main.go", "/w/b/main.go"));
    }
}
