//! V8 snapshots written by a real Node program (tests/fixtures/v8, see regen.sh there):
//! leakscope's numbers against DevTools' own worker code on the same files, goldens
//! (bless with `LEAKSCOPE_BLESS=1`), the suspects, and the same-process check.

use std::path::{Path, PathBuf};

use leakscope_heap::{HeapError, HeapReport, Options};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/v8")
        .join(name)
}

fn all() -> Options {
    Options {
        limit: 0,
        ..Default::default()
    }
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn value(r: &HeapReport, class: &str, key: &str) -> Option<f64> {
    r.groups
        .iter()
        .find(|g| g.name == class)
        .and_then(|g| g.values.get(key).copied())
}

#[test]
fn top_matches_devtools_summary() {
    let r = leakscope_heap::top(&fixture("service-3.heapsnapshot"), &all()).expect("top");
    let dt = json(&fixture("devtools-top-service-3.json"));
    assert_eq!(
        r.totals["total_size"],
        dt["total_size"].as_f64().expect("total"),
        "total size"
    );
    assert_eq!(
        r.totals["node_count"],
        dt["node_count"].as_f64().expect("n")
    );
    let classes = dt["classes"].as_object().expect("classes");
    let mut checked = 0;
    for (name, d) in classes {
        let count = d["count"].as_f64().expect("count");
        if count == 0.0 {
            continue;
        }
        for key in ["count", "shallow_size", "retained_size", "distance"] {
            let want = d[key].as_f64().expect("number");
            let got = value(&r, name, key).unwrap_or(f64::NAN);
            assert!(
                (want - got).abs() <= 1.0,
                "{name} {key}: DevTools {want}, leakscope {got}"
            );
        }
        checked += 1;
    }
    assert!(checked > 30, "only {checked} classes compared");
}

#[test]
fn diff_matches_devtools_comparison() {
    let paths = [
        fixture("service-1.heapsnapshot"),
        fixture("service-3.heapsnapshot"),
    ];
    let r = leakscope_heap::diff(&paths, &all()).expect("diff");
    let dt = json(&fixture("devtools-diff-service-1-3.json"));
    for (name, d) in dt["classes"].as_object().expect("classes") {
        if d["new"].as_f64() == Some(0.0) && d["deleted"].as_f64() == Some(0.0) {
            continue;
        }
        for key in [
            "new",
            "deleted",
            "delta",
            "alloc_size",
            "freed_size",
            "size_delta",
        ] {
            let want = d[key].as_f64().expect("number");
            let got = value(&r, name, key).unwrap_or(f64::NAN);
            assert_eq!(want, got, "{name} {key}: DevTools {want}, leakscope {got}");
        }
    }
}

fn suspect<'a>(r: &'a HeapReport, pattern: &str, name: &str) -> &'a leakscope_heap::Suspect {
    r.suspects
        .iter()
        .find(|s| s.pattern == pattern && s.name == name)
        .unwrap_or_else(|| panic!("no {pattern} suspect named {name}: {:#?}", r.suspects))
}

#[test]
fn three_snapshots_find_the_three_leaks() {
    let paths: Vec<PathBuf> = (1..=3)
        .map(|i| fixture(&format!("service-{i}.heapsnapshot")))
        .collect();
    let r = leakscope_heap::diff(&paths, &Options::default()).expect("diff");
    let cache = suspect(&r, "unbounded-collection", "cache");
    assert_eq!(cache.count_delta, 1200);
    assert_eq!(
        cache.retainer_path.last().map(String::as_str),
        Some("cache (Map)")
    );
    assert!(cache
        .retainer_path
        .iter()
        .any(|p| p == "module leaky-service.js"));
    assert!(cache.advice.contains("LRU"));
    let listeners = suspect(&r, "listener-accumulation", "config-change");
    assert_eq!(listeners.count_delta, 1200);
    assert!(listeners.advice.contains("`bus`"));
    let closure = suspect(&r, "closure-retains-large-object", "largeBuffer");
    assert_eq!(closure.count_delta, 60);
    assert!(closure.size_delta > 60 * 30_000);
    assert!(closure
        .retainer_path
        .iter()
        .any(|p| p.contains("onTimeout")));
    // The bounded LRU (`sessions`) plateaus and must not be reported.
    assert!(r
        .suspects
        .iter()
        .all(|s| s.name != "sessions" && s.name != "map"));
    // memlab's method: CacheEntry objects allocated between 1 and 2 are still alive in 3.
    assert_eq!(value(&r, "CacheEntry", "leaked"), Some(600.0));
}

