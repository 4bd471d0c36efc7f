//! What lint reports: findings, their severity and precision, and warnings about input.
//!
//! The JSON contract (`leakscope lint --format json`): `{"findings": [{"rule", "file", "line",
//! "severity", "message", "fix", ...}]}`. Fields may be added, never renamed or dropped.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How much a finding matters. Ordered: `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; hidden at the default threshold (e.g. a close that is not on every path).
    Note,
    /// A likely leak; shown by default.
    Warning,
    /// A leak, or a finding confirmed by runtime evidence.
    Error,
}

impl Severity {
    /// Parse `note`, `warning` or `error` (also `info`/`hint` for note, `warn` for warning).
    pub fn parse(text: &str) -> Option<Severity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "note" | "info" | "hint" => Some(Severity::Note),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    /// `note`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// How often a rule's findings are real leaks (SARIF `precision`, which GitHub uses to rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// Almost never wrong.
    VeryHigh,
    /// Rarely wrong.
    High,
    /// Sometimes wrong: ownership or bounds the rule cannot see.
    Medium,
    /// Often wrong; for review, not for gating.
    Low,
}

impl Precision {
    /// `very-high`, `high`, `medium`, `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::VeryHigh => "very-high",
            Precision::High => "high",
            Precision::Medium => "medium",
            Precision::Low => "low",
        }
    }
}

/// One place in the code that matches a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule id, e.g. `go/goroutine-blocked`.
    pub rule: String,
    /// The file, as given or found under a given directory.
    pub file: String,
    /// 1-based line of the finding.
    pub line: usize,
    /// 1-based column (in characters) where the finding starts.
    pub column: usize,
    /// 1-based last line of the finding.
    pub end_line: usize,
    /// 1-based column just past the finding's end on `end_line`.
    pub end_column: usize,
    /// After configuration and evidence.
    pub severity: Severity,
    /// What is wrong here, naming the code's own identifiers.
    pub message: String,
    /// What to change.
    pub fix: String,
    /// `javascript`, `typescript`, `tsx`, `python` or `go`.
    pub language: &'static str,
    /// The checklist item: `cache`, `listener`, `query`, `background`, `closure`, `pool`,
    /// `close`, `timer`.
    pub item: String,
    /// The rule's precision.
    pub precision: Precision,
    /// The identifier the finding is about (a cache, an emitter, a captured variable), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// First and last line of the function the finding lives in: where runtime evidence is
    /// looked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_lines: Option<[usize; 2]>,
    /// Other lines that matter (the declaration of a cache, the `go` statement of a blocked
    /// goroutine).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_lines: Vec<usize>,
    /// True when a heap diff given with `--evidence` shows this code growing at run time.
    pub confirmed: bool,
    /// The growing allocation site or object that confirmed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// A fingerprint stable across unrelated edits: rule, normalized source line, occurrence.
    pub fingerprint: String,
}

/// A heap-diff suspect that matches a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The diff file it came from.
    pub source: String,
    /// `pprof`, `tracemalloc` or `v8`.
    pub format: String,
    /// The suspect's pattern (e.g. `growing-allocation-site`, `unbounded-collection`).
    pub pattern: String,
    /// The suspect's name (a function and line, a variable).
    pub name: String,
    /// The suspect's location (`file:line`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Growth in bytes across the captures.
    pub size_delta: i64,
    /// Growth in count across the captures.
    pub count_delta: i64,
    /// How it matched: `line` (the finding's own line grows), `function` (a growing stack
    /// passes through the finding's function) or `name` (a V8 holder with the finding's
    /// subject as its name).
    #[serde(rename = "match")]
    pub matched: String,
}

/// Something about the input that the reader should know (a file skipped or partly read);
/// the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The file or directory it is about.
    pub path: PathBuf,
    /// What happened, in one sentence.
    pub message: String,
}
