//! Sorted-set values: while small, a packed buffer sorted by (score, member) (Redis's
//! listpack); once large, a member -> node index plus an order-statistics skiplist over
//! (score, member), a port of Redis's `zskiplist` (spans on every forward link give O(log n)
//! rank, by-rank lookup and range boundaries).
//!
//! The skiplist lives in an arena (`Vec` of nodes addressed by `u32`, with a free list), so there
//! is no unsafe code and no per-link pointer; a node's level-0 link is inline and only the 1 in 4
//! nodes with higher levels allocate more links. The member bytes live once, in the node; the
//! [`Index`] maps a member's hash to its node id (Redis's dict). Range queries find their
//! boundary ranks with `count_while` (the number of leading elements satisfying a monotone
//! predicate) and then walk level-0 links: O(log n + m).
//!
//! Redis encodes small sorted sets (at most `zset-max-listpack-entries` = 128 members, none
//! longer than `zset-max-listpack-value` = 64 bytes) as a listpack and converts beyond that; the
//! order of every reply is the same in both encodings except ZSCAN, which walks the dict of a
//! skiplist-encoded set (here: the node arena, whose positions never move while a scan runs).
//! [`ZSet::is_skiplist`] reports the encoding.

use bytes::Bytes;

use super::packed::{self, Index};

/// `zset-max-listpack-entries` default.
pub const MAX_LISTPACK_ENTRIES: usize = 128;
/// `zset-max-listpack-value` default.
pub const MAX_LISTPACK_VALUE: usize = 64;

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Link {
    next: u32,
    span: u32,
}

#[derive(Debug, Clone)]
struct Node {
    member: Box<[u8]>,
    score: f64,
    back: u32,
    /// The level-0 link (every node has one).
    l0: Link,
    /// Links of levels 1 and up (empty, no allocation, for most nodes).
    upper: Box<[Link]>,
}

impl Node {
    fn new(member: Box<[u8]>, score: f64, back: u32, level: usize) -> Node {
        let empty = Link { next: NIL, span: 0 };
        Node {
            member,
            score,
            back,
            l0: empty,
            upper: vec![empty; level.saturating_sub(1)].into_boxed_slice(),
        }
    }
}

/// Redis's ordering: by score, then by member bytes.
#[inline]
fn less(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

/// An order-statistics skiplist of (score, member).
#[derive(Debug, Clone)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    len: usize,
    level: usize,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList {
            nodes: vec![Node::new(Box::default(), 0.0, NIL, MAX_LEVEL)],
            free: Vec::new(),
            tail: NIL,
            len: 0,
            level: 1,
        }
    }
}

fn random_level() -> usize {
    let mut lvl = 1;
    while lvl < MAX_LEVEL && rand::random::<u32>() & 0xFFFF < (0xFFFF / 4) {
        lvl += 1;
    }
    lvl
}

impl SkipList {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn link(&self, x: u32, i: usize) -> Link {
        let n = &self.nodes[x as usize];
        if i == 0 {
            n.l0
        } else {
            n.upper[i - 1]
        }
    }

    #[inline]
    fn link_mut(&mut self, x: u32, i: usize) -> &mut Link {
        let n = &mut self.nodes[x as usize];
        if i == 0 {
            &mut n.l0
        } else {
            &mut n.upper[i - 1]
        }
    }

