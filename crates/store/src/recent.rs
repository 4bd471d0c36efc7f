//! The `recent` table: the log flushes append to. Row id = flush sequence << 16 | part, so a
//! flush's rows are contiguous and a part's row of a given flush is found by its id, without
//! an index. Compacting a part reads its rows and raises the part's watermark in `compacted`
//! instead of deleting them one by one (that would dirty a page per row); the rows every
//! part has compacted are then deleted as one contiguous range.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Fail;
use crate::log::{self, Logged};

/// Parts per flush at most: the part is the low 16 bits of a row id.
pub(crate) const MAX_PARTS: u64 = 1 << 16;

const PART_BITS: u32 = 16;

fn row_id(seq: i64, part: u64) -> i64 {
    (seq << PART_BITS) | part as i64
}

fn seq_of(id: i64) -> i64 {
    id >> PART_BITS
}

fn part_of(id: i64) -> u64 {
    (id & (MAX_PARTS as i64 - 1)) as u64
}

/// The flush sequence numbers in use: (lowest, highest) over rows and watermarks.
fn seq_range(conn: &Connection) -> Result<(i64, i64), Fail> {
    // Two queries: SQLite answers a lone min() or max() from the b-tree's edge, but scans
    // the table for both at once.
    let lo: Option<i64> = conn
        .prepare_cached("SELECT min(id) FROM recent")?
        .query_row([], |r| r.get(0))?;
    let hi: Option<i64> = conn
        .prepare_cached("SELECT max(id) FROM recent")?
        .query_row([], |r| r.get(0))?;
    let mark: Option<i64> = conn
        .prepare_cached("SELECT max(upto) FROM compacted")?
        .query_row([], |r| r.get(0))?;
    let hi = hi.map_or(0, seq_of).max(mark.unwrap_or(0));
    Ok((lo.map_or(hi + 1, seq_of), hi))
}

