//! The server: shared state, the accept loop, background cycles and graceful shutdown.
//!
//! `start` binds the listeners and spawns the accept loop; each accepted socket gets its own
//! task running [`crate::connection::serve`]. Shutdown (SIGTERM/SIGINT or the SHUTDOWN command)
//! is one `watch` flip: the accept loops stop, every connection task finishes the replies it has
//! and closes, and `Handle::wait` returns once the last connection task has dropped its
//! completion sender (mini-redis's pattern).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::client::ClientInfo;
use crate::config::{Config, Settings};
use crate::store::Keyspace;

/// Samples kept per instantaneous metric (Redis's `STATS_METRIC_SAMPLES`).
const METRIC_SAMPLES: usize = 16;

/// One instantaneous metric: per-second rates sampled every 100 ms, averaged over the ring
/// (Redis's `trackInstantaneousMetric` / `getInstantaneousMetric`).
#[derive(Default, Clone, Copy)]
struct Metric {
    samples: [u64; METRIC_SAMPLES],
    idx: usize,
    last_ms: u64,
    last_count: u64,
}

impl Metric {
    fn track(&mut self, reading: u64, now_ms: u64) {
        let t = now_ms.saturating_sub(self.last_ms);
        let delta = reading.saturating_sub(self.last_count);
        self.samples[self.idx] = if t > 0 && self.last_ms > 0 {
            delta.saturating_mul(1000) / t
        } else {
            0
        };
        self.idx = (self.idx + 1) % METRIC_SAMPLES;
        self.last_ms = now_ms;
        self.last_count = reading;
    }

    fn get(&self) -> u64 {
        self.samples.iter().sum::<u64>() / METRIC_SAMPLES as u64
    }
}

/// The instantaneous metrics INFO reports: commands, input bytes, output bytes.
#[derive(Default)]
pub struct Metrics {
    ops: Metric,
    net_input: Metric,
    net_output: Metric,
}

/// Distinct error codes tracked in `errorstats` (Redis's `ERROR_STATS_NUMBER`); past it, new
/// codes are no longer added, as Redis stops tracking them.
const MAX_ERROR_CODES: usize = 128;

/// Server-wide counters reported by INFO.
pub struct Stats {
    /// Per-command counters (INFO commandstats), indexed by command id.
    pub per_command: Box<[crate::commands::CommandStats]>,
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub expired_keys: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    /// Changes since the last save (Redis's `server.dirty`).
    pub dirty: AtomicU64,
    pub unknown_commands: AtomicU64,
    /// Clients waiting in a blocking command (INFO `blocked_clients`).
    pub blocked_clients: AtomicUsize,
    /// Every error reply sent (`total_error_replies`).
    pub error_replies: AtomicU64,
    /// Error replies per error code (`errorstats`), sorted as Redis's rax sorts them. Held only
    /// to bump or copy out a counter.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Sampled by the cron every 100 ms; held only to sample or read.
    pub metrics: Mutex<Metrics>,
    /// Unix seconds of the last successful save (`LASTSAVE`, `rdb_last_save_time`); Herald
    /// has no RDB, so this is the start time, as Redis reports before its first save.
    pub last_save: AtomicU64,
    /// Highest `used_memory` INFO has observed.
    pub peak_memory: AtomicU64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            per_command: (0..crate::commands::table().commands.len())
                .map(|_| Default::default())
                .collect(),
            connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            expired_keys: AtomicU64::new(0),
            keyspace_hits: AtomicU64::new(0),
            keyspace_misses: AtomicU64::new(0),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            dirty: AtomicU64::new(0),
            unknown_commands: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
            metrics: Mutex::new(Metrics::default()),
            last_save: AtomicU64::new(crate::util::now_ms() / 1000),
            peak_memory: AtomicU64::new(0),
            blocked_clients: AtomicUsize::new(0),
        }
    }
}

impl Stats {
    /// Commands executed (INFO `total_commands_processed`): the sum of the per-command call
    /// counters, so the hot path bumps one counter per command instead of two.
    pub fn total_commands(&self) -> u64 {
        self.per_command
            .iter()
            .map(|s| s.calls.load(Ordering::Relaxed))
            .sum()
    }

