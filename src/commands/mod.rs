//! The command table and dispatch.
//!
//! Every command is one [`CommandDef`] row, declared in the file that implements it (each
//! command file ends with a `COMMANDS` registration block, as kvrocks does), and collected here
//! into one immutable table. Everything generic reads that table before any command code runs:
//! lookup, the unknown-command and arity errors, authentication, which shards to lock (key
//! specs), statistics, `COMMAND INFO/DOCS/GETKEYS`, and later MULTI queueing, the AOF and ACLs.
//!
//! ```text
//! execute(argv)
//!   -> lookup (stack-lowercased name, then subcommand) -> arity -> NOAUTH check
//!   -> world lock (shared, or exclusive for Lock::World commands)
//!   -> lock the key shards in ascending order (Lock::Keys) -> handler -> statistics
//! ```
//! Handlers validate every argument before writing any reply bytes and return a [`CmdError`]
//! for anything wrong; dispatch renders it with Redis's exact text.

pub mod config;
pub mod connection;
pub mod hashes;
pub mod keyspace;
pub mod lists;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

use ahash::AHashMap as HashMap;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use smallvec::SmallVec;

use crate::client::Client;
use crate::protocol::Out;
use crate::server::Server;
use crate::store::Locked;

// ---------------------------------------------------------------------------------------------
// Errors

/// A command error: replied to the client, which stays connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// `ERR wrong number of arguments for '<name>' command`
    WrongArity(String),
    /// `ERR syntax error`
    Syntax,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// Any other error; the text starts with its code (`ERR ...`, `NOAUTH ...`).
    Msg(Cow<'static, str>),
}

impl CmdError {
    pub fn msg(s: impl Into<Cow<'static, str>>) -> Self {
        CmdError::Msg(s.into())
    }

    /// `ERR <text>`.
    pub fn err(text: impl std::fmt::Display) -> Self {
        CmdError::Msg(Cow::Owned(format!("ERR {text}")))
    }

    /// The wire text, without the leading `-`.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            CmdError::WrongArity(n) => {
                Cow::Owned(format!("ERR wrong number of arguments for '{n}' command"))
            }
            CmdError::Syntax => "ERR syntax error".into(),
            CmdError::NotInteger => "ERR value is not an integer or out of range".into(),
            CmdError::NotFloat => "ERR value is not a valid float".into(),
            CmdError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            CmdError::NoSuchKey => "ERR no such key".into(),
            CmdError::Overflow => "ERR increment or decrement would overflow".into(),
            CmdError::Msg(m) => Cow::Borrowed(m),
        }
    }
}

pub type CmdResult = Result<(), CmdError>;

// ---------------------------------------------------------------------------------------------
// The table

/// Command flags, as Redis's `CMD_*` (names and order as COMMAND INFO lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u32);

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }
}

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub const WRITE: Flags = Flags(1 << 0);
    pub const READONLY: Flags = Flags(1 << 1);
    pub const DENYOOM: Flags = Flags(1 << 2);
    pub const ADMIN: Flags = Flags(1 << 4);
    pub const PUBSUB: Flags = Flags(1 << 5);
    pub const NOSCRIPT: Flags = Flags(1 << 6);
    pub const BLOCKING: Flags = Flags(1 << 8);
    pub const LOADING: Flags = Flags(1 << 9);
    pub const STALE: Flags = Flags(1 << 10);
    pub const SKIP_MONITOR: Flags = Flags(1 << 11);
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 12);
    pub const FAST: Flags = Flags(1 << 14);
    pub const NO_AUTH: Flags = Flags(1 << 15);
    pub const MAY_REPLICATE: Flags = Flags(1 << 16);
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 19);
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 20);
    pub const NO_MULTI: Flags = Flags(1 << 22);
    pub const MOVABLE_KEYS: Flags = Flags(1 << 23);
    pub const ALLOW_BUSY: Flags = Flags(1 << 24);

    /// (flag, name) in the order Redis's `addReplyCommandFlags` emits them.
    pub const NAMES: &'static [(Flags, &'static str)] = &[
        (Flags::WRITE, "write"),
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::ADMIN, "admin"),
        (Flags::PUBSUB, "pubsub"),
        (Flags::NOSCRIPT, "noscript"),
        (Flags::BLOCKING, "blocking"),
        (Flags::LOADING, "loading"),
        (Flags::STALE, "stale"),
        (Flags::SKIP_MONITOR, "skip_monitor"),
        (Flags::SKIP_SLOWLOG, "skip_slowlog"),
        (Flags::FAST, "fast"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::MAY_REPLICATE, "may_replicate"),
        (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (Flags::NO_ASYNC_LOADING, "no_async_loading"),
        (Flags::NO_MULTI, "no_multi"),
        (Flags::MOVABLE_KEYS, "movablekeys"),
        (Flags::ALLOW_BUSY, "allow_busy"),
    ];

    /// `a.union(b)`: `|` for const contexts (table rows).
    pub const fn union(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }

    #[inline]
    pub const fn has(self, f: Flags) -> bool {
        self.0 & f.0 != 0
    }
}

/// ACL categories (Redis's `ACL_CATEGORY_*`), explicit ones as in `src/commands/*.json`; the
/// implicit ones (@write, @read, @fast, @slow, @admin, @dangerous, @pubsub, @blocking) are
/// derived from the flags by [`CommandDef::acl_categories`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acl(pub u32);

impl std::ops::BitOr for Acl {
    type Output = Acl;
    fn bitor(self, o: Acl) -> Acl {
        Acl(self.0 | o.0)
    }
}

