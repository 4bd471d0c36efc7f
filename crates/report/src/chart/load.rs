//! The load panel: requests/s on the left axis, error rate (%) on the right, one grid.

use super::draw::{axes, legend_row, series};
use super::{Frame, Scale, ERRORS, RPS};
use crate::scene::{Rect, Shape};
use crate::units::{decimals_for, nice_step};

/// Draws the load panel (requests/s and error rate) into `plot`.
pub(super) fn load_panel(
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
        unit: 1.0,
        d0: 0.0,
        d1: rhi,
        p0: plot.y + plot.h,
        p1: plot.y,
    };
    let ye = Scale {
        unit: 1.0,
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
    series(s, "error-rate".into(), errors, (&x, &ye), plot, ERRORS, 1.6);
    series(s, "rps".into(), rps, (&x, &y), plot, RPS, 2.0);
    let items = vec![
        ("requests/s".to_string(), RPS, None),
        ("error rate (%, right axis)".to_string(), ERRORS, None),
    ];
    legend_row(s, plot, &items);
}
