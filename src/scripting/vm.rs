//! The Lua VM: Redis 7.0's scripting environment on stock Lua 5.1 (through mlua), the
//! `redis.*` API, and the conversions between Lua values and RESP.
//!
//! The environment itself (read-only globals and libraries, the error handler, the FUNCTION
//! load-time API) is set up by `bootstrap.lua`; this file provides the Rust callbacks it wires
//! in. A callback never raises a binding error: it returns `(false, error table)` and the Lua
//! wrapper raises it, so scripts only ever see Lua values.
//!
//! While a script runs, its execution state ([`RunState`]: the script's own client, the keys
//! it made ready, its flags) is the VM's app data; `redis.call` takes it to run commands
//! through [`crate::commands::run`] as EXEC does, encodes the reply into a scratch buffer and
//! parses that back into Lua values, exactly as Redis's `redisProtocolToLuaType` reads it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use mlua::{
    Function, HookTriggers, Lua, LuaOptions, MultiValue, RegistryKey, StdLib, Table, Value, VmState,
};

use super::{Busy, ScriptFlags};
use crate::client::Client;
use crate::commands;
use crate::server::Server;

/// Instructions between two checks of the time limit and the kill flag.
const HOOK_EVERY: u32 = 10_000;
/// Deepest reply nesting converted before giving up with Redis's stack-limit error.
pub const MAX_REPLY_DEPTH: usize = 1000;
/// Memory the Lua heap may use; past it allocations fail with Lua's "not enough memory".
const LUA_MEMORY_LIMIT: usize = 1 << 30;

/// How long a library's code may run during FUNCTION LOAD (Redis's `LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT_MS: u64 = 500;

pub const KILLED_MSG: &str = "ERR Script killed by user with SCRIPT KILL...";

/// What `redis.call` needs while a script or function runs (the VM's app data).
pub struct RunState<'a> {
    pub srv: &'a Arc<Server>,
    /// The script's client: the caller's database, its own protocol (`redis.setresp`).
    pub client: Client,
    /// The script as an execution unit: keys made ready for blocked clients, served after the
    /// whole script, and the AOF effects of its writes, logged as one MULTI/EXEC block.
    pub unit: commands::Unit,
    /// EVAL_RO / FCALL_RO / a `no-writes` script: write commands are refused.
    pub read_only: bool,
    pub busy: &'a Busy,
    /// Scratch buffer for each command's reply.
    pub buf: BytesMut,
    /// The text of the last `redis.call` error, read by Lua from here.
    pub err: String,
}

/// A function registered by `redis.register_function` during FUNCTION LOAD.
pub struct Registered {
    pub name: String,
    pub func: RegistryKey,
    pub flags: ScriptFlags,
    pub description: Option<Bytes>,
}

/// Collects registrations while a library's code runs (the VM's app data during FUNCTION LOAD).
#[derive(Default)]
pub struct LoadState {
    pub functions: Vec<Registered>,
}

/// The VM and the handles into its environment.
pub struct Vm {
    pub lua: Lua,
    busy: Arc<Busy>,
    run: Function,
    script_env: Table,
    function_env: Table,
    set_loading: Function,
    pub(super) raw: RawState,
    pub(super) refs: super::invoke::Refs,
    /// Keep the registry entries behind `refs` alive.
    _held: [RegistryKey; 3],
}

impl Vm {
    /// The Lua heap's size in bytes, as Lua counts it (Redis's `used_memory_lua`). Read
    /// through the C API: the binding's accessor takes its lock, and this runs after every
    /// script.
    pub fn heap_bytes(&self) -> usize {
        // SAFETY: the caller holds the VM (the scripting state's mutex); LUA_GCCOUNT and
        // LUA_GCCOUNTB only read the collector's byte count.
        unsafe {
            let kb = mlua::ffi::lua_gc(self.raw.0, mlua::ffi::LUA_GCCOUNT, 0);
            let rem = mlua::ffi::lua_gc(self.raw.0, mlua::ffi::LUA_GCCOUNTB, 0);
            kb.max(0) as usize * 1024 + rem.max(0) as usize
        }
    }