    pub fn unknown_or_rejected(&self, _cmd: Option<usize>) {
        self.unknown_commands.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one error reply under its code: the text before the first space (looked for in
    /// the first 32 bytes), or `ERR` when there is none, as Redis's `afterErrorReply`.
    pub fn error_reply(&self, text: &str) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let head = &text.as_bytes()[..text.len().min(32)];
        let code = match head.iter().position(|&b| b == b' ') {
            Some(p) => &text[..p],
            None => "ERR",
        };
        let mut errors = self.errors.lock();
        if let Some(n) = errors.get_mut(code) {
            *n += 1;
        } else if errors.len() < MAX_ERROR_CODES {
            errors.insert(code.to_string(), 1);
        }
    }

    /// Takes one sample of each instantaneous metric.
    pub fn sample(&self, now_ms: u64) {
        let mut m = self.metrics.lock();
        m.ops.track(self.total_commands(), now_ms);
        m.net_input
            .track(self.net_input_bytes.load(Ordering::Relaxed), now_ms);
        m.net_output
            .track(self.net_output_bytes.load(Ordering::Relaxed), now_ms);
    }

    /// (ops/sec, input bytes/sec, output bytes/sec), averaged over the samples.
    pub fn instantaneous(&self) -> (u64, u64, u64) {
        let m = self.metrics.lock();
        (m.ops.get(), m.net_input.get(), m.net_output.get())
    }

    /// CONFIG RESETSTAT: what Redis's `resetServerStats`, `resetCommandTableStats` and
    /// `resetErrorTableStats` clear. `dirty` and the last save time are not statistics and stay.
    pub fn reset(&self) {
        for c in [
            &self.connections_received,
            &self.rejected_connections,
            &self.expired_keys,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.unknown_commands,
            &self.error_replies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
        *self.metrics.lock() = Metrics::default();
        for st in self.per_command.iter() {
            st.calls.store(0, Ordering::Relaxed);
            st.usec.store(0, Ordering::Relaxed);
            st.rejected.store(0, Ordering::Relaxed);
            st.failed.store(0, Ordering::Relaxed);
        }
    }
}

/// Everything shared between connections.
pub struct Server {
    pub config: Config,
    pub ks: Keyspace,
    /// The world lock. Every command holds the read side for its whole run; FLUSHALL, SWAPDB,
    /// EXEC and other whole-server operations hold the write side. Taken before any shard lock;
    /// never held across an `.await`.
    pub world: RwLock<()>,
    /// Signalled when the world lock's write side is released (see [`Server::world_write`]):
    /// connections waiting to run a script or EXEC wait for it without holding their thread.
    pub world_free: tokio::sync::Notify,
    pub clients: DashMap<u64, Arc<ClientInfo>>,
    pub monitors: crate::client::Monitors,
    /// Channel and pattern subscriptions (see `pubsub.rs`).
    pub pubsub: crate::pubsub::PubSub,
    pub connected: AtomicUsize,
    next_client_id: AtomicU64,
    pub stats: Stats,
    pub slowlog: crate::slowlog::SlowLog,
    /// The Lua VM, script cache, function libraries and the running-script state.
    pub scripting: crate::scripting::Scripting,
    /// Unix ms when the server started.
    pub started_ms: u64,
    /// Mirrors `requirepass` being non-empty, read on every command.
    pub auth_on: AtomicBool,
    /// Mirrors `slowlog-log-slower-than` / `slowlog-max-len`, read after every command.
    pub slowlog_slower_than: AtomicI64,
    pub slowlog_max_len: AtomicUsize,
    /// Mirrors `busy-reply-threshold`, read by every script call.
    pub busy_reply_threshold_ms: AtomicU64,
    shutdown_tx: watch::Sender<bool>,
    /// Set with `shutdown_tx`, read on every turn of every connection's loop.
    shutting_down: AtomicBool,
    /// Addresses actually bound (port 0 resolved).
    pub bound: RwLock<Vec<SocketAddr>>,
    /// The append-only file (see `aof/`).
    pub aof: Arc<crate::aof::Aof>,
    /// Why the server cannot go on (an AOF that failed to load); set before shutting down.
    pub fatal: parking_lot::Mutex<Option<String>>,
}

/// The world lock's write side; releasing it wakes one connection waiting in
/// `commands::wait_world` (the others' turn comes with the next release).
pub struct WorldWrite<'a> {
    guard: Option<parking_lot::RwLockWriteGuard<'a, ()>>,
    free: &'a tokio::sync::Notify,
}

impl Drop for WorldWrite<'_> {
    fn drop(&mut self) {
        self.guard = None;
        self.free.notify_one();
    }
}

