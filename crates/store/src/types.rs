//! The plain data types the store hands out.

use serde::{Deserialize, Serialize};

/// The id of a target inside one database (from [`crate::Store::target`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TargetId(pub i64);

/// The id of a run (one `watch`/`run` invocation) inside one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunId(pub i64);

/// One stored target: what is being watched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The unique target name.
    pub name: String,
    /// `pid`, `cgroup`, `scrape` or `command`.
    pub kind: String,
    /// The pid, cgroup path, URL or command line.
    pub spec: String,
    /// Free-form JSON metadata (e.g. `{"limit_bytes": ...}`).
    pub meta: serde_json::Value,
    /// When the target was first stored, unix seconds.
    pub created_at: f64,
}

/// Summary of one stored series, for `ls`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesInfo {
    /// The target name.
    pub target: String,
    /// The target kind (`pid`, `cgroup`, `scrape`, `command`).
    pub kind: String,
    /// The field, e.g. `rss_bytes`.
    pub field: String,
    /// `bytes`, `seconds`, or empty for a count.
    pub unit: String,
    /// Number of stored samples.
    pub samples: u64,
    /// Time of the oldest sample, unix seconds; `None` when there are none.
    pub first_t: Option<f64>,
    /// Time of the newest sample, unix seconds; `None` when there are none.
    pub last_t: Option<f64>,
    /// Value of the newest sample (in `unit`); `None` when there are none.
    pub last_v: Option<f64>,
}

/// One stored event (exit, OOM kill, restart, error, alert).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// The target name.
    pub target: String,
    /// When it happened, unix seconds.
    pub t: f64,
    /// `exit`, `oom_kill`, `restart`, `error`, `alert` (free text; these are the ones we write).
    pub kind: String,
    /// JSON details; a string holding the raw text if the stored text is not valid JSON.
    pub detail: serde_json::Value,
}

/// What one [`crate::Store::flush`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushStats {
    /// Samples written.
    pub samples: usize,
    /// Events written.
    pub events: usize,
    /// Samples dropped (oldest first) since the previous successful flush because the buffer
    /// was full, which happens only while flushes keep failing.
    pub dropped: u64,
}

/// The unit of a field, from its name's suffix: `_bytes` → `bytes`, `_seconds` → `seconds`,
/// anything else is a count (empty unit).
pub fn unit_for_field(field: &str) -> &'static str {
    if field.ends_with("_bytes") || field == "bytes" {
        "bytes"
    } else if field.ends_with("_seconds") || field == "seconds" {
        "seconds"
    } else {
        ""
    }
}
