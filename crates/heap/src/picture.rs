//! What `--html` draws beside the tables: allocation stacks with their values (a flame graph,
//! for pprof and tracemalloc) or the top of the dominator tree with retained sizes (an
//! icicle, for V8). Built only when asked ([`crate::Options::pictures`]); never part of the
//! JSON output.

use std::collections::BTreeMap;

/// The data of a report's picture.
#[derive(Debug, Clone, PartialEq)]
pub enum Picture {
    /// Stacks (outermost frame first) and their values (bytes, or counts): in a diff, the
    /// growth of each stack (only stacks that grew).
    Stacks {
        /// What the values count (`inuse_space`, `size +/-`).
        what: String,
        /// True when the values are bytes.
        bytes: bool,
        /// (frames outermost first, value), values > 0, one entry per distinct stack.
        stacks: Vec<(Vec<String>, i64)>,
    },
    /// The dominator tree from the root, by retained size in bytes.
    Tree(TreeNode),
}

/// One node of a dominator tree picture.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    /// How the node reads (`cache (Map)`, `(GC roots)`).
    pub name: String,
    /// Retained bytes.
    pub value: f64,
    /// Largest dominated nodes first; small ones are left out.
    pub children: Vec<TreeNode>,
}

/// Sum equal stacks and keep those with a positive value (outermost frame first).
pub fn stacks_from(items: impl IntoIterator<Item = (Vec<String>, i64)>) -> Vec<(Vec<String>, i64)> {
    let mut m: BTreeMap<Vec<String>, i64> = BTreeMap::new();
    for (stack, v) in items {
        if stack.is_empty() {
            continue;
        }
        let e = m.entry(stack).or_insert(0);
        *e = e.saturating_add(v);
    }
    m.into_iter().filter(|(_, v)| *v > 0).collect()
}
