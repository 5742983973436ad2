//! Scripting: EVAL scripts and FUNCTION libraries in Redis 7.0's Lua 5.1 environment.
//!
//! One Lua VM ([`vm::Vm`]) serves both EVAL and FCALL, behind [`Scripting::vm`]. Script
//! commands hold the exclusive world lock (like EXEC), so a script or function runs with no
//! other command in between; its `redis.call`s run through the normal command path with that
//! lock already held. The script cache maps SHA-1 digests to compiled functions; libraries
//! are kept with their source so FUNCTION LIST/DUMP can return it.
//!
//! Long scripts: [`Busy`] is the server-wide record of the running script (start time, kill
//! and write flags). A Lua count hook checks it; past `busy-reply-threshold` other clients'
//! commands are answered `-BUSY` by [`busy_gate`] *before* they try to take any lock, except
//! SCRIPT KILL / FUNCTION KILL / FUNCTION STATS / SHUTDOWN NOSAVE, which the gate serves
//! itself without locks, and the other `allow-busy` commands, which wait for the script.
//!
//! Not copied from Redis: the environment is rebuilt on stock Lua (see `bootstrap.lua`), and
//! cjson, cmsgpack, struct and bit are reimplemented in [`libs`].

pub mod functions;
pub mod invoke;
pub mod libs;
pub mod sha1;
pub mod vm;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mlua::VmState;
use parking_lot::{Condvar, Mutex};

use crate::client::Client;
use crate::commands::{CmdError, Command, Flags, Flow};
use crate::protocol::Out;
use crate::server::Server;

/// Flags of a script (`#!lua flags=...`) or function (`flags = {...}`), as Redis's `SCRIPT_FLAG_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScriptFlags(pub u8);

impl ScriptFlags {
    pub const NO_WRITES: u8 = 1;
    pub const ALLOW_OOM: u8 = 2;
    pub const ALLOW_STALE: u8 = 4;
    pub const NO_CLUSTER: u8 = 8;
    pub const ALLOW_CROSS_SLOT: u8 = 16;
    /// An EVAL script without a shebang (Redis's `SCRIPT_FLAG_EVAL_COMPAT_MODE`).
    pub const EVAL_COMPAT: u8 = 32;

    /// Names in Redis's `scripts_flags_def` order.
    pub const NAMES: &'static [(u8, &'static str)] = &[
        (Self::NO_WRITES, "no-writes"),
        (Self::ALLOW_OOM, "allow-oom"),
        (Self::ALLOW_STALE, "allow-stale"),
        (Self::NO_CLUSTER, "no-cluster"),
        (Self::ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    pub fn from_name(name: &[u8]) -> Option<u8> {
        Self::NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|(f, _)| *f)
    }

    pub fn has(self, f: u8) -> bool {
        self.0 & f != 0
    }
}

/// The running script, shared with other connections (BUSY, SCRIPT KILL, FUNCTION STATS).
#[derive(Default)]
pub struct Busy {
    running: AtomicBool,
    /// Ran past `busy-reply-threshold`: other clients now get -BUSY.
    timed_out: AtomicBool,
    /// SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE asked the script to stop.
    kill: AtomicBool,
    /// The script has run a write command: SCRIPT KILL refuses (UNKILLABLE).
    wrote: AtomicBool,
    /// EVAL (true) or FCALL (false).
    is_eval: AtomicBool,
    start_ms: AtomicU64,
    threshold_ms: AtomicU64,
    /// While FUNCTION LOAD runs a library's code: the Unix ms it must finish by (0 = not loading).
    load_deadline_ms: AtomicU64,
    /// (function name, the FCALL's argv) for FUNCTION STATS.
    current: Mutex<(String, Vec<Bytes>)>,
    /// Waited on by clients that arrive while a script runs; notified when it ends or times out.
    mx: Mutex<()>,
    cv: Condvar,
}

