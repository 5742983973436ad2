//! Sorted-set commands, including the blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP), which use the
//! waiter registry in `crate::blocking` exactly as the blocking list pops do.
//!
//! Range queries find their boundaries as ranks in O(log n) on the skiplist
//! (`store::zset::SkipList::count_while`) and then walk m elements.

use bytes::Bytes;
use rand::Rng;
use smallvec::SmallVec;

use super::hashes::scan;
use super::{
    arg, cmd, lit, positive_long, range_long, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags,
    Group, KeySpec,
};
use crate::blocking::{self, BlockOp};
use crate::config::registry::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::protocol::Out;
use crate::store::zset::ZSet;
use crate::store::{Locked, Value};

/// The sorted set at `key` in `db`: `None` if missing, WRONGTYPE if another type.
pub fn get_zset_in<'a>(
    ks: &'a mut Locked,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut ZSet>, CmdError> {
    match ks.get_in(db, key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(CmdError::WrongType),
        },
    }
}

fn get_zset<'a>(ks: &'a mut Locked, key: &[u8]) -> Result<Option<&'a mut ZSet>, CmdError> {
    let db = ks.db;
    get_zset_in(ks, db, key)
}

fn delete_if_empty(ks: &mut Locked, db: usize, key: &[u8]) {
    if matches!(get_zset_in(ks, db, key), Ok(Some(z)) if z.is_empty()) {
        ks.del_in(db, key);
    }
}

/// Deletes `key` if its zset became empty, with the `del` event Redis publishes then.
fn notify_if_deleted(ctx: &mut Ctx, key: &[u8]) {
    let db = ctx.ks.db;
    delete_if_empty(&mut ctx.ks, db, key);
    if ctx.ks.get(key).is_none() {
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
}

/// The event Redis publishes for a pop from the min or max end.
pub fn pop_event(max: bool) -> &'static str {
    if max {
        "zpopmax"
    } else {
        "zpopmin"
    }
}

const NOT_FLOAT: &str = "ERR min or max is not a float";
const NOT_LEX: &str = "ERR min or max not valid string range item";

/// C `strtod` as `zslParseRange` uses it: leading spaces allowed, overflow gives ±inf, the
/// string ends at its first NUL, NaN is rejected.
fn strtod_range(s: &[u8]) -> Option<f64> {
    let s = s.split(|&b| b == 0).next().unwrap_or_default();
    let mut buf = Vec::with_capacity(s.len() + 1);
    buf.extend_from_slice(s);
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; `end` points into it afterwards.
    let (v, consumed) = unsafe {
        let v = libc::strtod(buf.as_ptr() as *const libc::c_char, &mut end);
        (
            v,
            end.offset_from(buf.as_ptr() as *const libc::c_char) as usize,
        )
    };
    (consumed == s.len() && !v.is_nan()).then_some(v)
}

/// A score interval (Redis's `zrangespec`).
#[derive(Clone, Copy)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let item = |a: &[u8]| match a.first() {
            Some(b'(') => strtod_range(&a[1..]).map(|v| (v, true)),
            _ => strtod_range(a).map(|v| (v, false)),
        };
        let (min, minex) = item(min)?;
        let (max, maxex) = item(max)?;
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// Ascending ranks `lo..hi` of the elements in range.
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let l = z.list();
        let lo = l.count_while(|s, _| {
            if self.minex {
                s <= self.min
            } else {
                s < self.min
            }
        });
        let hi = l.count_while(|s, _| {
            if self.maxex {
                s < self.max
            } else {
                s <= self.max
            }
        });
        (lo, hi.max(lo))
    }
}

/// One end of a lex interval.
#[derive(Clone)]
enum LexBound {
    NegInf,
    PosInf,
    Incl(Bytes),
    Excl(Bytes),
}

impl LexBound {
    fn parse(a: &[u8]) -> Option<LexBound> {
        match a.first()? {
            b'+' if a.len() == 1 => Some(LexBound::PosInf),
            b'-' if a.len() == 1 => Some(LexBound::NegInf),
            b'[' => Some(LexBound::Incl(Bytes::copy_from_slice(&a[1..]))),
            b'(' => Some(LexBound::Excl(Bytes::copy_from_slice(&a[1..]))),
            _ => None,
        }
    }

    /// Whether `m` lies below this bound taken as a minimum.
    fn below_min(&self, m: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(b) => m < &b[..],
            LexBound::Excl(b) => m <= &b[..],
        }
    }

    /// Whether `m` is within this bound taken as a maximum.
    fn within_max(&self, m: &[u8]) -> bool {
        match self {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(b) => m <= &b[..],
            LexBound::Excl(b) => m < &b[..],
        }
    }
}

struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let l = z.list();
        let lo = l.count_while(|_, m| self.min.below_min(m));
        let hi = l.count_while(|_, m| self.max.within_max(m));
        (lo, hi.max(lo))
    }
}

