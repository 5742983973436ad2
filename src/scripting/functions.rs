//! FUNCTION libraries (Redis 7.0's `functions.c` / `function_lua.c`): the library registry,
//! the `#!lua name=<lib>` header, `redis.register_function`, and the DUMP/RESTORE payload.

use bytes::Bytes;
use indexmap::IndexMap;
use mlua::{Function, Lua, MultiValue, Value};

use super::vm::{LoadState, Registered};
use super::ScriptFlags;

/// A loaded library.
pub struct Library {
    pub name: String,
    pub code: Bytes,
    /// Functions in registration order.
    pub functions: Vec<Registered>,
}

/// All libraries, and which library each function name belongs to.
#[derive(Default)]
pub struct Libraries {
    pub libs: IndexMap<String, Library>,
    by_function: IndexMap<String, String>,
}

impl Libraries {
    pub fn function(&self, name: &str) -> Option<&Registered> {
        let lib = self.by_function.get(name)?;
        self.libs
            .get(lib)?
            .functions
            .iter()
            .find(|f| f.name == name)
    }

    pub fn functions_count(&self) -> usize {
        self.by_function.len()
    }

    pub fn libraries_count(&self) -> usize {
        self.libs.len()
    }

    /// Bytes of library code and names (INFO `used_memory_functions`).
    pub fn memory(&self) -> usize {
        self.libs
            .values()
            .map(|l| {
                l.code.len()
                    + l.name.len()
                    + l.functions.iter().map(|f| f.name.len() + 64).sum::<usize>()
            })
            .sum()
    }

    pub fn remove(&mut self, name: &str) -> Option<Library> {
        let lib = self.libs.shift_remove(name)?;
        for f in &lib.functions {
            self.by_function.shift_remove(&f.name);
        }
        Some(lib)
    }

    pub fn clear(&mut self) {
        self.libs.clear();
        self.by_function.clear();
    }

    /// Adds a library whose names were checked by [`Libraries::check`].
    pub fn insert(&mut self, lib: Library) {
        for f in &lib.functions {
            self.by_function.insert(f.name.clone(), lib.name.clone());
        }
        self.libs.insert(lib.name.clone(), lib);
    }

    /// Whether `lib` can be added (replacing a library of the same name if `replace`): none of
    /// its functions may belong to another library.
    pub fn check(&self, lib: &Library, replace: bool) -> Result<(), String> {
        if self.libs.contains_key(&lib.name) && !replace {
            return Err(format!("ERR Library '{}' already exists", lib.name));
        }
        for f in &lib.functions {
            if let Some(owner) = self.by_function.get(&f.name) {
                if *owner != lib.name {
                    return Err(format!("ERR Function {} already exists", f.name));
                }
            }
        }
        Ok(())
    }
}

/// Letters, digits and underscores, at least one (Redis's `functionsVerifyName`).
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parses the `#!<engine> name=<lib>` header of FUNCTION LOAD's code (Redis's
/// `functionExtractLibMetaData`): (engine, library name, bytes of header to skip).
pub fn parse_header(code: &[u8]) -> Result<(String, String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid library metadata".into());
    };
    let line = String::from_utf8_lossy(&code[2..end]);
    let parts: Vec<&str> = line.split_ascii_whitespace().collect();
    let Some(engine) = parts.first() else {
        return Err("ERR Invalid library metadata".into());
    };
    let mut name = None;
    for p in &parts[1..] {
        if p.len() >= 5 && p[..5].eq_ignore_ascii_case("name=") {
            let v = &p[5..];
            if name.is_some() {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(v.to_string());
        } else {
            return Err(format!("ERR Invalid metadata value given: {p}"));
        }
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".into());
    };
    Ok((engine.to_string(), name, end))
}

fn fail(lua: &Lua, msg: &str) -> mlua::Result<(bool, Value)> {
    let t = lua.create_table()?;
    t.raw_set("err", format!("ERR {msg}"))?;
    Ok((false, Value::Table(t)))
}

