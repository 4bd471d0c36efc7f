//! A small rasterizer for [`Scene`]s: filled rectangles, anti-aliased thick polylines (with
//! dashes and clipping) and text in the 8×8 bitmap font of `font8x8`, scaled with area
//! sampling. Enough for charts, with no system fonts and no C libraries.

use font8x8::legacy::BASIC_LEGACY;

use crate::scene::{Anchor, Rect, Rgb, Scene, Shape, CHAR_ADVANCE};
use crate::ReportError;

/// An RGB pixel buffer.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
    /// Coverage each pixel got from the path being drawn, and which pixels it touched.
    cover: Vec<f32>,
    touched: Vec<usize>,
}

impl Canvas {
    fn new(w: u32, h: u32, bg: Rgb) -> Self {
        let (w, h) = (w as usize, h as usize);
        let mut px = Vec::with_capacity(w * h * 3);
        for _ in 0..w * h {
            px.extend_from_slice(&[bg.0, bg.1, bg.2]);
        }
        Canvas {
            w,
            h,
            px,
            cover: vec![0.0; w * h],
            touched: Vec::new(),
        }
    }

    /// Blends `c` over pixel (x, y) with coverage `a` in 0..1.
    fn blend(&mut self, x: i64, y: i64, c: Rgb, a: f64) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h || a <= 0.0 {
            return;
        }
        let a = a.min(1.0);
        let i = (y as usize * self.w + x as usize) * 3;
        for (k, v) in [c.0, c.1, c.2].into_iter().enumerate() {
            let old = f64::from(self.px[i + k]);
            self.px[i + k] = (old + (f64::from(v) - old) * a).round().clamp(0.0, 255.0) as u8;
        }
    }

    /// Pixel bounds (x0, y0, x1, y1), exclusive ends, of `r` ∩ canvas ∩ `clip`.
    fn bounds(&self, r: Rect, clip: Option<Rect>) -> (i64, i64, i64, i64) {
        let (mut x0, mut y0, mut x1, mut y1) = (r.x, r.y, r.x + r.w, r.y + r.h);
        if let Some(c) = clip {
            x0 = x0.max(c.x);
            y0 = y0.max(c.y);
            x1 = x1.min(c.x + c.w);
            y1 = y1.min(c.y + c.h);
        }
        let cl = |v: f64, hi: usize| -> i64 {
            if v.is_finite() {
                v.clamp(0.0, hi as f64) as i64
            } else {
                0
            }
        };
        (
            cl(x0.floor(), self.w),
            cl(y0.floor(), self.h),
            cl(x1.ceil(), self.w),
            cl(y1.ceil(), self.h),
        )
    }

    fn fill_rect(&mut self, r: Rect, c: Rgb) {
        let (x0, y0, x1, y1) = self.bounds(r, None);
        for y in y0..y1 {
            for x in x0..x1 {
                // Partial coverage on fractional edges.
                let cx = ((x as f64 + 1.0).min(r.x + r.w) - (x as f64).max(r.x)).clamp(0.0, 1.0);
                let cy = ((y as f64 + 1.0).min(r.y + r.h) - (y as f64).max(r.y)).clamp(0.0, 1.0);
                self.blend(x, y, c, cx * cy);
            }
        }
    }

    /// An anti-aliased segment of `width` pixels with round caps.
    fn segment(&mut self, a: (f64, f64), b: (f64, f64), width: f64, c: Rgb, clip: Option<Rect>) {
        let r = width / 2.0;
        let bb = Rect {
            x: a.0.min(b.0) - r - 1.0,
            y: a.1.min(b.1) - r - 1.0,
            w: (a.0 - b.0).abs() + 2.0 * r + 2.0,
            h: (a.1 - b.1).abs() + 2.0 * r + 2.0,
        };
        let (x0, y0, x1, y1) = self.bounds(bb, clip);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        for y in y0..y1 {
            for x in x0..x1 {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let t = if len2 > 0.0 {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                let d = (qx * qx + qy * qy).sqrt();
                let cover = (r + 0.5 - d).clamp(0.0, 1.0);
                if cover > 0.0 {
                    self.blend_max(x, y, c, cover);
                }
            }
        }
    }

    /// Like [`Canvas::blend`], but a pixel touched by several segments of one path is blended
    /// once, with the highest coverage (so joints do not darken).
    fn blend_max(&mut self, x: i64, y: i64, c: Rgb, a: f64) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h {
            return;
        }
        let i = y as usize * self.w + x as usize;
        let prev = f64::from(self.cover[i]);
        if a > prev {
            if prev == 0.0 {
                self.touched.push(i);
            }
            self.cover[i] = a as f32;
            // Blend the extra coverage over what this path already painted.
            let extra = if prev >= 1.0 {
                0.0
            } else {
                (a - prev) / (1.0 - prev)
            };
            self.blend(x, y, c, extra);
        }
    }

    fn path(
        &mut self,
        pts: &[(f64, f64)],
        c: Rgb,
        width: f64,
        dash: Option<(f64, f64)>,
        clip: Option<Rect>,
    ) {
        for i in std::mem::take(&mut self.touched) {
            self.cover[i] = 0.0;
        }
        let finite: Vec<(f64, f64)> = pts
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        if finite.len() == 1 {
            self.segment(finite[0], finite[0], width, c, clip);
        }
        let mut walked = 0.0;
        for s in finite.windows(2) {
            let (a, b) = (s[0], s[1]);
            match dash {
                None => self.segment(a, b, width, c, clip),
                Some((on, off)) if on > 0.0 && off >= 0.0 => {
                    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
                    let period = on + off;
                    let mut pos = 0.0;
                    // Bound the work on absurd lengths.
                    let mut guard = 0;
                    while pos < len && guard < 100_000 {
                        guard += 1;
                        let phase = (walked + pos) % period;
                        let step = if phase < on {
                            on - phase
                        } else {
                            period - phase
                        };
                        let end = (pos + step).min(len);
                        if phase < on {
                            let p =
                                |f: f64| (a.0 + (b.0 - a.0) * f / len, a.1 + (b.1 - a.1) * f / len);
                            self.segment(p(pos), p(end), width, c, clip);
                        }
                        pos = end.max(pos + 1e-3);
                    }
                    walked += len;
                }
                Some(_) => self.segment(a, b, width, c, clip),
            }
        }
    }

    /// Text in the bitmap font: glyph cells of CHAR_ADVANCE×size wide and size/8×8 tall,
    /// each target pixel covered by the share of lit font pixels under it (4×4 samples).
    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f64, y: f64, text: &str, size: f64, c: Rgb, anchor: Anchor, bold: bool) {
        let adv = size * CHAR_ADVANCE;
        let n = text.chars().count() as f64;
        let mut x = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - n * adv / 2.0,
            Anchor::End => x - n * adv,
        };
        let sx = adv / 8.0;
        let sy = size * 0.9 / 8.0;
        let top = y - 7.0 * sy;
        for ch in text.chars() {
            let glyph = BASIC_LEGACY
                .get(ch as usize)
                .copied()
                .unwrap_or(BASIC_LEGACY[b'?' as usize]);
            let cell = Rect {
                x,
                y: top,
                w: 8.0 * sx + 1.0,
                h: 8.0 * sy,
            };
            let (x0, y0, x1, y1) = self.bounds(cell, None);
            for py in y0..y1 {
                for px in x0..x1 {
                    let mut lit = 0u32;
                    for sy_i in 0..4 {
                        for sx_i in 0..4 {
                            let fx = ((px as f64 + (sx_i as f64 + 0.5) / 4.0) - x) / sx;
                            let fy = ((py as f64 + (sy_i as f64 + 0.5) / 4.0) - top) / sy;
                            let on = |fx: f64| {
                                fx >= 0.0
                                    && fy >= 0.0
                                    && fx < 8.0
                                    && fy < 8.0
                                    && glyph[fy as usize] >> (fx as usize) & 1 == 1
                            };
                            if on(fx) || (bold && on(fx - 0.7)) {
                                lit += 1;
                            }
                        }
                    }
                    if lit > 0 {
                        self.blend(px, py, c, f64::from(lit) / 16.0);
                    }
                }
            }
            x += adv;
        }
    }
}

/// Rasterizes `scene` and encodes it as an 8-bit RGB PNG.
pub(crate) fn render_png(scene: &Scene) -> Result<Vec<u8>, ReportError> {
    let mut cv = Canvas::new(scene.width, scene.height, scene.background);
    for shape in &scene.shapes {
        match shape {
            Shape::Rect { r, fill } => cv.fill_rect(*r, *fill),
            Shape::Path {
                points,
                stroke,
                width,
                dash,
                clip,
                ..
            } => cv.path(points, *stroke, *width, *dash, *clip),
            Shape::Dot { x, y, r, fill } => {
                cv.path(&[(*x, *y)], *fill, 2.0 * r, None, None);
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                fill,
                anchor,
                bold,
            } => cv.text(*x, *y, text, *size, *fill, *anchor, *bold),
        }
    }
    encode(&cv, scene.width, scene.height).map_err(|e| ReportError::Png(Box::new(e)))
}

fn encode(cv: &Canvas, width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header()?;
    w.write_image_data(&cv.px)?;
    w.finish()?;
    Ok(out)
}
