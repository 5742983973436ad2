//! Generic keyspace commands.

use super::{cmd, Acl, CmdResult, CommandDef, Ctx, Flags, Group};

/// DEL key [key ...]
fn del(ctx: &mut Ctx) -> CmdResult {
    let mut n = 0;
    for k in &ctx.argv[1..] {
        if ctx.ks.del(k) {
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

pub const COMMANDS: &[CommandDef] = &[
    cmd("del", -2, del)
        .flags(Flags::WRITE)
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(Group::Generic, "1.0.0", "O(N)", "Delete a key"),
    cmd("exists", -2, exists)
        .flags(Flags::READONLY.union(Flags::FAST))
        .acl(Acl::KEYSPACE)
        .keys(1, -1, 1)
        .doc(Group::Generic, "3.0.3", "O(N)", "Determine if a key exists"),
];
