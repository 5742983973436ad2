//! The keyspace: `databases` databases, each a fixed array of shards; a shard is a mutex around
//! an insertion-ordered hash map of key -> [`Entry`].
//!
//! # Locking
//! A command locks the shards of its keys **in ascending (db, shard) order**, after
//! de-duplicating them, and holds them until it has finished (including its AOF effect and the
//! serving of ready keys). Because every command acquires in the same global order, no two
//! commands can deadlock. Commands that touch a whole database (KEYS, SCAN, FLUSHDB, DBSIZE)
//! lock its shards one after another in the same order; commands that touch everything
//! (FLUSHALL, SWAPDB, EXEC) take the server's exclusive *world* lock first (see `server.rs`).
//!
//! Why not `DashMap`: a shard here carries more than a map (the index of volatile keys that the
//! active expiry cycle samples; later, per-shard waiter registries), and commands must hold
//! several shards at once in a fixed order for their whole run. DashMap's guards cover one entry
//! or one shard's raw table and its sharding is private to it, so Herald owns its shards and uses
//! DashMap where a plain concurrent map is what is needed (the client registry).
//!
//! # Expiry
//! An entry's `expire_at` is an absolute Unix time in ms (0 = persistent). Access is lazy: a
//! lookup of an expired key deletes it first. The active cycle (`expire_cycle`) samples each
//! shard's `volatile` index, as Redis's `activeExpireCycle` samples its `expires` dict.
//!
//! # SCAN
//! Shards use `swap_remove`, so positions only change by the last entry moving into a hole.
//! SCAN walks each shard from the end towards the start: a key present for the whole scan is
//! never moved from the unvisited part to the visited part, which gives Redis's guarantee
//! (every such key is returned at least once) with a plain integer cursor (its layout is in
//! `commands/keyspace.rs`: shard number in the low bits, entries left to visit above them).

pub mod hash;
pub mod list;
pub mod packed;
pub mod set;
pub mod stream;
pub mod value;
pub mod zset;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};
use parking_lot::{Mutex, MutexGuard};
use smallvec::SmallVec;

pub use value::Value;

/// Shards per database (a power of two).
pub const SHARDS: usize = 64;

type Hasher = ahash::RandomState;

/// A stored value with its metadata.
#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry in Unix ms; 0 when the key is persistent.
    pub expire_at: u64,
    /// Last access, in seconds of the server's LRU clock (for OBJECT IDLETIME).
    pub lru: u32,
}

impl Entry {
    pub fn new(value: Value) -> Self {
        Entry {
            value,
            expire_at: 0,
            lru: lru_clock(),
        }
    }
}

/// One shard: keys, and the subset of them that has an expiry.
#[derive(Default)]
pub struct Shard {
    pub map: IndexMap<Bytes, Entry, Hasher>,
    pub volatile: IndexSet<Bytes, Hasher>,
    /// Clients blocked on keys of this shard (see `blocking.rs`); keys need not exist.
    pub waiters: crate::blocking::KeyWaiters,
    /// WATCHed keys of this shard -> the watching clients' dirty flags (see
    /// `commands/transactions.rs`); keys need not exist.
    pub watchers: Watchers,
    /// An AOF rewrite's snapshot has not captured this shard yet (see [`Snapshot`]).
    pub snap_pending: bool,
}

/// A WATCHing client's "a watched key was modified" flag (Redis's `CLIENT_DIRTY_CAS`).
pub type WatchFlag = std::sync::Arc<std::sync::atomic::AtomicBool>;
pub type Watchers = std::collections::HashMap<Bytes, Vec<WatchFlag>, Hasher>;

impl Shard {
    /// Looks a key up without touching its LRU clock (OBJECT, TYPE-like introspection) and
    /// without deleting it: an expired key is reported as missing.
    pub fn peek(&self, key: &[u8], now: u64) -> Option<&Entry> {
        self.map
            .get(key)
            .filter(|e| e.expire_at == 0 || e.expire_at > now)
    }

    /// Inserts or replaces a key, keeping the volatile index consistent with `entry.expire_at`.
    pub fn insert(&mut self, key: Bytes, entry: Entry) -> Option<Entry> {
        self.touch(&key);
        if entry.expire_at != 0 {
            self.volatile.insert(key.clone());
        } else if !self.volatile.is_empty() {
            self.volatile.swap_remove(&key[..]);
        }
        self.map.insert(key, entry)
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.map.swap_remove(key)?;
        self.touch(key);
        if e.expire_at != 0 {
            self.volatile.swap_remove(key);
        }
        Some(e)
    }

