//! A small, purpose-built unpickler for `tracemalloc.Snapshot.dump()` files.
//!
//! It runs the ~35 opcodes a dump can hold (protocols 0-5 framing, ints, strings, tuples,
//! lists, dicts, memo, `STACK_GLOBAL`/`GLOBAL`, `NEWOBJ`, `BUILD`) into an arena, and refuses
//! everything that would run code (`REDUCE`, `INST`, `OBJ`, `NEWOBJ_EX`, extensions,
//! persistent ids) and every class other than `tracemalloc.Snapshot`/`tracemalloc._Traces`.
//! Declared lengths are checked against the remaining input and memo indices must come in
//! order (as Python writes them), so no single opcode can allocate much; what the pickle
//! builds is weighed as it runs and refused past [`MAX_BUILT_PER_BYTE`] times the input (a
//! real dump builds 12 to 15 times its size) or [`MAX_BUILT_BYTES`]. Hostile input never
//! panics.
//! (serde-pickle 1.2 fails on shared memo references, which every real dump has.)

use crate::pprof::fxhash::FxHashMap as HashMap;

pub use super::value::{Arena, Obj, Value};

/// Why bytes are not a readable tracemalloc dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError {
    /// Byte offset of the opcode that failed (None for a well-formed pickle of the wrong shape).
    pub offset: Option<u64>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl std::fmt::Display for PickleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "at byte {o}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PickleError {}

/// The most memory the unpickler may build per byte of input, past [`BUILT_FLOOR_BYTES`].
pub const MAX_BUILT_PER_BYTE: u64 = 32;
/// Memory any dump may build, whatever its size (bytes).
pub const BUILT_FLOOR_BYTES: u64 = 64 << 20;
/// The most memory any dump may build (bytes).
pub const MAX_BUILT_BYTES: u64 = 4 << 30;
/// How many opcodes run between two weighings of what the pickle built.
const WEIGH_EVERY: u64 = 1024;

/// Classes a tracemalloc dump may name.
const ALLOWED: &[(&str, &str)] = &[("tracemalloc", "Snapshot"), ("tracemalloc", "_Traces")];

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    op_at: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: Vec<Option<Value>>,
    arena: Arena,
    interned: HashMap<String, u32>,
    /// Bytes held by lists, dicts and strings (their own buffers), as built.
    held: u64,
    /// Opcodes run.
    ops: u64,
}

