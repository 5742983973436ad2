//! The append-only file: replay reproduces the dataset (every differential script, through the
//! increment and again through a rewritten base), rewrites under concurrent writes, CONFIG SET
//! appendonly, truncated and corrupt files, -LOADING, MISCONF under injected write errors,
//! group commit, the manifest layout, and loading a directory written by redis-server 7.0.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use common::oracle::{oracle_or_skip, parse_script, RedisOracle};
use common::{RawClient, TestServer};
use herald::store::Value;

/// A fresh temporary directory for one server's files.
fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "herald-aof-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Starts a server with the AOF in `dir`; the AOF loading error, if any.
async fn try_aof(
    dir: &Path,
    f: impl FnOnce(&mut herald::config::Settings),
) -> Result<TestServer, String> {
    let d = dir.to_string_lossy().into_owned();
    TestServer::try_with(move |st| {
        st.appendonly = true;
        st.dir = d;
        f(st);
    })
    .await
}

async fn with_aof(dir: &Path, fsync: &str) -> TestServer {
    let dir = dir.to_string_lossy().into_owned();
    let fsync = fsync.to_string();
    TestServer::with(move |s| {
        s.appendonly = true;
        s.dir = dir;
        s.appendfsync = fsync;
    })
    .await
}

/// Every key of every database, canonically (sets and hashes sorted), with its expiry; keys
/// that expire within a minute are left out, since they may expire between two dumps.
fn dump(s: &TestServer) -> BTreeMap<(usize, Vec<u8>), String> {
    let now = herald::util::now_ms();
    let mut out = BTreeMap::new();
    // Function libraries are part of the dataset too.
    for (name, lib) in s.srv.scripting.state.lock().libs.libs.iter() {
        out.insert(
            (usize::MAX, name.as_bytes().to_vec()),
            format!("library {:?}", lib.code),
        );
    }
    for (db, d) in s.srv.ks.dbs.iter().enumerate() {
        for shard in d.shards.iter() {
            let g = shard.lock();
            for (k, e) in g.map.iter() {
                if e.expire_at != 0 && e.expire_at <= now + 60_000 {
                    continue;
                }
                out.insert(
                    (db, k.to_vec()),
                    format!("{} exp={}", value_text(&e.value), e.expire_at),
                );
            }
        }
    }
    out
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Str(b) => format!("str {b:?}"),
        Value::List(l) => format!("list {:?}", l.iter().collect::<Vec<_>>()),
        Value::Set(s) => {
            let mut m: Vec<_> = s.members().collect();
            m.sort();
            format!("set {m:?}")
        }
        Value::Hash(h) => {
            let mut p: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            p.sort();
            format!("hash {p:?}")
        }
        Value::ZSet(z) => format!("zset {:?}", z.range_by_rank(0, z.len(), false)),
        Value::Stream(st) => {
            let mut entries = Vec::new();
            st.walk(
                herald::store::stream::StreamId::MIN,
                herald::store::stream::StreamId::MAX,
                false,
                |e| {
                    let pairs: Vec<_> = e.pairs().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                    entries.push((e.id(), pairs));
                    true
                },
            );
            let mut groups = Vec::new();
            for (name, g) in &st.groups {
                let pel: Vec<_> = g
                    .pel
                    .iter()
                    .map(|(id, n)| {
                        (
                            *id,
                            g.consumer_name(n.consumer).to_vec(),
                            n.delivery_time,
                            n.delivery_count,
                        )
                    })
                    .collect();
                let consumers: Vec<_> = g.consumers.keys().cloned().collect();
                groups.push((name.clone(), g.last_id, g.entries_read, pel, consumers));
            }
            format!(
                "stream len={} last={:?} added={} maxdel={:?} entries={entries:?} groups={groups:?}",
                st.length, st.last_id, st.entries_added, st.max_deleted_entry_id
            )
        }
    }
}

/// Describes the first difference between two dumps.
fn diff(a: &BTreeMap<(usize, Vec<u8>), String>, b: &BTreeMap<(usize, Vec<u8>), String>) -> String {
    for (k, v) in a {
        match b.get(k) {
            None => return format!("{k:?} lost (was {v})"),
            Some(w) if w != v => return format!("{k:?} differs:\n  before: {v}\n  after:  {w}"),
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            return format!("{k:?} appeared: {}", b[k]);
        }
    }
    String::new()
}

