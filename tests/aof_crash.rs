//! Crash safety: Herald runs as a child process and is killed with SIGKILL at seeded random
//! moments while clients push to a list, count, append to a stream and consume it through a
//! group, and run MULTI/EXEC blocks. After each restart on the same directory, everything that
//! was acknowledged is there exactly once, group state agrees with the acknowledged XACKs, and
//! every transaction is all-or-nothing. With `appendfsync always` and with `everysec` (a process
//! crash loses nothing acknowledged: acknowledged writes were handed to the kernel).

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use redis::AsyncCommands;

const BIN: &str = env!("CARGO_BIN_EXE_herald");

fn start(dir: &Path, port: u16, fsync: &str) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(BIN);
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to SIGKILL the child if this
    // test process dies first, so an interrupted run leaves no server behind.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--dir", dir.to_str().expect("utf-8 path")])
        .args(["--appendonly", "yes", "--appendfsync", fsync])
        .args(["--save", "", "--loglevel", "warning"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("herald starts")
}

async fn connect(port: u16, child: &mut Child) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            panic!("herald exited: {st}");
        }
        if let Ok(mut c) = client.get_multiplexed_async_connection().await {
            // Ready once the AOF is loaded (-LOADING until then).
            let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut c).await;
            if pong.is_ok() {
                return c;
            }
        }
        assert!(Instant::now() < deadline, "herald did not become ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn kill9(child: &mut Child) {
    // SAFETY: SIGKILL to the child this test spawned, by its PID.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGKILL);
    }
    let _ = child.wait();
}

/// What the clients saw acknowledged, across rounds.
#[derive(Default)]
struct Acked {
    list: Vec<u64>,
    counter: i64,
    stream: Vec<String>,
    xacked: Vec<String>,
    multi: Vec<u64>,
}

