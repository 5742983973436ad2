//! Resumable request decoder.
//!
//! Mirrors `processMultibulkBuffer` / `processInlineBuffer` in Redis's `networking.c`: the same
//! limits, the same error texts, and the same treatment of empty requests (`*0`, `*-1`, blank
//! inline lines are skipped). Arguments are split off the read buffer as `Bytes`, so decoding a
//! pipeline copies nothing; a partially received bulk is never rescanned because the decoder
//! remembers where it stopped.

use bytes::{Buf, Bytes, BytesMut};

/// Longest inline request or multibulk/bulk header line Redis accepts (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX: usize = 64 * 1024;
/// Largest multibulk length Redis 7.0 accepts (`INT_MAX`).
pub const MULTIBULK_MAX: i64 = i32::MAX as i64;
/// Elements reserved up front at most, whatever a multibulk header claims.
const PREALLOC_ARGS_MAX: usize = 1024;

/// A request that cannot be decoded. The text is what Redis replies before closing the
/// connection (without the leading `-ERR `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(s: impl Into<String>) -> Self {
        ProtocolError(s.into())
    }
}

/// Limits read from the configuration for each decoding pass.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk: i64,
    /// Multibulk length limit.
    pub max_multibulk: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk: 512 * 1024 * 1024,
            max_multibulk: MULTIBULK_MAX,
        }
    }
}

/// Decoder state between reads.
#[derive(Debug, Default)]
pub struct RequestDecoder {
    /// Arguments still expected by the multibulk being read (0 = between requests).
    remaining: usize,
    /// Length of the bulk whose header has been read, if its payload is still pending.
    bulk_len: Option<usize>,
    args: Vec<Bytes>,
    /// Bytes of `buf` already known to contain no `\n` (for header/inline scanning).
    scanned: usize,
    /// Where the arguments of a whole request are (see [`scan_whole`]), kept for its capacity.
    spans: Vec<(usize, usize)>,
}

impl RequestDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the decoder holds part of a request.
    pub fn in_progress(&self) -> bool {
        self.remaining > 0 || self.bulk_len.is_some()
    }

    /// Bytes the pending bulk still needs (0 if none), so the reader can size its next read.
    pub fn pending_bulk(&self, buffered: usize) -> usize {
        match self.bulk_len {
            Some(n) => (n + 2).saturating_sub(buffered),
            None => 0,
        }
    }

    /// Decodes the next complete request from `buf`, consuming it. `Ok(None)` means more input
    /// is needed; everything decoded so far is kept.
    pub fn decode(
        &mut self,
        buf: &mut BytesMut,
        limits: Limits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if self.remaining == 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                if buf[0] == b'*' {
                    // A request that arrived whole is cut off the buffer in one piece and its
                    // arguments sliced from it; anything else goes the resumable way below.
                    self.spans.clear();
                    if let Some(total) = scan_whole(buf, limits, &mut self.spans) {
                        let frame = buf.split_to(total).freeze();
                        self.scanned = 0;
                        let args = self.spans.iter().map(|&(s, e)| frame.slice(s..e)).collect();
                        if self.spans.capacity() > PREALLOC_ARGS_MAX {
                            self.spans = Vec::new();
                        }
                        return Ok(Some(args));
                    }
                    let Some(n) =
                        self.take_len_line(buf, "Protocol error: too big mbulk count string")?
                    else {
                        return Ok(None);
                    };
                    let n = n.filter(|&n| n <= limits.max_multibulk).ok_or_else(|| {
                        ProtocolError::new("Protocol error: invalid multibulk length")
                    })?;
                    if n <= 0 {
                        continue; // `*0` and `*-1` are empty requests, skipped like Redis.
                    }
                    self.remaining = n as usize;
                    self.args = Vec::with_capacity((n as usize).min(PREALLOC_ARGS_MAX));
                } else {
                    match self.decode_inline(buf)? {
                        Some(args) if args.is_empty() => continue,
                        Some(args) => return Ok(Some(args)),
                        None => return Ok(None),
                    }
                }
            }
            while self.remaining > 0 {
                let len = match self.bulk_len {
                    Some(len) => len,
                    None => {
                        if buf.is_empty() {
                            return Ok(None);
                        }
                        if buf[0] != b'$' {
                            let got = buf[0] as char;
                            return Err(ProtocolError(format!(
                                "Protocol error: expected '$', got '{}'",
                                got
                            )));
                        }
                        let Some(n) =
                            self.take_len_line(buf, "Protocol error: too big bulk count string")?
                        else {
                            return Ok(None);
                        };
                        let n = n
                            .filter(|&n| n >= 0 && n <= limits.max_bulk)
                            .ok_or_else(|| {
                                ProtocolError::new("Protocol error: invalid bulk length")
                            })?;
                        self.bulk_len = Some(n as usize);
                        n as usize
                    }
                };
                if buf.len() < len + 2 {
                    return Ok(None);
                }
                let arg = buf.split_to(len).freeze();
                buf.advance(2); // Redis does not check the CRLF after a bulk either.
                self.bulk_len = None;
                self.args.push(arg);
                self.remaining -= 1;
            }
            return Ok(Some(std::mem::take(&mut self.args)));
        }
    }

    /// Where the next `\n` in `buf` is (scanning on from where the last incomplete look
    /// stopped), or `None` if the line is incomplete; a line longer than Redis's inline limit is
    /// the error `too_big`.
    fn line_end(&mut self, buf: &BytesMut, too_big: &str) -> Result<Option<usize>, ProtocolError> {
        let start = self.scanned.min(buf.len());
        match buf[start..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let end = start + i;
                self.scanned = 0;
                if end > INLINE_MAX {
                    return Err(ProtocolError::new(too_big));
                }
                Ok(Some(end))
            }
            None => {
                self.scanned = buf.len();
                if buf.len() > INLINE_MAX {
                    return Err(ProtocolError::new(too_big));
                }
                Ok(None)
            }
        }
    }

    /// Consumes one `*<n>` / `$<n>` header line and parses the number after its first byte
    /// (`Some(None)` if it is not a valid length), or `None` if the line is incomplete. Parses in
    /// place: a header costs no buffer split.
    fn take_len_line(
        &mut self,
        buf: &mut BytesMut,
        too_big: &str,
    ) -> Result<Option<Option<i64>>, ProtocolError> {
        let Some(end) = self.line_end(buf, too_big)? else {
            return Ok(None);
        };
        let stop = if end > 0 && buf[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        let n = parse_len(&buf[1.min(stop)..stop]);
        buf.advance(end + 1);
        Ok(Some(n))
    }

    /// Takes one `\n`-terminated line (without `\r\n`) off `buf`, or `None` if incomplete.
    fn take_line(
        &mut self,
        buf: &mut BytesMut,
        too_big: &str,
    ) -> Result<Option<BytesMut>, ProtocolError> {
        let Some(end) = self.line_end(buf, too_big)? else {
            return Ok(None);
        };
        let mut line = buf.split_to(end + 1);
        line.truncate(end);
        if line.last() == Some(&b'\r') {
            line.truncate(end - 1);
        }
        Ok(Some(line))
    }

    fn decode_inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(line) = self.take_line(buf, "Protocol error: too big inline request")? else {
            return Ok(None);
        };
        split_args(&line)
            .map(Some)
            .ok_or_else(|| ProtocolError::new("Protocol error: unbalanced quotes in request"))
    }
}

