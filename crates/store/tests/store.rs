//! Real SQLite files in temp dirs: round-trip, migrations, refusals, corrupt files, bad paths.

use leakscope_core::Point;
use leakscope_store::{schema, Store, StoreError};
use rusqlite::Connection;
use serde_json::json;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn round_trip_samples_events_and_list() -> Result<(), StoreError> {
    let dir = tmp();
    let path = dir.path().join("nested/dir/leakscope.db");
    let mut s = Store::open(&path)?;
    assert_eq!(s.schema_version()?, schema::SCHEMA_VERSION);
    let api = s.target("api", "pid", "4242")?;
    let db = s.target("db", "cgroup", "/sys/fs/cgroup/db")?;
    assert_eq!(
        s.target("api", "pid", "4243")?,
        api,
        "get-or-create keeps the id"
    );
    for i in 0..10 {
        let t = 1_700_000_000.0 + i as f64;
        s.append(
            api,
            t,
            &[("rss_bytes", 1e6 * i as f64), ("goroutines", 7.0)],
        )?;
        s.append(db, t, &[("memory_current_bytes", 2e6)])?;
    }
    s.append(api, 1_700_000_100.0, &[("rss_bytes", f64::NAN)])?; // skipped
    s.event(api, 1_700_000_005.0, "exit", &json!({"code": 1}))?;
    assert!(
        matches!(
            s.points("api", "rss_bytes"),
            Err(StoreError::NoSuchSeries { .. })
        ),
        "nothing is written before flush"
    );
    let stats = s.flush()?;
    assert_eq!((stats.samples, stats.events, stats.dropped), (30, 1, 0));

    let pts = s.points("api", "rss_bytes")?;
    assert_eq!(pts.len(), 10);
    assert_eq!(pts[3], Point::new(1_700_000_003.0, 3e6));
    let list = s.list()?;
    assert_eq!(list.len(), 3);
    assert_eq!(
        (
            list[0].target.as_str(),
            list[0].field.as_str(),
            list[0].unit.as_str()
        ),
        ("api", "goroutines", "")
    );
    let rss = &list[1];
    assert_eq!(
        (rss.field.as_str(), rss.unit.as_str(), rss.samples),
        ("rss_bytes", "bytes", 10)
    );
    assert_eq!(
        (rss.first_t, rss.last_t, rss.last_v),
        (Some(1_700_000_000.0), Some(1_700_000_009.0), Some(9e6))
    );
    let targets = s.targets()?;
    assert_eq!(targets[0].spec, "4243", "latest spec wins");
    drop(s);

    // Reopen read-only: same data, events, streaming.
    let r = Store::open_read_only(&path)?;
    let ev = r.events(Some("api"))?;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].kind.as_str(), &ev[0].detail),
        ("exit", &json!({"code": 1}))
    );
    assert!(r.events(Some("db"))?.is_empty());
    assert_eq!(r.events(None)?.len(), 1);
    let mut n = 0;
    assert_eq!(
        r.for_each_point("db", "memory_current_bytes", |_| n += 1)?,
        10
    );
    assert_eq!(n, 10);
    assert!(matches!(
        r.points("nope", "rss_bytes"),
        Err(StoreError::NoSuchTarget { .. })
    ));
    assert!(matches!(
        r.points("api", "nope"),
        Err(StoreError::NoSuchSeries { .. })
    ));
    assert_eq!(r.integrity_check()?, vec!["ok".to_string()]);
    Ok(())
}

#[test]
fn reopen_appends_to_existing_series_and_reader_sees_writer() -> Result<(), StoreError> {
    let dir = tmp();
    let path = dir.path().join("a.db");
    let mut w = Store::open(&path)?;
    let t = w.target("svc", "command", "sleep 1")?;
    w.append(t, 1.0, &[("rss_bytes", 1.0)])?;
    w.flush()?;
    let reader = Store::open_read_only(&path)?; // while the writer is open (WAL)
    drop(w);
    let mut w = Store::open(&path)?;
    let t = w.target("svc", "command", "sleep 1")?;
    w.append(t, 2.0, &[("rss_bytes", 2.0)])?;
    w.flush()?;
    assert_eq!(reader.points("svc", "rss_bytes")?.len(), 2);
    assert_eq!(reader.list()?.len(), 1);
    Ok(())
}

#[test]
fn buffer_cap_drops_oldest_and_reports() -> Result<(), StoreError> {
    let dir = tmp();
    let mut s = Store::open(&dir.path().join("cap.db"))?;
    s.set_buffer_cap(5);
    let t = s.target("x", "pid", "1")?;
    for i in 0..8 {
        s.append(t, i as f64, &[("rss_bytes", i as f64)])?;
    }
    assert_eq!(s.buffered(), 5);
    let st = s.flush()?;
    assert_eq!((st.samples, st.dropped), (5, 3));
    let pts = s.points("x", "rss_bytes")?;
    assert_eq!(
        pts.first().map(|p| p.t),
        Some(3.0),
        "the oldest were dropped"
    );
    assert_eq!(s.flush()?.dropped, 0);
    Ok(())
}

