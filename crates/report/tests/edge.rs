//! Odd inputs: no panics, valid output, nothing non-finite written.

mod common;

use common::{bare, decode_png, leak, polyline, series, MIB, T0};
use leakscope_core::Point;
use leakscope_report::{LoadPoint, RunData};

/// Renders `data` every way and checks each output is valid.
fn renders(data: &RunData) -> String {
    let svg = leakscope_report::chart_svg(data, 900, 500);
    roxmltree::Document::parse(&svg).expect("SVG well-formed");
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "non-finite number in SVG"
    );
    let png = leakscope_report::chart_png(data, 640, 360).expect("PNG");
    let (w, h, _, _) = decode_png(&png);
    assert_eq!((w, h), (640, 360));
    let html = leakscope_report::html(data);
    assert!(!html.contains("NaN"));
    svg
}

#[test]
fn empty_series() {
    let svg = renders(&bare(Vec::new()));
    assert!(svg.contains("no memory samples"));
    assert_eq!(polyline(&svg, "memory"), None, "no empty polyline");
}

#[test]
fn single_point() {
    let svg = renders(&bare(vec![Point::new(T0, 100.0 * MIB)]));
    assert_eq!(polyline(&svg, "memory").map(|p| p.len()), Some(1));
}

#[test]
fn constant_values() {
    let svg = renders(&bare(series(30, |_| 64.0 * MIB)));
    let pts = polyline(&svg, "memory").expect("memory");
    assert!(pts.iter().all(|p| p.1 == pts[0].1));
}

#[test]
fn nan_and_infinite_points_are_skipped() {
    let mut pts = series(20, |i| (100 + i) as f64 * MIB);
    pts[3].v = f64::NAN;
    pts[7].v = f64::INFINITY;
    pts[9].t = f64::NAN;
    let mut data = bare(pts);
    data.baseline_bytes = Some(f64::NAN);
    data.trend = Some((T0, f64::NAN, 1.0));
    data.limit_bytes = Some(f64::INFINITY);
    data.warmup_end = Some(f64::NAN);
    data.load = vec![LoadPoint {
        t: T0,
        rps: f64::NAN,
        error_rate: f64::NAN,
    }];
    let svg = renders(&data);
    assert_eq!(polyline(&svg, "memory").map(|p| p.len()), Some(17));
}

#[test]
fn huge_and_negative_values() {
    renders(&bare(series(10, |i| 1e18 * (1 + i) as f64)));
    renders(&bare(series(10, |i| 1e300 * (1 + i) as f64)));
    renders(&bare(series(10, |i| {
        if i % 2 == 0 {
            f64::MAX
        } else {
            -f64::MAX
        }
    })));
    renders(&bare(series(10, |i| -(i as f64) * MIB)));
    let mut data = bare(series(10, |i| i as f64 * MIB));
    data.trend = Some((T0, 0.0, 1e300));
    data.limit_bytes = Some(1e308);
    renders(&data);
}

#[test]
fn unsorted_and_duplicate_times() {
    let mut pts = series(10, |i| (100 + i) as f64 * MIB);
    pts.reverse();
    pts.push(Point::new(T0, 50.0 * MIB));
    let svg = renders(&bare(pts));
    let p = polyline(&svg, "memory").expect("memory");
    assert!(p.windows(2).all(|w| w[1].0 >= w[0].0));
}

#[test]
fn load_absent_and_load_only() {
    let mut data = leak();
    data.load.clear();
    let svg = renders(&data);
    assert_eq!(polyline(&svg, "rps"), None);
    let mut data = bare(Vec::new());
    data.load = vec![
        LoadPoint {
            t: T0,
            rps: 10.0,
            error_rate: 0.0,
        },
        LoadPoint {
            t: T0 + 30.0,
            rps: 12.0,
            error_rate: 0.5,
        },
    ];
    let svg = renders(&data);
    assert_eq!(polyline(&svg, "rps").map(|p| p.len()), Some(2));
}

#[test]
fn tiny_sizes_and_empty_labels() {
    let mut data = leak();
    data.title.clear();
    data.memory_label.clear();
    for (w, h) in [(1, 1), (10, 500), (500, 10)] {
        let png = leakscope_report::chart_png(&data, w, h).expect("png");
        assert_eq!(decode_png(&png).0, w);
        roxmltree::Document::parse(&leakscope_report::chart_svg(&data, w, h)).expect("svg");
    }
}

#[test]
fn write_plot_picks_the_format_by_extension() {
    let dir = std::env::temp_dir().join(format!("leakscope-report-edge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let data = leak();
    leakscope_report::write_plot(dir.join("a.SVG"), &data).expect("svg");
    leakscope_report::write_plot(dir.join("a.png"), &data).expect("png");
    leakscope_report::write_html(dir.join("a.html"), &data).expect("html");
    let svg = std::fs::read_to_string(dir.join("a.SVG")).expect("read");
    assert!(svg.starts_with("<svg"));
    let png = std::fs::read(dir.join("a.png")).expect("read");
    assert_eq!(decode_png(&png).0, leakscope_report::PLOT_WIDTH);
    let err = leakscope_report::write_plot(dir.join("a.jpg"), &data).expect_err("jpg");
    assert!(err.to_string().contains("*.svg or *.png"), "{err}");
    let err =
        leakscope_report::write_html(dir.join("missing/dir/a.html"), &data).expect_err("no dir");
    assert!(err.to_string().contains("missing/dir/a.html"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