    /// Sets or clears (`at == 0`) the expiry of an existing key; false if the key is missing.
    pub fn set_expire(&mut self, key: &[u8], at: u64) -> bool {
        if self.map.contains_key(key) {
            self.touch(key);
        }
        let Some((_, k, e)) = self.map.get_full_mut(key) else {
            return false;
        };
        let had = e.expire_at != 0;
        e.expire_at = at;
        if at != 0 && !had {
            let k = k.clone();
            self.volatile.insert(k);
        } else if at == 0 && had {
            self.volatile.swap_remove(key);
        }
        true
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Moves the keys out (for FLUSHDB/FLUSHALL), leaving the shard empty but keeping its
    /// blocked-client and WATCH registries, which belong to the database, not to its data.
    /// Watched keys that existed are touched first, as Redis's `touchAllWatchedKeysInDb`.
    pub fn take_data(&mut self) -> Shard {
        self.touch_existing_watched(None);
        Shard {
            map: std::mem::take(&mut self.map),
            volatile: std::mem::take(&mut self.volatile),
            waiters: Default::default(),
            watchers: Default::default(),
            snap_pending: false,
        }
    }

    /// Marks the clients watching `key` as dirty (Redis's `signalModifiedKey` / `touchWatchedKey`).
    #[inline]
    pub fn touch(&mut self, key: &[u8]) {
        if self.watchers.is_empty() {
            return;
        }
        if let Some(flags) = self.watchers.get(key) {
            for f in flags {
                f.store(true, std::sync::atomic::Ordering::Release);
            }
        }
    }

    /// Touches every watched key that exists here or in `other` (FLUSH*, SWAPDB).
    pub fn touch_existing_watched(&self, other: Option<&Shard>) {
        for (k, flags) in &self.watchers {
            if self.map.contains_key(&k[..]) || other.is_some_and(|o| o.map.contains_key(&k[..])) {
                for f in flags {
                    f.store(true, std::sync::atomic::Ordering::Release);
                }
            }
        }
    }

    /// Exchanges the data of two shards (SWAPDB), touching their watched keys first; blocked
    /// clients and WATCHes stay with their database index, as in Redis.
    pub fn swap_data(&mut self, other: &mut Shard) {
        self.touch_existing_watched(Some(other));
        other.touch_existing_watched(Some(self));
        std::mem::swap(&mut self.map, &mut other.map);
        std::mem::swap(&mut self.volatile, &mut other.volatile);
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// One database.
pub struct Db {
    /// Lock order: ascending index, after every lower-numbered database's shards.
    pub shards: Box<[Mutex<Shard>]>,
}

impl Db {
    fn new() -> Self {
        Db {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }
}

/// Receives a shard's contents, as they were when a snapshot began (see [`Snapshot`]).
pub type SnapshotSink = std::sync::Arc<dyn Fn(usize, &Shard) + Send + Sync>;

/// A point-in-time view of the whole keyspace without stopping the world for long (for the
/// AOF rewrite), by copy-on-write at shard granularity: `begin` (with the world lock held
/// exclusively) marks every shard pending; from then on, whoever locks a pending shard first,
/// a command about to change it or the rewrite walking the keyspace, hands the shard to the
/// sink before anything else happens to it, and clears the mark. Every shard is thus captured
/// exactly once, as it was at `begin`; the longest pause a command sees is one shard's
/// serialization.
#[derive(Default)]
pub struct Snapshot {
    active: std::sync::atomic::AtomicBool,
    sink: parking_lot::RwLock<Option<SnapshotSink>>,
}

/// All databases.
pub struct Keyspace {
    pub dbs: Box<[Db]>,
    hasher: Hasher,
    pub snapshot: Snapshot,
}

impl Keyspace {
    pub fn new(databases: usize) -> Self {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::new()).collect(),
            hasher: Hasher::new(),
            snapshot: Snapshot::default(),
        }
    }

    /// Hands a freshly locked shard to the running snapshot if it has not been captured yet.
    #[inline]
    fn capture(&self, db: usize, shard: &mut Shard) {
        if shard.snap_pending
            && self
                .snapshot
                .active
                .load(std::sync::atomic::Ordering::Acquire)
        {
            if let Some(sink) = self.snapshot.sink.read().as_ref() {
                sink(db, shard);
            }
            shard.snap_pending = false;
        }
    }

    /// Starts a snapshot. The caller holds the world lock exclusively, so no shard is held.
    pub fn snapshot_begin(&self, sink: SnapshotSink) {
        *self.snapshot.sink.write() = Some(sink);
        for db in self.dbs.iter() {
            for s in db.shards.iter() {
                s.lock().snap_pending = true;
            }
        }
        self.snapshot
            .active
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Captures shard `shard` of `db` if it has not been captured yet (the rewrite's own walk).
    pub fn snapshot_capture(&self, db: usize, shard: usize) {
        if let Some(s) = self.dbs.get(db).and_then(|d| d.shards.get(shard)) {
            let mut g = s.lock();
            self.capture(db, &mut g);
        }
    }

    /// Ends the snapshot once every shard has been captured.
    pub fn snapshot_end(&self) {
        self.snapshot
            .active
            .store(false, std::sync::atomic::Ordering::Release);
        *self.snapshot.sink.write() = None;
    }

    /// Ends a snapshot early (a failed rewrite).
    pub fn snapshot_abort(&self) {
        self.snapshot
            .active
            .store(false, std::sync::atomic::Ordering::Release);
        *self.snapshot.sink.write() = None;
    }

    #[inline]
    pub fn shard_of(&self, key: &[u8]) -> usize {
        (self.hasher.hash_one(key) as usize) & (SHARDS - 1)
    }

    /// Locks the shards holding `keys` in database `db`.
    pub fn lock<'a, I, K>(&'a self, db: usize, keys: I, now: u64) -> Locked<'a>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<[u8]>,
    {
        let mut want: SmallVec<[(u32, u32); 8]> = keys
            .into_iter()
            .map(|k| (db as u32, self.shard_of(k.as_ref()) as u32))
            .collect();
        self.lock_slots(db, &mut want, now)
    }

    /// Locks an explicit set of (db, shard) slots; `db` is the default database of the guard.
    pub fn lock_slots<'a>(&'a self, db: usize, want: &mut [(u32, u32)], now: u64) -> Locked<'a> {
        want.sort_unstable();
        let mut guards = SmallVec::new();
        let mut last = None;
        for &(d, s) in want.iter() {
            if last == Some((d, s)) {
                continue;
            }
            last = Some((d, s));
            if let Some(dbref) = self.dbs.get(d as usize) {
                let mut g = dbref.shards[s as usize].lock();
                self.capture(d as usize, &mut g);
                guards.push(((d, s), g));
            }
        }
        Locked {
            ks: self,
            db,
            guards,
            now,
            expire_now: now,
            expired: Vec::new(),
        }
    }

    /// Locks nothing: a guard for commands that do not touch keys.
    pub fn lock_none(&self, db: usize, now: u64) -> Locked<'_> {
        Locked {
            ks: self,
            db,
            guards: SmallVec::new(),
            now,
            expire_now: now,
            expired: Vec::new(),
        }
    }

