//! A chunk: the stored form of one target's series over a stretch of time in one tier, as
//! one blob. Raw chunks hold samples; downsampled chunks hold buckets (count, min, max, sum).
//!
//! Layout: a kind byte, the number of series, then per series a header (series id, item
//! count, raw samples represented, first and last time, flags, body length) and a body (the
//! time column unless the series has the same times as the previous series that wrote its
//! own, then the value columns). The headers alone answer `list()`; one series is decoded
//! without decoding the others. Times are unix microseconds; a bucket's time is its start.

use crate::codec::{self, Corrupt};

/// One stored point of a series: a raw sample (count 1, min = max = sum = the value) or a
/// bucket of `count` samples starting at `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Item {
    /// Sample time, or bucket start, unix µs.
    pub t: i64,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl Item {
    pub fn sample(t: i64, v: f64) -> Item {
        Item {
            t,
            count: 1,
            min: v,
            max: v,
            sum: v,
        }
    }

    /// Fold `other` (the same bucket, more samples) into this one.
    pub fn absorb(&mut self, other: &Item) {
        self.count = self.count.saturating_add(other.count);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }
}

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Raw = 1,
    Buckets = 2,
}

/// The items of one series, in time order, unique times.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeriesItems {
    pub series: i64,
    pub items: Vec<Item>,
}

const SHARED_TIMES: u8 = 1;

/// The most items one series may have in one chunk: writers split at 256 (see
/// `chunks::RAW_CHUNK_ITEMS`); a larger count is damage, refused before allocating.
pub(crate) const MAX_SERIES_ITEMS: usize = 4096;

/// Encode `series` (none empty) relative to `base` (the chunk's first time, stored beside it).
pub(crate) fn encode(kind: Kind, base: i64, series: &[SeriesItems]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + series.iter().map(|s| s.items.len() * 4).sum::<usize>());
    out.push(kind as u8);
    codec::put_varint(&mut out, series.len() as u64);
    let mut owner_times: Vec<i64> = Vec::new();
    let mut times: Vec<i64> = Vec::new();
    let mut body = Vec::new();
    for s in series {
        let (Some(first), Some(last)) = (s.items.first(), s.items.last()) else {
            continue;
        };
        times.clear();
        times.extend(s.items.iter().map(|i| i.t));
        let shared = times == owner_times;
        body.clear();
        if !shared {
            codec::put_times(&mut body, &times);
            std::mem::swap(&mut owner_times, &mut times);
        }
        let column = |f: fn(&Item) -> f64| s.items.iter().map(f).collect::<Vec<f64>>();
        let samples = match kind {
            Kind::Raw => {
                codec::put_values(&mut body, &column(|i| i.min));
                s.items.len() as u64
            }
            Kind::Buckets => {
                codec::put_values(&mut body, &column(|i| i.count as f64));
                codec::put_values(&mut body, &column(|i| i.min));
                codec::put_values(&mut body, &column(|i| i.max));
                codec::put_values(&mut body, &column(|i| i.sum));
                s.items.iter().map(|i| i.count).sum()
            }
        };
        codec::put_varint(&mut out, s.series as u64);
        codec::put_varint(&mut out, s.items.len() as u64);
        codec::put_varint(&mut out, samples);
        codec::put_i64(&mut out, first.t.wrapping_sub(base));
        codec::put_varint(&mut out, last.t.wrapping_sub(first.t) as u64);
        out.push(if shared { SHARED_TIMES } else { 0 });
        codec::put_varint(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
    }
    out
}

/// The header of one series in a chunk, with its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header<'a> {
    pub series: i64,
    /// Items (samples or buckets).
    pub n: usize,
    /// Raw samples represented (`n` for a raw chunk, the sum of bucket counts otherwise).
    pub samples: u64,
    pub first: i64,
    pub last: i64,
    /// Index (in the chunk's headers) of the series whose time column this one uses.
    owner: usize,
    body: &'a [u8],
}

/// A parsed chunk: its kind and series headers.
#[derive(Debug)]
pub(crate) struct Chunk<'a> {
    pub kind: Kind,
    pub headers: Vec<Header<'a>>,
}

