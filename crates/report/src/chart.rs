//! Lays the chart out as a [`Scene`]: a memory panel (series, warm-up, baseline, trend, limit)
//! and, when there was load, a load panel (requests/s on the left axis, error rate on the right).

use crate::scene::{text_width, Anchor, Rect, Rgb, Scene, Shape};
use crate::units::{
    byte_unit, decimals_for, format_bytes, format_rate_per_hour, nice_range, nice_step, nice_ticks,
    time_unit,
};
use crate::{RunData, VerdictKind};

/// Colour of the memory series the verdict is about.
pub(crate) const MEMORY: Rgb = Rgb(0x1f, 0x6f, 0xeb);
/// Colours of the extra memory series, lighter than [`MEMORY`].
pub(crate) const EXTRA: [Rgb; 3] = [
    Rgb(0x9a, 0xb0, 0xcc),
    Rgb(0xc9, 0xa8, 0xe8),
    Rgb(0x9f, 0xd3, 0xc0),
];
/// Colour of the dashed trend line.
pub(crate) const TREND: Rgb = Rgb(0xe8, 0x59, 0x0c);
/// Colour of the dashed baseline.
pub(crate) const BASELINE: Rgb = Rgb(0x2d, 0x8a, 0x4e);
/// Colour of the limit line.
pub(crate) const LIMIT: Rgb = Rgb(0xcf, 0x22, 0x2e);
/// Colour of the requests/s series.
pub(crate) const RPS: Rgb = Rgb(0x82, 0x50, 0xdf);
/// Colour of the error-rate series.
pub(crate) const ERRORS: Rgb = Rgb(0xd9, 0x3f, 0x0b);
/// Verdict colours: leak, no leak, insufficient data.
pub(crate) const RED: Rgb = Rgb(0xcf, 0x22, 0x2e);
pub(crate) const GREEN: Rgb = Rgb(0x1a, 0x7f, 0x37);
pub(crate) const AMBER: Rgb = Rgb(0x9a, 0x67, 0x00);

const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
const INK: Rgb = Rgb(0x1f, 0x23, 0x28);
const MUTED: Rgb = Rgb(0x57, 0x60, 0x6a);
const GRID: Rgb = Rgb(0xe6, 0xe9, 0xed);
const AXIS: Rgb = Rgb(0x8c, 0x95, 0x9f);
const WARMUP: Rgb = Rgb(0xf3, 0xf4, 0xf6);

const TICK_FONT: f64 = 12.0;
const LEGEND_FONT: f64 = 12.5;

/// The colour that stands for a verdict.
pub(crate) fn verdict_colour(kind: VerdictKind) -> Rgb {
    match kind {
        VerdictKind::Leak => RED,
        VerdictKind::NoLeak => GREEN,
        VerdictKind::InsufficientData => AMBER,
    }
}

/// The verdict in capitals, ASCII only: "LEAK", "NO LEAK", "INSUFFICIENT DATA".
pub(crate) fn verdict_word(kind: VerdictKind) -> &'static str {
    match kind {
        VerdictKind::Leak => "LEAK",
        VerdictKind::NoLeak => "NO LEAK",
        VerdictKind::InsufficientData => "INSUFFICIENT DATA",
    }
}

/// True when `data.load` has at least one drawable point.
pub(crate) fn has_load(data: &RunData) -> bool {
    data.load
        .iter()
        .any(|p| p.t.is_finite() && (p.rps.is_finite() || p.error_rate.is_finite()))
}

/// Finite (t, v) pairs sorted by time.
fn clean(points: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = points
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// A linear map from data to pixels along one axis.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn map(&self, d: f64) -> f64 {
        let span = self.d1 - self.d0;
        let f = if span.is_finite() && span != 0.0 {
            (d - self.d0) / span
        } else {
            0.5
        };
        let p = self.p0 + f * (self.p1 - self.p0);
        if p.is_finite() {
            p.clamp(-1e6, 1e6)
        } else {
            self.p0
        }
    }
}

/// A legend entry: label, colour, dash pattern (on, off pixels).
type LegendItem = (String, Rgb, Option<(f64, f64)>);

