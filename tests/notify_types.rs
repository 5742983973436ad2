//! Keyspace notifications of the hash, set, sorted-set and stream commands and of the blocking
//! sorted-set pops, checked against the exact event streams (names, classes, order, conditions)
//! a real redis-server 7.0.15 produced for the same commands with `notify-keyspace-events KEA`,
//! and the exact RESP3 bytes a self-subscribed client receives (where Redis places its own
//! events inside the reply).

mod common;

use common::{RawClient, TestServer};

/// A keyspace event as received: (channel, payload).
type Event = (String, String);

/// The events a command should publish, as (key, event) pairs in order.
type Want<'a> = &'a [(&'a str, &'a str)];

/// Collects the pmessages waiting on `sub` (RESP2, pattern-subscribed), until the `PING` sent
/// after them answers.
async fn events(sub: &mut RawClient) -> Vec<Event> {
    sub.send(&[b"PING"]).await;
    let mut out = Vec::new();
    loop {
        let r = String::from_utf8(sub.read_reply().await).expect("utf8");
        if r == "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
            return out;
        }
        let parts: Vec<&str> = r.split("\r\n").collect();
        assert_eq!(parts.get(2), Some(&"pmessage"), "{r}");
        out.push((parts[6].to_string(), parts[8].to_string()));
    }
}

/// The keyspace and keyevent messages of `(key, event)` pairs, in order.
fn expect(pairs: &[(&str, &str)]) -> Vec<Event> {
    let mut v = Vec::new();
    for (k, e) in pairs {
        v.push((format!("__keyspace@0__:{k}"), e.to_string()));
        v.push((format!("__keyevent@0__:{e}"), k.to_string()));
    }
    v
}

/// A server with every event class on, a command client and a subscriber to all events.
async fn setup() -> (TestServer, RawClient, RawClient) {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let mut sub = srv.client().await;
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "notify-keyspace-events", "KEA"])
            .await,
        "+OK\r\n"
    );
    sub.cmd(&["PSUBSCRIBE", "__key*__:*"]).await;
    (srv, c, sub)
}

