//! Per-connection state.
//!
//! [`Client`] is owned by the connection task and holds what only that task touches (selected
//! database, protocol version, authentication, reply mode). [`ClientInfo`] is shared through the
//! server's client registry so that CLIENT LIST/INFO/KILL, MONITOR and INFO can see every
//! connection; its fields are atomics or short-lived mutexes that the owning task updates after
//! each command. Each `ClientInfo` carries an [`Outbound`] queue: the one path by which other
//! connections send this client data it did not ask for (MONITOR lines now, pub/sub messages
//! later). Pushers encode a frame once and never wait for the socket; the connection task
//! drains the queue into its write buffer between commands and whenever it is woken.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use parking_lot::{Mutex, RwLock};

/// What CLIENT REPLY selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// The reply of the command being run is dropped (the one after `CLIENT REPLY SKIP`).
    Skip,
}

/// What wakes a connection's task besides its socket, raised by other tasks: frames queued for
/// it, or the end (a kill, a server shutdown). One waker and a set of bits, checked on every
/// turn of the connection's loop: a `Notify` per cause took a lock on every poll.
#[derive(Default)]
pub struct Signal {
    bits: AtomicU8,
    waker: atomic_waker::AtomicWaker,
}

impl Signal {
    /// Frames were queued in the client's [`Outbound`].
    pub const OUTBOUND: u8 = 1;
    /// The connection must end; stays raised once raised.
    pub const STOP: u8 = 2;

    pub fn raise(&self, bit: u8) {
        self.bits.fetch_or(bit, Ordering::AcqRel);
        self.waker.wake();
    }

    /// Ready with the bits raised since the last take (STOP is never taken back).
    pub fn poll_take(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<u8> {
        if let Some(bits) = self.take() {
            return std::task::Poll::Ready(bits);
        }
        self.waker.register(cx.waker());
        match self.take() {
            Some(bits) => std::task::Poll::Ready(bits),
            None => std::task::Poll::Pending,
        }
    }

    /// Resolves with the next raised bits.
    pub async fn raised(&self) -> u8 {
        std::future::poll_fn(|cx| self.poll_take(cx)).await
    }

    /// Resolves once STOP is raised (taking any OUTBOUND on the way: the queue is drained by
    /// the connection loop whether or not the bit is seen).
    pub async fn stopped(&self) {
        while self.raised().await & Self::STOP == 0 {}
    }

    fn take(&self) -> Option<u8> {
        if self.bits.load(Ordering::Acquire) == 0 {
            return None;
        }
        let bits = self.bits.fetch_and(Self::STOP, Ordering::AcqRel);
        (bits != 0).then_some(bits)
    }
}

/// Frames pushed to a client by other connections, accounted in bytes.
#[derive(Default)]
pub struct Outbound {
    /// Protects the queued frames; held only to push or take them, never across I/O or
    /// another lock.
    frames: Mutex<VecDeque<Bytes>>,
    /// Bytes queued (kept outside the mutex so the owner can test for work without locking).
    bytes: AtomicUsize,
}

impl Outbound {
    /// Bytes waiting to be written.
    pub fn pending_bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }

    /// Frames waiting to be written.
    pub fn pending_frames(&self) -> usize {
        self.frames.lock().len()
    }

    /// Moves every queued frame into `buf`; returns the bytes moved.
    pub fn drain_into(&self, buf: &mut BytesMut) -> usize {
        if self.pending_bytes() == 0 {
            return 0;
        }
        let frames = std::mem::take(&mut *self.frames.lock());
        let mut n = 0;
        for f in frames {
            n += f.len();
            buf.extend_from_slice(&f);
        }
        self.bytes.fetch_sub(n, Ordering::AcqRel);
        n
    }

    fn push(&self, frame: Bytes) {
        let len = frame.len();
        self.frames.lock().push_back(frame);
        self.bytes.fetch_add(len, Ordering::AcqRel);
    }