async fn info_field(c: &mut RawClient, field: &str) -> String {
    let info = c.cmd_str(&["INFO", "persistence"]).await;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_default()
}

async fn wait_rewrite_done(c: &mut RawClient) {
    for _ in 0..2000 {
        if info_field(c, "aof_rewrite_in_progress").await == "0" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("rewrite did not finish");
}

fn diff_scripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/diff")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "redis"))
        .collect();
    v.sort();
    v
}

/// Every differential script, run against a server logging with `appendfsync always`: after a
/// restart the dataset is the same key for key (through the increment file), and again after
/// BGREWRITEAOF and another restart (through the rewritten base).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_reproduces_every_differential_script() {
    let scripts = diff_scripts();
    assert!(scripts.len() >= 10);
    let mut checked_keys = 0;
    for script in &scripts {
        let name = script.file_name().unwrap().to_string_lossy().to_string();
        let dir = temp_dir("replay");
        let s = with_aof(&dir, "always").await;
        let mut c = s.client().await;
        let text = std::fs::read_to_string(script).unwrap();
        for (only, line) in parse_script(&text) {
            if only == Some(3) {
                continue;
            }
            let args: Vec<&[u8]> = line.args.iter().map(|a| a.as_slice()).collect();
            // Scripts may end the connection (QUIT, CLIENT KILL) or change its protocol.
            if args[0].eq_ignore_ascii_case(b"quit") || args[0].eq_ignore_ascii_case(b"reset") {
                continue;
            }
            c.send(&args).await;
            c.read_reply().await;
        }
        drop(c);
        let before = dump(&s);
        s.stop().await;
        let s = with_aof(&dir, "always").await;
        let after = dump(&s);
        assert!(
            before == after,
            "{name}: replay from the increment differs: {}",
            diff(&before, &after)
        );
        let mut c = s.client().await;
        assert!(c
            .cmd_str(&["BGREWRITEAOF"])
            .await
            .starts_with("+Background append only file rewriting started"));
        wait_rewrite_done(&mut c).await;
        assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status").await, "ok");
        drop(c);
        s.stop().await;
        let s = with_aof(&dir, "always").await;
        let rewritten = dump(&s);
        assert!(
            before == rewritten,
            "{name}: replay from the rewritten base differs: {}",
            diff(&before, &rewritten)
        );
        checked_keys += before.len();
        s.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(checked_keys > 0, "the scripts leave some keys to compare");
    eprintln!(
        "aof replay: {} scripts, {checked_keys} keys compared",
        scripts.len()
    );
}

/// Forgetting a new write command's effect must fail a test: every write command in the table
/// is exercised by at least one differential script, which the replay test above replays.
#[test]
fn every_write_command_is_replayed_by_some_script() {
    let mut text = String::new();
    for s in diff_scripts() {
        text.push_str(&std::fs::read_to_string(s).unwrap().to_ascii_lowercase());
        text.push('\n');
    }
    let words: std::collections::HashSet<&str> = text
        .split(|c: char| c.is_whitespace() || c == '!')
        .collect();
    let mut missing = Vec::new();
    for c in &herald::commands::table().commands {
        if c.parent.is_some() || !c.def.flags.has(herald::commands::Flags::WRITE) {
            continue;
        }
        if !words.contains(c.def.name) {
            missing.push(c.def.name);
        }
    }
    assert!(
        missing.is_empty(),
        "write commands no differential script runs (so the AOF replay test does not cover \
         them): {missing:?}"
    );
}

