//! `k8s scan` as a table: worst container first, then the node OOM events no container could
//! be joined to, then what was scanned.

use leakscope_k8s::scan::ScanReport;

use super::table::Table;
use crate::units::{format_bytes, format_duration};

/// The scan report for people.
pub fn scan_table(r: &ScanReport, restarts_over: u32) -> String {
    let mut out = String::new();
    let mut t = Table::new(
        &[
            "NAMESPACE",
            "POD",
            "CONTAINER",
            "OWNER",
            "RESTARTS",
            "OOM",
            "LAST END",
            "LIMIT",
            "VERDICT",
            "STATE",
        ],
        &[
            false, false, false, false, true, true, false, true, false, false,
        ],
    );
    for c in &r.containers {
        let last = c.last_termination.as_ref().map_or(String::new(), |l| {
            format!(
                "{} ({}) {}",
                l.reason.as_deref().unwrap_or("?"),
                l.exit_code,
                l.finished_at.as_deref().unwrap_or("")
            )
        });
        let verdict = match (&c.verdict, c.growth_bytes_per_hour, c.time_to_limit_seconds) {
            (Some(v), Some(g), Some(ttl)) if v == "leak" => {
                format!(
                    "leak +{}/h, limit in {}",
                    format_bytes(g),
                    format_duration(ttl)
                )
            }
            (Some(v), Some(g), None) if v == "leak" => format!("leak +{}/h", format_bytes(g)),
            (Some(v), ..) => v.clone(),
            (None, ..) => "-".into(),
        };
        t.row(vec![
            c.namespace.clone(),
            c.pod.clone(),
            c.container.clone(),
            c.owner.clone().unwrap_or_else(|| "-".into()),
            c.restarts.to_string(),
            c.oom_kills.to_string(),
            last,
            c.limit_bytes.map_or_else(|| "-".into(), format_bytes),
            verdict,
            c.state.clone(),
        ]);
    }
    if t.is_empty() {
        out.push_str(&format!(
            "no container was OOM-killed or restarted more than {restarts_over} times"
        ));
    } else {
        out.push_str(&t.render());
    }
    if !r.node_events.is_empty() {
        out.push_str("\n\nnode OOM events not joined to a container:\n");
        let mut e = Table::new(
            &["REASON", "NODE", "AT", "PROCESS", "COUNT"],
            &[false, false, false, false, true],
        );
        for ev in &r.node_events {
            e.row(vec![
                ev.reason.clone(),
                ev.node.clone().unwrap_or_else(|| "-".into()),
                ev.at.clone().unwrap_or_default(),
                ev.process.clone().unwrap_or_else(|| "-".into()),
                ev.count.to_string(),
            ]);
        }
        out.push_str(&e.render());
    }
    let s = &r.scanned;
    let oom = r.containers.iter().filter(|c| c.oom_kills > 0).count();
    let restarting = r
        .containers
        .iter()
        .filter(|c| c.restarts > restarts_over)
        .count();
    out.push_str(&format!(
        "\n\nscanned {} pods ({} containers) in {} namespaces: {oom} OOM-killed, {restarting} restarted more than {restarts_over} times; {} OOM events",
        s.pods, s.containers, s.namespaces, s.oom_events
    ));
    out
}
