//! String commands.

use bytes::Bytes;

use super::{cmd, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group};
use crate::store::Value;

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

/// GET key
fn get(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1].clone();
    match ctx.ks.get(&key) {
        None => ctx.out.null(),
        Some(e) => match &e.value {
            Value::Str(b) => ctx.out.bulk(b),
            #[allow(unreachable_patterns)]
            _ => return Err(CmdError::WrongType),
        },
    }
    Ok(())
}

/// SET key value
fn set(ctx: &mut Ctx) -> CmdResult {
    let (key, val) = (ctx.arg(1), ctx.arg(2));
    ctx.ks.set(key, Value::Str(Bytes::copy_from_slice(val)));
    ctx.dirty += 1;
    ctx.out.ok();
    Ok(())
}

pub const COMMANDS: &[CommandDef] = &[
    cmd("get", 2, get)
        .flags(Flags::READONLY.union(Flags::FAST))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(Group::String, "1.0.0", "O(1)", "Get the value of a key"),
    cmd("set", -3, set)
        .flags(Flags::WRITE.union(Flags::DENYOOM))
        .acl(Acl::STRING)
        .keys(1, 1, 1)
        .doc(
            Group::String,
            "1.0.0",
            "O(1)",
            "Set the string value of a key",
        ),
];
