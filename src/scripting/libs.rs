//! The libraries Redis 7.0 adds to its Lua: `cjson`, `cmsgpack`, `struct` and `bit`,
//! reimplemented in Rust with the behaviour (output bytes, error texts) of the C modules Redis
//! embeds (lua-cjson 2.1.0, lua-cmsgpack 0.4.0, Roberto Ierusalimschy's struct, LuaBitOp).
//!
//! Every function returns `(true, results...)` or `(false, message)`; `bootstrap.lua` wraps
//! them so the message is raised as a Lua error at the caller's position, as `luaL_error` does.

use std::sync::Arc;

use std::ffi::c_int;

use mlua::ffi::{self, lua_State};
use mlua::{LightUserData, Lua, MultiValue, Table, Value};
use parking_lot::Mutex;

use super::invoke::{push_bytes, to_bytes};
use super::vm::{fmt_g, fmt_g_into, lua_number_to_i64};

type LibResult = Result<Vec<Value>, String>;

fn register(
    lua: &Lua,
    t: &Table,
    name: &'static str,
    f: impl Fn(&Lua, MultiValue) -> LibResult + Send + 'static,
) -> mlua::Result<()> {
    let func = lua.create_function(move |lua, args: MultiValue| {
        let mut out = MultiValue::new();
        match f(lua, args) {
            Ok(vals) => {
                out.push_back(Value::Boolean(true));
                out.extend(vals);
            }
            Err(msg) => {
                out.push_back(Value::Boolean(false));
                out.push_back(Value::String(lua.create_string(msg)?));
            }
        }
        Ok(out)
    })?;
    t.raw_set(name, super::vm::raising_closure(lua, &func, true)?)
}

fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_)) | Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::LightUserData(_)) | Some(Value::UserData(_)) => "userdata",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

fn arg_error(n: usize, func: &str, msg: &str) -> String {
    format!("bad argument #{n} to '{func}' ({msg})")
}

/// `luaL_checknumber`: numbers and numeric strings.
fn check_number(args: &MultiValue, i: usize, func: &str) -> Result<f64, String> {
    match args.get(i) {
        Some(Value::Integer(n)) => Ok(*n as f64),
        Some(Value::Number(n)) => Ok(*n),
        Some(Value::String(s)) => lua_str_to_number(&s.as_bytes())
            .ok_or_else(|| arg_error(i + 1, func, "number expected, got string")),
        other => Err(arg_error(
            i + 1,
            func,
            &format!("number expected, got {}", type_name(other)),
        )),
    }
}

/// `luaL_checklstring`: strings, and numbers converted as Lua prints them.
fn check_string(args: &MultiValue, i: usize, func: &str) -> Result<Vec<u8>, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        Some(Value::Number(n)) => Ok(fmt_g(*n, 14).into_bytes()),
        other => Err(arg_error(
            i + 1,
            func,
            &format!("string expected, got {}", type_name(other)),
        )),
    }
}

/// Lua 5.1's string-to-number conversion (`lua_str2number`, i.e. strtod, plus hex).
fn lua_str_to_number(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let v = u64::from_str_radix(hex, 16).ok()? as f64;
        return Some(if neg { -v } else { v });
    }
    let mut buf = text.as_bytes().to_vec();
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call.
    let v = unsafe { libc::strtod(buf.as_ptr() as *const libc::c_char, &mut end) };
    let consumed = end as usize - buf.as_ptr() as usize;
    (consumed == text.len()).then_some(v)
}

fn num(n: f64) -> Value {
    Value::Number(n)
}

fn string(lua: &Lua, b: &[u8]) -> Result<Value, String> {
    lua.create_string(b)
        .map(Value::String)
        .map_err(|e| e.to_string())
}

fn lua_err(e: mlua::Error) -> String {
    super::vm::lua_message(&e)
}

// ---------------------------------------------------------------------------------------------
// cjson

#[derive(Clone, Copy)]
struct CjsonCfg {
    sparse_convert: bool,
    sparse_ratio: i64,
    sparse_safe: i64,
    encode_max_depth: i64,
    decode_max_depth: i64,
    precision: usize,
    encode_invalid_numbers: bool,
    decode_invalid_numbers: bool,
    keep_buffer: bool,
}

impl Default for CjsonCfg {
    fn default() -> Self {
        CjsonCfg {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            precision: 14,
            encode_invalid_numbers: false,
            decode_invalid_numbers: true,
            keep_buffer: true,
        }
    }
}

