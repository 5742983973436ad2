//! Configuration: redis.conf parsing (include, quoting, errors), CONFIG GET/SET round trips and
//! their side effects, atomic multi-parameter CONFIG SET, and CONFIG REWRITE read back by a
//! fresh parse.

mod common;

use std::path::PathBuf;

use common::TestServer;
use herald::config::load::{LoadError, Loader};
use herald::config::Settings;

/// A scratch directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "herald-config-{tag}-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p.canonicalize().expect("canonical temp dir"))
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Parses `text` as a config file whose relative paths resolve in `dir`.
fn load_in(dir: &TempDir, text: &str) -> Result<Settings, LoadError> {
    let path = dir.write("redis.conf", text);
    let s = Settings {
        dir: dir.0.to_string_lossy().into_owned(),
        ..Settings::default()
    };
    let mut l = Loader::new(s);
    l.load_main(path.to_str(), None, Some(""))?;
    Ok(l.settings)
}

#[test]
fn parses_quotes_comments_multi_args_and_aliases() {
    let dir = TempDir::new("parse");
    let s = load_in(
        &dir,
        "# a comment\n\
         \x20  port 7777   \n\
         bind 127.0.0.1 \"::1\"\n\
         requirepass \"sec ret\\x21\"\n\
         maxmemory 1GB\n\
         slave-priority 7\n\
         save 900 1\n\
         save 300 10\n\
         timeout 5\n\
         timeout 6\n\
         notify-keyspace-events 'KEA'\n\
         list-max-ziplist-entries 512\n",
    )
    .expect("valid config");
    assert_eq!(s.port, 7777);
    assert_eq!(s.bind, vec!["127.0.0.1", "::1"]);
    assert_eq!(s.requirepass.as_deref(), Some("sec ret!"));
    assert_eq!(s.get("maxmemory"), "1073741824");
    assert_eq!(s.get("replica-priority"), "7");
    assert_eq!(s.get("save"), "900 1 300 10");
    assert_eq!(s.timeout, 6, "a repeated directive keeps its last value");
    assert_eq!(s.get("notify-keyspace-events"), "AKE");
}

#[test]
fn include_resolves_relative_paths_and_globs() {
    let dir = TempDir::new("include");
    std::fs::create_dir_all(dir.0.join("conf.d")).unwrap();
    dir.write("base.conf", "timeout 42\nhz 20\n");
    dir.write("conf.d/a.conf", "maxclients 50\n");
    dir.write("conf.d/b.conf", "maxclients 60\n");
    let s = load_in(
        &dir,
        "hz 5\ninclude base.conf\ninclude conf.d/*.conf\ninclude conf.d/none-*.conf\n",
    )
    .expect("valid config");
    assert_eq!(s.timeout, 42);
    assert_eq!(s.hz, 20, "the included file comes after the line before it");
    assert_eq!(s.maxclients, 60, "glob matches are read in sorted order");
}

#[test]
fn errors_name_the_line_and_directive() {
    let dir = TempDir::new("errors");
    let e = load_in(&dir, "port 1\n\nfoo bar baz\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'foo bar baz'\nBad directive or wrong number of arguments\n"
    );
    let e = load_in(&dir, "maxmemory lots\n").unwrap_err();
    assert!(e
        .to_string()
        .ends_with(">>> 'maxmemory lots'\nargument must be a memory value\n"));
    let e = load_in(&dir, "timeout 1 2\n").unwrap_err();
    assert!(
        e.to_string().ends_with("wrong number of arguments\n"),
        "{e}"
    );
    let e = load_in(&dir, "requirepass \"abc\n").unwrap_err();
    assert!(e
        .to_string()
        .ends_with("Unbalanced quotes in configuration line\n"));
    let e = load_in(&dir, "include missing.conf\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Fatal error, can't open config file 'missing.conf': No such file or directory\n"
    );
    let e = load_in(&dir, "rename-command FLUSHALL \"\"\n").unwrap_err();
    assert!(e.to_string().contains("rename-command is not supported"));
}

#[tokio::test]
async fn config_get_patterns_and_names() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "MaxMemory"]).await,
        "*2\r\n$9\r\nMaxMemory\r\n$1\r\n0\r\n"
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "slaveof"]).await,
        "*2\r\n$7\r\nslaveof\r\n$0\r\n\r\n"
    );
    let r = c.cmd_str(&["CONFIG", "GET", "*max*-entries"]).await;
    assert!(r.starts_with("*"), "{r}");
    for name in [
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        "zset-max-listpack-entries",
        "stream-node-max-entries",
    ] {
        assert!(r.contains(name), "{name} missing from {r}");
    }
    let all = c.cmd_str(&["CONFIG", "GET", "*"]).await;
    assert!(
        all.starts_with("*384\r\n"),
        "192 pairs like redis-server: {}",
        &all[..10]
    );
    assert!(
        !all.contains("use-exit-on-panic"),
        "hidden directives need their exact name"
    );
    srv.stop().await;
}