    /// Empties database `db`, locking its shards one at a time in ascending order. Returns the
    /// number of keys removed and the removed shards, so the caller decides where the memory
    /// is freed (FLUSHDB ASYNC drops them on another thread).
    pub fn flush_db(&self, db: usize) -> (usize, Vec<Shard>) {
        let Some(d) = self.dbs.get(db) else {
            return (0, Vec::new());
        };
        let mut removed = 0;
        let mut taken = Vec::new();
        for shard in d.shards.iter() {
            let mut g = shard.lock();
            self.capture(db, &mut g);
            if !g.is_empty() {
                removed += g.len();
                taken.push(g.take_data());
            }
        }
        (removed, taken)
    }

    /// Swaps the contents of databases `a` and `b` shard by shard. Every database uses the
    /// same hasher, so a key stays in the right shard. The caller holds the world lock; the
    /// shards are still locked, in ascending (db, shard) order, so that nothing running
    /// without the world lock (the expiry cycle does not, but future background work might)
    /// observes a half-swapped pair.
    pub fn swap_dbs(&self, a: usize, b: usize) -> bool {
        let (lo, hi) = (a.min(b), a.max(b));
        let (Some(dl), Some(dh)) = (self.dbs.get(lo), self.dbs.get(hi)) else {
            return false;
        };
        if lo == hi {
            return true;
        }
        let mut low: Vec<MutexGuard<'_, Shard>> = dl
            .shards
            .iter()
            .map(|m| {
                let mut g = m.lock();
                self.capture(lo, &mut g);
                g
            })
            .collect();
        for (i, m) in dh.shards.iter().enumerate() {
            let mut g = m.lock();
            self.capture(hi, &mut g);
            if let Some(l) = low.get_mut(i) {
                l.swap_data(&mut g);
            }
        }
        true
    }

