//! List commands: the message-queue half of Herald.
//!
//! Non-blocking commands operate on [`crate::store::list::List`] under the shard locks taken by
//! dispatch. A list is never stored empty: the command that pops the last element deletes the key,
//! as Redis does.

use bytes::Bytes;

use super::{
    arg, cmd, lit, positive_long, range_long, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags,
    Group, KeySpec,
};
use crate::blocking::{self, BlockOp};
use crate::config::registry::{NOTIFY_GENERIC, NOTIFY_LIST};
use crate::store::list::List;
use crate::store::{Locked, Value};

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    /// `LEFT` / `RIGHT`, case-insensitively; anything else is a syntax error.
    pub fn parse(a: &[u8]) -> Result<End, CmdError> {
        if a.eq_ignore_ascii_case(b"left") {
            Ok(End::Left)
        } else if a.eq_ignore_ascii_case(b"right") {
            Ok(End::Right)
        } else {
            Err(CmdError::Syntax)
        }
    }
}

/// The list at `key` in the default database: `None` if missing, WRONGTYPE if another type.
pub fn get_list<'a>(ks: &'a mut Locked, key: &[u8]) -> Result<Option<&'a mut List>, CmdError> {
    let db = ks.db;
    get_list_in(ks, db, key)
}

pub fn get_list_in<'a>(
    ks: &'a mut Locked,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut List>, CmdError> {
    match ks.get_in(db, key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(CmdError::WrongType),
        },
    }
}

pub fn pop(l: &mut List, end: End) -> Option<Vec<u8>> {
    match end {
        End::Left => l.pop_front(),
        End::Right => l.pop_back(),
    }
}

pub fn push(l: &mut List, end: End, v: &[u8]) {
    match end {
        End::Left => l.push_front(v),
        End::Right => l.push_back(v),
    }
}

/// Deletes `key` if its list became empty.
fn delete_if_empty(ks: &mut Locked, db: usize, key: &[u8]) {
    if matches!(get_list_in(ks, db, key), Ok(Some(l)) if l.is_empty()) {
        ks.del_in(db, key);
    }
}

/// The event Redis publishes for a pop (`pop`) or push at `end`.
pub fn end_event(end: End, pop: bool) -> &'static str {
    match (end, pop) {
        (End::Left, true) => "lpop",
        (End::Right, true) => "rpop",
        (End::Left, false) => "lpush",
        (End::Right, false) => "rpush",
    }
}

/// After elements were removed from `key`: publishes `event`, then deletes the list if it is
/// now empty, with its `del` event (Redis's `listElementsRemoved`).
fn removed(ctx: &mut Ctx, key: &[u8], event: &str) {
    let db = ctx.ks.db;
    ctx.notify(NOTIFY_LIST, event, key);
    if matches!(get_list_in(&mut ctx.ks, db, key), Ok(Some(l)) if l.is_empty()) {
        ctx.ks.del_in(db, key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
}

/// Pushes `elements` at `end` of the list at `key` (creating it unless `only_existing`).
/// Returns the new length, or `None` when the key did not exist and `only_existing` is set.
pub fn push_elements(
    ks: &mut Locked,
    db: usize,
    key: &[u8],
    end: End,
    elements: &[bytes::Bytes],
    only_existing: bool,
) -> Result<Option<usize>, CmdError> {
    if let Some(l) = get_list_in(ks, db, key)? {
        for e in elements {
            push(l, end, e);
        }
        return Ok(Some(l.len()));
    }
    if only_existing {
        return Ok(None);
    }
    let mut l = List::new();
    for e in elements {
        push(&mut l, end, e);
    }
    let n = l.len();
    ks.set_in(db, key, crate::store::Entry::new(Value::List(l)));
    Ok(Some(n))
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
fn push_generic(ctx: &mut Ctx, end: End, only_existing: bool) -> CmdResult {
    let key = arg(ctx.argv, 1);
    let db = ctx.ks.db;
    match push_elements(&mut ctx.ks, db, key, end, &ctx.argv[2..], only_existing)? {
        Some(n) => {
            ctx.dirty += (ctx.argv.len() - 2) as u64;
            ctx.signal_list_push(key);
            ctx.out.int(n as i64);
            ctx.notify(NOTIFY_LIST, end_event(end, false), key);
        }
        None => ctx.out.int(0),
    }
    Ok(())
}

/// LPUSH key element [element ...]
fn lpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, false)
}

/// RPUSH key element [element ...]
fn rpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, false)
}