/// Clamps Redis-style rank indexes (negative from the end) to `start..end`; empty if none.
fn rank_span(start: i64, end: i64, len: usize) -> (usize, usize) {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return (0, 0);
    }
    if end >= llen {
        end = llen - 1;
    }
    (start as usize, end as usize + 1)
}

/// Writes `items` as a range reply: members, or member/score pairs (arrays in RESP3).
fn reply_range(out: &mut Out, items: &[(Bytes, f64)], withscores: bool) {
    if withscores && !out.resp3 {
        out.array(items.len() * 2);
    } else {
        out.array(items.len());
    }
    for (m, s) in items {
        if withscores && out.resp3 {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(*s);
        }
    }
}

/// Records that `key` (selected db) became a non-empty zset, for clients blocked on it.
fn signal(ctx: &mut Ctx, key: &[u8]) {
    ctx.signal_list_push(key);
}

// ---------------------------------------------------------------------------------------------
// ZADD and friends

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY.
fn zadd_generic(ctx: &mut Ctx, incr_cmd: bool) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, incr_cmd);
    let mut idx = 2;
    if !incr_cmd {
        while idx < argv.len() {
            let a = &argv[idx];
            if a.eq_ignore_ascii_case(b"nx") {
                nx = true;
            } else if a.eq_ignore_ascii_case(b"xx") {
                xx = true;
            } else if a.eq_ignore_ascii_case(b"ch") {
                ch = true;
            } else if a.eq_ignore_ascii_case(b"incr") {
                incr = true;
            } else if a.eq_ignore_ascii_case(b"gt") {
                gt = true;
            } else if a.eq_ignore_ascii_case(b"lt") {
                lt = true;
            } else {
                break;
            }
            idx += 1;
        }
    }
    let elements = argv.len() - idx;
    if elements % 2 == 1 || elements == 0 {
        return Err(CmdError::Syntax);
    }
    let elements = elements / 2;
    if nx && xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 1 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let mut scores: SmallVec<[f64; 8]> = SmallVec::with_capacity(elements);
    for j in 0..elements {
        scores.push(crate::util::parse_f64(arg(argv, idx + j * 2)).ok_or(CmdError::NotFloat)?);
    }
    let exists = get_zset(&mut ctx.ks, key)?.is_some();
    if !exists {
        if xx {
            if incr {
                ctx.out.null();
            } else {
                ctx.out.int(0);
            }
            return Ok(());
        }
        ctx.ks.set(key, Value::ZSet(ZSet::new()));
    }
    let z = get_zset(&mut ctx.ks, key)?.ok_or(CmdError::NoSuchKey)?;
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0);
    let mut last = 0.0;
    for (j, &score) in scores.iter().enumerate() {
        let m = arg(argv, idx + j * 2 + 1);
        match z.score(m) {
            Some(cur) => {
                if nx {
                    continue;
                }
                let mut new = score;
                if incr {
                    new += cur;
                    if new.is_nan() {
                        let was_empty = z.is_empty();
                        if was_empty {
                            ctx.ks.del(key);
                        }
                        return Err(CmdError::err("resulting score is not a number (NaN)"));
                    }
                }
                if (lt && new >= cur) || (gt && new <= cur) {
                    continue;
                }
                if new != cur {
                    z.set(m, new);
                    updated += 1;
                }
                processed += 1;
                last = new;
            }
            None => {
                if xx {
                    continue;
                }
                z.set(m, score);
                added += 1;
                processed += 1;
                last = score;
            }
        }
    }
    let now_empty = z.is_empty();
    if now_empty {
        ctx.ks.del(key);
    }
    ctx.dirty += (added + updated) as u64;
    if added > 0 {
        signal(ctx, key);
    }
    if incr {
        if processed > 0 {
            ctx.out.double(last);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out.int(if ch { added + updated } else { added });
    }
    if added + updated > 0 {
        ctx.notify(NOTIFY_ZSET, if incr { "zincr" } else { "zadd" }, key);
    }
    Ok(())
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
fn zadd(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, false)
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, true)
}

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    let mut n = 0;
    if let Some(z) = get_zset(&mut ctx.ks, key)? {
        for m in &argv[2..] {
            if z.remove(m) {
                n += 1;
                if z.is_empty() {
                    break;
                }
            }
        }
    }
    if n > 0 {
        ctx.notify(NOTIFY_ZSET, "zrem", key);
        notify_if_deleted(ctx, key);
    }
    ctx.dirty += n as u64;
    ctx.out.int(n);
    Ok(())
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    match get_zset(&mut ctx.ks, arg(argv, 1))?.and_then(|z| z.score(arg(argv, 2))) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let z = get_zset(&mut ctx.ks, arg(argv, 1))?;
    ctx.out.array(argv.len() - 2);
    for m in &argv[2..] {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// ZCARD key
fn zcard(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let n = get_zset(&mut ctx.ks, arg(argv, 1))?.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// ZCOUNT key min max
fn zcount(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let r = ScoreRange::parse(arg(argv, 2), arg(argv, 3)).ok_or(CmdError::msg(NOT_FLOAT))?;
    let n = get_zset(&mut ctx.ks, arg(argv, 1))?.map_or(0, |z| {
        let (lo, hi) = r.ranks(z);
        hi - lo
    });
    ctx.out.int(n as i64);
    Ok(())
}

/// ZLEXCOUNT key min max
fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let r = LexRange::parse(arg(argv, 2), arg(argv, 3)).ok_or(CmdError::msg(NOT_LEX))?;
    let n = get_zset(&mut ctx.ks, arg(argv, 1))?.map_or(0, |z| {
        let (lo, hi) = r.ranks(z);
        hi - lo
    });
    ctx.out.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZRANGE family

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Redis's `zrangeGenericCommand`: `key_at` is the source key, `min`/`max` follow it.
fn zrange_generic(
    ctx: &mut Ctx,
    key_at: usize,
    store: Option<usize>,
    mut rtype: RangeType,
    mut rev: Option<bool>,
) -> CmdResult {
    let argv = ctx.argv;
    let (mut minidx, mut maxidx) = (key_at + 1, key_at + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = key_at + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if store.is_none() && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            offset = crate::util::parse_i64(arg(argv, j + 1)).ok_or(CmdError::NotInteger)?;
            limit = crate::util::parse_i64(arg(argv, j + 2)).ok_or(CmdError::NotInteger)?;
            j += 2;
        } else if rev.is_none() && a.eq_ignore_ascii_case(b"rev") {
            rev = Some(true);
        } else if rtype == RangeType::Auto && a.eq_ignore_ascii_case(b"bylex") {
            rtype = RangeType::Lex;
        } else if rtype == RangeType::Auto && a.eq_ignore_ascii_case(b"byscore") {
            rtype = RangeType::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if rtype == RangeType::Auto {
        rtype = RangeType::Rank;
    }
    if limit != -1 && rtype == RangeType::Rank {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rtype == RangeType::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if rev && rtype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    enum Parsed {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let parsed = match rtype {
        RangeType::Score => Parsed::Score(
            ScoreRange::parse(arg(argv, minidx), arg(argv, maxidx))
                .ok_or(CmdError::msg(NOT_FLOAT))?,
        ),
        RangeType::Lex => Parsed::Lex(
            LexRange::parse(arg(argv, minidx), arg(argv, maxidx)).ok_or(CmdError::msg(NOT_LEX))?,
        ),
        _ => Parsed::Rank(
            crate::util::parse_i64(arg(argv, minidx)).ok_or(CmdError::NotInteger)?,
            crate::util::parse_i64(arg(argv, maxidx)).ok_or(CmdError::NotInteger)?,
        ),
    };
    let items = match get_zset(&mut ctx.ks, arg(argv, key_at))? {
        None => Vec::new(),
        Some(z) => {
            let len = z.len();
            match parsed {
                Parsed::Rank(s, e) => {
                    let (a, b) = rank_span(s, e, len);
                    z.range_by_rank(a, b, rev)
                }
                Parsed::Score(r) => {
                    let (lo, hi) = r.ranks(z);
                    limited(z, lo, hi, rev, offset, limit)
                }
                Parsed::Lex(r) => {
                    let (lo, hi) = r.ranks(z);
                    limited(z, lo, hi, rev, offset, limit)
                }
            }
        }
    };
    match store {
        None => reply_range(&mut ctx.out, &items, withscores),
        Some(dst_at) => store_zset(ctx, arg(argv, dst_at), &items, "zrangestore"),
    }
    Ok(())
}

/// Elements of ascending ranks `lo..hi`, walked forwards or backwards, after skipping `offset`
/// and taking at most `limit` (negative = all), with Redis's treatment of odd offsets.
fn limited(
    z: &ZSet,
    lo: usize,
    hi: usize,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Vec<(Bytes, f64)> {
    if offset < 0 || (offset > 0 && offset as u64 >= z.len() as u64) {
        return Vec::new();
    }
    let n = hi - lo;
    let offset = (offset as u64).min(n as u64) as usize;
    let mut take = n - offset;
    if limit >= 0 {
        take = take.min(limit as u64 as usize);
    }
    if rev {
        // Descending ranks: position 0 is ascending rank hi-1.
        let top = z.len() - hi;
        z.range_by_rank(top + offset, top + offset + take, true)
    } else {
        z.range_by_rank(lo + offset, lo + offset + take, false)
    }
}

/// Stores `items` as a new sorted set at `dst` (or deletes it when empty); replies the size,
/// then publishes `event` (or `del` when an empty result removed `dst`).
fn store_zset(ctx: &mut Ctx, dst: &[u8], items: &[(Bytes, f64)], event: &str) {
    if items.is_empty() {
        let deleted = ctx.ks.del(dst);
        if deleted {
            ctx.dirty += 1;
        }
        ctx.out.int(0);
        if deleted {
            ctx.notify(NOTIFY_GENERIC, "del", dst);
        }
        return;
    }
    let mut z = ZSet::new();
    for (m, s) in items {
        z.set(m, *s);
    }
    z.fit_encoding();
    let n = z.len();
    ctx.ks.set(dst, Value::ZSet(z));
    ctx.dirty += 1;
    signal(ctx, dst);
    ctx.out.int(n as i64);
    ctx.notify(NOTIFY_ZSET, event, dst);
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Auto, None)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 2, Some(1), RangeType::Auto, None)
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Rank, Some(true))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Score, Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Score, Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Lex, Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Lex, Some(true))
}

/// ZRANK/ZREVRANK key member
fn zrank_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let argv = ctx.argv;
    let r = get_zset(&mut ctx.ks, arg(argv, 1))?.and_then(|z| {
        z.rank(arg(argv, 2))
            .map(|r| if rev { z.len() - 1 - r } else { r })
    });
    match r {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ZRANK key member
fn zrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, false)
}

/// ZREVRANK key member
fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, true)
}