/// Scans one whole `*<n>` request at the start of `b` in the form clients send it (`\r\n`
/// line ends, lengths without sign or leading zeros, within the limits), pushing each
/// argument's range onto `spans`: the request's length, or `None` when it is incomplete or
/// unusual in any way. Reads only what is buffered, once per request.
fn scan_whole(b: &[u8], limits: Limits, spans: &mut Vec<(usize, usize)>) -> Option<usize> {
    let (n, mut at) = len_header(b, 0, b'*')?;
    if n == 0 || n as i64 > limits.max_multibulk {
        return None;
    }
    for _ in 0..n {
        let (len, start) = len_header(b, at, b'$')?;
        if len as i64 > limits.max_bulk {
            return None;
        }
        let end = start + len;
        // The two bytes after a bulk are skipped unread, as Redis skips them.
        if b.len() < end + 2 {
            return None;
        }
        spans.push((start, end));
        at = end + 2;
    }
    Some(at)
}

/// `<tag><digits>\r\n` at `b[at..]`: the number and where the next line starts, or `None`.
#[inline]
fn len_header(b: &[u8], at: usize, tag: u8) -> Option<(usize, usize)> {
    if *b.get(at)? != tag {
        return None;
    }
    let digits = at + 1;
    let mut i = digits;
    let mut n = 0usize;
    loop {
        match *b.get(i)? {
            c @ b'0'..=b'9' => {
                // At most 18 digits, and "0" only alone: the rest is the careful path's.
                if i - digits >= 18 || (i > digits && n == 0) {
                    return None;
                }
                n = n * 10 + usize::from(c - b'0');
                i += 1;
            }
            b'\r' if i > digits && *b.get(i + 1)? == b'\n' => return Some((n, i + 2)),
            _ => return None,
        }
    }
}

/// Parses a RESP length: an optional `-` and decimal digits, as Redis's `string2ll`.
fn parse_len(s: &[u8]) -> Option<i64> {
    crate::util::parse_i64(s)
}