/// redis.register_function(name, callback) / redis.register_function{function_name=...,
/// callback=..., flags={...}, description=...}
pub fn register_function(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
    if lua.app_data_ref::<LoadState>().is_none() {
        return fail(
            lua,
            "redis.register_function can only be called on FUNCTION LOAD command",
        );
    }
    let (name, func, flags, description): (Bytes, Function, ScriptFlags, Option<Bytes>) = match args
        .len()
    {
        1 => {
            let Some(Value::Table(t)) = args.front() else {
                return fail(lua, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
            };
            let (mut name, mut func, mut flags, mut desc) = (None, None, ScriptFlags(0), None);
            for pair in t.pairs::<Value, Value>() {
                let (k, v) = pair?;
                let key =
                    match &k {
                        Value::String(s) => s.as_bytes().to_vec(),
                        _ => return fail(
                            lua,
                            "named argument key given to redis.register_function is not a string",
                        ),
                    };
                match key.as_slice() {
                        b"function_name" => match v {
                            Value::String(s) => name = Some(Bytes::copy_from_slice(&s.as_bytes())),
                            _ => return fail(lua, "function_name argument given to redis.register_function must be a string"),
                        },
                        b"description" => match v {
                            Value::String(s) => desc = Some(Bytes::copy_from_slice(&s.as_bytes())),
                            _ => return fail(lua, "description argument given to redis.register_function must be a string"),
                        },
                        b"callback" => match v {
                            Value::Function(f) => func = Some(f),
                            _ => return fail(lua, "callback argument given to redis.register_function must be a function"),
                        },
                        b"flags" => {
                            let Value::Table(ft) = v else {
                                return fail(lua, "flags argument to redis.register_function must be a table representing function flags");
                            };
                            for f in ft.sequence_values::<Value>() {
                                let Ok(Value::String(s)) = f else {
                                    return fail(lua, "unknown flag given");
                                };
                                match ScriptFlags::from_name(&s.as_bytes()) {
                                    Some(bit) => flags.0 |= bit,
                                    None => return fail(lua, "unknown flag given"),
                                }
                            }
                        }
                        _ => return fail(lua, "unknown argument given to redis.register_function"),
                    }
            }
            let Some(name) = name else {
                return fail(
                    lua,
                    "redis.register_function must get a function name argument",
                );
            };
            let Some(func) = func else {
                return fail(lua, "redis.register_function must get a callback argument");
            };
            (name, func, flags, desc)
        }
        2 => {
            let mut it = args.iter();
            let name = match it.next() {
                Some(Value::String(s)) => Bytes::copy_from_slice(&s.as_bytes()),
                Some(Value::Integer(i)) => Bytes::from(i.to_string()),
                Some(Value::Number(n)) => Bytes::from(super::vm::fmt_g(*n, 14)),
                _ => {
                    return fail(
                        lua,
                        "first argument to redis.register_function must be a string",
                    )
                }
            };
            let func = match it.next() {
                Some(Value::Function(f)) => f.clone(),
                _ => {
                    return fail(
                        lua,
                        "second argument to redis.register_function must be a function",
                    )
                }
            };
            (name, func, ScriptFlags(0), None)
        }
        _ => return fail(lua, "wrong number of arguments to redis.register_function"),
    };
    if !valid_name(&name) {
        // Redis 7.0 reports a bad function name with the library-name text.
        return fail(lua, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let exists = match lua.app_data_ref::<LoadState>() {
        Some(st) => st.functions.iter().any(|f| f.name == name),
        None => {
            return fail(
                lua,
                "redis.register_function can only be called on FUNCTION LOAD command",
            )
        }
    };
    if exists {
        return fail(lua, "Function already exists in the library");
    }
    let func = lua.create_registry_value(func)?;
    let Some(mut st) = lua.app_data_mut::<LoadState>() else {
        return fail(
            lua,
            "redis.register_function can only be called on FUNCTION LOAD command",
        );
    };
    st.functions.push(Registered {
        name,
        func,
        flags,
        description,
    });
    Ok((true, Value::Nil))
}

// ---------------------------------------------------------------------------------------------
// FUNCTION DUMP / RESTORE payloads: RDB `FUNCTION2` records, then the RDB version and a CRC64,
// as Redis's DUMP format.

const RDB_OPCODE_FUNCTION2: u8 = 245;
const RDB_VERSION: u16 = 10;

/// The DUMP payload of every library (strings stored uncompressed).
pub fn dump(libs: &Libraries) -> Vec<u8> {
    let mut out = Vec::new();
    for lib in libs.libs.values() {
        out.push(RDB_OPCODE_FUNCTION2);
        write_len(&mut out, lib.code.len() as u64);
        out.extend_from_slice(&lib.code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 64 {
        out.push(len as u8);
    } else if len < 16384 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// The library codes in a RESTORE payload, or Redis's error text.
pub fn parse_dump(payload: &[u8]) -> Result<Vec<Bytes>, &'static str> {
    const BAD: &str = "ERR DUMP payload version or checksum are wrong";
    if payload.len() < 10 {
        return Err(BAD);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let mut crc_bytes = [0u8; 8];
    crc_bytes.copy_from_slice(&footer[2..]);
    let crc = u64::from_le_bytes(crc_bytes);
    if version > RDB_VERSION || (crc != 0 && crc64(0, &payload[..payload.len() - 8]) != crc) {
        return Err(BAD);
    }
    let mut codes = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        if body[pos] != RDB_OPCODE_FUNCTION2 {
            return Err("ERR given type is not a function");
        }
        pos += 1;
        let code = read_string(body, &mut pos).ok_or(BAD)?;
        codes.push(Bytes::from(code));
    }
    Ok(codes)
}

fn read_len(b: &[u8], pos: &mut usize) -> Option<(u64, bool)> {
    let first = *b.get(*pos)?;
    *pos += 1;
    match first >> 6 {
        0 => Some(((first & 0x3f) as u64, false)),
        1 => {
            let second = *b.get(*pos)?;
            *pos += 1;
            Some(((((first & 0x3f) as u64) << 8) | second as u64, false))
        }
        2 if first == 0x80 => {
            let v = b.get(*pos..*pos + 4)?;
            *pos += 4;
            Some((u32::from_be_bytes([v[0], v[1], v[2], v[3]]) as u64, false))
        }
        2 if first == 0x81 => {
            let v = b.get(*pos..*pos + 8)?;
            *pos += 8;
            let mut a = [0u8; 8];
            a.copy_from_slice(v);
            Some((u64::from_be_bytes(a), false))
        }
        3 => Some(((first & 0x3f) as u64, true)),
        _ => None,
    }
}

fn read_string(b: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let (len, special) = read_len(b, pos)?;
    if !special {
        let len = usize::try_from(len).ok()?;
        let s = b.get(*pos..pos.checked_add(len)?)?.to_vec();
        *pos += len;
        return Some(s);
    }
    match len {
        // 8/16/32-bit integers stored as strings.
        0 => {
            let v = *b.get(*pos)? as i8;
            *pos += 1;
            Some(v.to_string().into_bytes())
        }
        1 => {
            let v = b.get(*pos..*pos + 2)?;
            *pos += 2;
            Some(i16::from_le_bytes([v[0], v[1]]).to_string().into_bytes())
        }
        2 => {
            let v = b.get(*pos..*pos + 4)?;
            *pos += 4;
            Some(
                i32::from_le_bytes([v[0], v[1], v[2], v[3]])
                    .to_string()
                    .into_bytes(),
            )
        }
        // LZF-compressed.
        3 => {
            let (clen, _) = read_len(b, pos)?;
            let (ulen, _) = read_len(b, pos)?;
            let clen = usize::try_from(clen).ok()?;
            let ulen = usize::try_from(ulen).ok()?;
            let src = b.get(*pos..pos.checked_add(clen)?)?;
            *pos += clen;
            lzf_decompress(src, ulen)
        }
        _ => None,
    }
}

/// LZF decompression (the format of Redis's compressed RDB strings).
fn lzf_decompress(src: &[u8], ulen: usize) -> Option<Vec<u8>> {
    if ulen > 512 * 1024 * 1024 {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(ulen);
    let mut i = 0;
    while i < src.len() {
        let ctrl = src[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            out.extend_from_slice(src.get(i..i + n)?);
            i += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *src.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *src.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let c = out[start + k];
                out.push(c);
            }
        }
        if out.len() > ulen {
            return None;
        }
    }
    (out.len() == ulen).then_some(out)
}

/// CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9), Redis's `crc64`.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 bit-reversed
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_check_value() {
        // Redis's crc64 test vector.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn header() {
        assert_eq!(
            parse_header(b"#!lua name=mylib\nreturn 1").unwrap(),
            ("lua".into(), "mylib".into(), 16)
        );
        assert_eq!(
            parse_header(b"return 1").unwrap_err(),
            "ERR Missing library metadata"
        );
        assert_eq!(
            parse_header(b"#!lua\n").unwrap_err(),
            "ERR Library name was not given"
        );
    }

    #[test]
    fn lzf_roundtrip_of_a_literal_and_backref() {
        // "aaaaaaaa": literal 'a', then a back-reference of length 7 at distance 1.
        let src = [0u8, b'a', 0xa0, 0x00];
        assert_eq!(lzf_decompress(&src, 8).unwrap(), b"aaaaaaaa");
    }
}
