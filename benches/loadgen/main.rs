//! `herald-bench`: the side-by-side performance harness (Herald vs redis-server).
//!
//! `herald-bench all` starts both servers on free loopback ports, runs every workload against
//! each, alternating Herald, Redis, Herald, Redis for `--pairs` pairs, and reports per row the
//! median throughput, p99 latency and server CPU seconds per million operations of each server
//! and the Herald/Redis ratio: as a table on stdout, as JSON, and as markdown (optionally
//! spliced into docs/benchmarks.md). Workloads are redis-benchmark passthrough rows plus this
//! tool's own queue, fan-out, stream consumer-group and memory workloads, which redis-benchmark
//! cannot drive. See docs/benchmarks.md.
//!
//! `herald-bench serve-herald --port N` runs the Herald library as a server process; the
//! harness uses it (`--herald-launch embedded`) while the `herald` binary's CLI does not yet
//! honour `--port`.

mod client;
mod durability;
mod report;
mod servers;
mod workloads;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use servers::{HeraldLaunch, Server};
use workloads::{MemParams, Outcome, Params, RbTest, RB_TESTS};

#[derive(Parser)]
#[command(name = "herald-bench", about = "Herald vs redis-server, side by side")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // Parsed once per process.
enum Cmd {
    /// Run the workloads against both servers and report.
    All(RunArgs),
    /// Serve Herald (the library in this build) on 127.0.0.1:PORT until SIGTERM/SIGINT.
    ServeHerald {
        #[arg(long)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Launch {
    /// `target/release/herald --port N --bind 127.0.0.1 --save "" --appendonly no`.
    Binary,
    /// `herald-bench serve-herald --port N --bind 127.0.0.1` (same library, same profile).
    Embedded,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Debug)]
enum Workload {
    Rb,
    Queue,
    Multi,
    Fanout,
    Stream,
    Memory,
    /// AOF replay at startup and rewrite pauses (servers of its own, with the AOF on).
    Durability,
}