    pub fn new(busy: Arc<Busy>) -> mlua::Result<Vm> {
        // DEBUG is opened for the error handler's `debug.getinfo`; the bootstrap removes the
        // global. No io/os/package: Redis 7.0 has none of them.
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // SAFETY: the debug library is only reachable from the bootstrap's locals.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new()) };
        let g = lua.globals();
        g.raw_set("cjson", super::libs::cjson(&lua)?)?;
        g.raw_set("cmsgpack", super::libs::cmsgpack(&lua)?)?;
        g.raw_set("struct", super::libs::lua_struct(&lua)?)?;
        g.raw_set("bit", super::libs::bit(&lua)?)?;
        let raw = lua.create_table()?;
        raw.raw_set("version", "7.0.15")?;
        raw.raw_set("version_num", 0x07000f)?;
        // SAFETY: both follow the C function protocol (see `invoke`).
        unsafe {
            raw.raw_set("call", lua.create_c_function(super::invoke::redis_call)?)?;
            raw.raw_set("pcall", lua.create_c_function(super::invoke::redis_pcall)?)?;
        }
        raw.raw_set("error_reply", lua.create_function(error_reply)?)?;
        raw.raw_set("status_reply", lua.create_function(status_reply)?)?;
        raw.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
        raw.raw_set("log", lua.create_function(log)?)?;
        raw.raw_set("setresp", lua.create_function(setresp)?)?;
        raw.raw_set("set_repl", lua.create_function(set_repl)?)?;
        raw.raw_set("acl_check_cmd", lua.create_function(acl_check_cmd)?)?;
        raw.raw_set(
            "register_function",
            lua.create_function(super::functions::register_function)?,
        )?;
        raw.raw_set(
            "failure",
            lua.create_function(|_, v: Value| {
                Ok(match v {
                    Value::Error(e) => failure_text(&e),
                    _ => "ERR execution failure".to_string(),
                })
            })?,
        )?;
        // SAFETY: `set_readonly` follows the C function protocol.
        raw.raw_set("readonly", unsafe { lua.create_c_function(set_readonly)? })?;
        let b = busy.clone();
        raw.raw_set(
            "killed",
            lua.create_function(move |_, ()| Ok(b.is_killed()))?,
        )?;
        raw.raw_set(
            "cwrap",
            lua.create_function(|lua, (f, add_where): (Function, bool)| {
                raising_closure(lua, &f, add_where)
            })?,
        )?;
        let rng = Arc::new(parking_lot::Mutex::new(Rand48::new(
            rand::random::<u32>() as i32
        )));
        let r = rng.clone();
        raw.raw_set(
            "random",
            lua.create_function(move |_, a: MultiValue| math_random(&r, a))?,
        )?;
        raw.raw_set(
            "randomseed",
            lua.create_function(move |_, a: MultiValue| {
                let seed = a.front().map(number_of).unwrap_or(0.0);
                *rng.lock() = Rand48::new(seed as i32);
                Ok(())
            })?,
        )?;
        let boot = lua
            .load(include_str!("bootstrap.lua"))
            .set_name("=herald")
            .into_function()?;
        let (run, script_env, function_env, set_loading): (Function, Table, Table, Function) =
            boot.call((g.clone(), raw))?;
        lua.set_memory_limit(LUA_MEMORY_LIMIT)?;
        let hook_busy = busy.clone();
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| hook_busy.check(),
        )?;
        let handler = lua.create_registry_value(g.raw_get::<Function>("__redis__err__handler")?)?;
        let globals = lua.create_registry_value(g)?;
        let entry = lua.create_registry_value(super::invoke::entry_function(&lua)?)?;
        let refs = super::invoke::Refs {
            handler: handler.id(),
            globals: globals.id(),
            entry: entry.id(),
        };
        let mut main = std::ptr::null_mut();
        // SAFETY: the closure only records the state it is called with (the main state).
        unsafe { lua.exec_raw::<()>((), |l| main = l)? };
        Ok(Vm {
            lua,
            busy,
            run,
            script_env,
            function_env,
            set_loading,
            raw: RawState(main),
            refs,
            _held: [handler, globals, entry],
        })
    }

    /// Compiles an EVAL body (chunk `@user_script`) in the script environment.
    pub fn compile_script(&self, body: &[u8]) -> Result<RegistryKey, String> {
        let f = self
            .lua
            .load(body)
            .set_name("@user_script")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(self.script_env.clone())
            .into_function()
            .map_err(|e| {
                format!(
                    "ERR Error compiling script (new function): {}",
                    lua_message(&e)
                )
            })?;
        self.lua
            .create_registry_value(f)
            .map_err(|e| format!("ERR {}", lua_message(&e)))
    }

    /// Compiles and runs a library's code (chunk `@user_function`) with the load-time API,
    /// returning the functions it registered.
    pub fn load_library(&self, code: &[u8]) -> Result<Vec<Registered>, String> {
        let f = self
            .lua
            .load(code)
            .set_name("@user_function")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(self.function_env.clone())
            .into_function()
            .map_err(|e| format!("ERR Error compiling function: {}", lua_message(&e)))?;
        self.lua.set_app_data(LoadState::default());
        let _ = self.set_loading.call::<()>(true);
        self.busy
            .set_load_deadline(crate::util::now_ms() + LOAD_TIMEOUT_MS);
        let result = self.run.call::<(bool, Value)>(f);
        self.busy.set_load_deadline(0);
        let _ = self.set_loading.call::<()>(false);
        let state = self.lua.remove_app_data::<LoadState>().unwrap_or_default();
        match result {
            Ok((true, _)) => Ok(state.functions),
            Ok((false, e)) => Err(format!(
                "ERR Error registering functions: {}",
                error_field(&e).unwrap_or_else(|| "execution failure".into())
            )),
            Err(e) => Err(format!(
                "ERR Error registering functions: {}",
                lua_message(&e)
            )),
        }
    }
}

