//! Goroutine leaks: captures in proto, debug=1 or debug=2 form grouped by blocking site
//! (function and line) and state, with wait minutes; across two or more captures, the sites
//! whose blocked goroutines keep growing (LeakProf's idea) become `blocked-goroutines` suspects.

pub mod parse;
pub mod site;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub use parse::{parse_text, sniff_text, Capture, Frame, Record, TextError};

use crate::{pprof, Column, Group, HeapError, HeapReport, Options, Suspect, Unit};

/// In a single capture, a channel site with at least this many goroutines is a suspect.
pub const SINGLE_CAPTURE_THRESHOLD: u64 = 1000;
/// Across captures, a site must grow by at least this many goroutines to be a suspect.
pub const MIN_GROWTH: u64 = 3;

/// True when `prefix` starts a goroutine dump in text form (proto is sniffed by `pprof`).
pub fn sniff(prefix: &[u8]) -> bool {
    sniff_text(prefix)
}

/// Read a goroutine capture in any of its forms.
pub fn read_capture(path: &Path) -> Result<Capture, HeapError> {
    let bytes = crate::pprof::decode::read_file_capped(path)?;
    if sniff_text(&bytes) {
        let text = String::from_utf8_lossy(&bytes);
        return parse_text(&text)
            .map_err(|e| HeapError::format(path, None, format!("line {}: {}", e.line, e.message)));
    }
    let p =
        pprof::parse_profile(&bytes).map_err(|e| HeapError::format(path, e.offset, e.message))?;
    if !pprof::is_goroutine(&p) {
        return Err(HeapError::Mismatch(format!(
            "{} is a pprof profile but not a goroutine profile",
            path.display()
        )));
    }
    Ok(parse::from_profile(&p))
}

/// True when `path` holds a goroutine profile: text dump, or proto with goroutine samples.
pub fn is_goroutine_profile(path: &Path) -> Result<bool, HeapError> {
    let bytes = crate::pprof::decode::read_file_capped(path)?;
    if sniff_text(&bytes) {
        return Ok(true);
    }
    if !pprof::sniff(&bytes) {
        return Ok(false);
    }
    let types = pprof::decode::sample_type_names(&bytes)
        .map_err(|e| HeapError::format(path, e.offset, e.message))?;
    Ok(types.len() == 1 && (types[0] == "goroutine" || types[0] == "goroutineleak"))
}

/// Goroutines of one capture at one site and state.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteGroup {
    /// The blocking site (function, file, line).
    pub site: Frame,
    /// Wait state (`chan receive`, `select`, `IO wait`, ...).
    pub state: String,
    /// Goroutines.
    pub count: u64,
    /// Longest wait in minutes (debug=2 only).
    pub max_wait_minutes: Option<u64>,
    /// The call the site blocks in (`sync.(*Mutex).Lock`), when not the site itself.
    pub blocking_call: Option<String>,
    /// The stack of the first record seen, outermost first, ending at the site.
    pub stack: Vec<Frame>,
    /// Who started these goroutines (debug=2).
    pub created_by: Option<Frame>,
}

type SiteKey = (String, String, i64, String);

/// A goroutine count as i64, saturating (a crafted text dump may claim up to u64::MAX).
fn signed(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Group a capture by (site, state), largest first.
pub fn group(cap: &Capture) -> Vec<SiteGroup> {
    let mut map: HashMap<SiteKey, SiteGroup> = HashMap::new();
    for r in &cap.records {
        let Some((si, call)) = site::site(&r.frames) else {
            continue;
        };
        let s = r.frames[si].clone();
        let state = site::state_of(r);
        let key = (s.function.clone(), s.file.clone(), s.line, state.clone());
        let g = map.entry(key).or_insert_with(|| SiteGroup {
            site: s,
            state,
            count: 0,
            max_wait_minutes: None,
            blocking_call: call.map(|c| r.frames[c].function.clone()),
            stack: r.frames[si..].iter().rev().cloned().collect(),
            created_by: r.created_by.clone(),
        });
        g.count = g.count.saturating_add(r.count);
        if let Some(m) = r.wait_minutes {
            g.max_wait_minutes = Some(g.max_wait_minutes.map_or(m, |x| x.max(m)));
        }
    }
    let mut v: Vec<SiteGroup> = map.into_values().collect();
    v.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.site, &a.state).cmp(&(&b.site, &b.state)))
    });
    v
}

