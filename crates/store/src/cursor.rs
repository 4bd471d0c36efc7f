//! Streaming one series in time order from wherever its points live: the downsampled tiers,
//! the raw chunks and the recent log (in a v1/v2 file: the old sample tables), a few chunks
//! at a time, so memory stays bounded however long the series is.

use std::collections::VecDeque;

use rusqlite::{params, Connection};

use crate::chunk::{Chunk, Item};
use crate::chunks;
use crate::codec::to_us;
use crate::error::Fail;
use crate::recent;

/// Chunks read per query.
const PAGE_CHUNKS: i64 = 4;
/// Rows of a v1/v2 `samples` table read per query.
const PAGE_ROWS: i64 = 4096;

enum Source {
    /// A tier of the `chunks` table, read after chunk start `after` (µs).
    Chunks { tier: i64, after: i64 },
    /// A v1/v2 `samples` table, read after time `after` (seconds).
    Legacy { after: f64 },
}

struct Stream {
    source: Source,
    items: VecDeque<Item>,
    done: bool,
}

impl Stream {
    fn new(source: Source) -> Stream {
        Stream {
            source,
            items: VecDeque::new(),
            done: false,
        }
    }

    fn head(&mut self, conn: &Connection, target: i64, series: i64) -> Result<Option<Item>, Fail> {
        while self.items.is_empty() && !self.done {
            self.fill(conn, target, series)?;
        }
        Ok(self.items.front().copied())
    }

    fn fill(&mut self, conn: &Connection, target: i64, series: i64) -> Result<(), Fail> {
        let mut n = 0;
        match &mut self.source {
            Source::Chunks { tier, after } => {
                let mut stmt = conn.prepare_cached(
                    "SELECT t0, data FROM chunks WHERE target_id = ?1 AND tier = ?2 AND t0 > ?3
                     ORDER BY t0 LIMIT ?4",
                )?;
                let mut rows = stmt.query(params![target, *tier, *after, PAGE_CHUNKS])?;
                while let Some(r) = rows.next()? {
                    n += 1;
                    *after = r.get(0)?;
                    let c = Chunk::parse(r.get_ref(1)?.as_blob()?, *after)?;
                    if let Some(items) = c.series(series)? {
                        self.items.extend(items);
                    }
                }
                self.done = n < PAGE_CHUNKS;
            }
            Source::Legacy { after } => {
                let mut stmt = conn.prepare_cached(
                    "SELECT t, v FROM samples WHERE series_id = ?1 AND t > ?2 ORDER BY t LIMIT ?3",
                )?;
                let mut rows = stmt.query(params![series, *after, PAGE_ROWS])?;
                while let Some(r) = rows.next()? {
                    n += 1;
                    *after = r.get(0)?;
                    self.items.push_back(Item::sample(to_us(*after), r.get(1)?));
                }
                self.done = n < PAGE_ROWS;
            }
        }
        Ok(())
    }
}

/// One series' points, oldest first (bucket midpoints order downsampled ones).
pub(crate) struct SeriesCursor {
    target: i64,
    series: i64,
    /// Downsampled tiers: (bucket width µs, stream).
    tiers: Vec<(i64, Stream)>,
    raw: Stream,
    /// Flushed samples not yet compacted, sorted; they win over raw chunks on equal times.
    log: VecDeque<Item>,
}

impl SeriesCursor {
    /// A cursor over `series` of `target` in a file of schema `version`.
    pub fn open(
        conn: &Connection,
        version: i64,
        target: i64,
        series: i64,
    ) -> Result<SeriesCursor, Fail> {
        let mut cursor = SeriesCursor {
            target,
            series,
            tiers: Vec::new(),
            raw: Stream::new(Source::Legacy { after: f64::MIN }),
            log: VecDeque::new(),
        };
        if version >= 3 {
            cursor.raw = Stream::new(Source::Chunks {
                tier: 0,
                after: i64::MIN,
            });
            let mut tier = 0;
            while let Some(w) = chunks::next_tier(conn, target, tier)? {
                tier = w;
                let stream = Stream::new(Source::Chunks {
                    tier: w,
                    after: i64::MIN,
                });
                cursor.tiers.push((w.saturating_mul(1_000_000), stream));
            }
            cursor.log = recent_items(conn, target, series)?.into();
        } else if version == 2 {
            let mut stmt = conn.prepare_cached(
                "SELECT t, v FROM samples_log WHERE series_id = ?1 ORDER BY t, rowid",
            )?;
            let mut items = stmt
                .query_map([series], |r| Ok(Item::sample(to_us(r.get(0)?), r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            chunks::sort_keep_last(&mut items);
            cursor.log = items.into();
        }
        Ok(cursor)
    }

    /// The next point: its bucket width (µs; 0 for a raw sample) and item.
    pub fn next(&mut self, conn: &Connection) -> Result<Option<(i64, Item)>, Fail> {
        let (target, series) = (self.target, self.series);
        // The raw candidate: raw chunks merged with the log.
        let raw = loop {
            let a = self.raw.head(conn, target, series)?;
            match (a, self.log.front().copied()) {
                (Some(x), Some(y)) if x.t == y.t => {
                    self.raw.items.pop_front(); // replaced by the log's
                }
                (Some(x), Some(y)) => break Some(x.t < y.t),
                (Some(_), None) => break Some(true),
                (None, Some(_)) => break Some(false),
                (None, None) => break None,
            }
        };
        // Some(None): raw or log; Some(Some(k)): tier k.
        let mut best: Option<(i64, Option<usize>)> = raw.map(|from_chunks| {
            let t = if from_chunks {
                self.raw.items[0].t
            } else {
                self.log[0].t
            };
            (t, None)
        });
        for (k, (width, stream)) in self.tiers.iter_mut().enumerate() {
            if let Some(item) = stream.head(conn, target, series)? {
                let key = item.t.saturating_add(*width / 2);
                if best.is_none_or(|(b, _)| key < b) {
                    best = Some((key, Some(k)));
                }
            }
        }
        Ok(match best {
            None => None,
            Some((_, Some(k))) => {
                let (width, stream) = &mut self.tiers[k];
                stream.items.pop_front().map(|i| (*width, i))
            }
            Some((_, None)) => match raw {
                Some(true) => self.raw.items.pop_front().map(|i| (0, i)),
                _ => self.log.pop_front().map(|i| (0, i)),
            },
        })
    }
}

/// The flushed but not yet compacted samples of `series` (of `target`), sorted, later writes
/// winning on equal times.
fn recent_items(conn: &Connection, target: i64, series: i64) -> Result<Vec<Item>, Fail> {
    let mut items: Vec<Item> = recent::pending(conn, Some(target))?
        .iter()
        .filter(|l| l.series == series)
        .map(|l| Item::sample(l.t, l.v))
        .collect();
    chunks::sort_keep_last(&mut items);
    Ok(items)
}