/// Effects are logged as Redis propagates them: relative expiries as absolute times, blocking
/// pops as pops, SPOP as SREM, INCRBYFLOAT as SET KEEPTTL, XADD * with its ID, EXEC's commands
/// wrapped in MULTI/EXEC, read-only and no-op commands not at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_deterministic_effects() {
    let dir = temp_dir("effects");
    let s = with_aof(&dir, "always").await;
    let mut c = s.client().await;
    for cmd in [
        &["SET", "k", "v", "EX", "100"][..],
        &["GET", "k"],
        &["EXPIRE", "k", "200"],
        &["DEL", "missing"],
        &["RPUSH", "l", "a", "b"],
        &["BLPOP", "l", "0"],
        &["SADD", "s", "x"],
        &["SPOP", "s"],
        &["INCRBYFLOAT", "f", "1.5"],
        &["XADD", "st", "*", "a", "1"],
        &["MULTI"],
        &["INCR", "n"],
        &["INCR", "n"],
        &["EXEC"],
        &["SELECT", "3"],
        &["SET", "in3", "1"],
    ] {
        c.cmd(cmd).await;
    }
    drop(c);
    s.stop().await;
    let incr = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
        .expect("an increment file");
    let log = String::from_utf8_lossy(&std::fs::read(incr.path()).unwrap()).replace("\r\n", " ");
    for want in [
        "SET $1 k $1 v $4 PXAT",
        "PEXPIREAT $1 k",
        "LPOP $1 l",
        "SREM $1 s $1 x",
        "SET $1 f $3 1.5 $7 KEEPTTL",
        "MULTI *2 $4 INCR $1 n *2 $4 INCR $1 n *1 $4 EXEC",
        "SELECT $1 3 *3 $3 SET $3 in3",
    ] {
        assert!(log.contains(want), "missing `{want}` in {log}");
    }
    assert!(
        !log.contains("GET"),
        "read-only commands are not logged: {log}"
    );
    assert!(
        !log.contains("missing"),
        "no-op writes are not logged: {log}"
    );
    assert!(!log.contains("BLPOP") && !log.contains("SPOP") && !log.contains("EXPIRE $1"));
    assert!(
        !log.contains("XADD $2 st $1 *"),
        "XADD * is logged with its ID: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes keep flowing while the dataset is rewritten; what was acknowledged before, during and
/// after the rewrite is all there after a restart, and the old files are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewrite_under_concurrent_writes() {
    let dir = temp_dir("rewrite");
    let s = with_aof(&dir, "everysec").await;
    let mut c = s.client().await;
    for i in 0..2000 {
        c.cmd(&["SET", &format!("pre{i}"), &i.to_string()]).await;
    }
    let addr = s.addr;
    let writer = tokio::spawn(async move {
        let mut w = RawClient::connect(addr).await;
        let mut n = 0u64;
        let stop = std::time::Instant::now() + std::time::Duration::from_millis(600);
        while std::time::Instant::now() < stop {
            assert_eq!(
                w.cmd_str(&["INCR", "counter"]).await,
                format!(":{}\r\n", n + 1)
            );
            w.cmd(&["RPUSH", "log", &n.to_string()]).await;
            w.cmd(&["XADD", "events", "*", "n", &n.to_string()]).await;
            n += 1;
        }
        n
    });
    for _ in 0..3 {
        let r = c.cmd_str(&["BGREWRITEAOF"]).await;
        assert!(
            r.starts_with("+Background append only file rewriting started"),
            "{r}"
        );
        wait_rewrite_done(&mut c).await;
    }
    let n = writer.await.unwrap();
    assert!(n > 0);
    let before = dump(&s);
    drop(c);
    s.stop().await;
    let names: Vec<String> = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(
        names.len(),
        3,
        "one base, one increment, the manifest: {names:?}"
    );
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        "file appendonly.aof.4.base.aof seq 4 type b\nfile appendonly.aof.4.incr.aof seq 4 type i\n"
    );
    let s = with_aof(&dir, "everysec").await;
    let after = dump(&s);
    assert!(before == after, "{}", diff(&before, &after));
    let mut c = s.client().await;
    assert_eq!(
        c.cmd_str(&["GET", "counter"]).await,
        format!("${}\r\n{n}\r\n", n.to_string().len())
    );
    assert_eq!(c.cmd_str(&["LLEN", "log"]).await, format!(":{n}\r\n"));
    assert_eq!(c.cmd_str(&["XLEN", "events"]).await, format!(":{n}\r\n"));
    drop(c);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// CONFIG SET appendonly yes writes a base first and logs from then on; `no` stops logging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_set_appendonly_turns_logging_on_and_off() {
    let dir = temp_dir("toggle");
    let d = dir.to_string_lossy().into_owned();
    let s = TestServer::with(move |st| st.dir = d).await;
    let mut c = s.client().await;
    c.cmd(&["SET", "before", "1"]).await;
    assert_eq!(info_field(&mut c, "aof_enabled").await, "0");
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "appendonly", "yes"]).await,
        "+OK\r\n"
    );
    for _ in 0..2000 {
        if info_field(&mut c, "aof_enabled").await == "1"
            && info_field(&mut c, "aof_rewrite_in_progress").await == "0"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(info_field(&mut c, "aof_enabled").await, "1");
    c.cmd(&["SET", "during", "2"]).await;
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "appendonly", "no"]).await,
        "+OK\r\n"
    );
    assert_eq!(info_field(&mut c, "aof_enabled").await, "0");
    c.cmd(&["SET", "after", "3"]).await;
    drop(c);
    s.stop().await;
    let s = with_aof(&dir, "everysec").await;
    let mut c = s.client().await;
    assert_eq!(c.cmd_str(&["GET", "before"]).await, "$1\r\n1\r\n");
    assert_eq!(c.cmd_str(&["GET", "during"]).await, "$1\r\n2\r\n");
    assert_eq!(c.cmd_str(&["GET", "after"]).await, "$-1\r\n");
    drop(c);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn incr_path(dir: &Path) -> PathBuf {
    dir.join("appendonlydir/appendonly.aof.1.incr.aof")
}

