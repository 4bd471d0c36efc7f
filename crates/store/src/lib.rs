//! leakscope-store: the embedded SQLite store of targets, series, samples and events.
//!
//! One file (WAL mode) holds many targets, each with many series (`rss_bytes`, `anon_bytes`,
//! ...). Writers buffer samples with [`Store::append`] and write them in one transaction per
//! interval with [`Store::flush`], so a `kill -9` loses at most the last interval. Readers
//! (`analyze`, `ls`) use [`Store::open_read_only`], which never creates or migrates anything and
//! can run while a writer is active.
//!
//! Layout (schema v2): `targets`, `series` (one per target and field), `events`, `runs`, and
//! the samples in two tables: `samples_log`, a small indexed log that flushes append to, and
//! `samples`, clustered by (series, time) (`WITHOUT ROWID`), into which each flush moves one
//! slice of the series (see [`COMPACT_EVERY`]). Readers merge the two. This keeps a flush of
//! 1,000 targets × 8 fields to a few hundred dirtied pages instead of one page per series.
//!
//! ```no_run
//! # fn main() -> Result<(), leakscope_store::StoreError> {
//! let path = leakscope_store::default_db_path().expect("a home directory");
//! let mut store = leakscope_store::Store::open(&path)?;
//! let api = store.target("api", "pid", "4242")?;
//! store.append(api, 1_700_000_000.0, &[("rss_bytes", 52e6), ("anon_bytes", 40e6)])?;
//! store.flush()?;
//! let points = store.points("api", "rss_bytes")?;
//! # Ok(()) }
//! ```

mod error;
mod path;
mod read;
pub mod schema;
mod types;

pub use error::StoreError;
pub use path::{default_db_path, DB_FILE_NAME};
pub use types::{unit_for_field, EventRow, FlushStats, RunId, SeriesInfo, TargetId, TargetInfo};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for a lock held by another connection before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Default cap on buffered samples (and, separately, events): about 5 MB. When flushes keep
/// failing and the buffer is full, the oldest buffered rows are dropped and counted.
pub const DEFAULT_BUFFER_CAP: usize = 200_000;

/// SQLite page cache of a writer, KiB (the default is 2 MiB, too small for thousands of series).
pub const CACHE_KIB: i64 = 16 * 1024;

/// Flushes append to a small, indexed log of recent samples; each flush also moves one slice
/// of the series (1/`COMPACT_EVERY` of the id range) from the log into the main `samples`
/// table, so a series' pages are touched once per `COMPACT_EVERY` flushes (with that many
/// samples at once) instead of at every flush, and the cost is spread evenly over flushes.
/// The log holds at most about `COMPACT_EVERY` intervals.
pub const COMPACT_EVERY: u64 = 16;

/// A buffered sample's series: already in the database, or created at the next flush.
#[derive(Debug, Clone, Copy)]
enum SeriesRef {
    Known(i64),
    New(usize),
}

#[derive(Debug, Clone, Copy)]
struct PendingSample {
    series: SeriesRef,
    t: f64,
    v: f64,
}

#[derive(Debug, Clone)]
struct PendingEvent {
    target: i64,
    t: f64,
    kind: String,
    detail: String,
}

/// An open leakscope database. Not `Sync`; one per thread.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// target id → field → series id, for series known to exist in the file.
    series_ids: HashMap<i64, HashMap<String, i64>>,
    /// Target ids known to exist in the file.
    targets: HashSet<i64>,
    /// Series to create at the next flush, and their index in that list.
    new_series: Vec<(i64, String)>,
    new_series_index: HashMap<(i64, String), usize>,
    samples: VecDeque<PendingSample>,
    events: VecDeque<PendingEvent>,
    cap: usize,
    dropped: u64,
    /// Successful flushes so far: flush `n` compacts slice `n % compact_every`.
    flushes: u64,
    /// The log is compacted over this many flushes.
    compact_every: u64,
    /// Whether the file has `samples_log` (schema v2+; a reader may open a v1 file).
    has_log: bool,
}

