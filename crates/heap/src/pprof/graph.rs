//! pprof's report graph, reduced to what `-top` prints: nodes keyed like pprof's `NodeInfo`
//! at a granularity (functions, lines, files), flat and cumulative values per node, sorting,
//! and the low-weight node cut (`-nodefraction`).

use super::fxhash::FxHashMap as HashMap;

use super::merge::Merged;

/// How finely `heap top`/`heap diff` group stack frames (pprof's `-functions`, `-lines`, `-files`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One row per function (pprof's default).
    Functions,
    /// One row per function and source line (`-lines`).
    Lines,
    /// One row per source file (`-files`).
    Files,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NodeKey {
    name: u32,
    file: u32,
    lineno: i64,
    objfile: u32,
    start_line: i64,
}

/// The nodes of one merged profile at one granularity.
#[derive(Debug)]
pub struct Graph {
    keys: Vec<NodeKey>,
    /// Printable name of each node, as pprof prints it.
    pub names: Vec<String>,
    /// Node ids of each merged location, callee first (like the location's lines).
    pub loc_nodes: Vec<Vec<u32>>,
}

impl Graph {
    /// Build the node table of `m` at granularity `g`.
    pub fn new(m: &Merged, g: Granularity) -> Self {
        let mut ids: HashMap<NodeKey, u32> = HashMap::default();
        let mut keys = Vec::new();
        let mut clean_cache: HashMap<u32, String> = HashMap::default();
        let mut names = Vec::new();
        let mut loc_nodes = Vec::with_capacity(m.locs.len());
        for loc in &m.locs {
            let mut nodes = Vec::with_capacity(loc.lines.len().max(1));
            let lines: &[(u32, i64)] = if loc.lines.is_empty() {
                &[(0, 0)]
            } else {
                &loc.lines
            };
            for &(f, line) in lines {
                let key = match f.checked_sub(1).and_then(|i| m.funcs.get(i as usize)) {
                    None => NodeKey {
                        name: 0,
                        file: 0,
                        lineno: 0,
                        objfile: loc.objfile,
                        start_line: 0,
                    },
                    Some(func) => {
                        let name = if g == Granularity::Files {
                            0
                        } else {
                            func.name
                        };
                        let file = if g == Granularity::Functions {
                            0
                        } else {
                            func.filename
                        };
                        let lineno = if g == Granularity::Lines { line } else { 0 };
                        let anon = name == 0;
                        NodeKey {
                            name,
                            file,
                            lineno,
                            objfile: if anon { loc.objfile } else { 0 },
                            start_line: if anon { func.start_line } else { 0 },
                        }
                    }
                };
                let id = match ids.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = keys.len() as u32;
                        let file = clean_cache
                            .entry(key.file)
                            .or_insert_with(|| clean_path(m.strings.get(key.file)))
                            .clone();
                        names.push(printable_name(
                            m.strings.get(key.name),
                            &file,
                            key.lineno,
                            m.strings.get(key.objfile),
                        ));
                        ids.insert(key.clone(), id);
                        keys.push(key);
                        id
                    }
                };
                nodes.push(id);
            }
            loc_nodes.push(nodes);
        }
        Graph {
            keys,
            names,
            loc_nodes,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Flat and cumulative values of every node for value index `vi` (pprof's `newGraph`):
    /// cum counts a sample once per node on its stack, flat goes to the leaf.
    pub fn weigh(&self, m: &Merged, vi: usize) -> (Vec<i64>, Vec<i64>) {
        let (flat, cum, _) = self.weigh_inline(m, vi, false);
        (flat, cum)
    }

    /// [`Graph::weigh`], plus (when `inline`) the call edges into nodes that were ever
    /// inlined, as pprof's `Edge`s: (callee, every occurrence inlined, weight).
    pub fn weigh_inline(
        &self,
        m: &Merged,
        vi: usize,
        inline: bool,
    ) -> (Vec<i64>, Vec<i64>, Vec<InEdge>) {
        let n = self.keys.len();
        let mut flat = vec![0i64; n];
        let mut cum = vec![0i64; n];
        let mut seen = vec![u32::MAX; n];
        // Nodes that sit at an inlined (not last) line of some location.
        let mut inlinable = vec![false; n];
        if inline {
            for nodes in &self.loc_nodes {
                for &nd in nodes.iter().take(nodes.len().saturating_sub(1)) {
                    inlinable[nd as usize] = true;
                }
            }
        }
        // (caller, inlinable callee) -> (every occurrence inlined, weight).
        let mut edges: HashMap<(u32, u32), (bool, i64)> = HashMap::default();
        let mut sample_edges: Vec<(u32, u32)> = Vec::new();
        for (si, s) in m.samples.iter().enumerate() {
            let w = s.values.get(vi).copied().unwrap_or(0);
            if w == 0 {
                continue;
            }
            let stamp = si as u32;
            sample_edges.clear();
            let mut leaf: Option<usize> = None;
            for &l in s.locs.iter().rev() {
                let Some(nodes) = self.loc_nodes.get(l as usize) else {
                    continue;
                };
                let last = nodes.len().saturating_sub(1);
                for (pos, &nd) in nodes.iter().enumerate().rev() {
                    let i = nd as usize;
                    if seen[i] != stamp {
                        seen[i] = stamp;
                        cum[i] = cum[i].saturating_add(w);
                    }
                    if inlinable[i] {
                        if let Some(p) = leaf.filter(|&p| p != i) {
                            // pprof counts an edge once per sample, at its first occurrence.
                            let key = (p as u32, nd);
                            if !sample_edges.contains(&key) {
                                sample_edges.push(key);
                                let e = edges.entry(key).or_insert((true, 0));
                                e.0 = e.0 && pos != last;
                                e.1 = e.1.saturating_add(w);
                            }
                        }
                    }
                    leaf = Some(i);
                }
            }
            if let Some(i) = leaf {
                flat[i] = flat[i].saturating_add(w);
            }
        }
        let in_edges = edges
            .into_iter()
            .map(|((_, callee), (inlined, weight))| InEdge {
                callee,
                inlined,
                weight,
            })
            .collect();
        (flat, cum, in_edges)
    }
}

/// A call edge into a node that some location inlines (pprof's `Edge`, reduced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InEdge {
    /// The called node.
    pub callee: u32,
    /// Every occurrence of the call was inlined.
    pub inlined: bool,
    /// Sum of the sample values through the edge (once per sample).
    pub weight: i64,
}

