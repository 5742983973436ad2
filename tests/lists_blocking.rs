//! Blocking list commands with several real connections: FIFO hand-off, multi-key waits,
//! chains of BLMOVE, timeouts, disconnects leaving no trace.

mod common;
use std::sync::atomic::Ordering;

use common::*;

#[tokio::test]
async fn waiters_are_served_fifo_one_element_each() {
    let s = TestServer::start().await;
    let mut waiters = Vec::new();
    for i in 0..3 {
        let mut c = s.client().await;
        c.send(&[b"BLPOP", b"q", b"0"]).await;
        wait_blocked(&s, i + 1).await;
        waiters.push(c);
    }
    let mut p = s.client().await;
    // Two elements for three waiters: the first two blocked get one each, in order.
    assert_eq!(p.cmd_str(&["RPUSH", "q", "a", "b"]).await, ":2\r\n");
    assert_eq!(
        waiters[0].read_reply().await,
        b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    );
    assert_eq!(
        waiters[1].read_reply().await,
        b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
    );
    assert_eq!(p.cmd_str(&["EXISTS", "q"]).await, ":0\r\n");
    wait_blocked(&s, 1).await;
    assert_eq!(p.cmd_str(&["RPUSH", "q", "c", "d"]).await, ":2\r\n");
    assert_eq!(
        waiters[2].read_reply().await,
        b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"
    );
    // The leftover stays in the list.
    assert_eq!(
        p.cmd_str(&["LRANGE", "q", "0", "-1"]).await,
        "*1\r\n$1\r\nd\r\n"
    );
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

#[tokio::test]
async fn multi_key_wait_is_served_from_the_key_that_got_data() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"BRPOP", b"k1", b"k2", b"k3", b"0"]).await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["LPUSH", "k3", "x"]).await, ":1\r\n");
    assert_eq!(w.read_reply().await, b"*2\r\n$2\r\nk3\r\n$1\r\nx\r\n");
    // Served once: a later push to k1 stays in k1.
    assert_eq!(p.cmd_str(&["LPUSH", "k1", "y"]).await, ":1\r\n");
    assert_eq!(p.cmd_str(&["LLEN", "k1"]).await, ":1\r\n");
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

#[tokio::test]
async fn linked_blmoves_are_served_in_one_pass() {
    let s = TestServer::start().await;
    let mut c1 = s.client().await;
    c1.send(&[b"BLMOVE", b"a", b"b", b"RIGHT", b"LEFT", b"0"])
        .await;
    wait_blocked(&s, 1).await;
    let mut c2 = s.client().await;
    c2.send(&[b"BLMOVE", b"b", b"c", b"RIGHT", b"LEFT", b"0"])
        .await;
    wait_blocked(&s, 2).await;
    let mut c3 = s.client().await;
    c3.send(&[b"BLPOP", b"c", b"0"]).await;
    wait_blocked(&s, 3).await;
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["RPUSH", "a", "v"]).await, ":1\r\n");
    assert_eq!(c1.read_reply().await, b"$1\r\nv\r\n");
    assert_eq!(c2.read_reply().await, b"$1\r\nv\r\n");
    assert_eq!(c3.read_reply().await, b"*2\r\n$1\r\nc\r\n$1\r\nv\r\n");
    for k in ["a", "b", "c"] {
        assert_eq!(p.cmd_str(&["EXISTS", k]).await, ":0\r\n", "{k}");
    }
    s.stop().await;
}

#[tokio::test]
async fn circular_brpoplpush() {
    let s = TestServer::start().await;
    let mut c1 = s.client().await;
    c1.send(&[b"BRPOPLPUSH", b"x", b"y", b"0"]).await;
    wait_blocked(&s, 1).await;
    let mut c2 = s.client().await;
    c2.send(&[b"BRPOPLPUSH", b"y", b"x", b"0"]).await;
    wait_blocked(&s, 2).await;
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["RPUSH", "x", "e"]).await, ":1\r\n");
    assert_eq!(c1.read_reply().await, b"$1\r\ne\r\n");
    assert_eq!(c2.read_reply().await, b"$1\r\ne\r\n");
    // The element went round once and is back in x.
    assert_eq!(
        p.cmd_str(&["LRANGE", "x", "0", "-1"]).await,
        "*1\r\n$1\r\ne\r\n"
    );
    assert_eq!(p.cmd_str(&["EXISTS", "y"]).await, ":0\r\n");
    s.stop().await;
}

#[tokio::test]
async fn timeout_replies_null_and_leaves_no_trace() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["BLPOP", "q", "0.05"]).await, "*-1\r\n");
    assert_eq!(
        c.cmd_str(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0.05"])
            .await,
        "*-1\r\n"
    );
    assert_eq!(
        c.cmd_str(&["BLMPOP", "0.05", "1", "q", "LEFT"]).await,
        "*-1\r\n"
    );
    assert_eq!(s.srv.stats.blocked_clients.load(Ordering::Relaxed), 0);
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    // Still usable afterwards, and a push does not reach the timed-out client.
    assert_eq!(c.cmd_str(&["RPUSH", "q", "x"]).await, ":1\r\n");
    assert_eq!(c.cmd_str(&["LLEN", "q"]).await, ":1\r\n");
    s.stop().await;
}