/// The VM's main Lua state, for the per-call path ([`super::invoke`]).
pub(super) struct RawState(pub(super) *mut mlua::ffi::lua_State);

// SAFETY: the pointer is only used while the VM's lock is held, like the `Lua` it belongs to.
unsafe impl Send for RawState {}

/// Wraps `f` (a callback returning `(true, results...)` or `(false, error)`) into a C function
/// that returns the results or raises the error. It must be a C function: a Lua wrapper would be
/// tail-called by `return redis.call(...)`, losing the script's frame, and with it the
/// `@user_script:N` position Redis reports. With `add_where`, string errors get the caller's
/// position prefix, as `luaL_error` adds it.
pub(super) fn raising_closure(lua: &Lua, f: &Function, add_where: bool) -> mlua::Result<Function> {
    // SAFETY: the closure only pushes a C closure over the two arguments exec_raw pushed.
    unsafe {
        lua.exec_raw::<Function>((f.clone(), add_where), |state| {
            mlua::ffi::lua_pushcclosure(state, raise_failures, 2);
        })
    }
}

// Read-only tables of Herald's Lua (vendor/lua-src/lua-5.1.5/lapi.c, Redis's patch): every
// write into a table so marked raises "Attempt to modify a readonly table".
extern "C-unwind" {
    pub(super) fn lua_enablereadonlytable(
        l: *mut mlua::ffi::lua_State,
        idx: std::ffi::c_int,
        enabled: std::ffi::c_int,
    );
}

/// `raw.readonly(t)`: marks table `t` read-only (the bootstrap's `protect`).
unsafe extern "C-unwind" fn set_readonly(l: *mut mlua::ffi::lua_State) -> std::ffi::c_int {
    mlua::ffi::luaL_checktype(l, 1, mlua::ffi::LUA_TTABLE);
    lua_enablereadonlytable(l, 1, 1);
    0
}

