#![no_main]
//! Fuzz the V8 `.heapsnapshot` reader and, when a file parses, every analysis on it: no input
//! may panic, hang or allocate without bound; bad input must be a `HeapError`.
use leakscope_heap::v8;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(snap) = v8::reader::read_slice(data) else {
        return;
    };
    let a = v8::analyze(snap);
    let opts = leakscope_heap::Options::default();
    let _ = v8::top_report(&a, "fuzz", &opts);
    // The diff path (id index, collections, closures, Comparison, continuity, suspects), on
    // the snapshot against itself.
    // Three copies: memlab's kept objects, holder keys (retainer matching) and the
    // dominator-tree picture run too.
    let index = || v8::reader::read_slice(data).map(|s| v8::diff::Indexed::new(s, || ()));
    let (Ok(one), Ok(two), Ok(three)) = (index(), index(), index()) else {
        return;
    };
    let _ = v8::suspects::find_suspects(
        std::slice::from_ref(&one),
        leakscope_heap::Matching::Retainers,
        None,
    );
    let paths = [
        std::path::PathBuf::from("a"),
        std::path::PathBuf::from("b"),
        std::path::PathBuf::from("c"),
    ];
    let snaps = [one, two, three];
    let _ = v8::diff::diff_snapshots(&snaps, &paths, &opts);
    for matching in [
        leakscope_heap::Matching::ObjectIds,
        leakscope_heap::Matching::Retainers,
    ] {
        let forced = leakscope_heap::Options {
            matching: Some(matching),
            pictures: true,
            ..Default::default()
        };
        let _ = v8::diff::diff_snapshots(&snaps, &paths, &forced);
    }
});