async fn workload(port: u16, acked: Arc<Mutex<Acked>>, base: u64) {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let client = client.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let Ok(mut c) = client.get_multiplexed_async_connection().await else {
                return;
            };
            let mut seq = base;
            loop {
                seq += 1;
                match w {
                    0 => {
                        let r: redis::RedisResult<i64> = c.lpush("q", seq).await;
                        if r.is_err() {
                            return;
                        }
                        acked.lock().unwrap().list.push(seq);
                    }
                    1 => {
                        let r: redis::RedisResult<i64> = c.incr("c", 1).await;
                        match r {
                            Ok(v) => acked.lock().unwrap().counter = v,
                            Err(_) => return,
                        }
                    }
                    2 => {
                        let r: redis::RedisResult<String> = redis::cmd("XADD")
                            .arg("s")
                            .arg("*")
                            .arg("n")
                            .arg(seq)
                            .query_async(&mut c)
                            .await;
                        match r {
                            Ok(id) => acked.lock().unwrap().stream.push(id),
                            Err(_) => return,
                        }
                        if seq.is_multiple_of(3) {
                            let r: redis::RedisResult<redis::Value> = redis::cmd("XREADGROUP")
                                .arg("GROUP")
                                .arg("g")
                                .arg("c1")
                                .arg("COUNT")
                                .arg(5)
                                .arg("STREAMS")
                                .arg("s")
                                .arg(">")
                                .query_async(&mut c)
                                .await;
                            let Ok(v) = r else { return };
                            let ids = stream_ids(&v);
                            if ids.is_empty() {
                                continue;
                            }
                            let r: redis::RedisResult<i64> = redis::cmd("XACK")
                                .arg("s")
                                .arg("g")
                                .arg(&ids)
                                .query_async(&mut c)
                                .await;
                            match r {
                                Ok(_) => acked.lock().unwrap().xacked.extend(ids),
                                Err(_) => return,
                            }
                        }
                    }
                    _ => {
                        let r: redis::RedisResult<redis::Value> = redis::pipe()
                            .atomic()
                            .cmd("INCR")
                            .arg("a")
                            .cmd("INCR")
                            .arg("b")
                            .cmd("RPUSH")
                            .arg("m")
                            .arg(seq)
                            .query_async(&mut c)
                            .await;
                        if r.is_err() {
                            return;
                        }
                        acked.lock().unwrap().multi.push(seq);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// The entry IDs in an XREADGROUP reply.
fn stream_ids(v: &redis::Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &redis::Value, out: &mut Vec<String>, depth: usize) {
        if let redis::Value::Array(items) = v {
            for it in items {
                // [[key, [[id, [f, v]], ...]]]
                if depth == 2 {
                    if let redis::Value::Array(e) = it {
                        if let Some(redis::Value::BulkString(id)) = e.first() {
                            out.push(String::from_utf8_lossy(id).into_owned());
                        }
                    }
                } else {
                    walk(it, out, depth + 1);
                }
            }
        }
    }
    walk(v, &mut out, 0);
    out
}

async fn verify(c: &mut redis::aio::MultiplexedConnection, acked: &Acked, round: usize) {
    let list: Vec<u64> = c.lrange("q", 0, -1).await.unwrap();
    let set: HashSet<u64> = list.iter().copied().collect();
    assert_eq!(set.len(), list.len(), "round {round}: a push appears twice");
    for s in &acked.list {
        assert!(
            set.contains(s),
            "round {round}: acknowledged LPUSH {s} lost"
        );
    }
    let counter: i64 = c.get("c").await.unwrap_or(0);
    assert!(
        counter >= acked.counter,
        "round {round}: INCR went back from {} to {counter}",
        acked.counter
    );
    let entries: redis::Value = redis::cmd("XRANGE")
        .arg("s")
        .arg("-")
        .arg("+")
        .query_async(c)
        .await
        .unwrap();
    let ids: HashSet<String> = stream_ids(&redis::Value::Array(vec![redis::Value::Array(vec![
        redis::Value::Nil,
        entries,
    ])]))
    .into_iter()
    .collect();
    for id in &acked.stream {
        assert!(
            ids.contains(id),
            "round {round}: acknowledged XADD {id} lost"
        );
    }
    let pending: redis::Value = redis::cmd("XPENDING")
        .arg("s")
        .arg("g")
        .arg("-")
        .arg("+")
        .arg(1_000_000)
        .query_async(c)
        .await
        .unwrap();
    let mut pending_ids = HashSet::new();
    if let redis::Value::Array(rows) = pending {
        for r in rows {
            if let redis::Value::Array(f) = r {
                if let Some(redis::Value::BulkString(id)) = f.first() {
                    pending_ids.insert(String::from_utf8_lossy(id).into_owned());
                }
            }
        }
    }
    for id in &acked.xacked {
        assert!(
            !pending_ids.contains(id),
            "round {round}: acknowledged XACK {id} is pending again"
        );
    }
    for id in &pending_ids {
        assert!(
            ids.contains(id),
            "round {round}: pending {id} is not in the stream"
        );
    }
    let (a, b): (i64, i64) = (c.get("a").await.unwrap_or(0), c.get("b").await.unwrap_or(0));
    let m: Vec<u64> = c.lrange("m", 0, -1).await.unwrap();
    assert_eq!(
        a, b,
        "round {round}: a MULTI/EXEC block was applied in part"
    );
    assert_eq!(
        a as usize,
        m.len(),
        "round {round}: a MULTI/EXEC block was applied in part"
    );
    let mset: HashSet<u64> = m.iter().copied().collect();
    assert_eq!(mset.len(), m.len(), "round {round}: an EXEC appears twice");
    for s in &acked.multi {
        assert!(
            mset.contains(s),
            "round {round}: acknowledged EXEC {s} lost"
        );
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("herald-crash-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn crash_rounds(fsync: &str, rounds: usize, seed: u64) {
    let dir = temp_dir(fsync);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut total = 0;
    for round in 0..=rounds {
        let port = common::oracle::free_port();
        let mut child = start(&dir, port, fsync);
        let mut c = connect(port, &mut child).await;
        // BUSYGROUP after the first round: the group survived the crash.
        let created: redis::RedisResult<String> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg("s")
            .arg("g")
            .arg("$")
            .arg("MKSTREAM")
            .query_async(&mut c)
            .await;
        assert_eq!(created.is_ok(), round == 0, "round {round}: {created:?}");
        let snapshot = std::mem::take(&mut *acked.lock().unwrap());
        verify(&mut c, &snapshot, round).await;
        *acked.lock().unwrap() = snapshot;
        if round == rounds {
            kill9(&mut child);
            break;
        }
        let run = tokio::spawn(workload(
            port,
            acked.clone(),
            (round as u64 + 1) * 1_000_000,
        ));
        let delay = rng.gen_range(100..400);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        kill9(&mut child);
        let _ = run.await;
        let a = acked.lock().unwrap();
        total = a.list.len() + a.stream.len() + a.multi.len();
    }
    assert!(total > 0, "the workload acknowledged something");
    eprintln!("{fsync}: {rounds} crashes, {total} acknowledged writes all present");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_fsync_always_loses_nothing_acknowledged() {
    crash_rounds("always", 3, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_fsync_everysec_loses_nothing_acknowledged() {
    crash_rounds("everysec", 3, 11).await;
}