#[test]
fn unknown_target_id_is_an_error() -> Result<(), StoreError> {
    let dir = tmp();
    let mut s = Store::open(&dir.path().join("u.db"))?;
    let err = s.append(leakscope_store::TargetId(99), 1.0, &[("rss_bytes", 1.0)]);
    assert!(matches!(
        err,
        Err(StoreError::UnknownTargetId { id: 99, .. })
    ));
    Ok(())
}

#[test]
fn migrates_from_empty_file_version_0() -> Result<(), StoreError> {
    let dir = tmp();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").expect("write");
    let s = Store::open(&path)?;
    assert_eq!(s.schema_version()?, schema::SCHEMA_VERSION);
    Ok(())
}

/// The v1 schema exactly as the first release wrote it, with one sample.
fn write_v1(path: &std::path::Path) {
    let c = Connection::open(path).expect("open");
    c.execute_batch(&format!(
        "{} PRAGMA user_version = 1; PRAGMA application_id = {};
         INSERT INTO targets (name, kind, spec, created_at) VALUES ('old', 'pid', '1', 0);
         INSERT INTO series (target_id, field, unit) VALUES (1, 'rss_bytes', 'bytes');
         INSERT INTO samples VALUES (1, 10.0, 100.0);",
        V1_SQL,
        schema::APPLICATION_ID
    ))
    .expect("v1 schema");
}

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
fn migrates_from_v1_keeping_data() -> Result<(), StoreError> {
    let dir = tmp();
    let path = dir.path().join("v1.db");
    write_v1(&path);
    // A reader can read an older schema without migrating it.
    assert_eq!(Store::open_read_only(&path)?.schema_version()?, 1);
    let mut s = Store::open(&path)?;
    assert_eq!(s.schema_version()?, schema::SCHEMA_VERSION);
    assert_eq!(s.points("old", "rss_bytes")?, vec![Point::new(10.0, 100.0)]);
    let run = s.begin_run(20.0, "leakscope watch --pid 1")?;
    s.end_run(run, 30.0)?;
    Ok(())
}

#[test]
fn newer_schema_is_refused_and_file_unchanged() {
    let dir = tmp();
    let path = dir.path().join("future.db");
    write_v1(&path);
    {
        let c = Connection::open(&path).expect("open");
        c.execute_batch("PRAGMA user_version = 99;").expect("bump");
    }
    let before = std::fs::read(&path).expect("read");
    let err = Store::open(&path).expect_err("too new");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("future.db") && msg.contains("99") && msg.contains("upgrade"),
        "{msg}"
    );
    let err = Store::open_read_only(&path).expect_err("too new");
    assert!(matches!(err, StoreError::TooNew { .. }));
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "byte-for-byte unchanged"
    );
    assert!(!dir.path().join("future.db-wal").exists());
}

#[test]
fn corrupt_file_is_a_clear_error() {
    let dir = tmp();
    let path = dir.path().join("junk.db");
    // Deterministic pseudo-random bytes (xorshift), 64 KiB.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..65536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&path, &bytes).expect("write");
    for err in [
        Store::open(&path).expect_err("junk"),
        Store::open_read_only(&path).expect_err("junk"),
    ] {
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
        assert!(err.to_string().contains("junk.db"), "{err}");
    }
    assert_eq!(std::fs::read(&path).expect("read"), bytes, "unchanged");
}

#[test]
fn foreign_sqlite_file_is_refused() {
    let dir = tmp();
    let path = dir.path().join("other.db");
    Connection::open(&path)
        .and_then(|c| c.execute_batch("CREATE TABLE people (name TEXT);"))
        .expect("other db");
    let err = Store::open(&path).expect_err("foreign");
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
}

#[test]
fn bad_paths_are_clear_errors() {
    let dir = tmp();
    // A "directory" that is a regular file: cannot create the db under it.
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").expect("write");
    let err = Store::open(&file.join("sub/leakscope.db")).expect_err("under a file");
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(
        err.to_string().contains("plain-file/sub/leakscope.db"),
        "{err}"
    );
    // The parent exists but is a file, so SQLite cannot create it either.
    let err = Store::open(&file.join("leakscope.db")).expect_err("parent is a file");
    assert!(
        matches!(err, StoreError::Open { .. } | StoreError::CreateDir { .. }),
        "{err:?}"
    );
    // Read-only open of a missing file never creates it.
    let missing = dir.path().join("nope/leakscope.db");
    let err = Store::open_read_only(&missing).expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(!missing.exists() && !dir.path().join("nope").exists());
    // An empty file opened read-only: no schema yet.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").expect("write");
    let err = Store::open_read_only(&empty).expect_err("empty");
    assert!(matches!(err, StoreError::Uninitialized { .. }), "{err:?}");
}

