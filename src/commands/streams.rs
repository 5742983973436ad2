//! Stream commands: the event-stream half of Herald (XADD, XRANGE, XREAD, consumer groups).
//!
//! The data structure lives in [`crate::store::stream`]; this file parses arguments exactly as
//! Redis 7.0's `t_stream.c` does (same order of checks, so the same error wins) and encodes the
//! replies. XREAD/XREADGROUP BLOCK register a waiter with [`BlockOp::XRead`]; the waiter is
//! served by [`serve_blocked`], called from `crate::blocking` after an XADD (or an XGROUP
//! DESTROY, which wakes group readers with NOGROUP).
//!
//! AOF effects (XREADGROUP and XAUTOCLAIM propagate as XCLAIM + XGROUP SETID) are not emitted
//! yet; every group change goes through [`Stream::advance_group`], [`Group::deliver`] and
//! [`Group::reassign`], so that mapping has one place to hook into.

use bytes::Bytes;

use super::{
    arg, cmd, lit, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group as CmdGroup, KeySpec,
};
use crate::blocking::BlockOp;
use crate::config::registry::NOTIFY_STREAM;
use crate::protocol::Out;
use crate::store::stream::{
    parse_id_generic, parse_interval_id, parse_strict_id, EntryRef, Group, Stream, StreamId, Trim,
    INVALID_ENTRIES_READ, INVALID_ID,
};
use crate::store::{Locked, Value};

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// `%s` of a client argument in an error text.
fn s(b: &[u8]) -> String {
    let b = match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    };
    String::from_utf8_lossy(b).into_owned()
}

fn invalid_id() -> CmdError {
    CmdError::msg(INVALID_ID)
}

fn strict_id(a: &[u8]) -> Result<StreamId, CmdError> {
    parse_strict_id(a, 0).ok_or_else(invalid_id)
}

/// `getLongLongFromObjectOrReply` with an optional custom message.
fn ll(a: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    crate::util::parse_i64(a).ok_or_else(|| match msg {
        Some(m) => CmdError::err(m),
        None => CmdError::NotInteger,
    })
}

/// The stream at `key` in `db`: `None` if missing, WRONGTYPE if another type.
pub fn get_stream_in<'a>(
    ks: &'a mut Locked,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut Stream>, CmdError> {
    match ks.get_in(db, key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Stream(st) => Ok(Some(st)),
            _ => Err(CmdError::WrongType),
        },
    }
}

fn get_stream<'a>(ks: &'a mut Locked, key: &[u8]) -> Result<Option<&'a mut Stream>, CmdError> {
    let db = ks.db;
    get_stream_in(ks, db, key)
}

fn reply_id(out: &mut Out, id: StreamId) {
    let mut f = itoa::Buffer::new();
    let ms = f.format(id.ms).len();
    let mut buf = [0u8; 41];
    buf[..ms].copy_from_slice(f.format(id.ms).as_bytes());
    buf[ms] = b'-';
    let seq = f.format(id.seq);
    buf[ms + 1..ms + 1 + seq.len()].copy_from_slice(seq.as_bytes());
    out.bulk(&buf[..ms + 1 + seq.len()]);
}

/// `[id, [field, value, ...]]`.
fn reply_entry(out: &mut Out, e: &EntryRef) {
    out.array(2);
    reply_id(out, e.id());
    out.array(e.len() * 2);
    for (f, v) in e.pairs() {
        out.bulk(f);
        out.bulk(v);
    }
}

