//! Reading: listing series and targets, streaming points, events. Only flushed rows are seen.

use leakscope_core::Point;
use rusqlite::OptionalExtension;

use crate::{EventRow, SeriesInfo, Store, StoreError, TargetInfo};

impl Store {
    /// Every stored series with its sample count, first/last time and last value, ordered by
    /// target name then field. Cost: one indexed count per series.
    pub fn list(&self) -> Result<Vec<SeriesInfo>, StoreError> {
        let sql = |e| StoreError::sql(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT tg.name, tg.kind, s.field, s.unit,
                        (SELECT count(*) FROM samples WHERE series_id = s.id),
                        (SELECT min(t) FROM samples WHERE series_id = s.id),
                        (SELECT max(t) FROM samples WHERE series_id = s.id),
                        (SELECT v FROM samples WHERE series_id = s.id ORDER BY t DESC LIMIT 1)
                 FROM series s JOIN targets tg ON tg.id = s.target_id
                 ORDER BY tg.name, s.field",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SeriesInfo {
                    target: r.get(0)?,
                    kind: r.get(1)?,
                    field: r.get(2)?,
                    unit: r.get(3)?,
                    samples: r.get::<_, i64>(4)?.max(0) as u64,
                    first_t: r.get(5)?,
                    last_t: r.get(6)?,
                    last_v: r.get(7)?,
                })
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
        let mut stmt = self
            .conn
            .prepare_cached("SELECT t, v FROM samples WHERE series_id = ?1 ORDER BY t")
            .map_err(sql)?;
        let mut rows = stmt.query([series]).map_err(sql)?;
        let mut n = 0u64;
        while let Some(row) = rows.next().map_err(sql)? {
            f(Point::new(
                row.get(0).map_err(sql)?,
                row.get(1).map_err(sql)?,
            ));
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

/// Parse stored JSON text; text that is not JSON comes back as a JSON string, never a panic.
fn parse_json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}
