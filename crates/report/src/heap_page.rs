//! The page of `leakscope heap top|diff --html`: one self-contained HTML file (inline CSS, SVG
//! and a few lines of script; nothing fetched) with the suspects and their retainer paths, a
//! picture (a flame graph of allocation stacks for pprof and tracemalloc, drawn by the
//! `inferno` crate; an icicle of the dominator tree by retained size for V8), the group table
//! (sortable: click a header, or open the page with `#sort=KEY` / `#sort=-KEY`) and the notes.
//!
//! Every name comes from a snapshot or profile, so from the program being diagnosed: it is
//! escaped wherever it lands (text, attributes, the flame graph's folded lines).

use std::fmt::Write as _;

use leakscope_core::units::{format_bytes, format_signed_bytes};
use leakscope_heap::picture::{Picture, TreeNode};
use leakscope_heap::{HeapReport, Unit};

use crate::units::escape;

/// Width of the pictures, pixels (they scale with the window).
const WIDTH: f64 = 1100.0;
/// Height of one icicle row, pixels.
const ROW: f64 = 22.0;

const CSS: &str = "\
*{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:#1f2328;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px}
header.top{background:#24292f;color:#fff;border-radius:10px;padding:16px 22px}
header.top h1{margin:0;font-size:24px}
header.top .sub{opacity:.85;font-size:14px;word-break:break-all}
section.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 16px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}
.suspect{border-left:6px solid #cf222e;padding:6px 12px;margin:10px 0;background:#fff8f8}
.suspect h3{margin:0;font-size:16px}
.suspect .growth{color:#cf222e;font-weight:600}
ol.path{margin:6px 0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px;font:13px ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace}
ol.path li{background:#eef1f4;border-radius:4px;padding:1px 6px}
ol.path li+li:before{content:'\\2192 ';color:#57606a}
.advice{margin:4px 0 0}
.none{color:#1a7f37;font-weight:600}
svg.picture,.flame svg{width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:14px}
th,td{padding:4px 8px;border-bottom:1px solid #eaeef2;text-align:right}
th:first-child,td:first-child{text-align:left;word-break:break-all}
th{cursor:pointer;user-select:none;background:#f6f8fa;position:sticky;top:0}
th.asc:after{content:' \\25B2'}th.desc:after{content:' \\25BC'}
pre.listing{overflow-x:auto;font-size:12px;background:#f6f8fa;padding:8px}
ul.notes{margin:0;padding-left:20px;color:#57606a}
";

/// Sorts a table by a column: click a header; `#sort=KEY` (ascending) or `#sort=-KEY`
/// (descending) in the address sorts on load.
const SORT_JS: &str = "\
(function(){
var t=document.getElementById('groups');if(!t)return;
var ths=t.tHead.rows[0].cells;
function sortBy(i,desc){var b=t.tBodies[0];var rows=Array.prototype.slice.call(b.rows);
rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-v'),c=y.cells[i].getAttribute('data-v');
var r=(a!==null&&c!==null)?(parseFloat(a)-parseFloat(c)):x.cells[i].textContent.localeCompare(y.cells[i].textContent);
return desc?-r:r;});
rows.forEach(function(r){b.appendChild(r);});
for(var j=0;j<ths.length;j++){ths[j].className=j===i?(desc?'desc':'asc'):'';}
t.setAttribute('data-sorted',ths[i].getAttribute('data-key')+(desc?':desc':':asc'));}
for(var i=0;i<ths.length;i++){(function(i){ths[i].addEventListener('click',function(){sortBy(i,ths[i].className!=='desc');});})(i);}
var m=/sort=(-?)([A-Za-z0-9_]+)/.exec(location.hash);
if(m){for(var k=0;k<ths.length;k++){if(ths[k].getAttribute('data-key')===m[2]){sortBy(k,m[1]==='-');}}}
})();
";

fn value_text(v: f64, unit: Unit, signed: bool) -> String {
    match unit {
        Unit::Bytes if signed => format_signed_bytes(v),
        Unit::Bytes => format_bytes(v),
        Unit::Count if signed && v > 0.0 => format!("+{v:.0}"),
        Unit::Count => format!("{v:.0}"),
        Unit::Percent => format!("{v:.2}%"),
        Unit::Seconds => leakscope_core::units::format_duration(v),
    }
}

/// The whole page for `r`.
pub(crate) fn page(r: &HeapReport) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let title = format!("{} {} {}", r.format, r.profile, r.mode);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>leakscope heap: {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&title)
    );
    let _ = write!(
        out,
        "<header class=\"top\"><h1>leakscope heap {}: {} {}</h1><div class=\"sub\">{}",
        escape(&r.mode),
        escape(&r.format),
        escape(&r.profile),
        escape(&r.inputs.join(" → "))
    );
    if let Some(m) = &r.matching {
        let _ = write!(out, " · matched by {}", escape(m));
    }
    out.push_str("</div></header>\n");
    suspects(&mut out, r);
    match &r.picture {
        Some(Picture::Stacks {
            what,
            bytes,
            stacks,
        }) => flame(&mut out, r, what, *bytes, stacks),
        Some(Picture::Tree(t)) => icicle(&mut out, t),
        None => {}
    }
    if let Some(l) = &r.listing {
        listing(&mut out, l);
    }
    table(&mut out, r);
    if !r.notes.is_empty() {
        out.push_str("<section class=\"card\" id=\"notes\"><h2>Notes</h2><ul class=\"notes\">");
        for n in &r.notes {
            let _ = write!(out, "<li>{}</li>", escape(n));
        }
        out.push_str("</ul></section>\n");
    }
    let _ = write!(
        out,
        "<footer style=\"color:#57606a;font-size:12px\">leakscope {}</footer>\n</main>\n<script>\n{SORT_JS}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn suspects(out: &mut String, r: &HeapReport) {
    out.push_str("<section class=\"card\" id=\"suspects\"><h2>Suspects, most likely first</h2>\n");
    if r.suspects.is_empty() {
        let msg = if r.mode == "diff" {
            "No suspects: nothing grew in a way that looks like a leak."
        } else {
            "A single capture shows what is there, not what grows: diff two or more captures to name suspects."
        };
        let _ = writeln!(out, "<p class=\"none\">{msg}</p>");
    }
    for (i, s) in r.suspects.iter().enumerate() {
        let growth = if s.pattern.contains("goroutine") {
            format!("{:+} goroutines", s.count_delta)
        } else {
            format!(
                "{:+} objects, {}",
                s.count_delta,
                format_signed_bytes(s.size_delta as f64)
            )
        };
        let _ = write!(
            out,
            "<article class=\"suspect\" data-rank=\"{}\"><h3>{}. {} — <code>{}</code> <span class=\"growth\">{}</span></h3><ol class=\"path\">",
            i + 1,
            i + 1,
            escape(&s.pattern),
            escape(&s.name),
            escape(&growth)
        );
        for hop in &s.retainer_path {
            let _ = write!(out, "<li>{}</li>", escape(hop));
        }
        let _ = writeln!(
            out,
            "</ol><p class=\"advice\">{}</p></article>",
            escape(&s.advice)
        );
    }
    out.push_str("</section>\n");
}

/// A frame name safe for inferno's folded lines: no `;` (the frame separator), no line
/// breaks or other control characters.
fn folded_frame(f: &str) -> String {
    f.chars()
        .map(|c| match c {
            ';' => ':',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn flame(out: &mut String, r: &HeapReport, what: &str, bytes: bool, stacks: &[(Vec<String>, i64)]) {
    let _ = writeln!(
        out,
        "<section class=\"card\" id=\"flamegraph\"><h2>Allocation stacks: {} ({} stacks)</h2>",
        escape(what),
        stacks.len()
    );
    if stacks.is_empty() {
        out.push_str("<p>No stack has a positive value.</p></section>\n");
        return;
    }
    let lines: Vec<String> = stacks
        .iter()
        .map(|(frames, v)| {
            let f: Vec<String> = frames.iter().map(|f| folded_frame(f)).collect();
            format!("{} {v}", f.join(";"))
        })
        .collect();
    let mut opt = inferno::flamegraph::Options::default();
    opt.title = if r.mode == "diff" {
        format!("{what}: growth between the captures")
    } else {
        what.to_string()
    };
    opt.count_name = if bytes {
        "bytes".into()
    } else {
        "samples".into()
    };
    opt.deterministic = true;
    opt.hash = true;
    opt.image_width = Some(WIDTH as usize);
    let mut svg = Vec::new();
    match inferno::flamegraph::from_lines(&mut opt, lines.iter().map(String::as_str), &mut svg) {
        Ok(()) => {
            let text = String::from_utf8_lossy(&svg);
            // Inline: drop the XML declaration and doctype before the <svg> element.
            let body = text.find("<svg").map_or("", |i| &text[i..]);
            let _ = writeln!(out, "<div class=\"flame\">{body}</div>");
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "<p>The flame graph could not be drawn: {}</p>",
                escape(&e.to_string())
            );
        }
    }
    out.push_str("</section>\n");
}

/// A colour for a name: a warm hue from a hash, so the same class keeps its colour.
fn colour(name: &str) -> String {
    let h = name
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    let hue = 10 + (h % 40);
    let light = 55 + (h / 40 % 20);
    format!("hsl({hue},75%,{light}%)")
}

fn icicle(out: &mut String, root: &TreeNode) {
    fn depth(n: &TreeNode) -> usize {
        1 + n.children.iter().map(depth).max().unwrap_or(0)
    }
    let rows = depth(root);
    let height = rows as f64 * ROW;
    let total = root.value.max(1.0);
    let _ = write!(
        out,
        "<section class=\"card\" id=\"dominators\"><h2>Retained size by dominator ({} in all)</h2>\n\
         <svg class=\"picture\" id=\"icicle\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"system-ui,'DejaVu Sans',sans-serif\" font-size=\"12\">\n",
        escape(&format_bytes(root.value))
    );
    fn draw(out: &mut String, n: &TreeNode, x: f64, y: f64, scale: f64) {
        let w = n.value * scale;
        if w < 0.5 {
            return;
        }
        let label = format!("{} — {}", n.name, format_bytes(n.value));
        let _ = write!(
            out,
            "<g class=\"cell\"><title>{}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.5\"/>",
            escape(&label),
            w,
            ROW - 1.0,
            colour(&n.name)
        );
        // About 7 px per character at 12 px.
        let fits = ((w - 6.0) / 7.0).floor();
        if fits >= 4.0 {
            let text: String = if label.chars().count() as f64 <= fits {
                label
            } else {
                let mut t: String = label.chars().take(fits as usize - 1).collect();
                t.push('…');
                t
            };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f2328\">{}</text>",
                x + 3.0,
                y + ROW - 7.0,
                escape(&text)
            );
        }
        out.push_str("</g>\n");
        let mut cx = x;
        for c in &n.children {
            draw(out, c, cx, y + ROW, scale);
            cx += c.value * scale;
        }
    }
    draw(out, root, 0.0, 0.0, WIDTH / total);
    out.push_str("</svg>\n<p style=\"color:#57606a;font-size:13px\">Each bar retains the bars below it; width is retained size. Hover for names and sizes.</p></section>\n");
}

fn listing(out: &mut String, l: &leakscope_heap::pprof::list::Listing) {
    let _ = write!(
        out,
        "<section class=\"card\" id=\"listing\"><h2>Source lines of {} ({})</h2>",
        escape(&l.pattern),
        escape(&l.sample_type)
    );
    for r in &l.routines {
        let _ = write!(
            out,
            "<h3>{} in {}</h3><pre class=\"listing\">",
            escape(&r.function),
            escape(&r.file)
        );
        if let Some(e) = &r.error {
            let _ = writeln!(out, "{}", escape(e));
        }
        for s in &r.lines {
            let v = |x: i64| {
                if x == 0 {
                    ".".to_string()
                } else if l.unit == "bytes" {
                    format_bytes(x as f64)
                } else {
                    x.to_string()
                }
            };
            let _ = writeln!(
                out,
                "{:>10} {:>10} {:>6}:{}",
                escape(&v(s.flat)),
                escape(&v(s.cum)),
                s.line,
                escape(&s.text)
            );
        }
        out.push_str("</pre>");
    }
    out.push_str("</section>\n");
}

fn table(out: &mut String, r: &HeapReport) {
    let _ = write!(
        out,
        "<section class=\"card\"><h2>{} ({} rows; click a header to sort)</h2>\n<table id=\"groups\"><thead><tr><th data-key=\"name\">Name</th>",
        if r.format == "v8" { "Classes" } else { "Allocation sites" },
        r.groups.len()
    );
    for c in &r.columns {
        let _ = write!(
            out,
            "<th data-key=\"{}\">{}</th>",
            escape(&c.key),
            escape(&c.title)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let delta = r.mode == "diff";
    for g in &r.groups {
        let name = match &g.location {
            Some(loc) => format!("{} ({loc})", g.name),
            None => g.name.clone(),
        };
        let _ = write!(out, "<tr><td>{}</td>", escape(&name));
        for c in &r.columns {
            match g.values.get(&c.key) {
                Some(v) if v.is_finite() => {
                    let _ = write!(
                        out,
                        "<td data-v=\"{v}\">{}</td>",
                        escape(&value_text(*v, c.unit, delta && c.key.contains("delta")))
                    );
                }
                _ => out.push_str("<td data-v=\"0\"></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></section>\n");
}
