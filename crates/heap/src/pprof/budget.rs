//! What decoding a profile may build, measured before anything is built.
//!
//! A protobuf entry costs as little as two bytes on the wire (an empty sample is `12 00`) but
//! tens of bytes once decoded (a `Sample` is three `Vec`s), and gzip shrinks runs of such
//! entries a thousandfold. So a 58 KB file could decode to 2 GB. [`survey`] walks the wire
//! format once without allocating, counts every repeated entry (samples, their location ids,
//! values and labels, locations and their lines, functions, mappings, strings) and computes
//! the bytes the decoded [`Profile`](super::Profile) will take; [`Limits::check`] refuses
//! a profile whose decoded size its own size cannot justify, and [`Limits::inflated_cap`]
//! bounds how far gzip may inflate it, so a bomb stops after a few MB of output.

use super::decode::ParseError;
use super::proto::{Function, Label, Line, Location, Mapping, Sample, ValueType};

/// How much a profile may inflate and decode to. The defaults hold real profiles with a
/// margin: Go's are gzipped about 4-fold, and decode to 5-12 times their decompressed size
/// (measured on Go 1.19 heap profiles of 3 to 200,000 samples; deep stacks and a label per
/// sample are the most, as location ids of one byte become eight). Entries built to be
/// cheap on the wire and dear in memory (empty samples: 2 bytes, 72 decoded) go past 24.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest decompressed profile accepted (bytes), whatever the compression.
    pub max_decompressed_bytes: u64,
    /// Largest compression ratio accepted (decompressed ÷ compressed bytes) ...
    pub max_inflation: u64,
    /// ... once the decompressed output is past this many bytes.
    pub inflation_floor_bytes: u64,
    /// Largest memory the decoded profile may take (bytes), whatever its size.
    pub max_decoded_bytes: u64,
    /// Largest decoded size per byte of the (decompressed) profile ...
    pub max_decoded_per_byte: u64,
    /// ... once the decoded size is past this many bytes.
    pub decoded_floor_bytes: u64,
}

/// The default cap on a decompressed profile (2 GiB).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 2 << 30;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_inflation: 100,
            inflation_floor_bytes: 8 << 20,
            max_decoded_bytes: 2 << 30,
            max_decoded_per_byte: 24,
            decoded_floor_bytes: 64 << 20,
        }
    }
}

impl Limits {
    /// The most bytes `compressed_len` bytes of gzip may inflate to.
    pub fn inflated_cap(&self, compressed_len: u64) -> u64 {
        compressed_len
            .saturating_mul(self.max_inflation)
            .max(self.inflation_floor_bytes)
            .min(self.max_decompressed_bytes)
    }

    /// The most bytes a decompressed profile of `raw_len` bytes may decode to.
    pub fn decoded_cap(&self, raw_len: u64) -> u64 {
        raw_len
            .saturating_mul(self.max_decoded_per_byte)
            .max(self.decoded_floor_bytes)
            .min(self.max_decoded_bytes)
    }

    /// Refuse a profile of `raw_len` (decompressed) bytes whose decoded `shape` is too big.
    pub fn check(&self, shape: &Shape, raw_len: u64) -> Result<(), ParseError> {
        let cap = self.decoded_cap(raw_len);
        if shape.decoded_bytes <= cap {
            return Ok(());
        }
        let what = format!(
            "its {} samples, {} locations, {} functions and {} strings would take {} MiB to decode",
            shape.samples,
            shape.locations,
            shape.functions,
            shape.strings,
            shape.decoded_bytes >> 20
        );
        let message = if cap == self.max_decoded_bytes {
            format!(
                "{what}, more than the {} MiB leakscope allows one profile",
                cap >> 20
            )
        } else {
            format!(
                "{what}, {}× its {raw_len} bytes; real profiles need at most {}×, so it is \
                 corrupt or built to exhaust memory",
                shape.decoded_bytes / raw_len.max(1),
                self.max_decoded_per_byte
            )
        };
        Err(ParseError {
            offset: None,
            message,
        })
    }
}