#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// Herald/Redis pairs per row (alternating A B A B); medians are taken over them.
    #[arg(long, default_value_t = 3)]
    pairs: usize,
    /// Seconds per run of the queue, fan-out and stream workloads.
    #[arg(long, default_value_t = 2.0)]
    duration: f64,
    /// Workloads to run (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "rb,queue,multi,fanout,stream,memory"
    )]
    only: Vec<Workload>,
    /// Servers to run (comma-separated: herald, redis).
    #[arg(long, value_delimiter = ',', default_value = "herald,redis")]
    servers: Vec<String>,
    /// How to start Herald.
    #[arg(long, value_enum, default_value = "binary")]
    herald_launch: Launch,
    /// The Herald server binary for `--herald-launch binary`.
    #[arg(long, default_value = "target/release/herald")]
    herald_bin: PathBuf,
    #[arg(long, default_value = "redis-server")]
    redis_server: String,
    #[arg(long, default_value = "redis-benchmark")]
    redis_benchmark: String,
    /// redis-benchmark clients (-c).
    #[arg(long, default_value_t = 50)]
    rb_clients: usize,
    /// redis-benchmark pipelines (-P), one row per value.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    rb_pipelines: Vec<usize>,
    /// redis-benchmark tests (-t), by name; default all of PING SET GET INCR LPUSH RPUSH LPOP
    /// RPOP LRANGE_100 LRANGE_600 HSET SADD SPOP ZADD ZPOPMIN XADD XADD_MAXLEN XRANGE_100
    /// EVALSHA_INCR EVALSHA_JSON_MSGPACK EVALSHA_BULLMQ.
    #[arg(long, value_delimiter = ',')]
    rb_tests: Vec<String>,
    /// Requests (-n) per redis-benchmark run at -P 1 (x10 at -P 16; /2 and /5 for LRANGE_100
    /// and LRANGE_600). Sized for ~2 s per run on a busy 2-core machine.
    #[arg(long, default_value_t = 30000)]
    rb_requests: u64,
    /// Queue and stream producers.
    #[arg(long, default_value_t = 4)]
    producers: usize,
    /// Queue and stream consumers.
    #[arg(long, default_value_t = 4)]
    consumers: usize,
    /// Pipeline depth of queue/stream producers and of the fan-out publisher.
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// Payload size in bytes for queue and stream messages (at least 20).
    #[arg(long, default_value_t = 32)]
    payload: usize,
    /// Messages in flight (per subscriber for fan-out) before producers wait.
    #[arg(long, default_value_t = 1000)]
    backlog: u64,
    /// Fan-out subscriber counts, one row per value and payload size.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100,1000")]
    fanout_subs: Vec<usize>,
    /// Fan-out payload sizes in bytes.
    #[arg(long, value_delimiter = ',', default_value = "16,1024")]
    fanout_sizes: Vec<usize>,
    /// Pub/sub spread: channels (one subscriber each) ...
    #[arg(long, default_value_t = 1000)]
    spread_channels: usize,
    /// ... and the publishers cycling over them.
    #[arg(long, default_value_t = 10)]
    spread_publishers: usize,
    /// Pub/sub spread: pattern subscribers (all matching every message).
    #[arg(long, default_value_t = 100)]
    pattern_subs: usize,
    /// Memory workload: list elements of 16 B.
    #[arg(long, default_value_t = 1_000_000)]
    mem_list: u64,
    /// Memory workload: stream entries of 3 small fields.
    #[arg(long, default_value_t = 1_000_000)]
    mem_stream: u64,
    /// Memory workload: idle connections (capped below both servers' maxclients of 10000).
    #[arg(long, default_value_t = 9_900)]
    mem_conns: usize,
    /// Memory workload: seconds to let the idle connections settle before measuring.
    #[arg(long, default_value_t = 4.0)]
    mem_settle: f64,
    /// Directory for JSON, markdown and server logs.
    #[arg(long, default_value = "target/bench-results")]
    out_dir: PathBuf,
    /// Splice the markdown tables into this file between the `<!-- MARKER:begin -->` and
    /// `<!-- MARKER:end -->` lines.
    #[arg(long)]
    update_doc: Option<PathBuf>,
    /// The marker name for --update-doc.
    #[arg(long, default_value = "bench-results")]
    doc_marker: String,
    /// Run both servers with the AOF on and this appendfsync policy (no = no persistence).
    #[arg(long, default_value = "no")]
    aof: String,
    /// Durability workload: stream entries replayed at startup, keys rewritten.
    #[arg(long, default_value_t = 1_000_000)]
    durability_items: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::ServeHerald { port, bind } => serve_herald(port, bind),
        Cmd::All(args) => match run_all(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("herald-bench: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve_herald(port: u16, bind: String) -> ExitCode {
    if port == 6379 {
        eprintln!("refusing to use port 6379");
        return ExitCode::FAILURE;
    }
    let s = herald::config::Settings {
        port,
        bind: vec![bind],
        appendonly: false,
        ..Default::default()
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let handle = match herald::server::start(s).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let srv = handle.srv.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            if let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            } else {
                std::future::pending::<()>().await;
            }
            srv.shutdown();
        });
        handle.wait().await;
        ExitCode::SUCCESS
    })
}

