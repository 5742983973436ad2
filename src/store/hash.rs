//! Hash values: field -> value, in an insertion-ordered map.
//!
//! Redis stores small hashes as a listpack (fields in insertion order, deletes close the gap) and
//! converts to a hashtable for good once a hash has more than `hash-max-listpack-entries` (512)
//! fields or is written a field or value longer than `hash-max-listpack-value` (64) bytes. Herald
//! keeps one `IndexMap` and records whether Redis would have converted: while "listpack", removal
//! shifts (so HGETALL and HSCAN order match Redis exactly); once "hashtable", removal swaps
//! (O(1)), and order is as unspecified as Redis's.

use bytes::Bytes;
use indexmap::IndexMap;

/// `hash-max-listpack-entries` default.
pub const MAX_LISTPACK_ENTRIES: usize = 512;
/// `hash-max-listpack-value` default.
pub const MAX_LISTPACK_VALUE: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct Hash {
    map: IndexMap<Bytes, Bytes, ahash::RandomState>,
    /// Whether Redis would have converted this hash to a hashtable (sticky, as in Redis).
    hashtable: bool,
}

impl Hash {
    pub fn new() -> Self {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// True once Redis would report `hashtable` for OBJECT ENCODING.
    pub fn is_hashtable(&self) -> bool {
        self.hashtable
    }

    /// Redis's `hashTypeTryConversion`: an argument longer than the listpack value limit makes
    /// the hash a hashtable before it is written.
    pub fn try_conversion<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>) {
        if !self.hashtable && args.into_iter().any(|a| a.len() > MAX_LISTPACK_VALUE) {
            self.hashtable = true;
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        self.map.get(field)
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.map.contains_key(field)
    }

    /// Sets `field` (copied) to `value`; true if the field is new. An existing field keeps its
    /// position, as a listpack overwrite does.
    pub fn set(&mut self, field: &[u8], value: Bytes) -> bool {
        if let Some(v) = self.map.get_mut(field) {
            *v = value;
            return false;
        }
        self.map.insert(Bytes::copy_from_slice(field), value);
        if self.map.len() > MAX_LISTPACK_ENTRIES {
            self.hashtable = true;
        }
        true
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        if self.hashtable {
            self.map.swap_remove(field).is_some()
        } else {
            self.map.shift_remove(field).is_some()
        }
    }

    /// Fields and values in storage order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Bytes, &Bytes)> {
        self.map.iter()
    }

    /// The entry at storage position `i` (for random picks and cursors).
    pub fn get_index(&self, i: usize) -> Option<(&Bytes, &Bytes)> {
        self.map.get_index(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_order_and_conversion() {
        let mut h = Hash::new();
        assert!(h.set(b"a", Bytes::from("1")));
        assert!(h.set(b"b", Bytes::from("2")));
        assert!(h.set(b"c", Bytes::from("3")));
        assert!(!h.set(b"a", Bytes::from("9")));
        assert!(h.remove(b"b"));
        let order: Vec<_> = h.iter().map(|(f, _)| f.clone()).collect();
        assert_eq!(order, vec![Bytes::from("a"), Bytes::from("c")]);
        assert!(!h.is_hashtable());
        h.try_conversion([&[b'x'; 65][..]]);
        assert!(h.is_hashtable());
        let mut big = Hash::new();
        for i in 0..=MAX_LISTPACK_ENTRIES {
            big.set(i.to_string().as_bytes(), Bytes::new());
        }
        assert!(big.is_hashtable());
    }
}
