//! Alerts posted to a real Alertmanager (Debian's 0.25, started on loopback) reach a webhook
//! receiver through its route, firing and then resolved.

use std::time::Duration;

use leakscope_core::alert::{names, Alert, AlertStatus, Recognition, Severity};
use leakscope_fleet::alertmanager::{Alertmanagers, AmAlert, Notifier};
use leakscope_fleet::testkit::{have, AlertmanagerServer, WebhookSink};
use leakscope_fleet::{Endpoint, Labels};

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[test]
fn alerts_reach_the_receiver_through_alertmanager_and_resolve() {
    if !have("prometheus-alertmanager") {
        eprintln!("SKIP: prometheus-alertmanager not installed");
        return;
    }
    let hook = WebhookSink::start().expect("webhook");
    let config = format!(
        "route:\n  receiver: hook\n  group_by: [alertname, namespace]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n  routes:\n  - receiver: hook\n    matchers: ['severity=~\"warning|critical\"']\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: {}\n    send_resolved: true\n",
        hook.url
    );
    let am = AlertmanagerServer::start(&config).expect("alertmanager starts");
    assert!(am.pid() > 0);
    // The same alert to two Alertmanagers (an HA pair): the second is not running.
    let dead = format!(
        "http://127.0.0.1:{}",
        leakscope_fleet::testkit::free_port().expect("port")
    );
    let ams = Alertmanagers::new(vec![Endpoint::new(&am.url), Endpoint::new(dead)]);

    let t0 = now();
    let target: Labels = [
        ("__name__", "container_memory_working_set_bytes"),
        ("namespace", "shop"),
        ("pod", "cart-7f9"),
        ("container", "app"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let verdict = leakscope_core::recognize(
        "x",
        &(0..120)
            .map(|i| {
                leakscope_core::Point::new(
                    t0 - 7200.0 + 60.0 * f64::from(i),
                    3e8 + 2e7 * f64::from(i) / 60.0,
                )
            })
            .collect::<Vec<_>>(),
        &leakscope_core::RecognizeOptions {
            limit_bytes: Some(1e9),
            ..Default::default()
        },
    );
    let a = Alert {
        name: names::MEMORY_GROWTH_LEAK.into(),
        status: AlertStatus::Firing,
        target: "shop/cart-7f9/app".into(),
        series: "container_memory_working_set_bytes".into(),
        severity: Severity::Warning,
        value: 2e7,
        threshold: 5e6,
        summary: "cart-7f9/app grows 20 MB/h and is recognized as a leak (linear-growth)".into(),
        starts_at: t0 - 60.0,
        ends_at: None,
        labels: target,
        recognition: Some(Recognition::from(&verdict)),
        generator_url: Some("http://leakscope.example/graph".into()),
        diagnosis: None,
    };
    let firing = AmAlert::from_alert(&a, "http://unused.example");
    let mut n = Notifier::new(60.0);
    n.apply(firing.clone());
    let due = n.due(t0).expect("a new alert is due");
    let results = ams.post(&due, n.valid_until(t0));
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let err = results[1].as_ref().expect_err("nobody listens");
    assert!(
        err.to_string().starts_with("cannot reach Alertmanager at"),
        "{err}"
    );
    assert!(err.is_transient());
    n.sent(t0);

    let msg = hook.next(Duration::from_secs(20)).expect("webhook called");
    assert_eq!(msg["status"], "firing");
    assert_eq!(msg["receiver"], "hook");
    let got = &msg["alerts"][0];
    assert_eq!(got["labels"]["alertname"], "MemoryGrowthLeak");
    assert_eq!(got["labels"]["severity"], "warning");
    assert_eq!(got["labels"]["pod"], "cart-7f9");
    assert_eq!(got["labels"]["namespace"], "shop");
    assert!(got["labels"].get("__name__").is_none());
    assert_eq!(got["annotations"]["pattern"], "linear-growth");
    let growth: f64 = got["annotations"]["growth_bytes_per_hour"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("growth");
    assert!((1.5e7..2.5e7).contains(&growth), "{growth}");
    // 1 GB limit, floor ~0.7 GB at 20 MB/h: about 15 hours.
    let ttl: f64 = got["annotations"]["time_to_limit_seconds"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("time to limit");
    assert!((10.0 * 3600.0..60.0 * 3600.0).contains(&ttl), "{got}");
    assert!(
        got["annotations"]["time_to_limit"]
            .as_str()
            .is_some_and(|s| s.contains('h')),
        "{got}"
    );
    assert!(got["annotations"]["summary"]
        .as_str()
        .is_some_and(|s| s.contains("cart-7f9")));
    // Two hours of +13 %: the verdict's doubt reaches whoever is paged.
    let confidence: f64 = got["annotations"]["confidence"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("confidence");
    assert!((0.5..0.9).contains(&confidence), "{got}");
    assert!(
        got["annotations"]["caveat"]
            .as_str()
            .is_some_and(|s| s.contains("daily traffic cycle")),
        "{got}"
    );
    assert_eq!(got["generatorURL"], "http://leakscope.example/graph");
    assert_eq!(
        got["endsAt"], "0001-01-01T00:00:00Z",
        "firing: Alertmanager shows no end"
    );

    // The condition clears: the alert goes once more with its endsAt, and resolves.
    let t1 = now();
    n.set_firing(t1, vec![]);
    let due = n.due(t1).expect("the resolution is due");
    assert_eq!(due.len(), 1);
    assert!(ams.post(&due, n.valid_until(t1))[0].is_ok());
    let msg = hook
        .next(Duration::from_secs(20))
        .expect("resolved notification");
    assert_eq!(msg["status"], "resolved");
    assert_eq!(msg["alerts"][0]["labels"]["pod"], "cart-7f9");
    assert_ne!(msg["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    drop(am);
}
