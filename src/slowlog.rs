//! The slow log: the most recent commands that took at least `slowlog-log-slower-than`
//! microseconds, newest first, at most `slowlog-max-len` of them (Redis's `slowlog.c`).
//!
//! Dispatch calls [`SlowLog::record`] after every command not flagged `skip_slowlog`; the entry
//! keeps a bounded copy of the arguments (32 at most, each cut at 128 bytes, with Redis's
//! `... (N more arguments)` / `... (N more bytes)` markers) so that a huge request never pins
//! its read buffer or grows the log without bound.

use std::collections::VecDeque;

use bytes::Bytes;
use parking_lot::Mutex;

/// Arguments kept per entry (Redis's `SLOWLOG_ENTRY_MAX_ARGC`).
pub const MAX_ARGC: usize = 32;
/// Bytes kept per argument (Redis's `SLOWLOG_ENTRY_MAX_STRING`).
pub const MAX_STRING: usize = 128;

/// One logged command.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: u64,
    /// Unix time in seconds when the command finished.
    pub time: i64,
    /// Execution time in microseconds.
    pub duration: u64,
    pub argv: Vec<Bytes>,
    /// `ip:port` of the client.
    pub peer: String,
    pub name: Bytes,
}

struct Inner {
    /// Newest first.
    entries: VecDeque<Entry>,
    next_id: u64,
}

/// The slow log of one server.
pub struct SlowLog {
    /// Protects the entries and the id counter; held only to push, trim or copy entries out.
    inner: Mutex<Inner>,
}

impl Default for SlowLog {
    fn default() -> Self {
        SlowLog {
            inner: Mutex::new(Inner {
                entries: VecDeque::new(),
                next_id: 0,
            }),
        }
    }
}

/// The bounded copy of `argv` a slow-log entry keeps.
pub fn bounded_argv(argv: &[Bytes]) -> Vec<Bytes> {
    let argc = argv.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(argc);
    for (i, a) in argv.iter().take(argc).enumerate() {
        if argc != argv.len() && i == argc - 1 {
            let more = argv.len() - argc + 1;
            out.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if a.len() > MAX_STRING {
            let mut s = a[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            out.push(Bytes::from(s));
        } else {
            out.push(Bytes::copy_from_slice(a));
        }
    }
    out
}

impl SlowLog {
    /// Logs the command if it ran for at least `slower_than` µs (negative disables the log,
    /// and so does a `max_len` of 0), then trims the log to `max_len` entries.
    pub fn record(
        &self,
        slower_than: i64,
        max_len: usize,
        duration: u64,
        argv: &[Bytes],
        peer: impl FnOnce() -> (String, Bytes),
    ) {
        if slower_than < 0 || max_len == 0 || duration < slower_than as u64 {
            return;
        }
        let argv = bounded_argv(argv);
        let (peer, name) = peer();
        let time = (crate::util::now_ms() / 1000) as i64;
        let mut g = self.inner.lock();
        let id = g.next_id;
        g.next_id += 1;
        g.entries.push_front(Entry {
            id,
            time,
            duration,
            argv,
            peer,
            name,
        });
        g.entries.truncate(max_len);
    }

    /// The newest `count` entries.
    pub fn newest(&self, count: usize) -> Vec<Entry> {
        self.inner
            .lock()
            .entries
            .iter()
            .take(count)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the log (ids keep counting up, as in Redis).
    pub fn reset(&self) {
        self.inner.lock().entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(n: usize, len: usize) -> Vec<Bytes> {
        (0..n).map(|_| Bytes::from(vec![b'x'; len])).collect()
    }

    #[test]
    fn argv_is_bounded_like_redis() {
        let a = bounded_argv(&argv(40, 3));
        assert_eq!(a.len(), 32);
        assert_eq!(&a[31][..], b"... (9 more arguments)");
        let a = bounded_argv(&argv(1, 130));
        assert_eq!(a[0].len(), 128 + "... (2 more bytes)".len());
        assert!(a[0].ends_with(b"... (2 more bytes)"));
        assert_eq!(bounded_argv(&argv(32, 1)).len(), 32);
    }

    #[test]
    fn records_newest_first_and_trims() {
        let log = SlowLog::default();
        let who = || ("1.2.3.4:5".to_string(), Bytes::new());
        log.record(-1, 10, 100, &argv(1, 1), who);
        assert!(log.is_empty());
        log.record(10, 10, 5, &argv(1, 1), who);
        assert!(log.is_empty());
        for _ in 0..3 {
            log.record(0, 2, 0, &argv(1, 1), who);
        }
        let e = log.newest(10);
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].id, e[1].id), (2, 1));
        log.reset();
        assert_eq!(log.len(), 0);
    }
}
