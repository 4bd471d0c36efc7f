//! Which sampled fields are memory series that recognition and alerts look at.
//!
//! Every field is stored and logged; these are the ones whose trend means a leak. The first
//! one a target has is its *primary* field: the one alert thresholds apply to.

/// Fields in order of preference for a target's primary memory series.
///
/// Runtime heap metrics come first (the floor after GC is sharpest there), then the process's
/// resident set, then the cgroup working set (what the kubelet and the OOM killer act on).
pub const MEMORY_FIELDS: &[&str] = &[
    "nodejs_heap_size_used_bytes",
    "go_memstats_heap_inuse_bytes",
    "jvm_memory_used_bytes",
    "heap_used_bytes",
    "rss_bytes",
    "process_resident_memory_bytes",
    "cgroup_working_set_bytes",
];

/// Count series whose unbounded growth is a leak too (goroutines blocked forever).
pub const COUNT_FIELDS: &[&str] = &["go_goroutines"];

/// True when `field` is recognized by default (`analyze` without `--field`, and `watch`).
pub fn is_recognized(field: &str) -> bool {
    MEMORY_FIELDS.contains(&field) || COUNT_FIELDS.contains(&field)
}

/// The primary memory field among `fields`, if any.
pub fn primary<'a>(fields: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'a str> {
    MEMORY_FIELDS
        .iter()
        .find_map(|want| fields.clone().into_iter().find(|f| f == want))
}

/// Recognition options for `field`: memory series keep the byte-scaled defaults; count series
/// (goroutines) are judged on counts, where a rise of a few dozen is already meaningful.
pub fn recognize_options(
    field: &str,
    limit_bytes: Option<f64>,
) -> leakscope_core::RecognizeOptions {
    let mut o = leakscope_core::RecognizeOptions {
        limit_bytes,
        ..Default::default()
    };
    if COUNT_FIELDS.contains(&field) {
        o.limit_bytes = None;
        o.min_rise_bytes = 50.0;
        o.min_growth_bytes_per_hour = 20.0;
    }
    o
}

/// The field holding a target's memory limit (a cgroup's), bytes.
pub const LIMIT_FIELD: &str = "cgroup_limit_bytes";
