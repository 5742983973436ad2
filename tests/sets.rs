//! Set commands beyond what the differential script can compare: hashtable-encoded sets
//! (unordered replies), random pops and picks, cursor iteration.

mod common;
use std::collections::{BTreeSet, HashSet};

use common::*;

fn sorted(v: Vec<String>) -> Vec<String> {
    let mut v = v;
    v.sort();
    v
}

#[tokio::test]
async fn set_algebra_on_hashtable_sets() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.cmd_str(&["SADD", "a", "x", "y", "z", "1"]).await;
    c.cmd_str(&["SADD", "b", "y", "z", "w"]).await;
    assert_eq!(encoding(&s, "a"), "hashtable");
    assert_eq!(
        sorted(bulks(&c.cmd_str(&["SINTER", "a", "b"]).await)),
        ["y", "z"]
    );
    assert_eq!(
        sorted(bulks(&c.cmd_str(&["SUNION", "a", "b"]).await)),
        ["1", "w", "x", "y", "z"]
    );
    assert_eq!(
        sorted(bulks(&c.cmd_str(&["SDIFF", "a", "b"]).await)),
        ["1", "x"]
    );
    assert_eq!(c.cmd_str(&["SDIFFSTORE", "d", "a", "b"]).await, ":2\r\n");
    assert_eq!(
        sorted(bulks(&c.cmd_str(&["SMEMBERS", "d"]).await)),
        ["1", "x"]
    );
    assert_eq!(
        c.cmd_str(&["SINTERCARD", "2", "a", "b", "LIMIT", "1"])
            .await,
        ":1\r\n"
    );
    assert_eq!(c.cmd_str(&["SMOVE", "a", "b", "x"]).await, ":1\r\n");
    assert_eq!(c.cmd_str(&["SISMEMBER", "b", "x"]).await, ":1\r\n");
    assert_eq!(c.cmd_str(&["SISMEMBER", "a", "x"]).await, ":0\r\n");
    s.stop().await;
}

#[tokio::test]
async fn spop_and_srandmember() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let members: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(members.iter().map(|m| m.as_str()));
    assert_eq!(c.cmd_str(&args).await, ":100\r\n");
    let popped = bulks(&c.cmd_str(&["SPOP", "s", "30"]).await);
    assert_eq!(popped.iter().collect::<HashSet<_>>().len(), 30);
    assert_eq!(c.cmd_str(&["SCARD", "s"]).await, ":70\r\n");
    for p in &popped {
        assert_eq!(c.cmd_str(&["SISMEMBER", "s", p]).await, ":0\r\n");
    }
    let picks = bulks(&c.cmd_str(&["SRANDMEMBER", "s", "10"]).await);
    assert_eq!(picks.iter().collect::<HashSet<_>>().len(), 10);
    let picks = bulks(&c.cmd_str(&["SRANDMEMBER", "s", "-200"]).await);
    assert_eq!(picks.len(), 200);
    assert_eq!(c.cmd_str(&["SCARD", "s"]).await, ":70\r\n");
    // Popping everything deletes the key.
    let rest = bulks(&c.cmd_str(&["SPOP", "s", "1000"]).await);
    assert_eq!(rest.len(), 70);
    let all: BTreeSet<String> = popped.into_iter().chain(rest).collect();
    assert_eq!(all.len(), 100);
    assert_eq!(c.cmd_str(&["EXISTS", "s"]).await, ":0\r\n");
    s.stop().await;
}

#[tokio::test]
async fn intset_converts_and_sscan_covers_everything() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    for i in 0..512 {
        c.cmd_str(&["SADD", "s", &i.to_string()]).await;
    }
    assert_eq!(encoding(&s, "s"), "intset");
    c.cmd_str(&["SADD", "s", "512"]).await;
    assert_eq!(encoding(&s, "s"), "hashtable");
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let items = bulks(&c.cmd_str(&["SSCAN", "s", &cursor, "COUNT", "50"]).await);
        cursor = items[0].clone();
        seen.extend(items[1..].iter().cloned());
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 513);
    s.stop().await;
}
