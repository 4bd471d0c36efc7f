//! Properties over arbitrary series: rendering never panics, the SVG always parses, no
//! non-finite number is ever written, and every finite sample is drawn.

mod common;

use leakscope_core::Point;
use leakscope_report::{LoadPoint, RunData};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => 0.0..1e10_f64,
        1 => any::<f64>(),
        1 => Just(f64::NAN),
        1 => -1e12..1e12_f64,
    ]
}

fn data() -> impl Strategy<Value = RunData> {
    (
        proptest::collection::vec((0.0..1e5_f64, value()), 0..60),
        proptest::collection::vec((0.0..1e5_f64, value(), value()), 0..20),
        proptest::option::of(value()),
        proptest::option::of((value(), value(), value())),
        proptest::option::of(value()),
        proptest::option::of(value()),
        ".{0,40}",
    )
        .prop_map(|(mem, load, baseline, trend, limit, warm, title)| {
            let t0 = common::T0;
            let mut d = common::bare(mem.iter().map(|(t, v)| Point::new(t0 + t, *v)).collect());
            d.load = load
                .iter()
                .map(|(t, r, e)| LoadPoint {
                    t: t0 + t,
                    rps: *r,
                    error_rate: *e,
                })
                .collect();
            d.baseline_bytes = baseline;
            d.trend = trend.map(|(t, v, s)| (t0 + t.abs() % 1e5, v, s));
            d.limit_bytes = limit;
            d.warmup_end = warm.map(|w| t0 + w.abs() % 1e5);
            d.title = title;
            d
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_run_renders(d in data()) {
        let svg = leakscope_report::chart_svg(&d, 400, 300);
        prop_assert!(roxmltree::Document::parse(&svg).is_ok(), "SVG parses");
        prop_assert!(common::attributes_finite(&svg), "finite coordinates");
        let finite = d.memory.iter().filter(|p| p.t.is_finite() && p.v.is_finite()).count();
        let drawn = common::polyline(&svg, "memory").map_or(0, |p| p.len());
        prop_assert_eq!(drawn, finite);
        let html = leakscope_report::html(&d);
        prop_assert!(!html.contains("NaN"));
        let png = leakscope_report::chart_png(&d, 200, 150);
        prop_assert!(png.is_ok());
        let _ = leakscope_report::sparkline(&d.memory.iter().map(|p| p.v).collect::<Vec<_>>(), 30);
    }
}
