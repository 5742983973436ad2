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
                    if flow == Flow::Close {
                        closing = true;
                        break;
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
