//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's `multi.c`).
//!
//! While a client is in MULTI, dispatch queues every command except the transaction-control
//! ones and replies `+QUEUED`; a command rejected while queueing (unknown, wrong arity, NOAUTH,
//! not allowed in a transaction) marks the transaction so EXEC replies EXECABORT. EXEC takes
//! the world lock's write side, so no other client's command runs between its commands, then
//! runs the queue through the normal path (each command still locks its shards) and serves the
//! keys it made ready only after the whole transaction.
//!
//! WATCH registers the client's dirty flag on each key's shard (`Shard::watchers`); every
//! modification of the key touches it (`Shard::touch`): writes, deletions, expiry, FLUSH*,
//! SWAPDB, blocking hand-offs. EXEC aborts with a null reply if the flag is set.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::{cmd, table, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group, Lock};
use crate::client::Client;
use crate::server::Server;

/// A transaction being queued.
#[derive(Default)]
pub struct MultiState {
    /// (command id, argv) in order.
    pub queue: Vec<(usize, Vec<Bytes>)>,
    /// A command was rejected while queueing: EXEC must abort.
    pub errored: bool,
}

/// Whether `name` runs immediately even inside MULTI (Redis's list in `processCommand`).
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Forgets every WATCHed key of `client` (EXEC, DISCARD, UNWATCH, RESET, disconnect).
pub fn unwatch_all(srv: &Server, client: &mut Client) {
    if client.watched.is_empty() {
        return;
    }
    let now = crate::util::now_ms();
    for (db, key) in std::mem::take(&mut client.watched) {
        let mut l = srv.ks.lock(db, [&key], now);
        if let Some(shard) = l.shard_in(db, &key) {
            if let Some(v) = shard.watchers.get_mut(&key[..]) {
                v.retain(|f| !Arc::ptr_eq(f, &client.watch_dirty));
                if v.is_empty() {
                    shard.watchers.remove(&key[..]);
                }
            }
        }
    }
    client.watch_dirty.store(false, Ordering::Release);
}

/// Leaves MULTI (if in it) and forgets WATCHes: DISCARD, RESET, disconnect.
pub fn discard_transaction(srv: &Server, client: &mut Client) {
    client.multi = None;
    client.info.multi.store(-1, Ordering::Relaxed);
    unwatch_all(srv, client);
}

/// MULTI
fn multi(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::msg("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(MultiState::default());
    ctx.client.info.multi.store(0, Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

/// DISCARD
fn discard(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(CmdError::msg("ERR DISCARD without MULTI"));
    }
    discard_transaction(ctx.srv, ctx.client);
    ctx.out.ok();
    Ok(())
}

/// EXEC
fn exec(ctx: &mut Ctx) -> CmdResult {
    let Some(m) = ctx.client.multi.take() else {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    };
    ctx.client.info.multi.store(-1, Ordering::Relaxed);
    if m.errored {
        unwatch_all(ctx.srv, ctx.client);
        return Err(CmdError::msg(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    let aborted = ctx.client.watch_dirty.load(Ordering::Acquire);
    // Redis unwatches before running the queue: the transaction's own writes must not matter.
    unwatch_all(ctx.srv, ctx.client);
    if aborted {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array(m.queue.len());
    let t = table();
    let mut unit = super::Unit::new(ctx.ks.now);
    for (id, argv) in m.queue {
        let Some(cmd) = t.commands.get(id) else {
            continue;
        };
        super::run(ctx.srv, ctx.client, ctx.out.buf, cmd, argv, Some(&mut unit));
        // A queued HELLO/RESET can change the protocol mid-transaction.
        ctx.out.resp3 = ctx.client.resp3;
    }
    ctx.ready.append(&mut unit.ready);
    // The transaction's effects are logged as one MULTI/EXEC block (a single effect alone).
    ctx.prop = super::Prop::Cmds(unit.effects);
    Ok(())
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
    }
    let db = ctx.ks.db;
    for key in &ctx.argv[1..] {
        if ctx.client.watched.iter().any(|(d, k)| *d == db && k == key) {
            continue;
        }
        let Some(shard) = ctx.ks.shard_in(db, key) else {
            continue;
        };
        shard
            .watchers
            .entry(Bytes::copy_from_slice(key))
            .or_default()
            .push(ctx.client.watch_dirty.clone());
        ctx.client.watched.push((db, Bytes::copy_from_slice(key)));
    }
    ctx.out.ok();
    Ok(())
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx) -> CmdResult {
    unwatch_all(ctx.srv, ctx.client);
    ctx.out.ok();
    Ok(())
}

const CONTROL: Flags = Flags::NOSCRIPT
    .union(Flags::LOADING)
    .union(Flags::STALE)
    .union(Flags::FAST)
    .union(Flags::ALLOW_BUSY);

pub const COMMANDS: &[CommandDef] = &[
    cmd("multi", 1, multi)
        .flags(CONTROL)
        .acl(Acl::TRANSACTION)
        .doc(
            Group::Transactions,
            "1.2.0",
            "O(1)",
            "Mark the start of a transaction block",
        ),
    cmd("exec", 1, exec)
        .flags(
            Flags::NOSCRIPT
                .union(Flags::LOADING)
                .union(Flags::STALE)
                .union(Flags::SKIP_SLOWLOG),
        )
        .acl(Acl::TRANSACTION)
        .lock(Lock::World)
        .doc(
            Group::Transactions,
            "1.2.0",
            "Depends on commands in the transaction",
            "Execute all commands issued after MULTI",
        ),
    cmd("discard", 1, discard)
        .flags(CONTROL)
        .acl(Acl::TRANSACTION)
        .doc(
            Group::Transactions,
            "2.0.0",
            "O(N), when N is the number of queued commands",
            "Discard all commands issued after MULTI",
        ),
    cmd("watch", -2, watch)
        .flags(CONTROL)
        .acl(Acl::TRANSACTION)
        .keys(1, -1, 1)
        .doc(
            Group::Transactions,
            "2.2.0",
            "O(1) for every key.",
            "Watch the given keys to determine execution of the MULTI/EXEC block",
        ),
    cmd("unwatch", 1, unwatch)
        .flags(CONTROL)
        .acl(Acl::TRANSACTION)
        .doc(
            Group::Transactions,
            "2.2.0",
            "O(1)",
            "Forget about all watched keys",
        ),
];