    fn clear(&self) {
        let frames = std::mem::take(&mut *self.frames.lock());
        let n: usize = frames.iter().map(Bytes::len).sum();
        self.bytes.fetch_sub(n, Ordering::AcqRel);
    }
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
    /// Bytes currently buffered for input, and the input buffer's capacity and peak.
    pub qbuf: AtomicUsize,
    pub qbuf_cap: AtomicUsize,
    pub qbuf_peak: AtomicUsize,
    /// Bytes of replies not yet written.
    pub obuf: AtomicUsize,
    /// Protects the name only; never held across anything else.
    pub name: Mutex<Option<Bytes>>,
    /// CLIENT SETINFO values; never held across anything else.
    pub lib: Mutex<(Option<Bytes>, Option<Bytes>)>,
    pub killed: AtomicBool,
    /// Wakes the connection task for queued frames and when it must close (CLIENT KILL,
    /// output limits, SHUTDOWN).
    pub signal: Signal,
    pub no_evict: AtomicBool,
    pub no_touch: AtomicBool,
    /// Set while the client waits in a blocking command (`flags=b`).
    pub blocked: AtomicBool,
    /// The waiter of a blocked client, for CLIENT UNBLOCK; held only to clone or replace it.
    pub waiter: Mutex<Option<Arc<crate::blocking::Waiter>>>,
    pub monitor: AtomicBool,
    /// CLIENT REPLY OFF: pushed frames are dropped too, as Redis drops every reply.
    pub reply_off: AtomicBool,
    /// Subscription counts (CLIENT LIST `sub`, `psub`, `ssub`), kept by pub/sub.
    pub subs: AtomicUsize,
    pub psubs: AtomicUsize,
    pub ssubs: AtomicUsize,
    /// Redis's CLIENT_PUBSUB flag (`flags=P`, `TYPE pubsub`, exempt from `timeout`).
    pub pubsub: AtomicBool,
    /// Unix seconds when the output first went over the soft `client-output-buffer-limit`
    /// (0 = under it), Redis's `obuf_soft_limit_reached_time`.
    pub soft_limit_since: AtomicU64,
    /// Commands queued in MULTI, or -1 outside a transaction (CLIENT LIST `multi`).
    pub multi: AtomicI64,
    /// Data pushed by other connections.
    pub outbound: Outbound,
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
            qbuf_cap: AtomicUsize::new(0),
            qbuf_peak: AtomicUsize::new(0),
            obuf: AtomicUsize::new(0),
            name: Mutex::new(None),
            lib: Mutex::new((None, None)),
            killed: AtomicBool::new(false),
            signal: Signal::default(),
            no_evict: AtomicBool::new(false),
            no_touch: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            waiter: Mutex::new(None),
            monitor: AtomicBool::new(false),
            reply_off: AtomicBool::new(false),
            subs: AtomicUsize::new(0),
            psubs: AtomicUsize::new(0),
            ssubs: AtomicUsize::new(0),
            pubsub: AtomicBool::new(false),
            soft_limit_since: AtomicU64::new(0),
            multi: AtomicI64::new(-1),
            outbound: Outbound::default(),
        }
    }

    /// Asks the connection to close as soon as it can.
    pub fn request_kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.signal.raise(Signal::STOP);
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Queues an encoded frame for this client without waiting for its socket. `hard_limit`
    /// (0 = none) bounds the queued bytes: a client that would exceed it is disconnected, as
    /// Redis does on `client-output-buffer-limit`. Returns false if the frame was not queued.
    pub fn push(&self, frame: Bytes, hard_limit: usize) -> bool {
        if self.is_killed() || self.reply_off.load(Ordering::Relaxed) {
            return false;
        }
        if hard_limit != 0 && self.outbound.pending_bytes() + frame.len() > hard_limit {
            self.outbound.clear();
            self.request_kill();
            return false;
        }
        self.outbound.push(frame);
        self.signal.raise(Signal::OUTBOUND);
        true
    }

    /// Queues a frame under `client-output-buffer-limit` semantics (Redis's
    /// `checkClientOutputBufferLimits`): the output counted is what is queued plus what the
    /// connection is still writing, including this frame; reaching the hard limit, or staying at
    /// or over the soft limit for more than its seconds, disconnects the client (asynchronously,
    /// its queue dropped at once so memory is released). Returns false if not queued.
    pub fn push_limited(&self, frame: Bytes, limit: crate::config::ObufLimit) -> bool {
        if self.is_killed() || self.reply_off.load(Ordering::Relaxed) {
            return false;
        }
        let used = (self.outbound.pending_bytes() + self.obuf.load(Ordering::Relaxed) + frame.len())
            as u64;
        let hard = limit.hard != 0 && used >= limit.hard;
        let mut soft = limit.soft != 0 && used >= limit.soft;
        if soft {
            let now = crate::util::now_ms() / 1000;
            let since = self.soft_limit_since.load(Ordering::Relaxed);
            if since == 0 {
                self.soft_limit_since.store(now, Ordering::Relaxed);
                soft = false;
            } else if now.saturating_sub(since) as i64 <= limit.soft_seconds {
                soft = false;
            }
        } else {
            self.soft_limit_since.store(0, Ordering::Relaxed);
        }
        if hard || soft {
            tracing::debug!(
                client = self.id,
                "closing client for overcoming of output buffer limits"
            );
            self.outbound.clear();
            self.request_kill();
            return false;
        }
        self.outbound.push(frame);
        self.signal.raise(Signal::OUTBOUND);
        true
    }

    /// Redis's client type: `normal`, `pubsub` (monitors count as normal).
    pub fn type_name(&self) -> &'static str {
        if self.pubsub.load(Ordering::Relaxed) {
            "pubsub"
        } else {
            "normal"
        }
    }
}