pub fn cjson(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let cfg = Arc::new(Mutex::new(CjsonCfg::default()));
    t.raw_set("encode", native_cjson(lua, cjson_encode_native, &cfg)?)?;
    t.raw_set("decode", native_cjson(lua, cjson_decode_native, &cfg)?)?;
    let c = cfg.clone();
    register(lua, &t, "encode_sparse_array", move |_, args| {
        let mut cfg = c.lock();
        if let Some(v) = args.front().filter(|v| !v.is_nil()) {
            cfg.sparse_convert = bool_opt(v);
        }
        if let Some(v) = args.get(1).filter(|v| !v.is_nil()) {
            cfg.sparse_ratio = check_number(&args, 1, "encode_sparse_array")? as i64;
            let _ = v;
        }
        if let Some(v) = args.get(2).filter(|v| !v.is_nil()) {
            cfg.sparse_safe = check_number(&args, 2, "encode_sparse_array")? as i64;
            let _ = v;
        }
        Ok(vec![
            Value::Boolean(cfg.sparse_convert),
            num(cfg.sparse_ratio as f64),
            num(cfg.sparse_safe as f64),
        ])
    })?;
    let c = cfg.clone();
    register(lua, &t, "encode_max_depth", move |_, args| {
        let mut cfg = c.lock();
        if args.front().is_some_and(|v| !v.is_nil()) {
            let n = check_number(&args, 0, "encode_max_depth")? as i64;
            if !(1..=i32::MAX as i64).contains(&n) {
                return Err(arg_error(
                    1,
                    "encode_max_depth",
                    "expected integer between 1 and 2147483647",
                ));
            }
            cfg.encode_max_depth = n;
        }
        Ok(vec![num(cfg.encode_max_depth as f64)])
    })?;
    let c = cfg.clone();
    register(lua, &t, "decode_max_depth", move |_, args| {
        let mut cfg = c.lock();
        if args.front().is_some_and(|v| !v.is_nil()) {
            let n = check_number(&args, 0, "decode_max_depth")? as i64;
            if !(1..=i32::MAX as i64).contains(&n) {
                return Err(arg_error(
                    1,
                    "decode_max_depth",
                    "expected integer between 1 and 2147483647",
                ));
            }
            cfg.decode_max_depth = n;
        }
        Ok(vec![num(cfg.decode_max_depth as f64)])
    })?;
    let c = cfg.clone();
    register(lua, &t, "encode_number_precision", move |_, args| {
        let mut cfg = c.lock();
        if args.front().is_some_and(|v| !v.is_nil()) {
            let n = check_number(&args, 0, "encode_number_precision")? as i64;
            if !(1..=14).contains(&n) {
                return Err(arg_error(
                    1,
                    "encode_number_precision",
                    "expected integer between 1 and 14",
                ));
            }
            cfg.precision = n as usize;
        }
        Ok(vec![num(cfg.precision as f64)])
    })?;
    let c = cfg.clone();
    register(lua, &t, "encode_keep_buffer", move |_, args| {
        let mut cfg = c.lock();
        if let Some(v) = args.front().filter(|v| !v.is_nil()) {
            cfg.keep_buffer = bool_opt(v);
        }
        Ok(vec![Value::Boolean(cfg.keep_buffer)])
    })?;
    let c = cfg.clone();
    register(lua, &t, "encode_invalid_numbers", move |_, args| {
        let mut cfg = c.lock();
        if let Some(v) = args.front().filter(|v| !v.is_nil()) {
            cfg.encode_invalid_numbers = bool_opt(v);
        }
        Ok(vec![Value::Boolean(cfg.encode_invalid_numbers)])
    })?;
    let c = cfg;
    register(lua, &t, "decode_invalid_numbers", move |_, args| {
        let mut cfg = c.lock();
        if let Some(v) = args.front().filter(|v| !v.is_nil()) {
            cfg.decode_invalid_numbers = bool_opt(v);
        }
        Ok(vec![Value::Boolean(cfg.decode_invalid_numbers)])
    })?;
    register(lua, &t, "new", |lua, _| {
        Ok(vec![Value::Table(cjson(lua).map_err(lua_err)?)])
    })?;
    t.raw_set(
        "null",
        Value::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// cjson's boolean options: booleans, or "on"/"off" strings.
fn bool_opt(v: &Value) -> bool {
    match v {
        Value::Boolean(b) => *b,
        Value::String(s) => s.as_bytes().as_ref() == b"on",
        _ => true,
    }
}

fn json_escape(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{:04x}", c).as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

fn json_number(cfg: &CjsonCfg, n: f64, out: &mut Vec<u8>) -> Result<(), String> {
    if !cfg.encode_invalid_numbers && !n.is_finite() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    if n.is_nan() {
        out.extend_from_slice(b"nan");
    } else if n.is_infinite() {
        out.extend_from_slice(if n > 0.0 { b"inf" } else { b"-inf" });
    } else {
        if cfg.precision == 14 {
            fmt_g_into(n, 14, out);
        } else {
            out.extend_from_slice(format_g_prec(n, cfg.precision).as_bytes());
        }
    }
    Ok(())
}

fn format_g_prec(d: f64, prec: usize) -> String {
    let fmt = format!("%.{prec}g\0");
    let mut buf = [0u8; 64];
    // SAFETY: NUL-terminated format, buffer large enough for %g output.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            fmt.as_ptr() as *const libc::c_char,
            d,
        )
    };
    String::from_utf8_lossy(&buf[..(n.max(0) as usize).min(63)]).into_owned()
}

fn value_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// The type name Lua reports for the value at `idx`.
unsafe fn raw_type_name(l: *mut lua_State, idx: c_int) -> &'static str {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TNIL => "nil",
        ffi::LUA_TBOOLEAN => "boolean",
        ffi::LUA_TNUMBER => "number",
        ffi::LUA_TSTRING => "string",
        ffi::LUA_TTABLE => "table",
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TTHREAD => "thread",
        _ => "userdata",
    }
}

/// Pushes `t[i]` (raw) for the table at absolute index `t`.
unsafe fn raw_index(l: *mut lua_State, t: c_int, i: f64) {
    if i <= c_int::MAX as f64 {
        ffi::lua_rawgeti_(l, t, i as c_int);
    } else {
        ffi::lua_pushnumber(l, i);
        ffi::lua_rawget_(l, t);
    }
}

/// Encodes the value at absolute stack index `idx` as cjson does. Runs inside a protected
/// call (see `encode`), reading the value with Lua's C API.
unsafe fn json_encode(
    l: *mut lua_State,
    cfg: &CjsonCfg,
    idx: c_int,
    depth: i64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TNIL => out.extend_from_slice(b"null"),
        ffi::LUA_TBOOLEAN => out.extend_from_slice(if ffi::lua_toboolean(l, idx) != 0 {
            b"true"
        } else {
            b"false"
        }),
        ffi::LUA_TNUMBER => json_number(cfg, ffi::lua_tonumber(l, idx), out)?,
        ffi::LUA_TSTRING => json_escape(to_bytes(l, idx), out),
        ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, idx).is_null() => {
            out.extend_from_slice(b"null")
        }
        ffi::LUA_TTABLE => {
            if depth > cfg.encode_max_depth || !super::vm::stack_ok() {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            ffi::lua_checkstack(l, 4);
            let base = ffi::lua_gettop(l);
            // Array if every key is a positive integer (lua_array_length).
            let mut max = 0f64;
            let mut items = 0f64;
            let mut is_array = true;
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, idx) != 0 {
                let n =
                    (ffi::lua_type(l, -2) == ffi::LUA_TNUMBER).then(|| ffi::lua_tonumber(l, -2));
                ffi::lua_settop(l, -2);
                match n {
                    Some(n) if n != 0.0 && n.floor() == n && n >= 1.0 => {
                        max = max.max(n);
                        items += 1.0;
                    }
                    _ => {
                        is_array = false;
                        break;
                    }
                }
            }
            ffi::lua_settop(l, base);
            if is_array
                && cfg.sparse_ratio > 0
                && max > items * cfg.sparse_ratio as f64
                && max > cfg.sparse_safe as f64
            {
                if !cfg.sparse_convert {
                    return Err("Cannot serialise table: excessively sparse array".into());
                }
                is_array = false;
            }
            if is_array && max > 0.0 {
                out.push(b'[');
                let mut i = 1f64;
                while i <= max {
                    if i > 1.0 {
                        out.push(b',');
                    }
                    raw_index(l, idx, i);
                    let r = json_encode(l, cfg, base + 1, depth + 1, out);
                    ffi::lua_settop(l, base);
                    r?;
                    i += 1.0;
                }
                out.push(b']');
            } else {
                out.push(b'{');
                let mut first = true;
                ffi::lua_pushnil(l);
                while ffi::lua_next(l, idx) != 0 {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    let r = json_pair(l, cfg, base + 1, depth, out);
                    if r.is_err() {
                        ffi::lua_settop(l, base);
                        return r;
                    }
                    ffi::lua_settop(l, base + 1);
                }
                out.push(b'}');
            }
        }
        _ => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                raw_type_name(l, idx)
            ))
        }
    }
    Ok(())
}

