//! Per-connection state.
//!
//! [`Client`] is owned by the connection task and holds what only that task touches (selected
//! database, protocol version, authentication). [`ClientInfo`] is shared through the server's
//! client registry so that CLIENT LIST/INFO/KILL and INFO can see every connection; its fields
//! are atomics or short-lived mutexes that the owning task updates after each command.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

/// What CLIENT REPLY selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
}

/// The shared, observable side of a connection.
pub struct ClientInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub fd: i32,
    /// Creation time, Unix ms.
    pub created_ms: u64,
    /// Last time a command was run, Unix ms.
    pub last_interaction_ms: AtomicU64,
    pub db: AtomicUsize,
    pub resp: AtomicU8,
    /// Id of the last command run (index into the command table).
    pub last_cmd: AtomicUsize,
    /// Bytes currently buffered for input / output.
    pub qbuf: AtomicUsize,
    pub obuf: AtomicUsize,
    /// Protects the name only; never held across anything else.
    pub name: Mutex<Option<Bytes>>,
    /// CLIENT SETINFO values; never held across anything else.
    pub lib: Mutex<(Option<Bytes>, Option<Bytes>)>,
    pub killed: AtomicBool,
    /// Wakes the connection task when it must close (CLIENT KILL, SHUTDOWN).
    pub kill: Notify,
    pub no_evict: AtomicBool,
    pub no_touch: AtomicBool,
    /// Set while the client waits in a blocking command (`flags=b`).
    pub blocked: AtomicBool,
    /// The waiter of a blocked client, for CLIENT UNBLOCK; held only to clone or replace it.
    pub waiter: Mutex<Option<Arc<crate::blocking::Waiter>>>,
    pub monitor: AtomicBool,
}

impl ClientInfo {
    pub fn new(id: u64, addr: SocketAddr, laddr: SocketAddr, fd: i32) -> Self {
        let now = crate::util::now_ms();
        ClientInfo {
            id,
            addr,
            laddr,
            fd,
            created_ms: now,
            last_interaction_ms: AtomicU64::new(now),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            last_cmd: AtomicUsize::new(usize::MAX),
            qbuf: AtomicUsize::new(0),
            obuf: AtomicUsize::new(0),
            name: Mutex::new(None),
            lib: Mutex::new((None, None)),
            killed: AtomicBool::new(false),
            kill: Notify::new(),
            no_evict: AtomicBool::new(false),
            no_touch: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            waiter: Mutex::new(None),
            monitor: AtomicBool::new(false),
        }
    }

    /// Asks the connection to close as soon as it can.
    pub fn request_kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.kill.notify_one();
    }
}

/// The connection task's own state.
pub struct Client {
    pub info: Arc<ClientInfo>,
    pub db: usize,
    pub resp3: bool,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    /// Close once the pending replies are written (QUIT, killing oneself).
    pub close_after_reply: bool,
    /// Id of the last command run.
    pub last_cmd: usize,
}

impl Client {
    pub fn new(info: Arc<ClientInfo>, authenticated: bool) -> Self {
        Client {
            info,
            db: 0,
            resp3: false,
            authenticated,
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            last_cmd: usize::MAX,
        }
    }

    pub fn id(&self) -> u64 {
        self.info.id
    }

    /// Publishes the state other connections may inspect.
    pub fn sync_info(&self) {
        let i = &self.info;
        i.db.store(self.db, Ordering::Relaxed);
        i.resp
            .store(if self.resp3 { 3 } else { 2 }, Ordering::Relaxed);
        i.last_cmd.store(self.last_cmd, Ordering::Relaxed);
        i.last_interaction_ms
            .store(crate::util::now_ms(), Ordering::Relaxed);
    }
}
