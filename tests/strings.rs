//! String commands over real connections: reply bytes, stored expiries (read back from the
//! keyspace), expiry actually happening, limits from the configuration, and counters under
//! concurrent clients. Exact error texts for every edge are also checked against redis-server by
//! `tests/diff/strings.redis`.

mod common;
use common::*;

use herald::util::now_ms;

/// The stored `expire_at` of `key` in db 0 (`None` if missing or already expired).
fn expire_at(s: &TestServer, key: &str) -> Option<u64> {
    let now = now_ms();
    let mut l = s.srv.ks.lock(0, [key.as_bytes()], now);
    l.shard_in(0, key.as_bytes())?
        .peek(key.as_bytes(), now)
        .map(|e| e.expire_at)
}

#[tokio::test]
async fn set_conditions_and_get_option() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["SET", "k", "v1", "NX"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["SET", "k", "v2", "NX"]).await, "$-1\r\n");
    assert_eq!(
        c.cmd_str(&["SET", "k", "v3", "XX", "GET"]).await,
        "$2\r\nv1\r\n"
    );
    assert_eq!(c.cmd_str(&["SET", "x", "v", "XX"]).await, "$-1\r\n");
    assert_eq!(c.cmd_str(&["SET", "x", "v", "XX", "GET"]).await, "$-1\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "x"]).await, ":0\r\n");
    // NX + GET on an existing key replies the old value and does not write.
    assert_eq!(
        c.cmd_str(&["SET", "k", "v4", "nx", "get"]).await,
        "$2\r\nv3\r\n"
    );
    assert_eq!(c.cmd_str(&["GET", "k"]).await, "$2\r\nv3\r\n");
    assert_eq!(
        c.cmd_str(&["SET", "k", "v", "NX", "XX"]).await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd_str(&["SET", "k", "v", "EX"]).await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd_str(&["SET", "k", "v", "EX", "0"]).await,
        "-ERR invalid expire time in 'set' command\r\n"
    );
    assert_eq!(
        c.cmd_str(&["SET", "k", "v", "EX", "9223372036854775"])
            .await,
        "-ERR invalid expire time in 'set' command\r\n"
    );
    assert_eq!(
        c.cmd_str(&["SET", "k", "v", "PX", "x"]).await,
        "-ERR value is not an integer or out of range\r\n"
    );
    // A failed SET leaves the value alone.
    assert_eq!(c.cmd_str(&["GET", "k"]).await, "$2\r\nv3\r\n");
    assert_eq!(c.cmd_str(&["SETNX", "k", "z"]).await, ":0\r\n");
    assert_eq!(c.cmd_str(&["SETNX", "n", "z"]).await, ":1\r\n");
    s.stop().await;
}

#[tokio::test]
async fn expiry_is_stored_as_absolute_ms() {
    let s = TestServer::start().await;
    let mut c = s.client().await;

    let before = now_ms();
    c.cmd(&["SET", "a", "v", "EX", "100"]).await;
    let after = now_ms();
    let at = expire_at(&s, "a").expect("a exists");
    assert!(at >= before + 100_000 && at <= after + 100_000, "{at}");

    c.cmd(&["SET", "b", "v", "PXAT", "99999999999999"]).await;
    assert_eq!(expire_at(&s, "b"), Some(99_999_999_999_999));
    c.cmd(&["SET", "b", "v", "EXAT", "99999999999"]).await;
    assert_eq!(expire_at(&s, "b"), Some(99_999_999_999_000));

    // KEEPTTL and in-place edits keep the expiry; a plain SET and GETSET clear it.
    c.cmd(&["SET", "b", "w", "KEEPTTL"]).await;
    assert_eq!(expire_at(&s, "b"), Some(99_999_999_999_000));
    c.cmd(&["APPEND", "b", "x"]).await;
    c.cmd(&["SETRANGE", "b", "0", "y"]).await;
    assert_eq!(expire_at(&s, "b"), Some(99_999_999_999_000));
    c.cmd(&["SET", "b", "1"]).await;
    assert_eq!(expire_at(&s, "b"), Some(0));
    c.cmd(&["SET", "b", "1", "PXAT", "99999999999999"]).await;
    c.cmd(&["INCR", "b"]).await;
    c.cmd(&["INCRBYFLOAT", "b", "0.5"]).await;
    assert_eq!(expire_at(&s, "b"), Some(99_999_999_999_999));
    assert_eq!(c.cmd_str(&["GET", "b"]).await, "$3\r\n2.5\r\n");
    c.cmd(&["GETSET", "b", "v"]).await;
    assert_eq!(expire_at(&s, "b"), Some(0));

    // SETEX / PSETEX are relative.
    let before = now_ms();
    c.cmd(&["SETEX", "c", "10", "v"]).await;
    c.cmd(&["PSETEX", "d", "5000", "v"]).await;
    let after = now_ms();
    let at = expire_at(&s, "c").unwrap();
    assert!(at >= before + 10_000 && at <= after + 10_000);
    let at = expire_at(&s, "d").unwrap();
    assert!(at >= before + 5_000 && at <= after + 5_000);

    // GETEX sets, replaces and removes expiries.
    c.cmd(&["SET", "e", "v"]).await;
    assert_eq!(
        c.cmd_str(&["GETEX", "e", "PXAT", "99999999999999"]).await,
        "$1\r\nv\r\n"
    );
    assert_eq!(expire_at(&s, "e"), Some(99_999_999_999_999));
    assert_eq!(c.cmd_str(&["GETEX", "e"]).await, "$1\r\nv\r\n");
    assert_eq!(expire_at(&s, "e"), Some(99_999_999_999_999));
    assert_eq!(c.cmd_str(&["GETEX", "e", "PERSIST"]).await, "$1\r\nv\r\n");
    assert_eq!(expire_at(&s, "e"), Some(0));
    s.stop().await;
}

