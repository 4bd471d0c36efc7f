//! `heap top`/`heap diff` reports on the Go heap fixtures: the Heap JSON shape, suspects,
//! options and errors.

mod pprof_support;

use leakscope_heap::{HeapError, Options};
use pprof_support::fixtures;

#[test]
fn diff_names_the_growing_map() {
    let f = fixtures();
    let rep = leakscope_heap::diff(
        &[f.join("heap1.pb.gz"), f.join("heap2.pb.gz")],
        &Options::default(),
    )
    .expect("diff");
    assert_eq!(
        (rep.format.as_str(), rep.profile.as_str(), rep.mode.as_str()),
        ("pprof", "heap", "diff")
    );
    assert_eq!(rep.groups[0].name, "main.leakCache");
    let s = &rep.suspects[0];
    assert_eq!(s.pattern, "growing-allocation-site");
    assert!(
        s.name.starts_with("main.leakCache (leakdemo/main.go:"),
        "{}",
        s.name
    );
    assert!(s.size_delta > 50 << 20, "{}", s.size_delta);
    assert!(s.count_delta > 10_000, "{}", s.count_delta);
    assert_eq!(
        s.retainer_path.first().map(String::as_str),
        Some("runtime.main runtime/proc.go:250")
    );
    assert!(s
        .retainer_path
        .last()
        .is_some_and(|p| p.starts_with("main.leakCache ")));
    // runtime.malg growth (goroutine descriptors) becomes a hint when the sampler caught it.
    let malg = rep
        .groups
        .iter()
        .find(|g| g.name == "runtime.malg")
        .map(|g| g.values["flat"]);
    let hint = rep
        .suspects
        .iter()
        .any(|s| s.extra.get("hint").is_some_and(|h| h == "goroutine-leak"));
    assert_eq!(hint, malg.is_some_and(|v| v > 0.0), "{malg:?}");
    let json = serde_json::to_value(&rep).expect("json");
    assert_eq!(json["groups"][0]["flat"], json["groups"][0]["cum"]);
    assert!(json["totals"]["total"].as_f64().is_some_and(|t| t > 0.0));
}

#[test]
fn top_options() {
    let f = fixtures();
    let p = f.join("heap2.pb.gz");
    let by_line = leakscope_heap::top(
        &p,
        &Options {
            by: Some("line".into()),
            sample_index: Some("alloc_space".into()),
            limit: 2,
            ..Options::default()
        },
    )
    .expect("top");
    assert_eq!(by_line.groups.len(), 2);
    assert!(by_line.groups[0].name.contains("leakdemo/main.go:"));
    let cum = leakscope_heap::top(
        &p,
        &Options {
            cumulative: true,
            limit: 0,
            ..Options::default()
        },
    )
    .expect("top");
    let cums: Vec<f64> = cum.groups.iter().map(|g| g.values["cum"]).collect();
    assert!(
        cums.windows(2).all(|w| w[0].abs() >= w[1].abs()),
        "{cums:?}"
    );
    for bad in [
        Options {
            by: Some("class".into()),
            ..Options::default()
        },
        Options {
            sample_index: Some("bogus".into()),
            ..Options::default()
        },
        Options {
            sample_index: Some("9".into()),
            ..Options::default()
        },
    ] {
        assert!(matches!(
            leakscope_heap::top(&p, &bad),
            Err(HeapError::Usage(_))
        ));
    }
}

#[test]
fn heap_and_goroutine_profiles_do_not_diff() {
    let f = fixtures();
    let e = leakscope_heap::pprof::diff(
        &[f.join("heap1.pb.gz"), f.join("goroutine1.pb.gz")],
        &Options::default(),
    );
    assert!(matches!(e, Err(HeapError::Mismatch(_))), "{e:?}");
}