impl Acl {
    pub const NONE: Acl = Acl(0);
    pub const KEYSPACE: Acl = Acl(1 << 0);
    pub const READ: Acl = Acl(1 << 1);
    pub const WRITE: Acl = Acl(1 << 2);
    pub const SET: Acl = Acl(1 << 3);
    pub const SORTEDSET: Acl = Acl(1 << 4);
    pub const LIST: Acl = Acl(1 << 5);
    pub const HASH: Acl = Acl(1 << 6);
    pub const STRING: Acl = Acl(1 << 7);
    pub const BITMAP: Acl = Acl(1 << 8);
    pub const HYPERLOGLOG: Acl = Acl(1 << 9);
    pub const GEO: Acl = Acl(1 << 10);
    pub const STREAM: Acl = Acl(1 << 11);
    pub const PUBSUB: Acl = Acl(1 << 12);
    pub const ADMIN: Acl = Acl(1 << 13);
    pub const FAST: Acl = Acl(1 << 14);
    pub const SLOW: Acl = Acl(1 << 15);
    pub const BLOCKING: Acl = Acl(1 << 16);
    pub const DANGEROUS: Acl = Acl(1 << 17);
    pub const CONNECTION: Acl = Acl(1 << 18);
    pub const TRANSACTION: Acl = Acl(1 << 19);
    pub const SCRIPTING: Acl = Acl(1 << 20);

    /// Names in Redis's `ACLCommandCategories` order.
    pub const NAMES: &'static [(Acl, &'static str)] = &[
        (Acl::KEYSPACE, "keyspace"),
        (Acl::READ, "read"),
        (Acl::WRITE, "write"),
        (Acl::SET, "set"),
        (Acl::SORTEDSET, "sortedset"),
        (Acl::LIST, "list"),
        (Acl::HASH, "hash"),
        (Acl::STRING, "string"),
        (Acl::BITMAP, "bitmap"),
        (Acl::HYPERLOGLOG, "hyperloglog"),
        (Acl::GEO, "geo"),
        (Acl::STREAM, "stream"),
        (Acl::PUBSUB, "pubsub"),
        (Acl::ADMIN, "admin"),
        (Acl::FAST, "fast"),
        (Acl::SLOW, "slow"),
        (Acl::BLOCKING, "blocking"),
        (Acl::DANGEROUS, "dangerous"),
        (Acl::CONNECTION, "connection"),
        (Acl::TRANSACTION, "transaction"),
        (Acl::SCRIPTING, "scripting"),
    ];

    pub const fn union(self, o: Acl) -> Acl {
        Acl(self.0 | o.0)
    }

    #[inline]
    pub const fn has(self, a: Acl) -> bool {
        self.0 & a.0 != 0
    }
}

/// Where a command's keys are in its argv (Redis's key specs, reduced to the shapes in use).
#[derive(Clone, Copy)]
pub enum KeySpec {
    /// No keys.
    None,
    /// `first..=last` every `step`; a negative `last` counts from the end (-1 = last argument).
    Range { first: i32, last: i32, step: i32 },
    /// A count at `numkeys_at`, then that many keys starting at `numkeys_at + 1`.
    NumKeys { numkeys_at: usize },
    /// A destination key at 1, then a count at `numkeys_at` and that many source keys
    /// (ZUNIONSTORE and friends; COMMAND INFO's legacy range covers the destination).
    DestNumKeys { numkeys_at: usize },
    /// Anything else: a function returning the key positions.
    Custom(fn(&[Bytes]) -> SmallVec<[usize; 8]>),
}

impl KeySpec {
    pub const fn range(first: i32, last: i32, step: i32) -> KeySpec {
        KeySpec::Range { first, last, step }
    }

    /// Positions of the keys in `argv` (argv[0] is the command name). Out-of-range specs yield
    /// no keys rather than panicking; arity has been checked before this runs.
    pub fn positions(&self, argv: &[Bytes]) -> SmallVec<[usize; 8]> {
        let mut out = SmallVec::new();
        match *self {
            KeySpec::None => {}
            KeySpec::Range { first, last, step } => {
                let argc = argv.len() as i32;
                let last = if last < 0 {
                    argc + last
                } else {
                    last.min(argc - 1)
                };
                let mut i = first;
                while i <= last && i < argc && step > 0 {
                    out.push(i as usize);
                    i += step;
                }
            }
            KeySpec::NumKeys { numkeys_at } => {
                if let Some(n) = argv.get(numkeys_at).and_then(|a| crate::util::parse_i64(a)) {
                    let start = numkeys_at + 1;
                    if n > 0 && (n as usize) <= argv.len().saturating_sub(start) {
                        out.extend(start..start + n as usize);
                    }
                }
            }
            KeySpec::DestNumKeys { numkeys_at } => {
                out = KeySpec::NumKeys { numkeys_at }.positions(argv);
                if argv.len() > 1 {
                    out.insert(0, 1);
                }
            }
            KeySpec::Custom(f) => out = f(argv),
        }
        out
    }

    /// The legacy (first, last, step) triple of COMMAND INFO.
    pub fn legacy_range(&self) -> (i64, i64, i64) {
        match *self {
            KeySpec::Range { first, last, step } => (first as i64, last as i64, step as i64),
            KeySpec::DestNumKeys { .. } => (1, 1, 1),
            _ => (0, 0, 0),
        }
    }
}

/// What a command locks before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Nothing in the keyspace (connection and server commands).
    None,
    /// The shards of the keys named by the key spec.
    Keys,
    /// Every shard of the client's current database, in order (KEYS, SCAN, DBSIZE, FLUSHDB).
    Db,
    /// The exclusive world lock (FLUSHALL, SWAPDB, EXEC, ...); the handler locks what it needs.
    World,
}

/// Command groups, as COMMAND DOCS reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    List,
    Set,
    SortedSet,
    Hash,
    PubSub,
    Transactions,
    Connection,
    Server,
    Scripting,
    Stream,
    Bitmap,
    HyperLogLog,
    Geo,
    Cluster,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::PubSub => "pubsub",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Scripting => "scripting",
            Group::Stream => "stream",
            Group::Bitmap => "bitmap",
            Group::HyperLogLog => "hyperloglog",
            Group::Geo => "geo",
            Group::Cluster => "cluster",
        }
    }
}

