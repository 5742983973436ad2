//! Configuration: the settings Herald acts on, read from the command line and redis.conf, and
//! the registry behind CONFIG GET/SET/REWRITE.
//!
//! - [`registry`]: every Redis 7.0 directive (names, aliases, types, bounds, defaults, flags)
//!   and the parsing rules that turn arguments into normalized values, with Redis's errors.
//! - [`load`]: redis.conf parsing (`include`, quoting, repeated and multi-argument directives)
//!   and the `redis-server`-style command line.
//! - [`rewrite`]: CONFIG REWRITE, Redis's `rewriteConfig` (keep comments and order, replace
//!   changed lines, append new ones).
//!
//! [`Settings`] holds typed fields for the directives other modules read (`port`, `timeout`,
//! `hz`, ...) and the normalized text of every other directive, so CONFIG GET returns what
//! Redis would even for directives Herald does not act on. It sits behind a
//! `parking_lot::RwLock` in [`Config`]: readers copy what they need and release it at once; it
//! is never held across an `.await` or while taking another lock.

pub mod load;
pub mod registry;
pub mod rewrite;

use std::collections::HashMap;
use std::sync::OnceLock;

use parking_lot::RwLock;

pub use registry::{Directive, Entry, DIRECTIVES};

/// `client-output-buffer-limit` for one client class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: i64,
}

/// Index of the client classes in [`Settings::client_output_buffer_limit`].
pub const OBUF_NORMAL: usize = 0;
pub const OBUF_REPLICA: usize = 1;
pub const OBUF_PUBSUB: usize = 2;

/// Typed settings Herald acts on, plus the normalized value of every other directive.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: Vec<String>,
    pub port: u16,
    pub requirepass: Option<String>,
    pub databases: usize,
    pub maxclients: usize,
    /// Idle client timeout in seconds (0 = never).
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub protected_mode: bool,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    pub loglevel: String,
    pub logfile: String,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    /// Worker threads running connections (`io-threads`; 1, like Redis's single thread, unless
    /// configured).
    pub io_threads: usize,
    /// Already clamped to 1..=500, as Redis does.
    pub hz: u32,
    /// Absolute working directory (`dir`); the process changes into it at startup.
    pub dir: String,
    /// Absolute path of the config file the server was started with (CONFIG REWRITE, INFO).
    pub config_file: Option<String>,
    pub appendonly: bool,
    /// `everysec`, `always` or `no`.
    pub appendfsync: String,
    pub appendfilename: String,
    pub appenddirname: String,
    /// Normal, replica, pubsub (see `OBUF_*`).
    pub client_output_buffer_limit: [ObufLimit; 3],
    /// `registry::NOTIFY_*` flags.
    pub notify_keyspace_events: u32,
    /// Normalized values of the directives without a typed field above, by canonical name.
    pub other: HashMap<&'static str, String>,
}

impl Default for Settings {
    fn default() -> Self {
        let obuf =
            registry::parse_obuf(lookup_default("client-output-buffer-limit").unwrap_or_default());
        let mut s = Settings {
            bind: vec!["*".into(), "-::*".into()],
            port: 6379,
            requirepass: None,
            databases: 16,
            maxclients: 10000,
            timeout: 0,
            tcp_keepalive: 300,
            protected_mode: true,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            loglevel: "notice".into(),
            logfile: String::new(),
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            io_threads: 1,
            hz: 10,
            dir: std::env::current_dir()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "/".into()),
            config_file: None,
            appendonly: true,
            appendfsync: "everysec".into(),
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            client_output_buffer_limit: obuf.map(|(hard, soft, soft_seconds)| ObufLimit {
                hard,
                soft,
                soft_seconds,
            }),
            notify_keyspace_events: 0,
            other: HashMap::new(),
        };
        for d in DIRECTIVES {
            if s.get_typed(d.name).is_none() {
                s.other.insert(d.name, d.default.to_string());
            }
        }
        s
    }
}

