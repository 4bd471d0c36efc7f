//! The memory panel: the series, warm-up, baseline, trend, limit and the leak marker.

use super::draw::{axes, hline, legend_row, path, series, text};
use super::{
    clean, Frame, LegendItem, Scale, AXIS, BASELINE, DETECTED, EXTRA, FLOOR, LIMIT, MEMORY, MUTED,
    RED, RESTART, TREND, WARMUP, WHITE,
};
use crate::scene::{text_width, Anchor, Rect, Shape};
use crate::units::{
    byte_unit, decimals_for, format_bytes, format_rate_per_hour, nice_range, nice_ticks,
};
use crate::{RunData, VerdictKind};

/// Draws the memory panel of `data` into `plot`.
pub(super) fn memory_panel(
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
        unit: bu.1,
        d0: ulo,
        d1: uhi,
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

    // Where the streaming recognizer flagged the leak.
    let detected = finite(data.verdict.detected_at)
        .filter(|d| data.verdict.verdict == VerdictKind::Leak && *d >= frame.t0 && *d <= frame.t1);
    if let Some(d) = detected {
        let dx = x.map(d);
        s.push(path(
            "detected",
            vec![(dx, plot.y), (dx, plot.y + plot.h)],
            DETECTED,
            1.2,
            Some((2.0, 3.0)),
            None,
        ));
        let right_room = plot.x + plot.w - dx > 110.0;
        s.push(text(
            if right_room { dx + 5.0 } else { dx - 5.0 },
            plot.y + 16.0,
            "leak detected".into(),
            11.5,
            RED,
            if right_room {
                Anchor::Start
            } else {
                Anchor::End
            },
        ));
    }

    let clip = Some(plot);
    // Restarts: a dotted line each, under the series.
    let restarts: Vec<f64> = data
        .restarts_at
        .iter()
        .copied()
        .filter(|t| t.is_finite() && *t >= frame.t0 && *t <= frame.t1)
        .collect();
    for (i, &t) in restarts.iter().enumerate() {
        let rx = x.map(t);
        s.push(path(
            &format!("restart-{i}"),
            vec![(rx, plot.y), (rx, plot.y + plot.h)],
            RESTART,
            1.0,
            Some((1.5, 3.0)),
            None,
        ));
    }
    if let Some(l) = limit_on_chart {
        let ly = y.map(l);
        s.push(hline("limit", plot, ly, LIMIT, 1.5, Some((8.0, 4.0))));
    }
    for (i, (_, pts)) in extras.iter().enumerate() {
        let c = EXTRA[i % EXTRA.len()];
        series(s, format!("extra-{i}"), pts, (&x, &y), plot, c, 1.6);
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
    series(s, "memory".into(), memory, (&x, &y), plot, MEMORY, 2.2);
    // The floor recognition judged, one dashed line per run between restarts.
    let floor = clean(data.floor.iter().map(|p| (p.t, p.v)));
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut prev_t = f64::NEG_INFINITY;
    for p in &floor {
        if runs.is_empty() || restarts.iter().any(|&t| prev_t < t && t <= p.0) {
            runs.push(Vec::new());
        }
        if let Some(r) = runs.last_mut() {
            r.push((x.map(p.0), y.map(p.1)));
        }
        prev_t = p.0;
    }
    for (i, pts) in runs.into_iter().enumerate() {
        s.push(path(
            &format!("floor-{i}"),
            pts,
            FLOOR,
            2.0,
            Some((5.0, 3.0)),
            clip,
        ));
    }
    if let Some(seg) = trend_seg {
        let pts = seg.iter().map(|p| (x.map(p.0), y.map(p.1))).collect();
        s.push(path("trend", pts, TREND, 2.2, Some((9.0, 5.0)), clip));
    }
    // The limit's label goes over the series so that no line crosses it unseen.
    if let Some(l) = limit_on_chart {
        let label = format!("limit {}", format_bytes(l));
        let ly = y.map(l);
        let lw = text_width(&label, 11.5);
        s.push(Shape::Rect {
            r: Rect {
                x: plot.x + plot.w - 10.0 - lw,
                y: ly - 17.0,
                w: lw + 8.0,
                h: 14.0,
            },
            fill: WHITE,
        });
        s.push(text(
            plot.x + plot.w - 6.0,
            ly - 6.0,
            label,
            11.5,
            LIMIT,
            Anchor::End,
        ));
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
    if !floor.is_empty() {
        items.push(("floor".into(), FLOOR, Some((5.0, 3.0))));
    }
    if !restarts.is_empty() {
        items.push((
            format!("restart{}", if restarts.len() > 1 { "s" } else { "" }),
            RESTART,
            Some((1.5, 3.0)),
        ));
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
