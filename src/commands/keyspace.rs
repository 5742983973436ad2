//! Generic keyspace commands: deletion, introspection (TYPE, OBJECT, MEMORY USAGE), iteration
//! (KEYS, SCAN, RANDOMKEY), renaming and copying, expiry, and whole-database operations
//! (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, MOVE), as redis-server 7.0 behaves (`src/db.c`,
//! `src/expire.c`, `src/object.c`).
//!
//! Locking follows `store`'s rules. Single- and multi-key commands name their keys in the
//! table and dispatch locks them. KEYS, SCAN, RANDOMKEY, DBSIZE and FLUSHDB hold every shard of
//! the current database (`Lock::Db`). FLUSHALL and SWAPDB run under the exclusive world lock.
//! MOVE and COPY can touch two databases, which a key spec cannot express, so they are
//! registered with `Lock::None` and lock their (db, shard) slots themselves, in ascending order,
//! through [`lock_slots`].

use crate::config::registry::NOTIFY_GENERIC;
use bytes::Bytes;
use rand::Rng;

use super::{cmd, lit, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group, Lock};
use crate::store::{self, Entry, Value};

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Redis's `shared.sameobjecterr`.
const SAME_OBJECT: &str = "ERR source and destination objects are the same";
const DB_RANGE: &str = "ERR DB index is out of range";

/// Argument `i` as a C `int`, as `getIntFromObjectOrReply`: `msg` (when given) replaces both
/// the not-an-integer and the out-of-range error.
fn int32_arg(ctx: &Ctx, i: usize, msg: Option<&'static str>) -> Result<i64, CmdError> {
    super::range_long(ctx.arg(i), i32::MIN as i64, i32::MAX as i64, msg)
}

/// A database index argument (MOVE, COPY ... DB): an int, then `selectDb`'s range check.
fn db_arg(ctx: &Ctx, i: usize) -> Result<usize, CmdError> {
    let v = int32_arg(ctx, i, None)?;
    if v < 0 || v as usize >= ctx.srv.ks.dbs.len() {
        return Err(CmdError::msg(DB_RANGE));
    }
    Ok(v as usize)
}

/// Makes `ctx.ks` hold exactly the given (db, shard) slots, for commands registered with
/// `Lock::None` whose keys span databases. When a caller (a transaction, a script) already
/// holds them, nothing is locked again: parking_lot mutexes are not reentrant.
fn lock_slots(ctx: &mut Ctx<'_>, slots: &mut [(u32, u32)]) -> CmdResult {
    if slots
        .iter()
        .all(|&(d, s)| ctx.ks.holds(d as usize, s as usize))
    {
        return Ok(());
    }
    if !ctx.ks.holds_nothing() {
        // Locking more now could invert the global (db, shard) order.
        return Err(CmdError::err("keys of this command were not locked"));
    }
    let srv = ctx.srv;
    ctx.ks = srv.ks.lock_slots(ctx.ks.db, slots, ctx.ks.now);
    Ok(())
}

/// A FLUSHDB/FLUSHALL argument: `true` for ASYNC (Redis's `getFlushCommandFlags`).
fn flush_async(ctx: &Ctx) -> Result<bool, CmdError> {
    match ctx.argv.len() {
        1 => Ok(false),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"sync") => Ok(false),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"async") => Ok(true),
        _ => Err(CmdError::Syntax),
    }
}

/// Frees flushed shards: on a helper thread for ASYNC, so the command returns at once.
fn free_shards(shards: Vec<store::Shard>, asynchronous: bool) {
    if asynchronous && !shards.is_empty() {
        // If the thread cannot be spawned the closure, and with it the data, is dropped here.
        let _ = std::thread::Builder::new()
            .name("herald-lazyfree".into())
            .spawn(move || drop(shards));
    }
}

