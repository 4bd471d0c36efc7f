//! What a run reads and shows: rule selection (`--rule`, `--skip`), the severity threshold,
//! per-rule severities, excludes, the file size limit and whether every file is parsed.

use crate::catalog::{self, Rule};
use crate::finding::Severity;
use crate::lang::Family;

/// Largest file read by default (bytes): bigger ones are nearly always generated or bundled.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Names one or more rules: an id (`js/timer-not-cleared`), a name in every family
/// (`unbounded-cache`), a family (`go`, `go/*`), or a checklist item (`item:listener`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// Read a selector, refusing one that names no rule.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let s = Selector(text.trim().trim_end_matches("/*").to_string());
        if catalog::rules().iter().any(|r| s.matches(r)) {
            Ok(s)
        } else {
            let ids: Vec<&str> = catalog::rules().iter().map(|r| r.id.as_str()).collect();
            Err(format!(
                "{text:?} names no rule; give a rule id, a rule name, a family (js, py, go) or item:NAME; the rules are {}",
                ids.join(", ")
            ))
        }
    }

    /// Does this selector name `rule`?
    pub fn matches(&self, rule: &Rule) -> bool {
        let s = self.0.as_str();
        if let Some(item) = s.strip_prefix("item:") {
            return rule.item == item;
        }
        rule.id == s || rule.name() == s || Family::from_prefix(s) == Some(rule.family())
    }
}

/// The settings of one lint run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only rules named here (all when empty).
    pub select: Vec<Selector>,
    /// Never rules named here.
    pub skip: Vec<Selector>,
    /// The least severity shown (findings confirmed by evidence are always shown).
    pub min_severity: Severity,
    /// Per-rule severities, later entries winning.
    pub severities: Vec<(Selector, Severity)>,
    /// Globs of files and directories to leave out, besides the ignore files.
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped with a warning.
    pub max_file_bytes: u64,
    /// Parse every file, even one in which no enabled rule can match (it lacks every literal
    /// they need): slower, but a syntax error in such a file is reported too.
    pub parse_all: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            select: Vec::new(),
            skip: Vec::new(),
            min_severity: Severity::Warning,
            severities: Vec::new(),
            exclude: Vec::new(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            parse_all: false,
        }
    }
}

impl Options {
    /// Is `rule` run?
    pub fn enabled(&self, rule: &Rule) -> bool {
        (self.select.is_empty() || self.select.iter().any(|s| s.matches(rule)))
            && !self.skip.iter().any(|s| s.matches(rule))
    }

    /// The severity of a finding of `rule` that the check gave `found` (a configured
    /// severity replaces the rule's own; a weaker case stays a note).
    pub fn severity(&self, rule: &Rule, found: Severity) -> Severity {
        let configured = self
            .severities
            .iter()
            .rev()
            .find(|(s, _)| s.matches(rule))
            .map(|(_, sev)| *sev);
        match configured {
            Some(sev) if found == rule.severity => sev,
            Some(sev) => found.min(sev),
            None => found,
        }
    }
}
