//! Redis's glob-style matcher (`stringmatchlen` in `src/util.c`), used by KEYS, SCAN MATCH and
//! the pub/sub pattern registry.
//!
//! The port is deliberately literal, quirks included, because clients observe them: `*`, `?`,
//! `[...]` with `^` negation, `a-z` ranges (reversed bounds are swapped), `\` escapes inside and
//! outside brackets, an unterminated `[` that matches like a closed one, and the nocase flag.
//! The C code reads the NUL terminator of its sds strings one byte past the end in places; the
//! port reads a `0` there ([`at`]), so patterns ending in `\`, `[` or `a-` behave identically.
//!
//! Two guards keep hostile patterns cheap, as in Redis 7.0: once the rest of a pattern after a
//! `*` failed to match at every remaining offset, no earlier `*` retries a longer match (the
//! `skip_longer` flag, which makes `a*a*a*...b` linear instead of exponential), and recursion
//! deeper than 1000 `*`s gives up with "no match" instead of exhausting the stack.

/// The byte at `i`, or 0 past the end (C's terminating NUL).
#[inline]
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// Whether `text` matches the glob `pattern` (case-insensitively for ASCII when `nocase`).
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, text, nocase, &mut skip_longer, 0)
}

fn match_impl(
    pattern: &[u8],
    text: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > 1000 {
        return false;
    }
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    // `p`/`s` index into pattern/text; `plen`/`slen` are the lengths still to consume, kept
    // separately because the bracket code steps back one byte, as the C code does.
    let mut p = 0usize;
    let mut plen = pattern.len();
    let mut s = 0usize;
    let mut slen = text.len();
    while plen > 0 && slen > 0 {
        match at(pattern, p) {
            b'*' => {
                while plen > 0 && at(pattern, p + 1) == b'*' {
                    p += 1;
                    plen -= 1;
                }
                if plen == 1 {
                    return true;
                }
                while slen > 0 {
                    if match_impl(
                        &pattern[p + 1..p + plen],
                        &text[s..s + slen],
                        nocase,
                        skip_longer,
                        nesting + 1,
                    ) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                    slen -= 1;
                }
                // Nothing after this `*` matches anywhere in the rest of the text, so a longer
                // match for an earlier `*` cannot help either.
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s += 1;
                slen -= 1;
            }
            b'[' => {
                p += 1;
                plen -= 1;
                let not = at(pattern, p) == b'^';
                if not {
                    p += 1;
                    plen -= 1;
                }
                let c = at(text, s);
                let mut matched = false;
                loop {
                    let pc = at(pattern, p);
                    if pc == b'\\' && plen >= 2 {
                        p += 1;
                        plen -= 1;
                        if at(pattern, p) == c {
                            matched = true;
                        }
                    } else if pc == b']' {
                        break;
                    } else if plen == 0 {
                        // Unterminated class: step back so the shared advance below ends it.
                        p -= 1;
                        plen += 1;
                        break;
                    } else if plen >= 3 && at(pattern, p + 1) == b'-' {
                        // C's `char` is signed: bytes >= 0x80 sort below ASCII in ranges.
                        let (mut start, mut end) = (pc as i8, at(pattern, p + 2) as i8);
                        let mut ch = c as i8;
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = (start as u8).to_ascii_lowercase() as i8;
                            end = (end as u8).to_ascii_lowercase() as i8;
                            ch = (ch as u8).to_ascii_lowercase() as i8;
                        }
                        p += 2;
                        plen -= 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if eq(pc, c) {
                        matched = true;
                    }
                    p += 1;
                    plen -= 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
            first => {
                let mut pc = first;
                if first == b'\\' && plen >= 2 {
                    p += 1;
                    plen -= 1;
                    pc = at(pattern, p);
                }
                if !eq(pc, at(text, s)) {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
        }
        p += 1;
        plen -= 1;
        if slen == 0 {
            while at(pattern, p) == b'*' && plen > 0 {
                p += 1;
                plen -= 1;
            }
            break;
        }
    }
    plen == 0 && slen == 0
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
        // As in Redis, a `*` never matches an empty text (KEYS and SCAN special-case a lone
        // `*` themselves).
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(!m("h*llo", "heeeelo"));
        assert!(m("a**b", "axxb"));
        assert!(m("a*", "a"));
        assert!(m("a***", "a"));
        assert!(!m("?", ""));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b*", "xxbxxaxx"));
        assert!(!m("abc", "ab"));
        assert!(!m("ab", "abc"));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        // Reversed range bounds are swapped.
        assert!(m("[z-a]", "q"));
        // `a-]` is a range up to `]` (swapped to `]`..`a`), leaving the class unterminated.
        assert!(!m("[a-]", "-"));
        assert!(m("[a-]", "_"));
        assert!(m("[-]", "-"));
        // Escapes inside a class.
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(!m("[\\-]", "a"));
        // An unterminated class behaves as if closed.
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        assert!(m("[", "x") == matches(b"[", b"x", false));
        assert!(!m("[]", "a"));
        assert!(m("[^]", "a"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?", "?"));
        assert!(m("a\\[b", "a[b"));
        // A trailing backslash is a literal backslash.
        assert!(m("a\\", "a\\"));
    }

    #[test]
    fn nocase() {
        assert!(matches(b"HeLLo", b"hello", true));
        assert!(!matches(b"HeLLo", b"hello", false));
        assert!(matches(b"[A-C]x", b"bX", true));
        assert!(matches(b"[^A]", b"b", true));
        assert!(!matches(b"[^A]", b"a", true));
    }

    #[test]
    fn binary_safe() {
        assert!(matches(b"a\0*", b"a\0bc", false));
        assert!(!matches(b"a\0", b"a", false));
        assert!(matches(b"\xff?", b"\xff\x00", false));
        // Range bounds compare as C's signed char.
        assert!(!matches(b"[a-\xff]", b"b", false));
        assert!(matches(b"[a-\xff]", b"0", false));
        assert!(matches(b"[\x80-\xff]", b"\x90", false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let text = "a".repeat(60);
        let pat = format!("{}b", "a*".repeat(30));
        let t = std::time::Instant::now();
        assert!(!m(&pat, &text));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        // Deep nesting gives up rather than overflowing the stack.
        let deep = "*a".repeat(5000);
        let text = "a".repeat(5000);
        assert!(!m(&deep, &text));
        assert!(m(&"*a".repeat(100), &"a".repeat(100)));
        // The exact limit redis-server 7.0 has: 1000 nested `*` match, 1001 do not.
        assert!(m(&"*a".repeat(1000), &"a".repeat(1000)));
        assert!(!m(&"*a".repeat(1001), &"a".repeat(1001)));
    }
}
