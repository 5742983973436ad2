//! Server and introspection commands: INFO contents and counters, COMMAND INFO bytes, SLOWLOG
//! recording, SHUTDOWN, and the small commands whose replies differ from run to run.

mod common;

use common::{RawClient, TestServer};

/// The text of a bulk INFO reply (every line of it CRLF-terminated, as Redis sends it).
fn bulk_text(reply: &str) -> String {
    let body = reply.split_once("\r\n").map_or("", |(_, b)| b);
    body.strip_suffix("\r\n").unwrap_or(body).to_string()
}

async fn info(c: &mut RawClient, args: &[&str]) -> String {
    let mut a = vec!["INFO"];
    a.extend_from_slice(args);
    bulk_text(&c.cmd_str(&a).await)
}

/// The value of `field` in INFO text.
fn field(info: &str, name: &str) -> Option<String> {
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::to_string))
}

#[tokio::test]
async fn info_default_sections_fields_and_format() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let text = info(&mut c, &[]).await;
    let headers: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    // Every line is CRLF-terminated and every non-header line is `name:value`.
    for l in text.split("\r\n") {
        assert!(!l.contains('\n'), "bare LF in {l:?}");
        assert!(
            l.is_empty() || l.starts_with("# ") || l.contains(':'),
            "{l:?}"
        );
    }
    assert_eq!(field(&text, "redis_version").as_deref(), Some("7.0.15"));
    assert_eq!(
        field(&text, "herald_version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(field(&text, "redis_mode").as_deref(), Some("standalone"));
    assert_eq!(
        field(&text, "tcp_port").and_then(|p| p.parse::<u16>().ok()),
        Some(srv.addr.port())
    );
    assert_eq!(
        field(&text, "process_id").and_then(|p| p.parse::<u32>().ok()),
        Some(std::process::id())
    );
    assert_eq!(field(&text, "connected_clients").as_deref(), Some("1"));
    assert_eq!(field(&text, "blocked_clients").as_deref(), Some("0"));
    assert_eq!(field(&text, "maxclients").as_deref(), Some("10000"));
    assert!(
        field(&text, "used_memory")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap()
            > 0
    );
    assert!(
        field(&text, "used_memory_rss")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap()
            > 0
    );
    assert_eq!(
        field(&text, "maxmemory_policy").as_deref(),
        Some("noeviction")
    );
    assert_eq!(field(&text, "loading").as_deref(), Some("0"));
    assert_eq!(field(&text, "aof_enabled").as_deref(), Some("0"));
    assert_eq!(field(&text, "role").as_deref(), Some("master"));
    assert_eq!(field(&text, "connected_slaves").as_deref(), Some("0"));
    assert_eq!(field(&text, "master_replid").map(|v| v.len()), Some(40));
    assert!(field(&text, "used_cpu_user")
        .unwrap()
        .parse::<f64>()
        .is_ok());
    assert_eq!(field(&text, "cluster_enabled").as_deref(), Some("0"));
    assert!(text.ends_with("\r\n# Keyspace\r\n"), "{text}");

    // Sections are reported in Redis's order whatever the argument order; unknown ones vanish.
    let two = info(&mut c, &["CPU", "server", "nosuch"]).await;
    assert!(two.starts_with("# Server\r\n"));
    assert!(two.contains("\r\n\r\n# CPU\r\n"));
    assert!(!two.contains("# Clients"));
    assert_eq!(c.cmd_str(&["INFO", "nosuch"]).await, "$0\r\n\r\n");
    let all = info(&mut c, &["all"]).await;
    assert!(all.contains("# Commandstats\r\n"));
    assert!(info(&mut c, &["everything"])
        .await
        .contains("# Commandstats\r\n"));
    srv.stop().await;
}

/// `used_memory` is the allocator's count of live bytes (jemalloc, as in Redis): a 32 MB value
/// shows up in it and leaves it again when deleted (the count is process-wide: the margin is for
/// this binary's other tests, running meanwhile).
#[tokio::test]
async fn used_memory_follows_what_is_stored() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let used = |text: &str| {
        field(text, "used_memory")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap()
    };
    // Allocated before the first reading: this process's own copy is not the server's.
    let big = "x".repeat(32 << 20);
    let text = info(&mut c, &["memory"]).await;
    assert!(
        field(&text, "mem_allocator").is_some_and(|a| a.starts_with("jemalloc-5.")),
        "{text}"
    );
    let before = used(&text);
    assert_eq!(c.cmd_str(&["SET", "big", &big]).await, "+OK\r\n");
    let with = used(&info(&mut c, &["memory"]).await);
    assert!(with - before >= 28 << 20, "{before} -> {with}");
    assert_eq!(c.cmd_str(&["DEL", "big"]).await, ":1\r\n");
    let after = used(&info(&mut c, &["memory"]).await);
    assert!(with - after >= 28 << 20, "{with} -> {after}");
}

