//! Protocol-level behaviour over raw TCP: pipelining, inline commands, malformed frames.

mod common;
use common::*;

#[tokio::test]
async fn ping_echo_and_pipelining() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["PING"]).await, "+PONG\r\n");
    assert_eq!(c.cmd_str(&["ping", "hi"]).await, "$2\r\nhi\r\n");
    let mut batch = Vec::new();
    batch.extend(encode(&[b"SET", b"k", b"v"]));
    batch.extend(encode(&[b"GET", b"k"]));
    batch.extend_from_slice(b"ECHO inline\r\n");
    c.send_raw(&batch).await;
    assert_eq!(c.read_reply().await, b"+OK\r\n");
    assert_eq!(c.read_reply().await, b"$1\r\nv\r\n");
    assert_eq!(c.read_reply().await, b"$6\r\ninline\r\n");
    s.stop().await;
}

#[tokio::test]
async fn errors_keep_the_connection() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(
        c.cmd_str(&["nosuch", "a", "b"]).await,
        "-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        c.cmd_str(&["get"]).await,
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(c.cmd_str(&["PING"]).await, "+PONG\r\n");
    s.stop().await;
}

#[tokio::test]
async fn protocol_error_replies_then_closes() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    c.send_raw(b"PING\r\n*1\r\nfoo\r\n").await;
    let all = c.read_to_close().await;
    assert_eq!(
        all,
        b"+PONG\r\n-ERR Protocol error: expected '$', got 'f'\r\n"
    );
    s.stop().await;
}
