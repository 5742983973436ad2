//! The stream type: entries in blocks that share field names, plus consumer groups.
//!
//! Redis keeps a stream as a radix tree of listpacks: each listpack ("node") starts with a
//! *master entry* holding the field names of its first entry, and every later entry whose
//! fields are the same stores only its values. Herald mirrors that layout with a
//! `BTreeMap<master ID, Node>`: a node packs its entries' values (and, for entries whose field
//! names differ from the master's, their names) into one byte buffer, so an entry costs one
//! small index record plus its bytes, never an allocation per field. Nodes are cut exactly where
//! Redis cuts its listpacks (`stream-node-max-entries` 100 and `stream-node-max-bytes` 4096,
//! with the listpack's byte size computed from Redis's encoding rules), so approximate trimming
//! (`MAXLEN ~`, `MINID ~`), which removes whole nodes only, removes the same entries as Redis,
//! and `XINFO STREAM` reports the same `radix-tree-keys`/`radix-tree-nodes`.
//!
//! Deleting an entry (XDEL, exact trimming inside a node) only flags it, as Redis does; a node
//! whose last live entry is deleted is dropped. Consumer groups keep a group-wide pending
//! entries list (PEL) ordered by ID and, per consumer, the set of IDs it owns; the NACK (delivery
//! time, count and the owner's small consumer id, not its name) lives once, in the group PEL.
//! Both are sorted chunks ([`ChunkMap`]/[`ChunkSet`]), which deliveries in ID order fill
//! completely: about 40 + 16 bytes per pending entry.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use super::packed::{ChunkMap, ChunkSet};

