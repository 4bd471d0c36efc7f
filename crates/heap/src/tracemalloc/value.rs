//! What the unpickler builds: stack values and an arena of containers and objects.

/// A value on the unpickler's stack. Containers live in the arena ([`Obj`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `True`/`False`.
    Bool(bool),
    /// An int that fits in i64.
    Int(i64),
    /// A float.
    Float(f64),
    /// An interned string (index into [`Arena::strings`]).
    Str(u32),
    /// Bytes (contents dropped; dumps hold none).
    Bytes,
    /// A container or object (index into [`Arena::objs`]).
    Obj(u32),
}

/// A container or object built by the pickle.
#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    /// A tuple: a range of [`Arena::items`].
    Tuple {
        /// First item.
        start: u32,
        /// Number of items.
        len: u32,
    },
    /// A list.
    List(Vec<Value>),
    /// A dict, in insertion order.
    Dict(Vec<(Value, Value)>),
    /// A class named by `GLOBAL`/`STACK_GLOBAL` (string ids).
    Global {
        /// Module name.
        module: u32,
        /// Class name.
        name: u32,
    },
    /// An instance made by `NEWOBJ`, with the state `BUILD` gave it.
    Instance {
        /// The class (an [`Obj::Global`] id).
        class: u32,
        /// `__dict__` state from `BUILD`.
        state: Option<Value>,
    },
}

/// Everything a pickle built.
#[derive(Debug, Default)]
pub struct Arena {
    /// Interned strings.
    pub strings: Vec<String>,
    /// Containers and objects.
    pub objs: Vec<Obj>,
    /// Tuple items.
    pub items: Vec<Value>,
}

impl Arena {
    /// The items of tuple `id` (None when `id` is not a tuple).
    pub fn tuple(&self, v: Value) -> Option<&[Value]> {
        match v {
            Value::Obj(id) => match self.objs.get(id as usize)? {
                Obj::Tuple { start, len } => self
                    .items
                    .get(*start as usize..(*start as usize).checked_add(*len as usize)?),
                _ => None,
            },
            _ => None,
        }
    }

    /// The string of `v` when it is one.
    pub fn str(&self, v: Value) -> Option<&str> {
        match v {
            Value::Str(i) => self.strings.get(i as usize).map(String::as_str),
            _ => None,
        }
    }

    /// The object of `v` when it is one.
    pub fn obj(&self, v: Value) -> Option<&Obj> {
        match v {
            Value::Obj(i) => self.objs.get(i as usize),
            _ => None,
        }
    }

    /// Look `key` up in dict `v`.
    pub fn dict_get(&self, v: Value, key: &str) -> Option<Value> {
        match self.obj(v)? {
            Obj::Dict(kv) => kv
                .iter()
                .find(|(k, _)| self.str(*k) == Some(key))
                .map(|(_, v)| *v),
            _ => None,
        }
    }

    /// `module.name` of the class of instance `v`.
    pub fn class_of(&self, v: Value) -> Option<(&str, &str)> {
        match self.obj(v)? {
            Obj::Instance { class, .. } => match self.objs.get(*class as usize)? {
                Obj::Global { module, name } => Some((
                    self.strings.get(*module as usize)?.as_str(),
                    self.strings.get(*name as usize)?.as_str(),
                )),
                _ => None,
            },
            _ => None,
        }
    }
}
