//! Several writers on one database at once: real processes (this test binary, re-executed)
//! and threads, all registering the same target names at the same moment (issue 10 item 11:
//! "UNIQUE constraint failed: targets.name" in 1 of 12 starts).

use leakscope_store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in a child: the database to write to, and the file whose appearance means "go".
const ENV_DB: &str = "LEAKSCOPE_STORE_RACE_DB";
const ENV_GO: &str = "LEAKSCOPE_STORE_RACE_GO";
const NAMES: usize = 10;

/// Open the store, wait for `go`, then register every name (starting at `offset`), append
/// one sample to each and flush.
fn register_all(db: &Path, go: &Path, offset: usize) -> Result<(), StoreError> {
    let mut store = Store::open(db)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !go.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(200));
    }
    for i in 0..NAMES {
        let name = format!("svc-{}", (i + offset) % NAMES);
        let id = store.target(&name, "pid", &offset.to_string())?;
        store.append(id, 1_700_000_000.0 + offset as f64, &[("rss_bytes", 1e6)])?;
    }
    store.flush()?;
    Ok(())
}

/// The child: does nothing unless re-executed with [`ENV_DB`] set.
#[test]
fn race_child() -> Result<(), StoreError> {
    let (Some(db), Some(go)) = (std::env::var_os(ENV_DB), std::env::var_os(ENV_GO)) else {
        return Ok(());
    };
    let offset = std::process::id() as usize;
    register_all(Path::new(&db), Path::new(&go), offset)
}

/// Each name once, with one sample per writer.
fn check(db: &Path, writers: u64) -> Result<(), StoreError> {
    let r = Store::open_read_only(db)?;
    let names: Vec<String> = r.targets()?.into_iter().map(|t| t.name).collect();
    let want: Vec<String> = {
        let mut w: Vec<String> = (0..NAMES).map(|i| format!("svc-{i}")).collect();
        w.sort();
        w
    };
    assert_eq!(names, want);
    for s in r.list()? {
        assert_eq!(s.samples, writers, "{}: one sample per writer", s.target);
    }
    Ok(())
}

#[test]
fn processes_register_the_same_names_at_once() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os(ENV_DB).is_some() {
        return Ok(()); // we are a child
    }
    const WRITERS: usize = 12;
    for round in 0..4 {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("race.db");
        let go: PathBuf = dir.path().join("go");
        let children = (0..WRITERS)
            .map(|_| {
                Command::new(std::env::current_exe()?)
                    .args(["--exact", "race_child", "--nocapture", "--test-threads=1"])
                    .env(ENV_DB, &db)
                    .env(ENV_GO, &go)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
            })
            .collect::<Result<Vec<_>, _>>()?;
        std::thread::sleep(Duration::from_millis(300)); // let them open the store
        std::fs::write(&go, b"go")?;
        for child in children {
            let out = child.wait_with_output()?;
            assert!(
                out.status.success(),
                "round {round}: a writer failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        check(&db, WRITERS as u64)?;
    }
    Ok(())
}

#[test]
fn threads_register_the_same_names_at_once() -> Result<(), Box<dyn std::error::Error>> {
    const WRITERS: usize = 8;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("threads.db");
    let go = dir.path().join("go");
    let handles: Vec<_> = (0..WRITERS)
        .map(|k| {
            let (db, go) = (db.clone(), go.clone());
            std::thread::spawn(move || register_all(&db, &go, k))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&go, b"go")?;
    for h in handles {
        h.join().map_err(|_| "a writer thread panicked")??;
    }
    check(&db, WRITERS as u64)?;
    Ok(())
}
