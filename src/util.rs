//! Small pure helpers shared across the server: Redis's exact number parsing and formatting,
//! and the clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Parses a signed 64-bit integer exactly like Redis's `string2ll`: optional `-`, no `+`, no
/// leading zeros (except `0` itself), no spaces, no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses a double like Redis's `getDoubleFromObject` (C `strtod`, so `inf`, hex floats and
/// exponents are accepted): the whole string must be consumed, no leading space, no NaN, and
/// overflow to infinity is an error.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5000 || s[0].is_ascii_whitespace() || s.contains(&0) {
        return None;
    }
    let mut buf = Vec::with_capacity(s.len() + 1);
    buf.extend_from_slice(s);
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; `end` points into it afterwards.
    let (v, consumed, erange) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr() as *const libc::c_char, &mut end);
        let consumed = end.offset_from(buf.as_ptr() as *const libc::c_char) as usize;
        (v, consumed, *libc::__errno_location() == libc::ERANGE)
    };
    if consumed != s.len() || v.is_nan() || (erange && (v.is_infinite() || v == 0.0)) {
        return None;
    }
    Some(v)
}

/// True when `s` is a well-formed number that `strtod` rejects only because it overflows a double
/// (Redis parses some arguments with `strtold`, whose range is far larger).
pub fn is_float_overflow(s: &[u8]) -> bool {
    if s.is_empty() || s.len() > 5000 || s[0].is_ascii_whitespace() || s.contains(&0) {
        return false;
    }
    let mut buf = s.to_vec();
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call.
    unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr() as *const libc::c_char, &mut end);
        let consumed = end.offset_from(buf.as_ptr() as *const libc::c_char) as usize;
        consumed == s.len() && v.is_infinite() && *libc::__errno_location() == libc::ERANGE
    }
}

/// A SCAN cursor, parsed as Redis's `parseScanCursorOrReply` does with `strtoul`: leading
/// zeros, `+` and `-` (which wraps) are accepted, leading space and trailing bytes are not.
pub fn parse_scan_cursor(b: &[u8]) -> Option<u64> {
    if b.first()
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        return None;
    }
    let mut buf = Vec::with_capacity(b.len() + 1);
    buf.extend_from_slice(b);
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; `end` points into it afterwards.
    let (v, at_nul, erange) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtoul(buf.as_ptr() as *const libc::c_char, &mut end, 10);
        (v, *end == 0, *libc::__errno_location() == libc::ERANGE)
    };
    (at_nul && !erange).then_some(v)
}

/// Formats a double as C's `%.17g` (what Redis replies for scores and doubles), with `inf` and
/// `-inf` spelled as Redis does.
pub fn fmt_double_g17(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mut buf = [0u8; 64];
    // SAFETY: the format consumes exactly one double and the buffer size is passed.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%.17g".as_ptr(),
            d,
        )
    };
    String::from_utf8_lossy(&buf[..(n.max(0) as usize).min(buf.len() - 1)]).into_owned()
}

/// Milliseconds since the Unix epoch.
#[inline]
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The process's monotonic anchor and the wall clock's offset from it (refreshed by the cron,
/// so a stepped system clock is followed within a tick). The monotonic clock is `quanta`'s: it
/// reads the CPU's time-stamp counter where that is invariant (one instruction, where the vDSO's
/// clock_gettime costs ~20 ns more), and falls back to the OS clock elsewhere.
static ANCHOR: std::sync::OnceLock<quanta::Instant> = std::sync::OnceLock::new();
static WALL_OFFSET_US: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);

fn anchor() -> quanta::Instant {
    *ANCHOR.get_or_init(quanta::Instant::now)
}

/// Re-reads the wall clock's offset from the monotonic clock (the cron calls this each tick,
/// and the server once at start-up, which also calibrates the counter).
/// Kept in microseconds, so a derived millisecond is the wall clock's to within a microsecond.
pub fn refresh_wall_clock() {
    let mono = anchor().elapsed().as_micros() as i64;
    let wall = now_us();
    WALL_OFFSET_US.store(wall as i64 - mono, std::sync::atomic::Ordering::Relaxed);
    COARSE_MS.store(wall / 1000, std::sync::atomic::Ordering::Relaxed);
}

static COARSE_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Unix milliseconds as of the cron's last tick (`hz`), without reading a clock: for idle
/// times measured in seconds (Redis's clientsCron checks them at that pace too).
#[inline]
pub fn coarse_ms() -> u64 {
    COARSE_MS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Unix milliseconds at monotonic instant `t`, without another clock read: commands take one
/// `Instant` when they start and derive their cached "now" (Redis's `commandTimeSnapshot`) from
/// it, so a command costs two clock reads (start and end), as in Redis.
#[inline]
pub fn unix_ms_at(t: quanta::Instant) -> u64 {
    let mut off = WALL_OFFSET_US.load(std::sync::atomic::Ordering::Relaxed);
    if off == i64::MIN {
        refresh_wall_clock();
        off = WALL_OFFSET_US.load(std::sync::atomic::Ordering::Relaxed);
    }
    let mono = t.saturating_duration_since(anchor()).as_micros() as i64;
    ((mono + off).max(0) / 1000) as u64
}

/// Microseconds since the Unix epoch.
#[inline]
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// ASCII-lowercases `name` into `buf` without allocating; `None` if it does not fit.
#[inline]
pub fn lower<'b>(name: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    if name.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(&buf[..name.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b"9223372036854775808"[..],
            b"01",
            b"-0",
            b"+1",
            b" 1",
            b"1 ",
            b"",
            b"-",
            b"1a",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn strtod_rules() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1x"), None);
        assert_eq!(parse_f64(b"1e400"), None);
    }

    #[test]
    fn g17() {
        assert_eq!(fmt_double_g17(1.5), "1.5");
        assert_eq!(fmt_double_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_double_g17(1e20), "1e+20");
        assert_eq!(fmt_double_g17(f64::NEG_INFINITY), "-inf");
    }
}