impl Server {
    /// The world lock's write side, waiting for it (threads, not tasks: see `commands`).
    pub fn world_write(&self) -> WorldWrite<'_> {
        self.world_write_guard(self.world.write())
    }

    pub fn world_try_write(&self) -> Option<WorldWrite<'_>> {
        self.world.try_write().map(|g| self.world_write_guard(g))
    }

    pub fn world_try_write_for(&self, t: std::time::Duration) -> Option<WorldWrite<'_>> {
        self.world
            .try_write_for(t)
            .map(|g| self.world_write_guard(g))
    }

    fn world_write_guard<'a>(&'a self, g: parking_lot::RwLockWriteGuard<'a, ()>) -> WorldWrite<'a> {
        WorldWrite {
            guard: Some(g),
            free: &self.world_free,
        }
    }

    pub fn new(settings: Settings) -> Arc<Server> {
        let databases = settings.databases;
        let (shutdown_tx, _) = watch::channel(false);
        let srv = Arc::new(Server {
            config: Config::new(settings),
            ks: Keyspace::new(databases),
            world: RwLock::new(()),
            world_free: tokio::sync::Notify::new(),
            clients: DashMap::new(),
            monitors: Default::default(),
            pubsub: crate::pubsub::PubSub::default(),
            connected: AtomicUsize::new(0),
            next_client_id: AtomicU64::new(1),
            stats: Stats::default(),
            slowlog: crate::slowlog::SlowLog::default(),
            scripting: crate::scripting::Scripting::new(),
            started_ms: crate::util::now_ms(),
            auth_on: AtomicBool::new(false),
            slowlog_slower_than: AtomicI64::new(0),
            slowlog_max_len: AtomicUsize::new(0),
            busy_reply_threshold_ms: AtomicU64::new(5000),
            shutdown_tx,
            shutting_down: AtomicBool::new(false),
            bound: RwLock::new(Vec::new()),
            aof: Arc::new(crate::aof::Aof::new()),
            fatal: parking_lot::Mutex::new(None),
        });
        srv.refresh_hot_config();
        srv
    }

    /// Copies the settings read on every command into atomics (at start and after CONFIG SET),
    /// so the hot path never takes the configuration lock.
    pub fn refresh_hot_config(&self) {
        let s = self.config.read();
        let auth_on = s.requirepass.as_deref().is_some_and(|p| !p.is_empty());
        self.auth_on.store(auth_on, Ordering::Relaxed);
        self.slowlog_slower_than
            .store(s.slowlog_log_slower_than, Ordering::Relaxed);
        self.slowlog_max_len
            .store(s.slowlog_max_len, Ordering::Relaxed);
        self.busy_reply_threshold_ms.store(
            s.get("busy-reply-threshold").parse().unwrap_or(5000),
            Ordering::Relaxed,
        );
        self.pubsub
            .notify_flags
            .store(s.notify_keyspace_events, Ordering::Relaxed);
        self.aof
            .set_policy(crate::aof::Fsync::parse(&s.appendfsync));
        self.aof.set_timestamps(
            s.other
                .get("aof-timestamp-enabled")
                .is_some_and(|v| v == "yes"),
        );
    }

    /// The AOF paths the configuration names.
    pub fn aof_paths(&self) -> crate::aof::Paths {
        let s = self.config.read();
        crate::aof::Paths::new(&s.dir, &s.appenddirname, &s.appendfilename)
    }

    #[inline]
    pub fn auth_required(&self) -> bool {
        self.auth_on.load(Ordering::Relaxed)
    }

    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Starts a graceful shutdown.
    pub fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.shutdown_tx.send_replace(true);
        // A connection registered after this loop sees `shutting_down` before it waits.
        for c in self.clients.iter() {
            c.signal.raise(crate::client::Signal::STOP);
        }
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown_tx.subscribe()
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }
}

