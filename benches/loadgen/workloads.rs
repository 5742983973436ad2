//! The workloads: redis-benchmark passthrough rows and Herald's own messaging workloads (queue,
//! fan-out, stream consumer group, memory). Each run returns an [`Outcome`]; a server that
//! answers a workload's command with "unknown command" makes the run `Unsupported` instead of
//! failing, so workloads light up as Herald gains commands.
//!
//! Latency is measured from a timestamp carried in each message's payload (nanoseconds since
//! the start of this process, written as leading decimal digits) to the moment the consumer
//! sees the message, and recorded in microseconds in an HDR histogram.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::client::{as_int, error_text, is_unsupported, Conn, Frame};

/// What one run of a workload produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    Ok(Sample),
    /// The server does not implement a command the workload needs (the error text).
    Unsupported(String),
    /// Anything else that went wrong.
    Failed(String),
}

/// Numbers from one run.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Operations (or delivered messages) counted.
    pub ops: u64,
    pub secs: f64,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub p999_us: Option<f64>,
    /// Server CPU seconds (utime + stime) used during the run; filled in by the runner.
    pub cpu_s: f64,
    /// Requests the server's CPU time covers, when more than `ops` (0 = `ops`).
    pub cpu_ops: u64,
    /// Extra named values (memory rows: bytes per item).
    pub extra: Vec<(String, f64)>,
}

impl Sample {
    pub fn ops_per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.ops as f64 / self.secs
        } else {
            0.0
        }
    }

    /// Server CPU seconds per million operations.
    pub fn cpu_per_mop(&self) -> Option<f64> {
        let ops = if self.cpu_ops > 0 {
            self.cpu_ops
        } else {
            self.ops
        };
        (ops > 0).then(|| self.cpu_s / ops as f64 * 1e6)
    }

    fn latencies(&mut self, h: &Histogram<u64>) {
        if !h.is_empty() {
            self.p50_us = Some(h.value_at_quantile(0.50) as f64);
            self.p99_us = Some(h.value_at_quantile(0.99) as f64);
            self.p999_us = Some(h.value_at_quantile(0.999) as f64);
        }
    }
}

type WResult<T> = Result<T, Outcome>;

fn fail(e: impl std::fmt::Display) -> Outcome {
    Outcome::Failed(e.to_string())
}

