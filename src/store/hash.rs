//! Hash values, in Redis 7.0's two encodings.
//!
//! Redis stores small hashes as a listpack (fields in insertion order, deletes close the gap) and
//! converts to a hashtable for good once a hash has more than `hash-max-listpack-entries` (512)
//! fields or is written a field or value longer than `hash-max-listpack-value` (64) bytes. Herald
//! does the same: a *packed* hash is one buffer of length-prefixed field/value pairs, scanned
//! linearly (removal shifts, so HGETALL and HSCAN order match Redis exactly); a *table* hash is
//! a vector of entries (field and value in one allocation) plus an [`Index`] from field to
//! position. Table removal swaps the last entry into the hole (O(1)), so order is as unspecified
//! as Redis's, and HSCAN cursors can walk positions (see `commands/hashes.rs`).

use super::packed::{self, Index};

/// `hash-max-listpack-entries` default.
pub const MAX_LISTPACK_ENTRIES: usize = 512;
/// `hash-max-listpack-value` default.
pub const MAX_LISTPACK_VALUE: usize = 64;

#[derive(Debug, Clone)]
enum Repr {
    /// `len` pairs of `[len] field [len] value` in one buffer; `cursor` remembers where the
    /// last positional read ended.
    Packed {
        buf: Vec<u8>,
        len: u32,
        cursor: Cursor,
    },
    /// Entries made by [`packed::pair`], in storage order, and the index over their fields.
    Table {
        entries: Vec<Box<[u8]>>,
        index: Box<Index>,
    },
}

#[derive(Debug, Clone)]
pub struct Hash {
    repr: Repr,
}

impl Default for Hash {
    fn default() -> Self {
        Hash {
            repr: Repr::Packed {
                buf: Vec::new(),
                len: 0,
                cursor: Cursor::default(),
            },
        }
    }
}

/// Bits of a [`Cursor`] that hold the byte offset (a packed hash is far smaller than 4 MiB: at
/// most 512 pairs of at most 64 bytes each, apart from short HINCRBYFLOAT results).
const CURSOR_OFFSET_BITS: u32 = 22;

/// The position (index + 1, byte offset) of the pair a packed hash's last [`Hash::get_index`]
/// returned, or 0: positional reads in ascending order (HRANDFIELD's sorted batches of random
/// picks, as Redis's `lpRandomPairs` makes them) then walk the buffer once, not once per
/// read. Atomic because readers share the hash; every write resets it (it has `&mut`).
#[derive(Debug, Default)]
struct Cursor(std::sync::atomic::AtomicU32);

impl Clone for Cursor {
    fn clone(&self) -> Self {
        Cursor::default()
    }
}

impl Cursor {
    fn get(&self) -> Option<(usize, usize)> {
        let c = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (c != 0).then(|| {
            (
                (c >> CURSOR_OFFSET_BITS) as usize - 1,
                (c & ((1 << CURSOR_OFFSET_BITS) - 1)) as usize,
            )
        })
    }

