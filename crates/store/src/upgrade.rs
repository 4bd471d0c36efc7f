//! Converting an older file's samples: v2 kept one row per value in `samples` (and recent
//! ones in `samples_log`, which win on equal times); v3 keeps raw chunks per target.

use rusqlite::{params, Connection};

use crate::chunk::{Item, SeriesItems};
use crate::chunks;
use crate::codec::to_us;
use crate::error::Fail;

/// Each target is converted in windows of this many seconds, to bound memory.
const WINDOW_SECONDS: f64 = 6.0 * 3600.0;

/// Move every v2 sample into raw chunks, then drop the v2 sample tables. Runs inside the
/// migration's transaction, after the v3 tables exist.
pub(crate) fn v2_to_v3(conn: &Connection) -> Result<(), Fail> {
    conn.execute_batch(
        "INSERT OR REPLACE INTO samples (series_id, t, v)
             SELECT series_id, t, v FROM samples_log ORDER BY series_id, t, rowid;",
    )?;
    let targets = ids(conn, "SELECT id FROM targets ORDER BY id", [])?;
    for target in targets {
        let series = ids(
            conn,
            "SELECT id FROM series WHERE target_id = ?1 ORDER BY id",
            [target],
        )?;
        let mut from = f64::MIN;
        loop {
            let mut start: Option<f64> = None;
            for &s in &series {
                let first: Option<f64> = conn
                    .prepare_cached("SELECT min(t) FROM samples WHERE series_id = ?1 AND t >= ?2")?
                    .query_row(params![s, from], |r| r.get(0))?;
                start = match (start, first) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            let Some(start) = start else { break };
            let end = start + WINDOW_SECONDS;
            let mut window = Vec::with_capacity(series.len());
            for &s in &series {
                let mut stmt = conn.prepare_cached(
                    "SELECT t, v FROM samples WHERE series_id = ?1 AND t >= ?2 AND t < ?3 ORDER BY t",
                )?;
                let mut items = stmt
                    .query_map(params![s, start, end], |r| {
                        Ok(Item::sample(to_us(r.get(0)?), r.get(1)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                chunks::sort_keep_last(&mut items);
                window.push(SeriesItems { series: s, items });
            }
            chunks::put(conn, target, 0, window)?;
            from = end;
        }
    }
    conn.execute_batch("DROP TABLE samples_log; DROP TABLE samples;")?;
    Ok(())
}

fn ids<P: rusqlite::Params>(conn: &Connection, sql: &str, p: P) -> Result<Vec<i64>, Fail> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(p, |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