/// The C side of [`raising_closure`]. Holds no Rust values with destructors, since `lua_error`
/// unwinds with longjmp.
unsafe extern "C-unwind" fn raise_failures(l: *mut mlua::ffi::lua_State) -> std::ffi::c_int {
    use mlua::ffi;
    let n = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    let nres = ffi::lua_gettop(l);
    if nres >= 1 && ffi::lua_type(l, 1) == ffi::LUA_TBOOLEAN && ffi::lua_toboolean(l, 1) == 0 {
        ffi::lua_settop(l, 2);
        if ffi::lua_toboolean(l, ffi::lua_upvalueindex(2)) != 0
            && ffi::lua_type(l, 2) == ffi::LUA_TSTRING
        {
            ffi::luaL_where(l, 1);
            ffi::lua_insert(l, 2);
            ffi::lua_concat(l, 2);
        }
        ffi::lua_error(l);
    }
    ffi::lua_remove(l, 1);
    nres - 1
}

thread_local! {
    /// Lowest address a script's nested conversions may reach on this thread (0: no script).
    static STACK_LIMIT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The lowest address of this thread's stack (0: unknown), looked up once.
    static STACK_END: usize = stack_end();
}

/// Stack a script may use for nested conversions (cjson, cmsgpack, replies) below the point it
/// was entered: tokio's worker threads have 2 MiB, and Lua's own C calls need room too.
const STACK_BUDGET: usize = 1024 * 1024;
/// Stack always left free below the deepest conversion (for Lua's C calls and the allocator).
const STACK_RESERVE: usize = 256 * 1024;

fn stack_here() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// The lowest address of the calling thread's stack, as pthreads reports it.
fn stack_end() -> usize {
    // SAFETY: plain pthread queries on the calling thread, with a zeroed attribute object that
    // is initialized by pthread_getattr_np and destroyed after use.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return 0;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if ok {
            addr as usize
        } else {
            0
        }
    }
}

/// Whether a recursive conversion may go one level deeper without risking the thread's stack.
pub fn stack_ok() -> bool {
    stack_here() > STACK_LIMIT.with(|b| b.get())
}

/// Records the stack position scripts start from (restored by the guard's drop).
pub struct StackBase(usize);

impl StackBase {
    /// From here on, conversions may use [`STACK_BUDGET`] bytes of stack, and never the last
    /// [`STACK_RESERVE`] bytes of the thread's stack.
    pub fn enter() -> StackBase {
        let here = stack_here();
        let end = STACK_END.with(|e| *e);
        let limit = here
            .saturating_sub(STACK_BUDGET)
            .max(end.saturating_add(STACK_RESERVE));
        StackBase(STACK_LIMIT.with(|b| b.replace(limit)))
    }
}

impl Drop for StackBase {
    fn drop(&mut self) {
        STACK_LIMIT.with(|b| b.set(self.0));
    }
}

/// The message of a Lua error as Lua would print it (syntax and runtime errors carry the
/// `user_script:N:` position already).
pub fn lua_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::MemoryError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_message(cause),
        other => other.to_string(),
    }
}

/// The text of an error raised from Rust (the hook's kill error) as the script error table's
/// `err` field.
fn failure_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => failure_text(cause),
        mlua::Error::RuntimeError(m) => m.clone(),
        other => format!("ERR {other}"),
    }
}

/// `t.err` of an error table, as a string.
pub fn error_field(v: &Value) -> Option<String> {
    match v {
        Value::Table(t) => match t.raw_get::<Value>("err").ok()? {
            Value::String(s) => Some(s.to_string_lossy()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Number(n) => Some(fmt_g(n, 14)),
            _ => None,
        },
        Value::String(s) => Some(s.to_string_lossy()),
        _ => None,
    }
}

/// C's `printf("%.<prec>g", d)` (`prec` 14 or 17).
pub fn fmt_g(d: f64, prec: usize) -> String {
    let mut out = Vec::new();
    fmt_g_into(d, prec, &mut out);
    // SAFETY: %g output and integer digits are ASCII.
    unsafe { String::from_utf8_unchecked(out) }
}

/// [`fmt_g`], appended to `out`. Integral values below 10^prec print as their digits under %g,
/// so they skip printf's floating-point formatting (negative zero prints "-0" and takes it).
pub fn fmt_g_into(d: f64, prec: usize, out: &mut Vec<u8>) {
    let limit = if prec == 17 { 1e17 } else { 1e14 };
    if d.fract() == 0.0 && d.abs() < limit && !(d == 0.0 && d.is_sign_negative()) {
        out.extend_from_slice(itoa::Buffer::new().format(d as i64).as_bytes());
        return;
    }
    let mut buf = [0u8; 64];
    let fmt: &[u8] = if prec == 17 { b"%.17g\0" } else { b"%.14g\0" };
    // SAFETY: the buffer is large enough for any %g output and snprintf NUL-terminates it.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            fmt.as_ptr() as *const libc::c_char,
            d,
        )
    };
    let n = (n.max(0) as usize).min(buf.len() - 1);
    out.extend_from_slice(&buf[..n]);
}

