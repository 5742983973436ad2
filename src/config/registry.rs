//! The directive registry: every configuration directive of Redis 7.0, with its aliases, type,
//! bounds, default, flags, and whether Herald acts on it.
//!
//! Values travel as their *normalized* text, the exact string `CONFIG GET` returns (memory
//! `1gb` becomes `1073741824`, booleans `yes`/`no`, enums their canonical name). [`normalize`]
//! turns the arguments of a config-file line or of `CONFIG SET` into that text, applying Redis's
//! parsing rules and error texts (`src/config.c`'s `standardConfig` table and type interfaces);
//! [`crate::config::Settings`] stores it, typed for the directives Herald implements.

use std::borrow::Cow;
use std::path::Path;

/// Can only be set at startup.
pub const IMMUTABLE: u8 = 1;
/// Not matched by `CONFIG GET` patterns, only by its exact name.
pub const HIDDEN: u8 = 2;
/// Takes several arguments (`save 900 1 300 10`); `CONFIG SET` splits its value on spaces.
pub const MULTI_ARG: u8 = 4;
/// `CONFIG SET` needs `enable-protected-configs`.
pub const PROTECTED: u8 = 8;
/// Herald acts on this directive (others are stored, returned and rewritten, with no effect).
pub const HERALD: u8 = 16;

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// `ULLONG_MAX` stored in a `long long`, as Redis's table does; unsigned checks cast it back.
const ULLONG_MAX: i64 = -1;
const MB: i64 = 1024 * 1024;

/// How a number is written and parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFmt {
    Int,
    /// `1gb`, `64mb`, `100k` ... (Redis's `memtoull`).
    Memory,
    /// A memory value or `N%` (stored negative, as Redis does).
    MemoryPercent,
    Octal,
}

/// Redis's special-cased directives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyPercentiles,
}

/// A validity check for a string value, returning Redis's error text.
pub type Check = fn(&str) -> Result<(), &'static str>;

/// A directive's value type.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    /// Names and values; several names may share a value (the first is canonical).
    Enum(&'static [(&'static str, u32)]),
    /// A set of flags given as several names (`shutdown-on-sigterm save now`); 0 is `default`.
    EnumFlags(&'static [(&'static str, u32)]),
    /// `unsigned`: bounds are checked on the value cast to u64 (Redis's unsigned C types).
    Num {
        min: i64,
        max: i64,
        fmt: NumFmt,
        unsigned: bool,
    },
    /// `null_if_empty`: an empty value means "not set" (no line on CONFIG REWRITE).
    Str {
        null_if_empty: bool,
        check: Option<Check>,
    },
    Special(Special),
}

/// One row of the registry.
#[derive(Debug)]
pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u8,
    pub kind: Kind,
    /// The normalized default (what CONFIG GET shows on a fresh server).
    pub default: &'static str,
}

impl Directive {
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

const fn d(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    kind: Kind,
    default: &'static str,
) -> Directive {
    Directive {
        name,
        alias,
        flags,
        kind,
        default,
    }
}

const fn b(name: &'static str, alias: Option<&'static str>, flags: u8, def: bool) -> Directive {
    d(
        name,
        alias,
        flags,
        Kind::Bool,
        if def { "yes" } else { "no" },
    )
}

const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i64,
    max: i64,
    def: &'static str,
) -> Directive {
    num(name, alias, flags, min, max, NumFmt::Int, false, def)
}

#[allow(clippy::too_many_arguments)]
const fn num(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i64,
    max: i64,
    fmt: NumFmt,
    unsigned: bool,
    def: &'static str,
) -> Directive {
    d(
        name,
        alias,
        flags,
        Kind::Num {
            min,
            max,
            fmt,
            unsigned,
        },
        def,
    )
}

const fn s(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    null_if_empty: bool,
    def: &'static str,
) -> Directive {
    d(
        name,
        alias,
        flags,
        Kind::Str {
            null_if_empty,
            check: None,
        },
        def,
    )
}

const fn sc(name: &'static str, flags: u8, def: &'static str, check: Check) -> Directive {
    d(
        name,
        None,
        flags,
        Kind::Str {
            null_if_empty: def.is_empty(),
            check: Some(check),
        },
        def,
    )
}

const fn e(
    name: &'static str,
    flags: u8,
    values: &'static [(&'static str, u32)],
    def: &'static str,
) -> Directive {
    d(name, None, flags, Kind::Enum(values), def)
}

const fn sp(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    which: Special,
    def: &'static str,
) -> Directive {
    d(name, alias, flags, Kind::Special(which), def)
}

const I: u8 = IMMUTABLE;
const M: u8 = 0;
const H: u8 = HERALD;

