//! Connection commands: PING, ECHO, SELECT, QUIT.

use super::{cmd, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group};

/// PING [message]
fn ping(ctx: &mut Ctx) -> CmdResult {
    match ctx.argv.len() {
        1 => ctx.out.raw(b"+PONG\r\n"),
        2 => ctx.out.bulk(ctx.argv[1].as_ref()),
        _ => return Err(CmdError::WrongArity("ping".into())),
    }
    Ok(())
}

/// ECHO message
fn echo(ctx: &mut Ctx) -> CmdResult {
    ctx.out.bulk(ctx.argv[1].as_ref());
    Ok(())
}

/// SELECT index
fn select(ctx: &mut Ctx) -> CmdResult {
    let idx = ctx
        .int_arg(1)
        .map_err(|_| CmdError::msg("ERR value is not an integer or out of range"))?;
    if idx < 0 || idx as usize >= ctx.srv.ks.dbs.len() {
        return Err(CmdError::msg("ERR DB index is out of range"));
    }
    ctx.client.db = idx as usize;
    ctx.out.ok();
    Ok(())
}

/// QUIT
fn quit(ctx: &mut Ctx) -> CmdResult {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

pub const COMMANDS: &[CommandDef] = &[
    cmd("ping", -1, ping)
        .flags(Flags::FAST)
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "1.0.0", "O(1)", "Ping the server"),
    cmd("echo", 2, echo)
        .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "1.0.0", "O(1)", "Echo the given string"),
    cmd("select", 2, select)
        .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "1.0.0",
            "O(1)",
            "Change the selected database for the current connection",
        ),
    cmd("quit", -1, quit)
        .flags(
            Flags::ALLOW_BUSY
                .union(Flags::NOSCRIPT)
                .union(Flags::LOADING)
                .union(Flags::STALE)
                .union(Flags::FAST)
                .union(Flags::NO_AUTH),
        )
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "1.0.0", "O(1)", "Close the connection"),
];
