//! Scripting with real connections: BUSY and SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE
//! during long scripts, atomicity against blocked clients and WATCH, the sandbox (escapes that
//! must fail), INFO's scripting fields, and FUNCTION DUMP/RESTORE (including a payload made by
//! redis-server 7.0.15). Reply bytes of every command are covered by `tests/diff/scripting*`.

mod common;

use common::*;

const BUSY_EVAL: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
const BUSY_FUNCTION: &str =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";

async fn busy_server() -> TestServer {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "busy-reply-threshold", "50"])
            .await,
        "+OK\r\n"
    );
    s
}

/// Waits until a script has run past the threshold (other clients now get BUSY).
async fn wait_busy(s: &TestServer, probe: &mut RawClient) {
    let srv = s.srv.clone();
    wait_until(|| {
        let srv = srv.clone();
        async move { srv.scripting.busy.is_running() }
    })
    .await;
    // The first command after the threshold is answered BUSY; earlier ones wait for it.
    let r = probe.cmd_str(&["PING"]).await;
    assert!(r.starts_with("-BUSY"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn script_kill_stops_a_busy_script() {
    let s = busy_server().await;
    let mut runner = s.client().await;
    let mut other = s.client().await;
    runner
        .send(&[b"EVAL", b"local i = 0 while true do i = i + 1 end", b"0"])
        .await;
    wait_busy(&s, &mut other).await;
    assert_eq!(other.cmd_str(&["GET", "k"]).await, BUSY_EVAL);
    assert_eq!(other.cmd_str(&["FUNCTION", "KILL"]).await, BUSY_EVAL);
    assert_eq!(other.cmd_str(&["SHUTDOWN"]).await, BUSY_EVAL);
    assert_eq!(other.cmd_str(&["SCRIPT", "KILL"]).await, "+OK\r\n");
    let killed = String::from_utf8(runner.read_reply().await).unwrap();
    assert_eq!(
        killed,
        "-ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.\r\n"
    );
    assert_eq!(other.cmd_str(&["PING"]).await, "+PONG\r\n");
    assert_eq!(
        other.cmd_str(&["SCRIPT", "KILL"]).await,
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
    // A pcall inside the script cannot swallow the kill.
    runner
        .send(&[
            b"EVAL",
            b"while true do pcall(function() while true do end end) end",
            b"0",
        ])
        .await;
    wait_busy(&s, &mut other).await;
    assert_eq!(other.cmd_str(&["SCRIPT", "KILL"]).await, "+OK\r\n");
    let killed = String::from_utf8(runner.read_reply().await).unwrap();
    assert!(killed.starts_with("-ERR Script killed by user"), "{killed}");
    assert_eq!(runner.cmd_str(&["PING"]).await, "+PONG\r\n");
}

/// A command sent right after a script started waits for it at the world lock (the busy gate
/// lets commands through for the script's first 2 ms); if the script turns out long, that
/// command is answered BUSY at the threshold like any other. It used to wait for the script's
/// end, which never came.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_sent_as_a_script_starts_get_busy_too() {
    let s = busy_server().await;
    let mut runner = s.client().await;
    let mut other = s.client().await;
    let busy = s.srv.clone();
    let started = || async {
        while !busy.scripting.busy.is_running() {
            tokio::task::yield_now().await;
        }
    };
    for (script, cmd) in [
        (
            "local i = 0 while true do i = i + 1 end",
            &["SET", "k", "v"][..],
        ),
        (
            "while true do end",
            &["EVAL", "redis.call('set', 'k', 'v')", "0"][..],
        ),
    ] {
        for _ in 0..3 {
            runner.send(&[b"EVAL", script.as_bytes(), b"0"]).await;
            started().await;
            let cmd: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
            other.send(&cmd).await;
            assert_eq!(
                String::from_utf8(other.read_reply().await).unwrap(),
                BUSY_EVAL
            );
            assert_eq!(other.cmd_str(&["SCRIPT", "KILL"]).await, "+OK\r\n");
            let killed = String::from_utf8(runner.read_reply().await).unwrap();
            assert!(killed.starts_with("-ERR Script killed by user"), "{killed}");
        }
    }
    assert_eq!(other.cmd_str(&["GET", "k"]).await, "$-1\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_script_that_wrote_is_unkillable() {
    let s = busy_server().await;
    let mut runner = s.client().await;
    let mut other = s.client().await;
    // Writes, then runs for about a second (TIME moves on even inside a script).
    let script = "redis.call('set', 'x', 'y') \
        local t0 = redis.call('time') local start = t0[1] * 1000000 + t0[2] \
        while true do local t = redis.call('time') \
        if t[1] * 1000000 + t[2] - start > 800000 then break end end return 'done'";
    runner.send(&[b"EVAL", script.as_bytes(), b"0"]).await;
    wait_busy(&s, &mut other).await;
    assert_eq!(
        other.cmd_str(&["SCRIPT", "KILL"]).await,
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
    );
    assert_eq!(runner.read_reply().await, b"$4\r\ndone\r\n");
    assert_eq!(other.cmd_str(&["GET", "x"]).await, "$1\r\ny\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn function_kill_and_stats_during_a_busy_function() {
    let s = busy_server().await;
    let mut runner = s.client().await;
    let mut other = s.client().await;
    let lib = "#!lua name=busy\nredis.register_function('spin', function() while true do end end)";
    assert_eq!(
        runner.cmd_str(&["FUNCTION", "LOAD", lib]).await,
        "$4\r\nbusy\r\n"
    );
    runner.send(&[b"FCALL", b"spin", b"0"]).await;
    wait_busy(&s, &mut other).await;
    assert_eq!(other.cmd_str(&["GET", "k"]).await, BUSY_FUNCTION);
    assert_eq!(other.cmd_str(&["SCRIPT", "KILL"]).await, BUSY_FUNCTION);
    let stats = other.cmd_str(&["FUNCTION", "STATS"]).await;
    assert!(
        stats.starts_with("*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:"),
        "{stats}"
    );
    assert_eq!(other.cmd_str(&["FUNCTION", "KILL"]).await, "+OK\r\n");
    assert_eq!(
        runner.read_reply().await,
        b"-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n"
    );
    let stats = other.cmd_str(&["FUNCTION", "STATS"]).await;
    assert!(
        stats.starts_with("*4\r\n$14\r\nrunning_script\r\n$-1\r\n"),
        "{stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_nosave_works_during_a_busy_script() {
    let s = busy_server().await;
    let mut runner = s.client().await;
    let mut other = s.client().await;
    runner.send(&[b"EVAL", b"while true do end", b"0"]).await;
    wait_busy(&s, &mut other).await;
    other.send(&[b"SHUTDOWN", b"NOSAVE"]).await;
    assert_eq!(other.read_to_close().await, b"");
    let srv = s.srv.clone();
    wait_until(|| {
        let srv = srv.clone();
        async move { srv.is_shutting_down() && !srv.scripting.busy.is_running() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_arriving_before_the_threshold_wait_for_the_script() {
    let s = TestServer::start().await;
    let mut runner = s.client().await;
    let mut other = s.client().await;
    // Well under the default 5 s threshold: the other client waits, then is served normally.
    let script = "redis.call('set', 'k', 'first') \
        local t0 = redis.call('time') local start = t0[1] * 1000000 + t0[2] \
        while true do local t = redis.call('time') \
        if t[1] * 1000000 + t[2] - start > 200000 then break end end \
        redis.call('set', 'k', 'last') return 1";
    runner.send(&[b"EVAL", script.as_bytes(), b"0"]).await;
    // While the script runs nothing else does (timers and I/O of this runtime included), so
    // this GET runs wholly before or wholly after it.
    let r = other.cmd_str(&["GET", "k"]).await;
    assert!(r == "$-1\r\n" || r == "$4\r\nlast\r\n", "{r}");
    assert_eq!(runner.read_reply().await, b":1\r\n");
    assert_eq!(other.cmd_str(&["GET", "k"]).await, "$4\r\nlast\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blocked_clients_are_served_after_the_whole_script() {
    let s = TestServer::start().await;
    let mut waiter = s.client().await;
    let mut c = s.client().await;
    waiter.send(&[b"BLPOP", b"q", b"0"]).await;
    wait_blocked(&s, 1).await;
    // If the waiter were served between the two commands, LLEN would be 0.
    assert_eq!(
        c.cmd_str(&[
            "EVAL",
            "redis.call('rpush', KEYS[1], 'a') return redis.call('llen', KEYS[1])",
            "1",
            "q"
        ])
        .await,
        ":1\r\n"
    );
    assert_eq!(waiter.read_reply().await, b"*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(c.cmd_str(&["LLEN", "q"]).await, ":0\r\n");
    // Redis 7.0 refuses blocking commands in scripts altogether.
    assert!(c
        .cmd_str(&["EVAL", "return redis.call('blpop', 'empty', 0)", "0"])
        .await
        .starts_with("-ERR This Redis command is not allowed from script"));
}

#[tokio::test]
async fn scripts_invalidate_watched_keys() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let mut other = s.client().await;
    assert_eq!(c.cmd_str(&["WATCH", "k"]).await, "+OK\r\n");
    assert_eq!(
        other
            .cmd_str(&["EVAL", "return redis.call('set', 'k', 'v')", "0"])
            .await,
        "+OK\r\n"
    );
    assert_eq!(c.cmd_str(&["MULTI"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["GET", "k"]).await, "+QUEUED\r\n");
    assert_eq!(c.cmd_str(&["EXEC"]).await, "*-1\r\n");
    // A read-only script leaves the watch alone.
    assert_eq!(c.cmd_str(&["WATCH", "k"]).await, "+OK\r\n");
    other
        .cmd(&["EVAL", "return redis.call('get', 'k')", "0"])
        .await;
    assert_eq!(c.cmd_str(&["MULTI"]).await, "+OK\r\n");
    assert_eq!(c.cmd_str(&["GET", "k"]).await, "+QUEUED\r\n");
    assert_eq!(c.cmd_str(&["EXEC"]).await, "*1\r\n$1\r\nv\r\n");
}

#[tokio::test]
async fn sandbox_escapes_fail() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let nonexistent =
        |name: &str| format!("Script attempted to access nonexistent global variable '{name}'");
    for (script, expect) in [
        ("os.execute('touch /tmp/herald-escaped')", nonexistent("os")),
        ("return io.open('/etc/passwd')", nonexistent("io")),
        ("return loadfile('/etc/passwd')", nonexistent("loadfile")),
        ("return dofile('/etc/passwd')", nonexistent("dofile")),
        ("return require('os')", nonexistent("require")),
        (
            "return package.loadlib('libc.so.6', 'system')",
            nonexistent("package"),
        ),
        ("setfenv(1, {})", nonexistent("setfenv")),
        ("return getfenv(0)", nonexistent("getfenv")),
        ("return debug.getregistry()", nonexistent("debug")),
        ("module('x')", nonexistent("module")),
        ("return newproxy(true)", nonexistent("newproxy")),
        (
            "string.upper = nil",
            "Attempt to modify a readonly table".into(),
        ),
        (
            "getmetatable('').__index.upper = nil",
            "Attempt to modify a readonly table".into(),
        ),
        (
            "getmetatable('').__index = {}",
            "Attempt to modify a readonly table".into(),
        ),
        (
            "rawset(string, 'upper', nil)",
            "Attempt to modify a readonly table".into(),
        ),
        (
            "rawset(_G, 'redis', nil)",
            "Attempt to modify a readonly table".into(),
        ),
        (
            "loadstring('redis = nil')()",
            "Attempt to modify a readonly table".into(),
        ),
        (
            "local f = loadstring('return getfenv') return f()()",
            nonexistent("getfenv"),
        ),
        (
            "setmetatable(redis, {})",
            "Attempt to modify a readonly table".into(),
        ),
    ] {
        let r = c.cmd_str(&["EVAL", script, "0"]).await;
        assert!(
            r.starts_with("-ERR") && r.contains(&expect),
            "{script}: {r}"
        );
    }
    // Precompiled chunks are refused (they can break out of the VM).
    assert_eq!(
        c.cmd_str(&[
            "EVAL",
            "return loadstring(string.dump(function() return 1 end))",
            "0"
        ])
        .await,
        "$-1\r\n"
    );
    // Huge allocations fail inside the script; the server stays up.
    let r = c
        .cmd_str(&[
            "EVAL",
            "local s = string.rep('x', 1024 * 1024) return #string.rep(s, 4096)",
            "0",
        ])
        .await;
    assert!(
        r.starts_with("-ERR") && r.contains("not enough memory"),
        "{r}"
    );
    assert_eq!(c.cmd_str(&["PING"]).await, "+PONG\r\n");
    // Self-referencing or deeply nested values end with an error, not a crashed stack.
    let r = c
        .cmd_str(&["EVAL", "local t = {} t[1] = t return cjson.encode(t)", "0"])
        .await;
    assert!(r.contains("Cannot serialise, excessive nesting"), "{r}");
    c.send(&[b"EVAL", b"local t = {} t[1] = t return t", b"0"])
        .await;
    let r = c
        .read_until_suffix(b"-ERR reached lua stack limit\r\n")
        .await;
    let levels = r.windows(4).filter(|w| w == b"*1\r\n").count();
    assert!(
        levels >= 500 && r.len() == levels * 4 + 30,
        "{levels} levels"
    );
    assert_eq!(c.cmd_str(&["PING"]).await, "+PONG\r\n");
    // Nothing a script did to its environment leaks into the next one.
    assert_eq!(
        c.cmd_str(&["EVAL", "return string.upper('ok')", "0"]).await,
        "$2\r\nOK\r\n"
    );
    assert!(!std::path::Path::new("/tmp/herald-escaped").exists());
}

#[tokio::test]
async fn info_reports_scripts_and_functions() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let field = |info: &str, name: &str| -> String {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} in INFO"))
            .to_string()
    };
    let info = c.cmd_str(&["INFO", "memory"]).await;
    assert_eq!(field(&info, "number_of_cached_scripts"), "0");
    assert!(field(&info, "used_memory_lua").parse::<u64>().unwrap() > 0);
    c.cmd(&["SCRIPT", "LOAD", "return 1"]).await;
    c.cmd(&["EVAL", "return 2", "0"]).await;
    c.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=l\nredis.register_function('a', function() return 1 end)\nredis.register_function('b', function() return 2 end)",
    ])
    .await;
    let info = c.cmd_str(&["INFO", "memory"]).await;
    assert_eq!(field(&info, "number_of_cached_scripts"), "2");
    assert_eq!(field(&info, "number_of_functions"), "2");
    assert_eq!(field(&info, "number_of_libraries"), "1");
    assert!(
        field(&info, "used_memory_scripts_eval")
            .parse::<u64>()
            .unwrap()
            > 0
    );
    c.cmd(&["SCRIPT", "FLUSH"]).await;
    c.cmd(&["FUNCTION", "FLUSH"]).await;
    let info = c.cmd_str(&["INFO", "memory"]).await;
    assert_eq!(field(&info, "number_of_cached_scripts"), "0");
    assert_eq!(field(&info, "number_of_functions"), "0");
}

/// `FUNCTION DUMP` of redis-server 7.0.15 for a library `dumped` (its code LZF-compressed).
const REDIS_DUMP: &str = "f5c34066406e1f23216c7561206e616d653d64756d7065640a72656469732e72656769737465720a5f66756e6374696f6e2827801f055f666e272c20e00015186b6579732c2061726773292072657475726e2027726573746f2046042027202e2e601b075b315d20656e64290a00369ff8a4be3c08f1";

async fn send(c: &mut RawClient, args: Vec<Vec<u8>>) -> String {
    let r: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    c.send(&r).await;
    String::from_utf8(c.read_reply().await).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn function_dump_and_restore() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let payload = unhex(REDIS_DUMP);
    let restore = |policy: Option<&'static [u8]>| {
        let mut args: Vec<Vec<u8>> =
            vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload.clone()];
        if let Some(p) = policy {
            args.push(p.to_vec());
        }
        args
    };
    assert_eq!(send(&mut c, restore(None)).await, "+OK\r\n");
    assert_eq!(
        c.cmd_str(&["FCALL", "dumped_fn", "0", "ok"]).await,
        "$11\r\nrestored ok\r\n"
    );
    assert_eq!(
        send(&mut c, restore(Some(b"APPEND"))).await,
        "-ERR Library dumped already exists\r\n"
    );
    assert_eq!(send(&mut c, restore(Some(b"REPLACE"))).await, "+OK\r\n");
    // A corrupted payload fails its checksum.
    let mut bad = payload.clone();
    bad[5] ^= 1;
    assert_eq!(
        send(&mut c, vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), bad]).await,
        "-ERR DUMP payload version or checksum are wrong\r\n"
    );
    // Herald's own DUMP round-trips through FLUSH + RESTORE.
    c.cmd(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=second\nredis.register_function('two', function() return 2 end)",
    ])
    .await;
    c.send(&[b"FUNCTION", b"DUMP"]).await;
    let dump = c.read_reply().await;
    let body_start = dump.iter().position(|&b| b == b'\n').unwrap() + 1;
    let ours = dump[body_start..dump.len() - 2].to_vec();
    assert_eq!(c.cmd_str(&["FUNCTION", "FLUSH"]).await, "+OK\r\n");
    assert_eq!(
        c.cmd_str(&["FCALL", "two", "0"]).await,
        "-ERR Function not found\r\n"
    );
    assert_eq!(
        send(
            &mut c,
            vec![
                b"FUNCTION".to_vec(),
                b"RESTORE".to_vec(),
                ours,
                b"FLUSH".to_vec()
            ]
        )
        .await,
        "+OK\r\n"
    );
    assert_eq!(c.cmd_str(&["FCALL", "two", "0"]).await, ":2\r\n");
    assert_eq!(
        c.cmd_str(&["FCALL", "dumped_fn", "0", "x"]).await,
        "$10\r\nrestored x\r\n"
    );
}

#[tokio::test]
async fn scripts_touch_undeclared_keys_and_other_databases() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    // Job frameworks (BullMQ, Dramatiq) build key names inside scripts.
    assert_eq!(
        c.cmd_str(&[
            "EVAL",
            "redis.call('hset', KEYS[1] .. ':job:1', 'state', 'waiting') redis.call('lpush', KEYS[1] .. ':wait', '1') return redis.call('keys', KEYS[1] .. ':*')",
            "1",
            "bull",
        ])
        .await
        .matches("bull:")
        .count(),
        2
    );
    assert_eq!(
        c.cmd_str(&[
            "EVAL",
            "redis.call('select', 2) return redis.call('set', 'in2', 'v')",
            "0"
        ])
        .await,
        "+OK\r\n"
    );
    // The caller's database is unchanged.
    assert_eq!(c.cmd_str(&["GET", "in2"]).await, "$-1\r\n");
    c.cmd(&["SELECT", "2"]).await;
    assert_eq!(c.cmd_str(&["GET", "in2"]).await, "$1\r\nv\r\n");
    // And scripts run in the caller's database.
    assert_eq!(
        c.cmd_str(&["EVAL", "return redis.call('get', 'in2')", "0"])
            .await,
        "$1\r\nv\r\n"
    );
}

/// SCRIPT LOAD's digest of `body`.
async fn script_load(c: &mut RawClient, body: &str) -> String {
    let reply = c.cmd_str(&["SCRIPT", "LOAD", body]).await;
    reply.lines().nth(1).expect("a SHA").to_string()
}

/// Many clients running short scripts at once: each waits its turn and none is told BUSY (a
/// client woken when one script ended used to find the next one running and answer -BUSY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_short_scripts_are_never_busy() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let sha = script_load(&mut c, "return redis.call('INCR', KEYS[1])").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let addr = s.addr;
        let sha = sha.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = RawClient::connect(addr).await;
            for _ in 0..200 {
                let r = c.cmd_str(&["EVALSHA", &sha, "1", "counter"]).await;
                assert!(r.starts_with(':'), "{r}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(c.cmd_str(&["GET", "counter"]).await, "$4\r\n1600\r\n");
    s.stop().await;
}

/// With several worker threads (`io-threads 2`), scripts that find the world lock taken wait
/// for it as tasks (`commands::wait_world`), pipelined ones keep it across their batch, and
/// plain commands take it shared in between: a read-modify-write script is still never
/// interleaved with another one (no increment is lost), and the plain INCRs all land too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_on_several_threads_stay_atomic() {
    let s = TestServer::with(|s| s.io_threads = 2).await;
    let mut c = s.client().await;
    let script = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') \
        redis.call('SET', KEYS[1], v + 1) return v + 1";
    let sha = script_load(&mut c, script).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let addr = s.addr;
        let sha = sha.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = RawClient::connect(addr).await;
            for _ in 0..100 {
                if i % 2 == 0 {
                    let r = c.cmd_str(&["EVALSHA", &sha, "1", "rmw"]).await;
                    assert!(r.starts_with(':'), "{r}");
                } else {
                    // A pipeline: four scripts and a plain command in one batch.
                    let mut req = Vec::new();
                    for _ in 0..4 {
                        req.extend_from_slice(
                            format!(
                                "*4\r\n$7\r\nEVALSHA\r\n$40\r\n{sha}\r\n$1\r\n1\r\n$3\r\nrmw\r\n"
                            )
                            .as_bytes(),
                        );
                    }
                    req.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$5\r\nplain\r\n");
                    c.send_raw(&req).await;
                    for _ in 0..5 {
                        let r = c.read_reply().await;
                        assert_eq!(r[0], b':', "{}", String::from_utf8_lossy(&r));
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // 4 clients x 100 single scripts + 4 clients x 100 batches of 4.
    assert_eq!(c.cmd_str(&["GET", "rmw"]).await, "$4\r\n2000\r\n");
    assert_eq!(c.cmd_str(&["GET", "plain"]).await, "$3\r\n400\r\n");
    s.stop().await;
}

/// cjson's encode/decode are C closures over their instance's configuration: a function kept
/// from a `cjson.new()` instance still works (with that instance's settings) after the instance
/// table itself is collected, and instances do not share settings.
#[tokio::test]
async fn cjson_instances_outlive_their_tables() {
    let s = TestServer::start().await;
    let mut c = s.client().await;
    let script = "local j = cjson.new() j.encode_max_depth(2) local e = j.encode j = nil \
        collectgarbage() collectgarbage() \
        local ok, err = pcall(e, {{{1}}}) \
        return {e({1, {a = 2}}), err, cjson.encode({{{1}}})}";
    let r = c.cmd_str(&["EVAL", script, "0"]).await;
    assert_eq!(
        r,
        "*3\r\n$11\r\n[1,{\"a\":2}]\r\n$39\r\nCannot serialise, excessive nesting (3)\r\n$7\r\n[[[1]]]\r\n"
    );
}
