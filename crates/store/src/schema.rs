//! The versioned schema: an ordered list of migrations, tracked in `PRAGMA user_version`.
//!
//! Version `n` of the schema is what migrations `1..=n` build. Never edit a released migration;
//! append a new one. Each migration (its SQL, then its data conversion when it has one) runs
//! inside the same transaction as the version bump.

use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

use crate::error::Fail;
use crate::StoreError;

/// `PRAGMA application_id` of leakscope databases ("LKSC"), so a foreign SQLite file is refused.
pub const APPLICATION_ID: i64 = 0x4c4b_5343;

/// The SQL of the migrations, in order: index 0 builds version 1, index 1 version 2, and so on.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: targets, series, samples, events.
    "CREATE TABLE targets (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        kind       TEXT NOT NULL,          -- pid | cgroup | scrape | command
        spec       TEXT NOT NULL,          -- the pid, cgroup path, URL or command line
        meta       TEXT NOT NULL DEFAULT '{}', -- JSON object
        created_at REAL NOT NULL           -- unix seconds
    );
    CREATE TABLE series (
        id        INTEGER PRIMARY KEY,
        target_id INTEGER NOT NULL REFERENCES targets(id),
        field     TEXT NOT NULL,           -- e.g. rss_bytes
        unit      TEXT NOT NULL DEFAULT '',-- bytes | seconds | '' (a count)
        UNIQUE (target_id, field)
    );
    CREATE TABLE samples (
        series_id INTEGER NOT NULL REFERENCES series(id),
        t         REAL NOT NULL,           -- unix seconds
        v         REAL NOT NULL
    );
    CREATE INDEX samples_series_t ON samples (series_id, t);
    CREATE TABLE events (
        id        INTEGER PRIMARY KEY,
        target_id INTEGER NOT NULL REFERENCES targets(id),
        t         REAL NOT NULL,           -- unix seconds
        kind      TEXT NOT NULL,           -- exit | oom_kill | restart | error | alert
        detail    TEXT NOT NULL DEFAULT '{}' -- JSON
    );
    CREATE INDEX events_target_t ON events (target_id, t);",
    // v2: runs; samples clustered by (series, time) without a separate index; and an
    // append-mostly log of recent samples that flushes write to (few pages dirtied per flush)
    // and that is compacted into `samples` in bulk (see `crate::COMPACT_EVERY`).
    "CREATE TABLE runs (
        id         INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,          -- unix seconds
        ended_at   REAL,                   -- unix seconds; NULL while running or after a crash
        command    TEXT NOT NULL           -- the leakscope command line
    );
    CREATE TABLE samples_v2 (
        series_id INTEGER NOT NULL,
        t         REAL NOT NULL,           -- unix seconds
        v         REAL NOT NULL,
        PRIMARY KEY (series_id, t)
    ) WITHOUT ROWID;
    INSERT OR REPLACE INTO samples_v2 (series_id, t, v)
        SELECT series_id, t, v FROM samples ORDER BY series_id, t, rowid;
    DROP TABLE samples;
    ALTER TABLE samples_v2 RENAME TO samples;
    CREATE TABLE samples_log (
        series_id INTEGER NOT NULL,
        t         REAL NOT NULL,           -- unix seconds
        v         REAL NOT NULL
    );
    CREATE INDEX samples_log_series_t ON samples_log (series_id, t);",
    // v3: samples as blobs. `recent`: the log flushes append to, one row per part of the
    // targets per flush (see crate::recent and crate::log). `chunks`: per target and tier, all its series over
    // a stretch of time (see crate::chunk); tier 0 is raw, others are downsampled buckets.
    // The v2 samples are converted by `crate::upgrade::v2_to_v3`, which drops their tables.
    "CREATE TABLE recent (
        id    INTEGER PRIMARY KEY,         -- flush sequence << 16 | part
        parts INTEGER NOT NULL,            -- rows are grouped by target id % parts
        data  BLOB NOT NULL
    );
    CREATE INDEX recent_parts ON recent (parts);
    CREATE TABLE compacted (
        parts INTEGER NOT NULL,
        part  INTEGER NOT NULL,
        upto  INTEGER NOT NULL,            -- this part's rows up to this flush sequence are in chunks
        PRIMARY KEY (parts, part)
    ) WITHOUT ROWID;
    CREATE TABLE chunks (
        id        INTEGER PRIMARY KEY,
        target_id INTEGER NOT NULL,
        tier      INTEGER NOT NULL,        -- 0: raw samples; else the bucket width, seconds
        t0        INTEGER NOT NULL,        -- first sample time or bucket start, unix µs
        t1        INTEGER NOT NULL,        -- last one, unix µs
        data      BLOB NOT NULL
    );
    CREATE UNIQUE INDEX chunks_key ON chunks (target_id, tier, t0);
    CREATE INDEX events_t ON events (t);",
];

/// A data conversion that SQL alone cannot do.
type Conversion = fn(&Connection) -> Result<(), Fail>;

/// The conversion run after the SQL of `version`, if any.
fn conversion(version: i64) -> Option<Conversion> {
    match version {
        3 => Some(crate::upgrade::v2_to_v3),
        _ => None,
    }
}

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `user_version` and `application_id` of an open connection.
pub(crate) fn read_ids(conn: &Connection, path: &Path) -> Result<(i64, i64), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| StoreError::sql(path, e))?;
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| StoreError::sql(path, e))?;
    Ok((version, app))
}

/// Refuse files that are not ours or too new. Reads only; safe on a read-only connection.
/// The reads share one snapshot: a writer creating the schema at that moment is seen either
/// not at all or complete (else a new file could look like a foreign one).
pub(crate) fn check(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let snapshot = if conn.is_autocommit() {
        Some(
            conn.unchecked_transaction()
                .map_err(|e| StoreError::sql(path, e))?,
        )
    } else {
        None
    };
    let version = check_in(conn, path)?;
    drop(snapshot); // a read: nothing to commit
    Ok(version)
}

fn check_in(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let (version, app) = read_ids(conn, path)?;
    if app != 0 && app != APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            why: format!("application_id is {app:#x}"),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == 0 {
        let table: Option<String> = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| StoreError::sql(path, e))?;
        if let Some(table) = table {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                why: format!("it has a table {table:?} but no leakscope schema version"),
            });
        }
    }
    Ok(version)
}

/// Bring the schema to [`SCHEMA_VERSION`] in one immediate transaction; returns the version
/// found before. Checks again inside the transaction, so a racing newer writer is not damaged.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<i64, StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| StoreError::sql(path, e))?;
    let from = check(&tx, path)?;
    if from < SCHEMA_VERSION {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let version = i as i64 + 1;
            tx.execute_batch(sql)
                .map_err(|e| StoreError::sql(path, e))?;
            if let Some(convert) = conversion(version) {
                convert(&tx).map_err(|e| e.at(path))?;
            }
            tx.pragma_update(None, "user_version", version)
                .map_err(|e| StoreError::sql(path, e))?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|e| StoreError::sql(path, e))?;
    }
    tx.commit().map_err(|e| StoreError::sql(path, e))?;
    Ok(from)
}
