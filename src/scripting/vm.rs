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
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

use super::{Busy, ScriptFlags};
use crate::client::Client;
use crate::commands::{self, Flags};
use crate::protocol::Out;
use crate::server::Server;

/// Instructions between two checks of the time limit and the kill flag.
const HOOK_EVERY: u32 = 10_000;
/// Deepest reply nesting converted before giving up with Redis's stack-limit error.
const MAX_REPLY_DEPTH: usize = 1000;
/// Memory the Lua heap may use; past it allocations fail with Lua's "not enough memory".
const LUA_MEMORY_LIMIT: usize = 1 << 30;

/// How long a library's code may run during FUNCTION LOAD (Redis's `LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT_MS: u64 = 500;

pub const KILLED_MSG: &str = "ERR Script killed by user with SCRIPT KILL...";

/// What `redis.call` needs while a script or function runs (the VM's app data).
pub struct RunState {
    pub srv: Arc<Server>,
    /// The script's client: the caller's database, its own protocol (`redis.setresp`).
    pub client: Client,
    /// The script as an execution unit: keys made ready for blocked clients, served after the
    /// whole script, and the AOF effects of its writes, logged as one MULTI/EXEC block.
    pub unit: commands::Unit,
    /// EVAL_RO / FCALL_RO / a `no-writes` script: write commands are refused.
    pub read_only: bool,
    pub busy: Arc<Busy>,
    /// Scratch buffer for each command's reply.
    pub buf: BytesMut,
}

/// A function registered by `redis.register_function` during FUNCTION LOAD.
pub struct Registered {
    pub name: String,
    pub func: Function,
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
}

impl Vm {
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
        raw.raw_set(
            "call",
            lua.create_function(|lua, a| raw_call(lua, a, true))?,
        )?;
        raw.raw_set(
            "pcall",
            lua.create_function(|lua, a| Ok(raw_call(lua, a, false)?.1))?,
        )?;
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
            boot.call((g, raw))?;
        lua.set_memory_limit(LUA_MEMORY_LIMIT)?;
        let hook_busy = busy.clone();
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| hook_busy.check(),
        )?;
        Ok(Vm {
            lua,
            busy,
            run,
            script_env,
            function_env,
            set_loading,
        })
    }

    /// Compiles an EVAL body (chunk `@user_script`) in the script environment.
    pub fn compile_script(&self, body: &[u8]) -> Result<Function, String> {
        self.lua
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
            })
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

    /// Sets the KEYS and ARGV globals of an EVAL script.
    pub fn set_keys_argv(&self, keys: &[Bytes], args: &[Bytes]) -> mlua::Result<()> {
        let g = self.lua.globals();
        g.raw_set(
            "KEYS",
            self.lua
                .create_sequence_from(keys.iter().map(|k| BStr(k)))?,
        )?;
        g.raw_set(
            "ARGV",
            self.lua
                .create_sequence_from(args.iter().map(|k| BStr(k)))?,
        )?;
        Ok(())
    }

    /// Runs `f` (with `args`) under the error handler and the run state; returns the state back
    /// with the outcome.
    pub fn call(
        &self,
        f: &Function,
        args: Option<(&[Bytes], &[Bytes])>,
        state: RunState,
    ) -> (RunState, mlua::Result<(bool, Value)>) {
        self.lua.set_app_data(state);
        let _stack = StackBase::enter();
        let result = match args {
            None => self.run.call::<(bool, Value)>(f.clone()),
            Some((keys, argv)) => (|| {
                let k = self
                    .lua
                    .create_sequence_from(keys.iter().map(|k| BStr(k)))?;
                let a = self
                    .lua
                    .create_sequence_from(argv.iter().map(|k| BStr(k)))?;
                self.run.call::<(bool, Value)>((f.clone(), k, a))
            })(),
        };
        let state = self
            .lua
            .remove_app_data::<RunState>()
            .expect("run state set above");
        (state, result)
    }
}