/// pprof's `(inline)`/`(partial-inline)` marks from the edges that survive the edge cut
/// (|weight| >= `cutoff`, pprof's `-edgefraction` of the total).
fn inline_marks(n: usize, edges: &[InEdge], cutoff: u64) -> Vec<Option<&'static str>> {
    let mut has = vec![(false, false); n];
    for e in edges.iter().filter(|e| e.weight.unsigned_abs() >= cutoff) {
        if let Some(h) = has.get_mut(e.callee as usize) {
            if e.inlined {
                h.0 = true;
            } else {
                h.1 = true;
            }
        }
    }
    has.iter()
        .map(|h| match *h {
            (true, true) => Some("(partial-inline)"),
            (true, false) => Some("(inline)"),
            _ => None,
        })
        .collect()
}

/// pprof's default `-edgefraction`: edges under this fraction of the total are dropped
/// (which only shows here as a missing inline mark).
pub const EDGE_FRACTION: f64 = 0.001;

/// One row of a `-top` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Node id in the graph.
    pub node: u32,
    /// Printable name (`main.leakCache`, `main.leakCache leakdemo/main.go:40`, a file).
    pub name: String,
    /// Value where the node is the leaf of the stack.
    pub flat: i64,
    /// Value of the samples whose stack holds the node (once per sample).
    pub cum: i64,
    /// pprof's `(inline)` / `(partial-inline)` mark: how the node was reached from its callers.
    pub inline: Option<&'static str>,
}

