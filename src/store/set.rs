//! Set values, in Redis 7.0's two encodings.
//!
//! An *intset* (a sorted vector of integers) holds sets whose members are all canonical 64-bit
//! integers (Redis's `string2ll`), up to `set-max-intset-entries` (512) members; its order is
//! numeric, which is what SMEMBERS and SSCAN return. Anything else is a *hashtable*: an
//! `IndexSet` whose removal swaps (O(1)) and whose order is unspecified, as Redis's is. The
//! conversion is one-way, as in Redis.

use bytes::Bytes;
use indexmap::IndexSet;

/// `set-max-intset-entries` default.
pub const MAX_INTSET_ENTRIES: usize = 512;

#[derive(Debug, Clone)]
pub enum Set {
    Ints(Vec<i64>),
    Table(IndexSet<Bytes, ahash::RandomState>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Ints(Vec::new())
    }
}

fn as_int(m: &[u8]) -> Option<i64> {
    crate::util::parse_i64(m)
}

fn int_bytes(i: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(i).as_bytes())
}

impl Set {
    pub fn new() -> Self {
        Set::default()
    }

    /// A set holding `members` (duplicates collapse), encoded as Redis would encode a set built
    /// by adding them one by one to a new intset.
    pub fn from_members<'a>(members: impl IntoIterator<Item = &'a [u8]>) -> Set {
        let mut s = Set::new();
        for m in members {
            s.add(m);
        }
        s
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Ints(v) => v.len(),
            Set::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    fn convert(&mut self) {
        if let Set::Ints(v) = self {
            let mut t = IndexSet::with_capacity_and_hasher(v.len() + 1, Default::default());
            for &i in v.iter() {
                t.insert(int_bytes(i));
            }
            *self = Set::Table(t);
        }
    }

    /// Adds `m` (copied); true if it was not a member.
    pub fn add(&mut self, m: &[u8]) -> bool {
        if let Set::Ints(v) = self {
            match as_int(m) {
                Some(i) => {
                    return match v.binary_search(&i) {
                        Ok(_) => false,
                        Err(pos) => {
                            v.insert(pos, i);
                            if v.len() > MAX_INTSET_ENTRIES {
                                self.convert();
                            }
                            true
                        }
                    };
                }
                None => self.convert(),
            }
        }
        match self {
            Set::Table(t) => {
                if t.contains(m) {
                    false
                } else {
                    t.insert(Bytes::copy_from_slice(m))
                }
            }
            Set::Ints(_) => false,
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => match as_int(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Set::Table(t) => t.swap_remove(m),
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => as_int(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Set::Table(t) => t.contains(m),
        }
    }

    /// The member at storage position `i`.
    pub fn get_index(&self, i: usize) -> Option<Bytes> {
        match self {
            Set::Ints(v) => v.get(i).map(|&n| int_bytes(n)),
            Set::Table(t) => t.get_index(i).cloned(),
        }
    }

    /// Removes and returns the member at storage position `i`.
    pub fn remove_index(&mut self, i: usize) -> Option<Bytes> {
        match self {
            Set::Ints(v) => (i < v.len()).then(|| int_bytes(v.remove(i))),
            Set::Table(t) => t.swap_remove_index(i),
        }
    }

    /// Members in storage order (numeric for an intset).
    pub fn members(&self) -> Box<dyn Iterator<Item = Bytes> + '_> {
        match self {
            Set::Ints(v) => Box::new(v.iter().map(|&i| int_bytes(i))),
            Set::Table(t) => Box::new(t.iter().cloned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_then_hashtable() {
        let mut s = Set::new();
        assert!(s.add(b"3"));
        assert!(s.add(b"-1"));
        assert!(!s.add(b"3"));
        assert_eq!(s.encoding(), "intset");
        let m: Vec<_> = s.members().collect();
        assert_eq!(m, vec![Bytes::from("-1"), Bytes::from("3")]);
        assert!(!s.contains(b"03"));
        assert!(s.add(b"x"));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"3") && s.contains(b"x"));
        assert!(s.remove(b"-1"));
        assert_eq!(s.len(), 2);
        let mut big = Set::new();
        for i in 0..=MAX_INTSET_ENTRIES {
            big.add(i.to_string().as_bytes());
        }
        assert_eq!(big.encoding(), "hashtable");
        assert_eq!(big.len(), MAX_INTSET_ENTRIES + 1);
    }
}
