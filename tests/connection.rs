//! Connection commands over real sockets: several clients at once (CLIENT LIST/KILL, MONITOR),
//! reply modes, authentication flows, and the connection limits (timeout, maxclients,
//! query buffer limit, keepalive).

mod common;

use common::{wait_until, RawClient, TestServer};

/// The `key=value` pairs of a CLIENT LIST line, in order.
fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The body of a bulk/verbatim reply.
fn body(reply: &str) -> &str {
    let start = reply.find("\r\n").map_or(0, |i| i + 2);
    let s = &reply[start..];
    let s = s.strip_prefix("txt:").unwrap_or(s);
    s.strip_suffix("\r\n").unwrap_or(s)
}

fn int_reply(r: &str) -> u64 {
    r.trim_start_matches(':')
        .trim_end()
        .parse()
        .expect("integer reply")
}

#[tokio::test]
async fn client_list_shows_every_connection_with_redis_fields() {
    let srv = TestServer::start().await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    assert_eq!(
        b.cmd_str(&["CLIENT", "SETNAME", "worker-b"]).await,
        "+OK\r\n"
    );
    assert_eq!(b.cmd_str(&["SELECT", "2"]).await, "+OK\r\n");
    let ida = int_reply(&a.cmd_str(&["CLIENT", "ID"]).await);
    let idb = int_reply(&b.cmd_str(&["CLIENT", "ID"]).await);
    assert_ne!(ida, idb);

    let list = a.cmd_str(&["CLIENT", "LIST"]).await;
    let lines: Vec<&str> = body(&list).lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let la = fields(lines[0]);
    let lb = fields(lines[1]);
    let names: Vec<&str> = la.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    let get = |f: &[(String, String)], k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get(&la, "id"), ida.to_string());
    assert_eq!(get(&la, "cmd"), "client|list");
    assert_eq!(get(&la, "argv-mem"), "10");
    assert_eq!(get(&lb, "id"), idb.to_string());
    assert_eq!(get(&lb, "name"), "worker-b");
    assert_eq!(get(&lb, "db"), "2");
    assert_eq!(get(&lb, "cmd"), "client|id");
    assert_eq!(get(&lb, "flags"), "N");
    assert_eq!(get(&lb, "user"), "default");

    // Filters.
    let only_b = a
        .cmd_str(&["CLIENT", "LIST", "ID", &idb.to_string(), "12345"])
        .await;
    assert_eq!(body(&only_b).lines().count(), 1);
    assert!(body(&only_b).starts_with(&format!("id={idb} ")));
    let normal = a.cmd_str(&["CLIENT", "LIST", "TYPE", "normal"]).await;
    assert_eq!(body(&normal).lines().count(), 2);
    assert_eq!(
        a.cmd_str(&["CLIENT", "LIST", "TYPE", "pubsub"]).await,
        "$0\r\n\r\n"
    );

    // CLIENT INFO describes the caller only; NO-EVICT shows as flag e.
    assert_eq!(b.cmd_str(&["CLIENT", "NO-EVICT", "on"]).await, "+OK\r\n");
    let info = b.cmd_str(&["CLIENT", "INFO"]).await;
    assert_eq!(body(&info).lines().count(), 1);
    assert!(body(&info).contains(" flags=e "), "{info}");
    assert!(body(&info).contains(" cmd=client|info "), "{info}");
}

