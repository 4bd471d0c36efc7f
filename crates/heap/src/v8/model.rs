//! The compact heap model of one V8 snapshot: columnar node and edge arrays, one interned
//! string table and forward edges (CSR by node). Reverse edges exist only while dominators
//! are computed ([`super::dominators`]).

/// Node kinds, normalized from the snapshot's `meta.node_types` by name (so the order of the
/// names in `meta` never matters). Unknown future kinds map to [`kind::OTHER`].
pub mod kind {
    /// Internal V8 data hidden from users.
    pub const HIDDEN: u8 = 0;
    /// Internal arrays (`(object elements)`, FixedArray...).
    pub const ARRAY: u8 = 1;
    /// A sequential string.
    pub const STRING: u8 = 2;
    /// A JS object; its name is the constructor name.
    pub const OBJECT: u8 = 3;
    /// Compiled code.
    pub const CODE: u8 = 4;
    /// A JS function.
    pub const CLOSURE: u8 = 5;
    /// A RegExp.
    pub const REGEXP: u8 = 6;
    /// A heap number.
    pub const NUMBER: u8 = 7;
    /// An embedder object outside the V8 heap.
    pub const NATIVE: u8 = 8;
    /// A grouping node: the root, `(GC roots)`...
    pub const SYNTHETIC: u8 = 9;
    /// A cons string.
    pub const CONS_STRING: u8 = 10;
    /// A sliced string.
    pub const SLICED_STRING: u8 = 11;
    /// A symbol.
    pub const SYMBOL: u8 = 12;
    /// A BigInt.
    pub const BIGINT: u8 = 13;
    /// Hidden-class data (`system / Map`...).
    pub const OBJECT_SHAPE: u8 = 14;
    /// A WebAssembly object.
    pub const WASM: u8 = 15;
    /// A node type this version does not know.
    pub const OTHER: u8 = 255;

    /// The kind for a `meta.node_types` name.
    pub fn from_name(name: &str) -> u8 {
        match name {
            "hidden" => HIDDEN,
            "array" => ARRAY,
            "string" => STRING,
            "object" => OBJECT,
            "code" => CODE,
            "closure" => CLOSURE,
            "regexp" => REGEXP,
            "number" => NUMBER,
            "native" => NATIVE,
            "synthetic" => SYNTHETIC,
            "concatenated string" => CONS_STRING,
            "sliced string" => SLICED_STRING,
            "symbol" => SYMBOL,
            "bigint" => BIGINT,
            "object shape" => OBJECT_SHAPE,
            "wasm object" => WASM,
            _ => OTHER,
        }
    }
}

/// Names the analyses look for, classified once per string of a snapshot
/// ([`Snapshot::known`]), so that a check is a byte compare instead of a string compare.
pub mod known {
    /// Any other name.
    pub const OTHER: u8 = 0;
    /// `system / Context`: a function context.
    pub const SYSTEM_CONTEXT: u8 = 1;
    /// `system / NativeContext`: a realm's global context.
    pub const NATIVE_CONTEXT: u8 = 2;
    /// `(map descriptors)`.
    pub const MAP_DESCRIPTORS: u8 = 3;
    /// `system / ExternalStringData`.
    pub const EXTERNAL_STRING_DATA: u8 = 4;

    /// The class of one name.
    pub fn of(name: &str) -> u8 {
        match name {
            "system / Context" => SYSTEM_CONTEXT,
            "system / NativeContext" => NATIVE_CONTEXT,
            "(map descriptors)" => MAP_DESCRIPTORS,
            "system / ExternalStringData" => EXTERNAL_STRING_DATA,
            _ => OTHER,
        }
    }
}