/// Entries in `[start, end]`, at most `count` (0 = all), as an array. Returns how many.
fn reply_range(
    out: &mut Out,
    st: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> usize {
    // The count is only known at the end: emit into a side buffer, then the header.
    let mut body = bytes::BytesMut::new();
    let mut n = 0;
    {
        let mut o = Out::new(&mut body, out.resp3);
        st.walk(start, end, rev, |e| {
            reply_entry(&mut o, &e);
            n += 1;
            count == 0 || n < count
        });
    }
    out.array(n);
    out.raw(&body);
    n
}

/// Redis's `addReplyHelp`: the header line, the subcommand lines, and HELP.
fn reply_help(out: &mut Out, name: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}

/// `addReplySubcommandSyntaxError`.
fn sub_syntax(ctx: &Ctx) -> CmdError {
    super::subcommand_syntax_error(ctx.argv)
}

// ---------------------------------------------------------------------------------------------
// XADD / XTRIM

/// Parsed XADD/XTRIM options (`streamParseAddOrTrimArgsOrReply`).
struct AddTrimArgs {
    how: Trim,
    approx: bool,
    limit: u64,
    nomkstream: bool,
    /// The explicit ID and whether its sequence was given (`None` for `*`).
    id: Option<(StreamId, bool)>,
    /// Index of the ID argument (XADD) or `argc` when the loop ran out.
    idx: usize,
}

fn parse_add_trim(argv: &[Bytes], xadd: bool) -> Result<AddTrimArgs, CmdError> {
    let argc = argv.len();
    let mut a = AddTrimArgs {
        how: Trim::None,
        approx: false,
        limit: 0,
        nomkstream: false,
        id: None,
        idx: argc,
    };
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = arg(argv, i);
        if xadd && opt == b"*" {
            a.idx = i;
            break;
        } else if (eq(opt, "maxlen") || eq(opt, "minid")) && more > 0 {
            if a.how != Trim::None {
                return Err(CmdError::err(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            a.approx = false;
            let next = arg(argv, i + 1);
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if eq(opt, "maxlen") {
                let n = ll(arg(argv, i + 1), None)?;
                if n < 0 {
                    return Err(CmdError::err("The MAXLEN argument must be >= 0."));
                }
                a.how = Trim::MaxLen(n as u64);
            } else {
                a.how = Trim::MinId(strict_id(arg(argv, i + 1))?);
            }
            i += 1;
        } else if eq(opt, "limit") && more > 0 {
            limit = ll(arg(argv, i + 1), None)?;
            if limit < 0 {
                return Err(CmdError::err("The LIMIT argument must be >= 0."));
            }
            limit_given = true;
            i += 1;
        } else if xadd && eq(opt, "nomkstream") {
            a.nomkstream = true;
        } else if xadd {
            let id = parse_id_generic(opt, 0, true, true).ok_or_else(invalid_id)?;
            a.id = Some(id);
            a.idx = i;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if limit != 0 && a.how == Trim::None {
        return Err(CmdError::err(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.how == Trim::None {
        return Err(CmdError::err(
            "syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if limit_given {
        if !a.approx {
            return Err(CmdError::err(
                "syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
        a.limit = limit as u64;
    } else {
        a.limit = if a.approx {
            100 * crate::store::stream::NODE_MAX_ENTRIES
        } else {
            0
        };
    }
    Ok(a)
}

/// The trimming arguments to log: an approximate trim becomes the exact one that removes the
/// same entries (`MAXLEN = <length now>` / `MINID = <first ID now>`), as Redis's
/// `streamRewriteApproxSpecifier` does; nothing when it removed nothing.
fn exact_trim(st: &Stream, how: Trim, approx: bool, trimmed: u64) -> Vec<Bytes> {
    match how {
        Trim::None => Vec::new(),
        _ if approx && trimmed == 0 => Vec::new(),
        _ if approx && st.length == 0 => vec![lit("MAXLEN"), lit("="), lit("0")],
        Trim::MaxLen(n) => {
            let n = if approx { st.length } else { n };
            vec![lit("MAXLEN"), lit("="), Bytes::from(n.to_string())]
        }
        Trim::MinId(id) => {
            let id = if approx { st.first_id } else { id };
            vec![lit("MINID"), lit("="), Bytes::from(id.to_bytes())]
        }
    }
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
fn xadd(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let a = parse_add_trim(argv, true)?;
    let field_pos = a.idx + 1;
    if argv.len() < field_pos + 2 || (argv.len() - field_pos) % 2 == 1 {
        return Err(CmdError::WrongArity(ctx.cmd.full_name.clone()));
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Err(CmdError::err(
                "The ID specified in XADD must be greater than 0-0",
            ));
        }
    }
    let key = arg(argv, 1);
    let pairs = &argv[field_pos..];
    let now = ctx.ks.now;
    let exists = get_stream(&mut ctx.ks, key)?.is_some();
    if !exists && a.nomkstream {
        ctx.out.null();
        return Ok(());
    }
    let last = match get_stream(&mut ctx.ks, key)? {
        Some(st) => st.last_id,
        None => StreamId::MIN,
    };
    if last == StreamId::MAX {
        return Err(CmdError::err(
            "The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let top_err = || {
        CmdError::err(
            "The ID specified in XADD is equal or smaller than the target stream top item",
        )
    };
    let id = match a.id {
        None => {
            if now > last.ms {
                StreamId::new(now, 0)
            } else {
                last.incr().ok_or_else(top_err)?
            }
        }
        Some((id, true)) => id,
        Some((id, false)) => {
            if last.ms == id.ms {
                last.incr().filter(|n| n.ms == id.ms).ok_or_else(top_err)?
            } else {
                id
            }
        }
    };
    if id <= last {
        return Err(top_err());
    }
    let total: usize = pairs.iter().map(|p| p.len()).sum();
    if total > (1 << 30) {
        return Err(CmdError::err("Elements are too large to be stored"));
    }
    if !exists {
        ctx.ks.set(key, Value::Stream(Box::new(Stream::new())));
    }
    let Some(st) = get_stream(&mut ctx.ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    st.append(id, pairs);
    let trimmed = if a.how != Trim::None {
        st.trim(a.how, a.approx, a.limit)
    } else {
        0
    };
    let trim = exact_trim(st, a.how, a.approx, trimmed);
    // Logged with the ID it got and an exact trim, so replay needs no clock and cuts the same.
    let mut eff = Vec::with_capacity(argv.len() + 4);
    eff.push(lit("XADD"));
    eff.push(argv[1].clone());
    if a.nomkstream {
        eff.push(lit("NOMKSTREAM"));
    }
    eff.extend(trim);
    eff.push(Bytes::from(id.to_bytes()));
    eff.extend(pairs.iter().cloned());
    ctx.propagate(eff);
    reply_id(&mut ctx.out, id);
    ctx.dirty += 1;
    ctx.signal_ready(key);
    ctx.notify(NOTIFY_STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(NOTIFY_STREAM, "xtrim", key);
    }
    Ok(())
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
fn xtrim(ctx: &mut Ctx) -> CmdResult {
    let a = parse_add_trim(ctx.argv, false)?;
    let Some(st) = get_stream(&mut ctx.ks, arg(ctx.argv, 1))? else {
        ctx.out.int(0);
        return Ok(());
    };
    let n = st.trim(a.how, a.approx, a.limit);
    ctx.dirty += n;
    if n > 0 && a.approx {
        let mut eff = vec![lit("XTRIM"), ctx.argv[1].clone()];
        eff.extend(exact_trim(st, a.how, true, n));
        ctx.propagate(eff);
    }
    if n > 0 {
        ctx.notify(NOTIFY_STREAM, "xtrim", arg(ctx.argv, 1));
    }
    ctx.out.int(n as i64);
    Ok(())
}

/// XLEN key
fn xlen(ctx: &mut Ctx) -> CmdResult {
    let n = get_stream(&mut ctx.ks, arg(ctx.argv, 1))?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count]
fn range_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let argv = ctx.argv;
    let (sa, ea) = if rev {
        (arg(argv, 3), arg(argv, 2))
    } else {
        (arg(argv, 2), arg(argv, 3))
    };
    let (mut start, sx) = parse_interval_id(sa, 0).ok_or_else(invalid_id)?;
    if sx {
        start = start
            .incr()
            .ok_or_else(|| CmdError::err("invalid start ID for the interval"))?;
    }
    let (mut end, ex) = parse_interval_id(ea, u64::MAX).ok_or_else(invalid_id)?;
    if ex {
        end = end
            .decr()
            .ok_or_else(|| CmdError::err("invalid end ID for the interval"))?;
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if eq(arg(argv, j), "count") && j + 1 < argv.len() {
            count = ll(arg(argv, j + 1), None)?.max(0);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(st) = get_stream(&mut ctx.ks, arg(argv, 1))? else {
        ctx.out.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.null_array();
        return Ok(());
    }
    let count = if count < 0 { 0 } else { count as usize };
    reply_range(&mut ctx.out, st, start, end, count, rev);
    Ok(())
}

/// XRANGE key start end [COUNT count]
fn xrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, false)
}

/// XREVRANGE key end start [COUNT count]
fn xrevrange(ctx: &mut Ctx) -> CmdResult {
    range_generic(ctx, true)
}

/// XDEL key id [id ...]
fn xdel(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    if get_stream(&mut ctx.ks, arg(argv, 1))?.is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    let ids = argv[2..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(st) = get_stream(&mut ctx.ks, arg(argv, 1))? else {
        ctx.out.int(0);
        return Ok(());
    };
    let n = ids.into_iter().filter(|&id| st.delete(id)).count();
    ctx.dirty += n as u64;
    if n > 0 {
        ctx.notify(NOTIFY_STREAM, "xdel", arg(argv, 1));
    }
    ctx.out.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// XREAD / XREADGROUP

/// COUNT of a blocked XREAD without one: a client blocked with a low ID is not sent a huge
/// backlog in one reply (Redis's `XREAD_BLOCKED_DEFAULT_COUNT`).
const XREAD_BLOCKED_DEFAULT_COUNT: usize = 1000;

/// What an XREADGROUP reads for: the group, the consumer, and NOACK.
#[derive(Debug, Clone)]
pub struct GroupRead {
    pub group: Bytes,
    pub consumer: Bytes,
    pub noack: bool,
}

/// Emits the entries of a group read after `gt` (the `>` case): advances the group and records
/// deliveries (unless NOACK). Returns how many were sent.
fn reply_group_new(
    out: &mut Out,
    st: &mut Stream,
    gr: &GroupRead,
    gt: StreamId,
    count: usize,
    now: u64,
) -> Vec<StreamId> {
    let Some(start) = gt.incr() else {
        out.array(0);
        return Vec::new();
    };
    let mut ids = Vec::new();
    let mut body = bytes::BytesMut::new();
    {
        let mut o = Out::new(&mut body, out.resp3);
        st.walk(start, StreamId::MAX, false, |e| {
            reply_entry(&mut o, &e);
            ids.push(e.id());
            count == 0 || ids.len() < count
        });
    }
    out.array(ids.len());
    out.raw(&body);
    for &id in &ids {
        st.advance_group(&gr.group, id);
        if !gr.noack {
            if let Some(g) = st.groups.get_mut(&gr.group[..]) {
                g.deliver(id, &gr.consumer, now);
            }
        }
    }
    ids
}

/// Emits a consumer's own pending entries from `start` (history read); entries deleted since
/// are sent as `[id, nil]`. Delivery time and count of the sent ones are updated.
fn reply_group_history(
    out: &mut Out,
    st: &mut Stream,
    gr: &GroupRead,
    start: StreamId,
    count: usize,
    now: u64,
) -> Vec<StreamId> {
    let ids: Vec<StreamId> = st
        .groups
        .get(&gr.group[..])
        .and_then(|g| g.consumers.get(&gr.consumer[..]))
        .map(|c| {
            let it = c.pel.range(start..).copied();
            if count == 0 {
                it.collect()
            } else {
                it.take(count).collect()
            }
        })
        .unwrap_or_default();
    out.array(ids.len());
    for &id in &ids {
        match st.get(id) {
            Some(e) => {
                reply_entry(out, &e);
                if let Some(n) = st
                    .groups
                    .get_mut(&gr.group[..])
                    .and_then(|g| g.pel.get_mut(&id))
                {
                    n.delivery_time = now;
                    n.delivery_count += 1;
                }
            }
            None => {
                out.array(2);
                reply_id(out, id);
                out.null_array();
            }
        }
    }
    ids
}

/// Creates the consumer if needed and refreshes its seen-time; true if it was created.
fn touch_consumer(st: &mut Stream, gr: &GroupRead, now: u64) -> bool {
    let Some(g) = st.groups.get_mut(&gr.group[..]) else {
        return false;
    };
    let created = g.create_consumer(&gr.consumer, now);
    if let Some(c) = g.consumers.get_mut(&gr.consumer[..]) {
        c.seen_time = now;
    }
    created
}

/// Key positions of XREAD/XREADGROUP: the first half of the arguments after `STREAMS`.
fn xread_keys(argv: &[Bytes], from: usize) -> smallvec::SmallVec<[usize; 8]> {
    let mut out = smallvec::SmallVec::new();
    if let Some(p) = (from..argv.len()).find(|&i| eq(&argv[i], "streams")) {
        let n = (argv.len() - p - 1) / 2;
        out.extend(p + 1..p + 1 + n);
    }
    out
}

fn xread_keyspec(argv: &[Bytes]) -> smallvec::SmallVec<[usize; 8]> {
    xread_keys(argv, 1)
}

fn xreadgroup_keyspec(argv: &[Bytes]) -> smallvec::SmallVec<[usize; 8]> {
    xread_keys(argv, 4)
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...] and
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [...] id [...]
fn xread_generic(ctx: &mut Ctx, xreadgroup: bool) -> CmdResult {
    let argv = ctx.argv;
    let argc = argv.len();
    let mut timeout: Option<u64> = None;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut group: Option<(Bytes, Bytes)> = None;
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = arg(argv, i);
        if eq(o, "block") && more > 0 {
            i += 1;
            let t = crate::util::parse_i64(arg(argv, i))
                .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
            if t < 0 {
                return Err(CmdError::err("timeout is negative"));
            }
            // Redis 7.0 adds the current time without an overflow check; a deadline that far
            // away means "forever" in practice.
            let now = ctx.ks.now as i64;
            timeout = Some(if t > 0 {
                t.saturating_add(now) as u64
            } else {
                0
            });
        } else if eq(o, "count") && more > 0 {
            i += 1;
            count = ll(arg(argv, i), None)?.max(0);
        } else if eq(o, "streams") && more > 0 {
            streams_arg = i + 1;
            streams_count = argc - streams_arg;
            if streams_count % 2 != 0 {
                return Err(CmdError::err("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."));
            }
            streams_count /= 2;
            break;
        } else if eq(o, "group") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 2;
        } else if eq(o, "noack") {
            if !xreadgroup {
                return Err(CmdError::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if streams_arg == 0 {
        return Err(CmdError::Syntax);
    }
    if xreadgroup && group.is_none() {
        return Err(CmdError::err("Missing GROUP option for XREADGROUP"));
    }
    let gr = group.map(|(g, c)| GroupRead {
        group: g,
        consumer: c,
        noack,
    });
    let mut ids = Vec::with_capacity(streams_count);
    for k in 0..streams_count {
        let key = arg(argv, streams_arg + k);
        let ida = arg(argv, streams_arg + streams_count + k);
        let st = get_stream(&mut ctx.ks, key)?;
        if let Some(gr) = &gr {
            if !st
                .as_ref()
                .is_some_and(|s| s.groups.contains_key(&gr.group[..]))
            {
                return Err(CmdError::msg(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    s(key),
                    s(&gr.group)
                )));
            }
        }
        if ida == b"$" {
            if xreadgroup {
                return Err(CmdError::err("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."));
            }
            ids.push(st.map_or(StreamId::MIN, |s| s.last_id));
            continue;
        } else if ida == b">" {
            if !xreadgroup {
                return Err(CmdError::err("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."));
            }
            ids.push(StreamId::MAX);
            continue;
        }
        ids.push(strict_id(ida)?);
    }

    // Serve synchronously what can be served.
    let now = ctx.ks.now;
    let count = count as usize;
    let mut served = 0;
    let mut body = bytes::BytesMut::new();
    // Where in `body` a consumer was created, and for which key: Redis publishes that event
    // into the reply right after the stream's name.
    let mut created_at: Vec<(usize, usize)> = Vec::new();
    let resp3 = ctx.out.resp3;
    // A group read is logged as its effects only (see `group_effects`).
    let mut effects: Vec<Vec<Bytes>> = Vec::new();
    if xreadgroup {
        ctx.no_propagate();
    }
    for (k, gt) in ids.iter().enumerate() {
        let key = arg(argv, streams_arg + k);
        let Some(st) = get_stream(&mut ctx.ks, key)? else {
            continue;
        };
        let mut gt = *gt;
        let mut history = false;
        let serve = match &gr {
            Some(gr) => {
                if gt != StreamId::MAX {
                    history = true;
                    true
                } else if !st.is_empty() {
                    let last = st
                        .groups
                        .get(&gr.group[..])
                        .map_or(StreamId::MAX, |g| g.last_id);
                    if st.last_valid_id() > last {
                        gt = last;
                        true
                    } else {
                        false
                    }
                } else {
                    false
                }
            }
            None => !st.is_empty() && st.last_valid_id() > gt,
        };
        if !serve {
            continue;
        }
        served += 1;
        let mut o = Out::new(&mut body, resp3);
        if !resp3 {
            o.array(2);
        }
        o.bulk(key);
        match &gr {
            Some(gr) => {
                let mut fx = GroupChange::default();
                if touch_consumer(st, gr, now) {
                    ctx.dirty += 1;
                    created_at.push((o.buf.len(), streams_arg + k));
                    fx.created = Some(gr.consumer.clone());
                }
                if history {
                    fx.touched = reply_group_history(
                        &mut o,
                        st,
                        gr,
                        gt.incr().unwrap_or_default(),
                        count,
                        now,
                    );
                } else {
                    let ids = reply_group_new(&mut o, st, gr, gt, count, now);
                    fx.setid = !ids.is_empty();
                    if !gr.noack {
                        fx.touched = ids;
                    }
                }
                effects.extend(group_effects(key, &gr.group, st, &fx));
                ctx.dirty += 1;
            }
            None => {
                let start = gt.incr().unwrap_or_default();
                reply_range(&mut o, st, start, StreamId::MAX, count, false);
            }
        }
    }
    for e in effects {
        ctx.propagate(e);
    }
    if served > 0 {
        if resp3 {
            ctx.out.map(served);
        } else {
            ctx.out.array(served);
        }
        let mut from = 0;
        for (at, key_at) in created_at {
            ctx.out.raw(body.get(from..at).unwrap_or_default());
            from = at;
            ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", arg(argv, key_at));
        }
        ctx.out.raw(body.get(from..).unwrap_or_default());
        return Ok(());
    }
    let Some(deadline) = timeout else {
        ctx.out.null_array();
        return Ok(());
    };
    if !ctx.may_block() {
        ctx.out.null_array();
        return Ok(());
    }
    let keys = argv[streams_arg..streams_arg + streams_count].to_vec();
    ctx.block_on(
        keys,
        BlockOp::XRead {
            ids,
            count: if count == 0 {
                XREAD_BLOCKED_DEFAULT_COUNT
            } else {
                count
            },
            group: gr,
        },
        deadline,
    );
    Ok(())
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
fn xread(ctx: &mut Ctx) -> CmdResult {
    xread_generic(ctx, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [...] id [...]
fn xreadgroup(ctx: &mut Ctx) -> CmdResult {
    xread_generic(ctx, true)
}

/// Serves a client blocked by XREAD/XREADGROUP (`op`) on `key`, the `idx`-th of its keys,
/// whose stream is `st` (`None` when the key is missing or holds another type). Returns the
/// reply when the client can be served now (data, or the error that unblocks it), `None` when
/// it must keep waiting. `claim` is called once the waiter is definitely served, before any
/// change to the stream; if it returns false (the waiter timed out meanwhile) nothing changes.
pub fn serve_blocked(
    st: Option<&mut Stream>,
    key: &[u8],
    op: &BlockOp,
    idx: usize,
    resp3: bool,
    now: u64,
    claim: impl FnOnce() -> bool,
) -> Option<(Vec<u8>, bool, Vec<Vec<Bytes>>)> {
    let BlockOp::XRead { ids, count, group } = op else {
        return None;
    };
    let (count, group) = (*count, group.as_ref());
    let mut buf = bytes::BytesMut::new();
    let Some(st) = st else {
        // A plain XREAD keeps waiting for the key to come back; a group reader is told.
        group?;
        if !claim() {
            return None;
        }
        Out::new(&mut buf, resp3).error("UNBLOCKED the stream key no longer exists");
        return Some((buf.to_vec(), false, Vec::new()));
    };
    let gt = match group {
        Some(gr) => match st.groups.get(&gr.group[..]) {
            None => {
                if !claim() {
                    return None;
                }
                Out::new(&mut buf, resp3).error(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                );
                return Some((buf.to_vec(), false, Vec::new()));
            }
            Some(g) => g.last_id,
        },
        None => *ids.get(idx)?,
    };
    if st.last_id <= gt {
        return None;
    }
    if !claim() {
        return None;
    }
    let mut out = Out::new(&mut buf, resp3);
    if resp3 {
        out.map(1);
    } else {
        out.array(1);
        out.array(2);
    }
    out.bulk(key);
    let mut created = false;
    let mut effects = Vec::new();
    match group {
        Some(gr) => {
            created = touch_consumer(st, gr, now);
            let ids = reply_group_new(&mut out, st, gr, gt, count, now);
            let fx = GroupChange {
                created: created.then(|| gr.consumer.clone()),
                setid: !ids.is_empty(),
                touched: if gr.noack { Vec::new() } else { ids },
            };
            effects = group_effects(key, &gr.group, st, &fx);
        }
        None => {
            let start = gt.incr().unwrap_or_default();
            reply_range(&mut out, st, start, StreamId::MAX, count, false);
        }
    }
    Some((buf.to_vec(), created, effects))
}

// ---------------------------------------------------------------------------------------------
// AOF effects of group reads and claims

/// What a group read or claim changed in one group: the consumer it created, the pending
/// entries it created, redelivered, claimed or dropped, and whether it moved the group's
/// last-delivered ID.
#[derive(Default)]
pub struct GroupChange {
    pub created: Option<Bytes>,
    pub touched: Vec<StreamId>,
    pub setid: bool,
}

/// The one place that maps consumer-group changes (XREADGROUP, XCLAIM, XAUTOCLAIM, a served
/// blocked XREADGROUP) to the deterministic commands the AOF logs, as Redis propagates them:
/// `XGROUP CREATECONSUMER` for a new consumer; for each touched pending entry, `XCLAIM key
/// group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID` restating its final owner, delivery
/// time and count (or `XACK` when it is no longer pending: a claimed entry that was deleted);
/// then `XGROUP SETID key group id ENTRIESREAD n` when the last-delivered ID moved. Reads `st`
/// after the change, so replaying these commands reproduces the group exactly.
pub fn group_effects(key: &[u8], group: &[u8], st: &Stream, fx: &GroupChange) -> Vec<Vec<Bytes>> {
    let Some(g) = st.groups.get(group) else {
        return Vec::new();
    };
    let key = Bytes::copy_from_slice(key);
    let group_b = Bytes::copy_from_slice(group);
    let mut out = Vec::new();
    if let Some(c) = &fx.created {
        out.push(vec![
            lit("XGROUP"),
            lit("CREATECONSUMER"),
            key.clone(),
            group_b.clone(),
            c.clone(),
        ]);
    }
    for id in &fx.touched {
        let idb = Bytes::from(id.to_bytes());
        match g.pel.get(id) {
            Some(n) => out.push(vec![
                lit("XCLAIM"),
                key.clone(),
                group_b.clone(),
                Bytes::copy_from_slice(g.consumer_name(n.consumer)),
                lit("0"),
                idb,
                lit("TIME"),
                Bytes::from(n.delivery_time.to_string()),
                lit("RETRYCOUNT"),
                Bytes::from(n.delivery_count.to_string()),
                lit("FORCE"),
                lit("JUSTID"),
            ]),
            None => out.push(vec![lit("XACK"), key.clone(), group_b.clone(), idb]),
        }
    }
    if fx.setid {
        out.push(vec![
            lit("XGROUP"),
            lit("SETID"),
            key,
            group_b,
            Bytes::from(g.last_id.to_bytes()),
            lit("ENTRIESREAD"),
            Bytes::from(g.entries_read.to_string()),
        ]);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Consumer groups

fn nogroup_for_key(group: &[u8], key: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        s(group),
        s(key)
    ))
}

fn nogroup_key_or_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        s(key),
        s(group)
    ))
}

/// The container of the XGROUP subcommands (dispatch resolves the subcommand first).
fn xgroup_container(ctx: &mut Ctx) -> CmdResult {
    Err(sub_syntax(ctx))
}

/// Shared prelude of XGROUP subcommands: option parsing (CREATE/SETID), key and group checks.
/// Returns (mkstream, entries_read).
fn xgroup_prelude(ctx: &mut Ctx, sub: &str) -> Result<(bool, i64), CmdError> {
    let argv = ctx.argv;
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    if sub == "create" || sub == "setid" {
        let mut i = 5;
        while i < argv.len() {
            if sub == "create" && eq(arg(argv, i), "mkstream") {
                mkstream = true;
                i += 1;
            } else if eq(arg(argv, i), "entriesread") && i + 1 < argv.len() {
                entries_read = ll(arg(argv, i + 1), None)?;
                if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                    return Err(CmdError::err(
                        "value for ENTRIESREAD must be positive or -1",
                    ));
                }
                i += 2;
            } else {
                return Err(sub_syntax(ctx));
            }
        }
    }
    let key = arg(argv, 2);
    let grp = arg(argv, 3);
    let st = get_stream(&mut ctx.ks, key)?;
    if !mkstream {
        let Some(st) = st else {
            return Err(CmdError::err("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."));
        };
        if !st.groups.contains_key(grp) && matches!(sub, "setid" | "createconsumer" | "delconsumer")
        {
            return Err(nogroup_for_key(grp, key));
        }
    }
    Ok((mkstream, entries_read))
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries_read]
fn xgroup_create(ctx: &mut Ctx) -> CmdResult {
    let (_mkstream, entries_read) = xgroup_prelude(ctx, "create")?;
    let argv = ctx.argv;
    if argv.len() > 8 {
        return Err(sub_syntax(ctx));
    }
    let key = arg(argv, 2);
    let grp = arg(argv, 3);
    let last = get_stream(&mut ctx.ks, key)?.map(|s| s.last_id);
    let id = if arg(argv, 4) == b"$" {
        last.unwrap_or_default()
    } else {
        strict_id(arg(argv, 4))?
    };
    if last.is_none() {
        ctx.ks.set(key, Value::Stream(Box::new(Stream::new())));
    }
    let Some(st) = get_stream(&mut ctx.ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    if st.groups.contains_key(grp) {
        return Err(CmdError::msg(
            "BUSYGROUP Consumer Group name already exists",
        ));
    }
    st.groups
        .insert(Bytes::copy_from_slice(grp), Group::new(id, entries_read));
    ctx.dirty += 1;
    ctx.out.ok();
    ctx.notify(NOTIFY_STREAM, "xgroup-create", key);
    Ok(())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD entries_read]
fn xgroup_setid(ctx: &mut Ctx) -> CmdResult {
    let (_, entries_read) = xgroup_prelude(ctx, "setid")?;
    let argv = ctx.argv;
    if argv.len() != 5 && argv.len() != 7 {
        return Err(sub_syntax(ctx));
    }
    let Some(st) = get_stream(&mut ctx.ks, arg(argv, 2))? else {
        return Err(CmdError::NoSuchKey);
    };
    let id = if arg(argv, 4) == b"$" {
        st.last_id
    } else {
        crate::store::stream::parse_id(arg(argv, 4), 0).ok_or_else(invalid_id)?
    };
    if let Some(g) = st.groups.get_mut(arg(argv, 3)) {
        g.last_id = id;
        g.entries_read = entries_read;
    }
    ctx.dirty += 1;
    ctx.out.ok();
    ctx.notify(NOTIFY_STREAM, "xgroup-setid", arg(argv, 2));
    Ok(())
}

/// XGROUP DESTROY key group
fn xgroup_destroy(ctx: &mut Ctx) -> CmdResult {
    xgroup_prelude(ctx, "destroy")?;
    let key = arg(ctx.argv, 2);
    let removed = get_stream(&mut ctx.ks, key)?
        .and_then(|st| st.groups.remove(arg(ctx.argv, 3)))
        .is_some();
    if removed {
        ctx.dirty += 1;
        // Group readers blocked on this key are woken with NOGROUP.
        ctx.signal_ready(key);
    }
    ctx.out.int(removed as i64);
    if removed {
        ctx.notify(NOTIFY_STREAM, "xgroup-destroy", key);
    }
    Ok(())
}

/// XGROUP CREATECONSUMER key group consumer
fn xgroup_createconsumer(ctx: &mut Ctx) -> CmdResult {
    xgroup_prelude(ctx, "createconsumer")?;
    let now = ctx.ks.now;
    let argv = ctx.argv;
    let created = get_stream(&mut ctx.ks, arg(argv, 2))?
        .and_then(|st| st.groups.get_mut(arg(argv, 3)))
        .is_some_and(|g| g.create_consumer(arg(argv, 4), now));
    if created {
        ctx.dirty += 1;
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", arg(argv, 2));
    }
    ctx.out.int(created as i64);
    Ok(())
}

/// XGROUP DELCONSUMER key group consumer
fn xgroup_delconsumer(ctx: &mut Ctx) -> CmdResult {
    xgroup_prelude(ctx, "delconsumer")?;
    let argv = ctx.argv;
    let pending = get_stream(&mut ctx.ks, arg(argv, 2))?
        .and_then(|st| st.groups.get_mut(arg(argv, 3)))
        .and_then(|g| g.delete_consumer(arg(argv, 4)));
    if pending.is_some() {
        ctx.dirty += 1;
        ctx.notify(NOTIFY_STREAM, "xgroup-delconsumer", arg(argv, 2));
    }
    ctx.out.int(pending.unwrap_or(0) as i64);
    Ok(())
}

/// XGROUP HELP
fn xgroup_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        &mut ctx.out,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

/// XACK key group id [id ...]
fn xack(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let has_group = get_stream(&mut ctx.ks, arg(argv, 1))?
        .is_some_and(|st| st.groups.contains_key(arg(argv, 2)));
    if !has_group {
        ctx.out.int(0);
        return Ok(());
    }
    let ids = argv[3..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut n = 0;
    if let Some(g) =
        get_stream(&mut ctx.ks, arg(argv, 1))?.and_then(|st| st.groups.get_mut(arg(argv, 2)))
    {
        for id in ids {
            if g.ack(id) {
                n += 1;
            }
        }
    }
    ctx.dirty += n;
    ctx.out.int(n as i64);
    Ok(())
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
fn xpending(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let argc = argv.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut minidle = 0;
    let mut count: i64 = 0;
    let mut start = StreamId::MIN;
    let mut end = StreamId::MAX;
    let mut consumer: Option<&[u8]> = None;
    if argc >= 6 {
        let mut si = 3;
        if eq(arg(argv, 3), "idle") {
            minidle = ll(arg(argv, 4), None)?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            si += 2;
        }
        count = ll(arg(argv, si + 2), None)?.max(0);
        let (s0, sx) = parse_interval_id(arg(argv, si), 0).ok_or_else(invalid_id)?;
        start = s0;
        if sx {
            start = start
                .incr()
                .ok_or_else(|| CmdError::err("invalid start ID for the interval"))?;
        }
        let (e0, ex) = parse_interval_id(arg(argv, si + 1), u64::MAX).ok_or_else(invalid_id)?;
        end = e0;
        if ex {
            end = end
                .decr()
                .ok_or_else(|| CmdError::err("invalid end ID for the interval"))?;
        }
        if si + 3 < argc {
            consumer = Some(arg(argv, si + 3));
        }
    }
    let key = arg(argv, 1);
    let grp = arg(argv, 2);
    let now = crate::util::now_ms();
    let Some(g) = get_stream(&mut ctx.ks, key)?.and_then(|st| st.groups.get(grp)) else {
        return Err(nogroup_key_or_group(key, grp));
    };
    let out = &mut ctx.out;
    if justinfo {
        out.array(4);
        out.int(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                reply_id(out, first);
                reply_id(out, last);
                let with: Vec<_> = g
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                out.array(with.len());
                for (name, c) in with {
                    out.array(2);
                    out.bulk(name);
                    out.bulk_int(c.pel.len() as i64);
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    }
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) => c
                .pel
                .range(start..)
                .copied()
                .take_while(|id| *id <= end)
                .collect(),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None => g
            .pel
            .range(start..)
            .map(|(id, _)| *id)
            .take_while(|id| *id <= end)
            .collect(),
    };
    if start > end {
        out.array(0);
        return Ok(());
    }
    let mut body = bytes::BytesMut::new();
    let mut n = 0;
    let mut o = Out::new(&mut body, out.resp3);
    for id in ids {
        if count <= 0 {
            break;
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        let idle = now as i64 - nack.delivery_time as i64;
        if minidle != 0 && idle < minidle {
            continue;
        }
        n += 1;
        count -= 1;
        o.array(4);
        reply_id(&mut o, id);
        o.bulk(g.consumer_name(nack.consumer));
        o.int(idle.max(0));
        o.int(nack.delivery_count as i64);
    }
    out.array(n);
    out.raw(&body);
    Ok(())
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
fn xclaim(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let argc = argv.len();
    let key = arg(argv, 1);
    let grp = arg(argv, 2);
    if !get_stream(&mut ctx.ks, key)?.is_some_and(|st| st.groups.contains_key(grp)) {
        return Err(nogroup_key_or_group(key, grp));
    }
    let minidle = ll(
        arg(argv, 4),
        Some("Invalid min-idle-time argument for XCLAIM"),
    )?
    .max(0);
    let mut j = 5;
    let mut ids = Vec::new();
    while j < argc {
        match parse_strict_id(arg(argv, j), 0) {
            Some(id) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = ctx.ks.now as i64;
    let mut force = false;
    let mut justid = false;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < argc {
        let more = argc - 1 - j;
        let opt = arg(argv, j);
        if eq(opt, "force") {
            force = true;
        } else if eq(opt, "justid") {
            justid = true;
        } else if eq(opt, "idle") && more > 0 {
            j += 1;
            let v = ll(
                arg(argv, j),
                Some("Invalid IDLE option argument for XCLAIM"),
            )?;
            deliverytime = now.wrapping_sub(v);
        } else if eq(opt, "time") && more > 0 {
            j += 1;
            deliverytime = ll(
                arg(argv, j),
                Some("Invalid TIME option argument for XCLAIM"),
            )?;
        } else if eq(opt, "retrycount") && more > 0 {
            j += 1;
            retrycount = ll(
                arg(argv, j),
                Some("Invalid RETRYCOUNT option argument for XCLAIM"),
            )?;
        } else if eq(opt, "lastid") && more > 0 {
            j += 1;
            last_id = strict_id(arg(argv, j))?;
        } else {
            return Err(CmdError::err(format!(
                "Unrecognized XCLAIM option '{}'",
                s(opt)
            )));
        }
        j += 1;
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now {
            deliverytime = now;
        }
    } else {
        deliverytime = now;
    }
    let Some(st) = get_stream(&mut ctx.ks, key)? else {
        return Err(nogroup_key_or_group(key, grp));
    };
    let name = argv[3].clone();
    let mut dirty = 0;
    let mut fx = GroupChange::default();
    if let Some(g) = st.groups.get_mut(grp) {
        if last_id > g.last_id {
            g.last_id = last_id;
            fx.setid = true;
            dirty += 1;
        }
    }
    let mut body = bytes::BytesMut::new();
    let mut n = 0;
    let mut created = false;
    let mut o = Out::new(&mut body, ctx.out.resp3);
    for id in ids {
        let exists = st.contains(id);
        let Some(g) = st.groups.get_mut(grp) else {
            break;
        };
        if !exists {
            if g.ack(id) {
                fx.touched.push(id);
                dirty += 1;
            }
            continue;
        }
        let mut fresh = false;
        if force && !g.pel.contains_key(&id) {
            g.pel.insert(
                id,
                crate::store::stream::Nack {
                    delivery_time: now as u64,
                    delivery_count: 1,
                    consumer: crate::store::stream::NO_CONSUMER,
                },
            );
            fresh = true;
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        if !fresh && minidle != 0 && now - (nack.delivery_time as i64) < minidle {
            continue;
        }
        created |= g.create_consumer(&name, now as u64);
        if let Some(c) = g.consumers.get_mut(&name[..]) {
            c.seen_time = now as u64;
        }
        g.reassign(id, &name);
        if let Some(nk) = g.pel.get_mut(&id) {
            nk.delivery_time = deliverytime as u64;
            if retrycount >= 0 {
                nk.delivery_count = retrycount as u64;
            } else if !justid {
                nk.delivery_count += 1;
            }
        }
        fx.touched.push(id);
        if justid {
            reply_id(&mut o, id);
        } else {
            match st.get(id) {
                Some(e) => reply_entry(&mut o, &e),
                None => o.null_array(),
            }
        }
        n += 1;
        dirty += 1;
    }
    if created {
        fx.created = Some(name.clone());
    }
    let effects = group_effects(key, grp, st, &fx);
    ctx.no_propagate();
    for e in effects {
        ctx.propagate(e);
    }
    ctx.dirty += dirty;
    ctx.out.array(n);
    // The consumer is created as its first entry is claimed, so Redis publishes the event
    // right before that entry in the reply.
    if created {
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
    }
    ctx.out.raw(&body);
    Ok(())
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
fn xautoclaim(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let argc = argv.len();
    let minidle = ll(
        arg(argv, 4),
        Some("Invalid min-idle-time argument for XAUTOCLAIM"),
    )?
    .max(0);
    let (mut start, sx) = parse_interval_id(arg(argv, 5), 0).ok_or_else(invalid_id)?;
    if sx {
        start = start
            .incr()
            .ok_or_else(|| CmdError::err("invalid start ID for the interval"))?;
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argc {
        let more = argc - 1 - j;
        let opt = arg(argv, j);
        if eq(opt, "count") && more > 0 {
            let max = i64::MAX / 16;
            count = match crate::util::parse_i64(arg(argv, j + 1)) {
                Some(v) if (1..=max).contains(&v) => v,
                _ => return Err(CmdError::err("COUNT must be > 0")),
            };
            j += 1;
        } else if eq(opt, "justid") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let key = arg(argv, 1);
    let grp = arg(argv, 2);
    let now = ctx.ks.now;
    let Some(st) = get_stream(&mut ctx.ks, key)? else {
        return Err(nogroup_key_or_group(key, grp));
    };
    if !st.groups.contains_key(grp) {
        return Err(nogroup_key_or_group(key, grp));
    }
    let name = argv[3].clone();
    let mut attempts = count.saturating_mul(10);
    let mut deleted = Vec::new();
    let mut body = bytes::BytesMut::new();
    let mut n = 0;
    let mut created = false;
    let mut o = Out::new(&mut body, ctx.out.resp3);
    let mut cursor = Some(start);
    let mut dirty = 0;
    let mut last_examined: Option<StreamId> = None;
    let mut exhausted = false;
    let mut touched = Vec::new();
    loop {
        if attempts == 0 {
            break;
        }
        attempts -= 1;
        if count == 0 {
            break;
        }
        let Some(from) = cursor else {
            exhausted = true;
            break;
        };
        let next = st.groups.get(grp).and_then(|g| {
            g.pel
                .range(from..)
                .next()
                .map(|(id, n)| (*id, n.delivery_time))
        });
        let Some((id, dtime)) = next else {
            exhausted = true;
            break;
        };
        last_examined = Some(id);
        cursor = id.incr();
        let exists = st.contains(id);
        let Some(g) = st.groups.get_mut(grp) else {
            break;
        };
        if !exists {
            g.ack(id);
            deleted.push(id);
            touched.push(id);
            dirty += 1;
            count -= 1;
            continue;
        }
        if minidle != 0 && (now as i64 - dtime as i64) < minidle {
            continue;
        }
        created |= g.create_consumer(&name, now);
        if let Some(c) = g.consumers.get_mut(&name[..]) {
            c.seen_time = now;
        }
        g.reassign(id, &name);
        if let Some(nk) = g.pel.get_mut(&id) {
            nk.delivery_time = now;
            if !justid {
                nk.delivery_count += 1;
            }
        }
        touched.push(id);
        if justid {
            reply_id(&mut o, id);
        } else {
            match st.get(id) {
                Some(e) => reply_entry(&mut o, &e),
                None => o.null(),
            }
        }
        n += 1;
        count -= 1;
        dirty += 1;
    }
    // The cursor: the PEL entry after the last one examined, 0-0 at the end.
    let next_cursor = if exhausted {
        StreamId::MIN
    } else {
        let after = last_examined.and_then(|l| l.incr());
        after
            .and_then(|a| {
                st.groups
                    .get(grp)
                    .and_then(|g| g.pel.range(a..).next().map(|(id, _)| *id))
            })
            .unwrap_or(StreamId::MIN)
    };
    let fx = GroupChange {
        created: created.then(|| name.clone()),
        touched,
        setid: false,
    };
    let effects = group_effects(key, grp, st, &fx);
    ctx.no_propagate();
    for e in effects {
        ctx.propagate(e);
    }
    ctx.dirty += dirty;
    ctx.out.array(3);
    reply_id(&mut ctx.out, next_cursor);
    ctx.out.array(n);
    if created {
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
    }
    let out = &mut ctx.out;
    out.raw(&body);
    out.array(deleted.len());
    for id in deleted {
        reply_id(out, id);
    }
    Ok(())
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
fn xsetid(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let argc = argv.len();
    let id = strict_id(arg(argv, 2))?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < argc {
        let more = argc - 1 - i;
        let opt = arg(argv, i);
        if eq(opt, "entriesadded") && more > 0 {
            entries_added = ll(arg(argv, i + 1), None)?;
            if entries_added < 0 {
                return Err(CmdError::err("entries_added must be positive"));
            }
            i += 2;
        } else if eq(opt, "maxdeletedid") && more > 0 {
            max_xdel = strict_id(arg(argv, i + 1))?;
            if id < max_xdel {
                return Err(CmdError::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(st) = get_stream(&mut ctx.ks, arg(argv, 1))? else {
        return Err(CmdError::NoSuchKey);
    };
    if !st.is_empty() {
        if id < st.last_valid_id() {
            return Err(CmdError::err(
                "The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added != -1 && st.len() > entries_added as u64 {
            return Err(CmdError::err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    st.last_id = id;
    if entries_added != -1 {
        st.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        st.max_deleted_entry_id = max_xdel;
    }
    ctx.dirty += 1;
    ctx.out.ok();
    ctx.notify(NOTIFY_STREAM, "xsetid", arg(argv, 1));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// XINFO

/// The container of the XINFO subcommands.
fn xinfo_container(ctx: &mut Ctx) -> CmdResult {
    Err(sub_syntax(ctx))
}

fn reply_lag(out: &mut Out, st: &Stream, g: &Group) {
    match st.lag(g) {
        Some(l) => out.int(l),
        None => out.null(),
    }
}

fn reply_entries_read(out: &mut Out, g: &Group) {
    if g.entries_read != INVALID_ENTRIES_READ {
        out.int(g.entries_read);
    } else {
        out.null();
    }
}

/// XINFO CONSUMERS key group
fn xinfo_consumers(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 2);
    let grp = arg(argv, 3);
    let Some(st) = get_stream(&mut ctx.ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    let Some(g) = st.groups.get(grp) else {
        return Err(nogroup_for_key(grp, key));
    };
    let now = crate::util::now_ms() as i64;
    let out = &mut ctx.out;
    out.array(g.consumers.len());
    for (name, c) in &g.consumers {
        out.map(3);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        out.int((now - c.seen_time as i64).max(0));
    }
    Ok(())
}

/// XINFO GROUPS key
fn xinfo_groups(ctx: &mut Ctx) -> CmdResult {
    let Some(st) = get_stream(&mut ctx.ks, arg(ctx.argv, 2))? else {
        return Err(CmdError::NoSuchKey);
    };
    let out = &mut ctx.out;
    out.array(st.groups.len());
    for (name, g) in &st.groups {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        reply_entries_read(out, g);
        out.bulk(b"lag");
        reply_lag(out, st, g);
    }
    Ok(())
}

/// XINFO STREAM key [FULL [COUNT count]]
fn xinfo_stream(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let opts = &argv[3..];
    let mut full = true;
    let mut count: i64 = 10;
    match opts.len() {
        0 => full = false,
        1 | 3 => {
            if !eq(&opts[0], "full") {
                return Err(sub_syntax(ctx));
            }
            if opts.len() == 3 {
                if !eq(&opts[1], "count") {
                    return Err(sub_syntax(ctx));
                }
                count = ll(&opts[2], None)?.max(0);
            }
        }
        _ => return Err(sub_syntax(ctx)),
    }
    let Some(st) = get_stream(&mut ctx.ks, arg(argv, 2))? else {
        return Err(CmdError::NoSuchKey);
    };
    let out = &mut ctx.out;
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(st.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(st.node_count() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(st.rax_nodes() as i64);
    out.bulk(b"last-generated-id");
    reply_id(out, st.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply_id(out, st.max_deleted_entry_id);
    out.bulk(b"entries-added");
    out.int(st.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply_id(out, st.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(st.groups.len() as i64);
        for (label, rev) in [(&b"first-entry"[..], false), (&b"last-entry"[..], true)] {
            out.bulk(label);
            let mut found = false;
            st.walk(StreamId::MIN, StreamId::MAX, rev, |e| {
                reply_entry(out, &e);
                found = true;
                false
            });
            if !found {
                out.null();
            }
        }
        return Ok(());
    }
    let count = count as usize;
    out.bulk(b"entries");
    reply_range(out, st, StreamId::MIN, StreamId::MAX, count, false);
    out.bulk(b"groups");
    out.array(st.groups.len());
    let take = |n: usize| if count == 0 { n } else { n.min(count) };
    for (name, g) in &st.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        reply_entries_read(out, g);
        out.bulk(b"lag");
        reply_lag(out, st, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        out.array(take(g.pel.len()));
        for (id, nk) in g.pel.iter().take(take(g.pel.len())) {
            out.array(4);
            reply_id(out, *id);
            out.bulk(g.consumer_name(nk.consumer));
            out.int(nk.delivery_time as i64);
            out.int(nk.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            out.array(take(c.pel.len()));
            for id in c.pel.iter().take(take(c.pel.len())) {
                let nk = g.pel.get(id);
                out.array(3);
                reply_id(out, *id);
                out.int(nk.map_or(0, |n| n.delivery_time as i64));
                out.int(nk.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}

/// XINFO HELP
fn xinfo_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        &mut ctx.out,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Registration

const W: Flags = Flags::WRITE;
const WF: Flags = Flags::WRITE.union(Flags::FAST);
const WD: Flags = Flags::WRITE.union(Flags::DENYOOM);
const WDF: Flags = Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST);
const RO: Flags = Flags::READONLY;
const ROF: Flags = Flags::READONLY.union(Flags::FAST);
const HELP: Flags = Flags::LOADING.union(Flags::STALE);
const G: CmdGroup = CmdGroup::Stream;

const XGROUP_SUBS: &[CommandDef] = &[
    cmd("create", -5, xgroup_create)
        .flags(WD)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(G, "5.0.0", "O(1)", "Create a consumer group."),
    cmd("setid", -5, xgroup_setid)
        .flags(W)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(
            G,
            "5.0.0",
            "O(1)",
            "Set a consumer group to an arbitrary last delivered ID value.",
        ),
    cmd("destroy", 4, xgroup_destroy)
        .flags(W)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(
            G,
            "5.0.0",
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
            "Destroy a consumer group.",
        ),
    cmd("createconsumer", 5, xgroup_createconsumer)
        .flags(WD)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(G, "6.2.0", "O(1)", "Create a consumer in a consumer group."),
    cmd("delconsumer", 5, xgroup_delconsumer)
        .flags(W)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(
            G,
            "5.0.0",
            "O(1)",
            "Delete a consumer from a consumer group.",
        ),
    cmd("help", 2, xgroup_help)
        .flags(HELP)
        .acl(Acl::STREAM)
        .doc(
            G,
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

const XINFO_SUBS: &[CommandDef] = &[
    cmd("consumers", 4, xinfo_consumers)
        .flags(RO)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(G, "5.0.0", "O(1)", "List the consumers in a consumer group"),
    cmd("groups", 3, xinfo_groups)
        .flags(RO)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(G, "5.0.0", "O(1)", "List the consumer groups of a stream"),
    cmd("stream", -3, xinfo_stream)
        .flags(RO)
        .acl(Acl::STREAM)
        .keys(2, 2, 1)
        .doc(G, "5.0.0", "O(1)", "Get information about a stream"),
    cmd("help", 2, xinfo_help).flags(HELP).acl(Acl::STREAM).doc(
        G,
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
];

pub const COMMANDS: &[CommandDef] = &[
    cmd("xadd", -5, xadd).flags(WDF).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        "Appends a new entry to a stream",
    ),
    cmd("xtrim", -4, xtrim).flags(W).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        "Trims the stream to (approximately if '~' is passed) a certain size",
    ),
    cmd("xlen", 2, xlen).flags(ROF).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(1)",
        "Return the number of entries in a stream",
    ),
    cmd("xrange", -4, xrange).flags(RO).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        "Return a range of elements in a stream, with IDs matching the specified IDs interval",
    ),
    cmd("xrevrange", -4, xrevrange).flags(RO).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
    ),
    cmd("xdel", -3, xdel).flags(WF).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(1) for each single item to delete in the stream, regardless of the stream size.",
        "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
    ),
    cmd("xread", -4, xread)
        .flags(RO.union(Flags::BLOCKING).union(Flags::MOVABLE_KEYS))
        .acl(Acl::STREAM)
        .keyspec(KeySpec::Custom(xread_keyspec))
        .doc(
            G,
            "5.0.0",
            "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
            "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        ),
    cmd("xreadgroup", -7, xreadgroup)
        .flags(W.union(Flags::BLOCKING).union(Flags::MOVABLE_KEYS))
        .acl(Acl::STREAM)
        .keyspec(KeySpec::Custom(xreadgroup_keyspec))
        .doc(
            G,
            "5.0.0",
            "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
            "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        ),
    cmd("xgroup", -2, xgroup_container).subs(XGROUP_SUBS).doc(
        G,
        "5.0.0",
        "Depends on subcommand.",
        "A container for consumer groups commands",
    ),
    cmd("xack", -4, xack).flags(WF).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(1) for each message ID processed.",
        "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
    ),
    cmd("xpending", -3, xpending).flags(RO).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
    ),
    cmd("xclaim", -6, xclaim).flags(WF).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(log N) with N being the number of messages in the PEL of the consumer group.",
        "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
    ),
    cmd("xautoclaim", -6, xautoclaim).flags(WF).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "6.2.0",
        "O(1) if COUNT is small.",
        "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
    ),
    cmd("xinfo", -2, xinfo_container).subs(XINFO_SUBS).doc(
        G,
        "5.0.0",
        "Depends on subcommand.",
        "A container for stream introspection commands",
    ),
    cmd("xsetid", -3, xsetid).flags(WDF).acl(Acl::STREAM).keys(1, 1, 1).doc(
        G,
        "5.0.0",
        "O(1)",
        "An internal command for replicating stream values",
    ),
];
