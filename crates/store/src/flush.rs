//! One flush: a single immediate transaction that creates new series, appends the buffered
//! samples to the recent log (one row per part of the targets), compacts one part of the log
//! into chunks, runs one slice of retention, and writes the buffered events.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, TransactionBehavior};

use crate::chunk::{Item, SeriesItems};
use crate::chunks;
use crate::error::Fail;
use crate::log::Logged;
use crate::maintain::{self, Budget};
use crate::recent;
use crate::retention::Plan;
use crate::{unit_for_field, PendingEvent, PendingSample, SeriesRef};

/// Which part of the recent log a flush compacts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Compaction {
    /// The rows of targets with `id % parts == part`; with `strays`, also rows written by a
    /// writer with another `parts`.
    Part { parts: u64, part: u64, strays: bool },
    /// Every row.
    All,
}

/// Everything one flush writes.
pub(crate) struct Batch<'a> {
    pub new_series: &'a [(i64, String)],
    pub samples: &'a VecDeque<PendingSample>,
    pub events: &'a VecDeque<PendingEvent>,
    pub compaction: Compaction,
    /// Retention "now" (µs), the plan, where the last slice stopped and the slice's budget.
    pub maintenance: Option<(i64, &'a Plan, i64, Budget)>,
}

/// What a committed flush did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Ids of `Batch::new_series`, in order.
    pub new_ids: Vec<i64>,
    pub compacted: usize,
    pub compaction: Duration,
    pub maintenance: Duration,
    pub done: Option<maintain::Done>,
}

/// Write `batch` in one transaction; nothing is written on error.
pub(crate) fn write(conn: &mut Connection, batch: &Batch<'_>) -> Result<Outcome, Fail> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Outcome {
        new_ids: create_series(&tx, batch.new_series)?,
        ..Outcome::default()
    };
    let resolve = |s: &PendingSample| Logged {
        target: s.target,
        series: match s.series {
            SeriesRef::Known(id) => id,
            SeriesRef::New(i) => out.new_ids[i],
        },
        t: s.t,
        v: s.v,
    };
    // This flush's samples of the part being compacted skip the log.
    let mut direct = Vec::new();
    let mut parts: BTreeMap<u64, Vec<Logged>> = BTreeMap::new();
    let log_parts = match batch.compaction {
        Compaction::Part { parts, .. } => parts,
        Compaction::All => 1,
    };
    for s in batch.samples {
        let l = resolve(s);
        let p = l.target.rem_euclid(log_parts as i64) as u64;
        match batch.compaction {
            Compaction::Part { part, .. } if part != p => parts.entry(p).or_default().push(l),
            _ => direct.push(l),
        }
    }
    recent::append(&tx, log_parts, &parts.into_iter().collect::<Vec<_>>())?;
    let start = Instant::now();
    out.compacted = compact(&tx, batch.compaction, direct)?;
    out.compaction = start.elapsed();
    if let Some((now, plan, after, budget)) = batch.maintenance {
        let start = Instant::now();
        out.done = Some(maintain::slice(&tx, now, plan, after, budget)?);
        out.maintenance = start.elapsed();
    }
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO events (target_id, t, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for e in batch.events {
            ins.execute(params![e.target, e.t, e.kind, e.detail])?;
        }
    }
    tx.commit()?;
    Ok(out)
}

/// Create `new` series that do not exist yet (another writer may have created them) and
/// return the ids of all, in order.
fn create_series(conn: &Connection, new: &[(i64, String)]) -> Result<Vec<i64>, Fail> {
    let mut ins = conn.prepare_cached(
        "INSERT INTO series (target_id, field, unit) VALUES (?1, ?2, ?3)
         ON CONFLICT (target_id, field) DO NOTHING",
    )?;
    let mut sel =
        conn.prepare_cached("SELECT id FROM series WHERE target_id = ?1 AND field = ?2")?;
    let mut ids = Vec::with_capacity(new.len());
    for (target, field) in new {
        ins.execute(params![target, field, unit_for_field(field)])?;
        ids.push(sel.query_row(params![target, field], |r| r.get(0))?);
    }
    Ok(ids)
}

/// Move the chosen log rows, then `direct` (newer), into raw chunks; returns the samples moved.
pub(crate) fn compact(
    conn: &Connection,
    which: Compaction,
    direct: Vec<Logged>,
) -> Result<usize, Fail> {
    let mut logged = Vec::new();
    match which {
        Compaction::Part {
            parts,
            part,
            strays,
        } => {
            if strays {
                recent::take_others(conn, Some(parts), &mut logged)?;
            }
            recent::take_part(conn, parts, part, &mut logged)?;
        }
        Compaction::All => recent::take_others(conn, None, &mut logged)?,
    }
    logged.extend(direct);
    let n = logged.len();
    write_raw(conn, logged)?;
    Ok(n)
}

/// Write logged samples (in the order written: later ones win) into raw chunks, per target.
pub(crate) fn write_raw(conn: &Connection, logged: Vec<Logged>) -> Result<(), Fail> {
    let mut groups: HashMap<(i64, i64), Vec<Item>> = HashMap::new();
    for l in logged {
        groups
            .entry((l.target, l.series))
            .or_default()
            .push(Item::sample(l.t, l.v));
    }
    let mut by_target: BTreeMap<i64, Vec<SeriesItems>> = BTreeMap::new();
    for ((target, series), mut items) in groups {
        chunks::sort_keep_last(&mut items);
        by_target
            .entry(target)
            .or_default()
            .push(SeriesItems { series, items });
    }
    for (target, series) in by_target {
        chunks::put(conn, target, 0, series)?;
    }
    Ok(())
}
