//! The waiter registry: blocking pops and moves (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP), in
//! Redis's model (`src/blocked.c`), made concurrent.
//!
//! # API overview
//! - A command that finds none of its keys ready and may block builds a [`Waiter`] and calls
//!   [`register`] **while it still holds its keys' shard locks**, so "every key is empty" and "I
//!   am registered" are one atomic step. Each key's waiters form a FIFO queue that lives in the
//!   key's shard ([`crate::store::Shard::waiters`]). The command then returns
//!   `Flow::Block`, and the connection task waits for the waiter's reply.
//! - A write that makes a waited-on key usable (a push, a move into it, a RENAME onto it) calls
//!   `Ctx::signal_list_push`, which only records the key as *ready* for this command.
//! - After the command (later: the whole EXEC or script) has run and released its shard locks,
//!   but before its reply is written, dispatch calls [`serve_ready`]: for each ready key, in the
//!   order the keys became ready, it serves waiters FIFO, one element each, performing the pop or
//!   move *for* the waiter under the needed shard locks (taken in ascending order) and handing it
//!   the encoded reply through a oneshot. A BLMOVE whose destination has waiters marks that key
//!   ready too, so chains and circles are served in the same pass.
//! - A waiter is claimed exactly once: its state goes from `WAITING` to `SERVED`, `TIMED_OUT` or
//!   `CANCELLED` by compare-and-swap. Queues of the other keys of a claimed waiter drop it lazily
//!   and [`unregister`] removes it everywhere when the blocked connection resumes, so timeouts,
//!   CLIENT UNBLOCK and disconnects leave no trace. A timeout that loses the race to a hand-off
//!   gets the handed-off reply, so no element is ever lost.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::commands::lists::{self, End};
use crate::commands::{streams, zsets};
use crate::config::registry::{NOTIFY_GENERIC, NOTIFY_LIST};
use crate::protocol::Out;
use crate::server::Server;
use crate::store::Value;

const WAITING: u8 = 0;
const SERVED: u8 = 1;
const TIMED_OUT: u8 = 2;
const CANCELLED: u8 = 3;

/// What a blocked client will do with the first element it gets.
#[derive(Debug, Clone)]
pub enum BlockOp {
    /// BLPOP/BRPOP: reply `[key, element]`.
    Pop(End),
    /// BLMOVE/BRPOPLPUSH: move into `dst`, reply the element.
    Move { dst: Bytes, from: End, to: End },
    /// BLMPOP: pop up to `count`, reply `[key, [elements]]`.
    MPop { end: End, count: usize },
    /// XREAD/XREADGROUP BLOCK: `ids[i]` is the ID the entries of `keys[i]` must exceed (for a
    /// group read, the group's last-delivered ID is used instead, read at serving time).
    XRead {
        ids: Vec<crate::store::stream::StreamId>,
        count: usize,
        group: Option<streams::GroupRead>,
    },
    /// BZPOPMIN/BZPOPMAX: reply `[key, member, score]`.
    ZPop { max: bool },
    /// BZMPOP: pop up to `count`, reply `[key, [[member, score], ...]]`.
    ZMPop { max: bool, count: usize },
}

impl BlockOp {
    /// Whether this waiter reads a stream (served by [`serve_stream_waiters`]).
    pub fn is_stream(&self) -> bool {
        matches!(self, BlockOp::XRead { .. })
    }

    /// Whether this (list or sorted-set) waiter can be served from `v`: a list op from a
    /// non-empty list, a sorted-set op from a non-empty sorted set; waiters of the other kind
    /// stay blocked, as in Redis. Stream readers are served separately.
    fn can_use(&self, v: &Value) -> bool {
        match self {
            BlockOp::ZPop { .. } | BlockOp::ZMPop { .. } => {
                matches!(v, Value::ZSet(z) if !z.is_empty())
            }
            BlockOp::XRead { .. } => false,
            _ => matches!(v, Value::List(l) if !l.is_empty()),
        }
    }
}

