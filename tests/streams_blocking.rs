//! XREAD/XREADGROUP BLOCK with several real connections: FIFO service after XADD, `$`, BLOCK 0,
//! timeouts in milliseconds, a group destroyed or a stream deleted while readers wait.

mod common;
use std::sync::atomic::Ordering;

use common::*;

fn entry(key: &str, id: &str, f: &str, v: &str) -> String {
    format!(
        "*1\r\n*2\r\n${}\r\n{key}\r\n*1\r\n*2\r\n${}\r\n{id}\r\n*2\r\n${}\r\n{f}\r\n${}\r\n{v}\r\n",
        key.len(),
        id.len(),
        f.len(),
        v.len()
    )
}

#[tokio::test]
async fn xread_block_dollar_waits_for_the_next_entry_and_all_readers_get_it() {
    let s = TestServer::start().await;
    let mut p = s.client().await;
    assert_eq!(
        p.cmd_str(&["XADD", "s", "1-0", "f", "old"]).await,
        "$3\r\n1-0\r\n"
    );
    let mut readers = Vec::new();
    for i in 0..3 {
        let mut c = s.client().await;
        c.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
            .await;
        wait_blocked(&s, i + 1).await;
        readers.push(c);
    }
    assert_eq!(
        p.cmd_str(&["XADD", "s", "2-0", "f", "new"]).await,
        "$3\r\n2-0\r\n"
    );
    // XREAD does not consume: every reader gets the new entry (and only it, not "old").
    for r in readers.iter_mut() {
        let got = String::from_utf8(r.read_reply().await).unwrap();
        assert_eq!(got, entry("s", "2-0", "f", "new"));
    }
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

#[tokio::test]
async fn xread_block_on_several_streams_is_served_by_the_one_written() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"a", b"b", b"$", b"$"])
        .await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    p.cmd_str(&["XADD", "b", "5-1", "x", "y"]).await;
    assert_eq!(
        String::from_utf8(w.read_reply().await).unwrap(),
        entry("b", "5-1", "x", "y")
    );
    // A write to the other key afterwards leaves no stale waiter behind.
    p.cmd_str(&["XADD", "a", "1-1", "x", "y"]).await;
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

#[tokio::test]
async fn xread_block_with_an_explicit_id_waits_only_for_greater_ids() {
    let s = TestServer::start().await;
    let mut p = s.client().await;
    p.cmd_str(&["XADD", "s", "5-0", "f", "v"]).await;
    let mut w = s.client().await;
    w.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"10-0"])
        .await;
    wait_blocked(&s, 1).await;
    p.cmd_str(&["XADD", "s", "7-0", "f", "v"]).await;
    // 7-0 is not past 10-0: still waiting.
    assert_eq!(s.srv.stats.blocked_clients.load(Ordering::Relaxed), 1);
    p.cmd_str(&["XADD", "s", "11-0", "f", "w"]).await;
    assert_eq!(
        String::from_utf8(w.read_reply().await).unwrap(),
        entry("s", "11-0", "f", "w")
    );
    s.stop().await;
}

#[tokio::test]
async fn xread_block_times_out_in_milliseconds_with_a_null_array() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let t = std::time::Instant::now();
    assert_eq!(
        c.cmd_str(&["XREAD", "BLOCK", "50", "STREAMS", "s", "$"])
            .await,
        "*-1\r\n"
    );
    let el = t.elapsed();
    assert!(el >= std::time::Duration::from_millis(45), "{el:?}");
    assert!(el < std::time::Duration::from_secs(3), "{el:?}");
    assert_eq!(
        c.cmd_str(&["XREAD", "BLOCK", "-1", "STREAMS", "s", "$"])
            .await,
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        c.cmd_str(&["XREAD", "BLOCK", "1.5", "STREAMS", "s", "$"])
            .await,
        "-ERR timeout is not an integer or out of range\r\n"
    );
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

