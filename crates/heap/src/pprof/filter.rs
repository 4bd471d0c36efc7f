//! `--focus` / `--ignore` as `go tool pprof` applies them (`FilterSamplesByName`): after the
//! profiles are merged, keep the samples with at least one frame matching `focus` and none
//! matching `ignore`; a frame matches when one of its lines' function name or file name, or
//! its mapping's file, matches.

use regex::Regex;

use super::merge::Merged;
use crate::HeapError;

/// Compile a `--focus`/`--ignore`/`--list` pattern, or say in one sentence why it is not one.
pub fn compile(flag: &str, pattern: Option<&str>) -> Result<Option<Regex>, HeapError> {
    pattern
        .filter(|p| !p.is_empty())
        .map(|p| {
            Regex::new(p).map_err(|e| {
                let why = e.to_string();
                let why = why.lines().last().unwrap_or("").trim().to_string();
                HeapError::Usage(format!(
                    "{flag} {p:?} is not a valid regular expression ({why})"
                ))
            })
        })
        .transpose()
}

/// Does any line of merged location `l` (or its mapping) match `re`?
fn matches(m: &Merged, l: usize, re: &Regex) -> bool {
    let loc = &m.locs[l];
    loc.lines.iter().any(|&(f, _)| {
        f.checked_sub(1)
            .and_then(|i| m.funcs.get(i as usize))
            .is_some_and(|func| {
                re.is_match(m.strings.get(func.name)) || re.is_match(m.strings.get(func.filename))
            })
    }) || (loc.objfile != 0 && re.is_match(m.strings.get(loc.objfile)))
}

/// Drop the samples of `m` that pprof's `-focus`/`-ignore` drop. Returns notes for the
/// report: a pattern that matched no frame (pprof warns "no matches found").
pub fn focus_ignore(m: &mut Merged, focus: Option<&Regex>, ignore: Option<&Regex>) -> Vec<String> {
    if focus.is_none() && ignore.is_none() {
        return Vec::new();
    }
    // Per location: Some(true) focused, Some(false) ignored, None neither.
    let mut state: Vec<Option<bool>> = vec![None; m.locs.len()];
    let (mut fm, mut im) = (false, false);
    for (l, s) in state.iter_mut().enumerate() {
        if ignore.is_some_and(|re| matches(m, l, re)) {
            im = true;
            *s = Some(false);
        } else if focus.is_none_or(|re| matches(m, l, re)) {
            fm = true;
            *s = Some(true);
        }
    }
    m.samples.retain(|s| {
        let mut focused = false;
        for &l in &s.locs {
            match state.get(l as usize).copied().flatten() {
                Some(false) => return false,
                Some(true) => focused = true,
                None => {}
            }
        }
        focused
    });
    let mut notes = Vec::new();
    if let (Some(re), false) = (focus, fm) {
        notes.push(format!(
            "--focus {:?} matched no frame: nothing is shown",
            re.as_str()
        ));
    }
    if let (Some(re), false) = (ignore, im) {
        notes.push(format!("--ignore {:?} matched no frame", re.as_str()));
    }
    notes
}
