//! Durability rows, each server with `--appendonly yes --appendfsync everysec` in a fresh
//! directory (redis-server also with `--aof-use-rdb-preamble no`, so both write RESP bases):
//!
//! - **AOF replay**: N stream entries (`XADD s * f1 v1 f2 v2 f3 v3`, pipelined) are written,
//!   the server is stopped (SIGTERM) and started again on the same directory; the row's time
//!   is from the new process's spawn to its first `+PONG` (it answers `-LOADING` until the log
//!   is replayed), so the throughput column is entries replayed per second.
//! - **AOF rewrite**: N keys (`SET key:i <16 B>`, pipelined), then BGREWRITEAOF while a client
//!   keeps writing random existing keys one at a time; the row's time is from BGREWRITEAOF
//!   to `aof_rewrite_in_progress:0` (keys rewritten per second), and its latencies are those
//!   of that client's writes during the rewrite (the largest one is the longest pause a
//!   writing client saw, reported as `max_pause_ms`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::runtime::Runtime;

use crate::client::{error_text, Conn, Frame};
use crate::servers::{HeraldLaunch, Server};
use crate::workloads::{Outcome, Sample};
use crate::{Row, RunArgs};

fn data_dir(log_dir: &Path, name: &str, pair: usize) -> PathBuf {
    let d = log_dir.join(format!("{name}-durability-{pair}"));
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::create_dir_all(&d);
    d
}

/// The AOF options for server `name` (`herald` or `redis`) writing to `dir`: both write RESP
/// bases (Herald has no RDB preamble).
pub fn persist_args(name: &str, fsync: &str, dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = ["--appendonly", "yes", "--appendfsync", fsync, "--dir"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.push(dir.to_string_lossy().into_owned());
    if name == "redis" {
        v.extend(["--aof-use-rdb-preamble".to_string(), "no".to_string()]);
    }
    v
}

fn start(
    a: &RunArgs,
    launch: &HeraldLaunch,
    log_dir: &Path,
    name: &str,
    dir: &Path,
) -> std::io::Result<Server> {
    let args = persist_args(name, "everysec", dir);
    match name {
        "herald" => Server::start_herald(launch, log_dir, &args),
        _ => Server::start_redis(&a.redis_server, log_dir, &args),
    }
}

fn fail(e: impl std::fmt::Display) -> Outcome {
    Outcome::Failed(e.to_string())
}

/// Sends `n` commands made by `make(i)` in pipelined batches of 1000, checking for errors.
async fn fill(c: &mut Conn, n: u64, make: impl Fn(u64) -> Vec<Vec<u8>>) -> Result<(), Outcome> {
    let mut i = 0;
    while i < n {
        let end = (i + 1000).min(n);
        for j in i..end {
            let args = make(j);
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            c.queue(&refs);
        }
        c.flush().await.map_err(fail)?;
        for _ in i..end {
            let f = c.read().await.map_err(fail)?;
            if let Some(e) = error_text(&f) {
                return Err(Outcome::Failed(e));
            }
        }
        i = end;
    }
    Ok(())
}

fn int_reply(f: &Frame) -> Option<i64> {
    crate::client::as_int(f)
}

async fn replay(
    a: &RunArgs,
    launch: &HeraldLaunch,
    log_dir: &Path,
    name: &str,
    pair: usize,
) -> Outcome {
    let n = a.durability_items;
    let dir = data_dir(log_dir, name, pair);
    let mut srv = match start(a, launch, log_dir, name, &dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let filled = async {
        let mut c = Conn::connect(srv.addr).await.map_err(fail)?;
        fill(&mut c, n, |_| {
            [
                "XADD", "s", "*", "f1", "value-1", "f2", "value-2", "f3", "value-3",
            ]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect()
        })
        .await
    }
    .await;
    if let Err(o) = filled {
        return o;
    }
    srv.stop();
    let t0 = Instant::now();
    let srv = match start(a, launch, log_dir, name, &dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let secs = t0.elapsed().as_secs_f64();
    let cpu = srv.cpu_seconds();
    let len = async {
        let mut c = Conn::connect(srv.addr).await.ok()?;
        int_reply(&c.call(&[b"XLEN", b"s"]).await.ok()?)
    }
    .await;
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
    if len != Some(n as i64) {
        return Outcome::Failed(format!("XLEN after replay: {len:?}, want {n}"));
    }
    Outcome::Ok(Sample {
        ops: n,
        secs,
        cpu_s: cpu,
        ..Sample::default()
    })
}

async fn info_field(c: &mut Conn, field: &str) -> Option<String> {
    let f = c.call(&[b"INFO", b"persistence"]).await.ok()?;
    let text = match f {
        Frame::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => return None,
    };
    text.lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim().to_string())
    })
}

