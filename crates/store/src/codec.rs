//! Byte-level encodings of times and values: varints, zigzag, delta-of-delta time columns and
//! value columns (constant, integer deltas scaled by their gcd, or XOR of f64 bits).
//!
//! Decoding never panics and never allocates more than the input justifies: every column
//! value takes at least one byte, except in a constant column, whose length the caller caps
//! (see `chunk::MAX_SERIES_ITEMS`). Arithmetic wraps, so encode → decode is exact for any
//! `i64` and any `f64`.

use std::fmt;

use leakscope_core::series::gcd;

/// Integers whose magnitude is at most this are stored exactly as `i64` deltas.
const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

/// A blob that does not decode: truncated, or written by something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Corrupt(pub &'static str);

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

pub(crate) fn get_varint(buf: &mut &[u8]) -> Result<u64, Corrupt> {
    let mut x = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first().ok_or(Corrupt("truncated varint"))?;
        *buf = rest;
        x |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(x);
        }
    }
    Err(Corrupt("varint longer than 64 bits"))
}

pub(crate) fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

pub(crate) fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

pub(crate) fn put_i64(out: &mut Vec<u8>, i: i64) {
    put_varint(out, zigzag(i));
}

pub(crate) fn get_i64(buf: &mut &[u8]) -> Result<i64, Corrupt> {
    get_varint(buf).map(unzigzag)
}

pub(crate) fn get_bytes<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], Corrupt> {
    if buf.len() < n {
        return Err(Corrupt("truncated"));
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

fn get_u64(buf: &mut &[u8]) -> Result<u64, Corrupt> {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(get_bytes(buf, 8)?);
    Ok(u64::from_le_bytes(bytes))
}

pub(crate) fn get_u8(buf: &mut &[u8]) -> Result<u8, Corrupt> {
    Ok(get_bytes(buf, 1)?[0])
}

/// A count of items, at most `max`.
pub(crate) fn get_count(buf: &mut &[u8], max: usize) -> Result<usize, Corrupt> {
    let n = get_varint(buf)?;
    if n > max as u64 {
        return Err(Corrupt("implausible item count"));
    }
    Ok(n as usize)
}

/// `v` as an exact integer, when it is one (not -0.0, magnitude at most 2^53).
pub(crate) fn as_exact_int(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() <= MAX_EXACT_INT && !(v == 0.0 && v.is_sign_negative()))
        .then_some(v as i64)
}

/// Times after the first (which the caller stores) as deltas of deltas, zigzag varints.
pub(crate) fn put_times(out: &mut Vec<u8>, times: &[i64]) {
    let mut prev_delta = 0i64;
    for w in times.windows(2) {
        let delta = w[1].wrapping_sub(w[0]);
        put_i64(out, delta.wrapping_sub(prev_delta));
        prev_delta = delta;
    }
}

/// Read `n` times written by [`put_times`], the first being `first`.
pub(crate) fn get_times(buf: &mut &[u8], n: usize, first: i64) -> Result<Vec<i64>, Corrupt> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if buf.len() < n - 1 {
        return Err(Corrupt("truncated time column"));
    }
    let mut out = Vec::with_capacity(n);
    out.push(first);
    let (mut t, mut delta) = (first, 0i64);
    for _ in 1..n {
        delta = delta.wrapping_add(get_i64(buf)?);
        t = t.wrapping_add(delta);
        out.push(t);
    }
    Ok(out)
}

const COL_CONST: u8 = 0;
const COL_INT: u8 = 1;
const COL_XOR: u8 = 2;
/// In an XOR column, "same bits as the previous value".
const XOR_SAME: u8 = 0xff;

/// A value column: one mode byte, then the values. All equal (bit for bit): 8 bytes in all.
/// All exact integers: the gcd `g` of their steps, the first value, then each step / `g` as
/// zigzag varints (memory sizes move in pages, so `g` is often 4096). Otherwise each value's
/// bits XOR the previous one's, without the zero bytes at either end.
pub(crate) fn put_values(out: &mut Vec<u8>, values: &[f64]) {
    let Some(&first) = values.first() else {
        return;
    };
    if values.iter().all(|v| v.to_bits() == first.to_bits()) {
        out.push(COL_CONST);
        out.extend_from_slice(&first.to_bits().to_le_bytes());
        return;
    }
    let ints: Option<Vec<i64>> = values.iter().map(|&v| as_exact_int(v)).collect();
    if let Some(ints) = ints {
        let g = ints
            .windows(2)
            .fold(0u64, |g, w| gcd(g, w[1].wrapping_sub(w[0]).unsigned_abs()))
            .max(1);
        out.push(COL_INT);
        put_varint(out, g);
        put_i64(out, ints[0]);
        for w in ints.windows(2) {
            // Exact: every step is a multiple of g, and |step| <= 2^54.
            put_i64(out, w[1].wrapping_sub(w[0]) / g as i64);
        }
        return;
    }
    out.push(COL_XOR);
    let mut prev = 0u64;
    for v in values {
        let bits = v.to_bits();
        let x = bits ^ prev;
        prev = bits;
        if x == 0 {
            out.push(XOR_SAME);
            continue;
        }
        let lead = (x.leading_zeros() / 8) as usize;
        let trail = (x.trailing_zeros() / 8) as usize;
        out.push(((lead << 4) | trail) as u8);
        let bytes = x.to_le_bytes();
        out.extend_from_slice(&bytes[trail..8 - lead]);
    }
}

