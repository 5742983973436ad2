//! Integration tests for the generic keyspace commands: expiry (lazy and active), SCAN's
//! guarantee under concurrent writes, cross-database commands (SWAPDB, MOVE, COPY ... DB),
//! FLUSHALL, and the behaviours the differential script cannot compare (KEYS/SCAN over many
//! keys, RANDOMKEY, MEMORY USAGE).

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{RawClient, TestServer};

/// Parses a RESP2 reply made of integers, bulk strings and (nested) arrays, flattened to the
/// bulk strings it contains. Enough for SCAN and KEYS replies.
fn bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < reply.len() {
        let end = reply[i..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF")
            + i;
        let line = &reply[i + 1..end];
        match reply[i] {
            b'$' => {
                let n: usize = std::str::from_utf8(line).unwrap().parse().unwrap();
                out.push(reply[end + 2..end + 2 + n].to_vec());
                i = end + 2 + n + 2;
            }
            _ => i = end + 2,
        }
    }
    out
}

/// Runs SCAN from cursor 0 to the end; returns every key returned and the number of calls.
async fn full_scan(c: &mut RawClient, extra: &[&str]) -> (Vec<Vec<u8>>, usize) {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let r = c.cmd(&args).await;
        calls += 1;
        let mut b = bulks(&r);
        assert!(
            !b.is_empty(),
            "bad SCAN reply {:?}",
            String::from_utf8_lossy(&r)
        );
        let next = String::from_utf8(b.remove(0)).unwrap();
        keys.extend(b);
        if next == "0" {
            return (keys, calls);
        }
        cursor = next;
    }
}

