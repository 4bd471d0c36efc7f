//! From bytes to a checked [`Profile`]: gunzip within [`Limits`], measure what decoding will
//! build ([`survey`]) and refuse what the input cannot justify, prost decode into tables of
//! exact capacity, then the consistency checks of pprof's `CheckValid` (string indices in
//! range, ids that resolve).

use super::fxhash::FxHashMap as HashMap;
use std::io::Read;

use super::proto::Profile;

pub use super::budget::DEFAULT_MAX_DECOMPRESSED_BYTES;
use super::budget::{survey, Limits};

/// Why bytes are not a usable profile, with the byte offset when one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Offset in the (compressed) input where the problem was seen, when known.
    pub offset: Option<u64>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "at byte {o}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

fn err(offset: Option<u64>, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Gunzip `bytes` (all members) when they are gzipped, refusing output over `max_bytes`.
pub fn gunzip_capped(bytes: &[u8], max_bytes: u64) -> Result<Vec<u8>, ParseError> {
    let limits = Limits {
        max_decompressed_bytes: max_bytes,
        ..Limits::default()
    };
    inflate(bytes, &limits)
}

/// Gunzip `bytes`, stopping as soon as the output passes [`Limits::inflated_cap`]: a gzip
/// bomb is refused after a few MB of output, not after gigabytes.
fn inflate(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, ParseError> {
    let cap = limits.inflated_cap(bytes.len() as u64);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(cap as usize).min(1 << 28));
    let dec = flate2::read::MultiGzDecoder::new(bytes);
    let mut limited = dec.take(cap.saturating_add(1));
    limited.read_to_end(&mut out).map_err(|e| {
        err(
            None,
            format!("the gzip stream is truncated or corrupt ({e})"),
        )
    })?;
    if out.len() as u64 <= cap {
        return Ok(out);
    }
    Err(err(
        None,
        if cap == limits.max_decompressed_bytes {
            format!("the profile decompresses to more than {cap} bytes, the limit")
        } else {
            format!(
                "its {} bytes of gzip inflate past {cap} bytes, more than {}-fold; real \
                 profiles compress about 4-fold, so this is a gzip bomb or not a profile",
                bytes.len(),
                limits.max_inflation
            )
        },
    ))
}

/// The profile bytes, gunzipped when they are gzipped.
fn raw_profile<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<std::borrow::Cow<'a, [u8]>, ParseError> {
    Ok(if is_gzip(bytes) {
        std::borrow::Cow::Owned(inflate(bytes, limits)?)
    } else {
        std::borrow::Cow::Borrowed(bytes)
    })
}

/// Parse a profile.proto, gzipped or not, with the default [`Limits`].
pub fn parse_profile(bytes: &[u8]) -> Result<Profile, ParseError> {
    parse_profile_limited(bytes, &Limits::default())
}

/// Parse a profile.proto, gzipped or not, refusing more than `max_decompressed_bytes`.
pub fn parse_profile_capped(
    bytes: &[u8],
    max_decompressed_bytes: u64,
) -> Result<Profile, ParseError> {
    let limits = Limits {
        max_decompressed_bytes,
        ..Limits::default()
    };
    parse_profile_limited(bytes, &limits)
}

/// Parse a profile.proto, gzipped or not, within `limits`: the wire data is measured first
/// ([`survey`]) and only decoded when its decoded size is justified; the tables are then
/// allocated at their exact sizes.
pub fn parse_profile_limited(bytes: &[u8], limits: &Limits) -> Result<Profile, ParseError> {
    let raw = raw_profile(bytes, limits)?;
    // Offsets into a gunzipped profile are not offsets in the file.
    let gz = is_gzip(bytes);
    let shape = survey(&raw).map_err(|e| match (gz, e.offset) {
        (true, Some(o)) => err(None, format!("{} (at byte {o} once gunzipped)", e.message)),
        _ => e,
    })?;
    limits.check(&shape, raw.len() as u64)?;
    let n = |c: u64| usize::try_from(c).unwrap_or(0);
    let mut p = Profile {
        sample_type: Vec::with_capacity(n(shape.sample_types)),
        sample: Vec::with_capacity(n(shape.samples)),
        mapping: Vec::with_capacity(n(shape.mappings)),
        location: Vec::with_capacity(n(shape.locations)),
        function: Vec::with_capacity(n(shape.functions)),
        string_table: Vec::with_capacity(n(shape.strings)),
        comment: Vec::with_capacity(n(shape.comments)),
        ..Profile::default()
    };
    prost::Message::merge(&mut p, &raw[..]).map_err(|e| {
        err(
            None,
            format!("not a pprof profile.proto ({e}); is the file complete?"),
        )
    })?;
    drop(raw);
    validate(&p)?;
    Ok(p)
}