/// The panels' shared horizontal frame.
struct Frame {
    left: f64,
    right: f64,
    t0: f64,
    t1: f64,
    unit: (&'static str, f64),
}

impl Frame {
    fn x(&self) -> Scale {
        Scale {
            d0: self.t0,
            d1: self.t1,
            p0: self.left,
            p1: self.right,
        }
    }
}

/// Lays out the chart of `data` on `width`×`height` pixels. With `with_title`, the title and a
/// verdict badge head the picture (the standalone plot); without, the HTML page shows them.
pub(crate) fn layout(data: &RunData, width: u32, height: u32, with_title: bool) -> Scene {
    let (w, h) = (f64::from(width), f64::from(height));
    let mut s = Vec::new();
    let memory = clean(data.memory.iter().map(|p| (p.t, p.v)));
    let extras: Vec<(String, Vec<(f64, f64)>)> = data
        .extra_series
        .iter()
        .map(|(n, pts)| (n.clone(), clean(pts.iter().map(|p| (p.t, p.v)))))
        .collect();
    let rps = clean(data.load.iter().map(|p| (p.t, p.rps)));
    let errors = clean(data.load.iter().map(|p| (p.t, p.error_rate * 100.0)));
    let load = !rps.is_empty() || !errors.is_empty();

    // Time domain over everything drawn.
    let all_t = memory
        .iter()
        .chain(extras.iter().flat_map(|e| e.1.iter()))
        .chain(rps.iter())
        .chain(errors.iter())
        .map(|p| p.0);
    let (mut t0, mut t1) = all_t.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| {
        (a.min(t), b.max(t))
    });
    if t0 > t1 {
        (t0, t1) = (0.0, 60.0);
    } else if t1 - t0 < 1e-9 {
        (t0, t1) = (t0 - 30.0, t1 + 30.0);
    }
    let unit = time_unit(t1 - t0);

    let header = if with_title { 40.0 } else { 4.0 };
    let legend = 30.0;
    let xlabels = 22.0;
    let xtitle = 24.0;
    let gap = 16.0;
    let frame = Frame {
        left: 76.0,
        right: w - if load { 66.0 } else { 28.0 },
        t0,
        t1,
        unit,
    };
    let (mem_h, load_h) = if load {
        let avail = (h - header - 2.0 * legend - 2.0 * xlabels - xtitle - gap).max(40.0);
        (avail * 0.64, avail * 0.36)
    } else {
        ((h - header - legend - xlabels - xtitle).max(20.0), 0.0)
    };
    let mem_plot = Rect {
        x: frame.left,
        y: header + legend,
        w: frame.right - frame.left,
        h: mem_h,
    };

    if with_title {
        title_and_badge(&mut s, data, w);
    }
    memory_panel(&mut s, data, &frame, mem_plot, &memory, &extras);
    if load {
        let load_plot = Rect {
            x: frame.left,
            y: mem_plot.y + mem_plot.h + xlabels + gap + legend,
            w: mem_plot.w,
            h: load_h,
        };
        load_panel(&mut s, &frame, load_plot, &rps, &errors);
    }
    let bottom = h - 8.0;
    s.push(text(
        (frame.left + frame.right) / 2.0,
        bottom,
        format!("elapsed time ({})", unit.0),
        TICK_FONT,
        MUTED,
        Anchor::Middle,
    ));
    Scene {
        width,
        height,
        background: WHITE,
        shapes: s,
    }
}

fn title_and_badge(s: &mut Vec<Shape>, data: &RunData, w: f64) {
    let v = &data.verdict;
    let badge = format!(
        "{}  {}  {}",
        verdict_word(v.verdict),
        v.pattern.as_str(),
        format_rate_per_hour(v.growth_bytes_per_hour)
    );
    let bw = text_width(&badge, 13.0) + 20.0;
    let bx = w - 12.0 - bw;
    s.push(Shape::Rect {
        r: Rect {
            x: bx,
            y: 8.0,
            w: bw,
            h: 24.0,
        },
        fill: verdict_colour(v.verdict),
    });
    s.push(Shape::Text {
        x: bx + bw / 2.0,
        y: 25.0,
        text: badge,
        size: 13.0,
        fill: WHITE,
        anchor: Anchor::Middle,
        bold: true,
    });
    let room = ((bx - 24.0) / (15.0 * crate::scene::CHAR_ADVANCE)).max(4.0) as usize;
    s.push(Shape::Text {
        x: 12.0,
        y: 26.0,
        text: truncate(&data.title, room),
        size: 15.0,
        fill: INK,
        anchor: Anchor::Start,
        bold: true,
    });
}

