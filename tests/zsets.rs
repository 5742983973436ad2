//! Sorted sets: a large set checked against a model (ranks and ranges through the skiplist),
//! blocking pops through the waiter registry, and cursor iteration.

mod common;
use std::collections::HashSet;

use common::*;

#[tokio::test]
async fn large_zset_matches_a_model() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    // 500 members with scores that collide (ties order by member).
    let mut model: Vec<(i64, String)> = (0..500)
        .map(|i| ((i * 7919) % 50, format!("m{i:03}")))
        .collect();
    let mut args: Vec<String> = vec!["ZADD".into(), "z".into()];
    for (sc, m) in &model {
        args.push(sc.to_string());
        args.push(m.clone());
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.cmd_str(&a).await, ":500\r\n");
    model.sort();
    for r in [0usize, 1, 123, 250, 499] {
        let (_, m) = &model[r];
        assert_eq!(c.cmd_str(&["ZRANK", "z", m]).await, format!(":{r}\r\n"));
        assert_eq!(
            c.cmd_str(&["ZREVRANK", "z", m]).await,
            format!(":{}\r\n", 499 - r)
        );
    }
    let got = bulks(&c.cmd_str(&["ZRANGE", "z", "100", "109"]).await);
    let want: Vec<String> = model[100..110].iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(got, want);
    // BYSCORE with LIMIT: scores 10..=12, skip 3, take 5.
    let inrange: Vec<String> = model
        .iter()
        .filter(|(s, _)| (10..=12).contains(s))
        .map(|(_, m)| m.clone())
        .collect();
    let got = bulks(
        &c.cmd_str(&["ZRANGEBYSCORE", "z", "10", "12", "LIMIT", "3", "5"])
            .await,
    );
    assert_eq!(got, inrange[3..8].to_vec());
    let got = bulks(
        &c.cmd_str(&["ZREVRANGEBYSCORE", "z", "12", "10", "LIMIT", "0", "2"])
            .await,
    );
    assert_eq!(
        got,
        vec![
            inrange[inrange.len() - 1].clone(),
            inrange[inrange.len() - 2].clone()
        ]
    );
    assert_eq!(
        c.cmd_str(&["ZCOUNT", "z", "10", "(13"]).await,
        format!(":{}\r\n", inrange.len())
    );
    // Removing by rank keeps ranks consistent.
    assert_eq!(
        c.cmd_str(&["ZREMRANGEBYRANK", "z", "0", "99"]).await,
        ":100\r\n"
    );
    let (_, m) = &model[100];
    assert_eq!(c.cmd_str(&["ZRANK", "z", m]).await, ":0\r\n");
    assert_eq!(c.cmd_str(&["ZCARD", "z"]).await, ":400\r\n");
    // ZSCAN of a skiplist-encoded set visits every member.
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let items = bulks(&c.cmd_str(&["ZSCAN", "z", &cursor]).await);
        cursor = items[0].clone();
        for p in items[1..].chunks(2) {
            seen.insert(p[0].clone());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 400);
    s.stop().await;
}

#[tokio::test]
async fn bzpopmin_is_served_by_zadd_fifo() {
    let s = TestServer::start().await;
    let mut w1 = s.client().await;
    w1.send(&[b"BZPOPMIN", b"z", b"0"]).await;
    wait_blocked(&s, 1).await;
    let mut w2 = s.client().await;
    w2.send(&[b"BZPOPMAX", b"other", b"z", b"0"]).await;
    wait_blocked(&s, 2).await;
    let mut p = s.client().await;
    assert_eq!(
        p.cmd_str(&["ZADD", "z", "1", "a", "2", "b", "3", "c"])
            .await,
        ":3\r\n"
    );
    assert_eq!(
        w1.read_reply().await,
        b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        w2.read_reply().await,
        b"*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        p.cmd_str(&["ZRANGE", "z", "0", "-1"]).await,
        "*1\r\n$1\r\nb\r\n"
    );
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

#[tokio::test]
async fn bzmpop_and_store_commands_wake_waiters() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"BZMPOP", b"0", b"1", b"dst", b"MAX", b"COUNT", b"5"])
        .await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    p.cmd_str(&["ZADD", "src", "1", "a", "2", "b"]).await;
    assert_eq!(
        p.cmd_str(&["ZUNIONSTORE", "dst", "1", "src"]).await,
        ":2\r\n"
    );
    assert_eq!(
        w.read_reply().await,
        b"*2\r\n$3\r\ndst\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(p.cmd_str(&["EXISTS", "dst"]).await, ":0\r\n");
    wait_blocked(&s, 0).await;
    s.stop().await;
}

#[tokio::test]
async fn list_and_zset_waiters_on_one_key_are_served_by_kind() {
    let s = TestServer::start().await;
    let mut lw = s.client().await;
    lw.send(&[b"BLPOP", b"k", b"0"]).await;
    wait_blocked(&s, 1).await;
    let mut zw = s.client().await;
    zw.send(&[b"BZPOPMIN", b"k", b"0"]).await;
    wait_blocked(&s, 2).await;
    let mut p = s.client().await;
    // The list waiter is first in line but cannot use a zset: the zset waiter gets it.
    assert_eq!(p.cmd_str(&["ZADD", "k", "5", "m"]).await, ":1\r\n");
    assert_eq!(
        zw.read_reply().await,
        b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n5\r\n"
    );
    wait_blocked(&s, 1).await;
    assert_eq!(p.cmd_str(&["RPUSH", "k", "x"]).await, ":1\r\n");
    assert_eq!(lw.read_reply().await, b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
    s.stop().await;
}

#[tokio::test]
async fn bzpopmin_times_out_with_null_array() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    assert_eq!(w.cmd_str(&["BZPOPMIN", "z", "0.05"]).await, "*-1\r\n");
    assert_eq!(
        w.cmd_str(&["BZMPOP", "0.05", "1", "z", "MIN"]).await,
        "*-1\r\n"
    );
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}