/// LPUSHX key element [element ...]
fn lpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, true)
}

/// RPUSHX key element [element ...]
fn rpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, true)
}

/// LPOP/RPOP key [count]
fn pop_generic(ctx: &mut Ctx, end: End) -> CmdResult {
    let key = arg(ctx.argv, 1);
    let count = match ctx.argv.len() {
        2 => None,
        3 => Some(positive_long(arg(ctx.argv, 2), None)? as usize),
        _ => return Err(CmdError::WrongArity(ctx.cmd.full_name.clone())),
    };
    let Some(l) = get_list(&mut ctx.ks, key)? else {
        if count.is_some() {
            ctx.out.null_array();
        } else {
            ctx.out.null();
        }
        return Ok(());
    };
    match count {
        None => {
            let v = pop(l, end).unwrap_or_default();
            ctx.out.bulk(&v);
            ctx.dirty += 1;
        }
        Some(0) => ctx.out.array(0),
        Some(n) => {
            let n = n.min(l.len());
            ctx.out.array(n);
            for _ in 0..n {
                let v = pop(l, end).unwrap_or_default();
                ctx.out.bulk(&v);
            }
            ctx.dirty += n as u64;
        }
    }
    removed(ctx, key, end_event(end, true));
    Ok(())
}

/// LPOP key [count]
fn lpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Left)
}

/// RPOP key [count]
fn rpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Right)
}

/// LLEN key
fn llen(ctx: &mut Ctx) -> CmdResult {
    let n = get_list(&mut ctx.ks, arg(ctx.argv, 1))?.map_or(0, |l| l.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// Redis's start/end normalisation for LRANGE and LTRIM: `None` when the range is empty.
fn normalize_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx) -> CmdResult {
    let (start, end) = (ctx.int_arg(2)?, ctx.int_arg(3)?);
    let Some(l) = get_list(&mut ctx.ks, arg(ctx.argv, 1))? else {
        ctx.out.array(0);
        return Ok(());
    };
    match normalize_range(start, end, l.len()) {
        None => ctx.out.array(0),
        Some((s, e)) => {
            ctx.out.array(e - s + 1);
            for v in l.range(s, e) {
                ctx.out.bulk(v);
            }
        }
    }
    Ok(())
}

/// Resolves a possibly negative index.
fn index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 {
        (len as i64).checked_add(i)?
    } else {
        i
    };
    (i >= 0 && (i as usize) < len).then_some(i as usize)
}

