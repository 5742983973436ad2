//! One connection: read, decode every complete request, execute, write the batch of replies.
//!
//! The read buffer is a `BytesMut`; decoded arguments are `Bytes` slices of it. Replies are
//! encoded straight into the write buffer and flushed with one write per batch of pipelined
//! requests. A protocol error replies `-ERR Protocol error: ...` and closes, after the replies
//! of the requests before it, as Redis does.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::debug;

use crate::client::{Client, ClientInfo};
use crate::commands::{self, Flow};
use crate::protocol::decode::Limits;
use crate::protocol::RequestDecoder;
use crate::server::Server;

const READ_CHUNK: usize = 16 * 1024;
/// Buffers larger than this are released after use instead of being kept for the next batch.
const KEEP_BUF: usize = 64 * 1024;

pub async fn serve(srv: &Arc<Server>, mut sock: TcpStream, info: Arc<ClientInfo>) {
    let authed = !srv.auth_required();
    let mut client = Client::new(info.clone(), authed);
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut wbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut dec = RequestDecoder::new();
    let mut stop = srv.shutdown_signal();
    let mut closing = false;

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
        // Execute every complete request in the buffer.
        loop {
            match dec.decode(&mut rbuf, limits) {
                Ok(Some(argv)) => {
                    if argv.is_empty() {
                        continue;
                    }
                    let flow = commands::execute(srv, &mut client, &mut wbuf, argv);
                    client.sync_info();
                    match flow {
                        Flow::Continue => {}
                        Flow::Close => {
                            closing = true;
                            break;
                        }
                        Flow::Block(b) => {
                            if !wbuf.is_empty() {
                                if sock.write_all(&wbuf).await.is_err() {
                                    b.waiter.try_cancel(None);
                                    crate::blocking::unregister(srv, &b.waiter);
                                    closing = true;
                                    break;
                                }
                                wbuf.clear();
                            }
                            match wait_blocked(srv, &mut sock, &mut rbuf, &info, b, &mut stop).await
                            {
                                Some(reply) => wbuf.extend_from_slice(&reply),
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
        if !wbuf.is_empty() {
            srv.stats
                .net_output_bytes
                .fetch_add(wbuf.len() as u64, Ordering::Relaxed);
            if sock.write_all(&wbuf).await.is_err() {
                break;
            }
            wbuf.clear();
            if wbuf.capacity() > KEEP_BUF {
                wbuf = BytesMut::with_capacity(READ_CHUNK);
            }
        }
        if closing || info.killed.load(Ordering::SeqCst) {
            break;
        }
        if rbuf.len() > qlimit {
            debug!(
                client = info.id,
                "closing client that reached max query buffer length"
            );
            break;
        }
        if rbuf.is_empty() && rbuf.capacity() > KEEP_BUF {
            rbuf = BytesMut::with_capacity(READ_CHUNK);
        }
        let want = dec.pending_bulk(rbuf.len()).clamp(READ_CHUNK, 1 << 20);
        rbuf.reserve(want);
        info.qbuf.store(rbuf.len(), Ordering::Relaxed);
        let idle_timer = async {
            if idle == 0 {
                std::future::pending::<()>().await
            } else {
                tokio::time::sleep(Duration::from_secs(idle)).await
            }
        };
        tokio::select! {
            r = sock.read_buf(&mut rbuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => { srv.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed); }
            },
            _ = info.kill.notified() => break,
            _ = stop.changed() => break,
            _ = idle_timer => {
                debug!(client = info.id, "closing idle client");
                break;
            }
        }
    }
    let _ = sock.shutdown().await;
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
    stop: &mut tokio::sync::watch::Receiver<bool>,
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
            _ = info.kill.notified() => {
                waiter.try_cancel(None);
                break None;
            }
            _ = stop.changed() => {
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