#[allow(clippy::too_many_arguments)]
fn memory_panel(
    s: &mut Vec<Shape>,
    data: &RunData,
    frame: &Frame,
    plot: Rect,
    memory: &[(f64, f64)],
    extras: &[(String, Vec<(f64, f64)>)],
) {
    let x = frame.x();
    let last_t = memory.last().map_or(frame.t1, |p| p.0);
    let first_t = memory.first().map_or(frame.t0, |p| p.0);
    let trend_seg = data.trend.and_then(|(tt, tv, slope)| {
        let a = data
            .warmup_end
            .unwrap_or(tt)
            .clamp(first_t, last_t.max(first_t));
        let seg = [
            (a, tv + slope * (a - tt)),
            (last_t, tv + slope * (last_t - tt)),
        ];
        seg.iter()
            .all(|p| p.0.is_finite() && p.1.is_finite())
            .then_some(seg)
    });
    let finite = |o: Option<f64>| o.filter(|v| v.is_finite());
    let baseline = finite(data.baseline_bytes);
    let limit = finite(data.limit_bytes);

    // Vertical domain: the data, the baseline, a nearby limit, a sane trend.
    let data_vals = memory
        .iter()
        .chain(extras.iter().flat_map(|e| e.1.iter()))
        .map(|p| p.1)
        .chain(baseline);
    let (mut lo, mut hi) = data_vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if lo > hi {
        (lo, hi) = (0.0, limit.unwrap_or(1048576.0));
    }
    let span = (hi - lo).max(hi.abs() * 0.05);
    if let Some(seg) = trend_seg {
        for (_, v) in seg {
            if v >= lo - 0.5 * span && v <= hi + 0.5 * span {
                (lo, hi) = (lo.min(v), hi.max(v));
            }
        }
    }
    let limit_on_chart = limit.filter(|l| *l >= lo && *l <= hi + 0.6 * span.max(hi.abs()));
    if let Some(l) = limit_on_chart {
        hi = hi.max(l);
    }
    if lo >= 0.0 && lo < 0.35 * hi {
        lo = 0.0;
    }
    let bu = byte_unit(lo.abs().max(hi.abs()));
    let (ulo, uhi) = nice_range(lo / bu.1, hi / bu.1);
    let y = Scale {
        d0: ulo * bu.1,
        d1: uhi * bu.1,
        p0: plot.y + plot.h,
        p1: plot.y,
    };

    // Warm-up shading goes under the grid.
    if let Some(we) = finite(data.warmup_end).filter(|we| *we > frame.t0) {
        let xe = x.map(we.min(frame.t1));
        s.push(Shape::Rect {
            r: Rect {
                x: plot.x,
                y: plot.y,
                w: (xe - plot.x).max(0.0),
                h: plot.h,
            },
            fill: WARMUP,
        });
        if xe - plot.x > 60.0 {
            s.push(text(
                plot.x + 6.0,
                plot.y + 16.0,
                "warm-up".into(),
                11.5,
                AXIS,
                Anchor::Start,
            ));
        }
    }
    let yticks = nice_ticks(ulo, uhi, 5);
    let dec = decimals_for(yticks.get(1).map_or(1.0, |b| b - yticks[0]));
    axes(
        s,
        frame,
        plot,
        &yticks,
        |v| y.map(v * bu.1),
        dec,
        bu.0,
        None,
    );

    let clip = Some(plot);
    if let Some(l) = limit_on_chart {
        let ly = y.map(l);
        s.push(hline("limit", plot, ly, LIMIT, 1.5, Some((8.0, 4.0))));
        s.push(text(
            plot.x + plot.w - 6.0,
            ly - 5.0,
            format!("limit {}", format_bytes(l)),
            11.5,
            LIMIT,
            Anchor::End,
        ));
    }
    for (i, (_, pts)) in extras.iter().enumerate() {
        let c = EXTRA[i % EXTRA.len()];
        s.push(series(format!("extra-{i}"), pts, &x, &y, plot, c, 1.6));
    }
    if let Some(b) = baseline {
        let a = x.map(finite(data.warmup_end).unwrap_or(first_t).max(frame.t0));
        let by = y.map(b);
        s.push(path(
            "baseline",
            vec![(a, by), (plot.x + plot.w, by)],
            BASELINE,
            1.5,
            Some((3.0, 3.0)),
            clip,
        ));
    }
    s.push(series("memory".into(), memory, &x, &y, plot, MEMORY, 2.2));
    if let Some(seg) = trend_seg {
        let pts = seg.iter().map(|p| (x.map(p.0), y.map(p.1))).collect();
        s.push(path("trend", pts, TREND, 2.2, Some((9.0, 5.0)), clip));
    }
    if memory.is_empty() {
        s.push(text(
            plot.x + plot.w / 2.0,
            plot.y + plot.h / 2.0,
            "no memory samples".into(),
            14.0,
            MUTED,
            Anchor::Middle,
        ));
    }

    // Legend above the panel.
    let mut items: Vec<LegendItem> = Vec::new();
    let label = if data.memory_label.trim().is_empty() {
        "memory".to_string()
    } else {
        data.memory_label.clone()
    };
    items.push((label, MEMORY, None));
    for (i, (n, _)) in extras.iter().enumerate() {
        items.push((n.clone(), EXTRA[i % EXTRA.len()], None));
    }
    if let Some(b) = baseline {
        items.push((
            format!("baseline {}", format_bytes(b)),
            BASELINE,
            Some((3.0, 3.0)),
        ));
    }
    if let Some((_, _, slope)) = data.trend.filter(|_| trend_seg.is_some()) {
        items.push((
            format!("trend {}", format_rate_per_hour(slope * 3600.0)),
            TREND,
            Some((6.0, 3.0)),
        ));
    }
    if let Some(l) = limit.filter(|_| limit_on_chart.is_none()) {
        items.push((
            format!("limit {} (above chart)", format_bytes(l)),
            LIMIT,
            Some((6.0, 3.0)),
        ));
    }
    legend_row(s, plot, &items);
}