    /// Inserts a (score, member) that is not present; returns its node id.
    pub fn insert(&mut self, score: f64, member: Box<[u8]>) -> u32 {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.link(x, i);
                if l.next != NIL {
                    let n = &self.nodes[l.next as usize];
                    if less(n.score, &n.member, score, &member) {
                        rank[i] += l.span;
                        x = l.next;
                        continue;
                    }
                }
                break;
            }
            update[i] = x;
        }
        let lvl = random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.link_mut(HEAD, i).span = self.len as u32;
            }
            self.level = lvl;
        }
        let node = Node::new(
            member,
            score,
            if update[0] == HEAD { NIL } else { update[0] },
            lvl,
        );
        let x = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..lvl {
            let u = self.link(update[i], i);
            let d = rank[0] - rank[i];
            *self.link_mut(x, i) = Link {
                next: u.next,
                span: u.span - d,
            };
            *self.link_mut(update[i], i) = Link {
                next: x,
                span: d + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.link_mut(u, i).span += 1;
        }
        let next = self.link(x, 0).next;
        if next != NIL {
            self.nodes[next as usize].back = x;
        } else {
            self.tail = x;
        }
        self.len += 1;
        x
    }

    /// Removes (score, member); returns the member's bytes and its old node id, or `None` if
    /// absent.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> Option<(Box<[u8]>, u32)> {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next != NIL {
                    let n = &self.nodes[l.next as usize];
                    if less(n.score, &n.member, score, member) {
                        x = l.next;
                        continue;
                    }
                }
                break;
            }
            update[i] = x;
        }
        let x = self.link(x, 0).next;
        if x == NIL {
            return None;
        }
        let n = &self.nodes[x as usize];
        if n.score != score || &n.member[..] != member {
            return None;
        }
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.next == x {
                let xl = self.link(x, i);
                *self.link_mut(u, i) = Link {
                    next: xl.next,
                    span: ul.span + xl.span - 1,
                };
            } else {
                self.link_mut(u, i).span -= 1;
            }
        }
        let next = self.link(x, 0).next;
        let back = self.nodes[x as usize].back;
        if next != NIL {
            self.nodes[next as usize].back = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let n = &mut self.nodes[x as usize];
        let m = std::mem::take(&mut n.member);
        n.upper = Box::default();
        // Scores are never NaN (Redis refuses them), so NaN marks a free node.
        n.score = f64::NAN;
        self.free.push(x);
        Some((m, x))
    }

    /// The number of leading elements for which `pred(score, member)` holds; `pred` must be
    /// monotone (true on a prefix of the order, then false).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next != NIL {
                    let n = &self.nodes[l.next as usize];
                    if pred(n.score, &n.member) {
                        traversed += l.span as usize;
                        x = l.next;
                        continue;
                    }
                }
                break;
            }
        }
        traversed
    }

    /// 0-based rank of (score, member), which must be present.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        self.count_while(|s, m| less(s, m, score, member))
    }

    /// The node at 0-based rank `r`.
    pub fn at_rank(&self, r: usize) -> Option<Cursor> {
        if r >= self.len {
            return None;
        }
        let target = r + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next != NIL && traversed + l.span as usize <= target {
                    traversed += l.span as usize;
                    x = l.next;
                    continue;
                }
                break;
            }
            if traversed == target {
                return Some(Cursor(x));
            }
        }
        None
    }

    pub fn first(&self) -> Option<Cursor> {
        let n = self.link(HEAD, 0).next;
        (n != NIL).then_some(Cursor(n))
    }

    pub fn last(&self) -> Option<Cursor> {
        (self.tail != NIL).then_some(Cursor(self.tail))
    }

    pub fn next(&self, c: Cursor) -> Option<Cursor> {
        let n = self.link(c.0, 0).next;
        (n != NIL).then_some(Cursor(n))
    }

    pub fn prev(&self, c: Cursor) -> Option<Cursor> {
        let b = self.nodes[c.0 as usize].back;
        (b != NIL).then_some(Cursor(b))
    }

    pub fn get(&self, c: Cursor) -> (&[u8], f64) {
        let n = &self.nodes[c.0 as usize];
        (&n.member, n.score)
    }

    /// The member and score of live node `id`.
    fn node(&self, id: usize) -> Option<(&[u8], f64)> {
        let n = self.nodes.get(id)?;
        (id != HEAD as usize && !n.score.is_nan()).then_some((&n.member[..], n.score))
    }

    /// Heap bytes held by the skiplist.
    fn allocated(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.free.capacity() * 4
            + self
                .nodes
                .iter()
                .map(|n| {
                    super::alloc_size(n.member.len())
                        + super::alloc_size(n.upper.len() * std::mem::size_of::<Link>())
                })
                .sum::<usize>()
    }
}

/// A position in a [`SkipList`], valid until the list is modified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(u32);

/// A sorted set.
#[derive(Debug, Clone)]
pub struct ZSet {
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    /// `len` entries of `score (f64, little endian) [len] member`, sorted by (score, member).
    Packed { buf: Vec<u8>, len: usize },
    /// The skiplist (which owns the members) and the member -> node id index.
    Skip {
        zsl: Box<SkipList>,
        index: Box<Index>,
    },
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet {
            repr: Repr::Packed {
                buf: Vec::new(),
                len: 0,
            },
        }
    }
}

/// Reads the packed entry at `pos`: (score, member, position after it).
#[inline]
fn packed_at(buf: &[u8], pos: usize) -> (f64, &[u8], usize) {
    let score = buf
        .get(pos..pos + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0.0, f64::from_le_bytes);
    let (m, end) = packed::get_bytes(buf, pos + 8);
    (score, m, end)
}