    /// Number of keys in `db` (locks each shard briefly).
    pub fn dbsize(&self, db: usize) -> usize {
        self.dbs
            .get(db)
            .map_or(0, |d| d.shards.iter().map(|s| s.lock().len()).sum())
    }

    /// Number of keys with an expiry in `db`.
    pub fn volatile_count(&self, db: usize) -> usize {
        self.dbs.get(db).map_or(0, |d| {
            d.shards.iter().map(|s| s.lock().volatile.len()).sum()
        })
    }

    /// One pass of active expiry over every shard of every database, sampling like Redis's
    /// `activeExpireCycle` (20 keys, again while more than a quarter of the sample was expired).
    /// Returns the (db, key) pairs it deleted; `on_delete` sees each deletion while its shard is
    /// still locked (the AOF logs it there, so it is ordered with the key's other changes).
    pub fn expire_cycle(
        &self,
        now: u64,
        rng: &mut impl rand::Rng,
        on_delete: &mut dyn FnMut(usize, &Bytes),
    ) -> Vec<(usize, Bytes)> {
        let mut deleted = Vec::new();
        for (dbi, db) in self.dbs.iter().enumerate() {
            for shard in db.shards.iter() {
                let mut s = shard.lock();
                if s.volatile.is_empty() {
                    continue;
                }
                self.capture(dbi, &mut s);
                for _round in 0..16 {
                    let n = s.volatile.len();
                    if n == 0 {
                        break;
                    }
                    let sample = n.min(20);
                    let mut expired = 0;
                    for _ in 0..sample {
                        let n = s.volatile.len();
                        if n == 0 {
                            break;
                        }
                        let i = rng.gen_range(0..n);
                        let Some(k) = s.volatile.get_index(i).cloned() else {
                            break;
                        };
                        let exp = s.map.get(&k[..]).map_or(0, |e| e.expire_at);
                        if exp != 0 && exp <= now {
                            s.remove(&k);
                            s.touch(&k);
                            on_delete(dbi, &k);
                            deleted.push((dbi, k));
                            expired += 1;
                        }
                    }
                    if expired * 4 <= sample {
                        break;
                    }
                }
            }
        }
        deleted
    }
}

/// Held shard guards with their (db, shard) slot, in ascending slot order.
type Guards<'a> = SmallVec<[((u32, u32), MutexGuard<'a, Shard>); 4]>;

/// The shards a command holds, and the database it addresses by default.
pub struct Locked<'a> {
    pub ks: &'a Keyspace,
    pub db: usize,
    guards: Guards<'a>,
    /// The command's notion of "now" (Unix ms), fixed when it started, as Redis caches it.
    pub now: u64,
    /// The time keys expire by: `now`, or for a command inside EXEC or a script the time the
    /// transaction or script started (see [`crate::commands::Unit::now`]).
    pub expire_now: u64,
    /// Keys deleted by lazy expiry during this command, as (db, key).
    pub expired: Vec<(usize, Bytes)>,
}

impl<'a> Locked<'a> {
    /// The locked shard holding `key` in `db`; `None` if the command did not lock it (a bug in a
    /// key specification, reported as an error rather than a panic).
    pub fn shard_in(&mut self, db: usize, key: &[u8]) -> Option<&mut Shard> {
        let slot = (db as u32, self.ks.shard_of(key) as u32);
        self.guards
            .iter_mut()
            .find(|(s, _)| *s == slot)
            .map(|(_, g)| &mut **g)
    }

    /// Whether this guard holds slot (db, shard).
    pub fn holds(&self, db: usize, shard: usize) -> bool {
        let slot = (db as u32, shard as u32);
        self.guards.iter().any(|(s, _)| *s == slot)
    }

    /// Whether this guard holds no shard at all.
    pub fn holds_nothing(&self) -> bool {
        self.guards.is_empty()
    }

    /// The locked shard number `shard` of `db`, if held (whole-database commands).
    pub fn shard_at(&mut self, db: usize, shard: usize) -> Option<&mut Shard> {
        let slot = (db as u32, shard as u32);
        self.guards
            .iter_mut()
            .find(|(s, _)| *s == slot)
            .map(|(_, g)| &mut **g)
    }