// ---------------------------------------------------------------------------------------------
// Pops

/// Pops up to `count` from the min or max end of the zset at `key` in `db` (deleting it when
/// emptied).
pub fn pop_n(ks: &mut Locked, db: usize, key: &[u8], max: bool, count: usize) -> Vec<(Bytes, f64)> {
    let Ok(Some(z)) = get_zset_in(ks, db, key) else {
        return Vec::new();
    };
    let n = count.min(z.len());
    let items = z.range_by_rank(0, n, max);
    for (m, _) in &items {
        z.remove(m);
    }
    delete_if_empty(ks, db, key);
    items
}

/// ZPOPMIN/ZPOPMAX key [count]
fn zpop_generic(ctx: &mut Ctx, max: bool) -> CmdResult {
    let argv = ctx.argv;
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match argv.get(2) {
        Some(a) => Some(positive_long(a, None)? as usize),
        None => None,
    };
    if count == Some(0) {
        ctx.out.array(0);
        return Ok(());
    }
    let key = arg(argv, 1);
    if get_zset(&mut ctx.ks, key)?.is_none() {
        ctx.out.array(0);
        return Ok(());
    }
    let db = ctx.ks.db;
    let items = pop_n(&mut ctx.ks, db, key, max, count.unwrap_or(1));
    ctx.dirty += items.len() as u64;
    // Redis publishes the pop event after the reply's array header and before its elements,
    // and `del` after them: a RESP3 client subscribed to its own events sees them there.
    if count.is_none() {
        ctx.out.array(2);
        ctx.notify(NOTIFY_ZSET, pop_event(max), key);
        for (m, s) in &items {
            ctx.out.bulk(m);
            ctx.out.double(*s);
        }
    } else {
        let resp2 = !ctx.out.resp3;
        ctx.out
            .array(if resp2 { items.len() * 2 } else { items.len() });
        ctx.notify(NOTIFY_ZSET, pop_event(max), key);
        for (m, s) in &items {
            if !resp2 {
                ctx.out.array(2);
            }
            ctx.out.bulk(m);
            ctx.out.double(*s);
        }
    }
    if ctx.ks.get(key).is_none() {
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
    Ok(())
}

/// ZPOPMIN key [count]
fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    zpop_generic(ctx, false)
}

