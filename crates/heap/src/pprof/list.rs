//! `--list REGEX`: the hot source lines of the functions whose name matches, as
//! `go tool pprof -list` prints them: per function and source file, the flat and cumulative
//! value of every line from 5 lines before the first line with samples to 5 lines after the
//! last, read from the source file when it can be found.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::graph::{Granularity, Graph};
use super::merge::Merged;

/// Lines shown before the first and after the last line with samples (pprof's `margin`).
pub const MARGIN: i64 = 5;
/// Longest source line kept, bytes (longer ones are cut): source files are local but may
/// be anything.
pub const MAX_LINE_BYTES: usize = 4096;

/// One source line of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceLine {
    /// Line number, from 1.
    pub line: i64,
    /// Value where this line is the leaf of the stack.
    pub flat: i64,
    /// Value of the samples whose stack holds this line.
    pub cum: i64,
    /// The line's text.
    pub text: String,
}

/// One function in one source file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routine {
    /// Function name (`main.leakCache`).
    pub function: String,
    /// Source file as the profile names it.
    pub file: String,
    /// Where it was read from, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Sum of the flat values of its lines.
    pub flat: i64,
    /// Sum of the cumulative values of its lines.
    pub cum: i64,
    /// The listed lines (empty when the file could not be read).
    pub lines: Vec<SourceLine>,
    /// Why there are no lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A `-list` listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// The pattern.
    pub pattern: String,
    /// pprof's total (sum of |value| over the samples); percentages divide by it.
    pub total: i64,
    /// Sample type shown and its unit.
    pub sample_type: String,
    /// Unit of the values (`bytes`, `count`).
    pub unit: String,
    /// One per matching function and file, by function name then file.
    pub routines: Vec<Routine>,
}

/// (line, flat, cum) of one line with samples.
type LineValues = (i64, i64, i64);

/// Find `file` the way pprof does (`openSourceFile`): an absolute path as is; a relative one
/// under `search` or any of its parents, after trimming the part of the path up to the
/// search directory's own name (`/remote/my-project/foo.go` → `foo.go` under `my-project`).
pub fn find_source(file: &str, search: &Path) -> Option<PathBuf> {
    let mut rel = file.to_string();
    if let Some(base) = search.file_name().and_then(|b| b.to_str()) {
        let want = format!("/{base}/");
        if let Some(i) = file.find(&want) {
            rel = file[i + want.len()..].to_string();
        }
    }
    for prefix in ["/proc/self/cwd/./", "/proc/self/cwd/"] {
        if let Some(r) = rel.strip_prefix(prefix) {
            rel = r.to_string();
            break;
        }
    }
    let p = Path::new(&rel);
    if p.is_absolute() {
        return p.is_file().then(|| p.to_path_buf());
    }
    let mut dir = Some(search);
    while let Some(d) = dir {
        let cand = d.join(p);
        if cand.is_file() {
            return Some(cand);
        }
        dir = d.parent();
    }
    None
}

/// Lines `start..=end` of `path` (fewer at the end of the file).
fn read_lines(path: &Path, start: i64, end: i64) -> std::io::Result<Vec<(i64, String)>> {
    let f = std::fs::File::open(path)?;
    let mut out = Vec::new();
    let mut r = std::io::BufReader::new(f);
    let mut buf = Vec::new();
    let mut n = 0i64;
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 || n >= end {
            break;
        }
        n += 1;
        if n >= start {
            buf.truncate(MAX_LINE_BYTES);
            let text = String::from_utf8_lossy(&buf);
            out.push((n, text.trim_end_matches(['\n', '\r']).to_string()));
        }
    }
    Ok(out)
}

/// The listing of every function of `m` whose name matches `re`, for value index `vi`;
/// sources are looked for under `search`. `total`: pprof's total, taken before any
/// `--focus`/`--ignore`.
pub fn listing(m: &Merged, vi: usize, re: &Regex, search: &Path, total: i64) -> Listing {
    let g = Graph::new(m, Granularity::Lines);
    let (flat, cum) = g.weigh(m, vi);
    // (function, file) → [(line, flat, cum)], for nodes with a value.
    let mut by_fn: std::collections::BTreeMap<(String, String), Vec<LineValues>> =
        Default::default();
    for node in 0..g.len() as u32 {
        let (name, file, line) = g.parts(m, node);
        let (f, c) = (flat[node as usize], cum[node as usize]);
        if (f == 0 && c == 0) || !re.is_match(name) || file.is_empty() {
            continue;
        }
        by_fn
            .entry((name.to_string(), file.to_string()))
            .or_default()
            .push((line, f, c));
    }
    let routines = by_fn
        .into_iter()
        .map(|((function, file), lines)| {
            let flat_sum = lines.iter().map(|l| l.1).fold(0i64, i64::saturating_add);
            let cum_sum = lines.iter().map(|l| l.2).fold(0i64, i64::saturating_add);
            let start = lines.iter().map(|l| l.0).min().unwrap_or(1) - MARGIN;
            let end = lines.iter().map(|l| l.0).max().unwrap_or(1) + MARGIN;
            let found = find_source(&file, search);
            let mut r = Routine {
                function,
                file: file.clone(),
                path: found.as_ref().map(|p| p.display().to_string()),
                flat: flat_sum,
                cum: cum_sum,
                lines: Vec::new(),
                error: None,
            };
            match found.map(|p| read_lines(&p, start.max(1), end)) {
                Some(Ok(text)) => {
                    r.lines = text
                        .into_iter()
                        .map(|(n, text)| {
                            let (f, c) = lines
                                .iter()
                                .filter(|l| l.0 == n)
                                .fold((0i64, 0i64), |a, l| {
                                    (a.0.saturating_add(l.1), a.1.saturating_add(l.2))
                                });
                            SourceLine {
                                line: n,
                                flat: f,
                                cum: c,
                                text,
                            }
                        })
                        .collect();
                }
                Some(Err(e)) => r.error = Some(format!("cannot read {file}: {e}")),
                None => {
                    r.error = Some(format!(
                        "could not find file {file} on path {}",
                        search.display()
                    ))
                }
            }
            r
        })
        .collect();
    let (sample_type, unit) = m.sample_types.get(vi).cloned().unwrap_or_default();
    Listing {
        pattern: re.as_str().to_string(),
        total,
        sample_type,
        unit,
        routines,
    }
}