async fn dbsize(c: &mut RawClient) -> i64 {
    let r = c.cmd_str(&["DBSIZE"]).await;
    r.trim_start_matches(':').trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_keys_are_removed_actively() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    for i in 0..200 {
        c.cmd(&["SET", &format!("vol:{i}"), "v"]).await;
    }
    c.cmd(&["SET", "persistent", "v"]).await;
    assert_eq!(dbsize(&mut c).await, 201);
    // One pipelined batch, so a slow machine cannot let early keys expire before the rest are
    // set; every `:1` proves the key existed when its expiry was set.
    let mut batch = Vec::new();
    for i in 0..200 {
        let k = format!("vol:{i}");
        batch.extend(common::encode(&[b"PEXPIRE", k.as_bytes(), b"30"]));
    }
    c.send_raw(&batch).await;
    for _ in 0..200 {
        assert_eq!(c.read_reply().await, b":1\r\n");
    }
    // Nobody touches the volatile keys: only the active cycle can remove them.
    let addr = s.addr;
    common::wait_until(|| async move {
        let mut c = RawClient::connect(addr).await;
        dbsize(&mut c).await == 1
    })
    .await;
    assert_eq!(c.cmd_str(&["GET", "persistent"]).await, "$1\r\nv\r\n");
    assert!(s.srv.stats.expired_keys.load(Ordering::Relaxed) >= 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_keys_are_removed_lazily() {
    // hz 1: the active cycle runs once a second, so the access below is what removes the key
    // in practice; either way the key must be gone and counted.
    let s = TestServer::with(|st| st.hz = 1).await;
    let mut c = s.client().await;
    c.cmd(&["SET", "k", "v"]).await;
    c.cmd(&["PEXPIRE", "k", "20"]).await;
    let deadline = herald::util::now_ms() + 25;
    common::wait_until(|| async move { herald::util::now_ms() > deadline }).await;
    assert_eq!(c.cmd_str(&["GET", "k"]).await, "$-1\r\n");
    assert_eq!(c.cmd_str(&["TTL", "k"]).await, ":-2\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "k"]).await, ":0\r\n");
    assert_eq!(dbsize(&mut c).await, 0);
    assert!(s.srv.stats.expired_keys.load(Ordering::Relaxed) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expire_in_the_past_deletes_and_ttl_is_kept_by_rename() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.cmd(&["SET", "k", "v"]).await;
    assert_eq!(c.cmd_str(&["EXPIREAT", "k", "1"]).await, ":1\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "k"]).await, ":0\r\n");
    c.cmd(&["SET", "k", "v"]).await;
    c.cmd(&["EXPIRE", "k", "1000"]).await;
    assert_eq!(c.cmd_str(&["RENAME", "k", "k2"]).await, "+OK\r\n");
    let ttl = c.cmd_str(&["TTL", "k2"]).await;
    assert!(ttl == ":1000\r\n" || ttl == ":999\r\n", "{ttl}");
    // A plain SET clears the TTL.
    c.cmd(&["SET", "k2", "x"]).await;
    assert_eq!(c.cmd_str(&["TTL", "k2"]).await, ":-1\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_returns_every_stable_key_under_concurrent_writes() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let stable: HashSet<Vec<u8>> = (0..3000)
        .map(|i| format!("stable:{i}").into_bytes())
        .collect();
    for k in &stable {
        let k = std::str::from_utf8(k).unwrap();
        c.cmd(&["SET", k, "v"]).await;
    }
    // A writer adds and removes other keys for the whole scan, which moves entries inside the
    // shards (swap_remove) and grows them.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let mut w = s.client().await;
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let k = format!("churn:{i}");
                w.cmd(&["SET", &k, "v"]).await;
                if i >= 50 {
                    let old = format!("churn:{}", i - 50);
                    w.cmd(&["DEL", &old]).await;
                }
                i += 1;
            }
            i
        })
    };
    let (keys, calls) = full_scan(&mut c, &["COUNT", "7"]).await;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written > 0);
    assert!(calls > 1);
    let seen: HashSet<Vec<u8>> = keys.into_iter().collect();
    let missing = stable.iter().filter(|k| !seen.contains(*k)).count();
    assert_eq!(missing, 0, "{missing} stable keys never returned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_and_keys_filter_by_pattern_and_type() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    for i in 0..500 {
        c.cmd(&["SET", &format!("user:{i}"), "v"]).await;
        c.cmd(&["SET", &format!("order:{i}"), "v"]).await;
    }
    let (keys, _) = full_scan(&mut c, &["MATCH", "user:*", "COUNT", "50"]).await;
    let set: HashSet<_> = keys.iter().cloned().collect();
    assert_eq!(set.len(), 500);
    assert!(set.iter().all(|k| k.starts_with(b"user:")));

    let (keys, _) = full_scan(&mut c, &["TYPE", "list"]).await;
    assert!(keys.is_empty());
    let (keys, _) = full_scan(&mut c, &["TYPE", "String", "COUNT", "1000"]).await;
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 1000);

    let r = c.cmd(&["KEYS", "order:1?"]).await;
    let mut got: Vec<String> = bulks(&r)
        .into_iter()
        .map(|b| String::from_utf8(b).unwrap())
        .collect();
    got.sort();
    let mut want: Vec<String> = (10..20).map(|i| format!("order:{i}")).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(bulks(&c.cmd(&["KEYS", "*"]).await).len(), 1000);

    // A hostile pattern is answered quickly.
    let pat = format!("{}b", "*a".repeat(40));
    c.cmd(&["SET", &"a".repeat(100), "v"]).await;
    let t = std::time::Instant::now();
    assert_eq!(c.cmd_str(&["KEYS", &pat]).await, "*0\r\n");
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_skips_and_deletes_expired_keys() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    for i in 0..20 {
        c.cmd(&["SET", &format!("k{i}"), "v"]).await;
    }
    // Expired but still stored: give them an expiry in the past through the keyspace API, as
    // EXPIRE with a past time deletes at once.
    {
        let mut l = s.srv.ks.lock(0, ["k1", "k2"], 0);
        assert!(l.set_expire(b"k1", 1));
        assert!(l.set_expire(b"k2", 1));
    }
    assert_eq!(dbsize(&mut c).await, 20);
    let (keys, _) = full_scan(&mut c, &["COUNT", "100"]).await;
    assert_eq!(keys.len(), 18);
    assert!(!keys.iter().any(|k| k == b"k1" || k == b"k2"));
    assert_eq!(dbsize(&mut c).await, 18);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomkey_returns_live_keys_only() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["RANDOMKEY"]).await, "$-1\r\n");
    for k in ["a", "b", "c"] {
        c.cmd(&["SET", k, "v"]).await;
    }
    {
        let mut l = s.srv.ks.lock(0, ["c"], 0);
        assert!(l.set_expire(b"c", 1));
    }
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let r = bulks(&c.cmd(&["RANDOMKEY"]).await);
        assert_eq!(r.len(), 1);
        assert_ne!(r[0], b"c");
        seen.insert(r[0].clone());
    }
    assert_eq!(seen.len(), 2);
    c.cmd(&["DEL", "a", "b"]).await;
    {
        let mut l = s.srv.ks.lock(0, ["d"], 0);
        l.set(b"d", herald::store::Value::Str("v".into()));
        assert!(l.set_expire(b"d", 1));
    }
    // Only expired keys left: RANDOMKEY removes them and answers null.
    assert_eq!(c.cmd_str(&["RANDOMKEY"]).await, "$-1\r\n");
    assert_eq!(dbsize(&mut c).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapdb_move_and_copy_across_databases() {
    let s = TestServer::start().await;
    let mut c0 = s.client().await;
    let mut c1 = s.client().await;
    c1.cmd(&["SELECT", "1"]).await;
    c0.cmd(&["SET", "in0", "zero"]).await;
    c1.cmd(&["SET", "in1", "one"]).await;
    assert_eq!(c0.cmd_str(&["SWAPDB", "0", "1"]).await, "+OK\r\n");
    // Clients address databases by index, so each now sees the other's data.
    assert_eq!(c0.cmd_str(&["GET", "in1"]).await, "$3\r\none\r\n");
    assert_eq!(c0.cmd_str(&["GET", "in0"]).await, "$-1\r\n");
    assert_eq!(c1.cmd_str(&["GET", "in0"]).await, "$4\r\nzero\r\n");
    // Shard hashing stays valid after the swap: writes and deletes find the keys.
    assert_eq!(c1.cmd_str(&["DEL", "in0"]).await, ":1\r\n");
    c1.cmd(&["SET", "in0", "again"]).await;
    assert_eq!(dbsize(&mut c1).await, 1);

    // MOVE keeps the TTL and refuses to overwrite.
    c0.cmd(&["SET", "m", "v"]).await;
    c0.cmd(&["PEXPIREAT", "m", "99999999999999"]).await;
    assert_eq!(c0.cmd_str(&["MOVE", "m", "1"]).await, ":1\r\n");
    assert_eq!(c0.cmd_str(&["EXISTS", "m"]).await, ":0\r\n");
    assert_eq!(
        c1.cmd_str(&["PEXPIRETIME", "m"]).await,
        ":99999999999999\r\n"
    );
    c0.cmd(&["SET", "m", "other"]).await;
    assert_eq!(c0.cmd_str(&["MOVE", "m", "1"]).await, ":0\r\n");
    assert_eq!(c1.cmd_str(&["GET", "m"]).await, "$1\r\nv\r\n");

    // COPY ... DB copies the value and TTL, REPLACE overwrites.
    assert_eq!(c0.cmd_str(&["COPY", "m", "m", "DB", "1"]).await, ":0\r\n");
    assert_eq!(
        c0.cmd_str(&["COPY", "m", "m", "DB", "1", "REPLACE"]).await,
        ":1\r\n"
    );
    assert_eq!(c1.cmd_str(&["GET", "m"]).await, "$5\r\nother\r\n");
    assert_eq!(c1.cmd_str(&["TTL", "m"]).await, ":-1\r\n");
    c1.cmd(&["PEXPIREAT", "m", "99999999999999"]).await;
    assert_eq!(c1.cmd_str(&["COPY", "m", "c", "DB", "7"]).await, ":1\r\n");
    c0.cmd(&["SELECT", "7"]).await;
    assert_eq!(c0.cmd_str(&["GET", "c"]).await, "$5\r\nother\r\n");
    assert_eq!(
        c0.cmd_str(&["PEXPIRETIME", "c"]).await,
        ":99999999999999\r\n"
    );
    // The copy is independent of the source.
    c1.cmd(&["DEL", "m"]).await;
    assert_eq!(c0.cmd_str(&["EXISTS", "c"]).await, ":1\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_db_commands_do_not_deadlock_under_contention() {
    // MOVE 0->1 and MOVE 1->0 on the same key name lock the same two slots from opposite
    // sides; ascending-order locking must keep them from deadlocking.
    let s = TestServer::start().await;
    let mut tasks = Vec::new();
    for (from, to) in [(0, 1), (1, 0), (0, 1), (1, 0)] {
        let mut c = s.client().await;
        tasks.push(tokio::spawn(async move {
            c.cmd(&["SELECT", &from.to_string()]).await;
            for _ in 0..300 {
                c.cmd(&["SET", "x", "v"]).await;
                c.cmd(&["MOVE", "x", &to.to_string()]).await;
                c.cmd(&["COPY", "x", "y", "DB", &to.to_string(), "REPLACE"])
                    .await;
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(std::time::Duration::from_secs(30), t)
            .await
            .expect("no deadlock")
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushall_and_flushdb() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    for db in ["0", "3", "15"] {
        c.cmd(&["SELECT", db]).await;
        for i in 0..100 {
            c.cmd(&["SET", &format!("k{i}"), "v"]).await;
        }
    }
    c.cmd(&["SELECT", "3"]).await;
    assert_eq!(c.cmd_str(&["FLUSHDB", "ASYNC"]).await, "+OK\r\n");
    assert_eq!(dbsize(&mut c).await, 0);
    c.cmd(&["SELECT", "15"]).await;
    assert_eq!(dbsize(&mut c).await, 100);
    assert_eq!(c.cmd_str(&["FLUSHALL"]).await, "+OK\r\n");
    for db in 0..16 {
        assert_eq!(s.srv.ks.dbsize(db), 0, "db {db}");
    }
    c.cmd(&["SET", "k", "v"]).await;
    assert_eq!(c.cmd_str(&["FLUSHALL", "ASYNC"]).await, "+OK\r\n");
    assert_eq!(dbsize(&mut c).await, 0);
    assert_eq!(s.srv.ks.volatile_count(15), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_usage_tracks_key_and_value_size() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let parse = |r: String| -> i64 { r.trim_start_matches(':').trim().parse().unwrap() };
    c.cmd(&["SET", "small", "v"]).await;
    c.cmd(&["SET", "big", &"x".repeat(10_000)]).await;
    let small = parse(c.cmd_str(&["MEMORY", "USAGE", "small"]).await);
    let big = parse(c.cmd_str(&["MEMORY", "USAGE", "big", "SAMPLES", "0"]).await);
    assert!((33..512).contains(&small), "{small}");
    assert!((10_000..10_000 + 512).contains(&big), "{big}");
    c.cmd(&["EXPIRE", "small", "100"]).await;
    let volatile = parse(c.cmd_str(&["MEMORY", "USAGE", "small"]).await);
    assert!(volatile > small);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_idletime_and_touch() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.cmd(&["SET", "k", "v"]).await;
    // Age the key by moving its LRU stamp back, then check which commands reset it.
    let age = |s: &TestServer| {
        let mut l = s.srv.ks.lock(0, ["k"], herald::util::now_ms());
        if let Some(sh) = l.shard_in(0, b"k") {
            if let Some(e) = sh.map.get_mut(&b"k"[..]) {
                e.lru = e.lru.wrapping_sub(1000);
            }
        }
    };
    age(&s);
    let idle = c.cmd_str(&["OBJECT", "IDLETIME", "k"]).await;
    let idle: i64 = idle.trim_start_matches(':').trim().parse().unwrap();
    assert!(idle >= 1000, "{idle}");
    // TYPE, TTL and OBJECT do not touch; TOUCH does.
    c.cmd(&["TYPE", "k"]).await;
    c.cmd(&["TTL", "k"]).await;
    let again = c.cmd_str(&["OBJECT", "IDLETIME", "k"]).await;
    let again: i64 = again.trim_start_matches(':').trim().parse().unwrap();
    assert!(again >= idle);
    assert_eq!(c.cmd_str(&["TOUCH", "k"]).await, ":1\r\n");
    // The LRU clock ticks in whole seconds, so one tick may pass between the two commands.
    let after = c.cmd_str(&["OBJECT", "IDLETIME", "k"]).await;
    assert!(after == ":0\r\n" || after == ":1\r\n", "{after}");
}
