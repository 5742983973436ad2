//! The server: shared state, the accept loop, background cycles and graceful shutdown.
//!
//! `start` binds the listeners and spawns the accept loop; each accepted socket gets its own
//! task running [`crate::connection::serve`]. Shutdown (SIGTERM/SIGINT or the SHUTDOWN command)
//! is one `watch` flip: the accept loops stop, every connection task finishes the replies it has
//! and closes, and `Handle::wait` returns once the last connection task has dropped its
//! completion sender (mini-redis's pattern).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use parking_lot::RwLock;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::client::ClientInfo;
use crate::config::{Config, Settings};
use crate::store::Keyspace;

/// Server-wide counters reported by INFO.
#[derive(Default)]
pub struct Stats {
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub commands: AtomicU64,
    pub expired_keys: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    /// Changes since the last save (Redis's `server.dirty`).
    pub dirty: AtomicU64,
    pub unknown_commands: AtomicU64,
}

impl Stats {
    /// Zeroes the counters CONFIG RESETSTAT resets (everything but `dirty`).
    pub fn reset(&self) {
        for c in [
            &self.connections_received,
            &self.rejected_connections,
            &self.commands,
            &self.expired_keys,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.unknown_commands,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }

    pub fn unknown_or_rejected(&self, _cmd: Option<usize>) {
        self.unknown_commands.fetch_add(1, Ordering::Relaxed);
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
    pub clients: DashMap<u64, Arc<ClientInfo>>,
    pub connected: AtomicUsize,
    next_client_id: AtomicU64,
    pub stats: Stats,
    /// Unix ms when the server started.
    pub started_ms: u64,
    /// Mirrors `requirepass` being non-empty, read on every command.
    pub auth_on: AtomicBool,
    shutdown_tx: watch::Sender<bool>,
    /// Addresses actually bound (port 0 resolved).
    pub bound: RwLock<Vec<SocketAddr>>,
}

impl Server {
    pub fn new(settings: Settings) -> Arc<Server> {
        let databases = settings.databases;
        let auth_on = settings
            .requirepass
            .as_deref()
            .is_some_and(|p| !p.is_empty());
        let (shutdown_tx, _) = watch::channel(false);
        Arc::new(Server {
            config: Config::new(settings),
            ks: Keyspace::new(databases),
            world: RwLock::new(()),
            clients: DashMap::new(),
            connected: AtomicUsize::new(0),
            next_client_id: AtomicU64::new(1),
            stats: Stats::default(),
            started_ms: crate::util::now_ms(),
            auth_on: AtomicBool::new(auth_on),
            shutdown_tx,
            bound: RwLock::new(Vec::new()),
        })
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
        self.shutdown_tx.send_replace(true);
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown_tx.subscribe()
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown_tx.borrow()
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
    for l in listeners {
        tokio::spawn(accept_loop(srv.clone(), l, done_tx.clone()));
    }
    tokio::spawn(cron(srv.clone(), done_tx));
    info!("Ready to accept connections on {:?}", addrs);
    Ok(Handle {
        addr: addrs[0],
        srv,
        done_rx,
    })
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
    let maxclients = srv.config.read().maxclients;
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
    let info = Arc::new(ClientInfo::new(id, addr, laddr, fd));
    srv.clients.insert(id, info.clone());
    crate::connection::serve(&srv, sock, info).await;
    srv.clients.remove(&id);
    srv.connected.fetch_sub(1, Ordering::SeqCst);
}

/// Background work at `hz`: active expiry.
async fn cron(srv: Arc<Server>, _done: mpsc::Sender<()>) {
    let mut stop = srv.shutdown_signal();
    let mut rng = rand::rngs::SmallRng::from_entropy();
    loop {
        let hz = srv.config.read().hz.clamp(1, 500);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(1000 / hz as u64)) => {}
            _ = stop.changed() => return,
        }
        let now = crate::util::now_ms();
        let deleted = {
            let _world = srv.world.read();
            srv.ks.expire_cycle(now, &mut rng)
        };
        if !deleted.is_empty() {
            srv.stats
                .expired_keys
                .fetch_add(deleted.len() as u64, Ordering::Relaxed);
        }
    }
}

use rand::SeedableRng;
