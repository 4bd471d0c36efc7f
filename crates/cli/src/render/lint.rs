//! Lint findings and rules as tables for people. Messages quote identifiers from source
//! files: every cell goes through the table's escaping.

use leakscope_lint::catalog::Rule;
use leakscope_lint::{Finding, Report, Severity};

use crate::render::table::Table;
use crate::units;

/// One row per finding: where, severity, rule, what and what to do; with evidence, what grew.
pub fn table(findings: &[Finding], with_evidence: bool) -> String {
    let mut headers = vec!["LOCATION", "SEVERITY", "RULE", "MESSAGE", "FIX"];
    if with_evidence {
        headers.insert(1, "EVIDENCE");
    }
    let right = vec![false; headers.len()];
    let mut t = Table::new(&headers, &right);
    for f in findings {
        let mut row = vec![
            format!("{}:{}", f.file, f.line),
            f.severity.as_str().to_string(),
            f.rule.clone(),
            f.message.clone(),
            f.fix.clone(),
        ];
        if with_evidence {
            let e = f
                .evidence
                .as_ref()
                .map(|e| {
                    format!(
                        "CONFIRMED {} ({}, {} match)",
                        units::format_signed_bytes(e.size_delta as f64),
                        e.format,
                        e.matched
                    )
                })
                .unwrap_or_default();
            row.insert(1, e);
        }
        t.row(row);
    }
    t.render()
}

/// The line after the table (on stderr): counts, what was read, what is hidden.
pub fn summary(r: &Report, confirmed: usize, min: Severity, seconds: f64) -> String {
    let mut s = format!(
        "{} finding{}{} in {} file{} ({} line{}, {:.2} s)",
        r.findings.len(),
        if r.findings.len() == 1 { "" } else { "s" },
        if confirmed > 0 {
            format!(" ({confirmed} confirmed by the heap diff)")
        } else {
            String::new()
        },
        r.files,
        if r.files == 1 { "" } else { "s" },
        r.lines,
        if r.lines == 1 { "" } else { "s" },
        seconds
    );
    if r.hidden > 0 {
        s.push_str(&format!(
            "; {} below {} hidden (--severity {} shows them)",
            r.hidden,
            min.as_str(),
            if min == Severity::Error {
                "warning"
            } else {
                "note"
            }
        ));
    }
    if r.suppressed > 0 {
        s.push_str(&format!("; {} suppressed by comments", r.suppressed));
    }
    s
}

/// The rule catalog: id, checklist item, severity, precision, what it finds.
pub fn rules(rules: &[Rule]) -> String {
    let mut t = Table::new(
        &["RULE", "ITEM", "SEVERITY", "PRECISION", "FINDS"],
        &[false, false, false, false, false],
    );
    for r in rules {
        t.row(vec![
            r.id.clone(),
            r.item.clone(),
            r.severity.as_str().into(),
            r.precision.as_str().into(),
            r.summary.clone(),
        ]);
    }
    t.render()
}