/// The clients in MONITOR mode.
#[derive(Default)]
pub struct Monitors {
    /// Number of monitors, read on every command so that feeding costs nothing when zero.
    count: AtomicUsize,
    /// Protects the list; held to add, remove or copy it, never across I/O.
    list: RwLock<Vec<Arc<ClientInfo>>>,
}

impl Monitors {
    #[inline]
    pub fn active(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    pub fn add(&self, c: Arc<ClientInfo>) {
        let mut l = self.list.write();
        l.push(c);
        self.count.store(l.len(), Ordering::Relaxed);
    }

    pub fn remove(&self, id: u64) {
        let mut l = self.list.write();
        l.retain(|c| c.id != id);
        self.count.store(l.len(), Ordering::Relaxed);
    }

    /// Sends one already-formatted line to every monitor.
    pub fn feed(&self, line: Bytes) {
        for m in self.list.read().iter() {
            m.push(line.clone(), 0);
        }
    }
}

/// Feeds a command that has just run to the monitors, unless its flags hide it (Redis leaves
/// out `skip_monitor` and `admin` commands), then forgets the command's redactions.
pub fn feed_monitors(
    srv: &crate::server::Server,
    client: &mut Client,
    flags: crate::commands::Flags,
    argv: &[Bytes],
) {
    use crate::commands::Flags;
    if srv.monitors.active() && !flags.has(Flags::SKIP_MONITOR.union(Flags::ADMIN)) {
        let line = monitor_line(
            crate::util::now_us(),
            client.db,
            &client.info.addr,
            argv,
            client.redacted,
        );
        srv.monitors.feed(line);
    }
    client.redacted = 0;
}

/// Formats a MONITOR line as Redis's `replicationFeedMonitors`:
/// `+<sec>.<usec> [<db> <addr>] "arg" "arg"...\r\n`, arguments quoted by `sdscatrepr`;
/// argument positions set in `redacted` (bit i = argv[i]) are shown as `(redacted)`.
pub fn monitor_line(
    now_us: u64,
    db: usize,
    addr: &SocketAddr,
    argv: &[Bytes],
    redacted: u64,
) -> Bytes {
    use std::fmt::Write;
    let mut s = String::with_capacity(64 + argv.iter().map(|a| a.len() + 3).sum::<usize>());
    let _ = write!(
        s,
        "+{}.{:06} [{} {}] ",
        now_us / 1_000_000,
        now_us % 1_000_000,
        db,
        addr
    );
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if i < 64 && redacted & (1 << i) != 0 {
            s.push_str("\"(redacted)\"");
        } else {
            cat_repr(&mut s, a);
        }
    }
    s.push_str("\r\n");
    Bytes::from(s)
}