impl Busy {
    /// `now_ms` is the calling command's start time (Unix ms), from which the threshold counts.
    fn begin(&self, is_eval: bool, threshold_ms: u64, now_ms: u64, name: &str, argv: &[Bytes]) {
        self.timed_out.store(false, Ordering::Relaxed);
        self.kill.store(false, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        self.is_eval.store(is_eval, Ordering::Relaxed);
        self.start_ms.store(now_ms, Ordering::Relaxed);
        self.threshold_ms.store(threshold_ms, Ordering::Relaxed);
        if !is_eval {
            // Only FUNCTION STATS reports the running call, and only for functions.
            *self.current.lock() = (name.to_string(), argv.to_vec());
        }
        self.running.store(true, Ordering::Release);
    }

    fn end(&self) {
        self.running.store(false, Ordering::Release);
        if self.timed_out.load(Ordering::Relaxed) {
            tracing::warn!(
                "Slow script detected: script finished running after the busy threshold"
            );
        }
        let _g = self.mx.lock();
        self.cv.notify_all();
    }

    pub fn mark_wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// Bounds the run of a library's code during FUNCTION LOAD (Redis allows 500 ms).
    pub fn set_load_deadline(&self, deadline_ms: u64) {
        self.load_deadline_ms.store(deadline_ms, Ordering::Relaxed);
    }

    /// The count hook: notices the time limit, and raises the kill error once asked to.
    fn check(&self) -> mlua::Result<VmState> {
        let deadline = self.load_deadline_ms.load(Ordering::Relaxed);
        if deadline != 0 {
            if crate::util::now_ms() >= deadline {
                return Err(mlua::Error::RuntimeError(
                    "ERR FUNCTION LOAD timeout".to_string(),
                ));
            }
            return Ok(VmState::Continue);
        }
        if !self.timed_out.load(Ordering::Relaxed) {
            let elapsed =
                crate::util::now_ms().saturating_sub(self.start_ms.load(Ordering::Relaxed));
            if elapsed < self.threshold_ms.load(Ordering::Relaxed) {
                return Ok(VmState::Continue);
            }
            tracing::warn!(
                "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the SCRIPT KILL command."
            );
            self.timed_out.store(true, Ordering::Release);
            {
                let _g = self.mx.lock();
                self.cv.notify_all();
            }
            // Redis starts serving other clients (with -BUSY) now; so must this worker's tokio
            // core, or the I/O it drives starves until the script ends.
            blocking_section(|| std::thread::sleep(Duration::from_millis(5)));
        }
        vm::hook_result(self.kill.load(Ordering::Relaxed))
    }

    pub fn is_killed(&self) -> bool {
        self.kill.load(Ordering::Relaxed)
    }

    /// Whether the running script has passed `busy-reply-threshold`.
    pub fn timed_out(&self) -> bool {
        self.is_running() && self.timed_out.load(Ordering::Acquire)
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// FUNCTION STATS' `running_script`: (name, argv, duration ms), for a running function.
    pub fn running_function(&self) -> Option<(String, Vec<Bytes>, u64)> {
        if !self.is_running() || self.is_eval.load(Ordering::Relaxed) {
            return None;
        }
        let (name, argv) = self.current.lock().clone();
        let ms = crate::util::now_ms().saturating_sub(self.start_ms.load(Ordering::Relaxed));
        Some((name, argv, ms))
    }

    /// SCRIPT KILL (`is_eval`) / FUNCTION KILL, as Redis's `scriptKill`.
    pub fn kill(&self, is_eval: bool) -> Result<(), CmdError> {
        if !self.is_running() {
            return Err(CmdError::msg("NOTBUSY No scripts in execution right now."));
        }
        if self.wrote.load(Ordering::Relaxed) {
            return Err(CmdError::msg("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."));
        }
        let running_eval = self.is_eval.load(Ordering::Relaxed);
        if is_eval != running_eval {
            return Err(CmdError::msg(busy_text(running_eval)));
        }
        self.kill.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// How long a script must have been running before arriving commands wait in the busy gate.
const GATE_AFTER_MS: u64 = 2;

/// Runs `f`, which blocks the thread, after handing this tokio worker's core (its queued tasks
/// and the I/O driver) to another thread, when running on a multi-threaded runtime.
fn blocking_section(f: impl FnOnce()) {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi {
        tokio::task::block_in_place(f);
    } else {
        f();
    }
}

fn busy_text(eval: bool) -> &'static str {
    if eval {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    }
}

/// A cached EVAL script.
pub struct Script {
    pub func: mlua::RegistryKey,
    pub body: Bytes,
    pub flags: ScriptFlags,
}

/// Everything the VM mutex protects.
pub struct State {
    pub vm: vm::Vm,
    /// The `redis.call` reply buffer, kept between calls.
    pub scratch: BytesMut,
    /// The scripts' client, kept between calls.
    pub script_client: Option<Client>,
    pub scripts: HashMap<Sha, Script, ahash::RandomState>,
    pub scripts_bytes: usize,
    pub libs: functions::Libraries,
}

/// The server's scripting state (`Server::scripting`).
pub struct Scripting {
    /// The VM, the script cache and the libraries. Locked only by script commands, which hold
    /// the world write lock first; never locked by a command a script can call (INFO reads the
    /// counters below), so `redis.call` cannot deadlock on it.
    pub state: Mutex<State>,
    pub busy: Arc<Busy>,
    /// The script's client identity (commands run by scripts see it as their client).
    script_client: Arc<crate::client::ClientInfo>,
    pub cached_scripts: AtomicUsize,
    pub scripts_memory: AtomicUsize,
    pub functions_count: AtomicUsize,
    pub libraries_count: AtomicUsize,
    pub functions_memory: AtomicUsize,
    pub lua_memory: AtomicUsize,
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting::new()
    }
}

impl Scripting {
    pub fn new() -> Scripting {
        let busy = Arc::new(Busy::default());
        let vm = vm::Vm::new(busy.clone()).expect("the Lua environment initializes");
        let addr: std::net::SocketAddr = ([0, 0, 0, 0], 0).into();
        let s = Scripting {
            state: Mutex::new(State {
                vm,
                scratch: BytesMut::new(),
                script_client: None,
                scripts: HashMap::default(),
                scripts_bytes: 0,
                libs: functions::Libraries::default(),
            }),
            busy,
            script_client: Arc::new(crate::client::ClientInfo::new(u64::MAX, addr, addr, -1)),
            cached_scripts: AtomicUsize::new(0),
            scripts_memory: AtomicUsize::new(0),
            functions_count: AtomicUsize::new(0),
            libraries_count: AtomicUsize::new(0),
            functions_memory: AtomicUsize::new(0),
            lua_memory: AtomicUsize::new(0),
        };
        s.refresh(&s.state.lock());
        s
    }

    /// Updates the counters INFO reads.
    pub fn refresh(&self, st: &State) {
        self.cached_scripts
            .store(st.scripts.len(), Ordering::Relaxed);
        self.scripts_memory
            .store(st.scripts_bytes, Ordering::Relaxed);
        self.functions_count
            .store(st.libs.functions_count(), Ordering::Relaxed);
        self.libraries_count
            .store(st.libs.libraries_count(), Ordering::Relaxed);
        self.functions_memory
            .store(st.libs.memory(), Ordering::Relaxed);
        self.lua_memory.store(st.vm.heap_bytes(), Ordering::Relaxed);
    }
}

/// Parses an EVAL body's shebang (Redis's `evalExtractShebangFlags`): the flags and how many
/// bytes of the body it takes (the newline stays, so line numbers are unchanged).
pub fn eval_shebang(body: &[u8]) -> Result<(ScriptFlags, usize), CmdError> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags(ScriptFlags::EVAL_COMPAT), 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(CmdError::msg("ERR Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let parts: Vec<&str> = line.split_ascii_whitespace().collect();
    let Some(engine) = parts.first() else {
        return Err(CmdError::msg("ERR Invalid engine in script shebang"));
    };
    if *engine != "#!lua" {
        return Err(CmdError::err(format_args!(
            "Unexpected engine in script shebang: {engine}"
        )));
    }
    let mut flags = 0;
    for p in &parts[1..] {
        let Some(list) = p.strip_prefix("flags=") else {
            return Err(CmdError::err(format_args!(
                "Unknown lua shebang option: {p}"
            )));
        };
        for f in list.split(',').filter(|f| !f.is_empty()) {
            flags |= ScriptFlags::from_name(f.as_bytes()).ok_or_else(|| {
                CmdError::err(format_args!("Unexpected flag in script shebang: {f}"))
            })?;
        }
    }
    Ok((ScriptFlags(flags), end))
}

/// A script's SHA-1 in lowercase hex: the script cache's key.
pub type Sha = [u8; 40];

/// The cache key for an EVALSHA / SCRIPT EXISTS argument (any case), if it can be one.
pub fn sha_key(arg: &[u8]) -> Option<Sha> {
    let mut k: Sha = arg.try_into().ok()?;
    k.make_ascii_lowercase();
    Some(k)
}

/// The script cache's key as text (it is ASCII hex).
pub fn sha_str(sha: &Sha) -> &str {
    std::str::from_utf8(sha).unwrap_or("")
}

/// Compiles `body` into the cache (if not there yet) and returns its SHA-1.
pub fn load_script(st: &mut State, body: &[u8]) -> Result<Sha, CmdError> {
    let hex = sha1::sha1_hex(body);
    let sha = sha_key(hex.as_bytes()).expect("40 hex digits");
    if st.scripts.contains_key(&sha) {
        return Ok(sha);
    }
    let (flags, skip) = eval_shebang(body)?;
    let func = st
        .vm
        .compile_script(&body[skip..])
        .map_err(|e| CmdError::Msg(e.into()))?;
    st.scripts_bytes += body.len() + 40;
    st.scripts.insert(
        sha,
        Script {
            func,
            body: Bytes::copy_from_slice(body),
            flags,
        },
    );
    Ok(sha)
}

/// What to run: an EVAL script (keys/args as KEYS/ARGV) or a function (keys/args as parameters).
pub enum Target {
    Eval { sha: Sha },
    Function { name: String },
}

/// Runs a script or function for `ctx`'s client and writes its reply. The caller holds the
/// world write lock and has validated numkeys; `ro` is EVAL_RO/EVALSHA_RO/FCALL_RO.
pub fn run(
    ctx: &mut crate::commands::Ctx,
    target: Target,
    keys: &[Bytes],
    args: &[Bytes],
    ro: bool,
) -> Result<(), CmdError> {
    let scripting = &ctx.srv.scripting;
    let mut guard = scripting.state.lock();
    let st = &mut *guard;
    let (func, flags, name, is_eval) = match &target {
        Target::Eval { sha } => {
            let s = st
                .scripts
                .get(sha)
                .ok_or_else(|| CmdError::msg("NOSCRIPT No matching script. Please use EVAL."))?;
            (&s.func, s.flags, sha_str(sha), true)
        }
        Target::Function { name } => {
            let f = st
                .libs
                .function(name)
                .ok_or_else(|| CmdError::msg("ERR Function not found"))?;
            (&f.func, f.flags, f.name.as_str(), false)
        }
    };
    if !flags.has(ScriptFlags::EVAL_COMPAT) && !flags.has(ScriptFlags::NO_WRITES) && ro {
        return Err(CmdError::msg(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    let threshold = ctx.srv.busy_reply_threshold_ms.load(Ordering::Relaxed);
    let mut client = st
        .script_client
        .take()
        .unwrap_or_else(|| Client::new(scripting.script_client.clone(), true));
    // The script's client starts in the caller's database, speaking RESP2 until the script
    // calls `redis.setresp(3)` (none of the commands a script may run changes anything else).
    client.db = ctx.client.db;
    client.resp3 = false;
    let mut state = vm::RunState {
        srv: ctx.srv,
        client,
        unit: crate::commands::Unit::new(ctx.ks.now),
        read_only: ro || flags.has(ScriptFlags::NO_WRITES),
        busy: &scripting.busy,
        buf: std::mem::take(&mut st.scratch),
        err: String::new(),
    };
    scripting
        .busy
        .begin(is_eval, threshold, ctx.ks.now, name, ctx.argv);
    let result = invoke::call(
        &st.vm,
        func,
        keys,
        args,
        is_eval,
        name,
        &mut state,
        &mut ctx.out,
    );
    scripting.busy.end();
    // The script's commands counted their own changes (server.dirty) as they ran; the script
    // is logged as its writes' effects (Redis 7's effects replication), in one MULTI/EXEC.
    state.client.stats.flush(&ctx.srv.stats);
    ctx.ready.append(&mut state.unit.ready);
    ctx.prop = crate::commands::Prop::Cmds(std::mem::take(&mut state.unit.effects));
    if state.buf.capacity() <= SCRATCH_KEEP {
        state.buf.clear();
        st.scratch = state.buf;
    }
    st.script_client = Some(state.client);
    // The other INFO counters change only with the cache and the libraries.
    scripting
        .lua_memory
        .store(st.vm.heap_bytes(), Ordering::Relaxed);
    result.map_err(|e| CmdError::Msg(e.into()))
}

/// Largest `redis.call` reply buffer kept for the next script.
const SCRATCH_KEEP: usize = 64 * 1024;

/// Called by dispatch for every command before it takes any lock: while a script runs, waits
/// until it ends or passes `busy-reply-threshold`, then answers BUSY (`Some(Err)`), serves
/// SCRIPT KILL / FUNCTION KILL / FUNCTION STATS / SHUTDOWN NOSAVE itself (`Some(Ok(flow))`), or
/// lets the command proceed (`None`).
pub fn busy_gate(
    srv: &Arc<Server>,
    client: &mut Client,
    wbuf: &mut BytesMut,
    cmd: &Command,
    argv: &[Bytes],
) -> Option<Result<Flow, CmdError>> {
    let busy = &srv.scripting.busy;
    if !busy.is_running() {
        return None;
    }
    // A script that started a moment ago is almost always a short one: wait for it at the world
    // lock like for any other command. Parking in the gate (which hands this worker's other
    // connections to another thread) is for scripts that may turn out long.
    let ran_ms = crate::util::now_ms().saturating_sub(busy.start_ms.load(Ordering::Relaxed));
    if ran_ms < GATE_AFTER_MS {
        return None;
    }
    blocking_section(|| {
        let mut g = busy.mx.lock();
        while busy.is_running() && !busy.timed_out.load(Ordering::Acquire) {
            busy.cv.wait_for(&mut g, Duration::from_millis(50));
        }
    });
    // Only a script that has run past the threshold makes others busy: another client's
    // script may have started the moment the one waited for ended.
    if !busy.timed_out() {
        return None;
    }
    let table = crate::commands::table();
    let top = cmd
        .parent
        .map_or(cmd.def.name, |p| table.commands[p].def.name);
    let sub = if cmd.parent.is_some() {
        cmd.def.name
    } else {
        ""
    };
    match (top, sub) {
        ("script", "kill") | ("function", "kill") => Some(busy.kill(top == "script").map(|()| {
            Out::new(wbuf, client.resp3).ok();
            Flow::Continue
        })),
        ("function", "stats") => {
            crate::commands::scripting::write_function_stats(
                srv,
                &mut Out::new(wbuf, client.resp3),
            );
            Some(Ok(Flow::Continue))
        }
        ("shutdown", _) => {
            if argv[1..].iter().any(|a| a.eq_ignore_ascii_case(b"nosave")) {
                tracing::warn!("User requested shutdown during a busy script...");
                busy.kill.store(true, Ordering::Relaxed);
                srv.shutdown();
                Some(Ok(Flow::Close))
            } else {
                Some(Err(CmdError::msg(busy_text(
                    busy.is_eval.load(Ordering::Relaxed),
                ))))
            }
        }
        _ if cmd.def.flags.has(Flags::ALLOW_BUSY) => None,
        _ => Some(Err(CmdError::msg(busy_text(
            busy.is_eval.load(Ordering::Relaxed),
        )))),
    }
}

/// The scripting lines of INFO's memory section, in Redis 7.0's order.
pub fn info_memory(s: &Scripting) -> String {
    let human = |n: usize| {
        if n < 1024 {
            format!("{n}B")
        } else if n < 1024 * 1024 {
            format!("{:.2}K", n as f64 / 1024.0)
        } else {
            format!("{:.2}M", n as f64 / (1024.0 * 1024.0))
        }
    };
    let lua = s.lua_memory.load(Ordering::Relaxed);
    let scripts = s.scripts_memory.load(Ordering::Relaxed);
    let functions = s.functions_memory.load(Ordering::Relaxed);
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push_str("\r\n");
    };
    line(format!("used_memory_lua:{lua}"));
    line(format!("used_memory_vm_eval:{lua}"));
    line(format!("used_memory_lua_human:{}", human(lua)));
    line(format!("used_memory_scripts_eval:{scripts}"));
    line(format!(
        "number_of_cached_scripts:{}",
        s.cached_scripts.load(Ordering::Relaxed)
    ));
    line(format!(
        "number_of_functions:{}",
        s.functions_count.load(Ordering::Relaxed)
    ));
    line(format!(
        "number_of_libraries:{}",
        s.libraries_count.load(Ordering::Relaxed)
    ));
    line("used_memory_vm_functions:0".to_string());
    line(format!("used_memory_vm_total:{lua}"));
    line(format!("used_memory_vm_total_human:{}", human(lua)));
    line(format!("used_memory_functions:{functions}"));
    line(format!("used_memory_scripts:{}", scripts + functions));
    line(format!(
        "used_memory_scripts_human:{}",
        human(scripts + functions)
    ));
    out
}
