//! Set commands. Replies that list members follow storage order: numeric for intsets (so they
//! match Redis byte for byte), unspecified for hashtables (as in Redis).

use bytes::Bytes;
use rand::Rng;

use super::hashes::scan;
use super::{
    arg, cmd, lit, positive_long, range_long, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags,
    Group, KeySpec,
};
use crate::config::registry::{NOTIFY_GENERIC, NOTIFY_SET};
use crate::store::set::Set;
use crate::store::{Locked, Value};

/// The set at `key`: `None` if missing, WRONGTYPE if another type.
fn get_set<'a>(ks: &'a mut Locked, key: &[u8]) -> Result<Option<&'a mut Set>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Set(s) => Ok(Some(s)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// Deletes `key` if its set became empty, with the `del` event Redis publishes then.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    if matches!(get_set(&mut ctx.ks, key), Ok(Some(s)) if s.is_empty()) {
        ctx.ks.del(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    if get_set(&mut ctx.ks, key)?.is_none() {
        ctx.ks.set(key, Value::Set(Set::new()));
    }
    let mut added = 0;
    if let Some(s) = get_set(&mut ctx.ks, key)? {
        for m in &argv[2..] {
            if s.add(m) {
                added += 1;
            }
        }
    }
    ctx.dirty += added as u64;
    if added > 0 {
        ctx.notify(NOTIFY_SET, "sadd", key);
    }
    ctx.out.int(added);
    Ok(())
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    let mut n = 0;
    if let Some(s) = get_set(&mut ctx.ks, key)? {
        for m in &argv[2..] {
            if s.remove(m) {
                n += 1;
                if s.is_empty() {
                    break;
                }
            }
        }
    }
    if n > 0 {
        ctx.notify(NOTIFY_SET, "srem", key);
        delete_if_empty(ctx, key);
    }
    ctx.dirty += n as u64;
    ctx.out.int(n);
    Ok(())
}

fn reply_set(out: &mut crate::protocol::Out, s: Option<&Set>) {
    match s {
        Some(s) => {
            out.set(s.len());
            for m in s.members() {
                out.bulk(&m);
            }
        }
        None => out.set(0),
    }
}