#[tokio::test]
async fn xreadgroup_block_readers_share_entries_fifo() {
    let s = TestServer::start().await;
    let mut p = s.client().await;
    assert_eq!(
        p.cmd_str(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"])
            .await,
        "+OK\r\n"
    );
    let mut readers = Vec::new();
    for (i, name) in ["c1", "c2", "c3"].iter().enumerate() {
        let mut c = s.client().await;
        c.send(&[
            b"XREADGROUP",
            b"GROUP",
            b"g",
            name.as_bytes(),
            b"COUNT",
            b"1",
            b"BLOCK",
            b"0",
            b"STREAMS",
            b"s",
            b">",
        ])
        .await;
        wait_blocked(&s, i + 1).await;
        readers.push(c);
    }
    // One XADD with two entries' worth of calls: each goes to the next reader in FIFO order.
    p.cmd_str(&["XADD", "s", "1-0", "n", "1"]).await;
    assert_eq!(
        String::from_utf8(readers[0].read_reply().await).unwrap(),
        entry("s", "1-0", "n", "1")
    );
    wait_blocked(&s, 2).await;
    p.cmd_str(&["XADD", "s", "2-0", "n", "2"]).await;
    assert_eq!(
        String::from_utf8(readers[1].read_reply().await).unwrap(),
        entry("s", "2-0", "n", "2")
    );
    wait_blocked(&s, 1).await;
    // The group's bookkeeping saw both deliveries.
    let pending = p.cmd_str(&["XPENDING", "s", "g"]).await;
    assert_eq!(
        pending,
        "*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*2\r\n*2\r\n$2\r\nc1\r\n$1\r\n1\r\n*2\r\n$2\r\nc2\r\n$1\r\n1\r\n"
    );
    p.cmd_str(&["XADD", "s", "3-0", "n", "3"]).await;
    assert_eq!(
        String::from_utf8(readers[2].read_reply().await).unwrap(),
        entry("s", "3-0", "n", "3")
    );
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

#[tokio::test]
async fn xreadgroup_woken_by_group_destroy_with_nogroup() {
    let s = TestServer::start().await;
    let mut p = s.client().await;
    p.cmd_str(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"])
        .await;
    let mut w = s.client().await;
    w.send(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"s",
        b">",
    ])
    .await;
    // A plain XREAD on the same key is not affected.
    let mut r = s.client().await;
    r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
        .await;
    wait_blocked(&s, 2).await;
    assert_eq!(p.cmd_str(&["XGROUP", "DESTROY", "s", "g"]).await, ":1\r\n");
    assert_eq!(
        w.read_reply().await,
        b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
    );
    wait_blocked(&s, 1).await;
    p.cmd_str(&["XADD", "s", "1-0", "f", "v"]).await;
    assert_eq!(
        String::from_utf8(r.read_reply().await).unwrap(),
        entry("s", "1-0", "f", "v")
    );
    s.stop().await;
}

#[tokio::test]
async fn xreadgroup_woken_by_stream_deletion_while_xread_keeps_waiting() {
    let s = TestServer::start().await;
    let mut p = s.client().await;
    p.cmd_str(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"])
        .await;
    let mut w = s.client().await;
    w.send(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"s",
        b">",
    ])
    .await;
    let mut r = s.client().await;
    r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
        .await;
    wait_blocked(&s, 2).await;
    assert_eq!(p.cmd_str(&["DEL", "s"]).await, ":1\r\n");
    assert_eq!(
        w.read_reply().await,
        b"-UNBLOCKED the stream key no longer exists\r\n"
    );
    wait_blocked(&s, 1).await;
    // The XREAD reader blocked with `$` on a stream whose last ID was 0-0.
    p.cmd_str(&["XADD", "s", "3-0", "f", "v"]).await;
    assert_eq!(
        String::from_utf8(r.read_reply().await).unwrap(),
        entry("s", "3-0", "f", "v")
    );
    s.stop().await;
}

#[tokio::test]
async fn blocked_xreadgroup_with_noack_advances_the_group_without_pending() {
    let s = TestServer::start().await;
    let mut p = s.client().await;
    p.cmd_str(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"])
        .await;
    let mut w = s.client().await;
    w.send(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c",
        b"NOACK",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"s",
        b">",
    ])
    .await;
    wait_blocked(&s, 1).await;
    p.cmd_str(&["XADD", "s", "1-0", "f", "v"]).await;
    assert_eq!(
        String::from_utf8(w.read_reply().await).unwrap(),
        entry("s", "1-0", "f", "v")
    );
    assert_eq!(
        p.cmd_str(&["XPENDING", "s", "g"]).await,
        "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"
    );
    let groups = p.cmd_str(&["XINFO", "GROUPS", "s"]).await;
    assert!(
        groups.contains("$17\r\nlast-delivered-id\r\n$3\r\n1-0\r\n"),
        "{groups}"
    );
    assert!(
        groups.contains("$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:0\r\n"),
        "{groups}"
    );
    s.stop().await;
}

#[tokio::test]
async fn disconnected_stream_reader_leaves_no_trace() {
    let s = TestServer::start().await;
    {
        let mut w = s.client().await;
        w.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
            .await;
        wait_blocked(&s, 1).await;
    }
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    let mut p = s.client().await;
    assert_eq!(
        p.cmd_str(&["XADD", "s", "1-0", "f", "v"]).await,
        "$3\r\n1-0\r\n"
    );
    s.stop().await;
}