/// Iterates a packed buffer's entries with their positions: (start, score, member, end).
fn packed_iter(buf: &[u8]) -> impl Iterator<Item = (usize, f64, &[u8], usize)> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= buf.len() {
            return None;
        }
        let (s, m, end) = packed_at(buf, pos);
        let start = pos;
        pos = end;
        Some((start, s, m, end))
    })
}

/// Inserts (score, member) into a packed buffer at its sorted place.
fn packed_insert(buf: &mut Vec<u8>, score: f64, member: &[u8]) {
    let at = packed_iter(buf)
        .find(|&(_, s, m, _)| !less(s, m, score, member))
        .map_or(buf.len(), |(start, ..)| start);
    let mut e = Vec::with_capacity(member.len() + 10);
    e.extend_from_slice(&score.to_le_bytes());
    packed::put_bytes(&mut e, member);
    // Exact size, as a listpack (see `Hash::set`).
    buf.reserve_exact(e.len());
    buf.splice(at..at, e);
    packed::trim(buf);
}

fn rehash(zsl: &SkipList) -> impl Fn(usize) -> u64 + '_ {
    |id| packed::hash(zsl.node(id).map_or(&[][..], |(m, _)| m))
}

fn skip_find(zsl: &SkipList, index: &Index, member: &[u8]) -> Option<(usize, f64)> {
    let id = index.find(packed::hash(member), |id| {
        zsl.node(id).is_some_and(|(m, _)| m == member)
    })?;
    zsl.node(id).map(|(_, s)| (id, s))
}

/// The order of a sorted set, for range boundaries (either encoding).
#[derive(Debug, Clone, Copy)]
pub enum OrderView<'a> {
    Packed(&'a [u8]),
    Skip(&'a SkipList),
}

impl OrderView<'_> {
    /// The number of leading elements for which `pred(score, member)` holds; `pred` must be
    /// monotone (true on a prefix of the order, then false).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            OrderView::Packed(buf) => packed_iter(buf)
                .take_while(|&(_, s, m, _)| pred(s, m))
                .count(),
            OrderView::Skip(zsl) => zsl.count_while(pred),
        }
    }
}