    /// All locked shards (for whole-database commands).
    pub fn shards(&mut self) -> impl Iterator<Item = (u32, &mut Shard)> + use<'_, 'a> {
        self.guards.iter_mut().map(|((d, _), g)| (*d, &mut **g))
    }

    /// Marks clients WATCHing `key` in `db` as dirty (the shard must be held).
    pub fn touch_in(&mut self, db: usize, key: &[u8]) {
        if let Some(s) = self.shard_in(db, key) {
            s.touch(key);
        }
    }

    /// Looks up `key` in the default database, expiring it lazily.
    pub fn get(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.get_in(self.db, key)
    }

    pub fn get_in(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.lookup_in(db, key, true)
    }

    /// Looks up `key` in `db`, expiring it lazily, without updating its LRU clock (Redis's
    /// `LOOKUP_NOTOUCH`: TYPE, TTL, OBJECT).
    pub fn get_notouch_in(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.lookup_in(db, key, false)
    }

    fn lookup_in(&mut self, db: usize, key: &[u8], touch: bool) -> Option<&mut Entry> {
        let now = self.expire_now;
        let slot = (db as u32, self.ks.shard_of(key) as u32);
        let idx = self.guards.iter().position(|(s, _)| *s == slot)?;
        let expired = {
            let shard = &mut *self.guards[idx].1;
            let e = shard.map.get(key)?;
            if e.expire_at != 0 && e.expire_at <= now {
                shard.remove(key);
                true
            } else {
                false
            }
        };
        if expired {
            self.expired.push((db, Bytes::copy_from_slice(key)));
            return None;
        }
        let e = self.guards[idx].1.map.get_mut(key)?;
        if touch {
            e.lru = lru_clock();
        }
        Some(e)
    }

    /// Whether `key` exists (expiring it lazily), without updating its LRU clock.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Stores `value` at `key` in the default database, replacing any previous value and
    /// clearing its expiry (as Redis's `setKey` does unless KEEPTTL).
    pub fn set(&mut self, key: &[u8], value: Value) {
        let db = self.db;
        self.set_in(db, key, Entry::new(value));
    }

    pub fn set_in(&mut self, db: usize, key: &[u8], entry: Entry) {
        if let Some(shard) = self.shard_in(db, key) {
            shard.insert(Bytes::copy_from_slice(key), entry);
        }
    }

    /// Deletes `key` from the default database; true if it existed (and had not expired).
    pub fn del(&mut self, key: &[u8]) -> bool {
        let db = self.db;
        self.del_in(db, key).is_some()
    }

    pub fn del_in(&mut self, db: usize, key: &[u8]) -> Option<Entry> {
        let now = self.expire_now;
        let shard = self.shard_in(db, key)?;
        let e = shard.remove(key)?;
        if e.expire_at != 0 && e.expire_at <= now {
            self.expired.push((db, Bytes::copy_from_slice(key)));
            return None;
        }
        Some(e)
    }

    /// Sets the expiry of an existing key (0 clears it).
    pub fn set_expire(&mut self, key: &[u8], at: u64) -> bool {
        let db = self.db;
        self.shard_in(db, key)
            .is_some_and(|s| s.set_expire(key, at))
    }
}

/// The bytes glibc's malloc hands out for a request of `n` (8 bytes of chunk header, 16-byte
/// granularity, 32 bytes minimum); 0 for no allocation.
pub fn alloc_size(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n.saturating_add(8 + 15) & !15).max(32)
    }
}

/// An estimate of what `key` and its entry cost Herald, for MEMORY USAGE: the shard map's
/// bucket (stored hash, key handle, entry) and hash-table slot, the key's and value's heap
/// allocations, and for a volatile key its slot in the shard's volatile index (a second handle
/// to the key, which makes `Bytes` allocate a shared header).
pub fn memory_usage(key: &[u8], e: &Entry) -> usize {
    use std::mem::size_of;
    // A hashbrown slot: a usize index plus a control byte, at the table's 7/8 maximum load.
    let slot = (size_of::<usize>() + 1) * 8 / 7;
    let bucket = size_of::<u64>() + size_of::<Bytes>() + size_of::<Entry>();
    let mut n = bucket + slot + alloc_size(key.len()) + e.value.heap_size();
    if e.expire_at != 0 {
        n += size_of::<u64>() + size_of::<Bytes>() + slot + alloc_size(3 * size_of::<usize>());
    }
    n
}

