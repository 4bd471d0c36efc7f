//! The recent log: each flush appends, per part of the targets (`target id % parts`), one row
//! holding that part's samples, so a flush writes a handful of rows whatever the number of
//! series. Compaction later moves a whole part into chunks.
//!
//! Row layout: runs of one target's samples: target id, count, then per sample the series id,
//! the time as a zigzag delta from the previous sample's (µs), and the value (see
//! [`codec::put_value`]).

use crate::codec::{self, Corrupt};

/// One sample in the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Logged {
    pub target: i64,
    pub series: i64,
    /// Unix µs.
    pub t: i64,
    pub v: f64,
}

/// Encode `samples` (in the order they were appended) as one log row.
pub(crate) fn encode(samples: &[Logged]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 8);
    let mut prev_t = 0i64;
    for run in samples.chunk_by(|a, b| a.target == b.target) {
        codec::put_varint(&mut out, run[0].target as u64);
        codec::put_varint(&mut out, run.len() as u64);
        for s in run {
            codec::put_varint(&mut out, s.series as u64);
            codec::put_i64(&mut out, s.t.wrapping_sub(prev_t));
            prev_t = s.t;
            codec::put_value(&mut out, s.v);
        }
    }
    out
}

/// Decode a log row, appending its samples to `out` in order; only those of `target` when given.
pub(crate) fn decode(
    blob: &[u8],
    target: Option<i64>,
    out: &mut Vec<Logged>,
) -> Result<(), Corrupt> {
    let mut buf = blob;
    let mut prev_t = 0i64;
    while !buf.is_empty() {
        let tg = codec::get_varint(&mut buf)? as i64;
        // Each sample takes at least 3 bytes, so a false count ends at the blob's end.
        let n = codec::get_count(&mut buf, usize::MAX)?;
        for _ in 0..n {
            let series = codec::get_varint(&mut buf)? as i64;
            let t = prev_t.wrapping_add(codec::get_i64(&mut buf)?);
            prev_t = t;
            let v = codec::get_value(&mut buf)?;
            if target.is_none_or(|want| want == tg) {
                out.push(Logged {
                    target: tg,
                    series,
                    t,
                    v,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_filter() {
        let samples = vec![
            Logged {
                target: 3,
                series: 10,
                t: 1_700_000_000_000_000,
                v: 5e7,
            },
            Logged {
                target: 3,
                series: 11,
                t: 1_700_000_000_000_000,
                v: 0.25,
            },
            Logged {
                target: 5,
                series: 20,
                t: 1_700_000_000_004_000,
                v: 7.0,
            },
            Logged {
                target: 3,
                series: 10,
                t: 1_700_000_010_000_000,
                v: 5e7,
            },
        ];
        let blob = encode(&samples);
        let mut out = Vec::new();
        decode(&blob, None, &mut out).expect("decodes");
        assert_eq!(out, samples);
        out.clear();
        decode(&blob, Some(5), &mut out).expect("decodes");
        assert_eq!(out, vec![samples[2]]);
        for cut in 0..blob.len() {
            let _ = decode(&blob[..cut], None, &mut Vec::new());
        }
    }
}