impl ZSet {
    pub fn new() -> Self {
        ZSet::default()
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed { len, .. } => *len,
            Repr::Skip { zsl, .. } => zsl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True once Redis would report `skiplist` for OBJECT ENCODING.
    pub fn is_skiplist(&self) -> bool {
        matches!(self.repr, Repr::Skip { .. })
    }

    /// Heap bytes held by the sorted set (for MEMORY USAGE and the benchmarks).
    pub fn allocated(&self) -> usize {
        match &self.repr {
            Repr::Packed { buf, .. } => super::alloc_size(buf.capacity()),
            Repr::Skip { zsl, index } => zsl.allocated() + index.allocated(),
        }
    }

    fn convert_to_skiplist(&mut self) {
        let Repr::Packed { buf, .. } = &self.repr else {
            return;
        };
        let mut zsl = Box::<SkipList>::default();
        let mut index = Box::<Index>::default();
        for (_, s, m, _) in packed_iter(buf) {
            let id = zsl.insert(s, m.into());
            index.insert(packed::hash(m), id as usize, rehash(&zsl));
        }
        self.repr = Repr::Skip { zsl, index };
    }

    fn convert_to_packed(&mut self) {
        let Repr::Skip { zsl, .. } = &self.repr else {
            return;
        };
        let mut buf = Vec::new();
        let mut c = zsl.first();
        while let Some(cur) = c {
            let (m, s) = zsl.get(cur);
            // Through `d2string`, as a listpack stores it: -0 becomes 0.
            let s = if s == 0.0 { 0.0 } else { s };
            buf.extend_from_slice(&s.to_le_bytes());
            packed::put_bytes(&mut buf, m);
            c = zsl.next(cur);
        }
        let len = zsl.len();
        self.repr = Repr::Packed { buf, len };
    }

    /// Sets the encoding Redis gives a freshly built set of this size and member lengths (what
    /// `zsetConvertToListpackIfNeeded` does for ZUNIONSTORE and friends).
    pub fn fit_encoding(&mut self) {
        let skip = self.len() > MAX_LISTPACK_ENTRIES
            || (0..self.dict_len())
                .filter_map(|i| self.dict_index(i))
                .any(|(m, _)| m.len() > MAX_LISTPACK_VALUE);
        if skip {
            self.convert_to_skiplist();
        } else {
            self.convert_to_packed();
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Packed { buf, .. } => packed_iter(buf)
                .find(|&(_, _, m, _)| m == member)
                .map(|(_, s, _, _)| s),
            Repr::Skip { zsl, index } => skip_find(zsl, index, member).map(|(_, s)| s),
        }
    }

    /// Sets `member`'s score, adding it if absent; true if it was added.
    pub fn set(&mut self, member: &[u8], mut score: f64) -> bool {
        if let Repr::Packed { buf, len } = &mut self.repr {
            // A listpack stores scores as text through `d2string`, which writes -0 as "0".
            if score == 0.0 {
                score = 0.0;
            }
            let found = packed_iter(buf)
                .find(|&(_, _, m, _)| m == member)
                .map(|(start, s, _, end)| (start, s, end));
            if let Some((start, old, end)) = found {
                if old != score {
                    buf.drain(start..end);
                    packed_insert(buf, score, member);
                }
                return false;
            }
            if member.len() <= MAX_LISTPACK_VALUE && *len < MAX_LISTPACK_ENTRIES {
                packed_insert(buf, score, member);
                *len += 1;
                return true;
            }
            self.convert_to_skiplist();
        }
        let Repr::Skip { zsl, index } = &mut self.repr else {
            return false;
        };
        let h = packed::hash(member);
        if let Some((id, old)) = skip_find(zsl, index, member) {
            if old != score {
                if let Some((m, _)) = zsl.delete(old, member) {
                    let new_id = zsl.insert(score, m);
                    index.repoint(h, id, new_id as usize);
                }
            }
            return false;
        }
        let id = zsl.insert(score, member.into());
        index.insert(h, id as usize, rehash(zsl));
        true
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed { buf, len } => {
                let found = packed_iter(buf)
                    .find(|&(_, _, m, _)| m == member)
                    .map(|(start, _, _, end)| (start, end));
                match found {
                    Some((start, end)) => {
                        buf.drain(start..end);
                        packed::trim(buf);
                        *len -= 1;
                        true
                    }
                    None => false,
                }
            }
            Repr::Skip { zsl, index } => {
                let Some((id, s)) = skip_find(zsl, index, member) else {
                    return false;
                };
                index.remove(packed::hash(member), id, rehash(zsl));
                zsl.delete(s, member);
                true
            }
        }
    }

