//! Hash commands, plus the pieces every collection SCAN shares (cursor and option parsing, the
//! MATCH glob) and the `long double` arithmetic HINCRBYFLOAT needs to match Redis digit for digit.

use bytes::Bytes;
use rand::Rng;

use super::{arg, cmd, lit, range_long, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group};
use crate::config::registry::{NOTIFY_GENERIC, NOTIFY_HASH};
use crate::store::hash::Hash;
use crate::store::{Locked, Value};

/// The hash at `key`: `None` if missing, WRONGTYPE if another type.
fn get_hash<'a>(ks: &'a mut Locked, key: &[u8]) -> Result<Option<&'a mut Hash>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Hash(h) => Ok(Some(h)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// The hash at `key`, created empty (and stored) if missing.
fn hash_for_write<'a>(ks: &'a mut Locked, key: &[u8]) -> Result<&'a mut Hash, CmdError> {
    if get_hash(ks, key)?.is_none() {
        ks.set(key, Value::Hash(Hash::new()));
    }
    get_hash(ks, key)?.ok_or(CmdError::NoSuchKey)
}

/// Deletes `key` if its hash became empty.
fn delete_if_empty(ks: &mut Locked, key: &[u8]) {
    if matches!(get_hash(ks, key), Ok(Some(h)) if h.is_empty()) {
        ks.del(key);
    }
}

/// HSET/HMSET key field value [field value ...]
fn hset_generic(ctx: &mut Ctx, hmset: bool) -> CmdResult {
    let argv = ctx.argv;
    if argv.len() % 2 == 1 {
        return Err(CmdError::WrongArity(ctx.cmd.full_name.clone()));
    }
    let key = arg(argv, 1);
    let h = hash_for_write(&mut ctx.ks, key)?;
    h.try_conversion(argv[2..].iter().map(|a| &a[..]));
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        if h.set(&pair[0], Bytes::copy_from_slice(&pair[1])) {
            created += 1;
        }
    }
    ctx.dirty += ((argv.len() - 2) / 2) as u64;
    if hmset {
        ctx.out.ok();
    } else {
        ctx.out.int(created);
    }
    ctx.notify(NOTIFY_HASH, "hset", key);
    Ok(())
}

/// HSET key field value [field value ...]
fn hset(ctx: &mut Ctx) -> CmdResult {
    hset_generic(ctx, false)
}

/// HMSET key field value [field value ...]
fn hmset(ctx: &mut Ctx) -> CmdResult {
    hset_generic(ctx, true)
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let h = hash_for_write(&mut ctx.ks, arg(argv, 1))?;
    if h.contains(arg(argv, 2)) {
        ctx.out.int(0);
    } else {
        h.try_conversion([arg(argv, 2), arg(argv, 3)]);
        h.set(arg(argv, 2), Bytes::copy_from_slice(arg(argv, 3)));
        ctx.dirty += 1;
        ctx.out.int(1);
        ctx.notify(NOTIFY_HASH, "hset", arg(argv, 1));
    }
    Ok(())
}

/// HGET key field
fn hget(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    match get_hash(&mut ctx.ks, arg(argv, 1))?.and_then(|h| h.get(arg(argv, 2))) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let h = get_hash(&mut ctx.ks, arg(argv, 1))?;
    ctx.out.array(argv.len() - 2);
    for f in &argv[2..] {
        match h.as_ref().and_then(|h| h.get(f)) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// HGETALL / HKEYS / HVALS key
fn getall_generic(ctx: &mut Ctx, keys: bool, vals: bool) -> CmdResult {
    let argv = ctx.argv;
    let h = get_hash(&mut ctx.ks, arg(argv, 1))?;
    let n = h.as_ref().map_or(0, |h| h.len());
    if keys && vals {
        ctx.out.map(n);
    } else {
        ctx.out.array(n);
    }
    if let Some(h) = h {
        for (f, v) in h.iter() {
            if keys {
                ctx.out.bulk(f);
            }
            if vals {
                ctx.out.bulk(v);
            }
        }
    }
    Ok(())
}

/// HGETALL key
fn hgetall(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, true, true)
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, true, false)
}

/// HVALS key
fn hvals(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, false, true)
}