pub type Handler = fn(&mut Ctx<'_>) -> CmdResult;

/// One row of the command table.
pub struct CommandDef {
    /// Lowercase name (for a subcommand, just the subcommand: `get` under `config`).
    pub name: &'static str,
    /// Redis's arity rule: argv[0] counts; `-N` means at least N.
    pub arity: i32,
    pub flags: Flags,
    pub acl: Acl,
    pub keys: KeySpec,
    pub lock: Lock,
    pub group: Group,
    pub since: &'static str,
    pub complexity: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [CommandDef],
}

/// Starts a table row; chain the `const fn` setters below.
pub const fn cmd(name: &'static str, arity: i32, handler: Handler) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags: Flags::NONE,
        acl: Acl::NONE,
        keys: KeySpec::None,
        lock: Lock::None,
        group: Group::Generic,
        since: "1.0.0",
        complexity: "O(1)",
        summary: "",
        handler,
        subcommands: &[],
    }
}

impl CommandDef {
    pub const fn flags(mut self, f: Flags) -> Self {
        self.flags = f;
        self
    }
    pub const fn acl(mut self, a: Acl) -> Self {
        self.acl = a;
        self
    }
    /// Keys at `first..=last` every `step`, locked before the handler runs.
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.keys = KeySpec::range(first, last, step);
        self.lock = Lock::Keys;
        self
    }
    pub const fn keyspec(mut self, k: KeySpec) -> Self {
        self.keys = k;
        self.lock = Lock::Keys;
        self
    }
    pub const fn lock(mut self, l: Lock) -> Self {
        self.lock = l;
        self
    }
    pub const fn doc(
        mut self,
        group: Group,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> Self {
        self.group = group;
        self.since = since;
        self.complexity = complexity;
        self.summary = summary;
        self
    }
    pub const fn subs(mut self, s: &'static [CommandDef]) -> Self {
        self.subcommands = s;
        self
    }

    /// Every ACL category, explicit and implied by the flags, as Redis's `setImplicitACLCategories`.
    pub fn acl_categories(&self) -> Acl {
        let mut a = self.acl;
        if self.flags.has(Flags::WRITE) {
            a = a | Acl::WRITE;
        }
        if self.flags.has(Flags::READONLY) && !a.has(Acl::SCRIPTING) {
            a = a | Acl::READ;
        }
        if self.flags.has(Flags::ADMIN) {
            a = a | Acl::ADMIN | Acl::DANGEROUS;
        }
        if self.flags.has(Flags::PUBSUB) {
            a = a | Acl::PUBSUB;
        }
        if self.flags.has(Flags::FAST) {
            a = a | Acl::FAST;
        }
        if self.flags.has(Flags::BLOCKING) {
            a = a | Acl::BLOCKING;
        }
        if !a.has(Acl::FAST) {
            a = a | Acl::SLOW;
        }
        a
    }

    /// Whether `argc` satisfies the arity rule.
    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }
}

/// A resolved table entry: the row, its full name (`config|get`), and its statistics slot.
pub struct Command {
    pub def: &'static CommandDef,
    pub full_name: String,
    pub id: usize,
    pub parent: Option<usize>,
    pub subs: HashMap<&'static [u8], usize>,
}

/// Per-command statistics: one per table row, in a parallel array owned by each server's
/// `Stats` (`stats.per_command[cmd.id]`), so the table stays immutable and shared.
#[derive(Default)]
pub struct CommandStats {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
}

/// The whole table: every command and subcommand, by id, plus a name index of top-level ones.
pub struct Table {
    pub commands: Vec<Command>,
    pub by_name: HashMap<&'static [u8], usize>,
}

/// All registration blocks.
const GROUPS: &[&[CommandDef]] = &[
    config::COMMANDS,
    connection::COMMANDS,
    keyspace::COMMANDS,
    strings::COMMANDS,
    lists::COMMANDS,
    pubsub::COMMANDS,
    server::COMMANDS,
    transactions::COMMANDS,
    streams::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    scripting::COMMANDS,
];

impl Table {
    fn build() -> Table {
        let mut t = Table {
            commands: Vec::new(),
            by_name: HashMap::new(),
        };
        for group in GROUPS {
            for def in group.iter() {
                let id = t.add(def, None);
                t.by_name.insert(def.name.as_bytes(), id);
            }
        }
        t
    }

    fn add(&mut self, def: &'static CommandDef, parent: Option<usize>) -> usize {
        let id = self.commands.len();
        let full_name = match parent {
            Some(p) => format!("{}|{}", self.commands[p].def.name, def.name),
            None => def.name.to_string(),
        };
        self.commands.push(Command {
            def,
            full_name,
            id,
            parent,
            subs: HashMap::new(),
        });
        for sub in def.subcommands {
            let sid = self.add(sub, Some(id));
            self.commands[id].subs.insert(sub.name.as_bytes(), sid);
        }
        id
    }

    /// Looks up a top-level command by name, case-insensitively, without allocating.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; 32];
        let lower = crate::util::lower(name, &mut buf)?;
        self.by_name.get(lower).map(|&id| &self.commands[id])
    }

    /// Looks up a subcommand of `parent`.
    pub fn lookup_sub(&self, parent: &Command, name: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; 32];
        let lower = crate::util::lower(name, &mut buf)?;
        parent.subs.get(lower).map(|&id| &self.commands[id])
    }

    /// Resolves argv to a command (following subcommands), or the error Redis gives.
    pub fn resolve(&self, argv: &[Bytes]) -> Result<&Command, CmdError> {
        let name = &argv[0];
        let Some(cmd) = self.lookup(name) else {
            return Err(unknown_command(argv));
        };
        if cmd.subs.is_empty() {
            return Ok(cmd);
        }
        if argv.len() == 1 {
            // The container itself: its arity decides (COMMAND runs, CONFIG is an arity error).
            return Ok(cmd);
        }
        match self.lookup_sub(cmd, &argv[1]) {
            Some(sub) => Ok(sub),
            None => Err(CmdError::Msg(Cow::Owned(format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                truncate_lossy(&argv[1], 128),
                cmd.def.name.to_ascii_uppercase()
            )))),
        }
    }
}