/// Turns an error reply into Unsupported (unknown command) or Failed.
fn check(f: &Frame) -> WResult<()> {
    match error_text(f) {
        Some(e) if is_unsupported(&e) => Err(Outcome::Unsupported(e)),
        Some(e) => Err(Outcome::Failed(e)),
        None => Ok(()),
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static histogram bounds are valid")
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// A payload of `size` bytes (at least 20) that starts with the current timestamp.
fn stamped_payload(size: usize) -> Vec<u8> {
    let ns = epoch().elapsed().as_nanos() as u64;
    let mut p = format!("{ns:020}").into_bytes();
    p.resize(size.max(20), b'x');
    p
}

/// Microseconds since the timestamp at the start of `payload`.
fn age_us(payload: &[u8]) -> Option<u64> {
    let digits = payload.get(..20)?;
    let ns: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let now = epoch().elapsed().as_nanos() as u64;
    Some(now.saturating_sub(ns) / 1000)
}

/// Parameters shared by the messaging workloads.
#[derive(Debug, Clone)]
pub struct Params {
    pub duration: Duration,
    /// Producers (queue, stream) or subscribers (fan-out).
    pub producers: usize,
    pub consumers: usize,
    pub pipeline: usize,
    pub payload: usize,
    /// Messages allowed in flight (produced, not yet consumed) before producers wait.
    pub backlog: u64,
}

/// Flow control shared by producers and consumers.
struct Flow {
    produced: AtomicU64,
    consumed: AtomicU64,
    stop: AtomicBool,
}

impl Flow {
    fn new() -> Arc<Flow> {
        Arc::new(Flow {
            produced: AtomicU64::new(0),
            consumed: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        })
    }

    /// Waits while more than `backlog` messages are in flight; false once stopped or past
    /// `deadline` (consumers stop reading at the deadline, or may have failed).
    async fn admit(&self, backlog: u64, deadline: Instant) -> bool {
        loop {
            if self.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                return false;
            }
            let p = self.produced.load(Ordering::Relaxed);
            let c = self.consumed.load(Ordering::Relaxed);
            if p.saturating_sub(c) < backlog {
                return true;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
}

/// Reads a reply, giving up at `deadline` (`Ok(None)`).
async fn read_until(conn: &mut Conn, deadline: Instant) -> WResult<Option<Frame>> {
    match tokio::time::timeout_at(deadline.into(), conn.read()).await {
        Ok(Ok(f)) => Ok(Some(f)),
        Ok(Err(e)) => Err(fail(e)),
        Err(_) => Ok(None),
    }
}

/// Runs producer and consumer tasks to completion and merges their results: the first
/// unsupported/failed outcome wins, otherwise the histograms are merged.
async fn join_all(
    tasks: Vec<tokio::task::JoinHandle<WResult<Histogram<u64>>>>,
) -> WResult<Histogram<u64>> {
    let mut merged = histogram();
    let mut first_err = None;
    for t in tasks {
        match t.await {
            Ok(Ok(h)) => {
                let _ = merged.add(&h);
            }
            Ok(Err(o)) => {
                if first_err.is_none() {
                    first_err = Some(o);
                }
            }
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(fail(e));
                }
            }
        }
    }
    match first_err {
        Some(o) => Err(o),
        None => Ok(merged),
    }
}

fn outcome(r: WResult<Sample>) -> Outcome {
    match r {
        Ok(s) => Outcome::Ok(s),
        Err(o) => o,
    }
}

// ---------------------------------------------------------------------------------------------
// queue: LPUSH producers, BRPOP consumers

/// N producers LPUSH timestamped messages, M consumers BRPOP them; delivered msgs/s and
/// push-to-pop latency.
pub async fn queue(addr: SocketAddr, p: &Params) -> Outcome {
    outcome(queue_inner(addr, p).await)
}

async fn queue_inner(addr: SocketAddr, p: &Params) -> WResult<Sample> {
    const KEY: &[u8] = b"herald-bench:queue";
    let mut setup = Conn::connect(addr).await.map_err(fail)?;
    check(&setup.call(&[b"DEL", KEY]).await.map_err(fail)?)?;
    let flow = Flow::new();
    let start = Instant::now();
    let deadline = start + p.duration;
    let mut tasks = Vec::new();
    for _ in 0..p.consumers {
        let flow = flow.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await.map_err(fail)?;
            let mut h = histogram();
            loop {
                c.queue(&[b"BRPOP", KEY, b"1"]);
                c.flush().await.map_err(fail)?;
                let Some(f) = read_until(&mut c, deadline).await? else {
                    break;
                };
                check(&f)?;
                if let Frame::Array(kv) = &f {
                    if let Some(Frame::BulkString(v)) = kv.get(1) {
                        if Instant::now() < deadline {
                            if let Some(us) = age_us(v) {
                                let _ = h.record(us.max(1));
                            }
                            flow.consumed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            Ok(h)
        }));
    }
    for _ in 0..p.producers {
        let flow = flow.clone();
        let (pipeline, payload, backlog) = (p.pipeline.max(1), p.payload, p.backlog);
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await.map_err(fail)?;
            while flow.admit(backlog, deadline).await {
                for _ in 0..pipeline {
                    c.queue(&[b"LPUSH", KEY, &stamped_payload(payload)]);
                }
                c.flush().await.map_err(fail)?;
                flow.produced.fetch_add(pipeline as u64, Ordering::Relaxed);
                for _ in 0..pipeline {
                    let f = c.read().await.map_err(fail)?;
                    if let Err(o) = check(&f) {
                        flow.stop.store(true, Ordering::Relaxed);
                        return Err(o);
                    }
                }
            }
            Ok(histogram())
        }));
    }
    let h = join_all(tasks).await?;
    let mut s = Sample {
        ops: flow.consumed.load(Ordering::Relaxed),
        secs: p.duration.as_secs_f64(),
        ..Sample::default()
    };
    s.latencies(&h);
    let _ = setup.call(&[b"DEL", KEY]).await;
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// transactions: MULTI + 5 commands + EXEC

/// `producers` clients each run `MULTI; SET; INCR; LPUSH; HSET; ZADD; EXEC` back to back
/// (pipelined as one batch per transaction); transactions/s and the latency of a whole batch.
pub async fn multi_exec(addr: SocketAddr, p: &Params) -> Outcome {
    outcome(multi_exec_inner(addr, p).await)
}

async fn multi_exec_inner(addr: SocketAddr, p: &Params) -> WResult<Sample> {
    let start = Instant::now();
    let deadline = start + p.duration;
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..p.producers.max(1) {
        let done = done.clone();
        let payload = vec![b'x'; p.payload.max(1)];
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await.map_err(fail)?;
            let mut h = histogram();
            let key = format!("herald-bench:tx:{i}").into_bytes();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                c.queue(&[b"MULTI"]);
                c.queue(&[b"SET", &key, &payload]);
                c.queue(&[b"INCR", b"herald-bench:tx:counter"]);
                c.queue(&[b"LPUSH", b"herald-bench:tx:list", &payload]);
                c.queue(&[b"HSET", b"herald-bench:tx:hash", &key, &payload]);
                c.queue(&[b"ZADD", b"herald-bench:tx:zset", b"1", &key]);
                c.queue(&[b"EXEC"]);
                c.flush().await.map_err(fail)?;
                for _ in 0..7 {
                    check(&c.read().await.map_err(fail)?)?;
                }
                let _ = h.record((t0.elapsed().as_micros() as u64).max(1));
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok(h)
        }));
    }
    let h = join_all(tasks).await?;
    let mut s = Sample {
        ops: done.load(Ordering::Relaxed),
        secs: start.elapsed().as_secs_f64(),
        ..Sample::default()
    };
    s.latencies(&h);
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// fan-out: 1 publisher, K subscribers

/// One publisher PUBLISHes timestamped messages to K subscribers of one channel; delivered
/// msgs/s (summed over subscribers) and publish-to-receive latency.
pub async fn fanout(addr: SocketAddr, p: &Params) -> Outcome {
    outcome(fanout_inner(addr, p).await)
}

