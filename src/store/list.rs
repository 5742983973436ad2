//! A compact list: a deque of packed chunks, in the spirit of Redis's quicklist of listpacks.
//!
//! Each chunk is one byte buffer holding its elements back to back, each encoded as
//! `varint(len) bytes varint_rev(len)`: the forward length lets a reader walk from the front, the
//! trailing reversed length (listpack's "backlen") lets it walk from the back. A chunk keeps free
//! room on both sides (`head..tail` is in use), so pushes and pops at either end are amortised
//! O(1) without moving the other elements. Chunks are capped at [`CHUNK_BYTES`] (a single larger
//! element gets a chunk of its own), so a middle insert or delete moves at most one chunk's bytes
//! and an index lookup walks chunks, not elements.
//!
//! For short elements the cost is 2 bytes of framing per element plus the chunk headers amortised
//! over ~8 KiB, against 32+ bytes and an allocation per element for a `VecDeque<Bytes>`.

use std::collections::VecDeque;

/// Largest chunk payload before a new chunk is started (Redis's default listpack size, -2 = 8 KiB).
pub const CHUNK_BYTES: usize = 8 * 1024;

#[derive(Clone, Default)]
struct Chunk {
    buf: Vec<u8>,
    /// In-use bytes are `buf[head..tail]`.
    head: usize,
    tail: usize,
    count: usize,
}

fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// Bytes an element of `len` occupies in a chunk.
#[inline]
fn entry_size(len: usize) -> usize {
    2 * varint_len(len) + len
}

fn write_entry(dst: &mut [u8], data: &[u8]) {
    let n = data.len();
    let vl = varint_len(n);
    let mut v = n;
    for b in dst.iter_mut().take(vl) {
        *b = (v as u8 & 0x7f) | if v >= 0x80 { 0x80 } else { 0 };
        v >>= 7;
    }
    dst[vl..vl + n].copy_from_slice(data);
    // Reversed varint: the last byte is the least significant group, read backwards.
    let mut v = n;
    let back = &mut dst[vl + n..vl + n + vl];
    for i in (0..vl).rev() {
        back[i] = (v as u8 & 0x7f) | if v >= 0x80 { 0x80 } else { 0 };
        v >>= 7;
    }
}