#[tokio::test]
async fn client_kill_closes_the_other_connection() {
    let srv = TestServer::start().await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let idb = b.cmd_str(&["CLIENT", "ID"]).await;
    let idb = idb.trim_start_matches(':').trim_end();
    assert_eq!(a.cmd_str(&["CLIENT", "KILL", "ID", idb]).await, ":1\r\n");
    assert_eq!(b.read_to_close().await, b"");
    let list = a.cmd_str(&["CLIENT", "LIST"]).await;
    assert_eq!(body(&list).lines().count(), 1, "{list}");

    // Old form by address.
    let mut c = srv.client().await;
    let addr = c.sock.local_addr().unwrap().to_string();
    assert_eq!(a.cmd_str(&["CLIENT", "KILL", &addr]).await, "+OK\r\n");
    assert_eq!(c.read_to_close().await, b"");
    assert_eq!(
        a.cmd_str(&["CLIENT", "KILL", &addr]).await,
        "-ERR No such client\r\n"
    );

    // SKIPME defaults to yes; with SKIPME no the caller gets its reply and is closed.
    assert_eq!(
        a.cmd_str(&["CLIENT", "KILL", "TYPE", "normal"]).await,
        ":0\r\n"
    );
    a.send(&[b"CLIENT", b"KILL", b"TYPE", b"normal", b"SKIPME", b"no"])
        .await;
    assert_eq!(a.read_to_close().await, b":1\r\n");
    wait_until(|| async { srv.srv.clients.is_empty() }).await;
}

#[tokio::test]
async fn client_reply_off_and_skip_suppress_replies() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let mut batch = Vec::new();
    for cmd in [
        &[&b"CLIENT"[..], b"REPLY", b"OFF"][..],
        &[b"SET", b"k", b"v"],
        &[b"NOSUCHCOMMAND"],
        &[b"CLIENT", b"REPLY", b"ON"],
        &[b"GET", b"k"],
        &[b"CLIENT", b"REPLY", b"SKIP"],
        &[b"PING", b"skipped"],
        &[b"PING", b"shown"],
    ] {
        batch.extend(common::encode(cmd));
    }
    c.send_raw(&batch).await;
    assert_eq!(c.read_reply().await, b"+OK\r\n");
    assert_eq!(c.read_reply().await, b"$1\r\nv\r\n");
    assert_eq!(c.read_reply().await, b"$5\r\nshown\r\n");
    assert_eq!(c.cmd_str(&["PING"]).await, "+PONG\r\n");
}

#[tokio::test]
async fn monitor_sees_other_clients_commands() {
    let srv = TestServer::start().await;
    let mut m = srv.client().await;
    let mut o = srv.client().await;
    assert_eq!(m.cmd_str(&["MONITOR"]).await, "+OK\r\n");
    let oaddr = o.sock.local_addr().unwrap().to_string();
    o.cmd(&["SET", "k\u{1}", "a\"b\n"]).await;
    o.cmd(&["CLIENT", "LIST"]).await; // admin: not shown
    o.cmd(&["AUTH", "secret"]).await; // shown redacted, even though it fails
    o.cmd(&["SELECT", "3"]).await;
    o.cmd(&["GET"]).await; // rejected by arity: not shown

    let expect = [
        format!("[0 {oaddr}] \"SET\" \"k\\x01\" \"a\\\"b\\n\"\r\n"),
        format!("[0 {oaddr}] \"AUTH\" \"(redacted)\"\r\n"),
        format!("[3 {oaddr}] \"SELECT\" \"3\"\r\n"),
    ];
    for want in expect {
        let line = String::from_utf8(m.read_reply().await).unwrap();
        let (ts, rest) = line[1..].split_once(' ').unwrap();
        let (sec, usec) = ts.split_once('.').unwrap();
        assert!(sec.parse::<u64>().is_ok() && usec.len() == 6, "{line}");
        assert_eq!(rest, want);
    }
    // The monitor sees its own commands after their replies; a second MONITOR is ignored.
    m.send(&[b"MONITOR"]).await;
    assert_eq!(m.cmd_str(&["PING"]).await, "+PONG\r\n");
    assert!(m.read_reply().await.ends_with(b"\"PING\"\r\n"));
    let list = o.cmd_str(&["CLIENT", "LIST"]).await;
    assert!(list.contains(" flags=O "), "{list}");

    // RESET leaves monitor mode.
    assert_eq!(m.cmd_str(&["RESET"]).await, "+RESET\r\n");
    o.cmd(&["PING"]).await;
    assert_eq!(m.cmd_str(&["ECHO", "next"]).await, "$4\r\nnext\r\n");
}