/// One row of the report: what was run and every run's outcome, per server.
pub struct Row {
    pub section: &'static str,
    pub name: String,
    /// Exact command lines (redis-benchmark) or the workload's parameters.
    pub commands: Vec<String>,
    /// (server name, pair index, outcome).
    pub runs: Vec<(&'static str, usize, Outcome)>,
}

enum Kind {
    Rb(&'static RbTest, usize, u64),
    Queue(Params),
    Multi(Params),
    Fanout(Params),
    Spread(Params, workloads::Spread),
    Stream(Params),
}

fn run_all(a: &RunArgs) -> Result<(), String> {
    let fd_limit = servers::raise_fd_limit();
    let log_dir = a.out_dir.join("logs");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let log_dir = log_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let launch = match a.herald_launch {
        Launch::Binary => HeraldLaunch::Binary(a.herald_bin.canonicalize().map_err(|e| {
            format!(
                "{}: {e} (build it with cargo build --release)",
                a.herald_bin.display()
            )
        })?),
        Launch::Embedded => HeraldLaunch::Embedded(
            std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?,
        ),
    };
    let persist = |name: &str| -> Vec<String> {
        if a.aof == "no" {
            return Vec::new();
        }
        let dir = log_dir.join(format!("{name}-data"));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        durability::persist_args(name, &a.aof, &dir)
    };
    let mut started: Vec<Server> = Vec::new();
    for s in &a.servers {
        if a.only == [Workload::Durability] {
            break;
        }
        let srv = match s.as_str() {
            "herald" => Server::start_herald(&launch, &log_dir, &persist("herald")),
            "redis" => Server::start_redis(&a.redis_server, &log_dir, &persist("redis")),
            other => return Err(format!("unknown server {other:?} (herald, redis)")),
        }
        .map_err(|e| format!("starting {s}: {e}"))?;
        eprintln!(
            "started {} pid {} on {}: {}",
            srv.name,
            srv.pid,
            srv.addr,
            srv.command.join(" ")
        );
        started.push(srv);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;

    let mut specs: Vec<(&'static str, String, Kind)> = Vec::new();
    let dur = Duration::from_secs_f64(a.duration.max(0.05));
    let base = Params {
        duration: dur,
        producers: a.producers,
        consumers: a.consumers,
        pipeline: a.pipeline,
        payload: a.payload,
        backlog: a.backlog,
    };
    if a.only.contains(&Workload::Rb) {
        for t in RB_TESTS {
            if !a.rb_tests.is_empty()
                && !a.rb_tests.iter().any(|n| {
                    n.eq_ignore_ascii_case(t.test)
                        || n.eq_ignore_ascii_case(t.csv_name)
                        || (n.eq_ignore_ascii_case("ping") && t.test == "ping_mbulk")
                })
            {
                continue;
            }
            for &p in &a.rb_pipelines {
                let mut n = a.rb_requests;
                if p > 1 {
                    n = n.saturating_mul(10);
                }
                n = match t.test {
                    "lrange_100" => n / 2,
                    "lrange_600" => n / 5,
                    _ => n,
                };
                specs.push((
                    "redis-benchmark",
                    format!("{} -P {p}", t.csv_name),
                    Kind::Rb(t, p, n.max(1)),
                ));
            }
        }
    }
    if a.only.contains(&Workload::Queue) {
        specs.push((
            "queue",
            format!("LPUSH x{} / BRPOP x{}", a.producers, a.consumers),
            Kind::Queue(base.clone()),
        ));
    }
    if a.only.contains(&Workload::Multi) {
        specs.push((
            "transactions",
            format!("MULTI + 5 writes + EXEC x{}", a.producers),
            Kind::Multi(base.clone()),
        ));
    }
    if a.only.contains(&Workload::Fanout) {
        for &size in &a.fanout_sizes {
            for &k in &a.fanout_subs {
                let mut p = base.clone();
                p.producers = k;
                p.payload = size;
                p.backlog = 32;
                specs.push((
                    "fan-out",
                    format!("PUBLISH {size} B -> {k} subscribers"),
                    Kind::Fanout(p),
                ));
            }
        }
    }
    if a.only.contains(&Workload::Fanout) {
        let mut p = base.clone();
        p.backlog = 32;
        let (channels, publishers) = (a.spread_channels, a.spread_publishers);
        specs.push((
            "pub/sub spread",
            format!("{channels} channels x 1 subscriber, {publishers} publishers"),
            Kind::Spread(
                p.clone(),
                workloads::Spread::Channels {
                    channels,
                    publishers,
                },
            ),
        ));
        let subscribers = a.pattern_subs;
        specs.push((
            "pub/sub spread",
            format!("{subscribers} pattern subscribers, 1 publisher"),
            Kind::Spread(p, workloads::Spread::Patterns { subscribers }),
        ));
    }
    if a.only.contains(&Workload::Stream) {
        specs.push((
            "stream group",
            format!("XADD x{} / XREADGROUP+XACK x{}", a.producers, a.consumers),
            Kind::Stream(base.clone()),
        ));
    }

    let mut rows = Vec::new();
    for (section, name, kind) in specs {
        let section: &'static str = if a.aof == "no" {
            section
        } else {
            Box::leak(format!("{section}, appendfsync {}", a.aof).into_boxed_str())
        };
        eprintln!("row: {section}: {name}");
        let mut row = Row {
            section,
            name,
            commands: Vec::new(),
            runs: Vec::new(),
        };
        for pair in 0..a.pairs.max(1) {
            for srv in &started {
                let _ = rt.block_on(async {
                    let mut c = client::Conn::connect(srv.addr).await?;
                    c.call(&[b"FLUSHALL"]).await
                });
                let cpu0 = srv.cpu_seconds();
                let mut out = match &kind {
                    Kind::Rb(t, p, n) => {
                        let cmd = workloads::rb_command(
                            &a.redis_benchmark,
                            srv.addr,
                            t,
                            a.rb_clients,
                            *n,
                            *p,
                        );
                        if pair == 0 {
                            row.commands
                                .push(format!("{}: {}", srv.name, cmd.join(" ")));
                        }
                        match rt.block_on(workloads::probe(srv.addr, t)) {
                            Ok(()) => workloads::run_redis_benchmark(&cmd, t.csv_name),
                            Err(o) => o,
                        }
                    }
                    Kind::Queue(p) => {
                        describe(&mut row, pair, srv, format!("queue producers={} consumers={} pipeline={} payload={} backlog={} duration={:?}", p.producers, p.consumers, p.pipeline, p.payload, p.backlog, p.duration));
                        rt.block_on(bounded(p.duration, workloads::queue(srv.addr, p)))
                    }
                    Kind::Multi(p) => {
                        describe(&mut row, pair, srv, format!("multi clients={} (MULTI; SET; INCR; LPUSH; HSET; ZADD; EXEC pipelined) payload={} duration={:?}", p.producers, p.payload, p.duration));
                        rt.block_on(bounded(p.duration, workloads::multi_exec(srv.addr, p)))
                    }
                    Kind::Fanout(p) => {
                        describe(&mut row, pair, srv, format!("fanout subscribers={} publisher pipeline={} payload={} backlog/subscriber={} duration={:?}", p.producers, p.pipeline, p.payload, p.backlog, p.duration));
                        rt.block_on(bounded(p.duration, workloads::fanout(srv.addr, p)))
                    }
                    Kind::Spread(p, spread) => {
                        describe(&mut row, pair, srv, format!("pubsub spread {spread:?} publisher pipeline={} payload={} backlog/publisher={} duration={:?}", p.pipeline, p.payload, p.backlog, p.duration));
                        rt.block_on(bounded(
                            p.duration,
                            workloads::pubsub_spread(srv.addr, p, *spread),
                        ))
                    }
                    Kind::Stream(p) => {
                        describe(&mut row, pair, srv, format!("stream producers={} consumers={} (XREADGROUP COUNT 10 BLOCK 100, XACK) pipeline={} payload={} backlog={} duration={:?}", p.producers, p.consumers, p.pipeline, p.payload, p.backlog, p.duration));
                        rt.block_on(bounded(p.duration, workloads::stream_group(srv.addr, p)))
                    }
                };
                let cpu1 = srv.cpu_seconds();
                if let Outcome::Ok(s) = &mut out {
                    s.cpu_s = cpu1 - cpu0;
                }
                eprintln!("  {} pair {}: {}", srv.name, pair + 1, report::brief(&out));
                row.runs.push((srv.name, pair, out));
            }
        }
        rows.push(row);
    }

    if a.only.contains(&Workload::Durability) {
        rows.extend(durability::run(a, &launch, &log_dir, &rt));
    }
    let mut mem_rows = Vec::new();
    if a.only.contains(&Workload::Memory) {
        let m = MemParams {
            list_elements: a.mem_list,
            stream_entries: a.mem_stream,
            idle_conns: a.mem_conns.min((fd_limit as usize).saturating_sub(200)),
            settle: Duration::from_secs_f64(a.mem_settle.max(0.0)),
        };
        let desc = format!(
            "memory list_elements={} stream_entries={} idle_conns={}",
            m.list_elements, m.stream_entries, m.idle_conns
        );
        for srv in &started {
            eprintln!("memory: {}", srv.name);
            let parts = rt.block_on(workloads::memory(srv.addr, srv.pid, &m));
            for (part, out) in parts {
                eprintln!("  {part}: {}", report::brief(&out));
                let row = match mem_rows.iter_mut().find(|r: &&mut Row| r.name == part) {
                    Some(r) => r,
                    None => {
                        mem_rows.push(Row {
                            section: "memory",
                            name: part.to_string(),
                            commands: Vec::new(),
                            runs: Vec::new(),
                        });
                        mem_rows.last_mut().expect("just pushed")
                    }
                };
                row.commands.push(format!("{}: {desc}", srv.name));
                row.runs.push((srv.name, 0, out));
            }
        }
    }
    drop(rt);
    let meta = report::Meta::collect(a, &started, &launch);
    for s in &mut started {
        s.stop();
    }
    report::write_all(a, &meta, &rows, &mem_rows)
}

/// Runs a workload, giving up (as `Failed`) if it overruns its duration by 60 s: a server that
/// stops answering must not hang the harness.
async fn bounded(d: Duration, f: impl std::future::Future<Output = Outcome>) -> Outcome {
    match tokio::time::timeout(d + Duration::from_secs(60), f).await {
        Ok(o) => o,
        Err(_) => Outcome::Failed("workload timed out".into()),
    }
}

fn describe(row: &mut Row, pair: usize, srv: &Server, text: String) {
    if pair == 0 {
        row.commands.push(format!("{}: {text}", srv.name));
    }
}
