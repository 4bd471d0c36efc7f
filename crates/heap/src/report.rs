//! The Heap JSON contract of DESIGN.md: one report model for every snapshot/profile format.
//!
//! `{"format": "v8"|"pprof"|"tracemalloc", "groups": [...], "suspects": [...]}`: `groups` is
//! the per-type or per-allocation-site table (its columns described by `columns`), `suspects`
//! is ranked, most likely culprit first. Add fields freely; never rename or drop one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The unit of a column, so tables print `12.3 MiB` and JSON stays in plain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Bytes.
    Bytes,
    /// A count of objects, samples or goroutines.
    Count,
    /// A percentage, 0..100.
    Percent,
    /// Seconds.
    Seconds,
}

/// One value column of the group table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The key of the value in each [`Group::values`] (e.g. `retained_size`, `flat`).
    pub key: String,
    /// The header people read (e.g. `Retained`, `flat`).
    pub title: String,
    /// What the numbers are.
    pub unit: Unit,
}

impl Column {
    /// A column `key` titled `title`, in `unit`.
    pub fn new(key: &str, title: &str, unit: Unit) -> Self {
        Self {
            key: key.into(),
            title: title.into(),
            unit,
        }
    }
}

/// One row of the group table: a class (V8), a function or line (pprof), a blocking site
/// (goroutines), or an allocation site (tracemalloc).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Group {
    /// What the row is: class name, function name, `file:line`.
    pub name: String,
    /// Source location when it is not already in `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The values, keyed by [`Column::key`].
    #[serde(flatten)]
    pub values: BTreeMap<String, f64>,
}

/// One likely culprit, with what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suspect {
    /// The leak pattern: `unbounded-collection`, `listener-accumulation`,
    /// `closure-retains-large-object`, `growing-allocation-site`, `blocked-goroutines`, ...
    pub pattern: String,
    /// The name the code uses for the holder: a variable or property, a function, a line.
    pub name: String,
    /// Shortest meaningful path from a GC root to the holder, root first (V8); the stack,
    /// outermost first, for profiles.
    pub retainer_path: Vec<String>,
    /// Growth in count (objects, entries, goroutines) across the captures.
    pub count_delta: i64,
    /// Growth in bytes across the captures.
    pub size_delta: i64,
    /// What to change, in one or two sentences.
    pub advice: String,
    /// Format-specific details (location, state, wait time, score, ...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The answer of `heap top` and `heap diff` for every format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeapReport {
    /// `v8`, `pprof` or `tracemalloc`.
    pub format: String,
    /// What kind of capture: `heap`, `goroutine`, `allocs`, `snapshot`, ...
    pub profile: String,
    /// `top` or `diff`.
    pub mode: String,
    /// The input files or URLs, oldest first.
    pub inputs: Vec<String>,
    /// How a diff matched what it compares across captures: `object-ids` or `retainers`
    /// (V8), `allocation-sites` (pprof, tracemalloc). Absent for `top`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<String>,
    /// The group table's value columns, in display order.
    pub columns: Vec<Column>,
    /// The group table, sorted the way the format's reference tool sorts it.
    pub groups: Vec<Group>,
    /// Ranked culprits, most likely first; empty when nothing looks like a leak.
    pub suspects: Vec<Suspect>,
    /// Totals (e.g. `total_size`, `node_count`), keyed like columns.
    #[serde(serialize_with = "whole_numbers")]
    pub totals: BTreeMap<String, f64>,
    /// Things the reader should know (dropped rows, mismatched periods, unreachable nodes).
    pub notes: Vec<String>,
    /// pprof `--list`: the hot source lines of the matching functions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<crate::pprof::list::Listing>,
    /// What `--html` draws (built only with [`crate::Options::pictures`]; not in JSON).
    #[serde(skip)]
    pub picture: Option<crate::picture::Picture>,
}

impl HeapReport {
    /// An empty report for `format`/`profile` in `mode` over `inputs`.
    pub fn new(format: &str, profile: &str, mode: &str, inputs: Vec<String>) -> Self {
        Self {
            format: format.into(),
            profile: profile.into(),
            mode: mode.into(),
            inputs,
            matching: None,
            columns: Vec::new(),
            groups: Vec::new(),
            suspects: Vec::new(),
            totals: BTreeMap::new(),
            notes: Vec::new(),
            listing: None,
            picture: None,
        }
    }
}

/// Groups flatten their values beside `name`; whole numbers (counts, bytes) print as integers.
impl Serialize for Group {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        if let Some(loc) = &self.location {
            m.serialize_entry("location", loc)?;
        }
        for (k, v) in &self.values {
            m.serialize_entry(k, &leakscope_core::units::json_number(*v))?;
        }
        m.end()
    }
}

/// A map of measured values with whole numbers as integers (`14`, not `14.0`).
fn whole_numbers<S: serde::Serializer>(
    map: &BTreeMap<String, f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(
        map.iter()
            .map(|(k, v)| (k, leakscope_core::units::json_number(*v))),
    )
}
