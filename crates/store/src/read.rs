//! Reading: listing series and targets, streaming points, events. Only flushed rows are seen.

use leakscope_core::Point;
use rusqlite::{OptionalExtension, Row, Rows};
use std::collections::HashMap;

use crate::{EventRow, SeriesInfo, Store, StoreError, TargetInfo};

impl Store {
    /// Every stored series with its sample count, first/last time and last value, ordered by
    /// target name then field. Cost: one indexed count per series, one pass over the recent log.
    pub fn list(&self) -> Result<Vec<SeriesInfo>, StoreError> {
        let sql = |e| StoreError::sql(&self.path, e);
        let mut recent: HashMap<i64, (u64, f64, f64, f64)> = HashMap::new();
        if self.has_log {
            let mut stmt = self
                .conn
                .prepare_cached(
                    // With a single max(), SQLite takes the bare column v from the max row.
                    "SELECT series_id, count(*), min(t), max(t), v FROM samples_log
                     GROUP BY series_id",
                )
                .map_err(sql)?;
            let mut rows = stmt.query([]).map_err(sql)?;
            while let Some(r) = rows.next().map_err(sql)? {
                let n: i64 = r.get(1).map_err(sql)?;
                recent.insert(
                    r.get(0).map_err(sql)?,
                    (
                        n.max(0) as u64,
                        r.get(2).map_err(sql)?,
                        r.get(3).map_err(sql)?,
                        r.get(4).map_err(sql)?,
                    ),
                );
            }
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT tg.name, tg.kind, s.field, s.unit,
                        (SELECT count(*) FROM samples WHERE series_id = s.id),
                        (SELECT min(t) FROM samples WHERE series_id = s.id),
                        (SELECT max(t) FROM samples WHERE series_id = s.id),
                        (SELECT v FROM samples WHERE series_id = s.id ORDER BY t DESC LIMIT 1),
                        s.id
                 FROM series s JOIN targets tg ON tg.id = s.target_id
                 ORDER BY tg.name, s.field",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                let mut info = SeriesInfo {
                    target: r.get(0)?,
                    kind: r.get(1)?,
                    field: r.get(2)?,
                    unit: r.get(3)?,
                    samples: r.get::<_, i64>(4)?.max(0) as u64,
                    first_t: r.get(5)?,
                    last_t: r.get(6)?,
                    last_v: r.get(7)?,
                };
                if let Some(&(n, first, last, v)) = recent.get(&r.get::<_, i64>(8)?) {
                    info.samples += n;
                    info.first_t = Some(info.first_t.map_or(first, |f: f64| f.min(first)));
                    if info.last_t.is_none_or(|l| last >= l) {
                        info.last_t = Some(last);
                        info.last_v = Some(v);
                    }
                }
                Ok(info)
            })
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
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
    /// how many there were. Errors name the missing target or series.
    pub fn for_each_point(
        &self,
        target: &str,
        field: &str,
        mut f: impl FnMut(Point),
    ) -> Result<u64, StoreError> {
        let sql = |e| StoreError::sql(&self.path, e);
        let series = self.series_id(target, field)?;
        // Merge the main table and the recent log, both in time order; on equal times the log
        // row wins, as it will when compacted.
        let mut main = self
            .conn
            .prepare_cached("SELECT t, v FROM samples WHERE series_id = ?1 ORDER BY t")
            .map_err(sql)?;
        let mut main = main.query([series]).map_err(sql)?;
        let mut log_stmt = if self.has_log {
            Some(
                self.conn
                    .prepare_cached(
                        "SELECT t, v FROM samples_log WHERE series_id = ?1 ORDER BY t, rowid",
                    )
                    .map_err(sql)?,
            )
        } else {
            None
        };
        let mut log = match log_stmt.as_mut() {
            Some(stmt) => Some(stmt.query([series]).map_err(sql)?),
            None => None,
        };
        let mut a = next_point(&mut main).map_err(sql)?;
        let mut b = match log.as_mut() {
            Some(rows) => next_point(rows).map_err(sql)?,
            None => None,
        };
        let mut n = 0u64;
        loop {
            let take_log = match (a, b) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(x), Some(y)) => {
                    if x.t == y.t {
                        a = next_point(&mut main).map_err(sql)?; // replaced by the log row
                        continue;
                    }
                    y.t < x.t
                }
            };
            if take_log {
                if let (Some(p), Some(rows)) = (b, log.as_mut()) {
                    f(p);
                    b = next_point(rows).map_err(sql)?;
                }
            } else if let Some(p) = a {
                f(p);
                a = next_point(&mut main).map_err(sql)?;
            }
            n += 1;
        }
        Ok(n)
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

    /// The id of `target`/`field`, or an error naming what is missing.
    fn series_id(&self, target: &str, field: &str) -> Result<i64, StoreError> {
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
            .ok_or_else(|| StoreError::NoSuchSeries {
                path: self.path.clone(),
                target: target.to_owned(),
                field: field.to_owned(),
            })
    }
}

/// The next `(t, v)` row as a point.
fn next_point(rows: &mut Rows<'_>) -> rusqlite::Result<Option<Point>> {
    rows.next()?.map(point).transpose()
}

fn point(row: &Row<'_>) -> rusqlite::Result<Point> {
    Ok(Point::new(row.get(0)?, row.get(1)?))
}

/// Parse stored JSON text; text that is not JSON comes back as a JSON string, never a panic.
fn parse_json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}
