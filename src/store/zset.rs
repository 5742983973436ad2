//! Sorted-set values: a member -> score map plus an order-statistics skiplist over
//! (score, member), a port of Redis's `zskiplist` (spans on every forward link give O(log n)
//! rank, by-rank lookup and range boundaries).
//!
//! The skiplist lives in an arena (`Vec` of nodes addressed by `u32`, with a free list), so there
//! is no unsafe code and no per-link pointer. Range queries find their boundary ranks with
//! [`SkipList::count_while`] (the number of leading elements satisfying a monotone predicate)
//! and then walk level-0 links: O(log n + m).
//!
//! Redis encodes small sorted sets (at most `zset-max-listpack-entries` = 128 members, none
//! longer than `zset-max-listpack-value` = 64 bytes) as a listpack and converts for good beyond
//! that; the order of every reply is the same in both encodings except ZSCAN, which walks the
//! dict of a skiplist-encoded set. [`ZSet::is_skiplist`] records Redis's choice.

use bytes::Bytes;
use indexmap::IndexMap;

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
    member: Bytes,
    score: f64,
    back: u32,
    links: Vec<Link>,
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
            nodes: vec![Node {
                member: Bytes::new(),
                score: 0.0,
                back: NIL,
                links: vec![Link { next: NIL, span: 0 }; MAX_LEVEL],
            }],
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
        self.nodes[x as usize].links[i]
    }

    #[inline]
    fn link_mut(&mut self, x: u32, i: usize) -> &mut Link {
        &mut self.nodes[x as usize].links[i]
    }

    /// Inserts a (score, member) that is not present.
    pub fn insert(&mut self, score: f64, member: Bytes) {
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
        let node = Node {
            member,
            score,
            back: if update[0] == HEAD { NIL } else { update[0] },
            links: vec![Link { next: NIL, span: 0 }; lvl],
        };
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
    }

    /// Removes (score, member); false if absent.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
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
            return false;
        }
        let n = &self.nodes[x as usize];
        if n.score != score || n.member != member {
            return false;
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
        n.member = Bytes::new();
        n.links = Vec::new();
        self.free.push(x);
        true
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

    pub fn get(&self, c: Cursor) -> (&Bytes, f64) {
        let n = &self.nodes[c.0 as usize];
        (&n.member, n.score)
    }
}

/// A position in a [`SkipList`], valid until the list is modified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(u32);

/// A sorted set.
#[derive(Debug, Clone, Default)]
pub struct ZSet {
    dict: IndexMap<Bytes, f64, ahash::RandomState>,
    zsl: SkipList,
    skiplist: bool,
}

impl ZSet {
    pub fn new() -> Self {
        ZSet::default()
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// True once Redis would report `skiplist` for OBJECT ENCODING.
    pub fn is_skiplist(&self) -> bool {
        self.skiplist
    }

    /// Sets the encoding Redis gives a freshly built set of this size and member lengths (what
    /// `zsetConvertToListpackIfNeeded` does for ZUNIONSTORE and friends).
    pub fn fit_encoding(&mut self) {
        self.skiplist = self.len() > MAX_LISTPACK_ENTRIES
            || self.dict.keys().any(|m| m.len() > MAX_LISTPACK_VALUE);
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).copied()
    }

    /// Sets `member`'s score, adding it if absent; true if it was added.
    pub fn set(&mut self, member: &[u8], mut score: f64) -> bool {
        if score == 0.0 && !self.skiplist {
            // A listpack stores scores as text through `d2string`, which writes -0 as "0".
            score = 0.0;
        }
        if let Some((_, k, old)) = self.dict.get_full_mut(member) {
            if *old != score {
                let prev = std::mem::replace(old, score);
                let k = k.clone();
                self.zsl.delete(prev, member);
                self.zsl.insert(score, k);
            }
            return false;
        }
        if member.len() > MAX_LISTPACK_VALUE || self.dict.len() + 1 > MAX_LISTPACK_ENTRIES {
            self.skiplist = true;
        }
        let k = Bytes::copy_from_slice(member);
        self.dict.insert(k.clone(), score);
        self.zsl.insert(score, k);
        true
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.dict.swap_remove(member) {
            Some(s) => {
                self.zsl.delete(s, member);
                true
            }
            None => false,
        }
    }

    /// 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let s = self.score(member)?;
        Some(self.zsl.rank(s, member))
    }

    pub fn list(&self) -> &SkipList {
        &self.zsl
    }

    /// (member, score) pairs with ascending ranks `start..end` (or descending from the top when
    /// `rev`: rank 0 is then the highest element).
    pub fn range_by_rank(&self, start: usize, end: usize, rev: bool) -> Vec<(Bytes, f64)> {
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        if start >= end {
            return out;
        }
        let first = if rev {
            self.len().checked_sub(start + 1)
        } else {
            Some(start)
        };
        let mut c = first.and_then(|r| self.zsl.at_rank(r));
        while let Some(cur) = c {
            if out.len() >= end - start {
                break;
            }
            let (m, s) = self.zsl.get(cur);
            out.push((m.clone(), s));
            c = if rev {
                self.zsl.prev(cur)
            } else {
                self.zsl.next(cur)
            };
        }
        out
    }

    /// Members and scores in dict order (ZSCAN of a skiplist-encoded set).
    pub fn dict_index(&self, i: usize) -> Option<(&Bytes, f64)> {
        self.dict.get_index(i).map(|(k, v)| (k, *v))
    }

    /// Number of dict positions (for cursors over [`ZSet::dict_index`]).
    pub fn dict_len(&self) -> usize {
        self.dict.len()
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
    }
}