/// Redis's `sdscatrepr`: a double-quoted, escaped representation of `b`.
pub fn cat_repr(s: &mut String, b: &[u8]) {
    use std::fmt::Write;
    s.push('"');
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
}

/// The connection task's own state.
pub struct Client {
    pub info: Arc<ClientInfo>,
    /// The transaction being queued, between MULTI and EXEC/DISCARD.
    pub multi: Option<crate::commands::transactions::MultiState>,
    /// WATCHed (db, key) pairs, and the flag their shards set when one is modified.
    pub watched: Vec<(usize, Bytes)>,
    pub watch_dirty: crate::store::WatchFlag,
    pub db: usize,
    pub resp3: bool,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    /// CLIENT REPLY SKIP was run: the next command's reply is dropped.
    pub skip_next: bool,
    /// Close once the pending replies are written (QUIT, killing oneself).
    pub close_after_reply: bool,
    /// Id of the last command run.
    pub last_cmd: usize,
    /// Unix ms when the last command started (its cached "now"; saves a clock read per
    /// command when publishing `idle` for CLIENT LIST).
    pub last_cmd_ms: u64,
    /// Arguments of the current command to hide from MONITOR (bit i = argv[i]), set by the
    /// handlers that take secrets (AUTH, HELLO AUTH), as Redis's `redactClientCommandArgument`.
    pub redacted: u64,
    /// Channels, patterns and shard channels this connection subscribes to (see `pubsub.rs`).
    pub pubsub: crate::pubsub::ClientSubs,
    /// The AOF offset this connection's replies wait for (see `aof::Aof::wait`); 0 = none.
    pub aof_need: u64,
    /// Command statistics not yet added to the server's shared counters.
    pub stats: PendingStats,
    /// The AOF loader's client: runs while the server is loading and logs nothing.
    pub loader: bool,
}

/// Statistics of the commands a connection ran since its last flush. Both worker threads
/// updating the same counters (`calls` and `usec` of SET, the dirty counter) on every command
/// bounce their cache lines between cores; a connection instead adds up its own and flushes
/// them before it sends its replies (so any client that saw a reply sees its statistics), when
/// it blocks or closes, before INFO and CONFIG RESETSTAT, and when it has 8 kinds pending.
#[derive(Default)]
pub struct PendingStats {
    /// (command id, calls, usec, failed calls)
    items: smallvec::SmallVec<[(usize, u64, u64, u64); 4]>,
    dirty: u64,
}

impl PendingStats {
    #[inline]
    pub fn record(
        &mut self,
        stats: &crate::server::Stats,
        id: usize,
        usec: u64,
        failed: bool,
        dirty: u64,
    ) {
        self.dirty += dirty;
        if let Some(it) = self.items.iter_mut().find(|it| it.0 == id) {
            it.1 += 1;
            it.2 += usec;
            it.3 += failed as u64;
            return;
        }
        if self.items.len() == 8 {
            self.flush(stats);
        }
        self.items.push((id, 1, usec, failed as u64));
    }

    /// Adds everything pending to the server's counters.
    pub fn flush(&mut self, stats: &crate::server::Stats) {
        use std::sync::atomic::Ordering::Relaxed;
        for (id, calls, usec, failed) in self.items.drain(..) {
            if let Some(st) = stats.per_command.get(id) {
                st.calls.fetch_add(calls, Relaxed);
                st.usec.fetch_add(usec, Relaxed);
                if failed > 0 {
                    st.failed.fetch_add(failed, Relaxed);
                }
            }
        }
        if self.dirty > 0 {
            stats
                .dirty
                .fetch_add(std::mem::take(&mut self.dirty), Relaxed);
        }
    }
}