/// ZPOPMAX key [count]
fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    zpop_generic(ctx, true)
}

/// Writes the `[key, [[member, score], ...]]` reply of ZMPOP/BZMPOP.
pub fn write_mpop_reply(out: &mut Out, key: &[u8], items: &[(Bytes, f64)]) {
    out.array(2);
    out.bulk(key);
    out.array(items.len());
    for (m, s) in items {
        out.array(2);
        out.bulk(m);
        out.double(*s);
    }
}

/// Writes the `[key, member, score]` reply of BZPOPMIN/BZPOPMAX.
pub fn write_bzpop_reply(out: &mut Out, key: &[u8], item: &(Bytes, f64)) {
    out.array(3);
    out.bulk(key);
    out.bulk(&item.0);
    out.double(item.1);
}

/// Parsed `numkeys key [key ...] MIN|MAX [COUNT count]`.
struct MPopArgs {
    keys: std::ops::Range<usize>,
    max: bool,
    count: usize,
}

fn parse_mpop(argv: &[Bytes], numkeys_at: usize) -> Result<MPopArgs, CmdError> {
    let numkeys = range_long(
        arg(argv, numkeys_at),
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )? as u64;
    let where_at = (numkeys_at as u64)
        .saturating_add(numkeys)
        .saturating_add(1);
    if where_at >= argv.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_at = where_at as usize;
    let max = if argv[where_at].eq_ignore_ascii_case(b"min") {
        false
    } else if argv[where_at].eq_ignore_ascii_case(b"max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && argv[j].eq_ignore_ascii_case(b"count") && j + 1 < argv.len() {
            count = Some(range_long(
                &argv[j + 1],
                1,
                i64::MAX,
                Some("ERR count should be greater than 0"),
            )? as usize);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(MPopArgs {
        keys: numkeys_at + 1..where_at,
        max,
        count: count.unwrap_or(1),
    })
}

/// Pops from the first non-empty zset among `keys`; false (nothing written) if none.
fn mpop_from(ctx: &mut Ctx, a: &MPopArgs) -> Result<bool, CmdError> {
    let argv = ctx.argv;
    let db = ctx.ks.db;
    for i in a.keys.clone() {
        let key = arg(argv, i);
        if get_zset(&mut ctx.ks, key)?.is_none() {
            continue;
        }
        let items = pop_n(&mut ctx.ks, db, key, a.max, a.count);
        ctx.dirty += items.len() as u64;
        ctx.propagate(vec![
            zpop_cmd(a.max),
            argv[i].clone(),
            Bytes::from(items.len().to_string()),
        ]);
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.array(items.len());
        ctx.notify(NOTIFY_ZSET, pop_event(a.max), key);
        for (m, s) in &items {
            ctx.out.array(2);
            ctx.out.bulk(m);
            ctx.out.double(*s);
        }
        if ctx.ks.get(key).is_none() {
            ctx.notify(NOTIFY_GENERIC, "del", key);
        }
        return Ok(true);
    }
    Ok(false)
}

/// The plain pop ZMPOP and the blocking pops are logged as.
fn zpop_cmd(max: bool) -> Bytes {
    lit(if max { "ZPOPMAX" } else { "ZPOPMIN" })
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
fn zmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx.argv, 1)?;
    if !mpop_from(ctx, &a)? {
        ctx.out.null_array();
    }
    Ok(())
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout
fn bzpop_generic(ctx: &mut Ctx, max: bool) -> CmdResult {
    let argv = ctx.argv;
    let last = argv.len() - 1;
    let deadline = blocking::parse_timeout(arg(argv, last), ctx.ks.now)?;
    let db = ctx.ks.db;
    for i in 1..last {
        let key = arg(argv, i);
        if get_zset(&mut ctx.ks, key)?.is_none() {
            continue;
        }
        let items = pop_n(&mut ctx.ks, db, key, max, 1);
        if let Some((m, s)) = items.first() {
            ctx.dirty += 1;
            ctx.propagate(vec![zpop_cmd(max), argv[i].clone()]);
            ctx.out.array(3);
            ctx.out.bulk(key);
            ctx.notify(NOTIFY_ZSET, pop_event(max), key);
            ctx.out.bulk(m);
            ctx.out.double(*s);
            if ctx.ks.get(key).is_none() {
                ctx.notify(NOTIFY_GENERIC, "del", key);
            }
            return Ok(());
        }
    }
    if !ctx.may_block() {
        ctx.out.null_array();
        return Ok(());
    }
    let keys = argv[1..last].to_vec();
    ctx.block_on(keys, BlockOp::ZPop { max }, deadline);
    Ok(())
}

/// BZPOPMIN key [key ...] timeout
fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    bzpop_generic(ctx, false)
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    bzpop_generic(ctx, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    let deadline = blocking::parse_timeout(arg(ctx.argv, 1), ctx.ks.now)?;
    let a = parse_mpop(ctx.argv, 2)?;
    if mpop_from(ctx, &a)? {
        return Ok(());
    }
    if !ctx.may_block() {
        ctx.out.null_array();
        return Ok(());
    }
    let keys = ctx.argv[a.keys.clone()].to_vec();
    ctx.block_on(
        keys,
        BlockOp::ZMPop {
            max: a.max,
            count: a.count,
        },
        deadline,
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Removal by range

/// ZREMRANGEBYRANK key start stop
fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let (s, e) = (ctx.int_arg(2)?, ctx.int_arg(3)?);
    zremrange(
        ctx,
        |z| rank_span(s, e, z.len()),
        arg(argv, 1),
        "zremrangebyrank",
    )
}

/// ZREMRANGEBYSCORE key min max
fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let r = ScoreRange::parse(arg(argv, 2), arg(argv, 3)).ok_or(CmdError::msg(NOT_FLOAT))?;
    zremrange(ctx, |z| r.ranks(z), arg(argv, 1), "zremrangebyscore")
}

/// ZREMRANGEBYLEX key min max
fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let r = LexRange::parse(arg(argv, 2), arg(argv, 3)).ok_or(CmdError::msg(NOT_LEX))?;
    zremrange(ctx, |z| r.ranks(z), arg(argv, 1), "zremrangebylex")
}

