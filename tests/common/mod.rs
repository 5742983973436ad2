//! Shared test support: an in-process Herald on an ephemeral port, a raw RESP client that
//! returns exact reply bytes, and condition waits (no fixed sleeps).
#![allow(dead_code)]

pub mod oracle;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use herald::config::Settings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A Herald server running inside the test process on 127.0.0.1:<ephemeral>.
pub struct TestServer {
    pub addr: SocketAddr,
    pub handle: Option<herald::server::Handle>,
    pub srv: std::sync::Arc<herald::server::Server>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::with(|_| {}).await
    }

    /// Starts a server after letting `f` adjust the settings.
    pub async fn with(f: impl FnOnce(&mut Settings)) -> TestServer {
        Self::try_with(f)
            .await
            .expect("server starts and loads its AOF")
    }

    /// Like `with`, but returns the startup or AOF loading error instead of panicking. Tests
    /// run without the AOF unless they turn it on (`appendonly yes` and a temporary `dir`).
    pub async fn try_with(f: impl FnOnce(&mut Settings)) -> Result<TestServer, String> {
        let mut s = Settings {
            bind: vec!["127.0.0.1".into()],
            port: 0,
            appendonly: false,
            ..Settings::default()
        };
        f(&mut s);
        let handle = herald::server::start(s).await.map_err(|e| e.to_string())?;
        if let Err(e) = handle.loaded().await {
            handle.stop().await;
            return Err(e);
        }
        Ok(TestServer {
            addr: handle.addr,
            srv: handle.srv.clone(),
            handle: Some(handle),
        })
    }

    pub async fn client(&self) -> RawClient {
        RawClient::connect(self.addr).await
    }

    pub async fn stop(mut self) {
        if let Some(h) = self.handle.take() {
            h.stop().await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.srv.shutdown();
    }
}

/// A client that sends raw bytes or commands and reads whole RESP replies as raw bytes.
pub struct RawClient {
    pub sock: TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    pub async fn connect(addr: SocketAddr) -> RawClient {
        let sock = TcpStream::connect(addr).await.expect("connect");
        sock.set_nodelay(true).ok();
        RawClient {
            sock,
            buf: Vec::new(),
        }
    }

    pub async fn send_raw(&mut self, b: &[u8]) {
        self.sock.write_all(b).await.expect("write");
    }

    /// Sends a command as a RESP multibulk.
    pub async fn send(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode(args)).await;
    }

    /// Sends a command and returns its complete reply, as raw bytes.
    pub async fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send(&a).await;
        self.read_reply().await
    }

    /// Like `cmd`, returning the reply as a (lossy) string for readable assertions.
    pub async fn cmd_str(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.cmd(args).await).into_owned()
    }

    /// Reads one complete RESP2/RESP3 reply (5 s timeout).
    pub async fn read_reply(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(n) = reply_len(&self.buf) {
                return self.buf.drain(..n).collect();
            }
            self.read_more(deadline).await;
        }
    }

    /// Appends what the next read returns to the buffer (panics past `deadline` or on close).
    async fn read_more(&mut self, deadline: Instant) {
        let mut chunk = [0u8; 16384];
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, self.sock.read(&mut chunk))
            .await
            .expect("reply within 5s")
            .expect("read");
        if n == 0 {
            panic!(
                "connection closed; buffered: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// Reads until what was received ends with `suffix` (5 s timeout), without decoding it
    /// (for replies nested too deeply for the test's recursive decoder).
    pub async fn read_until_suffix(&mut self, suffix: &[u8]) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.buf.ends_with(suffix) {
            self.read_more(deadline).await;
        }
        std::mem::take(&mut self.buf)
    }

    /// Reads until the server closes the connection; returns everything received.
    pub async fn read_to_close(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.sock.read_to_end(&mut out))
            .await
            .expect("closed within 5s");
        out
    }
}

/// Encodes a command as a RESP multibulk.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Length of the first complete RESP2/RESP3 reply in `b`, if there is one, found with the
/// redis-protocol crate's decoders: RESP3 first, RESP2 for the forms RESP3 dropped (`$-1`, `*-1`).
pub fn reply_len(b: &[u8]) -> Option<usize> {
    if b.is_empty() {
        return None;
    }
    let bytes = bytes::Bytes::copy_from_slice(b);
    match redis_protocol::resp3::decode::complete::decode_bytes(&bytes) {
        Ok(Some((_, n))) => Some(n),
        Ok(None) => None,
        Err(e3) => match redis_protocol::resp2::decode::decode_bytes(&bytes) {
            Ok(Some((_, n))) => Some(n),
            Ok(None) => None,
            Err(_) => panic!("undecodable reply {:?}: {e3:?}", String::from_utf8_lossy(b)),
        },
    }
}

/// Polls `f` until it returns true (5 s at most).
pub async fn wait_until<F, Fut>(mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not reached within 5s");
}

/// Waits until exactly `n` clients are blocked (INFO's `blocked_clients`).
pub async fn wait_blocked(s: &TestServer, n: usize) {
    let srv = s.srv.clone();
    wait_until(|| {
        let srv = srv.clone();
        async move {
            srv.stats
                .blocked_clients
                .load(std::sync::atomic::Ordering::Relaxed)
                == n
        }
    })
    .await;
}

/// The bulk strings of a RESP reply, in order (nested arrays flattened).
pub fn bulks(reply: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = reply;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let Some(nl) = rest.find("\r\n") else { break };
        let Ok(n) = rest[..nl].parse::<usize>() else {
            continue;
        };
        out.push(rest[nl + 2..nl + 2 + n].to_string());
        rest = &rest[nl + 2 + n..];
    }
    out
}

/// The encoding OBJECT ENCODING would report for `key` in db 0 ("none" if missing).
pub fn encoding(s: &TestServer, key: &str) -> &'static str {
    let mut l = s.srv.ks.lock(0, [key.as_bytes()], herald::util::now_ms());
    l.get(key.as_bytes()).map_or("none", |e| e.value.encoding())
}