#[test]
fn compaction_keeps_order_counts_and_last_value() -> Result<(), StoreError> {
    let dir = tmp();
    let path = dir.path().join("c.db");
    let mut s = Store::open(&path)?;
    // Flush n compacts the targets with id % 4 == n % 4: target 2 at the third flush.
    s.set_compact_every(4);
    s.target("other", "pid", "0")?;
    let a = s.target("a", "pid", "1")?;
    for i in 0..5 {
        s.append(a, i as f64, &[("rss_bytes", i as f64)])?;
    }
    s.flush()?;
    s.compact()?; // 0..5 now in the main table
    for i in 5..8 {
        s.append(a, i as f64, &[("rss_bytes", i as f64)])?;
    }
    s.append(a, 2.5, &[("rss_bytes", 25.0)])?; // late, out of order
    s.append(a, 4.0, &[("rss_bytes", 40.0)])?; // same time as a stored one: replaces it
    s.flush()?;
    let expect = |pts: Vec<Point>| {
        let got: Vec<(f64, f64)> = pts.iter().map(|p| (p.t, p.v)).collect();
        let want = vec![
            (0.0, 0.0),
            (1.0, 1.0),
            (2.0, 2.0),
            (2.5, 25.0),
            (3.0, 3.0),
            (4.0, 40.0),
            (5.0, 5.0),
            (6.0, 6.0),
            (7.0, 7.0),
        ];
        assert_eq!(got, want);
    };
    expect(s.points("a", "rss_bytes")?); // merged from the main table and the log
    let info = &s.list()?[0];
    assert_eq!(
        (info.samples, info.first_t, info.last_t, info.last_v),
        (10, Some(0.0), Some(7.0), Some(7.0))
    );
    s.compact()?;
    expect(s.points("a", "rss_bytes")?);
    let info = &s.list()?[0];
    assert_eq!(
        (info.samples, info.last_v),
        (9, Some(7.0)),
        "the duplicate time was replaced"
    );
    Ok(())
}

#[test]
fn failed_flush_keeps_rows_buffered_and_retries() -> Result<(), StoreError> {
    let dir = tmp();
    let path = dir.path().join("locked.db");
    let mut s = Store::open(&path)?;
    s.set_busy_timeout(std::time::Duration::from_millis(50))?;
    let t = s.target("x", "pid", "1")?;
    s.append(t, 1.0, &[("rss_bytes", 1.0)])?;
    s.event(t, 1.0, "error", &json!({"msg": "probe failed"}))?;
    // Another writer holds the write lock.
    let other = Connection::open(&path).expect("open");
    other.execute_batch("BEGIN IMMEDIATE;").expect("lock");
    let err = s.flush().expect_err("locked");
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err:?}");
    assert!(err.to_string().contains("locked.db"), "{err}");
    assert_eq!(s.buffered(), 2, "nothing lost");
    s.append(t, 2.0, &[("rss_bytes", 2.0)])?;
    other.execute_batch("COMMIT;").expect("unlock");
    let st = s.flush()?;
    assert_eq!((st.samples, st.events, st.dropped), (2, 1, 0));
    assert_eq!(s.points("x", "rss_bytes")?.len(), 2);
    Ok(())
}

#[test]
fn store_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
    assert_send::<StoreError>();
}

/// The mode bits of `path`.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn what_the_store_creates_is_private() -> Result<(), StoreError> {
    let dir = tmp();
    let path = dir.path().join("new/sub/leakscope.db");
    let users_dir_mode = mode(dir.path());
    let mut s = Store::open(&path)?;
    let t = s.target("api", "pid", "1")?;
    s.append(t, 1.0, &[("rss_bytes", 1.0)])?;
    s.flush()?;
    // While the writer is open, the WAL and shared-memory files exist too.
    for (p, want) in [
        (dir.path().join("new"), 0o700),
        (dir.path().join("new/sub"), 0o700),
        (path.clone(), 0o600),
        (dir.path().join("new/sub/leakscope.db-wal"), 0o600),
        (dir.path().join("new/sub/leakscope.db-shm"), 0o600),
    ] {
        assert_eq!(mode(&p), want, "{}", p.display());
    }
    assert!(s.readable_by_others().is_empty());
    // The user's own directory is not changed.
    assert_eq!(mode(dir.path()), users_dir_mode);
    Ok(())
}

#[test]
fn an_existing_world_readable_store_is_reported_not_changed() -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp();
    let path = dir.path().join("leakscope.db");
    drop(Store::open(&path)?);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let s = Store::open(&path)?;
    let exposed = s.readable_by_others();
    assert!(exposed.contains(&(path.clone(), 0o644)), "{exposed:?}");
    assert_eq!(mode(&path), 0o644, "left as the user set it");
    Ok(())
}

#[test]
fn the_page_cache_grows_with_the_targets_between_2_and_16_mib() -> Result<(), StoreError> {
    let dir = tmp();
    let mut s = Store::open(&dir.path().join("c.db"))?;
    assert_eq!(s.cache_kib()?, 2048, "a new store: SQLite's own default");
    for i in 0..300 {
        s.target(&format!("pid:{i}"), "pid", &i.to_string())?;
    }
    // The same target again is not a new one.
    s.target("pid:0", "pid", "0")?;
    assert_eq!(s.cache_kib()?, 300 * 16);
    for i in 300..2000 {
        s.target(&format!("pid:{i}"), "pid", &i.to_string())?;
    }
    assert_eq!(s.cache_kib()?, 16 * 1024, "capped");
    Ok(())
}