/// The checks pprof's `CheckValid` makes, plus string-index bounds: after this, every index
/// and id in the profile resolves, so analyses never need to fail or panic.
pub fn validate(p: &Profile) -> Result<(), ParseError> {
    if p.sample_type.is_empty() && p.sample.is_empty() {
        return Err(err(
            None,
            "not a pprof profile: it has no sample types and no samples",
        ));
    }
    let ns = p.string_table.len() as i64;
    if ns == 0 || !p.string_table[0].is_empty() {
        return Err(err(
            None,
            "not a pprof profile: its string table does not start with the empty string",
        ));
    }
    let s = |i: i64, what: &str| -> Result<(), ParseError> {
        if (0..ns).contains(&i) {
            Ok(())
        } else {
            Err(err(
                None,
                format!("{what} names string {i}, past the {ns} strings of the table"),
            ))
        }
    };
    for vt in p.sample_type.iter().chain(p.period_type.iter()) {
        s(vt.r#type, "a value type")?;
        s(vt.unit, "a value type unit")?;
    }
    for &c in &p.comment {
        s(c, "a comment")?;
    }
    s(p.drop_frames, "drop_frames")?;
    s(p.keep_frames, "keep_frames")?;
    s(p.default_sample_type, "default_sample_type")?;
    s(p.doc_url, "doc_url")?;
    let mut ids = HashMap::with_capacity_and_hasher(p.mapping.len(), Default::default());
    for m in &p.mapping {
        s(m.filename, "a mapping file name")?;
        s(m.build_id, "a mapping build id")?;
        if m.id == 0 || ids.insert(m.id, ()).is_some() {
            return Err(err(
                None,
                format!("mapping id {} is zero or repeated", m.id),
            ));
        }
    }
    let mut fids = HashMap::with_capacity_and_hasher(p.function.len(), Default::default());
    for f in &p.function {
        s(f.name, "a function name")?;
        s(f.system_name, "a function system name")?;
        s(f.filename, "a function file name")?;
        if f.id == 0 || fids.insert(f.id, ()).is_some() {
            return Err(err(
                None,
                format!("function id {} is zero or repeated", f.id),
            ));
        }
    }
    let mut lids = HashMap::with_capacity_and_hasher(p.location.len(), Default::default());
    for l in &p.location {
        if l.id == 0 || lids.insert(l.id, ()).is_some() {
            return Err(err(
                None,
                format!("location id {} is zero or repeated", l.id),
            ));
        }
        if l.mapping_id != 0 && !ids.contains_key(&l.mapping_id) {
            return Err(err(
                None,
                format!("location {} names missing mapping {}", l.id, l.mapping_id),
            ));
        }
        for ln in &l.line {
            if ln.function_id != 0 && !fids.contains_key(&ln.function_id) {
                return Err(err(
                    None,
                    format!(
                        "location {} names missing function {}",
                        l.id, ln.function_id
                    ),
                ));
            }
        }
    }
    let nv = p.sample_type.len();
    for (i, smp) in p.sample.iter().enumerate() {
        if smp.value.len() != nv {
            return Err(err(
                None,
                format!(
                    "sample {i} has {} values but the profile has {nv} sample types",
                    smp.value.len()
                ),
            ));
        }
        for id in &smp.location_id {
            if !lids.contains_key(id) {
                return Err(err(None, format!("sample {i} names missing location {id}")));
            }
        }
        for lb in &smp.label {
            s(lb.key, "a label key")?;
            s(lb.str, "a label value")?;
            s(lb.num_unit, "a label unit")?;
        }
    }
    Ok(())
}

/// Just the sample types and string table of a profile: enough to tell its kind without
/// decoding samples and locations (prost skips the other fields).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Header {
    /// The profile's sample types.
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<super::proto::ValueType>,
    /// The profile's string table.
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
}

/// The sample type names of a profile (gzipped or not), decoding only the header fields.
pub fn sample_type_names(bytes: &[u8]) -> Result<Vec<String>, ParseError> {
    let limits = Limits::default();
    let raw = raw_profile(bytes, &limits)?;
    limits.check(&survey(&raw)?, raw.len() as u64)?;
    let h = <Header as prost::Message>::decode(&raw[..]).map_err(|e| {
        err(
            None,
            format!("not a pprof profile.proto ({e}); is the file complete?"),
        )
    })?;
    Ok(h.sample_type
        .iter()
        .map(|vt| {
            h.string_table
                .get(vt.r#type as usize)
                .cloned()
                .unwrap_or_default()
        })
        .collect())
}

/// Read a whole input file, refusing files larger than [`DEFAULT_MAX_DECOMPRESSED_BYTES`]
/// (no capture leakscope reads is that big; this bounds memory before parsing starts).
pub fn read_file_capped(path: &std::path::Path) -> Result<Vec<u8>, crate::HeapError> {
    let len = std::fs::metadata(path)
        .map_err(|e| crate::HeapError::io(path, e))?
        .len();
    if len > DEFAULT_MAX_DECOMPRESSED_BYTES {
        return Err(crate::HeapError::format(
            path,
            None,
            format!("the file is {len} bytes, more than the {DEFAULT_MAX_DECOMPRESSED_BYTES}-byte limit"),
        ));
    }
    std::fs::read(path).map_err(|e| crate::HeapError::io(path, e))
}
