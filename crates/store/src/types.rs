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
    /// Number of stored raw samples.
    pub samples: u64,
    /// Time of the oldest point (raw sample, or a downsampled bucket's midpoint), unix
    /// seconds; `None` when there are none.
    pub first_t: Option<f64>,
    /// Time of the newest point, unix seconds; `None` when there are none.
    pub last_t: Option<f64>,
    /// Value of the newest point (in `unit`; a bucket's min); `None` when there are none.
    pub last_v: Option<f64>,
    /// Number of downsampled buckets (older data, kept as min/mean/max/count per bucket).
    #[serde(default)]
    pub downsampled_buckets: u64,
    /// Number of raw samples those buckets summarize.
    #[serde(default)]
    pub downsampled_samples: u64,
}

/// One stored row of a series, for export: a raw sample (`width_seconds` 0, `count` 1,
/// min = mean = max) or a downsampled bucket `[start_t, start_t + width_seconds)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// The sample's time, or the bucket's start, unix seconds.
    pub start_t: f64,
    /// Bucket width, seconds; 0 for a raw sample.
    pub width_seconds: f64,
    /// Smallest value in the bucket (the floor), in the series' unit.
    pub min: f64,
    /// Mean value.
    pub mean: f64,
    /// Largest value.
    pub max: f64,
    /// Raw samples in the bucket.
    pub count: u64,
}

impl Bucket {
    /// Where readers place the bucket in time: its midpoint (the sample's time when raw).
    pub fn mid_t(&self) -> f64 {
        self.start_t + self.width_seconds / 2.0
    }
}

/// How a database was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpenMode {
    /// For writing ([`crate::Store::open`]).
    ReadWrite,
    /// For reading, alongside any writer ([`crate::Store::open_read_only`]).
    ReadOnly,
    /// For reading, as an immutable file, because the directory is not writable (WAL needs
    /// a `-shm` file there). A `-wal` file beside it (`unread_wal_bytes` long) is not read:
    /// it holds the last intervals of a writer that did not close cleanly.
    Immutable {
        /// Size of the `-wal` file that was not read, bytes (0: none).
        unread_wal_bytes: u64,
    },
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
    /// Events dropped the same way.
    pub events_dropped: u64,
    /// Samples moved from the recent log into chunks.
    pub compacted: usize,
    /// Raw samples or buckets folded into a coarser tier by retention.
    pub downsampled: u64,
    /// Raw samples or buckets deleted for being older than the retention.
    pub expired: u64,
    /// Events deleted for being older than the retention.
    pub events_expired: u64,
    /// Wall time spent compacting.
    pub compaction: std::time::Duration,
    /// Wall time spent on retention.
    pub maintenance: std::time::Duration,
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
