//! Configuration: the settings Herald acts on, read from the command line and redis.conf.
//!
//! `Settings` holds typed values for the directives Herald implements. It is behind a
//! `parking_lot::RwLock` in [`Config`]: readers copy what they need and release it at once; it is
//! never held across I/O or another lock.

use parking_lot::RwLock;

/// Typed settings Herald acts on.
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
    pub hz: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
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
            hz: 10,
        }
    }
}

/// The live configuration.
pub struct Config {
    /// Protects the settings; held only to copy values in or out.
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