/// One `"key":value` of an object; the key is at `k`, the value above it.
unsafe fn json_pair(
    l: *mut lua_State,
    cfg: &CjsonCfg,
    k: c_int,
    depth: i64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match ffi::lua_type(l, k) {
        ffi::LUA_TSTRING => json_escape(to_bytes(l, k), out),
        ffi::LUA_TNUMBER => {
            out.push(b'"');
            json_number(cfg, ffi::lua_tonumber(l, k), out)?;
            out.push(b'"');
        }
        _ => {
            return Err(format!(
                "Cannot serialise {}: table key must be a number or string",
                raw_type_name(l, k)
            ))
        }
    }
    out.push(b':');
    json_encode(l, cfg, k + 1, depth + 1, out)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Number(_) => "T_NUMBER",
            Tok::Boolean(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

struct JsonParser<'a> {
    /// The input plus a terminating NUL (cjson works on a C string).
    data: &'a [u8],
    pos: usize,
    depth: i64,
    max_depth: i64,
    invalid_numbers: bool,
    /// The last string token: `plain` is its range in `data` when it had no escapes, else its
    /// unescaped bytes are in `string`.
    plain: Option<(usize, usize)>,
    string: Vec<u8>,
}

impl JsonParser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// The bytes of the last string token.
    fn string(&self) -> &[u8] {
        match self.plain {
            Some((a, b)) => &self.data[a..b],
            None => &self.string,
        }
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.data.get(self.pos..).is_some_and(|d| d.starts_with(s))
    }

    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        let next = self.at(p + 1);
        if c == b'0' && (next == b'x' || next == b'X') {
            return true;
        }
        if c.is_ascii_digit() {
            return false;
        }
        let rest = self.data.get(p..).unwrap_or_default();
        let lower: Vec<u8> = rest
            .iter()
            .take(3)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        lower == b"inf" || lower == b"nan"
    }

    /// Returns the token and the index it starts at.
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let c = self.at(self.pos);
        let single = match c {
            0 => return (Tok::End, start),
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, start);
        }
        let unknown_start = matches!(c, b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
            || (self.invalid_numbers && matches!(c, b'i' | b'I' | b'N'));
        if !unknown_start {
            return (Tok::Error("invalid token"), start);
        }
        if c == b'"' {
            return self.string_token();
        }
        if c == b'-' || c.is_ascii_digit() {
            if !self.invalid_numbers && self.is_invalid_number() {
                return (Tok::Error("invalid number"), self.pos);
            }
            return self.number_token();
        }
        if self.starts_with(b"true") {
            self.pos += 4;
            return (Tok::Boolean(true), start);
        }
        if self.starts_with(b"false") {
            self.pos += 5;
            return (Tok::Boolean(false), start);
        }
        if self.starts_with(b"null") {
            self.pos += 4;
            return (Tok::Null, start);
        }
        if self.invalid_numbers && self.is_invalid_number() {
            return self.number_token();
        }
        (Tok::Error("invalid token"), start)
    }

    fn number_token(&mut self) -> (Tok, usize) {
        let start = self.pos;
        let mut end: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: `data` is NUL-terminated, so strtod stops inside it.
        let v = unsafe {
            libc::strtod(
                self.data.as_ptr().add(self.pos) as *const libc::c_char,
                &mut end,
            )
        };
        let consumed = (end as usize).saturating_sub(self.data.as_ptr() as usize + self.pos);
        if consumed == 0 {
            return (Tok::Error("invalid number"), start);
        }
        self.pos += consumed;
        (Tok::Number(v), start)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let s = self.data.get(at..at + 4)?;
        let mut v = 0u32;
        for &c in s {
            v = v * 16 + (c as char).to_digit(16)?;
        }
        Some(v)
    }

    fn string_token(&mut self) -> (Tok, usize) {
        let start = self.pos;
        self.pos += 1;
        // Most strings hold no escape: they are used where they are.
        let body = &self.data[self.pos..];
        if let Some(n) = body.iter().position(|&c| matches!(c, b'"' | b'\\' | 0)) {
            if body[n] == b'"' {
                self.plain = Some((self.pos, self.pos + n));
                self.pos += n + 1;
                return (Tok::Str, start);
            }
        }
        self.plain = None;
        self.string.clear();
        loop {
            let c = self.at(self.pos);
            if c == b'"' {
                break;
            }
            if c == 0 {
                return (Tok::Error("unexpected end of string"), self.pos);
            }
            if c == b'\\' {
                let e = self.at(self.pos + 1);
                let ch = match e {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'u' => match self.unicode_escape() {
                        Some(()) => continue,
                        None => return (Tok::Error("invalid unicode escape code"), self.pos),
                    },
                    _ => return (Tok::Error("invalid escape code"), self.pos),
                };
                self.pos += 1;
                self.string.push(ch);
                self.pos += 1;
                continue;
            }
            self.string.push(c);
            self.pos += 1;
        }
        self.pos += 1;
        (Tok::Str, start)
    }

    fn unicode_escape(&mut self) -> Option<()> {
        let mut cp = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if (0xDC00..=0xDFFF).contains(&cp) {
            return None;
        }
        if (0xD800..=0xDBFF).contains(&cp) {
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let mut buf = [0u8; 4];
        let s = char::from_u32(cp)?.encode_utf8(&mut buf);
        self.string.extend_from_slice(s.as_bytes());
        self.pos += len;
        Some(())
    }

    fn error(&self, expected: &str, tok: Tok, at: usize) -> String {
        format!(
            "Expected {expected} but found {} at character {}",
            tok.name(),
            at + 1
        )
    }

    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > self.max_depth || !super::vm::stack_ok() {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            ));
        }
        Ok(())
    }

    /// Pushes the value starting with `tok` (inside a protected call, see `decode`).
    unsafe fn push(&mut self, l: *mut lua_State, tok: Tok, at: usize) -> Result<(), String> {
        match tok {
            Tok::Str => push_bytes(l, self.string()),
            Tok::Number(n) => ffi::lua_pushnumber(l, n),
            Tok::Boolean(b) => ffi::lua_pushboolean(l, b as c_int),
            Tok::Null => ffi::lua_pushlightuserdata(l, std::ptr::null_mut()),
            Tok::ObjBegin | Tok::ArrBegin => return self.push_container(l, tok),
            other => return Err(self.error("value", other, at)),
        }
        Ok(())
    }

    /// Pushes an object or array whose opening token was just read.
    unsafe fn push_container(&mut self, l: *mut lua_State, tok: Tok) -> Result<(), String> {
        match tok {
            Tok::ObjBegin => {
                self.descend()?;
                ffi::lua_checkstack(l, 4);
                ffi::lua_createtable(l, 0, 0);
                let (mut tok, mut at) = self.next();
                if tok == Tok::ObjEnd {
                    self.depth -= 1;
                    return Ok(());
                }
                loop {
                    if tok != Tok::Str {
                        return Err(self.error("object key string", tok, at));
                    }
                    push_bytes(l, self.string());
                    let (colon, cat) = self.next();
                    if colon != Tok::Colon {
                        return Err(self.error("colon", colon, cat));
                    }
                    let (vt, vat) = self.next();
                    self.push(l, vt, vat)?;
                    ffi::lua_rawset(l, -3);
                    let (sep, sat) = self.next();
                    if sep == Tok::ObjEnd {
                        self.depth -= 1;
                        return Ok(());
                    }
                    if sep != Tok::Comma {
                        return Err(self.error("comma or object end", sep, sat));
                    }
                    (tok, at) = self.next();
                }
            }
            Tok::ArrBegin => {
                self.descend()?;
                ffi::lua_checkstack(l, 4);
                ffi::lua_createtable(l, 0, 0);
                let (mut tok, mut at) = self.next();
                if tok == Tok::ArrEnd {
                    self.depth -= 1;
                    return Ok(());
                }
                let mut i: c_int = 1;
                loop {
                    self.push(l, tok, at)?;
                    ffi::lua_rawseti_(l, -2, i);
                    i = i.saturating_add(1);
                    let (sep, sat) = self.next();
                    if sep == Tok::ArrEnd {
                        self.depth -= 1;
                        return Ok(());
                    }
                    if sep != Tok::Comma {
                        return Err(self.error("comma or array end", sep, sat));
                    }
                    (tok, at) = self.next();
                }
            }
            other => Err(self.error("value", other, 0)),
        }
    }
}