fn lookup_default(name: &str) -> Option<&'static str> {
    registry::lookup(name).map(|e| e.dir.default)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

impl Settings {
    /// The normalized value of a directive (by canonical name), as CONFIG GET shows it.
    pub fn get(&self, name: &str) -> String {
        self.get_typed(name)
            .or_else(|| self.other.get(name).cloned())
            .unwrap_or_default()
    }

    /// Stores a normalized value (produced by [`registry::normalize`]) for a canonical name.
    pub fn set_normalized(&mut self, name: &'static str, v: &str) {
        if !self.set_typed(name, v) {
            self.other.insert(name, v.to_string());
        }
    }

    fn get_typed(&self, name: &str) -> Option<String> {
        Some(match name {
            "bind" => self.bind.join(" "),
            "port" => self.port.to_string(),
            "requirepass" => self.requirepass.clone().unwrap_or_default(),
            "databases" => self.databases.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "timeout" => self.timeout.to_string(),
            "tcp-keepalive" => self.tcp_keepalive.to_string(),
            "protected-mode" => yes_no(self.protected_mode),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "loglevel" => self.loglevel.clone(),
            "logfile" => self.logfile.clone(),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "io-threads" => self.io_threads.to_string(),
            "hz" => self.hz.to_string(),
            "dir" => self.dir.clone(),
            "appendonly" => yes_no(self.appendonly),
            "appendfsync" => self.appendfsync.clone(),
            "appendfilename" => self.appendfilename.clone(),
            "appenddirname" => self.appenddirname.clone(),
            "client-output-buffer-limit" => registry::format_obuf(
                &self
                    .client_output_buffer_limit
                    .map(|l| (l.hard, l.soft, l.soft_seconds)),
            ),
            "notify-keyspace-events" => {
                registry::keyspace_events_to_string(self.notify_keyspace_events)
            }
            _ => return None,
        })
    }

    /// Parses an already validated normalized value into its typed field; false if the
    /// directive has none.
    fn set_typed(&mut self, name: &str, v: &str) -> bool {
        fn num<T: std::str::FromStr + Copy>(v: &str, old: T) -> T {
            v.parse().unwrap_or(old)
        }
        match name {
            "bind" => {
                self.bind = if v.is_empty() {
                    Vec::new()
                } else {
                    v.split(' ').map(str::to_string).collect()
                }
            }
            "port" => self.port = num(v, self.port),
            "requirepass" => {
                self.requirepass = if v.is_empty() {
                    None
                } else {
                    Some(v.to_string())
                }
            }
            "databases" => self.databases = num(v, self.databases),
            "maxclients" => self.maxclients = num(v, self.maxclients),
            "timeout" => self.timeout = num(v, self.timeout),
            "tcp-keepalive" => self.tcp_keepalive = num(v, self.tcp_keepalive),
            "protected-mode" => self.protected_mode = v == "yes",
            "proto-max-bulk-len" => self.proto_max_bulk_len = num(v, self.proto_max_bulk_len),
            "client-query-buffer-limit" => {
                self.client_query_buffer_limit = num(v, self.client_query_buffer_limit)
            }
            "loglevel" => self.loglevel = v.to_string(),
            "logfile" => self.logfile = v.to_string(),
            "slowlog-log-slower-than" => {
                self.slowlog_log_slower_than = num(v, self.slowlog_log_slower_than)
            }
            "slowlog-max-len" => self.slowlog_max_len = num(v, self.slowlog_max_len),
            "io-threads" => self.io_threads = num(v, self.io_threads),
            // Redis accepts any hz but clamps it to 1..=500 (updateHZ).
            "hz" => self.hz = num::<i64>(v, 10).clamp(1, 500) as u32,
            "dir" => self.dir = v.to_string(),
            "appendonly" => self.appendonly = v == "yes",
            "appendfsync" => self.appendfsync = v.to_string(),
            "appendfilename" => self.appendfilename = v.to_string(),
            "appenddirname" => self.appenddirname = v.to_string(),
            "client-output-buffer-limit" => {
                self.client_output_buffer_limit =
                    registry::parse_obuf(v).map(|(hard, soft, soft_seconds)| ObufLimit {
                        hard,
                        soft,
                        soft_seconds,
                    })
            }
            "notify-keyspace-events" => {
                self.notify_keyspace_events = registry::keyspace_events_from_str(v).unwrap_or(0)
            }
            _ => return false,
        }
        true
    }
}