#[tokio::test]
async fn past_absolute_times_remove_the_key() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["SET", "k", "v", "EXAT", "1"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["GET", "k"]).await, "$-1\r\n");
    c.cmd(&["SET", "k", "v"]).await;
    assert_eq!(c.cmd_str(&["GETEX", "k", "PXAT", "1"]).await, "$1\r\nv\r\n");
    assert_eq!(expire_at(&s, "k"), None);
    assert_eq!(c.cmd_str(&["EXISTS", "k"]).await, ":0\r\n");
    s.stop().await;
}

#[tokio::test]
async fn relative_expiries_happen() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.cmd(&["SET", "a", "v", "PX", "40"]).await;
    c.cmd(&["PSETEX", "b", "40", "v"]).await;
    c.cmd(&["SET", "c", "v"]).await;
    c.cmd(&["GETEX", "c", "PX", "40"]).await;
    c.cmd(&["SET", "d", "v", "PX", "40"]).await;
    c.cmd(&["GETEX", "d", "PERSIST"]).await;
    let addr = s.addr;
    wait_until(|| async move {
        let mut c = RawClient::connect(addr).await;
        c.cmd_str(&["EXISTS", "a", "b", "c"]).await == ":0\r\n"
    })
    .await;
    assert_eq!(
        c.cmd_str(&["MGET", "a", "b", "c", "d"]).await,
        "*4\r\n$-1\r\n$-1\r\n$-1\r\n$1\r\nv\r\n"
    );
    s.stop().await;
}

#[tokio::test]
async fn counters() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["INCR", "n"]).await, ":1\r\n");
    assert_eq!(c.cmd_str(&["INCRBY", "n", "41"]).await, ":42\r\n");
    assert_eq!(c.cmd_str(&["DECRBY", "n", "50"]).await, ":-8\r\n");
    assert_eq!(c.cmd_str(&["DECR", "n"]).await, ":-9\r\n");
    assert_eq!(c.cmd_str(&["GET", "n"]).await, "$2\r\n-9\r\n");
    c.cmd(&["SET", "n", "9223372036854775806"]).await;
    assert_eq!(c.cmd_str(&["INCR", "n"]).await, ":9223372036854775807\r\n");
    assert_eq!(
        c.cmd_str(&["INCR", "n"]).await,
        "-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(
        c.cmd_str(&["DECRBY", "n", "-9223372036854775808"]).await,
        "-ERR decrement would overflow\r\n"
    );
    c.cmd(&["SET", "n", "1.5"]).await;
    assert_eq!(
        c.cmd_str(&["INCR", "n"]).await,
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd_str(&["GET", "n"]).await, "$3\r\n1.5\r\n");
    s.stop().await;
}

#[tokio::test]
async fn incrbyfloat_uses_long_double() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.cmd(&["SET", "f", "10.5"]).await;
    assert_eq!(
        c.cmd_str(&["INCRBYFLOAT", "f", "0.1"]).await,
        "$4\r\n10.6\r\n"
    );
    assert_eq!(
        c.cmd_str(&["INCRBYFLOAT", "f", "-10.6"]).await,
        "$1\r\n0\r\n"
    );
    assert_eq!(
        c.cmd_str(&["INCRBYFLOAT", "g", "5.0e3"]).await,
        "$4\r\n5000\r\n"
    );
    assert_eq!(
        c.cmd_str(&["INCRBYFLOAT", "g", "inf"]).await,
        "-ERR increment would produce NaN or Infinity\r\n"
    );
    assert_eq!(
        c.cmd_str(&["INCRBYFLOAT", "g", "1 "]).await,
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(c.cmd_str(&["GET", "g"]).await, "$4\r\n5000\r\n");
    s.stop().await;
}

