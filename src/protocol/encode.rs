//! Reply encoding straight into the connection's output buffer.
//!
//! `Out` knows the connection's protocol version and writes each reply type the way Redis 7.0's
//! `addReply*` family does: RESP3 types where the client said `HELLO 3`, their RESP2 downgrades
//! otherwise (maps become flat arrays, doubles become bulk strings, nulls become `$-1`/`*-1`).
//! No reply tree is built; integers are formatted on the stack.

use bytes::{BufMut, BytesMut};

/// A reply writer over the connection's output buffer.
pub struct Out<'a> {
    pub buf: &'a mut BytesMut,
    pub resp3: bool,
}

impl<'a> Out<'a> {
    pub fn new(buf: &'a mut BytesMut, resp3: bool) -> Self {
        Out { buf, resp3 }
    }

    #[inline]
    pub fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    #[inline]
    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n");
    }

    /// `+text` (the text must not contain CR or LF).
    pub fn simple(&mut self, s: &str) {
        self.buf.reserve(s.len() + 3);
        self.buf.put_u8(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `-text`: `text` starts with the error code (`ERR ...`, `WRONGTYPE ...`). CR/LF inside the
    /// text are replaced by spaces, as Redis's `addReplyErrorLength` does.
    pub fn error(&mut self, s: &str) {
        self.buf.reserve(s.len() + 3);
        self.buf.put_u8(b'-');
        for &b in s.as_bytes() {
            self.buf
                .put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    fn prefixed_int(&mut self, prefix: u8, n: i64) {
        let mut f = itoa::Buffer::new();
        let s = f.format(n);
        self.buf.reserve(s.len() + 3);
        self.buf.put_u8(prefix);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        match n {
            0 => self.raw(b":0\r\n"),
            1 => self.raw(b":1\r\n"),
            _ => self.prefixed_int(b':', n),
        }
    }

    pub fn bulk(&mut self, b: &[u8]) {
        self.prefixed_int(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n` (what Redis's `addReplyBulkLongLong` sends).
    pub fn bulk_int(&mut self, n: i64) {
        let mut f = itoa::Buffer::new();
        self.bulk(f.format(n).as_bytes());
    }

    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        self.raw(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        self.raw(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    pub fn array(&mut self, n: usize) {
        self.prefixed_int(b'*', n as i64);
    }

    /// A map header of `n` pairs (`%n`; a flat array of `2n` in RESP2).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.prefixed_int(b'%', n as i64);
        } else {
            self.prefixed_int(b'*', 2 * n as i64);
        }
    }

    /// A set header (`~n`; an array in RESP2).
    pub fn set(&mut self, n: usize) {
        self.prefixed_int(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// An out-of-band push header (`>n`; an array in RESP2).
    pub fn push(&mut self, n: usize) {
        self.prefixed_int(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A boolean (`#t`/`#f`; `:1`/`:0` in RESP2).
    pub fn boolean(&mut self, v: bool) {
        match (self.resp3, v) {
            (true, true) => self.raw(b"#t\r\n"),
            (true, false) => self.raw(b"#f\r\n"),
            (false, true) => self.raw(b":1\r\n"),
            (false, false) => self.raw(b":0\r\n"),
        }
    }

    /// A double, formatted as Redis's `addReplyDouble` (`%.17g`; `,` in RESP3, bulk in RESP2).
    pub fn double(&mut self, d: f64) {
        let s = crate::util::fmt_double_g17(d);
        if self.resp3 {
            self.buf.put_u8(b',');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`; a bulk in RESP2), used by INFO-like replies.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.prefixed_int(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// An array of bulk strings.
    pub fn bulks<I, B>(&mut self, items: I)
    where
        I: ExactSizeIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.array(items.len());
        for b in items {
            self.bulk(b.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(resp3: bool, f: impl FnOnce(&mut Out)) -> Vec<u8> {
        let mut b = BytesMut::new();
        f(&mut Out::new(&mut b, resp3));
        b.to_vec()
    }

    #[test]
    fn resp2_and_resp3_forms() {
        assert_eq!(enc(false, |o| o.null()), b"$-1\r\n");
        assert_eq!(enc(true, |o| o.null()), b"_\r\n");
        assert_eq!(enc(false, |o| o.null_array()), b"*-1\r\n");
        assert_eq!(enc(false, |o| o.map(2)), b"*4\r\n");
        assert_eq!(enc(true, |o| o.map(2)), b"%2\r\n");
        assert_eq!(enc(false, |o| o.double(1.5)), b"$3\r\n1.5\r\n");
        assert_eq!(enc(true, |o| o.double(f64::INFINITY)), b",inf\r\n");
        assert_eq!(enc(true, |o| o.verbatim(b"a")), b"=5\r\ntxt:a\r\n");
        assert_eq!(enc(false, |o| o.int(-42)), b":-42\r\n");
        assert_eq!(enc(false, |o| o.error("ERR a\r\nb")), b"-ERR a  b\r\n");
    }
}