    /// 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Packed { buf, .. } => packed_iter(buf).position(|(_, _, m, _)| m == member),
            Repr::Skip { zsl, index } => {
                let (_, s) = skip_find(zsl, index, member)?;
                Some(zsl.rank(s, member))
            }
        }
    }

    /// The order, for `count_while` range boundaries.
    pub fn list(&self) -> OrderView<'_> {
        match &self.repr {
            Repr::Packed { buf, .. } => OrderView::Packed(buf),
            Repr::Skip { zsl, .. } => OrderView::Skip(zsl),
        }
    }

    /// (member, score) pairs with ascending ranks `start..end` (or descending from the top when
    /// `rev`: rank 0 is then the highest element).
    pub fn range_by_rank(&self, start: usize, end: usize, rev: bool) -> Vec<(Bytes, f64)> {
        let end = end.min(self.len());
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        if start >= end {
            return out;
        }
        let zsl = match &self.repr {
            Repr::Packed { buf, len } => {
                let (lo, hi) = if rev {
                    (len - end, len - start)
                } else {
                    (start, end)
                };
                out.extend(
                    packed_iter(buf)
                        .skip(lo)
                        .take(hi - lo)
                        .map(|(_, s, m, _)| (Bytes::copy_from_slice(m), s)),
                );
                if rev {
                    out.reverse();
                }
                return out;
            }
            Repr::Skip { zsl, .. } => zsl,
        };
        let first = if rev {
            self.len().checked_sub(start + 1)
        } else {
            Some(start)
        };
        let mut c = first.and_then(|r| zsl.at_rank(r));
        while let Some(cur) = c {
            if out.len() >= end - start {
                break;
            }
            let (m, s) = zsl.get(cur);
            out.push((Bytes::copy_from_slice(m), s));
            c = if rev { zsl.prev(cur) } else { zsl.next(cur) };
        }
        out
    }

    /// Member and score at dict position `i` (ZSCAN of a skiplist-encoded set walks these; the
    /// positions of a skiplist-encoded set are node ids, which never move while the member
    /// stays). `None` for a free position. O(i) while packed.
    pub fn dict_index(&self, i: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Packed { buf, .. } => packed_iter(buf).nth(i).map(|(_, s, m, _)| (m, s)),
            Repr::Skip { zsl, .. } => zsl.node(i.checked_add(1)?),
        }
    }

    /// Number of dict positions (for cursors over [`ZSet::dict_index`]).
    pub fn dict_len(&self) -> usize {
        match &self.repr {
            Repr::Packed { len, .. } => *len,
            Repr::Skip { zsl, .. } => zsl.nodes.len() - 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_ranges() {
        let mut z = ZSet::new();
        for i in 0..1000u32 {
            assert!(z.set(format!("m{i:04}").as_bytes(), (i % 100) as f64));
        }
        assert!(z.is_skiplist());
        // Order: score, then member.
        let all = z.range_by_rank(0, z.len(), false);
        for w in all.windows(2) {
            assert!(less(w[0].1, &w[0].0, w[1].1, &w[1].0));
        }
        for (r, (m, _)) in all.iter().enumerate() {
            assert_eq!(z.rank(m), Some(r));
        }
        assert_eq!(z.list().count_while(|s, _| s < 10.0), 100);
        assert_eq!(z.score(b"m0042"), Some(42.0));
        assert!(!z.set(b"m0000", 99.5));
        assert_eq!(z.rank(b"m0000"), Some(999));
        for i in (0..1000u32).step_by(2) {
            assert!(z.remove(format!("m{i:04}").as_bytes()));
        }
        assert_eq!(z.len(), 500);
        let all = z.range_by_rank(0, 500, false);
        for (r, (m, _)) in all.iter().enumerate() {
            assert_eq!(z.rank(m), Some(r));
        }
        let rev = z.range_by_rank(0, 3, true);
        assert_eq!(rev[0].0, all[499].0);
        assert_eq!(rev[2].0, all[497].0);
        // Every live member is at some dict position, exactly once.
        let mut seen: Vec<Vec<u8>> = (0..z.dict_len())
            .filter_map(|i| z.dict_index(i))
            .map(|(m, _)| m.to_vec())
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 500);
    }

    #[test]
    fn packed_order_and_conversion() {
        let mut z = ZSet::new();
        assert!(z.set(b"b", 2.0));
        assert!(z.set(b"a", 2.0));
        assert!(z.set(b"c", -1.0));
        assert!(z.set(b"z", -0.0));
        assert!(!z.is_skiplist());
        assert_eq!(z.score(b"z").map(f64::is_sign_negative), Some(false));
        assert!(!z.set(b"c", 5.0));
        let all: Vec<_> = z.range_by_rank(0, 10, false);
        let names: Vec<_> = all.iter().map(|(m, _)| &m[..]).collect();
        assert_eq!(names, vec![&b"z"[..], b"a", b"b", b"c"]);
        assert_eq!(z.rank(b"b"), Some(2));
        assert_eq!(z.range_by_rank(0, 2, true)[0].0, Bytes::from("c"));
        assert_eq!(z.range_by_rank(1, 3, true)[1].0, Bytes::from("a"));
        assert_eq!(z.list().count_while(|s, _| s <= 2.0), 3);
        assert!(z.remove(b"a"));
        assert!(!z.remove(b"a"));
        assert_eq!(z.len(), 3);
        assert!(z.set(&[b'x'; 65], 1.0));
        assert!(z.is_skiplist());
        assert_eq!(z.rank(b"c"), Some(3));
        assert!(z.remove(&[b'x'; 65]));
        z.fit_encoding();
        assert!(!z.is_skiplist());
        let again: Vec<_> = z.range_by_rank(0, 10, false);
        assert_eq!(again.len(), 3);
        assert_eq!(again[2], (Bytes::from("c"), 5.0));
    }

    #[test]
    fn large_zset_is_lean() {
        // Old layout (IndexMap dict + skiplist of Bytes): ~250 bytes per 16 B member; Redis: 126.
        let mut z = ZSet::new();
        let n = 100_000;
        for i in 0..n {
            z.set(format!("m{i:015}").as_bytes(), i as f64);
        }
        let per = z.allocated() / n;
        assert!(per <= 130, "{per} bytes per member");
    }
}
