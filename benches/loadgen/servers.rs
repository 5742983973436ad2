//! Starting and stopping the servers under test, and reading their cost from `/proc`.
//!
//! Both servers run as child processes on free loopback ports with equivalent settings (no
//! persistence, or the same AOF settings for the durability rows), so `/proc/PID/stat` gives each one's CPU time and `/proc/PID/status` its RSS.
//! Every process started here is stopped by its PID (SIGTERM, then SIGKILL after 10 s).

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How Herald is started.
#[derive(Debug, Clone)]
pub enum HeraldLaunch {
    /// The release server binary, with redis-server's option syntax
    /// (`herald --port N --bind 127.0.0.1 --save "" --appendonly no`).
    Binary(PathBuf),
    /// This tool's own `serve-herald` subcommand: the same `herald` library, started with
    /// `Settings { bind: 127.0.0.1, port: N }` (for servers whose CLI ignores `--port`).
    Embedded(PathBuf),
}

/// A running server process.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub pid: u32,
    /// The exact command line that started it.
    pub command: Vec<String>,
    child: Child,
}

/// A loopback port that was free a moment ago (never 6379).
pub fn free_port() -> io::Result<u16> {
    loop {
        let l = TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        if port != 6379 {
            return Ok(port);
        }
    }
}

impl Server {
    /// Starts redis-server on a free port and waits until it answers PING.
    /// `persist` replaces the default `--appendonly no` (e.g. `--appendonly yes --appendfsync
    /// always --dir D`).
    pub fn start_redis(
        redis_server: &str,
        log_dir: &Path,
        persist: &[String],
    ) -> io::Result<Server> {
        let port = free_port()?.to_string();
        let mut args: Vec<&str> = vec!["--port", &port, "--bind", "127.0.0.1", "--save", ""];
        if persist.is_empty() {
            args.extend(["--appendonly", "no"]);
        }
        args.extend(persist.iter().map(String::as_str));
        args.extend(["--daemonize", "no"]);
        Self::spawn("redis", redis_server, &args, log_dir, &port)
    }

    /// Starts Herald on a free port and waits until it answers PING.
    pub fn start_herald(
        how: &HeraldLaunch,
        log_dir: &Path,
        persist: &[String],
    ) -> io::Result<Server> {
        let port = free_port()?.to_string();
        match how {
            HeraldLaunch::Binary(p) => {
                let mut args: Vec<&str> =
                    vec!["--port", &port, "--bind", "127.0.0.1", "--save", ""];
                if persist.is_empty() {
                    args.extend(["--appendonly", "no"]);
                }
                args.extend(persist.iter().map(String::as_str));
                Self::spawn("herald", &p.to_string_lossy(), &args, log_dir, &port)
            }
            HeraldLaunch::Embedded(_) if !persist.is_empty() => Err(io::Error::other(
                "persistence options need --herald-launch binary",
            )),
            HeraldLaunch::Embedded(p) => {
                let args = ["serve-herald", "--port", &port, "--bind", "127.0.0.1"];
                Self::spawn("herald", &p.to_string_lossy(), &args, log_dir, &port)
            }
        }
    }

    /// Starts `program args` (which must listen on `port`) and waits until it answers PING:
    /// replying -LOADING does not count, so the wait covers loading a persisted dataset.
    pub fn spawn(
        name: &'static str,
        program: &str,
        args: &[&str],
        log_dir: &Path,
        port: &str,
    ) -> io::Result<Server> {
        std::fs::create_dir_all(log_dir)?;
        let log = std::fs::File::create(log_dir.join(format!("{name}-{port}.log")))?;
        let child = Command::new(program)
            .args(args)
            .current_dir(log_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let port: u16 = port.parse().map_err(|_| io::Error::other("bad port"))?;
        let mut command = vec![program.to_string()];
        command.extend(args.iter().map(|a| {
            if a.is_empty() {
                "\"\"".to_string()
            } else {
                a.to_string()
            }
        }));
        let mut srv = Server {
            name,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            pid: child.id(),
            command,
            child,
        };
        if let Err(e) = srv.wait_ready() {
            srv.stop();
            return Err(e);
        }
        Ok(srv)
    }

    /// Waits until the server accepts a connection and answers PING (120 s at most, time to
    /// load a large AOF).
    fn wait_ready(&mut self) -> io::Result<()> {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(io::Error::other(format!("{} exited: {status}", self.name)));
            }
            if let Ok(mut s) = std::net::TcpStream::connect(self.addr) {
                s.set_read_timeout(Some(Duration::from_secs(2)))?;
                s.write_all(b"*1\r\n$4\r\nPING\r\n")?;
                let mut buf = [0u8; 7];
                if s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "{} did not answer PING on {} within 120 s",
                    self.name, self.addr
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// CPU seconds (user + system) the process has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.pid).unwrap_or(f64::NAN)
    }

    /// Stops the process by its PID: SIGTERM, then SIGKILL if it has not exited within 10 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = self.pid as libc::pid_t;
        // SAFETY: kill(2) on the PID of our own child, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// utime + stime of a process, in seconds (fields 14 and 15 of `/proc/PID/stat`).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after it are space-separated.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
    Some((utime + stime) / ticks)
}

/// VmRSS of a process in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Raises this process's open-file limit to its hard limit (children inherit it), so the
/// memory workload can hold 10k idle connections. Returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) != 0 {
            return 1024;
        }
        rl.rlim_cur = rl.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl);
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every platform.
    let limit = rl.rlim_cur as u64;
    limit
}