/// The rows pprof's `-top` prints: nodes with a nonzero value, sorted by |flat| (or |cum|
/// with `cum_sort`) then name, without the nodes whose |cum| is under `node_fraction` of the
/// shown total. Returns the rows and how many nodes were dropped.
pub fn top_rows(
    g: &Graph,
    flat: &[i64],
    cum: &[i64],
    edges: &[InEdge],
    cum_sort: bool,
    node_fraction: f64,
) -> (Vec<Row>, usize) {
    // Like pprof's newTrimmedGraph: the flat sum of the nodes shown (after --focus/--ignore),
    // not the report's total.
    let total: i64 = flat.iter().fold(0i64, |a, &b| a.saturating_add(b));
    let marks = inline_marks(
        g.len(),
        edges,
        (((total as f64) * EDGE_FRACTION) as i64).unsigned_abs(),
    );
    let mut rows: Vec<Row> = (0..g.len())
        .filter(|&i| flat[i] != 0 || cum[i] != 0)
        .map(|i| Row {
            node: i as u32,
            name: g.names[i].clone(),
            flat: flat[i],
            cum: cum[i],
            inline: marks.get(i).copied().flatten(),
        })
        .collect();
    let cutoff = ((total as f64) * node_fraction) as i64;
    let cutoff = cutoff.unsigned_abs();
    let before = rows.len();
    if cutoff > 0 {
        rows.retain(|r| r.cum.unsigned_abs() >= cutoff);
    }
    let dropped = before - rows.len();
    rows.sort_by(|a, b| {
        let (ka, kb) = if cum_sort {
            (a.cum.unsigned_abs(), b.cum.unsigned_abs())
        } else {
            (a.flat.unsigned_abs(), b.flat.unsigned_abs())
        };
        let (sa, sb) = if cum_sort {
            (a.flat.unsigned_abs(), b.flat.unsigned_abs())
        } else {
            (a.cum.unsigned_abs(), b.cum.unsigned_abs())
        };
        kb.cmp(&ka)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| sb.cmp(&sa))
            .then_with(|| a.node.cmp(&b.node))
    });
    (rows, dropped)
}

/// pprof's `NodeInfo.PrintableName` without addresses.
fn printable_name(name: &str, file: &str, lineno: i64, objfile: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !name.is_empty() {
        parts.push(name.to_owned());
    }
    if lineno != 0 {
        parts.push(format!("{file}:{lineno}"));
    } else if !file.is_empty() {
        parts.push(file.to_owned());
    } else if !name.is_empty() {
    } else if !objfile.is_empty() {
        let base = objfile.rsplit('/').next().unwrap_or(objfile);
        parts.push(format!("[{base}]"));
    } else {
        parts.push("<unknown>".to_owned());
    }
    parts.join(" ")
}

/// Go's `filepath.Clean` on a slash-separated path ("" stays "" here: no file).
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return String::new();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

impl Graph {
    /// Function name, file and line of `node` (empty/0 when the granularity dropped them).
    pub fn parts<'a>(&self, m: &'a Merged, node: u32) -> (&'a str, &'a str, i64) {
        match self.keys.get(node as usize) {
            Some(k) => (m.strings.get(k.name), m.strings.get(k.file), k.lineno),
            None => ("", "", 0),
        }
    }

    /// Node ids of a merged sample's stack, outermost (root) first, leaf last.
    pub fn stack(&self, locs: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        for &l in locs.iter().rev() {
            if let Some(nodes) = self.loc_nodes.get(l as usize) {
                out.extend(nodes.iter().rev());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{clean_path, printable_name};

    #[test]
    fn clean_path_like_go() {
        for (i, o) in [
            ("a/b/../c", "a/c"),
            ("/a/./b//c/", "/a/b/c"),
            ("../x", "../x"),
            ("/../x", "/x"),
            ("a/..", "."),
            ("runtime/proc.go", "runtime/proc.go"),
        ] {
            assert_eq!(clean_path(i), o, "{i}");
        }
    }

    #[test]
    fn printable_names() {
        assert_eq!(printable_name("main.f", "", 0, ""), "main.f");
        assert_eq!(printable_name("main.f", "m.go", 3, ""), "main.f m.go:3");
        assert_eq!(printable_name("", "m.go", 0, "/bin/app"), "m.go");
        assert_eq!(printable_name("", "", 0, "/bin/app"), "[app]");
        assert_eq!(printable_name("", "", 0, ""), "<unknown>");
    }
}
