//! Building blocks for the compact collection encodings: length-prefixed byte strings packed
//! into one buffer (Herald's listpack), and a lean open-addressing index from keys to positions
//! (Herald's dict).
//!
//! Redis keeps small hashes and sorted sets as listpacks: one contiguous allocation, entries
//! scanned linearly. [`put_bytes`]/[`get_bytes`] write and read such entries (a LEB128 length,
//! then the bytes). Large collections need O(1) lookup by key while keeping a *positional*
//! storage order (HSCAN/SSCAN/ZSCAN cursors and random picks address positions). [`Index`] is a
//! linear-probing table of `u32` positions (4 bytes a slot, at most 3/4 full) that stores no
//! keys and no hashes: it asks its owner for the key at a position. Together with one boxed
//! allocation per entry this costs well under Redis's dictEntry + sds + bucket.
//!
//! [`ChunkMap`] and [`ChunkSet`] are ordered maps/sets of small `Copy` keys stored in sorted
//! chunks of up to 64 entries (the stream PELs): appending in key order, the usual case, fills
//! every chunk completely, where a B-tree leaves its leaves about half full.

use std::collections::BTreeMap;
use std::ops::RangeFrom;
use std::sync::OnceLock;

/// The hasher every index uses: randomly seeded once per process (as Redis seeds siphash), so
/// clients cannot predict collisions.
fn state() -> &'static ahash::RandomState {
    static STATE: OnceLock<ahash::RandomState> = OnceLock::new();
    STATE.get_or_init(ahash::RandomState::new)
}

/// The hash of a key, as every [`Index`] computes it.
#[inline]
pub fn hash(key: &[u8]) -> u64 {
    state().hash_one(key)
}