/// Splits an inline command line into arguments like Redis's `sdssplitargs`: whitespace
/// separated, with `"..."` (C escapes, `\xHH`) and `'...'` quoting. `None` on unbalanced quotes
/// or a closing quote not followed by a space.
pub fn split_args(line: &[u8]) -> Option<Vec<Bytes>> {
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    cur.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | b'\0' => {
                        i += 1;
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(Bytes::from(cur));
    }
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut d = RequestDecoder::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(req) = d.decode(&mut buf, Limits::default())? {
            out.push(req);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline() {
        let reqs = decode_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n\r\n*0\r\nset a \"b c\"\r\n")
            .unwrap();
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[0], vec![Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(reqs[1], vec![Bytes::from("PING")]);
        assert_eq!(
            reqs[2],
            vec![Bytes::from("set"), Bytes::from("a"), Bytes::from("b c")]
        );
    }

    #[test]
    fn byte_at_a_time() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        let mut d = RequestDecoder::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if let Some(r) = d.decode(&mut buf, Limits::default()).unwrap() {
                got = Some(r);
            }
        }
        assert_eq!(got.unwrap()[2], Bytes::from("value"));
        assert!(buf.is_empty());
    }

    /// Decodes `input` fed one byte at a time (the resumable path only).
    fn decode_bytewise(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut d = RequestDecoder::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for &b in input {
            buf.extend_from_slice(&[b]);
            while let Some(req) = d.decode(&mut buf, Limits::default())? {
                out.push(req);
            }
        }
        Ok(out)
    }

    #[test]
    fn whole_requests_decode_as_the_resumable_path_does() {
        let cases: &[&[u8]] = &[
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
            b"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$10\r\n0123456789\r\n",
            b"*1\n$4\nPING\r\n",
            b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
            b"*01\r\n$4\r\nPING\r\n",
            b"*1\r\n$04\r\nPING\r\n",
            b"*1\r\n$+4\r\nPING\r\n",
            b"*1\r\n$-1\r\n",
            b"*-1\r\n*0\r\n*1\r\n$1\r\nx\r\n",
            b"*2\r\n$1\r\na\r\n:1\r\n",
            b"*1\r\n$99999999999999999999\r\n",
            b"*1\r\n$\r\n",
        ];
        for &input in cases {
            let whole = decode_all(input);
            assert_eq!(whole, decode_bytewise(input), "{:?}", Bytes::from(input));
        }
        // Each argument is exactly its bulk, wherever it sits in the request.
        let reqs = decode_all(b"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$10\r\n0123456789\r\n").unwrap();
        assert_eq!(
            reqs,
            vec![vec![
                Bytes::from("SET"),
                Bytes::new(),
                Bytes::from("0123456789")
            ]]
        );
        assert_eq!(
            decode_all(b"*1\r\n$04\r\nPING\r\n").unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
        // As redis-server 7.0 answers (string2ll takes no leading zeros or signs).
        assert_eq!(
            decode_all(b"*01\r\n$4\r\nPING\r\n").unwrap_err().0,
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            decode_all(b"*1\r\n$+4\r\nPING\r\n").unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(
            decode_all(b"*abc\r\n").unwrap_err().0,
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            decode_all(b"*1\r\n$-1\r\n").unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            decode_all(b"*1\r\nfoo\r\n").unwrap_err().0,
            "Protocol error: expected '$', got 'f'"
        );
        assert_eq!(
            decode_all(b"set \"a\r\n").unwrap_err().0,
            "Protocol error: unbalanced quotes in request"
        );
        let big = vec![b'a'; INLINE_MAX + 10];
        assert_eq!(
            decode_all(&big).unwrap_err().0,
            "Protocol error: too big inline request"
        );
        let lim = Limits {
            max_bulk: 10,
            max_multibulk: 5,
        };
        let mut d = RequestDecoder::new();
        let mut buf = BytesMut::from(&b"*1\r\n$11\r\n"[..]);
        assert_eq!(
            d.decode(&mut buf, lim).unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
        let mut d = RequestDecoder::new();
        let mut buf = BytesMut::from(&b"*6\r\n"[..]);
        assert_eq!(
            d.decode(&mut buf, lim).unwrap_err().0,
            "Protocol error: invalid multibulk length"
        );
    }

    #[test]
    fn huge_claims_allocate_nothing_up_front() {
        let mut d = RequestDecoder::new();
        let mut buf = BytesMut::from(&b"*2147483647\r\n$536870912\r\nab"[..]);
        assert!(d.decode(&mut buf, Limits::default()).unwrap().is_none());
        assert!(d.args.capacity() <= PREALLOC_ARGS_MAX);
        assert!(buf.capacity() < 4096);
    }

    #[test]
    fn inline_quoting() {
        let a = split_args(br#"a "x\x41\n" 'it\'s' """#).unwrap();
        assert_eq!(
            a,
            vec![
                Bytes::from("a"),
                Bytes::from("xA\n"),
                Bytes::from("it's"),
                Bytes::from("")
            ]
        );
        assert!(split_args(br#""a"b"#).is_none());
    }
}
