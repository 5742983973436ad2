//! String commands: SET and its variants (SETNX, SETEX, PSETEX, GETSET, GETEX, GETDEL), MGET,
//! MSET(NX), the integer and float counters, APPEND, STRLEN, GETRANGE/SUBSTR and SETRANGE.
//!
//! Each follows `t_string.c` of Redis 7.0 step by step, because the order of the checks decides
//! which error a client sees (GETEX, for example, replies null for a missing key before it looks
//! at an invalid expire time). Expiries are stored as absolute Unix ms; a SET with an absolute
//! time already in the past stores the key anyway and lazy expiry removes it, as Redis 7.0 does,
//! while GETEX with such a time deletes the key at once. INCRBYFLOAT computes in C `long double`
//! through the shim in `src/c/ldouble.c`.

use bytes::{Bytes, BytesMut};

use super::{cmd, lit, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group};
use crate::config::registry::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::store::{Entry, Value};
use crate::util::parse_i64;

/// The string at `key`, `None` if missing, WRONGTYPE if another type.
pub fn get_str<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a Bytes>, CmdError> {
    match ctx.ks.get(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Str(b) => Ok(Some(b)),
            #[allow(unreachable_patterns)]
            _ => Err(CmdError::WrongType),
        },
    }
}

/// The string in `e`, or WRONGTYPE.
fn str_of(e: &Entry) -> Result<&Bytes, CmdError> {
    match &e.value {
        Value::Str(b) => Ok(b),
        #[allow(unreachable_patterns)]
        _ => Err(CmdError::WrongType),
    }
}

/// The string in `e`, mutable, or WRONGTYPE.
fn str_mut(e: &mut Entry) -> Result<&mut Bytes, CmdError> {
    match &mut e.value {
        Value::Str(b) => Ok(b),
        #[allow(unreachable_patterns)]
        _ => Err(CmdError::WrongType),
    }
}

/// The flags of most string writes.
const WRITE_DENYOOM: Flags = Flags::WRITE.union(Flags::DENYOOM);

// ---------------------------------------------------------------------------------------------
// SET family

/// How an expire argument is to be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// EX: relative seconds.
    Ex,
    /// PX: relative milliseconds.
    Px,
    /// EXAT: absolute Unix seconds.
    ExAt,
    /// PXAT: absolute Unix milliseconds.
    PxAt,
}

/// Options of SET (and GETEX, which accepts only the expire ones and PERSIST).
#[derive(Default)]
struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// The unit and the argv index of the expire argument.
    expire: Option<(Unit, usize)>,
}