fn key_of(g: &SiteGroup) -> SiteKey {
    (
        g.site.function.clone(),
        g.site.file.clone(),
        g.site.line,
        g.state.clone(),
    )
}

fn name_of(g: &SiteGroup) -> String {
    format!("{} [{}]", g.site.function, g.state)
}

fn loc_of(f: &Frame) -> String {
    format!("{}:{}", f.file, f.line)
}

fn limit(opts: &Options) -> usize {
    if opts.limit == 0 {
        usize::MAX
    } else {
        opts.limit
    }
}

fn suspect(g: &SiteGroup, counts: &[u64], growth: i64) -> Suspect {
    let mut extra = BTreeMap::new();
    extra.insert("function".to_owned(), serde_json::json!(g.site.function));
    extra.insert("location".to_owned(), serde_json::json!(loc_of(&g.site)));
    extra.insert("state".to_owned(), serde_json::json!(g.state));
    extra.insert("count".to_owned(), serde_json::json!(g.count));
    extra.insert("counts".to_owned(), serde_json::json!(counts));
    if let Some(m) = g.max_wait_minutes {
        extra.insert("max_wait_minutes".to_owned(), serde_json::json!(m));
    }
    if let Some(c) = &g.blocking_call {
        extra.insert("blocking_call".to_owned(), serde_json::json!(c));
    }
    if let Some(c) = &g.created_by {
        extra.insert("created_by".to_owned(), serde_json::json!(c.display()));
    }
    Suspect {
        pattern: "blocked-goroutines".into(),
        name: format!("{} ({})", g.site.function, loc_of(&g.site)),
        retainer_path: g.stack.iter().map(Frame::display).collect(),
        count_delta: growth,
        size_delta: 0,
        advice: site::advice(&g.state),
        extra,
    }
}

/// `heap top` on a goroutine text dump.
pub fn top(path: &Path, opts: &Options) -> Result<HeapReport, HeapError> {
    let cap = read_capture(path)?;
    Ok(top_report(path, &cap, opts))
}

/// `heap top` on a goroutine profile.proto already parsed (called by `pprof::top`).
pub fn top_profile(
    path: &Path,
    p: &pprof::Profile,
    opts: &Options,
) -> Result<HeapReport, HeapError> {
    Ok(top_report(path, &parse::from_profile(p), opts))
}

fn top_report(path: &Path, cap: &Capture, opts: &Options) -> HeapReport {
    let groups = group(cap);
    let mut rep = HeapReport::new(
        "pprof",
        "goroutine",
        "top",
        vec![path.display().to_string()],
    );
    rep.columns = vec![Column::new("count", "Goroutines", Unit::Count)];
    let waits = groups.iter().any(|g| g.max_wait_minutes.is_some());
    if waits {
        rep.columns.push(Column::new(
            "max_wait_minutes",
            "Max wait (min)",
            Unit::Count,
        ));
    }
    for g in groups.iter().take(limit(opts)) {
        let mut values = BTreeMap::new();
        values.insert("count".to_owned(), g.count as f64);
        if waits {
            values.insert(
                "max_wait_minutes".to_owned(),
                g.max_wait_minutes.unwrap_or(0) as f64,
            );
        }
        rep.groups.push(Group {
            name: name_of(g),
            location: Some(loc_of(&g.site)),
            values,
        });
    }
    rep.totals.insert("goroutines".into(), cap.total() as f64);
    rep.totals.insert("sites".into(), groups.len() as f64);
    rep.suspects = groups
        .iter()
        .filter(|g| site::is_channel(&g.state) && g.count >= SINGLE_CAPTURE_THRESHOLD)
        .map(|g| suspect(g, &[g.count], 0))
        .collect();
    rep.notes.push(format!(
        "{} capture; sites are the first frame of the program's own code; a channel site holding {} or more goroutines is a suspect; diff two or more captures to see growth",
        cap.shape, SINGLE_CAPTURE_THRESHOLD
    ));
    rep
}

