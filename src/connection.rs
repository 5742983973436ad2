//! One connection: read, decode every complete request, execute, write the batch of replies.
//!
//! The read buffer is a `BytesMut`; decoded arguments are `Bytes` slices of it. Replies are
//! encoded straight into the write buffer and flushed with one write per batch of pipelined
//! requests. A protocol error replies `-ERR Protocol error: ...` and closes, after the replies
//! of the requests before it, as Redis does.
//!
//! Besides its socket, the task waits on the client's [`Outbound`](crate::client::Outbound)
//! queue, through which other connections push frames (MONITOR lines, pub/sub messages);
//! the queue is drained into the write buffer after every command, so a monitor sees its own
//! command's line after that command's reply, as in Redis. The connection-level limits live here
//! too: `client-query-buffer-limit`, the idle `timeout`, protected mode and TCP keepalive.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tracing::debug;

use crate::client::{Client, ClientInfo, Signal};
use crate::commands::{self, Flow};
use crate::protocol::decode::Limits;
use crate::protocol::RequestDecoder;
use crate::server::Server;

const READ_CHUNK: usize = 16 * 1024;
/// Buffers larger than this are released after use instead of being kept for the next batch.
const KEEP_BUF: usize = 64 * 1024;
/// Buffers of a connection with no traffic for this long are released.
const IDLE_RELEASE: Duration = Duration::from_secs(2);

/// The reply a non-loopback client gets in protected mode (Redis 7.0's exact text).
pub const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Whether protected mode refuses a client from `peer`: protected mode is on, the default user
/// has no password, and the peer is not loopback (Redis's `connIsLocal`: 127.0.0.0/8 or ::1).
pub fn protected_mode_denies(protected_mode: bool, password_set: bool, peer: &SocketAddr) -> bool {
    if !protected_mode || password_set {
        return false;
    }
    let local = match peer.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback(),
    };
    !local
}

/// Enables TCP keepalive as Redis's `anetKeepAlive`: probes after `interval` seconds idle,
/// then every `interval/3` seconds, giving up after 3 unanswered probes. 0 disables nothing.
pub fn set_keepalive(sock: &TcpStream, interval: u64) {
    if interval == 0 {
        return;
    }
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    let secs = interval.min(i32::MAX as u64) as libc::c_int;
    let opts: [(libc::c_int, libc::c_int, libc::c_int); 4] = [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs),
        (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (secs / 3).max(1)),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ];
    for (level, name, val) in opts {
        // SAFETY: `fd` is a live socket owned by `sock` for the duration of the call, and the
        // option value is a c_int whose size is passed alongside it.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                &val as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            debug!("setsockopt keepalive option {name} failed");
            return;
        }
    }
}

/// Whether the idle `timeout` applies: not to monitors, blocked or pub/sub clients (Redis's
/// `clientsCronHandleTimeout`).
fn timeout_exempt(info: &ClientInfo) -> bool {
    info.monitor.load(Ordering::Relaxed)
        || info.blocked.load(Ordering::Relaxed)
        || info.pubsub.load(Ordering::Relaxed)
}

/// Resolves the second time it is polled, having woken its task the first time: a task woken
/// while it runs goes to the back of its worker's run queue (tokio's `yield_now` would instead
/// wait for the worker's next poll of the I/O driver, one more system call per round).
struct BehindReadyTasks(bool);

