//! The value of a key: one enum, so a key has exactly one type and WRONGTYPE falls out of a
//! match. Later types (list, hash, set, zset, stream) are added here as variants.

use bytes::Bytes;

use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;

#[derive(Debug, Clone)]
pub enum Value {
    /// A string; integers are stored as their decimal text.
    Str(Bytes),
    /// A list (never empty while stored: the last pop deletes the key).
    List(List),
    /// A stream (kept even when empty: streams are deleted only explicitly).
    Stream(Box<Stream>),
    /// A hash (never empty while stored).
    Hash(Hash),
    /// A set (never empty while stored).
    Set(Set),
    /// A sorted set (never empty while stored).
    ZSet(ZSet),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Stream(_) => "stream",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// Heap bytes owned by the value (for MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(b) => super::alloc_size(b.len()),
            Value::List(l) => l.allocated(),
            Value::Stream(st) => st.allocated(),
            Value::Hash(h) => h.allocated(),
            Value::Set(s) => s.allocated(),
            Value::ZSet(z) => z.allocated(),
        }
    }

    /// The encoding OBJECT ENCODING reports, as close to Redis's choice as Herald's
    /// representation allows.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(b) => {
                if b.len() <= 20 && crate::util::parse_i64(b).is_some() {
                    "int"
                } else if b.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::List(_) => "quicklist",
            Value::Stream(_) => "stream",
            Value::Hash(h) => {
                if h.is_hashtable() {
                    "hashtable"
                } else {
                    "listpack"
                }
            }
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => {
                if z.is_skiplist() {
                    "skiplist"
                } else {
                    "listpack"
                }
            }
        }
    }
}