/// `heap diff` over two or more goroutine captures, oldest first: per site and state, the
/// count in each capture; sites whose blocked goroutines never shrink and grow by at least
/// [`MIN_GROWTH`] are `blocked-goroutines` suspects, largest growth first.
pub fn diff(paths: &[PathBuf], opts: &Options) -> Result<HeapReport, HeapError> {
    if paths.len() < 2 {
        return Err(HeapError::Usage(
            "heap diff needs at least two files, oldest first".into(),
        ));
    }
    let caps = paths
        .iter()
        .map(|p| read_capture(p))
        .collect::<Result<Vec<_>, _>>()?;
    let grouped: Vec<Vec<SiteGroup>> = caps.iter().map(group).collect();
    let n = caps.len();
    // Per key: counts in each capture, and the newest group seen.
    let mut table: HashMap<SiteKey, (Vec<u64>, SiteGroup)> = HashMap::new();
    for (i, gs) in grouped.iter().enumerate() {
        for g in gs {
            let e = table
                .entry(key_of(g))
                .or_insert_with(|| (vec![0; n], g.clone()));
            e.0[i] = g.count;
            e.1 = g.clone();
        }
    }
    let mut rows: Vec<(Vec<u64>, SiteGroup)> = table.into_values().collect();
    let growth = |c: &[u64]| signed(c[c.len() - 1]).saturating_sub(signed(c[0]));
    rows.sort_by(|a, b| {
        growth(&b.0)
            .cmp(&growth(&a.0))
            .then_with(|| b.0[n - 1].cmp(&a.0[n - 1]))
            .then_with(|| (&a.1.site, &a.1.state).cmp(&(&b.1.site, &b.1.state)))
    });
    let inputs = paths.iter().map(|p| p.display().to_string()).collect();
    let mut rep = HeapReport::new("pprof", "goroutine", "diff", inputs);
    rep.columns = vec![
        Column::new("count", "Goroutines", Unit::Count),
        Column::new("count_delta", "Growth", Unit::Count),
    ];
    let per_capture = n <= 10;
    if per_capture {
        for i in 0..n {
            rep.columns.push(Column::new(
                &format!("count_{}", i + 1),
                &format!("#{}", i + 1),
                Unit::Count,
            ));
        }
    }
    let waits = rows.iter().any(|r| r.1.max_wait_minutes.is_some());
    if waits {
        rep.columns.push(Column::new(
            "max_wait_minutes",
            "Max wait (min)",
            Unit::Count,
        ));
    }
    for (counts, g) in rows.iter().take(limit(opts)) {
        let mut values = BTreeMap::new();
        values.insert("count".to_owned(), counts[n - 1] as f64);
        values.insert("count_delta".to_owned(), growth(counts) as f64);
        if per_capture {
            for (i, c) in counts.iter().enumerate() {
                values.insert(format!("count_{}", i + 1), *c as f64);
            }
        }
        if waits {
            values.insert(
                "max_wait_minutes".to_owned(),
                g.max_wait_minutes.unwrap_or(0) as f64,
            );
        }
        rep.groups.push(Group {
            name: name_of(g),
            location: Some(loc_of(&g.site)),
            values,
        });
    }
    for (i, c) in caps.iter().enumerate() {
        rep.totals
            .insert(format!("goroutines_{}", i + 1), c.total() as f64);
    }
    rep.totals
        .insert("goroutines".into(), caps[n - 1].total() as f64);
    rep.totals.insert(
        "goroutines_delta".into(),
        caps[n - 1].total() as f64 - caps[0].total() as f64,
    );
    rep.suspects = rows
        .iter()
        .filter(|(c, g)| {
            site::is_blocked(&g.state)
                && c.windows(2).all(|w| w[1] >= w[0])
                && growth(c) >= MIN_GROWTH as i64
        })
        .map(|(c, g)| suspect(g, c, growth(c)))
        .collect();
    rep.notes.push(format!(
        "{} captures ({}); a site is a suspect when its blocked goroutines never shrink and grow by {} or more",
        n,
        caps.iter().map(|c| c.shape).collect::<Vec<_>>().join(", "),
        MIN_GROWTH
    ));
    Ok(rep)
}