/// A running server.
pub struct Handle {
    pub srv: Arc<Server>,
    /// The first bound address.
    pub addr: SocketAddr,
    done_rx: mpsc::Receiver<()>,
}

impl Handle {
    /// Waits until shutdown has been requested and every connection has closed.
    pub async fn wait(mut self) {
        let mut sig = self.srv.shutdown_signal();
        while !*sig.borrow_and_update() {
            if sig.changed().await.is_err() {
                break;
            }
        }
        // Every connection task and accept loop holds a sender; recv() returns None when the
        // last one is gone.
        let _ = tokio::time::timeout(Duration::from_secs(10), self.done_rx.recv()).await;
        // Every acknowledged write is already in the kernel; make it durable too.
        self.srv.aof.shutdown();
        info!("Herald is now ready to exit, bye bye...");
    }

    /// Requests shutdown and waits for it.
    pub async fn stop(self) {
        self.srv.shutdown();
        self.wait().await;
    }
}

/// Binds the configured addresses and starts serving.
pub async fn start(settings: Settings) -> io::Result<Handle> {
    let srv = Server::new(settings);
    let (bind, port) = {
        let s = srv.config.read();
        (s.bind.clone(), s.port)
    };
    let mut listeners = Vec::new();
    for addr in &bind {
        let (optional, host) = match addr.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, addr.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        match TcpListener::bind((host, port)).await {
            Ok(l) => listeners.push(l),
            Err(e) if optional => debug!("optional bind {host}:{port} failed: {e}"),
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("Could not create server TCP listening socket {host}:{port}: {e}"),
                ))
            }
        }
    }
    if listeners.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "no address could be bound",
        ));
    }
    let addrs: Vec<SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    *srv.bound.write() = addrs.clone();
    let (done_tx, done_rx) = mpsc::channel(1);
    // Calibrates the command clock before the first command needs it.
    crate::util::refresh_wall_clock();
    srv.aof.run_background();
    let appendonly = srv.config.read().appendonly;
    if appendonly {
        // Clients may connect while the AOF is replayed: they get -LOADING until it is done.
        srv.aof.loading.store(true, Ordering::Release);
        let s2 = srv.clone();
        tokio::task::spawn_blocking(move || load_aof(&s2));
    }
    for l in listeners {
        tokio::spawn(accept_loop(srv.clone(), l, done_tx.clone()));
    }
    tokio::spawn(cron(srv.clone(), done_tx));
    if !appendonly {
        info!("Ready to accept connections on {:?}", addrs);
    }
    Ok(Handle {
        addr: addrs[0],
        srv,
        done_rx,
    })
}

/// Replays the AOF named by the configuration, then opens it for appending. A failure is fatal:
/// the reason is recorded in `srv.fatal` and the server shuts down.
fn load_aof(srv: &Arc<Server>) {
    let paths = srv.aof_paths();
    let truncated_ok = srv
        .config
        .read()
        .other
        .get("aof-load-truncated")
        .is_none_or(|v| v == "yes");
    let started = std::time::Instant::now();
    let result = crate::aof::load::read_manifest(&paths).and_then(|m| {
        let n = match &m {
            Some(m) => crate::aof::load::load(srv, &paths, m, truncated_ok)?,
            None => 0,
        };
        Ok((m, n))
    });
    let result = result.and_then(|(m, n)| {
        srv.aof
            .open_after_load(&paths, m)
            .map_err(|e| {
                crate::aof::load::LoadError(format!(
                    "Can't open the append-only file in {}: {e}",
                    paths.dir.display()
                ))
            })
            .map(|_| n)
    });
    srv.aof.loading.store(false, Ordering::Release);
    match result {
        Ok(n) => {
            info!(
                "DB loaded from append only file: {:.3} seconds ({n} commands)",
                started.elapsed().as_secs_f64()
            );
            info!("Ready to accept connections on {:?}", *srv.bound.read());
        }
        Err(e) => {
            tracing::error!("{e}");
            *srv.fatal.lock() = Some(e.0);
            srv.shutdown();
        }
    }
}