/// Appends `n` as LEB128.
#[inline]
pub fn put_len(buf: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// Reads a LEB128 length at `pos`; returns it and the position after it. The buffer was
/// written by [`put_len`], so it is well formed (a truncated buffer yields what was read).
#[inline]
pub fn get_len(buf: &[u8], mut pos: usize) -> (usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    while let Some(&b) = buf.get(pos) {
        pos += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    (n, pos)
}

/// Appends a length-prefixed byte string.
#[inline]
pub fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    put_len(buf, b.len());
    buf.extend_from_slice(b);
}

/// Gives back a packed buffer's spare capacity beyond a few bytes (packed buffers are kept at
/// about their exact size, as listpacks are).
#[inline]
pub fn trim(buf: &mut Vec<u8>) {
    if buf.capacity() - buf.len() > 8 {
        buf.shrink_to_fit();
    }
}

/// Encodes a length-prefixed byte string into a new vector (for splicing).
pub fn encode_bytes(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(b.len() + 2);
    put_bytes(&mut v, b);
    v
}

/// Reads the length-prefixed byte string at `pos`; returns it and the position after it.
#[inline]
pub fn get_bytes(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let (n, p) = get_len(buf, pos);
    let end = p.saturating_add(n).min(buf.len());
    (buf.get(p..end).unwrap_or_default(), end)
}

/// One allocation holding a key and a value: `[len(key)] key value`.
pub fn pair(key: &[u8], value: &[u8]) -> Box<[u8]> {
    let mut v = Vec::with_capacity(key.len() + value.len() + 3);
    put_bytes(&mut v, key);
    v.extend_from_slice(value);
    v.into_boxed_slice()
}

/// Splits an allocation made by [`pair`].
#[inline]
pub fn split_pair(p: &[u8]) -> (&[u8], &[u8]) {
    let (k, end) = get_bytes(p, 0);
    (k, p.get(end..).unwrap_or_default())
}

/// Open-addressing (linear probing) index of positions `0..u32::MAX - 1`. Slot value 0 is
/// empty, otherwise position + 1. Keys live with the owner; every method that must compare or
/// rehash takes a closure from position to key (or hash).
#[derive(Debug, Clone, Default)]
pub struct Index {
    slots: Vec<u32>,
    len: usize,
}

impl Index {
    /// Bytes allocated by the index.
    pub fn allocated(&self) -> usize {
        self.slots.capacity() * 4
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The position of the key hashing to `h` for which `eq(position)` holds.
    #[inline]
    pub fn find(&self, h: u64, eq: impl Fn(usize) -> bool) -> Option<usize> {
        self.find_slot(h, eq).map(|s| self.slots[s] as usize - 1)
    }

    fn find_slot(&self, h: u64, eq: impl Fn(usize) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            if eq(s as usize - 1) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `pos` (whose key hashes to `h` and is not present); `rehash` gives the hash of the
    /// key at any indexed position, for growing.
    pub fn insert(&mut self, h: u64, pos: usize, rehash: impl Fn(usize) -> u64) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let cap = (self.slots.len() * 2).max(8);
            self.rebuild(cap, &rehash);
        }
        self.place(h, pos);
        self.len += 1;
    }

    fn place(&mut self, h: u64, pos: usize) {
        let mask = self.mask();
        let mut i = h as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = pos as u32 + 1;
    }

    fn rebuild(&mut self, cap: usize, rehash: &impl Fn(usize) -> u64) {
        let old = std::mem::replace(&mut self.slots, vec![0; cap]);
        for s in old {
            if s != 0 {
                let p = s as usize - 1;
                self.place(rehash(p), p);
            }
        }
    }

    /// Removes `pos` (whose key hashes to `h`); false if it was not indexed.
    pub fn remove(&mut self, h: u64, pos: usize, rehash: impl Fn(usize) -> u64) -> bool {
        let Some(mut i) = self.find_slot(h, |p| p == pos) else {
            return false;
        };
        // Backward-shift deletion: later members of the probe run move into the hole unless
        // their home slot lies cyclically in (hole, them].
        let mask = self.mask();
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s == 0 {
                break;
            }
            let k = rehash(s as usize - 1) as usize & mask;
            let stays = if i <= j {
                i < k && k <= j
            } else {
                i < k || k <= j
            };
            if !stays {
                self.slots[i] = s;
                i = j;
            }
        }
        self.slots[i] = 0;
        self.len -= 1;
        if self.slots.len() > 64 && self.len * 8 < self.slots.len() {
            let cap = (self.len * 2).next_power_of_two().max(64);
            self.rebuild(cap, &rehash);
        }
        true
    }

    /// Records that the key hashing to `h` moved from position `from` to `to`.
    pub fn repoint(&mut self, h: u64, from: usize, to: usize) {
        if let Some(i) = self.find_slot(h, |p| p == from) {
            self.slots[i] = to as u32 + 1;
        }
    }

    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.len = 0;
    }
}

/// Entries per [`ChunkMap`] chunk.
const CHUNK: usize = 64;

/// An ordered map in sorted chunks: `chunks` maps each chunk's first key to the chunk (never
/// empty). The subset of `BTreeMap`'s API the stream commands use.
#[derive(Debug, Clone)]
pub struct ChunkMap<K, V> {
    chunks: BTreeMap<K, Vec<(K, V)>>,
    len: usize,
}

