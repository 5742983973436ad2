//! The `herald` binary's command line: `--version`, `--help`, configuration errors (FATAL block,
//! exit status 1), and a real start on a free port followed by a clean SIGTERM shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_herald");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn temp_file(tag: &str, text: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("herald-cli-{tag}-{}.conf", std::process::id()));
    std::fs::write(&p, text).expect("write config");
    p
}

#[test]
fn version_and_help() {
    let out = Command::new(BIN).arg("--version").output().expect("runs");
    assert!(out.status.success());
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(v.starts_with("Herald server v="), "{v}");
    assert!(v.contains("redis_version=7.0.15"), "{v}");
    let out = Command::new(BIN).arg("-v").output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Herald server v="));

    let out = Command::new(BIN).arg("--help").output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let h = String::from_utf8_lossy(&out.stderr);
    assert!(h.starts_with("Usage: "), "{h}");
    assert!(h.contains("[/path/to/redis.conf] [options] [-]"), "{h}");
}

#[test]
fn unknown_directive_is_fatal() {
    let conf = temp_file("bad", "port 0\nfoo bar\n");
    let out = Command::new(BIN).arg(&conf).output().expect("runs");
    let _ = std::fs::remove_file(&conf);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"
    );

    // Options count as lines after the file (an empty line separates them).
    let out = Command::new(BIN)
        .args(["--port", "0", "--foo", "1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("at line 3\n>>> 'foo \"1\"'\nBad directive or wrong number of arguments\n"));

    let out = Command::new(BIN)
        .arg("/nonexistent/herald.conf")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can't open config file"));
}

#[test]
fn starts_serves_and_stops_on_sigterm() {
    let port = free_port();
    let conf = temp_file("run", "# test\ntimeout 0\nmaxmemory 1mb\n");
    let log = std::env::temp_dir().join(format!("herald-cli-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let mut child = Command::new(BIN)
        .arg(&conf)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--loglevel", "warning"])
        .args(["--dir", std::env::temp_dir().to_str().expect("utf-8 path")])
        .args([
            "--appenddirname",
            &format!("herald-cli-aof-{}", std::process::id()),
        ])
        .args(["--logfile", log.to_str().expect("utf-8 path")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sock = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => {
                if let Ok(Some(st)) = child.try_wait() {
                    panic!("herald exited early: {st}");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                let _ = child.kill();
                panic!("herald did not listen: {e}");
            }
        }
    };
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.write_all(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$9\r\nmaxmemory\r\n")
        .unwrap();
    let want = b"*2\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n";
    let mut got = vec![0u8; want.len()];
    sock.read_exact(&mut got).unwrap();
    assert_eq!(got, want);
    drop(sock);
    // The AOF is on by default: its layout is created while the (empty) dataset loads.
    let aof_dir = std::env::temp_dir().join(format!("herald-cli-aof-{}", std::process::id()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !aof_dir.join("appendonly.aof.manifest").exists() {
        assert!(Instant::now() < deadline, "no AOF manifest was created");
        std::thread::sleep(Duration::from_millis(10));
    }

    // SAFETY: sending SIGTERM to the child we spawned, by its PID.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("herald did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_file(&conf);
    let _ = std::fs::remove_dir_all(&aof_dir);
    assert_eq!(status.code(), Some(0), "clean exit");
    // Directives Herald does not act on are reported once at startup, in the log file.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        logged.contains("'maxmemory' is accepted for compatibility but has no effect"),
        "{logged}"
    );
    assert!(!logged.contains("'timeout' is accepted"), "{logged}");
    assert!(
        !logged.contains(" INFO "),
        "loglevel warning filters notices: {logged}"
    );
}
