//! Realistic soak-run data for the tests and the `render` example: a two-hour run of a service
//! whose heap floor climbs 40 MiB/h under steady load (leak), and its fixed twin (no leak).
#![allow(dead_code)]

use leakscope_core::{Pattern, Point, Verdict, VerdictKind};
use leakscope_report::{LoadPoint, RunData};

/// MiB in bytes.
pub const MIB: f64 = 1048576.0;
/// Start of the sample runs, unix seconds (2026-11-29 03:00:00 UTC).
pub const T0: f64 = 1_795_921_200.0;

/// A verdict with the given kind and numbers.
pub fn verdict(
    kind: VerdictKind,
    pattern: Pattern,
    growth_per_h: f64,
    memory: &[Point],
) -> Verdict {
    Verdict {
        name: "heap_used_bytes".into(),
        verdict: kind,
        pattern,
        growth_bytes_per_hour: growth_per_h,
        confidence: 0.93,
        detected_at: (kind == VerdictKind::Leak).then_some(T0 + 2400.0),
        time_to_limit_seconds: (kind == VerdictKind::Leak).then_some(5.3 * 3600.0),
        limit_bytes: Some(512.0 * MIB),
        samples: memory.len(),
        span_seconds: memory.last().map_or(0.0, |p| p.t) - memory.first().map_or(0.0, |p| p.t),
        first_bytes: memory.first().map_or(0.0, |p| p.v),
        last_bytes: memory.last().map_or(0.0, |p| p.v),
        restarts: 0,
        reasons: vec![
            "the floor after GC rose 78 MiB over 1 h 55 min and is still rising".into(),
            "no deceleration toward a plateau in the last quarter".into(),
        ],
        windows: vec![],
        confirmed_by_window_seconds: None,
        caveat: None,
        period_seconds: None,
    }
}

/// A two-hour soak (a sample every 30 s). `growth_mib_per_h` is the heap floor's growth after
/// the 5-minute warm-up.
pub fn run(growth_mib_per_h: f64) -> RunData {
    let n = 241;
    let warm = 300.0;
    let mut memory = Vec::new();
    let mut rss = Vec::new();
    let mut load = Vec::new();
    for i in 0..n {
        let dt = i as f64 * 30.0;
        let t = T0 + dt;
        let floor = if dt < warm {
            60.0 + 60.0 * dt / warm
        } else {
            120.0 + growth_mib_per_h * (dt - warm) / 3600.0
        };
        let saw = 6.0 * ((i % 7) as f64 / 6.0) + 1.5 * (dt / 97.0).sin();
        memory.push(Point::new(t, (floor + saw) * MIB));
        rss.push(Point::new(
            t,
            (floor * 1.08 + 70.0 + 2.0 * (dt / 400.0).sin()) * MIB,
        ));
        let spike = if (3000.0..3300.0).contains(&dt) {
            0.028
        } else {
            0.0
        };
        load.push(LoadPoint {
            t,
            rps: if dt < 60.0 {
                200.0 + 4.0 * dt
            } else {
                450.0 + 25.0 * (dt / 210.0).sin() + 10.0 * (dt / 37.0).cos()
            },
            error_rate: 0.002 + 0.001 * (dt / 150.0).sin().abs() + spike,
        });
    }
    let leak = growth_mib_per_h > 5.0;
    let (kind, pattern) = if leak {
        (VerdictKind::Leak, Pattern::RisingFloor)
    } else {
        (VerdictKind::NoLeak, Pattern::Sawtooth)
    };
    let mut verdict = verdict(kind, pattern, growth_mib_per_h * MIB, &memory);
    if !leak {
        verdict.reasons = vec![
            "the floor after GC stayed within 1 MiB of the baseline for 1 h 55 min".into(),
            "a GC sawtooth of 6 MiB returns to the floor each cycle".into(),
        ];
    }
    RunData {
        title: "node server.js --port 8080 --cache=\"lru<1000>\" && echo done".into(),
        memory_label: "heap used after GC".into(),
        extra_series: vec![("RSS".into(), rss)],
        load,
        warmup_end: Some(T0 + warm),
        baseline_bytes: Some(120.0 * MIB),
        trend: Some((T0 + warm, 120.0 * MIB, growth_mib_per_h * MIB / 3600.0)),
        limit_bytes: Some(512.0 * MIB),
        floor: Vec::new(),
        restarts_at: Vec::new(),
        verdict,
        facts: vec![(
            "Load".into(),
            "GET /api/items at 450 req/s, 64 connections".into(),
        )],
        memory,
    }
}

/// The leaking run.
pub fn leak() -> RunData {
    run(40.0)
}

/// The fixed twin: a flat floor.
pub fn no_leak() -> RunData {
    run(0.0)
}

/// A bare run: just `memory` (no load, no extras, no baseline, no trend, no limit).
pub fn bare(memory: Vec<Point>) -> RunData {
    let verdict = verdict(
        VerdictKind::InsufficientData,
        Pattern::Unknown,
        0.0,
        &memory,
    );
    RunData {
        title: "bare".into(),
        memory_label: "RSS".into(),
        extra_series: Vec::new(),
        load: Vec::new(),
        warmup_end: None,
        baseline_bytes: None,
        trend: None,
        limit_bytes: None,
        floor: Vec::new(),
        restarts_at: Vec::new(),
        verdict,
        facts: Vec::new(),
        memory,
    }
}

/// `n` points every 30 s from [`T0`], value `f(i)` bytes.
pub fn series(n: usize, f: impl Fn(usize) -> f64) -> Vec<Point> {
    (0..n)
        .map(|i| Point::new(T0 + i as f64 * 30.0, f(i)))
        .collect()
}

/// The `points` attribute of the polyline with id `id`, parsed; None when there is none.
pub fn polyline(svg: &str, id: &str) -> Option<Vec<(f64, f64)>> {
    let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
    let node = doc
        .descendants()
        .find(|n| n.has_tag_name("polyline") && n.attribute("id") == Some(id))?;
    let pts = node.attribute("points")?;
    Some(
        pts.split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y pair");
                (x.parse().expect("x number"), y.parse().expect("y number"))
            })
            .collect(),
    )
}

/// Decodes PNG bytes into (width, height, RGB or RGBA bytes, bytes per pixel).
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size().expect("size known")];
    let info = reader.next_frame(&mut buf).expect("PNG frame decodes");
    buf.truncate(info.buffer_size());
    let bpp = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    (info.width, info.height, buf, bpp)
}

/// True when pixel (x, y) is within `tol` (per channel) of `rgb`.
pub fn pixel_is(
    img: &(u32, u32, Vec<u8>, usize),
    x: i64,
    y: i64,
    rgb: (u8, u8, u8),
    tol: u8,
) -> bool {
    let (w, h, buf, bpp) = img;
    if x < 0 || y < 0 || x >= i64::from(*w) || y >= i64::from(*h) {
        return false;
    }
    let i = (y as usize * *w as usize + x as usize) * bpp;
    let near = |a: u8, b: u8| a.abs_diff(b) <= tol;
    near(buf[i], rgb.0) && near(buf[i + 1], rgb.1) && near(buf[i + 2], rgb.2)
}

/// True when no attribute of the SVG (coordinates, sizes) holds a non-finite number.
pub fn attributes_finite(svg: &str) -> bool {
    let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
    doc.descendants()
        .flat_map(|n| n.attributes().collect::<Vec<_>>())
        .filter(|a| a.name() != "font-family")
        .all(|a| !a.value().contains("NaN") && !a.value().contains("inf"))
}