impl<'a> Chunk<'a> {
    /// Parse the headers of `blob`, stored with first time `base`.
    pub fn parse(blob: &'a [u8], base: i64) -> Result<Chunk<'a>, Corrupt> {
        let mut buf = blob;
        let kind = match codec::get_u8(&mut buf)? {
            1 => Kind::Raw,
            2 => Kind::Buckets,
            _ => return Err(Corrupt("unknown chunk kind")),
        };
        let count = codec::get_count(&mut buf, usize::MAX)?;
        // Each series takes at least 8 bytes: do not trust the count beyond that.
        let mut headers = Vec::with_capacity(count.min(buf.len() / 8));
        let mut owner = None;
        for i in 0..count {
            let series = codec::get_varint(&mut buf)? as i64;
            let n = codec::get_count(&mut buf, MAX_SERIES_ITEMS)?;
            let samples = codec::get_varint(&mut buf)?;
            let first = base.wrapping_add(codec::get_i64(&mut buf)?);
            let last = first.wrapping_add(codec::get_varint(&mut buf)? as i64);
            let flags = codec::get_u8(&mut buf)?;
            let len = codec::get_varint(&mut buf)?;
            let body = codec::get_bytes(
                &mut buf,
                usize::try_from(len).map_err(|_| Corrupt("bad length"))?,
            )?;
            if n == 0 {
                return Err(Corrupt("empty series in chunk"));
            }
            let owner_index = if flags & SHARED_TIMES != 0 {
                let o: usize = owner.ok_or(Corrupt("shared times without an owner"))?;
                if headers.get(o).map(|h: &Header<'_>| h.n) != Some(n) {
                    return Err(Corrupt("shared times of another length"));
                }
                o
            } else {
                owner = Some(i);
                i
            };
            headers.push(Header {
                series,
                n,
                samples,
                first,
                last,
                owner: owner_index,
                body,
            });
        }
        Ok(Chunk { kind, headers })
    }

    /// The items of the series at `index`.
    pub fn items(&self, index: usize) -> Result<Vec<Item>, Corrupt> {
        let h = self.headers.get(index).ok_or(Corrupt("no such series"))?;
        let mut body = h.body;
        let times = if h.owner == index {
            codec::get_times(&mut body, h.n, h.first)?
        } else {
            let o = &self.headers[h.owner];
            codec::get_times(&mut { o.body }, o.n, o.first)?
        };
        let mut col = || codec::get_values(&mut body, h.n);
        let items = match self.kind {
            Kind::Raw => {
                let v = col()?;
                times
                    .iter()
                    .zip(v)
                    .map(|(&t, v)| Item::sample(t, v))
                    .collect()
            }
            Kind::Buckets => {
                let (count, min, max, sum) = (col()?, col()?, col()?, col()?);
                (0..h.n)
                    .map(|i| Item {
                        t: times[i],
                        count: count[i] as u64,
                        min: min[i],
                        max: max[i],
                        sum: sum[i],
                    })
                    .collect()
            }
        };
        Ok(items)
    }

    /// The items of `series`, if the chunk has it.
    pub fn series(&self, series: i64) -> Result<Option<Vec<Item>>, Corrupt> {
        match self.headers.iter().position(|h| h.series == series) {
            Some(i) => self.items(i).map(Some),
            None => Ok(None),
        }
    }

    /// Every series with its items.
    pub fn all(&self) -> Result<Vec<SeriesItems>, Corrupt> {
        (0..self.headers.len())
            .map(|i| {
                Ok(SeriesItems {
                    series: self.headers[i].series,
                    items: self.items(i)?,
                })
            })
            .collect()
    }
}

/// Cut `series` (each sorted by time, unique times) into chunks of at most `max_items` items
/// per series, disjoint in time. Each chunk is `(first time, last time, series)`.
pub(crate) fn split(
    series: Vec<SeriesItems>,
    max_items: usize,
) -> Vec<(i64, i64, Vec<SeriesItems>)> {
    let max_items = max_items.max(1);
    let mut pos = vec![0usize; series.len()];
    let mut chunks = Vec::new();
    loop {
        // The chunk ends before the first item that would overflow some series.
        let mut cut: Option<i64> = None;
        let mut any = false;
        for (s, &p) in series.iter().zip(&pos) {
            if p < s.items.len() {
                any = true;
                if let Some(item) = s.items.get(p + max_items) {
                    cut = Some(cut.map_or(item.t, |c| c.min(item.t)));
                }
            }
        }
        if !any {
            break;
        }
        let mut part = Vec::new();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for (s, p) in series.iter().zip(pos.iter_mut()) {
            let end = match cut {
                Some(c) => *p + s.items[*p..].partition_point(|i| i.t < c),
                None => s.items.len(),
            };
            if end > *p {
                let items = s.items[*p..end].to_vec();
                first = first.min(items[0].t);
                last = last.max(items[items.len() - 1].t);
                part.push(SeriesItems {
                    series: s.series,
                    items,
                });
                *p = end;
            }
        }
        chunks.push((first, last, part));
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(series: i64, times: &[i64], v: f64) -> SeriesItems {
        SeriesItems {
            series,
            items: times
                .iter()
                .map(|&t| Item::sample(t, v + t as f64))
                .collect(),
        }
    }

    #[test]
    fn raw_chunk_round_trip_shares_times() {
        let times: Vec<i64> = (0..64)
            .map(|i| 1_000_000 + i * 10_000_000 + (i % 3) * 1234)
            .collect();
        let series = vec![
            raw(3, &times, 5e7),
            raw(4, &times, 1.5),
            raw(9, &times[..10], 7.0),
        ];
        let blob = encode(Kind::Raw, 1_000_000, &series);
        let c = Chunk::parse(&blob, 1_000_000).expect("parses");
        assert_eq!(c.headers.len(), 3);
        assert_eq!(c.headers[1].owner, 0, "same times as the first series");
        assert_eq!(c.headers[2].owner, 2);
        assert_eq!(c.all().expect("decodes"), series);
        assert_eq!(c.series(9).expect("decodes"), Some(series[2].items.clone()));
        assert_eq!(c.series(5).expect("decodes"), None);
        assert_eq!(
            (c.headers[0].first, c.headers[0].last),
            (times[0], times[63])
        );
    }

    #[test]
    fn bucket_chunk_round_trip() {
        let items: Vec<Item> = (0..24)
            .map(|i| Item {
                t: i * 300_000_000,
                count: 30,
                min: 1e8 + 4096.0 * i as f64,
                max: 2e8,
                sum: 30.0 * 1.5e8 + 0.5,
            })
            .collect();
        let series = vec![SeriesItems { series: 1, items }];
        let blob = encode(Kind::Buckets, 0, &series);
        let c = Chunk::parse(&blob, 0).expect("parses");
        assert_eq!(c.kind, Kind::Buckets);
        assert_eq!(c.headers[0].samples, 24 * 30);
        assert_eq!(c.all().expect("decodes"), series);
    }

    #[test]
    fn corrupt_chunks_are_errors_not_panics() {
        let times: Vec<i64> = (0..8).collect();
        let blob = encode(Kind::Raw, 0, &[raw(1, &times, 1.0), raw(2, &times, 2.0)]);
        for cut in 0..blob.len() {
            if let Ok(c) = Chunk::parse(&blob[..cut], 0) {
                let _ = c.all();
            }
        }
        let mut bad = blob.clone();
        bad[0] = 7;
        assert!(Chunk::parse(&bad, 0).is_err());
    }

    #[test]
    fn split_keeps_series_aligned_and_bounded() {
        let a: Vec<i64> = (0..10).collect();
        let b: Vec<i64> = (5..8).collect();
        let chunks = split(vec![raw(1, &a, 0.0), raw(2, &b, 0.0)], 4);
        let ranges: Vec<(i64, i64)> = chunks.iter().map(|c| (c.0, c.1)).collect();
        assert_eq!(ranges, vec![(0, 3), (4, 7), (8, 9)]);
        assert_eq!(chunks[1].2.len(), 2);
        let total: usize = chunks
            .iter()
            .flat_map(|c| &c.2)
            .map(|s| s.items.len())
            .sum();
        assert_eq!(total, 13);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_without_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            crate::fuzz_decode(&data);
        }

        #[test]
        fn any_series_round_trip(
            steps in proptest::collection::vec((1i64..20_000_000, proptest::num::f64::ANY, 0u8..4), 1..200),
            start in proptest::num::i64::ANY,
        ) {
            let mut t = start / 2;
            let items: Vec<Item> = steps
                .iter()
                .map(|&(dt, v, kind)| {
                    t = t.wrapping_add(dt);
                    // Some page-sized integers, some arbitrary floats (NaN is never stored).
                    let v = match kind {
                        0 => 4096.0 * (dt % 1000) as f64,
                        1 => (dt % 7) as f64,
                        _ if v.is_nan() => 0.5,
                        _ => v,
                    };
                    Item::sample(t, v)
                })
                .collect();
            let series = vec![SeriesItems { series: 5, items: items.clone() }, SeriesItems { series: 6, items }];
            let blob = encode(Kind::Raw, start / 2, &series);
            let back = Chunk::parse(&blob, start / 2).and_then(|c| c.all());
            let bits = |s: &[SeriesItems]| -> Vec<(i64, u64)> {
                s.iter().flat_map(|s| s.items.iter().map(|i| (i.t, i.min.to_bits()))).collect()
            };
            proptest::prop_assert_eq!(bits(&back.expect("decodes")), bits(&series));
        }
    }
}
