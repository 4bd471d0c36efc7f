//! `analyze --explain`: a verdict in words a person can check, over a small text chart of the
//! series with its floor, its restarts and the point where the leak was detected; and the same
//! picture as data for `--plot` (drawn by leakscope-report).

use leakscope_core::{Explanation, Point, VerdictKind};
use leakscope_report::RunData;

use crate::units;

/// Columns and rows of the text chart.
const WIDTH: usize = 64;
const HEIGHT: usize = 10;

/// A value in the series' unit, short.
fn amount(v: f64, count: bool) -> String {
    if count {
        leakscope_core::units::format_count(v)
    } else {
        units::format_bytes(v)
    }
}

/// The explanation of one verdict: a headline, the reasons, the caveat, and the chart.
/// `first_t` is the series' first sample (unix seconds); `count` says it counts things.
pub fn explanation(e: &Explanation, first_t: f64, count: bool) -> String {
    let v = &e.verdict;
    let word = match v.verdict {
        VerdictKind::Leak => "LEAK",
        VerdictKind::NoLeak => "no leak",
        VerdictKind::InsufficientData => "too little data",
    };
    let rate = if count {
        format!("{:+.1}/h", v.growth_bytes_per_hour)
    } else {
        format!("{}/h", units::format_signed_bytes(v.growth_bytes_per_hour))
    };
    let mut out = format!(
        "{}: {word} — {}, floor {rate}, confidence {:.2}\n",
        v.name, v.pattern, v.confidence
    );
    let mut facts = vec![format!(
        "{} samples over {}",
        v.samples,
        units::format_duration(v.span_seconds.max(0.0))
    )];
    if let Some(d) = v.detected_at {
        facts.push(format!(
            "leak detected {} after the first sample",
            units::format_duration((d - first_t).max(0.0))
        ));
    }
    if let Some(w) = v.confirmed_by_window_seconds {
        facts.push(format!(
            "confirmed by the last {}",
            units::format_duration(w)
        ));
    }
    if let Some(s) = v.time_to_limit_seconds {
        facts.push(format!("limit reached in {}", units::format_duration(s)));
    }
    out.push_str(&format!("  {}\n", facts.join("; ")));
    for r in &v.reasons {
        out.push_str(&format!("  - {r}\n"));
    }
    if let Some(c) = &v.caveat {
        out.push_str(&format!("  caveat: {c}\n"));
    }
    out.push_str(&chart(e, count));
    out
}

/// The series as a text chart: each column the min–max of the samples in its time slice
/// (`│`), the floor (`•`), and under the axis the restarts (`R`), the start of the stretch
/// that decided (`[`) and the point the leak was detected (`▲`).
pub fn chart(e: &Explanation, count: bool) -> String {
    let bs = &e.buckets;
    let (Some(first), Some(last)) = (bs.first(), bs.last()) else {
        return String::new();
    };
    let (t0, t1) = (first.t_first, last.t_last.max(first.t_first));
    let finite = |x: &f64| x.is_finite();
    let lo = bs
        .iter()
        .map(|b| b.min)
        .chain(e.floor.iter().map(|p| p.v))
        .filter(finite)
        .fold(f64::INFINITY, f64::min);
    let hi = bs
        .iter()
        .map(|b| b.max)
        .filter(finite)
        .fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return String::new();
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let span = (t1 - t0).max(1e-9);
    let col = |t: f64| {
        (((t - t0) / span) * WIDTH as f64)
            .floor()
            .clamp(0.0, (WIDTH - 1) as f64) as usize
    };
    let row = |v: f64| {
        (((v - lo) / (hi - lo)) * (HEIGHT - 1) as f64)
            .round()
            .clamp(0.0, (HEIGHT - 1) as f64) as usize
    };

    let mut grid = vec![vec![' '; WIDTH]; HEIGHT];
    let mut range: Vec<Option<(f64, f64)>> = vec![None; WIDTH];
    for b in bs {
        for r in &mut range[col(b.t_first)..=col(b.t_last)] {
            let r = r.get_or_insert((b.min, b.max));
            *r = (r.0.min(b.min), r.1.max(b.max));
        }
    }
    for (c, r) in range.iter().enumerate() {
        if let Some((a, b)) = r {
            for row in grid.iter_mut().take(row(*b) + 1).skip(row(*a)) {
                row[c] = '│';
            }
        }
    }
    let mut floor: Vec<Option<f64>> = vec![None; WIDTH];
    for p in &e.floor {
        let f = floor[col(p.t)].get_or_insert(p.v);
        *f = f.min(p.v);
    }
    for (c, f) in floor.iter().enumerate() {
        if let Some(f) = f {
            grid[row(*f)][c] = '•';
        }
    }

    let top = amount(hi, count);
    let bottom = amount(lo, count);
    let pad = top.chars().count().max(bottom.chars().count());
    let mut out = String::from("\n");
    for (i, line) in grid.iter().rev().enumerate() {
        let label = match i {
            0 => top.clone(),
            i if i == HEIGHT - 1 => bottom.clone(),
            _ => String::new(),
        };
        let tick = if label.is_empty() { '│' } else { '┤' };
        out.push_str(&format!(
            "  {label:>pad$} {tick}{}\n",
            line.iter().collect::<String>()
        ));
    }
    out.push_str(&format!("  {:pad$} └{}\n", "", "─".repeat(WIDTH)));
    let mut marks = vec![' '; WIDTH];
    if let Some(j) = e.judged_from.filter(|t| *t > t0) {
        marks[col(j)] = '[';
    }
    for &r in &e.restarts_at {
        marks[col(r)] = 'R';
    }
    if let Some(d) = e.verdict.detected_at {
        marks[col(d)] = '▲';
    }
    out.push_str(&format!(
        "  {:pad$}  {}\n",
        "",
        marks.iter().collect::<String>()
    ));
    let end = units::format_duration(span);
    out.push_str(&format!(
        "  {:pad$}  0{}{end}\n",
        "",
        " ".repeat(WIDTH.saturating_sub(1 + end.chars().count()))
    ));
    out.push_str(&format!(
        "  {:pad$}  │ samples (min to max)  • floor  [ judged from  R restart  ▲ leak detected\n",
        ""
    ));
    out
}

/// The picture of `--plot`: the series summary (mean, with its min and max lighter), the
/// floor per run, the restarts, the trend of the floor from where it was judged, the limit and
/// the detection point.
pub fn plot_data(e: &Explanation) -> RunData {
    let v = &e.verdict;
    let at = |f: fn(&leakscope_core::SummaryBucket) -> f64| -> Vec<Point> {
        e.buckets
            .iter()
            .map(|b| Point::new(0.5 * (b.t_first + b.t_last), f(b)))
            .collect()
    };
    let slope = v.growth_bytes_per_hour / 3600.0;
    // The trend starts on the floor where the deciding stretch began.
    let trend = e.judged_from.and_then(|t| {
        let f = e.floor.iter().filter(|p| p.t >= t).map(|p| p.v).next()?;
        (slope != 0.0).then_some((t, f, slope))
    });
    RunData {
        title: v.name.clone(),
        memory: at(|b| b.mean),
        memory_label: "mean".into(),
        extra_series: vec![("max".into(), at(|b| b.max)), ("min".into(), at(|b| b.min))],
        load: Vec::new(),
        warmup_end: None,
        baseline_bytes: None,
        trend,
        limit_bytes: v.limit_bytes,
        floor: e.floor.clone(),
        restarts_at: e.restarts_at.clone(),
        verdict: v.clone(),
        facts: Vec::new(),
    }
}
