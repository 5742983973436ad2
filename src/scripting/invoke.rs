//! The per-call path into the VM, on Lua's C API: entering a script or function, `redis.call`
//! / `redis.pcall`, and the conversions between RESP and Lua values that run on every call.
//!
//! This is the code Redis runs for every EVALSHA (`luaCallFunction`, `luaRedisGenericCommand`,
//! `redisProtocolToLuaType`, `luaReplyToRedisReply`). Through the binding's value handles each of
//! these steps was a protected call that allocated two closures, which made a one-command script
//! cost four times Redis's CPU; here one protected call ([`entry`]) covers building KEYS/ARGV,
//! running the script under the error handler and writing its reply, and `redis.call` is a C
//! function that reads its arguments from the stack and pushes the reply straight back.
//!
//! Discipline, since Lua errors unwind with `longjmp`: a Lua API call that can raise (anything
//! that allocates) is never made while a Rust value with a destructor is alive in a frame it
//! would unwind. The Rust work of `redis.call` (running the command) happens in a function that
//! returns before anything is pushed; what it leaves for Lua lives in the [`RunState`].

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};

use bytes::{Bytes, BytesMut};
use mlua::ffi::{self, lua_State};
use smallvec::SmallVec;

use super::vm::{error_buff, fmt_g, lua_number_to_i64, stack_ok, RunState, Vm, MAX_REPLY_DEPTH};
use crate::commands::{self, Flags};
use crate::protocol::Out;

thread_local! {
    /// The run state of the script executing on this thread (null when none is).
    static CURRENT: Cell<*mut RunState<'static>> = const { Cell::new(std::ptr::null_mut()) };
}

/// The running script's state, for the redis.* callbacks.
///
/// # Safety
/// The reference must not outlive the callback, and must not be held across a call back into
/// the script (none of the callbacks runs Lua code).
pub unsafe fn current<'a>() -> Option<&'a mut RunState<'static>> {
    CURRENT.with(|c| c.get().as_mut())
}

/// Registry references of the values every call needs.
#[derive(Clone, Copy)]
pub struct Refs {
    /// The error handler (`err_handler` of bootstrap.lua).
    pub handler: c_int,
    /// The real globals table, where EVAL's KEYS and ARGV live.
    pub globals: c_int,
    /// [`entry`], as a Lua C function.
    pub entry: c_int,
}

/// One script or function call, handed to [`entry`].
struct Invocation<'a, 'o> {
    refs: Refs,
    func: c_int,
    keys: &'a [Bytes],
    args: &'a [Bytes],
    /// EVAL (KEYS/ARGV globals) or FCALL (keys and args as the two parameters).
    eval: bool,
    name: &'a str,
    out: &'a mut Out<'o>,
    /// The error reply, when the script failed.
    error: Option<String>,
}

