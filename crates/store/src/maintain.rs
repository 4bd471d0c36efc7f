//! Retention, a bounded slice per flush: visit a few targets, move their data that has aged
//! out of a tier into the next one as buckets (min, max, sum, count), delete what is older
//! than the retention, and delete old events. "Now" is the newest sample appended.

use rusqlite::{params, Connection};

use crate::chunk::{Item, SeriesItems};
use crate::chunks;
use crate::error::Fail;
use crate::retention::{Plan, BUCKETS_PER_CHUNK};

/// How much one flush may do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Every target is visited about once per this many slices.
    pub period: usize,
    /// Chunk rows read.
    pub chunks: usize,
    /// Events deleted.
    pub events: usize,
}

/// What one slice did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Done {
    /// Samples or buckets folded into a coarser tier.
    pub downsampled: u64,
    /// Samples or buckets deleted for retention.
    pub expired: u64,
    pub events_expired: u64,
    /// Where the next slice starts: after this target id.
    pub after: i64,
}

/// Run one slice of maintenance at `now` (µs), starting after target `after`.
pub(crate) fn slice(
    conn: &Connection,
    now: i64,
    plan: &Plan,
    after: i64,
    budget: Budget,
) -> Result<Done, Fail> {
    let mut done = Done {
        after,
        ..Done::default()
    };
    let mut chunks_left = budget.chunks;
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM targets")?
        .query_row([], |r| r.get(0))?;
    let total = total.max(0) as usize;
    let visits = total.div_ceil(budget.period.max(1)).min(total);
    let mut next = conn.prepare_cached("SELECT min(id) FROM targets WHERE id > ?1")?;
    for _ in 0..visits {
        let target: Option<i64> = match next.query_row([done.after], |r| r.get(0))? {
            Some(t) => Some(t),
            None => next.query_row([i64::MIN], |r| r.get(0))?,
        };
        let Some(target) = target else { break };
        if visit(conn, target, now, plan, &mut chunks_left, &mut done)? {
            done.after = target;
        } else {
            done.after = target - 1; // not finished: start here next time
            break;
        }
    }
    let cutoff = (now.saturating_sub(plan.total_us())) as f64 / 1e6;
    done.events_expired = conn
        .prepare_cached(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE t < ?1 ORDER BY t LIMIT ?2)",
        )?
        .execute(params![cutoff, budget.events as i64])? as u64;
    Ok(done)
}

/// Bring one target's tiers up to date, reading at most `chunks_left` chunks; false when
/// the budget ran out first.
fn visit(
    conn: &Connection,
    target: i64,
    now: i64,
    plan: &Plan,
    chunks_left: &mut usize,
    done: &mut Done,
) -> Result<bool, Fail> {
    let mut tier = -1;
    while let Some(w) = chunks::next_tier(conn, target, tier)? {
        tier = w;
        if *chunks_left == 0 {
            return Ok(false);
        }
        let rule = plan.rule(w);
        let mut horizon = now.saturating_sub(rule.keep_us);
        if let Some(dest) = rule.dest {
            // Move in whole destination chunks, so each move writes one full chunk; each
            // target at its own phase (whole buckets), so not all targets move at once.
            let width = dest.saturating_mul(1_000_000).max(1);
            let step = width.saturating_mul(BUCKETS_PER_CHUNK);
            let phase = target.rem_euclid(BUCKETS_PER_CHUNK) * width;
            horizon = (horizon - phase).div_euclid(step) * step + phase;
        }
        let (ids, series) = chunks::load_before(conn, target, w, horizon, *chunks_left)?;
        if ids.is_empty() {
            continue;
        }
        *chunks_left -= ids.len();
        let width = w.saturating_mul(1_000_000);
        let mut old = Vec::new();
        let mut rest = Vec::new();
        let mut moved = 0u64;
        for s in series {
            // Raw samples before the horizon, buckets that end by it.
            let cut = s.items.partition_point(|i| {
                i.t.saturating_add(width) <= horizon && (width > 0 || i.t < horizon)
            });
            let mut items = s.items;
            let keep = items.split_off(cut);
            moved += items.len() as u64;
            if !items.is_empty() {
                old.push(SeriesItems {
                    series: s.series,
                    items,
                });
            }
            if !keep.is_empty() {
                rest.push(SeriesItems {
                    series: s.series,
                    items: keep,
                });
            }
        }
        if moved > 0 {
            chunks::delete(conn, &ids)?;
            match rule.dest {
                Some(dest) => {
                    done.downsampled += moved;
                    chunks::put(conn, target, dest, bucketize(old, dest))?;
                }
                None => done.expired += moved,
            }
            chunks::put(conn, target, w, rest)?;
        }
        if *chunks_left == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Fold each series' items (sorted) into buckets of `width` seconds, aligned to the epoch.
fn bucketize(series: Vec<SeriesItems>, width: i64) -> Vec<SeriesItems> {
    let w = width.saturating_mul(1_000_000).max(1);
    series
        .into_iter()
        .map(|s| {
            let mut out: Vec<Item> = Vec::new();
            for item in s.items {
                let start = item.t.div_euclid(w) * w;
                match out.last_mut() {
                    Some(b) if b.t == start => b.absorb(&item),
                    _ => out.push(Item { t: start, ..item }),
                }
            }
            SeriesItems {
                series: s.series,
                items: out,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_min_max_sum_count() {
        let items = (0..10)
            .map(|i| Item::sample(i * 60_000_000, f64::from(i as u8 % 4)))
            .collect();
        let b = bucketize(vec![SeriesItems { series: 1, items }], 300);
        let got: Vec<(i64, u64, f64, f64, f64)> = b[0]
            .items
            .iter()
            .map(|i| (i.t, i.count, i.min, i.max, i.sum))
            .collect();
        assert_eq!(
            got,
            vec![(0, 5, 0.0, 3.0, 6.0), (300_000_000, 5, 0.0, 3.0, 7.0)]
        );
    }
}