#[tokio::test]
async fn info_counts_commands_errors_keys_and_persistence() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let before = info(&mut c, &["stats"]).await;
    let processed = |t: &str| {
        field(t, "total_commands_processed")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap()
    };
    for _ in 0..3 {
        c.cmd(&["PING"]).await;
    }
    let after = info(&mut c, &["stats"]).await;
    // The three PINGs and the first INFO.
    assert_eq!(processed(&after), processed(&before) + 4);

    // Keyspace line appears after a write, with the dirty counter.
    assert_eq!(info(&mut c, &["keyspace"]).await, "# Keyspace\r\n");
    c.cmd(&["SET", "k", "v"]).await;
    c.cmd(&["SELECT", "3"]).await;
    c.cmd(&["SET", "a", "1"]).await;
    c.cmd(&["SET", "b", "2"]).await;
    assert_eq!(
        info(&mut c, &["keyspace"]).await,
        "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb3:keys=2,expires=0,avg_ttl=0\r\n"
    );
    let p = info(&mut c, &["persistence"]).await;
    assert_eq!(
        field(&p, "rdb_changes_since_last_save").as_deref(),
        Some("3")
    );
    assert_eq!(c.cmd_str(&["DBSIZE"]).await, ":2\r\n");

    // Error replies are counted by code.
    c.cmd(&["nosuchcommand"]).await;
    c.cmd(&["GET"]).await;
    c.cmd(&["SLOWLOG", "GET", "x"]).await;
    let e = info(&mut c, &["errorstats", "stats"]).await;
    assert_eq!(field(&e, "errorstat_ERR").as_deref(), Some("count=3"));
    assert_eq!(field(&e, "total_error_replies").as_deref(), Some("3"));
    srv.stop().await;
}

/// Commandstats and CONFIG RESETSTAT's reset, in one test: the command table's statistics are
/// process-wide, so counts are compared before/after rather than absolutely.
#[tokio::test]
async fn commandstats_count_calls_rejections_failures_and_reset() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let stat = |t: &str, name: &str, key: &str| -> u64 {
        field(t, &format!("cmdstat_{name}"))
            .and_then(|v| {
                v.split(',')
                    .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            })
            .unwrap_or(0)
    };
    let before = info(&mut c, &["commandstats"]).await;
    c.cmd(&["LATENCY", "LATEST"]).await;
    c.cmd(&["LATENCY", "LATEST"]).await;
    c.cmd(&["LATENCY", "LATEST", "extra"]).await;
    c.cmd(&["LATENCY", "GRAPH", "x"]).await;
    let after = info(&mut c, &["commandstats"]).await;
    assert!(after.starts_with("# Commandstats\r\n"));
    assert!(
        stat(&after, "latency|latest", "calls") >= stat(&before, "latency|latest", "calls") + 2
    );
    assert!(
        stat(&after, "latency|latest", "rejected_calls")
            > stat(&before, "latency|latest", "rejected_calls")
    );
    assert!(
        stat(&after, "latency|graph", "failed_calls")
            > stat(&before, "latency|graph", "failed_calls")
    );
    let line = field(&after, "cmdstat_latency|latest").unwrap();
    let keys: Vec<&str> = line
        .split(',')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "calls",
            "usec",
            "usec_per_call",
            "rejected_calls",
            "failed_calls"
        ]
    );

    srv.srv.stats.reset();
    let reset = info(&mut c, &["commandstats", "stats", "errorstats"]).await;
    assert_eq!(
        field(&reset, "total_commands_processed").as_deref(),
        Some("0")
    );
    assert_eq!(field(&reset, "total_error_replies").as_deref(), Some("0"));
    assert!(!reset.contains("errorstat_"));
    assert_eq!(stat(&reset, "latency|graph", "failed_calls"), 0);
    srv.stop().await;
}

#[tokio::test]
async fn instantaneous_ops_are_sampled() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let mut seen = 0u64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while seen == 0 && std::time::Instant::now() < deadline {
        for _ in 0..50 {
            c.cmd(&["PING"]).await;
        }
        let t = info(&mut c, &["stats"]).await;
        seen = field(&t, "instantaneous_ops_per_sec")
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(field(&t, "instantaneous_input_kbps")
            .unwrap()
            .parse::<f64>()
            .is_ok());
    }
    assert!(seen > 0, "instantaneous_ops_per_sec stayed 0 under load");
    srv.stop().await;
}

#[tokio::test]
async fn command_info_get_matches_redis_bytes() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    // Redis 7.0.15's reply, byte for byte.
    assert_eq!(
        c.cmd_str(&["COMMAND", "INFO", "get"]).await,
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
         *3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n\
         +access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n\
         *2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n\
         $4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n\
         :0\r\n*0\r\n"
    );
    // COUNT, the full listing and LIST agree with the table.
    let count: usize = c
        .cmd_str(&["COMMAND", "COUNT"])
        .await
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    let all = c.cmd_str(&["COMMAND"]).await;
    assert!(all.starts_with(&format!("*{count}\r\n")));
    let list = c.cmd_str(&["COMMAND", "LIST"]).await;
    assert!(list.contains("$11\r\nslowlog|get\r\n"));
    assert!(list.contains("$3\r\nget\r\n"));
    let conn = c
        .cmd_str(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"])
        .await;
    assert!(conn.contains("$4\r\nping\r\n") && !conn.contains("$3\r\nget\r\n"));
    // Container info lists Herald's own subcommands.
    let slowlog = c.cmd_str(&["COMMAND", "INFO", "slowlog"]).await;
    assert!(
        slowlog.contains("$11\r\nslowlog|get\r\n") && slowlog.contains("$11\r\nslowlog|len\r\n")
    );
    srv.stop().await;
}

