//! The PNG chart: a valid image, with the series drawn where the SVG says it is.

mod common;

use common::{bare, decode_png, leak, no_leak, pixel_is, polyline, series, MIB};

const MEMORY: (u8, u8, u8) = (0x1f, 0x6f, 0xeb);
const RED: (u8, u8, u8) = (0xcf, 0x22, 0x2e);
const GREEN: (u8, u8, u8) = (0x1a, 0x7f, 0x37);

/// Share of the SVG polyline's points that have a pixel of `rgb` within 1 px in the PNG.
fn drawn_share(
    data: &leakscope_report::RunData,
    id: &str,
    rgb: (u8, u8, u8),
    w: u32,
    h: u32,
) -> f64 {
    let svg = leakscope_report::chart_svg(data, w, h);
    let pts = polyline(&svg, id).expect("polyline");
    let img = decode_png(&leakscope_report::chart_png(data, w, h).expect("png"));
    assert_eq!((img.0, img.1), (w, h));
    let hits = pts
        .iter()
        .filter(|(x, y)| {
            let (x, y) = (x.round() as i64, y.round() as i64);
            (-1..=1).any(|dx| (-1..=1).any(|dy| pixel_is(&img, x + dx, y + dy, rgb, 24)))
        })
        .count();
    hits as f64 / pts.len() as f64
}

#[test]
fn png_draws_the_memory_series_along_its_path() {
    let data = bare(series(60, |i| {
        (200.0 + 3.0 * i as f64 + ((i * 7) % 5) as f64) * MIB
    }));
    let share = drawn_share(&data, "memory", MEMORY, 900, 450);
    assert!(share == 1.0, "only {share} of the points are drawn");
}

#[test]
fn png_of_the_full_report_chart() {
    let data = leak();
    // The trend line is drawn over the memory series on the GC floor; most points still show.
    let share = drawn_share(&data, "memory", MEMORY, 1000, 660);
    assert!(share > 0.75, "memory drawn at {share}");
    assert!(drawn_share(&data, "rps", (0x82, 0x50, 0xdf), 1000, 660) > 0.95);
    let img = decode_png(&leakscope_report::chart_png(&data, 1000, 660).expect("png"));
    // The verdict badge at the top right.
    let red = (700..1000)
        .filter(|x| pixel_is(&img, *x, 12, RED, 4))
        .count();
    assert!(red > 100, "red LEAK badge: {red} px");
    let img = decode_png(&leakscope_report::chart_png(&no_leak(), 1000, 660).expect("png"));
    let green = (700..1000)
        .filter(|x| pixel_is(&img, *x, 12, GREEN, 4))
        .count();
    assert!(green > 100, "green NO LEAK badge: {green} px");
}

#[test]
fn png_has_text() {
    let img = decode_png(&leakscope_report::chart_png(&leak(), 1000, 660).expect("png"));
    // Dark title text in the top-left corner.
    let dark = (0..40)
        .flat_map(|y| (0..400).map(move |x| (x, y)))
        .filter(|(x, y)| pixel_is(&img, *x, *y, (0x1f, 0x23, 0x28), 40))
        .count();
    assert!(dark > 200, "title text pixels: {dark}");
}

#[test]
fn png_rejects_bad_sizes() {
    assert!(leakscope_report::chart_png(&leak(), 0, 100).is_err());
    assert!(leakscope_report::chart_png(&leak(), 100, 20_000).is_err());
}
