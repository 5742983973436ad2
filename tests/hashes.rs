//! Hash commands beyond what the differential script can compare: large (hashtable-encoded)
//! hashes, cursor iteration, random picks, and the encoding Redis would report.

mod common;
use std::collections::{BTreeSet, HashSet};

use common::*;
use herald::store::Value;

/// Every bulk string in a reply, in order (nested arrays flattened).

#[tokio::test]
async fn hscan_iterates_a_large_hash_completely() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    for i in 0..1000 {
        let (f, v) = (format!("f{i}"), format!("v{i}"));
        assert_eq!(c.cmd_str(&["HSET", "h", &f, &v]).await, ":1\r\n");
    }
    assert_eq!(encoding(&s, "h"), "hashtable");
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let r = c.cmd_str(&["HSCAN", "h", &cursor, "COUNT", "100"]).await;
        let items = bulks(&r);
        cursor = items[0].clone();
        for pair in items[1..].chunks(2) {
            assert_eq!(pair[1], format!("v{}", &pair[0][1..]));
            seen.insert(pair[0].clone());
        }
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(calls > 1, "a hashtable hash is scanned in several calls");
    // MATCH filters fields.
    let r = c
        .cmd_str(&["HSCAN", "h", "0", "MATCH", "f99*", "COUNT", "2000"])
        .await;
    let fields: BTreeSet<String> = bulks(&r)[1..].chunks(2).map(|p| p[0].clone()).collect();
    let want: BTreeSet<String> = [
        "f99", "f990", "f991", "f992", "f993", "f994", "f995", "f996", "f997", "f998", "f999",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(fields, want);
    s.stop().await;
}

#[tokio::test]
async fn encodings_follow_redis_thresholds() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.cmd_str(&["HSET", "small", "a", "1"]).await;
    assert_eq!(encoding(&s, "small"), "listpack");
    let long = "x".repeat(65);
    c.cmd_str(&["HSET", "small", "b", &long]).await;
    assert_eq!(encoding(&s, "small"), "hashtable");
    // Deleting the long value does not convert back, as in Redis.
    c.cmd_str(&["HDEL", "small", "b"]).await;
    assert_eq!(encoding(&s, "small"), "hashtable");
    for i in 0..512 {
        c.cmd_str(&["HSET", "many", &i.to_string(), "v"]).await;
    }
    assert_eq!(encoding(&s, "many"), "listpack");
    c.cmd_str(&["HSET", "many", "one-more", "v"]).await;
    assert_eq!(encoding(&s, "many"), "hashtable");
    assert!(matches!(
        s.srv.ks.lock(0, [b"many"], 0).get(b"many").map(|e| &e.value),
        Some(Value::Hash(h)) if h.len() == 513
    ));
    s.stop().await;
}

#[tokio::test]
async fn hrandfield_counts() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    for i in 0..20 {
        c.cmd_str(&["HSET", "h", &format!("f{i}"), &format!("v{i}")])
            .await;
    }
    // Positive count: distinct fields, at most the hash size.
    let r = bulks(&c.cmd_str(&["HRANDFIELD", "h", "5"]).await);
    assert_eq!(r.len(), 5);
    assert_eq!(r.iter().collect::<HashSet<_>>().len(), 5);
    // Negative count: exactly |count| picks, repetitions allowed.
    let r = bulks(&c.cmd_str(&["HRANDFIELD", "h", "-50"]).await);
    assert_eq!(r.len(), 50);
    assert!(r.iter().all(|f| f.starts_with('f')));
    // WITHVALUES pairs each field with its own value (RESP2: flat).
    let r = bulks(&c.cmd_str(&["HRANDFIELD", "h", "-7", "WITHVALUES"]).await);
    assert_eq!(r.len(), 14);
    for p in r.chunks(2) {
        assert_eq!(p[1], format!("v{}", &p[0][1..]));
    }
    let one = bulks(&c.cmd_str(&["HRANDFIELD", "h"]).await);
    assert_eq!(one.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn hincrbyfloat_keeps_long_double_digits() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(
        c.cmd_str(&["HINCRBYFLOAT", "h", "x", "10.5"]).await,
        "$4\r\n10.5\r\n"
    );
    // With doubles this would be 10.59999999999999964; Redis (long double) says 10.6.
    assert_eq!(
        c.cmd_str(&["HINCRBYFLOAT", "h", "x", "0.1"]).await,
        "$4\r\n10.6\r\n"
    );
    assert_eq!(c.cmd_str(&["HGET", "h", "x"]).await, "$4\r\n10.6\r\n");
    assert_eq!(
        c.cmd_str(&["HINCRBYFLOAT", "h", "x", "1e5000"]).await,
        "-ERR value is NaN or Infinity\r\n"
    );
    s.stop().await;
}