/// Runs a cached script (`eval`: KEYS/ARGV as globals) or a function (keys and args as its
/// parameters) with `state` as the run state, writing its reply to `out`; `Err` is the error
/// reply's text (nothing is left in `out` then).
#[allow(clippy::too_many_arguments)]
pub fn call(
    vm: &Vm,
    func: &mlua::RegistryKey,
    keys: &[Bytes],
    args: &[Bytes],
    eval: bool,
    name: &str,
    state: &mut RunState,
    out: &mut Out,
) -> Result<(), String> {
    let (l, refs, func) = (vm.raw.0, vm.refs, func.id());
    let mark = out.buf.len();
    let mut inv = Invocation {
        refs,
        func,
        keys,
        args,
        eval,
        name,
        out,
        error: None,
    };
    // The 'static is a lie told to the thread-local only: the pointer is removed again below,
    // before `state` can go away.
    let prev = CURRENT.with(|c| c.replace(std::ptr::from_mut(state).cast::<RunState<'static>>()));
    let _stack = super::vm::StackBase::enter();
    // SAFETY: `l` is `vm`'s main state, which the caller holds locked (the VM mutex), and the
    // references were made by it and are alive (held by `vm` and the caller).
    unsafe { enter(l, refs.entry, &mut inv, mark) };
    CURRENT.with(|c| c.set(prev));
    match inv.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Runs [`entry`] for `inv` in a protected call; a failure outside the script's own protected
/// call drops what was written from `mark` on and becomes the error.
unsafe fn enter(l: *mut lua_State, entry_ref: c_int, inv: &mut Invocation, mark: usize) {
    let top = ffi::lua_gettop(l);
    ffi::lua_checkstack(l, 3);
    ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, entry_ref);
    ffi::lua_pushlightuserdata(l, inv as *mut Invocation as *mut c_void);
    let status = ffi::lua_pcall(l, 1, 0, 0);
    if status != 0 {
        // Only a failure outside the script's own protected call gets here (out of memory while
        // building KEYS/ARGV or writing the reply): whatever was written is dropped.
        let msg = if ffi::lua_type(l, -1) == ffi::LUA_TSTRING {
            String::from_utf8_lossy(to_bytes(l, -1)).into_owned()
        } else {
            "execution failure".to_string()
        };
        inv.out.buf.truncate(mark);
        inv.error = Some(format!(
            "ERR Error running script {}, {}",
            inv.name,
            msg.chars().take(100).collect::<String>()
        ));
    }
    ffi::lua_settop(l, top);
}

/// The protected body of a call: its only argument is the [`Invocation`].
unsafe extern "C-unwind" fn entry(l: *mut lua_State) -> c_int {
    let inv = &mut *(ffi::lua_touserdata(l, 1) as *mut Invocation);
    ffi::lua_settop(l, 0);
    ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, inv.refs.handler);
    let nargs = if inv.eval {
        ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, inv.refs.globals);
        push_bytes(l, b"KEYS");
        push_array(l, inv.keys);
        push_bytes(l, b"ARGV");
        push_array(l, inv.args);
        // The globals are writable only for these two stores, as Redis opens them to set KEYS;
        // both keys exist already (bootstrap.lua), so nothing allocates (and nothing can fail)
        // in between.
        super::vm::lua_enablereadonlytable(l, 2, 0);
        ffi::lua_rawset(l, 2);
        ffi::lua_rawset(l, 2);
        super::vm::lua_enablereadonlytable(l, 2, 1);
        ffi::lua_settop(l, 1);
        ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, inv.func);
        0
    } else {
        ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, inv.func);
        push_array(l, inv.keys);
        push_array(l, inv.args);
        2
    };
    // Like Redis: the first result is the reply.
    if ffi::lua_pcall(l, nargs, 1, 1) == 0 {
        let resp3 = current().is_some_and(|s| s.client.resp3);
        write_reply(l, 2, inv.out, resp3, 0);
    } else {
        inv.error = Some(error_text(l, 2, inv.name));
    }
    0
}

/// A new Lua C function value for [`entry`] (made once, kept in the registry).
pub fn entry_function(lua: &mlua::Lua) -> mlua::Result<mlua::Function> {
    // SAFETY: `entry` follows the C function protocol.
    unsafe { lua.create_c_function(entry) }
}

// ---------------------------------------------------------------------------------------------
// Stack helpers

pub(super) unsafe fn to_bytes<'a>(l: *mut lua_State, idx: c_int) -> &'a [u8] {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        return &[];
    }
    std::slice::from_raw_parts(p as *const u8, len)
}

pub(super) unsafe fn push_bytes(l: *mut lua_State, b: &[u8]) {
    ffi::lua_pushlstring_(l, b.as_ptr() as *const c_char, b.len());
}

unsafe fn push_array(l: *mut lua_State, items: &[Bytes]) {
    ffi::lua_createtable(l, items.len().min(i32::MAX as usize) as c_int, 0);
    for (i, it) in items.iter().enumerate() {
        push_bytes(l, it);
        ffi::lua_rawseti_(l, -2, (i + 1) as c_int);
    }
}

/// Pushes `t[key]` (raw) for the table at absolute index `t`; returns its type.
unsafe fn field(l: *mut lua_State, t: c_int, key: &[u8]) -> c_int {
    push_bytes(l, key);
    ffi::lua_rawget_(l, t);
    ffi::lua_type(l, -1)
}

/// Pushes `t[key]` if it is of type `ty`; otherwise leaves the stack as it was.
unsafe fn field_of(l: *mut lua_State, t: c_int, key: &[u8], ty: c_int) -> bool {
    if field(l, t, key) == ty {
        return true;
    }
    ffi::lua_settop(l, -2);
    false
}

