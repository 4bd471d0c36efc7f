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