#[tokio::test]
async fn slowlog_records_bounded_argv_peer_and_name() {
    let srv = TestServer::with(|s| s.slowlog_log_slower_than = 0).await;
    let mut c = srv.client().await;
    let local = c.sock.local_addr().unwrap().to_string();
    c.cmd(&["SET", "foo", "bar"]).await;
    let got = c.cmd_str(&["SLOWLOG", "GET", "1"]).await;
    assert!(got.starts_with("*1\r\n*6\r\n:"), "{got}");
    assert!(
        got.contains(&format!(
            "*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n${}\r\n{local}\r\n$0\r\n\r\n",
            local.len()
        )),
        "{got}"
    );

    let long = "x".repeat(200);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut args: Vec<&str> = vec!["ECHO"];
    args.push(&long);
    c.cmd(&args).await;
    let mut args: Vec<&str> = vec!["EXISTS"];
    args.extend(many.iter().map(String::as_str));
    c.cmd(&args).await;
    let got = c.cmd_str(&["SLOWLOG", "GET", "3"]).await;
    // Newest first: the EXISTS (32 args, the last one summarising 10 more), then the ECHO.
    let exists_at = got.find("$6\r\nEXISTS").unwrap();
    let echo_at = got.find("$4\r\nECHO").unwrap();
    assert!(exists_at < echo_at);
    assert!(got.contains("*32\r\n$6\r\nEXISTS\r\n"));
    assert!(got.contains("$23\r\n... (10 more arguments)\r\n"));
    assert!(got.contains(&format!("{}... (72 more bytes)\r\n", "x".repeat(128))));

    // Ids grow; LEN counts; RESET empties the log (then logs itself, as Redis does).
    assert!(c.cmd_str(&["SLOWLOG", "LEN"]).await.starts_with(':'));
    assert_eq!(c.cmd_str(&["SLOWLOG", "RESET"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["SLOWLOG", "LEN"]).await, ":1\r\n");
    assert!(c
        .cmd_str(&["SLOWLOG", "GET"])
        .await
        .contains("$5\r\nRESET\r\n"));

    // slowlog-max-len bounds the log.
    srv.srv.config.write().slowlog_max_len = 2;
    srv.srv.refresh_hot_config();
    for _ in 0..5 {
        c.cmd(&["PING"]).await;
    }
    assert_eq!(c.cmd_str(&["SLOWLOG", "LEN"]).await, ":2\r\n");
    srv.stop().await;
}

#[tokio::test]
async fn slowlog_disabled_or_threshold_not_reached_records_nothing() {
    let srv = TestServer::with(|s| s.slowlog_log_slower_than = -1).await;
    let mut c = srv.client().await;
    c.cmd(&["SET", "a", "b"]).await;
    assert_eq!(c.cmd_str(&["SLOWLOG", "LEN"]).await, ":0\r\n");
    srv.srv.config.write().slowlog_log_slower_than = 60_000_000;
    srv.srv.refresh_hot_config();
    c.cmd(&["SET", "a", "b"]).await;
    assert_eq!(c.cmd_str(&["SLOWLOG", "GET"]).await, "*0\r\n");
    srv.stop().await;
}

#[tokio::test]
async fn time_lastsave_role() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let t = c.cmd_str(&["TIME"]).await;
    let parts: Vec<&str> = t.split("\r\n").collect();
    let secs: u64 = parts[2].parse().unwrap();
    let usec: u64 = parts[4].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) <= 2 && usec < 1_000_000, "{t}");
    let last: u64 = c
        .cmd_str(&["LASTSAVE"])
        .await
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    assert!(last <= now && now - last < 60);
    assert_eq!(
        c.cmd_str(&["ROLE"]).await,
        "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"
    );
    srv.stop().await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let mut srv = TestServer::start().await;
    let mut c = srv.client().await;
    let mut other = srv.client().await;
    assert_eq!(
        c.cmd_str(&["SHUTDOWN", "ABORT"]).await,
        "-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(
        c.cmd_str(&["SHUTDOWN", "SAVE", "NOSAVE"]).await,
        "-ERR syntax error\r\n"
    );
    c.send(&[b"SHUTDOWN", b"NOSAVE", b"NOW"]).await;
    // No reply: the connection just closes, and so does every other one.
    assert!(c.read_to_close().await.is_empty());
    assert!(other.read_to_close().await.is_empty());
    let handle = srv.handle.take().unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), handle.wait())
        .await
        .expect("server finished shutting down");
    assert!(tokio::net::TcpStream::connect(srv.addr).await.is_err());
}
