//! `leakscope_load::run` against a real server on 127.0.0.1.

mod common;

use common::TestServer;
use leakscope_load::{run, LoadError, LoadSpec, LoadStats};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn go(spec: &LoadSpec) -> LoadStats {
    run(spec, Arc::new(AtomicBool::new(false)), |_| {}).expect("valid spec")
}

#[test]
fn max_requests_is_exact() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 8,
        max_requests: Some(1000),
        ..LoadSpec::new(server.url("/user/{n}"))
    };
    let stats = go(&spec);
    assert_eq!(stats.requests, 1000, "{stats:?}");
    assert_eq!(stats.ok, 1000, "{stats:?}");
    assert_eq!(stats.errors(), 0, "{stats:?}");
    assert_eq!(stats.bytes, 5000, "5 bytes per response: {stats:?}");
    assert_eq!(server.paths().len(), 1000);
    assert!(stats.connections <= 8, "{stats:?}");
    assert!(stats.latency.p50 > Duration::ZERO && stats.latency.p50 <= stats.latency.p99);
}

#[test]
fn templates_give_unique_paths() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 4,
        max_requests: Some(300),
        ..LoadSpec::new(server.url("/user/{n}?r={rand}&id={uuid}"))
    };
    let stats = go(&spec);
    assert_eq!(stats.ok, 300, "{stats:?}");
    let paths = server.paths();
    let unique: HashSet<&String> = paths.iter().collect();
    assert_eq!(unique.len(), 300, "paths repeat");
    let seqs: HashSet<u64> = paths
        .iter()
        .filter_map(|p| p.strip_prefix("/user/")?.split('?').next()?.parse().ok())
        .collect();
    assert_eq!(
        seqs,
        (0..300).collect::<HashSet<u64>>(),
        "{{n}} must be 0..300"
    );
    let rands: HashSet<&str> = paths
        .iter()
        .filter_map(|p| p.split("r=").nth(1)?.split('&').next())
        .collect();
    assert_eq!(rands.len(), 300, "{{rand}} repeats");
}

#[test]
fn rate_is_approximately_kept() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 4,
        rate: Some(100.0),
        duration: Some(Duration::from_millis(1500)),
        ..LoadSpec::new(server.url("/user/{n}"))
    };
    let stats = go(&spec);
    // Due times 0, 10 ms, ... up to 1.5 s: 150 requests.
    assert!(
        (130..=151).contains(&stats.requests),
        "expected ~150 requests at 100/s for 1.5 s: {stats:?}"
    );
    assert_eq!(stats.errors(), 0, "{stats:?}");
    assert!(stats.elapsed < Duration::from_secs(3), "{stats:?}");

    // max_requests with a rate: 50 requests at 200/s take ~245 ms.
    let spec = LoadSpec {
        concurrency: 4,
        rate: Some(200.0),
        max_requests: Some(50),
        ..LoadSpec::new(server.url("/user/{n}"))
    };
    let started = Instant::now();
    let stats = go(&spec);
    let took = started.elapsed();
    assert_eq!(stats.ok, 50, "{stats:?}");
    assert!(
        took >= Duration::from_millis(240) && took < Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[test]
fn connection_refused_is_counted() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let spec = LoadSpec {
        concurrency: 2,
        max_requests: Some(20),
        ..LoadSpec::new(format!("http://127.0.0.1:{port}/user/{{n}}"))
    };
    let stats = go(&spec);
    assert_eq!(stats.requests, 20, "{stats:?}");
    assert_eq!(stats.errors_connect, 20, "{stats:?}");
    assert_eq!(stats.ok, 0, "{stats:?}");
}

#[test]
fn server_errors_are_http_errors() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 3,
        max_requests: Some(40),
        ..LoadSpec::new(server.url("/fail/{n}"))
    };
    let stats = go(&spec);
    assert_eq!(stats.errors_http, 40, "{stats:?}");
    assert_eq!(stats.ok, 0, "{stats:?}");
    assert_eq!(stats.requests, 40, "{stats:?}");
}

#[test]
fn connection_close_reconnects_without_errors() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 2,
        max_requests: Some(50),
        ..LoadSpec::new(server.url("/close/{n}"))
    };
    let stats = go(&spec);
    assert_eq!(stats.ok, 50, "{stats:?}");
    assert_eq!(stats.errors(), 0, "{stats:?}");
    assert!(
        stats.connections >= 25,
        "one connection per response: {stats:?}"
    );
}

#[test]
fn timeouts_are_counted() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 2,
        max_requests: Some(4),
        timeout: Duration::from_millis(100),
        ..LoadSpec::new(server.url("/slow/{n}"))
    };
    let started = Instant::now();
    let stats = go(&spec);
    assert_eq!(stats.errors_timeout, 4, "{stats:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn stop_flag_ends_an_unbounded_run() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 4,
        rate: Some(200.0),
        ..LoadSpec::new(server.url("/user/{n}"))
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1200));
        flag.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    let mut progress_calls = 0;
    let stats = run(&spec, stop, |s| {
        progress_calls += 1;
        assert!(s.requests > 0);
    })
    .expect("valid spec");
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "stop took {took:?}");
    assert!(stats.ok > 100, "{stats:?}");
    assert_eq!(stats.errors(), 0, "{stats:?}");
    assert!(
        (1..=2).contains(&progress_calls),
        "about one progress report per second: {progress_calls}"
    );
}

#[test]
fn stop_flag_interrupts_slow_requests() {
    let server = TestServer::start();
    let spec = LoadSpec {
        concurrency: 2,
        ..LoadSpec::new(server.url("/slow/{n}"))
    };
    let stop = Arc::new(AtomicBool::new(true)); // already raised
    let started = Instant::now();
    let stats = run(&spec, stop, |_| {}).expect("valid spec");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(stats.requests <= 2, "{stats:?}");
}

#[test]
fn posts_templated_bodies() {
    let server = TestServer::start();
    let spec = LoadSpec {
        method: "POST".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body_template: Some(r#"{{"id": {n}}}"#.into()),
        concurrency: 2,
        max_requests: Some(10),
        ..LoadSpec::new(server.url("/user/{n}"))
    };
    let stats = go(&spec);
    assert_eq!(stats.ok, 10, "{stats:?}");
}

#[test]
fn refuses_non_loopback_targets() {
    let spec = LoadSpec {
        max_requests: Some(1),
        ..LoadSpec::new("http://192.0.2.1/user/{n}")
    };
    let result = run(&spec, Arc::new(AtomicBool::new(false)), |_| {});
    assert!(
        matches!(result, Err(LoadError::NotLoopback { .. })),
        "{result:?}"
    );
}