impl<K: Ord + Copy, V> Default for ChunkMap<K, V> {
    fn default() -> Self {
        ChunkMap {
            chunks: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<K: Ord + Copy, V> ChunkMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first key of the chunk that holds (or would hold) `k`.
    fn chunk_of(&self, k: &K) -> Option<K> {
        self.chunks
            .range(..=*k)
            .next_back()
            .or_else(|| self.chunks.iter().next())
            .map(|(c, _)| *c)
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        let c = self.chunks.range(..=*k).next_back()?.1;
        let i = c.binary_search_by(|e| e.0.cmp(k)).ok()?;
        c.get(i).map(|e| &e.1)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let c = self.chunks.range_mut(..=*k).next_back()?.1;
        let i = c.binary_search_by(|e| e.0.cmp(k)).ok()?;
        c.get_mut(i).map(|e| &mut e.1)
    }

    pub fn contains_key(&self, k: &K) -> bool {
        self.get(k).is_some()
    }

    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        let Some(ck) = self.chunk_of(&k) else {
            let mut c = Vec::with_capacity(CHUNK);
            c.push((k, v));
            self.chunks.insert(k, c);
            self.len += 1;
            return None;
        };
        let c = self.chunks.get_mut(&ck)?;
        let pos = match c.binary_search_by(|e| e.0.cmp(&k)) {
            Ok(i) => return c.get_mut(i).map(|e| std::mem::replace(&mut e.1, v)),
            Err(pos) => pos,
        };
        self.len += 1;
        if c.len() < CHUNK {
            c.insert(pos, (k, v));
            if pos == 0 {
                self.rekey(ck);
            }
            return None;
        }
        // Full: an append starts a new chunk (so in-order inserts fill chunks completely);
        // anything else splits the chunk in half.
        let mut right = Vec::with_capacity(CHUNK);
        if pos == c.len() {
            right.push((k, v));
        } else {
            right.extend(c.drain(CHUNK / 2..));
            if pos <= CHUNK / 2 {
                c.insert(pos, (k, v));
            } else {
                right.insert(pos - CHUNK / 2, (k, v));
            }
        }
        if let Some(&(rk, _)) = right.first() {
            self.chunks.insert(rk, right);
        }
        if pos == 0 {
            self.rekey(ck);
        }
        None
    }

    /// Re-files the chunk stored under `old` under its current first key.
    fn rekey(&mut self, old: K) {
        if let Some(c) = self.chunks.remove(&old) {
            if let Some(&(k, _)) = c.first() {
                self.chunks.insert(k, c);
            }
        }
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        let (&ck, c) = self.chunks.range_mut(..=*k).next_back()?;
        let i = c.binary_search_by(|e| e.0.cmp(k)).ok()?;
        let (_, v) = c.remove(i);
        self.len -= 1;
        if c.is_empty() {
            self.chunks.remove(&ck);
        } else {
            if c.len() < CHUNK / 4 && c.capacity() == CHUNK {
                c.shrink_to(CHUNK / 4);
            }
            if i == 0 {
                self.rekey(ck);
            }
        }
        Some(v)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.chunks.values().flatten().map(|(k, v)| (k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Entries with keys at or after `r.start`, in order.
    pub fn range(&self, r: RangeFrom<K>) -> impl Iterator<Item = (&K, &V)> + '_ {
        let start = r.start;
        let first = self.chunk_of(&start);
        first
            .into_iter()
            .flat_map(move |ck| self.chunks.range(ck..))
            .flat_map(|(_, c)| c.iter())
            .skip_while(move |e| e.0 < start)
            .map(|(k, v)| (k, v))
    }

    /// Heap bytes held (chunk buffers and the chunk index's nodes, estimated).
    pub fn allocated(&self) -> usize {
        self.chunks
            .values()
            .map(|c| super::alloc_size(c.capacity() * std::mem::size_of::<(K, V)>()) + 24)
            .sum()
    }
}

/// An ordered set in sorted chunks (see [`ChunkMap`]).
#[derive(Debug, Clone)]
pub struct ChunkSet<K>(ChunkMap<K, ()>);

impl<K: Ord + Copy> Default for ChunkSet<K> {
    fn default() -> Self {
        ChunkSet(ChunkMap::default())
    }
}

impl<K: Ord + Copy> ChunkSet<K> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, k: &K) -> bool {
        self.0.contains_key(k)
    }

    /// Adds `k`; true if it was absent.
    pub fn insert(&mut self, k: K) -> bool {
        self.0.insert(k, ()).is_none()
    }

    pub fn remove(&mut self, k: &K) -> bool {
        self.0.remove(k).is_some()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.0.keys()
    }

    pub fn range(&self, r: RangeFrom<K>) -> impl Iterator<Item = &K> + '_ {
        self.0.range(r).map(|(k, _)| k)
    }