/// HDEL key field [field ...]
fn hdel(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    let mut n = 0;
    if let Some(h) = get_hash(&mut ctx.ks, key)? {
        for f in &argv[2..] {
            if h.remove(f) {
                n += 1;
                if h.is_empty() {
                    break;
                }
            }
        }
    }
    if n > 0 {
        ctx.notify(NOTIFY_HASH, "hdel", key);
        if ctx
            .ks
            .get(key)
            .is_some_and(|e| matches!(&e.value, Value::Hash(h) if h.is_empty()))
        {
            ctx.ks.del(key);
            ctx.notify(NOTIFY_GENERIC, "del", key);
        }
    }
    ctx.dirty += n as u64;
    ctx.out.int(n);
    Ok(())
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let found = get_hash(&mut ctx.ks, arg(argv, 1))?.is_some_and(|h| h.contains(arg(argv, 2)));
    ctx.out.int(found as i64);
    Ok(())
}

/// HLEN key
fn hlen(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let n = get_hash(&mut ctx.ks, arg(argv, 1))?.map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let n = get_hash(&mut ctx.ks, arg(argv, 1))?
        .and_then(|h| h.get(arg(argv, 2)))
        .map_or(0, |v| v.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let incr = ctx.int_arg(3)?;
    let h = hash_for_write(&mut ctx.ks, arg(argv, 1))?;
    let cur = match h.get(arg(argv, 2)) {
        Some(v) => match crate::util::parse_i64(v) {
            Some(n) => n,
            None => {
                let err = CmdError::msg("ERR hash value is not an integer");
                delete_if_empty(&mut ctx.ks, arg(argv, 1));
                return Err(err);
            }
        },
        None => 0,
    };
    let Some(new) = cur.checked_add(incr) else {
        delete_if_empty(&mut ctx.ks, arg(argv, 1));
        return Err(CmdError::Overflow);
    };
    let s = itoa::Buffer::new().format(new).as_bytes().to_vec();
    h.set(arg(argv, 2), Bytes::from(s));
    ctx.dirty += 1;
    ctx.out.int(new);
    ctx.notify(NOTIFY_HASH, "hincrby", arg(argv, 1));
    Ok(())
}

/// HINCRBYFLOAT key field increment
fn hincrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let incr = ld::parse(arg(argv, 3)).ok_or(CmdError::NotFloat)?;
    if !ld::is_finite(&incr) {
        return Err(CmdError::msg("ERR value is NaN or Infinity"));
    }
    let key = arg(argv, 1);
    let cur = match get_hash(&mut ctx.ks, key)?.and_then(|h| h.get(arg(argv, 2))) {
        Some(v) => ld::parse(v).ok_or(CmdError::msg("ERR hash value is not a float"))?,
        None => ld::ZERO,
    };
    let sum = ld::add(&cur, &incr);
    if !ld::is_finite(&sum) {
        return Err(CmdError::msg("ERR increment would produce NaN or Infinity"));
    }
    let text =
        ld::to_human(&sum).ok_or(CmdError::msg("ERR increment would produce NaN or Infinity"))?;
    let h = hash_for_write(&mut ctx.ks, key)?;
    h.set(arg(argv, 2), Bytes::from(text.clone()));
    ctx.dirty += 1;
    // Logged as the resulting value, as Redis does.
    ctx.propagate(vec![
        lit("HSET"),
        argv[1].clone(),
        argv[2].clone(),
        Bytes::from(text.clone()),
    ]);
    ctx.out.bulk(&text);
    ctx.notify(NOTIFY_HASH, "hincrbyfloat", key);
    Ok(())
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let key = arg(argv, 1);
    if argv.len() == 2 {
        match get_hash(&mut ctx.ks, key)? {
            Some(h) => {
                let i = rand::thread_rng().gen_range(0..h.len());
                let f = h.get_index(i).map(|(f, _)| f.to_vec()).unwrap_or_default();
                ctx.out.bulk(&f);
            }
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = range_long(arg(argv, 2), -i64::MAX, i64::MAX, None)?;
    let mut withvalues = false;
    if argv.len() > 4 || (argv.len() == 4 && !argv[3].eq_ignore_ascii_case(b"withvalues")) {
        return Err(CmdError::Syntax);
    } else if argv.len() == 4 {
        withvalues = true;
        if !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return Err(CmdError::err("value is out of range"));
        }
    }
    let Some(h) = get_hash(&mut ctx.ks, key)? else {
        ctx.out.array(0);
        return Ok(());
    };
    let resp3 = ctx.out.resp3;
    let size = h.len();
    let mut rng = rand::thread_rng();
    // Picks are streamed, not collected: a huge negative count must not allocate up front.
    let n = if count < 0 {
        count.unsigned_abs() as usize
    } else {
        (count as usize).min(size)
    };
    if withvalues && !resp3 {
        ctx.out.array(n.saturating_mul(2));
    } else {
        ctx.out.array(n);
    }
    let emit = |out: &mut crate::protocol::Out, i: usize| {
        let Some((f, v)) = h.get_index(i) else {
            return;
        };
        if withvalues && resp3 {
            out.array(2);
        }
        out.bulk(f);
        if withvalues {
            out.bulk(v);
        }
    };
    if count < 0 && !h.is_hashtable() {
        // Sorted batches of picks, as Redis's `lpRandomPairs`: one walk of the listpack each.
        let mut left = n;
        while left > 0 {
            let mut batch: Vec<usize> = (0..left.min(1000))
                .map(|_| rng.gen_range(0..size))
                .collect();
            batch.sort_unstable();
            left -= batch.len();
            for i in batch {
                emit(&mut ctx.out, i);
            }
        }
    } else if count < 0 {
        for _ in 0..n {
            emit(&mut ctx.out, rng.gen_range(0..size));
        }
    } else if n == size {
        for i in 0..size {
            emit(&mut ctx.out, i);
        }
    } else {
        for i in rand::seq::index::sample(&mut rng, size, n) {
            emit(&mut ctx.out, i);
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
fn hscan(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let cursor = scan::parse_cursor(arg(argv, 2))?;
    let Some(h) = get_hash(&mut ctx.ks, arg(argv, 1))? else {
        scan::empty(&mut ctx.out);
        return Ok(());
    };
    let opts = scan::parse_options(argv, 3)?;
    let mut items: Vec<Bytes> = Vec::new();
    let next = if h.is_hashtable() {
        scan::walk(h.len(), cursor, opts.count, |i| {
            if let Some((f, v)) = h.get_index(i) {
                if opts.matches(f) {
                    items.push(Bytes::copy_from_slice(f));
                    items.push(Bytes::copy_from_slice(v));
                }
            }
        })
    } else {
        for (f, v) in h.iter() {
            if opts.matches(f) {
                items.push(Bytes::copy_from_slice(f));
                items.push(Bytes::copy_from_slice(v));
            }
        }
        0
    };
    scan::reply(&mut ctx.out, next, &items);
    Ok(())
}

/// Shared by HSCAN, SSCAN and ZSCAN.
///
/// Small encodings (listpack, intset) reply everything at once with cursor 0, as Redis does.
/// Large ones walk storage positions from the end towards the start (see `store/mod.rs` on
/// SCAN): removals swap the last entry into the hole, so an entry present for the whole scan is
/// never moved from the unvisited part into the visited part. The cursor is the number of
/// positions still to visit; 0 ends the scan.
pub mod scan {
    use super::*;
    use crate::protocol::Out;

    pub struct Options<'a> {
        pub count: usize,
        pub pattern: Option<&'a [u8]>,
    }

    impl Options<'_> {
        pub fn matches(&self, s: &[u8]) -> bool {
            self.pattern.is_none_or(|p| glob_match(p, s))
        }
    }

    /// Redis's `parseScanCursorOrReply` (C `strtoul`), shared with SCAN.
    pub fn parse_cursor(a: &[u8]) -> Result<u64, CmdError> {
        crate::util::parse_scan_cursor(a).ok_or_else(|| CmdError::msg("ERR invalid cursor"))
    }

    /// `[MATCH pattern] [COUNT count]` from `argv[from..]`.
    pub fn parse_options(argv: &[Bytes], from: usize) -> Result<Options<'_>, CmdError> {
        let mut o = Options {
            count: 10,
            pattern: None,
        };
        let mut i = from;
        while i < argv.len() {
            let more = i + 1 < argv.len();
            if argv[i].eq_ignore_ascii_case(b"count") && more {
                let n = crate::util::parse_i64(&argv[i + 1]).ok_or(CmdError::NotInteger)?;
                if n < 1 {
                    return Err(CmdError::Syntax);
                }
                o.count = n as usize;
            } else if argv[i].eq_ignore_ascii_case(b"match") && more {
                let p = &argv[i + 1][..];
                o.pattern = (p != b"*").then_some(p);
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
        Ok(o)
    }

    /// Visits up to `count` positions below `cursor` (0 = start at `len`), highest first.
    /// Returns the next cursor.
    pub fn walk(len: usize, cursor: u64, count: usize, mut f: impl FnMut(usize)) -> u64 {
        let mut pos = if cursor == 0 {
            len
        } else {
            (cursor as usize).min(len)
        };
        let mut n = 0;
        while pos > 0 && n < count {
            pos -= 1;
            f(pos);
            n += 1;
        }
        pos as u64
    }

    pub fn reply(out: &mut Out, cursor: u64, items: &[Bytes]) {
        out.array(2);
        out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
        out.array(items.len());
        for i in items {
            out.bulk(i);
        }
    }

    /// The reply for a missing key: cursor 0, no items.
    pub fn empty(out: &mut Out) {
        out.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
    }

    /// MATCH filtering: Redis's `stringmatchlen`, case-sensitive (the shared matcher).
    pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
        crate::glob::matches(p, s, false)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn glob() {
            // As in Redis, a lone `*` does not match the empty string (SCAN special-cases it).
            assert!(!glob_match(b"*", b""));
            assert!(glob_match(b"f*", b"foo"));
            assert!(glob_match(b"f?o", b"foo"));
            assert!(glob_match(b"f[a-z]o", b"foo"));
            assert!(!glob_match(b"f[^o]o", b"foo"));
            assert!(glob_match(b"f\\*", b"f*"));
            assert!(glob_match(b"a*b*c", b"aXbYc"));
            assert!(!glob_match(b"a*b*c", b"aXbY"));
            assert!(glob_match(b"[abc", b"a"));
        }

        #[test]
        fn cursor() {
            assert_eq!(parse_cursor(b"0"), Ok(0));
            assert_eq!(parse_cursor(b""), Ok(0));
            assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
            assert!(parse_cursor(b"x").is_err());
            assert!(parse_cursor(b" 1").is_err());
            assert!(parse_cursor(b"18446744073709551616").is_err());
        }
    }
}

/// The x87 80-bit `long double` arithmetic Redis uses for HINCRBYFLOAT (and INCRBYFLOAT):
/// parsing with `strtold` rules, one addition, and `ld2string(..., LD_STR_HUMAN)` formatting
/// (`%.17Lf`, trailing zeros trimmed). Values are the raw 10-byte x87 images (padded to 16).
pub mod ld {
    pub type F80 = [u8; 16];
    pub const ZERO: F80 = [0; 16];

    /// Redis's `string2ld`: the whole string is a number (`strtold`), no leading space, no NaN.
    pub fn parse(s: &[u8]) -> Option<F80> {
        if s.is_empty() || s.len() >= 5 * 1024 || s[0].is_ascii_whitespace() || s.contains(&0) {
            return None;
        }
        let mut buf = Vec::with_capacity(s.len() + 1);
        buf.extend_from_slice(s);
        buf.push(0);
        // scanf accepts a prefix such as "1e" that strtold leaves half-parsed; strtod has the
        // same grammar as strtold, so its end pointer decides whether the whole string is one
        // number, and scanf (which converts with strtold) supplies the value.
        let mut end: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: `buf` is NUL-terminated and outlives the call; `end` points into it afterwards.
        let full = unsafe {
            libc::strtod(buf.as_ptr() as *const libc::c_char, &mut end);
            end.offset_from(buf.as_ptr() as *const libc::c_char) as usize == s.len()
        };
        if !full {
            return None;
        }
        let mut out: F80 = ZERO;
        let mut consumed: libc::c_int = 0;
        // SAFETY: `buf` is NUL-terminated; `%Lf` stores a long double (16 bytes on x86-64) into
        // `out`, `%n` an int into `consumed`.
        let n = unsafe {
            libc::sscanf(
                buf.as_ptr() as *const libc::c_char,
                c"%Lf%n".as_ptr(),
                out.as_mut_ptr(),
                &mut consumed as *mut libc::c_int,
            )
        };
        if n < 1 || consumed as usize != s.len() || is_nan(&out) {
            return None;
        }
        Some(out)
    }

    fn exp_bits(v: &F80) -> u16 {
        u16::from_le_bytes([v[8], v[9]]) & 0x7fff
    }

    fn mantissa(v: &F80) -> u64 {
        let mut m = [0u8; 8];
        m.copy_from_slice(&v[..8]);
        u64::from_le_bytes(m)
    }

    fn is_nan(v: &F80) -> bool {
        exp_bits(v) == 0x7fff && (mantissa(v) << 1) != 0
    }

    pub fn is_finite(v: &F80) -> bool {
        exp_bits(v) != 0x7fff
    }

    /// `a + b` in x87 extended precision (the FPU's default precision control on Linux).
    pub fn add(a: &F80, b: &F80) -> F80 {
        let mut out: F80 = ZERO;
        // SAFETY: loads two 80-bit values from valid 16-byte buffers, adds, stores into `out`;
        // the x87 stack is left as found.
        unsafe {
            std::arch::asm!(
                "fld tbyte ptr [{a}]",
                "fld tbyte ptr [{b}]",
                "faddp st(1), st",
                "fstp tbyte ptr [{o}]",
                a = in(reg) a.as_ptr(),
                b = in(reg) b.as_ptr(),
                o = in(reg) out.as_mut_ptr(),
                out("st(0)") _, out("st(1)") _,
                options(nostack),
            );
        }
        out
    }

    /// `%.17Lf` with trailing zeros (and a bare trailing point) removed; `None` when longer than
    /// Redis's buffer (`MAX_LONG_DOUBLE_CHARS`).
    pub fn to_human(v: &F80) -> Option<Vec<u8>> {
        let neg = v[9] & 0x80 != 0;
        let e = exp_bits(v) as i64;
        let m = mantissa(v);
        // value = m * 2^(e - 16383 - 63) (denormals: exponent field 0 means e = 1).
        let shift = if e == 0 { 1 } else { e } - 16383 - 63;
        // N = round_half_even(m * 10^17 * 2^shift)
        let mut n = Big::from_u64(m);
        for _ in 0..17 {
            n.mul_small(10);
        }
        if shift >= 0 {
            n.shl(shift as usize);
        } else {
            n.shr_round_even((-shift) as usize);
        }
        let digits = n.to_decimal();
        let mut s = Vec::with_capacity(digits.len() + 3);
        if neg {
            s.push(b'-');
        }
        let d = digits.as_bytes();
        if d.len() <= 17 {
            s.extend_from_slice(b"0.");
            s.extend(std::iter::repeat_n(b'0', 17 - d.len()));
            s.extend_from_slice(d);
        } else {
            s.extend_from_slice(&d[..d.len() - 17]);
            s.push(b'.');
            s.extend_from_slice(&d[d.len() - 17..]);
        }
        if s.len() + 1 > 5 * 1024 {
            return None;
        }
        while s.last() == Some(&b'0') {
            s.pop();
        }
        if s.last() == Some(&b'.') {
            s.pop();
        }
        // "-0" stays "-0", as glibc prints a negative zero.
        Some(s)
    }

    /// A little-endian base-2^32 natural number, just enough for exact decimal conversion.
    struct Big(Vec<u32>);

    impl Big {
        fn from_u64(v: u64) -> Big {
            Big(vec![v as u32, (v >> 32) as u32])
        }

        fn mul_small(&mut self, k: u32) {
            let mut carry = 0u64;
            for d in self.0.iter_mut() {
                let t = *d as u64 * k as u64 + carry;
                *d = t as u32;
                carry = t >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }

        fn shl(&mut self, bits: usize) {
            let (words, b) = (bits / 32, bits % 32);
            if b > 0 {
                let mut carry = 0u32;
                for d in self.0.iter_mut() {
                    let nd = (*d << b) | carry;
                    carry = *d >> (32 - b);
                    *d = nd;
                }
                if carry > 0 {
                    self.0.push(carry);
                }
            }
            let mut v = vec![0u32; words];
            v.append(&mut self.0);
            self.0 = v;
        }

        fn bit(&self, i: usize) -> bool {
            self.0.get(i / 32).is_some_and(|w| (w >> (i % 32)) & 1 == 1)
        }

        fn any_below(&self, i: usize) -> bool {
            let (w, b) = (i / 32, i % 32);
            self.0.iter().take(w).any(|&x| x != 0)
                || (b > 0 && self.0.get(w).is_some_and(|&x| x & ((1u32 << b) - 1) != 0))
        }

        fn shr_round_even(&mut self, bits: usize) {
            let half = bits >= 1 && self.bit(bits - 1);
            let sticky = bits >= 2 && self.any_below(bits - 1);
            let (words, b) = (bits / 32, bits % 32);
            let mut v: Vec<u32> = self.0.iter().skip(words).copied().collect();
            if b > 0 {
                for i in 0..v.len() {
                    let hi = v.get(i + 1).copied().unwrap_or(0);
                    v[i] = (v[i] >> b) | (hi << (32 - b));
                }
            }
            if v.is_empty() {
                v.push(0);
            }
            self.0 = v;
            let odd = self.0[0] & 1 == 1;
            if half && (sticky || odd) {
                self.add_one();
            }
        }

        fn add_one(&mut self) {
            for d in self.0.iter_mut() {
                let (nd, c) = d.overflowing_add(1);
                *d = nd;
                if !c {
                    return;
                }
            }
            self.0.push(1);
        }

        fn to_decimal(&self) -> String {
            let mut v = self.0.clone();
            while v.len() > 1 && v.last() == Some(&0) {
                v.pop();
            }
            let mut chunks = Vec::new();
            while v.iter().any(|&d| d != 0) {
                let mut rem = 0u64;
                for d in v.iter_mut().rev() {
                    let cur = (rem << 32) | *d as u64;
                    *d = (cur / 1_000_000_000) as u32;
                    rem = cur % 1_000_000_000;
                }
                chunks.push(rem as u32);
                while v.len() > 1 && v.last() == Some(&0) {
                    v.pop();
                }
            }
            let mut s = String::new();
            match chunks.pop() {
                None => s.push('0'),
                Some(top) => s.push_str(&top.to_string()),
            }
            while let Some(c) = chunks.pop() {
                s.push_str(&format!("{c:09}"));
            }
            s
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn incr(a: &str, b: &str) -> String {
            let s = add(&parse(a.as_bytes()).unwrap(), &parse(b.as_bytes()).unwrap());
            String::from_utf8(to_human(&s).unwrap()).unwrap()
        }

        #[test]
        fn matches_redis() {
            assert_eq!(incr("10.5", "0.1"), "10.6");
            assert_eq!(incr("0", "1"), "1");
            assert_eq!(incr("5.0e3", "2.0e2"), "5200");
            assert_eq!(incr("0", "-0.5"), "-0.5");
            assert_eq!(incr("1", "1e-20"), "1");
            assert_eq!(incr("0", "1.23456789012345678901"), "1.23456789012345679");
            assert!(parse(b"abc").is_none());
            assert!(parse(b" 1").is_none());
            assert!(parse(b"nan").is_none());
            assert!(parse(b"1e").is_none());
            assert!(!is_finite(&parse(b"inf").unwrap()));
        }
    }
}

const RO: Flags = Flags::READONLY;
const ROF: Flags = Flags::READONLY.union(Flags::FAST);
const WDF: Flags = Flags::WRITE.union(Flags::DENYOOM).union(Flags::FAST);
const WF: Flags = Flags::WRITE.union(Flags::FAST);

pub const COMMANDS: &[CommandDef] = &[
    cmd("hset", -4, hset).flags(WDF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "Set the string value of a hash field"),
    cmd("hsetnx", 4, hsetnx).flags(WDF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(1)", "Set the value of a hash field, only if the field does not exist"),
    cmd("hget", 3, hget).flags(ROF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(1)", "Get the value of a hash field"),
    cmd("hmset", -4, hmset).flags(WDF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(N) where N is the number of fields being set.", "Set multiple hash fields to multiple values"),
    cmd("hmget", -3, hmget).flags(ROF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(N) where N is the number of fields being requested.", "Get the values of all the given hash fields"),
    cmd("hgetall", 2, hgetall).flags(RO).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields and values in a hash"),
    cmd("hdel", -3, hdel).flags(WF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(N) where N is the number of fields to be removed.", "Delete one or more hash fields"),
    cmd("hexists", 3, hexists).flags(ROF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(1)", "Determine if a hash field exists"),
    cmd("hlen", 2, hlen).flags(ROF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(1)", "Get the number of fields in a hash"),
    cmd("hstrlen", 3, hstrlen).flags(ROF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "3.2.0", "O(1)", "Get the length of the value of a hash field"),
    cmd("hkeys", 2, hkeys).flags(RO).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields in a hash"),
    cmd("hvals", 2, hvals).flags(RO).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(N) where N is the size of the hash.", "Get all the values in a hash"),
    cmd("hincrby", 4, hincrby).flags(WDF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.0.0", "O(1)", "Increment the integer value of a hash field by the given number"),
    cmd("hincrbyfloat", 4, hincrbyfloat).flags(WDF).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.6.0", "O(1)", "Increment the float value of a hash field by the given amount"),
    cmd("hrandfield", -2, hrandfield).flags(RO).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "6.2.0", "O(N) where N is the number of fields returned", "Get one or multiple random fields from a hash"),
    cmd("hscan", -3, hscan).flags(RO).acl(Acl::HASH).keys(1, 1, 1).doc(Group::Hash, "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate hash fields and associated values"),
];