/// Redis's `addReplyHelp`: a header naming the command as typed, the lines, and the HELP line.
fn reply_help(ctx: &mut Ctx, lines: &[&str]) {
    let name = String::from_utf8_lossy(ctx.arg(0)).to_ascii_uppercase();
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

/// C's `%s` of an argument: the bytes before the first NUL, lossily as text.
fn c_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Deletion and existence

/// DEL key [key ...] / UNLINK key [key ...]
fn del(ctx: &mut Ctx) -> CmdResult {
    let mut n = 0;
    for k in &ctx.argv[1..] {
        if ctx.ks.del(k) {
            ctx.notify(NOTIFY_GENERIC, "del", k);
            n += 1;
            ctx.signal_ready(k);
        }
    }
    ctx.dirty += n as u64;
    ctx.out.int(n);
    Ok(())
}

/// EXISTS key [key ...]
fn exists(ctx: &mut Ctx) -> CmdResult {
    let mut n = 0;
    for k in &ctx.argv[1..] {
        if ctx.ks.exists(k) {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// TOUCH key [key ...]
fn touch(ctx: &mut Ctx) -> CmdResult {
    let mut n = 0;
    for k in &ctx.argv[1..] {
        if ctx.ks.get(k).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// TYPE key
fn type_cmd(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.ks.db;
    let name = ctx
        .ks
        .get_notouch_in(db, ctx.arg(1))
        .map_or("none", |e| e.value.type_name());
    ctx.out.simple(name);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Iteration

/// KEYS pattern
fn keys(ctx: &mut Ctx) -> CmdResult {
    let pat = ctx.arg(1);
    let all = pat == b"*";
    let now = ctx.ks.expire_now;
    // Borrowed key slices, not `Bytes` clones: cloning would turn every stored key into a
    // shared allocation just to list it.
    let mut found: Vec<&[u8]> = Vec::new();
    for (_, shard) in ctx.ks.shards() {
        let shard: &store::Shard = shard;
        for (k, e) in shard.map.iter() {
            if (all || crate::glob::matches(pat, k, false))
                && (e.expire_at == 0 || e.expire_at > now)
            {
                found.push(k);
            }
        }
    }
    ctx.out.bulks(found.iter());
    Ok(())
}

/// Cursor layout: the low 6 bits are the shard; the rest is one more than the number of
/// entries of that shard still to visit (positions `0..n`, walked from the end), or 0 for
/// "start this shard from its current end". Cursor 0 is shard 0 from its end: a new scan.
const SHARD_BITS: u32 = store::SHARDS.trailing_zeros();

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan(ctx: &mut Ctx) -> CmdResult {
    let cursor = crate::util::parse_scan_cursor(ctx.arg(1))
        .ok_or_else(|| CmdError::msg("ERR invalid cursor"))?;
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < ctx.argv.len() {
        let opt = ctx.arg(i);
        let has_value = ctx.argv.len() - i >= 2;
        if opt.eq_ignore_ascii_case(b"count") && has_value {
            count = ctx.int_arg(i + 1)?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if opt.eq_ignore_ascii_case(b"match") && has_value {
            let p = ctx.arg(i + 1);
            pattern = (p != b"*").then_some(p);
        } else if opt.eq_ignore_ascii_case(b"type") && has_value {
            type_name = Some(ctx.arg(i + 1));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }

    let db = ctx.ks.db;
    let now = ctx.ks.expire_now;
    let count = count as usize;
    let mut shard = (cursor & (store::SHARDS as u64 - 1)) as usize;
    let mut left_plus = cursor >> SHARD_BITS;
    let mut visited = 0usize;
    // The returned keys, concatenated, and where each ends: copies rather than `Bytes` clones,
    // which would turn each stored key into a shared allocation for good.
    let mut key_bytes: Vec<u8> = Vec::new();
    let mut key_ends: Vec<usize> = Vec::new();
    let mut expired: Vec<Bytes> = Vec::new();
    let next = loop {
        if shard >= store::SHARDS {
            break 0;
        }
        let Some(sh) = ctx.ks.shard_at(db, shard) else {
            break 0;
        };
        let len = sh.len();
        let mut left = match left_plus {
            0 => len,
            n => ((n - 1).min(len as u64)) as usize,
        };
        while left > 0 && visited < count {
            left -= 1;
            visited += 1;
            let Some((k, e)) = sh.map.get_index(left) else {
                continue;
            };
            if pattern.is_some_and(|p| !crate::glob::matches(p, k, false)) {
                continue;
            }
            // Redis 7.0 compares the type name case-insensitively; an unknown name matches
            // nothing.
            if type_name.is_some_and(|t| !t.eq_ignore_ascii_case(e.value.type_name().as_bytes())) {
                continue;
            }
            if e.expire_at != 0 && e.expire_at <= now {
                expired.push(k.clone());
                continue;
            }
            key_bytes.extend_from_slice(k);
            key_ends.push(key_bytes.len());
        }
        // Deleting visited entries only moves other visited entries (swap_remove takes the
        // last one), so `left` stays valid for the next call.
        for k in &expired {
            sh.remove(k);
        }
        ctx.ks.expired.extend(expired.drain(..).map(|k| (db, k)));
        if left > 0 {
            break ((left as u64 + 1) << SHARD_BITS) | shard as u64;
        }
        shard += 1;
        left_plus = 0;
        if shard >= store::SHARDS {
            break 0;
        }
        if visited >= count {
            break shard as u64;
        }
    };
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array(key_ends.len());
    let mut start = 0;
    for end in key_ends {
        ctx.out.bulk(key_bytes.get(start..end).unwrap_or_default());
        start = end;
    }
    Ok(())
}

/// RANDOMKEY
fn randomkey(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.ks.db;
    let now = ctx.ks.expire_now;
    let mut rng = rand::thread_rng();
    loop {
        let sizes: Vec<usize> = ctx.ks.shards().map(|(_, s)| s.len()).collect();
        let total: usize = sizes.iter().sum();
        if total == 0 {
            ctx.out.null();
            return Ok(());
        }
        let mut pick = rng.gen_range(0..total);
        let mut shard = 0;
        for (i, &n) in sizes.iter().enumerate() {
            if pick < n {
                shard = i;
                break;
            }
            pick -= n;
        }
        let Some(sh) = ctx.ks.shard_at(db, shard) else {
            ctx.out.null();
            return Ok(());
        };
        let Some((k, e)) = sh.map.get_index(pick) else {
            continue;
        };
        if e.expire_at != 0 && e.expire_at <= now {
            let k = k.clone();
            sh.remove(&k);
            ctx.ks.expired.push((db, k));
            continue;
        }
        ctx.out.bulk(k);
        return Ok(());
    }
}

// ---------------------------------------------------------------------------------------------
// Renaming, copying, moving

/// RENAME key newkey / RENAMENX key newkey
fn rename_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let db = ctx.ks.db;
    if ctx.ks.get_in(db, src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    let dst_exists = ctx.ks.get_in(db, dst).is_some();
    if dst_exists && nx {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(entry) = ctx.ks.del_in(db, src) else {
        return Err(CmdError::NoSuchKey);
    };
    if dst_exists {
        ctx.ks.del_in(db, dst);
    }
    // The entry keeps its expiry, as Redis re-applies the source's TTL to the new name.
    ctx.ks.set_in(db, dst, entry);
    ctx.signal_ready_in(db, dst);
    ctx.dirty += 1;
    ctx.notify(NOTIFY_GENERIC, "rename_from", src);
    ctx.notify(NOTIFY_GENERIC, "rename_to", dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// RENAME key newkey
fn rename(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)
}

/// RENAMENX key newkey
fn renamenx(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, true)
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx) -> CmdResult {
    let src_db = ctx.ks.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < ctx.argv.len() {
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && j + 1 < ctx.argv.len() {
            dst_db = db_arg(ctx, j + 1)?;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let (key, newkey) = (ctx.arg(1), ctx.arg(2));
    if src_db == dst_db && key == newkey {
        return Err(CmdError::msg(SAME_OBJECT));
    }
    let ks = &ctx.srv.ks;
    let mut slots = [
        (src_db as u32, ks.shard_of(key) as u32),
        (dst_db as u32, ks.shard_of(newkey) as u32),
    ];
    lock_slots(ctx, &mut slots)?;
    let Some(e) = ctx.ks.get_in(src_db, key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let copied = Entry {
        value: e.value.clone(),
        expire_at: e.expire_at,
        lru: store::lru_clock(),
    };
    if ctx.ks.get_in(dst_db, newkey).is_some() {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        ctx.ks.del_in(dst_db, newkey);
    }
    ctx.ks.set_in(dst_db, newkey, copied);
    ctx.signal_ready_in(dst_db, newkey);
    ctx.dirty += 1;
    ctx.notify_in(dst_db, NOTIFY_GENERIC, "copy_to", newkey);
    ctx.out.int(1);
    Ok(())
}

/// MOVE key db
fn move_cmd(ctx: &mut Ctx) -> CmdResult {
    let src_db = ctx.ks.db;
    let dst_db = db_arg(ctx, 2)?;
    if src_db == dst_db {
        return Err(CmdError::msg(SAME_OBJECT));
    }
    let key = ctx.arg(1);
    let shard = ctx.srv.ks.shard_of(key) as u32;
    let mut slots = [(src_db as u32, shard), (dst_db as u32, shard)];
    lock_slots(ctx, &mut slots)?;
    if ctx.ks.get_in(src_db, key).is_none() || ctx.ks.get_in(dst_db, key).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(entry) = ctx.ks.del_in(src_db, key) else {
        ctx.out.int(0);
        return Ok(());
    };
    ctx.ks.set_in(dst_db, key, entry);
    ctx.signal_ready_in(dst_db, key);
    ctx.dirty += 1;
    ctx.notify_in(src_db, NOTIFY_GENERIC, "move_from", key);
    ctx.notify_in(dst_db, NOTIFY_GENERIC, "move_to", key);
    ctx.out.int(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Expiry

const EXPIRE_NX: u8 = 1;
const EXPIRE_XX: u8 = 2;
const EXPIRE_GT: u8 = 4;
const EXPIRE_LT: u8 = 8;

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT]: `base` is added to the time
/// (now for the relative forms, 0 for the absolute ones), after scaling seconds to ms.
fn expire_generic(ctx: &mut Ctx, base: i64, seconds: bool) -> CmdResult {
    let mut flags = 0u8;
    for opt in &ctx.argv[3..] {
        flags |= match &opt.to_ascii_lowercase()[..] {
            b"nx" => EXPIRE_NX,
            b"xx" => EXPIRE_XX,
            b"gt" => EXPIRE_GT,
            b"lt" => EXPIRE_LT,
            _ => return Err(CmdError::err(format!("Unsupported option {}", c_str(opt)))),
        };
    }
    if flags & EXPIRE_NX != 0 && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        return Err(CmdError::msg(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if flags & EXPIRE_GT != 0 && flags & EXPIRE_LT != 0 {
        return Err(CmdError::msg(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    let invalid = || {
        CmdError::err(format!(
            "invalid expire time in '{}' command",
            ctx.cmd.full_name
        ))
    };
    let mut when = ctx.int_arg(2)?;
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let when = when.checked_add(base).ok_or_else(invalid)?;

    let key = ctx.arg(1);
    let Some(e) = ctx.ks.get(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let current = match e.expire_at {
        0 => None,
        at => Some(at as i64),
    };
    let refused = (flags & EXPIRE_NX != 0 && current.is_some())
        || (flags & EXPIRE_XX != 0 && current.is_none())
        // No expiry counts as an infinite TTL: GT never beats it, LT always does.
        || (flags & EXPIRE_GT != 0 && current.is_none_or(|c| when <= c))
        || (flags & EXPIRE_LT != 0 && current.is_some_and(|c| when >= c));
    if refused {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.dirty += 1;
    if when <= ctx.ks.now as i64 {
        ctx.ks.del(key);
        ctx.propagate(vec![lit("DEL"), ctx.argv[1].clone()]);
        ctx.notify(NOTIFY_GENERIC, "del", key);
        ctx.out.int(1);
    } else {
        ctx.ks.set_expire(key, when as u64);
        // Logged as an absolute time in ms, whatever the form the client used.
        ctx.propagate(vec![
            lit("PEXPIREAT"),
            ctx.argv[1].clone(),
            Bytes::from(when.to_string()),
        ]);
        ctx.out.int(1);
        ctx.notify(NOTIFY_GENERIC, "expire", key);
    }
    Ok(())
}

/// EXPIRE key seconds [NX|XX|GT|LT]
fn expire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.ks.now as i64;
    expire_generic(ctx, now, true)
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
fn pexpire(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.ks.now as i64;
    expire_generic(ctx, now, false)
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
fn expireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, true)
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
fn pexpireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, 0, false)
}

/// TTL/PTTL/EXPIRETIME/PEXPIRETIME key: -2 when missing, -1 without expiry, else the time left
/// (or the absolute time with `absolute`), in ms or rounded to seconds.
fn ttl_generic(ctx: &mut Ctx, ms: bool, absolute: bool) -> CmdResult {
    let db = ctx.ks.db;
    let now = ctx.ks.now as i64;
    let reply = match ctx.ks.get_notouch_in(db, ctx.arg(1)) {
        None => -2,
        Some(e) if e.expire_at == 0 => -1,
        Some(e) => {
            let at = e.expire_at as i64;
            let t = if absolute { at } else { at - now }.max(0);
            if ms {
                t
            } else {
                (t + 500) / 1000
            }
        }
    };
    ctx.out.int(reply);
    Ok(())
}

/// TTL key
fn ttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, false)
}

/// PTTL key
fn pttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, false)
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, true)
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// PERSIST key
fn persist(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let had = ctx.ks.get(key).is_some_and(|e| e.expire_at != 0);
    if had {
        ctx.ks.set_expire(key, 0);
        ctx.dirty += 1;
        ctx.notify(NOTIFY_GENERIC, "persist", key);
    }
    ctx.out.int(had as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Whole databases

/// FLUSHDB [ASYNC|SYNC]
fn flushdb(ctx: &mut Ctx) -> CmdResult {
    let asynchronous = flush_async(ctx)?;
    let mut removed = 0;
    let mut taken = Vec::new();
    for (_, shard) in ctx.ks.shards() {
        if !shard.is_empty() {
            removed += shard.len();
            taken.push(shard.take_data());
        }
    }
    free_shards(taken, asynchronous);
    ctx.dirty += removed as u64;
    ctx.out.ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]
fn flushall(ctx: &mut Ctx) -> CmdResult {
    let asynchronous = flush_async(ctx)?;
    let ks = &ctx.srv.ks;
    let mut removed = 0;
    let mut taken = Vec::new();
    for db in 0..ks.dbs.len() {
        let (n, shards) = ks.flush_db(db);
        removed += n;
        taken.extend(shards);
    }
    free_shards(taken, asynchronous);
    // Redis counts the removed keys plus one for the command itself, so it always propagates.
    ctx.dirty += removed as u64 + 1;
    ctx.out.ok();
    Ok(())
}

/// SWAPDB index1 index2
fn swapdb(ctx: &mut Ctx) -> CmdResult {
    let a = int32_arg(ctx, 1, Some("ERR invalid first DB index"))?;
    let b = int32_arg(ctx, 2, Some("ERR invalid second DB index"))?;
    let n = ctx.srv.ks.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(CmdError::msg(DB_RANGE));
    }
    ctx.srv.ks.swap_dbs(a as usize, b as usize);
    // Clients blocked in either database may find their keys filled by the swap.
    for db in [a as usize, b as usize] {
        ctx.ready.extend(
            crate::blocking::waited_keys(&ctx.srv.ks, db)
                .into_iter()
                .map(|k| (db, k)),
        );
    }
    ctx.dirty += 1;
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// OBJECT and MEMORY

/// The entry at argv[2] for OBJECT's subcommands, without touching it; replies null if missing.
fn object_lookup<'c>(ctx: &'c mut Ctx) -> Option<&'c mut Entry> {
    let db = ctx.ks.db;
    let key = ctx.arg(2);
    ctx.ks.get_notouch_in(db, key)
}

/// OBJECT ENCODING key
fn object_encoding(ctx: &mut Ctx) -> CmdResult {
    match object_lookup(ctx).map(|e| e.value.encoding()) {
        Some(enc) => ctx.out.bulk(enc.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

/// Redis shares the objects for the integers 0..10000 (`OBJ_SHARED_INTEGERS`); their
/// refcount reads as `OBJ_SHARED_REFCOUNT`.
const SHARED_INTEGERS: i64 = 10000;

/// OBJECT REFCOUNT key
fn object_refcount(ctx: &mut Ctx) -> CmdResult {
    let rc = object_lookup(ctx).map(|e| match &e.value {
        Value::Str(b) => {
            let shared = b.len() <= 20
                && crate::util::parse_i64(b).is_some_and(|v| (0..SHARED_INTEGERS).contains(&v));
            if shared {
                i32::MAX as i64
            } else {
                1
            }
        }
        _ => 1,
    });
    match rc {
        Some(n) => ctx.out.int(n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// OBJECT IDLETIME key
fn object_idletime(ctx: &mut Ctx) -> CmdResult {
    // Wrapping, as Redis's `estimateObjectIdleTime` allows for a wrapped LRU clock.
    let idle = object_lookup(ctx).map(|e| store::lru_clock().wrapping_sub(e.lru));
    match idle {
        Some(s) => ctx.out.int(s as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// OBJECT FREQ key
///
/// Herald has no LFU eviction policy (it never evicts), so access frequency is not tracked and
/// an existing key gets Redis's error for a non-LFU policy.
fn object_freq(ctx: &mut Ctx) -> CmdResult {
    if object_lookup(ctx).is_none() {
        ctx.out.null();
        return Ok(());
    }
    Err(CmdError::msg(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note \
         that when switching between policies at runtime LRU and LFU data will take some time \
         to adjust.",
    ))
}

/// OBJECT HELP
fn object_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx,
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}

/// MEMORY USAGE key [SAMPLES count]
fn memory_usage(ctx: &mut Ctx) -> CmdResult {
    let mut j = 3;
    while j < ctx.argv.len() {
        if ctx.arg(j).eq_ignore_ascii_case(b"samples") && j + 1 < ctx.argv.len() {
            // Herald's values are measured exactly, so the sample count is only validated.
            if ctx.int_arg(j + 1)? < 0 {
                return Err(CmdError::Syntax);
            }
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let db = ctx.ks.db;
    let key = ctx.arg(2);
    // Like Redis's `dictFind`, this sees a logically expired key that is still stored.
    let usage = ctx
        .ks
        .shard_in(db, key)
        .and_then(|s| s.map.get(key).map(|e| store::memory_usage(key, e)));
    match usage {
        Some(n) => ctx.out.int(n as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// MEMORY HELP
fn memory_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx,
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

/// The handler of a container row (OBJECT, MEMORY). Dispatch always resolves a subcommand or
/// replies with the arity/unknown-subcommand error first, so this only runs if that changes.
fn container(ctx: &mut Ctx) -> CmdResult {
    Err(CmdError::err(format!(
        "unknown subcommand. Try {} HELP.",
        String::from_utf8_lossy(ctx.arg(0)).to_ascii_uppercase()
    )))
}

// ---------------------------------------------------------------------------------------------
// Registration

const RW_FAST: Flags = Flags::WRITE.union(Flags::FAST);
const RO_FAST: Flags = Flags::READONLY.union(Flags::FAST);
const HELP_FLAGS: Flags = Flags::LOADING.union(Flags::STALE);

const OBJECT_SUBS: &[CommandDef] = &[
    cmd("encoding", 3, object_encoding)
        .flags(Flags::READONLY)
        .acl(Acl::KEYSPACE)
        .keys(2, 2, 1)
        .doc(
            Group::Generic,
            "2.2.3",
            "O(1)",
            "Inspect the internal encoding of a Redis object",
        ),
    cmd("freq", 3, object_freq)
        .flags(Flags::READONLY)
        .acl(Acl::KEYSPACE)
        .keys(2, 2, 1)
        .doc(
            Group::Generic,
            "4.0.0",
            "O(1)",
            "Get the logarithmic access frequency counter of a Redis object",
        ),
    cmd("help", 2, object_help)
        .flags(HELP_FLAGS)
        .acl(Acl::KEYSPACE)
        .doc(
            Group::Generic,
            "6.2.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    cmd("idletime", 3, object_idletime)
        .flags(Flags::READONLY)
        .acl(Acl::KEYSPACE)
        .keys(2, 2, 1)
        .doc(
            Group::Generic,
            "2.2.3",
            "O(1)",
            "Get the time since a Redis object was last accessed",
        ),
    cmd("refcount", 3, object_refcount)
        .flags(Flags::READONLY)
        .acl(Acl::KEYSPACE)
        .keys(2, 2, 1)
        .doc(
            Group::Generic,
            "2.2.3",
            "O(1)",
            "Get the number of references to the value of the key",
        ),
];

const MEMORY_SUBS: &[CommandDef] = &[
    cmd("help", 2, memory_help).flags(HELP_FLAGS).doc(
        Group::Server,
        "4.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    cmd("usage", -3, memory_usage)
        .flags(Flags::READONLY)
        .keys(2, 2, 1)
        .doc(
            Group::Server,
            "4.0.0",
            "O(N) where N is the number of samples.",
            "Estimate the memory usage of a key",
        ),
];

pub const COMMANDS: &[CommandDef] = &[
    cmd("del", -2, del)
        .flags(Flags::WRITE)
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(Group::Generic, "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Delete a key"),
    cmd("unlink", -2, del)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(
            Group::Generic,
            "4.0.0",
            "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
            "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        ),
    cmd("exists", -2, exists)
        .flags(RO_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(Group::Generic, "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists"),
    cmd("touch", -2, touch)
        .flags(RO_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(
            Group::Generic,
            "3.2.1",
            "O(N) where N is the number of keys that will be touched.",
            "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        ),
    cmd("type", 2, type_cmd)
        .flags(RO_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(Group::Generic, "1.0.0", "O(1)", "Determine the type stored at key"),
    cmd("keys", 2, keys)
        .flags(Flags::READONLY)
        .acl(Acl::KEYSPACE.union(Acl::DANGEROUS))
        .lock(Lock::Db)
        .doc(
            Group::Generic,
            "1.0.0",
            "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
            "Find all keys matching the given pattern",
        ),
    cmd("scan", -2, scan)
        .flags(Flags::READONLY)
        .acl(Acl::KEYSPACE)
        .lock(Lock::Db)
        .doc(
            Group::Generic,
            "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
            "Incrementally iterate the keys space",
        ),
    cmd("randomkey", 1, randomkey)
        .flags(Flags::READONLY)
        .acl(Acl::KEYSPACE)
        .lock(Lock::Db)
        .doc(Group::Generic, "1.0.0", "O(1)", "Return a random key from the keyspace"),
    cmd("rename", 3, rename)
        .flags(Flags::WRITE)
        .acl(Acl::KEYSPACE)
        .keys(1, 2, 1)
        .doc(Group::Generic, "1.0.0", "O(1)", "Rename a key"),
    cmd("renamenx", 3, renamenx)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 2, 1)
        .doc(
            Group::Generic,
            "1.0.0",
            "O(1)",
            "Rename a key, only if the new key does not exist",
        ),
    cmd("copy", -3, copy)
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .acl(Acl::KEYSPACE)
        .keys(1, 2, 1)
        .lock(Lock::None)
        .doc(
            Group::Generic,
            "6.2.0",
            "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
            "Copy a key",
        ),
    cmd("move", 3, move_cmd)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .lock(Lock::None)
        .doc(Group::Generic, "1.0.0", "O(1)", "Move a key to another database"),
    cmd("expire", -3, expire)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(Group::Generic, "1.0.0", "O(1)", "Set a key's time to live in seconds"),
    cmd("pexpire", -3, pexpire)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(Group::Generic, "2.6.0", "O(1)", "Set a key's time to live in milliseconds"),
    cmd("expireat", -3, expireat)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(
            Group::Generic,
            "1.2.0",
            "O(1)",
            "Set the expiration for a key as a UNIX timestamp",
        ),
    cmd("pexpireat", -3, pexpireat)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(
            Group::Generic,
            "2.6.0",
            "O(1)",
            "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        ),
    cmd("expiretime", 2, expiretime)
        .flags(RO_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(
            Group::Generic,
            "7.0.0",
            "O(1)",
            "Get the expiration Unix timestamp for a key",
        ),
    cmd("pexpiretime", 2, pexpiretime)
        .flags(RO_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(
            Group::Generic,
            "7.0.0",
            "O(1)",
            "Get the expiration Unix timestamp for a key in milliseconds",
        ),
    cmd("ttl", 2, ttl)
        .flags(RO_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(Group::Generic, "1.0.0", "O(1)", "Get the time to live for a key in seconds"),
    cmd("pttl", 2, pttl)
        .flags(RO_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(
            Group::Generic,
            "2.6.0",
            "O(1)",
            "Get the time to live for a key in milliseconds",
        ),
    cmd("persist", 2, persist)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(Group::Generic, "2.2.0", "O(1)", "Remove the expiration from a key"),
    cmd("flushdb", -1, flushdb)
        .flags(Flags::WRITE)
        .acl(Acl::KEYSPACE.union(Acl::DANGEROUS))
        .lock(Lock::Db)
        .doc(
            Group::Server,
            "1.0.0",
            "O(N) where N is the number of keys in the selected database",
            "Remove all keys from the current database",
        ),
    cmd("flushall", -1, flushall)
        .flags(Flags::WRITE)
        .acl(Acl::KEYSPACE.union(Acl::DANGEROUS))
        .lock(Lock::World)
        .doc(
            Group::Server,
            "1.0.0",
            "O(N) where N is the total number of keys in all databases",
            "Remove all keys from all databases",
        ),
    cmd("swapdb", 3, swapdb)
        .flags(RW_FAST)
        .acl(Acl::KEYSPACE.union(Acl::DANGEROUS))
        .lock(Lock::World)
        .doc(
            Group::Server,
            "4.0.0",
            "O(N) where N is the count of clients watching or blocking on keys from both databases.",
            "Swaps two Redis databases",
        ),
    cmd("object", -2, container)
        .subs(OBJECT_SUBS)
        .doc(
            Group::Generic,
            "2.2.3",
            "Depends on subcommand.",
            "A container for object introspection commands",
        ),
    cmd("memory", -2, container)
        .subs(MEMORY_SUBS)
        .doc(
            Group::Server,
            "4.0.0",
            "Depends on subcommand.",
            "A container for memory diagnostics commands",
        ),
];