fn load_panel(
    s: &mut Vec<Shape>,
    frame: &Frame,
    plot: Rect,
    rps: &[(f64, f64)],
    errors: &[(f64, f64)],
) {
    let x = frame.x();
    // Both axes share the grid: k intervals of a round step each.
    let rmax = rps.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let rstep = nice_step(if rmax > 0.0 { rmax * 1.05 / 4.0 } else { 0.25 });
    let k = (rmax * 1.05 / rstep).ceil().clamp(1.0, 10.0);
    let rhi = rstep * k;
    let emax = errors.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let estep = nice_step(if emax > 0.0 { emax * 1.05 / k } else { 1.0 / k });
    let ehi = estep * k;
    let y = Scale {
        d0: 0.0,
        d1: rhi,
        p0: plot.y + plot.h,
        p1: plot.y,
    };
    let ye = Scale {
        d0: 0.0,
        d1: ehi,
        p0: plot.y + plot.h,
        p1: plot.y,
    };
    let ticks: Vec<f64> = (0..=k as usize).map(|i| i as f64 * rstep).collect();
    let dec = decimals_for(rstep);
    let edec = decimals_for(estep);
    let right: Vec<(f64, String)> = (0..=k as usize)
        .map(|i| {
            (
                y.map(i as f64 * rstep),
                format!("{:.edec$}", i as f64 * estep),
            )
        })
        .collect();
    axes(
        s,
        frame,
        plot,
        &ticks,
        |v| y.map(v),
        dec,
        "req/s",
        Some((&right, "errors %")),
    );
    s.push(series(
        "error-rate".into(),
        errors,
        &x,
        &ye,
        plot,
        ERRORS,
        1.6,
    ));
    s.push(series("rps".into(), rps, &x, &y, plot, RPS, 2.0));
    let items = vec![
        ("requests/s".to_string(), RPS, None),
        ("error rate (%, right axis)".to_string(), ERRORS, None),
    ];
    legend_row(s, plot, &items);
}