/// Wraps `f` (a callback returning `(true, results...)` or `(false, error)`) into a C function
/// that returns the results or raises the error. It must be a C function: a Lua wrapper would be
/// tail-called by `return redis.call(...)`, losing the script's frame, and with it the
/// `@user_script:N` position Redis reports. With `add_where`, string errors get the caller's
/// position prefix, as `luaL_error` adds it.
fn raising_closure(lua: &Lua, f: &Function, add_where: bool) -> mlua::Result<Function> {
    // SAFETY: the closure only pushes a C closure over the two arguments exec_raw pushed.
    unsafe {
        lua.exec_raw::<Function>((f.clone(), add_where), |state| {
            mlua::ffi::lua_pushcclosure(state, raise_failures, 2);
        })
    }
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
    /// Address near the top of the stack when the running script was entered.
    static STACK_BASE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Stack a script may use for nested conversions (cjson, cmsgpack, replies) below the point it
/// was entered: tokio's worker threads have 2 MiB, and Lua's own C calls need room too.
const STACK_BUDGET: usize = 1024 * 1024;

fn stack_here() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// Whether a recursive conversion may go one level deeper without risking the thread's stack.
pub fn stack_ok() -> bool {
    let base = STACK_BASE.with(|b| b.get());
    base == 0 || base.saturating_sub(stack_here()) < STACK_BUDGET
}

/// Records the stack position scripts start from (restored by the guard's drop).
pub struct StackBase(usize);

impl StackBase {
    pub fn enter() -> StackBase {
        let prev = STACK_BASE.with(|b| b.replace(stack_here()));
        StackBase(prev)
    }
}

impl Drop for StackBase {
    fn drop(&mut self) {
        STACK_BASE.with(|b| b.set(self.0));
    }
}

/// A byte string pushed into Lua as a Lua string.
struct BStr<'a>(&'a [u8]);

impl mlua::IntoLua for BStr<'_> {
    fn into_lua(self, lua: &Lua) -> mlua::Result<Value> {
        lua.create_string(self.0).map(Value::String)
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

/// The final error reply of a failed script: Redis's `"<err> script: <name>, on <source>:<line>."`.
pub fn script_error(v: &Value, name: &str) -> String {
    let Value::Table(t) = v else {
        let msg = error_field(v).unwrap_or_else(|| "execution failure".into());
        let msg: String = msg.chars().take(100).collect();
        return format!("ERR Error running script {name}, {msg}");
    };
    let msg = error_field(v).unwrap_or_default();
    let source = t
        .raw_get::<Option<mlua::LuaString>>("source")
        .ok()
        .flatten();
    let line = t.raw_get::<Value>("line").ok();
    match (source, line) {
        (Some(src), Some(Value::Integer(l))) => {
            format!("{msg} script: {name}, on {}:{l}.", src.to_string_lossy())
        }
        (Some(src), Some(Value::Number(l))) => {
            format!(
                "{msg} script: {name}, on {}:{}.",
                src.to_string_lossy(),
                l as i64
            )
        }
        _ => msg,
    }
}

/// C's `printf("%.<prec>g", d)`.
pub fn fmt_g(d: f64, prec: usize) -> String {
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
    String::from_utf8_lossy(&buf[..n]).into_owned()
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
// redis.call / redis.pcall

/// redis.call(command, arg, ...) / redis.pcall: `(true, reply)` or `(false, error table)`.
fn raw_call(lua: &Lua, args: MultiValue, _raise: bool) -> mlua::Result<(bool, Value)> {
    if args.is_empty() {
        return failed(
            lua,
            "Please specify at least one argument for this redis lib call",
        );
    }
    let mut argv = Vec::with_capacity(args.len());
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
    let Some(mut state) = lua.app_data_mut::<RunState>() else {
        return failed(
            lua,
            "redis.call can only be called inside a script invocation",
        );
    };
    let table = commands::table();
    let Ok(cmd) = table.resolve(&argv) else {
        return failed(lua, "Unknown Redis command called from script");
    };
    if !cmd.def.arity_ok(argv.len()) {
        return failed(
            lua,
            "Wrong number of args calling Redis command from script",
        );
    }
    let parent_flags = cmd
        .parent
        .map_or(Flags::NONE, |p| table.commands[p].def.flags);
    if cmd.def.flags.has(Flags::NOSCRIPT) || parent_flags.has(Flags::NOSCRIPT) {
        return failed(lua, "This Redis command is not allowed from script");
    }
    if cmd.def.flags.has(Flags::WRITE) {
        if state.read_only {
            return failed(
                lua,
                "Write commands are not allowed from read-only scripts.",
            );
        }
        state.busy.mark_wrote();
    }
    let reply = {
        let state = &mut *state;
        state.buf.clear();
        run_nested(state, cmd, argv);
        state.buf.split().freeze()
    };
    drop(state);
    if let Some(rest) = reply.strip_prefix(b"-") {
        let text = String::from_utf8_lossy(rest);
        return failed(lua, &format!("-{}", text.trim_end_matches(['\r', '\n'])));
    }
    let mut pos = 0;
    let v = resp_to_lua(lua, &reply, &mut pos, 0)?;
    Ok((true, v))
}

/// Runs one command for a script, the way EXEC runs a queued one. The only call into
/// [`commands::run`] from scripting, so a change of its nested-execution parameter is made here.
fn run_nested(state: &mut RunState, cmd: &commands::Command, argv: Vec<Bytes>) {
    let RunState {
        srv,
        client,
        unit,
        buf,
        ..
    } = state;
    let _ = commands::run(srv, client, buf, cmd, argv, Some(unit));
}

// ---------------------------------------------------------------------------------------------
// RESP -> Lua (redisProtocolToLuaType)

fn line(buf: &[u8], pos: &mut usize) -> mlua::Result<Bytes> {
    let rest = buf.get(*pos..).unwrap_or_default();
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or_else(|| mlua::Error::runtime("truncated reply"))?;
    let l = Bytes::copy_from_slice(&rest[..end]);
    *pos += end + 2;
    Ok(l)
}

fn int_line(buf: &[u8], pos: &mut usize) -> mlua::Result<i64> {
    let l = line(buf, pos)?;
    crate::util::parse_i64(&l).ok_or_else(|| mlua::Error::runtime("bad reply length"))
}

fn bulk<'a>(buf: &'a [u8], pos: &mut usize, len: i64) -> mlua::Result<&'a [u8]> {
    let len = usize::try_from(len).map_err(|_| mlua::Error::runtime("bad bulk length"))?;
    let s = buf
        .get(*pos..*pos + len)
        .ok_or_else(|| mlua::Error::runtime("truncated reply"))?;
    *pos += len + 2;
    Ok(s)
}