const LOGLEVELS: &[(&str, u32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const SHUTDOWN_FLAGS: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// Every Redis 7.0 directive (as built with TLS, like Debian's redis-server), in `config.c`
/// order.
pub static DIRECTIVES: &[Directive] = &[
    // Booleans
    b("rdbchecksum", None, I, true),
    b("daemonize", None, I, false),
    b("io-threads-do-reads", None, I, false),
    b("always-show-logo", None, I, false),
    b("protected-mode", None, M | H, true),
    b("rdbcompression", None, M, true),
    b("rdb-del-sync-files", None, M, false),
    b("activerehashing", None, M, true),
    b("stop-writes-on-bgsave-error", None, M, true),
    b("set-proc-title", None, I, true),
    b("dynamic-hz", None, M, true),
    b("lazyfree-lazy-eviction", None, M, false),
    b("lazyfree-lazy-expire", None, M, false),
    b("lazyfree-lazy-server-del", None, M, false),
    b("lazyfree-lazy-user-del", None, M, false),
    b("lazyfree-lazy-user-flush", None, M, false),
    b("repl-disable-tcp-nodelay", None, M, false),
    b("repl-diskless-sync", None, M, true),
    b("aof-rewrite-incremental-fsync", None, M, true),
    b("no-appendfsync-on-rewrite", None, M, false),
    b("cluster-require-full-coverage", None, M, true),
    b("rdb-save-incremental-fsync", None, M, true),
    b("aof-load-truncated", None, H, true),
    b("aof-use-rdb-preamble", None, M, true),
    b("aof-timestamp-enabled", None, H, false),
    b(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        M,
        false,
    ),
    b("replica-lazy-flush", Some("slave-lazy-flush"), M, false),
    b(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        M,
        true,
    ),
    b("replica-read-only", Some("slave-read-only"), M, true),
    b(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        M,
        true,
    ),
    b("jemalloc-bg-thread", None, M, true),
    b("activedefrag", None, M, false),
    b("syslog-enabled", None, I, false),
    b("cluster-enabled", None, I, false),
    // Herald logs by default (Redis: no): a broker must not lose its queues on restart.
    b("appendonly", None, H, true),
    b("cluster-allow-reads-when-down", None, M, false),
    b("cluster-allow-pubsubshard-when-down", None, M, true),
    b("crash-log-enabled", None, M, true),
    b("crash-memcheck-enabled", None, M, true),
    b("use-exit-on-panic", None, M | HIDDEN, false),
    b("disable-thp", None, I, true),
    b("cluster-allow-replica-migration", None, M, true),
    b("replica-announced", None, M, true),
    b("latency-tracking", None, M, true),
    b("aof-disable-auto-gc", None, M, false),
    b("replica-ignore-disk-write-errors", None, M, false),
    // Strings
    s("aclfile", None, I, false, ""),
    s("unixsocket", None, I, true, ""),
    s("pidfile", None, I, true, ""),
    s(
        "replica-announce-ip",
        Some("slave-announce-ip"),
        M,
        true,
        "",
    ),
    s("masteruser", None, M, true, ""),
    s("cluster-announce-ip", None, M, true, ""),
    s("cluster-config-file", None, I, false, "nodes.conf"),
    sc("cluster-announce-hostname", M, "", check_hostname),
    s("syslog-ident", None, I, false, "redis"),
    sc("dbfilename", M | PROTECTED, "dump.rdb", check_dbfilename),
    sc(
        "appendfilename",
        I | H,
        "appendonly.aof",
        check_aof_filename,
    ),
    sc("appenddirname", I | H, "appendonlydir", check_aof_dirname),
    s("server_cpulist", None, I, true, ""),
    s("bio_cpulist", None, I, true, ""),
    s("aof_rewrite_cpulist", None, I, true, ""),
    s("bgsave_cpulist", None, I, true, ""),
    s("ignore-warnings", None, M, false, ""),
    sc(
        "proc-title-template",
        M,
        "{title} {listen-addr} {server-mode}",
        check_proc_title,
    ),
    s("bind-source-addr", None, M, true, ""),
    s("logfile", None, I | H, false, ""),
    s("masterauth", None, M, true, ""),
    s("requirepass", None, M | H, true, ""),
    // Enums
    e(
        "supervised",
        I,
        &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)],
        "no",
    ),
    e(
        "syslog-facility",
        I,
        &[
            ("user", 8),
            ("local0", 128),
            ("local1", 136),
            ("local2", 144),
            ("local3", 152),
            ("local4", 160),
            ("local5", 168),
            ("local6", 176),
            ("local7", 184),
        ],
        "local0",
    ),
    e(
        "repl-diskless-load",
        M,
        &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)],
        "disabled",
    ),
    e("loglevel", M | H, LOGLEVELS, "notice"),
    e(
        "maxmemory-policy",
        M,
        &[
            ("volatile-lru", 0),
            ("volatile-lfu", 1),
            ("volatile-random", 2),
            ("volatile-ttl", 3),
            ("allkeys-lru", 4),
            ("allkeys-lfu", 5),
            ("allkeys-random", 6),
            ("noeviction", 7),
        ],
        "noeviction",
    ),
    e(
        "appendfsync",
        H,
        &[("everysec", 1), ("always", 2), ("no", 0)],
        "everysec",
    ),
    e(
        "oom-score-adj",
        M,
        &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)],
        "no",
    ),
    e(
        "acl-pubsub-default",
        M,
        &[("allchannels", 1), ("resetchannels", 0)],
        "resetchannels",
    ),
    e(
        "sanitize-dump-payload",
        M,
        &[("no", 0), ("yes", 1), ("clients", 2)],
        "no",
    ),
    e("enable-protected-configs", I, PROTECTED_ACTION, "no"),
    e("enable-debug-command", I, PROTECTED_ACTION, "no"),
    e("enable-module-command", I, PROTECTED_ACTION, "no"),
    e(
        "cluster-preferred-endpoint-type",
        M,
        &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)],
        "ip",
    ),
    e(
        "propagation-error-behavior",
        M,
        &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)],
        "ignore",
    ),
    d(
        "shutdown-on-sigint",
        None,
        M | MULTI_ARG,
        Kind::EnumFlags(SHUTDOWN_FLAGS),
        "default",
    ),
    d(
        "shutdown-on-sigterm",
        None,
        M | MULTI_ARG,
        Kind::EnumFlags(SHUTDOWN_FLAGS),
        "default",
    ),
    // Integers
    int("databases", None, I | H, 1, INT_MAX, "16"),
    int("port", None, M | H, 0, 65535, "6379"),
    int("io-threads", None, I | H, 1, 128, "1"),
    int("auto-aof-rewrite-percentage", None, H, 0, INT_MAX, "100"),
    int(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        M,
        0,
        INT_MAX,
        "10",
    ),
    int(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        M,
        INT_MIN,
        INT_MAX,
        "-2",
    ),
    int("tcp-keepalive", None, M | H, 0, INT_MAX, "300"),
    int("cluster-migration-barrier", None, M, 0, INT_MAX, "1"),
    int("active-defrag-cycle-min", None, M, 1, 99, "1"),
    int("active-defrag-cycle-max", None, M, 1, 99, "25"),
    int("active-defrag-threshold-lower", None, M, 0, 1000, "10"),
    int("active-defrag-threshold-upper", None, M, 0, 1000, "100"),
    int("lfu-log-factor", None, M, 0, INT_MAX, "10"),
    int("lfu-decay-time", None, M, 0, INT_MAX, "1"),
    int(
        "replica-priority",
        Some("slave-priority"),
        M,
        0,
        INT_MAX,
        "100",
    ),
    int("repl-diskless-sync-delay", None, M, 0, INT_MAX, "5"),
    int("maxmemory-samples", None, M, 1, INT_MAX, "5"),
    int("maxmemory-eviction-tenacity", None, M, 0, 100, "10"),
    int("timeout", None, M | H, 0, INT_MAX, "0"),
    int(
        "replica-announce-port",
        Some("slave-announce-port"),
        M,
        0,
        65535,
        "0",
    ),
    int("tcp-backlog", None, I, 0, INT_MAX, "511"),
    int("cluster-port", None, I, 0, 65535, "0"),
    int("cluster-announce-bus-port", None, M, 0, 65535, "0"),
    int("cluster-announce-port", None, M, 0, 65535, "0"),
    int("cluster-announce-tls-port", None, M, 0, 65535, "0"),
    int("repl-timeout", None, M, 1, INT_MAX, "60"),
    int(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        M,
        1,
        INT_MAX,
        "10",
    ),
    int("list-compress-depth", None, M, 0, INT_MAX, "0"),
    int(
        "rdb-key-save-delay",
        None,
        M | HIDDEN,
        INT_MIN,
        INT_MAX,
        "0",
    ),
    int("key-load-delay", None, M | HIDDEN, INT_MIN, INT_MAX, "0"),
    int("active-expire-effort", None, M, 1, 10, "1"),
    int("hz", None, M | H, 0, INT_MAX, "10"),
    int(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        M,
        0,
        INT_MAX,
        "0",
    ),
    int(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        M,
        0,
        INT_MAX,
        "10",
    ),
    int("watchdog-period", None, M | HIDDEN, 0, INT_MAX, "0"),
    int("shutdown-timeout", None, M, 0, INT_MAX, "10"),
    int("repl-diskless-sync-max-replicas", None, M, 0, INT_MAX, "0"),
    // Unsigned int
    num(
        "maxclients",
        None,
        M | H,
        1,
        UINT_MAX,
        NumFmt::Int,
        true,
        "10000",
    ),
    num(
        "unixsocketperm",
        None,
        I,
        0,
        0o777,
        NumFmt::Octal,
        true,
        "0",
    ),
    num(
        "socket-mark-id",
        None,
        I,
        0,
        UINT_MAX,
        NumFmt::Int,
        true,
        "0",
    ),
    // Unsigned long (checked as signed, as Redis does)
    int(
        "active-defrag-max-scan-fields",
        None,
        M,
        1,
        LONG_MAX,
        "1000",
    ),
    int("slowlog-max-len", None, M | H, 0, LONG_MAX, "128"),
    int("acllog-max-len", None, M, 0, LONG_MAX, "128"),
    // Long long
    int(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        M | H,
        0,
        LONG_MAX,
        "5000",
    ),
    int("cluster-node-timeout", None, M, 0, LONG_MAX, "15000"),
    int(
        "slowlog-log-slower-than",
        None,
        M | H,
        -1,
        LONG_MAX,
        "10000",
    ),
    int("latency-monitor-threshold", None, M, 0, LONG_MAX, "0"),
    num(
        "proto-max-bulk-len",
        None,
        M | H,
        MB,
        LONG_MAX,
        NumFmt::Memory,
        false,
        "536870912",
    ),
    int("stream-node-max-entries", None, M, 0, LONG_MAX, "100"),
    num(
        "repl-backlog-size",
        None,
        M,
        1,
        LONG_MAX,
        NumFmt::Memory,
        false,
        "1048576",
    ),
    // Unsigned long long
    num(
        "maxmemory",
        None,
        M,
        0,
        ULLONG_MAX,
        NumFmt::Memory,
        true,
        "0",
    ),
    num(
        "cluster-link-sendbuf-limit",
        None,
        M,
        0,
        ULLONG_MAX,
        NumFmt::Memory,
        true,
        "0",
    ),
    // size_t (unsigned)
    num(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        M,
        0,
        LONG_MAX,
        NumFmt::Int,
        true,
        "512",
    ),
    num(
        "set-max-intset-entries",
        None,
        M,
        0,
        LONG_MAX,
        NumFmt::Int,
        true,
        "512",
    ),
    num(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        M,
        0,
        LONG_MAX,
        NumFmt::Int,
        true,
        "128",
    ),
    num(
        "active-defrag-ignore-bytes",
        None,
        M,
        1,
        LONG_MAX,
        NumFmt::Memory,
        true,
        "104857600",
    ),
    num(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        M,
        0,
        LONG_MAX,
        NumFmt::Memory,
        true,
        "64",
    ),
    num(
        "stream-node-max-bytes",
        None,
        M,
        0,
        LONG_MAX,
        NumFmt::Memory,
        true,
        "4096",
    ),
    num(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        M,
        0,
        LONG_MAX,
        NumFmt::Memory,
        true,
        "64",
    ),
    num(
        "hll-sparse-max-bytes",
        None,
        M,
        0,
        LONG_MAX,
        NumFmt::Memory,
        true,
        "3000",
    ),
    num(
        "tracking-table-max-keys",
        None,
        M,
        0,
        LONG_MAX,
        NumFmt::Int,
        true,
        "1000000",
    ),
    num(
        "client-query-buffer-limit",
        None,
        M | H,
        MB,
        LONG_MAX,
        NumFmt::Memory,
        true,
        "1073741824",
    ),
    // ssize_t
    num(
        "maxmemory-clients",
        None,
        M,
        -100,
        LONG_MAX,
        NumFmt::MemoryPercent,
        false,
        "0",
    ),
    // time_t, off_t
    int("repl-backlog-ttl", None, M, 0, LONG_MAX, "3600"),
    num(
        "auto-aof-rewrite-min-size",
        None,
        H,
        0,
        LONG_MAX,
        NumFmt::Memory,
        false,
        "67108864",
    ),
    int(
        "loading-process-events-interval-bytes",
        None,
        M | HIDDEN,
        1024,
        INT_MAX,
        "2097152",
    ),
    // TLS (Debian's redis-server is built with it)
    int("tls-port", None, M, 0, 65535, "0"),
    int("tls-session-cache-size", None, M, 0, INT_MAX, "20480"),
    int("tls-session-cache-timeout", None, M, 0, INT_MAX, "300"),
    b("tls-cluster", None, M, false),
    b("tls-replication", None, M, false),
    e(
        "tls-auth-clients",
        M,
        &[("no", 0), ("yes", 1), ("optional", 2)],
        "yes",
    ),
    b("tls-prefer-server-ciphers", None, M, false),
    b("tls-session-caching", None, M, true),
    s("tls-cert-file", None, M, true, ""),
    s("tls-key-file", None, M, true, ""),
    s("tls-key-file-pass", None, M, true, ""),
    s("tls-client-cert-file", None, M, true, ""),
    s("tls-client-key-file", None, M, true, ""),
    s("tls-client-key-file-pass", None, M, true, ""),
    s("tls-dh-params-file", None, M, true, ""),
    s("tls-ca-cert-file", None, M, true, ""),
    s("tls-ca-cert-dir", None, M, true, ""),
    s("tls-protocols", None, M, true, ""),
    s("tls-ciphers", None, M, true, ""),
    s("tls-ciphersuites", None, M, true, ""),
    // Special
    sp("dir", None, M | PROTECTED | H, Special::Dir, ""),
    sp(
        "save",
        None,
        M | MULTI_ARG,
        Special::Save,
        "3600 1 300 100 60 10000",
    ),
    sp(
        "client-output-buffer-limit",
        None,
        M | MULTI_ARG | H,
        Special::ClientOutputBufferLimit,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    sp(
        "oom-score-adj-values",
        None,
        M | MULTI_ARG,
        Special::OomScoreAdjValues,
        "0 200 800",
    ),
    sp(
        "notify-keyspace-events",
        None,
        M | H,
        Special::NotifyKeyspaceEvents,
        "",
    ),
    sp("bind", None, M | MULTI_ARG | H, Special::Bind, "* -::*"),
    sp(
        "replicaof",
        Some("slaveof"),
        I | MULTI_ARG,
        Special::ReplicaOf,
        "",
    ),
    sp(
        "latency-tracking-info-percentiles",
        None,
        M | MULTI_ARG,
        Special::LatencyPercentiles,
        "50 99 99.9",
    ),
];