fn zremrange(
    ctx: &mut Ctx,
    span: impl Fn(&ZSet) -> (usize, usize),
    key: &[u8],
    event: &str,
) -> CmdResult {
    let mut n = 0;
    if let Some(z) = get_zset(&mut ctx.ks, key)? {
        let (lo, hi) = span(z);
        for (m, _) in z.range_by_rank(lo, hi, false) {
            z.remove(&m);
            n += 1;
        }
    }
    if n > 0 {
        ctx.notify(NOTIFY_ZSET, event, key);
        notify_if_deleted(ctx, key);
    }
    ctx.dirty += n as u64;
    ctx.out.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Set operations (inputs may be sets, whose members score 1)

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(a: Aggregate, acc: &mut f64, v: f64) {
    match a {
        Aggregate::Sum => {
            *acc += v;
            if acc.is_nan() {
                *acc = 0.0;
            }
        }
        Aggregate::Min => *acc = acc.min(v),
        Aggregate::Max => *acc = acc.max(v),
    }
}

/// One input of ZUNION/ZINTER/ZDIFF, copied out of the keyspace.
enum Src {
    Missing,
    Z(
        Vec<(Bytes, f64)>,
        std::collections::HashMap<Bytes, f64, ahash::RandomState>,
    ),
}

impl Src {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(v, _) => v.len(),
        }
    }
    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(_, d) => d.get(m).copied(),
        }
    }
}