/// LINDEX key index
fn lindex(ctx: &mut Ctx) -> CmdResult {
    let i = ctx.int_arg(2)?;
    let Some(l) = get_list(&mut ctx.ks, arg(ctx.argv, 1))? else {
        ctx.out.null();
        return Ok(());
    };
    match index(i, l.len()).and_then(|i| l.get(i)) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// LSET key index element
fn lset(ctx: &mut Ctx) -> CmdResult {
    let i = ctx.int_arg(2)?;
    let Some(l) = get_list(&mut ctx.ks, arg(ctx.argv, 1))? else {
        return Err(CmdError::NoSuchKey);
    };
    let Some(i) = index(i, l.len()) else {
        return Err(CmdError::msg("ERR index out of range"));
    };
    l.set(i, arg(ctx.argv, 3));
    ctx.dirty += 1;
    ctx.out.ok();
    ctx.notify(NOTIFY_LIST, "lset", arg(ctx.argv, 1));
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element
fn linsert(ctx: &mut Ctx) -> CmdResult {
    let after = match arg(ctx.argv, 2) {
        w if w.eq_ignore_ascii_case(b"after") => true,
        w if w.eq_ignore_ascii_case(b"before") => false,
        _ => return Err(CmdError::Syntax),
    };
    let (pivot, elem) = (arg(ctx.argv, 3), arg(ctx.argv, 4));
    let Some(l) = get_list(&mut ctx.ks, arg(ctx.argv, 1))? else {
        ctx.out.int(0);
        return Ok(());
    };
    let pos = l.iter().position(|v| v == pivot);
    match pos {
        None => ctx.out.int(-1),
        Some(p) => {
            l.insert(if after { p + 1 } else { p }, elem);
            let n = l.len() as i64;
            ctx.dirty += 1;
            ctx.notify(NOTIFY_LIST, "linsert", arg(ctx.argv, 1));
            ctx.out.int(n);
        }
    }
    Ok(())
}

/// LREM key count element
fn lrem(ctx: &mut Ctx) -> CmdResult {
    let count = ctx.int_arg(2)?;
    let (key, elem) = (arg(ctx.argv, 1), arg(ctx.argv, 3));
    let Some(l) = get_list(&mut ctx.ks, key)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    let mut n_removed = 0usize;
    if count >= 0 {
        let mut i = 0;
        while i < l.len() && n_removed < limit {
            if l.get(i) == Some(elem) {
                l.remove(i);
                n_removed += 1;
            } else {
                i += 1;
            }
        }
    } else {
        let mut i = l.len();
        while i > 0 && n_removed < limit {
            i -= 1;
            if l.get(i) == Some(elem) {
                l.remove(i);
                n_removed += 1;
            }
        }
    }
    if n_removed > 0 {
        ctx.dirty += n_removed as u64;
        removed(ctx, key, "lrem");
    }
    ctx.out.int(n_removed as i64);
    Ok(())
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx) -> CmdResult {
    let (start, end) = (ctx.int_arg(2)?, ctx.int_arg(3)?);
    let key = arg(ctx.argv, 1);
    if let Some(l) = get_list(&mut ctx.ks, key)? {
        match normalize_range(start, end, l.len()) {
            None => *l = List::new(),
            Some((s, e)) => l.retain_range(s, e),
        }
        ctx.dirty += 1;
        removed(ctx, key, "ltrim");
    }
    ctx.out.ok();
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx) -> CmdResult {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let mut j = 3;
    while j < ctx.argv.len() {
        let opt = arg(ctx.argv, j);
        let more = j + 1 < ctx.argv.len();
        if opt.eq_ignore_ascii_case(b"rank") && more {
            j += 1;
            rank = crate::util::parse_i64(arg(ctx.argv, j)).ok_or(CmdError::NotInteger)?;
            if rank == 0 {
                return Err(CmdError::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if opt.eq_ignore_ascii_case(b"count") && more {
            j += 1;
            count = Some(range_long(
                arg(ctx.argv, j),
                0,
                i64::MAX,
                Some("ERR COUNT can't be negative"),
            )?);
        } else if opt.eq_ignore_ascii_case(b"maxlen") && more {
            j += 1;
            maxlen = range_long(
                arg(ctx.argv, j),
                0,
                i64::MAX,
                Some("ERR MAXLEN can't be negative"),
            )?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let elem = arg(ctx.argv, 2);
    let Some(l) = get_list(&mut ctx.ks, arg(ctx.argv, 1))? else {
        if count.is_some() {
            ctx.out.array(0);
        } else {
            ctx.out.null();
        }
        return Ok(());
    };
    let from_tail = rank < 0;
    // Redis negates a negative rank in a `long`: LONG_MIN stays negative there, so every match
    // counts from the first one (it behaves as -1).
    let mut skip = if rank == i64::MIN {
        0
    } else {
        rank.unsigned_abs() - 1
    };
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n as usize,
        None => 1,
    };
    let len = l.len();
    let scan = if maxlen == 0 {
        len
    } else {
        (maxlen as usize).min(len)
    };
    let mut found = Vec::new();
    let mut visit = |i: usize, v: &[u8]| -> bool {
        if v == elem {
            if skip == 0 {
                found.push(i as i64);
                if found.len() >= want {
                    return false;
                }
            } else {
                skip -= 1;
            }
        }
        true
    };
    if from_tail {
        for (k, v) in l.iter().rev().take(scan).enumerate() {
            if !visit(len - 1 - k, v) {
                break;
            }
        }
    } else {
        for (i, v) in l.iter().take(scan).enumerate() {
            if !visit(i, v) {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for i in found {
                ctx.out.int(i);
            }
        }
        None => match found.first() {
            Some(&i) => ctx.out.int(i),
            None => ctx.out.null(),
        },
    }
    Ok(())
}

/// Moves one element from `src` to `dst`; `Ok(None)` when `src` is missing or empty. Checks
/// `dst`'s type before popping, as Redis does.
pub fn move_element(
    ks: &mut Locked,
    db: usize,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Option<Vec<u8>>, CmdError> {
    if get_list_in(ks, db, src)?.is_none_or(|l| l.is_empty()) {
        return Ok(None);
    }
    get_list_in(ks, db, dst)?;
    let Some(v) = get_list_in(ks, db, src)?.and_then(|l| pop(l, from)) else {
        return Ok(None);
    };
    push_elements(ks, db, dst, to, &[bytes::Bytes::copy_from_slice(&v)], false)?;
    delete_if_empty(ks, db, src);
    Ok(Some(v))
}

/// `LEFT` / `RIGHT` as logged.
fn side(end: End) -> Bytes {
    lit(match end {
        End::Left => "LEFT",
        End::Right => "RIGHT",
    })
}

/// The plain pop a blocking or multi-key pop is logged as.
fn pop_cmd(end: End) -> Bytes {
    lit(match end {
        End::Left => "LPOP",
        End::Right => "RPOP",
    })
}

/// LMOVE/RPOPLPUSH
fn move_generic(ctx: &mut Ctx, from: End, to: End) -> CmdResult {
    let (src, dst) = (arg(ctx.argv, 1), arg(ctx.argv, 2));
    let db = ctx.ks.db;
    match move_element(&mut ctx.ks, db, src, dst, from, to)? {
        Some(v) => {
            ctx.dirty += 1;
            // RPOPLPUSH, BLMOVE and BRPOPLPUSH are all logged as the LMOVE they did.
            ctx.propagate(vec![
                lit("LMOVE"),
                ctx.argv[1].clone(),
                ctx.argv[2].clone(),
                side(from),
                side(to),
            ]);
            ctx.signal_list_push(dst);
            // Redis's order: the push, the reply, the pop, the deletion of an emptied source.
            ctx.notify(NOTIFY_LIST, end_event(to, false), dst);
            ctx.out.bulk(&v);
            ctx.notify(NOTIFY_LIST, end_event(from, true), src);
            if !ctx.ks.exists(src) {
                ctx.notify(NOTIFY_GENERIC, "del", src);
            }
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
fn lmove(ctx: &mut Ctx) -> CmdResult {
    let (from, to) = (End::parse(arg(ctx.argv, 3))?, End::parse(arg(ctx.argv, 4))?);
    move_generic(ctx, from, to)
}

/// RPOPLPUSH source destination
fn rpoplpush(ctx: &mut Ctx) -> CmdResult {
    move_generic(ctx, End::Right, End::Left)
}

/// Parsed `numkeys key [key ...] LEFT|RIGHT [COUNT count]` (LMPOP and BLMPOP).
pub struct MPopArgs {
    pub keys: std::ops::Range<usize>,
    pub end: End,
    pub count: usize,
}

pub fn parse_mpop(argv: &[bytes::Bytes], numkeys_idx: usize) -> Result<MPopArgs, CmdError> {
    let numkeys = range_long(
        argv.get(numkeys_idx).map_or(&[][..], |b| &b[..]),
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )? as usize;
    let where_idx = numkeys_idx
        .checked_add(numkeys)
        .and_then(|v| v.checked_add(1))
        .unwrap_or(usize::MAX);
    if where_idx >= argv.len() {
        return Err(CmdError::Syntax);
    }
    let end = End::parse(&argv[where_idx])?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if count.is_none() && argv[j].eq_ignore_ascii_case(b"count") && more {
            j += 1;
            count = Some(range_long(
                &argv[j],
                1,
                i64::MAX,
                Some("ERR count should be greater than 0"),
            )? as usize);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(MPopArgs {
        keys: numkeys_idx + 1..where_idx,
        end,
        count: count.unwrap_or(1),
    })
}

/// Pops up to `count` from the first non-empty list among `keys` and writes the `[key, [..]]`
/// reply; false (nothing written) if every list is missing.
pub fn mpop_from(
    ctx: &mut Ctx,
    keys: std::ops::Range<usize>,
    end: End,
    count: usize,
) -> Result<bool, CmdError> {
    for i in keys {
        let key = arg(ctx.argv, i);
        let Some(l) = get_list(&mut ctx.ks, key)? else {
            continue;
        };
        let n = count.min(l.len());
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.array(n);
        for _ in 0..n {
            let v = pop(l, end).unwrap_or_default();
            ctx.out.bulk(&v);
        }
        ctx.dirty += n as u64;
        ctx.propagate(vec![
            pop_cmd(end),
            ctx.argv[i].clone(),
            Bytes::from(n.to_string()),
        ]);
        removed(ctx, key, end_event(end, true));
        return Ok(true);
    }
    Ok(false)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn lmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx.argv, 1)?;
    if !mpop_from(ctx, a.keys, a.end, a.count)? {
        ctx.out.null_array();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Blocking commands (see `crate::blocking` for the waiter registry and the serving order)

/// BLPOP/BRPOP key [key ...] timeout
fn bpop_generic(ctx: &mut Ctx, end: End) -> CmdResult {
    let last = ctx.argv.len() - 1;
    let deadline = blocking::parse_timeout(arg(ctx.argv, last), ctx.ks.now)?;
    for i in 1..last {
        let key = arg(ctx.argv, i);
        let Some(l) = get_list(&mut ctx.ks, key)? else {
            continue;
        };
        let v = pop(l, end).unwrap_or_default();
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.bulk(&v);
        ctx.dirty += 1;
        ctx.propagate(vec![pop_cmd(end), ctx.argv[i].clone()]);
        removed(ctx, key, end_event(end, true));
        return Ok(());
    }
    if !ctx.may_block() {
        ctx.out.null_array();
        return Ok(());
    }
    let keys = ctx.argv[1..last].to_vec();
    ctx.block_on(keys, BlockOp::Pop(end), deadline);
    Ok(())
}

/// BLPOP key [key ...] timeout
fn blpop(ctx: &mut Ctx) -> CmdResult {
    bpop_generic(ctx, End::Left)
}

/// BRPOP key [key ...] timeout
fn brpop(ctx: &mut Ctx) -> CmdResult {
    bpop_generic(ctx, End::Right)
}

/// BLMOVE/BRPOPLPUSH once the ends and timeout are parsed.
fn bmove_generic(ctx: &mut Ctx, from: End, to: End, deadline: u64) -> CmdResult {
    let src = arg(ctx.argv, 1);
    if get_list(&mut ctx.ks, src)?.is_some() {
        return move_generic(ctx, from, to);
    }
    if !ctx.may_block() {
        ctx.out.null();
        return Ok(());
    }
    let dst = ctx.argv[2].clone();
    ctx.block_on(
        vec![ctx.argv[1].clone()],
        BlockOp::Move { dst, from, to },
        deadline,
    );
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove(ctx: &mut Ctx) -> CmdResult {
    let from = End::parse(arg(ctx.argv, 3))?;
    let to = End::parse(arg(ctx.argv, 4))?;
    let deadline = blocking::parse_timeout(arg(ctx.argv, 5), ctx.ks.now)?;
    bmove_generic(ctx, from, to, deadline)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx) -> CmdResult {
    let deadline = blocking::parse_timeout(arg(ctx.argv, 3), ctx.ks.now)?;
    bmove_generic(ctx, End::Right, End::Left, deadline)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn blmpop(ctx: &mut Ctx) -> CmdResult {
    let deadline = blocking::parse_timeout(arg(ctx.argv, 1), ctx.ks.now)?;
    let a = parse_mpop(ctx.argv, 2)?;
    if mpop_from(ctx, a.keys.clone(), a.end, a.count)? {
        return Ok(());
    }
    if !ctx.may_block() {
        ctx.out.null_array();
        return Ok(());
    }
    let keys = ctx.argv[a.keys].to_vec();
    ctx.block_on(
        keys,
        BlockOp::MPop {
            end: a.end,
            count: a.count,
        },
        deadline,
    );
    Ok(())
}

const W: Flags = Flags::WRITE;
const WF: Flags = Flags::WRITE.union(Flags::FAST);
const WDF: Flags = Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST);
const RO: Flags = Flags::READONLY;
const ROF: Flags = Flags::READONLY.union(Flags::FAST);

pub const COMMANDS: &[CommandDef] = &[
    cmd("lpush", -3, lpush).flags(WDF).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        "Prepend one or multiple elements to a list",
    ),
    cmd("rpush", -3, rpush).flags(WDF).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        "Append one or multiple elements to a list",
    ),
    cmd("lpushx", -3, lpushx).flags(WDF).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "2.2.0",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        "Prepend an element to a list, only if the list exists",
    ),
    cmd("rpushx", -3, rpushx).flags(WDF).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "2.2.0",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        "Append an element to a list, only if the list exists",
    ),
    cmd("lpop", -2, lpop).flags(WF).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(N) where N is the number of elements returned",
        "Remove and get the first elements in a list",
    ),
    cmd("rpop", -2, rpop).flags(WF).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(N) where N is the number of elements returned",
        "Remove and get the last elements in a list",
    ),
    cmd("llen", 2, llen).flags(ROF).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(1)",
        "Get the length of a list",
    ),
    cmd("lrange", 4, lrange).flags(RO).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        "Get a range of elements from a list",
    ),
    cmd("lindex", 3, lindex).flags(RO).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        "Get an element from a list by its index",
    ),
    cmd("lset", 4, lset).flags(Flags::WRITE.union(Flags::DENYOOM)).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        "Set the value of an element in a list by its index",
    ),
    cmd("linsert", 5, linsert).flags(Flags::WRITE.union(Flags::DENYOOM)).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "2.2.0",
        "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        "Insert an element before or after another element in a list",
    ),
    cmd("lrem", 4, lrem).flags(W).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(N+M) where N is the length of the list and M is the number of elements removed.",
        "Remove elements from a list",
    ),
    cmd("ltrim", 4, ltrim).flags(W).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "1.0.0",
        "O(N) where N is the number of elements to be removed by the operation.",
        "Trim a list to the specified range",
    ),
    cmd("lpos", -3, lpos).flags(RO).acl(Acl::LIST).keys(1, 1, 1).doc(
        Group::List,
        "6.0.6",
        "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        "Return the index of matching elements on a list",
    ),
    cmd("lmove", 5, lmove).flags(Flags::WRITE.union(Flags::DENYOOM)).acl(Acl::LIST).keys(1, 2, 1).doc(
        Group::List,
        "6.2.0",
        "O(1)",
        "Pop an element from a list, push it to another list and return it",
    ),
    cmd("rpoplpush", 3, rpoplpush).flags(Flags::WRITE.union(Flags::DENYOOM)).acl(Acl::LIST).keys(1, 2, 1).doc(
        Group::List,
        "1.2.0",
        "O(1)",
        "Remove the last element in a list, prepend it to another list and return it",
    ),
    cmd("lmpop", -4, lmpop)
        .flags(Flags::WRITE.union(Flags::MOVABLE_KEYS))
        .acl(Acl::LIST)
        .keyspec(KeySpec::NumKeys { numkeys_at: 1 })
        .doc(
            Group::List,
            "7.0.0",
            "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
            "Pop elements from a list",
        ),
    cmd("blpop", -3, blpop)
        .flags(Flags::WRITE.union(Flags::NOSCRIPT).union(Flags::BLOCKING))
        .acl(Acl::LIST)
        .keys(1, -2, 1)
        .doc(
            Group::List,
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the first element in a list, or block until one is available",
        ),
    cmd("brpop", -3, brpop)
        .flags(Flags::WRITE.union(Flags::NOSCRIPT).union(Flags::BLOCKING))
        .acl(Acl::LIST)
        .keys(1, -2, 1)
        .doc(
            Group::List,
            "2.0.0",
            "O(N) where N is the number of provided keys.",
            "Remove and get the last element in a list, or block until one is available",
        ),
    cmd("blmove", 6, blmove)
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::NOSCRIPT).union(Flags::BLOCKING))
        .acl(Acl::LIST)
        .keys(1, 2, 1)
        .doc(
            Group::List,
            "6.2.0",
            "O(1)",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
        ),
    cmd("brpoplpush", 4, brpoplpush)
        .flags(Flags::WRITE.union(Flags::DENYOOM).union(Flags::NOSCRIPT).union(Flags::BLOCKING))
        .acl(Acl::LIST)
        .keys(1, 2, 1)
        .doc(
            Group::List,
            "2.2.0",
            "O(1)",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
        ),
    cmd("blmpop", -5, blmpop)
        .flags(Flags::WRITE.union(Flags::BLOCKING).union(Flags::MOVABLE_KEYS))
        .acl(Acl::LIST)
        .keyspec(KeySpec::NumKeys { numkeys_at: 2 })
        .doc(
            Group::List,
            "7.0.0",
            "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
            "Pop elements from a list or block until one is available",
        ),
];