/// Pushes the value the text in `data` decodes to (nothing on error); `data` ends with the NUL
/// that terminates the text, as the C string cjson parses does.
unsafe fn json_decode(l: *mut lua_State, cfg: &CjsonCfg, data: &[u8]) -> Result<(), String> {
    let s = &data[..data.len() - 1];
    // cjson refuses UTF-16/32 input, recognisable by a NUL in the first two bytes.
    if s.len() >= 2 && (s[0] == 0 || s[1] == 0) {
        return Err("JSON parser does not support UTF-16 or UTF-32".into());
    }
    let mut p = JsonParser {
        data,
        pos: 0,
        depth: 0,
        max_depth: cfg.decode_max_depth,
        invalid_numbers: cfg.decode_invalid_numbers,
        plain: None,
        string: Vec::new(),
    };
    let top = ffi::lua_gettop(l);
    let (tok, at) = p.next();
    let mut result = p.push(l, tok, at);
    if result.is_ok() {
        let (end, eat) = p.next();
        if end != Tok::End {
            result = Err(p.error("the end", end, eat));
        }
    }
    if result.is_err() {
        ffi::lua_settop(l, top);
    }
    result
}

// ---------------------------------------------------------------------------------------------
// Native entry points: the hot library functions as Lua C functions (no binding call per use,
// no wrapper). They raise their errors themselves, at the caller's position. A Lua error inside
// (an allocation failure at the memory limit, or their own error) unwinds their frames with
// longjmp, so they hold no lock across Lua calls (the cjson configuration is copied first), drop
// their Rust values before raising, and a buffer an allocation failure skips is only leaked.

thread_local! {
    /// The encoders' output buffer, kept between calls (taken out while in use).
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Largest encoder buffer kept for the next call.
const SCRATCH_KEEP: usize = 64 * 1024;

fn take_scratch() -> Vec<u8> {
    let mut v = SCRATCH.with(|c| c.take());
    v.clear();
    v
}

fn put_scratch(v: Vec<u8>) {
    if v.capacity() <= SCRATCH_KEEP {
        SCRATCH.with(|c| c.set(v));
    }
}

/// Returns from a native library function the values pushed above `base`, or raises the
/// message at the caller's position (as `luaL_error` does). The caller must hold no Rust value
/// with a destructor: `lua_error` unwinds with longjmp.
unsafe fn native_return(l: *mut lua_State, base: c_int, r: Result<(), String>) -> c_int {
    match r {
        Ok(()) => ffi::lua_gettop(l) - base,
        Err(msg) => {
            ffi::lua_settop(l, base);
            ffi::luaL_where(l, 1);
            push_bytes(l, msg.as_bytes());
            drop(msg);
            ffi::lua_concat(l, 2);
            ffi::lua_error(l)
        }
    }
}

/// A cjson function as a C closure over its instance's configuration: upvalue 1 points at the
/// configuration, upvalue 2 is a userdata owning a reference to it (so it lives as long as
/// the closure).
fn native_cjson(
    lua: &Lua,
    f: ffi::lua_CFunction,
    cfg: &Arc<Mutex<CjsonCfg>>,
) -> mlua::Result<mlua::Function> {
    let keeper = lua.create_any_userdata(cfg.clone())?;
    let ptr = Arc::as_ptr(cfg) as *mut std::ffi::c_void;
    // SAFETY: pushes a light userdata and closes `f` over it and the keeper exec_raw pushed.
    unsafe {
        lua.exec_raw::<mlua::Function>(keeper, |l| {
            ffi::lua_pushlightuserdata(l, ptr);
            ffi::lua_insert(l, 1);
            ffi::lua_pushcclosure(l, f, 2);
        })
    }
}

/// The configuration of the cjson instance a native function belongs to, copied.
unsafe fn cjson_cfg(l: *mut lua_State) -> CjsonCfg {
    let cfg = ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) as *const Mutex<CjsonCfg>;
    *(*cfg).lock()
}

