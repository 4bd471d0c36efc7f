//! Real filesystem faults, each in a private mount namespace (`unshare --mount`) so nothing
//! is left mounted: a database in a read-only directory (a read-only bind mount, which stops
//! root too), and a full filesystem (a 4 MiB tmpfs) under a writer that must keep its rows
//! and write them once there is room again. Skipped, saying why, where mount namespaces are
//! not allowed.

use leakscope_store::{OpenMode, Store, StoreError};
use std::io::Write;
use std::path::Path;
use std::process::Command;

const ENV_DIR: &str = "LEAKSCOPE_STORE_FAULT_DIR";
const T0: f64 = 1_700_000_000.0;

/// Run this test binary's `child` test inside a new mount namespace, after `setup` (a shell
/// snippet that gets the directory as "$D"). None when namespaces are not allowed here.
fn in_namespace(child: &str, dir: &Path, setup: &str) -> Option<std::process::Output> {
    let exe = std::env::current_exe().expect("test binary");
    let script = format!("{setup} && exec \"$0\" --exact {child} --nocapture --test-threads=1");
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .arg(&exe)
        .env("D", dir)
        .env(ENV_DIR, dir)
        .output();
    match out {
        Ok(o)
            if !o.status.success()
                && String::from_utf8_lossy(&o.stderr).contains("unshare failed") =>
        {
            eprintln!(
                "skipped: mount namespaces are not allowed here: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Ok(o) if !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("mount:") => {
            eprintln!(
                "skipped: cannot mount here: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Ok(o) => Some(o),
        Err(e) => {
            eprintln!("skipped: unshare (util-linux) cannot run: {e}");
            None
        }
    }
}

fn write_some(path: &Path, n: u32) -> Result<(), StoreError> {
    let mut s = Store::open(path)?;
    let api = s.target("api", "pid", "1")?;
    for i in 0..n {
        s.append(api, T0 + f64::from(i), &[("rss_bytes", f64::from(i))])?;
        s.flush()?;
    }
    Ok(())
}

/// In the namespace: the directory is read-only (even for root), and the store reads anyway.
#[test]
fn read_only_child() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::var_os(ENV_DIR) else {
        return Ok(());
    };
    let dir = Path::new(&dir);
    let probe = std::fs::File::create(dir.join("probe"));
    assert!(probe.is_err(), "the directory must be read-only here");
    let r = Store::open_read_only(&dir.join("clean.db"))?;
    assert_eq!(
        r.open_mode(),
        OpenMode::Immutable {
            unread_wal_bytes: 0
        }
    );
    assert_eq!(r.points("api", "rss_bytes")?.len(), 30);
    assert_eq!(r.list()?[0].samples, 30);
    // A writer killed after its last flush left a -wal (and we removed its -shm): what the
    // file holds is read, and the unread WAL is reported.
    let r = Store::open_read_only(&dir.join("crashed.db"))?;
    match r.open_mode() {
        OpenMode::Immutable { unread_wal_bytes } => assert!(unread_wal_bytes > 0),
        other => panic!("expected an immutable open, got {other:?}"),
    }
    assert_eq!(
        r.points("api", "rss_bytes")?.len(),
        20,
        "the file's samples, not the WAL's"
    );
    println!("READ-ONLY OK");
    Ok(())
}

#[test]
fn a_database_in_a_read_only_directory_can_be_read() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os(ENV_DIR).is_some() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    write_some(&dir.path().join("clean.db"), 30)?; // closed cleanly: no -wal, no -shm
    assert!(!dir.path().join("clean.db-shm").exists());
    // A writer that never closed: its -wal stays; without the -shm nothing can open it
    // read-only in a read-only directory but an immutable open.
    let crashed = dir.path().join("crashed.db");
    write_some(&crashed, 20)?;
    let mut w = Store::open(&crashed)?;
    let api = w.target("api", "pid", "1")?;
    w.append(api, T0 + 100.0, &[("rss_bytes", 1.0)])?;
    w.flush()?;
    std::mem::forget(w); // as if killed: no checkpoint, the -wal stays
    std::fs::remove_file(dir.path().join("crashed.db-shm"))?;
    let setup = r#"mount --bind "$D" "$D" && mount -o remount,bind,ro "$D""#;
    let Some(out) = in_namespace("read_only_child", dir.path(), setup) else {
        return Ok(());
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("READ-ONLY OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// In the namespace: a 4 MiB tmpfs at the directory. Fill it, fail to flush, keep the rows,
/// free space, flush them all.
#[test]
fn full_disk_child() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::var_os(ENV_DIR) else {
        return Ok(());
    };
    let dir = Path::new(&dir);
    let path = dir.join("full.db");
    let mut s = Store::open(&path)?;
    s.set_buffer_cap(40_000);
    let targets = (0..50)
        .map(|i| s.target(&format!("t{i}"), "pid", &i.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut round = 0u32;
    let mut sample = |s: &mut Store| -> Result<(), StoreError> {
        for &t in &targets {
            let v = 4096.0 * f64::from(round * 7 % 1000);
            s.append(
                t,
                T0 + f64::from(round),
                &[("rss_bytes", v), ("threads", f64::from(round))],
            )?;
        }
        round += 1;
        Ok(())
    };
    for _ in 0..10 {
        sample(&mut s)?;
        s.flush()?;
    }
    // Fill the filesystem.
    let filler_path = dir.join("filler");
    let mut filler = std::fs::File::create(&filler_path)?;
    let block = vec![0x5au8; 64 * 1024];
    loop {
        match filler.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) => return Err(e.into()),
        }
    }
    let _ = filler.sync_all();
    // Intervals keep coming; flushes fail and the rows stay buffered.
    let mut failures = 0;
    for _ in 0..20 {
        sample(&mut s)?;
        match s.flush() {
            Ok(_) => {}
            Err(e) => {
                assert!(e.to_string().contains("full.db"), "{e}");
                failures += 1;
            }
        }
    }
    assert!(
        failures >= 10,
        "only {failures} flushes failed on a full filesystem"
    );
    assert!(s.buffered() > 0);
    // Space again: the next flush writes everything kept.
    drop(filler);
    std::fs::remove_file(&filler_path)?;
    sample(&mut s)?;
    let st = s.flush()?;
    assert_eq!(st.dropped, 0);
    assert_eq!(s.buffered(), 0);
    let pts = s.points("t7", "rss_bytes")?;
    let times: Vec<f64> = pts.iter().map(|p| p.t).collect();
    let want: Vec<f64> = (0..31).map(|i| T0 + f64::from(i)).collect();
    assert_eq!(times, want, "every interval, none lost");
    assert_eq!(s.integrity_check()?, vec!["ok".to_string()]);
    println!("FULL DISK OK after {failures} failed flushes");
    Ok(())
}

#[test]
fn a_full_filesystem_keeps_rows_until_there_is_room() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os(ENV_DIR).is_some() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let setup = r#"mount -t tmpfs -o size=4m,mode=0700 leakscope-full "$D""#;
    let Some(out) = in_namespace("full_disk_child", dir.path(), setup) else {
        return Ok(());
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("FULL DISK OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{}",
        stdout
            .lines()
            .find(|l| l.contains("FULL DISK"))
            .unwrap_or_default()
    );
    Ok(())
}