/// A Lua number as the binding reports it: integral values in i64's range are integers.
fn integral(n: f64) -> Option<i64> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    ((-TWO_63..TWO_63).contains(&n)
        && (n as i64) as f64 == n
        && !(n == 0.0 && n.is_sign_negative()))
    .then_some(n as i64)
}

/// The text of a number where Redis converts one to a string (`%.14g`, integers exactly).
pub(super) fn number_text(n: f64) -> String {
    match integral(n) {
        Some(i) => i.to_string(),
        None => fmt_g(n, 14),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The final error reply of a failed script (Redis's `"<err> script: <name>, on <source>:<line>."`)
/// from the error value at absolute index `idx`.
unsafe fn error_text(l: *mut lua_State, idx: c_int, name: &str) -> String {
    if ffi::lua_type(l, idx) != ffi::LUA_TTABLE {
        let msg = if ffi::lua_type(l, idx) == ffi::LUA_TSTRING {
            String::from_utf8_lossy(to_bytes(l, idx)).into_owned()
        } else {
            "execution failure".to_string()
        };
        let msg: String = msg.chars().take(100).collect();
        return format!("ERR Error running script {name}, {msg}");
    }
    let base = ffi::lua_gettop(l);
    let msg = match field(l, idx, b"err") {
        ffi::LUA_TSTRING => Some(to_bytes(l, -1)),
        _ => None,
    };
    let msg_number = (ffi::lua_type(l, -1) == ffi::LUA_TNUMBER).then(|| ffi::lua_tonumber(l, -1));
    let source = match field(l, idx, b"source") {
        ffi::LUA_TSTRING => Some(to_bytes(l, -1)),
        _ => None,
    };
    let line = match field(l, idx, b"line") {
        ffi::LUA_TNUMBER => Some(ffi::lua_tonumber(l, -1) as i64),
        _ => None,
    };
    // No Lua call past this point: the strings above stay on the stack while they are read.
    let msg = match (msg, msg_number) {
        (Some(m), _) => String::from_utf8_lossy(m).into_owned(),
        (None, Some(n)) => number_text(n),
        (None, None) => String::new(),
    };
    let text = match (source, line) {
        (Some(src), Some(line)) => format!(
            "{msg} script: {name}, on {}:{line}.",
            String::from_utf8_lossy(src)
        ),
        _ => msg,
    };
    ffi::lua_settop(l, base);
    text
}

// ---------------------------------------------------------------------------------------------
// redis.call / redis.pcall

/// What a `redis.call` leaves for Lua: the reply's bytes or the error text (in the run state,
/// or static).
enum Called {
    Reply(*const u8, usize),
    Error(*const u8, usize),
}

impl Called {
    fn fail(text: &'static str) -> Called {
        Called::Error(text.as_ptr(), text.len())
    }
}

/// `redis.call(command, arg, ...)`: the reply, or raises the error table.
///
/// # Safety
/// A Lua C function: called by Lua only, with a valid state.
pub unsafe extern "C-unwind" fn redis_call(l: *mut lua_State) -> c_int {
    call_from_lua(l, true)
}

/// `redis.pcall(command, arg, ...)`: the reply, or the error table as the result.
///
/// # Safety
/// A Lua C function: called by Lua only, with a valid state.
pub unsafe extern "C-unwind" fn redis_pcall(l: *mut lua_State) -> c_int {
    call_from_lua(l, false)
}

unsafe fn call_from_lua(l: *mut lua_State, raise: bool) -> c_int {
    let n = ffi::lua_gettop(l);
    match run_call(l, n) {
        Called::Reply(p, len) => {
            let reply = std::slice::from_raw_parts(p, len);
            ffi::lua_settop(l, 0);
            let mut pos = 0;
            if let Err(msg) = push_reply(l, reply, &mut pos, 0) {
                ffi::lua_settop(l, 0);
                push_bytes(l, msg.as_bytes());
                ffi::lua_error(l);
            }
            1
        }
        Called::Error(p, len) => {
            ffi::lua_settop(l, 0);
            ffi::lua_createtable(l, 0, 1);
            push_bytes(l, b"err");
            push_bytes(l, std::slice::from_raw_parts(p, len));
            ffi::lua_rawset(l, 1);
            if raise {
                ffi::lua_error(l);
            }
            1
        }
    }
}

/// The Rust side of `redis.call`: checks and runs the command. Every value it owns is dropped
/// when it returns; the reply stays in the run state's buffer.
#[inline(never)]
unsafe fn run_call(l: *mut lua_State, n: c_int) -> Called {
    if n == 0 {
        return Called::fail("ERR Please specify at least one argument for this redis lib call");
    }
    // The arguments are copied into one buffer, and argv slices it: one allocation per call.
    let size: usize = (1..=n)
        .map(|i| match ffi::lua_type(l, i) {
            ffi::LUA_TSTRING => ffi::lua_objlen(l, i),
            _ => 24,
        })
        .sum();
    let mut all = BytesMut::with_capacity(size);
    let mut ends: SmallVec<[usize; 16]> = SmallVec::new();
    for i in 1..=n {
        match ffi::lua_type(l, i) {
            ffi::LUA_TSTRING => all.extend_from_slice(to_bytes(l, i)),
            ffi::LUA_TNUMBER => {
                let x = ffi::lua_tonumber(l, i);
                match integral(x) {
                    Some(v) => all.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
                    None => all.extend_from_slice(fmt_g(x, 17).as_bytes()),
                }
            }
            _ => {
                return Called::fail(
                    "ERR Lua redis lib command arguments must be strings or integers",
                )
            }
        }
        ends.push(all.len());
    }
    let all = all.freeze();
    let mut start = 0;
    let argv: Vec<Bytes> = ends
        .iter()
        .map(|&end| {
            let a = all.slice(start..end);
            start = end;
            a
        })
        .collect();
    let Some(state) = current() else {
        return Called::fail("ERR redis.call can only be called inside a script invocation");
    };
    let table = commands::table();
    let Ok(cmd) = table.resolve(&argv) else {
        return Called::fail("ERR Unknown Redis command called from script");
    };
    if !cmd.def.arity_ok(argv.len()) {
        return Called::fail("ERR Wrong number of args calling Redis command from script");
    }
    let parent_flags = cmd
        .parent
        .map_or(Flags::NONE, |p| table.commands[p].def.flags);
    if cmd.def.flags.has(Flags::NOSCRIPT) || parent_flags.has(Flags::NOSCRIPT) {
        return Called::fail("ERR This Redis command is not allowed from script");
    }
    if cmd.def.flags.has(Flags::WRITE) {
        if state.read_only {
            return Called::fail("ERR Write commands are not allowed from read-only scripts.");
        }
        state.busy.mark_wrote();
    }
    state.buf.clear();
    {
        let RunState {
            srv,
            client,
            unit,
            buf,
            ..
        } = &mut *state;
        let _ = commands::run(srv, client, buf, cmd, argv, Some(unit));
    }
    if let Some(rest) = state.buf.strip_prefix(b"-") {
        let text = String::from_utf8_lossy(rest);
        state.err = error_buff(&format!("-{}", text.trim_end_matches(['\r', '\n'])));
        return Called::Error(state.err.as_ptr(), state.err.len());
    }
    Called::Reply(state.buf.as_ptr(), state.buf.len())
}

// ---------------------------------------------------------------------------------------------
// RESP -> Lua (redisProtocolToLuaType)

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a [u8], &'static str> {
    let rest = buf.get(*pos..).unwrap_or_default();
    let mut end = 0;
    loop {
        let i = rest[end..]
            .iter()
            .position(|&b| b == b'\r')
            .ok_or("truncated reply")?;
        end += i;
        if rest.get(end + 1) == Some(&b'\n') {
            break;
        }
        end += 1;
    }
    *pos += end + 2;
    Ok(&rest[..end])
}

fn int_line(buf: &[u8], pos: &mut usize) -> Result<i64, &'static str> {
    crate::util::parse_i64(line(buf, pos)?).ok_or("bad reply length")
}

fn bulk<'a>(buf: &'a [u8], pos: &mut usize, len: i64) -> Result<&'a [u8], &'static str> {
    let len = usize::try_from(len).map_err(|_| "bad bulk length")?;
    let s = buf.get(*pos..*pos + len).ok_or("truncated reply")?;
    *pos += len + 2;
    Ok(s)
}