/// Redis's unknown-command error, with the preview of the arguments (128 characters in all).
fn unknown_command(argv: &[Bytes]) -> CmdError {
    let mut args = String::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push('\'');
        args.push_str(&truncate_lossy(a, room));
        args.push_str("' ");
    }
    CmdError::Msg(Cow::Owned(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        truncate_lossy(&argv[0], 128),
        args
    )))
}

/// Argument `i` as bytes, empty when absent (arity checks guarantee the fixed positions). A free
/// function so handlers can read arguments while `ctx.ks` or `ctx.out` is borrowed.
#[inline]
pub fn arg(argv: &[Bytes], i: usize) -> &[u8] {
    argv.get(i).map_or(&[], |b| &b[..])
}

/// Redis's `getRangeLongFromObjectOrReply`: `msg` (when given) replaces both the
/// not-an-integer and the out-of-range error.
pub fn range_long(
    a: &[u8],
    min: i64,
    max: i64,
    msg: Option<&'static str>,
) -> Result<i64, CmdError> {
    let fail = |default: CmdError| msg.map_or(default, CmdError::msg);
    let v = crate::util::parse_i64(a).ok_or_else(|| fail(CmdError::NotInteger))?;
    if v < min || v > max {
        return Err(fail(CmdError::err(format_args!(
            "value is out of range, value must between {min} and {max}"
        ))));
    }
    Ok(v)
}

/// Redis's `getPositiveLongFromObjectOrReply`.
pub fn positive_long(a: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    range_long(
        a,
        0,
        i64::MAX,
        Some(msg.unwrap_or("ERR value is out of range, must be positive")),
    )
}

/// Redis's `addReplySubcommandSyntaxError`: a subcommand called with arguments it does not take.
pub fn subcommand_syntax_error(argv: &[Bytes]) -> CmdError {
    let arg = |i: usize| argv.get(i).map_or(&[][..], |b| &b[..]);
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        truncate_lossy(arg(1), 128),
        String::from_utf8_lossy(arg(0)).to_ascii_uppercase()
    ))
}

/// At most `max` bytes of `b` as text (invalid UTF-8 replaced), like C's `%.*s`.
pub fn truncate_lossy(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
}

/// The process-wide command table.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::build)
}

// ---------------------------------------------------------------------------------------------
// Execution

/// Everything a handler sees.
pub struct Ctx<'a> {
    pub srv: &'a Arc<Server>,
    pub client: &'a mut Client,
    pub argv: &'a [Bytes],
    pub out: Out<'a>,
    /// The shards this command holds; `ks.db` is the client's selected database.
    pub ks: Locked<'a>,
    pub cmd: &'a Command,
    /// Keyspace changes made (Redis's `server.dirty` increment).
    pub dirty: u64,
    /// Keys that clients are blocked on and that this command made usable, in order.
    pub ready: Vec<(usize, Bytes)>,
    /// Set by a blocking command that found nothing to pop: dispatch returns `Flow::Block`.
    pub block: Option<Blocked>,
    /// Running inside EXEC: blocking commands must not block.
    pub in_exec: bool,
    /// What the AOF logs for this command (see [`Prop`]).
    pub prop: Prop,
}

/// What a command logs to the AOF, decided by its handler (Redis's `alsoPropagate` /
/// `rewriteClientCommandVector` / `preventCommandPropagation`).
pub enum Prop {
    /// The command as the client sent it, if it changed the keyspace (`dirty > 0`).
    Argv,
    /// Exactly these commands, each in its database (empty: nothing).
    Cmds(Vec<(usize, Vec<Bytes>)>),
}

/// An execution unit of several commands (EXEC, a script): the keys they made ready, served
/// once the unit is over, and their AOF effects, logged as one MULTI/EXEC block.
pub struct Unit {
    pub ready: Vec<(usize, Bytes)>,
    pub effects: Vec<(usize, Vec<Bytes>)>,
    /// When the unit started (Unix ms). Its commands decide whether keys have expired by this
    /// time, as Redis 7.0's `keyIsExpired` does inside EXEC (`fixed_time_expire`) and scripts
    /// (`scriptTimeSnapshot`), so a key cannot expire between two commands of one unit; TTLs
    /// and new expiry times still use the current time, as there.
    pub now: u64,
}

impl Unit {
    pub fn new(now: u64) -> Unit {
        Unit {
            ready: Vec::new(),
            effects: Vec::new(),
            now,
        }
    }
}