    fn put(&self, idx: usize, off: usize) {
        if idx + 1 < (1 << (32 - CURSOR_OFFSET_BITS)) && off < (1 << CURSOR_OFFSET_BITS) {
            let c = ((idx as u32 + 1) << CURSOR_OFFSET_BITS) | off as u32;
            self.0.store(c, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn reset(&mut self) {
        *self.0.get_mut() = 0;
    }
}

/// Reads the packed pair at `pos`: (field, value, position after it).
#[inline]
fn packed_at(buf: &[u8], pos: usize) -> (&[u8], &[u8], usize) {
    let (f, p) = packed::get_bytes(buf, pos);
    let (v, end) = packed::get_bytes(buf, p);
    (f, v, end)
}

/// Finds `field` in a packed buffer: (start of its pair, start of its value, end of its pair).
fn packed_find(buf: &[u8], field: &[u8]) -> Option<(usize, usize, usize)> {
    let mut pos = 0;
    while pos < buf.len() {
        let (f, vstart) = packed::get_bytes(buf, pos);
        let (_, end) = packed::get_bytes(buf, vstart);
        if f == field {
            return Some((pos, vstart, end));
        }
        pos = end;
    }
    None
}

fn table_find(entries: &[Box<[u8]>], index: &Index, field: &[u8]) -> Option<usize> {
    index.find(packed::hash(field), |p| {
        entries
            .get(p)
            .is_some_and(|e| packed::split_pair(e).0 == field)
    })
}

fn rehash(entries: &[Box<[u8]>]) -> impl Fn(usize) -> u64 + '_ {
    |p| packed::hash(entries.get(p).map_or(&[][..], |e| packed::split_pair(e).0))
}

/// Iterator over a hash's fields and values in storage order.
pub struct Iter<'a> {
    inner: IterInner<'a>,
    left: usize,
}

enum IterInner<'a> {
    Packed { buf: &'a [u8], pos: usize },
    Table(std::slice::Iter<'a, Box<[u8]>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        match &mut self.inner {
            IterInner::Packed { buf, pos } => {
                let (f, v, end) = packed_at(buf, *pos);
                *pos = end;
                Some((f, v))
            }
            IterInner::Table(it) => it.next().map(|e| packed::split_pair(e)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl Hash {
    pub fn new() -> Self {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed { len, .. } => *len as usize,
            Repr::Table { entries, .. } => entries.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True once Redis would report `hashtable` for OBJECT ENCODING.
    pub fn is_hashtable(&self) -> bool {
        matches!(self.repr, Repr::Table { .. })
    }

    /// Heap bytes held by the hash (for MEMORY USAGE and the benchmarks).
    pub fn allocated(&self) -> usize {
        match &self.repr {
            Repr::Packed { buf, .. } => super::alloc_size(buf.capacity()),
            Repr::Table { entries, index } => {
                entries.capacity() * std::mem::size_of::<Box<[u8]>>()
                    + index.allocated()
                    + entries
                        .iter()
                        .map(|e| super::alloc_size(e.len()))
                        .sum::<usize>()
            }
        }
    }

    /// Converts a packed hash to a table, keeping the order.
    fn convert(&mut self) {
        let Repr::Packed { buf, len, .. } = &self.repr else {
            return;
        };
        let mut entries = Vec::with_capacity(*len as usize + 1);
        let mut pos = 0;
        while pos < buf.len() {
            let (f, v, end) = packed_at(buf, pos);
            entries.push(packed::pair(f, v));
            pos = end;
        }
        let mut index = Box::<Index>::default();
        for p in 0..entries.len() {
            let h = rehash(&entries)(p);
            index.insert(h, p, rehash(&entries));
        }
        self.repr = Repr::Table { entries, index };
    }

    /// Redis's `hashTypeTryConversion`: an argument longer than the listpack value limit makes
    /// the hash a hashtable before it is written.
    pub fn try_conversion<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>) {
        if !self.is_hashtable() && args.into_iter().any(|a| a.len() > MAX_LISTPACK_VALUE) {
            self.convert();
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Packed { buf, .. } => {
                let (_, vstart, _) = packed_find(buf, field)?;
                Some(packed::get_bytes(buf, vstart).0)
            }
            Repr::Table { entries, index } => {
                let p = table_find(entries, index, field)?;
                entries.get(p).map(|e| packed::split_pair(e).1)
            }
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value` (both copied); true if the field is new. An existing field keeps
    /// its position, as a listpack overwrite does.
    pub fn set(&mut self, field: &[u8], value: impl AsRef<[u8]>) -> bool {
        let value = value.as_ref();
        match &mut self.repr {
            Repr::Packed { buf, len, cursor } => {
                cursor.reset();
                // Buffers are kept at their exact size, as a listpack is (every write
                // reallocates it): small hashes are many, so spare capacity adds up.
                if let Some((_, vstart, end)) = packed_find(buf, field) {
                    let enc = packed::encode_bytes(value);
                    buf.reserve_exact(enc.len().saturating_sub(end - vstart));
                    buf.splice(vstart..end, enc);
                    packed::trim(buf);
                    return false;
                }
                buf.reserve_exact(field.len() + value.len() + 2);
                packed::put_bytes(buf, field);
                packed::put_bytes(buf, value);
                packed::trim(buf);
                *len += 1;
                if *len as usize > MAX_LISTPACK_ENTRIES {
                    self.convert();
                }
                true
            }
            Repr::Table { entries, index } => {
                if let Some(p) = table_find(entries, index, field) {
                    if let Some(e) = entries.get_mut(p) {
                        *e = packed::pair(field, value);
                    }
                    return false;
                }
                entries.push(packed::pair(field, value));
                let p = entries.len() - 1;
                index.insert(packed::hash(field), p, rehash(entries));
                true
            }
        }
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed { buf, len, cursor } => match packed_find(buf, field) {
                Some((start, _, end)) => {
                    cursor.reset();
                    buf.drain(start..end);
                    packed::trim(buf);
                    *len -= 1;
                    true
                }
                None => false,
            },
            Repr::Table { entries, index } => {
                let Some(p) = table_find(entries, index, field) else {
                    return false;
                };
                index.remove(packed::hash(field), p, rehash(entries));
                let last = entries.len() - 1;
                entries.swap_remove(p);
                if p != last {
                    let h = rehash(entries)(p);
                    index.repoint(h, last, p);
                }
                if entries.len() * 4 < entries.capacity() && entries.capacity() > 16 {
                    entries.shrink_to(entries.len() * 2);
                }
                true
            }
        }
    }

    /// Fields and values in storage order.
    pub fn iter(&self) -> Iter<'_> {
        let inner = match &self.repr {
            Repr::Packed { buf, .. } => IterInner::Packed { buf, pos: 0 },
            Repr::Table { entries, .. } => IterInner::Table(entries.iter()),
        };
        Iter {
            inner,
            left: self.len(),
        }
    }

    /// The entry at storage position `i` (for random picks and cursors). While packed: O(i), or
    /// O(i - j) after a read of position j <= i.
    pub fn get_index(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match &self.repr {
            Repr::Packed { buf, cursor, .. } => {
                let (mut idx, mut pos) = cursor.get().filter(|&(ci, _)| ci <= i).unwrap_or((0, 0));
                while idx < i && pos < buf.len() {
                    pos = packed_at(buf, pos).2;
                    idx += 1;
                }
                if pos >= buf.len() {
                    return None;
                }
                cursor.put(idx, pos);
                let (f, v, _) = packed_at(buf, pos);
                Some((f, v))
            }
            Repr::Table { entries, .. } => entries.get(i).map(|e| packed::split_pair(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(h: &Hash) -> Vec<Vec<u8>> {
        h.iter().map(|(f, _)| f.to_vec()).collect()
    }

    #[test]
    fn listpack_order_and_conversion() {
        let mut h = Hash::new();
        assert!(h.set(b"a", b"1"));
        assert!(h.set(b"b", b"2"));
        assert!(h.set(b"c", b"3"));
        assert!(!h.set(b"a", b"a much longer value"));
        assert_eq!(h.get(b"a"), Some(&b"a much longer value"[..]));
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(fields(&h), vec![b"a".to_vec(), b"c".to_vec()]);
        assert_eq!(h.get_index(1), Some((&b"c"[..], &b"3"[..])));
        assert_eq!(h.get_index(0).map(|(f, _)| f), Some(&b"a"[..]));
        assert_eq!(h.get_index(1).map(|(f, _)| f), Some(&b"c"[..]));
        assert_eq!(h.get_index(2), None);
        assert!(!h.is_hashtable());
        h.try_conversion([&[b'x'; 65][..]]);
        assert!(h.is_hashtable());
        // Conversion keeps the order and the values.
        assert_eq!(fields(&h), vec![b"a".to_vec(), b"c".to_vec()]);
        assert_eq!(h.get(b"c"), Some(&b"3"[..]));
        let mut big = Hash::new();
        for i in 0..=MAX_LISTPACK_ENTRIES {
            big.set(i.to_string().as_bytes(), b"");
        }
        assert!(big.is_hashtable());
    }

    #[test]
    fn positional_reads_follow_writes() {
        let mut h = Hash::new();
        for i in 0..300 {
            h.set(format!("f{i}").as_bytes(), format!("v{i}"));
        }
        let at = |h: &Hash, i| h.get_index(i).map(|(f, _)| f.to_vec());
        assert_eq!(at(&h, 200), Some(b"f200".to_vec()));
        assert_eq!(at(&h, 250), Some(b"f250".to_vec()));
        // A backwards read restarts; a write invalidates the remembered position.
        assert_eq!(at(&h, 10), Some(b"f10".to_vec()));
        assert_eq!(at(&h, 100), Some(b"f100".to_vec()));
        assert!(h.remove(b"f3"));
        assert_eq!(at(&h, 100), Some(b"f101".to_vec()));
        assert!(!h.set(b"f0", b"a longer value than before"));
        assert_eq!(
            h.get_index(0),
            Some((&b"f0"[..], &b"a longer value than before"[..]))
        );
        assert_eq!(at(&h, 298), Some(b"f299".to_vec()));
        assert_eq!(at(&h, 299), None);
        // Sharing the hash between readers is allowed (the cursor is atomic).
        let c = h.clone();
        assert_eq!(at(&c, 150), at(&h, 150));
    }

    #[test]
    fn table_swaps_on_removal() {
        let mut h = Hash::new();
        for i in 0..2000 {
            assert!(h.set(format!("f{i}").as_bytes(), format!("v{i}")));
        }
        assert!(h.is_hashtable());
        assert!(!h.set(b"f5", b"new"));
        assert_eq!(h.get(b"f5"), Some(&b"new"[..]));
        assert!(h.remove(b"f0"));
        // The last entry moved into position 0, as IndexMap's swap_remove did.
        assert_eq!(
            h.get_index(0).map(|(f, _)| f.to_vec()),
            Some(b"f1999".to_vec())
        );
        for i in 1..1990 {
            assert!(h.remove(format!("f{i}").as_bytes()), "f{i}");
        }
        assert_eq!(h.len(), 10);
        for (f, v) in h.iter() {
            assert_eq!(h.get(f), Some(v));
        }
        assert!(h.get(b"f3").is_none());
        assert_eq!(h.iter().len(), 10);
    }

    #[test]
    fn large_hash_is_lean() {
        // Old layout (IndexMap<Bytes, Bytes>): ~180 bytes per 16 B + 16 B field; Redis: 104.
        let mut h = Hash::new();
        let n = 100_000;
        for i in 0..n {
            h.set(format!("f{i:015}").as_bytes(), format!("{i:016}"));
        }
        let per = h.allocated() / n;
        assert!(per <= 90, "{per} bytes per field");
    }
}
