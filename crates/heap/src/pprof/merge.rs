//! pprof's `profile.Merge`, for one or more profiles with signs (+1 for the source, -1 for a
//! `-base`): locations, functions and mappings are merged by identity (address relative to the
//! mapping, mapping size/offset/build id, function name/file/start line), samples by their
//! merged stack plus labels, and the values of equal samples are added. Strings are interned
//! once, so later steps compare integers.

use std::hash::{Hash, Hasher};

use super::fxhash::{FxHashMap as HashMap, FxHasher};

use super::proto::Profile;

/// Interned strings shared by every merged profile; id 0 is the empty string.
#[derive(Debug, Default)]
pub struct Strings {
    map: HashMap<String, u32>,
    list: Vec<String>,
}

impl Strings {
    fn new() -> Self {
        let mut s = Self::default();
        s.intern("");
        s
    }

    /// The id of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let id = self.list.len() as u32;
        self.list.push(s.to_owned());
        self.map.insert(s.to_owned(), id);
        id
    }

    /// The string of `id` (empty for an unknown id).
    pub fn get(&self, id: u32) -> &str {
        self.list.get(id as usize).map(String::as_str).unwrap_or("")
    }
}

/// A merged function (string ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func {
    /// Start line in the source file.
    pub start_line: i64,
    /// Function name.
    pub name: u32,
    /// System (mangled) name.
    pub system_name: u32,
    /// Source file.
    pub filename: u32,
}

/// A merged location: its mapping's file and its lines, callee first.
#[derive(Debug, Clone)]
pub struct Loc {
    /// File name of the mapping (string id, 0 when none).
    pub objfile: u32,
    /// Address relative to the mapping start.
    pub rel_address: u64,
    /// (function index + 1, or 0 when the line has no function; line number).
    pub lines: Vec<(u32, i64)>,
}

/// A merged sample: stack of merged location indices (leaf first) and summed values.
#[derive(Debug, Clone)]
pub struct MSample {
    /// Merged location indices, leaf first.
    pub locs: Vec<u32>,
    /// One value per sample type, summed over equal samples of all inputs (with signs);
    /// sums saturate at the ends of i64 instead of wrapping.
    pub values: Vec<i64>,
}

/// The result of merging profiles.
#[derive(Debug)]
pub struct Merged {
    /// Interned strings.
    pub strings: Strings,
    /// (type, unit) per value index.
    pub sample_types: Vec<(String, String)>,
    /// Merged functions.
    pub funcs: Vec<Func>,
    /// Merged locations.
    pub locs: Vec<Loc>,
    /// Merged samples, in first-seen order; samples whose values are all zero are dropped.
    pub samples: Vec<MSample>,
}

#[derive(PartialEq, Eq, Hash)]
struct MapKey {
    size: u64,
    offset: u64,
    build_id_or_file: u32,
}

#[derive(PartialEq, Eq, Hash)]
struct LocKey {
    addr: u64,
    mapping: u32,
    folded: bool,
    lines: Vec<(u32, i64)>,
}

/// A label in merge-key form: (key, is numeric, value or string id, unit).
type LabelKey = (u32, bool, i64, u32);