/// `Bytes` of a static string (propagated command names and keywords).
#[inline]
pub fn lit(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// A client that must wait: its waiter is registered, the connection awaits `rx`.
pub struct Blocked {
    pub waiter: Arc<crate::blocking::Waiter>,
    pub rx: tokio::sync::oneshot::Receiver<Vec<u8>>,
    /// Absolute deadline in Unix ms; 0 = wait forever.
    pub deadline: u64,
}

impl<'a> Ctx<'a> {
    /// Argument `i` (arity guarantees the fixed positions; optional ones use `argv.get`).
    #[inline]
    pub fn arg(&self, i: usize) -> &'a [u8] {
        arg(self.argv, i)
    }

    /// Records that a push made `key` (in the selected db) usable for blocked clients, if any
    /// wait on it; they are served after the command.
    pub fn signal_list_push(&mut self, key: &[u8]) {
        self.signal_ready(key);
    }

    /// Records that `key` (in the selected db) changed in a way blocked clients may care about
    /// (a push, an XADD, a deleted key or consumer group), if any wait on it; they are served
    /// after the command, each by the rule of its own blocking operation.
    pub fn signal_ready(&mut self, key: &[u8]) {
        let db = self.ks.db;
        self.signal_ready_in(db, key);
    }

    /// Records that `key` in `db` may now hold what blocked clients wait for (RENAME, COPY,
    /// MOVE onto it). The shard must be locked by this command.
    pub fn signal_ready_in(&mut self, db: usize, key: &[u8]) {
        if self
            .ks
            .shard_in(db, key)
            .is_some_and(|s| !s.waiters.is_empty() && s.waiters.contains_key(key))
        {
            self.ready.push((db, Bytes::copy_from_slice(key)));
        }
    }

    /// Whether this command may block (not inside MULTI or a script).
    pub fn may_block(&self) -> bool {
        !self.in_exec
    }

    /// Blocks the client on `keys` (all locked by this command): registers the waiter now, under
    /// the locks, and tells dispatch to park the connection.
    pub fn block_on(&mut self, keys: Vec<Bytes>, op: crate::blocking::BlockOp, deadline: u64) {
        let (waiter, rx) =
            crate::blocking::Waiter::new(self.client.id(), self.ks.db, keys, op, self.out.resp3);
        crate::blocking::register(self.srv, &mut self.ks, &waiter);
        // Visible to CLIENT UNBLOCK and CLIENT LIST from the moment it is registered.
        *self.client.info.waiter.lock() = Some(waiter.clone());
        self.client.info.blocked.store(true, Ordering::Relaxed);
        self.block = Some(Blocked {
            waiter,
            rx,
            deadline,
        });
    }

    /// Argument `i` parsed as an integer, or Redis's not-an-integer error.
    pub fn int_arg(&self, i: usize) -> Result<i64, CmdError> {
        crate::util::parse_i64(self.arg(i)).ok_or(CmdError::NotInteger)
    }

    /// Logs `argv` (in the selected database) instead of the command as sent; several calls
    /// log several commands, in order.
    pub fn propagate(&mut self, argv: Vec<Bytes>) {
        let db = self.ks.db;
        match &mut self.prop {
            Prop::Cmds(v) => v.push((db, argv)),
            p @ Prop::Argv => *p = Prop::Cmds(vec![(db, argv)]),
        }
    }

    /// Logs nothing for this command (unless `propagate` is called afterwards).
    pub fn no_propagate(&mut self) {
        self.prop = Prop::Cmds(Vec::new());
    }
}

/// What the connection should do after a command.
pub enum Flow {
    Continue,
    /// Send what is buffered, then close (QUIT, protocol errors, CLIENT KILL of oneself).
    Close,
    /// Send what is buffered, then wait for the blocked command's reply.
    Block(Blocked),
}

/// Replies a rejection (unknown command, arity, NOAUTH, not allowed in MULTI), counts it, and
/// marks an open transaction as failed, as Redis's `rejectCommand` / `flagTransaction` do.
fn reject(
    srv: &Server,
    client: &mut Client,
    wbuf: &mut BytesMut,
    cmd: Option<&Command>,
    e: &CmdError,
) {
    let text = e.text();
    if client.multi.is_some() && cmd.is_some_and(|c| c.def.name == "exec") {
        // A rejected EXEC aborts the transaction and says why (Redis's `execCommandAbort`).
        transactions::discard_transaction(srv, client);
        let why = text.strip_prefix("ERR ").unwrap_or(&text);
        let msg = format!("EXECABORT Transaction discarded because of: {why}");
        Out::new(wbuf, client.resp3).error(&msg);
        srv.stats.error_reply(&msg);
        if let Some(c) = cmd {
            srv.stats.per_command[c.id]
                .rejected
                .fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    Out::new(wbuf, client.resp3).error(&text);
    srv.stats.error_reply(&text);
    match cmd {
        Some(c) => {
            srv.stats.per_command[c.id]
                .rejected
                .fetch_add(1, Ordering::Relaxed);
        }
        None => srv.stats.unknown_or_rejected(None),
    }
    if let Some(m) = client.multi.as_mut() {
        m.errored = true;
    }
}

/// The world lock's write side, kept by a connection across consecutive exclusive commands
/// (scripts, EXEC) of one batch of pipelined requests, so a pipeline of scripts takes it once
/// instead of handing it between the worker threads at every script. Released by the first
/// command that is not exclusive, after [`WorldHold::MAX_RUNS`] commands, and by the connection
/// before it waits for anything.
#[derive(Default)]
pub struct WorldHold<'a> {
    guard: Option<crate::server::WorldWrite<'a>>,
    runs: u32,
}

// SAFETY: parking_lot's locks may be released from any thread (its `send_guard` feature marks
// every guard Send on that basis; not enabled crate-wide, so that keyspace guards stay !Send and
// cannot be held across an await by mistake). The connection releases the hold before it awaits.
unsafe impl Send for WorldHold<'_> {}

impl<'a> WorldHold<'a> {
    /// Exclusive commands run under one acquisition before others get their turn.
    const MAX_RUNS: u32 = 32;

    pub fn release(&mut self) {
        self.guard = None;
        self.runs = 0;
    }
}

/// Before an exclusive command (script, EXEC, ...) runs while another connection's script or
/// EXEC holds the world lock: waits for the lock as a task, leaving the thread to other
/// connections, and keeps it in `hold` for the command. A thread that blocked here instead would
/// only spin and sleep beside the holder (every script runs alone anyway), and pass the lock
/// back and forth between the worker threads at every script; a task woken by the release runs
/// next on the releasing thread. Returns without the lock when the lock is free or shared (the
/// command takes it as usual), or once the holder is a script past `busy-reply-threshold`, which
/// the command's busy gate answers.
pub async fn wait_world<'a>(
    srv: &'a Arc<Server>,
    client: &Client,
    argv: &[Bytes],
    hold: &mut WorldHold<'a>,
) {
    if hold.guard.is_some() || !srv.world.is_locked_exclusive() {
        return;
    }
    let table = table();
    let Ok(cmd) = table.resolve(argv) else {
        return;
    };
    let top = cmd
        .parent
        .map_or(cmd.def.name, |p| table.commands[p].def.name);
    let queued = client.multi.is_some() && !transactions::runs_inside_multi(top);
    if cmd.def.lock != Lock::World || queued {
        return;
    }
    loop {
        let free = srv.world_free.notified();
        tokio::pin!(free);
        free.as_mut().enable();
        if let Some(g) = srv.world_try_write() {
            hold.guard = Some(g);
            hold.runs = 0;
            return;
        }
        if !srv.world.is_locked_exclusive() || srv.scripting.busy.timed_out() {
            return;
        }
        // Releases that do not notify are rare (none today); the slice bounds them anyway.
        let _ = tokio::time::timeout(WORLD_WAIT_SLICE, free).await;
    }
}

