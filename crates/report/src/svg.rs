//! Writes a [`Scene`] as a standalone SVG document (no external references).

use std::fmt::Write as _;

use crate::scene::{Anchor, Rect, Scene, Shape};
use crate::units::escape;

/// The SVG document of `scene`, with `title` as its accessible title; `inline` for HTML.
pub(crate) fn render(scene: &Scene, title: &str, inline: bool) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let (w, h) = (scene.width, scene.height);
    // Inline in HTML the chart scales with the page; standalone it has a fixed size.
    let size = if inline {
        "class=\"chart\" preserveAspectRatio=\"xMidYMid meet\"".to_string()
    } else {
        format!("width=\"{w}\" height=\"{h}\"")
    };
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" {size} \
         viewBox=\"0 0 {w} {h}\" role=\"img\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif\">\n\
         <title>{}</title>\n",
        escape(title)
    );
    // One clip path per distinct plot area.
    let mut clips: Vec<Rect> = Vec::new();
    for shape in &scene.shapes {
        if let Shape::Path { clip: Some(r), .. } = shape {
            if !clips.contains(r) {
                clips.push(*r);
            }
        }
    }
    out.push_str("<defs>");
    for (i, r) in clips.iter().enumerate() {
        let _ = write!(
            out,
            "<clipPath id=\"plot{i}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/></clipPath>",
            r.x, r.y, r.w.max(0.0), r.h.max(0.0)
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(
        out,
        "<rect width=\"{w}\" height=\"{h}\" fill=\"{}\"/>",
        scene.background.hex()
    );
    for shape in &scene.shapes {
        match shape {
            Shape::Rect { r, fill } => {
                let _ = writeln!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                    r.x,
                    r.y,
                    r.w.max(0.0),
                    r.h.max(0.0),
                    fill.hex()
                );
            }
            Shape::Path {
                id,
                points,
                stroke,
                width,
                dash,
                clip,
            } => {
                if points.is_empty() {
                    continue;
                }
                out.push_str("<polyline");
                if let Some(id) = id {
                    let _ = write!(out, " id=\"{}\" class=\"series\"", escape(id));
                }
                out.push_str(" points=\"");
                for (k, (x, y)) in points.iter().enumerate() {
                    if k > 0 {
                        out.push(' ');
                    }
                    let _ = write!(out, "{x:.1},{y:.1}");
                }
                let _ = write!(
                    out,
                    "\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width:.1}\" \
                     stroke-linejoin=\"round\" stroke-linecap=\"round\"",
                    stroke.hex()
                );
                if let Some((on, off)) = dash {
                    let _ = write!(out, " stroke-dasharray=\"{on:.1} {off:.1}\"");
                }
                if let Some(r) = clip {
                    if let Some(i) = clips.iter().position(|c| c == r) {
                        let _ = write!(out, " clip-path=\"url(#plot{i})\"");
                    }
                }
                out.push_str("/>\n");
            }
            Shape::Dot { x, y, r, fill } => {
                let _ = writeln!(
                    out,
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{}\"/>",
                    fill.hex()
                );
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                fill,
                anchor,
                bold,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let _ = writeln!(
                    out,
                    "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size:.1}\" fill=\"{}\" \
                     text-anchor=\"{anchor}\"{}>{}</text>",
                    fill.hex(),
                    if *bold { " font-weight=\"700\"" } else { "" },
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}