/// A directive looked up by one of its names. Redis registers an alias as a separate entry
/// (so errors name the alias, and `CONFIG SET a 1 alias-of-a 2` is not a duplicate).
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub dir: &'static Directive,
    /// The name this entry is registered under (the directive's name or its alias).
    pub name: &'static str,
}

impl Entry {
    pub fn is_alias(&self) -> bool {
        self.name != self.dir.name
    }
}

impl PartialEq for Entry {
    fn eq(&self, o: &Entry) -> bool {
        std::ptr::eq(self.dir, o.dir) && self.name == o.name
    }
}

/// Looks a directive up by name or alias, case-insensitively (hidden ones included).
pub fn lookup(name: &str) -> Option<Entry> {
    DIRECTIVES.iter().find_map(|dir| {
        if dir.name.eq_ignore_ascii_case(name) {
            Some(Entry {
                dir,
                name: dir.name,
            })
        } else {
            dir.alias
                .filter(|a| a.eq_ignore_ascii_case(name))
                .map(|a| Entry { dir, name: a })
        }
    })
}

/// Every registered entry: each directive, then its alias.
pub fn entries() -> impl Iterator<Item = Entry> {
    DIRECTIVES.iter().flat_map(|dir| {
        std::iter::once(Entry {
            dir,
            name: dir.name,
        })
        .chain(dir.alias.map(|a| Entry { dir, name: a }))
    })
}

