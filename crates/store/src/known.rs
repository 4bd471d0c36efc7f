//! What a writer remembers about the file between flushes: the series ids of each target,
//! looked up once per sample, so the lookup must be cheap.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for integer ids (a multiply; ids are already well spread).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_i64(&mut self, i: i64) {
        self.0 = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by an integer id.
pub(crate) type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;

/// The series ids of one target's fields, in the order first seen. Writers append the same
/// fields in the same order every interval, so the field at position `i` of an append is
/// almost always the `i`-th known one: one string compare instead of a hash.
#[derive(Debug, Default)]
pub(crate) struct KnownSeries {
    order: Vec<(String, i64)>,
    index: HashMap<String, i64>,
}

impl KnownSeries {
    /// The id of `field`, trying position `hint` first.
    pub fn get(&self, field: &str, hint: usize) -> Option<i64> {
        match self.order.get(hint) {
            Some((f, id)) if f == field => Some(*id),
            _ => self.index.get(field).copied(),
        }
    }

    pub fn insert(&mut self, field: String, id: i64) {
        if !self.index.contains_key(&field) {
            self.index.insert(field.clone(), id);
            self.order.push((field, id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_or_index() {
        let mut k = KnownSeries::default();
        k.insert("rss_bytes".into(), 7);
        k.insert("threads".into(), 9);
        k.insert("rss_bytes".into(), 8); // already known: kept
        assert_eq!(k.get("rss_bytes", 0), Some(7));
        assert_eq!(k.get("threads", 0), Some(9), "a wrong hint falls back");
        assert_eq!(k.get("threads", 99), Some(9));
        assert_eq!(k.get("fds", 1), None);
        let mut m: IdMap<u8> = IdMap::default();
        m.insert(-5, 1);
        assert_eq!(m.get(&-5), Some(&1));
    }
}