    pub fn allocated(&self) -> usize {
        self.0.allocated()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_pairs() {
        let mut buf = Vec::new();
        for n in [0usize, 1, 127, 128, 300, 70_000] {
            buf.clear();
            put_len(&mut buf, n);
            assert_eq!(get_len(&buf, 0), (n, buf.len()));
        }
        let p = pair(b"field", b"value");
        assert_eq!(split_pair(&p), (&b"field"[..], &b"value"[..]));
        let long = vec![7u8; 200];
        let p = pair(&long, b"");
        assert_eq!(split_pair(&p), (&long[..], &b""[..]));
    }

    #[test]
    fn index_insert_remove_repoint() {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut idx = Index::default();
        for i in 0..5000u32 {
            let k = format!("k{i}").into_bytes();
            keys.push(k);
            let p = keys.len() - 1;
            idx.insert(hash(&keys[p]), p, |q| hash(&keys[q]));
        }
        let find = |idx: &Index, keys: &Vec<Vec<u8>>, k: &[u8]| {
            idx.find(hash(k), |p| keys.get(p).is_some_and(|x| x == k))
        };
        for (p, k) in keys.iter().enumerate() {
            assert_eq!(find(&idx, &keys, k), Some(p));
        }
        // swap_remove every other key, as the hash and set tables do.
        let mut i = 0;
        while i < keys.len() {
            let h = hash(&keys[i]);
            assert!(idx.remove(h, i, |q| hash(&keys[q])));
            let last = keys.len() - 1;
            keys.swap_remove(i);
            if i != last {
                idx.repoint(hash(&keys[i]), last, i);
            }
            i += 1;
        }
        assert_eq!(keys.len(), 2500);
        for (p, k) in keys.iter().enumerate() {
            assert_eq!(find(&idx, &keys, k), Some(p));
        }
        assert_eq!(find(&idx, &keys, b"nope"), None);
        while let Some(k) = keys.pop() {
            assert!(idx.remove(hash(&k), keys.len(), |q| hash(&keys[q])));
        }
        assert!(idx.allocated() <= 64 * 4);
    }

    #[test]
    fn chunk_map_matches_btreemap() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut m: ChunkMap<u32, u32> = ChunkMap::new();
        let mut model = BTreeMap::new();
        // In-order appends fill chunks completely.
        for k in 0..1000u32 {
            m.insert(k * 4, k);
            model.insert(k * 4, k);
        }
        assert_eq!(m.chunks.len(), 1000 / CHUNK + 1);
        for step in 0..20_000u32 {
            let k = rng.gen_range(0..5000u32);
            match rng.gen_range(0..4) {
                0 | 1 => assert_eq!(m.insert(k, step), model.insert(k, step)),
                2 => assert_eq!(m.remove(&k), model.remove(&k)),
                _ => {
                    if let Some(v) = m.get_mut(&k) {
                        *v += 1;
                    }
                    if let Some(v) = model.get_mut(&k) {
                        *v += 1;
                    }
                }
            }
            assert_eq!(m.len(), model.len());
            if step % 997 == 0 {
                assert!(m.iter().eq(model.iter()));
                assert!(m.range(k..).eq(model.range(k..)));
                assert_eq!(m.keys().next_back(), model.keys().next_back());
                assert!(m
                    .chunks
                    .iter()
                    .all(|(ck, c)| c.first().map(|e| e.0) == Some(*ck)));
            }
            assert_eq!(m.get(&k), model.get(&k));
        }
        let mut s = ChunkSet::new();
        assert!(s.insert(5u32) && s.insert(1) && !s.insert(5));
        assert!(s.range(2..).copied().eq([5]));
        assert!(s.remove(&1) && !s.remove(&1));
        assert_eq!(s.len(), 1);
    }
}
