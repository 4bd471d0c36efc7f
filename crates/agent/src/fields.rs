//! Which sampled fields are series that recognition and alerts judge, and whether each is a
//! memory series (bytes) or a count.
//!
//! Every field is stored and logged. Judged are: a target's *primary* memory field (the first
//! of [`MEMORY_FIELDS`] it has; alert thresholds in bytes apply to it), the [`COUNT_FIELDS`],
//! and every metric the user named (`--metric`, `metrics = [...]`), memory or count by its
//! unit suffix ([`unit_of`]) unless the user said which ([`SeriesUnit`]).

/// The field holding a Node service's V8 heap in use right after a forced full GC, bytes.
pub const NODE_HEAP_AFTER_GC: &str = "heap_used_after_gc_bytes";

/// Fields in order of preference for a target's primary memory series.
///
/// The heap after a forced GC comes first (it is the floor itself), then runtime heap metrics
/// (the floor after GC is sharpest there), then the process's resident set, then the cgroup
/// working set (what the kubelet and the OOM killer act on).
pub const MEMORY_FIELDS: &[&str] = &[
    NODE_HEAP_AFTER_GC,
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

/// The field holding a target's memory limit (a cgroup's), bytes.
pub const LIMIT_FIELD: &str = "cgroup_limit_bytes";

pub use leakscope_core::SeriesUnit;

/// The unit of `field` from its metric name: a name with a `_bytes` suffix (or a `_bytes_`
/// part, as in `jvm_memory_bytes_used`) is memory; anything else is a count. Labels
/// (`name{area="heap"}`) are ignored.
pub fn unit_of(field: &str) -> SeriesUnit {
    let name = field.split('{').next().unwrap_or(field);
    if name.ends_with("_bytes") || name.contains("_bytes_") || name == "bytes" {
        SeriesUnit::Bytes
    } else {
        SeriesUnit::Count
    }
}

/// The unit of a CSV column from its header, where no naming convention holds: bytes,
/// unless the name says it counts goroutines, threads, handles, file descriptors or
/// connections (`go_goroutines`, `process_threads`, `nodejs_active_handles`).
pub fn column_unit(name: &str) -> SeriesUnit {
    let n = name.to_ascii_lowercase();
    let counts = ["goroutine", "thread", "handle", "_fds", "connection"];
    if COUNT_FIELDS.contains(&name)
        || (!n.contains("bytes") && counts.iter().any(|k| n.contains(k)))
    {
        SeriesUnit::Count
    } else {
        SeriesUnit::Bytes
    }
}

/// True when `field` is judged by default (`analyze --db` without `--field`, and `watch`).
pub fn is_recognized(field: &str) -> bool {
    MEMORY_FIELDS.contains(&field) || COUNT_FIELDS.contains(&field)
}

/// The primary memory field among `fields`, if any.
pub fn primary<'a>(fields: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'a str> {
    MEMORY_FIELDS
        .iter()
        .find_map(|want| fields.clone().into_iter().find(|f| f == want))
}

/// Recognition options for a series: memory series keep the byte-scaled defaults; count
/// series are judged on counts, where a rise of a few dozen is already meaningful.
pub fn recognize_options(
    unit: SeriesUnit,
    limit_bytes: Option<f64>,
) -> leakscope_core::RecognizeOptions {
    leakscope_core::RecognizeOptions {
        limit_bytes: limit_bytes.filter(|_| unit == SeriesUnit::Bytes),
        ..leakscope_core::RecognizeOptions::for_unit(unit)
    }
}

/// The unit of a field judged by default: counts for [`COUNT_FIELDS`], else by suffix.
pub fn default_unit(field: &str) -> SeriesUnit {
    if COUNT_FIELDS.contains(&field) {
        SeriesUnit::Count
    } else {
        unit_of(field)
    }
}

/// The key under which a target's metadata in the store lists the series judged beyond the
/// defaults (what the user named), with their units, so `analyze --db` judges them too.
pub const META_JUDGED: &str = "judged";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_count_things_only_when_their_name_says_so() {
        for n in [
            "go_goroutines",
            "goroutines",
            "process_threads",
            "nodejs_active_handles",
        ] {
            assert_eq!(column_unit(n), SeriesUnit::Count, "{n}");
            assert_eq!(
                recognize_options(column_unit(n), Some(1e9)).unit,
                SeriesUnit::Count
            );
        }
        for n in [
            "rss_bytes",
            "container_memory_rss",
            "heap_used_bytes",
            "rss",
            "threads_bytes",
        ] {
            assert_eq!(column_unit(n), SeriesUnit::Bytes, "{n}");
        }
    }

    #[test]
    fn units_come_from_the_name_suffix() {
        assert_eq!(
            unit_of("jvm_memory_used_bytes{area=\"heap\"}"),
            SeriesUnit::Bytes
        );
        assert_eq!(unit_of("jvm_memory_bytes_used"), SeriesUnit::Bytes);
        assert_eq!(unit_of("http_requests_in_flight"), SeriesUnit::Count);
        assert_eq!(unit_of("open_fds{bytes=\"x\"}"), SeriesUnit::Count);
        assert_eq!(default_unit("go_goroutines"), SeriesUnit::Count);
        assert_eq!("count".parse::<SeriesUnit>(), Ok(SeriesUnit::Count));
        assert!("kg".parse::<SeriesUnit>().is_err());
    }

    #[test]
    fn the_heap_after_gc_is_the_first_choice() {
        let f = ["rss_bytes", NODE_HEAP_AFTER_GC];
        assert_eq!(primary(f.iter().copied()), Some(NODE_HEAP_AFTER_GC));
        assert!(is_recognized(NODE_HEAP_AFTER_GC));
    }
}
