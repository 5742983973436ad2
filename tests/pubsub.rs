//! Pub/Sub over real connections: fan-out and receiver counts, patterns, shard channels,
//! ordering, RESP3 interleaving, output-buffer limits on slow subscribers, cleanup on RESET and
//! disconnect, CLIENT LIST / INFO fields, and keyspace notifications.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{wait_until, RawClient, TestServer};
use herald::config::ObufLimit;
use tokio::io::AsyncReadExt;

/// A RESP2 message frame as a subscriber receives it.
fn message(channel: &str, payload: &str) -> String {
    format!(
        "*3\r\n$7\r\nmessage\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n",
        channel.len(),
        payload.len()
    )
}

fn pmessage(pattern: &str, channel: &str, payload: &str) -> String {
    format!(
        "*4\r\n$8\r\npmessage\r\n${}\r\n{pattern}\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n",
        pattern.len(),
        channel.len(),
        payload.len()
    )
}

fn confirm(kind: &str, name: &str, n: usize) -> String {
    format!(
        "*3\r\n${}\r\n{kind}\r\n${}\r\n{name}\r\n:{n}\r\n",
        kind.len(),
        name.len()
    )
}

async fn read_str(c: &mut RawClient) -> String {
    String::from_utf8_lossy(&c.read_reply().await).into_owned()
}

fn info_field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("{name} missing from INFO"))
        .trim()
        .to_string()
}

#[tokio::test]
async fn confirmations_count_every_subscription_and_publish_counts_receivers() {
    let srv = TestServer::start().await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let mut p = srv.client().await;

    a.send(&[b"SUBSCRIBE", b"c1", b"c2", b"c1"]).await;
    assert_eq!(read_str(&mut a).await, confirm("subscribe", "c1", 1));
    assert_eq!(read_str(&mut a).await, confirm("subscribe", "c2", 2));
    assert_eq!(read_str(&mut a).await, confirm("subscribe", "c1", 2));
    // Patterns add to the same count; shard channels have their own.
    assert_eq!(
        a.cmd_str(&["PSUBSCRIBE", "c*"]).await,
        confirm("psubscribe", "c*", 3)
    );
    assert_eq!(
        a.cmd_str(&["SSUBSCRIBE", "s1"]).await,
        confirm("ssubscribe", "s1", 1)
    );
    assert_eq!(
        b.cmd_str(&["SUBSCRIBE", "c1"]).await,
        confirm("subscribe", "c1", 1)
    );

    // a: channel + pattern (twice), b: channel once.
    assert_eq!(p.cmd_str(&["PUBLISH", "c1", "hi"]).await, ":3\r\n");
    assert_eq!(read_str(&mut a).await, message("c1", "hi"));
    assert_eq!(read_str(&mut a).await, pmessage("c*", "c1", "hi"));
    assert_eq!(read_str(&mut b).await, message("c1", "hi"));
    // Shard channels are a separate namespace: PUBLISH does not reach them, nor patterns SPUBLISH.
    assert_eq!(p.cmd_str(&["PUBLISH", "s1", "x"]).await, ":0\r\n");
    assert_eq!(p.cmd_str(&["SPUBLISH", "c1", "x"]).await, ":0\r\n");
    assert_eq!(p.cmd_str(&["SPUBLISH", "s1", "sx"]).await, ":1\r\n");
    assert_eq!(
        read_str(&mut a).await,
        "*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$2\r\nsx\r\n"
    );

    assert_eq!(
        p.cmd_str(&["PUBSUB", "NUMSUB", "c1", "c2", "zz"]).await,
        "*6\r\n$2\r\nc1\r\n:2\r\n$2\r\nc2\r\n:1\r\n$2\r\nzz\r\n:0\r\n"
    );
    assert_eq!(p.cmd_str(&["PUBSUB", "NUMPAT"]).await, ":1\r\n");
    assert_eq!(
        p.cmd_str(&["PUBSUB", "SHARDNUMSUB", "s1"]).await,
        "*2\r\n$2\r\ns1\r\n:1\r\n"
    );
    assert_eq!(
        p.cmd_str(&["PUBSUB", "CHANNELS", "*2"]).await,
        "*1\r\n$2\r\nc2\r\n"
    );
    let info = p.cmd_str(&["INFO", "stats"]).await;
    assert_eq!(info_field(&info, "pubsub_channels"), "2");
    assert_eq!(info_field(&info, "pubsub_patterns"), "1");
    assert_eq!(info_field(&info, "pubsubshard_channels"), "1");

    // CLIENT LIST shows the counts and the P flag.
    let list = p.cmd_str(&["CLIENT", "LIST"]).await;
    let line_a = list
        .lines()
        .find(|l| l.contains("sub=2 psub=1 ssub=1"))
        .unwrap_or_else(|| panic!("no line for a: {list}"));
    assert!(line_a.contains(" flags=P "), "{line_a}");
    assert!(list
        .lines()
        .any(|l| l.contains("flags=N") && l.contains("sub=0 psub=0 ssub=0")));

    // Unsubscribing from everything: one confirmation per channel, counts going down.
    a.send(&[b"UNSUBSCRIBE"]).await;
    assert_eq!(read_str(&mut a).await, confirm("unsubscribe", "c1", 2));
    assert_eq!(read_str(&mut a).await, confirm("unsubscribe", "c2", 1));
    assert_eq!(
        a.cmd_str(&["PUNSUBSCRIBE"]).await,
        confirm("punsubscribe", "c*", 0)
    );
    // Still subscribed to a shard channel: still in subscribed mode.
    assert_eq!(a.cmd_str(&["PING"]).await, "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(
        a.cmd_str(&["SUNSUBSCRIBE"]).await,
        confirm("sunsubscribe", "s1", 0)
    );
    assert_eq!(a.cmd_str(&["PING"]).await, "+PONG\r\n");
    assert_eq!(
        a.cmd_str(&["UNSUBSCRIBE"]).await,
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    );
    srv.stop().await;
}

