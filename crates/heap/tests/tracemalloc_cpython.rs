//! Our statistics()/compare_to() equal CPython's on real dumps: tests/fixtures/python holds
//! dumps written by CPython and expected.json computed by CPython itself (expected.py).

use std::path::{Path, PathBuf};

use leakscope_heap::tracemalloc::{self, compare_to, statistics, KeyType, Stat};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/python")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("json")
}

fn keys() -> [(&'static str, KeyType, bool); 5] {
    [
        ("lineno", KeyType::Lineno, false),
        ("filename", KeyType::Filename, false),
        ("traceback", KeyType::Traceback, false),
        ("lineno_cumulative", KeyType::Lineno, true),
        ("filename_cumulative", KeyType::Filename, true),
    ]
}

fn as_json(stats: &[Stat], diff: bool) -> Value {
    Value::Array(
        stats
            .iter()
            .map(|s| {
                let frames: Vec<Value> = s
                    .frames
                    .iter()
                    .map(|(f, l)| serde_json::json!([f, l]))
                    .collect();
                if diff {
                    serde_json::json!({"traceback": frames, "size": s.size, "size_diff": s.size_diff,
                        "count": s.count, "count_diff": s.count_diff})
                } else {
                    serde_json::json!({"traceback": frames, "size": s.size, "count": s.count})
                }
            })
            .collect(),
    )
}

#[test]
fn statistics_equal_cpython() {
    let exp = expected();
    let dumps = exp["dumps"].as_object().expect("dumps");
    assert!(!dumps.is_empty());
    for (name, want) in dumps {
        let snap = tracemalloc::read_snapshot(&dir().join(name)).expect("dump parses");
        assert_eq!(
            snap.traces.len() as u64,
            want["traces"].as_u64().expect("n"),
            "{name}"
        );
        assert_eq!(
            snap.traceback_limit,
            want["traceback_limit"].as_i64().expect("limit")
        );
        let total: i64 = snap.traces.iter().map(|t| t.size).sum();
        assert_eq!(total, want["total_size"].as_i64().expect("total"), "{name}");
        for (k, key, cum) in keys() {
            let ours = as_json(&statistics(&snap, key, cum), false);
            assert_eq!(ours, want["statistics"][k], "{name} statistics({k})");
        }
    }
}

#[test]
fn compare_to_equals_cpython() {
    let exp = expected();
    let pairs = exp["compare"].as_object().expect("compare");
    assert!(!pairs.is_empty());
    for (pair, want) in pairs {
        let (old, new) = pair.split_once(' ').expect("pair");
        let old = tracemalloc::read_snapshot(&dir().join(old)).expect("old");
        let new = tracemalloc::read_snapshot(&dir().join(new)).expect("new");
        for (k, key, cum) in keys() {
            let ours = as_json(&compare_to(&new, &old, key, cum), true);
            assert_eq!(ours, want[k], "{pair} compare_to({k})");
        }
    }
}

#[test]
fn heap_diff_report_names_the_leak() {
    let d = dir();
    let rep = leakscope_heap::diff(
        &[d.join("snap_1.pickle"), d.join("snap_2.pickle")],
        &leakscope_heap::Options::default(),
    )
    .expect("diff");
    assert_eq!(rep.format, "tracemalloc");
    assert_eq!(rep.mode, "diff");
    let s = &rep.suspects[0];
    assert_eq!(s.pattern, "growing-allocation-site");
    assert_eq!(s.name, "cache.py:9");
    assert_eq!(s.size_delta, 642_320);
    assert_eq!(s.count_delta, 4000);
    assert_eq!(
        s.retainer_path.last().map(String::as_str),
        Some("cache.py:9")
    );
    assert!(s.retainer_path.len() > 1, "{:?}", s.retainer_path);
    let top = leakscope_heap::top(
        &d.join("snap_2.pickle"),
        &leakscope_heap::Options {
            by: Some("filename".into()),
            ..Default::default()
        },
    )
    .expect("top");
    assert_eq!(top.groups[0].name, "cache.py");
}

/// Any two dumps against CPython run live: `TM_OLD=a.pickle TM_NEW=b.pickle cargo test -p
/// leakscope-heap --test tracemalloc_cpython -- --ignored live`. Needs python3.
#[test]
#[ignore]
fn live_cpython_on_any_dumps() {
    let (Ok(old), Ok(new)) = (std::env::var("TM_OLD"), std::env::var("TM_NEW")) else {
        eprintln!("SKIP: set TM_OLD and TM_NEW");
        return;
    };
    let script = r#"
import json, sys, tracemalloc
old, new = tracemalloc.Snapshot.load(sys.argv[1]), tracemalloc.Snapshot.load(sys.argv[2])
fr = lambda tb: [[f.filename, f.lineno] for f in tb]
out = {}
for k, c in [("lineno", False), ("filename", False), ("traceback", False), ("lineno", True), ("filename", True)]:
    out[k + ("_cumulative" if c else "")] = [{"traceback": fr(s.traceback), "size": s.size, "size_diff": s.size_diff, "count": s.count, "count_diff": s.count_diff} for s in new.compare_to(old, k, c)]
print(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &old, &new])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: Value = serde_json::from_slice(&out.stdout).expect("json");
    let o = tracemalloc::read_snapshot(Path::new(&old)).expect("old");
    let n = tracemalloc::read_snapshot(Path::new(&new)).expect("new");
    for (k, key, cum) in keys() {
        assert_eq!(
            as_json(&compare_to(&n, &o, key, cum), true),
            want[k],
            "compare_to({k})"
        );
    }
}
