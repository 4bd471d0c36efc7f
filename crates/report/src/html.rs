//! The self-contained HTML report: verdict banner, the numbers, the chart (inline SVG), reasons.
//! Inline CSS only; nothing is fetched when the page is viewed.

use std::fmt::Write as _;

use crate::chart::{has_load, layout, verdict_colour, verdict_word};
use crate::units::{
    escape, format_bytes, format_count, format_duration, format_rate_per_hour, format_utc,
};
use crate::{svg, RunData, VerdictKind};

/// Width of the chart drawn into the page, pixels (it scales with the window).
const CHART_WIDTH: u32 = 1100;

const CSS: &str = "\
*{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:#1f2328;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px}
.banner{display:flex;align-items:center;gap:24px;flex-wrap:wrap;color:#fff;border-radius:10px;padding:18px 24px}
.banner .word{font-size:40px;font-weight:800;letter-spacing:.04em}
.banner .summary{font-size:19px;opacity:.95}
.cmd{font-size:15px;font-weight:600;margin:16px 0 6px;color:#57606a}
.cmd code{font:14px ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace;color:#1f2328;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:3px 8px;word-break:break-all}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px;margin:16px 0}
.fact{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:10px 14px}
.fact .k{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#57606a}
.fact .v{font-size:20px;font-weight:650;font-variant-numeric:tabular-nums;word-break:break-word}
.fact .v.long{font-size:15px;font-weight:600}
.fact.wide{grid-column:1/-1}
.fact.wide .v{font:14px ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace}
section.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 16px;margin:16px 0}
h2{font-size:16px;margin:0 0 8px}
svg.chart{width:100%;height:auto;display:block}
ul{margin:0;padding-left:20px}
footer{color:#57606a;font-size:12px;margin-top:20px}
";

/// The whole page.
pub(crate) fn page(data: &RunData) -> String {
    let v = &data.verdict;
    let colour = verdict_colour(v.verdict).hex();
    let word = match v.verdict {
        VerdictKind::Leak => "Leak",
        VerdictKind::NoLeak => "No leak",
        VerdictKind::InsufficientData => "Insufficient data",
    };
    let summary = format!(
        "{} · {} · confidence {:.0}%",
        v.pattern.as_str(),
        format_rate_per_hour(v.growth_bytes_per_hour),
        v.confidence.clamp(0.0, 1.0) * 100.0
    );
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>leakscope: {} · {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(word),
        escape(&data.title)
    );
    let _ = writeln!(
        out,
        "<header class=\"banner\" id=\"verdict\" data-verdict=\"{}\" style=\"background:{colour}\">\
         <div class=\"word\">{}</div><div class=\"summary\">{}</div></header>",
        escape(verdict_word(v.verdict)),
        escape(verdict_word(v.verdict)),
        escape(&summary)
    );
    let _ = writeln!(
        out,
        "<div class=\"cmd\">Soak run of <code>{}</code></div>",
        escape(&data.title)
    );

    out.push_str("<div class=\"facts\">\n");
    for (k, val) in facts(data) {
        let _ = writeln!(
            out,
            "<div class=\"fact\"><div class=\"k\">{}</div><div class=\"v{}\">{}</div></div>",
            escape(&k),
            if val.chars().count() > 18 {
                " long"
            } else {
                ""
            },
            escape(&val)
        );
    }
    let _ = writeln!(
        out,
        "<div class=\"fact wide\"><div class=\"k\">Command</div><div class=\"v\">{}</div></div>",
        escape(&data.title)
    );
    out.push_str("</div>\n");

    let height = if has_load(data) { 700 } else { 470 };
    let scene = layout(data, CHART_WIDTH, height, false);
    out.push_str("<section class=\"card\">\n<h2>Memory and load over time</h2>\n");
    out.push_str(&svg::render(&scene, &data.title, true));
    out.push_str("</section>\n");

    if !v.reasons.is_empty() {
        out.push_str("<section class=\"card\">\n<h2>Why</h2>\n<ul>\n");
        for r in &v.reasons {
            let _ = writeln!(out, "<li>{}</li>", escape(r));
        }
        out.push_str("</ul>\n</section>\n");
    }
    // The verdict JSON (the DESIGN.md contract) for scripts that read the report back.
    // `<` is escaped so the data can never close the element.
    let json = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"verdict-json\">{}</script>",
        json.replace('<', "\\u003c")
    );
    let _ = writeln!(
        out,
        "<footer>Series “{}” · written by leakscope</footer>\n</main>\n</body>\n</html>",
        escape(&v.name)
    );
    out
}

/// The numbers shown with the verdict: built-in rows, then the caller's (which replace built-in
/// rows of the same label).
fn facts(data: &RunData) -> Vec<(String, String)> {
    let v = &data.verdict;
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, val: String| rows.push((k.to_string(), val));
    add("Pattern", v.pattern.as_str().to_string());
    add(
        "Growth per hour",
        format_rate_per_hour(v.growth_bytes_per_hour),
    );
    let baseline = data.baseline_bytes.filter(|b| b.is_finite());
    let last = data
        .memory
        .iter()
        .rev()
        .find(|p| p.t.is_finite() && p.v.is_finite())
        .map(|p| p.v)
        .or(Some(v.last_bytes).filter(|b| b.is_finite() && v.samples > 0));
    add(
        "Baseline memory",
        baseline.map_or("n/a".into(), format_bytes),
    );
    add("Final memory", last.map_or("n/a".into(), format_bytes));
    if let (Some(b), Some(l)) = (baseline, last) {
        let d = l - b;
        let sign = if d < 0.0 { "-" } else { "+" };
        add("Above baseline", format!("{sign}{}", format_bytes(d.abs())));
    }
    let load = load_totals(data);
    if let Some((requests, err)) = load {
        add("Requests served", format_count(requests));
        add("Error rate", format!("{:.2}%", err * 100.0));
        if let (Some(b), Some(l)) = (baseline, last) {
            if requests >= 1.0 {
                add("Bytes per request", format!("{:.1} B", (l - b) / requests));
            }
        }
    }
    let ttl = match (v.time_to_limit_seconds, data.limit_bytes.or(v.limit_bytes)) {
        (Some(s), _) if s.is_finite() => format_duration(s),
        (_, None) => "no limit known".into(),
        _ if v.growth_bytes_per_hour <= 0.0 => "not growing".into(),
        _ => "not reached at this rate".into(),
    };
    add("Time to limit", ttl);
    if let Some(l) = data.limit_bytes.or(v.limit_bytes).filter(|l| l.is_finite()) {
        add("Memory limit", format_bytes(l));
    }
    let (t0, t1) = data
        .memory
        .iter()
        .filter(|p| p.t.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.t), b.max(p.t))
        });
    let span = if t1 >= t0 { t1 - t0 } else { v.span_seconds };
    add("Duration", format_duration(span));
    add("Samples", v.samples.to_string());
    if let Some(d) = v.detected_at.filter(|d| d.is_finite()) {
        let after = if t0.is_finite() {
            format!("after {}", format_duration(d - t0))
        } else {
            format_utc(d)
        };
        add("Detected", after);
    }
    if v.restarts > 0 {
        add("Restarts", v.restarts.to_string());
    }
    if t0.is_finite() {
        add("Started", format_utc(t0));
    }
    for (k, val) in &data.facts {
        match rows.iter_mut().find(|r| r.0.eq_ignore_ascii_case(k)) {
            Some(r) => r.1 = val.clone(),
            None => rows.push((k.clone(), val.clone())),
        }
    }
    rows
}

/// Requests served (the integral of requests/s over time) and the request-weighted error rate
/// (0..1), when the load has at least two usable points.
pub(crate) fn load_totals(data: &RunData) -> Option<(f64, f64)> {
    let mut pts: Vec<_> = data
        .load
        .iter()
        .filter(|p| p.t.is_finite() && p.rps.is_finite() && p.rps >= 0.0)
        .collect();
    if pts.len() < 2 {
        return None;
    }
    pts.sort_by(|a, b| a.t.total_cmp(&b.t));
    let (mut requests, mut errors) = (0.0, 0.0);
    for (i, p) in pts.iter().enumerate() {
        // Each point covers the interval that ends at it; the first borrows the next one's.
        let dt = if i == 0 {
            pts[1].t - p.t
        } else {
            p.t - pts[i - 1].t
        };
        let n = p.rps * dt.max(0.0);
        requests += n;
        if p.error_rate.is_finite() {
            errors += n * p.error_rate.clamp(0.0, 1.0);
        }
    }
    let rate = if requests > 0.0 {
        errors / requests
    } else {
        0.0
    };
    requests.is_finite().then_some((requests, rate))
}
