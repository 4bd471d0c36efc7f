//! The result of a lint run and the JSON document of `leakscope lint --format json`.

use serde::Serialize;

use crate::finding::{Finding, Severity, Warning};

/// Findings and warnings of one run, with what was read.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Findings: confirmed first, then by file and line.
    pub findings: Vec<Finding>,
    /// Files skipped or partly read.
    pub warnings: Vec<Warning>,
    /// Files read.
    pub files: usize,
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Findings silenced by `leakscope: ignore` comments.
    pub suppressed: usize,
    /// Findings below the severity threshold, not shown.
    pub hidden: usize,
}

impl Report {
    /// Confirmed findings first (largest growth first), then by file, line, column, rule.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.confirmed
                .cmp(&a.confirmed)
                .then_with(|| {
                    let ga = a.evidence.as_ref().map_or(0, |e| e.size_delta);
                    let gb = b.evidence.as_ref().map_or(0, |e| e.size_delta);
                    gb.cmp(&ga)
                })
                .then_with(|| a.file.cmp(&b.file))
                .then_with(|| a.line.cmp(&b.line))
                .then_with(|| a.column.cmp(&b.column))
                .then_with(|| a.rule.cmp(&b.rule))
        });
    }

    /// Keep findings at `min` or above, and every confirmed one; count the rest as hidden.
    pub fn retain_shown(&mut self, min: Severity) {
        let before = self.findings.len();
        self.findings.retain(|f| f.confirmed || f.severity >= min);
        self.hidden += before - self.findings.len();
    }
}