/// `luaL_checklstring` on the stack: strings, and numbers as Lua prints them.
unsafe fn raw_check_string(l: *mut lua_State, i: c_int, func: &str) -> Result<Vec<u8>, String> {
    match ffi::lua_type(l, i) {
        ffi::LUA_TSTRING => Ok(to_bytes(l, i).to_vec()),
        ffi::LUA_TNUMBER => Ok(super::invoke::number_text(ffi::lua_tonumber(l, i)).into_bytes()),
        ffi::LUA_TNONE => Err(arg_error(i as usize, func, "string expected, got no value")),
        _ => Err(arg_error(
            i as usize,
            func,
            &format!("string expected, got {}", raw_type_name(l, i)),
        )),
    }
}

/// An optional integer argument (`luaL_checknumber` when present; 0 when absent or nil).
unsafe fn raw_opt_int(l: *mut lua_State, i: c_int, func: &str) -> Result<i64, String> {
    match ffi::lua_type(l, i) {
        ffi::LUA_TNONE | ffi::LUA_TNIL => Ok(0),
        ffi::LUA_TNUMBER => Ok(ffi::lua_tonumber(l, i) as i64),
        ffi::LUA_TSTRING => lua_str_to_number(to_bytes(l, i))
            .map(|n| n as i64)
            .ok_or_else(|| arg_error(i as usize, func, "number expected, got string")),
        _ => Err(arg_error(
            i as usize,
            func,
            &format!("number expected, got {}", raw_type_name(l, i)),
        )),
    }
}

/// cjson.encode(value)
unsafe extern "C-unwind" fn cjson_encode_native(l: *mut lua_State) -> c_int {
    let cfg = cjson_cfg(l);
    let n = ffi::lua_gettop(l);
    if n != 1 {
        return native_return(l, n, Err(arg_error(1, "encode", "expected 1 argument")));
    }
    let mut out = take_scratch();
    let r = json_encode(l, &cfg, 1, 1, &mut out);
    ffi::lua_settop(l, 1);
    if r.is_ok() {
        push_bytes(l, &out);
    }
    put_scratch(out);
    native_return(l, 1, r)
}

/// cjson.decode(text)
unsafe extern "C-unwind" fn cjson_decode_native(l: *mut lua_State) -> c_int {
    let cfg = cjson_cfg(l);
    let n = ffi::lua_gettop(l);
    if n != 1 {
        return native_return(l, n, Err(arg_error(1, "decode", "expected 1 argument")));
    }
    let r = if ffi::lua_type(l, 1) == ffi::LUA_TSTRING {
        // Lua keeps a NUL after every string's bytes: parse the string where it is.
        let mut len = 0;
        let p = ffi::lua_tolstring(l, 1, &mut len) as *const u8;
        json_decode(l, &cfg, std::slice::from_raw_parts(p, len + 1))
    } else {
        match raw_check_string(l, 1, "decode") {
            Ok(mut s) => {
                s.push(0);
                json_decode(l, &cfg, &s)
            }
            Err(e) => Err(e),
        }
    };
    native_return(l, 1, r)
}

/// cmsgpack.pack(value, ...)
unsafe extern "C-unwind" fn mp_pack_native(l: *mut lua_State) -> c_int {
    let n = ffi::lua_gettop(l);
    if n == 0 {
        return native_return(
            l,
            0,
            Err(arg_error(0, "pack", "MessagePack pack needs input.")),
        );
    }
    let mut out = take_scratch();
    for i in 1..=n {
        mp_encode(l, i, 0, &mut out);
    }
    push_bytes(l, &out);
    put_scratch(out);
    native_return(l, n, Ok(()))
}

/// cmsgpack.unpack(data)
unsafe extern "C-unwind" fn mp_unpack_native(l: *mut lua_State) -> c_int {
    let n = ffi::lua_gettop(l);
    let r = mp_unpack_full(l, "unpack", 0, 0, true);
    native_return(l, n, r)
}

/// cmsgpack.unpack_one(data, [offset])
unsafe extern "C-unwind" fn mp_unpack_one_native(l: *mut lua_State) -> c_int {
    let n = ffi::lua_gettop(l);
    let r = match raw_opt_int(l, 2, "unpack_one") {
        Ok(offset) => mp_unpack_full(l, "unpack_one", 1, offset, false),
        Err(e) => Err(e),
    };
    native_return(l, n, r)
}