fn load_src(ks: &mut Locked, key: &[u8]) -> Result<Src, CmdError> {
    let items: Vec<(Bytes, f64)> = match ks.get(key) {
        None => return Ok(Src::Missing),
        Some(e) => match &e.value {
            Value::ZSet(z) => z.range_by_rank(0, z.len(), false),
            Value::Set(s) => s.members().map(|m| (m, 1.0)).collect(),
            _ => return Err(CmdError::WrongType),
        },
    };
    let dict = items.iter().cloned().collect();
    Ok(Src::Z(items, dict))
}

/// The `numkeys` inputs of a set operation, each type-checked in order.
fn load_srcs(ctx: &mut Ctx, numkeys_at: usize) -> Result<Vec<Src>, CmdError> {
    let argv = ctx.argv;
    let setnum = ctx.int_arg(numkeys_at)?;
    if setnum < 1 {
        return Err(CmdError::err(format_args!(
            "at least 1 input key is needed for '{}' command",
            ctx.cmd.full_name
        )));
    }
    if setnum as u64 > (argv.len() - (numkeys_at + 1)) as u64 {
        return Err(CmdError::Syntax);
    }
    let mut srcs = Vec::with_capacity(setnum as usize);
    for i in 0..setnum as usize {
        srcs.push(load_src(&mut ctx.ks, arg(argv, numkeys_at + 1 + i))?);
    }
    Ok(srcs)
}