impl Handle {
    /// Waits until the AOF has been loaded (at once when there is none); the error if loading
    /// failed.
    pub async fn loaded(&self) -> Result<(), String> {
        while self.srv.aof.loading.load(Ordering::Acquire) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        match self.srv.fatal.lock().clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

async fn accept_loop(srv: Arc<Server>, listener: TcpListener, done: mpsc::Sender<()>) {
    let mut stop = srv.shutdown_signal();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => return,
        };
        match accepted {
            Ok((sock, addr)) => {
                srv.stats
                    .connections_received
                    .fetch_add(1, Ordering::Relaxed);
                tokio::spawn(handle_conn(srv.clone(), sock, addr, done.clone()));
            }
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                warn!("Accepting client connection: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn handle_conn(srv: Arc<Server>, sock: TcpStream, addr: SocketAddr, _done: mpsc::Sender<()>) {
    let _ = sock.set_nodelay(true);
    let laddr = sock.local_addr().unwrap_or(addr);
    let fd = {
        use std::os::fd::AsRawFd;
        sock.as_raw_fd()
    };
    let (maxclients, keepalive, protected) = {
        let s = srv.config.read();
        (s.maxclients, s.tcp_keepalive, s.protected_mode)
    };
    crate::connection::set_keepalive(&sock, keepalive);
    if srv.connected.fetch_add(1, Ordering::SeqCst) >= maxclients {
        srv.connected.fetch_sub(1, Ordering::SeqCst);
        srv.stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        let mut sock = sock;
        let _ = tokio::io::AsyncWriteExt::write_all(
            &mut sock,
            b"-ERR max number of clients reached\r\n",
        )
        .await;
        return;
    }
    let id = srv.next_client_id();
    if crate::connection::protected_mode_denies(protected, srv.auth_required(), &addr) {
        srv.connected.fetch_sub(1, Ordering::SeqCst);
        srv.stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        let mut sock = sock;
        let _ = tokio::io::AsyncWriteExt::write_all(
            &mut sock,
            crate::connection::PROTECTED_MODE_DENIED,
        )
        .await;
        return;
    }
    let info = Arc::new(ClientInfo::new(id, addr, laddr, fd));
    srv.clients.insert(id, info.clone());
    crate::connection::serve(&srv, sock, info).await;
    srv.clients.remove(&id);
    srv.connected.fetch_sub(1, Ordering::SeqCst);
}

/// Background work at `hz`: active expiry, and every 100 ms a sample of the instantaneous
/// metrics.
async fn cron(srv: Arc<Server>, _done: mpsc::Sender<()>) {
    let mut stop = srv.shutdown_signal();
    let mut rng = rand::rngs::SmallRng::from_entropy();
    let mut last_sample = 0u64;
    loop {
        let hz = srv.config.read().hz.clamp(1, 500);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(1000 / hz as u64)) => {}
            _ = stop.changed() => return,
        }
        crate::util::refresh_wall_clock();
        crate::store::refresh_lru_clock();
        let now = crate::util::now_ms();
        if now.saturating_sub(last_sample) >= 100 {
            srv.stats.sample(now);
            last_sample = now;
        }
        let deleted = {
            // Skipped while EXEC or a script holds the world: blocking here would stall this
            // tokio worker, and with it the -BUSY replies and SCRIPT KILL of a long script.
            let Some(_world) = srv.world.try_read() else {
                continue;
            };
            let aof = &srv.aof;
            let mut log = |db: usize, key: &bytes::Bytes| {
                if aof.is_on() {
                    aof.log(&[(db, &[crate::commands::lit("DEL"), key.clone()][..])]);
                }
            };
            srv.ks.expire_cycle(now, &mut rng, &mut log)
        };
        crate::aof::rewrite::auto_trigger(&srv);
        if !deleted.is_empty() {
            srv.stats
                .expired_keys
                .fetch_add(deleted.len() as u64, Ordering::Relaxed);
            crate::notify::expired(&srv, &deleted, None);
        }
    }
}

use rand::SeedableRng;
