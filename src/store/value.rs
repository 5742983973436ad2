//! The value of a key: one enum, so a key has exactly one type and WRONGTYPE falls out of a
//! match. Later types (list, hash, set, zset, stream) are added here as variants.

use bytes::Bytes;

use super::list::List;

#[derive(Debug, Clone)]
pub enum Value {
    /// A string; integers are stored as their decimal text.
    Str(Bytes),
    /// A list (never empty while stored: the last pop deletes the key).
    List(List),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
        }
    }

    /// Heap bytes owned by the value (for MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(b) => super::alloc_size(b.len()),
            Value::List(l) => l.allocated(),
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
        }
    }
}