/// Edge kinds, normalized from `meta.edge_types` by name.
pub mod edge_kind {
    /// A variable in a function context.
    pub const CONTEXT: u8 = 0;
    /// An indexed element (numeric name).
    pub const ELEMENT: u8 = 1;
    /// A named property.
    pub const PROPERTY: u8 = 2;
    /// An internal reference (`map`, `table`, `context`...).
    pub const INTERNAL: u8 = 3;
    /// A hidden reference (numeric name).
    pub const HIDDEN: u8 = 4;
    /// A shortcut (root → globals); not followed for sizes except from the root.
    pub const SHORTCUT: u8 = 5;
    /// A weak reference.
    pub const WEAK: u8 = 6;
    /// An edge type this version does not know.
    pub const OTHER: u8 = 255;

    /// The kind for a `meta.edge_types` name.
    pub fn from_name(name: &str) -> u8 {
        match name {
            "context" => CONTEXT,
            "element" => ELEMENT,
            "property" => PROPERTY,
            "internal" => INTERNAL,
            "hidden" => HIDDEN,
            "shortcut" => SHORTCUT,
            "weak" => WEAK,
            _ => OTHER,
        }
    }

    /// True when the edge's `name_or_index` is a number, not a string index.
    pub fn has_numeric_name(k: u8) -> bool {
        k == ELEMENT || k == HIDDEN
    }
}

/// The interned string table of a snapshot: all strings in one buffer.
#[derive(Debug, Default, Clone)]
pub struct Strings {
    pub(crate) bytes: String,
    pub(crate) ends: Vec<u32>,
}

impl Strings {
    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no strings.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Add a string and return its index.
    pub fn push(&mut self, s: &str) -> u32 {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len() as u32);
        (self.ends.len() - 1) as u32
    }

    /// `f` of every string, in index order, computed on all cores: the per-string tables
    /// (known names, WeakMap ephemeron names, collection names) are built with it.
    pub fn classify<T: Send>(&self, f: impl Fn(&str) -> T + Sync + Send) -> Vec<T> {
        use rayon::prelude::*;
        (0..self.len() as u32)
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| f(self.get(i)))
            .collect()
    }

    /// String number `i`; empty when out of range.
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        if i >= self.ends.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends[i] as usize;
        self.bytes.get(start..end).unwrap_or("")
    }
}

/// One parsed snapshot in columnar form. Node and edge references are ordinals (`u32`).
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// Node kind per node ([`kind`]).
    pub node_kind: Vec<u8>,
    /// Node name per node (index into `strings`).
    pub node_name: Vec<u32>,
    /// V8 object id per node: stable for the life of the process.
    pub node_id: Vec<u32>,
    /// DOM link state per node (0 unknown, 1 attached, 2 detached); empty when the snapshot
    /// has no `detachedness` field (Node < 20 / older V8).
    pub detachedness: Vec<u8>,
    /// Self size per node, bytes, as written by V8.
    pub self_size: Vec<u32>,
    /// Index of a node's first edge; `first_edge[n+1] - first_edge[n]` edges (len = nodes + 1).
    pub first_edge: Vec<u32>,
    /// Edge kind per edge ([`edge_kind`]).
    pub edge_kind: Vec<u8>,
    /// Edge name: a string index, or the element index for element/hidden edges.
    pub edge_name: Vec<u32>,
    /// Target node ordinal per edge.
    pub edge_to: Vec<u32>,
    /// The string table.
    pub strings: Strings,
    /// [`known`] class per string (filled by the reader; strings added later are `OTHER`).
    pub known: Vec<u8>,
    /// Ordinal of the root node (`snapshot.root_index`, else 0).
    pub root: u32,
    /// Bytes of the file.
    pub file_size: u64,
}