/// Grid, axis lines, tick labels and unit captions of one panel.
#[allow(clippy::too_many_arguments)]
fn axes(
    s: &mut Vec<Shape>,
    frame: &Frame,
    plot: Rect,
    yticks: &[f64],
    ymap: impl Fn(f64) -> f64,
    dec: usize,
    yunit: &str,
    right: Option<(&[(f64, String)], &str)>,
) {
    let x = frame.x();
    let bottom = plot.y + plot.h;
    for t in yticks {
        let py = ymap(*t);
        s.push(hline("", plot, py, GRID, 1.0, None));
        s.push(text(
            plot.x - 8.0,
            py + 4.0,
            format!("{t:.dec$}"),
            TICK_FONT,
            MUTED,
            Anchor::End,
        ));
    }
    let (u0, u1) = (0.0, (frame.t1 - frame.t0) / frame.unit.1);
    let xticks = nice_ticks(u0, u1, ((plot.w / 110.0) as usize).clamp(2, 12));
    let xdec = decimals_for(xticks.get(1).map_or(1.0, |b| b - xticks[0]));
    for u in &xticks {
        let px = x.map(frame.t0 + u * frame.unit.1);
        s.push(path(
            "",
            vec![(px, plot.y), (px, bottom)],
            GRID,
            1.0,
            None,
            None,
        ));
        s.push(path(
            "",
            vec![(px, bottom), (px, bottom + 4.0)],
            AXIS,
            1.0,
            None,
            None,
        ));
        s.push(text(
            px,
            bottom + 17.0,
            format!("{u:.xdec$}"),
            TICK_FONT,
            MUTED,
            Anchor::Middle,
        ));
    }
    s.push(path(
        "",
        vec![
            (plot.x, plot.y),
            (plot.x, bottom),
            (plot.x + plot.w, bottom),
        ],
        AXIS,
        1.0,
        None,
        None,
    ));
    s.push(text(
        plot.x - 8.0,
        plot.y - 10.0,
        yunit.to_string(),
        TICK_FONT,
        MUTED,
        Anchor::End,
    ));
    if let Some((labels, unit)) = right {
        let rx = plot.x + plot.w;
        s.push(path(
            "",
            vec![(rx, plot.y), (rx, bottom)],
            AXIS,
            1.0,
            None,
            None,
        ));
        for (py, l) in labels {
            s.push(text(
                rx + 8.0,
                py + 4.0,
                l.clone(),
                TICK_FONT,
                ERRORS,
                Anchor::Start,
            ));
        }
        s.push(text(
            rx + 8.0,
            plot.y - 10.0,
            unit.to_string(),
            TICK_FONT,
            ERRORS,
            Anchor::Start,
        ));
    }
}

/// A row of legend entries (swatch + label) just above `plot`; entries that do not fit are left out.
fn legend_row(s: &mut Vec<Shape>, plot: Rect, items: &[LegendItem]) {
    let y = plot.y - 10.0;
    let mut cx = plot.x + 4.0;
    for (label, c, dash) in items {
        let label = truncate(label, 48);
        let wdt = 22.0 + text_width(&label, LEGEND_FONT);
        if cx + wdt > plot.x + plot.w {
            break;
        }
        s.push(path(
            "",
            vec![(cx, y - 4.0), (cx + 16.0, y - 4.0)],
            *c,
            3.0,
            *dash,
            None,
        ));
        s.push(text(cx + 22.0, y, label, LEGEND_FONT, INK, Anchor::Start));
        cx += wdt + 18.0;
    }
}

/// A data series as a path, thinned to a few points per pixel column when it is very long.
fn series(
    id: String,
    pts: &[(f64, f64)],
    x: &Scale,
    y: &Scale,
    plot: Rect,
    c: Rgb,
    width: f64,
) -> Shape {
    let px: Vec<(f64, f64)> = pts.iter().map(|p| (x.map(p.0), y.map(p.1))).collect();
    let px = if px.len() > 4 * plot.w.max(1.0) as usize {
        thin(&px)
    } else {
        px
    };
    path(&id, px, c, width, None, Some(plot))
}

/// Keeps, for each pixel column, its first, lowest, highest and last point (in time order), so
/// a long series keeps its envelope with a bounded number of points.
fn thin(px: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < px.len() {
        let col = px[i].0.floor();
        let mut j = i;
        while j < px.len() && px[j].0.floor() == col {
            j += 1;
        }
        let group = &px[i..j];
        let (mut lo, mut hi) = (0, 0);
        for (k, p) in group.iter().enumerate() {
            if p.1 < group[lo].1 {
                lo = k;
            }
            if p.1 > group[hi].1 {
                hi = k;
            }
        }
        let mut keep = vec![0, lo, hi, group.len() - 1];
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|k| group[k]));
        i = j;
    }
    out
}

fn hline(id: &str, plot: Rect, y: f64, c: Rgb, width: f64, dash: Option<(f64, f64)>) -> Shape {
    path(
        id,
        vec![(plot.x, y), (plot.x + plot.w, y)],
        c,
        width,
        dash,
        None,
    )
}

fn path(
    id: &str,
    points: Vec<(f64, f64)>,
    stroke: Rgb,
    width: f64,
    dash: Option<(f64, f64)>,
    clip: Option<Rect>,
) -> Shape {
    Shape::Path {
        id: (!id.is_empty()).then(|| id.to_string()),
        points,
        stroke,
        width,
        dash,
        clip,
    }
}

fn text(x: f64, y: f64, text: String, size: f64, fill: Rgb, anchor: Anchor) -> Shape {
    Shape::Text {
        x,
        y,
        text,
        size,
        fill,
        anchor,
        bold: false,
    }
}

/// `s` cut to at most `max` characters, with "..." when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(3);
    s.chars().take(keep).chain("...".chars()).collect()
}