static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
/// The LRU clock in seconds, refreshed by the cron (as Redis's `server.lruclock`), so a key
/// lookup reads an atomic instead of the clock.
static LRU_CLOCK: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Seconds since the server started, the LRU clock of [`Entry::lru`].
#[inline]
pub fn lru_clock() -> u32 {
    LRU_CLOCK.load(std::sync::atomic::Ordering::Relaxed)
}

/// Advances the LRU clock (the cron calls this each tick).
pub fn refresh_lru_clock() {
    let secs = START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs() as u32;
    LRU_CLOCK.store(secs, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_expiry_and_volatile_index() {
        let ks = Keyspace::new(1);
        let mut l = ks.lock(0, [b"a", b"b"], 1000);
        l.set(b"a", Value::Str(Bytes::from("1")));
        l.set(b"b", Value::Str(Bytes::from("2")));
        assert!(l.set_expire(b"a", 1500));
        drop(l);
        assert_eq!(ks.volatile_count(0), 1);
        let mut l = ks.lock(0, [b"a"], 1400);
        assert!(l.get(b"a").is_some());
        drop(l);
        let mut l = ks.lock(0, [b"a"], 1500);
        assert!(l.get(b"a").is_none());
        assert_eq!(l.expired.len(), 1);
        drop(l);
        assert_eq!(ks.volatile_count(0), 0);
        assert_eq!(ks.dbsize(0), 1);
    }

    #[test]
    fn active_cycle_removes_expired() {
        let ks = Keyspace::new(2);
        for i in 0..1000u32 {
            let k = format!("k{i}");
            let mut l = ks.lock(1, [k.as_bytes()], 0);
            l.set_in(
                1,
                k.as_bytes(),
                Entry {
                    value: Value::Str(Bytes::new()),
                    expire_at: 10,
                    lru: 0,
                },
            );
        }
        let mut rng = rand::thread_rng();
        let mut total = 0;
        for _ in 0..100 {
            total += ks.expire_cycle(20, &mut rng, &mut |_, _| {}).len();
            if ks.dbsize(1) == 0 {
                break;
            }
        }
        assert_eq!(total, 1000);
        assert_eq!(ks.dbsize(1), 0);
    }

    #[test]
    fn swap_and_flush_dbs() {
        let ks = Keyspace::new(3);
        for (db, key) in [(0, "a"), (2, "b"), (2, "c")] {
            let mut l = ks.lock(db, [key], 0);
            l.set(key.as_bytes(), Value::Str(Bytes::from("v")));
            assert!(l.set_expire(key.as_bytes(), 100));
        }
        assert!(ks.swap_dbs(2, 0));
        assert_eq!((ks.dbsize(0), ks.dbsize(2)), (2, 1));
        assert_eq!((ks.volatile_count(0), ks.volatile_count(2)), (2, 1));
        // Keys are still found through their hash after the swap.
        let mut l = ks.lock(0, ["b"], 0);
        assert!(l.get(b"b").is_some());
        drop(l);
        assert!(ks.swap_dbs(1, 1));
        assert!(!ks.swap_dbs(0, 3));
        let (n, shards) = ks.flush_db(0);
        assert_eq!(n, 2);
        assert_eq!(shards.iter().map(Shard::len).sum::<usize>(), 2);
        assert_eq!((ks.dbsize(0), ks.volatile_count(0)), (0, 0));
        assert_eq!(ks.flush_db(9).0, 0);
    }

    #[test]
    fn memory_estimate_counts_allocations() {
        assert_eq!(alloc_size(0), 0);
        assert_eq!(alloc_size(1), 32);
        assert_eq!(alloc_size(24), 32);
        assert_eq!(alloc_size(25), 48);
        let e = Entry::new(Value::Str(Bytes::from(vec![0u8; 1000])));
        let base = memory_usage(b"k", &e);
        assert!(base >= 1000 + 32);
        let mut v = e.clone();
        v.expire_at = 5;
        assert!(memory_usage(b"k", &v) > base);
        assert!(memory_usage(&[0u8; 100], &e) > base);
    }

    #[test]
    fn lock_order_dedups() {
        let ks = Keyspace::new(1);
        let l = ks.lock(0, [b"x", b"x", b"y"], 0);
        assert!(l.guards.len() <= 2);
        assert!(l.guards.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
