//! Reading: listing series and targets, streaming points and buckets, events. Only flushed
//! rows are seen. Each read runs in one read transaction, so it sees one consistent snapshot
//! while a writer compacts and downsamples.

use leakscope_core::Point;
use rusqlite::OptionalExtension;
use std::collections::HashMap;

use crate::chunk::{Chunk, Item};
use crate::codec::from_us;
use crate::cursor::SeriesCursor;
use crate::error::Fail;
use crate::{legacy, recent, Bucket, EventRow, SeriesInfo, Store, StoreError, TargetInfo};

/// Where a series' newest point is, for `list()`.
#[derive(Clone, Copy)]
enum Newest {
    /// In this chunk (by id), at this point time (µs).
    Chunk(i64, i64),
    /// In the recent log, with its value.
    Log(i64, f64),
}

impl Newest {
    fn t(self) -> i64 {
        match self {
            Newest::Chunk(_, t) | Newest::Log(t, _) => t,
        }
    }
}

impl Store {
    /// Every stored series with its raw sample count, downsampled bucket count, first/last
    /// point time and last value, ordered by target name then field. Cost: one pass over the
    /// chunk headers (the whole file) and the recent log.
    pub fn list(&self) -> Result<Vec<SeriesInfo>, StoreError> {
        if self.version < 3 {
            return legacy::list(&self.conn, self.version)
                .map_err(|e| StoreError::sql(&self.path, e));
        }
        self.in_snapshot(|conn| {
            let mut infos = Vec::new();
            let mut index: HashMap<i64, usize> = HashMap::new();
            {
                let mut stmt = conn.prepare_cached(
                    "SELECT s.id, tg.name, tg.kind, s.field, s.unit
                     FROM series s JOIN targets tg ON tg.id = s.target_id
                     ORDER BY tg.name, s.field",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    index.insert(r.get(0)?, infos.len());
                    infos.push(SeriesInfo {
                        target: r.get(1)?,
                        kind: r.get(2)?,
                        field: r.get(3)?,
                        unit: r.get(4)?,
                        samples: 0,
                        first_t: None,
                        last_t: None,
                        last_v: None,
                        downsampled_buckets: 0,
                        downsampled_samples: 0,
                    });
                }
            }
            let mut first: Vec<Option<i64>> = vec![None; infos.len()];
            let mut newest: Vec<Option<Newest>> = vec![None; infos.len()];
            {
                let mut stmt = conn.prepare_cached("SELECT id, tier, t0, data FROM chunks")?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let (id, tier): (i64, i64) = (r.get(0)?, r.get(1)?);
                    let half = tier.saturating_mul(500_000);
                    let c = Chunk::parse(r.get_ref(3)?.as_blob()?, r.get(2)?)?;
                    for h in &c.headers {
                        let Some(&i) = index.get(&h.series) else {
                            continue;
                        };
                        if tier == 0 {
                            infos[i].samples += h.n as u64;
                        } else {
                            infos[i].downsampled_buckets += h.n as u64;
                            infos[i].downsampled_samples += h.samples;
                        }
                        let (a, b) = (h.first.saturating_add(half), h.last.saturating_add(half));
                        first[i] = Some(first[i].map_or(a, |f| f.min(a)));
                        if newest[i].is_none_or(|n| b > n.t()) {
                            newest[i] = Some(Newest::Chunk(id, b));
                        }
                    }
                }
            }
            let logged = recent::pending(conn, None)?;
            for l in &logged {
                let Some(&i) = index.get(&l.series) else {
                    continue;
                };
                infos[i].samples += 1;
                first[i] = Some(first[i].map_or(l.t, |f| f.min(l.t)));
                if newest[i].is_none_or(|n| l.t >= n.t()) {
                    newest[i] = Some(Newest::Log(l.t, l.v));
                }
            }
            let mut by_id = conn.prepare_cached("SELECT t0, data FROM chunks WHERE id = ?1")?;
            let series_of: HashMap<usize, i64> = index.iter().map(|(&s, &i)| (i, s)).collect();
            for (i, info) in infos.iter_mut().enumerate() {
                info.first_t = first[i].map(from_us);
                info.last_t = newest[i].map(|n| from_us(n.t()));
                info.last_v = match newest[i] {
                    Some(Newest::Log(_, v)) => Some(v),
                    Some(Newest::Chunk(id, _)) => {
                        let (t0, blob): (i64, Vec<u8>) =
                            by_id.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                        let items = Chunk::parse(&blob, t0)?.series(series_of[&i])?;
                        items.and_then(|v| v.last().map(|it| it.min))
                    }
                    None => None,
                };
            }
            Ok(infos)
        })
    }

    /// Every stored target, ordered by name.
    pub fn targets(&self) -> Result<Vec<TargetInfo>, StoreError> {
        let sql = |e| StoreError::sql(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, kind, spec, meta, created_at FROM targets ORDER BY name")
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                let meta: String = r.get(3)?;
                Ok(TargetInfo {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    spec: r.get(2)?,
                    meta: parse_json(meta),
                    created_at: r.get(4)?,
                })
            })
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// All points of `target`/`field`, oldest first. For very long series prefer
    /// [`Store::for_each_point`], which does not hold them all in memory.
    pub fn points(&self, target: &str, field: &str) -> Result<Vec<Point>, StoreError> {
        let mut out = Vec::new();
        self.for_each_point(target, field, |p| out.push(p))?;
        Ok(out)
    }

    /// Stream the points of `target`/`field`, oldest first, to `f`, in bounded memory; returns
    /// how many there were. Downsampled periods come as their buckets' minimum (the floor,
    /// which recognition needs) at each bucket's midpoint, then the raw samples. Errors name
    /// the missing target or series.
    pub fn for_each_point(
        &self,
        target: &str,
        field: &str,
        mut f: impl FnMut(Point),
    ) -> Result<u64, StoreError> {
        self.for_each_bucket(target, field, |b| f(Point::new(b.mid_t(), b.min)))
    }

    /// Stream the rows of `target`/`field` for export, oldest first (by midpoint), in bounded
    /// memory: downsampled buckets with min/mean/max/count, then raw samples (width 0, count
    /// 1); returns how many there were.
    pub fn for_each_bucket(
        &self,
        target: &str,
        field: &str,
        mut f: impl FnMut(Bucket),
    ) -> Result<u64, StoreError> {
        let (target_id, series) = self.series_id(target, field)?;
        let version = self.version;
        self.in_snapshot(|conn| {
            let mut cursor = SeriesCursor::open(conn, version, target_id, series)?;
            let mut n = 0u64;
            while let Some((width, item)) = cursor.next(conn)? {
                f(bucket(width, &item));
                n += 1;
            }
            Ok(n)
        })
    }

    /// Stream several series joined on time, for a table with one column per series: `f`
    /// gets each point time (unix seconds, oldest first) and, per series in the order asked,
    /// its point's value there (a bucket's minimum, as [`Store::for_each_point`]) or `None`;
    /// it returns `Break` to stop early. Memory: a few chunks per series. Returns the number
    /// of rows given to `f`.
    pub fn for_each_row(
        &self,
        series: &[(&str, &str)],
        mut f: impl FnMut(f64, &[Option<f64>]) -> std::ops::ControlFlow<()>,
    ) -> Result<u64, StoreError> {
        let ids = series
            .iter()
            .map(|(t, fld)| self.series_id(t, fld))
            .collect::<Result<Vec<_>, _>>()?;
        let version = self.version;
        self.in_snapshot(|conn| {
            let mut cursors = ids
                .iter()
                .map(|&(t, s)| SeriesCursor::open(conn, version, t, s))
                .collect::<Result<Vec<_>, _>>()?;
            let point = |c: &mut SeriesCursor| -> Result<Option<(i64, f64)>, Fail> {
                Ok(c.next(conn)?
                    .map(|(w, i)| (i.t.saturating_add(w / 2), i.min)))
            };
            let mut heads = cursors
                .iter_mut()
                .map(point)
                .collect::<Result<Vec<_>, _>>()?;
            let mut values = vec![None; heads.len()];
            let mut rows = 0u64;
            while let Some(t) = heads.iter().flatten().map(|h| h.0).min() {
                for (i, head) in heads.iter_mut().enumerate() {
                    values[i] = None;
                    if let Some((ht, v)) = *head {
                        if ht == t {
                            values[i] = Some(v);
                            *head = point(&mut cursors[i])?;
                        }
                    }
                }
                rows += 1;
                if f(from_us(t), &values).is_break() {
                    break;
                }
            }
            Ok(rows)
        })
    }

    /// Stored events, oldest first; only those of `target` when given.
    pub fn events(&self, target: Option<&str>) -> Result<Vec<EventRow>, StoreError> {
        let sql = |e| StoreError::sql(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT tg.name, e.t, e.kind, e.detail
                 FROM events e JOIN targets tg ON tg.id = e.target_id
                 WHERE ?1 IS NULL OR tg.name = ?1
                 ORDER BY e.t, e.id",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([target], |r| {
                let detail: String = r.get(3)?;
                Ok(EventRow {
                    target: r.get(0)?,
                    t: r.get(1)?,
                    kind: r.get(2)?,
                    detail: parse_json(detail),
                })
            })
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// Run `PRAGMA integrity_check`; `Ok(vec!["ok"])` for a healthy file, else SQLite's
    /// list of problems.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let sql = |e| StoreError::sql(&self.path, e);
        let mut stmt = self.conn.prepare("PRAGMA integrity_check").map_err(sql)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// Run `read` in one read transaction (one snapshot), unless one is already open.
    fn in_snapshot<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let run = || -> Result<T, Fail> {
            let tx = if self.conn.is_autocommit() {
                Some(self.conn.unchecked_transaction()?)
            } else {
                None
            };
            let out = read(&self.conn)?;
            drop(tx); // a read: nothing to commit
            Ok(out)
        };
        run().map_err(|e| e.at(&self.path))
    }

    /// The target id and series id of `target`/`field`, or an error naming what is missing.
    fn series_id(&self, target: &str, field: &str) -> Result<(i64, i64), StoreError> {
        let sql = |e| StoreError::sql(&self.path, e);
        let target_id: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM targets WHERE name = ?1")
            .map_err(sql)?
            .query_row([target], |r| r.get(0))
            .optional()
            .map_err(sql)?;
        let Some(target_id) = target_id else {
            return Err(StoreError::NoSuchTarget {
                path: self.path.clone(),
                target: target.to_owned(),
            });
        };
        self.conn
            .prepare_cached("SELECT id FROM series WHERE target_id = ?1 AND field = ?2")
            .map_err(sql)?
            .query_row(rusqlite::params![target_id, field], |r| r.get(0))
            .optional()
            .map_err(sql)?
            .map(|id| (target_id, id))
            .ok_or_else(|| StoreError::NoSuchSeries {
                path: self.path.clone(),
                target: target.to_owned(),
                field: field.to_owned(),
            })
    }
}

/// An item of a tier of bucket width `width` µs (0: raw) as an export row.
fn bucket(width: i64, item: &Item) -> Bucket {
    Bucket {
        start_t: from_us(item.t),
        width_seconds: width as f64 / 1e6,
        min: item.min,
        mean: if item.count > 0 {
            item.sum / item.count as f64
        } else {
            item.min
        },
        max: item.max,
        count: item.count,
    }
}

/// Parse stored JSON text; text that is not JSON comes back as a JSON string, never a panic.
fn parse_json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}