/// Reads the element starting at `pos`; returns (data range start, len, next entry position).
#[inline]
fn read_fwd(buf: &[u8], pos: usize) -> (usize, usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut p = pos;
    loop {
        let b = buf[p];
        n |= ((b & 0x7f) as usize) << shift;
        p += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let vl = p - pos;
    (p, n, p + n + vl)
}

/// Reads the element ending at `end` (exclusive); returns (entry start, data start, len).
#[inline]
fn read_back(buf: &[u8], end: usize) -> (usize, usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut p = end;
    loop {
        p -= 1;
        let b = buf[p];
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let vl = end - p;
    let data = p - n;
    (data - vl, data, n)
}

/// The buffer length for a chunk that needs `min` bytes and has `len`: a quarter more than it
/// had (jemalloc's size classes are a quarter apart), rounded up to the allocator's size
/// class so the slack it would round up to anyway is usable, and never past [`CHUNK_BYTES`]
/// while what is needed fits in it: a full chunk is then exactly one 8 KiB allocation (growing
/// by doubling, an 8 KiB chunk sat in a 10 KiB allocation, a quarter of the list wasted).
fn grown_len(min: usize, len: usize) -> usize {
    let mut want = min.max(len + len / 4).max(16);
    if want > CHUNK_BYTES && min <= CHUNK_BYTES {
        want = CHUNK_BYTES;
    }
    // SAFETY: nallocx only computes the size class of a request; flags 0 = default alignment.
    // (8 KiB is a size class, so a capped request stays 8 KiB; 0 means no answer.)
    match unsafe { tikv_jemalloc_sys::nallocx(want, 0) } {
        0 => want,
        class => class,
    }
}

impl Chunk {
    fn with_capacity(cap: usize) -> Chunk {
        Chunk {
            buf: vec![0; grown_len(cap, 0)],
            head: 0,
            tail: 0,
            count: 0,
        }
    }

    fn used(&self) -> usize {
        self.tail - self.head
    }

    /// Ensures `need` free bytes after `tail`.
    fn room_back(&mut self, need: usize) {
        if self.buf.len() - self.tail >= need {
            return;
        }
        let len = grown_len(self.tail + need, self.buf.len());
        self.buf.reserve_exact(len - self.buf.len());
        self.buf.resize(len, 0);
    }

    /// Ensures `need` free bytes before `head`, moving the contents right if needed.
    fn room_front(&mut self, need: usize) {
        if self.head >= need {
            return;
        }
        let used = self.used();
        let back = self.buf.len() - self.tail;
        let len = grown_len(need + used + back, self.buf.len());
        let front = len - used - back;
        let mut nb = vec![0u8; len];
        nb[front..front + used].copy_from_slice(&self.buf[self.head..self.tail]);
        self.buf = nb;
        self.head = front;
        self.tail = front + used;
    }

    fn push_back(&mut self, data: &[u8]) {
        let sz = entry_size(data.len());
        self.room_back(sz);
        write_entry(&mut self.buf[self.tail..self.tail + sz], data);
        self.tail += sz;
        self.count += 1;
    }

    fn push_front(&mut self, data: &[u8]) {
        let sz = entry_size(data.len());
        self.room_front(sz);
        self.head -= sz;
        write_entry(&mut self.buf[self.head..self.head + sz], data);
        self.count += 1;
    }

    fn front(&self) -> &[u8] {
        let (d, n, _) = read_fwd(&self.buf, self.head);
        &self.buf[d..d + n]
    }

    fn back(&self) -> &[u8] {
        let (_, d, n) = read_back(&self.buf, self.tail);
        &self.buf[d..d + n]
    }

    fn pop_front(&mut self) -> Vec<u8> {
        let (d, n, next) = read_fwd(&self.buf, self.head);
        let v = self.buf[d..d + n].to_vec();
        self.head = next;
        self.count -= 1;
        self.maybe_shrink();
        v
    }

    fn pop_back(&mut self) -> Vec<u8> {
        let (start, d, n) = read_back(&self.buf, self.tail);
        let v = self.buf[d..d + n].to_vec();
        self.tail = start;
        self.count -= 1;
        self.maybe_shrink();
        v
    }

    /// Gives memory back when a chunk is mostly free space.
    fn maybe_shrink(&mut self) {
        let used = self.used();
        if self.buf.len() > 256 && used * 4 < self.buf.len() {
            let mut nb = vec![0u8; used * 2 + 16];
            let off = (nb.len() - used) / 2;
            nb[off..off + used].copy_from_slice(&self.buf[self.head..self.tail]);
            self.buf = nb;
            self.head = off;
            self.tail = off + used;
        }
    }

    /// Byte offset of the `i`-th element of the chunk.
    fn offset_of(&self, i: usize) -> usize {
        if i <= self.count / 2 {
            let mut p = self.head;
            for _ in 0..i {
                p = read_fwd(&self.buf, p).2;
            }
            p
        } else {
            let mut p = self.tail;
            for _ in i..self.count {
                p = read_back(&self.buf, p).0;
            }
            p
        }
    }

    fn iter(&self) -> ChunkIter<'_> {
        ChunkIter {
            c: self,
            pos: self.head,
            end: self.tail,
        }
    }

    /// Replaces the in-use bytes `[from, to)` with `with`.
    fn splice(&mut self, from: usize, to: usize, with: &[u8]) {
        let removed = to - from;
        if with.len() <= removed {
            self.buf.copy_within(to..self.tail, from + with.len());
            self.tail -= removed - with.len();
        } else {
            let extra = with.len() - removed;
            self.room_back(extra);
            self.buf.copy_within(to..self.tail, to + extra);
            self.tail += extra;
        }
        self.buf[from..from + with.len()].copy_from_slice(with);
    }
}

struct ChunkIter<'a> {
    c: &'a Chunk,
    pos: usize,
    end: usize,
}

impl<'a> Iterator for ChunkIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.end {
            return None;
        }
        let (d, n, next) = read_fwd(&self.c.buf, self.pos);
        self.pos = next;
        Some(&self.c.buf[d..d + n])
    }
}

impl<'a> DoubleEndedIterator for ChunkIter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.end {
            return None;
        }
        let (start, d, n) = read_back(&self.c.buf, self.end);
        self.end = start;
        Some(&self.c.buf[d..d + n])
    }
}

/// A list of byte strings.
#[derive(Clone, Default)]
pub struct List {
    chunks: VecDeque<Chunk>,
    len: usize,
}

