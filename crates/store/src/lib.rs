//! leakscope-store: the embedded SQLite store of targets, series, samples and events.
//!
//! One file (WAL mode) holds many targets, each with many series (`rss_bytes`, `anon_bytes`,
//! ...). Writers buffer samples with [`Store::append`] and write them in one transaction per
//! interval with [`Store::flush`], so a `kill -9` loses at most the last interval. Readers
//! (`analyze`, `ls`, `export`) use [`Store::open_read_only`], which never creates or migrates
//! anything, can run while a writer is active, and falls back to an immutable open when the
//! directory is read-only.
//!
//! Layout (schema v3): `targets`, `series` (one per target and field), `events`, `runs`, and
//! the samples in two tables. `recent` is a log that flushes append to: one row per part of
//! the targets (`target id % parts`) per flush, every field in one compact blob; compacted
//! rows are deleted a whole flush at a time. `chunks`
//! holds, per target and tier, blobs of all its series over a stretch of time: raw samples
//! (times as deltas of deltas in µs, values as integer steps scaled by their gcd, or XOR'd
//! f64 bits), or downsampled buckets (count, min, max, sum). Each flush moves one part of the
//! log into chunks (see [`COMPACT_EVERY`]) and runs one bounded slice of [`Retention`]:
//! data past the raw window becomes buckets, data past the retention is deleted. A flush of
//! 1,000 targets × 8 fields writes a few dozen pages.
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

mod chunk;
mod chunks;
mod codec;
mod conn;
mod cursor;
mod error;
mod flush;
mod known;
mod legacy;
mod log;
mod maintain;
mod path;
mod read;
mod recent;
mod retention;
pub mod schema;
mod types;
mod upgrade;

pub use error::StoreError;
pub use path::{default_db_path, DB_FILE_NAME};
pub use retention::{Retention, RetentionError, Tier};
pub use types::{
    unit_for_field, Bucket, EventRow, FlushStats, OpenMode, RunId, SeriesInfo, TargetId, TargetInfo,
};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for a lock held by another connection before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Default cap on buffered samples (and, separately, events): about 5 MB. When flushes keep
/// failing and the buffer is full, the oldest buffered rows are dropped and counted.
pub const DEFAULT_BUFFER_CAP: usize = 200_000;

/// SQLite page cache of a writer, KiB: [`CACHE_KIB_PER_TARGET`] for each target, between
/// SQLite's own default and [`CACHE_KIB_MAX`]. The cache fills as the file grows and then stays
/// full, so it is part of a watcher's steady footprint: a watcher of 40 processes has no use for
/// the 16 MiB that keeps the hot pages of a thousand targets.
pub const CACHE_KIB_MIN: i64 = 2 * 1024;

/// The most page cache a writer keeps, KiB.
pub const CACHE_KIB_MAX: i64 = 16 * 1024;

/// Page cache per target, KiB: its recent-log and chunk-index pages.
pub const CACHE_KIB_PER_TARGET: i64 = 16;

/// Flushes append to the recent log; each flush also moves one part of the targets
/// (`id % COMPACT_EVERY`) from the log into chunks, so a target's chunk is written once per
/// `COMPACT_EVERY` flushes (with that many samples per series) and the cost is spread evenly
/// over flushes. Retention visits each target about once per `COMPACT_EVERY` flushes too.
/// The log holds at most about `COMPACT_EVERY` intervals.
pub const COMPACT_EVERY: u64 = 64;

/// Most chunk rows one flush's retention slice reads (about 2 KB each), so pruning and
/// downsampling never hold a flush up for long, even with a large backlog.
pub const MAINTENANCE_CHUNKS: usize = 256;

/// Most old events one flush deletes.
const MAINTENANCE_EVENTS: usize = 1000;

/// A buffered sample's series: already in the database, or created at the next flush.
#[derive(Debug, Clone, Copy)]
enum SeriesRef {
    Known(i64),
    New(usize),
}

