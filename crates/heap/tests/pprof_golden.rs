//! `heap top`/`heap diff` on pprof fixtures equal `go tool pprof`'s recorded outputs
//! (tests/fixtures/go/golden, written by tests/fixtures/go/regen.sh).

mod pprof_support;

use leakscope_heap::pprof::Granularity::{Files, Functions, Lines};
use pprof_support::{assert_same, fixtures, q};

fn golden(name: &str) -> String {
    std::fs::read_to_string(fixtures().join("golden").join(name)).expect("golden file")
}

#[test]
fn top_functions_all_nodes() {
    let f = fixtures();
    assert_same(
        &golden("top_all_B.txt"),
        &f.join("heap2.pb.gz"),
        None,
        &q(Functions, None, false, true),
    );
}

#[test]
fn top_cum_sorted() {
    let f = fixtures();
    assert_same(
        &golden("top_cum_all_B.txt"),
        &f.join("heap2.pb.gz"),
        None,
        &q(Functions, None, true, true),
    );
}

#[test]
fn top_lines() {
    let f = fixtures();
    assert_same(
        &golden("top_lines_all_B.txt"),
        &f.join("heap2.pb.gz"),
        None,
        &q(Lines, None, false, true),
    );
}

#[test]
fn top_files() {
    let f = fixtures();
    assert_same(
        &golden("top_files_all_B.txt"),
        &f.join("heap2.pb.gz"),
        None,
        &q(Files, None, false, true),
    );
}

#[test]
fn top_sample_indexes() {
    let f = fixtures();
    assert_same(
        &golden("top_alloc_space_all_B.txt"),
        &f.join("heap2.pb.gz"),
        None,
        &q(Functions, Some("alloc_space"), false, true),
    );
    assert_same(
        &golden("top_inuse_objects_all.txt"),
        &f.join("heap2.pb.gz"),
        None,
        &q(Functions, Some("inuse_objects"), false, true),
    );
}

#[test]
fn base_diff() {
    let f = fixtures();
    let (b, s) = (f.join("heap1.pb.gz"), f.join("heap2.pb.gz"));
    assert_same(
        &golden("base_all_B.txt"),
        &s,
        Some(&b),
        &q(Functions, None, false, true),
    );
    assert_same(
        &golden("base_lines_all_B.txt"),
        &s,
        Some(&b),
        &q(Lines, None, false, true),
    );
    assert_same(
        &golden("base_alloc_objects_all.txt"),
        &s,
        Some(&b),
        &q(Functions, Some("alloc_objects"), false, true),
    );
}

#[test]
fn goroutine_proto_top() {
    let f = fixtures();
    assert_same(
        &golden("goroutine3_top_all.txt"),
        &f.join("goroutine3.pb.gz"),
        None,
        &q(Functions, None, false, true),
    );
}

/// The default view (nodes under 0.5% dropped) keeps the same rows as pprof's default.
#[test]
fn default_node_fraction_rows() {
    let f = fixtures();
    for (gold, base) in [("top.txt", None), ("base.txt", Some(f.join("heap1.pb.gz")))] {
        let go = pprof_support::parse_go_top(&golden(gold));
        let src = leakscope_heap::pprof::read_profile(&f.join("heap2.pb.gz")).expect("parse");
        let b = base.map(|b| leakscope_heap::pprof::read_profile(&b).expect("parse"));
        let t =
            leakscope_heap::pprof::top_table(&src, b.as_ref(), &q(Functions, None, false, false))
                .expect("table");
        let names: Vec<&str> = t.rows.iter().map(|r| r.name.as_str()).collect();
        let go_names: Vec<&str> = go.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, go_names, "{gold}");
        assert_eq!(go.dropped, t.dropped_nodes, "{gold}");
    }
}
