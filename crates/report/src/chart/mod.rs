//! Lays the chart out as a [`Scene`]: a memory panel (series, warm-up, baseline, trend, limit)
//! and, when there was load, a load panel (requests/s on the left axis, error rate on the right).

use crate::scene::{text_width, Anchor, Rect, Rgb, Scene, Shape};
use crate::units::{format_rate_per_hour, time_unit};
use crate::{RunData, VerdictKind};

mod draw;
mod load;
mod memory;

use draw::text;
use load::load_panel;
use memory::memory_panel;

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
/// Colour of the floor recognition judged.
pub(crate) const FLOOR: Rgb = Rgb(0x0b, 0x6e, 0x6e);
/// Colour of the restart markers.
pub(crate) const RESTART: Rgb = Rgb(0x8c, 0x95, 0x9f);
/// Colour of the "leak detected" marker.
pub(crate) const DETECTED: Rgb = Rgb(0xe0, 0x7b, 0x84);
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
/// Series with at most this many points get a dot on each point.
const DOT_MAX_POINTS: usize = 30;
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
pub(crate) fn clean(points: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = points
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// A linear map from data to pixels along one axis.
#[derive(Clone, Copy)]
struct Scale {
    /// Data per domain unit (bytes per MiB...): the domain is kept in units so that extreme
    /// byte values do not overflow the span.
    unit: f64,
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn map(&self, d: f64) -> f64 {
        let span = self.d1 - self.d0;
        let f = if span.is_finite() && span != 0.0 {
            (d / self.unit - self.d0) / span
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
            unit: 1.0,
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
        right: w - if load { 74.0 } else { 28.0 },
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

/// `s` cut to at most `max` characters, with "..." when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(3);
    s.chars().take(keep).chain("...".chars()).collect()
}