impl std::fmt::Debug for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes allocated for elements (for MEMORY USAGE).
    pub fn allocated(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.buf.capacity() + std::mem::size_of::<Chunk>())
            .sum::<usize>()
            + std::mem::size_of::<Self>()
    }

    /// Most lists have one chunk: the first gets a deque of exactly one slot (the deque's own
    /// first growth would reserve four).
    fn reserve_first_chunk(&mut self) {
        if self.chunks.capacity() == 0 {
            self.chunks.reserve_exact(1);
        }
    }

    pub fn push_back(&mut self, data: &[u8]) {
        let sz = entry_size(data.len());
        match self.chunks.back_mut() {
            Some(c) if c.used() + sz <= CHUNK_BYTES || c.count == 0 => c.push_back(data),
            _ => {
                let mut c = Chunk::with_capacity(sz.max(16));
                c.push_back(data);
                self.reserve_first_chunk();
                self.chunks.push_back(c);
            }
        }
        self.len += 1;
    }

    pub fn push_front(&mut self, data: &[u8]) {
        let sz = entry_size(data.len());
        match self.chunks.front_mut() {
            Some(c) if c.used() + sz <= CHUNK_BYTES || c.count == 0 => c.push_front(data),
            _ => {
                let mut c = Chunk::with_capacity(sz.max(16));
                c.head = c.buf.len();
                c.tail = c.head;
                c.push_front(data);
                self.reserve_first_chunk();
                self.chunks.push_front(c);
            }
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let c = self.chunks.front_mut()?;
        let v = c.pop_front();
        if c.count == 0 {
            self.chunks.pop_front();
        }
        self.len -= 1;
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let c = self.chunks.back_mut()?;
        let v = c.pop_back();
        if c.count == 0 {
            self.chunks.pop_back();
        }
        self.len -= 1;
        Some(v)
    }

    pub fn front(&self) -> Option<&[u8]> {
        self.chunks.front().map(|c| c.front())
    }

    pub fn back(&self) -> Option<&[u8]> {
        self.chunks.back().map(|c| c.back())
    }

    /// (chunk index, index within the chunk) of element `i`, walking from the nearer end.
    fn locate(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.len {
            return None;
        }
        if i < self.len / 2 {
            let mut rem = i;
            for (ci, c) in self.chunks.iter().enumerate() {
                if rem < c.count {
                    return Some((ci, rem));
                }
                rem -= c.count;
            }
        } else {
            let mut rem = self.len - 1 - i;
            for (ci, c) in self.chunks.iter().enumerate().rev() {
                if rem < c.count {
                    return Some((ci, c.count - 1 - rem));
                }
                rem -= c.count;
            }
        }
        None
    }

    /// Element `i` (0-based from the head).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let (ci, k) = self.locate(i)?;
        let c = &self.chunks[ci];
        let (d, n, _) = read_fwd(&c.buf, c.offset_of(k));
        Some(&c.buf[d..d + n])
    }

    /// Replaces element `i`; false if out of range.
    pub fn set(&mut self, i: usize, data: &[u8]) -> bool {
        let Some((ci, k)) = self.locate(i) else {
            return false;
        };
        let c = &mut self.chunks[ci];
        let off = c.offset_of(k);
        let next = read_fwd(&c.buf, off).2;
        let mut enc = vec![0u8; entry_size(data.len())];
        write_entry(&mut enc, data);
        c.splice(off, next, &enc);
        self.split_if_big(ci);
        true
    }

    /// Inserts `data` so that it becomes element `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, data: &[u8]) {
        if i == 0 {
            return self.push_front(data);
        }
        if i >= self.len {
            return self.push_back(data);
        }
        let Some((ci, k)) = self.locate(i) else {
            return;
        };
        let c = &mut self.chunks[ci];
        let off = c.offset_of(k);
        let mut enc = vec![0u8; entry_size(data.len())];
        write_entry(&mut enc, data);
        c.splice(off, off, &enc);
        c.count += 1;
        self.len += 1;
        self.split_if_big(ci);
    }

    /// Removes element `i`.
    pub fn remove(&mut self, i: usize) -> Option<Vec<u8>> {
        let (ci, k) = self.locate(i)?;
        let c = &mut self.chunks[ci];
        let off = c.offset_of(k);
        let (d, n, next) = read_fwd(&c.buf, off);
        let v = c.buf[d..d + n].to_vec();
        c.splice(off, next, &[]);
        c.count -= 1;
        self.len -= 1;
        if c.count == 0 {
            self.chunks.remove(ci);
        } else {
            c.maybe_shrink();
        }
        Some(v)
    }

    /// Splits chunk `ci` in two when it outgrew [`CHUNK_BYTES`] after an in-place edit.
    fn split_if_big(&mut self, ci: usize) {
        let c = &mut self.chunks[ci];
        if c.used() <= CHUNK_BYTES || c.count < 2 {
            return;
        }
        let half = c.count / 2;
        let off = c.offset_of(half);
        let n = c.tail - off;
        let mut right = Chunk::with_capacity(n);
        right.buf[..n].copy_from_slice(&c.buf[off..c.tail]);
        right.tail = n;
        right.count = c.count - half;
        c.tail = off;
        c.count = half;
        c.maybe_shrink();
        self.chunks.insert(ci + 1, right);
    }

    /// Keeps only elements `start..=end` (already clamped, `start <= end < len`), or clears.
    pub fn retain_range(&mut self, start: usize, end: usize) {
        if start > end || start >= self.len {
            *self = List::new();
            return;
        }
        let end = end.min(self.len - 1);
        // Whole chunks first (those entirely after `end`), then element by element.
        while let Some(c) = self.chunks.back() {
            if self.len - c.count > end {
                self.len -= c.count;
                self.chunks.pop_back();
            } else {
                break;
            }
        }
        while self.len > end + 1 {
            self.pop_back();
        }
        let mut dropped = 0;
        while let Some(c) = self.chunks.front() {
            if dropped + c.count <= start {
                dropped += c.count;
                self.len -= c.count;
                self.chunks.pop_front();
            } else {
                break;
            }
        }
        while dropped < start {
            self.pop_front();
            dropped += 1;
        }
    }

    /// Elements from the head.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// Elements `start..=end` (clamped by the caller), from the head.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (skip_chunks, skip) = match self.locate(start) {
            Some(p) => p,
            None => (self.chunks.len(), 0),
        };
        let take = if start > end { 0 } else { end - start + 1 };
        self.chunks
            .iter()
            .skip(skip_chunks)
            .flat_map(|c| c.iter())
            .skip(skip)
            .take(take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn full_chunks_are_one_8k_allocation() {
        // 16-byte elements take 18 bytes each; pushed at either end, the chunks' buffers must
        // stay within a few percent of that (doubling put each 8 KiB chunk in 10 KiB).
        for front in [false, true] {
            let mut l = List::new();
            let n = 100_000;
            for i in 0..n {
                let e = format!("{i:016}");
                if front {
                    l.push_front(e.as_bytes());
                } else {
                    l.push_back(e.as_bytes());
                }
            }
            let data = n * entry_size(16);
            let ratio = l.allocated() as f64 / data as f64;
            assert!(
                ratio < 1.03,
                "front={front}: {ratio:.3} bytes allocated per byte"
            );
            assert!(l.chunks.iter().all(|c| c.buf.len() <= CHUNK_BYTES));
        }
    }

    fn check(l: &List, m: &VecDeque<Vec<u8>>) {
        assert_eq!(l.len(), m.len());
        let got: Vec<&[u8]> = l.iter().collect();
        let want: Vec<&[u8]> = m.iter().map(|v| v.as_slice()).collect();
        assert_eq!(got, want);
        let back: Vec<&[u8]> = l.iter().rev().collect();
        assert_eq!(back, want.iter().rev().cloned().collect::<Vec<_>>());
        assert_eq!(l.chunks.iter().map(|c| c.count).sum::<usize>(), l.len());
    }

    /// Random operations against a VecDeque model, with element sizes that cross varint and
    /// chunk boundaries.
    #[test]
    fn model_check() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut l = List::new();
        let mut m: VecDeque<Vec<u8>> = VecDeque::new();
        for step in 0..20000 {
            let size = match rng.gen_range(0..10) {
                0 => rng.gen_range(100..300),
                1 => rng.gen_range(9000..10000),
                _ => rng.gen_range(0..20),
            };
            let v: Vec<u8> = (0..size)
                .map(|i| (i as u8).wrapping_add(step as u8))
                .collect();
            match rng.gen_range(0..9) {
                0 | 1 => {
                    l.push_back(&v);
                    m.push_back(v);
                }
                2 | 3 => {
                    l.push_front(&v);
                    m.push_front(v);
                }
                4 => assert_eq!(l.pop_front(), m.pop_front()),
                5 => assert_eq!(l.pop_back(), m.pop_back()),
                6 if !m.is_empty() => {
                    let i = rng.gen_range(0..m.len());
                    assert_eq!(l.get(i), Some(m[i].as_slice()));
                    l.set(i, &v);
                    m[i] = v;
                }
                7 => {
                    let i = rng.gen_range(0..=m.len());
                    l.insert(i, &v);
                    m.insert(i, v);
                }
                8 if !m.is_empty() => {
                    let i = rng.gen_range(0..m.len());
                    assert_eq!(l.remove(i), m.remove(i));
                }
                _ => {}
            }
            if step % 500 == 0 {
                check(&l, &m);
            }
        }
        check(&l, &m);
        if !m.is_empty() {
            let (a, b) = (m.len() / 4, m.len() * 3 / 4);
            let r: Vec<&[u8]> = l.range(a, b).collect();
            let w: Vec<&[u8]> = m.range(a..=b).map(|v| v.as_slice()).collect();
            assert_eq!(r, w);
            l.retain_range(a, b);
            let kept: VecDeque<Vec<u8>> = m.range(a..=b).cloned().collect();
            check(&l, &kept);
        }
    }

    #[test]
    fn compact_for_small_elements() {
        let mut l = List::new();
        for i in 0..100_000u32 {
            l.push_back(format!("{:016}", i).as_bytes());
        }
        let per = l.allocated() as f64 / 100_000.0;
        assert!(per < 24.0, "{per} bytes per 16-byte element");
        assert_eq!(l.get(54321), Some(&b"0000000000054321"[..]));
    }
}
