//! The HTML report: self-contained, escaped, verdict prominent, numbers present.

mod common;

use common::{leak, no_leak};
use leakscope_core::Verdict;

#[test]
fn page_is_self_contained() {
    let html = leakscope_report::html(&leak());
    let rest = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !rest.contains("http://") && !rest.contains("https://"),
        "no network references"
    );
    for bad in ["<link", "<img", "<iframe", "@import", "src=", "@font-face"] {
        assert!(!html.contains(bad), "found {bad}");
    }
    // url(...) only for the chart's own clip paths.
    assert!(html
        .match_indices("url(")
        .all(|(i, _)| html[i..].starts_with("url(#plot")));
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(html.contains("<svg"), "the chart is inline");
}

#[test]
fn verdict_is_prominent_and_coloured() {
    let html = leakscope_report::html(&leak());
    assert!(html.contains("data-verdict=\"LEAK\" style=\"background:#cf222e\""));
    let html = leakscope_report::html(&no_leak());
    assert!(html.contains("data-verdict=\"NO LEAK\" style=\"background:#1a7f37\""));
}

#[test]
fn numbers_are_shown() {
    let data = leak();
    let html = leakscope_report::html(&data);
    for want in [
        "rising-floor",
        "+40.0 MiB/h",
        "Baseline memory",
        "120 MiB",
        "Final memory",
        "Requests served",
        "Error rate",
        "Bytes per request",
        "Time to limit",
        "5 h 18 min",
        "Duration",
        "2 h 00 min",
        "GET /api/items",
        "no deceleration toward a plateau",
    ] {
        assert!(html.contains(want), "missing {want}");
    }
}

#[test]
fn caller_facts_replace_built_in_rows() {
    let mut data = leak();
    data.facts.push((
        "bytes per request".into(),
        "1.2 KiB (from the load tool)".into(),
    ));
    let html = leakscope_report::html(&data);
    assert!(html.contains("1.2 KiB (from the load tool)"));
    assert_eq!(
        html.matches("Bytes per request").count() + html.matches("bytes per request").count(),
        1
    );
}

#[test]
fn everything_is_escaped() {
    let mut data = leak();
    data.title = "sh -c 'a < b && c > d' \"<b>x</b>\"".into();
    data.verdict
        .reasons
        .push("<img src=x onerror=alert(1)>".into());
    data.facts
        .push(("<i>k</i>".into(), "</script><script>".into()));
    let html = leakscope_report::html(&data);
    assert!(!html.contains("<b>x</b>") && !html.contains("<img") && !html.contains("<i>k"));
    assert!(html.contains("sh -c &#39;a &lt; b &amp;&amp; c &gt; d&#39;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the JSON data block"
    );
}

#[test]
fn verdict_json_round_trips() {
    let mut data = leak();
    data.verdict
        .reasons
        .push("</script> inside a reason".into());
    let html = leakscope_report::html(&data);
    let start =
        html.find("id=\"verdict-json\">").expect("data block") + "id=\"verdict-json\">".len();
    let end = start + html[start..].find("</script>").expect("closed");
    let back: Verdict = serde_json::from_str(&html[start..end]).expect("valid JSON");
    assert_eq!(back, data.verdict);
}