#[tokio::test]
async fn config_set_takes_effect() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "maxmemory", "2mb"]).await,
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "maxmemory"]).await,
        "*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n"
    );
    assert_eq!(
        c.cmd_str(&[
            "CONFIG",
            "SET",
            "timeout",
            "7",
            "hz",
            "100",
            "slowlog-max-len",
            "3"
        ])
        .await,
        "+OK\r\n"
    );
    {
        let s = srv.srv.config.read();
        assert_eq!((s.timeout, s.hz, s.slowlog_max_len), (7, 100, 3));
    }
    // requirepass switches authentication on for new connections at once.
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "requirepass", "pw"]).await,
        "+OK\r\n"
    );
    let mut other = srv.client().await;
    assert_eq!(
        other.cmd_str(&["PING"]).await,
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "requirepass", ""]).await,
        "+OK\r\n"
    );
    assert_eq!(other.cmd_str(&["PING"]).await, "+PONG\r\n");
    srv.stop().await;
}

#[tokio::test]
async fn maxclients_applies_to_new_connections() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    assert_eq!(
        c.cmd_str(&["CONFIG", "SET", "maxclients", "1"]).await,
        "+OK\r\n"
    );
    let mut other = srv.client().await;
    let got = other.read_to_close().await;
    assert_eq!(got, b"-ERR max number of clients reached\r\n");
    srv.stop().await;
}

#[tokio::test]
async fn failed_multi_set_changes_nothing() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    let r = c
        .cmd_str(&[
            "CONFIG",
            "SET",
            "timeout",
            "9",
            "maxmemory",
            "1mb",
            "hz",
            "abc",
        ])
        .await;
    assert_eq!(
        r,
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n"
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "timeout"]).await,
        "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
    assert_eq!(
        c.cmd_str(&["CONFIG", "GET", "maxmemory"]).await,
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    let r = c
        .cmd_str(&["CONFIG", "SET", "timeout", "9", "databases", "2"])
        .await;
    assert_eq!(
        r,
        "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n"
    );
    assert_eq!(srv.srv.config.read().timeout, 0);
    srv.stop().await;
}

#[tokio::test]
async fn resetstat_zeroes_counters() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    c.cmd_str(&["PING"]).await;
    assert!(srv.srv.stats.total_commands() > 0);
    assert_eq!(c.cmd_str(&["CONFIG", "RESETSTAT"]).await, "+OK\r\n");
    // CONFIG RESETSTAT itself is counted after the reset.
    assert_eq!(srv.srv.stats.total_commands(), 1);
    srv.stop().await;
}

#[tokio::test]
async fn rewrite_updates_the_file_and_reads_back() {
    let dir = TempDir::new("rewrite");
    let original = "# Herald test config\n\
                    timeout 5\n\
                    # keep me\n\
                    maxmemory 1mb\n\
                    save 900 1\n\
                    save 300 10\n";
    let path = dir.write("redis.conf", original);
    let loaded = load_in(&dir, original).expect("valid config");
    let srv = TestServer::with(|s| {
        let (bind, port) = (s.bind.clone(), s.port);
        *s = loaded;
        s.bind = bind;
        s.port = port;
        s.config_file = Some(path.to_string_lossy().into_owned());
    })
    .await;
    let mut c = srv.client().await;
    assert_eq!(
        c.cmd_str(&[
            "CONFIG",
            "SET",
            "maxmemory",
            "3mb",
            "timeout",
            "0",
            "appendfsync",
            "always"
        ])
        .await,
        "+OK\r\n"
    );
    assert_eq!(c.cmd_str(&["CONFIG", "REWRITE"]).await, "+OK\r\n");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(
            "# Herald test config\ntimeout 0\n# keep me\nmaxmemory 3mb\nsave 900 1\nsave 300 10\n"
        ),
        "{text}"
    );
    assert!(text.contains("# Generated by CONFIG REWRITE\n"), "{text}");
    assert!(text.contains("\nappendfsync always\n"), "{text}");
    assert!(text.contains("\nbind 127.0.0.1\n"), "{text}");

    // A fresh parse of the rewritten file gives the running configuration back.
    let mut l = Loader::new(Settings::default());
    l.load_main(path.to_str(), None, Some(""))
        .expect("rewritten file parses");
    let again = l.settings;
    let live = srv.srv.config.read().clone();
    for d in herald::config::DIRECTIVES {
        assert_eq!(again.get(d.name), live.get(d.name), "{}", d.name);
    }
    srv.stop().await;
}

#[tokio::test]
async fn rewrite_without_config_file() {
    let srv = TestServer::start().await;
    let mut c = srv.client().await;
    assert_eq!(
        c.cmd_str(&["CONFIG", "REWRITE"]).await,
        "-ERR The server is running without a config file\r\n"
    );
    srv.stop().await;
}

#[test]
fn example_config_parses_and_covers_every_directive() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/redis.conf.example"))
        .expect("redis.conf.example exists");
    let mut l = Loader::new(Settings::default());
    l.load_string(&text).expect("the example parses");
    for d in herald::config::DIRECTIVES {
        if d.name == "replicaof" {
            continue; // only a comment: its default is "not a replica"
        }
        assert!(
            l.seen.contains(&d.name),
            "{} missing from the example",
            d.name
        );
        if d.name != "dir" {
            assert_eq!(l.settings.get(d.name), d.default, "{}", d.name);
        }
    }
}