/// Read `n` values written by [`put_values`].
pub(crate) fn get_values(buf: &mut &[u8], n: usize) -> Result<Vec<f64>, Corrupt> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match get_u8(buf)? {
        COL_CONST => {
            let bits = get_u64(buf)?;
            Ok(vec![f64::from_bits(bits); n])
        }
        COL_INT => {
            let g = get_varint(buf)? as i64;
            if buf.len() < n {
                return Err(Corrupt("truncated value column"));
            }
            let mut v = get_i64(buf)?;
            let mut out = Vec::with_capacity(n);
            out.push(v as f64);
            for _ in 1..n {
                v = v.wrapping_add(get_i64(buf)?.wrapping_mul(g));
                out.push(v as f64);
            }
            Ok(out)
        }
        COL_XOR => {
            if buf.len() < n {
                return Err(Corrupt("truncated value column"));
            }
            let mut out = Vec::with_capacity(n);
            let mut prev = 0u64;
            for _ in 0..n {
                let c = get_u8(buf)?;
                if c != XOR_SAME {
                    let (lead, trail) = (usize::from(c >> 4), usize::from(c & 0xf));
                    if lead + trail >= 8 {
                        return Err(Corrupt("bad XOR control byte"));
                    }
                    let mut bytes = [0u8; 8];
                    bytes[trail..8 - lead].copy_from_slice(get_bytes(buf, 8 - lead - trail)?);
                    prev ^= u64::from_le_bytes(bytes);
                }
                out.push(f64::from_bits(prev));
            }
            Ok(out)
        }
        _ => Err(Corrupt("unknown value column mode")),
    }
}

/// One value on its own (the recent log): an exact integer as `zigzag << 1`, else the marker
/// `1` and the 8 bytes of the f64.
pub(crate) fn put_value(out: &mut Vec<u8>, v: f64) {
    match as_exact_int(v) {
        Some(i) => put_varint(out, zigzag(i) << 1),
        None => {
            out.push(1);
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }
}

pub(crate) fn get_value(buf: &mut &[u8]) -> Result<f64, Corrupt> {
    let x = get_varint(buf)?;
    if x & 1 == 0 {
        return Ok(unzigzag(x >> 1) as f64);
    }
    if x != 1 {
        return Err(Corrupt("bad value marker"));
    }
    Ok(f64::from_bits(get_u64(buf)?))
}

/// Unix seconds to whole microseconds (the store's time resolution).
pub(crate) fn to_us(t: f64) -> i64 {
    (t * 1e6).round() as i64
}

/// Whole microseconds back to unix seconds.
pub(crate) fn from_us(us: i64) -> f64 {
    us as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values_round_trip(values: &[f64]) -> usize {
        let mut out = Vec::new();
        put_values(&mut out, values);
        let mut buf = out.as_slice();
        let back = get_values(&mut buf, values.len()).expect("decodes");
        assert!(buf.is_empty());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(values), "{values:?}");
        out.len()
    }

    #[test]
    fn value_columns_are_exact_and_small_for_pages() {
        let pages: Vec<f64> = (0..64).map(|i| 5e7 + 4096.0 * f64::from(i % 7)).collect();
        let n = values_round_trip(&pages);
        assert!(n < 80, "64 page-sized values took {n} bytes");
        assert_eq!(
            values_round_trip(&[7.0; 64]),
            9,
            "a constant column is 9 bytes"
        );
        values_round_trip(&[0.0, -0.0, 1.0]);
        values_round_trip(&[0.25, 0.5, 1e300, f64::MIN_POSITIVE, -3.5, f64::MAX]);
        values_round_trip(&[MAX_EXACT_INT, -MAX_EXACT_INT, 0.0, MAX_EXACT_INT]);
        values_round_trip(&[MAX_EXACT_INT * 2.0, 1.0]);
        values_round_trip(&[f64::NAN, f64::INFINITY, 1.0]);
    }

    #[test]
    fn times_round_trip_with_wrapping() {
        for times in [
            vec![
                1_700_000_000_000_000i64,
                1_700_000_010_000_000,
                1_700_000_020_000_123,
            ],
            vec![i64::MIN, i64::MAX, 0, -5],
            vec![42],
        ] {
            let mut out = Vec::new();
            put_times(&mut out, &times);
            let mut buf = out.as_slice();
            assert_eq!(
                get_times(&mut buf, times.len(), times[0]).expect("decodes"),
                times
            );
        }
    }

    #[test]
    fn single_values_and_varints() {
        for v in [0.0, -0.0, 1.5, -4096.0, 1e20, MAX_EXACT_INT] {
            let mut out = Vec::new();
            put_value(&mut out, v);
            let mut buf = out.as_slice();
            assert_eq!(get_value(&mut buf).expect("decodes").to_bits(), v.to_bits());
        }
        for x in [0u64, 127, 128, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, x);
            assert_eq!(get_varint(&mut out.as_slice()), Ok(x));
        }
        assert!(get_varint(&mut [0xffu8; 11].as_slice()).is_err());
        assert!(get_values(&mut [COL_XOR, 0x80].as_slice(), 1).is_err());
        assert!(get_values(&mut [COL_INT, 1].as_slice(), 1000).is_err());
        assert_eq!(to_us(1_700_000_003.0), 1_700_000_003_000_000);
        assert_eq!(from_us(to_us(1_700_000_003.25)), 1_700_000_003.25);
    }
}