/// One blocked client.
pub struct Waiter {
    state: AtomicU8,
    pub client_id: u64,
    pub db: usize,
    pub keys: Vec<Bytes>,
    pub op: BlockOp,
    pub resp3: bool,
    /// The reply channel; taken by whoever claims the waiter. Never held across other locks.
    tx: Mutex<Option<oneshot::Sender<Vec<u8>>>>,
}

/// Waiters of one key, FIFO.
pub type KeyWaiters = HashMap<Bytes, VecDeque<Arc<Waiter>>, ahash::RandomState>;

impl Waiter {
    pub fn new(
        client_id: u64,
        db: usize,
        keys: Vec<Bytes>,
        op: BlockOp,
        resp3: bool,
    ) -> (Arc<Waiter>, oneshot::Receiver<Vec<u8>>) {
        let (tx, rx) = oneshot::channel();
        let w = Waiter {
            state: AtomicU8::new(WAITING),
            client_id,
            db,
            keys,
            op,
            resp3,
            tx: Mutex::new(Some(tx)),
        };
        (Arc::new(w), rx)
    }

    fn claim(&self, to: u8) -> bool {
        self.state
            .compare_exchange(WAITING, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    fn send(&self, reply: Vec<u8>) {
        if let Some(tx) = self.tx.lock().take() {
            let _ = tx.send(reply);
        }
    }

    /// The reply a waiter gets when its timeout fires: the null array, as Redis's
    /// `replyToBlockedClientTimedOut` sends for lists.
    pub fn timeout_reply(resp3: bool) -> Vec<u8> {
        if resp3 {
            b"_\r\n".to_vec()
        } else {
            b"*-1\r\n".to_vec()
        }
    }

    /// Claims the waiter for its timeout; false if it was served (or cancelled) first.
    pub fn try_timeout(&self) -> bool {
        self.claim(TIMED_OUT)
    }

    /// Claims the waiter on behalf of CLIENT UNBLOCK or a disconnect, sending `reply` to it.
    pub fn try_cancel(&self, reply: Option<Vec<u8>>) -> bool {
        if !self.claim(CANCELLED) {
            return false;
        }
        if let Some(r) = reply {
            self.send(r);
        }
        true
    }
}

/// Registers `w` on each of its keys. The caller holds the shard locks of all of them.
pub fn register(srv: &Server, ks: &mut crate::store::Locked, w: &Arc<Waiter>) {
    for k in &w.keys {
        if let Some(shard) = ks.shard_in(w.db, k) {
            shard
                .waiters
                .entry(k.clone())
                .or_default()
                .push_back(w.clone());
        }
    }
    srv.stats.blocked_clients.fetch_add(1, Ordering::Relaxed);
}

/// Removes every trace of `w` from the registry (after it was served, timed out or cancelled).
pub fn unregister(srv: &Server, w: &Arc<Waiter>) {
    let now = crate::util::now_ms();
    let mut l = srv.ks.lock(w.db, w.keys.iter(), now);
    for k in &w.keys {
        let Some(shard) = l.shard_in(w.db, k) else {
            continue;
        };
        if let Some(q) = shard.waiters.get_mut(&k[..]) {
            q.retain(|x| !Arc::ptr_eq(x, w));
            if q.is_empty() {
                shard.waiters.remove(&k[..]);
            }
        }
    }
    srv.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
}

/// Every key of database `db` that has blocked clients (SWAPDB re-checks them all). Locks each
/// shard briefly; the caller holds no shard lock.
pub fn waited_keys(ks: &crate::store::Keyspace, db: usize) -> Vec<Bytes> {
    ks.dbs.get(db).map_or_else(Vec::new, |d| {
        d.shards
            .iter()
            .flat_map(|s| s.lock().waiters.keys().cloned().collect::<Vec<_>>())
            .collect()
    })
}

/// Waiter entries still in the registry, over every shard (for leak tests and diagnostics).
pub fn registry_len(srv: &Server) -> usize {
    srv.ks
        .dbs
        .iter()
        .flat_map(|db| db.shards.iter())
        .map(|s| s.lock().waiters.values().map(|q| q.len()).sum::<usize>())
        .sum()
}

/// Serves the keys that became ready, in order, until nothing is ready. The caller holds the
/// world lock's read side and no shard lock.
pub fn serve_ready(srv: &Server, ready: Vec<(usize, Bytes)>) {
    let mut queue: VecDeque<(usize, Bytes)> = ready.into();
    while let Some((db, key)) = queue.pop_front() {
        while let Some(next) = serve_one(srv, db, &key) {
            if let Some(k) = next {
                queue.push_back((db, k));
            }
        }
    }
}

/// Serves the first live waiter of `key`. Returns `None` when nothing more can be served on this
/// key, `Some(Some(dst))` when a move made `dst` ready, `Some(None)` otherwise.
fn serve_one(srv: &Server, db: usize, key: &Bytes) -> Option<Option<Bytes>> {
    let now = crate::util::now_ms();
    // Find the first live list waiter (dropping claimed ones; stream readers are served here,
    // all at once) and what else it needs locked.
    let (front, dst) = {
        let mut l = srv.ks.lock(db, [key], now);
        let shard = l.shard_in(db, key)?;
        let q = shard.waiters.get_mut(&key[..])?;
        q.retain(|w| w.is_waiting());
        if q.iter().any(|w| w.op.is_stream()) {
            serve_stream_waiters(srv, &mut l, db, key);
        }
        let shard = l.shard_in(db, key)?;
        let q = shard.waiters.get_mut(&key[..])?;
        if q.is_empty() {
            shard.waiters.remove(&key[..]);
            return None;
        }
        // Serve the first waiter whose kind fits the value (list pops vs. sorted-set pops).
        let value = shard.peek(key, now).map(|e| &e.value);
        let w = match value {
            Some(v) => shard.waiters.get(&key[..]).and_then(|q| {
                q.iter()
                    .find(|w| w.is_waiting() && w.op.can_use(v))
                    .cloned()
            })?,
            None => return None,
        };
        let dst = match &w.op {
            BlockOp::Move { dst, .. } => Some(dst.clone()),
            _ => None,
        };
        (w, dst)
    };
    let mut keys: Vec<&Bytes> = vec![key];
    if let Some(d) = &dst {
        keys.push(d);
    }
    let mut l = srv.ks.lock(db, keys, now);
    // Re-check under the full set of locks: the front may have changed while unlocked.
    {
        let shard = l.shard_in(db, key)?;
        let q = shard.waiters.get_mut(&key[..])?;
        // New waiters only join at the back, so `front` is still the first of its kind if it
        // is still queued.
        if !q.iter().any(|w| Arc::ptr_eq(w, &front)) {
            return Some(None);
        }
    }
    // Is there something to hand over? (A key replaced by another type is not ready.)
    let available = match l.get_in(db, key) {
        Some(e) => front.op.can_use(&e.value),
        None => false,
    };
    if !available {
        return None;
    }
    if !front.claim(SERVED) {
        return Some(None);
    }
    if let Some(shard) = l.shard_in(db, key) {
        if let Some(q) = shard.waiters.get_mut(&key[..]) {
            q.retain(|w| !Arc::ptr_eq(w, &front));
        }
    }
    if let BlockOp::Move { dst, .. } = &front.op {
        // A BLMOVE whose destination now holds another type is unblocked with WRONGTYPE and the
        // element stays where it is (Redis's serveClientBlockedOnList).
        if matches!(l.get_in(db, dst), Some(e) if !matches!(e.value, Value::List(_))) {
            drop(l);
            let mut buf = BytesMut::new();
            Out::new(&mut buf, front.resp3).error(&crate::commands::CmdError::WrongType.text());
            front.send(buf.to_vec());
            return Some(None);
        }
    }
    let mut buf = BytesMut::new();
    let mut out = Out::new(&mut buf, front.resp3);
    let mut made_ready = None;
    // The hand-off as the AOF logs it (BLPOP -> LPOP, BLMOVE -> LMOVE, BZPOPMIN -> ZPOPMIN...).
    let mut effect: Vec<Bytes> = Vec::new();
    // Keyspace events of the hand-off, published below in Redis's order while the locks are
    // still held: (class, event, key).
    let mut events: Vec<(u32, &'static str, Bytes)> = Vec::new();
    match &front.op {
        BlockOp::Pop(end) => {
            let v = lists::get_list_in(&mut l, db, key)
                .ok()
                .flatten()
                .and_then(|list| lists::pop(list, *end));
            effect = vec![pop_name(*end), key.clone()];
            out.array(2);
            out.bulk(key);
            out.bulk(&v.unwrap_or_default());
            events.push((NOTIFY_LIST, lists::end_event(*end, true), key.clone()));
        }
        BlockOp::MPop { end, count } => {
            out.array(2);
            out.bulk(key);
            if let Ok(Some(list)) = lists::get_list_in(&mut l, db, key) {
                let n = (*count).min(list.len());
                out.array(n);
                for _ in 0..n {
                    out.bulk(&lists::pop(list, *end).unwrap_or_default());
                }
                effect = vec![pop_name(*end), key.clone(), Bytes::from(n.to_string())];
            } else {
                out.array(0);
            }
            events.push((NOTIFY_LIST, lists::end_event(*end, true), key.clone()));
        }
        BlockOp::XRead { .. } => return Some(None),
        BlockOp::Move { dst, from, to } => {
            let moved = lists::move_element(&mut l, db, key, dst, *from, *to)
                .ok()
                .flatten();
            if moved.is_some() {
                effect = vec![
                    crate::commands::lit("LMOVE"),
                    key.clone(),
                    dst.clone(),
                    side_name(*from),
                    side_name(*to),
                ];
            }
            out.bulk(&moved.unwrap_or_default());
            events.push((NOTIFY_LIST, lists::end_event(*to, false), dst.clone()));
            events.push((NOTIFY_LIST, lists::end_event(*from, true), key.clone()));
            let has_waiters = l
                .shard_in(db, dst)
                .is_some_and(|s| s.waiters.contains_key(&dst[..]));
            if has_waiters {
                made_ready = Some(dst.clone());
            }
        }
        BlockOp::ZPop { max } => {
            let items = zsets::pop_n(&mut l, db, key, *max, 1);
            if let Some(item) = items.first() {
                effect = vec![zpop_name(*max), key.clone()];
                zsets::write_bzpop_reply(&mut out, key, item);
                events.push((
                    crate::config::registry::NOTIFY_ZSET,
                    zsets::pop_event(*max),
                    key.clone(),
                ));
            }
        }
        BlockOp::ZMPop { max, count } => {
            let items = zsets::pop_n(&mut l, db, key, *max, *count);
            zsets::write_mpop_reply(&mut out, key, &items);
            if !items.is_empty() {
                effect = vec![
                    zpop_name(*max),
                    key.clone(),
                    Bytes::from(items.len().to_string()),
                ];
                events.push((
                    crate::config::registry::NOTIFY_ZSET,
                    zsets::pop_event(*max),
                    key.clone(),
                ));
            }
        }
    }
    if matches!(lists::get_list_in(&mut l, db, key), Ok(Some(list)) if list.is_empty()) {
        l.del_in(db, key);
    }
    if l.get_in(db, key).is_none() {
        events.push((NOTIFY_GENERIC, "del", key.clone()));
    }
    for (class, event, k) in &events {
        crate::notify::notify(srv, *class, event, k, db, None);
    }
    if !effect.is_empty() && srv.aof.is_on() {
        srv.aof.log(&[(db, &effect[..])]);
    }
    l.touch_in(db, key);
    if let BlockOp::Move { dst, .. } = &front.op {
        l.touch_in(db, dst);
    }
    srv.stats.dirty.fetch_add(1, Ordering::Relaxed);
    drop(l);
    front.send(buf.to_vec());
    Some(made_ready)
}

/// Serves every stream reader blocked on `key` that can be served now, in FIFO order (Redis's
/// `serveClientsBlockedOnStreamKey`): an XREAD reader when the stream has an entry past its ID,
/// an XREADGROUP reader when its group has undelivered entries, or with an error when its group
/// or the stream itself is gone. The caller holds `key`'s shard lock.
fn serve_stream_waiters(srv: &Server, l: &mut crate::store::Locked, db: usize, key: &Bytes) {
    let waiters: Vec<Arc<Waiter>> = match l.shard_in(db, key) {
        Some(shard) => match shard.waiters.get(&key[..]) {
            Some(q) => q
                .iter()
                .filter(|w| w.is_waiting() && w.op.is_stream())
                .cloned()
                .collect(),
            None => return,
        },
        None => return,
    };
    let now = l.now;
    for w in waiters {
        let BlockOp::XRead { group, .. } = &w.op else {
            continue;
        };
        let Some(idx) = w.keys.iter().position(|k| k == key) else {
            continue;
        };
        let st = streams::get_stream_in(l, db, key).ok().flatten();
        let reply = streams::serve_blocked(st, key, &w.op, idx, w.resp3, now, || w.claim(SERVED));
        let Some((reply, created_consumer, effects)) = reply else {
            continue;
        };
        if !effects.is_empty() && srv.aof.is_on() {
            let list: Vec<crate::aof::Effect<'_>> = effects.iter().map(|e| (db, &e[..])).collect();
            srv.aof.log(&list);
        }
        if created_consumer {
            // Redis creates the consumer while serving the blocked reader, and says so.
            crate::notify::notify(
                srv,
                crate::config::registry::NOTIFY_STREAM,
                "xgroup-createconsumer",
                key,
                db,
                None,
            );
        }
        if let Some(q) = l
            .shard_in(db, key)
            .and_then(|s| s.waiters.get_mut(&key[..]))
        {
            q.retain(|x| !Arc::ptr_eq(x, &w));
        }
        if group.is_some() {
            srv.stats.dirty.fetch_add(1, Ordering::Relaxed);
        }
        w.send(reply);
    }
}

fn pop_name(end: End) -> Bytes {
    crate::commands::lit(match end {
        End::Left => "LPOP",
        End::Right => "RPOP",
    })
}

fn side_name(end: End) -> Bytes {
    crate::commands::lit(match end {
        End::Left => "LEFT",
        End::Right => "RIGHT",
    })
}

fn zpop_name(max: bool) -> Bytes {
    crate::commands::lit(if max { "ZPOPMAX" } else { "ZPOPMIN" })
}

/// Parses a blocking timeout in seconds into an absolute deadline in Unix ms (0 = none), exactly
/// as Redis 7.0's `getTimeoutFromObjectOrReply`: the float is converted to milliseconds by C
/// truncation (so `0.0001` means "forever"), and a value too large for a `long long` converts to
/// `LLONG_MIN` on x86-64, which Redis then reports as "timeout is negative".
pub fn parse_timeout(arg: &[u8], now_ms: u64) -> Result<u64, crate::commands::CmdError> {
    use crate::commands::CmdError;
    let secs = match crate::util::parse_f64(arg) {
        Some(v) => v,
        // strtod overflowed where Redis's strtold would not: the product is out of range anyway.
        None if crate::util::is_float_overflow(arg) => f64::INFINITY,
        None => return Err(CmdError::msg("ERR timeout is not a float or out of range")),
    };
    let ms = secs * 1000.0;
    let tval: i64 = if ms.is_finite() && ms > i64::MIN as f64 && ms < i64::MAX as f64 {
        ms.trunc() as i64
    } else {
        i64::MIN
    };
    if tval < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    if tval == 0 {
        return Ok(0);
    }
    if tval > i64::MAX - now_ms as i64 {
        return Err(CmdError::msg("ERR timeout is out of range"));
    }
    Ok(now_ms + tval as u64)
}