/// Redis's `zunionInterDiffGenericCommand`. `numkeys_at` holds the key count; `dst` is the
/// destination argument for the STORE forms.
fn zsetop_generic(ctx: &mut Ctx, dst: Option<usize>, numkeys_at: usize, op: SetOp) -> CmdResult {
    let argv = ctx.argv;
    let srcs = load_srcs(ctx, numkeys_at)?;
    let setnum = srcs.len();
    let mut weights = vec![1.0f64; setnum];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut j = numkeys_at + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        if op != SetOp::Diff && remaining > setnum && argv[j].eq_ignore_ascii_case(b"weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = crate::util::parse_f64(arg(argv, j))
                    .ok_or(CmdError::err("weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && remaining >= 2 && argv[j].eq_ignore_ascii_case(b"aggregate")
        {
            let a = &argv[j + 1];
            agg = if a.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if a.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if a.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && argv[j].eq_ignore_ascii_case(b"withscores") {
            withscores = true;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let result = compute_setop(srcs, weights, agg, op);
    match dst {
        Some(d) => {
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            store_zset(ctx, arg(argv, d), &result, event)
        }
        None => reply_range(&mut ctx.out, &result, withscores),
    }
    Ok(())
}

fn weighted(w: f64, s: f64) -> f64 {
    let v = w * s;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// The result of a set operation, sorted by (score, member).
fn compute_setop(
    srcs: Vec<Src>,
    weights: Vec<f64>,
    agg: Aggregate,
    op: SetOp,
) -> Vec<(Bytes, f64)> {
    let mut acc = ZSet::new();
    match op {
        SetOp::Diff => {
            if let Some((Src::Z(first, _), rest)) = srcs.split_first() {
                for (m, s) in first {
                    if rest.iter().all(|o| o.score(m).is_none()) {
                        acc.set(m, *s);
                    }
                }
            }
        }
        SetOp::Inter | SetOp::Union => {
            let mut order: Vec<(Src, f64)> = srcs.into_iter().zip(weights).collect();
            order.sort_by_key(|(s, _)| s.len());
            if op == SetOp::Inter {
                if let Some(((Src::Z(first, _), w0), rest)) = order.split_first() {
                    'outer: for (m, s) in first {
                        let mut score = weighted(*w0, *s);
                        for (o, w) in rest {
                            match o.score(m) {
                                Some(v) => aggregate(agg, &mut score, weighted(*w, v)),
                                None => continue 'outer,
                            }
                        }
                        acc.set(m, score);
                    }
                }
            } else {
                let mut scores: indexmap::IndexMap<Bytes, f64, ahash::RandomState> =
                    Default::default();
                for (src, w) in &order {
                    if let Src::Z(items, _) = src {
                        for (m, s) in items {
                            let v = weighted(*w, *s);
                            match scores.get_mut(m) {
                                Some(cur) => aggregate(agg, cur, v),
                                None => {
                                    scores.insert(m.clone(), v);
                                }
                            }
                        }
                    }
                }
                for (m, s) in scores {
                    acc.set(&m, s);
                }
            }
        }
    }
    acc.range_by_rank(0, acc.len(), false)
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zunion(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Union)
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zinter(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Inter)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
fn zdiff(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, None, 1, SetOp::Diff)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, Some(1), 2, SetOp::Union)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, Some(1), 2, SetOp::Inter)
}

/// ZDIFFSTORE destination numkeys key [key ...]
fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    zsetop_generic(ctx, Some(1), 2, SetOp::Diff)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
fn zintercard(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let srcs = load_srcs(ctx, 1)?;
    let mut limit = 0usize;
    let mut j = 2 + srcs.len();
    while j < argv.len() {
        if argv[j].eq_ignore_ascii_case(b"limit") && j + 1 < argv.len() {
            limit = positive_long(arg(argv, j + 1), Some("ERR LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let mut srcs = srcs;
    srcs.sort_by_key(|s| s.len());
    let mut n = 0usize;
    if let Some((Src::Z(first, _), rest)) = srcs.split_first() {
        for (m, _) in first {
            if rest.iter().all(|o| o.score(m).is_some()) {
                n += 1;
                if limit != 0 && n >= limit {
                    break;
                }
            }
        }
    }
    ctx.out.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Random members and scanning

/// ZRANDMEMBER key [count [WITHSCORES]]
fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    if argv.len() == 2 {
        match get_zset(&mut ctx.ks, key)? {
            Some(z) => {
                let r = rand::thread_rng().gen_range(0..z.len());
                let m = z.range_by_rank(r, r + 1, false);
                ctx.out.bulk(m.first().map_or(&[][..], |(m, _)| &m[..]));
            }
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = range_long(arg(argv, 2), -i64::MAX, i64::MAX, None)?;
    let mut withscores = false;
    if argv.len() > 4 || (argv.len() == 4 && !argv[3].eq_ignore_ascii_case(b"withscores")) {
        return Err(CmdError::Syntax);
    } else if argv.len() == 4 {
        withscores = true;
        if !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return Err(CmdError::err("value is out of range"));
        }
    }
    let Some(z) = get_zset(&mut ctx.ks, key)? else {
        ctx.out.array(0);
        return Ok(());
    };
    let size = z.len();
    let mut rng = rand::thread_rng();
    let items: Vec<(Bytes, f64)> = if count == 0 {
        Vec::new()
    } else if count < 0 {
        // Streamed, not collected: a huge negative count must not allocate up front.
        let n = count.unsigned_abs() as usize;
        let resp3 = ctx.out.resp3;
        ctx.out.array(if withscores && !resp3 {
            n.saturating_mul(2)
        } else {
            n
        });
        for _ in 0..n {
            let r = rng.gen_range(0..size);
            if let Some((m, s)) = z.range_by_rank(r, r + 1, false).pop() {
                if withscores && resp3 {
                    ctx.out.array(2);
                }
                ctx.out.bulk(&m);
                if withscores {
                    ctx.out.double(s);
                }
            }
        }
        return Ok(());
    } else if count as u64 >= size as u64 {
        // Redis walks the whole set from its tail in this case.
        z.range_by_rank(0, size, true)
    } else {
        rand::seq::index::sample(&mut rng, size, count as usize)
            .into_iter()
            .filter_map(|r| z.range_by_rank(r, r + 1, false).pop())
            .collect()
    };
    reply_range(&mut ctx.out, &items, withscores);
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
fn zscan(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let cursor = scan::parse_cursor(arg(argv, 2))?;
    let Some(z) = get_zset(&mut ctx.ks, arg(argv, 1))? else {
        scan::empty(&mut ctx.out);
        return Ok(());
    };
    let opts = scan::parse_options(argv, 3)?;
    let mut items = Vec::new();
    let fmt = |s: f64| Bytes::from(crate::util::fmt_double_g17(s));
    let next = if z.is_skiplist() {
        scan::walk(z.dict_len(), cursor, opts.count, |i| {
            if let Some((m, s)) = z.dict_index(i) {
                if opts.matches(m) {
                    items.push(Bytes::copy_from_slice(m));
                    items.push(fmt(s));
                }
            }
        })
    } else {
        for (m, s) in z.range_by_rank(0, z.len(), false) {
            if opts.matches(&m) {
                items.push(m);
                items.push(fmt(s));
            }
        }
        0
    };
    scan::reply(&mut ctx.out, next, &items);
    Ok(())
}

const RO: Flags = Flags::READONLY;
const ROF: Flags = Flags::READONLY.union(Flags::FAST);
const W: Flags = Flags::WRITE;
const WD: Flags = Flags::WRITE.union(Flags::DENYOOM);
const WDF: Flags = Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST);
const WF: Flags = Flags::WRITE.union(Flags::FAST);
const BLK: Flags = Flags::WRITE
    .union(Flags::NOSCRIPT)
    .union(Flags::FAST)
    .union(Flags::BLOCKING);
const Z: Acl = Acl::SORTEDSET;
const G: Group = Group::SortedSet;
const NK1: KeySpec = KeySpec::NumKeys { numkeys_at: 1 };

pub const COMMANDS: &[CommandDef] = &[
    cmd("zadd", -4, zadd).flags(WDF).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Add one or more members to a sorted set, or update its score if it already exists"),
    cmd("zincrby", 4, zincrby).flags(WDF).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Increment the score of a member in a sorted set"),
    cmd("zrem", -3, zrem).flags(WF).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Remove one or more members from a sorted set"),
    cmd("zscore", 3, zscore).flags(ROF).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(1)", "Get the score associated with the given member in a sorted set"),
    cmd("zmscore", -3, zmscore).flags(ROF).acl(Z).keys(1, 1, 1).doc(G, "6.2.0", "O(N) where N is the number of members being requested.", "Get the score associated with the given members in a sorted set"),
    cmd("zcard", 2, zcard).flags(ROF).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(1)", "Get the number of members in a sorted set"),
    cmd("zcount", 4, zcount).flags(ROF).acl(Z).keys(1, 1, 1).doc(G, "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Count the members in a sorted set with scores within the given values"),
    cmd("zlexcount", 4, zlexcount).flags(ROF).acl(Z).keys(1, 1, 1).doc(G, "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.", "Count the number of members in a sorted set between a given lexicographical range"),
    cmd("zrange", -4, zrange).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set"),
    cmd("zrangestore", -5, zrangestore).flags(WD).acl(Z).keys(1, 2, 1).doc(G, "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Store a range of members from sorted set into another key"),
    cmd("zrangebyscore", -4, zrangebyscore).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score"),
    cmd("zrevrangebyscore", -4, zrevrangebyscore).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    cmd("zrangebylex", -4, zrangebylex).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range"),
    cmd("zrevrangebylex", -4, zrevrangebylex).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    cmd("zrevrange", -4, zrevrange).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    cmd("zrank", 3, zrank).flags(ROF).acl(Z).keys(1, 1, 1).doc(G, "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set"),
    cmd("zrevrank", 3, zrevrank).flags(ROF).acl(Z).keys(1, 1, 1).doc(G, "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    cmd("zpopmin", -2, zpopmin).flags(WF).acl(Z).keys(1, 1, 1).doc(G, "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the lowest scores in a sorted set"),
    cmd("zpopmax", -2, zpopmax).flags(WF).acl(Z).keys(1, 1, 1).doc(G, "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the highest scores in a sorted set"),
    cmd("zmpop", -4, zmpop).flags(W.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(NK1).doc(G, "7.0.0", "O(K) + O(N*log(M)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set"),
    cmd("bzpopmin", -3, bzpopmin).flags(BLK).acl(Z).keys(1, -2, 1).doc(G, "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    cmd("bzpopmax", -3, bzpopmax).flags(BLK).acl(Z).keys(1, -2, 1).doc(G, "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    cmd("bzmpop", -5, bzmpop).flags(W.union(Flags::BLOCKING).union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(KeySpec::NumKeys { numkeys_at: 2 }).doc(G, "7.0.0", "O(K) + O(N*log(M)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set or block until one is available"),
    cmd("zremrangebyscore", 4, zremrangebyscore).flags(W).acl(Z).keys(1, 1, 1).doc(G, "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given scores"),
    cmd("zremrangebyrank", 4, zremrangebyrank).flags(W).acl(Z).keys(1, 1, 1).doc(G, "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given indexes"),
    cmd("zremrangebylex", 4, zremrangebylex).flags(W).acl(Z).keys(1, 1, 1).doc(G, "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set between the given lexicographical range"),
    cmd("zunion", -3, zunion).flags(RO.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(NK1).doc(G, "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets"),
    cmd("zunionstore", -4, zunionstore).flags(WD.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(KeySpec::DestNumKeys { numkeys_at: 2 }).doc(G, "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    cmd("zinter", -3, zinter).flags(RO.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(NK1).doc(G, "6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets"),
    cmd("zinterstore", -4, zinterstore).flags(WD.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(KeySpec::DestNumKeys { numkeys_at: 2 }).doc(G, "2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    cmd("zintercard", -3, zintercard).flags(RO.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(NK1).doc(G, "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Intersect multiple sorted sets and return the cardinality of the result"),
    cmd("zdiff", -3, zdiff).flags(RO.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(NK1).doc(G, "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets"),
    cmd("zdiffstore", -4, zdiffstore).flags(WD.union(Flags::MOVABLE_KEYS)).acl(Z).keyspec(KeySpec::DestNumKeys { numkeys_at: 2 }).doc(G, "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    cmd("zrandmember", -2, zrandmember).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "6.2.0", "O(N) where N is the number of elements returned", "Get one or multiple random elements from a sorted set"),
    cmd("zscan", -3, zscan).flags(RO).acl(Z).keys(1, 1, 1).doc(G, "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate sorted sets elements and associated scores"),
];