pub type SetError = Cow<'static, str>;

/// Parses the arguments given to a directive into its normalized value, with Redis's errors.
/// `current` is the directive's present normalized value (needed by directives that update part
/// of their value, like `client-output-buffer-limit`, and by relative `dir` paths).
pub fn normalize(dir: &Directive, args: &[String], current: &str) -> Result<String, SetError> {
    let one = || args.first().map(String::as_str).unwrap_or("");
    match dir.kind {
        Kind::Bool => {
            let v = one();
            let yes = if v.eq_ignore_ascii_case("yes") {
                true
            } else if v.eq_ignore_ascii_case("no") {
                false
            } else {
                return Err("argument must be 'yes' or 'no'".into());
            };
            if yes && dir.name == "activedefrag" {
                return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into());
            }
            Ok(if yes { "yes" } else { "no" }.into())
        }
        Kind::Enum(values) => {
            if args.len() != 1 {
                return Err(enum_error(values));
            }
            let v = enum_value(values, one()).ok_or_else(|| enum_error(values))?;
            Ok(enum_name(values, v).into())
        }
        Kind::EnumFlags(values) => {
            let mut flags = 0;
            if args.is_empty() {
                return Err(enum_error(values));
            }
            for a in args {
                flags |= enum_value(values, a).ok_or_else(|| enum_error(values))?;
            }
            if flags & 1 != 0 && flags & 2 != 0 {
                return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
            }
            Ok(enum_flags_string(values, flags))
        }
        Kind::Num {
            min,
            max,
            fmt,
            unsigned,
        } => {
            let v = parse_number(one(), fmt)?;
            check_bounds(v, min, max, fmt, unsigned)?;
            Ok(format_number(v, fmt))
        }
        Kind::Str { check, .. } => {
            let v = one();
            if let Some(check) = check {
                check(v).map_err(Cow::Borrowed)?;
            }
            Ok(v.to_string())
        }
        Kind::Special(sp) => normalize_special(sp, args, current),
    }
}