/// cmsgpack.unpack_limit(data, limit, [offset])
unsafe extern "C-unwind" fn mp_unpack_limit_native(l: *mut lua_State) -> c_int {
    let n = ffi::lua_gettop(l);
    let r = match (
        raw_opt_int(l, 2, "unpack_limit"),
        raw_opt_int(l, 3, "unpack_limit"),
    ) {
        (Ok(limit), Ok(offset)) => mp_unpack_full(l, "unpack_limit", limit, offset, false),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    native_return(l, n, r)
}

// ---------------------------------------------------------------------------------------------
// cmsgpack

const MSGPACK_MAX_NESTING: usize = 16;

pub fn cmsgpack(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    // SAFETY: the native functions follow the C function protocol.
    unsafe {
        t.raw_set("pack", lua.create_c_function(mp_pack_native)?)?;
        t.raw_set("unpack", lua.create_c_function(mp_unpack_native)?)?;
        t.raw_set("unpack_one", lua.create_c_function(mp_unpack_one_native)?)?;
        t.raw_set(
            "unpack_limit",
            lua.create_c_function(mp_unpack_limit_native)?,
        )?;
    }
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

fn mp_encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn mp_encode_number(n: f64, out: &mut Vec<u8>) {
    if n.is_finite() && lua_number_to_i64(n) as f64 == n {
        mp_encode_int(lua_number_to_i64(n), out);
    } else if (n as f32) as f64 == n || n.is_nan() && (n as f32).is_nan() {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn mp_encode_len(len: usize, fix: u8, fix_max: usize, tags: [u8; 3], out: &mut Vec<u8>) {
    if len < fix_max {
        out.push(fix | len as u8);
    } else if tags[0] != 0 && len <= 0xff {
        out.extend_from_slice(&[tags[0], len as u8]);
    } else if len <= 0xffff {
        out.push(tags[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(tags[2]);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// Encodes the value at absolute stack index `idx` as lua-cmsgpack does (inside a protected
/// call, see `pack`).
unsafe fn mp_encode(l: *mut lua_State, idx: c_int, level: usize, out: &mut Vec<u8>) {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TBOOLEAN => out.push(if ffi::lua_toboolean(l, idx) != 0 {
            0xc3
        } else {
            0xc2
        }),
        ffi::LUA_TNUMBER => mp_encode_number(ffi::lua_tonumber(l, idx), out),
        ffi::LUA_TSTRING => {
            let b = to_bytes(l, idx);
            mp_encode_len(b.len(), 0xa0, 32, [0xd9, 0xda, 0xdb], out);
            out.extend_from_slice(b);
        }
        ffi::LUA_TTABLE if level < MSGPACK_MAX_NESTING => {
            ffi::lua_checkstack(l, 4);
            let base = ffi::lua_gettop(l);
            let mut count = 0usize;
            let mut max = 0f64;
            let mut array = true;
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, idx) != 0 {
                count += 1;
                let n =
                    (ffi::lua_type(l, -2) == ffi::LUA_TNUMBER).then(|| ffi::lua_tonumber(l, -2));
                match n {
                    Some(n) if n > 0.0 && lua_number_to_i64(n) as f64 == n => max = max.max(n),
                    _ => array = false,
                }
                ffi::lua_settop(l, -2);
            }
            if array && max == count as f64 {
                mp_encode_len(count, 0x90, 16, [0, 0xdc, 0xdd], out);
                for i in 1..=count {
                    raw_index(l, idx, i as f64);
                    mp_encode(l, base + 1, level + 1, out);
                    ffi::lua_settop(l, base);
                }
            } else {
                mp_encode_len(count, 0x80, 16, [0, 0xde, 0xdf], out);
                ffi::lua_pushnil(l);
                while ffi::lua_next(l, idx) != 0 {
                    mp_encode(l, base + 1, level + 1, out);
                    mp_encode(l, base + 2, level + 1, out);
                    ffi::lua_settop(l, base + 1);
                }
            }
        }
        _ => out.push(0xc0),
    }
}

enum MpErr {
    Eof,
    BadFmt,
    Lua(String),
}

struct MpCur<'a> {
    data: &'a [u8],
    pos: usize,
}

impl MpCur<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], MpErr> {
        let s = self.data.get(self.pos..self.pos + n).ok_or(MpErr::Eof)?;
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, MpErr> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }
}

/// Pushes the next value of `c` (inside a protected call, see [`mp_unpack_full`]).
unsafe fn mp_decode(l: *mut lua_State, c: &mut MpCur, depth: usize) -> Result<(), MpErr> {
    if depth > 1000 || !super::vm::stack_ok() {
        return Err(MpErr::Lua("too many nested data structures".into()));
    }
    ffi::lua_checkstack(l, 4);
    let tag = c.take(1)?[0];
    let str_of = |c: &mut MpCur, n: usize| -> Result<(), MpErr> {
        push_bytes(l, c.take(n)?);
        Ok(())
    };
    let array = |c: &mut MpCur, n: usize| -> Result<(), MpErr> {
        ffi::lua_createtable(l, 0, 0);
        for i in 1..=n {
            mp_decode(l, c, depth + 1)?;
            ffi::lua_rawseti_(l, -2, i.min(c_int::MAX as usize) as c_int);
        }
        Ok(())
    };
    let map = |c: &mut MpCur, n: usize| -> Result<(), MpErr> {
        ffi::lua_createtable(l, 0, 0);
        for _ in 0..n {
            mp_decode(l, c, depth + 1)?;
            mp_decode(l, c, depth + 1)?;
            if ffi::lua_type(l, -2) == ffi::LUA_TNIL {
                ffi::lua_settop(l, -3);
            } else {
                ffi::lua_rawset(l, -3);
            }
        }
        Ok(())
    };
    let num = |n: f64| {
        ffi::lua_pushnumber(l, n);
        Ok(())
    };
    match tag {
        0x00..=0x7f => num(tag as f64),
        0x80..=0x8f => map(c, (tag & 0x0f) as usize),
        0x90..=0x9f => array(c, (tag & 0x0f) as usize),
        0xa0..=0xbf => str_of(c, (tag & 0x1f) as usize),
        0xc0 => {
            ffi::lua_pushnil(l);
            Ok(())
        }
        0xc2 | 0xc3 => {
            ffi::lua_pushboolean(l, (tag == 0xc3) as c_int);
            Ok(())
        }
        0xc4 | 0xd9 => {
            let n = c.be(1)? as usize;
            str_of(c, n)
        }
        0xc5 | 0xda => {
            let n = c.be(2)? as usize;
            str_of(c, n)
        }
        0xc6 | 0xdb => {
            let n = c.be(4)? as usize;
            str_of(c, n)
        }
        0xca => num(f32::from_bits(c.be(4)? as u32) as f64),
        0xcb => num(f64::from_bits(c.be(8)?)),
        0xcc => num(c.be(1)? as f64),
        0xcd => num(c.be(2)? as f64),
        0xce => num(c.be(4)? as f64),
        0xcf => num(c.be(8)? as f64),
        0xd0 => num(c.be(1)? as u8 as i8 as f64),
        0xd1 => num(c.be(2)? as u16 as i16 as f64),
        0xd2 => num(c.be(4)? as u32 as i32 as f64),
        0xd3 => num(c.be(8)? as i64 as f64),
        0xdc => {
            let n = c.be(2)? as usize;
            array(c, n)
        }
        0xdd => {
            let n = c.be(4)? as usize;
            array(c, n)
        }
        0xde => {
            let n = c.be(2)? as usize;
            map(c, n)
        }
        0xdf => {
            let n = c.be(4)? as usize;
            map(c, n)
        }
        0xe0..=0xff => num(tag as i8 as f64),
        _ => Err(MpErr::BadFmt),
    }
}

/// Pushes the values of the string argument (index 1) from `offset`, at most `limit` of them
/// (all with `decode_all`); unpack_one/unpack_limit push the next offset first.
unsafe fn mp_unpack_full(
    l: *mut lua_State,
    func: &str,
    limit: i64,
    offset: i64,
    decode_all: bool,
) -> Result<(), String> {
    let s = raw_check_string(l, 1, func)?;
    let len = s.len() as i64;
    if offset < 0 || limit < 0 {
        return Err(format!(
            "Invalid request to unpack with offset of {offset} and limit of {len}."
        ));
    } else if offset > len {
        return Err(format!(
            "Start offset {offset} greater than input length {len}."
        ));
    }
    let limit = if decode_all { i64::MAX } else { limit };
    let mut c = MpCur {
        data: &s[offset as usize..],
        pos: 0,
    };
    let base = ffi::lua_gettop(l);
    let mut cnt = 0;
    while c.pos < c.data.len() && cnt < limit {
        ffi::lua_checkstack(l, 1);
        if let Err(e) = mp_decode(l, &mut c, 0) {
            ffi::lua_settop(l, base);
            return Err(match e {
                MpErr::Eof => "Missing bytes in input.".into(),
                MpErr::BadFmt => "Bad data format in input.".into(),
                MpErr::Lua(e) => e,
            });
        }
        cnt += 1;
    }
    if !decode_all {
        let left = c.data.len() - c.pos;
        let next = if left == 0 { -1 } else { len - left as i64 };
        ffi::lua_pushnumber(l, next as f64);
        ffi::lua_insert(l, base + 1);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// struct

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

#[derive(Clone, Copy)]
struct StructHeader {
    little: bool,
    align: usize,
}

fn getnum(fmt: &[u8], i: &mut usize, default: usize) -> usize {
    if !fmt.get(*i).is_some_and(u8::is_ascii_digit) {
        return default;
    }
    let mut a: usize = 0;
    loop {
        a = a * 10 + (fmt[*i] - b'0') as usize;
        *i += 1;
        if !(fmt.get(*i).is_some_and(u8::is_ascii_digit) && a <= (i32::MAX as usize - 9) / 10) {
            break;
        }
    }
    a
}

fn optsize(opt: u8, fmt: &[u8], i: &mut usize, func: &str) -> Result<usize, String> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' => 8,
        b'f' => 4,
        b'd' => 8,
        b'x' => 1,
        b'c' => getnum(fmt, i, 1),
        b'i' | b'I' => {
            let sz = getnum(fmt, i, 4);
            if sz > MAXINTSIZE {
                return Err(format!(
                    "integral size {sz} is larger than limit of {MAXINTSIZE}"
                ));
            }
            let _ = func;
            sz
        }
        _ => 0,
    })
}

fn gettoalign(len: usize, h: &StructHeader, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

fn controloptions(
    opt: u8,
    fmt: &[u8],
    i: &mut usize,
    h: &mut StructHeader,
    func: &str,
) -> Result<(), String> {
    match opt {
        b' ' => {}
        b'>' => h.little = false,
        b'<' => h.little = true,
        b'!' => {
            let a = getnum(fmt, i, MAXALIGN);
            if !a.is_power_of_two() {
                return Err(format!("alignment {a} is not a power of 2"));
            }
            h.align = a;
        }
        _ => {
            return Err(arg_error(
                1,
                func,
                &format!("invalid format option '{}'", opt as char),
            ))
        }
    }
    Ok(())
}

fn struct_pack(lua: &Lua, mut args: MultiValue) -> LibResult {
    let fmt = check_string(&args, 0, "pack")?;
    // struct.pack reads past its arguments as nils ("number expected, got nil").
    let wanted = fmt.len() + 1;
    while args.len() < wanted {
        args.push_back(Value::Nil);
    }
    let mut h = StructHeader {
        little: true,
        align: 1,
    };
    let mut arg = 1;
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(opt, &fmt, &mut i, "pack")?;
        let toalign = gettoalign(out.len(), &h, opt, size);
        out.resize(out.len() + toalign, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(&args, arg, "pack")?;
                arg += 1;
                let mut value: u64 = if n < 0.0 {
                    lua_number_to_i64(n) as u64
                } else if n >= 18_446_744_073_709_551_616.0 {
                    0
                } else {
                    n as u64
                };
                let mut buf = vec![0u8; size];
                if h.little {
                    for b in buf.iter_mut() {
                        *b = value as u8;
                        value = value.checked_shr(8).unwrap_or(0);
                    }
                } else {
                    for b in buf.iter_mut().rev() {
                        *b = value as u8;
                        value = value.checked_shr(8).unwrap_or(0);
                    }
                }
                out.extend_from_slice(&buf);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = check_number(&args, arg, "pack")? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    f.to_le_bytes()
                } else {
                    f.to_be_bytes()
                });
            }
            b'd' => {
                let d = check_number(&args, arg, "pack")?;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    d.to_le_bytes()
                } else {
                    d.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = check_string(&args, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(arg_error(arg + 1, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => controloptions(opt, &fmt, &mut i, &mut h, "pack")?,
        }
    }
    Ok(vec![string(lua, &out)?])
}

fn struct_unpack(lua: &Lua, args: MultiValue) -> LibResult {
    let fmt = check_string(&args, 0, "unpack")?;
    let data = check_string(&args, 1, "unpack")?;
    let ld = data.len();
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1,
        _ => check_number(&args, 2, "unpack")? as i64,
    };
    let mut pos =
        usize::try_from(start - 1).map_err(|_| arg_error(2, "unpack", "data string too short"))?;
    let mut h = StructHeader {
        little: true,
        align: 1,
    };
    let mut out: Vec<Value> = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(opt, &fmt, &mut i, "unpack")?;
        pos += gettoalign(pos, &h, opt, size);
        if pos > ld || size > ld - pos {
            return Err(arg_error(2, "unpack", "data string too short"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let bytes = &data[pos..pos + size];
                let mut l: u64 = 0;
                let mut push = |b: u8| l = l.checked_shl(8).unwrap_or(0) | b as u64;
                if h.little {
                    bytes.iter().rev().for_each(|&b| push(b));
                } else {
                    bytes.iter().for_each(|&b| push(b));
                }
                let v = if opt.is_ascii_lowercase() && size > 0 {
                    let bits = size * 8 - 1;
                    if bits < 64 {
                        let mask = u64::MAX << bits;
                        if l & mask != 0 {
                            l |= mask;
                        }
                    }
                    l as i64 as f64
                } else {
                    l as f64
                };
                out.push(num(v));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let f = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push(num(f as f64));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let d = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push(num(d));
            }
            b'c' => {
                if size == 0 {
                    let prev = out.last().and_then(value_number);
                    let Some(n) = prev else {
                        return Err("format 'c0' needs a previous size".into());
                    };
                    out.pop();
                    size = if n < 0.0 { usize::MAX } else { n as usize };
                    if size > ld - pos {
                        return Err(arg_error(2, "unpack", "data string too short"));
                    }
                }
                out.push(string(lua, &data[pos..pos + size])?);
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err("unfinished string in data".into());
                };
                size = e + 1;
                out.push(string(lua, &data[pos..pos + e])?);
            }
            _ => controloptions(opt, &fmt, &mut i, &mut h, "unpack")?,
        }
        pos += size;
    }
    out.push(num((pos + 1) as f64));
    Ok(out)
}

fn struct_size(_: &Lua, args: MultiValue) -> LibResult {
    let fmt = check_string(&args, 0, "size")?;
    let mut h = StructHeader {
        little: true,
        align: 1,
    };
    let mut pos = 0usize;
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let size = optsize(opt, &fmt, &mut i, "size")?;
        pos += gettoalign(pos, &h, opt, size);
        if opt == b's' {
            return Err(arg_error(1, "size", "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(arg_error(1, "size", "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            controloptions(opt, &fmt, &mut i, &mut h, "size")?;
        }
        pos += size;
    }
    Ok(vec![num(pos as f64)])
}

pub fn lua_struct(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    register(lua, &t, "pack", struct_pack)?;
    register(lua, &t, "unpack", struct_unpack)?;
    register(lua, &t, "size", struct_size)?;
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// bit (LuaBitOp 1.0.2)

/// LuaBitOp's argument normalisation: the low 32 bits of `n + 2^52 + 2^51`.
fn barg(args: &MultiValue, i: usize, func: &str) -> Result<u32, String> {
    let n = check_number(args, i, func)?;
    Ok((n + 6_755_399_441_055_744.0).to_bits() as u32)
}

fn bres(b: u32) -> Value {
    num(b as i32 as f64)
}

pub fn bit(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    register(lua, &t, "tobit", |_, a| {
        Ok(vec![bres(barg(&a, 0, "tobit")?)])
    })?;
    register(lua, &t, "bnot", |_, a| {
        Ok(vec![bres(!barg(&a, 0, "bnot")?)])
    })?;
    register(lua, &t, "bswap", |_, a| {
        Ok(vec![bres(barg(&a, 0, "bswap")?.swap_bytes())])
    })?;
    fn fold(a: &MultiValue, name: &str, f: fn(u32, u32) -> u32) -> LibResult {
        let mut b = barg(a, 0, name)?;
        for i in 1..a.len() {
            b = f(b, barg(a, i, name)?);
        }
        Ok(vec![bres(b)])
    }
    register(lua, &t, "band", |_, a| fold(&a, "band", |x, y| x & y))?;
    register(lua, &t, "bor", |_, a| fold(&a, "bor", |x, y| x | y))?;
    register(lua, &t, "bxor", |_, a| fold(&a, "bxor", |x, y| x ^ y))?;
    fn shift(a: &MultiValue, name: &str, f: fn(u32, u32) -> u32) -> LibResult {
        let b = barg(a, 0, name)?;
        let n = barg(a, 1, name)? & 31;
        Ok(vec![bres(f(b, n))])
    }
    register(lua, &t, "lshift", |_, a| shift(&a, "lshift", |b, n| b << n))?;
    register(lua, &t, "rshift", |_, a| shift(&a, "rshift", |b, n| b >> n))?;
    register(lua, &t, "arshift", |_, a| {
        shift(&a, "arshift", |b, n| ((b as i32) >> n) as u32)
    })?;
    register(lua, &t, "rol", |_, a| {
        shift(&a, "rol", |b, n| b.rotate_left(n))
    })?;
    register(lua, &t, "ror", |_, a| {
        shift(&a, "ror", |b, n| b.rotate_right(n))
    })?;
    register(lua, &t, "tohex", |lua, a| {
        let mut b = barg(&a, 0, "tohex")?;
        let mut n: i32 = match a.get(1) {
            None => 8,
            Some(_) => barg(&a, 1, "tohex")? as i32,
        };
        let digits: &[u8; 16] = if n < 0 {
            n = n.saturating_neg();
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let n = n.min(8) as usize;
        let mut buf = vec![0u8; n];
        for slot in buf.iter_mut().rev() {
            *slot = digits[(b & 15) as usize];
            b >>= 4;
        }
        Ok(vec![string(lua, &buf)?])
    })?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_normalisation() {
        let a: MultiValue = vec![Value::Number(4294967295.0)].into_iter().collect();
        assert_eq!(barg(&a, 0, "tobit").unwrap() as i32, -1);
        let a: MultiValue = vec![Value::Number(1.5)].into_iter().collect();
        assert_eq!(barg(&a, 0, "tobit").unwrap(), 2);
    }

    #[test]
    fn msgpack_int_forms() {
        let mut out = Vec::new();
        mp_encode_int(-33, &mut out);
        mp_encode_int(300, &mut out);
        assert_eq!(out, [0xd0, 0xdf, 0xcd, 0x01, 0x2c]);
    }
}
