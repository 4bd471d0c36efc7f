//! `leakscope export` and the store as users read it: CSV that `analyze` judges exactly as it
//! judges the store, OpenMetrics that Debian's promtool backfills into a real Prometheus,
//! `ls` with downsampled counts, and reading a store in a read-only directory.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leakscope_store::{Bucket, Retention, Store, Tier};
use serde_json::Value;

const STEP: f64 = 60.0;

fn retention() -> Retention {
    Retention {
        raw: Duration::from_secs(6 * 3600),
        tiers: vec![Tier {
            bucket: Duration::from_secs(300),
            until: Duration::from_secs(7 * 86_400),
        }],
    }
}

/// A store with `api` leaking 20 MB/h under a GC sawtooth and `db` flat, both also with a
/// thread count, sampled every minute for `hours` ending at `end`; old enough data is
/// downsampled.
fn write_store(db: &Path, end: f64, hours: f64) {
    let mut s = Store::open(db).unwrap();
    s.set_retention(&retention()).unwrap();
    s.set_compact_every(8);
    let api = s.target("api", "pid", "4242").unwrap();
    let dbt = s.target("db", "pid", "4343").unwrap();
    let n = (hours * 3600.0 / STEP) as u64;
    for i in 0..n {
        let t = end - (n - 1 - i) as f64 * STEP;
        let pages = |x: f64| (x / 4096.0).round() * 4096.0;
        let leak = pages(2e8 + 2e7 * (i as f64 * STEP / 3600.0) + 3e7 * ((i % 9) as f64 / 9.0));
        let flat = pages(3e8 + 3e7 * ((i % 9) as f64 / 9.0));
        s.append(api, t, &[("rss_bytes", leak), ("threads", 12.0)])
            .unwrap();
        s.append(
            dbt,
            t,
            &[("rss_bytes", flat), ("threads", 40.0 + (i % 3) as f64)],
        )
        .unwrap();
        s.flush().unwrap();
    }
}

fn run(args: &[&str], db: &Path) -> std::process::Output {
    common::leakscope()
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

fn verdicts(out: &std::process::Output) -> Vec<Value> {
    let v = common::json_of(out);
    let mut series = v["series"].as_array().unwrap().clone();
    for s in &mut series {
        s.as_object_mut().unwrap().remove("name");
    }
    series
}

#[test]
fn analyze_of_the_csv_export_gives_the_stores_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    write_store(&db, 1_700_000_000.0, 30.0);
    for (target, want) in [("api", "leak"), ("db", "no_leak")] {
        let from_store = run(&["analyze", "--format", "json", "--target", target], &db);
        let export = run(&["export", "--target", target, "--field", "rss_bytes"], &db);
        assert_eq!(
            export.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&export.stderr)
        );
        let text = String::from_utf8(export.stdout).unwrap();
        assert!(text.starts_with("timestamp,rss_bytes\n"), "{}", &text[..80]);
        let csv = common::write(dir.path(), &format!("{target}.csv"), &text);
        let from_csv = common::leakscope()
            .args(["analyze", "--format", "json"])
            .arg(&csv)
            .output()
            .unwrap();
        let (a, b) = (verdicts(&from_store), verdicts(&from_csv));
        assert_eq!(a, b, "{target}: the store's verdict and the export's");
        assert_eq!(a[0]["verdict"], want, "{a:?}");
        // The export holds the downsampled floor (5-minute buckets) then the raw minutes.
        let rows = text.lines().count() - 1;
        assert!((24 * 12..30 * 60).contains(&rows), "{rows} rows");
    }
    // Two targets: one column each, named target/field; blank where a series has no point.
    let both = run(&["export", "--field", "threads"], &db);
    let text = String::from_utf8(both.stdout).unwrap();
    assert!(
        text.starts_with("timestamp,api/threads,db/threads\n"),
        "{}",
        &text[..60]
    );
}

#[test]
fn ls_shows_downsampled_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    write_store(&db, 1_700_000_000.0, 30.0);
    let table = String::from_utf8(run(&["ls"], &db).stdout).unwrap();
    assert!(table.contains("DOWNSAMPLED"), "{table}");
    let json = common::expect_json(&run(&["ls", "--format", "json"], &db), 0);
    let api = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["target"] == "api" && s["field"] == "rss_bytes")
        .unwrap();
    let buckets = api["downsampled_buckets"].as_u64().unwrap();
    let raw = api["samples"].as_u64().unwrap();
    // 30 h a minute apart: the last 6-8 h raw, the rest in 5-minute buckets of 5 samples.
    assert!((6 * 60..8 * 60 + 8).contains(&raw), "{api}");
    assert_eq!(
        api["downsampled_samples"].as_u64().unwrap() + raw,
        30 * 60,
        "{api}"
    );
    // 5 samples a bucket, the first one partial (the data starts inside it).
    let summarized = api["downsampled_samples"].as_u64().unwrap();
    assert!(buckets * 5 - summarized < 5, "{api}");
    assert!(
        table.contains(&format!("{buckets} ({summarized} samples)")),
        "{table}"
    );
}