/// An argument as C sees it: SDS arguments are compared with `strcasecmp` and `opt[n] == '\0'`,
/// which both stop at an embedded NUL.
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Redis's `parseExtendedStringArgumentsOrReply`: options from `argv[from..]`. `is_set` selects
/// SET's options, otherwise GETEX's. Repeating the same option is allowed; conflicting ones, an
/// option foreign to the command, or an expire option with no value are syntax errors.
fn parse_opts(ctx: &Ctx, from: usize, is_set: bool) -> Result<SetOpts, CmdError> {
    let mut o = SetOpts::default();
    let argc = ctx.argv.len();
    let mut j = from;
    while j < argc {
        let opt = c_str(ctx.arg(j));
        let has_next = j + 1 < argc;
        let other_expire = |o: &SetOpts, me: Unit| o.expire.is_some_and(|(u, _)| u != me);
        let unit = [
            (&b"EX"[..], Unit::Ex),
            (b"PX", Unit::Px),
            (b"EXAT", Unit::ExAt),
            (b"PXAT", Unit::PxAt),
        ]
        .into_iter()
        .find(|(name, _)| opt.eq_ignore_ascii_case(name))
        .map(|(_, u)| u);
        if opt.eq_ignore_ascii_case(b"NX") && !o.xx && is_set {
            o.nx = true;
        } else if opt.eq_ignore_ascii_case(b"XX") && !o.nx && is_set {
            o.xx = true;
        } else if opt.eq_ignore_ascii_case(b"GET") && is_set {
            o.get = true;
        } else if opt.eq_ignore_ascii_case(b"KEEPTTL") && !o.persist && o.expire.is_none() && is_set
        {
            o.keepttl = true;
        } else if opt.eq_ignore_ascii_case(b"PERSIST")
            && !is_set
            && o.expire.is_none()
            && !o.keepttl
        {
            o.persist = true;
        } else if let Some(u) =
            unit.filter(|&u| !o.keepttl && !o.persist && !other_expire(&o, u) && has_next)
        {
            o.expire = Some((u, j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in Unix ms for the expire
/// argument at `idx`, or the command's `invalid expire time` error (also on overflow).
fn expire_ms(ctx: &Ctx, unit: Unit, idx: usize) -> Result<u64, CmdError> {
    let v = parse_i64(ctx.arg(idx)).ok_or(CmdError::NotInteger)?;
    let seconds = matches!(unit, Unit::Ex | Unit::ExAt);
    let invalid = || {
        CmdError::err(format_args!(
            "invalid expire time in '{}' command",
            ctx.cmd.full_name
        ))
    };
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(unit, Unit::Ex | Unit::Px) {
        // Redis adds mstime() in signed arithmetic; a sum that wraps is rejected as <= 0.
        ms = i64::try_from(ctx.ks.now)
            .ok()
            .and_then(|now| ms.checked_add(now))
            .ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms as u64)
}

/// What a SET-family command replies when it stores, or when NX/XX stop it.
#[derive(Clone, Copy)]
enum SetReply {
    /// `+OK` / null (SET, SETEX, PSETEX).
    OkOrNull,
    /// `:1` / `:0` (SETNX).
    OneOrZero,
}

/// Redis's `setGenericCommand`: SET, SETNX, SETEX and PSETEX.
fn set_generic(
    ctx: &mut Ctx,
    o: &SetOpts,
    key_i: usize,
    val_i: usize,
    reply: SetReply,
) -> CmdResult {
    let key = ctx.arg(key_i);
    let expire_at = match o.expire {
        Some((unit, idx)) => expire_ms(ctx, unit, idx)?,
        None => 0,
    };
    let (old, old_expire) = match ctx.ks.get(key) {
        Some(e) => {
            // Only GET cares about the old value's type: plain SET overwrites any type.
            let v = if o.get {
                Some(str_of(e)?.clone())
            } else {
                None
            };
            (Some(v), e.expire_at)
        }
        None => (None, 0),
    };
    let found = old.is_some();
    if (o.nx && found) || (o.xx && !found) {
        if o.get {
            match old.flatten() {
                Some(v) => ctx.out.bulk(&v),
                None => ctx.out.null(),
            }
        } else {
            match reply {
                SetReply::OkOrNull => ctx.out.null(),
                SetReply::OneOrZero => ctx.out.int(0),
            }
        }
        return Ok(());
    }
    let mut entry = Entry::new(Value::Str(Bytes::copy_from_slice(ctx.arg(val_i))));
    entry.expire_at = if o.expire.is_some() {
        expire_at
    } else if o.keepttl {
        old_expire
    } else {
        0
    };
    let db = ctx.ks.db;
    let has_expire = o.expire.is_some();
    ctx.ks.set_in(db, key, entry);
    ctx.dirty += 1;
    if has_expire {
        // Relative and second-based expiries are logged as an absolute PXAT.
        ctx.propagate(vec![
            lit("SET"),
            ctx.argv[key_i].clone(),
            ctx.argv[val_i].clone(),
            lit("PXAT"),
            Bytes::from(expire_at.to_string()),
        ]);
    }
    if o.get {
        match old.flatten() {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
        set_events(ctx, key, has_expire);
    } else {
        set_events(ctx, key, has_expire);
        match reply {
            SetReply::OkOrNull => ctx.out.ok(),
            SetReply::OneOrZero => ctx.out.int(1),
        }
    }
    Ok(())
}

/// The events of a SET: `set`, then `expire` when it set a TTL (Redis's `setGenericCommand`).
fn set_events(ctx: &mut Ctx, key: &[u8], expire: bool) {
    ctx.notify(NOTIFY_STRING, "set", key);
    if expire {
        ctx.notify(NOTIFY_GENERIC, "expire", key);
    }
}

/// SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]
fn set(ctx: &mut Ctx) -> CmdResult {
    let o = parse_opts(ctx, 3, true)?;
    set_generic(ctx, &o, 1, 2, SetReply::OkOrNull)
}

/// SETNX key value
fn setnx(ctx: &mut Ctx) -> CmdResult {
    let o = SetOpts {
        nx: true,
        ..SetOpts::default()
    };
    set_generic(ctx, &o, 1, 2, SetReply::OneOrZero)
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx) -> CmdResult {
    let o = SetOpts {
        expire: Some((Unit::Ex, 2)),
        ..SetOpts::default()
    };
    set_generic(ctx, &o, 1, 3, SetReply::OkOrNull)
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx) -> CmdResult {
    let o = SetOpts {
        expire: Some((Unit::Px, 2)),
        ..SetOpts::default()
    };
    set_generic(ctx, &o, 1, 3, SetReply::OkOrNull)
}

/// GET key
fn get(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    match get_str(ctx, key)?.cloned() {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// GETSET key value
fn getset(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let old = get_str(ctx, key)?.cloned();
    ctx.ks
        .set(key, Value::Str(Bytes::copy_from_slice(ctx.arg(2))));
    ctx.dirty += 1;
    match old {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
    ctx.notify(NOTIFY_STRING, "set", key);
    Ok(())
}

/// GETDEL key
fn getdel(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    match get_str(ctx, key)?.cloned() {
        Some(v) => {
            ctx.ks.del(key);
            ctx.dirty += 1;
            ctx.propagate(vec![lit("DEL"), ctx.argv[1].clone()]);
            ctx.out.bulk(&v);
            ctx.notify(NOTIFY_GENERIC, "del", key);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// GETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]
fn getex(ctx: &mut Ctx) -> CmdResult {
    let o = parse_opts(ctx, 2, false)?;
    let key = ctx.arg(1);
    let Some((val, had_expire)) = ctx
        .ks
        .get(key)
        .map(|e| Ok::<_, CmdError>((str_of(e)?.clone(), e.expire_at != 0)))
        .transpose()?
    else {
        ctx.out.null();
        return Ok(());
    };
    let expire_at = match o.expire {
        Some((unit, idx)) => Some((unit, expire_ms(ctx, unit, idx)?)),
        None => None,
    };
    ctx.out.bulk(&val);
    match expire_at {
        Some((Unit::ExAt | Unit::PxAt, at)) if at <= ctx.ks.now => {
            ctx.ks.del(key);
            ctx.dirty += 1;
            ctx.propagate(vec![lit("DEL"), ctx.argv[1].clone()]);
            ctx.notify(NOTIFY_GENERIC, "del", key);
        }
        Some((_, at)) => {
            ctx.ks.set_expire(key, at);
            ctx.dirty += 1;
            ctx.propagate(vec![
                lit("PEXPIREAT"),
                ctx.argv[1].clone(),
                Bytes::from(at.to_string()),
            ]);
            ctx.notify(NOTIFY_GENERIC, "expire", key);
        }
        None if o.persist && had_expire => {
            ctx.ks.set_expire(key, 0);
            ctx.dirty += 1;
            ctx.propagate(vec![lit("PERSIST"), ctx.argv[1].clone()]);
            ctx.notify(NOTIFY_GENERIC, "persist", key);
        }
        None => {}
    }
    Ok(())
}

/// MGET key [key ...]
fn mget(ctx: &mut Ctx) -> CmdResult {
    let keys = &ctx.argv[1..];
    ctx.out.array(keys.len());
    for k in keys {
        match ctx.ks.get(k).map(|e| &e.value) {
            Some(Value::Str(b)) => ctx.out.bulk(b),
            #[allow(unreachable_patterns)]
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

/// Redis's `msetGenericCommand`: MSET and MSETNX.
fn mset_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let argv = ctx.argv;
    if argv.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.cmd.full_name.clone()));
    }
    if nx && argv[1..].iter().step_by(2).any(|k| ctx.ks.exists(k)) {
        ctx.out.int(0);
        return Ok(());
    }
    for pair in argv[1..].chunks_exact(2) {
        ctx.ks
            .set(&pair[0], Value::Str(Bytes::copy_from_slice(&pair[1])));
        ctx.notify(NOTIFY_STRING, "set", &pair[0]);
    }
    ctx.dirty += (argv.len() as u64 - 1) / 2;
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, false)
}

/// MSETNX key value [key value ...]
fn msetnx(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, true)
}

// ---------------------------------------------------------------------------------------------
// Counters

/// Redis's `incrDecrCommand`: adds `by` to the integer at argv[1], keeping its TTL.
fn incr_decr(ctx: &mut Ctx, by: i64) -> CmdResult {
    let key = ctx.arg(1);
    let value = match ctx.ks.get(key) {
        Some(e) => {
            let cur = parse_i64(str_of(e)?).ok_or(CmdError::NotInteger)?;
            let v = cur.checked_add(by).ok_or(CmdError::Overflow)?;
            e.value = Value::Str(Bytes::copy_from_slice(
                itoa::Buffer::new().format(v).as_bytes(),
            ));
            v
        }
        None => {
            let text = itoa::Buffer::new().format(by).as_bytes().to_vec();
            ctx.ks.set(key, Value::Str(Bytes::from(text)));
            by
        }
    };
    ctx.dirty += 1;
    ctx.notify(NOTIFY_STRING, "incrby", key);
    ctx.out.int(value);
    Ok(())
}

/// INCR key
fn incr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, 1)
}

/// DECR key
fn decr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.int_arg(2)?;
    incr_decr(ctx, by)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.int_arg(2)?;
    let by = by
        .checked_neg()
        .ok_or_else(|| CmdError::msg("ERR decrement would overflow"))?;
    incr_decr(ctx, by)
}

extern "C" {
    /// `src/c/ldouble.c`: `cur + incr` in long double, formatted as Redis's
    /// `ld2string(LD_STR_HUMAN)`; the length written, -1 for an invalid float, -2 for NaN/inf.
    fn herald_incrbyfloat(
        cur: *const libc::c_char,
        curlen: libc::size_t,
        incr: *const libc::c_char,
        incrlen: libc::size_t,
        out: *mut libc::c_char,
        outcap: libc::size_t,
    ) -> libc::c_long;
}

/// Redis's MAX_LONG_DOUBLE_CHARS.
const LD_CHARS: usize = 5 * 1024;

/// `cur` (None = missing key, read as 0) plus `incr`, both parsed like Redis's `string2ld`, as
/// the text Redis stores and replies.
pub fn long_double_add(cur: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, CmdError> {
    let mut out = vec![0u8; LD_CHARS];
    let (cp, cl) = match cur {
        Some(c) => (c.as_ptr() as *const libc::c_char, c.len()),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: every pointer is valid for the length passed with it; the C side reads at most
    // that many bytes of each operand and writes at most `out.len()` bytes into `out`.
    let n = unsafe {
        herald_incrbyfloat(
            cp,
            cl,
            incr.as_ptr() as *const libc::c_char,
            incr.len(),
            out.as_mut_ptr() as *mut libc::c_char,
            out.len(),
        )
    };
    match n {
        -2 => Err(CmdError::err("increment would produce NaN or Infinity")),
        n if n < 0 => Err(CmdError::NotFloat),
        n => {
            out.truncate((n as usize).min(LD_CHARS));
            Ok(out)
        }
    }
}

/// INCRBYFLOAT key increment
fn incrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let (key, by) = (ctx.arg(1), ctx.arg(2));
    let text = match ctx.ks.get(key) {
        Some(e) => {
            let text = Bytes::from(long_double_add(Some(str_of(e)?), by)?);
            e.value = Value::Str(text.clone());
            text
        }
        None => {
            let text = Bytes::from(long_double_add(None, by)?);
            ctx.ks.set(key, Value::Str(text.clone()));
            text
        }
    };
    ctx.dirty += 1;
    // Logged as the result, so replay does not depend on float arithmetic (Redis does the same).
    ctx.propagate(vec![
        lit("SET"),
        ctx.argv[1].clone(),
        text.clone(),
        lit("KEEPTTL"),
    ]);
    ctx.notify(NOTIFY_STRING, "incrbyfloat", key);
    ctx.out.bulk(&text);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Editing

/// Redis's `checkStringLength`: `size + append` must not exceed proto-max-bulk-len.
fn check_string_length(ctx: &Ctx, size: u64, append: u64) -> CmdResult {
    let max = ctx.srv.config.read().proto_max_bulk_len;
    match size.checked_add(append) {
        Some(t) if t <= i64::MAX as u64 && (t as i64) <= max => Ok(()),
        _ => Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// A mutable buffer holding `b`, reusing its allocation when nothing else shares it, so that
/// repeated APPENDs stay amortized O(1) as with Redis's SDS strings.
fn into_mut(b: Bytes) -> BytesMut {
    b.try_into_mut().unwrap_or_else(|b| BytesMut::from(&b[..]))
}

/// APPEND key value
fn append(ctx: &mut Ctx) -> CmdResult {
    let (key, add) = (ctx.arg(1), ctx.arg(2));
    let cur_len = match ctx.ks.get(key) {
        Some(e) => Some(str_of(e)?.len()),
        None => None,
    };
    let total = match cur_len {
        None => {
            ctx.ks.set(key, Value::Str(Bytes::copy_from_slice(add)));
            add.len()
        }
        Some(len) => {
            check_string_length(ctx, len as u64, add.len() as u64)?;
            let e = ctx.ks.get(key).ok_or(CmdError::NoSuchKey)?;
            let b = str_mut(e)?;
            let mut m = into_mut(std::mem::take(b));
            m.extend_from_slice(add);
            *b = m.freeze();
            b.len()
        }
    };
    ctx.dirty += 1;
    ctx.notify(NOTIFY_STRING, "append", key);
    ctx.out.int(total as i64);
    Ok(())
}

/// STRLEN key
fn strlen(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.arg(1);
    let n = get_str(ctx, key)?.map_or(0, |b| b.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// GETRANGE key start end (and SUBSTR key start end)
fn getrange(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    let key = ctx.arg(1);
    let Some(s) = get_str(ctx, key)?.cloned() else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let len = s.len() as i128;
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        return Ok(());
    }
    let (mut start, mut end) = (start as i128, end as i128);
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        ctx.out.bulk(b"");
    } else {
        ctx.out
            .bulk(s.get(start as usize..=end as usize).unwrap_or_default());
    }
    Ok(())
}

/// SETRANGE key offset value
fn setrange(ctx: &mut Ctx) -> CmdResult {
    let offset = ctx.int_arg(2)?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let (key, val) = (ctx.arg(1), ctx.arg(3));
    let offset = offset as u64;
    let cur_len = match ctx.ks.get(key) {
        Some(e) => Some(str_of(e)?.len()),
        None => None,
    };
    if val.is_empty() {
        // Nothing to write: the length of what is there (0 for a missing key), no change.
        ctx.out.int(cur_len.unwrap_or(0) as i64);
        return Ok(());
    }
    check_string_length(ctx, offset, val.len() as u64)?;
    // Bounded by proto-max-bulk-len just above.
    let offset = offset as usize;
    let end = offset + val.len();
    let total = match cur_len {
        None => {
            let mut m = BytesMut::zeroed(end);
            m[offset..].copy_from_slice(val);
            ctx.ks.set(key, Value::Str(m.freeze()));
            end
        }
        Some(_) => {
            let e = ctx.ks.get(key).ok_or(CmdError::NoSuchKey)?;
            let b = str_mut(e)?;
            let mut m = into_mut(std::mem::take(b));
            if m.len() < end {
                m.resize(end, 0);
            }
            m[offset..end].copy_from_slice(val);
            *b = m.freeze();
            b.len()
        }
    };
    ctx.dirty += 1;
    ctx.notify(NOTIFY_STRING, "setrange", key);
    ctx.out.int(total as i64);
    Ok(())
}

pub const COMMANDS: &[CommandDef] = &[
    cmd("append", 3, append)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "2.0.0",
            "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
            "Append a value to a key",
        ),
    cmd("decr", 2, decr)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Decrement the integer value of a key by one",
        ),
    cmd("decrby", 3, decrby)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Decrement the integer value of a key by the given number",
        ),
    cmd("get", 2, get)
        .flags(Flags::READONLY.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(Group::String, "1.0.0", "O(1)", "Get the value of a key"),
    cmd("getdel", 2, getdel)
        .flags(Flags::WRITE.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "6.2.0",
            "O(1)",
            "Get the value of a key and delete the key",
        ),
    cmd("getex", -2, getex)
        .flags(Flags::WRITE.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "6.2.0",
            "O(1)",
            "Get the value of a key and optionally set its expiration",
        ),
    cmd("getrange", 4, getrange)
        .flags(Flags::READONLY)
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "2.4.0",
            "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
            "Get a substring of the string stored at a key",
        ),
    cmd("getset", 3, getset)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Set the string value of a key and return its old value",
        ),
    cmd("incr", 2, incr)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Increment the integer value of a key by one",
        ),
    cmd("incrby", 3, incrby)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Increment the integer value of a key by the given amount",
        ),
    cmd("incrbyfloat", 3, incrbyfloat)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "2.6.0",
            "O(1)",
            "Increment the float value of a key by the given amount",
        ),
    cmd("mget", -2, mget)
        .flags(Flags::READONLY.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, -1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(N) where N is the number of keys to retrieve.",
            "Get the values of all the given keys",
        ),
    cmd("mset", -3, mset)
        .flags(WRITE_DENYOOM)
        .acl(Acl::STRING)
        .keys(1, -1, 2)
        .doc(
            Group::String,
            "1.0.1",
            "O(N) where N is the number of keys to set.",
            "Set multiple keys to multiple values",
        ),
    cmd("msetnx", -3, msetnx)
        .flags(WRITE_DENYOOM)
        .acl(Acl::STRING)
        .keys(1, -1, 2)
        .doc(
            Group::String,
            "1.0.1",
            "O(N) where N is the number of keys to set.",
            "Set multiple keys to multiple values, only if none of the keys exist",
        ),
    cmd("psetex", 4, psetex)
        .flags(WRITE_DENYOOM)
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "2.6.0",
            "O(1)",
            "Set the value and expiration in milliseconds of a key",
        ),
    cmd("set", -3, set)
        .flags(WRITE_DENYOOM)
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Set the string value of a key",
        ),
    cmd("setex", 4, setex)
        .flags(WRITE_DENYOOM)
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "2.0.0",
            "O(1)",
            "Set the value and expiration of a key",
        ),
    cmd("setnx", 3, setnx)
        .flags(WRITE_DENYOOM.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Set the value of a key, only if the key does not exist",
        ),
    cmd("setrange", 4, setrange)
        .flags(WRITE_DENYOOM)
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "2.2.0",
            "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
            "Overwrite part of a string at key starting at the specified offset",
        ),
    cmd("strlen", 2, strlen)
        .flags(Flags::READONLY.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "2.2.0",
            "O(1)",
            "Get the length of the value stored in a key",
        ),
    cmd("substr", 4, getrange)
        .flags(Flags::READONLY)
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
            "Get a substring of the string stored at a key",
        ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn add(cur: Option<&str>, by: &str) -> Result<String, CmdError> {
        long_double_add(cur.map(str::as_bytes), by.as_bytes())
            .map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn long_double_formatting_matches_redis() {
        assert_eq!(add(Some("10.5"), "0.1").unwrap(), "10.6");
        assert_eq!(add(None, "1").unwrap(), "1");
        assert_eq!(add(Some("1"), "-1").unwrap(), "0");
        assert_eq!(add(Some("-0.5"), "0.5").unwrap(), "0");
        assert_eq!(add(Some("3.0e3"), "200").unwrap(), "3200");
        assert_eq!(add(None, "5.0e3").unwrap(), "5000");
    }

    #[test]
    fn long_double_errors() {
        assert_eq!(add(None, " 1"), Err(CmdError::NotFloat));
        assert_eq!(add(None, "1 "), Err(CmdError::NotFloat));
        assert_eq!(add(None, ""), Err(CmdError::NotFloat));
        assert_eq!(add(None, "nan"), Err(CmdError::NotFloat));
        assert_eq!(add(None, "1e5000"), Err(CmdError::NotFloat));
        assert_eq!(add(Some("abc"), "1"), Err(CmdError::NotFloat));
        assert_eq!(add(Some("1\0junk"), "1"), Err(CmdError::NotFloat));
        assert_eq!(add(None, "1\0"), Err(CmdError::NotFloat));
        assert_eq!(add(None, &"1".repeat(LD_CHARS)), Err(CmdError::NotFloat));
        assert_eq!(
            add(None, "inf").unwrap_err().text(),
            "ERR increment would produce NaN or Infinity"
        );
    }
}