#[tokio::test]
async fn append_setrange_getrange() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    // Many appends to one key: the value grows in place.
    for i in 0..2000 {
        let chunk = format!("{:04}", i % 10000);
        c.send(&[b"APPEND", b"log", chunk.as_bytes()]).await;
    }
    let mut last = Vec::new();
    for _ in 0..2000 {
        last = c.read_reply().await;
    }
    assert_eq!(last, b":8000\r\n");
    assert_eq!(c.cmd_str(&["STRLEN", "log"]).await, ":8000\r\n");
    assert_eq!(
        c.cmd_str(&["GETRANGE", "log", "-8", "-1"]).await,
        "$8\r\n19981999\r\n"
    );
    assert_eq!(
        c.cmd_str(&["SUBSTR", "log", "0", "7"]).await,
        "$8\r\n00000001\r\n"
    );

    assert_eq!(c.cmd_str(&["SETRANGE", "z", "3", "ab"]).await, ":5\r\n");
    assert_eq!(c.cmd(&["GET", "z"]).await, b"$5\r\n\0\0\0ab\r\n");
    assert_eq!(c.cmd_str(&["SETRANGE", "z", "1", "XYZW"]).await, ":5\r\n");
    assert_eq!(c.cmd(&["GET", "z"]).await, b"$5\r\n\0XYZW\r\n");
    // A value shared with an earlier reply is copied, not changed under it.
    assert_eq!(c.cmd_str(&["GETSET", "z", "hello"]).await.len(), 11);
    assert_eq!(c.cmd_str(&["SETRANGE", "z", "0", "J"]).await, ":5\r\n");
    assert_eq!(c.cmd_str(&["GET", "z"]).await, "$5\r\nJello\r\n");
    s.stop().await;
}

#[tokio::test]
async fn size_limit_follows_proto_max_bulk_len() {
    let s = TestServer::with(|st| st.proto_max_bulk_len = 10).await;
    let mut c = s.client().await;
    let err = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    assert_eq!(c.cmd_str(&["SETRANGE", "k", "8", "xx"]).await, ":10\r\n");
    assert_eq!(c.cmd_str(&["SETRANGE", "k", "9", "xx"]).await, err);
    assert_eq!(c.cmd_str(&["APPEND", "k", "y"]).await, err);
    assert_eq!(c.cmd_str(&["SETRANGE", "new", "10", "y"]).await, err);
    assert_eq!(c.cmd_str(&["EXISTS", "new"]).await, ":0\r\n");
    assert_eq!(c.cmd_str(&["STRLEN", "k"]).await, ":10\r\n");
    s.stop().await;
}

#[tokio::test]
async fn multi_key_commands_span_shards() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let mut args: Vec<String> = vec!["MSET".into()];
    for i in 0..200 {
        args.push(format!("key:{i}"));
        args.push(format!("{i}"));
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd_str(&a).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["GET", "key:199"]).await, "$3\r\n199\r\n");
    // MSETNX is all or nothing: one existing key blocks every write.
    let mut nx = vec!["MSETNX".to_string()];
    for i in 150..250 {
        nx.push(format!("key:{i}"));
        nx.push("x".into());
    }
    let a: Vec<&str> = nx.iter().map(String::as_str).collect();
    assert_eq!(c.cmd_str(&a).await, ":0\r\n");
    assert_eq!(c.cmd_str(&["EXISTS", "key:249"]).await, ":0\r\n");
    assert_eq!(c.cmd_str(&["MSETNX", "a", "1", "b", "2"]).await, ":1\r\n");
    assert_eq!(
        c.cmd_str(&["MGET", "a", "key:0", "none", "b"]).await,
        "*4\r\n$1\r\n1\r\n$1\r\n0\r\n$-1\r\n$1\r\n2\r\n"
    );
    assert_eq!(
        c.cmd_str(&["MSET", "a", "1", "b"]).await,
        "-ERR wrong number of arguments for 'mset' command\r\n"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_are_not_lost() {
    let s = TestServer::start().await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let addr = s.addr;
        tasks.push(tokio::spawn(async move {
            let mut c = RawClient::connect(addr).await;
            for _ in 0..250 {
                c.send(&[b"INCR", b"n"]).await;
            }
            for _ in 0..250 {
                c.read_reply().await;
            }
            for _ in 0..100 {
                c.cmd(&["INCRBYFLOAT", "f", "0.5"]).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["GET", "n"]).await, "$4\r\n1000\r\n");
    assert_eq!(c.cmd_str(&["GET", "f"]).await, "$3\r\n200\r\n");
    s.stop().await;
}