/// The world lock as a command holds it.
enum WorldGuard<'a> {
    /// Already held exclusively: by the EXEC or script this command runs in, or in the
    /// connection's [`WorldHold`].
    Held,
    Read(#[allow(dead_code)] parking_lot::RwLockReadGuard<'a, ()>),
    Write(#[allow(dead_code)] crate::server::WorldWrite<'a>),
}

/// Takes the world lock for a top-level command: exclusive for `Lock::World` commands (kept in
/// `hold` when the connection has one), shared for the others. `Err` is the command's outcome
/// when it was answered instead (see [`wait_for_world`]).
fn take_world<'a>(
    srv: &'a Arc<Server>,
    client: &mut Client,
    wbuf: &mut BytesMut,
    cmd: &Command,
    argv: &[Bytes],
    hold: Option<&mut WorldHold<'a>>,
) -> Result<WorldGuard<'a>, Flow> {
    let world = &srv.world;
    if cmd.def.lock != Lock::World {
        if let Some(h) = hold {
            h.release();
        }
        return wait_for_world(
            srv,
            client,
            wbuf,
            cmd,
            argv,
            || world.try_read(),
            |t| world.try_read_for(t),
        )
        .map(WorldGuard::Read);
    }
    let mut hold = hold;
    if let Some(h) = hold.as_deref_mut() {
        if h.guard.is_some() && h.runs < WorldHold::MAX_RUNS {
            h.runs += 1;
            return Ok(WorldGuard::Held);
        }
        // Past MAX_RUNS: let the other thread in before taking it again.
        h.release();
    }
    let g = wait_for_world(
        srv,
        client,
        wbuf,
        cmd,
        argv,
        || srv.world_try_write(),
        |t| srv.world_try_write_for(t),
    )?;
    Ok(match hold {
        Some(h) => {
            h.guard = Some(g);
            h.runs = 1;
            WorldGuard::Held
        }
        None => WorldGuard::Write(g),
    })
}

/// How long a command waits at the world lock between two looks at the running script.
const WORLD_WAIT_SLICE: std::time::Duration = std::time::Duration::from_millis(5);

/// Waits for the world lock. While it waits, a script holding it may pass
/// `busy-reply-threshold`: then the command gets what the busy gate gives it (BUSY, or SCRIPT
/// KILL & co. served) instead of waiting for a script that may never end, as in Redis, where
/// every client sent after a script started is answered once the script is busy.
fn wait_for_world<G>(
    srv: &Arc<Server>,
    client: &mut Client,
    wbuf: &mut BytesMut,
    cmd: &Command,
    argv: &[Bytes],
    now: impl Fn() -> Option<G>,
    within: impl Fn(std::time::Duration) -> Option<G>,
) -> Result<G, Flow> {
    if let Some(g) = now() {
        return Ok(g);
    }
    loop {
        if let Some(g) = within(WORLD_WAIT_SLICE) {
            return Ok(g);
        }
        if !srv.scripting.busy.timed_out() {
            continue;
        }
        match crate::scripting::busy_gate(srv, client, wbuf, cmd, argv) {
            // The script ended meanwhile, or the command may wait for it (allow-busy).
            None => {}
            Some(Ok(flow)) => return Err(flow),
            Some(Err(e)) => {
                reject(srv, client, wbuf, Some(cmd), &e);
                return Err(Flow::Continue);
            }
        }
    }
}

/// Runs one request and writes its reply into `wbuf`.
pub fn execute(
    srv: &Arc<Server>,
    client: &mut Client,
    wbuf: &mut BytesMut,
    argv: Vec<Bytes>,
) -> Flow {
    execute_held(srv, client, wbuf, argv, &mut WorldHold::default())
}