/// Wraps the value on top of the stack into `{key = value}`.
unsafe fn wrap(l: *mut lua_State, key: &[u8]) {
    ffi::lua_createtable(l, 0, 1);
    push_bytes(l, key);
    ffi::lua_pushvalue(l, -3);
    ffi::lua_rawset(l, -3);
    ffi::lua_remove(l, -2);
}

/// Pushes the reply at `pos` as the Lua value a script sees.
unsafe fn push_reply(
    l: *mut lua_State,
    buf: &[u8],
    pos: &mut usize,
    depth: usize,
) -> Result<(), &'static str> {
    let Some(&tag) = buf.get(*pos) else {
        return Err("truncated reply");
    };
    *pos += 1;
    if depth > MAX_REPLY_DEPTH || !stack_ok() || ffi::lua_checkstack(l, 6) == 0 {
        return Err("reply nested too deeply");
    }
    match tag {
        b'+' | b'-' | b'(' => {
            push_bytes(l, line(buf, pos)?);
            wrap(
                l,
                match tag {
                    b'+' => b"ok",
                    b'-' => b"err",
                    _ => b"big_number",
                },
            );
        }
        b':' => ffi::lua_pushnumber(l, int_line(buf, pos)? as f64),
        b'$' => {
            let n = int_line(buf, pos)?;
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
            } else {
                push_bytes(l, bulk(buf, pos, n)?);
            }
        }
        b'*' | b'~' | b'>' => {
            let n = int_line(buf, pos)?;
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return Ok(());
            }
            let hint = n.min(1 << 20) as c_int;
            if tag == b'~' {
                ffi::lua_createtable(l, 0, hint);
                for _ in 0..n {
                    push_reply(l, buf, pos, depth + 1)?;
                    ffi::lua_pushboolean(l, 1);
                    ffi::lua_rawset(l, -3);
                }
                wrap(l, b"set");
            } else {
                ffi::lua_createtable(l, hint, 0);
                for i in 1..=n {
                    push_reply(l, buf, pos, depth + 1)?;
                    ffi::lua_rawseti_(l, -2, i as c_int);
                }
            }
        }
        b'%' | b'|' => {
            let n = int_line(buf, pos)?;
            ffi::lua_createtable(l, 0, n.clamp(0, 1 << 20) as c_int);
            for _ in 0..n.max(0) {
                push_reply(l, buf, pos, depth + 1)?;
                push_reply(l, buf, pos, depth + 1)?;
                ffi::lua_rawset(l, -3);
            }
            if tag == b'|' {
                // Attributes are not passed to scripts: the value that follows is.
                ffi::lua_settop(l, -2);
                return push_reply(l, buf, pos, depth);
            }
            wrap(l, b"map");
        }
        b'_' => ffi::lua_pushnil(l),
        b'#' => ffi::lua_pushboolean(l, (line(buf, pos)? == b"t") as c_int),
        b',' => {
            let d = match line(buf, pos)? {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                b"nan" => f64::NAN,
                s => crate::util::parse_f64(s).unwrap_or(0.0),
            };
            ffi::lua_pushnumber(l, d);
            wrap(l, b"double");
        }
        b'=' => {
            let n = int_line(buf, pos)?;
            let s = bulk(buf, pos, n)?;
            let (fmt, text) = if s.len() >= 4 {
                (&s[..3], &s[4..])
            } else {
                (&b""[..], s)
            };
            ffi::lua_createtable(l, 0, 2);
            push_bytes(l, b"format");
            push_bytes(l, fmt);
            ffi::lua_rawset(l, -3);
            push_bytes(l, b"string");
            push_bytes(l, text);
            ffi::lua_rawset(l, -3);
            wrap(l, b"verbatim_string");
        }
        _ => return Err("unknown reply type"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Lua -> RESP (luaReplyToRedisReply)

/// Writes the value at absolute index `idx` as the caller's reply. `resp3` is the protocol the
/// script chose with `redis.setresp` (it decides how booleans convert).
unsafe fn write_reply(l: *mut lua_State, idx: c_int, out: &mut Out, resp3: bool, depth: usize) {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TSTRING => out.bulk(to_bytes(l, idx)),
        ffi::LUA_TBOOLEAN => {
            let b = ffi::lua_toboolean(l, idx) != 0;
            if resp3 {
                out.boolean(b)
            } else if b {
                out.int(1)
            } else {
                out.null()
            }
        }
        ffi::LUA_TNUMBER => out.int(lua_number_to_i64(ffi::lua_tonumber(l, idx))),
        ffi::LUA_TTABLE => {
            if depth >= MAX_REPLY_DEPTH || !stack_ok() || ffi::lua_checkstack(l, 8) == 0 {
                out.error("ERR reached lua stack limit");
                return;
            }
            let base = ffi::lua_gettop(l);
            write_table(l, idx, out, resp3, depth);
            ffi::lua_settop(l, base);
        }
        _ => out.null(),
    }
}