#[tokio::test]
async fn blmpop_serves_count_from_the_ready_key() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"BLMPOP", b"0", b"2", b"m1", b"m2", b"LEFT", b"COUNT", b"2"])
        .await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["RPUSH", "m2", "a", "b", "c"]).await, ":3\r\n");
    assert_eq!(
        w.read_reply().await,
        b"*2\r\n$2\r\nm2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(
        p.cmd_str(&["LRANGE", "m2", "0", "-1"]).await,
        "*1\r\n$1\r\nc\r\n"
    );
    s.stop().await;
}

#[tokio::test]
async fn pipelined_commands_after_a_block_run_after_it() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    let mut batch = encode(&[b"BLPOP", b"q", b"0"]);
    batch.extend(encode(&[b"ECHO", b"after"]));
    w.send_raw(&batch).await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    p.cmd(&["RPUSH", "q", "v"]).await;
    assert_eq!(w.read_reply().await, b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
    assert_eq!(w.read_reply().await, b"$5\r\nafter\r\n");
    s.stop().await;
}

#[tokio::test]
async fn thousands_of_vanishing_waiters_leave_the_registry_empty() {
    let s = TestServer::start().await;
    let mut clients = Vec::new();
    for i in 0..1000 {
        let mut c = s.client().await;
        let key = format!("k{}", i % 50);
        c.send(&[b"BRPOP", key.as_bytes(), b"other", b"0"]).await;
        clients.push(c);
    }
    wait_blocked(&s, 1000).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 2000);
    drop(clients);
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    // Pushes afterwards stay in their lists.
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["RPUSH", "k1", "v"]).await, ":1\r\n");
    assert_eq!(p.cmd_str(&["LLEN", "k1"]).await, ":1\r\n");
    s.stop().await;
}

#[tokio::test]
async fn blocked_on_a_key_replaced_by_another_type_keeps_waiting() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"BLPOP", b"q", b"0"]).await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["SET", "q", "str"]).await, "+OK\r\n");
    assert_eq!(p.cmd_str(&["DEL", "q"]).await, ":1\r\n");
    assert_eq!(s.srv.stats.blocked_clients.load(Ordering::Relaxed), 1);
    assert_eq!(p.cmd_str(&["RPUSH", "q", "v"]).await, ":1\r\n");
    assert_eq!(w.read_reply().await, b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
    s.stop().await;
}

#[tokio::test]
async fn rename_move_copy_and_swapdb_onto_a_waited_key_serve_it() {
    let s = TestServer::start().await;
    let mut p = s.client().await;
    // RENAME
    let mut w = s.client().await;
    w.send(&[b"BLPOP", b"dst", b"0"]).await;
    wait_blocked(&s, 1).await;
    p.cmd(&["RPUSH", "src", "r"]).await;
    assert_eq!(p.cmd_str(&["RENAME", "src", "dst"]).await, "+OK\r\n");
    assert_eq!(w.read_reply().await, b"*2\r\n$3\r\ndst\r\n$1\r\nr\r\n");
    // COPY
    w.send(&[b"BLPOP", b"cp", b"0"]).await;
    wait_blocked(&s, 1).await;
    p.cmd(&["RPUSH", "orig", "c"]).await;
    assert_eq!(p.cmd_str(&["COPY", "orig", "cp"]).await, ":1\r\n");
    assert_eq!(w.read_reply().await, b"*2\r\n$2\r\ncp\r\n$1\r\nc\r\n");
    assert_eq!(p.cmd_str(&["LLEN", "orig"]).await, ":1\r\n");
    // MOVE into the waiter's database
    let mut w1 = s.client().await;
    assert_eq!(w1.cmd_str(&["SELECT", "1"]).await, "+OK\r\n");
    w1.send(&[b"BLPOP", b"mv", b"0"]).await;
    wait_blocked(&s, 1).await;
    p.cmd(&["RPUSH", "mv", "m"]).await;
    assert_eq!(p.cmd_str(&["MOVE", "mv", "1"]).await, ":1\r\n");
    assert_eq!(w1.read_reply().await, b"*2\r\n$2\r\nmv\r\n$1\r\nm\r\n");
    // SWAPDB: the waiter stays with db 1 and finds db 0's list there.
    w1.send(&[b"BLPOP", b"sw", b"0"]).await;
    wait_blocked(&s, 1).await;
    p.cmd(&["RPUSH", "sw", "x"]).await;
    assert_eq!(p.cmd_str(&["SWAPDB", "0", "1"]).await, "+OK\r\n");
    assert_eq!(w1.read_reply().await, b"*2\r\n$2\r\nsw\r\n$1\r\nx\r\n");
    s.stop().await;
}