/// Entries per node before a new node is started (Redis's `stream-node-max-entries`).
pub const NODE_MAX_ENTRIES: u64 = 100;
/// Listpack bytes per node before a new node is started (Redis's `stream-node-max-bytes`).
pub const NODE_MAX_BYTES: usize = 4096;
/// The "unknown" value of a group's `entries_read` (Redis's `SCG_INVALID_ENTRIES_READ`).
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A stream entry ID: milliseconds and sequence number, ordered as a 128-bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID (`streamIncrID`); `None` past the last possible ID.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (`streamDecrID`); `None` before 0-0.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// `<ms>-<seq>` as text.
    pub fn fmt_into(&self, buf: &mut Vec<u8>) {
        let mut f = itoa::Buffer::new();
        buf.extend_from_slice(f.format(self.ms).as_bytes());
        buf.push(b'-');
        buf.extend_from_slice(f.format(self.seq).as_bytes());
    }

    pub fn to_bytes(self) -> Vec<u8> {
        let mut v = Vec::with_capacity(24);
        self.fmt_into(&mut v);
        v
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// C's `strtoull(s, &end, 10)` with Redis's `string2ull` acceptance rule (the whole string must
/// be consumed, no overflow): leading whitespace and a sign are allowed, and a `-` negates
/// modulo 2^64, exactly as glibc does.
fn strtoull_full(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::util::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Why an ID argument was rejected.
pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// Redis's `streamGenericParseIDOrReply`: `-`, `+`, `<ms>`, `<ms>-<seq>` and, when
/// `seq_given` is asked for, `<ms>-*`. Returns the ID and whether the sequence was given.
pub fn parse_id_generic(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_auto_seq: bool,
) -> Option<(StreamId, bool)> {
    if arg.len() > 127 {
        return None;
    }
    // The C code works on a NUL-terminated copy.
    let arg = match arg.iter().position(|&c| c == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if arg == b"-" || arg == b"+" {
        if strict {
            return None;
        }
        return Some((
            if arg == b"-" {
                StreamId::MIN
            } else {
                StreamId::MAX
            },
            true,
        ));
    }
    let (ms_part, seq_part) = match arg.iter().position(|&c| c == b'-') {
        Some(p) => (&arg[..p], Some(&arg[p + 1..])),
        None => (arg, None),
    };
    let ms = strtoull_full(ms_part)?;
    match seq_part {
        None => Some((StreamId::new(ms, missing_seq), true)),
        Some(b"*") if allow_auto_seq => Some((StreamId::new(ms, 0), false)),
        Some(s) => Some((StreamId::new(ms, strtoull_full(s)?), true)),
    }
}

/// `streamParseStrictIDOrReply` (no `-`/`+`).
pub fn parse_strict_id(arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    parse_id_generic(arg, missing_seq, true, false).map(|(id, _)| id)
}

/// `streamParseIDOrReply` (`-` and `+` allowed).
pub fn parse_id(arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    parse_id_generic(arg, missing_seq, false, false).map(|(id, _)| id)
}

/// `streamParseIntervalIDOrReply`: an ID, or `(ID` for an exclusive bound. Returns the ID and
/// whether it was exclusive.
pub fn parse_interval_id(arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        parse_strict_id(&arg[1..], missing_seq).map(|id| (id, true))
    } else {
        parse_id(arg, missing_seq).map(|id| (id, false))
    }
}

// ---------------------------------------------------------------------------------------------
// Listpack size accounting (so nodes are cut where Redis cuts them)

fn lp_backlen(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

fn lp_int_size(v: i64) -> usize {
    let enc = if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8388608..=8388607).contains(&v) {
        4
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        5
    } else {
        9
    };
    enc + lp_backlen(enc)
}

fn lp_str_size(s: &[u8]) -> usize {
    if s.len() < 21 {
        if let Some(v) = crate::util::parse_i64(s) {
            return lp_int_size(v);
        }
    }
    let len = s.len();
    let enc = if len < 64 {
        1 + len
    } else if len < 4096 {
        2 + len
    } else {
        5 + len
    };
    enc + lp_backlen(enc)
}

// ---------------------------------------------------------------------------------------------
// Packed entry bytes

fn put_varint(buf: &mut Vec<u8>, v: usize) {
    put_varint64(buf, v as u64);
}

fn put_varint64(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn get_varint64(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = buf.get(*pos) {
        *pos += 1;
        if shift < 64 {
            v |= ((b & 0x7f) as u64) << shift;
        }
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

fn get_varint(buf: &[u8], pos: &mut usize) -> usize {
    get_varint64(buf, pos) as usize
}

fn get_slice<'a>(buf: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let n = get_varint(buf, pos);
    let end = (*pos + n).min(buf.len());
    let s = &buf[*pos..end];
    *pos = end;
    s
}

/// One entry's index record inside a node, 4 bytes: the offset of the entry's bytes in
/// `Node::data` and two flags. The bytes at the offset start with the entry's ID (varints:
/// milliseconds after the node's master ID, then the sequence number). Offsets stay far below
/// 2^30: an entry is added to a node only while the node is under [`NODE_MAX_BYTES`].
#[derive(Debug, Clone, Copy)]
struct Slot(u32);

impl Slot {
    const DELETED: u32 = 1 << 31;
    /// Field names are the master entry's: only values are stored.
    const SAME_FIELDS: u32 = 1 << 30;

    fn new(off: usize, same_fields: bool) -> Slot {
        debug_assert!(off < Self::SAME_FIELDS as usize);
        Slot(off as u32 | if same_fields { Self::SAME_FIELDS } else { 0 })
    }

    fn off(self) -> usize {
        (self.0 & !(Self::DELETED | Self::SAME_FIELDS)) as usize
    }

    fn deleted(self) -> bool {
        self.0 & Self::DELETED != 0
    }

    fn same_fields(self) -> bool {
        self.0 & Self::SAME_FIELDS != 0
    }

    fn delete(&mut self) {
        self.0 |= Self::DELETED;
    }
}

/// A block of entries (Redis's listpack node).
#[derive(Debug, Clone)]
pub struct Node {
    master: StreamId,
    master_fields: Vec<Bytes>,
    slots: Vec<Slot>,
    data: Vec<u8>,
    live: u64,
    deleted: u64,
    /// Listpack bytes of everything but the header, the EOF byte and the two counters.
    lp_body: usize,
}

impl Node {
    fn lp_bytes(&self) -> usize {
        6 + 1 + lp_int_size(self.live as i64) + lp_int_size(self.deleted as i64) + self.lp_body
    }

    fn last_id(&self) -> Option<StreamId> {
        self.slots.last().map(|s| self.id_of(s))
    }

    /// The ID of `slot`, and the position of its field data.
    fn decode_id(&self, slot: &Slot) -> (StreamId, usize) {
        let mut pos = slot.off();
        let ms = get_varint64(&self.data, &mut pos);
        let seq = get_varint64(&self.data, &mut pos);
        (StreamId::new(self.master.ms.wrapping_add(ms), seq), pos)
    }

    fn id_of(&self, slot: &Slot) -> StreamId {
        self.decode_id(slot).0
    }
}

/// A live entry, borrowed from its node.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    node: &'a Node,
    slot: &'a Slot,
    id: StreamId,
    /// Where the entry's fields start in the node's data.
    pos: usize,
}

impl<'a> EntryRef<'a> {
    fn new(node: &'a Node, slot: &'a Slot) -> EntryRef<'a> {
        let (id, pos) = node.decode_id(slot);
        EntryRef {
            node,
            slot,
            id,
            pos,
        }
    }
}

impl<'a> EntryRef<'a> {
    pub fn id(&self) -> StreamId {
        self.id
    }

    /// Number of field-value pairs.
    pub fn len(&self) -> usize {
        if self.slot.same_fields() {
            self.node.master_fields.len()
        } else {
            let mut pos = self.pos;
            get_varint(&self.node.data, &mut pos)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The field-value pairs in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let node = self.node;
        let same = self.slot.same_fields();
        let mut pos = self.pos;
        let n = if same {
            node.master_fields.len()
        } else {
            get_varint(&node.data, &mut pos)
        };
        (0..n).map(move |i| {
            let f: &'a [u8] = if same {
                node.master_fields.get(i).map_or(&[][..], |b| &b[..])
            } else {
                get_slice(&node.data, &mut pos)
            };
            let v = get_slice(&node.data, &mut pos);
            (f, v)
        })
    }
}

/// A pending entry: delivered to consumer `consumer` (an id, see [`Group::consumer_name`]), not
/// yet acknowledged. 24 bytes, where the name itself would take 32 plus its allocation.
#[derive(Debug, Clone)]
pub struct Nack {
    pub delivery_time: u64,
    pub delivery_count: u64,
    pub consumer: u32,
}

/// The consumer id of a NACK that has no owner yet (XCLAIM FORCE creates one, then assigns it).
pub const NO_CONSUMER: u32 = u32::MAX;

/// A consumer of a group.
#[derive(Debug, Clone)]
pub struct Consumer {
    pub seen_time: u64,
    /// The id its NACKs carry.
    pub id: u32,
    /// IDs this consumer owns in the group PEL (for XPENDING's consumer filter, XREADGROUP's
    /// history reads and XINFO's counts, in O(log n + returned)).
    pub pel: ChunkSet<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone)]
pub struct Group {
    pub last_id: StreamId,
    /// Logical count of entries read (delivered) by the group, or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    pub pel: ChunkMap<StreamId, Nack>,
    pub consumers: BTreeMap<Bytes, Consumer>,
    /// Consumer names by id; `None` for a free id.
    names: Vec<Option<Bytes>>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: ChunkMap::new(),
            consumers: BTreeMap::new(),
            names: Vec::new(),
        }
    }

    /// The name of consumer `id` (empty for [`NO_CONSUMER`] or a deleted consumer).
    pub fn consumer_name(&self, id: u32) -> &[u8] {
        self.names
            .get(id as usize)
            .and_then(Option::as_ref)
            .map_or(&[][..], |b| &b[..])
    }

    fn consumer_id(&self, name: &[u8]) -> u32 {
        self.consumers.get(name).map_or(NO_CONSUMER, |c| c.id)
    }

    fn consumer_by_id(&mut self, id: u32) -> Option<&mut Consumer> {
        let name = self.names.get(id as usize)?.as_ref()?;
        self.consumers.get_mut(&name[..])
    }

    /// Creates consumer `name` if missing; true if it was created.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let name = Bytes::copy_from_slice(name);
        let id = match self.names.iter().position(Option::is_none) {
            Some(free) => {
                self.names[free] = Some(name.clone());
                free
            }
            None => {
                self.names.push(Some(name.clone()));
                self.names.len() - 1
            }
        };
        self.consumers.insert(
            name,
            Consumer {
                seen_time: now,
                id: id as u32,
                pel: ChunkSet::new(),
            },
        );
        true
    }

    /// Deletes consumer `name` and its pending entries; returns how many it had, or `None` if
    /// it did not exist.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        if let Some(slot) = self.names.get_mut(c.id as usize) {
            *slot = None;
        }
        for id in c.pel.iter() {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Removes `id` from the PEL (and its consumer's); true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(n) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumer_by_id(n.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Assigns pending `id` to `consumer` (which must exist), creating the NACK if needed, as a
    /// delivery does: time now, count 1 for a first delivery or a delivery to another consumer.
    pub fn deliver(&mut self, id: StreamId, consumer: &Bytes, now: u64) {
        let cid = self.consumer_id(consumer);
        let nack = Nack {
            delivery_time: now,
            delivery_count: 1,
            consumer: cid,
        };
        if let Some(old) = self.pel.insert(id, nack) {
            if old.consumer != cid {
                if let Some(c) = self.consumer_by_id(old.consumer) {
                    c.pel.remove(&id);
                }
            }
        }
        if let Some(c) = self.consumer_by_id(cid) {
            c.pel.insert(id);
        }
    }

    /// Moves pending `id` to `consumer` (which must exist) without touching time or count.
    pub fn reassign(&mut self, id: StreamId, consumer: &Bytes) {
        let cid = self.consumer_id(consumer);
        let Some(n) = self.pel.get_mut(&id) else {
            return;
        };
        let old = std::mem::replace(&mut n.consumer, cid);
        if old != cid {
            if let Some(c) = self.consumer_by_id(old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumer_by_id(cid) {
            c.pel.insert(id);
        }
    }

    /// Heap bytes held by the group's bookkeeping (estimate).
    pub fn allocated(&self) -> usize {
        self.pel.allocated()
            + self
                .consumers
                .iter()
                .map(|(k, c)| super::alloc_size(k.len()) + 64 + c.pel.allocated())
                .sum::<usize>()
    }
}

/// Which trimming rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    None,
    MaxLen(u64),
    MinId(StreamId),
}

/// A stream value.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    /// Consumer groups by name (byte order, as Redis's rax lists them).
    pub groups: BTreeMap<Bytes, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Approximate heap bytes held (MEMORY USAGE): node buffers and indexes, groups and their
    /// pending entries.
    pub fn allocated(&self) -> usize {
        let nodes: usize = self
            .nodes
            .values()
            .map(|n| {
                std::mem::size_of::<Node>()
                    + 32
                    + n.data.capacity()
                    + n.slots.capacity() * std::mem::size_of::<Slot>()
                    + n.master_fields.iter().map(|f| f.len() + 32).sum::<usize>()
            })
            .sum();
        let groups: usize = self
            .groups
            .iter()
            .map(|(k, g)| k.len() + 64 + g.allocated())
            .sum();
        std::mem::size_of::<Stream>() + nodes + groups
    }

    /// Number of nodes (XINFO's `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Appends an entry with ID `id` (greater than `last_id`, checked by the caller) and the
    /// field-value pairs `pairs` (even length, at least 2).
    pub fn append(&mut self, id: StreamId, pairs: &[Bytes]) {
        let nf = pairs.len() / 2;
        let totelelen: usize = pairs.iter().map(|b| b.len()).sum();
        let need_new = match self.nodes.last_key_value() {
            None => true,
            Some((_, n)) => {
                n.lp_bytes() + totelelen >= NODE_MAX_BYTES || n.live + n.deleted >= NODE_MAX_ENTRIES
            }
        };
        if need_new {
            // The node being closed will not grow again: give back its spare capacity, as
            // Redis's `lpShrinkToFit` does.
            if let Some((_, last)) = self.nodes.iter_mut().next_back() {
                last.data.shrink_to_fit();
                last.slots.shrink_to_fit();
            }
            let master_fields: Vec<Bytes> = pairs
                .iter()
                .step_by(2)
                .map(|f| Bytes::copy_from_slice(f))
                .collect();
            let lp_body = lp_int_size(nf as i64)
                + master_fields.iter().map(|f| lp_str_size(f)).sum::<usize>()
                + lp_int_size(0);
            self.nodes.insert(
                id,
                Node {
                    master: id,
                    master_fields,
                    slots: Vec::new(),
                    data: Vec::new(),
                    live: 0,
                    deleted: 0,
                    lp_body,
                },
            );
        }
        let Some((&master, node)) = self.nodes.iter_mut().next_back() else {
            return;
        };
        let same = nf == node.master_fields.len()
            && pairs
                .iter()
                .step_by(2)
                .zip(node.master_fields.iter())
                .all(|(a, b)| a[..] == b[..]);
        let flags: i64 = if same { 2 } else { 0 };
        let mut lp = lp_int_size(flags)
            + lp_int_size(id.ms.wrapping_sub(master.ms) as i64)
            + lp_int_size(id.seq.wrapping_sub(master.seq) as i64);
        let off = node.data.len();
        put_varint64(&mut node.data, id.ms.wrapping_sub(master.ms));
        put_varint64(&mut node.data, id.seq);
        if !same {
            lp += lp_int_size(nf as i64);
            put_varint(&mut node.data, nf);
        }
        for (i, b) in pairs.iter().enumerate() {
            if i % 2 == 0 && same {
                continue;
            }
            lp += lp_str_size(b);
            put_varint(&mut node.data, b.len());
            node.data.extend_from_slice(b);
        }
        let lp_count = if same { nf + 3 } else { 2 * nf + 4 };
        lp += lp_int_size(lp_count as i64);
        node.lp_body += lp;
        node.slots.push(Slot::new(off, same));
        node.live += 1;
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Calls `f` for each live entry with `start <= id <= end`, in ascending order (descending
    /// when `rev`), until `f` returns false. O(log n + visited).
    pub fn walk<'a>(
        &'a self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(EntryRef<'a>) -> bool,
    ) {
        if start > end {
            return;
        }
        if !rev {
            let first = self.nodes.range(..=start).next_back();
            let rest = self
                .nodes
                .range((Bound::Excluded(start), Bound::Included(end)));
            for (_, node) in first.into_iter().chain(rest) {
                let from = node.slots.partition_point(|s| node.id_of(s) < start);
                for slot in &node.slots[from..] {
                    let e = EntryRef::new(node, slot);
                    if e.id > end {
                        return;
                    }
                    if !slot.deleted() && !f(e) {
                        return;
                    }
                }
            }
        } else {
            for (_, node) in self.nodes.range(..=end).rev() {
                let to = node.slots.partition_point(|s| node.id_of(s) <= end);
                for slot in node.slots[..to].iter().rev() {
                    let e = EntryRef::new(node, slot);
                    if e.id < start {
                        return;
                    }
                    if !slot.deleted() && !f(e) {
                        return;
                    }
                }
            }
        }
    }

    /// The live entry with ID `id`.
    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        let (_, node) = self.nodes.range(..=id).next_back()?;
        let i = node
            .slots
            .binary_search_by(|s| node.id_of(s).cmp(&id))
            .ok()?;
        let slot = &node.slots[i];
        (!slot.deleted()).then(|| EntryRef::new(node, slot))
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// First (or last) live entry ID (`streamGetEdgeID` skipping tombstones).
    pub fn edge_id(&self, first: bool) -> Option<StreamId> {
        let mut out = None;
        self.walk(StreamId::MIN, StreamId::MAX, !first, |e| {
            out = Some(e.id());
            false
        });
        out
    }

    /// Last live entry ID, 0-0 when empty (`streamLastValidID`).
    pub fn last_valid_id(&self) -> StreamId {
        self.edge_id(false).unwrap_or_default()
    }

    /// Deletes the entry `id` (XDEL); true if it was live. Updates length, first ID and the
    /// maximal tombstone as Redis's `xdelCommand` does.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Ok(i) = node.slots.binary_search_by(|s| node.id_of(s).cmp(&id)) else {
            return false;
        };
        if node.slots[i].deleted() {
            return false;
        }
        if node.live == 1 {
            self.nodes.remove(&master);
        } else {
            node.slots[i].delete();
            node.live -= 1;
            node.deleted += 1;
        }
        self.length -= 1;
        if id > self.max_deleted_entry_id {
            self.max_deleted_entry_id = id;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.first_id = self.edge_id(true).unwrap_or(StreamId::MAX);
        }
        true
    }

    /// Trims as Redis's `streamTrim`: whole nodes first; with `approx`, stops at the first node
    /// that cannot go entirely; otherwise flags entries inside that node. `limit` (0 = none)
    /// caps the entries removed, counted in whole nodes. Returns the number removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        if how == Trim::None {
            return 0;
        }
        let mut deleted: u64 = 0;
        loop {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let Some((&master, node)) = self.nodes.iter_mut().next() else {
                break;
            };
            let entries = node.live;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match how {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => node.last_id().is_some_and(|l| l < min),
                Trim::None => false,
            };
            if remove_node {
                self.nodes.remove(&master);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let mut from_node = 0;
            let master = node.master;
            for slot in node.slots.iter_mut() {
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => {
                        let mut pos = slot.off();
                        let ms = get_varint64(&node.data, &mut pos);
                        let seq = get_varint64(&node.data, &mut pos);
                        StreamId::new(master.ms.wrapping_add(ms), seq) >= min
                    }
                    Trim::None => true,
                };
                if stop {
                    break;
                }
                if !slot.deleted() {
                    slot.delete();
                    from_node += 1;
                    self.length -= 1;
                }
            }
            node.live -= from_node;
            node.deleted += from_node;
            deleted += from_node;
            // A node left with no live entries stays, as in Redis, until a later trim drops it.
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true).unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// Redis's `streamRangeHasTombstones(s, start, NULL)`-style check over `[start, end]`.
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// Redis 7.0's `streamEstimateDistanceFromFirstEverEntry`: the logical read counter of
    /// `id`, or [`INVALID_ENTRIES_READ`] when it cannot be known.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// The lag of `g` (`streamReplyWithCGLag`), `None` when unknown.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(g.last_id, StreamId::MAX)
        {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let r = self.estimate_distance(g.last_id);
        (r != INVALID_ENTRIES_READ).then(|| self.entries_added as i64 - r)
    }

    /// Updates a group's last-delivered ID and read counter for a delivery of `id`, as
    /// `streamReplyWithRange` does when it serves a group past its last ID.
    pub fn advance_group(&mut self, group: &[u8], id: StreamId) {
        let tombstones = self.range_has_tombstones(id, StreamId::MAX);
        let estimate = self.estimate_distance(id);
        let added = self.entries_added;
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if id <= g.last_id {
            return;
        }
        if g.entries_read != INVALID_ENTRIES_READ && !tombstones {
            g.entries_read += 1;
        } else if added != 0 {
            g.entries_read = estimate;
        }
        g.last_id = id;
    }

    /// Number of radix-tree nodes Redis's rax would have for these node keys (XINFO's
    /// `radix-tree-nodes`): the root, every branching point, every child of a branching point
    /// and every key, in the 16-byte big-endian encoding of the master IDs.
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self
            .nodes
            .keys()
            .map(|id| {
                let mut k = [0u8; 16];
                k[..8].copy_from_slice(&id.ms.to_be_bytes());
                k[8..].copy_from_slice(&id.seq.to_be_bytes());
                k
            })
            .collect();
        let mut prefixes: std::collections::HashSet<(usize, [u8; 16])> =
            std::collections::HashSet::new();
        let pre = |k: &[u8; 16], l: usize| {
            let mut p = [0u8; 16];
            p[..l].copy_from_slice(&k[..l]);
            (l, p)
        };
        prefixes.insert((0, [0u8; 16]));
        for k in &keys {
            prefixes.insert(pre(k, 16));
        }
        for w in keys.windows(2) {
            let l = w[0]
                .iter()
                .zip(w[1].iter())
                .take_while(|(a, b)| a == b)
                .count();
            if l >= 16 {
                continue;
            }
            prefixes.insert(pre(&w[0], l));
            prefixes.insert(pre(&w[0], l + 1));
            prefixes.insert(pre(&w[1], l + 1));
        }
        // A branching point's children that lie between non-adjacent keys are covered by the
        // adjacent pairs: every child of a branching prefix starts some key adjacent to a key
        // of a sibling child.
        prefixes.len()
    }

    /// Approximate heap bytes used (for MEMORY-style introspection and tests).
    pub fn heap_bytes(&self) -> usize {
        self.nodes
            .values()
            .map(|n| {
                n.data.capacity()
                    + n.slots.capacity() * std::mem::size_of::<Slot>()
                    + n.master_fields.iter().map(|f| f.len() + 32).sum::<usize>()
                    + 64
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_pack_offset_and_flags_in_four_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 4);
        for (off, same) in [(0, false), (1, true), (4095, true), ((1 << 30) - 1, false)] {
            let mut s = Slot::new(off, same);
            assert_eq!((s.off(), s.same_fields(), s.deleted()), (off, same, false));
            s.delete();
            assert_eq!((s.off(), s.same_fields(), s.deleted()), (off, same, true));
        }
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn id_parsing_matches_redis() {
        assert_eq!(parse_strict_id(b"1-2", 0), Some(StreamId::new(1, 2)));
        assert_eq!(parse_strict_id(b"5", 7), Some(StreamId::new(5, 7)));
        assert_eq!(parse_strict_id(b"-", 0), None);
        assert_eq!(parse_id(b"-", 0), Some(StreamId::MIN));
        assert_eq!(parse_id(b"+", 0), Some(StreamId::MAX));
        assert_eq!(parse_strict_id(b"-1", 0), None);
        assert_eq!(parse_strict_id(b"+5", 0), Some(StreamId::new(5, 0)));
        assert_eq!(parse_strict_id(b"007-1", 0), Some(StreamId::new(7, 1)));
        assert_eq!(parse_strict_id(b"1--0", 0), Some(StreamId::new(1, 0)));
        assert_eq!(parse_strict_id(b"18446744073709551616", 0), None);
        assert_eq!(
            parse_strict_id(b"18446744073709551615-18446744073709551615", 0),
            Some(StreamId::MAX)
        );
        assert_eq!(parse_strict_id(b"1-2-3", 0), None);
        assert_eq!(parse_strict_id(b"", 0), None);
        assert_eq!(
            parse_id_generic(b"5-*", 0, true, true),
            Some((StreamId::new(5, 0), false))
        );
        assert_eq!(parse_id_generic(b"5-*", 0, true, false), None);
        assert_eq!(
            parse_interval_id(b"(5", u64::MAX),
            Some((StreamId::new(5, u64::MAX), true))
        );
        assert_eq!(parse_interval_id(b"(-", 0), None);
    }

    #[test]
    fn id_arithmetic() {
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::new(2, 0).decr(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.decr(), None);
        assert!(StreamId::new(1, 5) < StreamId::new(2, 0));
    }

    #[test]
    fn nodes_cut_at_100_entries_and_ranges_cross_them() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            s.append(StreamId::new(i, 0), &[b("f"), b("v")]);
        }
        assert_eq!(s.node_count(), 3);
        let mut ids = Vec::new();
        s.walk(StreamId::new(95, 0), StreamId::new(105, 0), false, |e| {
            ids.push(e.id().ms);
            true
        });
        assert_eq!(ids, (95..=105).collect::<Vec<_>>());
        let mut rev = Vec::new();
        s.walk(StreamId::new(95, 0), StreamId::new(105, 0), true, |e| {
            rev.push(e.id().ms);
            true
        });
        assert_eq!(rev, (95..=105).rev().collect::<Vec<_>>());
        let e = s.get(StreamId::new(7, 0)).unwrap();
        assert_eq!(e.pairs().collect::<Vec<_>>(), vec![(&b"f"[..], &b"v"[..])]);
    }

    #[test]
    fn big_entries_cut_by_bytes() {
        let mut s = Stream::new();
        let v = Bytes::from(vec![b'x'; 1000]);
        for i in 1..=8u64 {
            s.append(StreamId::new(i, 0), &[b("f"), v.clone()]);
        }
        assert_eq!(s.node_count(), 2);
    }

    #[test]
    fn trimming_exact_and_approx() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            s.append(StreamId::new(i, 0), &[b("f"), b("v")]);
        }
        assert_eq!(s.trim(Trim::MaxLen(180), true, 10000), 0);
        assert_eq!(s.trim(Trim::MaxLen(140), true, 10000), 100);
        assert_eq!(s.len(), 150);
        assert_eq!(s.trim(Trim::MaxLen(140), false, 0), 10);
        assert_eq!(s.first_id, StreamId::new(111, 0));
        assert_eq!(s.trim(Trim::MinId(StreamId::new(200, 0)), false, 0), 89);
        assert_eq!(s.first_id, StreamId::new(200, 0));
    }

    #[test]
    fn delete_and_lag() {
        let mut s = Stream::new();
        for i in 1..=3u64 {
            s.append(StreamId::new(i, 0), &[b("a"), b("1"), b("b"), b("2")]);
        }
        s.append(StreamId::new(4, 0), &[b("c"), b("3")]);
        let e = s.get(StreamId::new(4, 0)).unwrap();
        assert_eq!(e.pairs().collect::<Vec<_>>(), vec![(&b"c"[..], &b"3"[..])]);
        let g = Group::new(StreamId::MIN, 0);
        assert_eq!(s.lag(&g), Some(4));
        assert!(s.delete(StreamId::new(2, 0)));
        assert!(!s.delete(StreamId::new(2, 0)));
        assert_eq!(s.len(), 3);
        assert_eq!(s.max_deleted_entry_id, StreamId::new(2, 0));
        assert_eq!(s.lag(&g), None);
        assert!(s.delete(StreamId::new(1, 0)));
        assert_eq!(s.first_id, StreamId::new(3, 0));
        assert_eq!(s.estimate_distance(StreamId::new(3, 0)), 3);
        assert_eq!(s.estimate_distance(StreamId::new(4, 0)), 4);
    }

    #[test]
    fn group_bookkeeping() {
        let mut g = Group::new(StreamId::MIN, 0);
        let a = b("a");
        let c = b("c");
        g.create_consumer(&a, 1);
        g.create_consumer(&c, 1);
        g.deliver(StreamId::new(1, 0), &a, 10);
        g.deliver(StreamId::new(2, 0), &a, 10);
        g.deliver(StreamId::new(1, 0), &c, 20);
        assert_eq!(g.consumers[&a[..]].pel.len(), 1);
        assert_eq!(g.consumers[&c[..]].pel.len(), 1);
        assert!(g.ack(StreamId::new(2, 0)));
        assert!(g.consumers[&a[..]].pel.is_empty());
        assert_eq!(g.delete_consumer(&c), Some(1));
        assert!(g.pel.is_empty());
        // A new consumer reuses the freed id; NACKs name their owner through it.
        let d = b("d");
        g.create_consumer(&d, 30);
        g.deliver(StreamId::new(3, 0), &d, 30);
        g.deliver(StreamId::new(4, 0), &a, 30);
        let owner = |g: &Group, ms| {
            let n = g
                .pel
                .get(&StreamId::new(ms, 0))
                .map_or(NO_CONSUMER, |n| n.consumer);
            g.consumer_name(n).to_vec()
        };
        assert_eq!(owner(&g, 3), b"d".to_vec());
        assert_eq!(owner(&g, 4), b"a".to_vec());
        // XCLAIM FORCE: an ownerless NACK, then assigned.
        g.pel.insert(
            StreamId::new(5, 0),
            Nack {
                delivery_time: 1,
                delivery_count: 1,
                consumer: NO_CONSUMER,
            },
        );
        assert_eq!(owner(&g, 5), Vec::<u8>::new());
        g.reassign(StreamId::new(5, 0), &d);
        assert_eq!(owner(&g, 5), b"d".to_vec());
        g.reassign(StreamId::new(3, 0), &a);
        assert!(g.consumers[&d[..]]
            .pel
            .range(StreamId::new(0, 0)..)
            .copied()
            .eq([StreamId::new(5, 0)]));
        assert_eq!(g.consumers[&a[..]].pel.len(), 2);
        assert_eq!(g.delete_consumer(&a), Some(2));
        assert_eq!(g.pel.len(), 1);
    }

    #[test]
    fn rax_node_count() {
        let mut s = Stream::new();
        assert_eq!(s.rax_nodes(), 1);
        s.append(StreamId::new(1, 0), &[b("f"), b("v")]);
        assert_eq!(s.rax_nodes(), 2);
    }
}