#[test]
fn export_errors_are_one_sentence_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    write_store(&db, 1_700_000_000.0, 1.0);
    for (args, says) in [
        (
            &["export", "--target", "nope"][..],
            "no target named \"nope\"",
        ),
        (&["export", "--field", "nope"], "nothing to export"),
        (&["export", "--format", "json"], "not json"),
        (&["ls", "--format", "csv"], "for `leakscope export`"),
    ] {
        let out = run(args, &db);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let out = run(&["export"], &dir.path().join("missing.db"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn a_store_in_a_read_only_directory_can_be_listed_and_analyzed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    write_store(&db, 1_700_000_000.0, 2.0);
    let bin = env!("CARGO_BIN_EXE_leakscope");
    let script = r#"mount --bind "$D" "$D" && mount -o remount,bind,ro "$D" && ! touch "$D/probe" 2>/dev/null &&
        "$0" ls --format json --db "$D/x.db" && "$0" analyze --format json --min-span 10m --target api --db "$D/x.db""#;
    let out = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            bin,
        ])
        .env("D", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && (stderr.contains("unshare failed") || stderr.contains("mount:")) {
        eprintln!("skipped: no mount namespaces or mounts here: {stderr}");
        return;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    // `analyze` exits 1 on a leak: both commands ran and printed.
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\"downsampled_buckets\"") && stdout.contains("\"verdict\": \"leak\""),
        "{stdout}"
    );
}

/// A process started by the test, killed (SIGTERM, then waited for) when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: signalling the pid of a child we spawned and have not waited for.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

/// GET `path` from 127.0.0.1:`port`; (status, body).
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1;
    // Chunked transfer: join the chunks.
    if text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            out.push_str(after.get(..n)?);
            rest = after.get(n + 2..)?;
        }
        return Some((status, out));
    }
    Some((status, body.to_owned()))
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `query_range` of `query` over [start, end] every 30 s: (t, value) pairs.
fn query_range(port: u16, query: &str, start: f64, end: f64) -> Vec<(f64, f64)> {
    let path = format!(
        "/api/v1/query_range?query={}&start={start}&end={end}&step=30",
        encode(query)
    );
    let (status, body) = get(port, &path).unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let result = v["data"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 1, "{query}: {body}");
    result[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_f64().unwrap(),
                p[1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn openmetrics_export_backfills_into_prometheus() {
    let (Ok(promtool), Ok(prometheus)) = (which("promtool"), which("prometheus")) else {
        eprintln!(
            "skipped: promtool and prometheus are not installed (apt-get install prometheus)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    // Prometheus does not take backfilled data from its head block (the last ~3 h): end 4 h
    // ago, on a 30 s grid so that every stored point is a query_range step.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let end = ((now - 4.0 * 3600.0) / 300.0).floor() * 300.0;
    write_store(&db, end, 30.0);
    let om = run(&["export", "--format", "openmetrics"], &db);
    assert_eq!(
        om.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&om.stderr)
    );
    let text = String::from_utf8(om.stdout).unwrap();
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("# TYPE leakscope_rss_bytes_min gauge"));
    let om_file = common::write(dir.path(), "x.om", &text);
    let data = dir.path().join("data");
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om_file)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let config = common::write(
        dir.path(),
        "prometheus.yml",
        "global:\n  scrape_interval: 15s\n",
    );
    let port = common::free_port();
    let _prom = Running(
        Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .args([
                "--storage.tsdb.retention.time=3650d",
                &format!("--web.listen-address=127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(port, "/-/ready").map(|r| r.0) != Some(200) {
        assert!(Instant::now() < deadline, "prometheus did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }

    let store = Store::open_read_only(&db).unwrap();
    for target in ["api", "db"] {
        let mut rows: Vec<Bucket> = Vec::new();
        store
            .for_each_bucket(target, "rss_bytes", |b| rows.push(b))
            .unwrap();
        let (first, last) = (rows[0].mid_t(), rows[rows.len() - 1].mid_t());
        let sel = format!("{{target=\"{target}\",kind=\"pid\"}}");
        let values = query_range(port, &format!("leakscope_rss_bytes{sel}"), first, last);
        let mins = query_range(port, &format!("leakscope_rss_bytes_min{sel}"), first, last);
        let maxs = query_range(port, &format!("leakscope_rss_bytes_max{sel}"), first, last);
        let at = |series: &[(f64, f64)], t: f64| series.iter().find(|p| p.0 == t).map(|p| p.1);
        let mut checked = (0, 0);
        for b in &rows {
            let t = b.mid_t();
            assert_eq!(at(&values, t), Some(b.mean), "{target} at {t}: {b:?}");
            if b.width_seconds > 0.0 {
                assert_eq!(
                    (at(&mins, t), at(&maxs, t)),
                    (Some(b.min), Some(b.max)),
                    "{target} at {t}"
                );
                checked.0 += 1;
            } else {
                checked.1 += 1;
            }
        }
        assert!(
            checked.0 > 200 && checked.1 > 300,
            "{target}: {checked:?} buckets/raw points compared"
        );
    }
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}