/// Runs each command and asserts the events it published (and, for the reply, its prefix).
async fn run(c: &mut RawClient, sub: &mut RawClient, cases: &[(&str, &str, Want<'_>)]) {
    for (cmd, reply, want) in cases {
        let args: Vec<&str> = cmd.split(' ').collect();
        let got = c.cmd_str(&args).await;
        assert!(got.starts_with(reply), "{cmd}: reply {got:?}");
        assert_eq!(events(sub).await, expect(want), "{cmd}");
    }
}

#[tokio::test]
async fn hash_events() {
    let (srv, mut c, mut sub) = setup().await;
    run(
        &mut c,
        &mut sub,
        &[
            ("HSET h a 1 b 2", ":2", &[("h", "hset")]),
            ("HSET h a 1", ":0", &[("h", "hset")]),
            ("HMSET h c 3", "+OK", &[("h", "hset")]),
            ("HSETNX h a 9", ":0", &[]),
            ("HSETNX h d 4", ":1", &[("h", "hset")]),
            ("HDEL h zz", ":0", &[]),
            ("HDEL h a b", ":2", &[("h", "hdel")]),
            ("HINCRBY h n 5", ":5", &[("h", "hincrby")]),
            ("HINCRBY h n x", "-ERR", &[]),
            ("HINCRBYFLOAT h f 1.5", "$3", &[("h", "hincrbyfloat")]),
            ("HINCRBYFLOAT h f abc", "-ERR", &[]),
            ("HGET h c", "$1", &[]),
            ("HDEL h c d n f", ":4", &[("h", "hdel"), ("h", "del")]),
        ],
    )
    .await;
    srv.stop().await;
}

#[tokio::test]
async fn set_events() {
    let (srv, mut c, mut sub) = setup().await;
    run(
        &mut c,
        &mut sub,
        &[
            ("SADD s a b c", ":3", &[("s", "sadd")]),
            ("SADD s a", ":0", &[]),
            ("SREM s zz", ":0", &[]),
            ("SREM s a", ":1", &[("s", "srem")]),
            ("SPOP s", "$1", &[("s", "spop")]),
            ("SPOP s 0", "*0", &[]),
            ("SPOP s 5", "*1", &[("s", "spop"), ("s", "del")]),
            ("SADD s a b c d", ":4", &[("s", "sadd")]),
            ("SPOP s 2", "*2", &[("s", "spop")]),
            ("SPOP s 1", "*1", &[("s", "spop")]),
            ("SPOP s", "$1", &[("s", "spop"), ("s", "del")]),
            ("SPOP s", "$-1", &[]),
            ("SADD s1 a b c", ":3", &[("s1", "sadd")]),
            ("SADD s2 b c d", ":3", &[("s2", "sadd")]),
            ("SMOVE s1 s2 a", ":1", &[("s1", "srem"), ("s2", "sadd")]),
            ("SMOVE s1 s2 zz", ":0", &[]),
            ("SMOVE s1 s3 b", ":1", &[("s1", "srem"), ("s3", "sadd")]),
            ("SMOVE s1 s1 c", ":1", &[]),
            // Already in the destination: only the removal.
            ("SADD s1 d", ":1", &[("s1", "sadd")]),
            ("SMOVE s1 s2 d", ":1", &[("s1", "srem")]),
            (
                "SMOVE s1 s4 c",
                ":1",
                &[("s1", "srem"), ("s1", "del"), ("s4", "sadd")],
            ),
            ("SINTERSTORE d s2 s3", ":1", &[("d", "sinterstore")]),
            ("SINTERSTORE d s2 nokey", ":0", &[("d", "del")]),
            ("SINTERSTORE nokey2 s2 nokey", ":0", &[]),
            ("SUNIONSTORE d s2 s3", ":4", &[("d", "sunionstore")]),
            ("SDIFFSTORE d s2 s2", ":0", &[("d", "del")]),
            ("SDIFFSTORE d s2 s3", ":3", &[("d", "sdiffstore")]),
            ("SUNIONSTORE e nokey", ":0", &[]),
            ("SINTERCARD 2 s2 s3", ":1", &[]),
            // Overwriting another type is just the store event.
            ("SET str v", "+OK", &[("str", "set")]),
            ("SINTERSTORE str s2 s3", ":1", &[("str", "sinterstore")]),
        ],
    )
    .await;
    srv.stop().await;
}

#[tokio::test]
async fn zset_events() {
    let (srv, mut c, mut sub) = setup().await;
    run(
        &mut c,
        &mut sub,
        &[
            ("ZADD z 1 a 2 b 3 c", ":3", &[("z", "zadd")]),
            ("ZADD z 1 a", ":0", &[]),
            ("ZADD z 5 a", ":0", &[("z", "zadd")]),
            ("ZADD z NX 5 a", ":0", &[]),
            ("ZADD z XX 6 zz", ":0", &[]),
            ("ZADD z GT 1 a", ":0", &[]),
            ("ZADD z INCR 2 a", "$1", &[("z", "zincr")]),
            ("ZADD z INCR 0 a", "$1", &[]),
            ("ZADD z XX INCR 1 nope", "$-1", &[]),
            ("ZINCRBY z 1 b", "$1", &[("z", "zincr")]),
            ("ZINCRBY z 0 b", "$1", &[]),
            ("ZINCRBY z 1 newm", "$1", &[("z", "zincr")]),
            ("ZADD z CH 1 a", ":1", &[("z", "zadd")]),
            ("ZADD nz XX 1 a", ":0", &[]),
            ("ZREM z nope", ":0", &[]),
            ("ZREM z newm", ":1", &[("z", "zrem")]),
            ("ZREMRANGEBYSCORE z 100 200", ":0", &[]),
            ("ZREMRANGEBYSCORE z 0 1", ":1", &[("z", "zremrangebyscore")]),
            ("ZREMRANGEBYRANK z 5 6", ":0", &[]),
            ("ZREMRANGEBYRANK z 0 0", ":1", &[("z", "zremrangebyrank")]),
            ("ZADD zl 0 a 0 b 0 c 0 d", ":4", &[("zl", "zadd")]),
            ("ZREMRANGEBYLEX zl [a [b", ":2", &[("zl", "zremrangebylex")]),
            ("ZREMRANGEBYLEX zl [x [z", ":0", &[]),
            (
                "ZREMRANGEBYLEX zl - +",
                ":2",
                &[("zl", "zremrangebylex"), ("zl", "del")],
            ),
            ("ZADD z2 1 a 2 b 3 c 4 d", ":4", &[("z2", "zadd")]),
            ("ZPOPMIN z2", "*2", &[("z2", "zpopmin")]),
            ("ZPOPMAX z2", "*2", &[("z2", "zpopmax")]),
            ("ZPOPMIN z2 0", "*0", &[]),
            ("ZPOPMIN nokey", "*0", &[]),
            ("ZPOPMAX z2 10", "*4", &[("z2", "zpopmax"), ("z2", "del")]),
            ("ZADD z3 1 a 2 b 3 c", ":3", &[("z3", "zadd")]),
            ("ZMPOP 1 z3 MIN COUNT 2", "*2", &[("z3", "zpopmin")]),
            (
                "ZMPOP 2 nokey z3 MAX",
                "*2",
                &[("z3", "zpopmax"), ("z3", "del")],
            ),
            ("ZMPOP 1 nokey MIN", "*-1", &[]),
            ("ZADD z3 1 a 2 b", ":2", &[("z3", "zadd")]),
            ("BZPOPMIN nokey z3 0", "*3", &[("z3", "zpopmin")]),
            (
                "BZMPOP 0 1 z3 MAX COUNT 9",
                "*2",
                &[("z3", "zpopmax"), ("z3", "del")],
            ),
            ("ZADD za 1 a 2 b", ":2", &[("za", "zadd")]),
            ("ZADD zb 2 b 3 c", ":2", &[("zb", "zadd")]),
            ("ZUNIONSTORE zd 2 za zb", ":3", &[("zd", "zunionstore")]),
            ("ZINTERSTORE zd 2 za zb", ":1", &[("zd", "zinterstore")]),
            ("ZINTERSTORE zd 2 za nokey", ":0", &[("zd", "del")]),
            ("ZDIFFSTORE zd 2 za za", ":0", &[]),
            ("ZDIFFSTORE zd 2 za zb", ":1", &[("zd", "zdiffstore")]),
            ("ZUNIONSTORE zd 1 nokey", ":0", &[("zd", "del")]),
            ("ZRANGESTORE zd za 0 -1", ":2", &[("zd", "zrangestore")]),
            ("ZRANGESTORE zd za 5 6", ":0", &[("zd", "del")]),
            ("ZRANGESTORE zd2 za 5 6", ":0", &[]),
            ("ZUNIONSTORE za 2 za zb", ":3", &[("za", "zunionstore")]),
            ("ZREM za a b c", ":3", &[("za", "zrem"), ("za", "del")]),
        ],
    )
    .await;
    srv.stop().await;
}

#[tokio::test]
async fn stream_events() {
    let (srv, mut c, mut sub) = setup().await;
    let xc = "xgroup-createconsumer";
    run(
        &mut c,
        &mut sub,
        &[
            ("XADD st 1-1 f v", "$3", &[("st", "xadd")]),
            ("XADD st 2-1 f v", "$3", &[("st", "xadd")]),
            (
                "XADD st MAXLEN 1 3-1 f v",
                "$3",
                &[("st", "xadd"), ("st", "xtrim")],
            ),
            ("XADD st MAXLEN 5 4-1 f v", "$3", &[("st", "xadd")]),
            ("XADD st2 NOMKSTREAM * f v", "$-1", &[]),
            ("XADD st 2-1 f v", "-ERR", &[]),
            ("XTRIM st MAXLEN 10", ":0", &[]),
            ("XTRIM st MAXLEN 1", ":1", &[("st", "xtrim")]),
            ("XADD st 5-1 f v", "$3", &[("st", "xadd")]),
            ("XDEL st 9-9", ":0", &[]),
            ("XDEL st 5-1", ":1", &[("st", "xdel")]),
            ("XGROUP CREATE st g $", "+OK", &[("st", "xgroup-create")]),
            ("XGROUP CREATE st g $", "-BUSYGROUP", &[]),
            (
                "XGROUP CREATE st3 g $ MKSTREAM",
                "+OK",
                &[("st3", "xgroup-create")],
            ),
            ("XGROUP CREATECONSUMER st g c1", ":1", &[("st", xc)]),
            ("XGROUP CREATECONSUMER st g c1", ":0", &[]),
            (
                "XGROUP DELCONSUMER st g c1",
                ":0",
                &[("st", "xgroup-delconsumer")],
            ),
            ("XGROUP DELCONSUMER st g nope", ":0", &[]),
            ("XGROUP SETID st g 0", "+OK", &[("st", "xgroup-setid")]),
            ("XGROUP DESTROY st g", ":1", &[("st", "xgroup-destroy")]),
            ("XGROUP DESTROY st g", ":0", &[]),
            ("XSETID st 7-1", "+OK", &[("st", "xsetid")]),
            ("XGROUP CREATE st g2 0", "+OK", &[("st", "xgroup-create")]),
            ("XADD st 8-1 f v", "$3", &[("st", "xadd")]),
            // XREADGROUP creates its consumer only when it serves the stream.
            ("XREADGROUP GROUP g2 c2 STREAMS st >", "*1", &[("st", xc)]),
            ("XREADGROUP GROUP g2 c3 COUNT 1 STREAMS st >", "*-1", &[]),
            ("XREADGROUP GROUP g2 c4 STREAMS st 0", "*1", &[("st", xc)]),
            ("XREADGROUP GROUP g2 c2 STREAMS st 0", "*1", &[]),
            // XCLAIM/XAUTOCLAIM create theirs with the first entry they claim.
            ("XCLAIM st g2 c5 0 9-9", "*0", &[]),
            ("XCLAIM st g2 c6 0 8-1", "*1", &[("st", xc)]),
            ("XCLAIM st g2 c6 0 8-1 JUSTID", "*1", &[]),
            ("XAUTOCLAIM st g2 c7 0 0", "*3", &[("st", xc)]),
            ("XACK st g2 4-1 8-1", ":2", &[]),
            ("XAUTOCLAIM st g2 c8 0 0", "*3", &[]),
            (
                "XSETID st 8-1 ENTRIESADDED 10 MAXDELETEDID 0-0",
                "+OK",
                &[("st", "xsetid")],
            ),
            (
                "XADD st MINID 9 9-1 f v",
                "$3",
                &[("st", "xadd"), ("st", "xtrim")],
            ),
            ("XTRIM st MINID 100", ":1", &[("st", "xtrim")]),
            ("DEL st", ":1", &[("st", "del")]),
        ],
    )
    .await;
    srv.stop().await;
}

use common::wait_blocked;

#[tokio::test]
async fn blocked_zset_pops_publish_the_pop_for_the_waiter() {
    let (srv, mut c, mut sub) = setup().await;
    let mut b = srv.client().await;
    let cases: &[(&str, &str, &str, Want<'_>)] = &[
        (
            "BZPOPMIN bz 0",
            "ZADD bz 1 a",
            "*3\r\n$2\r\nbz\r\n$1\r\na\r\n$1\r\n1\r\n",
            &[("bz", "zadd"), ("bz", "zpopmin"), ("bz", "del")],
        ),
        (
            "BZPOPMAX bz 0",
            "ZADD bz 1 a 2 b",
            "*3\r\n$2\r\nbz\r\n$1\r\nb\r\n$1\r\n2\r\n",
            &[("bz", "zadd"), ("bz", "zpopmax")],
        ),
        (
            "BZMPOP 0 2 nk bz2 MIN COUNT 5",
            "ZADD bz2 1 x 2 y",
            "*2\r\n$3\r\nbz2\r\n*2\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n",
            &[("bz2", "zadd"), ("bz2", "zpopmin"), ("bz2", "del")],
        ),
        (
            "BZMPOP 0 1 bz2 MAX",
            "ZADD bz2 1 a 2 b",
            "*2\r\n$3\r\nbz2\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
            &[("bz2", "zadd"), ("bz2", "zpopmax")],
        ),
    ];
    for (block, push, reply, want) in cases {
        let args: Vec<&[u8]> = block.split(' ').map(str::as_bytes).collect();
        b.send(&args).await;
        wait_blocked(&srv, 1).await;
        let args: Vec<&str> = push.split(' ').collect();
        c.cmd(&args).await;
        assert_eq!(String::from_utf8(b.read_reply().await).unwrap(), *reply);
        assert_eq!(events(&mut sub).await, expect(want), "{block}");
    }
    srv.stop().await;
}

#[tokio::test]
async fn blocked_xreadgroup_with_a_new_consumer_publishes_its_creation() {
    let (srv, mut c, mut sub) = setup().await;
    c.cmd(&["XGROUP", "CREATE", "st", "g", "$", "MKSTREAM"])
        .await;
    assert_eq!(events(&mut sub).await, expect(&[("st", "xgroup-create")]));
    let mut b = srv.client().await;
    b.send(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"newc",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"st",
        b">",
    ])
    .await;
    wait_blocked(&srv, 1).await;
    c.cmd(&["XADD", "st", "1-1", "f", "v"]).await;
    let reply = String::from_utf8(b.read_reply().await).unwrap();
    assert!(reply.contains("$3\r\n1-1\r\n"), "{reply}");
    assert_eq!(
        events(&mut sub).await,
        expect(&[("st", "xadd"), ("st", "xgroup-createconsumer")])
    );
    srv.stop().await;
}

/// What a RESP3 client subscribed to its own keyspace events receives for `cmd`: every frame
/// up to the reply of a `PING` sent after it, concatenated (pushes inside a reply included).
async fn self_events(c: &mut RawClient, cmd: &str) -> String {
    let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    c.send(&args).await;
    c.send(&[b"PING"]).await;
    let mut all = String::new();
    loop {
        let r = String::from_utf8(c.read_reply().await).expect("utf8");
        if r == "+PONG\r\n" {
            return all;
        }
        all.push_str(&r);
    }
}

/// The push a `__keyspace@0__:*` pattern subscriber gets for `event` on `key`.
fn push(key: &str, event: &str) -> String {
    let chan = format!("__keyspace@0__:{key}");
    format!(
        ">4\r\n$8\r\npmessage\r\n$16\r\n__keyspace@0__:*\r\n${}\r\n{chan}\r\n${}\r\n{event}\r\n",
        chan.len(),
        event.len()
    )
}

#[tokio::test]
async fn resp3_self_events_sit_where_redis_puts_them() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    c.cmd(&["HELLO", "3"]).await;
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Kghszt"])
        .await;
    for setup in [
        "ZADD z 1 a 2 b 3 c 4 d 5 e",
        "HSET h f v",
        "SADD s1 a",
        "SADD s2 b",
        "SET d1 x",
        "SET d2 x",
        "SET d3 x",
        "XADD st 1-1 f v",
        "XGROUP CREATE st g 0",
    ] {
        let args: Vec<&str> = setup.split(' ').collect();
        c.cmd(&args).await;
    }
    c.cmd(&["PSUBSCRIBE", "__keyspace@0__:*"]).await;
    let xc = "xgroup-createconsumer";
    let entry = "*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n";
    let cases: Vec<(&str, String)> = vec![
        ("HSET h f w", format!(":0\r\n{}", push("h", "hset"))),
        (
            "HDEL h f",
            format!("{}{}:1\r\n", push("h", "hdel"), push("h", "del")),
        ),
        (
            "ZPOPMIN z",
            format!("*2\r\n{}$1\r\na\r\n,1\r\n", push("z", "zpopmin")),
        ),
        (
            "ZPOPMAX z 2",
            format!(
                "*2\r\n{}*2\r\n$1\r\ne\r\n,5\r\n*2\r\n$1\r\nd\r\n,4\r\n",
                push("z", "zpopmax")
            ),
        ),
        (
            "ZMPOP 1 z MIN",
            format!(
                "*2\r\n$1\r\nz\r\n*1\r\n{}*2\r\n$1\r\nb\r\n,2\r\n",
                push("z", "zpopmin")
            ),
        ),
        (
            "BZPOPMIN z 0",
            format!(
                "*3\r\n$1\r\nz\r\n{}$1\r\nc\r\n,3\r\n{}",
                push("z", "zpopmin"),
                push("z", "del")
            ),
        ),
        // An empty intersection of existing sets replies first; a missing source deletes first.
        (
            "SINTERSTORE d1 s1 s2",
            format!(":0\r\n{}", push("d1", "del")),
        ),
        (
            "SINTERSTORE d2 s1 nokey",
            format!("{}:0\r\n", push("d2", "del")),
        ),
        (
            "SUNIONSTORE d3 nokey",
            format!(":0\r\n{}", push("d3", "del")),
        ),
        (
            "XREADGROUP GROUP g c1 COUNT 1 STREAMS st >",
            format!("%1\r\n$2\r\nst\r\n{}*1\r\n{entry}", push("st", xc)),
        ),
        (
            "XCLAIM st g c2 0 1-1",
            format!("*1\r\n{}{entry}", push("st", xc)),
        ),
        (
            "XAUTOCLAIM st g c3 0 0 JUSTID",
            format!(
                "*3\r\n$3\r\n0-0\r\n*1\r\n{}$3\r\n1-1\r\n*0\r\n",
                push("st", xc)
            ),
        ),
    ];
    for (cmd, want) in cases {
        assert_eq!(self_events(&mut c, cmd).await, want, "{cmd}");
    }
    srv.stop().await;
}
