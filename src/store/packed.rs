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
}
