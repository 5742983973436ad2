//! The oracle (a real redis-server started on a free port, stopped by its PID) and the
//! differential script format shared by the tests (see `tests/differential.rs`).
#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisOracle {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    /// Remove `dir` when dropped.
    owns_dir: bool,
}

impl RedisOracle {
    /// A throwaway redis-server: no persistence, its own temporary directory.
    pub fn start() -> Option<RedisOracle> {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("herald-oracle-{}-{}", std::process::id(), port));
        std::fs::create_dir_all(&dir).ok()?;
        let mut o = Self::spawn(port, &dir, &["--appendonly", "no"])?;
        o.owns_dir = true;
        Some(o)
    }

    /// A redis-server on `port` working in `dir` (kept when dropped), with `extra` arguments.
    pub fn spawn(port: u16, dir: &Path, extra: &[&str]) -> Option<RedisOracle> {
        let bin = which("redis-server")?;
        let child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(extra)
            .args([
                "--dir",
                dir.to_str()?,
                "--daemonize",
                "no",
                "--protected-mode",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(RedisOracle {
            child,
            port,
            dir: dir.to_path_buf(),
            owns_dir: false,
        })
    }

    /// Stops the server by its PID with SIGTERM (a clean shutdown) and waits for it.
    pub fn terminate(mut self) {
        // SAFETY: signalling the child this handle spawned, by its PID.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

impl Drop for RedisOracle {
    fn drop(&mut self) {
        // Stopped by its own PID, never by name.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Returns the oracle, or None after saying loudly why the differential tests are skipped.
pub fn oracle_or_skip() -> Option<RedisOracle> {
    match RedisOracle::start() {
        Some(o) => Some(o),
        None => {
            if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                panic!(
                    "redis-server (the oracle) is not available and CI=true: install redis-server"
                );
            }
            eprintln!("\n!!!!! SKIPPING differential tests: redis-server is not installed !!!!!\n");
            None
        }
    }
}

/// One script line.
pub struct Line {
    pub no: usize,
    pub args: Vec<Vec<u8>>,
    pub compare: bool,
}

/// Parses a differential script into (protocol restriction, line) pairs.
pub fn parse_script(text: &str) -> Vec<(Option<u8>, Line)> {
    let mut out = Vec::new();
    let mut only = None;
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match l {
            "@resp2" => {
                only = Some(2);
                continue;
            }
            "@resp3" => {
                only = Some(3);
                continue;
            }
            _ => {}
        }
        let (compare, body) = match l.strip_prefix('!') {
            Some(rest) => (false, rest),
            None => (true, l),
        };
        let args = herald::protocol::decode::split_args(body.as_bytes())
            .unwrap_or_else(|| panic!("line {}: bad quoting", i + 1));
        out.push((
            only,
            Line {
                no: i + 1,
                args: args.into_iter().map(|b| b.to_vec()).collect(),
                compare,
            },
        ));
    }
    out
}
