//! Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB.
//!
//! The registry is [`crate::pubsub`]; these handlers turn it into Redis 7.0's replies
//! (`src/pubsub.c`): one confirmation per channel, each a push frame in RESP3 and a plain array
//! in RESP2, carrying the running subscription count; an argument-less unsubscribe with nothing
//! to drop answers once with a nil channel. Which commands a RESP2 client may run while
//! subscribed is decided in dispatch with [`allowed_in_resp2_subscribed_mode`].

use bytes::Bytes;

use super::{cmd, CmdError, CmdResult, CommandDef, Ctx, Flags, Group, Lock};
use crate::config::OBUF_PUBSUB;
use crate::pubsub::{Kind, Publisher};

/// Commands a RESP2 client may run while it has subscriptions (Redis 7.0's `processCommand`).
pub fn allowed_in_resp2_subscribed_mode(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

fn confirm(ctx: &mut Ctx, what: &[u8], name: Option<&[u8]>, count: usize) {
    ctx.out.push(3);
    ctx.out.bulk(what);
    match name {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
    ctx.out.int(count as i64);
}

fn subscribe_generic(ctx: &mut Ctx, k: Kind) -> CmdResult {
    let srv = ctx.srv;
    for name in &ctx.argv[1..] {
        srv.pubsub.subscribe(ctx.client, k, name);
        let n = ctx.client.pubsub.count(k);
        confirm(ctx, k.subscribe_name(), Some(name), n);
    }
    Ok(())
}

fn unsubscribe_generic(ctx: &mut Ctx, k: Kind) -> CmdResult {
    let srv = ctx.srv;
    let names: Vec<Bytes> = if ctx.argv.len() == 1 {
        ctx.client.pubsub.names(k)
    } else {
        ctx.argv[1..].to_vec()
    };
    if names.is_empty() {
        let n = ctx.client.pubsub.count(k);
        confirm(ctx, k.unsubscribe_name(), None, n);
        return Ok(());
    }
    for name in &names {
        srv.pubsub.unsubscribe(ctx.client, k, name);
        let n = ctx.client.pubsub.count(k);
        confirm(ctx, k.unsubscribe_name(), Some(name), n);
    }
    Ok(())
}

fn publish_generic(ctx: &mut Ctx, k: Kind) -> CmdResult {
    let limit = ctx.srv.config.read().client_output_buffer_limit[OBUF_PUBSUB];
    let mut me = (ctx.client.pubsub.total() > 0).then(|| Publisher {
        id: ctx.client.info.id,
        resp3: ctx.out.resp3,
        info: &ctx.client.info,
        buf: &mut *ctx.out.buf,
    });
    let n = ctx
        .srv
        .pubsub
        .publish(k, &ctx.argv[1], &ctx.argv[2], limit, me.as_mut());
    ctx.out.int(n as i64);
    Ok(())
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Channel)
}

/// UNSUBSCRIBE [channel [channel ...]]
fn unsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Pattern)
}

/// PUNSUBSCRIBE [pattern [pattern ...]]
fn punsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Shard)
}

/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
fn sunsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Shard)
}

/// PUBLISH channel message
fn publish(ctx: &mut Ctx) -> CmdResult {
    publish_generic(ctx, Kind::Channel)
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx) -> CmdResult {
    publish_generic(ctx, Kind::Shard)
}

/// Redis's `addReplySubcommandSyntaxError` for PUBSUB.
fn subcommand_syntax(ctx: &Ctx) -> CmdError {
    CmdError::Msg(
        format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            super::truncate_lossy(ctx.arg(1), 128)
        )
        .into(),
    )
}

fn channels_generic(ctx: &mut Ctx, shard: bool) -> CmdResult {
    if ctx.argv.len() > 3 {
        return Err(subcommand_syntax(ctx));
    }
    let pattern = ctx.argv.get(2).map(|p| &p[..]);
    let list = ctx.srv.pubsub.channels(shard, pattern);
    ctx.out.array(list.len());
    for c in &list {
        ctx.out.bulk(c);
    }
    Ok(())
}

fn numsub_generic(ctx: &mut Ctx, shard: bool) -> CmdResult {
    let names = &ctx.argv[2..];
    ctx.out.array(names.len() * 2);
    for n in names {
        let count = ctx.srv.pubsub.numsub(shard, n);
        ctx.out.bulk(n);
        ctx.out.int(count as i64);
    }
    Ok(())
}

/// PUBSUB CHANNELS [pattern]
fn pubsub_channels(ctx: &mut Ctx) -> CmdResult {
    channels_generic(ctx, false)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn pubsub_shardchannels(ctx: &mut Ctx) -> CmdResult {
    channels_generic(ctx, true)
}

/// PUBSUB NUMSUB [channel [channel ...]]
fn pubsub_numsub(ctx: &mut Ctx) -> CmdResult {
    numsub_generic(ctx, false)
}

/// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
fn pubsub_shardnumsub(ctx: &mut Ctx) -> CmdResult {
    numsub_generic(ctx, true)
}

/// PUBSUB NUMPAT
fn pubsub_numpat(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.srv.pubsub.numpat() as i64);
    Ok(())
}

