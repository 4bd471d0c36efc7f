//! The memory of a process, or of a process and all its descendants.

use leakscope_probe::error::ProbeError;
use leakscope_probe::proc::{self as procfs, ProcReader};

/// Field values of one sample, in bytes (or counts, or seconds for `uptime_seconds`).
pub type Fields = Vec<(String, f64)>;

/// One process: its fields and its start time (to notice pid reuse).
pub fn read_process(
    reader: &mut ProcReader,
    pid: u32,
    pss: bool,
) -> Result<(Fields, u64), ProbeError> {
    let s = reader.sample(pid)?;
    let mut fields: Fields = s
        .fields()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    if pss {
        let p = reader.sample_pss(pid)?;
        fields.extend(p.fields().into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    Ok((fields, s.start_time_ticks))
}

/// A process and its descendants, summed field by field (uptime: the root's).
pub fn sum_tree(reader: &mut ProcReader, root: u32, pss: bool) -> Fields {
    let mut total: Fields = Vec::new();
    let mut n = 0.0;
    let pids = std::iter::once(root).chain(procfs::descendants(root));
    for pid in pids {
        let Ok((fields, _)) = read_process(reader, pid, pss) else {
            continue;
        };
        n += 1.0;
        for (k, v) in fields {
            match total.iter_mut().find(|(name, _)| *name == k) {
                Some(slot) if k == "uptime_seconds" => {
                    let _ = slot;
                }
                Some(slot) => slot.1 += v,
                None => total.push((k, v)),
            }
        }
    }
    total.push(("processes".into(), n));
    total
}