impl Store {
    /// Open (creating directories and the file if needed) and migrate the database at `path`
    /// for writing. What it creates is private: directories 0700, the file 0600 (SQLite gives
    /// its `-wal` and `-shm` files the database's mode); an existing file keeps its mode (see
    /// [`Store::readable_by_others`]). Refuses, without changing a byte, a file that is not a leakscope database
    /// or whose schema is newer than this build knows.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if path.exists() {
            // Check with a read-only connection first: a too-new or foreign file is not touched
            // (not even switched to WAL).
            let ro = open_ro(path)?;
            schema::check(&ro, path)?;
            drop(ro);
        } else {
            create_private(path)?;
        }
        let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| StoreError::sql(path, e))?;
        schema::migrate(&mut conn, path)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| StoreError::sql(path, e))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| StoreError::sql(path, e))?;
        // Room for the hot pages of a few thousand series (KiB when negative); grows only as used.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)
            .map_err(|e| StoreError::sql(path, e))?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Store::from_conn(conn, path, schema::SCHEMA_VERSION))
    }

    /// Open an existing database for reading only (`analyze`, `ls`): never creates, migrates
    /// or writes. Clear errors for a missing, empty, foreign, corrupt or too-new file.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let (conn, version) = match open_ro(path).and_then(|c| {
            let v = schema::check(&c, path)?;
            Ok((c, v))
        }) {
            Ok(x) => x,
            // A WAL database in a directory we may not write to (or on a read-only mount):
            // SQLite cannot create the -shm file a reader needs. Read the file as it is on
            // disk instead; rows still in an uncheckpointed -wal are not seen then.
            Err(e) if cannot_open_wal_readonly(&e) => {
                let conn = open_immutable(path)?;
                let v = schema::check(&conn, path)?;
                (conn, v)
            }
            Err(e) => return Err(e),
        };
        if version == 0 {
            return Err(StoreError::Uninitialized {
                path: path.to_path_buf(),
            });
        }
        Ok(Store::from_conn(conn, path, version))
    }

    fn from_conn(conn: Connection, path: &Path, version: i64) -> Store {
        Store {
            conn,
            path: path.to_path_buf(),
            series_ids: HashMap::new(),
            targets: HashSet::new(),
            new_series: Vec::new(),
            new_series_index: HashMap::new(),
            samples: VecDeque::new(),
            events: VecDeque::new(),
            cap: DEFAULT_BUFFER_CAP,
            dropped: 0,
            flushes: 0,
            compact_every: COMPACT_EVERY,
            has_log: version >= 2,
        }
    }

    /// The database file and its `-wal`/`-shm` companions that other users may read (mode
    /// bits for group or others set), with their modes. The store holds command lines and
    /// measurements of services; the CLI warns about these rather than change a user's file.
    pub fn readable_by_others(&self) -> Vec<(PathBuf, u32)> {
        use std::os::unix::fs::PermissionsExt;
        let mut exposed = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let p = PathBuf::from(p);
            if let Ok(meta) = std::fs::metadata(&p) {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    exposed.push((p, mode));
                }
            }
        }
        exposed
    }

    /// The database file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(schema::read_ids(&self.conn, &self.path)?.0)
    }

    /// How long a statement waits for another connection's lock before failing (default
    /// [`BUSY_TIMEOUT`]).
    pub fn set_busy_timeout(&mut self, timeout: Duration) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(timeout)
            .map_err(|e| StoreError::sql(&self.path, e))
    }

    /// Set the cap on buffered samples and on buffered events (rows, each; at least 1).
    pub fn set_buffer_cap(&mut self, rows: usize) {
        self.cap = rows.max(1);
    }

    /// Move each series from the recent log into the main table once per `flushes` flushes
    /// (default [`COMPACT_EVERY`]; at least 1). Larger: cheaper flushes, a larger log.
    pub fn set_compact_every(&mut self, flushes: u64) {
        self.compact_every = flushes.max(1);
    }

    /// Number of samples and events waiting for the next [`Store::flush`].
    pub fn buffered(&self) -> usize {
        self.samples.len() + self.events.len()
    }

    /// Get the target called `name`, creating it if new. `kind` is `pid`, `cgroup`, `scrape` or
    /// `command`; `spec` the pid, path, URL or command line. An existing target keeps its id and
    /// history; its kind and spec are updated to the latest ones (a restarted service has a new
    /// pid). Written immediately, not buffered.
    pub fn target(&mut self, name: &str, kind: &str, spec: &str) -> Result<TargetId, StoreError> {
        let path = &self.path;
        let sql = |e| StoreError::sql(path, e);
        // Insert-or-ignore, then read: idempotent, so two watchers registering the same name
        // at once both get its one id (a SELECT-then-INSERT lost that race on the UNIQUE name).
        self.conn
            .prepare_cached(
                "INSERT INTO targets (name, kind, spec, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO NOTHING",
            )
            .map_err(sql)?
            .execute(params![name, kind, spec, unix_now()])
            .map_err(sql)?;
        let (id, k, s): (i64, String, String) = self
            .conn
            .prepare_cached("SELECT id, kind, spec FROM targets WHERE name = ?1")
            .map_err(sql)?
            .query_row([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sql)?;
        if k != kind || s != spec {
            self.conn
                .prepare_cached("UPDATE targets SET kind = ?2, spec = ?3 WHERE id = ?1")
                .map_err(sql)?
                .execute(params![id, kind, spec])
                .map_err(sql)?;
        }
        self.targets.insert(id);
        Ok(TargetId(id))
    }

    /// Replace the JSON metadata of a target (e.g. `{"limit_bytes": 536870912}`). Immediate.
    pub fn set_target_meta(
        &mut self,
        target: TargetId,
        meta: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let n = self
            .conn
            .prepare_cached("UPDATE targets SET meta = ?2 WHERE id = ?1")
            .map_err(|e| StoreError::sql(&self.path, e))?
            .execute(params![target.0, meta.to_string()])
            .map_err(|e| StoreError::sql(&self.path, e))?;
        if n == 0 {
            return Err(self.unknown_target(target));
        }
        Ok(())
    }

    /// Buffer one sample per field at time `t` (unix seconds), e.g.
    /// `[("rss_bytes", 5.2e7)]`; values in the field's unit (see [`unit_for_field`]). Nothing
    /// is written until [`Store::flush`]. Non-finite values (NaN, ±inf) are skipped: SQLite
    /// cannot store NaN. When the buffer is full the oldest buffered sample is dropped.
    pub fn append(
        &mut self,
        target: TargetId,
        t: f64,
        fields: &[(&str, f64)],
    ) -> Result<(), StoreError> {
        if !t.is_finite() {
            return Ok(());
        }
        for &(field, v) in fields {
            if !v.is_finite() {
                continue;
            }
            let series = self.series_ref(target, field)?;
            if self.samples.len() >= self.cap {
                self.samples.pop_front();
                self.dropped += 1;
            }
            self.samples.push_back(PendingSample { series, t, v });
        }
        Ok(())
    }

    /// Buffer an event (`exit`, `oom_kill`, `restart`, `error`, `alert`) at `t` unix seconds,
    /// with JSON details. Written by the next [`Store::flush`].
    pub fn event(
        &mut self,
        target: TargetId,
        t: f64,
        kind: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.ensure_target(target)?;
        if self.events.len() >= self.cap {
            self.events.pop_front();
        }
        self.events.push_back(PendingEvent {
            target: target.0,
            t,
            kind: kind.to_owned(),
            detail: detail.to_string(),
        });
        Ok(())
    }

    /// Write everything buffered in one transaction. On failure nothing is written and the
    /// rows stay buffered (up to the cap) for the next try.
    pub fn flush(&mut self) -> Result<FlushStats, StoreError> {
        if self.samples.is_empty() && self.events.is_empty() && self.new_series.is_empty() {
            let dropped = std::mem::take(&mut self.dropped);
            return Ok(FlushStats {
                dropped,
                ..FlushStats::default()
            });
        }
        let path = &self.path;
        let sql = |e| StoreError::sql(path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        let mut new_ids = Vec::with_capacity(self.new_series.len());
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO series (target_id, field, unit) VALUES (?1, ?2, ?3)
                     ON CONFLICT (target_id, field) DO NOTHING",
                )
                .map_err(sql)?;
            let mut sel = tx
                .prepare_cached("SELECT id FROM series WHERE target_id = ?1 AND field = ?2")
                .map_err(sql)?;
            for (target, field) in &self.new_series {
                ins.execute(params![target, field, unit_for_field(field)])
                    .map_err(sql)?;
                let id: i64 = sel
                    .query_row(params![target, field], |r| r.get(0))
                    .map_err(sql)?;
                new_ids.push(id);
            }
            let mut ins = tx
                .prepare_cached("INSERT INTO samples_log (series_id, t, v) VALUES (?1, ?2, ?3)")
                .map_err(sql)?;
            for s in &self.samples {
                let id = match s.series {
                    SeriesRef::Known(id) => id,
                    SeriesRef::New(i) => new_ids[i],
                };
                ins.execute(params![id, s.t, s.v]).map_err(sql)?;
            }
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO events (target_id, t, kind, detail) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sql)?;
            for e in &self.events {
                ins.execute(params![e.target, e.t, e.kind, e.detail])
                    .map_err(sql)?;
            }
        }
        let max_id: i64 = tx
            .prepare_cached("SELECT coalesce(max(id), 0) FROM series")
            .map_err(sql)?
            .query_row([], |r| r.get(0))
            .map_err(sql)?;
        let step = (max_id.max(0) as u64).div_ceil(self.compact_every).max(1);
        let lo = (self.flushes % self.compact_every).saturating_mul(step);
        let (lo, hi) = (lo as i64, lo.saturating_add(step) as i64);
        compact(&tx, lo, hi).map_err(sql)?;
        tx.commit().map_err(sql)?;
        self.flushes += 1;
        for ((target, field), id) in self.new_series.drain(..).zip(new_ids) {
            self.series_ids.entry(target).or_default().insert(field, id);
        }
        self.new_series_index.clear();
        let stats = FlushStats {
            samples: self.samples.len(),
            events: self.events.len(),
            dropped: std::mem::take(&mut self.dropped),
        };
        self.samples.clear();
        self.events.clear();
        Ok(stats)
    }

    /// Move all flushed samples from the recent log into the main table now (flushes do this
    /// a slice at a time, see [`COMPACT_EVERY`]). Useful before a big export.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        let path = &self.path;
        let sql = |e| StoreError::sql(path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        compact(&tx, i64::MIN, i64::MAX).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(())
    }

    /// Record the start of a `watch`/`run` invocation (`command` is its command line, `t` unix
    /// seconds). Immediate.
    pub fn begin_run(&mut self, t: f64, command: &str) -> Result<RunId, StoreError> {
        self.conn
            .prepare_cached("INSERT INTO runs (started_at, command) VALUES (?1, ?2)")
            .map_err(|e| StoreError::sql(&self.path, e))?
            .execute(params![t, command])
            .map_err(|e| StoreError::sql(&self.path, e))?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Record the end of a run at `t` unix seconds. Immediate.
    pub fn end_run(&mut self, run: RunId, t: f64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE runs SET ended_at = ?2 WHERE id = ?1")
            .map_err(|e| StoreError::sql(&self.path, e))?
            .execute(params![run.0, t])
            .map_err(|e| StoreError::sql(&self.path, e))?;
        Ok(())
    }

    /// The series a sample of `field` goes to, queueing its creation if new.
    fn series_ref(&mut self, target: TargetId, field: &str) -> Result<SeriesRef, StoreError> {
        if let Some(id) = self.series_ids.get(&target.0).and_then(|m| m.get(field)) {
            return Ok(SeriesRef::Known(*id));
        }
        let key = (target.0, field.to_owned());
        if let Some(&i) = self.new_series_index.get(&key) {
            return Ok(SeriesRef::New(i));
        }
        self.ensure_target(target)?;
        let existing: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM series WHERE target_id = ?1 AND field = ?2")
            .map_err(|e| StoreError::sql(&self.path, e))?
            .query_row(params![target.0, field], |r| r.get(0))
            .optional()
            .map_err(|e| StoreError::sql(&self.path, e))?;
        if let Some(id) = existing {
            self.series_ids
                .entry(target.0)
                .or_default()
                .insert(key.1, id);
            return Ok(SeriesRef::Known(id));
        }
        let i = self.new_series.len();
        self.new_series.push(key.clone());
        self.new_series_index.insert(key, i);
        Ok(SeriesRef::New(i))
    }

    /// Fail with [`StoreError::UnknownTargetId`] unless `target` exists in this file.
    fn ensure_target(&mut self, target: TargetId) -> Result<(), StoreError> {
        if self.targets.contains(&target.0) {
            return Ok(());
        }
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM targets WHERE id = ?1")
            .map_err(|e| StoreError::sql(&self.path, e))?
            .query_row([target.0], |r| r.get(0))
            .optional()
            .map_err(|e| StoreError::sql(&self.path, e))?;
        match found {
            Some(_) => {
                self.targets.insert(target.0);
                Ok(())
            }
            None => Err(self.unknown_target(target)),
        }
    }

    fn unknown_target(&self, target: TargetId) -> StoreError {
        StoreError::UnknownTargetId {
            path: self.path.clone(),
            id: target.0,
        }
    }
}