fn enum_value(values: &[(&str, u32)], name: &str) -> Option<u32> {
    values
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
}

fn enum_name(values: &'static [(&'static str, u32)], v: u32) -> &'static str {
    values
        .iter()
        .find(|&&(_, x)| x == v)
        .map_or("unknown", |&(n, _)| n)
}

fn enum_flags_string(values: &[(&str, u32)], flags: u32) -> String {
    if flags == 0 {
        return values
            .iter()
            .find(|&&(_, x)| x == 0)
            .map_or("", |&(n, _)| n)
            .to_string();
    }
    values
        .iter()
        .filter(|&&(_, x)| x != 0 && flags & x == x)
        .map(|&(n, _)| n)
        .collect::<Vec<_>>()
        .join(" ")
}

fn enum_error(values: &[(&str, u32)]) -> SetError {
    let names: Vec<&str> = values.iter().map(|&(n, _)| n).collect();
    let mut s = format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    );
    // Redis copies the text into a 256-byte buffer.
    s.truncate(255);
    Cow::Owned(s)
}

/// Redis's `numericParseString`.
fn parse_number(v: &str, fmt: NumFmt) -> Result<i64, SetError> {
    if matches!(fmt, NumFmt::Memory | NumFmt::MemoryPercent) {
        if let Some(m) = memtoull(v) {
            return Ok(m as i64);
        }
    }
    if fmt == NumFmt::MemoryPercent && v.len() > 1 {
        if let Some(p) = v
            .strip_suffix('%')
            .and_then(|n| crate::util::parse_i64(n.as_bytes()))
        {
            if p >= 0 {
                return Ok(-p);
            }
        }
    }
    match fmt {
        NumFmt::Octal => {
            let (n, end, overflow) = c_strtoll(v, 8);
            if !overflow && end == v.len() {
                return Ok(n);
            }
            Err("argument couldn't be parsed as an octal number".into())
        }
        NumFmt::Int => crate::util::parse_i64(v.as_bytes())
            .ok_or("argument couldn't be parsed into an integer".into()),
        NumFmt::Memory => Err("argument must be a memory value".into()),
        NumFmt::MemoryPercent => Err("argument must be a memory or percent value".into()),
    }
}