/// Rows of `part` (of `parts`) with a sequence up to this are in chunks.
fn watermark(conn: &Connection, parts: u64, part: u64) -> Result<i64, Fail> {
    Ok(conn
        .prepare_cached("SELECT upto FROM compacted WHERE parts = ?1 AND part = ?2")?
        .query_row(params![parts as i64, part as i64], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Append one row per part (`samples` grouped by part, each in append order).
pub(crate) fn append(
    conn: &Connection,
    parts: u64,
    samples: &[(u64, Vec<Logged>)],
) -> Result<(), Fail> {
    if samples.is_empty() {
        return Ok(());
    }
    let seq = seq_range(conn)?.1 + 1;
    let mut ins =
        conn.prepare_cached("INSERT INTO recent (id, parts, data) VALUES (?1, ?2, ?3)")?;
    for (part, rows) in samples {
        ins.execute(params![row_id(seq, *part), parts as i64, log::encode(rows)])?;
    }
    Ok(())
}

/// Take the not yet compacted samples of `part` (of `parts`) into `out`, oldest first, mark
/// them compacted, and delete the rows every part has compacted.
pub(crate) fn take_part(
    conn: &Connection,
    parts: u64,
    part: u64,
    out: &mut Vec<Logged>,
) -> Result<(), Fail> {
    let (lo, hi) = seq_range(conn)?;
    let from = watermark(conn, parts, part)?.max(lo - 1) + 1;
    {
        let mut get = conn.prepare_cached("SELECT parts, data FROM recent WHERE id = ?1")?;
        for seq in from..=hi {
            let row: Option<(i64, Vec<u8>)> = get
                .query_row([row_id(seq, part)], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((p, blob)) = row {
                if p == parts as i64 {
                    log::decode(&blob, None, out)?;
                }
            }
        }
    }
    conn.prepare_cached(
        "INSERT INTO compacted (parts, part, upto) VALUES (?1, ?2, ?3)
         ON CONFLICT (parts, part) DO UPDATE SET upto = excluded.upto",
    )?
    .execute(params![parts as i64, part as i64, hi])?;
    // Rows below every part's watermark are all in chunks.
    let (marked, low): (i64, Option<i64>) = conn
        .prepare_cached("SELECT count(*), min(upto) FROM compacted WHERE parts = ?1")?
        .query_row([parts as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if let (true, Some(low)) = (marked == parts as i64, low) {
        conn.prepare_cached("DELETE FROM recent WHERE id < ?1 AND parts = ?2")?
            .execute(params![row_id(low + 1, 0), parts as i64])?;
    }
    Ok(())
}

/// Take every not yet compacted sample (of rows written with another `parts` than `keep`,
/// or of all rows when `keep` is `None`) into `out`, oldest first, and delete those rows
/// and their watermarks.
pub(crate) fn take_others(
    conn: &Connection,
    keep: Option<u64>,
    out: &mut Vec<Logged>,
) -> Result<(), Fail> {
    let keep = keep.map_or(-1, |k| k as i64);
    let marks = watermarks(conn)?;
    let mut any = false;
    {
        let mut stmt = conn
            .prepare_cached("SELECT id, parts, data FROM recent WHERE parts != ?1 ORDER BY id")?;
        let mut rows = stmt.query([keep])?;
        while let Some(r) = rows.next()? {
            any = true;
            let (id, parts): (i64, i64) = (r.get(0)?, r.get(1)?);
            if seq_of(id)
                > marks
                    .get(&(parts, part_of(id) as i64))
                    .copied()
                    .unwrap_or(0)
            {
                log::decode(r.get_ref(2)?.as_blob()?, None, out)?;
            }
        }
    }
    if any {
        conn.prepare_cached("DELETE FROM recent WHERE parts != ?1")?
            .execute([keep])?;
    }
    conn.prepare_cached("DELETE FROM compacted WHERE parts != ?1")?
        .execute([keep])?;
    Ok(())
}

fn watermarks(conn: &Connection) -> Result<HashMap<(i64, i64), i64>, Fail> {
    let mut stmt = conn.prepare_cached("SELECT parts, part, upto FROM compacted")?;
    let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every sample not yet compacted, in the order written; only `target`'s when given.
pub(crate) fn pending(conn: &Connection, target: Option<i64>) -> Result<Vec<Logged>, Fail> {
    let mut out = Vec::new();
    let Some(target) = target else {
        let marks = watermarks(conn)?;
        let mut stmt = conn.prepare_cached("SELECT id, parts, data FROM recent ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, parts): (i64, i64) = (r.get(0)?, r.get(1)?);
            if seq_of(id)
                > marks
                    .get(&(parts, part_of(id) as i64))
                    .copied()
                    .unwrap_or(0)
            {
                log::decode(r.get_ref(2)?.as_blob()?, None, &mut out)?;
            }
        }
        return Ok(out);
    };
    // The target's rows: one per flush, found by id, for each `parts` in use (usually one).
    let (lo, hi) = seq_range(conn)?;
    let mut rows: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut parts_after = 0i64;
    let mut next_parts = conn.prepare_cached("SELECT min(parts) FROM recent WHERE parts > ?1")?;
    let mut get = conn.prepare_cached("SELECT parts, data FROM recent WHERE id = ?1")?;
    while let Some(parts) = next_parts.query_row([parts_after], |r| r.get::<_, Option<i64>>(0))? {
        parts_after = parts;
        let part = target.rem_euclid(parts) as u64;
        let from = watermark(conn, parts as u64, part)?.max(lo - 1) + 1;
        for seq in from..=hi {
            let id = row_id(seq, part);
            if let Some((p, blob)) = get
                .query_row([id], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))
                .optional()?
            {
                if p == parts {
                    rows.push((id, blob));
                }
            }
        }
    }
    rows.sort_by_key(|r| r.0);
    for (_, blob) in &rows {
        log::decode(blob, Some(target), &mut out)?;
    }
    Ok(out)
}