/// Move the log rows of series ids in `(lo, hi]` into `samples`, in (series, time) order so
/// each series' pages are touched once. A later sample at the same time as a stored one
/// replaces it.
fn compact(tx: &rusqlite::Transaction<'_>, lo: i64, hi: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO samples (series_id, t, v)
         SELECT series_id, t, v FROM samples_log WHERE series_id > ?1 AND series_id <= ?2
         ORDER BY series_id, t, rowid",
    )?
    .execute([lo, hi])?;
    tx.prepare_cached("DELETE FROM samples_log WHERE series_id > ?1 AND series_id <= ?2")?
        .execute([lo, hi])?;
    Ok(())
}

/// Create the database file `path` empty and private (0600), and the directories leading to
/// it that do not exist yet (0700; existing ones are left as they are). An empty file is a
/// valid empty SQLite database. Losing a race with another writer creating it is fine.
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                dir: dir.to_path_buf(),
                source,
            })?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Create {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A read-only connection with the busy timeout set.
fn open_ro(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| StoreError::sql(path, e))?;
    Ok(conn)
}

/// True for the errors a read-only open of a WAL database gets when its -shm cannot be
/// created: SQLITE_CANTOPEN or SQLITE_READONLY (with their extended codes).
fn cannot_open_wal_readonly(e: &StoreError) -> bool {
    let source = match e {
        StoreError::Open { source, .. } | StoreError::Sqlite { source, .. } => source,
        _ => return false,
    };
    matches!(
        source.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    )
}

/// Open the file read-only as immutable: no locks, no -shm, no -wal.
fn open_immutable(path: &Path) -> Result<Connection, StoreError> {
    let uri = format!("file:{}?immutable=1", uri_path(path));
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// `path` escaped for a `file:` URI (`%`, `?` and `#` would end or change it).
fn uri_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// Now, in unix seconds (the store may read the clock; core may not).
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
