//! The standalone SVG chart: well-formed, series drawn point for point, text escaped.

mod common;

use common::{bare, leak, polyline, series, MIB};

#[test]
fn svg_is_well_formed_and_draws_every_series() {
    let data = leak();
    let svg = leakscope_report::chart_svg(&data, 1000, 660);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(doc.root_element().attribute("width"), Some("1000"));
    for id in [
        "memory",
        "extra-0",
        "baseline",
        "trend",
        "rps",
        "error-rate",
    ] {
        assert!(polyline(&svg, id).is_some(), "polyline {id} missing");
    }
    assert_eq!(
        polyline(&svg, "memory").map(|p| p.len()),
        Some(data.memory.len())
    );
    assert_eq!(
        polyline(&svg, "rps").map(|p| p.len()),
        Some(data.load.len())
    );
    assert_eq!(polyline(&svg, "trend").map(|p| p.len()), Some(2));
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

#[test]
fn memory_polyline_tracks_the_data() {
    // Irregular but known values: y must be an exact decreasing linear function of v.
    let data = bare(series(50, |i| {
        (100.0 + ((i * 37) % 23) as f64 + i as f64) * MIB
    }));
    let svg = leakscope_report::chart_svg(&data, 800, 400);
    let pts = polyline(&svg, "memory").expect("memory polyline");
    assert_eq!(pts.len(), 50);
    assert!(
        pts.windows(2).all(|w| w[1].0 > w[0].0),
        "x strictly increasing"
    );
    // Equal x spacing for equal time spacing.
    let dx = pts[1].0 - pts[0].0;
    assert!(pts
        .windows(2)
        .all(|w| ((w[1].0 - w[0].0) - dx).abs() < 0.15));
    // Fit y = a + b v from two points; every point must sit on it (SVG keeps 0.1 px).
    let (v0, v1) = (data.memory[0].v, data.memory[49].v);
    let b = (pts[49].1 - pts[0].1) / (v1 - v0);
    assert!(b < 0.0, "higher memory is drawn higher up");
    for (p, d) in pts.iter().zip(&data.memory) {
        let want = pts[0].1 + b * (d.v - v0);
        assert!((p.1 - want).abs() < 0.15, "y {} vs {want}", p.1);
    }
}

#[test]
fn falling_trend_is_drawn_falling() {
    let mut data = bare(series(40, |i| (300.0 - i as f64) * MIB));
    data.trend = Some((common::T0, 300.0 * MIB, -MIB / 30.0));
    let svg = leakscope_report::chart_svg(&data, 800, 400);
    let t = polyline(&svg, "trend").expect("trend");
    assert!(
        t[1].1 > t[0].1,
        "a negative slope goes down the page: {t:?}"
    );
    assert!(svg.contains("-120 MiB/h"), "legend shows the signed rate");
}

#[test]
fn text_is_escaped() {
    let mut data = leak();
    data.title = "run <script>alert('x')</script> & \"quoted\"".into();
    data.memory_label = "heap <used> & \"more\"".into();
    data.extra_series[0].0 = "R<S>S".into();
    let svg = leakscope_report::chart_svg(&data, 1000, 660);
    let doc = roxmltree::Document::parse(&svg).expect("still well-formed");
    assert!(!svg.contains("<script"));
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text());
    assert_eq!(title, Some(data.title.as_str()));
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"heap <used> & \"more\""));
    assert!(texts.contains(&"R<S>S"));
}

#[test]
fn long_series_are_thinned_but_keep_their_extremes() {
    let n = 100_000;
    let data = bare(series(n, |i| {
        if i == 54_321 {
            900.0 * MIB
        } else {
            (100 + i % 10) as f64 * MIB
        }
    }));
    let svg = leakscope_report::chart_svg(&data, 800, 400);
    let pts = polyline(&svg, "memory").expect("memory");
    assert!(pts.len() < 4 * 800, "thinned to {} points", pts.len());
    assert!(pts.windows(2).all(|w| w[1].0 >= w[0].0), "x monotone");
    let top = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let spike_y = pts.iter().filter(|p| p.1 == top).count();
    assert!(spike_y >= 1, "the spike survives thinning");
    assert!(svg.len() < 200_000, "SVG stays small: {} bytes", svg.len());
}

#[test]
fn the_floor_is_drawn_one_run_per_restart_with_the_restarts_marked() {
    let mut data = bare(series(240, |i| (100.0 + (i % 80) as f64) * MIB));
    let t = |i: usize| data.memory[i].t;
    // Two runs: the floor rises in each and is split at the restart between them.
    data.floor = (0..240)
        .filter(|i| i % 10 == 0)
        .map(|i| leakscope_core::Point::new(t(i), (100.0 + (i % 80) as f64 * 0.5) * MIB))
        .collect();
    data.restarts_at = vec![t(80), t(160)];
    let svg = leakscope_report::chart_svg(&data, 1000, 440);
    roxmltree::Document::parse(&svg).expect("well-formed");
    let runs: Vec<usize> = (0..4)
        .filter_map(|k| polyline(&svg, &format!("floor-{k}")).map(|p| p.len()))
        .collect();
    assert_eq!(runs, vec![8, 8, 8], "three runs of eight floor points");
    assert!(polyline(&svg, "restart-0").is_some() && polyline(&svg, "restart-1").is_some());
    assert!(
        svg.contains(">floor<") && svg.contains(">restarts<"),
        "legend"
    );
}