impl Client {
    pub fn new(info: Arc<ClientInfo>, authenticated: bool) -> Self {
        Client {
            multi: None,
            watched: Vec::new(),
            watch_dirty: Default::default(),
            info,
            db: 0,
            resp3: false,
            authenticated,
            reply_mode: ReplyMode::On,
            skip_next: false,
            close_after_reply: false,
            last_cmd: usize::MAX,
            last_cmd_ms: crate::util::now_ms(),
            redacted: 0,
            pubsub: Default::default(),
            aof_need: 0,
            stats: PendingStats::default(),
            loader: false,
        }
    }

    pub fn id(&self) -> u64 {
        self.info.id
    }

    /// Whether the reply of the command just run must be dropped (CLIENT REPLY OFF/SKIP).
    pub fn reply_suppressed(&self) -> bool {
        self.reply_mode != ReplyMode::On
    }

    /// Moves the reply mode on after a command, as Redis's `resetClient`: a pending SKIP
    /// applies to the next command only.
    pub fn advance_reply_mode(&mut self) {
        if self.reply_mode == ReplyMode::Skip {
            self.reply_mode = ReplyMode::On;
        }
        if self.skip_next {
            self.skip_next = false;
            if self.reply_mode == ReplyMode::On {
                self.reply_mode = ReplyMode::Skip;
            }
        }
    }

    /// Publishes the state other connections may inspect.
    pub fn sync_info(&self) {
        let i = &self.info;
        i.db.store(self.db, Ordering::Relaxed);
        i.resp
            .store(if self.resp3 { 3 } else { 2 }, Ordering::Relaxed);
        i.last_cmd.store(self.last_cmd, Ordering::Relaxed);
        i.last_interaction_ms
            .store(self.last_cmd_ms, Ordering::Relaxed);
        i.reply_off
            .store(self.reply_mode == ReplyMode::Off, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_wakes_and_keeps_stop() {
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(count.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let sig = Signal::default();
        assert!(sig.poll_take(&mut cx).is_pending());
        sig.raise(Signal::OUTBOUND);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "a raise wakes the waiting task"
        );
        assert_eq!(
            sig.poll_take(&mut cx),
            std::task::Poll::Ready(Signal::OUTBOUND)
        );
        assert!(sig.poll_take(&mut cx).is_pending(), "OUTBOUND is taken");
        sig.raise(Signal::STOP);
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        sig.raise(Signal::OUTBOUND);
        let both = Signal::STOP | Signal::OUTBOUND;
        assert_eq!(sig.poll_take(&mut cx), std::task::Poll::Ready(both));
        assert_eq!(
            sig.poll_take(&mut cx),
            std::task::Poll::Ready(Signal::STOP),
            "STOP stays"
        );
    }

    #[test]
    fn repr_escapes_like_sdscatrepr() {
        let mut s = String::new();
        cat_repr(&mut s, b"a\"b\n\x01\\\x07\x08\t\r\xff ~");
        assert_eq!(s, r#""a\"b\n\x01\\\a\b\t\r\xff ~""#);
    }

    #[test]
    fn monitor_line_format() {
        let argv = vec![Bytes::from("auth"), Bytes::from("pw")];
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let l = monitor_line(1_700_000_000_000_123, 3, &addr, &argv, 0b10);
        assert_eq!(
            &l[..],
            b"+1700000000.000123 [3 127.0.0.1:5000] \"auth\" \"(redacted)\"\r\n"
        );
    }

    #[test]
    fn push_respects_hard_limit() {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let c = ClientInfo::new(1, addr, addr, 0);
        assert!(c.push(Bytes::from_static(b"12345"), 8));
        assert_eq!(c.outbound.pending_bytes(), 5);
        assert!(!c.push(Bytes::from_static(b"6789"), 8));
        assert!(c.is_killed());
        assert_eq!(c.outbound.pending_bytes(), 0);
    }

    #[test]
    fn skip_applies_to_the_next_command_only() {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut c = Client::new(Arc::new(ClientInfo::new(1, addr, addr, 0)), true);
        c.skip_next = true;
        c.advance_reply_mode();
        assert!(c.reply_suppressed());
        c.advance_reply_mode();
        assert!(!c.reply_suppressed());
    }
}