#[tokio::test]
async fn resp2_subscribed_mode_allows_only_pubsub_commands() {
    let srv = TestServer::start().await;
    let mut a = srv.client().await;
    a.cmd(&["SUBSCRIBE", "x"]).await;
    assert_eq!(
        a.cmd_str(&["GET", "k"]).await,
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        a.cmd_str(&["CONFIG", "GET", "port"]).await,
        "-ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        a.cmd_str(&["PING", "hey"]).await,
        "*2\r\n$4\r\npong\r\n$3\r\nhey\r\n"
    );
    assert_eq!(a.cmd_str(&["RESET"]).await, "+RESET\r\n");
    assert_eq!(a.cmd_str(&["GET", "k"]).await, "$-1\r\n");
    a.cmd(&["SUBSCRIBE", "x"]).await;
    assert_eq!(a.cmd_str(&["QUIT"]).await, "+OK\r\n");
    assert!(a.read_to_close().await.is_empty());
    srv.stop().await;
}

#[tokio::test]
async fn resp3_pushes_interleave_with_replies() {
    let srv = TestServer::start().await;
    let mut a = srv.client().await;
    let mut p = srv.client().await;
    a.cmd(&["HELLO", "3"]).await;
    assert_eq!(
        a.cmd_str(&["SUBSCRIBE", "ch"]).await,
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    assert_eq!(p.cmd_str(&["PUBLISH", "ch", "m1"]).await, ":1\r\n");
    // The push was queued before GET ran, so it arrives before GET's reply.
    a.send(&[b"SET", b"k", b"v"]).await;
    assert_eq!(
        read_str(&mut a).await,
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n"
    );
    assert_eq!(read_str(&mut a).await, "+OK\r\n");
    assert_eq!(a.cmd_str(&["GET", "k"]).await, "$1\r\nv\r\n");
    // Publishing to oneself: the push precedes the PUBLISH reply.
    a.send(&[b"PUBLISH", b"ch", b"me"]).await;
    assert_eq!(
        read_str(&mut a).await,
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nme\r\n"
    );
    assert_eq!(read_str(&mut a).await, ":1\r\n");
    assert_eq!(a.cmd_str(&["PING"]).await, "+PONG\r\n");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_one_publisher_arrive_in_order() {
    let srv = TestServer::start().await;
    let mut subs = Vec::new();
    for _ in 0..3 {
        let mut s = srv.client().await;
        s.cmd(&["SUBSCRIBE", "ord"]).await;
        s.cmd(&["PSUBSCRIBE", "o*"]).await;
        subs.push(s);
    }
    let mut p = srv.client().await;
    const N: usize = 500;
    // Pipelined in one write: the server runs them back to back.
    let mut batch = Vec::new();
    for i in 0..N {
        batch.extend(common::encode(&[
            b"PUBLISH",
            b"ord",
            i.to_string().as_bytes(),
        ]));
    }
    p.send_raw(&batch).await;
    for _ in 0..N {
        assert_eq!(read_str(&mut p).await, ":6\r\n");
    }
    for s in &mut subs {
        for i in 0..N {
            assert_eq!(read_str(s).await, message("ord", &i.to_string()));
            assert_eq!(read_str(s).await, pmessage("o*", "ord", &i.to_string()));
        }
    }
    srv.stop().await;
}

/// Reads RESP2 `message` frames from `sock` until `n` have arrived, checking that their
/// payloads carry the sequence numbers 0..n in order. Returns false if the connection closed.
async fn read_sequence(sock: &mut tokio::net::TcpStream, n: usize, payload_len: usize) -> bool {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut pos = 0;
    let mut next = 0usize;
    let mut chunk = vec![0u8; 256 * 1024];
    while next < n {
        // Parse every complete frame in the buffer: *3 $7 message $ch ch $len payload.
        loop {
            let rest = &buf[pos..];
            let Some(frame_len) = common::reply_len(rest) else {
                break;
            };
            let frame = &rest[..frame_len];
            let tail = format!("${payload_len}\r\n{next:010}");
            let text = String::from_utf8_lossy(&frame[..frame.len().min(64 + 40)]);
            assert!(
                frame.starts_with(b"*3\r\n$7\r\nmessage\r\n") && text.contains(&tail),
                "frame {next} out of order: {text:?}"
            );
            pos += frame_len;
            next += 1;
            if next == n {
                return true;
            }
        }
        if pos > (1 << 20) {
            buf.drain(..pos);
            pos = 0;
        }
        match tokio::time::timeout(Duration::from_secs(20), sock.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return false,
            Ok(Ok(k)) => buf.extend_from_slice(&chunk[..k]),
            Err(_) => panic!("fast subscriber stalled at message {next}"),
        }
    }
    true
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_subscriber_is_disconnected_while_others_get_everything() {
    const HARD: u64 = 4 * 1024 * 1024;
    let srv = TestServer::with(|s| {
        s.client_output_buffer_limit[herald::config::OBUF_PUBSUB] = ObufLimit {
            hard: HARD,
            soft: 2 * 1024 * 1024,
            soft_seconds: 60,
        };
    })
    .await;
    // The slow subscriber never reads after subscribing.
    let mut slow = srv.client().await;
    slow.cmd(&["SUBSCRIBE", "big"]).await;
    let slow_id = {
        let mut c = srv.client().await;
        let list = c.cmd_str(&["CLIENT", "LIST"]).await;
        let line = list
            .lines()
            .find(|l| l.contains("sub=1"))
            .expect("slow subscriber listed")
            .to_string();
        line.split(' ')
            .find_map(|kv| kv.strip_prefix("id="))
            .and_then(|v| v.parse::<u64>().ok())
            .expect("id")
    };
    let mut fast = srv.client().await;
    fast.cmd(&["SUBSCRIBE", "big"]).await;

    const PAYLOAD: usize = 16 * 1024;
    const N: usize = 100 * 1024 * 1024 / PAYLOAD; // 100 MB in all
    let mut fast_sock = fast.sock;
    let reader = tokio::spawn(async move {
        let ok = read_sequence(&mut fast_sock, N, PAYLOAD).await;
        (ok, fast_sock)
    });

    let rss_before = rss_kb();
    let mut max_rss = rss_before;
    let mut max_pending = 0usize;
    let mut p = srv.client().await;
    let filler = "x".repeat(PAYLOAD - 10);
    let mut i = 0;
    while i < N {
        let end = (i + 8).min(N);
        let mut batch = Vec::new();
        for j in i..end {
            let payload = format!("{j:010}{filler}");
            batch.extend(common::encode(&[b"PUBLISH", b"big", payload.as_bytes()]));
        }
        p.send_raw(&batch).await;
        for _ in i..end {
            let r = read_str(&mut p).await;
            assert!(r == ":2\r\n" || r == ":1\r\n", "{r}");
        }
        i = end;
        if let Some(c) = srv.srv.clients.get(&slow_id) {
            max_pending = max_pending.max(c.outbound.pending_bytes());
        }
        if i % 256 == 0 {
            max_rss = max_rss.max(rss_kb());
        }
    }
    // The slow subscriber was cut off, and never held more than the hard limit.
    wait_until(|| async { !srv.srv.clients.contains_key(&slow_id) }).await;
    assert!(max_pending as u64 <= HARD, "{max_pending}");
    let got = slow.read_to_close().await;
    assert!(
        got.len() < 100 * 1024 * 1024,
        "slow subscriber got everything?"
    );
    // The fast subscriber received all 100 MB, in order.
    let (ok, _fast_sock) = reader.await.expect("reader task");
    assert!(ok, "fast subscriber was disconnected");
    // Memory stayed bounded: nothing close to the 100 MB that went through.
    let grown_mb = max_rss.saturating_sub(rss_before) / 1024;
    assert!(grown_mb < 64, "RSS grew by {grown_mb} MB");
    // The registry no longer lists the slow subscriber.
    assert_eq!(
        p.cmd_str(&["PUBSUB", "NUMSUB", "big"]).await,
        "*2\r\n$3\r\nbig\r\n:1\r\n"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_limit_disconnects_only_after_its_seconds() {
    let srv = TestServer::start().await;
    let mut p = srv.client().await;
    // CONFIG SET takes effect for the next PUBLISH: no hard limit, 64 KB soft for 1 second.
    assert_eq!(
        p.cmd_str(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 0 64kb 1"
        ])
        .await,
        "+OK\r\n"
    );
    let mut slow = srv.client().await;
    slow.cmd(&["SUBSCRIBE", "s"]).await;
    let payload = "y".repeat(64 * 1024);
    // Over the soft limit right away (socket buffers fill first), but not yet for a second.
    let slow_info = srv
        .srv
        .clients
        .iter()
        .find(|c| c.subs.load(Ordering::Relaxed) == 1)
        .map(|c| c.clone())
        .expect("subscriber registered");
    let mut n = 0;
    while slow_info.soft_limit_since.load(Ordering::Relaxed) == 0 {
        assert_eq!(p.cmd_str(&["PUBLISH", "s", &payload]).await, ":1\r\n");
        n += 1;
        assert!(n < 10_000, "never went over the soft limit");
    }
    assert!(
        !slow_info.is_killed(),
        "killed before the soft seconds elapsed"
    );
    // Keep publishing: once over the limit for more than a second, it is closed.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !slow_info.is_killed() {
        assert!(std::time::Instant::now() < deadline, "never disconnected");
        p.cmd(&["PUBLISH", "s", &payload]).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_until(|| async { srv.srv.pubsub.is_empty() }).await;
    srv.stop().await;
}

#[tokio::test]
async fn reset_and_disconnect_remove_every_subscription() {
    let srv = TestServer::start().await;
    let mut a = srv.client().await;
    a.send(&[b"SUBSCRIBE", b"a", b"b"]).await;
    a.read_reply().await;
    a.read_reply().await;
    a.cmd(&["PSUBSCRIBE", "p*"]).await;
    a.cmd(&["SSUBSCRIBE", "s"]).await;
    assert!(!srv.srv.pubsub.is_empty());
    assert_eq!(a.cmd_str(&["RESET"]).await, "+RESET\r\n");
    assert!(srv.srv.pubsub.is_empty());
    let list = a.cmd_str(&["CLIENT", "LIST"]).await;
    assert!(
        list.contains("flags=N") && list.contains("sub=0 psub=0 ssub=0"),
        "{list}"
    );

    let mut b = srv.client().await;
    b.cmd(&["SUBSCRIBE", "x"]).await;
    b.cmd(&["PSUBSCRIBE", "y*"]).await;
    b.cmd(&["SSUBSCRIBE", "z"]).await;
    assert!(!srv.srv.pubsub.is_empty());
    drop(b);
    wait_until(|| async { srv.srv.pubsub.is_empty() }).await;
    assert_eq!(a.cmd_str(&["PUBLISH", "x", "m"]).await, ":0\r\n");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_subscribe_cycles_leave_the_registry_empty() {
    let srv = TestServer::start().await;
    let mut tasks = Vec::new();
    for t in 0..4 {
        let mut c = srv.client().await;
        tasks.push(tokio::spawn(async move {
            let mut batch = Vec::new();
            for i in 0..1000 {
                let ch = format!("ch{}", i % 37);
                let pat = format!("p{}*", (i + t) % 11);
                batch.extend(common::encode(&[b"SUBSCRIBE", ch.as_bytes()]));
                batch.extend(common::encode(&[b"PSUBSCRIBE", pat.as_bytes()]));
                batch.extend(common::encode(&[b"SSUBSCRIBE", ch.as_bytes()]));
                batch.extend(common::encode(&[b"UNSUBSCRIBE", ch.as_bytes()]));
                batch.extend(common::encode(&[b"PUNSUBSCRIBE", pat.as_bytes()]));
                batch.extend(common::encode(&[b"SUNSUBSCRIBE", ch.as_bytes()]));
            }
            c.send_raw(&batch).await;
            // 6000 confirmations, in order; messages published to ch1 meanwhile arrive
            // interleaved with them and are skipped.
            let mut last = Vec::new();
            let mut confirmations = 0;
            while confirmations < 6000 {
                last = c.read_reply().await;
                let text = String::from_utf8_lossy(&last);
                if !text.starts_with("*3\r\n$7\r\nmessage\r\n")
                    && !text.starts_with("*4\r\n$8\r\npmessage\r\n")
                {
                    confirmations += 1;
                }
            }
            assert!(
                last.ends_with(b":0\r\n"),
                "{:?}",
                String::from_utf8_lossy(&last)
            );
            c
        }));
    }
    let mut p = srv.client().await;
    for _ in 0..200 {
        p.cmd(&["PUBLISH", "ch1", "x"]).await;
    }
    for t in tasks {
        t.await.expect("cycle task");
    }
    assert!(srv.srv.pubsub.is_empty());
    assert_eq!(p.cmd_str(&["PUBSUB", "NUMPAT"]).await, ":0\r\n");
    assert_eq!(p.cmd_str(&["PUBSUB", "CHANNELS"]).await, "*0\r\n");
    srv.stop().await;
}

/// A keyspace event as received: (channel, payload).
type Event = (String, String);

/// Collects `(channel, payload)` pairs of the pmessages waiting on `sub`, until `PING` (sent
/// after them) answers.
async fn events(sub: &mut RawClient) -> Vec<Event> {
    sub.send(&[b"PING"]).await;
    let mut out = Vec::new();
    loop {
        let r = read_str(sub).await;
        if r == "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
            return out;
        }
        let parts: Vec<&str> = r.split("\r\n").collect();
        assert_eq!(parts.get(2), Some(&"pmessage"), "{r}");
        out.push((parts[6].to_string(), parts[8].to_string()));
    }
}

#[tokio::test]
async fn keyspace_notifications_for_each_event() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let mut sub = srv.client().await;
    // Off by default: nothing published.
    sub.cmd(&["PSUBSCRIBE", "__key*"]).await;
    c.cmd(&["SET", "k", "v"]).await;
    assert!(events(&mut sub).await.is_empty());
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "notify-keyspace-events", "KEA"])
            .await,
        "+OK\r\n"
    );
    let ks = |k: &str, e: &str| (format!("__keyspace@0__:{k}"), e.to_string());
    let ke = |e: &str, k: &str| (format!("__keyevent@0__:{e}"), k.to_string());
    let both = |k: &str, e: &str| vec![ks(k, e), ke(e, k)];
    let cases: Vec<(Vec<&str>, Vec<Event>)> = vec![
        (vec!["SET", "k", "v"], both("k", "set")),
        (
            vec!["SET", "k", "v", "EX", "100"],
            [both("k", "set"), both("k", "expire")].concat(),
        ),
        (vec!["SETNX", "k", "v"], vec![]),
        (
            vec!["MSET", "a", "1", "b", "2"],
            [both("a", "set"), both("b", "set")].concat(),
        ),
        (vec!["APPEND", "k", "x"], both("k", "append")),
        (vec!["SETRANGE", "k", "0", "z"], both("k", "setrange")),
        (vec!["INCR", "n"], both("n", "incrby")),
        (vec!["DECRBY", "n", "3"], both("n", "incrby")),
        (vec!["INCRBYFLOAT", "n", "1.5"], both("n", "incrbyfloat")),
        (vec!["GETSET", "k", "w"], both("k", "set")),
        (vec!["GETEX", "k", "EX", "50"], both("k", "expire")),
        (vec!["GETEX", "k", "PERSIST"], both("k", "persist")),
        (vec!["GETDEL", "k"], both("k", "del")),
        (vec!["DEL", "a", "nokey"], both("a", "del")),
        (
            vec!["RENAME", "b", "b2"],
            [both("b", "rename_from"), both("b2", "rename_to")].concat(),
        ),
        (vec!["COPY", "b2", "b3"], both("b3", "copy_to")),
        (
            vec!["MOVE", "b3", "1"],
            vec![
                ks("b3", "move_from"),
                ke("move_from", "b3"),
                ("__keyspace@1__:b3".into(), "move_to".into()),
                ("__keyevent@1__:move_to".into(), "b3".into()),
            ],
        ),
        (vec!["EXPIRE", "b2", "100"], both("b2", "expire")),
        (vec!["PERSIST", "b2"], both("b2", "persist")),
        (vec!["EXPIRE", "b2", "-1"], both("b2", "del")),
        (vec!["RPUSH", "l", "a", "b", "c", "d"], both("l", "rpush")),
        (vec!["LPUSH", "l", "z"], both("l", "lpush")),
        (
            vec!["LINSERT", "l", "BEFORE", "a", "q"],
            both("l", "linsert"),
        ),
        (vec!["LSET", "l", "0", "y"], both("l", "lset")),
        (vec!["LREM", "l", "1", "y"], both("l", "lrem")),
        (vec!["LTRIM", "l", "0", "-2"], both("l", "ltrim")),
        (vec!["LPOP", "l"], both("l", "lpop")),
        (
            vec!["LMOVE", "l", "l2", "LEFT", "RIGHT"],
            [both("l2", "rpush"), both("l", "lpop")].concat(),
        ),
        (
            vec!["RPOP", "l", "5"],
            [both("l", "rpop"), both("l", "del")].concat(),
        ),
    ];
    for (cmd, want) in cases {
        c.cmd(&cmd).await;
        assert_eq!(events(&mut sub).await, want, "{cmd:?}");
    }

    // A blocked BLPOP served by a push: the push, then the pop and deletion done for the waiter.
    let mut blocked = srv.client().await;
    blocked.send(&[b"BLPOP", b"bl", b"0"]).await;
    wait_until(|| async {
        srv.srv.stats.blocked_clients.load(Ordering::Relaxed) == 1
            || srv
                .srv
                .clients
                .iter()
                .any(|c| c.blocked.load(Ordering::Relaxed))
    })
    .await;
    c.cmd(&["RPUSH", "bl", "x"]).await;
    assert_eq!(
        blocked.read_reply().await,
        b"*2\r\n$2\r\nbl\r\n$1\r\nx\r\n".to_vec()
    );
    assert_eq!(
        events(&mut sub).await,
        [both("bl", "rpush"), both("bl", "lpop"), both("bl", "del")].concat()
    );

    // Expiry: lazily on access or by the active cycle, whichever comes first.
    c.cmd(&["SET", "e", "v", "PX", "1"]).await;
    let mut got = events(&mut sub).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while got.len() < 6 {
        assert!(
            std::time::Instant::now() < deadline,
            "no expired event: {got:?}"
        );
        c.cmd(&["GET", "e"]).await;
        got.extend(events(&mut sub).await);
    }
    assert_eq!(
        got,
        [both("e", "set"), both("e", "expire"), both("e", "expired")].concat()
    );

    // Classes filter: only generic events, keyevent channel only.
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Eg"])
        .await;
    c.cmd(&["SET", "f", "1"]).await;
    c.cmd(&["DEL", "f"]).await;
    assert_eq!(events(&mut sub).await, vec![ke("del", "f")]);
    srv.stop().await;
}
