//! The `chunks` table: writing a target's items into a tier, merged with whatever chunks they
//! overlap, and loading a tier's oldest chunks. A target's chunks in one tier never overlap in
//! time, so appending newer items (the common case) is one index probe and one insert.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use crate::chunk::{self, Chunk, Item, Kind, SeriesItems};
use crate::error::Fail;
use crate::retention::BUCKETS_PER_CHUNK;

/// Most samples per series in one raw chunk (compaction writes about `COMPACT_EVERY`).
pub(crate) const RAW_CHUNK_ITEMS: usize = 256;

/// Most buckets per series in one downsampled chunk.
pub(crate) const BUCKET_CHUNK_ITEMS: usize = BUCKETS_PER_CHUNK as usize;

/// The chunk kind of tier `tier` (0: raw samples; else the bucket width in seconds).
pub(crate) fn kind_of(tier: i64) -> Kind {
    if tier == 0 {
        Kind::Raw
    } else {
        Kind::Buckets
    }
}

/// Sort `items` by time (stable) and keep the last of equal times: later writes win.
pub(crate) fn sort_keep_last(items: &mut Vec<Item>) {
    if !items.is_sorted_by_key(|i| i.t) {
        items.sort_by_key(|i| i.t);
    }
    let mut w = 0;
    for r in 0..items.len() {
        if w > 0 && items[w - 1].t == items[r].t {
            items[w - 1] = items[r];
        } else {
            items[w] = items[r];
            w += 1;
        }
    }
    items.truncate(w);
}

/// Merge sorted, unique `old` and `new`: on equal times a raw sample of `new` replaces the
/// old one; a bucket is combined with it (late samples of a period already downsampled).
fn merge(old: Vec<Item>, new: Vec<Item>, combine: bool) -> Vec<Item> {
    let mut out = Vec::with_capacity(old.len() + new.len());
    let (mut a, mut b) = (old.into_iter().peekable(), new.into_iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.t == y.t => {
                let (mut x, y) = (*x, *y);
                a.next();
                b.next();
                if combine {
                    x.absorb(&y);
                    out.push(x);
                } else {
                    out.push(y);
                }
            }
            (Some(x), Some(y)) => {
                if x.t < y.t {
                    out.push(*x);
                    a.next();
                } else {
                    out.push(*y);
                    b.next();
                }
            }
            (Some(x), None) => {
                out.push(*x);
                a.next();
            }
            (None, Some(y)) => {
                out.push(*y);
                b.next();
            }
            (None, None) => return out,
        }
    }
}

/// Write `series` (each sorted by time, unique times) of `target` into `tier`.
pub(crate) fn put(
    conn: &Connection,
    target: i64,
    tier: i64,
    series: Vec<SeriesItems>,
) -> Result<(), Fail> {
    let mut series: Vec<SeriesItems> = series.into_iter().filter(|s| !s.items.is_empty()).collect();
    let (Some(a), Some(b)) = (
        series.iter().map(|s| s.items[0].t).min(),
        series.iter().map(|s| s.items[s.items.len() - 1].t).max(),
    ) else {
        return Ok(());
    };
    let last_t1: Option<i64> = conn
        .prepare_cached(
            "SELECT t1 FROM chunks WHERE target_id = ?1 AND tier = ?2 ORDER BY t0 DESC LIMIT 1",
        )?
        .query_row(params![target, tier], |r| r.get(0))
        .optional()?;
    if last_t1.is_some_and(|t1| a <= t1) {
        series = merge_with_stored(conn, target, tier, series, a, b)?;
    }
    series.sort_by_key(|s| s.series);
    let max = if tier == 0 {
        RAW_CHUNK_ITEMS
    } else {
        BUCKET_CHUNK_ITEMS
    };
    let mut ins = conn.prepare_cached(
        "INSERT INTO chunks (target_id, tier, t0, t1, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (t0, t1, part) in chunk::split(series, max) {
        let blob = chunk::encode(kind_of(tier), t0, &part);
        ins.execute(params![target, tier, t0, t1, blob])?;
    }
    Ok(())
}