/// Redis's `numericBoundaryCheck`.
fn check_bounds(v: i64, min: i64, max: i64, fmt: NumFmt, unsigned: bool) -> Result<(), SetError> {
    if unsigned {
        let (u, lo, hi) = (v as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(Cow::Owned(if fmt == NumFmt::Octal {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            }));
        }
    } else if fmt == NumFmt::MemoryPercent && v < 0 {
        if v < min {
            return Err(Cow::Owned(format!(
                "percentage argument must be less or equal to {}",
                -min
            )));
        }
    } else if v > max || v < min {
        return Err(Cow::Owned(format!(
            "argument must be between {min} and {max} inclusive"
        )));
    }
    Ok(())
}

/// What CONFIG GET shows for a number (Redis's `numericConfigGet`).
fn format_number(v: i64, fmt: NumFmt) -> String {
    match fmt {
        NumFmt::MemoryPercent if v < 0 => format!("{}%", v.unsigned_abs()),
        NumFmt::Memory | NumFmt::MemoryPercent => (v as u64).to_string(),
        NumFmt::Octal => format!("{v:o}"),
        NumFmt::Int => v.to_string(),
    }
}

/// Redis's `memtoull`: digits followed by an optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`,
/// `gb`, case-insensitive). Like the C code, no digits at all parses as 0 and an overlong
/// digit string saturates before the unit is applied.
pub fn memtoull(p: &str) -> Option<u64> {
    if p.starts_with('-') {
        return None;
    }
    let digits = p.bytes().take_while(|c| c.is_ascii_digit()).count();
    let unit = &p[digits..];
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let val = p[..digits].bytes().fold(0u64, |acc, c| {
        acc.checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(c - b'0')))
            .unwrap_or(u64::MAX)
    });
    if val > u64::MAX / mul {
        return None;
    }
    Some(val * mul)
}

/// C's `strtoll`: leading white space, a sign, digits in `base`. Returns the value, the index
/// where parsing stopped (0 when there were no digits) and whether it overflowed (ERANGE).
pub fn c_strtoll(s: &str, base: u32) -> (i64, usize, bool) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut acc: i128 = 0;
    let mut overflow = false;
    while i < b.len() {
        let Some(dv) = (b[i] as char).to_digit(base) else {
            break;
        };
        acc = acc * i128::from(base) + i128::from(dv);
        if acc > i128::from(i64::MAX) + 1 {
            overflow = true;
            acc = i128::from(i64::MAX) + 1;
        }
        i += 1;
    }
    if i == start {
        return (0, 0, false);
    }
    let v = if neg { -acc } else { acc };
    if v > i128::from(i64::MAX) {
        return (i64::MAX, i, true);
    }
    if v < i128::from(i64::MIN) {
        return (i64::MIN, i, true);
    }
    (v as i64, i, overflow && v != i128::from(i64::MIN))
}

// Notify-keyspace-events flags (Redis's NOTIFY_*).
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
pub const NOTIFY_GENERIC: u32 = 1 << 2;
pub const NOTIFY_STRING: u32 = 1 << 3;
pub const NOTIFY_LIST: u32 = 1 << 4;
pub const NOTIFY_SET: u32 = 1 << 5;
pub const NOTIFY_HASH: u32 = 1 << 6;
pub const NOTIFY_ZSET: u32 = 1 << 7;
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
pub const NOTIFY_EVICTED: u32 = 1 << 9;
pub const NOTIFY_STREAM: u32 = 1 << 10;
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
pub const NOTIFY_MODULE: u32 = 1 << 13;
pub const NOTIFY_NEW: u32 = 1 << 14;
/// `A`: every class except key-miss and new-key events.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Redis's `keyspaceEventsStringToFlags`.
pub fn keyspace_events_from_str(s: &str) -> Option<u32> {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => NOTIFY_ALL,
            'g' => NOTIFY_GENERIC,
            '$' => NOTIFY_STRING,
            'l' => NOTIFY_LIST,
            's' => NOTIFY_SET,
            'h' => NOTIFY_HASH,
            'z' => NOTIFY_ZSET,
            'x' => NOTIFY_EXPIRED,
            'e' => NOTIFY_EVICTED,
            'K' => NOTIFY_KEYSPACE,
            'E' => NOTIFY_KEYEVENT,
            't' => NOTIFY_STREAM,
            'm' => NOTIFY_KEY_MISS,
            'd' => NOTIFY_MODULE,
            'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(f)
}