/// The live configuration.
pub struct Config {
    /// Protects the settings; held only to copy values in or out (CONFIG SET holds the write
    /// side while it validates and swaps in a new copy).
    inner: RwLock<Settings>,
}

impl Config {
    pub fn new(s: Settings) -> Self {
        Config {
            inner: RwLock::new(s),
        }
    }

    pub fn read(&self) -> parking_lot::RwLockReadGuard<'_, Settings> {
        self.inner.read()
    }

    pub fn write(&self) -> parking_lot::RwLockWriteGuard<'_, Settings> {
        self.inner.write()
    }
}

/// Redis's glob matching (`stringmatchlen`), shared with KEYS/SCAN and pub/sub patterns.
pub(crate) fn glob_match(p: &[u8], s: &[u8], nocase: bool) -> bool {
    crate::glob::matches(p, s, nocase)
}

/// Maps a Redis `loglevel` to the tracing level filter Herald logs at.
pub fn log_filter(loglevel: &str) -> tracing::level_filters::LevelFilter {
    use tracing::level_filters::LevelFilter;
    match loglevel {
        "debug" => LevelFilter::TRACE,
        "verbose" => LevelFilter::DEBUG,
        "warning" => LevelFilter::WARN,
        _ => LevelFilter::INFO,
    }
}

type LogHook = Box<dyn Fn(&str) + Send + Sync>;

static LOG_HOOK: OnceLock<LogHook> = OnceLock::new();

/// Registers how to change the log level at run time (main.rs installs the subscriber).
pub fn set_log_hook(f: LogHook) {
    let _ = LOG_HOOK.set(f);
}

/// Applies a new `loglevel` to the installed subscriber, if there is one.
pub fn apply_loglevel(level: &str) {
    if let Some(f) = LOG_HOOK.get() {
        f(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_registry() {
        let s = Settings::default();
        for d in DIRECTIVES {
            if d.name == "dir" {
                continue;
            }
            assert_eq!(s.get(d.name), d.default, "{}", d.name);
        }
    }

    #[test]
    fn glob() {
        assert!(glob_match(b"*max*", b"maxmemory", false));
        assert!(glob_match(b"MAX?EMORY", b"maxmemory", true));
        assert!(!glob_match(b"MAX?EMORY", b"maxmemory", false));
        assert!(glob_match(b"[a-c]ind", b"bind", false));
        assert!(glob_match(b"[^x]ind", b"bind", false));
        assert!(!glob_match(b"[^b]ind", b"bind", false));
        assert!(glob_match(b"a\\*", b"a*", false));
        assert!(!glob_match(b"a*b", b"aXc", false));
        // As Redis's stringmatchlen: `*` needs at least one character.
        assert!(!glob_match(b"*", b"", false));
    }

    #[test]
    fn typed_fields_round_trip() {
        let mut s = Settings::default();
        s.set_normalized("requirepass", "pw");
        assert_eq!(s.requirepass.as_deref(), Some("pw"));
        s.set_normalized("hz", "1000");
        assert_eq!(s.get("hz"), "500");
        s.set_normalized("bind", "");
        assert!(s.bind.is_empty());
        s.set_normalized("notify-keyspace-events", "AKE");
        assert_eq!(s.get("notify-keyspace-events"), "AKE");
        s.set_normalized("maxmemory", "5");
        assert_eq!(s.get("maxmemory"), "5");
    }
}