/// A tail cut in the middle of a command (or of a MULTI block) is dropped with a warning by
/// default, and refuses to start with `aof-load-truncated no`; garbage elsewhere refuses to
/// start naming the file and the offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_corrupt_files() {
    let dir = temp_dir("trunc");
    let s = with_aof(&dir, "always").await;
    let mut c = s.client().await;
    c.cmd(&["SET", "a", "1"]).await;
    c.cmd(&["SET", "b", "2"]).await;
    drop(c);
    s.stop().await;
    let path = incr_path(&dir);
    let good = std::fs::read(&path).unwrap();
    // A torn MULTI block and a half-written command.
    let mut torn = good.clone();
    torn.extend_from_slice(
        b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nd",
    );
    std::fs::write(&path, &torn).unwrap();

    let refused = try_aof(&dir, |st| {
        st.other.insert("aof-load-truncated", "no".to_string());
    })
    .await;
    let err = refused.err().expect("a truncated AOF refuses to start");
    assert!(err.contains("Unexpected end of file"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), torn, "left untouched");

    let s = with_aof(&dir, "always").await;
    let mut c = s.client().await;
    assert_eq!(
        c.cmd_str(&["MGET", "a", "b", "c"]).await,
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
    drop(c);
    s.stop().await;
    assert_eq!(
        std::fs::read(&path).unwrap(),
        good,
        "truncated before the MULTI"
    );

    let mut bad = good.clone();
    bad.splice(0..0, b"%garbage\r\n".iter().copied());
    std::fs::write(&path, &bad).unwrap();
    let err = try_aof(&dir, |_| {})
        .await
        .err()
        .expect("a corrupt AOF refuses to start");
    assert!(
        err.contains("Bad file format") && err.contains("appendonly.aof.1.incr.aof at offset 0"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Clients connected while the AOF is replayed get -LOADING; INFO says loading:1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_get_loading_during_replay() {
    let dir = temp_dir("loading");
    let aofdir = dir.join("appendonlydir");
    std::fs::create_dir_all(&aofdir).unwrap();
    std::fs::write(
        aofdir.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    let mut big = Vec::new();
    for i in 0..400_000 {
        let k = format!("key:{i}");
        big.extend_from_slice(
            format!("*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n$1\r\nv\r\n", k.len()).as_bytes(),
        );
    }
    std::fs::write(aofdir.join("appendonly.aof.1.base.aof"), &big).unwrap();
    std::fs::write(aofdir.join("appendonly.aof.1.incr.aof"), b"").unwrap();
    let mut settings = herald::config::Settings {
        bind: vec!["127.0.0.1".into()],
        port: 0,
        appendonly: true,
        dir: dir.to_string_lossy().into_owned(),
        ..Default::default()
    };
    settings.appendfsync = "everysec".into();
    let handle = herald::server::start(settings).await.unwrap();
    let mut c = RawClient::connect(handle.addr).await;
    assert_eq!(
        c.cmd_str(&["GET", "key:1"]).await,
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert!(c
        .cmd_str(&["INFO", "persistence"])
        .await
        .contains("loading:1"));
    handle.loaded().await.unwrap();
    assert_eq!(c.cmd_str(&["GET", "key:399999"]).await, "$1\r\nv\r\n");
    assert_eq!(c.cmd_str(&["DBSIZE"]).await, ":400000\r\n");
    drop(c);
    handle.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A failing disk (injected ENOSPC): writes are refused with MISCONF, reads go on, the write
/// that could not be logged is not acknowledged until the disk recovers, then it is, and it
/// survives a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_errors_refuse_writes_and_recover() {
    let dir = temp_dir("misconf");
    let s = with_aof(&dir, "everysec").await;
    let mut c = s.client().await;
    c.cmd(&["SET", "ok", "1"]).await;
    s.srv
        .aof
        .inject_write_errno
        .store(libc::ENOSPC, Ordering::Relaxed);
    // This write executes but cannot reach the file: its reply is held back.
    let mut held = s.client().await;
    held.send(&[b"SET", b"held", b"2"]).await;
    let srv = s.srv.clone();
    common::wait_until(|| {
        let srv = srv.clone();
        async move { srv.aof.write_error().is_some() }
    })
    .await;
    assert_eq!(
        c.cmd_str(&["SET", "refused", "3"]).await,
        "-MISCONF Errors writing to the AOF file: No space left on device\r\n"
    );
    assert_eq!(
        c.cmd_str(&["PING"]).await,
        "-MISCONF Errors writing to the AOF file: No space left on device\r\n"
    );
    assert_eq!(
        c.cmd_str(&["GET", "ok"]).await,
        "$1\r\n1\r\n",
        "reads go on"
    );
    assert!(c
        .cmd_str(&["INFO", "persistence"])
        .await
        .contains("aof_last_write_status:err"));
    s.srv.aof.inject_write_errno.store(0, Ordering::Relaxed);
    assert_eq!(
        held.read_reply().await,
        b"+OK\r\n",
        "acknowledged once written"
    );
    common::wait_until(|| {
        let srv = s.srv.clone();
        async move { srv.aof.write_error().is_none() }
    })
    .await;
    assert_eq!(c.cmd_str(&["SET", "later", "4"]).await, "+OK\r\n");
    drop((c, held));
    s.stop().await;
    let s = with_aof(&dir, "everysec").await;
    let mut c = s.client().await;
    assert_eq!(
        c.cmd_str(&["MGET", "ok", "held", "refused", "later"]).await,
        "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$1\r\n4\r\n"
    );
    drop(c);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `appendfsync always` with many concurrent clients: every reply waits for an fsync, but one
/// fsync covers many clients' writes (group commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_group_commits() {
    let dir = temp_dir("group");
    let s = with_aof(&dir, "always").await;
    let mut tasks = Vec::new();
    for t in 0..20 {
        let addr = s.addr;
        tasks.push(tokio::spawn(async move {
            let mut c = RawClient::connect(addr).await;
            for i in 0..50 {
                let r = c
                    .cmd_str(&["RPUSH", &format!("q{t}"), &i.to_string()])
                    .await;
                assert_eq!(r, format!(":{}\r\n", i + 1));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let fsyncs = s.srv.aof.status.fsyncs.load(Ordering::Relaxed);
    assert!(fsyncs > 0);
    assert!(
        fsyncs < 1000,
        "1000 writes took {fsyncs} fsyncs: no group commit"
    );
    eprintln!("always: 1000 writes from 20 clients, {fsyncs} fsyncs");
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A directory written by redis-server 7.0 (`aof-use-rdb-preamble no`, a rewritten base plus
/// an increment) loads into Herald with every key equal; an RDB-preamble base is refused with
/// an explanation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_a_directory_written_by_redis() {
    if oracle_or_skip().is_none() {
        return;
    }
    let dir = temp_dir("fromredis");
    let port = common::oracle::free_port();
    let redis = RedisOracle::spawn(
        port,
        &dir,
        &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"],
    )
    .expect("redis-server starts");
    let mut r = RawClient::connect(([127, 0, 0, 1], port).into()).await;
    let setup: &[&[&str]] = &[
        &["SET", "s", "v"],
        &["SET", "ttl", "x", "EX", "1000"],
        &["RPUSH", "l", "a", "b", "c"],
        &["HSET", "h", "f1", "v1", "f2", "v2"],
        &["SADD", "set", "m1", "m2", "3"],
        &["ZADD", "z", "1.5", "a", "-2", "b"],
        &["XADD", "st", "1-1", "f", "v"],
        &["XADD", "st", "2-1", "f", "w"],
        &["XGROUP", "CREATE", "st", "g", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c1",
            "COUNT",
            "1",
            "STREAMS",
            "st",
            ">",
        ],
        &["BGREWRITEAOF"],
    ];
    for cmd in setup {
        r.cmd(cmd).await;
    }
    wait_rewrite_done(&mut r).await;
    let after: &[&[&str]] = &[
        &["INCRBYFLOAT", "fl", "2.5"],
        &["LPOP", "l"],
        &["SELECT", "5"],
        &["SET", "in5", "five"],
        &["SELECT", "0"],
        &["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "st", ">"],
        &["XACK", "st", "g", "1-1"],
        &["EXPIRE", "s", "5000"],
        &["MULTI"],
        &["INCR", "n"],
        &["HDEL", "h", "f1"],
        &["EXEC"],
    ];
    for cmd in after {
        r.cmd(cmd).await;
    }
    let reads: &[&[&str]] = &[
        &["GET", "s"],
        &["GET", "ttl"],
        &["LRANGE", "l", "0", "-1"],
        &["HGETALL", "h"],
        &["SORT", "set", "ALPHA"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["XRANGE", "st", "-", "+"],
        &["XINFO", "GROUPS", "st"],
        &["XPENDING", "st", "g"],
        &["GET", "fl"],
        &["GET", "n"],
        &["DBSIZE"],
    ];
    drop(r);
    redis.terminate();
    // The reference is redis-server itself after a restart on its own files (a replayed AOF
    // is what both servers must agree on: 7.0.15 does not log a group's entries-read).
    let herald_dir = temp_dir("fromredis-copy");
    copy_dir(
        &dir.join("appendonlydir"),
        &herald_dir.join("appendonlydir"),
    );
    let port = common::oracle::free_port();
    let redis = RedisOracle::spawn(
        port,
        &dir,
        &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"],
    )
    .expect("redis-server restarts");
    let mut r = RawClient::connect(([127, 0, 0, 1], port).into()).await;
    let mut want = Vec::new();
    for cmd in reads {
        if cmd[0] == "SORT" {
            want.push(sorted_members(&mut r).await);
            continue;
        }
        want.push(r.cmd_str(cmd).await);
    }
    let ttl_redis = r.cmd_str(&["TTL", "s"]).await;
    r.cmd(&["SELECT", "5"]).await;
    want.push(r.cmd_str(&["GET", "in5"]).await);
    drop(r);
    redis.terminate();
    let _ = std::fs::remove_dir_all(&dir);
    let dir = herald_dir;

    let s = try_aof(&dir, |_| {})
        .await
        .expect("loads redis-server's files");
    let mut h = s.client().await;
    let mut got = Vec::new();
    for cmd in reads {
        if cmd[0] == "SORT" {
            got.push(sorted_members(&mut h).await);
            continue;
        }
        got.push(h.cmd_str(cmd).await);
    }
    let ttl_herald = h.cmd_str(&["TTL", "s"]).await;
    h.cmd(&["SELECT", "5"]).await;
    got.push(h.cmd_str(&["GET", "in5"]).await);
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(w, g, "{:?}", reads.get(i));
    }
    let secs = |t: &str| t.trim_start_matches(':').trim().parse::<i64>().unwrap();
    assert!(
        (secs(&ttl_redis) - secs(&ttl_herald)).abs() <= 2,
        "{ttl_redis} {ttl_herald}"
    );
    // Herald goes on appending to redis-server's increment.
    h.cmd(&["SET", "herald", "1"]).await;
    drop(h);
    s.stop().await;
    let incr = std::fs::read(dir.join("appendonlydir/appendonly.aof.2.incr.aof")).unwrap();
    assert!(String::from_utf8_lossy(&incr).contains("herald"));
    let _ = std::fs::remove_dir_all(&dir);

    // An RDB-preamble base (redis-server's default) is explained, not misread.
    let dir = temp_dir("fromredis-rdb");
    let port = common::oracle::free_port();
    let redis = RedisOracle::spawn(port, &dir, &["--appendonly", "yes"]).expect("starts");
    let mut r = RawClient::connect(([127, 0, 0, 1], port).into()).await;
    r.cmd(&["SET", "k", "v"]).await;
    r.cmd(&["BGREWRITEAOF"]).await;
    wait_rewrite_done(&mut r).await;
    drop(r);
    redis.terminate();
    let err = try_aof(&dir, |_| {})
        .await
        .err()
        .expect("an RDB base is refused");
    assert!(
        err.contains("RDB format") && err.contains("aof-use-rdb-preamble no"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// SMEMBERS of `set`, sorted (set order is not part of the contract).
async fn sorted_members(c: &mut RawClient) -> String {
    let mut m = common::bulks(&c.cmd_str(&["SMEMBERS", "set"]).await);
    m.sort();
    m.join(",")
}

/// The automatic rewrite trigger (`auto-aof-rewrite-percentage` / `-min-size`), `#TS:`
/// annotations (`aof-timestamp-enabled`), and SAVE / BGSAVE / LASTSAVE mapped onto rewrites.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_rewrite_timestamps_and_save() {
    let dir = temp_dir("auto");
    let s = with_aof(&dir, "everysec").await;
    let mut c = s.client().await;
    for (k, v) in [
        ("auto-aof-rewrite-min-size", "4096"),
        ("auto-aof-rewrite-percentage", "100"),
        ("aof-timestamp-enabled", "yes"),
    ] {
        assert_eq!(c.cmd_str(&["CONFIG", "SET", k, v]).await, "+OK\r\n");
    }
    let value = "x".repeat(100);
    for i in 0..200 {
        c.cmd(&["SET", &format!("k{i}"), &value]).await;
    }
    for _ in 0..2000 {
        if info_field(&mut c, "aof_rewrites").await != "0"
            && info_field(&mut c, "aof_rewrite_in_progress").await == "0"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_ne!(
        info_field(&mut c, "aof_rewrites").await,
        "0",
        "the log grew past 4 KB x 2"
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "auto-aof-rewrite-percentage", "0"])
            .await,
        "+OK\r\n"
    );
    c.cmd(&["SET", "stamped", "1"]).await;
    let before = c.cmd_str(&["LASTSAVE"]).await;
    assert_eq!(c.cmd_str(&["SAVE"]).await, "+OK\r\n");
    assert_eq!(
        c.cmd_str(&["BGSAVE"]).await,
        "+Background saving started\r\n"
    );
    wait_rewrite_done(&mut c).await;
    c.cmd(&["SET", "after-save", "2"]).await;
    let after = c.cmd_str(&["LASTSAVE"]).await;
    assert!(after >= before, "{before} {after}");
    drop(c);
    s.stop().await;
    // The increment after the last rewrite carries timestamp annotations, which replay skips.
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    let incr = manifest
        .lines()
        .find(|l| l.ends_with("type i"))
        .and_then(|l| l.split(' ').nth(1))
        .unwrap()
        .to_string();
    let text = std::fs::read_to_string(dir.join("appendonlydir").join(incr)).unwrap();
    assert!(text.starts_with("#TS:"), "{text}");
    let s = with_aof(&dir, "everysec").await;
    let mut c = s.client().await;
    assert_eq!(
        c.cmd_str(&["MGET", "k199", "stamped", "after-save"]).await,
        format!("*3\r\n$100\r\n{value}\r\n$1\r\n1\r\n$1\r\n2\r\n")
    );
    drop(c);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);

    // Without the AOF, SAVE and BGSAVE say why they cannot save.
    let s = TestServer::start().await;
    let mut c = s.client().await;
    assert!(c
        .cmd_str(&["SAVE"])
        .await
        .starts_with("-ERR Herald persists through the append-only file only"));
    assert!(c
        .cmd_str(&["BGSAVE"])
        .await
        .starts_with("-ERR Herald persists through the append-only file only"));
    s.stop().await;
}
