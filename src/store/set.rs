//! Set values, in Redis 7.0's two encodings.
//!
//! An *intset* (a sorted vector of integers) holds sets whose members are all canonical 64-bit
//! integers (Redis's `string2ll`), up to `set-max-intset-entries` (512) members; its order is
//! numeric, which is what SMEMBERS and SSCAN return. Anything else is a *hashtable*: a
//! [`Table`] of boxed members in storage order plus an [`Index`] from member to position, whose
//! removal swaps the last member into the hole (O(1)) and whose order is unspecified, as
//! Redis's is. The conversion is one-way, as in Redis.

use bytes::Bytes;

use super::packed::{self, Index};

/// `set-max-intset-entries` default.
pub const MAX_INTSET_ENTRIES: usize = 512;

#[derive(Debug, Clone)]
pub enum Set {
    Ints(Vec<i64>),
    Table(Box<Table>),
}

/// The hashtable encoding: members in storage order (one allocation each, no header beyond
/// the box) and the index over them.
#[derive(Debug, Clone, Default)]
pub struct Table {
    members: Vec<Box<[u8]>>,
    index: Index,
}

fn rehash(members: &[Box<[u8]>]) -> impl Fn(usize) -> u64 + '_ {
    |p| packed::hash(members.get(p).map_or(&[][..], |m| &m[..]))
}

impl Table {
    fn with_capacity(n: usize) -> Table {
        Table {
            members: Vec::with_capacity(n),
            index: Index::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn find(&self, m: &[u8]) -> Option<usize> {
        self.index.find(packed::hash(m), |p| {
            self.members.get(p).is_some_and(|x| &x[..] == m)
        })
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        self.find(m).is_some()
    }

    /// Adds `m` (copied); true if it was not a member.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        let h = packed::hash(m);
        if self.find(m).is_some() {
            return false;
        }
        self.members.push(m.into());
        let p = self.members.len() - 1;
        self.index.insert(h, p, rehash(&self.members));
        true
    }

    /// Removes and returns the member at position `p`; the last member takes its place.
    pub fn swap_remove_index(&mut self, p: usize) -> Option<Box<[u8]>> {
        let h = packed::hash(self.members.get(p)?);
        self.index.remove(h, p, rehash(&self.members));
        let last = self.members.len() - 1;
        let m = self.members.swap_remove(p);
        if p != last {
            let h = rehash(&self.members)(p);
            self.index.repoint(h, last, p);
        }
        if self.members.len() * 4 < self.members.capacity() && self.members.capacity() > 16 {
            self.members.shrink_to(self.members.len() * 2);
        }
        Some(m)
    }

    pub fn swap_remove(&mut self, m: &[u8]) -> bool {
        match self.find(m) {
            Some(p) => self.swap_remove_index(p).is_some(),
            None => false,
        }
    }

    pub fn get_index(&self, p: usize) -> Option<&[u8]> {
        self.members.get(p).map(|m| &m[..])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.members.iter().map(|m| &m[..])
    }

    /// Heap bytes held by the table.
    pub fn allocated(&self) -> usize {
        self.members.capacity() * std::mem::size_of::<Box<[u8]>>()
            + self.index.allocated()
            + self
                .members
                .iter()
                .map(|m| super::alloc_size(m.len()))
                .sum::<usize>()
    }
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
            let mut t = Table::with_capacity(v.len() + 1);
            let mut buf = itoa::Buffer::new();
            for &i in v.iter() {
                t.insert(buf.format(i).as_bytes());
            }
            *self = Set::Table(Box::new(t));
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
                            // Exact size, as an intset is (small sets are many).
                            v.reserve_exact(1);
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
            Set::Table(t) => t.insert(m),
            Set::Ints(_) => false,
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Ints(v) => match as_int(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    if v.capacity() - v.len() > 4 {
                        v.shrink_to_fit();
                    }
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
            Set::Table(t) => t.get_index(i).map(Bytes::copy_from_slice),
        }
    }

    /// Removes and returns the member at storage position `i`.
    pub fn remove_index(&mut self, i: usize) -> Option<Bytes> {
        match self {
            Set::Ints(v) => (i < v.len()).then(|| int_bytes(v.remove(i))),
            Set::Table(t) => t.swap_remove_index(i).map(Bytes::from),
        }
    }

    /// Heap bytes held by the set (for MEMORY USAGE and the benchmarks).
    pub fn allocated(&self) -> usize {
        match self {
            Set::Ints(v) => super::alloc_size(v.capacity() * 8),
            Set::Table(t) => t.allocated(),
        }
    }

    /// Members in storage order (numeric for an intset).
    pub fn members(&self) -> Box<dyn Iterator<Item = Bytes> + '_> {
        match self {
            Set::Ints(v) => Box::new(v.iter().map(|&i| int_bytes(i))),
            Set::Table(t) => Box::new(t.iter().map(Bytes::copy_from_slice)),
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

    #[test]
    fn table_positions_swap() {
        let mut s = Set::new();
        for i in 0..3000 {
            assert!(s.add(format!("m{i}").as_bytes()));
        }
        assert!(!s.add(b"m7"));
        assert_eq!(s.get_index(0), Some(Bytes::from("m0")));
        assert_eq!(s.remove_index(0), Some(Bytes::from("m0")));
        assert_eq!(s.get_index(0), Some(Bytes::from("m2999")));
        for i in 1..2990 {
            assert!(s.remove(format!("m{i}").as_bytes()));
        }
        assert_eq!(s.len(), 10);
        assert!(s.members().all(|m| s.contains(&m)));
        assert!(!s.contains(b"m5"));
    }

    #[test]
    fn large_set_is_lean() {
        // Old layout (IndexSet<Bytes>): ~100 bytes per 16 B member; Redis: 72.
        let mut s = Set::new();
        let n = 100_000;
        for i in 0..n {
            s.add(format!("m{i:015}").as_bytes());
        }
        let per = s.allocated() / n;
        assert!(per <= 70, "{per} bytes per member");
    }
}