/// Redis's `keyspaceEventsFlagsToString`.
pub fn keyspace_events_to_string(f: u32) -> String {
    let mut s = String::new();
    if f & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

fn normalize_special(sp: Special, args: &[String], current: &str) -> Result<String, SetError> {
    match sp {
        Special::Dir => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            let base = Path::new(current);
            let p = base.join(&args[0]);
            let canon = std::fs::canonicalize(&p).map_err(|e| Cow::Owned(strerror(&e)))?;
            if !canon.is_dir() {
                return Err("Not a directory".into());
            }
            Ok(canon.to_string_lossy().into_owned())
        }
        Special::Save => {
            let args: &[String] = if args.len() == 1 && args[0].is_empty() {
                &[]
            } else {
                args
            };
            if args.len() % 2 == 1 {
                return Err("Invalid save parameters".into());
            }
            let mut out = Vec::new();
            for (j, a) in args.iter().enumerate() {
                let (v, end, _) = c_strtoll(a, 10);
                let rest_ok = end == a.len();
                if !rest_ok || (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
                    return Err("Invalid save parameters".into());
                }
                out.push(if j % 2 == 0 {
                    v.to_string()
                } else {
                    (v as i32).to_string()
                });
            }
            Ok(out.join(" "))
        }
        Special::ClientOutputBufferLimit => {
            const ERR: &str =
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            if !args.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut cur = parse_obuf(current);
            let mut newv = cur;
            for chunk in args.chunks(4) {
                let class = match chunk[0].to_ascii_lowercase().as_str() {
                    "normal" => 0,
                    "slave" | "replica" => 1,
                    "pubsub" => 2,
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let hard = memtoull(&chunk[1]).ok_or(ERR)?;
                let soft = memtoull(&chunk[2]).ok_or(ERR)?;
                let (secs, end, _) = c_strtoll(&chunk[3], 10);
                let secs = secs as i32;
                let consumed = end == chunk[3].len() || chunk[3].is_empty();
                if secs < 0 || !consumed {
                    return Err(ERR.into());
                }
                newv[class] = (hard, soft, i64::from(secs));
            }
            cur = newv;
            Ok(format_obuf(&cur))
        }
        Special::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut vals = Vec::new();
            for a in args {
                let (v, end, _) = c_strtoll(a, 10);
                let consumed = end == a.len() || a.is_empty();
                if !consumed || !(-2000..=2000).contains(&v) {
                    return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    );
                }
                vals.push(v.to_string());
            }
            Ok(vals.join(" "))
        }
        Special::NotifyKeyspaceEvents => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            let f = keyspace_events_from_str(&args[0])
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            Ok(keyspace_events_to_string(f))
        }
        Special::Bind => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            if args.len() == 1 && args[0].is_empty() {
                return Ok(String::new());
            }
            Ok(args.join(" "))
        }
        Special::ReplicaOf => {
            if args.len() != 2 {
                return Err("wrong number of arguments".into());
            }
            if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
                return Ok(String::new());
            }
            let (port, end, overflow) = c_strtoll(&args[1], 10);
            let consumed = end == args[1].len() || args[1].is_empty();
            if overflow || !consumed || !(0..=65535).contains(&port) {
                return Err("Invalid master port".into());
            }
            Ok(format!("{} {}", args[0], port))
        }
        Special::LatencyPercentiles => {
            if args.len() == 1 && args[0].is_empty() {
                return Ok(String::new());
            }
            let mut out = Vec::new();
            for a in args {
                let p = crate::util::parse_f64(a.as_bytes())
                    .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(
                        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                            .into(),
                    );
                }
                out.push(trim_double(&format!("{p:.6}")));
            }
            Ok(out.join(" "))
        }
    }
}

/// The value CONFIG SET leaves after its apply step: Redis resizes the replication backlog to
/// at least 16kb (`resizeReplicationBacklog`), which CONFIG GET then shows.
pub fn after_config_set(name: &str, v: String) -> String {
    const REPL_BACKLOG_MIN: u64 = 16 * 1024;
    if name == "repl-backlog-size" && v.parse::<u64>().is_ok_and(|n| n < REPL_BACKLOG_MIN) {
        return REPL_BACKLOG_MIN.to_string();
    }
    v
}