/// A Lua number as C's `(long long)` cast does it on x86-64 (out of range and NaN give i64::MIN).
pub fn lua_number_to_i64(n: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

fn number_of(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        Value::String(s) => s
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

/// A table `{key = v}`.
fn single(lua: &Lua, key: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(key, v)?;
    Ok(Value::Table(t))
}

/// An error table `{err = text}`.
fn err_table(lua: &Lua, text: &str) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set("err", text)?;
    Ok(Value::Table(t))
}

/// Redis's `luaPushErrorBuff`: `-CODE msg` keeps its code, anything else gets `ERR`.
pub fn error_buff(s: &str) -> String {
    let (code, msg) = match s.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", rest),
        },
        None => ("ERR", s),
    };
    let msg = msg.trim_matches(|c| c == '\r' || c == '\n');
    format!("{code} {msg}")
}

fn failed(lua: &Lua, text: &str) -> mlua::Result<(bool, Value)> {
    Ok((false, err_table(lua, &error_buff(text))?))
}

// ---------------------------------------------------------------------------------------------
// The rest of the redis.* API

/// redis.error_reply(msg)
fn error_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    match (args.len(), args.front()) {
        (1, Some(Value::String(s))) => {
            let s = s.to_string_lossy();
            let s = if s.starts_with('-') {
                s
            } else {
                format!("-{s}")
            };
            err_table(lua, &error_buff(&s))
        }
        _ => err_table(lua, "ERR wrong number or type of arguments"),
    }
}

/// redis.status_reply(msg)
fn status_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    match (args.len(), args.front()) {
        (1, Some(Value::String(s))) => single(lua, "ok", s.clone()),
        _ => err_table(lua, "ERR wrong number or type of arguments"),
    }
}

/// redis.sha1hex(string)
fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    if args.len() != 1 {
        return failed(lua, "wrong number of arguments");
    }
    let data: Vec<u8> = match args.front() {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        Some(Value::Integer(i)) => i.to_string().into_bytes(),
        Some(Value::Number(n)) => fmt_g(*n, 14).into_bytes(),
        _ => Vec::new(),
    };
    let hex = super::sha1::sha1_hex(&data);
    Ok((true, Value::String(lua.create_string(hex)?)))
}

/// redis.log(level, message, ...)
fn log(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    if args.len() < 2 {
        return failed(lua, "redis.log() requires two arguments or more.");
    }
    let level = match args.front() {
        Some(Value::Integer(i)) => *i,
        Some(Value::Number(n)) => *n as i64,
        _ => return failed(lua, "First argument must be a number (log level)."),
    };
    if !(0..=3).contains(&level) {
        return failed(lua, "Invalid debug level.");
    }
    let mut msg = String::new();
    for (i, a) in args.iter().skip(1).enumerate() {
        if i > 0 {
            msg.push(' ');
        }
        match a {
            Value::String(s) => msg.push_str(&s.to_string_lossy()),
            Value::Integer(n) => msg.push_str(&n.to_string()),
            Value::Number(n) => msg.push_str(&fmt_g(*n, 14)),
            _ => {}
        }
    }
    match level {
        0 => tracing::debug!(target: "lua", "{msg}"),
        1 | 2 => tracing::info!(target: "lua", "{msg}"),
        _ => tracing::warn!(target: "lua", "{msg}"),
    }
    Ok((true, Value::Nil))
}

