//! `list()` of a v1/v2 file opened read-only (no migration): one row per sample in `samples`,
//! recent ones in `samples_log` (v2).

use std::collections::HashMap;

use rusqlite::Connection;

use crate::SeriesInfo;

/// Every series with its counts, first/last time and last value, ordered by target and field.
pub(crate) fn list(conn: &Connection, version: i64) -> rusqlite::Result<Vec<SeriesInfo>> {
    let mut recent: HashMap<i64, (u64, f64, f64, f64)> = HashMap::new();
    if version >= 2 {
        let mut stmt = conn.prepare_cached(
            // With a single max(), SQLite takes the bare column v from the max row.
            "SELECT series_id, count(*), min(t), max(t), v FROM samples_log GROUP BY series_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(1)?;
            recent.insert(
                r.get(0)?,
                (n.max(0) as u64, r.get(2)?, r.get(3)?, r.get(4)?),
            );
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT tg.name, tg.kind, s.field, s.unit,
                (SELECT count(*) FROM samples WHERE series_id = s.id),
                (SELECT min(t) FROM samples WHERE series_id = s.id),
                (SELECT max(t) FROM samples WHERE series_id = s.id),
                (SELECT v FROM samples WHERE series_id = s.id ORDER BY t DESC LIMIT 1),
                s.id
         FROM series s JOIN targets tg ON tg.id = s.target_id
         ORDER BY tg.name, s.field",
    )?;
    let rows = stmt.query_map([], |r| {
        let mut info = SeriesInfo {
            target: r.get(0)?,
            kind: r.get(1)?,
            field: r.get(2)?,
            unit: r.get(3)?,
            samples: r.get::<_, i64>(4)?.max(0) as u64,
            first_t: r.get(5)?,
            last_t: r.get(6)?,
            last_v: r.get(7)?,
            downsampled_buckets: 0,
            downsampled_samples: 0,
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
    })?;
    rows.collect()
}
