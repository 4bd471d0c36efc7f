//! Against a real Prometheus (Debian's 2.42) started on loopback with a backfilled fixture:
//! the same verdicts as judging the samples directly, the screen computed server-side as
//! locally, chunking past the points limit, and one clear error for each failure.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use leakscope_core::{recognize, Point, RecognizeOptions, VerdictKind};
use leakscope_fleet::fetch::FetchLimits;
use leakscope_fleet::labels::selector;
use leakscope_fleet::range::Grid;
use leakscope_fleet::testkit::{have, PromServer, FIXTURE_END};
use leakscope_fleet::{
    judge_fleet, screen, Endpoint, FleetError, FleetQuery, Labels, PromError, Prometheus,
    ScreenMode,
};

const STEP: i64 = 60;
const HOURS: i64 = 12;

fn labels(pod: &str) -> Labels {
    [
        ("__name__", "mem_bytes"),
        ("namespace", "shop"),
        ("pod", pod),
        ("container", "app"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// Deterministic noise in [-1, 1).
fn noise(i: i64, salt: i64) -> f64 {
    let x = (i * 7919 + salt * 104_729).wrapping_mul(2_654_435_761) % 1_000_003;
    x as f64 / 500_001.5 - 1.0
}

/// A leak under a GC sawtooth, a flat sawtooth (a GC every 3 minutes: shorter than the
/// screen's 4-minute windows), and a cache filling to a plateau.
fn fixture() -> Fixture {
    let start = FIXTURE_END - HOURS * 3600;
    let n = HOURS * 3600 / STEP;
    let mk = |f: &dyn Fn(i64, f64) -> f64| -> Vec<Point> {
        (0..=n)
            .map(|i| {
                let t = start + i * STEP;
                let h = (i * STEP) as f64 / 3600.0;
                Point::new(t as f64, f(i, h).round())
            })
            .collect()
    };
    vec![
        (
            labels("cart-leaky"),
            mk(&|i, h| 2e8 + 2e7 * h + 3e6 * (i % 7) as f64 + 5e5 * noise(i, 1)),
        ),
        (
            labels("cart-fine"),
            mk(&|i, _| 2e8 + 3e6 * (i % 3) as f64 + 5e5 * noise(i, 2)),
        ),
        (
            labels("cache-1"),
            mk(&|i, h| 3e8 + 2e8 * (1.0 - (-h / 1.0).exp()) + 5e5 * noise(i, 3)),
        ),
    ]
}

/// The fixture's series, labels and points.
type Fixture = Vec<(Labels, Vec<Point>)>;

fn start_prom() -> Option<(PromServer, Fixture)> {
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus/promtool not installed (apt-get install prometheus)");
        return None;
    }
    let series = fixture();
    let server = PromServer::start(&series).expect("prometheus starts");
    Some((server, series))
}

fn fleet_query(query: &str) -> FleetQuery {
    FleetQuery {
        query: query.to_owned(),
        start: (FIXTURE_END - HOURS * 3600) as f64,
        end: FIXTURE_END as f64,
        step: None,
        opts: RecognizeOptions::default(),
        limit_query: None,
        restarts_query: None,
        screen: ScreenMode::Off,
        limits: FetchLimits::default(),
        warmup_seconds: 600.0,
        cohorts: Default::default(),
        keep_recent_seconds: 0.0,
    }
}

#[test]
fn series_from_prometheus_get_the_verdicts_of_their_samples() {
    let Some((server, series)) = start_prom() else {
        return;
    };
    let prom = Prometheus::new(Endpoint::new(&server.url)).expect("client");
    let q = fleet_query(r#"mem_bytes{namespace="shop"}"#);
    let (verdicts, stats) = judge_fleet(&prom, &q, &mut |_| {}).expect("judged");
    assert_eq!(stats.step, STEP, "the native resolution is found");
    assert!(
        stats.raw_samples,
        "a selector at its own resolution is screened on raw samples"
    );
    assert_eq!(verdicts.len(), 3);
    for (l, points) in &series {
        let direct = recognize(&selector(l), points, &RecognizeOptions::default());
        let got = verdicts
            .iter()
            .find(|v| &v.labels == l)
            .expect("every series judged");
        assert_eq!(got.verdict, direct, "{}", direct.name);
        assert!(!got.screened_out);
    }
    // Ranked: the leak first.
    assert_eq!(verdicts[0].labels["pod"], "cart-leaky");
    assert_eq!(verdicts[0].verdict.verdict, VerdictKind::Leak);
    assert!(verdicts[1..]
        .iter()
        .all(|v| v.verdict.verdict == VerdictKind::NoLeak));

    // A step coarser than the samples: the screen reads grid points through subqueries (whose
    // answers have no metric name), and every series is still matched and judged.
    let mut coarse = fleet_query(r#"mem_bytes{namespace="shop"}"#);
    coarse.step = Some(2 * STEP);
    let (v, stats) = judge_fleet(&prom, &coarse, &mut |_| {}).expect("judged");
    assert!(!stats.raw_samples);
    assert_eq!(v.len(), 3);
    assert!(v.iter().all(|v| v.labels.contains_key("__name__")));
    assert_eq!(v[0].labels["pod"], "cart-leaky");

    // An expression (not a selector) is narrowed with `and on(...)`, same verdicts.
    let mut q = fleet_query(r#"mem_bytes{namespace="shop"} * 1"#);
    let (_, stats) = judge_fleet(&prom, &q, &mut |_| {}).expect("judged");
    assert_eq!(
        stats.step, 15,
        "an expression's resolution is unknown: the finest under the limit"
    );
    q.step = Some(STEP);
    let (by_expr, _) = judge_fleet(&prom, &q, &mut |_| {}).expect("judged");
    assert_eq!(by_expr.len(), 3);
    for v in &by_expr {
        let same = verdicts
            .iter()
            .find(|w| {
                let mut l = w.labels.clone();
                l.remove("__name__");
                l == v.labels
            })
            .expect("same series");
        assert_eq!(v.verdict.verdict, same.verdict.verdict);
        assert_eq!(v.verdict.pattern, same.verdict.pattern);
    }
    drop(server);
}

#[test]
fn the_screen_is_computed_server_side_as_locally_and_settles_only_flat_floors() {
    let Some((server, series)) = start_prom() else {
        return;
    };
    let prom = Prometheus::new(Endpoint::new(&server.url)).expect("client");
    let grid = Grid::new(FIXTURE_END - HOURS * 3600, FIXTURE_END, STEP).expect("grid");
    let window = screen::floor_window(grid.span(), STEP, &RecognizeOptions::default(), 0.0);
    // Raw samples and grid points (a subquery) give the same screen here: one sample per step.
    for reading in [
        screen::Reading::choose("mem_bytes", STEP, Some(STEP as f64)),
        screen::Reading::choose("mem_bytes * 1", STEP, None),
    ] {
        let stats = screen::screen(&prom, &reading, &grid, window, true).expect("screen");
        assert_eq!(stats.len(), 3);
        for (l, points) in &series {
            let mut l = l.clone();
            if matches!(reading, screen::Reading::Grid(_)) {
                l.remove("__name__");
            }
            let s = stats.iter().find(|s| s.labels == l).expect("series");
            let local = screen::floor_rise(points, window);
            assert!(
                (s.floor_rise - local).abs() < 1.0,
                "{}: server {} local {local}",
                selector(&l),
                s.floor_rise
            );
            assert_eq!(s.samples, points.len() as u64);
            assert_eq!(s.last, points[points.len() - 1].v);
        }
    }

    let mut q = fleet_query("mem_bytes");
    q.screen = ScreenMode::On;
    // No warm-up: a warm-up longer than half a bucket (8 min here) shrinks the windows to one
    // step, and then the GC sawtooth itself would pass the screen.
    q.warmup_seconds = 0.0;
    let (verdicts, run) = judge_fleet(&prom, &q, &mut |_| {}).expect("judged");
    assert_eq!(run.series, 3);
    let by_pod = |p: &str| verdicts.iter().find(|v| v.labels["pod"] == p).expect(p);
    assert!(by_pod("cart-fine").screened_out, "a flat floor is settled");
    assert_eq!(by_pod("cart-fine").verdict.verdict, VerdictKind::NoLeak);
    assert!(!by_pod("cart-leaky").screened_out);
    assert_eq!(by_pod("cart-leaky").verdict.verdict, VerdictKind::Leak);
    assert!(!by_pod("cache-1").screened_out, "a rising floor is fetched");
    assert_eq!(run.fetched, 2);
    drop(server);
}

#[test]
fn a_fine_step_is_fetched_in_chunks_under_the_points_limit() {
    let Some((server, _)) = start_prom() else {
        return;
    };
    let prom = Prometheus::new(Endpoint::new(&server.url)).expect("client");
    // 12 h at 2 s = 21,601 points per series: Prometheus refuses it in one query...
    let grid = Grid::new(FIXTURE_END - HOURS * 3600, FIXTURE_END, 2).expect("grid");
    let err = prom
        .query_range("mem_bytes", &grid)
        .expect_err("too many points");
    assert!(err.is_too_many_points(), "{err}");
    // ...and the fleet path splits it into chunks.
    let mut q = fleet_query(r#"mem_bytes{pod="cart-leaky"}"#);
    q.step = Some(2);
    let (v, _) = judge_fleet(&prom, &q, &mut |_| {}).expect("chunked");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].verdict.samples, 21_601);
    assert_eq!(v[0].verdict.verdict, VerdictKind::Leak);
    drop(server);
}

#[test]
fn failures_read_as_one_sentence() {
    let Some((server, _)) = start_prom() else {
        return;
    };
    let prom = Prometheus::new(Endpoint::new(&server.url)).expect("client");
    // Prometheus' own parse error text.
    let err = judge_fleet(&prom, &fleet_query("mem_bytes{"), &mut |_| {}).expect_err("bad");
    let text = err.to_string();
    assert!(
        text.contains("rejected the query")
            && text.contains("bad_data")
            && text.contains("parse error"),
        "{text}"
    );
    // Nothing matches.
    let err = judge_fleet(&prom, &fleet_query("no_such_metric"), &mut |_| {}).expect_err("none");
    assert!(matches!(err, FleetError::NoSeries { .. }), "{err}");
    assert!(err.to_string().contains("returned no series"), "{err}");

    // Nobody listens.
    let port = leakscope_fleet::testkit::free_port().expect("port");
    let gone = Prometheus::new(Endpoint::new(format!("http://127.0.0.1:{port}")))
        .expect("client")
        .with_retries(1, Duration::from_millis(10));
    let err = judge_fleet(&gone, &fleet_query("m"), &mut |_| {}).expect_err("unreachable");
    assert!(
        err.to_string().starts_with("cannot reach Prometheus at"),
        "{err}"
    );
    assert_eq!(
        gone.stats().retries(),
        1,
        "an unreachable server is retried"
    );
    drop(server);
}

#[test]
fn refused_credentials_are_named() {
    // A stand-in for an authenticating proxy: 401 to a bearer token, 403 to anything else,
    // serving until told to stop (a client may retry a request, so no fixed count), and reading
    // each whole request head (closing on unread bytes resets the connection).
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let url = format!("http://{addr}");
    let seen = std::thread::spawn(move || {
        let mut auth = Vec::new();
        loop {
            let (mut c, _) = listener.accept().expect("accept");
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let req = String::from_utf8_lossy(&head).to_lowercase();
            if req.starts_with("stop") {
                return auth;
            }
            let lines: Vec<String> = req
                .lines()
                .filter(|l| l.starts_with("authorization:") || l.starts_with("x-scope-orgid:"))
                .map(str::to_owned)
                .collect();
            let status = if lines.iter().any(|l| l.starts_with("authorization: bearer")) {
                "401 Unauthorized"
            } else {
                "403 Forbidden"
            };
            auth.push(lines);
            let body = "no";
            let _ = write!(
                c,
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let dir = tempfile::tempdir().expect("dir");
    let (token, password) = (dir.path().join("token"), dir.path().join("password"));
    std::fs::write(&token, "s3cret\n").expect("write");
    std::fs::write(&password, "p\n").expect("write");
    let e1 = Endpoint::new(&url)
        .with_bearer_token_file(&token)
        .with_header("X-Scope-OrgID", "tenant-1");
    let err = Prometheus::new(e1)
        .expect("client")
        .query("up", 0.0)
        .expect_err("401");
    assert!(
        matches!(err, PromError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("check the credentials"), "{err}");
    let e2 = Endpoint::new(&url).with_basic_auth("u", &password);
    let err = Prometheus::new(e2)
        .expect("client")
        .query("up", 0.0)
        .expect_err("403");
    assert!(
        matches!(err, PromError::Unauthorized { status: 403, .. }),
        "{err}"
    );
    TcpStream::connect(addr)
        .and_then(|mut c| c.write_all(b"STOP\r\n\r\n"))
        .expect("stop the stand-in");
    // Every request (retries included) carried exactly the credentials it was given.
    let mut auth = seen.join().expect("server");
    for a in &mut auth {
        a.sort();
    }
    let bearer = vec![
        "authorization: bearer s3cret".to_string(),
        "x-scope-orgid: tenant-1".to_string(),
    ];
    let basic = vec!["authorization: basic dtpw".to_string()];
    assert!(auth.contains(&bearer) && auth.contains(&basic), "{auth:?}");
    assert!(auth.iter().all(|a| *a == bearer || *a == basic), "{auth:?}");
}

/// A leak OOM-killed at its limit every 5 hours and a collector's sawtooth of the same shape,
/// over a day at one sample a minute: a climb of 20 MB/h from 250 MB, and a fall straight back,
/// every run alike. The memory alone cannot tell them apart (three falls or more to one height
/// read as a collector's); what a cluster exports beside it can: the leak's limit
/// (`container_spec_memory_limit_bytes`) is the height its runs end at and kube-state-metrics'
/// restart counter counts each fall, while the collector's limit is far above and its
/// container never restarted.
#[test]
fn a_sawtooth_killed_at_its_limit_and_counted_as_restarts_is_a_leak() {
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus/promtool not installed (apt-get install prometheus)");
        return;
    }
    const DAY: i64 = 86_400;
    const EVERY: i64 = 5 * 3600;
    let (g, base) = (2e7, 2.5e8);
    let kill_height = base + g * (EVERY as f64 / 3600.0);
    let start = FIXTURE_END - DAY;
    let times = || (0..=DAY / STEP).map(|i| (i, start + i * STEP));
    let with = |name: &str, pod: &str| -> Labels {
        let mut l = labels(pod);
        l.insert("__name__".into(), name.into());
        l
    };
    let sawtooth: Vec<Point> = times()
        .map(|(i, t)| {
            let x = (t - start) % EVERY;
            let v = base + g * x as f64 / 3600.0 + 5e5 * noise(i, 1);
            Point::new(t as f64, v.min(kill_height).round())
        })
        .collect();
    let constant = |v: f64| times().map(|(_, t)| Point::new(t as f64, v)).collect();
    let restarts = |counts: bool| -> Vec<Point> {
        times()
            .map(|(_, t)| {
                let n = if counts { (t - start) / EVERY } else { 0 };
                Point::new(t as f64, n as f64)
            })
            .collect()
    };
    let counter = |pod: &str| with("kube_pod_container_status_restarts_total", pod);
    let series = vec![
        (labels("oom-killed"), sawtooth.clone()),
        (labels("collector"), sawtooth),
        (
            with("container_spec_memory_limit_bytes", "oom-killed"),
            constant(kill_height.ceil()),
        ),
        (
            with("container_spec_memory_limit_bytes", "collector"),
            constant(2e9),
        ),
        (counter("oom-killed"), restarts(true)),
        (counter("collector"), restarts(false)),
    ];
    let server = PromServer::start(&series).expect("prometheus starts");
    let prom = Prometheus::new(Endpoint::new(&server.url)).expect("client");
    let mut q = fleet_query("mem_bytes");
    q.start = start as f64;
    let verdict_of = |q: &FleetQuery, pod: &str| {
        let (verdicts, _) = judge_fleet(&prom, q, &mut |_| {}).expect("judged");
        verdicts
            .into_iter()
            .find(|v| v.labels["pod"] == pod)
            .expect("judged")
    };

    // The memory alone: both read as a collector's cycles.
    for pod in ["oom-killed", "collector"] {
        let v = verdict_of(&q, pod);
        assert_eq!(v.verdict.verdict, VerdictKind::NoLeak, "{pod}: {v:?}");
        assert_eq!(v.restarts_counted, None);
    }

    // With the limits and the restart counters the fleet exports.
    q.limit_query = Some("container_spec_memory_limit_bytes > 0".into());
    q.restarts_query = Some("kube_pod_container_status_restarts_total".into());
    let killed = verdict_of(&q, "oom-killed");
    assert_eq!(killed.verdict.verdict, VerdictKind::Leak, "{killed:?}");
    assert_eq!(killed.verdict.limit_bytes, Some(kill_height.ceil()));
    assert_eq!(killed.restarts_counted, Some((DAY / EVERY) as u64));
    assert!(
        killed
            .verdict
            .reasons
            .iter()
            .any(|r| r.contains("restarted 4 time(s)")),
        "{:?}",
        killed.verdict.reasons
    );
    let collector = verdict_of(&q, "collector");
    assert_eq!(
        collector.verdict.verdict,
        VerdictKind::NoLeak,
        "{collector:?}"
    );
    assert_eq!(collector.restarts_counted, Some(0));
    assert_eq!(collector.verdict.limit_bytes, Some(2e9));
    drop(server);
}

/// A server the test never drops (a test process killed mid-run drops nothing) is stopped by
/// the kernel when the thread that started it ends: no engine outlives its test.
#[test]
fn a_prometheus_whose_test_thread_ends_is_stopped_by_the_kernel() {
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus or promtool not installed");
        return;
    }
    let points: Vec<Point> = (0..10)
        .map(|i| Point::new((FIXTURE_END - 600 + 60 * i) as f64, 1e6))
        .collect();
    let (pid, dir) = std::thread::spawn(move || {
        let server = PromServer::start(&[(labels("kept"), points)]).expect("prometheus starts");
        let kept = (server.pid(), server.dir().to_path_buf());
        std::mem::forget(server);
        kept
    })
    .join()
    .expect("the starting thread");
    let pid = libc::pid_t::try_from(pid).expect("a pid");
    // Our own child: reaped (waitpid) once it has ended.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let (mut status, mut reaped) = (0, 0);
    while reaped == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        // SAFETY: waitpid(2) on the pid of our own unreaped child, without blocking.
        reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    }
    if reaped == 0 {
        // SAFETY: kill(2) on our own child, still unreaped (so its pid is not reused).
        unsafe { libc::kill(pid, libc::SIGKILL) };
        // SAFETY: as above, blocking until it is gone.
        unsafe { libc::waitpid(pid, &mut status, 0) };
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        reaped, pid,
        "prometheus still ran 15 s after its thread ended"
    );
}