/// The counts of a profile's repeated entries and the memory they take once decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    /// `sample_type` entries.
    pub sample_types: u64,
    /// `sample` entries.
    pub samples: u64,
    /// `mapping` entries.
    pub mappings: u64,
    /// `location` entries.
    pub locations: u64,
    /// `function` entries.
    pub functions: u64,
    /// `string_table` entries.
    pub strings: u64,
    /// `comment` entries.
    pub comments: u64,
    /// Bytes the decoded profile takes: its tables (allocated at their exact counts) and
    /// every nested vector and string, with allocator overhead.
    pub decoded_bytes: u64,
}

/// Bookkeeping bytes the allocator spends on each heap block (an estimate).
const BLOCK_OVERHEAD: u64 = 16;

/// Heap bytes of a `Vec` of `n` elements of `size` bytes grown by pushes (capacity doubles
/// from 4), as prost grows nested vectors.
fn pushed_vec_bytes(n: u64, size: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    n.max(4)
        .checked_next_power_of_two()
        .unwrap_or(u64::MAX)
        .saturating_mul(size as u64)
        .saturating_add(BLOCK_OVERHEAD)
}

fn table_bytes(n: u64, size: usize) -> u64 {
    n.saturating_mul(size as u64)
}

/// One field read off the wire.
enum Field<'a> {
    /// A varint or a fixed-width scalar (counted, value unused).
    Scalar,
    /// A length-delimited payload and its offset.
    Bytes(&'a [u8], usize),
}

/// A cursor over protobuf wire data; `base` is the offset of `buf` in the whole profile.
struct Wire<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Wire<'a> {
    fn fail<T>(&self, at: usize, what: &str) -> Result<T, ParseError> {
        Err(ParseError {
            offset: Some((self.base + at) as u64),
            message: format!("not a pprof profile.proto: {what}; is the file complete?"),
        })
    }

    fn varint(&mut self) -> Result<u64, ParseError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return self.fail(start, "a number runs past the end");
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        self.fail(start, "a number is longer than 10 bytes")
    }

    fn skip(&mut self, n: u64, start: usize) -> Result<&'a [u8], ParseError> {
        let left = (self.buf.len() - self.pos) as u64;
        if n > left {
            return self.fail(start, "a field runs past the end");
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    /// The next (tag, field), or None at the end.
    fn next(&mut self) -> Result<Option<(u64, Field<'a>)>, ParseError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let start = self.pos;
        let key = self.varint()?;
        let (tag, wire) = (key >> 3, key & 7);
        if tag == 0 {
            return self.fail(start, "a field has tag 0");
        }
        let field = match wire {
            0 => {
                self.varint()?;
                Field::Scalar
            }
            1 => {
                self.skip(8, start)?;
                Field::Scalar
            }
            5 => {
                self.skip(4, start)?;
                Field::Scalar
            }
            2 => {
                let n = self.varint()?;
                let at = self.base + self.pos;
                Field::Bytes(self.skip(n, start)?, at)
            }
            _ => {
                return self.fail(
                    start,
                    &format!("wire type {wire} is not used by profile.proto"),
                )
            }
        };
        Ok(Some((tag, field)))
    }
}

/// Entries of a repeated scalar field: one for an unpacked entry, one per varint when packed.
fn scalars(f: &Field<'_>) -> u64 {
    match f {
        Field::Scalar => 1,
        Field::Bytes(b, _) => b.iter().filter(|&&x| x < 0x80).count() as u64,
    }
}

/// Walk `raw` (a decompressed profile.proto) and measure it; fails on malformed wire data
/// with the byte offset.
pub fn survey(raw: &[u8]) -> Result<Shape, ParseError> {
    let mut s = Shape::default();
    let mut nested: u64 = 0;
    let mut w = Wire {
        buf: raw,
        pos: 0,
        base: 0,
    };
    while let Some((tag, f)) = w.next()? {
        match (tag, &f) {
            (1, _) => s.sample_types += 1,
            (2, Field::Bytes(b, at)) => {
                s.samples += 1;
                nested = nested.saturating_add(sample_bytes(b, *at)?);
            }
            (3, _) => s.mappings += 1,
            (4, Field::Bytes(b, at)) => {
                s.locations += 1;
                nested = nested.saturating_add(location_bytes(b, *at)?);
            }
            (5, _) => s.functions += 1,
            (6, Field::Bytes(b, _)) => {
                s.strings += 1;
                if !b.is_empty() {
                    nested = nested.saturating_add(b.len() as u64 + BLOCK_OVERHEAD);
                }
            }
            (13, _) => s.comments += scalars(&f),
            _ => {}
        }
    }
    s.decoded_bytes = [
        table_bytes(s.sample_types, std::mem::size_of::<ValueType>()),
        table_bytes(s.samples, std::mem::size_of::<Sample>()),
        table_bytes(s.mappings, std::mem::size_of::<Mapping>()),
        table_bytes(s.locations, std::mem::size_of::<Location>()),
        table_bytes(s.functions, std::mem::size_of::<Function>()),
        table_bytes(s.strings, std::mem::size_of::<String>()),
        table_bytes(s.comments, std::mem::size_of::<i64>()),
        nested,
    ]
    .iter()
    .fold(0u64, |a, &b| a.saturating_add(b));
    Ok(s)
}