/// SMEMBERS key
fn smembers(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    reply_set(
        &mut ctx.out,
        get_set(&mut ctx.ks, arg(argv, 1))?.map(|s| &*s),
    );
    Ok(())
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let found = get_set(&mut ctx.ks, arg(argv, 1))?.is_some_and(|s| s.contains(arg(argv, 2)));
    ctx.out.int(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let s = get_set(&mut ctx.ks, arg(argv, 1))?;
    ctx.out.array(argv.len() - 2);
    for m in &argv[2..] {
        let found = s.as_ref().is_some_and(|s| s.contains(m));
        ctx.out.int(found as i64);
    }
    Ok(())
}

/// SCARD key
fn scard(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let n = get_set(&mut ctx.ks, arg(argv, 1))?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if argv.len() == 2 {
        let Some(s) = get_set(&mut ctx.ks, key)? else {
            ctx.out.null();
            return Ok(());
        };
        let i = rand::thread_rng().gen_range(0..s.len());
        let m = s.remove_index(i).unwrap_or_default();
        ctx.dirty += 1;
        // The random choice is logged as the SREM it amounts to.
        ctx.propagate(vec![lit("SREM"), argv[1].clone(), m.clone()]);
        ctx.notify(NOTIFY_SET, "spop", key);
        ctx.out.bulk(&m);
        delete_if_empty(ctx, key);
        return Ok(());
    }
    let count = positive_long(arg(argv, 2), None)? as usize;
    let Some(s) = get_set(&mut ctx.ks, key)? else {
        ctx.out.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    if count >= s.len() {
        ctx.notify(NOTIFY_SET, "spop", key);
        reply_set(&mut ctx.out, get_set(&mut ctx.ks, key)?.map(|s| &*s));
        let n = ctx.ks.del(key) as u64;
        ctx.dirty += n;
        ctx.propagate(vec![lit("DEL"), argv[1].clone()]);
        ctx.notify(NOTIFY_GENERIC, "del", key);
        return Ok(());
    }
    ctx.notify(NOTIFY_SET, "spop", key);
    let Some(s) = get_set(&mut ctx.ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    let mut rng = rand::thread_rng();
    ctx.out.set(count);
    let mut srem = Vec::with_capacity(count.min(1024) + 2);
    srem.push(lit("SREM"));
    srem.push(argv[1].clone());
    for _ in 0..count {
        let i = rng.gen_range(0..s.len());
        let m = s.remove_index(i).unwrap_or_default();
        ctx.out.bulk(&m);
        srem.push(m);
    }
    ctx.dirty += count as u64;
    ctx.propagate(srem);
    Ok(())
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if argv.len() == 2 {
        match get_set(&mut ctx.ks, key)? {
            Some(s) => {
                let i = rand::thread_rng().gen_range(0..s.len());
                let m = s.get_index(i).unwrap_or_default();
                ctx.out.bulk(&m);
            }
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = range_long(arg(argv, 2), -i64::MAX, i64::MAX, None)?;
    let Some(s) = get_set(&mut ctx.ks, key)? else {
        ctx.out.array(0);
        return Ok(());
    };
    let mut rng = rand::thread_rng();
    let size = s.len();
    if count == 0 {
        ctx.out.array(0);
    } else if count < 0 {
        let n = count.unsigned_abs() as usize;
        ctx.out.array(n);
        for _ in 0..n {
            let m = s.get_index(rng.gen_range(0..size)).unwrap_or_default();
            ctx.out.bulk(&m);
        }
    } else if count as usize >= size {
        ctx.out.array(size);
        for m in s.members() {
            ctx.out.bulk(&m);
        }
    } else {
        let picks = rand::seq::index::sample(&mut rng, size, count as usize);
        ctx.out.array(picks.len());
        for i in picks {
            ctx.out.bulk(&s.get_index(i).unwrap_or_default());
        }
    }
    Ok(())
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let (src, dst, m) = (arg(argv, 1), arg(argv, 2), arg(argv, 3));
    if get_set(&mut ctx.ks, src)?.is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    get_set(&mut ctx.ks, dst)?;
    if src == dst {
        let found = get_set(&mut ctx.ks, src)?.is_some_and(|s| s.contains(m));
        ctx.out.int(found as i64);
        return Ok(());
    }
    if !get_set(&mut ctx.ks, src)?.is_some_and(|s| s.remove(m)) {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.dirty += 1;
    ctx.notify(NOTIFY_SET, "srem", src);
    delete_if_empty(ctx, src);
    let added = match get_set(&mut ctx.ks, dst)? {
        Some(d) => d.add(m),
        None => {
            ctx.ks.set(dst, Value::Set(Set::from_members([m])));
            true
        }
    };
    if added {
        ctx.dirty += 1;
        ctx.notify(NOTIFY_SET, "sadd", dst);
    }
    ctx.out.int(1);
    Ok(())
}

/// The sets named by `argv[keys]`, in order: every key is type-checked (WRONGTYPE), and a
/// missing one makes the intersection empty (`Ok(None)`).
fn inter_inputs(
    ks: &mut Locked,
    argv: &[Bytes],
    keys: std::ops::Range<usize>,
) -> Result<Option<Vec<Set>>, CmdError> {
    let mut sets = Vec::with_capacity(keys.len());
    let mut missing = false;
    for i in keys {
        match get_set(ks, arg(argv, i))? {
            Some(s) if !missing => sets.push(s.clone()),
            Some(_) => {}
            None => missing = true,
        }
    }
    Ok((!missing).then_some(sets))
}

/// Members of the intersection, iterating the smallest set (as Redis does), up to `limit`.
fn intersect(mut sets: Vec<Set>, limit: usize) -> Vec<Bytes> {
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in first.members() {
        if limit != 0 && out.len() >= limit {
            break;
        }
        if rest.iter().all(|s| s.contains(&m)) {
            out.push(m);
        }
    }
    out
}

/// Stores `members` as a set at `dst` (deleting it when empty) and replies the size, with
/// `event` (or `del` for an empty result that removed `dst`). Redis publishes that `del` after
/// the reply, except when SINTERSTORE found a source key missing (`del_first`).
fn store_result(ctx: &mut Ctx, dst: &[u8], members: &[Bytes], event: &str, del_first: bool) {
    let set = Set::from_members(members.iter().map(|m| &m[..]));
    let n = set.len();
    if n == 0 {
        let deleted = ctx.ks.del(dst);
        if deleted {
            ctx.dirty += 1;
            if del_first {
                ctx.notify(NOTIFY_GENERIC, "del", dst);
            }
        }
        ctx.out.int(0);
        if deleted && !del_first {
            ctx.notify(NOTIFY_GENERIC, "del", dst);
        }
    } else {
        ctx.ks.set(dst, Value::Set(set));
        ctx.dirty += 1;
        ctx.out.int(n as i64);
        ctx.notify(NOTIFY_SET, event, dst);
    }
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let members = match inter_inputs(&mut ctx.ks, argv, 1..argv.len())? {
        Some(sets) => intersect(sets, 0),
        None => Vec::new(),
    };
    ctx.out.set(members.len());
    for m in &members {
        ctx.out.bulk(m);
    }
    Ok(())
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let (members, missing) = match inter_inputs(&mut ctx.ks, argv, 2..argv.len())? {
        Some(sets) => (intersect(sets, 0), false),
        None => (Vec::new(), true),
    };
    store_result(ctx, arg(argv, 1), &members, "sinterstore", missing);
    Ok(())
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let numkeys = range_long(
        arg(argv, 1),
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )?;
    if numkeys as u64 > (argv.len() - 2) as u64 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0;
    let mut j = end;
    while j < argv.len() {
        if argv[j].eq_ignore_ascii_case(b"limit") && j + 1 < argv.len() {
            limit = positive_long(arg(argv, j + 1), Some("ERR LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let n = match inter_inputs(&mut ctx.ks, argv, 2..end)? {
        Some(sets) => intersect(sets, limit).len(),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// SUNION/SDIFF over `argv[keys]`: every key is type-checked, missing ones are empty.
fn union_diff(ctx: &mut Ctx, keys: std::ops::Range<usize>, diff: bool) -> Result<Set, CmdError> {
    let argv = ctx.argv;
    let mut inputs: Vec<Option<Set>> = Vec::with_capacity(keys.len());
    for i in keys {
        inputs.push(get_set(&mut ctx.ks, arg(argv, i))?.map(|s| s.clone()));
    }
    let mut result = Set::new();
    if diff {
        if let Some(Some(first)) = inputs.first() {
            for m in first.members() {
                if !inputs[1..].iter().flatten().any(|s| s.contains(&m)) {
                    result.add(&m);
                }
            }
        }
    } else {
        for s in inputs.iter().flatten() {
            for m in s.members() {
                result.add(&m);
            }
        }
    }
    Ok(result)
}

fn union_diff_reply(ctx: &mut Ctx, diff: bool) -> CmdResult {
    let r = union_diff(ctx, 1..ctx.argv.len(), diff)?;
    reply_set(&mut ctx.out, Some(&r));
    Ok(())
}

fn union_diff_store(ctx: &mut Ctx, diff: bool) -> CmdResult {
    let r = union_diff(ctx, 2..ctx.argv.len(), diff)?;
    let members: Vec<Bytes> = r.members().collect();
    let event = if diff { "sdiffstore" } else { "sunionstore" };
    store_result(ctx, arg(ctx.argv, 1), &members, event, false);
    Ok(())
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx) -> CmdResult {
    union_diff_reply(ctx, false)
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx) -> CmdResult {
    union_diff_reply(ctx, true)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx) -> CmdResult {
    union_diff_store(ctx, false)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx) -> CmdResult {
    union_diff_store(ctx, true)
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let cursor = scan::parse_cursor(arg(argv, 2))?;
    let Some(s) = get_set(&mut ctx.ks, arg(argv, 1))? else {
        scan::empty(&mut ctx.out);
        return Ok(());
    };
    let opts = scan::parse_options(argv, 3)?;
    let mut items = Vec::new();
    let next = match s {
        Set::Table(_) => scan::walk(s.len(), cursor, opts.count, |i| {
            if let Some(m) = s.get_index(i) {
                if opts.matches(&m) {
                    items.push(m);
                }
            }
        }),
        Set::Ints(_) => {
            items.extend(s.members().filter(|m| opts.matches(m)));
            0
        }
    };
    scan::reply(&mut ctx.out, next, &items);
    Ok(())
}

const RO: Flags = Flags::READONLY;
const ROF: Flags = Flags::READONLY.union(Flags::FAST);
const WD: Flags = Flags::WRITE.union(Flags::DENYOOM);
const WDF: Flags = Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST);
const WF: Flags = Flags::WRITE.union(Flags::FAST);

pub const COMMANDS: &[CommandDef] = &[
    cmd("sadd", -3, sadd).flags(WDF).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Add one or more members to a set"),
    cmd("srem", -3, srem).flags(WF).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "1.0.0", "O(N) where N is the number of members to be removed.", "Remove one or more members from a set"),
    cmd("smembers", 2, smembers).flags(RO).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "1.0.0", "O(N) where N is the set cardinality.", "Get all the members in a set"),
    cmd("sismember", 3, sismember).flags(ROF).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "1.0.0", "O(1)", "Determine if a given value is a member of a set"),
    cmd("smismember", -3, smismember).flags(ROF).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "6.2.0", "O(N) where N is the number of elements being checked for membership", "Returns the membership associated with the given elements for a set"),
    cmd("scard", 2, scard).flags(ROF).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "1.0.0", "O(1)", "Get the number of members in a set"),
    cmd("spop", -2, spop).flags(WF).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "Remove and return one or multiple random members from a set"),
    cmd("srandmember", -2, srandmember).flags(RO).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "Get one or multiple random members from a set"),
    cmd("smove", 4, smove).flags(WF).acl(Acl::SET).keys(1, 2, 1).doc(Group::Set, "1.0.0", "O(1)", "Move a member from one set to another"),
    cmd("sinter", -2, sinter).flags(RO).acl(Acl::SET).keys(1, -1, 1).doc(Group::Set, "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets"),
    cmd("sintercard", -3, sintercard).flags(RO.union(Flags::MOVABLE_KEYS)).acl(Acl::SET).keyspec(KeySpec::NumKeys { numkeys_at: 1 }).doc(Group::Set, "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and return the cardinality of the result"),
    cmd("sinterstore", -3, sinterstore).flags(WD).acl(Acl::SET).keys(1, -1, 1).doc(Group::Set, "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and store the resulting set in a key"),
    cmd("sunion", -2, sunion).flags(RO).acl(Acl::SET).keys(1, -1, 1).doc(Group::Set, "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets"),
    cmd("sunionstore", -3, sunionstore).flags(WD).acl(Acl::SET).keys(1, -1, 1).doc(Group::Set, "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets and store the resulting set in a key"),
    cmd("sdiff", -2, sdiff).flags(RO).acl(Acl::SET).keys(1, -1, 1).doc(Group::Set, "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets"),
    cmd("sdiffstore", -3, sdiffstore).flags(WD).acl(Acl::SET).keys(1, -1, 1).doc(Group::Set, "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets and store the resulting set in a key"),
    cmd("sscan", -3, sscan).flags(RO).acl(Acl::SET).keys(1, 1, 1).doc(Group::Set, "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate Set elements"),
];