/// Two processes of one program (a restart, a replica): object ids say nothing across them,
/// so the diff follows collections and closures by what holds them, and names the same
/// leaks a one-process diff names. Forcing object ids is refused.
#[test]
fn snapshots_of_different_processes_are_matched_by_retainers() {
    let paths = [
        fixture("other-1.heapsnapshot"),
        fixture("service-2.heapsnapshot"),
    ];
    let r = leakscope_heap::diff(&paths, &Options::default()).expect("diff");
    assert_eq!(r.matching.as_deref(), Some("retainers"));
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("matched by what holds them")));
    let same_process = leakscope_heap::diff(
        &[
            fixture("service-1.heapsnapshot"),
            fixture("service-2.heapsnapshot"),
        ],
        &Options::default(),
    )
    .expect("diff");
    assert_eq!(same_process.matching.as_deref(), Some("object-ids"));
    let names = |r: &HeapReport| {
        let mut v: Vec<(String, String)> = r
            .suspects
            .iter()
            .map(|s| (s.pattern.clone(), s.name.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&r), names(&same_process));
    let cache = suspect(&r, "unbounded-collection", "cache");
    // other-1 was written after warm-up (200 requests), service-2 after 600 more.
    assert_eq!(cache.count_delta, 600);
    assert_eq!(
        cache.retainer_path.last().map(String::as_str),
        Some("cache (Map)")
    );
    // Class rows are counts and sizes: CacheEntry objects went from 200 to 800.
    assert_eq!(value(&r, "CacheEntry", "delta"), Some(600.0));
    assert_eq!(value(&r, "CacheEntry", "count"), Some(800.0));
    let forced = Options {
        matching: Some(leakscope_heap::Matching::ObjectIds),
        ..Default::default()
    };
    match leakscope_heap::diff(&paths, &forced) {
        Err(HeapError::Mismatch(m)) => assert!(m.contains("object id"), "{m}"),
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

/// Make a report independent of where the repository lives.
fn normalized(mut r: HeapReport) -> Value {
    r.inputs = r
        .inputs
        .iter()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .collect();
    serde_json::to_value(&r).expect("report serializes")
}

fn golden(name: &str, got: Value) {
    let path = fixture(name);
    if std::env::var_os("LEAKSCOPE_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).expect("json") + "\n";
        std::fs::write(&path, text).expect("write golden");
        return;
    }
    let want = json(&path);
    assert_eq!(
        want, got,
        "{name} differs; if the change is intended, bless with LEAKSCOPE_BLESS=1"
    );
}

#[test]
fn golden_top() {
    let r =
        leakscope_heap::top(&fixture("service-3.heapsnapshot"), &Options::default()).expect("top");
    golden("golden-top-service-3.json", normalized(r));
}

#[test]
fn golden_diff() {
    let paths: Vec<PathBuf> = (1..=3)
        .map(|i| fixture(&format!("service-{i}.heapsnapshot")))
        .collect();
    let r = leakscope_heap::diff(&paths, &Options::default()).expect("diff");
    golden("golden-diff-service-1-2-3.json", normalized(r));
}

/// The analyses hand results between two lanes; on a pool of one thread the second lane
/// runs inside the first one's wait, and a pool of three has a thread with nothing to do.
/// Neither may hang or change a number.
#[test]
fn pool_size_changes_no_result() {
    let paths: Vec<PathBuf> = (1..=3)
        .map(|i| fixture(&format!("service-{i}.heapsnapshot")))
        .collect();
    let run = || {
        let d = leakscope_heap::diff(&paths, &all()).expect("diff");
        let t = leakscope_heap::top(&paths[2], &all()).expect("top");
        (normalized(d), normalized(t))
    };
    let want = run();
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        assert!(pool.install(run) == want, "{threads} thread(s)");
    }
}

/// The same series matched by retainers instead of ids names the same leaks with the same
/// entry counts: the holder keys find the same collections in every snapshot.
#[test]
fn retainer_matching_agrees_with_object_ids_on_one_process() {
    let paths: Vec<PathBuf> = (1..=3)
        .map(|i| fixture(&format!("service-{i}.heapsnapshot")))
        .collect();
    let by_ids = leakscope_heap::diff(&paths, &Options::default()).expect("diff");
    let by_retainers = leakscope_heap::diff(
        &paths,
        &Options {
            matching: Some(leakscope_heap::Matching::Retainers),
            ..Default::default()
        },
    )
    .expect("diff");
    assert_eq!(by_retainers.matching.as_deref(), Some("retainers"));
    // Forced: no note about different sessions, and no Comparison columns.
    assert!(!by_retainers.notes.iter().any(|n| n.contains("different")));
    assert!(by_retainers.columns.iter().all(|c| c.key != "new"));
    let key = |s: &leakscope_heap::Suspect| {
        (
            s.pattern.clone(),
            s.name.clone(),
            s.count_delta,
            s.extra.get("entries").cloned(),
        )
    };
    let a: Vec<_> = by_ids.suspects.iter().map(key).collect();
    let b: Vec<_> = by_retainers.suspects.iter().map(key).collect();
    assert_eq!(a, b);
    assert_eq!(value(&by_retainers, "CacheEntry", "delta"), Some(1200.0));
}
