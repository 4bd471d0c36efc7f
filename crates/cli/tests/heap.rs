//! `leakscope heap` end to end on fixtures written by real runtimes (Node, Go, CPython): the
//! format is told from the content, the Heap JSON contract holds, diff exits 1 when it names a
//! culprit, URLs work, and bad files are one clear error with exit 2.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::PathBuf;

use common::*;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

/// `leakscope heap ARGS FILES --format json`, which must exit `code`.
fn heap_json(args: &[&str], files: &[PathBuf], code: i32) -> serde_json::Value {
    run_json(
        leakscope()
            .arg("heap")
            .args(args)
            .args(files)
            .args(["--format", "json"]),
        code,
    )
}

fn assert_contract(v: &serde_json::Value, format: &str) {
    assert_eq!(v["format"], format, "{v}");
    assert!(v["groups"].is_array());
    for s in v["suspects"].as_array().unwrap() {
        for key in [
            "pattern",
            "name",
            "retainer_path",
            "count_delta",
            "size_delta",
            "advice",
        ] {
            assert!(!s[key].is_null(), "suspect without {key}: {s}");
        }
    }
}

#[test]
fn v8_diff_of_three_snapshots_names_the_three_node_leak_patterns() {
    let files: Vec<PathBuf> = (1..=3)
        .map(|i| fixture(&format!("v8/service-{i}.heapsnapshot")))
        .collect();
    let v = heap_json(&["diff"], &files, 1);
    assert_contract(&v, "v8");
    let patterns: Vec<&str> = v["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pattern"].as_str().unwrap())
        .collect();
    for p in [
        "unbounded-collection",
        "listener-accumulation",
        "closure-retains-large-object",
    ] {
        assert!(patterns.contains(&p), "{p} missing from {patterns:?}");
    }
    let cache = v["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "cache")
        .expect("the cache Map named");
    let path = cache["retainer_path"].as_array().unwrap();
    assert!(
        path.last()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("cache (Map)"),
        "{path:?}"
    );
}

#[test]
fn v8_top_lists_classes_by_retained_size() {
    let v = heap_json(&["top"], &[fixture("v8/service-3.heapsnapshot")], 0);
    assert_contract(&v, "v8");
    assert!(v["groups"].as_array().unwrap().len() > 5);
}

#[test]
fn v8_snapshots_of_different_processes_are_matched_by_retainers() {
    let files = [
        fixture("v8/other-1.heapsnapshot"),
        fixture("v8/service-2.heapsnapshot"),
    ];
    let v = heap_json(&["diff"], &files, 1);
    assert_contract(&v, "v8");
    assert_eq!(v["matching"], "retainers");
    assert!(v["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "cache"));
    let table = leakscope()
        .args(["heap", "diff"])
        .args(&files)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("matched by retainers"));
    // Object ids cannot be forced on them.
    let out = leakscope()
        .args(["heap", "diff", "--match", "object-ids"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("object id"), "{err}");
}

#[test]
fn pprof_heap_diff_names_the_growing_allocation_site() {
    let v = heap_json(
        &["diff"],
        &[fixture("go/heap1.pb.gz"), fixture("go/heap2.pb.gz")],
        1,
    );
    assert_contract(&v, "pprof");
    assert_eq!(v["suspects"][0]["pattern"], "growing-allocation-site");
    assert!(
        v["suspects"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("main.leakCache"),
        "{v}"
    );
}

#[test]
fn goroutine_dumps_in_text_show_the_blocked_sites_that_grow() {
    let v = heap_json(
        &["diff"],
        &[
            fixture("go/goroutine1.debug2.txt"),
            fixture("go/goroutine3.debug2.txt"),
        ],
        1,
    );
    assert_contract(&v, "pprof");
    assert_eq!(v["profile"], "goroutine");
    assert_eq!(v["suspects"][0]["pattern"], "blocked-goroutines");
    assert!(v["suspects"][0]["name"]
        .as_str()
        .unwrap()
        .contains("leakReceiver"));
}

#[test]
fn tracemalloc_diff_names_the_line_that_allocates() {
    let v = heap_json(
        &["diff"],
        &[
            fixture("python/snap_1.pickle"),
            fixture("python/snap_2.pickle"),
        ],
        1,
    );
    assert_contract(&v, "tracemalloc");
    assert_eq!(v["suspects"][0]["name"], "cache.py:9");
}

#[test]
fn formats_cannot_be_mixed_in_a_diff() {
    let out = leakscope()
        .args(["heap", "diff"])
        .arg(fixture("go/heap1.pb.gz"))
        .arg(fixture("python/snap_2.pickle"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pprof"));
}

#[test]
fn a_truncated_snapshot_is_one_error_with_the_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(fixture("v8/service-1.heapsnapshot")).unwrap();
    let cut = dir.path().join("cut.heapsnapshot");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let out = leakscope()
        .args(["heap", "top"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cut.heapsnapshot") && err.contains("byte"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn a_file_of_no_known_format_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = write(dir.path(), "junk.bin", "hello, I am not a heap snapshot\n");
    let out = leakscope()
        .args(["heap", "top"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("junk.bin") && err.contains("not a heap snapshot or profile"),
        "{err}"
    );
    let out = leakscope()
        .args(["heap", "top", "/no/such/file"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_profile_can_be_read_from_a_url_and_an_unreachable_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("go/heap2.pb.gz"), dir.path().join("heap")).unwrap();
    let (mut server, port) = serve_dir(dir.path());
    let url = format!("http://127.0.0.1:{port}/heap");
    let out = leakscope()
        .args(["heap", "top", &url, "--format", "json"])
        .output()
        .unwrap();
    server.kill().ok();
    server.wait().ok();
    let v = expect_json(&out, 0);
    assert_eq!(
        v["inputs"][0], url,
        "inputs name the URL, not a temporary file"
    );
    assert_eq!(v["groups"][0]["name"], "main.leakCache");
    let out = leakscope().args(["heap", "top", &url]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&url));
}

#[test]
fn pprof_list_and_focus_from_the_command_line() {
    let out = leakscope()
        .args(["heap", "top"])
        .arg(fixture("go/heap2.pb.gz"))
        .args(["--list", "main\\.leakCache", "--source-path"])
        .arg(fixture("go"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ROUTINE ======================== main.leakCache in leakdemo/main.go"),
        "{text}"
    );
    // The allocating line, with its value, and its neighbours as context.
    assert!(
        text.lines()
            .any(|l| l.contains("41:") && l.contains("make([]byte, 4096)") && l.contains("MiB")),
        "{text}"
    );
    assert!(!text.contains('\t'), "tabs shown as spaces");
    let out = leakscope()
        .args(["heap", "top", "--focus", "(unclosed"])
        .arg(fixture("go/heap2.pb.gz"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--focus") && err.contains("regular expression"),
        "{err}"
    );
    let out = leakscope()
        .args(["heap", "top", "--list", "x"])
        .arg(fixture("v8/service-1.heapsnapshot"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