async fn rewrite(
    a: &RunArgs,
    launch: &HeraldLaunch,
    log_dir: &Path,
    name: &str,
    pair: usize,
) -> Outcome {
    let n = a.durability_items;
    let dir = data_dir(log_dir, name, pair);
    let srv = match start(a, launch, log_dir, name, &dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let addr = srv.addr;
    let result = async {
        let mut c = Conn::connect(addr).await.map_err(fail)?;
        fill(&mut c, n, |i| {
            vec![
                b"SET".to_vec(),
                format!("key:{i}").into_bytes(),
                b"0123456789abcdef".to_vec(),
            ]
        })
        .await?;
        // Let the fill's own log settle before timing the rewrite.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let writer = tokio::spawn(async move {
            let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("bounds");
            let Ok(mut w) = Conn::connect(addr).await else {
                return h;
            };
            let mut i: u64 = 0x9e37_79b9;
            while !stop2.load(Ordering::Relaxed) {
                i = i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let key = format!("key:{}", (i >> 33) % n.max(1));
                let t = Instant::now();
                if w.call(&[b"SET", key.as_bytes(), b"fedcba9876543210"])
                    .await
                    .is_err()
                {
                    break;
                }
                let _ = h.record(t.elapsed().as_micros().max(1) as u64);
            }
            h
        });
        let t0 = Instant::now();
        let r = c.call(&[b"BGREWRITEAOF"]).await.map_err(fail)?;
        if let Some(e) = error_text(&r) {
            return Err(Outcome::Failed(e));
        }
        loop {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let done = info_field(&mut c, "aof_rewrite_in_progress")
                .await
                .as_deref()
                == Some("0")
                && info_field(&mut c, "aof_rewrite_scheduled").await.as_deref() == Some("0");
            if done {
                break;
            }
            if t0.elapsed() > Duration::from_secs(300) {
                return Err(Outcome::Failed("rewrite did not finish in 300 s".into()));
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let h = writer.await.map_err(fail)?;
        if info_field(&mut c, "aof_last_bgrewrite_status")
            .await
            .as_deref()
            != Some("ok")
        {
            return Err(Outcome::Failed("rewrite failed".into()));
        }
        let mut s = Sample {
            ops: n,
            secs,
            ..Sample::default()
        };
        if !h.is_empty() {
            s.p50_us = Some(h.value_at_quantile(0.50) as f64);
            s.p99_us = Some(h.value_at_quantile(0.99) as f64);
            s.p999_us = Some(h.value_at_quantile(0.999) as f64);
            s.extra
                .push(("max_pause_ms".into(), h.max() as f64 / 1000.0));
        }
        Ok(s)
    }
    .await;
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(s) => Outcome::Ok(s),
        Err(o) => o,
    }
}

/// Runs both durability rows for every server, alternating over the pairs.
pub fn run(a: &RunArgs, launch: &HeraldLaunch, log_dir: &Path, rt: &Runtime) -> Vec<Row> {
    let n = a.durability_items;
    let mut rows = Vec::new();
    for (kind, title) in [
        (
            "replay",
            format!("AOF replay at startup: {n} XADD (entries/s)"),
        ),
        (
            "rewrite",
            format!("BGREWRITEAOF of {n} keys under writes (keys/s; writer latency)"),
        ),
    ] {
        eprintln!("row: durability: {title}");
        let mut row = Row {
            section: "durability",
            name: title,
            commands: vec![format!(
                "both servers: --appendonly yes --appendfsync everysec --dir <fresh> (redis-server: \
                 --aof-use-rdb-preamble no); see benches/loadgen/durability.rs"
            )],
            runs: Vec::new(),
        };
        for pair in 0..a.pairs.max(1) {
            for name in &a.servers {
                let name: &'static str = if name == "herald" { "herald" } else { "redis" };
                let out = rt.block_on(async {
                    if kind == "replay" {
                        replay(a, launch, log_dir, name, pair).await
                    } else {
                        rewrite(a, launch, log_dir, name, pair).await
                    }
                });
                eprintln!("  {name} pair {}: {}", pair + 1, crate::report::brief(&out));
                if let Outcome::Ok(s) = &out {
                    for (k, v) in &s.extra {
                        eprintln!("    {k}: {v:.2}");
                    }
                }
                row.runs.push((name, pair, out));
            }
        }
        rows.push(row);
    }
    rows
}
