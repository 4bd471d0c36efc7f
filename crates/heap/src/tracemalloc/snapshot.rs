//! The tracemalloc snapshot model read from a dump: traces pointing at shared tracebacks.

use crate::pprof::fxhash::FxHashMap as HashMap;

use super::pickle::{unpickle, Arena, Obj, PickleError, Value};

/// One frame: file name (index into [`Snapshot::filenames`]) and line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Frame {
    /// Index into [`Snapshot::filenames`].
    pub filename: u32,
    /// Line number (0 when unknown).
    pub lineno: i64,
}

/// One live memory block: `(domain, size, traceback, total_nframe)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    /// Address space (0 = Python's allocators).
    pub domain: i64,
    /// Block size in bytes.
    pub size: i64,
    /// Index into [`Snapshot::tracebacks`].
    pub traceback: u32,
    /// Frames before truncation to the traceback limit (-1 when the dump predates 3.9).
    pub total_nframe: i64,
}

/// A `tracemalloc.Snapshot` as dumped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// `traceback_limit` the snapshot was taken with.
    pub traceback_limit: i64,
    /// File names, deduplicated.
    pub filenames: Vec<String>,
    /// Distinct tracebacks, each **most recent frame first** (as dumped).
    pub tracebacks: Vec<Vec<Frame>>,
    /// The traces.
    pub traces: Vec<Trace>,
}

fn bad(message: impl Into<String>) -> PickleError {
    PickleError {
        offset: None,
        message: message.into(),
    }
}

/// Parse the bytes of a `Snapshot.dump()` file.
pub fn parse_dump(bytes: &[u8]) -> Result<Snapshot, PickleError> {
    let (top, arena) = unpickle(bytes)?;
    match arena.class_of(top) {
        Some(("tracemalloc", "Snapshot")) => {}
        _ => return Err(bad("the pickle does not hold a tracemalloc.Snapshot")),
    }
    let state = match arena.obj(top) {
        Some(Obj::Instance { state: Some(s), .. }) => *s,
        _ => return Err(bad("the Snapshot has no state")),
    };
    let traceback_limit = match arena.dict_get(state, "traceback_limit") {
        Some(Value::Int(i)) => i,
        _ => return Err(bad("the Snapshot has no integer traceback_limit")),
    };
    let traces_obj = arena
        .dict_get(state, "traces")
        .ok_or_else(|| bad("the Snapshot has no traces"))?;
    let list = match arena.class_of(traces_obj) {
        Some(("tracemalloc", "_Traces")) => match arena.obj(traces_obj) {
            Some(Obj::Instance { state: Some(s), .. }) => arena.dict_get(*s, "_traces"),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| bad("the Snapshot's traces are not a tracemalloc._Traces with _traces"))?;
    let items: &[Value] = match arena.obj(list) {
        Some(Obj::List(v)) => v,
        Some(Obj::Tuple { .. }) => arena.tuple(list).unwrap_or(&[]),
        _ => return Err(bad("_traces is not a list")),
    };
    let mut b = Builder {
        arena: &arena,
        snap: Snapshot {
            traceback_limit,
            traces: Vec::with_capacity(items.len()),
            ..Snapshot::default()
        },
        by_obj: HashMap::default(),
        by_frames: HashMap::default(),
        by_name: HashMap::default(),
    };
    for (i, &t) in items.iter().enumerate() {
        let fields = arena
            .tuple(t)
            .ok_or_else(|| bad(format!("trace {i} is not a tuple")))?;
        let (domain, size, tb, nframe) = match fields {
            [d, s, tb] => (*d, *s, *tb, Value::Int(-1)),
            [d, s, tb, n] => (*d, *s, *tb, *n),
            _ => {
                return Err(bad(format!(
                    "trace {i} has {} fields, not 3 or 4",
                    fields.len()
                )))
            }
        };
        let (Value::Int(domain), Value::Int(size), Value::Int(total_nframe)) =
            (domain, size, nframe)
        else {
            return Err(bad(format!(
                "trace {i} has non-integer domain, size or frame count"
            )));
        };
        let traceback = b.traceback(tb, i)?;
        b.snap.traces.push(Trace {
            domain,
            size,
            traceback,
            total_nframe,
        });
    }
    Ok(b.snap)
}

struct Builder<'a> {
    arena: &'a Arena,
    snap: Snapshot,
    by_obj: HashMap<u32, u32>,
    by_frames: HashMap<Vec<Frame>, u32>,
    by_name: HashMap<u32, u32>,
}

impl Builder<'_> {
    fn traceback(&mut self, tb: Value, trace: usize) -> Result<u32, PickleError> {
        let Value::Obj(oid) = tb else {
            return Err(bad(format!("trace {trace} has no traceback tuple")));
        };
        if let Some(&id) = self.by_obj.get(&oid) {
            return Ok(id);
        }
        let arena = self.arena;
        let frames = arena
            .tuple(tb)
            .ok_or_else(|| bad(format!("trace {trace}'s traceback is not a tuple")))?;
        let mut out = Vec::with_capacity(frames.len());
        for &f in frames {
            let Some([name, Value::Int(lineno)]) = arena.tuple(f) else {
                return Err(bad(format!(
                    "trace {trace} has a frame that is not (filename, lineno)"
                )));
            };
            let Value::Str(sid) = *name else {
                return Err(bad(format!(
                    "trace {trace} has a frame whose file name is not a string"
                )));
            };
            let filename = match self.by_name.get(&sid) {
                Some(&i) => i,
                None => {
                    let i = self.snap.filenames.len() as u32;
                    self.snap
                        .filenames
                        .push(arena.str(*name).unwrap_or("").to_owned());
                    self.by_name.insert(sid, i);
                    i
                }
            };
            out.push(Frame {
                filename,
                lineno: *lineno,
            });
        }
        let id = match self.by_frames.get(&out) {
            Some(&id) => id,
            None => {
                let id = self.snap.tracebacks.len() as u32;
                self.by_frames.insert(out.clone(), id);
                self.snap.tracebacks.push(out);
                id
            }
        };
        self.by_obj.insert(oid, id);
        Ok(id)
    }
}
