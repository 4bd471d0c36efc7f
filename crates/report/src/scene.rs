//! A chart as a flat list of drawing primitives in pixel coordinates, so that the SVG writer
//! and the PNG rasterizer draw exactly the same picture from one layout.

/// An opaque sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`, for SVG and CSS.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// An axis-aligned rectangle, pixels (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// Where a text's `x` is: its start, middle or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// One drawing primitive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// A filled rectangle.
    Rect { r: Rect, fill: Rgb },
    /// A stroked open path. `id` names data series (for tests and CSS); `dash` is
    /// (on, off) pixels; `clip` restricts drawing to a plot area.
    Path {
        id: Option<String>,
        points: Vec<(f64, f64)>,
        stroke: Rgb,
        width: f64,
        dash: Option<(f64, f64)>,
        clip: Option<Rect>,
    },
    /// A filled circle of radius `r` pixels (marks a sample).
    Dot { x: f64, y: f64, r: f64, fill: Rgb },
    /// One line of text; `y` is the baseline, `size` the font size in pixels.
    Text {
        x: f64,
        y: f64,
        text: String,
        size: f64,
        fill: Rgb,
        anchor: Anchor,
        bold: bool,
    },
}

/// A whole picture: size in pixels, background, and the shapes in painting order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scene {
    pub width: u32,
    pub height: u32,
    pub background: Rgb,
    pub shapes: Vec<Shape>,
}

/// Estimated width in pixels of `text` at font size `size` (both renderers keep to it).
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_ADVANCE
}

/// Advance of one character as a fraction of the font size.
pub(crate) const CHAR_ADVANCE: f64 = 0.6;