impl Snapshot {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_kind.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edge_kind.len()
    }

    /// The edges of node `n`, as a range of edge indexes.
    /// Empty for the slimmed earlier snapshots of a diff, which keep no edges.
    pub fn edges(&self, n: u32) -> std::ops::Range<usize> {
        match (
            self.first_edge.get(n as usize),
            self.first_edge.get(n as usize + 1),
        ) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// The node an edge starts from: a binary search over `first_edge` (the reverse index is
    /// built, essential edges only, inside the dominator computation and freed after it).
    pub fn edge_from(&self, e: usize) -> u32 {
        // The last node whose first edge is at or before `e` owns it (nodes without edges
        // share their first_edge with the next node, so they are never the last such).
        (self.first_edge.partition_point(|&x| x as usize <= e) as u32).saturating_sub(1)
    }

    /// The [`known`] class of the node's name.
    #[inline]
    pub fn known_name(&self, n: u32) -> u8 {
        let i = self.node_name[n as usize] as usize;
        match self.known.get(i) {
            Some(&k) => k,
            // A string added after reading, or a model not built by the reader.
            None => known::of(self.strings.get(i as u32)),
        }
    }

    /// Classify every string into [`Snapshot::known`] (on all cores).
    pub fn classify_strings(&mut self) {
        self.known = self.strings.classify(known::of);
    }

    /// The node's name string.
    pub fn name(&self, n: u32) -> &str {
        self.strings.get(self.node_name[n as usize])
    }

    /// The edge's name as people read it: the property/variable name, or `[index]`.
    pub fn edge_label(&self, e: usize) -> String {
        if edge_kind::has_numeric_name(self.edge_kind[e]) {
            format!("[{}]", self.edge_name[e])
        } else {
            self.strings.get(self.edge_name[e]).to_string()
        }
    }

    /// The edge's name string, or "" for numeric names.
    pub fn edge_str(&self, e: usize) -> &str {
        if edge_kind::has_numeric_name(self.edge_kind[e]) {
            ""
        } else {
            self.strings.get(self.edge_name[e])
        }
    }

    /// DevTools' `propagateDOMState`: embedder (native) nodes inherit attached/detached state
    /// from their parents, and detached ones are renamed `Detached <name>`, which changes
    /// their class in the Summary and Comparison views.
    pub(crate) fn propagate_dom_state(&mut self) {
        if self.detachedness.len() != self.node_count() {
            return;
        }
        let n = self.node_count();
        let mut visited = vec![false; n];
        let mut attached: Vec<u32> = Vec::new();
        let mut detached: Vec<u32> = Vec::new();
        let mut renamed: std::collections::HashMap<u32, u32> = Default::default();
        let mut process = |s: &mut Snapshot,
                           o: u32,
                           state: u8,
                           attached: &mut Vec<u32>,
                           detached: &mut Vec<u32>| {
            let i = o as usize;
            if visited[i] {
                return;
            }
            visited[i] = true;
            if s.node_kind[i] != kind::NATIVE {
                return;
            }
            s.detachedness[i] = state;
            if state == 1 {
                attached.push(o);
            } else if state == 2 {
                let old = s.node_name[i];
                let new = match renamed.get(&old) {
                    Some(&x) => x,
                    None => {
                        let name = format!("Detached {}", s.strings.get(old));
                        let x = s.strings.push(&name);
                        renamed.insert(old, x);
                        x
                    }
                };
                s.node_name[i] = new;
                detached.push(o);
            }
        };
        for o in 0..n as u32 {
            let st = self.detachedness[o as usize];
            if st != 0 {
                process(self, o, st, &mut attached, &mut detached);
            }
        }
        let follow = |k: u8| !matches!(k, edge_kind::HIDDEN | edge_kind::WEAK | edge_kind::OTHER);
        while let Some(o) = attached.pop() {
            for e in self.edges(o) {
                if follow(self.edge_kind[e]) {
                    process(self, self.edge_to[e], 1, &mut attached, &mut detached);
                }
            }
        }
        while let Some(o) = detached.pop() {
            if self.detachedness[o as usize] == 1 {
                continue;
            }
            for e in self.edges(o) {
                if follow(self.edge_kind[e]) {
                    process(self, self.edge_to[e], 2, &mut attached, &mut detached);
                }
            }
        }
    }

    /// Approximate bytes this model holds in memory.
    pub fn heap_bytes(&self) -> usize {
        self.node_count() * (1 + 4 + 4 + 1 + 4 + 4)
            + self.edge_count() * (1 + 4 + 4)
            + self.strings.bytes.len()
            + self.strings.ends.len() * 4
    }
}
