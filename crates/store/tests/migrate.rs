//! Migration to schema v3 of real older files: `fixtures/v2.db`, written by the v2 store
//! itself (`fixtures/make-v2.sh`), and a large v1 file built with the v1 SQL.

use leakscope_core::Point;
use leakscope_store::{schema, Store, StoreError};
use rusqlite::Connection;
use serde_json::json;

const T0: f64 = 1_700_000_000.0;

fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("v2.db");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2.db"),
        &path,
    )
    .expect("copy fixture");
    (dir, path)
}

/// What `make_v2.rs` wrote for api/rss_bytes: 40 samples, a late one at +15 s, and +20 s and
/// +30 s replaced (the last one still in the v2 log when the file was closed).
fn want_rss() -> Vec<Point> {
    let mut pts: Vec<Point> = (0..40u32)
        .map(|i| {
            Point::new(
                T0 + 10.0 * f64::from(i),
                50_000_000.0 + 4096.0 * f64::from(i * i % 97),
            )
        })
        .collect();
    pts[2].v = 2.0;
    pts[3].v = 3.0;
    pts.insert(2, Point::new(T0 + 15.0, 1.0));
    pts
}

fn read_all(s: &Store) -> Result<Vec<(String, String, Vec<Point>)>, StoreError> {
    let mut out = Vec::new();
    for info in s.list()? {
        let pts = s.points(&info.target, &info.field)?;
        out.push((info.target, info.field, pts));
    }
    Ok(out)
}

#[test]
fn a_v2_file_reads_the_same_before_and_after_migration() -> Result<(), StoreError> {
    let (_dir, path) = fixture();
    // Read-only: the v2 tables as they are, nothing changed.
    let before_bytes = std::fs::read(&path).expect("read");
    let r = Store::open_read_only(&path)?;
    assert_eq!(r.schema_version()?, 2);
    let before = read_all(&r)?;
    let list_before = r.list()?;
    drop(r);
    assert_eq!(std::fs::read(&path).expect("read"), before_bytes);
    assert_eq!(
        before
            .iter()
            .find(|s| s.1 == "rss_bytes")
            .map(|s| s.2.clone()),
        Some(want_rss())
    );
    let ratio = &before
        .iter()
        .find(|s| s.1 == "cpu_ratio")
        .expect("cpu_ratio")
        .2;
    assert_eq!(ratio[5], Point::new(T0 + 50.0, 0.25 + 5.0 / 64.0));
    let db = &before.iter().find(|s| s.0 == "db").expect("db").2;
    assert_eq!(db[39], Point::new(T0 + 390.5, 2e8 + 8192.0 * 39.0));

    // Migrated: the same points, counts, events, targets and runs; the v2 tables are gone.
    let mut w = Store::open(&path)?;
    assert_eq!(w.schema_version()?, schema::SCHEMA_VERSION);
    assert_eq!(read_all(&w)?, before);
    // v2 counted a log sample that replaces a stored one twice until compacted; v3 once.
    let mut list_want = list_before;
    let rss = list_want
        .iter_mut()
        .find(|i| i.field == "rss_bytes")
        .expect("rss");
    assert_eq!(rss.samples, 42);
    rss.samples = 41;
    assert_eq!(w.list()?, list_want);
    let ev = w.events(None)?;
    assert_eq!(
        (ev.len(), ev[0].t, &ev[0].detail),
        (1, T0 + 200.0, &json!({"old_pid": 4242, "new_pid": 4343}))
    );
    let targets = w.targets()?;
    assert_eq!(targets[1].meta, json!({"limit_bytes": 536870912}));
    // And it goes on: a new sample lands after the old ones.
    let api = w.target("api", "pid", "4242")?;
    w.append(api, T0 + 400.0, &[("rss_bytes", 9.0)])?;
    w.flush()?;
    assert_eq!(
        w.points("api", "rss_bytes")?.last(),
        Some(&Point::new(T0 + 400.0, 9.0))
    );
    assert_eq!(w.integrity_check()?, vec!["ok".to_string()]);
    drop(w);
    let c = Connection::open(&path).expect("open");
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    assert_eq!(
        tables,
        [
            "chunks",
            "compacted",
            "events",
            "recent",
            "runs",
            "series",
            "targets"
        ]
    );
    let runs: (String, f64) = c
        .query_row("SELECT command, ended_at FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("run");
    assert_eq!(
        runs,
        (
            "leakscope watch --pid 4242 --cgroup /sys/fs/cgroup/db".into(),
            T0 + 400.0
        )
    );
    Ok(())
}

/// The v1 schema exactly as the first release wrote it.
const V1_SQL: &str = "CREATE TABLE targets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, spec TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL);
  CREATE TABLE series (id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL REFERENCES targets(id),
    field TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '', UNIQUE (target_id, field));
  CREATE TABLE samples (series_id INTEGER NOT NULL REFERENCES series(id), t REAL NOT NULL, v REAL NOT NULL);
  CREATE INDEX samples_series_t ON samples (series_id, t);
  CREATE TABLE events (id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL REFERENCES targets(id),
    t REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}');
  CREATE INDEX events_target_t ON events (target_id, t);";

#[test]
fn a_large_v1_file_migrates_in_windows_keeping_every_sample(
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("v1.db");
    let mut want: Vec<Vec<Point>> = vec![Vec::new(); 3];
    {
        let mut c = Connection::open(&path)?;
        c.execute_batch(&format!(
            "{V1_SQL} PRAGMA user_version = 1; PRAGMA application_id = {};",
            schema::APPLICATION_ID
        ))?;
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO targets (name, kind, spec, created_at) VALUES ('svc', 'pid', '1', 0)",
            [],
        )?;
        for f in ["rss_bytes", "ratio", "fds"] {
            tx.execute("INSERT INTO series (target_id, field) VALUES (1, ?1)", [f])?;
        }
        // Two days every 10 s, with a gap, sub-second times, fractional and huge values.
        for i in 0..17_280u32 {
            if (5000..6000).contains(&i) {
                continue;
            }
            let t = T0 + 10.0 * f64::from(i) + f64::from(i % 10) / 8.0;
            let vals = [
                4096.0 * f64::from(10_000 + i),
                f64::from(i) / 3.0,
                1e300 * f64::from(i % 2),
            ];
            for (s, v) in vals.iter().enumerate() {
                tx.execute(
                    "INSERT INTO samples VALUES (?1, ?2, ?3)",
                    rusqlite::params![s as i64 + 1, t, v],
                )?;
                want[s].push(Point::new(t, *v));
            }
        }
        tx.commit()?;
    }
    let w = Store::open(&path)?;
    assert_eq!(w.schema_version()?, schema::SCHEMA_VERSION);
    for (s, field) in ["rss_bytes", "ratio", "fds"].iter().enumerate() {
        assert_eq!(w.points("svc", field)?, want[s], "{field}");
    }
    assert_eq!(
        w.list()?.iter().map(|i| i.samples).collect::<Vec<_>>(),
        vec![16_280; 3]
    );
    assert_eq!(w.integrity_check()?, vec!["ok".to_string()]);
    Ok(())
}
