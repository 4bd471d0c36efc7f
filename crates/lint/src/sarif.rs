//! SARIF 2.1.0 output, as GitHub code scanning reads it: every rule with its descriptions and
//! help, `precision`, `problem.severity`, tags (CWE) and `security-severity` where requests
//! can drive the growth; results with a level, a location and `partialFingerprints`
//! (`primaryLocationLineHash`), so uploads through the REST API de-duplicate alerts.
//! Only the objects GitHub reads are modelled; the document validates against the 2.1.0
//! schema (tested).

use serde::Serialize;

use crate::catalog::Rule;
use crate::finding::{Finding, Severity};

/// Results per run GitHub accepts.
pub const MAX_RESULTS: usize = 25_000;

/// The top-level SARIF document.
#[derive(Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<Res>,
    column_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    semantic_version: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Res {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    properties: ResultProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints {
    primary_location_line_hash: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Physical,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: Physical,
    message: Text,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    region: Region,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact {
    uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Debug, Serialize)]
struct ResultProperties {
    fix: String,
    confirmed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<String>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "recommendation",
    }
}

/// A URI for a file path as findings name it: relative paths stay relative (GitHub wants
/// repository-relative URIs), characters outside the URI set are percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF log for `rules` (every rule that ran) and `findings`.
pub fn log(rules: &[&Rule], findings: &[Finding]) -> Log {
    let descriptors = rules
        .iter()
        .map(|r| {
            let mut tags = vec!["memory-leak".to_string(), r.item.clone()];
            if let Some(cwe) = r.cwe {
                tags.push(format!("external/cwe/cwe-{cwe}"));
            }
            if r.security_severity.is_some() {
                tags.push("security".into());
            }
            Descriptor {
                id: r.id.clone(),
                name: r.name().to_string(),
                short_description: Text {
                    text: r.summary.clone(),
                },
                full_description: Text {
                    text: r.description.clone(),
                },
                help: Help {
                    text: format!("{}\n\nFix: {}", r.description, strip_placeholders(&r.fix)),
                    markdown: format!(
                        "**{}**\n\n{}\n\n**Fix:** {}\n\nChecklist item: `{}`.",
                        r.summary,
                        r.description,
                        strip_placeholders(&r.fix),
                        r.item
                    ),
                },
                default_configuration: Configuration {
                    level: level(r.severity),
                },
                properties: RuleProperties {
                    tags,
                    precision: r.precision.as_str(),
                    problem_severity: problem_severity(r.severity),
                    security_severity: r.security_severity.map(|s| format!("{s:.1}")),
                },
            }
        })
        .collect();
    let results = findings
        .iter()
        .take(MAX_RESULTS)
        .map(|f| {
            let index = rules.iter().position(|r| r.id == f.rule).unwrap_or(0);
            let physical = |line: usize, col: usize, end_line: usize, end_col: usize| Physical {
                artifact_location: Artifact { uri: uri(&f.file) },
                region: Region {
                    start_line: line,
                    start_column: col,
                    end_line,
                    end_column: end_col.max(1),
                },
            };
            Res {
                rule_id: f.rule.clone(),
                rule_index: index,
                level: level(f.severity),
                message: Text {
                    text: if f.confirmed {
                        format!("[confirmed at run time] {}", f.message)
                    } else {
                        f.message.clone()
                    },
                },
                locations: vec![Location {
                    physical_location: physical(f.line, f.column, f.end_line, f.end_column),
                }],
                partial_fingerprints: Fingerprints {
                    primary_location_line_hash: f.fingerprint.clone(),
                },
                related_locations: f
                    .related_lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| RelatedLocation {
                        id: i + 1,
                        physical_location: physical(*l, 1, *l, 1),
                        message: Text {
                            text: "related".into(),
                        },
                    })
                    .collect(),
                properties: ResultProperties {
                    fix: f.fix.clone(),
                    confirmed: f.confirmed,
                    evidence: f.evidence.as_ref().map(|e| {
                        format!(
                            "{} {} grew by {} bytes ({})",
                            e.format, e.name, e.size_delta, e.source
                        )
                    }),
                },
            }
        })
        .collect();
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "leakscope",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: descriptors,
                },
            },
            results,
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: None,
        }],
    }
}

/// Rule texts with `{placeholder}`s written as `…` for help, which has no finding to fill
/// them; other braces (`{ once: true }`) stay.
fn strip_placeholders(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j)
                if j > 0
                    && after[..j]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push('…');
                rest = &after[j + 1..];
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
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("src/app.js"), "src/app.js");
        assert_eq!(uri("a b/c#d.py"), "a%20b/c%23d.py");
        assert_eq!(
            strip_placeholders("close `{resource}` in {function}"),
            "close `…` in …"
        );
        assert_eq!(
            strip_placeholders("pass `{ once: true }`"),
            "pass `{ once: true }`"
        );
    }
}
