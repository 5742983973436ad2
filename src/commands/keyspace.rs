//! Generic keyspace commands.

use super::{cmd, Acl, CmdResult, CommandDef, Ctx, Flags, Group};

/// DEL key [key ...]
fn del(ctx: &mut Ctx) -> CmdResult {
    let mut n = 0;
    for k in &ctx.argv[1..] {
        if ctx.ks.del(k) {
            n += 1;
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

pub const COMMANDS: &[CommandDef] = &[
    cmd("del", -2, del)
        .flags(Flags::WRITE)
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(Group::Generic, "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Delete a key"),
    cmd("exists", -2, exists)
        .flags(Flags::READONLY.union(Flags::FAST))
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(Group::Generic, "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists"),
];