impl std::future::Future for BehindReadyTasks {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

pub async fn serve(srv: &Arc<Server>, mut sock: TcpStream, info: Arc<ClientInfo>) {
    let authed = !srv.auth_required();
    let mut client = Client::new(info.clone(), authed);
    // Buffers are allocated when data arrives and released after IDLE_RELEASE without
    // traffic, so an idle connection costs no buffer memory (Redis's clientsCron frees idle
    // query buffers the same way).
    let mut rbuf = BytesMut::new();
    let mut wbuf = BytesMut::new();
    let mut dec = RequestDecoder::new();
    let mut closing = false;
    // When the connection last read or wrote (the cron's coarse clock: idle times are seconds).
    let mut last_io = crate::util::coarse_ms();
    // The runtime's own count (`io-threads` for the binary; whatever runtime embeds the library).
    let one_thread = tokio::runtime::Handle::current().metrics().num_workers() == 1;
    // Besides its socket, the connection waits for its signal (queued frames, kill, shutdown)
    // and two timers.
    // The timers are re-armed only when they fire early (or the timeout setting changes).
    let release = tokio::time::sleep(IDLE_RELEASE);
    tokio::pin!(release);
    let idle_timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(idle_timer);
    let mut idle_armed = 0;

    loop {
        let (limits, qlimit, idle) = {
            let s = srv.config.read();
            (
                Limits {
                    max_bulk: s.proto_max_bulk_len,
                    ..Limits::default()
                },
                s.client_query_buffer_limit,
                s.timeout,
            )
        };
        // Redis checks the query buffer right after reading, before running anything in it.
        if rbuf.len() > qlimit {
            debug!(
                client = info.id,
                "closing client that reached max query buffer length"
            );
            break;
        }
        // Execute every complete request in the buffer. Consecutive scripts and EXECs keep
        // the world lock between them (released before anything below waits).
        {
            let mut hold = commands::WorldHold::default();
            loop {
                match dec.decode(&mut rbuf, limits) {
                    Ok(Some(argv)) => {
                        if argv.is_empty() {
                            continue;
                        }
                        commands::wait_world(srv, &client, &argv, &mut hold).await;
                        let mark = wbuf.len();
                        let flow =
                            commands::execute_held(srv, &mut client, &mut wbuf, argv, &mut hold);
                        if client.reply_suppressed() {
                            wbuf.truncate(mark);
                        }
                        client.advance_reply_mode();
                        client.sync_info();
                        info.outbound.drain_into(&mut wbuf);
                        match flow {
                            Flow::Continue => {}
                            Flow::Close => {
                                closing = true;
                                break;
                            }
                            Flow::Block(b) => {
                                // Never held across the waits below.
                                hold.release();
                                client.stats.flush(&srv.stats);
                                if !wbuf.is_empty() {
                                    aof_barrier(srv, &mut client).await;
                                    if sock.write_all(&wbuf).await.is_err() {
                                        b.waiter.try_cancel(None);
                                        crate::blocking::unregister(srv, &b.waiter);
                                        closing = true;
                                        break;
                                    }
                                    wbuf.clear();
                                }
                                // Boxed: the wait's state would otherwise enlarge every
                                // connection's task, blocked or not.
                                let wait = wait_blocked(srv, &mut sock, &mut rbuf, &info, b);
                                match Box::pin(wait).await {
                                    Some(reply) => {
                                        // Whatever served it was logged before the reply was sent
                                        // to this task.
                                        if srv.aof.is_on() {
                                            client.aof_need = srv.aof.appended();
                                        }
                                        wbuf.extend_from_slice(&reply);
                                        last_io = crate::util::coarse_ms();
                                    }
                                    None => {
                                        closing = true;
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        debug!(client = info.id, "protocol error: {}", e.0);
                        wbuf.extend_from_slice(b"-ERR ");
                        wbuf.extend_from_slice(e.0.as_bytes());
                        wbuf.extend_from_slice(b"\r\n");
                        closing = true;
                        break;
                    }
                }
            }
        }
        if !closing {
            info.outbound.drain_into(&mut wbuf);
        }
        if !wbuf.is_empty() {
            // Redis writes its replies in `beforeSleep`, after every client with input ready has
            // run: a client process with many connections is woken once per round, not once per
            // reply (waking an idle CPU is an interprocessor interrupt, a VM exit under a
            // hypervisor). A yielded task runs again once this worker's other ready tasks have.
            // With more worker threads, the yields would wake idle workers instead.
            if one_thread && srv.connected.load(Ordering::Relaxed) > 1 {
                BehindReadyTasks(false).await;
            }
            aof_barrier(srv, &mut client).await;
            info.obuf.store(wbuf.len(), Ordering::Relaxed);
            srv.stats
                .net_output_bytes
                .fetch_add(wbuf.len() as u64, Ordering::Relaxed);
            // A client that stops reading must not keep its task parked here once the output
            // limit has asked it to close.
            let written = tokio::select! {
                r = sock.write_all(&wbuf) => r.is_ok(),
                _ = info.signal.stopped() => false,
            };
            if !written {
                break;
            }
            last_io = crate::util::coarse_ms();
            info.obuf.store(0, Ordering::Relaxed);
            wbuf.clear();
            if wbuf.capacity() > KEEP_BUF {
                wbuf = BytesMut::new();
            }
        }
        // (The select below is biased to the socket: a client that never stops sending must
        // still see a kill or a shutdown.)
        if closing || info.is_killed() || srv.is_shutting_down() {
            break;
        }
        if rbuf.is_empty() && rbuf.capacity() > KEEP_BUF {
            rbuf = BytesMut::new();
        }
        let want = dec.pending_bulk(rbuf.len()).clamp(READ_CHUNK, 1 << 20);
        info.qbuf.store(rbuf.len(), Ordering::Relaxed);
        info.qbuf_cap.store(rbuf.capacity(), Ordering::Relaxed);
        info.qbuf_peak.fetch_max(rbuf.len(), Ordering::Relaxed);
        if idle != idle_armed {
            idle_timer
                .as_mut()
                .reset(deadline_after(last_io, Duration::from_secs(idle.max(1))));
            idle_armed = idle;
        }
        let holding = rbuf.is_empty() && (rbuf.capacity() > 0 || wbuf.capacity() > 0);
        tokio::select! {
            biased;
            // Wait for readiness first and reserve only then, so a quiet connection does not
            // sit on an empty 16 KiB buffer.
            r = sock.readable() => {
                if r.is_err() {
                    break;
                }
                rbuf.reserve(want);
                match sock.try_read_buf(&mut rbuf) {
                    Ok(0) => break,
                    Ok(n) => {
                        last_io = crate::util::coarse_ms();
                        srv.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => break,
                }
            }
            // Queued frames are drained at the top of the loop.
            bits = info.signal.raised() => if bits & Signal::STOP != 0 {
                break;
            },
            _ = &mut release, if holding => {
                let deadline = deadline_after(last_io, IDLE_RELEASE);
                if deadline <= Instant::now() {
                    rbuf = BytesMut::new();
                    wbuf = BytesMut::new();
                    info.qbuf_cap.store(0, Ordering::Relaxed);
                } else {
                    release.as_mut().reset(deadline);
                }
            }
            _ = &mut idle_timer, if idle > 0 => {
                let deadline = deadline_after(last_io, Duration::from_secs(idle));
                if deadline > Instant::now() {
                    idle_timer.as_mut().reset(deadline);
                } else if timeout_exempt(&info) {
                    last_io = crate::util::coarse_ms();
                    idle_timer
                        .as_mut()
                        .reset(deadline_after(last_io, Duration::from_secs(idle)));
                } else {
                    debug!(client = info.id, "closing idle client");
                    break;
                }
            }
        }
    }
    client.stats.flush(&srv.stats);
    if info.monitor.load(Ordering::Relaxed) {
        srv.monitors.remove(info.id);
    }
    commands::transactions::unwatch_all(srv, &mut client);
    srv.pubsub.unsubscribe_all(&mut client);
    let _ = sock.shutdown().await;
}

/// The timer instant `after` past `since` (coarse Unix ms).
fn deadline_after(since: u64, after: Duration) -> Instant {
    let due = since.saturating_add(after.as_millis() as u64);
    Instant::now() + Duration::from_millis(due.saturating_sub(crate::util::coarse_ms()))
}

/// Holds replies back until the AOF covers the writes they acknowledge, as the fsync policy
/// requires (see `aof::Aof::wait`).
#[inline]
async fn aof_barrier(srv: &Arc<Server>, client: &mut Client) {
    // Whoever sees these replies sees their commands in INFO too.
    client.stats.flush(&srv.stats);
    if !srv.aof.covered(client.aof_need) {
        srv.aof.wait(client.aof_need).await;
    }
}

/// Parks a blocked connection until its waiter is served, times out, is unblocked, or the client
/// goes away. Input that arrives meanwhile is buffered, not executed, as in Redis. Returns the
/// reply to send, or `None` when the connection must close.
async fn wait_blocked(
    srv: &Arc<Server>,
    sock: &mut TcpStream,
    rbuf: &mut BytesMut,
    info: &Arc<ClientInfo>,
    b: commands::Blocked,
) -> Option<Vec<u8>> {
    let commands::Blocked {
        waiter,
        mut rx,
        deadline,
    } = b;
    info.blocked.store(true, Ordering::Relaxed);
    *info.waiter.lock() = Some(waiter.clone());
    let qlimit = srv.config.read().client_query_buffer_limit;
    let sleep = async {
        if deadline == 0 {
            std::future::pending::<()>().await
        } else {
            let left = deadline.saturating_sub(crate::util::now_ms());
            tokio::time::sleep(Duration::from_millis(left)).await
        }
    };
    tokio::pin!(sleep);
    let reply = loop {
        tokio::select! {
            r = &mut rx => break r.ok(),
            _ = &mut sleep => {
                if waiter.try_timeout() {
                    break Some(crate::blocking::Waiter::timeout_reply(waiter.resp3));
                }
                // Served (or unblocked) first: its reply is on the way.
                break (&mut rx).await.ok();
            }
            r = sock.read_buf(rbuf) => match r {
                Ok(n) if n > 0 && rbuf.len() <= qlimit => {
                    srv.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                }
                _ => {
                    waiter.try_cancel(None);
                    break None;
                }
            },
            _ = info.signal.stopped() => {
                waiter.try_cancel(None);
                break None;
            }
        }
    };
    *info.waiter.lock() = None;
    info.blocked.store(false, Ordering::Relaxed);
    crate::blocking::unregister(srv, &waiter);
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_mode_decision() {
        let remote: SocketAddr = "10.1.2.3:4000".parse().unwrap();
        let remote6: SocketAddr = "[2001:db8::1]:4000".parse().unwrap();
        let local: SocketAddr = "127.0.0.5:4000".parse().unwrap();
        let local6: SocketAddr = "[::1]:4000".parse().unwrap();
        assert!(protected_mode_denies(true, false, &remote));
        assert!(protected_mode_denies(true, false, &remote6));
        assert!(!protected_mode_denies(true, false, &local));
        assert!(!protected_mode_denies(true, false, &local6));
        assert!(!protected_mode_denies(true, true, &remote));
        assert!(!protected_mode_denies(false, false, &remote));
        assert!(PROTECTED_MODE_DENIED.starts_with(b"-DENIED Redis is running in protected mode"));
        assert!(PROTECTED_MODE_DENIED.ends_with(b"from the outside.\r\n"));
    }
}