#[tokio::test]
async fn flushall_keeps_blocked_clients_waiting() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"BLPOP", b"q", b"0"]).await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["FLUSHALL"]).await, "+OK\r\n");
    assert_eq!(p.cmd_str(&["RPUSH", "q", "v"]).await, ":1\r\n");
    assert_eq!(w.read_reply().await, b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
    s.stop().await;
}

#[tokio::test]
async fn client_unblock_timeout_and_error() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    let id = w.cmd_str(&["CLIENT", "ID"]).await;
    let id = id.trim_start_matches(':').trim().to_string();
    let mut c = s.client().await;
    w.send(&[b"BLPOP", b"q", b"0"]).await;
    wait_blocked(&s, 1).await;
    let info = c.cmd_str(&["INFO", "clients"]).await;
    assert!(info.contains("blocked_clients:1\r\n"), "{info}");
    assert_eq!(c.cmd_str(&["CLIENT", "UNBLOCK", &id]).await, ":1\r\n");
    assert_eq!(w.read_reply().await, b"*-1\r\n");
    wait_blocked(&s, 0).await;
    assert_eq!(c.cmd_str(&["CLIENT", "UNBLOCK", &id]).await, ":0\r\n");

    w.send(&[b"BRPOPLPUSH", b"q", b"d", b"0"]).await;
    wait_blocked(&s, 1).await;
    assert_eq!(
        c.cmd_str(&["CLIENT", "UNBLOCK", &id, "ERROR"]).await,
        ":1\r\n"
    );
    assert_eq!(
        w.read_reply().await,
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    // The element pushed afterwards is not lost to the unblocked client.
    assert_eq!(c.cmd_str(&["RPUSH", "q", "v"]).await, ":1\r\n");
    assert_eq!(c.cmd_str(&["LLEN", "q"]).await, ":1\r\n");
    assert_eq!(
        c.cmd_str(&["CLIENT", "UNBLOCK", &id, "LATER"]).await,
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    assert_eq!(
        c.cmd_str(&["CLIENT", "UNBLOCK", "x"]).await,
        "-ERR value is not an integer or out of range\r\n"
    );
    // RESP3 timeout form.
    assert!(w.cmd_str(&["HELLO", "3"]).await.starts_with('%'));
    w.send(&[b"BLMPOP", b"0", b"1", b"z", b"LEFT"]).await;
    wait_blocked(&s, 1).await;
    assert_eq!(c.cmd_str(&["CLIENT", "UNBLOCK", &id]).await, ":1\r\n");
    assert_eq!(w.read_reply().await, b"_\r\n");
    s.stop().await;
}

/// Timeouts racing hand-offs: many consumers BLPOP with timeouts about as long as the gaps
/// between pushes; every pushed element is either received exactly once or still in the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_racing_handoffs_never_lose_an_element() {
    let s = TestServer::start().await;
    let addr = s.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut consumers = Vec::new();
    for _ in 0..8 {
        let stop = stop.clone();
        consumers.push(tokio::spawn(async move {
            let mut c = RawClient::connect(addr).await;
            let mut got = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = c.cmd_str(&["BLPOP", "race", "0.01"]).await;
                if r != "*-1\r\n" {
                    got.push(bulks(&r)[1].clone());
                }
            }
            got
        }));
    }
    let mut p = s.client().await;
    for i in 0..2000 {
        p.cmd(&["RPUSH", "race", &i.to_string()]).await;
        if i % 50 == 0 {
            tokio::task::yield_now().await;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = Vec::new();
    for c in consumers {
        seen.extend(c.await.unwrap());
    }
    let left = bulks(&p.cmd_str(&["LRANGE", "race", "0", "-1"]).await);
    seen.extend(left);
    let mut nums: Vec<u32> = seen.iter().map(|v| v.parse().unwrap()).collect();
    nums.sort_unstable();
    assert_eq!(
        nums,
        (0..2000).collect::<Vec<u32>>(),
        "lost or duplicated elements"
    );
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}

/// A BLMOVE whose destination became another type is unblocked with WRONGTYPE and the element
/// stays in the source (the reply bytes and the list content are redis-server 7.0.15's).
#[tokio::test]
async fn blmove_to_a_destination_of_another_type_replies_wrongtype() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"BLMOVE", b"src", b"dst", b"LEFT", b"RIGHT", b"0"])
        .await;
    wait_blocked(&s, 1).await;
    let mut p = s.client().await;
    assert_eq!(p.cmd_str(&["SET", "dst", "x"]).await, "+OK\r\n");
    assert_eq!(p.cmd_str(&["RPUSH", "src", "v"]).await, ":1\r\n");
    assert_eq!(
        w.read_reply().await,
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(
        p.cmd_str(&["LRANGE", "src", "0", "-1"]).await,
        "*1\r\n$1\r\nv\r\n"
    );
    wait_blocked(&s, 0).await;
    assert_eq!(herald::blocking::registry_len(&s.srv), 0);
    s.stop().await;
}