/// Merge `inputs` (profile, sign). All must have the same sample types (checked by the caller).
pub fn merge(inputs: &[(&Profile, i64)]) -> Merged {
    let mut strings = Strings::new();
    let mut funcs: Vec<Func> = Vec::new();
    let mut func_ids: HashMap<Func, u32> = HashMap::default();
    let mut map_ids: HashMap<MapKey, u32> = HashMap::default();
    let mut locs: Vec<Loc> = Vec::new();
    let mut loc_ids: HashMap<LocKey, u32> = HashMap::default();
    let mut samples: Vec<MSample> = Vec::new();
    // Samples by the hash of (stack, labels); equal hashes chain through `next`.
    let mut heads: HashMap<u64, u32> = HashMap::default();
    let mut next: Vec<u32> = Vec::new();
    let mut sample_labels: Vec<Vec<LabelKey>> = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    let mut labels: Vec<LabelKey> = Vec::new();
    let sample_types = inputs
        .first()
        .map(|(p, _)| {
            p.sample_type
                .iter()
                .map(|vt| (st(p, vt.r#type).to_owned(), st(p, vt.unit).to_owned()))
                .collect()
        })
        .unwrap_or_default();

    for &(p, sign) in inputs {
        let sid: Vec<u32> = p.string_table.iter().map(|s| strings.intern(s)).collect();
        let g = |i: i64| sid.get(i as usize).copied().unwrap_or(0);
        // mapping id -> (merged mapping id + 1, start, file string id)
        let mut maps: HashMap<u64, (u32, u64, u32)> =
            HashMap::with_capacity_and_hasher(p.mapping.len(), Default::default());
        for m in &p.mapping {
            let size = m.memory_limit.wrapping_sub(m.memory_start);
            let size = size.wrapping_add(0xfff) & !0xfff;
            let key = MapKey {
                size,
                offset: m.file_offset,
                build_id_or_file: if g(m.build_id) != 0 {
                    g(m.build_id)
                } else {
                    g(m.filename)
                },
            };
            let n = map_ids.len() as u32 + 1;
            let id = *map_ids.entry(key).or_insert(n);
            maps.insert(m.id, (id, m.memory_start, g(m.filename)));
        }
        let mut fmap: HashMap<u64, u32> =
            HashMap::with_capacity_and_hasher(p.function.len(), Default::default());
        for f in &p.function {
            let key = Func {
                start_line: f.start_line,
                name: g(f.name),
                system_name: g(f.system_name),
                filename: g(f.filename),
            };
            let idx = *func_ids.entry(key).or_insert_with(|| {
                funcs.push(key);
                funcs.len() as u32 - 1
            });
            fmap.insert(f.id, idx + 1);
        }
        let mut lmap: HashMap<u64, u32> =
            HashMap::with_capacity_and_hasher(p.location.len(), Default::default());
        for l in &p.location {
            let (mapping, start, objfile) = maps.get(&l.mapping_id).copied().unwrap_or((0, 0, 0));
            let lines: Vec<(u32, i64)> = l
                .line
                .iter()
                .map(|ln| (fmap.get(&ln.function_id).copied().unwrap_or(0), ln.line))
                .collect();
            let rel = l.address.wrapping_sub(start);
            let key = LocKey {
                addr: rel,
                mapping,
                folded: l.is_folded,
                lines,
            };
            let idx = match loc_ids.get(&key) {
                Some(&i) => i,
                None => {
                    let i = locs.len() as u32;
                    locs.push(Loc {
                        objfile,
                        rel_address: rel,
                        lines: key.lines.clone(),
                    });
                    loc_ids.insert(key, i);
                    i
                }
            };
            lmap.insert(l.id, idx);
        }
        for s in &p.sample {
            if s.value.iter().all(|&v| v == 0) {
                continue;
            }
            stack.clear();
            stack.extend(
                s.location_id
                    .iter()
                    .map(|id| lmap.get(id).copied().unwrap_or(0)),
            );
            labels.clear();
            labels.extend(s.label.iter().map(|lb| {
                if lb.str != 0 {
                    (g(lb.key), false, i64::from(g(lb.str)), 0)
                } else {
                    (g(lb.key), true, lb.num, g(lb.num_unit))
                }
            }));
            labels.sort_by_key(|l| (l.1, l.0));
            let mut h = FxHasher::default();
            (&stack, &labels).hash(&mut h);
            let h = h.finish();
            let mut found = None;
            let mut at = heads.get(&h).copied().unwrap_or(u32::MAX);
            while at != u32::MAX {
                let i = at as usize;
                if samples[i].locs == stack && sample_labels[i] == labels {
                    found = Some(i);
                    break;
                }
                at = next[i];
            }
            match found {
                Some(i) => {
                    for (acc, v) in samples[i].values.iter_mut().zip(&s.value) {
                        *acc = acc.saturating_add(v.saturating_mul(sign));
                    }
                }
                None => {
                    let i = samples.len() as u32;
                    next.push(heads.insert(h, i).unwrap_or(u32::MAX));
                    sample_labels.push(labels.clone());
                    samples.push(MSample {
                        locs: stack.clone(),
                        values: s.value.iter().map(|v| v.saturating_mul(sign)).collect(),
                    });
                }
            }
        }
    }
    samples.retain(|s| s.values.iter().any(|&v| v != 0));
    Merged {
        strings,
        sample_types,
        funcs,
        locs,
        samples,
    }
}

/// String `i` of `p`'s table ("" when out of range; indices are validated on parse).
pub fn st(p: &Profile, i: i64) -> &str {
    p.string_table
        .get(i as usize)
        .map(String::as_str)
        .unwrap_or("")
}
