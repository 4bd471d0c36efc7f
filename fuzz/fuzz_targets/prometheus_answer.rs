#![no_main]
//! Fuzz the reader of Prometheus API answers (`analyze --prometheus`: the server's JSON is
//! untrusted) and the recognizer on the series it yields, plus the selector parser and the
//! screen's floor rise: no input may panic.
use leakscope_core::{recognize, RecognizeOptions};
use leakscope_fleet::labels::{selector, VectorSelector};
use leakscope_fleet::prom::parse_answer;
use leakscope_fleet::screen::floor_rise;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(series) = parse_answer(data) {
        let opts = RecognizeOptions {
            min_span_seconds: 1.0,
            ..RecognizeOptions::default()
        };
        for s in series.iter().take(16) {
            let name = selector(&s.labels);
            let points = &s.points[..s.points.len().min(10_000)];
            let v = recognize(&name, points, &opts);
            assert!((0.0..=1.0).contains(&v.confidence));
            let rise = floor_rise(points, 60);
            assert!(rise >= 0.0 || rise.is_nan());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(sel) = VectorSelector::parse(text) {
            // What the parser accepts re-renders as a selector it accepts again.
            let again = sel.with_matcher("x=\"y\"");
            assert!(VectorSelector::parse(&again).is_some(), "{again}");
        }
    }
});