/// [`execute`], keeping the world lock in `hold` if the command is exclusive.
pub fn execute_held<'a>(
    srv: &'a Arc<Server>,
    client: &mut Client,
    wbuf: &mut BytesMut,
    argv: Vec<Bytes>,
    hold: &mut WorldHold<'a>,
) -> Flow {
    let table = table();
    let cmd = match table.resolve(&argv) {
        Ok(c) => c,
        Err(e) => {
            reject(srv, client, wbuf, None, &e);
            return Flow::Continue;
        }
    };
    let def = cmd.def;
    if !def.arity_ok(argv.len()) {
        reject(
            srv,
            client,
            wbuf,
            Some(cmd),
            &CmdError::WrongArity(cmd.full_name.clone()),
        );
        return Flow::Continue;
    }
    if !client.authenticated && !def.flags.has(Flags::NO_AUTH) && srv.auth_required() {
        reject(
            srv,
            client,
            wbuf,
            Some(cmd),
            &CmdError::msg("NOAUTH Authentication required."),
        );
        return Flow::Continue;
    }
    if srv.aof.loading.load(Ordering::Relaxed) && !client.loader && !def.flags.has(Flags::LOADING) {
        let e = CmdError::msg("LOADING Redis is loading the dataset in memory");
        reject(srv, client, wbuf, Some(cmd), &e);
        return Flow::Continue;
    }
    if let Some(errno) = srv.aof.write_error() {
        // Redis's `writeCommandsDeniedByDiskError`: writes (and PING) are refused until the
        // AOF can be written again; reads go on.
        let top = cmd.parent.map_or(def.name, |p| table.commands[p].def.name);
        let writes = def.flags.has(Flags::WRITE)
            || top == "ping"
            || (top == "exec"
                && client.multi.as_ref().is_some_and(|m| {
                    m.queue.iter().any(|(id, _)| {
                        table
                            .commands
                            .get(*id)
                            .is_some_and(|c| c.def.flags.has(Flags::WRITE))
                    })
                }));
        if writes {
            let e = CmdError::msg(format!(
                "MISCONF Errors writing to the AOF file: {}",
                crate::aof::strerror(errno)
            ));
            reject(srv, client, wbuf, Some(cmd), &e);
            return Flow::Continue;
        }
    }
    if client.info.pubsub.load(Ordering::Relaxed) && !client.resp3 {
        let top = cmd.parent.map_or(def.name, |p| table.commands[p].def.name);
        if !pubsub::allowed_in_resp2_subscribed_mode(top) {
            let e = CmdError::Msg(Cow::Owned(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                cmd.full_name
            )));
            reject(srv, client, wbuf, Some(cmd), &e);
            return Flow::Continue;
        }
    }
    // While a script runs: -BUSY past the threshold, or SCRIPT KILL & co. served lock-free.
    match crate::scripting::busy_gate(srv, client, wbuf, cmd, &argv) {
        None => {}
        Some(Ok(flow)) => return flow,
        Some(Err(e)) => {
            reject(srv, client, wbuf, Some(cmd), &e);
            return Flow::Continue;
        }
    }
    if client.multi.is_some() {
        let top = cmd.parent.map_or(def.name, |p| table.commands[p].def.name);
        if !transactions::runs_inside_multi(top) {
            if def.flags.has(Flags::NO_MULTI) {
                let e = CmdError::msg("ERR Command not allowed inside a transaction");
                reject(srv, client, wbuf, Some(cmd), &e);
                return Flow::Continue;
            }
            if let Some(m) = client.multi.as_mut() {
                m.queue.push((cmd.id, argv));
                client
                    .info
                    .multi
                    .store(m.queue.len() as i64, Ordering::Relaxed);
            }
            Out::new(wbuf, client.resp3).raw(b"+QUEUED\r\n");
            return Flow::Continue;
        }
    }
    run_held(srv, client, wbuf, cmd, argv, None, Some(hold))
}

/// Runs a resolved, checked command. `in_exec` is `Some(unit)` when called by EXEC (or a
/// script): the world lock's write side is already held, blocking commands do not block, and
/// the keys made ready and the AOF effects are handed to the unit, served and logged once the
/// whole unit has run.
pub fn run(
    srv: &Arc<Server>,
    client: &mut Client,
    wbuf: &mut BytesMut,
    cmd: &Command,
    argv: Vec<Bytes>,
    in_exec: Option<&mut Unit>,
) -> Flow {
    run_held(srv, client, wbuf, cmd, argv, in_exec, None)
}