/// Take the stored chunks that overlap `[a, b]` out of the table and merge `series` into
/// their items (the slow path: late or replayed samples).
fn merge_with_stored(
    conn: &Connection,
    target: i64,
    tier: i64,
    series: Vec<SeriesItems>,
    a: i64,
    b: i64,
) -> Result<Vec<SeriesItems>, Fail> {
    let mut old: HashMap<i64, Vec<Item>> = HashMap::new();
    let mut ids = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, t0, t1, data FROM chunks WHERE target_id = ?1 AND tier = ?2 AND t0 <= ?3
             ORDER BY t0 DESC",
        )?;
        let mut rows = stmt.query(params![target, tier, b])?;
        while let Some(r) = rows.next()? {
            // Chunks are disjoint: once one ends before `a`, all earlier ones do.
            if r.get::<_, i64>(2)? < a {
                break;
            }
            ids.push(r.get::<_, i64>(0)?);
            let c = Chunk::parse(r.get_ref(3)?.as_blob()?, r.get(1)?)?;
            for s in c.all()? {
                old.entry(s.series).or_default().extend(s.items);
            }
        }
    }
    delete(conn, &ids)?;
    let combine = tier != 0;
    let mut out = Vec::with_capacity(series.len() + old.len());
    for s in series {
        let mut prev = old.remove(&s.series).unwrap_or_default();
        prev.sort_by_key(|i| i.t);
        out.push(SeriesItems {
            series: s.series,
            items: merge(prev, s.items, combine),
        });
    }
    for (series, mut items) in old {
        items.sort_by_key(|i| i.t);
        out.push(SeriesItems { series, items });
    }
    Ok(out)
}

/// Delete chunks by id.
pub(crate) fn delete(conn: &Connection, ids: &[i64]) -> Result<(), Fail> {
    let mut del = conn.prepare_cached("DELETE FROM chunks WHERE id = ?1")?;
    for id in ids {
        del.execute([id])?;
    }
    Ok(())
}

/// The chunks of `target` in `tier` that start before `before` (µs), oldest first, at most
/// `limit`: their ids and their items per series (sorted by time).
pub(crate) fn load_before(
    conn: &Connection,
    target: i64,
    tier: i64,
    before: i64,
    limit: usize,
) -> Result<(Vec<i64>, Vec<SeriesItems>), Fail> {
    // No bound LIMIT: SQLite re-prepares a statement whenever a bound LIMIT changes.
    let mut stmt = conn.prepare_cached(
        "SELECT id, t0, data FROM chunks WHERE target_id = ?1 AND tier = ?2 AND t0 < ?3
         ORDER BY t0",
    )?;
    let mut rows = stmt.query(params![target, tier, before])?;
    let mut ids = Vec::new();
    let mut by_series: HashMap<i64, Vec<Item>> = HashMap::new();
    while ids.len() < limit {
        let Some(r) = rows.next()? else { break };
        ids.push(r.get::<_, i64>(0)?);
        let c = Chunk::parse(r.get_ref(2)?.as_blob()?, r.get(1)?)?;
        for s in c.all()? {
            by_series.entry(s.series).or_default().extend(s.items);
        }
    }
    let mut series: Vec<SeriesItems> = by_series
        .into_iter()
        .map(|(series, items)| SeriesItems { series, items })
        .collect();
    series.sort_by_key(|s| s.series);
    Ok((ids, series))
}

/// The next tier above `after` that `target` has chunks in.
pub(crate) fn next_tier(conn: &Connection, target: i64, after: i64) -> Result<Option<i64>, Fail> {
    Ok(conn
        .prepare_cached("SELECT min(tier) FROM chunks WHERE target_id = ?1 AND tier > ?2")?
        .query_row(params![target, after], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: i64, v: f64) -> Item {
        Item::sample(t, v)
    }

    #[test]
    fn later_writes_win() {
        let mut items = vec![s(3, 1.0), s(1, 1.0), s(3, 2.0), s(2, 1.0), s(3, 3.0)];
        sort_keep_last(&mut items);
        assert_eq!(items, vec![s(1, 1.0), s(2, 1.0), s(3, 3.0)]);
        let m = merge(
            vec![s(1, 1.0), s(3, 1.0)],
            vec![s(2, 2.0), s(3, 2.0)],
            false,
        );
        assert_eq!(m, vec![s(1, 1.0), s(2, 2.0), s(3, 2.0)]);
        let m = merge(vec![s(3, 1.0)], vec![s(3, 5.0)], true);
        assert_eq!(
            (m[0].count, m[0].min, m[0].max, m[0].sum),
            (2, 1.0, 5.0, 6.0)
        );
    }
}
