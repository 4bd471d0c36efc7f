#![no_main]
//! pprof profile.proto bytes (gzipped or not): parsing, merging and the -top tables must
//! never panic, whatever the input.
use leakscope_heap::pprof::{self, Granularity, TopQuery};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // A small cap keeps gzip bombs from dominating the run.
    let Ok(p) = pprof::parse_profile_capped(data, 16 << 20) else {
        return;
    };
    for g in [
        Granularity::Functions,
        Granularity::Lines,
        Granularity::Files,
    ] {
        let q = TopQuery {
            granularity: g,
            ..TopQuery::default()
        };
        let _ = pprof::top_table(&p, None, &q);
        let _ = pprof::top_table(&p, Some(&p), &q);
    }
    // --focus/--ignore and --list (names from the profile against fixed patterns; sources
    // looked for in a directory that does not exist).
    let mut m = pprof::merge::merge(&[(&p, 1)]);
    let re = |s: &str| regex::Regex::new(s).ok();
    let _ = pprof::filter::focus_ignore(&mut m, re("a|main").as_ref(), re("runtime").as_ref());
    if let Some(all) = re(".") {
        let _ = pprof::list::listing(&m, 0, &all, std::path::Path::new("/nonexistent"), 1);
    }
    if pprof::is_goroutine(&p) {
        let cap = leakscope_heap::goroutine::parse::from_profile(&p);
        let _ = leakscope_heap::goroutine::group(&cap);
    }
});
