//! A minimal pipelining RESP2 client for the load generator: one TCP connection, commands
//! encoded into a write buffer and flushed once per batch, replies decoded with the
//! `redis-protocol` crate's RESP2 frame decoder (`BytesFrame`s that share the read buffer).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use redis_protocol::resp2::decode::decode_bytes_mut;
pub use redis_protocol::resp2::types::BytesFrame as Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection to the server under test.
pub struct Conn {
    sock: TcpStream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    /// Commands queued or sent whose replies have not been read yet.
    pending: usize,
}

/// The error reply text of a frame, if it is one.
pub fn error_text(f: &Frame) -> Option<String> {
    match f {
        Frame::Error(e) => Some(e.to_string()),
        _ => None,
    }
}

/// True when an error reply says the server does not know the command (or subcommand): the
/// workload is reported `unsupported` instead of failing.
pub fn is_unsupported(err: &str) -> bool {
    err.starts_with("ERR unknown command") || err.starts_with("ERR unknown subcommand")
}

/// Integer value of a frame (integer reply or a bulk holding digits).
pub fn as_int(f: &Frame) -> Option<i64> {
    match f {
        Frame::Integer(n) => Some(*n),
        Frame::BulkString(b) | Frame::SimpleString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let sock = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        sock.set_nodelay(true)?;
        Ok(Conn {
            sock,
            rbuf: BytesMut::with_capacity(16 * 1024),
            wbuf: BytesMut::with_capacity(16 * 1024),
            pending: 0,
        })
    }

    /// Queues one command (a RESP multibulk) without sending it.
    pub fn queue(&mut self, args: &[&[u8]]) {
        self.pending += 1;
        self.wbuf.put_u8(b'*');
        put_len(&mut self.wbuf, args.len());
        for a in args {
            self.wbuf.put_u8(b'$');
            put_len(&mut self.wbuf, a.len());
            self.wbuf.put_slice(a);
            self.wbuf.put_slice(b"\r\n");
        }
    }

    /// Sends everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.wbuf.is_empty() {
            self.sock.write_all(&self.wbuf).await?;
            self.wbuf.clear();
        }
        Ok(())
    }

    /// Reads the next complete reply (or push message).
    pub async fn read(&mut self) -> io::Result<Frame> {
        loop {
            match decode_bytes_mut(&mut self.rbuf) {
                Ok(Some((frame, _, _))) => {
                    self.pending = self.pending.saturating_sub(1);
                    return Ok(frame);
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
            if self.rbuf.capacity() - self.rbuf.len() < 4096 {
                self.rbuf.reserve(64 * 1024);
            }
            if self.sock.read_buf(&mut self.rbuf).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ));
            }
        }
    }

    /// Replies still expected for the commands queued so far.
    pub fn pending_replies(&self) -> usize {
        self.pending
    }

    /// Sends one command and waits for its reply.
    pub async fn call(&mut self, args: &[&[u8]]) -> io::Result<Frame> {
        self.queue(args);
        self.flush().await?;
        self.read().await
    }
}

fn put_len(buf: &mut BytesMut, n: usize) {
    let mut b = itoa::Buffer::new();
    buf.put_slice(b.format(n).as_bytes());
    buf.put_slice(b"\r\n");
}
