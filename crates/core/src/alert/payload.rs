//! Rendering alerts: RFC 3339 times and the Alertmanager webhook body (version 4).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{names, Alert, AlertStatus, Recognition};
use crate::units::format_duration;

/// Unix seconds as RFC 3339 (UTC, whole seconds); Alertmanager's zero time
/// `0001-01-01T00:00:00Z` for times it cannot represent (negative, NaN, far future).
pub fn fmt_time(t: f64) -> String {
    const ZERO: &str = "0001-01-01T00:00:00Z";
    if !t.is_finite() || t < 0.0 {
        return ZERO.to_owned();
    }
    std::time::Duration::try_from_secs_f64(t)
        .ok()
        .and_then(|d| std::time::UNIX_EPOCH.checked_add(d))
        .filter(|st| *st < std::time::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799))
        .map_or_else(
            || ZERO.to_owned(),
            |st| humantime::format_rfc3339_seconds(st).to_string(),
        )
}

/// The labels Alertmanager sees for `a`: its own, then the target's (which cannot override
/// them).
pub fn labels(a: &Alert) -> BTreeMap<String, String> {
    let mut l: BTreeMap<String, String> = a.labels.clone();
    l.extend([
        ("alertname".to_owned(), a.name.clone()),
        ("target".to_owned(), a.target.clone()),
        ("series".to_owned(), a.series.clone()),
        ("severity".to_owned(), a.severity.as_str().to_owned()),
    ]);
    l
}

/// What recognition said, as annotations: `growth_bytes_per_hour` (a whole number),
/// `pattern`, `confidence` (two decimals), `time_to_limit` (e.g. `14h 3m`, or `unknown`) and,
/// when known, `time_to_limit_seconds` and the verdict's `caveat` (so whoever is paged reads
/// why it may be wrong, such as a first morning that a daily cycle would also explain).
pub fn recognition_annotations(r: &Recognition, out: &mut BTreeMap<String, String>) {
    out.insert(
        "growth_bytes_per_hour".into(),
        format!("{:.0}", r.growth_bytes_per_hour),
    );
    out.insert("pattern".into(), r.pattern.as_str().into());
    out.insert("confidence".into(), format!("{:.2}", r.confidence));
    if let Some(c) = &r.caveat {
        out.insert("caveat".into(), c.clone());
    }
    out.insert(
        "time_to_limit".into(),
        r.time_to_limit_seconds
            .map_or_else(|| "unknown".into(), format_duration),
    );
    if let Some(ttl) = r.time_to_limit_seconds {
        out.insert("time_to_limit_seconds".into(), format!("{ttl:.0}"));
    }
}

/// Prometheus' label-set fingerprint: FNV-1a 64 over sorted `name 0xff value 0xff`, as hex.
fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The longer human description of an alert.
fn description(a: &Alert) -> String {
    let unit = if a.name == names::MEMORY_GROWTH_LEAK {
        "bytes/hour"
    } else if [
        names::OOM_KILLED,
        names::TOO_MANY_RESTARTS,
        names::TARGET_EXITED,
    ]
    .contains(&a.name.as_str())
    {
        "count/code"
    } else {
        "bytes"
    };
    format!(
        "{} (target {}, series {}; value {} {unit}, threshold {} {unit}; since {})",
        a.summary,
        a.target,
        a.series,
        a.value,
        a.threshold,
        fmt_time(a.starts_at)
    )
}

/// A diagnosis as annotations (their values are strings): `culprit` in one line, and
/// `diagnosis`, the JSON `{"format", "suspects", "evidence", "took_seconds"}`.
pub fn diagnosis_annotations(d: &super::AlertDiagnosis, out: &mut BTreeMap<String, String>) {
    if let Some(c) = d.culprit() {
        out.insert("culprit".to_owned(), c);
    }
    if let Ok(text) = serde_json::to_string(d) {
        out.insert("diagnosis".to_owned(), text);
    }
}

/// Keep only the entries every map has with the same value.
fn common(maps: &[Map<String, Value>]) -> Map<String, Value> {
    let mut it = maps.iter();
    let mut out = it.next().cloned().unwrap_or_default();
    for m in it {
        out.retain(|k, v| m.get(k) == Some(v));
    }
    out
}

/// The Alertmanager webhook body (format version 4) for one group of alerts: what
/// Alertmanager itself POSTs to a `webhook_config` receiver, so existing receivers work.
pub fn alertmanager_payload(alerts: &[Alert], receiver: &str, external_url: &str) -> Value {
    let mut label_maps = Vec::with_capacity(alerts.len());
    let mut annotation_maps = Vec::with_capacity(alerts.len());
    let mut items = Vec::with_capacity(alerts.len());
    for a in alerts {
        let l = labels(a);
        let fp = fingerprint(&l);
        let lm: Map<String, Value> = l.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let mut annotations = BTreeMap::from([
            ("summary".to_owned(), a.summary.clone()),
            ("description".to_owned(), description(a)),
        ]);
        if let Some(r) = &a.recognition {
            recognition_annotations(r, &mut annotations);
        }
        if let Some(d) = &a.diagnosis {
            diagnosis_annotations(d, &mut annotations);
        }
        let am: Map<String, Value> = annotations
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        items.push(json!({
            "status": a.status.as_str(),
            "labels": lm,
            "annotations": am,
            "startsAt": fmt_time(a.starts_at),
            "endsAt": a.ends_at.map_or_else(|| fmt_time(-1.0), fmt_time),
            "generatorURL": a.generator_url.as_deref().unwrap_or(external_url),
            "fingerprint": fp,
        }));
        label_maps.push(lm);
        annotation_maps.push(am);
    }
    let any_firing = alerts.iter().any(|a| a.status == AlertStatus::Firing);
    json!({
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "status": if any_firing { "firing" } else { "resolved" },
        "receiver": receiver,
        "groupLabels": {},
        "commonLabels": common(&label_maps),
        "commonAnnotations": common(&annotation_maps),
        "externalURL": external_url,
        "alerts": items,
    })
}