/// [`run`], for a top-level command whose connection may keep the world lock in `hold`.
fn run_held<'a>(
    srv: &'a Arc<Server>,
    client: &mut Client,
    wbuf: &mut BytesMut,
    cmd: &Command,
    argv: Vec<Bytes>,
    mut in_exec: Option<&mut Unit>,
    hold: Option<&mut WorldHold<'a>>,
) -> Flow {
    let def = cmd.def;
    let resp3 = client.resp3;
    let start = quanta::Instant::now();
    let now = crate::util::unix_ms_at(start);
    let db = client.db;
    let result;
    let dirty;
    let block;
    {
        // The world lock: shared for ordinary commands, exclusive for Lock::World ones (and
        // already held exclusively inside EXEC). Held for the whole command; nothing awaits
        // while it is held.
        let nested = in_exec.is_some();
        let _world = if nested {
            WorldGuard::Held
        } else {
            match take_world(srv, client, wbuf, cmd, &argv, hold) {
                Ok(w) => w,
                Err(flow) => return flow,
            }
        };
        let key_pos = if def.lock == Lock::Keys {
            def.keys.positions(&argv)
        } else {
            SmallVec::new()
        };
        let ks = match def.lock {
            Lock::World | Lock::None => srv.ks.lock_none(db, now),
            Lock::Keys => srv.ks.lock(db, key_pos.iter().map(|&i| &argv[i][..]), now),
            Lock::Db => {
                let mut all: SmallVec<[(u32, u32); 8]> = (0..crate::store::SHARDS as u32)
                    .map(|s| (db as u32, s))
                    .collect();
                srv.ks.lock_slots(db, &mut all, now)
            }
        };
        let mut ks = ks;
        if let Some(unit) = &in_exec {
            ks.expire_now = unit.now;
        }
        let mark = wbuf.len();
        let mut ctx = Ctx {
            srv,
            client,
            argv: &argv,
            out: Out::new(wbuf, resp3),
            ks,
            cmd,
            dirty: 0,
            ready: Vec::new(),
            block: None,
            in_exec: nested,
            prop: Prop::Argv,
        };
        result = (def.handler)(&mut ctx);
        dirty = ctx.dirty;
        if dirty > 0 {
            // Writes touch their keys for WATCH (in-place edits do not pass through the
            // shard's insert/remove, which touch on their own).
            for &i in &key_pos {
                ctx.ks.touch_in(db, &argv[i]);
            }
        }
        let expired = std::mem::take(&mut ctx.ks.expired);
        let ready = std::mem::take(&mut ctx.ready);
        block = ctx.block.take();
        // The AOF effect, logged while the shard locks are still held.
        let mut logged_at = 0;
        if srv.aof.is_on() {
            let prop = std::mem::replace(&mut ctx.prop, Prop::Argv);
            logged_at = log_effects(
                srv,
                in_exec.as_deref_mut(),
                db,
                &argv,
                dirty,
                prop,
                &expired,
            );
        }
        drop(ctx);
        if logged_at > 0 {
            client.aof_need = logged_at;
        }
        // Shard locks are released; the world lock is still held, so blocked clients are served
        // before any EXEC or FLUSHALL can run, and before this command's reply is sent.
        match in_exec {
            Some(unit) => unit.ready.extend(ready),
            None if !ready.is_empty() => crate::blocking::serve_ready(srv, ready),
            None => {}
        }
        if !expired.is_empty() {
            srv.stats
                .expired_keys
                .fetch_add(expired.len() as u64, Ordering::Relaxed);
            crate::notify::expired(srv, &expired, Some((client, wbuf, mark)));
        }
        if let Err(e) = &result {
            // A handler must not have written a partial reply before failing.
            debug_assert_eq!(wbuf.len(), mark, "{} wrote before failing", cmd.full_name);
            wbuf.truncate(mark);
            Out::new(wbuf, resp3).error(&e.text());
            srv.stats.error_reply(&e.text());
        }
    }
    let usec = start.elapsed().as_micros() as u64;
    client
        .stats
        .record(&srv.stats, cmd.id, usec, result.is_err(), dirty);
    if !def.flags.has(Flags::SKIP_SLOWLOG) {
        let slower_than = srv.slowlog_slower_than.load(Ordering::Relaxed);
        let max_len = srv.slowlog_max_len.load(Ordering::Relaxed);
        srv.slowlog.record(slower_than, max_len, usec, &argv, || {
            let name = client.info.name.lock().clone().unwrap_or_default();
            (client.info.addr.to_string(), name)
        });
    }
    client.last_cmd = cmd.id;
    client.last_cmd_ms = now;
    crate::client::feed_monitors(srv, client, def.flags, &argv);
    if let Some(b) = block {
        return Flow::Block(b);
    }
    if client.close_after_reply {
        Flow::Close
    } else {
        Flow::Continue
    }
}

/// Hands a command's effects to the AOF (or to its unit inside EXEC): the DELs of keys it found
/// expired, then what its handler chose ([`Prop`]). Returns the offset to wait for (0: none).
fn log_effects(
    srv: &Server,
    unit: Option<&mut Unit>,
    db: usize,
    argv: &[Bytes],
    dirty: u64,
    prop: Prop,
    expired: &[(usize, Bytes)],
) -> u64 {
    let cmds = match prop {
        Prop::Argv if dirty > 0 => None,
        Prop::Argv => Some(Vec::new()),
        Prop::Cmds(v) => Some(v),
    };
    if expired.is_empty() && cmds.as_ref().is_some_and(|v| v.is_empty()) {
        return 0;
    }
    let dels: Vec<(usize, [Bytes; 2])> = expired
        .iter()
        .map(|(d, k)| (*d, [lit("DEL"), k.clone()]))
        .collect();
    if let Some(unit) = unit {
        unit.effects
            .extend(dels.into_iter().map(|(d, a)| (d, a.to_vec())));
        match cmds {
            None => unit.effects.push((db, argv.to_vec())),
            Some(v) => unit.effects.extend(v),
        }
        return 0;
    }
    let mut list: SmallVec<[crate::aof::Effect<'_>; 4]> =
        dels.iter().map(|(d, a)| (*d, &a[..])).collect();
    match &cmds {
        None => list.push((db, argv)),
        Some(v) => list.extend(v.iter().map(|(d, a)| (*d, &a[..]))),
    }
    srv.aof.log(&list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let t = table();
        for c in &t.commands {
            assert_eq!(
                c.def.name,
                c.def.name.to_ascii_lowercase(),
                "{}",
                c.full_name
            );
            assert!(c.def.arity != 0, "{}", c.full_name);
            assert!(!c.def.summary.is_empty(), "{} has no summary", c.full_name);
            if c.def.lock == Lock::Keys {
                assert!(
                    !matches!(c.def.keys, KeySpec::None),
                    "{} locks keys but has none",
                    c.full_name
                );
            }
        }
        let mut names: Vec<&str> = t.commands.iter().map(|c| c.full_name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a command is registered twice");
        assert!(t.lookup(b"GeT").is_some());
        assert!(t.lookup(b"no-such-command").is_none());
    }

    #[test]
    fn unknown_command_text() {
        let argv = vec![Bytes::from("foo"), Bytes::from("a"), Bytes::from("b")];
        assert_eq!(
            unknown_command(&argv).text(),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
    }

    #[test]
    fn key_positions() {
        let argv: Vec<Bytes> = ["mset", "a", "1", "b", "2"]
            .iter()
            .map(|s| Bytes::from(*s))
            .collect();
        assert_eq!(
            KeySpec::range(1, -1, 2).positions(&argv).as_slice(),
            &[1, 3]
        );
        let argv: Vec<Bytes> = ["x", "2", "k1", "k2", "opt"]
            .iter()
            .map(|s| Bytes::from(*s))
            .collect();
        assert_eq!(
            KeySpec::NumKeys { numkeys_at: 1 }
                .positions(&argv)
                .as_slice(),
            &[2, 3]
        );
    }
}