/// redis.setresp(2|3)
fn setresp(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    if args.len() != 1 {
        return failed(lua, "redis.setresp() requires one argument.");
    }
    let v = args.front().map(number_of).unwrap_or(0.0) as i64;
    if v != 2 && v != 3 {
        return failed(lua, "RESP version must be 2 or 3.");
    }
    // SAFETY: no Lua code runs while the reference is held.
    if let Some(st) = unsafe { super::invoke::current() } {
        st.client.resp3 = v == 3;
    }
    Ok((true, Value::Nil))
}

/// redis.set_repl(flags): Herald replicates effects only, so this just validates.
fn set_repl(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    if args.len() != 1 {
        return failed(lua, "redis.set_repl() requires two arguments.");
    }
    let v = args.front().map(number_of).unwrap_or(-1.0) as i64;
    if !(0..=3).contains(&v) {
        return failed(
            lua,
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
    }
    Ok((true, Value::Nil))
}

/// redis.acl_check_cmd(command, arg, ...): Herald's only user may run everything.
fn acl_check_cmd(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    if args.is_empty() {
        return failed(
            lua,
            "Please specify at least one argument for this redis lib call",
        );
    }
    let mut argv = Vec::new();
    for a in args.iter() {
        match a {
            Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(i) => argv.push(Bytes::from(i.to_string())),
            Value::Number(n) => argv.push(Bytes::from(fmt_g(*n, 17))),
            _ => {
                return failed(
                    lua,
                    "Lua redis lib command arguments must be strings or integers",
                )
            }
        }
    }
    match commands::table().resolve(&argv) {
        Ok(c) if c.def.arity_ok(argv.len()) => Ok((true, Value::Boolean(true))),
        _ => failed(lua, "Invalid command passed to redis.acl_check_cmd()"),
    }
}

// ---------------------------------------------------------------------------------------------
// math.random: Redis's rand48, so sequences match for a given math.randomseed.

pub struct Rand48(u64);

impl Rand48 {
    pub fn new(seed: i32) -> Rand48 {
        Rand48((((seed as u32) as u64) << 16) | 0x330E)
    }

    fn next(&mut self) -> i32 {
        self.0 = (self.0.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & ((1 << 48) - 1);
        (self.0 >> 17) as i32
    }
}

fn math_random(rng: &parking_lot::Mutex<Rand48>, args: MultiValue) -> mlua::Result<f64> {
    const MAX: f64 = i32::MAX as f64;
    let r = (rng.lock().next() as i64 % i32::MAX as i64) as f64 / MAX;
    let arg = |i: usize| -> mlua::Result<f64> {
        match args.get(i) {
            Some(Value::Integer(n)) => Ok(*n as f64),
            Some(Value::Number(n)) => Ok(*n),
            Some(Value::String(s)) => s
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| {
                    mlua::Error::runtime(format!(
                        "bad argument #{} to 'random' (number expected, got string)",
                        i + 1
                    ))
                }),
            other => Err(mlua::Error::runtime(format!(
                "bad argument #{} to 'random' (number expected, got {})",
                i + 1,
                other.map_or("no value", |v| v.type_name())
            ))),
        }
    };
    match args.len() {
        0 => Ok(r),
        1 => {
            let u = arg(0)?.trunc();
            if u < 1.0 {
                return Err(mlua::Error::runtime(
                    "bad argument #1 to 'random' (interval is empty)",
                ));
            }
            Ok((r * u).floor() + 1.0)
        }
        2 => {
            let l = arg(0)?.trunc();
            let u = arg(1)?.trunc();
            if l > u {
                return Err(mlua::Error::runtime(
                    "bad argument #2 to 'random' (interval is empty)",
                ));
            }
            Ok((r * (u - l + 1.0)).floor() + l)
        }
        _ => Err(mlua::Error::runtime("wrong number of arguments")),
    }
}

/// Hook result: continue, or raise the kill error.
pub fn hook_result(kill: bool) -> mlua::Result<VmState> {
    if kill {
        Err(mlua::Error::RuntimeError(KILLED_MSG.to_string()))
    } else {
        Ok(VmState::Continue)
    }
}