async fn fanout_inner(addr: SocketAddr, p: &Params) -> WResult<Sample> {
    const CHAN: &[u8] = b"herald-bench:fanout";
    let subscribers = p.producers.max(1);
    let flow = Flow::new();
    // Subscribe everyone first: SUBSCRIBE's confirmation means later PUBLISHes reach it.
    let mut conns = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let mut c = Conn::connect(addr).await.map_err(fail)?;
        let f = c.call(&[b"SUBSCRIBE", CHAN]).await.map_err(fail)?;
        check(&f)?;
        conns.push(c);
    }
    let start = Instant::now();
    let deadline = start + p.duration;
    let mut tasks = Vec::new();
    for mut c in conns {
        let flow = flow.clone();
        tasks.push(tokio::spawn(async move {
            let mut h = histogram();
            while let Some(f) = read_until(&mut c, deadline).await? {
                check(&f)?;
                if let Frame::Array(parts) = &f {
                    if let (Some(Frame::BulkString(kind)), Some(Frame::BulkString(msg))) =
                        (parts.first(), parts.get(2))
                    {
                        if &kind[..] == b"message" {
                            if let Some(us) = age_us(msg) {
                                let _ = h.record(us.max(1));
                            }
                            flow.consumed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            Ok(h)
        }));
    }
    let publisher = {
        let flow = flow.clone();
        let (pipeline, payload) = (p.pipeline.max(1), p.payload);
        // Allow about `backlog` messages in flight per subscriber.
        let backlog = p.backlog.saturating_mul(subscribers as u64);
        tokio::spawn(async move {
            let mut c = Conn::connect(addr).await.map_err(fail)?;
            while flow.admit(backlog, deadline).await {
                for _ in 0..pipeline {
                    c.queue(&[b"PUBLISH", CHAN, &stamped_payload(payload)]);
                }
                c.flush().await.map_err(fail)?;
                for _ in 0..pipeline {
                    let f = c.read().await.map_err(fail)?;
                    check(&f)?;
                    let receivers = as_int(&f).unwrap_or(0).max(0) as u64;
                    flow.produced.fetch_add(receivers, Ordering::Relaxed);
                }
            }
            Ok(histogram())
        })
    };
    tasks.push(publisher);
    let h = join_all(tasks).await?;
    let mut s = Sample {
        ops: flow.consumed.load(Ordering::Relaxed),
        secs: p.duration.as_secs_f64(),
        ..Sample::default()
    };
    s.latencies(&h);
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// many channels and pattern subscribers

/// Shape of a [`pubsub_spread`] run.
#[derive(Debug, Clone, Copy)]
pub enum Spread {
    /// `channels` channels with one subscriber each; `publishers` publishers, publisher `j`
    /// cycling over the channels `j, j + publishers, ...`.
    Channels { channels: usize, publishers: usize },
    /// `subscribers` clients each PSUBSCRIBE `herald-bench:pat:*`; one publisher to
    /// `herald-bench:pat:x`, so every message is matched by every pattern.
    Patterns { subscribers: usize },
}

/// Pub/sub beyond one channel: many channels with many publishers, or many pattern
/// subscribers; delivered messages/s and publish-to-receive latency.
pub async fn pubsub_spread(addr: SocketAddr, p: &Params, spread: Spread) -> Outcome {
    outcome(pubsub_spread_inner(addr, p, spread).await)
}

async fn pubsub_spread_inner(addr: SocketAddr, p: &Params, spread: Spread) -> WResult<Sample> {
    let (subscribers, publishers) = match spread {
        Spread::Channels {
            channels,
            publishers,
        } => (channels.max(1), publishers.max(1)),
        Spread::Patterns { subscribers } => (subscribers.max(1), 1),
    };
    let flow = Flow::new();
    let mut conns = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let mut c = Conn::connect(addr).await.map_err(fail)?;
        let f = match spread {
            Spread::Channels { .. } => {
                let chan = format!("herald-bench:ch:{i}");
                c.call(&[b"SUBSCRIBE", chan.as_bytes()]).await
            }
            Spread::Patterns { .. } => c.call(&[b"PSUBSCRIBE", b"herald-bench:pat:*"]).await,
        }
        .map_err(fail)?;
        check(&f)?;
        conns.push(c);
    }
    let start = Instant::now();
    let deadline = start + p.duration;
    let mut tasks = Vec::new();
    for mut c in conns {
        let flow = flow.clone();
        tasks.push(tokio::spawn(async move {
            let mut h = histogram();
            while let Some(f) = read_until(&mut c, deadline).await? {
                check(&f)?;
                let Frame::Array(parts) = &f else { continue };
                let msg = match parts.first() {
                    Some(Frame::BulkString(k)) if &k[..] == b"message" => parts.get(2),
                    Some(Frame::BulkString(k)) if &k[..] == b"pmessage" => parts.get(3),
                    _ => None,
                };
                if let Some(Frame::BulkString(msg)) = msg {
                    if let Some(us) = age_us(msg) {
                        let _ = h.record(us.max(1));
                    }
                    flow.consumed.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(h)
        }));
    }
    // Messages in flight, over all subscribers.
    let backlog = p.backlog.saturating_mul(publishers as u64).max(1);
    for j in 0..publishers {
        let flow = flow.clone();
        let (pipeline, payload) = (p.pipeline.max(1), p.payload);
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await.map_err(fail)?;
            let mut next = j;
            while flow.admit(backlog, deadline).await {
                for _ in 0..pipeline {
                    let chan = match spread {
                        Spread::Channels { .. } => {
                            let ch = format!("herald-bench:ch:{next}");
                            next += publishers;
                            if next >= subscribers {
                                next = j % subscribers;
                            }
                            ch
                        }
                        Spread::Patterns { .. } => "herald-bench:pat:x".to_string(),
                    };
                    c.queue(&[b"PUBLISH", chan.as_bytes(), &stamped_payload(payload)]);
                }
                c.flush().await.map_err(fail)?;
                for _ in 0..pipeline {
                    let f = c.read().await.map_err(fail)?;
                    check(&f)?;
                    let receivers = as_int(&f).unwrap_or(0).max(0) as u64;
                    flow.produced.fetch_add(receivers, Ordering::Relaxed);
                }
            }
            Ok(histogram())
        }));
    }
    let h = join_all(tasks).await?;
    let mut s = Sample {
        ops: flow.consumed.load(Ordering::Relaxed),
        secs: p.duration.as_secs_f64(),
        ..Sample::default()
    };
    s.latencies(&h);
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// stream group: XADD producers, XREADGROUP + XACK consumers

/// P producers XADD timestamped entries; C consumers of one group XREADGROUP COUNT 10 and XACK
/// what they read; acknowledged msgs/s and produce-to-ack latency.
pub async fn stream_group(addr: SocketAddr, p: &Params) -> Outcome {
    outcome(stream_inner(addr, p).await)
}

async fn stream_inner(addr: SocketAddr, p: &Params) -> WResult<Sample> {
    const KEY: &[u8] = b"herald-bench:stream";
    const GROUP: &[u8] = b"bench";
    let mut setup = Conn::connect(addr).await.map_err(fail)?;
    check(&setup.call(&[b"DEL", KEY]).await.map_err(fail)?)?;
    check(
        &setup
            .call(&[b"XGROUP", b"CREATE", KEY, GROUP, b"$", b"MKSTREAM"])
            .await
            .map_err(fail)?,
    )?;
    let flow = Flow::new();
    let deadline = Instant::now() + p.duration;
    let mut tasks = Vec::new();
    for i in 0..p.consumers {
        let flow = flow.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await.map_err(fail)?;
            let consumer = format!("c{i}").into_bytes();
            let mut h = histogram();
            while Instant::now() < deadline {
                c.queue(&[
                    b"XREADGROUP",
                    b"GROUP",
                    GROUP,
                    &consumer,
                    b"COUNT",
                    b"10",
                    b"BLOCK",
                    b"100",
                    b"STREAMS",
                    KEY,
                    b">",
                ]);
                c.flush().await.map_err(fail)?;
                let Some(f) = read_until(&mut c, deadline).await? else {
                    break;
                };
                check(&f)?;
                let entries = stream_entries(&f);
                if entries.is_empty() {
                    continue;
                }
                let mut ack: Vec<&[u8]> = vec![b"XACK", KEY, GROUP];
                ack.extend(entries.iter().map(|(id, _)| &id[..]));
                c.queue(&ack);
                c.flush().await.map_err(fail)?;
                let Some(f) = read_until(&mut c, deadline).await? else {
                    break;
                };
                check(&f)?;
                for (_, payload) in &entries {
                    if let Some(us) = payload.as_deref().and_then(age_us) {
                        let _ = h.record(us.max(1));
                    }
                }
                flow.consumed
                    .fetch_add(entries.len() as u64, Ordering::Relaxed);
            }
            Ok(h)
        }));
    }
    for _ in 0..p.producers {
        let flow = flow.clone();
        let (pipeline, payload, backlog) = (p.pipeline.max(1), p.payload, p.backlog);
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await.map_err(fail)?;
            while flow.admit(backlog, deadline).await {
                for _ in 0..pipeline {
                    c.queue(&[b"XADD", KEY, b"*", b"t", &stamped_payload(payload)]);
                }
                c.flush().await.map_err(fail)?;
                flow.produced.fetch_add(pipeline as u64, Ordering::Relaxed);
                for _ in 0..pipeline {
                    let f = c.read().await.map_err(fail)?;
                    if let Err(o) = check(&f) {
                        flow.stop.store(true, Ordering::Relaxed);
                        return Err(o);
                    }
                }
            }
            Ok(histogram())
        }));
    }
    let h = join_all(tasks).await?;
    let mut s = Sample {
        ops: flow.consumed.load(Ordering::Relaxed),
        secs: p.duration.as_secs_f64(),
        ..Sample::default()
    };
    s.latencies(&h);
    let _ = setup.call(&[b"DEL", KEY]).await;
    Ok(s)
}