/// PUBSUB HELP
fn pubsub_help(ctx: &mut Ctx) -> CmdResult {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(LINES.len());
    for l in LINES {
        ctx.out.simple(l);
    }
    Ok(())
}

/// PUBSUB (the container; reached only with too few arguments).
fn pubsub_container(_ctx: &mut Ctx) -> CmdResult {
    Err(CmdError::WrongArity("pubsub".into()))
}

const SUB: Flags = Flags::PUBSUB
    .union(Flags::NOSCRIPT)
    .union(Flags::LOADING)
    .union(Flags::STALE);
const PUB: Flags = Flags::PUBSUB
    .union(Flags::LOADING)
    .union(Flags::STALE)
    .union(Flags::FAST);
const INTRO: Flags = Flags::PUBSUB.union(Flags::LOADING).union(Flags::STALE);

const SUBCOMMANDS: &[CommandDef] = &[
    cmd("channels", -2, pubsub_channels).flags(INTRO).doc(
        Group::PubSub,
        "2.8.0",
        "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        "List active channels",
    ),
    cmd("numsub", -2, pubsub_numsub).flags(INTRO).doc(
        Group::PubSub,
        "2.8.0",
        "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        "Get the count of subscribers for channels",
    ),
    cmd("numpat", 2, pubsub_numpat).flags(INTRO).doc(
        Group::PubSub,
        "2.8.0",
        "O(1)",
        "Get the count of unique patterns pattern subscriptions",
    ),
    cmd("shardchannels", -2, pubsub_shardchannels).flags(INTRO).doc(
        Group::PubSub,
        "7.0.0",
        "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        "List active shard channels",
    ),
    cmd("shardnumsub", -2, pubsub_shardnumsub).flags(INTRO).doc(
        Group::PubSub,
        "7.0.0",
        "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        "Get the count of subscribers for shard channels",
    ),
    cmd("help", 2, pubsub_help)
        .flags(Flags::LOADING.union(Flags::STALE))
        .doc(
            Group::PubSub,
            "6.2.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

pub const COMMANDS: &[CommandDef] = &[
    cmd("subscribe", -2, subscribe).flags(SUB).doc(
        Group::PubSub,
        "2.0.0",
        "O(N) where N is the number of channels to subscribe to.",
        "Listen for messages published to the given channels",
    ),
    cmd("unsubscribe", -1, unsubscribe).flags(SUB).doc(
        Group::PubSub,
        "2.0.0",
        "O(N) where N is the number of clients already subscribed to a channel.",
        "Stop listening for messages posted to the given channels",
    ),
    cmd("psubscribe", -2, psubscribe).flags(SUB).doc(
        Group::PubSub,
        "2.0.0",
        "O(N) where N is the number of patterns the client is already subscribed to.",
        "Listen for messages published to channels matching the given patterns",
    ),
    cmd("punsubscribe", -1, punsubscribe).flags(SUB).doc(
        Group::PubSub,
        "2.0.0",
        "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        "Stop listening for messages posted to channels matching the given patterns",
    ),
    cmd("publish", 3, publish).flags(PUB).doc(
        Group::PubSub,
        "2.0.0",
        "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        "Post a message to a channel",
    ),
    // Shard channels are keys only for cluster routing: nothing in the keyspace is locked.
    cmd("ssubscribe", -2, ssubscribe)
        .flags(SUB)
        .keys(1, -1, 1)
        .lock(Lock::None)
        .doc(
            Group::PubSub,
            "7.0.0",
            "O(N) where N is the number of shard channels to subscribe to.",
            "Listen for messages published to the given shard channels",
        ),
    cmd("sunsubscribe", -1, sunsubscribe)
        .flags(SUB)
        .keys(1, -1, 1)
        .lock(Lock::None)
        .doc(
            Group::PubSub,
            "7.0.0",
            "O(N) where N is the number of clients already subscribed to a shard channel.",
            "Stop listening for messages posted to the given shard channels",
        ),
    cmd("spublish", 3, spublish)
        .flags(PUB)
        .keys(1, 1, 1)
        .lock(Lock::None)
        .doc(
            Group::PubSub,
            "7.0.0",
            "O(N) where N is the number of clients subscribed to the receiving shard channel.",
            "Post a message to a shard channel",
        ),
    cmd("pubsub", -2, pubsub_container).subs(SUBCOMMANDS).doc(
        Group::PubSub,
        "2.8.0",
        "Depends on subcommand.",
        "A container for Pub/Sub commands",
    ),
];
