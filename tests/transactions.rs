//! MULTI/EXEC/WATCH with several connections: WATCH invalidation by every kind of
//! modification, isolation of EXEC, and blocked clients served after EXEC as a whole.

mod common;

use common::*;

/// WATCH k, let `other` run `modify`, then try a transaction: returns EXEC's reply.
async fn watch_then(s: &TestServer, setup: &[&[&str]], modify: &[&str]) -> String {
    let mut c = s.client().await;
    let mut other = s.client().await;
    for cmd in setup {
        other.cmd(cmd).await;
    }
    assert_eq!(c.cmd_str(&["WATCH", "k"]).await, "+OK\r\n");
    other.cmd(modify).await;
    assert_eq!(c.cmd_str(&["MULTI"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["SET", "result", "done"]).await, "+QUEUED\r\n");
    c.cmd_str(&["EXEC"]).await
}

#[tokio::test]
async fn watch_is_invalidated_by_modifications_only() {
    let s = TestServer::start().await;
    let aborted = "*-1\r\n";
    let ran = "*1\r\n+OK\r\n";
    assert_eq!(watch_then(&s, &[], &["SET", "k", "v"]).await, aborted);
    assert_eq!(
        watch_then(&s, &[&["SET", "k", "1"]], &["INCR", "k"]).await,
        aborted
    );
    assert_eq!(
        watch_then(&s, &[&["SET", "k", "1"]], &["DEL", "k"]).await,
        aborted
    );
    assert_eq!(
        watch_then(&s, &[&["SET", "k", "1"]], &["EXPIRE", "k", "100"]).await,
        aborted
    );
    assert_eq!(
        watch_then(&s, &[&["SET", "k", "1"]], &["RENAME", "k", "k2"]).await,
        aborted
    );
    assert_eq!(
        watch_then(&s, &[&["RPUSH", "k", "1"]], &["LPUSH", "k", "2"]).await,
        aborted
    );
    assert_eq!(
        watch_then(&s, &[&["SET", "k", "1"]], &["FLUSHALL"]).await,
        aborted
    );
    assert_eq!(
        watch_then(&s, &[&["SET", "k", "1"]], &["SWAPDB", "0", "1"]).await,
        aborted
    );
    // No-ops and other keys do not invalidate.
    assert_eq!(watch_then(&s, &[&["FLUSHALL"]], &["DEL", "k"]).await, ran);
    assert_eq!(watch_then(&s, &[&["FLUSHALL"]], &["GET", "k"]).await, ran);
    assert_eq!(
        watch_then(&s, &[&["FLUSHALL"]], &["SET", "other", "v"]).await,
        ran
    );
    assert_eq!(watch_then(&s, &[&["FLUSHALL"]], &["LPOP", "k"]).await, ran);
    s.stop().await;
}

#[tokio::test]
async fn watch_is_invalidated_by_expiry_and_by_a_blocking_handoff() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let mut o = s.client().await;
    o.cmd(&["SET", "k", "v", "PX", "20"]).await;
    assert_eq!(c.cmd_str(&["WATCH", "k"]).await, "+OK\r\n");
    let addr = s.addr;
    wait_until(|| async move {
        let mut x = RawClient::connect(addr).await;
        x.cmd_str(&["EXISTS", "k"]).await == ":0\r\n"
    })
    .await;
    c.cmd(&["MULTI"]).await;
    c.cmd(&["PING"]).await;
    assert_eq!(c.cmd_str(&["EXEC"]).await, "*-1\r\n");

    // A BLPOP hand-off pops from the watched list.
    let mut w = s.client().await;
    w.send(&[b"BLPOP", b"q", b"0"]).await;
    wait_blocked(&s, 1).await;
    assert_eq!(c.cmd_str(&["WATCH", "q"]).await, "+OK\r\n");
    o.cmd(&["RPUSH", "q", "a"]).await;
    assert_eq!(w.read_reply().await, b"*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    c.cmd(&["MULTI"]).await;
    c.cmd(&["PING"]).await;
    assert_eq!(c.cmd_str(&["EXEC"]).await, "*-1\r\n");
    s.stop().await;
}

#[tokio::test]
async fn blocked_clients_are_served_after_exec_from_the_first_key_written() {
    let s = TestServer::start().await;
    let mut w = s.client().await;
    w.send(&[b"BRPOP", b"k1", b"k2", b"k3", b"0"]).await;
    wait_blocked(&s, 1).await;
    let mut c = s.client().await;
    c.cmd(&["MULTI"]).await;
    c.cmd(&["RPUSH", "k3", "x"]).await;
    c.cmd(&["RPUSH", "k2", "y"]).await;
    assert_eq!(c.cmd_str(&["EXEC"]).await, "*2\r\n:1\r\n:1\r\n");
    assert_eq!(w.read_reply().await, b"*2\r\n$2\r\nk3\r\n$1\r\nx\r\n");
    assert_eq!(c.cmd_str(&["LLEN", "k2"]).await, ":1\r\n");

    // A transaction that pushes and pops the same key sees its own pop first.
    w.send(&[b"BLPOP", b"q", b"0"]).await;
    wait_blocked(&s, 1).await;
    c.cmd(&["MULTI"]).await;
    c.cmd(&["RPUSH", "q", "a", "b"]).await;
    c.cmd(&["LPOP", "q"]).await;
    assert_eq!(c.cmd_str(&["EXEC"]).await, "*2\r\n:2\r\n$1\r\na\r\n");
    assert_eq!(w.read_reply().await, b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n");
    s.stop().await;
}

#[tokio::test]
async fn exec_is_isolated_from_other_clients() {
    let s = TestServer::start().await;
    let addr = s.addr;
    let mut r = s.client().await;
    r.cmd(&["MSET", "a", "0", "b", "0"]).await;
    // Two clients each run 300 transactions of "INCR a; INCR b": with isolation, a and b are
    // equal in every snapshot a third client takes inside its own transactions.
    let mut tasks = Vec::new();
    for _ in 0..2 {
        tasks.push(tokio::spawn(async move {
            let mut c = RawClient::connect(addr).await;
            for _ in 0..300 {
                c.cmd(&["MULTI"]).await;
                c.cmd(&["INCR", "a"]).await;
                c.cmd(&["INCR", "b"]).await;
                c.cmd(&["EXEC"]).await;
            }
        }));
    }
    for _ in 0..200 {
        r.cmd(&["MULTI"]).await;
        r.cmd(&["GET", "a"]).await;
        r.cmd(&["GET", "b"]).await;
        let reply = r.cmd_str(&["EXEC"]).await;
        let parts: Vec<&str> = reply.split("\r\n").collect();
        assert_eq!(parts[2], parts[4], "torn read: {reply:?}");
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(r.cmd_str(&["GET", "a"]).await, "$3\r\n600\r\n");
    s.stop().await;
}

#[tokio::test]
async fn reset_and_disconnect_forget_transactions_and_watches() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.cmd(&["WATCH", "k"]).await;
    c.cmd(&["MULTI"]).await;
    assert_eq!(c.cmd_str(&["RESET"]).await, "+RESET\r\n");
    assert_eq!(c.cmd_str(&["EXEC"]).await, "-ERR EXEC without MULTI\r\n");
    let watched = |srv: &herald::server::Server| -> usize {
        srv.ks
            .dbs
            .iter()
            .flat_map(|d| d.shards.iter())
            .map(|s| s.lock().watchers.len())
            .sum()
    };
    assert_eq!(watched(&s.srv), 0);
    c.cmd(&["WATCH", "x", "y"]).await;
    assert_eq!(watched(&s.srv), 2);
    drop(c);
    let srv = s.srv.clone();
    wait_until(|| {
        let srv = srv.clone();
        async move { watched(&srv) == 0 }
    })
    .await;
    s.stop().await;
}
