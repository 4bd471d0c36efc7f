//! Drawing helpers shared by the panels: axes and grid, legends, series paths and thinning.

use super::{
    truncate, Frame, LegendItem, Scale, AXIS, DOT_MAX_POINTS, ERRORS, GRID, INK, LEGEND_FONT,
    MUTED, TICK_FONT,
};
use crate::scene::{text_width, Anchor, Rect, Rgb, Shape};
use crate::units::{decimals_for, nice_ticks, tick_label};

/// Grid, axis lines, tick labels and unit captions of one panel.
#[allow(clippy::too_many_arguments)]
pub(super) fn axes(
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
            tick_label(*t, dec),
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
            tick_label(*u, xdec),
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
pub(super) fn legend_row(s: &mut Vec<Shape>, plot: Rect, items: &[LegendItem]) {
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
pub(super) fn series(
    s: &mut Vec<Shape>,
    id: String,
    pts: &[(f64, f64)],
    (x, y): (&Scale, &Scale),
    plot: Rect,
    c: Rgb,
    width: f64,
) {
    let px: Vec<(f64, f64)> = pts.iter().map(|p| (x.map(p.0), y.map(p.1))).collect();
    let px = if px.len() > 4 * plot.w.max(1.0) as usize {
        thin(&px)
    } else {
        px
    };
    // Few points: mark each sample, so that a lone point shows at all.
    if px.len() <= DOT_MAX_POINTS {
        for (x, y) in &px {
            s.push(Shape::Dot {
                x: *x,
                y: *y,
                r: width + 1.0,
                fill: c,
            });
        }
    }
    if !px.is_empty() {
        s.push(path(&id, px, c, width, None, Some(plot)));
    }
}

/// Keeps, for each pixel column, its first, lowest, highest and last point (in time order), so
/// a long series keeps its envelope with a bounded number of points.
pub(super) fn thin(px: &[(f64, f64)]) -> Vec<(f64, f64)> {
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

/// A horizontal line across `plot` at pixel height `y`.
pub(super) fn hline(
    id: &str,
    plot: Rect,
    y: f64,
    c: Rgb,
    width: f64,
    dash: Option<(f64, f64)>,
) -> Shape {
    path(
        id,
        vec![(plot.x, y), (plot.x + plot.w, y)],
        c,
        width,
        dash,
        None,
    )
}

/// A stroked path; an empty `id` means none.
pub(super) fn path(
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

/// A line of regular-weight text.
pub(super) fn text(x: f64, y: f64, text: String, size: f64, fill: Rgb, anchor: Anchor) -> Shape {
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