impl<'a> Machine<'a> {
    fn fail<T>(&self, message: impl Into<String>) -> Result<T, PickleError> {
        Err(PickleError {
            offset: Some(self.op_at as u64),
            message: message.into(),
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let data: &'a [u8] = self.data;
        match self.pos.checked_add(n).filter(|&end| end <= data.len()) {
            Some(end) => {
                let s = &data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => self.fail(format!(
                "the dump is truncated: {n} bytes declared but {} remain",
                data.len() - self.pos.min(data.len())
            )),
        }
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn le<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn line(&mut self) -> Result<&'a str, PickleError> {
        let data: &'a [u8] = self.data;
        let rest = &data[self.pos.min(data.len())..];
        let Some(n) = rest.iter().position(|&b| b == b'\n') else {
            return self.fail("the dump is truncated inside a text argument");
        };
        self.pos += n + 1;
        match std::str::from_utf8(&rest[..n]) {
            Ok(s) => Ok(s),
            Err(_) => self.fail("a text argument is not UTF-8"),
        }
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return self.fail("the pickle pops from an empty stack");
        }
        match self.stack.pop() {
            Some(v) => Ok(v),
            None => self.fail("the pickle pops from an empty stack"),
        }
    }

    fn top_mut(&mut self) -> Result<&mut Value, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return self.fail("the pickle needs a value on an empty stack");
        }
        let at = self.op_at;
        self.stack.last_mut().ok_or(PickleError {
            offset: Some(at as u64),
            message: "empty stack".into(),
        })
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, PickleError> {
        let Some(m) = self.marks.pop() else {
            return self.fail("the pickle closes a MARK it never opened");
        };
        Ok(self.stack.split_off(m.min(self.stack.len())))
    }

    fn intern(&mut self, bytes: &[u8]) -> Result<Value, PickleError> {
        let Ok(s) = std::str::from_utf8(bytes) else {
            return self.fail("a string is not valid UTF-8");
        };
        if let Some(&id) = self.interned.get(s) {
            return Ok(Value::Str(id));
        }
        let id = self.arena.strings.len() as u32;
        // The string, its copy as a key of `interned`, and the map entry.
        self.held += 2 * s.len() as u64 + 64;
        self.arena.strings.push(s.to_owned());
        self.interned.insert(s.to_owned(), id);
        Ok(Value::Str(id))
    }

    fn new_obj(&mut self, o: Obj) -> Value {
        self.arena.objs.push(o);
        Value::Obj(self.arena.objs.len() as u32 - 1)
    }

    fn tuple(&mut self, items: &[Value]) -> Value {
        let start = self.arena.items.len() as u32;
        self.arena.items.extend_from_slice(items);
        self.new_obj(Obj::Tuple {
            start,
            len: items.len() as u32,
        })
    }

    fn memo_put(&mut self, idx: u64, v: Value) -> Result<(), PickleError> {
        // Python numbers memo entries in order; a jump ahead would make us allocate the gap.
        if idx > self.memo.len() as u64 {
            return self.fail(format!(
                "memo index {idx} skips past the {} entries stored so far; pickle numbers them in order",
                self.memo.len()
            ));
        }
        let i = idx as usize;
        if i >= self.memo.len() {
            self.memo.resize(i + 1, None);
        }
        self.memo[i] = Some(v);
        Ok(())
    }

    fn memo_get(&mut self, idx: u64) -> Result<(), PickleError> {
        match self.memo.get(idx as usize).copied().flatten() {
            Some(v) => {
                self.stack.push(v);
                Ok(())
            }
            None => self.fail(format!(
                "the pickle reads memo entry {idx}, which was never stored"
            )),
        }
    }

    fn append(&mut self, list: Value, items: Vec<Value>) -> Result<(), PickleError> {
        match list {
            Value::Obj(id) => match self.arena.objs.get_mut(id as usize) {
                Some(Obj::List(v)) => {
                    self.held += (items.len() * std::mem::size_of::<Value>()) as u64;
                    v.extend(items);
                    Ok(())
                }
                _ => self.fail("APPEND on something that is not a list"),
            },
            _ => self.fail("APPEND on something that is not a list"),
        }
    }

    fn set_items(&mut self, dict: Value, items: Vec<Value>) -> Result<(), PickleError> {
        if items.len() % 2 != 0 {
            return self.fail("SETITEMS with an odd number of values");
        }
        match dict {
            Value::Obj(id) => match self.arena.objs.get_mut(id as usize) {
                Some(Obj::Dict(kv)) => {
                    self.held += (items.len() * std::mem::size_of::<Value>()) as u64;
                    kv.extend(items.chunks_exact(2).map(|c| (c[0], c[1])));
                    Ok(())
                }
                _ => self.fail("SETITEM on something that is not a dict"),
            },
            _ => self.fail("SETITEM on something that is not a dict"),
        }
    }

    fn global(&mut self, module: &[u8], name: &[u8]) -> Result<Value, PickleError> {
        let (m, n) = (
            String::from_utf8_lossy(module),
            String::from_utf8_lossy(name),
        );
        if !ALLOWED.iter().any(|(am, an)| *am == m && *an == n) {
            return self.fail(format!(
                "the pickle names class {m}.{n}, which is not part of a tracemalloc dump"
            ));
        }
        let (Value::Str(module), Value::Str(name)) = (self.intern(module)?, self.intern(name)?)
        else {
            return self.fail("bad class name");
        };
        Ok(self.new_obj(Obj::Global { module, name }))
    }

    fn long(&mut self, bytes: &[u8]) -> Result<Value, PickleError> {
        if bytes.len() > 8 {
            return self.fail("an integer wider than 64 bits");
        }
        if bytes.is_empty() {
            return Ok(Value::Int(0));
        }
        let neg = bytes[bytes.len() - 1] & 0x80 != 0;
        let mut buf = [if neg { 0xff } else { 0 }; 8];
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(Value::Int(i64::from_le_bytes(buf)))
    }

    /// Bytes the unpickler holds now: its stack, memo and arena at their capacities, plus
    /// the buffers of lists, dicts and strings.
    fn built_bytes(&self) -> u64 {
        let value = std::mem::size_of::<Value>();
        [
            self.stack.capacity() * value,
            self.marks.capacity() * std::mem::size_of::<usize>(),
            self.memo.capacity() * std::mem::size_of::<Option<Value>>(),
            self.arena.objs.capacity() * std::mem::size_of::<Obj>(),
            self.arena.items.capacity() * value,
            self.arena.strings.capacity() * std::mem::size_of::<String>(),
        ]
        .iter()
        .map(|&b| b as u64)
        .fold(self.held, u64::saturating_add)
    }

    /// Refuse to go on once what was built is more than the input justifies.
    fn weigh(&self) -> Result<(), PickleError> {
        let built = self.built_bytes();
        let len = self.data.len() as u64;
        let cap = len
            .saturating_mul(MAX_BUILT_PER_BYTE)
            .clamp(BUILT_FLOOR_BYTES, MAX_BUILT_BYTES);
        if built <= cap {
            return Ok(());
        }
        self.fail(if cap == MAX_BUILT_BYTES {
            format!(
                "the pickle builds more than {} MiB, the most leakscope reads from one dump",
                cap >> 20
            )
        } else {
            format!(
                "the pickle builds {} MiB from {len} bytes, more than {MAX_BUILT_PER_BYTE}× its \
                 size (a real dump builds 12-15×); it is corrupt or built to exhaust memory",
                built >> 20
            )
        })
    }

    fn run(mut self) -> Result<(Value, Arena), PickleError> {
        loop {
            self.ops += 1;
            if self.ops % WEIGH_EVERY == 0 {
                self.weigh()?;
            }
            self.op_at = self.pos;
            let op = match self.data.get(self.pos) {
                Some(&b) => b,
                None => return self.fail("the dump ends before the STOP opcode (truncated?)"),
            };
            self.pos += 1;
            match op {
                0x80 => {
                    let p = self.u8()?;
                    if p > 5 {
                        return self.fail(format!("unsupported pickle protocol {p}"));
                    }
                }
                0x95 => {
                    self.take(8)?;
                }
                b'.' => {
                    let v = self.pop()?;
                    return Ok((v, self.arena));
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let v = *self.top_mut()?;
                    self.stack.push(v);
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'J' => {
                    let v = i32::from_le_bytes(self.le::<4>()?);
                    self.stack.push(Value::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.u8()?;
                    self.stack.push(Value::Int(i64::from(v)));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.le::<2>()?);
                    self.stack.push(Value::Int(i64::from(v)));
                }
                0x8a => {
                    let n = usize::from(self.u8()?);
                    let b = self.take(n)?;
                    let v = self.long(b)?;
                    self.stack.push(v);
                }
                0x8b => {
                    let n = u32::from_le_bytes(self.le::<4>()?) as usize;
                    let b = self.take(n)?;
                    let v = self.long(b)?;
                    self.stack.push(v);
                }
                b'I' | b'L' => {
                    let s = self.line()?.trim_end_matches('L');
                    let v = match s {
                        "00" => Value::Bool(false),
                        "01" => Value::Bool(true),
                        _ => match s.parse::<i64>() {
                            Ok(i) => Value::Int(i),
                            Err(_) => {
                                return self.fail("a text integer that does not fit in 64 bits")
                            }
                        },
                    };
                    self.stack.push(v);
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.le::<8>()?);
                    self.stack.push(Value::Float(v));
                }
                0x8c => {
                    let n = usize::from(self.u8()?);
                    let b = self.take(n)?;
                    let v = self.intern(b)?;
                    self.stack.push(v);
                }
                b'X' => {
                    let n = u32::from_le_bytes(self.le::<4>()?) as usize;
                    let b = self.take(n)?;
                    let v = self.intern(b)?;
                    self.stack.push(v);
                }
                0x8d => {
                    let n = u64::from_le_bytes(self.le::<8>()?);
                    let n = usize::try_from(n).unwrap_or(usize::MAX);
                    let b = self.take(n)?;
                    let v = self.intern(b)?;
                    self.stack.push(v);
                }
                b'C' => {
                    let n = usize::from(self.u8()?);
                    self.take(n)?;
                    self.stack.push(Value::Bytes);
                }
                b'B' => {
                    let n = u32::from_le_bytes(self.le::<4>()?) as usize;
                    self.take(n)?;
                    self.stack.push(Value::Bytes);
                }
                b')' => {
                    let v = self.tuple(&[]);
                    self.stack.push(v);
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() < floor + n {
                        return self.fail("TUPLE needs more values than the stack holds");
                    }
                    let at = self.stack.len() - n;
                    let start = self.arena.items.len() as u32;
                    self.arena.items.extend_from_slice(&self.stack[at..]);
                    self.stack.truncate(at);
                    let v = self.new_obj(Obj::Tuple {
                        start,
                        len: n as u32,
                    });
                    self.stack.push(v);
                }
                b't' => {
                    let Some(m) = self.marks.pop() else {
                        return self.fail("the pickle closes a MARK it never opened");
                    };
                    let m = m.min(self.stack.len());
                    let start = self.arena.items.len() as u32;
                    self.arena.items.extend_from_slice(&self.stack[m..]);
                    let len = (self.stack.len() - m) as u32;
                    self.stack.truncate(m);
                    let v = self.new_obj(Obj::Tuple { start, len });
                    self.stack.push(v);
                }
                b']' => {
                    let v = self.new_obj(Obj::List(Vec::new()));
                    self.stack.push(v);
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    self.held += (items.capacity() * std::mem::size_of::<Value>()) as u64;
                    let v = self.new_obj(Obj::List(items));
                    self.stack.push(v);
                }
                b'a' => {
                    let item = self.pop()?;
                    let list = *self.top_mut()?;
                    self.append(list, vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let list = *self.top_mut()?;
                    self.append(list, items)?;
                }
                b'}' => {
                    let v = self.new_obj(Obj::Dict(Vec::new()));
                    self.stack.push(v);
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    let v = self.new_obj(Obj::Dict(Vec::new()));
                    self.set_items(v, items)?;
                    self.stack.push(v);
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    let dict = *self.top_mut()?;
                    self.set_items(dict, vec![key, value])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let dict = *self.top_mut()?;
                    self.set_items(dict, items)?;
                }
                0x94 => {
                    let v = *self.top_mut()?;
                    let idx = self.memo.len() as u64;
                    self.memo_put(idx, v)?;
                }
                b'q' => {
                    let idx = u64::from(self.u8()?);
                    let v = *self.top_mut()?;
                    self.memo_put(idx, v)?;
                }
                b'r' => {
                    let idx = u64::from(u32::from_le_bytes(self.le::<4>()?));
                    let v = *self.top_mut()?;
                    self.memo_put(idx, v)?;
                }
                b'p' => {
                    let idx = match self.line()?.parse::<u64>() {
                        Ok(i) => i,
                        Err(_) => return self.fail("a PUT index that is not a number"),
                    };
                    let v = *self.top_mut()?;
                    self.memo_put(idx, v)?;
                }
                b'h' => {
                    let idx = u64::from(self.u8()?);
                    self.memo_get(idx)?;
                }
                b'j' => {
                    let idx = u64::from(u32::from_le_bytes(self.le::<4>()?));
                    self.memo_get(idx)?;
                }
                b'g' => {
                    let idx = match self.line()?.parse::<u64>() {
                        Ok(i) => i,
                        Err(_) => return self.fail("a GET index that is not a number"),
                    };
                    self.memo_get(idx)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Some(m), Some(n)) = (
                        self.arena.str(module).map(|s| s.as_bytes().to_vec()),
                        self.arena.str(name).map(|s| s.as_bytes().to_vec()),
                    ) else {
                        return self.fail("STACK_GLOBAL needs two strings");
                    };
                    let v = self.global(&m, &n)?;
                    self.stack.push(v);
                }
                b'c' => {
                    let m = self.line()?.as_bytes();
                    let n = self.line()?.as_bytes();
                    let v = self.global(m, n)?;
                    self.stack.push(v);
                }
                0x81 => {
                    let _args = self.pop()?;
                    let class = self.pop()?;
                    let Some(Obj::Global { .. }) = self.arena.obj(class) else {
                        return self.fail("NEWOBJ on something that is not a class");
                    };
                    let Value::Obj(class) = class else {
                        return self.fail("NEWOBJ on something that is not a class");
                    };
                    let v = self.new_obj(Obj::Instance { class, state: None });
                    self.stack.push(v);
                }
                b'b' => {
                    let state = self.pop()?;
                    let inst = *self.top_mut()?;
                    match inst {
                        Value::Obj(id) => match self.arena.objs.get_mut(id as usize) {
                            Some(Obj::Instance { state: s, .. }) => *s = Some(state),
                            _ => return self.fail("BUILD on something that is not an object"),
                        },
                        _ => return self.fail("BUILD on something that is not an object"),
                    }
                }
                other => {
                    return self.fail(format!(
                    "unsupported pickle opcode 0x{other:02x}: not something Snapshot.dump() writes"
                ))
                }
            }
        }
    }
}

/// Run the pickle in `data` and return its top value with the arena holding everything.
pub fn unpickle(data: &[u8]) -> Result<(Value, Arena), PickleError> {
    Machine {
        data,
        pos: 0,
        op_at: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: Vec::new(),
        arena: Arena::default(),
        interned: HashMap::default(),
        held: 0,
        ops: 0,
    }
    .run()
}