/// Redis's `trimDoubleString`: drops trailing zeros after the point, and the point itself.
fn trim_double(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// One class of `client-output-buffer-limit`: (hard bytes, soft bytes, soft seconds).
pub type ObufClass = (u64, u64, i64);

/// Parses the normalized `client-output-buffer-limit` value (normal, replica, pubsub).
pub fn parse_obuf(v: &str) -> [ObufClass; 3] {
    let mut out = [
        (0, 0, 0),
        (268435456, 67108864, 60),
        (33554432, 8388608, 60),
    ];
    let t: Vec<&str> = v.split(' ').collect();
    for chunk in t.chunks(4) {
        if let [class, h, s, secs] = chunk {
            let i = match *class {
                "normal" => 0,
                "slave" => 1,
                "pubsub" => 2,
                _ => continue,
            };
            out[i] = (
                h.parse().unwrap_or(out[i].0),
                s.parse().unwrap_or(out[i].1),
                secs.parse().unwrap_or(out[i].2),
            );
        }
    }
    out
}

pub fn format_obuf(v: &[ObufClass; 3]) -> String {
    let names = ["normal", "slave", "pubsub"];
    names
        .iter()
        .zip(v)
        .map(|(n, (h, s, t))| format!("{n} {h} {s} {t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The C library's text for an I/O error (`strerror`), without Rust's "(os error N)" suffix.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn check_hostname(v: &str) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

fn check_dbfilename(v: &str) -> Result<(), &'static str> {
    if v.contains('/') {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_aof_filename(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if v.contains('/') {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_aof_dirname(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if v.contains('/') {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// Redis's `validateProcTitleTemplate`: only known `{variables}`, balanced braces, and a
/// non-empty expansion (with an empty title).
fn check_proc_title(v: &str) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    const VARS: &[&str] = &[
        "title",
        "listen-addr",
        "server-mode",
        "port",
        "tls-port",
        "unixsocket",
        "config-file",
    ];
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("{{") {
            out.push('{');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("}}") {
            out.push('}');
            rest = t;
        } else if let Some(t) = tail.strip_prefix('}') {
            // A lone closing brace is literal text.
            out.push('}');
            rest = t;
        } else {
            let close = tail.find('}').ok_or(ERR)?;
            let var = &tail[1..close];
            if !VARS.contains(&var) {
                return Err(ERR);
            }
            // Expansions that are never empty on a running server.
            if matches!(var, "listen-addr" | "port" | "tls-port") {
                out.push('x');
            }
            rest = &tail[close + 1..];
        }
    }
    out.push_str(rest);
    if out.trim_matches(' ').is_empty() {
        return Err(ERR);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, v: &[&str]) -> Result<String, SetError> {
        let e = lookup(name).expect("known directive");
        let args: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        normalize(e.dir, &args, e.dir.default)
    }

    #[test]
    fn memory_units() {
        assert_eq!(memtoull("1gb"), Some(1 << 30));
        assert_eq!(memtoull("1G"), Some(1_000_000_000));
        assert_eq!(memtoull("10kb"), Some(10240));
        assert_eq!(memtoull("kb"), Some(0));
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("1 "), None);
        assert_eq!(memtoull("99999999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull("99999999999999999999999kb"), None);
    }

    #[test]
    fn normalized_values() {
        assert_eq!(set("maxmemory", &["1gb"]).unwrap(), "1073741824");
        assert_eq!(set("appendonly", &["YES"]).unwrap(), "yes");
        assert_eq!(set("oom-score-adj", &["relative"]).unwrap(), "yes");
        assert_eq!(set("maxmemory-clients", &["10%"]).unwrap(), "10%");
        assert_eq!(set("unixsocketperm", &["700"]).unwrap(), "700");
        assert_eq!(set("unixsocketperm", &[""]).unwrap(), "0");
        assert_eq!(
            set("save", &["900", "1", "300", "10"]).unwrap(),
            "900 1 300 10"
        );
        assert_eq!(set("save", &[""]).unwrap(), "");
        assert_eq!(set("notify-keyspace-events", &["KEA"]).unwrap(), "AKE");
        assert_eq!(
            set("shutdown-on-sigint", &["now", "default"]).unwrap(),
            "now"
        );
        assert_eq!(
            set(
                "latency-tracking-info-percentiles",
                &["1.50", "0.001", "100"]
            )
            .unwrap(),
            "1.5 0.001 100"
        );
        assert_eq!(
            set("client-output-buffer-limit", &["replica", "1mb", "2", "3"]).unwrap(),
            "normal 0 0 0 slave 1048576 2 3 pubsub 33554432 8388608 60"
        );
        assert_eq!(set("replicaof", &["no", "one"]).unwrap(), "");
        assert_eq!(set("replicaof", &["h", "+12"]).unwrap(), "h 12");
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(
            set("maxclients", &["-1"]).unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        assert_eq!(
            set("slowlog-max-len", &["-1"]).unwrap_err(),
            "argument must be between 0 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            set("maxmemory-clients", &["200%"]).unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            set("timeout", &[" 1"]).unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set("loglevel", &["x"]).unwrap_err(),
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        );
        assert_eq!(set("save", &["100", ""]).unwrap(), "100 0");
        assert!(set("save", &["100", "", "1"]).is_err());
        assert_eq!(
            set("proc-title-template", &["{server-mode}"]).unwrap_err(),
            "template format is invalid or contains unknown variables"
        );
        assert!(set("proc-title-template", &["{title} {listen-addr}"]).is_ok());
        assert!(set("proc-title-template", &["a}"]).is_ok());
    }

    #[test]
    fn lookup_is_case_insensitive_and_knows_aliases() {
        let e = lookup("SLAVEOF").unwrap();
        assert_eq!(e.dir.name, "replicaof");
        assert_eq!(e.name, "slaveof");
        assert!(lookup("lua-time-limit").unwrap().is_alias());
        assert!(lookup("no-such-thing").is_none());
        // Names are unique across names and aliases.
        let mut names: Vec<&str> = entries().map(|e| e.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
