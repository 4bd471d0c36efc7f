//! kill -9 durability: a real child process (this test binary, re-executed) appends and
//! flushes once per 50 ms interval; we SIGKILL it mid-run and check what survived.

use leakscope_store::{Store, StoreError};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Set in the child: the database path to write to.
const ENV_DB: &str = "LEAKSCOPE_STORE_KILL9_DB";
/// Samples per interval: 20 targets × 8 fields.
const TARGETS: usize = 20;
const FIELDS: [&str; 8] = [
    "rss_bytes",
    "anon_bytes",
    "file_bytes",
    "shmem_bytes",
    "swap_bytes",
    "vms_bytes",
    "threads",
    "fds",
];
const PER_INTERVAL: u64 = (TARGETS * FIELDS.len()) as u64;

/// The child: does nothing unless re-executed with [`ENV_DB`] set. Prints `FLUSHED n` after
/// each successful flush, forever (until killed).
#[test]
fn kill9_writer_child() -> Result<(), StoreError> {
    let Some(path) = std::env::var_os(ENV_DB) else {
        return Ok(());
    };
    let mut store = Store::open(std::path::Path::new(&path))?;
    store.set_compact_every(3); // compact a third of the series at each flush
    let ids = (0..TARGETS)
        .map(|i| store.target(&format!("t{i}"), "pid", &i.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    for interval in 1u64.. {
        for &id in &ids {
            let values: Vec<(&str, f64)> = FIELDS.iter().map(|f| (*f, interval as f64)).collect();
            store.append(id, interval as f64, &values)?;
        }
        store.flush()?;
        println!("FLUSHED {interval}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

#[test]
fn kill9_loses_at_most_the_last_interval() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os(ENV_DB).is_some() {
        return Ok(()); // we are the child
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kill9.db");
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--exact",
            "kill9_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut reported = 0u64;
    // Let it run ~12 intervals, then kill it at an arbitrary point inside the next one.
    while reported < 12 {
        let line = lines.next().ok_or("child ended early")??;
        if let Some(n) = line.strip_prefix("FLUSHED ") {
            reported = n.trim().parse()?;
        }
    }
    std::thread::sleep(Duration::from_millis(23));
    child.kill()?; // SIGKILL on Unix
    let status = child.wait()?;
    assert!(!status.success());
    // Lines the child printed before dying are still in the pipe.
    for line in lines.map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("FLUSHED ") {
            reported = n.trim().parse()?;
        }
    }

    let store = Store::open_read_only(&path)?;
    assert_eq!(store.integrity_check()?, vec!["ok".to_string()]);
    let stored: u64 = store.list()?.iter().map(|s| s.samples).sum();
    assert_eq!(stored % PER_INTERVAL, 0, "each interval is all or nothing");
    let intervals = stored / PER_INTERVAL;
    assert!(
        intervals >= reported && intervals <= reported + 1,
        "stored {intervals} intervals, child reported {reported} flushed"
    );
    // Every series has every stored interval, in order, with no gaps.
    let pts = store.points("t7", "fds")?;
    let ts: Vec<f64> = pts.iter().map(|p| p.t).collect();
    let want: Vec<f64> = (1..=intervals).map(|i| i as f64).collect();
    assert_eq!(ts, want);
    // And a writer can reopen the file and go on.
    drop(store);
    let mut w = Store::open(&path)?;
    let t = w.target("t0", "pid", "0")?;
    w.append(t, 1e6, &[("rss_bytes", 1.0)])?;
    w.flush()?;
    Ok(())
}