#[tokio::test]
async fn auth_flows_with_requirepass() {
    let srv = TestServer::with(|s| s.requirepass = Some("pw".into())).await;
    let mut c = srv.client().await;
    assert_eq!(
        c.cmd_str(&["PING"]).await,
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        c.cmd_str(&["AUTH", "wrong"]).await,
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert!(c.cmd_str(&["HELLO", "3"]).await.starts_with(
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH"
    ));
    assert_eq!(c.cmd_str(&["AUTH", "pw"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["PING"]).await, "+PONG\r\n");
    assert_eq!(c.cmd_str(&["RESET"]).await, "+RESET\r\n");
    assert_eq!(
        c.cmd_str(&["PING"]).await,
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(c.cmd_str(&["AUTH", "default", "pw"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["RESET"]).await, "+RESET\r\n");

    let mut h = srv.client().await;
    let hello = h
        .cmd_str(&["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "app"])
        .await;
    let id = int_reply(&h.cmd_str(&["CLIENT", "ID"]).await);
    assert_eq!(
        hello,
        format!(
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n\
             $2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
             $7\r\nmodules\r\n*0\r\n"
        )
    );
    assert_eq!(h.cmd_str(&["CLIENT", "GETNAME"]).await, "$3\r\napp\r\n");
    // RESET goes back to RESP2, db 0, no name, unauthenticated.
    assert_eq!(h.cmd_str(&["RESET"]).await, "+RESET\r\n");
    assert_eq!(h.cmd_str(&["AUTH", "pw"]).await, "+OK\r\n");
    assert_eq!(h.cmd_str(&["CLIENT", "GETNAME"]).await, "$-1\r\n");
}

#[tokio::test]
async fn resp3_forms_after_hello_3() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let hello = c.cmd_str(&["HELLO", "3"]).await;
    assert!(hello.starts_with("%7\r\n"), "{hello}");
    assert_eq!(c.cmd_str(&["CLIENT", "GETNAME"]).await, "_\r\n");
    assert!(c.cmd_str(&["CLIENT", "INFO"]).await.starts_with('='));
    assert!(c.cmd_str(&["CLIENT", "INFO"]).await.contains(" resp=3\n"));
    let hello2 = c.cmd_str(&["HELLO", "2"]).await;
    assert!(hello2.starts_with("*14\r\n"), "{hello2}");
    assert_eq!(c.cmd_str(&["CLIENT", "GETNAME"]).await, "$-1\r\n");
}

#[tokio::test]
async fn timeout_closes_idle_clients_but_not_monitors() {
    let srv = TestServer::with(|s| s.timeout = 1).await;
    let mut m = srv.client().await;
    assert_eq!(m.cmd_str(&["MONITOR"]).await, "+OK\r\n");
    let mut idle = srv.client().await;
    assert_eq!(idle.cmd_str(&["PING"]).await, "+PONG\r\n");
    // The idle client connected after the monitor, so by the time it is closed the monitor's
    // own idle time has passed the timeout too.
    assert_eq!(idle.read_to_close().await, b"");
    let mut other = srv.client().await;
    other.cmd(&["ECHO", "still-monitored"]).await;
    // The idle client's PING comes first.
    let ping = m.read_reply().await;
    assert!(ping.ends_with(b"\"PING\"\r\n"));
    let line = m.read_reply().await;
    assert!(line.ends_with(b"\"ECHO\" \"still-monitored\"\r\n"));
}

#[tokio::test]
async fn timeout_set_at_runtime_reaches_connected_clients() {
    let srv = TestServer::start().await;
    let mut idle = srv.client().await;
    assert_eq!(idle.cmd_str(&["PING"]).await, "+PONG\r\n");
    // Already waiting with no timeout when it is set; a client that keeps talking stays.
    let mut admin = srv.client().await;
    assert_eq!(
        admin.cmd_str(&["CONFIG", "SET", "timeout", "1"]).await,
        "+OK\r\n"
    );
    let busy = tokio::spawn(async move {
        for _ in 0..6 {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            assert_eq!(admin.cmd_str(&["PING"]).await, "+PONG\r\n");
        }
        admin
    });
    assert_eq!(idle.read_to_close().await, b"");
    let mut admin = busy.await.unwrap();
    assert_eq!(admin.cmd_str(&["PING"]).await, "+PONG\r\n");
}

#[tokio::test]
async fn maxclients_rejects_extra_connections() {
    let srv = TestServer::with(|s| s.maxclients = 1).await;
    let mut a = srv.client().await;
    assert_eq!(a.cmd_str(&["PING"]).await, "+PONG\r\n");
    let mut b = srv.client().await;
    assert_eq!(
        b.read_to_close().await,
        b"-ERR max number of clients reached\r\n"
    );
    drop(a);
    wait_until(|| async { srv.srv.clients.is_empty() }).await;
    let mut c = srv.client().await;
    assert_eq!(c.cmd_str(&["PING"]).await, "+PONG\r\n");
}

#[tokio::test]
async fn query_buffer_limit_closes_the_client() {
    let srv = TestServer::with(|s| s.client_query_buffer_limit = 4096).await;
    let mut c = srv.client().await;
    let mut req = b"*2\r\n$4\r\nECHO\r\n$100000\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'x', 8192));
    c.send_raw(&req).await;
    assert_eq!(c.read_to_close().await, b"");
    // Others are unaffected.
    let mut d = srv.client().await;
    assert_eq!(d.cmd_str(&["PING"]).await, "+PONG\r\n");
}

#[tokio::test]
async fn keepalive_is_enabled_with_the_configured_interval() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _c = tokio::net::TcpStream::connect(l.local_addr().unwrap())
        .await
        .unwrap();
    let (s, _) = l.accept().await.unwrap();
    herald::connection::set_keepalive(&s, 60);
    use std::os::fd::AsRawFd;
    let get = |level, name| {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: valid fd and an int-sized out buffer with its length.
        let rc = unsafe {
            libc::getsockopt(
                s.as_raw_fd(),
                level,
                name,
                &mut v as *mut libc::c_int as *mut libc::c_void,
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        v
    };
    assert_ne!(get(libc::SOL_SOCKET, libc::SO_KEEPALIVE), 0);
    assert_eq!(get(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), 60);
    assert_eq!(get(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 20);
    assert_eq!(get(libc::IPPROTO_TCP, libc::TCP_KEEPCNT), 3);
}

#[tokio::test]
async fn hello_validates_before_switching() {
    let srv = TestServer::start().await;
    let mut c: RawClient = srv.client().await;
    assert_eq!(
        c.cmd_str(&["HELLO", "3", "SETNAME", "bad name"]).await,
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    // Still RESP2 after the failed HELLO.
    assert_eq!(c.cmd_str(&["CLIENT", "GETNAME"]).await, "$-1\r\n");
}

#[tokio::test]
async fn idle_connections_release_their_buffers() {
    let s = TestServer::start().await;
    let mut a = s.client().await;
    let id = a.cmd_str(&["CLIENT", "ID"]).await;
    let id = id.trim_start_matches(':').trim().to_string();
    // A big request's buffer is released as soon as it is consumed; a small one's is kept
    // for the next request while the connection is busy.
    let big = "x".repeat(100_000);
    assert_eq!(a.cmd_str(&["SET", "k", &big]).await, "+OK\r\n");
    assert_eq!(a.cmd_str(&["PING"]).await, "+PONG\r\n");
    let addr = s.addr;
    let list = |id: String| async move {
        let mut b = RawClient::connect(addr).await;
        b.cmd_str(&["CLIENT", "LIST", "ID", &id]).await
    };
    let line = list(id.clone()).await;
    assert!(
        !line.contains(" qbuf-free=0 "),
        "buffer released too early: {line}"
    );
    // After two quiet seconds the connection gives its buffers back (Redis's clientsCron).
    wait_until(|| {
        let id = id.clone();
        async move { list(id).await.contains(" qbuf=0 qbuf-free=0 ") }
    })
    .await;
    // And it still works afterwards.
    assert_eq!(a.cmd_str(&["STRLEN", "k"]).await, ":100000\r\n");
    s.stop().await;
}
