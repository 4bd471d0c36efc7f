//! Opening connections: the settings every connection gets, and the read-only and
//! immutable opens readers use.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

use crate::{StoreError, BUSY_TIMEOUT};

/// A read-only connection with the busy timeout set.
pub(crate) fn open_ro(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    tune(&conn, path)?;
    Ok(conn)
}

/// Settings of every connection: the busy timeout, and a query plan that does not depend on
/// bound values (else SQLite re-prepares a statement each time a bound value changes).
pub(crate) fn tune(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sql(path, e))?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(|e| StoreError::sql(path, e))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Put the database in WAL mode, once for the file's life. The switch needs the file to
/// itself, and SQLite runs no busy handler for it: while another connection reads, it fails
/// with "database is locked" or is refused without an error (the old mode comes back), and
/// writers that then share a rollback journal fail at once when their locks cross. So the
/// mode is read first (WAL persists in the file: later opens take no lock), and a busy or
/// refused switch is tried again, with backoff, within the busy timeout. A file system that
/// cannot do WAL keeps its journal, as before.
pub(crate) fn use_wal(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let is_wal = |conn: &Connection, sql: &str| -> rusqlite::Result<bool> {
        conn.query_row(sql, [], |r| r.get::<_, String>(0))
            .map(|m| m.eq_ignore_ascii_case("wal"))
    };
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let mut pause = std::time::Duration::from_millis(2);
    loop {
        let result = is_wal(conn, "PRAGMA journal_mode").and_then(|wal| {
            if wal {
                Ok(true)
            } else {
                is_wal(conn, "PRAGMA journal_mode = WAL")
            }
        });
        match result {
            Ok(true) => return Ok(()),
            Ok(false) if std::time::Instant::now() >= deadline => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline => {}
            Ok(false) => {}
            Err(e) => return Err(StoreError::sql(path, e)),
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(100));
    }
}

/// An immutable read-only connection: SQLite reads the file as it is, with no locks and no
/// `-shm`/`-wal` (for a database in a directory the reader cannot write).
pub(crate) fn open_immutable(path: &Path) -> Result<Connection, StoreError> {
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    tune(&conn, path)?;
    Ok(conn)
}

/// `path` percent-encoded for a `file:` URI (everything but unreserved bytes and `/`).
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for &b in abs.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `e` is SQLite failing to open a file (here: the `-shm` it needs).
pub(crate) fn cannot_open(e: &StoreError) -> bool {
    let source = match e {
        StoreError::Open { source, .. } | StoreError::Sqlite { source, .. } => source,
        _ => return false,
    };
    matches!(
        source.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    )
}

/// Whether this process may create files beside `path`.
pub(crate) fn dir_writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// `path` with `suffix` appended to its file name (`-wal`, `-shm`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A writer in the middle of a transaction (a reserved lock, as another process's
    /// migration or flush holds) makes the switch fail at once, without the busy handler:
    /// the switch waits for it instead (12 writers on a new file failed this way in CI).
    #[test]
    fn the_switch_to_wal_waits_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wal.db");
        let setup = Connection::open(&db).unwrap();
        setup.execute_batch("CREATE TABLE t(x)").unwrap();
        drop(setup);
        let (locked, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let holder = std::thread::spawn({
            let db = db.clone();
            move || {
                let c = Connection::open(&db).unwrap();
                c.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")
                    .unwrap();
                locked.0.send(()).unwrap();
                release.1.recv().unwrap();
                c.execute_batch("COMMIT").unwrap();
            }
        });
        locked.1.recv().unwrap();
        let conn = Connection::open(&db).unwrap();
        tune(&conn, &db).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            release.0.send(()).unwrap();
        });
        let t0 = Instant::now();
        use_wal(&conn, &db).unwrap();
        assert!(
            t0.elapsed() >= Duration::from_millis(250),
            "{:?}",
            t0.elapsed()
        );
        releaser.join().unwrap();
        holder.join().unwrap();
        let mode: String = Connection::open(&db)
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