fn single(lua: &Lua, key: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(key, v)?;
    Ok(Value::Table(t))
}

/// Parses one reply at `pos` into the Lua value a script sees.
fn resp_to_lua(lua: &Lua, buf: &[u8], pos: &mut usize, depth: usize) -> mlua::Result<Value> {
    let Some(&tag) = buf.get(*pos) else {
        return Err(mlua::Error::runtime("truncated reply"));
    };
    *pos += 1;
    if depth > MAX_REPLY_DEPTH || !stack_ok() {
        return Err(mlua::Error::runtime("reply nested too deeply"));
    }
    Ok(match tag {
        b'+' => single(lua, "ok", BStr(&line(buf, pos)?))?,
        b'-' => single(lua, "err", BStr(&line(buf, pos)?))?,
        b':' => Value::Number(int_line(buf, pos)? as f64),
        b'$' => {
            let n = int_line(buf, pos)?;
            if n < 0 {
                Value::Boolean(false)
            } else {
                Value::String(lua.create_string(bulk(buf, pos, n)?)?)
            }
        }
        b'*' | b'~' | b'>' => {
            let n = int_line(buf, pos)?;
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let t = lua.create_table()?;
            if tag == b'~' {
                for _ in 0..n {
                    let k = resp_to_lua(lua, buf, pos, depth + 1)?;
                    t.raw_set(k, true)?;
                }
                single(lua, "set", t)?
            } else {
                for i in 1..=n {
                    let v = resp_to_lua(lua, buf, pos, depth + 1)?;
                    t.raw_set(i, v)?;
                }
                Value::Table(t)
            }
        }
        b'%' | b'|' => {
            let n = int_line(buf, pos)?;
            let t = lua.create_table()?;
            for _ in 0..n.max(0) {
                let k = resp_to_lua(lua, buf, pos, depth + 1)?;
                let v = resp_to_lua(lua, buf, pos, depth + 1)?;
                t.raw_set(k, v)?;
            }
            if tag == b'|' {
                // Attributes are not passed to scripts: the value that follows is.
                return resp_to_lua(lua, buf, pos, depth);
            }
            single(lua, "map", t)?
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(line(buf, pos)?.as_ref() == b"t"),
        b',' => {
            let l = line(buf, pos)?;
            let d = match l.as_ref() {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                b"nan" => f64::NAN,
                s => crate::util::parse_f64(s).unwrap_or(0.0),
            };
            single(lua, "double", d)?
        }
        b'(' => single(lua, "big_number", BStr(&line(buf, pos)?))?,
        b'=' => {
            let n = int_line(buf, pos)?;
            let s = bulk(buf, pos, n)?;
            let (fmt, text) = if s.len() >= 4 {
                (&s[..3], &s[4..])
            } else {
                (&b""[..], s)
            };
            let v = lua.create_table()?;
            v.raw_set("format", BStr(fmt))?;
            v.raw_set("string", BStr(text))?;
            single(lua, "verbatim_string", v)?
        }
        _ => return Err(mlua::Error::runtime("unknown reply type")),
    })
}

// ---------------------------------------------------------------------------------------------
// Lua -> RESP (luaReplyToRedisReply)

/// Writes a script's return value as the caller's reply. `script_resp3` is the protocol the
/// script chose with `redis.setresp` (it decides how booleans convert).
pub fn lua_to_reply(out: &mut Out, v: &Value, script_resp3: bool, depth: usize) {
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp3 {
                out.boolean(*b)
            } else if *b {
                out.int(1)
            } else {
                out.null()
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(lua_number_to_i64(*n)),
        Value::Table(t) => {
            if depth >= MAX_REPLY_DEPTH || !stack_ok() {
                out.error("ERR reached lua stack limit");
                return;
            }
            table_to_reply(out, t, script_resp3, depth)
        }
        _ => out.null(),
    }
}

fn table_to_reply(out: &mut Out, t: &Table, script_resp3: bool, depth: usize) {
    let field = |k: &str| t.raw_get::<Value>(k).unwrap_or(Value::Nil);
    if let Value::String(e) = field("err") {
        let text = e.to_string_lossy();
        out.error(text.trim_end_matches(['\r', '\n']));
        return;
    }
    if let Value::String(s) = field("ok") {
        let text: String = s
            .to_string_lossy()
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        out.simple(&text);
        return;
    }
    match field("double") {
        Value::Number(n) => return out.double(n),
        Value::Integer(i) => return out.double(i as f64),
        _ => {}
    }
    if let Value::String(s) = field("big_number") {
        let b = s.as_bytes();
        if out.resp3 {
            out.raw(b"(");
            out.raw(&b);
            out.raw(b"\r\n");
        } else {
            out.bulk(&b);
        }
        return;
    }
    if let Value::Table(m) = field("map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(out, k, script_resp3, depth + 1);
            lua_to_reply(out, v, script_resp3, depth + 1);
        }
        return;
    }
    if let Value::Table(s) = field("set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok().map(|(k, _)| k))
            .collect();
        out.set(keys.len());
        for k in &keys {
            lua_to_reply(out, k, script_resp3, depth + 1);
        }
        return;
    }
    if let Value::Table(v) = field("verbatim_string") {
        if let (Ok(Value::String(fmt)), Ok(Value::String(s))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
        {
            let s = s.as_bytes();
            if out.resp3 {
                let mut f = [b' '; 3];
                for (d, c) in f.iter_mut().zip(fmt.as_bytes().iter()) {
                    *d = *c;
                }
                out.raw(format!("={}\r\n", s.len() + 4).as_bytes());
                out.raw(&f);
                out.raw(b":");
                out.raw(&s);
                out.raw(b"\r\n");
            } else {
                out.bulk(&s);
            }
            return;
        }
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    out.array(items.len());
    for v in &items {
        lua_to_reply(out, v, script_resp3, depth + 1);
    }
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
    if let Some(mut st) = lua.app_data_mut::<RunState>() {
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