#[derive(Debug, Clone, Copy)]
struct PendingSample {
    target: i64,
    series: SeriesRef,
    /// Unix µs.
    t: i64,
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
    series_ids: known::IdMap<known::KnownSeries>,
    /// Target ids known to exist in the file.
    targets: HashSet<i64>,
    /// Series to create at the next flush, and their index in that list.
    new_series: Vec<(i64, String)>,
    new_series_index: HashMap<(i64, String), usize>,
    samples: VecDeque<PendingSample>,
    events: VecDeque<PendingEvent>,
    cap: usize,
    dropped: u64,
    events_dropped: u64,
    /// Successful flushes so far: flush `n` compacts part `n % compact_every`.
    flushes: u64,
    /// The log is compacted over this many flushes.
    compact_every: u64,
    /// The schema version of the file: a reader may open a v1 or v2 file as it is.
    version: i64,
    /// How the file was opened.
    mode: OpenMode,
    retention: retention::Plan,
    /// The newest sample time appended (µs): "now" for retention.
    newest_us: Option<i64>,
    /// Retention's last slice stopped after this target id.
    maintained_after: i64,
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
            let ro = conn::open_ro(path)?;
            schema::check(&ro, path)?;
            drop(ro);
        } else {
            create_private(path)?;
        }
        let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        conn::tune(&conn, path)?;
        schema::migrate(&mut conn, path)?;
        conn::use_wal(&conn, path)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| StoreError::sql(path, e))?;
        let mut store = Store::from_conn(conn, path, schema::SCHEMA_VERSION);
        store.size_cache()?;
        Ok(store)
    }

    /// Open an existing database for reading only (`analyze`, `ls`): never creates, migrates
    /// or writes. Clear errors for a missing, empty, foreign, corrupt or too-new file.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let (conn, version, mode) = match conn::open_ro(path).and_then(|c| {
            let v = schema::check(&c, path)?;
            Ok((c, v))
        }) {
            Ok((c, v)) => (c, v, OpenMode::ReadOnly),
            Err(e) if conn::cannot_open(&e) && !conn::dir_writable(path) => {
                // WAL needs a `-shm` file beside the database; in a read-only directory
                // there is none to create. An immutable open reads the file as it is.
                let c = conn::open_immutable(path)?;
                let v = schema::check(&c, path)?;
                let wal = std::fs::metadata(conn::sibling(path, "-wal")).map_or(0, |m| m.len());
                (
                    c,
                    v,
                    OpenMode::Immutable {
                        unread_wal_bytes: wal,
                    },
                )
            }
            Err(e) => return Err(e),
        };
        if version == 0 {
            return Err(StoreError::Uninitialized {
                path: path.to_path_buf(),
            });
        }
        let mut store = Store::from_conn(conn, path, version);
        store.mode = mode;
        Ok(store)
    }

    fn from_conn(conn: Connection, path: &Path, version: i64) -> Store {
        Store {
            conn,
            path: path.to_path_buf(),
            series_ids: known::IdMap::default(),
            targets: HashSet::new(),
            new_series: Vec::new(),
            new_series_index: HashMap::new(),
            samples: VecDeque::new(),
            events: VecDeque::new(),
            cap: DEFAULT_BUFFER_CAP,
            dropped: 0,
            events_dropped: 0,
            flushes: 0,
            compact_every: COMPACT_EVERY,
            version,
            mode: OpenMode::ReadWrite,
            retention: retention::Plan::new(&Retention::default()),
            newest_us: None,
            maintained_after: 0,
        }
    }

    /// How the file was opened: for writing, read-only, or (in a read-only directory)
    /// immutable, in which case a `-wal` file left by a writer that did not close cleanly
    /// is not read.
    pub fn open_mode(&self) -> OpenMode {
        self.mode
    }

    /// Set the retention (default [`Retention::default`]: raw 24 h, 5-minute buckets to
    /// 7 days, 1-hour buckets to 30 days). Applied a slice at a time by later flushes.
    pub fn set_retention(&mut self, retention: &Retention) -> Result<(), RetentionError> {
        retention.validate()?;
        self.retention = retention::Plan::new(retention);
        Ok(())
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

    /// Move each target from the recent log into chunks once per `flushes` flushes (default
    /// [`COMPACT_EVERY`]; at least 1). Larger: cheaper flushes and larger chunks, a larger log.
    pub fn set_compact_every(&mut self, flushes: u64) {
        self.compact_every = flushes.clamp(1, recent::MAX_PARTS);
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
        // Insert-if-absent then read, under the write lock: two writers registering the
        // same name at once both get its one id.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        tx.prepare_cached(
            "INSERT INTO targets (name, kind, spec, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
        )
        .map_err(sql)?
        .execute(params![name, kind, spec, unix_now()])
        .map_err(sql)?;
        let (id, k, s): (i64, String, String) = tx
            .prepare_cached("SELECT id, kind, spec FROM targets WHERE name = ?1")
            .map_err(sql)?
            .query_row([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sql)?;
        if k != kind || s != spec {
            tx.prepare_cached("UPDATE targets SET kind = ?2, spec = ?3 WHERE id = ?1")
                .map_err(sql)?
                .execute(params![id, kind, spec])
                .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        if self.targets.insert(id) {
            self.size_cache()?;
        }
        Ok(TargetId(id))
    }

    /// Size the page cache for the targets written so far (see [`CACHE_KIB_MIN`]).
    fn size_cache(&mut self) -> Result<(), StoreError> {
        let n = i64::try_from(self.targets.len()).unwrap_or(i64::MAX);
        let kib = n
            .saturating_mul(CACHE_KIB_PER_TARGET)
            .clamp(CACHE_KIB_MIN, CACHE_KIB_MAX);
        // Negative: KiB rather than pages.
        self.conn
            .pragma_update(None, "cache_size", -kib)
            .map_err(|e| StoreError::sql(&self.path, e))
    }

    /// The page cache's size now, KiB.
    pub fn cache_kib(&self) -> Result<i64, StoreError> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA cache_size", [], |r| r.get(0))
            .map_err(|e| StoreError::sql(&self.path, e))?;
        Ok(-v)
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
        let t = codec::to_us(t);
        for (i, &(field, v)) in fields.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let known = self.series_ids.get(&target.0).and_then(|k| k.get(field, i));
            let series = match known {
                Some(id) => SeriesRef::Known(id),
                None => self.series_ref(target, field)?,
            };
            if self.samples.len() >= self.cap {
                self.samples.pop_front();
                self.dropped += 1;
            }
            self.samples.push_back(PendingSample {
                target: target.0,
                series,
                t,
                v,
            });
            self.newest_us = Some(self.newest_us.map_or(t, |n| n.max(t)));
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
            self.events_dropped += 1;
        }
        self.events.push_back(PendingEvent {
            target: target.0,
            t,
            kind: kind.to_owned(),
            detail: detail.to_string(),
        });
        Ok(())
    }

    /// Write everything buffered in one transaction, with one part of the log's compaction
    /// and one slice of retention. On failure nothing is written and the rows stay buffered
    /// (up to the cap) for the next try.
    pub fn flush(&mut self) -> Result<FlushStats, StoreError> {
        if self.samples.is_empty() && self.events.is_empty() && self.new_series.is_empty() {
            return Ok(FlushStats {
                dropped: std::mem::take(&mut self.dropped),
                events_dropped: std::mem::take(&mut self.events_dropped),
                ..FlushStats::default()
            });
        }
        let parts = self.compact_every;
        let part = self.flushes % parts;
        let batch = flush::Batch {
            new_series: &self.new_series,
            samples: &self.samples,
            events: &self.events,
            compaction: flush::Compaction::Part {
                parts,
                part,
                strays: part == 0,
            },
            maintenance: self.newest_us.map(|now| {
                let budget = maintain::Budget {
                    // Every target about once per `parts` flushes.
                    period: parts as usize,
                    chunks: MAINTENANCE_CHUNKS,
                    events: MAINTENANCE_EVENTS,
                };
                (now, &self.retention, self.maintained_after, budget)
            }),
        };
        let out = flush::write(&mut self.conn, &batch).map_err(|e| e.at(&self.path))?;
        self.flushes += 1;
        for ((target, field), id) in self.new_series.drain(..).zip(out.new_ids) {
            self.series_ids.entry(target).or_default().insert(field, id);
        }
        self.new_series_index.clear();
        let done = out.done.unwrap_or_default();
        if out.done.is_some() {
            self.maintained_after = done.after;
        }
        let stats = FlushStats {
            samples: self.samples.len(),
            events: self.events.len(),
            dropped: std::mem::take(&mut self.dropped),
            events_dropped: std::mem::take(&mut self.events_dropped),
            compacted: out.compacted,
            downsampled: done.downsampled,
            expired: done.expired,
            events_expired: done.events_expired,
            compaction: out.compaction,
            maintenance: out.maintenance,
        };
        self.samples.clear();
        self.events.clear();
        Ok(stats)
    }

    /// Move all flushed samples from the recent log into chunks now (flushes do this a part
    /// at a time, see [`COMPACT_EVERY`]). Useful before a big export.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        let path = &self.path;
        let run = |conn: &mut Connection| -> Result<(), error::Fail> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            flush::compact(&tx, flush::Compaction::All, Vec::new())?;
            tx.commit()?;
            Ok(())
        };
        run(&mut self.conn).map_err(|e| e.at(path))
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

/// Now, in unix seconds (the store may read the clock; core may not).
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// For the fuzz target `store_blobs`: decode `data` as a stored chunk and as a recent-log row,
/// as readers do. Must never panic, and never allocate more than the input justifies.
#[doc(hidden)]
pub fn fuzz_decode(data: &[u8]) {
    if let Ok(c) = chunk::Chunk::parse(data, 0) {
        let _ = c.all();
    }
    let _ = log::decode(data, None, &mut Vec::new());
}