/// A table reply: `{err=}`, `{ok=}`, `{double=}`, `{big_number=}`, `{map=}`, `{set=}`,
/// `{verbatim_string=}`, or an array up to its first nil. Leaves values on the stack (the caller
/// restores its top).
unsafe fn write_table(l: *mut lua_State, t: c_int, out: &mut Out, resp3: bool, depth: usize) {
    if field_of(l, t, b"err", ffi::LUA_TSTRING) {
        let text = String::from_utf8_lossy(to_bytes(l, -1));
        out.error(text.trim_end_matches(['\r', '\n']));
        return;
    }
    if field_of(l, t, b"ok", ffi::LUA_TSTRING) {
        let text: String = String::from_utf8_lossy(to_bytes(l, -1))
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        out.simple(&text);
        return;
    }
    if field_of(l, t, b"double", ffi::LUA_TNUMBER) {
        out.double(ffi::lua_tonumber(l, -1));
        return;
    }
    if field_of(l, t, b"big_number", ffi::LUA_TSTRING) {
        let b = to_bytes(l, -1);
        if out.resp3 {
            out.raw(b"(");
            out.raw(b);
            out.raw(b"\r\n");
        } else {
            out.bulk(b);
        }
        return;
    }
    if field_of(l, t, b"map", ffi::LUA_TTABLE) {
        let m = ffi::lua_gettop(l);
        out.map(count_pairs(l, m));
        write_pairs(l, m, out, resp3, depth, true);
        return;
    }
    if field_of(l, t, b"set", ffi::LUA_TTABLE) {
        let m = ffi::lua_gettop(l);
        out.set(count_pairs(l, m));
        write_pairs(l, m, out, resp3, depth, false);
        return;
    }
    if field_of(l, t, b"verbatim_string", ffi::LUA_TTABLE) {
        let v = ffi::lua_gettop(l);
        if field(l, v, b"format") == ffi::LUA_TSTRING && field(l, v, b"string") == ffi::LUA_TSTRING
        {
            let fmt = to_bytes(l, -2);
            let s = to_bytes(l, -1);
            if out.resp3 {
                let mut f = [b' '; 3];
                for (d, c) in f.iter_mut().zip(fmt.iter()) {
                    *d = *c;
                }
                out.raw(b"=");
                out.raw(itoa::Buffer::new().format(s.len() + 4).as_bytes());
                out.raw(b"\r\n");
                out.raw(&f);
                out.raw(b":");
                out.raw(s);
                out.raw(b"\r\n");
            } else {
                out.bulk(s);
            }
            return;
        }
        ffi::lua_settop(l, v - 1);
    }
    let mut n = 0;
    loop {
        ffi::lua_rawgeti_(l, t, n + 1);
        let nil = ffi::lua_type(l, -1) == ffi::LUA_TNIL;
        ffi::lua_settop(l, -2);
        if nil {
            break;
        }
        n += 1;
    }
    out.array(n as usize);
    for i in 1..=n {
        ffi::lua_rawgeti_(l, t, i);
        write_reply(l, ffi::lua_gettop(l), out, resp3, depth + 1);
        ffi::lua_settop(l, -2);
    }
}

/// How many pairs `next` walks in the table at absolute index `t`.
/// Writes the keys of table `t` (and their values, for a map) as reply elements.
unsafe fn write_pairs(
    l: *mut lua_State,
    t: c_int,
    out: &mut Out<'_>,
    resp3: bool,
    depth: usize,
    values: bool,
) {
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        let top = ffi::lua_gettop(l);
        write_reply(l, top - 1, out, resp3, depth + 1);
        if values {
            write_reply(l, top, out, resp3, depth + 1);
        }
        ffi::lua_settop(l, top - 1);
    }
}

unsafe fn count_pairs(l: *mut lua_State, t: c_int) -> usize {
    let mut n = 0;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        ffi::lua_settop(l, -2);
        n += 1;
    }
    n
}