/// (id, value of field "t") of each entry in an XREADGROUP reply.
fn stream_entries(f: &Frame) -> Vec<(bytes::Bytes, Option<bytes::Bytes>)> {
    let mut out = Vec::new();
    let Frame::Array(streams) = f else {
        return out;
    };
    for s in streams {
        let Frame::Array(kv) = s else { continue };
        let Some(Frame::Array(entries)) = kv.get(1) else {
            continue;
        };
        for e in entries {
            let Frame::Array(parts) = e else { continue };
            let Some(Frame::BulkString(id)) = parts.first() else {
                continue;
            };
            let payload = match parts.get(1) {
                Some(Frame::Array(fv)) => match fv.get(1) {
                    Some(Frame::BulkString(v)) => Some(v.clone()),
                    _ => None,
                },
                _ => None,
            };
            out.push((id.clone(), payload));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// memory

/// Sizes of the memory workload's dataset.
#[derive(Debug, Clone)]
pub struct MemParams {
    pub list_elements: u64,
    pub stream_entries: u64,
    pub idle_conns: usize,
    /// Wait before measuring the idle connections, so Redis's clientsCron has shrunk their
    /// query buffers (it frees those idle for more than 2 s) as it would on a real server.
    pub settle: Duration,
}

/// Memory per item for each part of the dataset: `(part, Outcome)`; a Sample's `extra` holds
/// `rss_bytes_per_item` and (where INFO memory exists) `used_memory_per_item`, and its `ops`
/// the number of items.
pub async fn memory(addr: SocketAddr, pid: u32, m: &MemParams) -> Vec<(&'static str, Outcome)> {
    let mut out = Vec::new();
    let mut c = match Conn::connect(addr).await {
        Ok(c) => c,
        Err(e) => return vec![("connect", fail(e))],
    };
    let _ = c.call(&[b"FLUSHALL"]).await;
    let mut before = mem_snapshot(&mut c, pid).await;

    let r = mem_phase(&mut c, pid, &mut before, m.list_elements, |c, i, n| {
        let elems: Vec<Vec<u8>> = (i..i + n)
            .map(|k| format!("{k:016}").into_bytes())
            .collect();
        let mut args: Vec<&[u8]> = vec![b"RPUSH", b"herald-bench:memlist"];
        args.extend(elems.iter().map(|e| &e[..]));
        c.queue(&args);
    })
    .await;
    out.push(("list element (16 B)", r));

    // The same number of elements spread over 10,000 lists (100 per list at the default 1M).
    let lists = 10_000u64.min(m.list_elements.max(1));
    let r = mem_phase(&mut c, pid, &mut before, m.list_elements, |c, i, n| {
        for k in i..i + n {
            let key = format!("herald-bench:memlists:{}", k % lists).into_bytes();
            c.queue(&[b"RPUSH", &key, format!("{k:016}").as_bytes()]);
        }
    })
    .await;
    out.push(("list element (16 B) in 10k lists", r));

    let r = mem_phase(&mut c, pid, &mut before, m.stream_entries, |c, i, n| {
        for _ in i..i + n {
            c.queue(&[
                b"XADD",
                b"herald-bench:memstream",
                b"*",
                b"a",
                b"1",
                b"b",
                b"2",
                b"c",
                b"3",
            ]);
        }
    })
    .await;
    out.push(("stream entry (3 fields)", r));

    // Every entry delivered once to one consumer of one group: the pending entries list.
    let r = match c
        .call(&[b"XGROUP", b"CREATE", b"herald-bench:memstream", b"g", b"0"])
        .await
    {
        Err(e) => fail(e),
        Ok(f) => match check(&f) {
            Err(o) => o,
            Ok(()) => {
                mem_phase(&mut c, pid, &mut before, m.stream_entries, |c, _i, n| {
                    let count = n.to_string();
                    c.queue(&[
                        b"XREADGROUP",
                        b"GROUP",
                        b"g",
                        b"c",
                        b"COUNT",
                        count.as_bytes(),
                        b"STREAMS",
                        b"herald-bench:memstream",
                        b">",
                    ]);
                })
                .await
            }
        },
    };
    out.push(("pending entry (XREADGROUP, 1 group)", r));

    let r = mem_phase(&mut c, pid, &mut before, m.list_elements, |c, i, n| {
        let items: Vec<(Vec<u8>, Vec<u8>)> = (i..i + n)
            .map(|k| {
                (
                    format!("f{k:015}").into_bytes(),
                    format!("{k:016}").into_bytes(),
                )
            })
            .collect();
        let mut args: Vec<&[u8]> = vec![b"HSET", b"herald-bench:memhash"];
        for (f, v) in &items {
            args.push(f);
            args.push(v);
        }
        c.queue(&args);
    })
    .await;
    out.push(("hash field (16 B + 16 B)", r));

    let r = mem_phase(&mut c, pid, &mut before, m.list_elements, |c, i, n| {
        let items: Vec<Vec<u8>> = (i..i + n)
            .map(|k| format!("m{k:015}").into_bytes())
            .collect();
        let mut args: Vec<&[u8]> = vec![b"SADD", b"herald-bench:memset"];
        args.extend(items.iter().map(|e| &e[..]));
        c.queue(&args);
    })
    .await;
    out.push(("set member (16 B)", r));

    let r = mem_phase(&mut c, pid, &mut before, m.list_elements, |c, i, n| {
        let items: Vec<(Vec<u8>, Vec<u8>)> = (i..i + n)
            .map(|k| (k.to_string().into_bytes(), format!("m{k:015}").into_bytes()))
            .collect();
        let mut args: Vec<&[u8]> = vec![b"ZADD", b"herald-bench:memzset"];
        for (sc, m) in &items {
            args.push(sc);
            args.push(m);
        }
        c.queue(&args);
    })
    .await;
    out.push(("zset member (16 B)", r));

    let mut idle = Vec::with_capacity(m.idle_conns);
    let mut err = None;
    for _ in 0..m.idle_conns {
        match Conn::connect(addr).await {
            Ok(mut ic) => match ic.call(&[b"PING"]).await {
                Ok(Frame::SimpleString(_)) => idle.push(ic),
                Ok(f) => {
                    err = Some(fail(format!(
                        "connection {}: {}",
                        idle.len(),
                        error_text(&f).unwrap_or_default()
                    )));
                    break;
                }
                Err(e) => {
                    err = Some(fail(format!("connection {}: {e}", idle.len())));
                    break;
                }
            },
            Err(e) => {
                err = Some(fail(format!("connection {}: {e}", idle.len())));
                break;
            }
        }
    }
    let r = match err {
        Some(e) => e,
        None => {
            tokio::time::sleep(m.settle).await;
            let after = mem_snapshot(&mut c, pid).await;
            Outcome::Ok(per_item(&before, &after, idle.len() as u64))
        }
    };
    drop(idle);
    out.push(("idle connection", r));
    let _ = c.call(&[b"FLUSHALL"]).await;
    out
}

/// Loads `n` items in batches of 1000 (`add(conn, first, count)` queues the commands for one
/// batch) and reports the memory growth per item.
async fn mem_phase(
    c: &mut Conn,
    pid: u32,
    before: &mut (Option<u64>, Option<u64>),
    n: u64,
    add: impl Fn(&mut Conn, u64, u64),
) -> Outcome {
    const BATCH: u64 = 1000;
    let mut done = 0;
    while done < n {
        let k = BATCH.min(n - done);
        add(c, done, k);
        if let Err(e) = c.flush().await {
            return fail(e);
        }
        // RPUSH batches are one command, XADD batches are k commands.
        let replies = c.pending_replies();
        for _ in 0..replies {
            match c.read().await {
                Ok(f) => {
                    if let Err(o) = check(&f) {
                        return o;
                    }
                }
                Err(e) => return fail(e),
            }
        }
        done += k;
    }
    let after = mem_snapshot(c, pid).await;
    let s = per_item(before, &after, n);
    *before = after;
    Outcome::Ok(s)
}

fn per_item(
    before: &(Option<u64>, Option<u64>),
    after: &(Option<u64>, Option<u64>),
    n: u64,
) -> Sample {
    let mut s = Sample {
        ops: n,
        ..Sample::default()
    };
    let n = n.max(1) as f64;
    if let (Some(a), Some(b)) = (after.0, before.0) {
        s.extra
            .push(("rss_bytes_per_item".into(), (a as f64 - b as f64) / n));
        s.extra.push(("rss_bytes_total".into(), a as f64));
    }
    if let (Some(a), Some(b)) = (after.1, before.1) {
        s.extra
            .push(("used_memory_per_item".into(), (a as f64 - b as f64) / n));
        s.extra.push(("used_memory_total".into(), a as f64));
    }
    s
}

/// (RSS from /proc, used_memory from INFO memory if the server has it).
async fn mem_snapshot(c: &mut Conn, pid: u32) -> (Option<u64>, Option<u64>) {
    let used = match c.call(&[b"INFO", b"memory"]).await {
        Ok(Frame::BulkString(text)) => String::from_utf8_lossy(&text)
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok()),
        _ => None,
    };
    (crate::servers::rss_bytes(pid), used)
}

// ---------------------------------------------------------------------------------------------
// redis-benchmark passthrough

/// A redis-benchmark row: `-t <test>`, the CSV row name it prints, and a probe command that
/// tells whether the server implements what the test needs.
pub struct RbTest {
    pub test: &'static str,
    pub csv_name: &'static str,
    pub probes: &'static [&'static [&'static str]],
    /// Run this command instead of `-t <test>` (redis-benchmark 7.0 has no `-t xadd`).
    pub custom: Option<&'static [&'static str]>,
}

pub const RB_TESTS: &[RbTest] = &[
    RbTest {
        test: "ping_mbulk",
        csv_name: "PING_MBULK",
        probes: &[&["PING"]],
        custom: None,
    },
    RbTest {
        test: "set",
        csv_name: "SET",
        probes: &[&["SET", "herald-bench:probe", "1"]],
        custom: None,
    },
    RbTest {
        test: "get",
        csv_name: "GET",
        probes: &[&["GET", "herald-bench:probe"]],
        custom: None,
    },
    RbTest {
        test: "incr",
        csv_name: "INCR",
        probes: &[&["INCR", "herald-bench:probe"]],
        custom: None,
    },
    RbTest {
        test: "lpush",
        csv_name: "LPUSH",
        probes: &[&["LPUSH", "herald-bench:probel", "1"]],
        custom: None,
    },
    RbTest {
        test: "rpush",
        csv_name: "RPUSH",
        probes: &[&["RPUSH", "herald-bench:probel", "1"]],
        custom: None,
    },
    RbTest {
        test: "lpop",
        csv_name: "LPOP",
        probes: &[
            &["LPUSH", "herald-bench:probel", "1"],
            &["LPOP", "herald-bench:probel"],
        ],
        custom: None,
    },
    RbTest {
        test: "rpop",
        csv_name: "RPOP",
        probes: &[
            &["LPUSH", "herald-bench:probel", "1"],
            &["RPOP", "herald-bench:probel"],
        ],
        custom: None,
    },
    RbTest {
        test: "lrange_100",
        csv_name: "LRANGE_100",
        probes: &[
            &["LPUSH", "herald-bench:probel", "1"],
            &["LRANGE", "herald-bench:probel", "0", "99"],
        ],
        custom: None,
    },
    RbTest {
        test: "lrange_600",
        csv_name: "LRANGE_600",
        probes: &[
            &["LPUSH", "herald-bench:probel", "1"],
            &["LRANGE", "herald-bench:probel", "0", "599"],
        ],
        custom: None,
    },
    RbTest {
        test: "hset",
        csv_name: "HSET",
        probes: &[&["HSET", "herald-bench:probeh", "f", "v"]],
        custom: None,
    },
    RbTest {
        test: "sadd",
        csv_name: "SADD",
        probes: &[&["SADD", "herald-bench:probeset", "m"]],
        custom: None,
    },
    RbTest {
        test: "spop",
        csv_name: "SPOP",
        probes: &[&["SPOP", "herald-bench:probeset"]],
        custom: None,
    },
    RbTest {
        test: "zadd",
        csv_name: "ZADD",
        probes: &[&["ZADD", "herald-bench:probez", "1", "m"]],
        custom: None,
    },
    RbTest {
        test: "zpopmin",
        csv_name: "ZPOPMIN",
        probes: &[&["ZPOPMIN", "herald-bench:probez"]],
        custom: None,
    },
    RbTest {
        test: "xadd",
        csv_name: "XADD",
        probes: &[&["XADD", "herald-bench:probes", "*", "f", "v"]],
        custom: Some(&["XADD", "herald-bench:rbstream", "*", "myfield", "myvalue"]),
    },
    RbTest {
        test: "xadd_maxlen",
        csv_name: "XADD herald-bench:rbstream MAXLEN",
        probes: &[&[
            "XADD",
            "herald-bench:probes",
            "MAXLEN",
            "~",
            "1000",
            "*",
            "f",
            "v",
        ]],
        custom: Some(&[
            "XADD",
            "herald-bench:rbstream",
            "MAXLEN",
            "~",
            "1000",
            "*",
            "myfield",
            "myvalue",
        ]),
    },
    RbTest {
        test: "xrange_100",
        csv_name: "XRANGE herald-bench:rbstream",
        probes: &[&["XRANGE", "herald-bench:probes", "-", "+", "COUNT", "100"]],
        custom: Some(&["XRANGE", "herald-bench:rbstream", "-", "+", "COUNT", "100"]),
    },
    RbTest {
        test: "evalsha_incr",
        csv_name: "EVALSHA 5cb1975929472492c39b214c114b58b40c94f7f4",
        probes: &[&["SCRIPT", "LOAD", SCRIPT_INCR]],
        custom: Some(&[
            "EVALSHA",
            "5cb1975929472492c39b214c114b58b40c94f7f4",
            "1",
            "herald-bench:evalkey",
        ]),
    },
    RbTest {
        test: "evalsha_json_msgpack",
        csv_name: "EVALSHA 3b34a0f96e8ece9c9734326ffa6a68570a818c55",
        probes: &[&["SCRIPT", "LOAD", SCRIPT_JSON_MSGPACK]],
        custom: Some(&[
            "EVALSHA",
            "3b34a0f96e8ece9c9734326ffa6a68570a818c55",
            "4",
            "herald-bench:ev:n",
            "herald-bench:ev:h",
            "herald-bench:ev:s",
            "herald-bench:ev:l",
            "payload",
        ]),
    },
    RbTest {
        test: "evalsha_bullmq",
        csv_name: "EVALSHA ed46fc0b1dc6fe3d0d335d11253fa0a8082bf7e1",
        probes: &[&["SCRIPT", "LOAD", SCRIPT_BULLMQ]],
        custom: Some(&[
            "EVALSHA",
            "ed46fc0b1dc6fe3d0d335d11253fa0a8082bf7e1",
            "5",
            "bull:q:id",
            "bull:q:",
            "bull:q:wait",
            "bull:q:active",
            "bull:q:events",
            "send-email",
            "{\"to\":\"a@example.com\"}",
            "1700000000000",
            "worker-token",
        ]),
    },
];

/// EVALSHA rows: a one-command script (the cost of entering the VM), ten commands with cjson
/// and cmsgpack work, and a BullMQ-like add + move-to-active script. Their SHA-1s are in the
/// rows above; the probe's SCRIPT LOAD must return them (`probe` checks).
pub const SCRIPT_INCR: &str = include_str!("scripts/incr.lua");
pub const SCRIPT_JSON_MSGPACK: &str = include_str!("scripts/json_msgpack_10.lua");
pub const SCRIPT_BULLMQ: &str = include_str!("scripts/bullmq_add_move.lua");

/// Checks that the server implements a test's commands (error replies other than "unknown
/// command" still count as implemented).
pub async fn probe(addr: SocketAddr, t: &RbTest) -> Result<(), Outcome> {
    let mut c = Conn::connect(addr).await.map_err(fail)?;
    let mut result = Ok(());
    for cmd in t.probes {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        let f = c.call(&args).await.map_err(fail)?;
        if let Some(e) = error_text(&f) {
            if is_unsupported(&e) {
                result = Err(Outcome::Unsupported(e));
                break;
            }
        }
        if let (Some(sha), Frame::BulkString(got)) = (t.csv_name.strip_prefix("EVALSHA "), &f) {
            if got[..] != *sha.as_bytes() {
                return Err(fail(format!(
                    "SCRIPT LOAD returned {}, the row expects {sha}",
                    String::from_utf8_lossy(got)
                )));
            }
        }
    }
    for k in [
        "herald-bench:probe",
        "herald-bench:probel",
        "herald-bench:probes",
    ] {
        let _ = c.call(&[b"DEL", k.as_bytes()]).await;
    }
    if result.is_ok() && t.test == "xrange_100" {
        // XRANGE COUNT 100 needs a stream to read: 1000 entries of one field.
        for _ in 0..1000 {
            c.queue(&[
                b"XADD",
                b"herald-bench:rbstream",
                b"*",
                b"myfield",
                b"myvalue",
            ]);
        }
        c.flush().await.map_err(fail)?;
        for _ in 0..1000 {
            check(&c.read().await.map_err(fail)?)?;
        }
    }
    result
}

/// The redis-benchmark command line for one row.
pub fn rb_command(
    rb: &str,
    addr: SocketAddr,
    t: &RbTest,
    clients: usize,
    requests: u64,
    pipeline: usize,
) -> Vec<String> {
    let mut cmd = vec![
        rb.to_string(),
        "-h".into(),
        addr.ip().to_string(),
        "-p".into(),
        addr.port().to_string(),
        "-c".into(),
        clients.to_string(),
        "-n".into(),
        requests.to_string(),
        "-P".into(),
        pipeline.to_string(),
        "--csv".into(),
    ];
    match t.custom {
        Some(args) => cmd.extend(args.iter().map(|a| a.to_string())),
        None => cmd.extend(["-t".to_string(), t.test.to_string()]),
    }
    cmd
}

/// Runs redis-benchmark and parses its CSV. `ops` counts every request it sent (LRANGE tests
/// also print their LPUSH fill row, whose requests the server's CPU time includes), while the
/// throughput and latency come from the test's own row.
pub fn run_redis_benchmark(cmd: &[String], csv_name: &str) -> Outcome {
    let Some((prog, args)) = cmd.split_first() else {
        return fail("empty command");
    };
    let out = match Command::new(prog).args(args).output() {
        Ok(o) => o,
        Err(e) => return fail(format!("{prog}: {e}")),
    };
    if !out.status.success() {
        return fail(format!(
            "redis-benchmark exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    parse_rb_csv(&text, csv_name, requests_arg(cmd))
}

fn requests_arg(cmd: &[String]) -> u64 {
    cmd.iter()
        .position(|a| a == "-n")
        .and_then(|i| cmd.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Parses redis-benchmark 7's `--csv` output (`"test","rps","avg_latency_ms","min_latency_ms",
/// "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`).
pub fn parse_rb_csv(text: &str, csv_name: &str, requests: u64) -> Outcome {
    let mut rows = 0u64;
    let mut found = None;
    for line in text.lines() {
        let cols: Vec<&str> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        if cols.len() < 8 || cols[0] == "test" {
            continue;
        }
        rows += 1;
        let name = cols[0];
        if name == csv_name || name.starts_with(&format!("{csv_name} ")) {
            let num = |i: usize| cols.get(i).and_then(|v| v.parse::<f64>().ok());
            let Some(rps) = num(1) else {
                return fail(format!("bad CSV row: {line}"));
            };
            found = Some((rps, num(4), num(6)));
        }
    }
    let Some((rps, p50_ms, p99_ms)) = found else {
        return fail(format!(
            "no {csv_name} row in redis-benchmark output: {text}"
        ));
    };
    let secs = if rps > 0.0 {
        requests as f64 / rps
    } else {
        0.0
    };
    let mut s = Sample {
        ops: requests,
        secs,
        p50_us: p50_ms.map(|v| v * 1000.0),
        p99_us: p99_ms.map(|v| v * 1000.0),
        ..Sample::default()
    };
    s.cpu_ops = requests * rows;
    Outcome::Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redis_benchmark_csv_and_counts_fill_rows_for_cpu() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\
                   \"LPUSH (needed to benchmark LRANGE)\",\"15508.68\",\"2.255\",\"0.072\",\"1.063\",\"6.399\",\"8.999\",\"24.927\"\n\
                   \"LRANGE_100 (first 100 elements)\",\"10000.00\",\"3.157\",\"0.328\",\"2.727\",\"7.647\",\"10.663\",\"22.399\"\n";
        let Outcome::Ok(s) = parse_rb_csv(csv, "LRANGE_100", 20000) else {
            panic!("not parsed");
        };
        assert_eq!(s.ops, 20000);
        assert!((s.ops_per_sec() - 10000.0).abs() < 1e-6);
        assert_eq!(s.p99_us, Some(10663.0));
        assert_eq!(s.cpu_ops, 40000);
        assert!(matches!(parse_rb_csv(csv, "XADD", 1), Outcome::Failed(_)));
    }

    #[test]
    fn payload_timestamps_round_trip() {
        let p = stamped_payload(16);
        assert_eq!(p.len(), 20);
        assert!(age_us(&p).is_some_and(|us| us < 60_000_000));
        assert_eq!(age_us(b"not a timestamp at all"), None);
    }
}