/// Heap bytes of one sample's location ids, values and labels.
fn sample_bytes(b: &[u8], base: usize) -> Result<u64, ParseError> {
    let (mut ids, mut values, mut labels) = (0u64, 0u64, 0u64);
    let mut w = Wire {
        buf: b,
        pos: 0,
        base,
    };
    while let Some((tag, f)) = w.next()? {
        match tag {
            1 => ids += scalars(&f),
            2 => values += scalars(&f),
            3 => labels += 1,
            _ => {}
        }
    }
    Ok(pushed_vec_bytes(ids, 8)
        .saturating_add(pushed_vec_bytes(values, 8))
        .saturating_add(pushed_vec_bytes(labels, std::mem::size_of::<Label>())))
}

/// Heap bytes of one location's lines.
fn location_bytes(b: &[u8], base: usize) -> Result<u64, ParseError> {
    let mut lines = 0u64;
    let mut w = Wire {
        buf: b,
        pos: 0,
        base,
    };
    while let Some((tag, _)) = w.next()? {
        if tag == 4 {
            lines += 1;
        }
    }
    Ok(pushed_vec_bytes(lines, std::mem::size_of::<Line>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes_match_what_prost_builds() {
        let p = super::super::Profile {
            sample_type: vec![ValueType { r#type: 1, unit: 2 }],
            sample: vec![
                Sample {
                    location_id: vec![1, 2, 300],
                    value: vec![7],
                    label: vec![Label::default()],
                },
                Sample::default(),
            ],
            location: vec![Location {
                id: 1,
                line: vec![Line::default(); 5],
                ..Location::default()
            }],
            string_table: vec!["".into(), "space".into(), "bytes".into()],
            comment: vec![1, 2],
            ..Default::default()
        };
        let raw = prost::Message::encode_to_vec(&p);
        let s = survey(&raw).expect("valid");
        assert_eq!(
            (
                s.sample_types,
                s.samples,
                s.locations,
                s.strings,
                s.comments
            ),
            (1, 2, 1, 3, 2)
        );
        let expected = 16
            + 2 * std::mem::size_of::<Sample>() as u64
            + (4 * 8 + 16) * 2
            + (4 * std::mem::size_of::<Label>() as u64 + 16)
            + std::mem::size_of::<Location>() as u64
            + (8 * std::mem::size_of::<Line>() as u64 + 16)
            + 3 * 24
            + (5 + 16) * 2
            + 2 * 8;
        assert_eq!(s.decoded_bytes, expected);
    }

    #[test]
    fn malformed_wire_data_names_the_offset() {
        // A string field whose length runs past the end, after 4 good bytes.
        let e = survey(&[0x32, 0x00, 0x32, 0x00, 0x32, 0x05, b'a']).expect_err("truncated");
        assert_eq!(e.offset, Some(4));
        // A group (wire type 3).
        let e = survey(&[0x0b]).expect_err("group");
        assert!(e.message.contains("wire type 3"), "{}", e.message);
    }

    #[test]
    fn caps_grow_with_the_input_up_to_the_maximum() {
        let l = Limits::default();
        assert_eq!(l.inflated_cap(1000), 8 << 20);
        assert_eq!(l.inflated_cap(1 << 20), 100 << 20);
        assert_eq!(l.inflated_cap(1 << 40), 2 << 30);
        assert_eq!(l.decoded_cap(1000), 64 << 20);
        assert_eq!(l.decoded_cap(50 << 20), 1200 << 20);
        assert_eq!(l.decoded_cap(1 << 40), 2 << 30);
    }
}
