//! The append-only file: Redis 7.0's multi-part layout, effects logging, fsync policies with
//! group commit, background rewrite, and replay at startup.
//!
//! ```text
//! command (shard locks held) --log(effects)--> buffer ──flush──> <name>.<n>.incr.aof
//!                                                 │                 │
//! connection, before sending replies: wait(offset)┘                 └─ fsync: thread (always:
//!                                                                      group commit; everysec)
//! ```
//! Every effect is appended to one in-memory buffer while the command that produced it still
//! holds its shard locks, so the log's order agrees with the order of every key's changes. The
//! buffer has a logical offset (bytes ever appended); a connection remembers the offset after
//! its last write and, before sending replies, waits until the file covers it: with `everysec`
//! and `no` until the bytes are written to the kernel (the connection writes them itself, so a
//! process crash loses nothing acknowledged), with `always` until an fsync covers them. One
//! fsync covers everything appended before it started (group commit): the sync thread takes
//! the whole buffer, writes it, fsyncs once and wakes every waiter it covered.
//!
//! A write error (disk full, EIO) keeps the unwritten bytes, turns writes away with Redis's
//! `-MISCONF Errors writing to the AOF file: ...` (reads keep working), holds back the replies
//! of the writes it could not persist, and retries every 100 ms until the disk takes them.
//!
//! Files: `dir/appenddirname/` holds `<appendfilename>.<seq>.base.aof` (a RESP snapshot),
//! `<appendfilename>.<seq>.incr.aof` files and `<appendfilename>.manifest` (see
//! [`manifest`]); [`rewrite`] builds new bases, [`load`] replays at startup.

pub mod load;
pub mod manifest;
pub mod rewrite;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};

use manifest::{FileInfo, Kind, Manifest};

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always = 0,
    EverySec = 1,
    No = 2,
}

impl Fsync {
    pub fn parse(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

/// One command to log, in database `db`.
pub type Effect<'a> = (usize, &'a [Bytes]);

/// Where the files are (from `dir`, `appenddirname`, `appendfilename`).
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
    pub name: String,
}

impl Paths {
    pub fn new(dir: &str, dirname: &str, filename: &str) -> Paths {
        Paths {
            dir: Path::new(dir).join(dirname),
            name: filename.to_string(),
        }
    }
    pub fn manifest_name(&self) -> String {
        format!("{}.manifest", self.name)
    }
    pub fn base_name(&self, seq: u64) -> String {
        format!("{}.{seq}.base.aof", self.name)
    }
    pub fn incr_name(&self, seq: u64) -> String {
        format!("{}.{seq}.incr.aof", self.name)
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// What is appended and not yet handed to the writer.
struct Buffer {
    data: Vec<u8>,
    /// The database the log's last SELECT chose (-1: none yet in this file).
    seldb: i64,
    /// Last `#TS:` annotation written (Unix seconds).
    last_ts: u64,
}

/// The open increment file and what is known about the files.
struct Io {
    file: Option<Arc<File>>,
    /// Bytes taken from the buffer but not yet written (after a write error).
    pending: Vec<u8>,
    manifest: Manifest,
    /// Bytes in the current increment file.
    incr_size: u64,
    /// Size of the base and of every increment file before the current one.
    base_size: u64,
}

/// INFO persistence state.
#[derive(Default)]
pub struct Status {
    pub last_write_ok: AtomicBool,
    pub last_errno: AtomicI32,
    pub rewrite_in_progress: AtomicBool,
    pub rewrite_scheduled: AtomicBool,
    /// Unix ms the running rewrite started (0: none).
    pub rewrite_started_ms: AtomicU64,
    pub last_rewrite_secs: AtomicI64,
    pub last_bgrewrite_ok: AtomicBool,
    pub rewrites: AtomicU64,
    /// Total size (base + increments) right after the last rewrite, for the automatic trigger.
    pub rewrite_base_size: AtomicU64,
    /// Longest time (µs) a command spent writing a shard's snapshot during the last rewrite.
    pub rewrite_max_pause_us: AtomicU64,
    /// fsyncs done (each covers every write before it: group commit).
    pub fsyncs: AtomicU64,
}

pub struct Aof {
    /// Effects are being logged (appendonly yes and the files are open).
    on: AtomicBool,
    /// Replaying at startup: commands are not logged, clients get -LOADING.
    pub loading: AtomicBool,
    policy: AtomicU8,
    timestamps: AtomicBool,
    buf: Mutex<Buffer>,
    io: Mutex<Io>,
    /// Logical offsets: bytes ever appended / written to the kernel / covered by an fsync.
    appended: AtomicU64,
    written: AtomicU64,
    synced: AtomicU64,
    /// Woken whenever `written` or `synced` advances.
    progress: tokio::sync::Notify,
    wake: Mutex<bool>,
    wake_cv: Condvar,
    /// Held by the connection doing a group commit (`appendfsync always`).
    sync_leader: Mutex<()>,
    stop: AtomicBool,
    pub status: Status,
    /// Test hook: when non-zero, every write fails with this errno (fault injection; not
    /// reachable from clients).
    pub inject_write_errno: AtomicI32,
}

impl Default for Aof {
    fn default() -> Self {
        Aof::new()
    }
}

impl Aof {
    pub fn new() -> Aof {
        let status = Status::default();
        status.last_write_ok.store(true, Ordering::Relaxed);
        status.last_bgrewrite_ok.store(true, Ordering::Relaxed);
        status.last_rewrite_secs.store(-1, Ordering::Relaxed);
        Aof {
            on: AtomicBool::new(false),
            loading: AtomicBool::new(false),
            policy: AtomicU8::new(Fsync::EverySec as u8),
            timestamps: AtomicBool::new(false),
            buf: Mutex::new(Buffer {
                data: Vec::new(),
                seldb: -1,
                last_ts: 0,
            }),
            io: Mutex::new(Io {
                file: None,
                pending: Vec::new(),
                manifest: Manifest::default(),
                incr_size: 0,
                base_size: 0,
            }),
            appended: AtomicU64::new(0),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            progress: tokio::sync::Notify::new(),
            wake: Mutex::new(false),
            wake_cv: Condvar::new(),
            sync_leader: Mutex::new(()),
            stop: AtomicBool::new(false),
            status,
            inject_write_errno: AtomicI32::new(0),
        }
    }

    /// Whether commands' effects are logged now.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    pub fn policy(&self) -> Fsync {
        match self.policy.load(Ordering::Relaxed) {
            0 => Fsync::Always,
            2 => Fsync::No,
            _ => Fsync::EverySec,
        }
    }

    pub fn set_policy(&self, p: Fsync) {
        self.policy.store(p as u8, Ordering::Relaxed);
    }

    pub fn set_timestamps(&self, on: bool) {
        self.timestamps.store(on, Ordering::Relaxed);
    }

    /// Whether writes must be refused (the last write to the file failed): the errno.
    #[inline]
    pub fn write_error(&self) -> Option<i32> {
        if self.status.last_write_ok.load(Ordering::Relaxed) || !self.is_on() {
            None
        } else {
            Some(self.status.last_errno.load(Ordering::Relaxed))
        }
    }

    /// Logs `effects` as one unit (wrapped in MULTI/EXEC when there is more than one) and
    /// returns the offset a client must wait for before acknowledging them. Call with the
    /// shard locks of the affected keys held.
    pub fn log(&self, effects: &[Effect<'_>]) -> u64 {
        let mut b = self.buf.lock();
        if effects.is_empty() {
            return self.appended.load(Ordering::Relaxed);
        }
        let start = b.data.len();
        if self.timestamps.load(Ordering::Relaxed) {
            let now = crate::util::now_ms() / 1000;
            if now != b.last_ts {
                b.last_ts = now;
                b.data.extend_from_slice(b"#TS:");
                b.data
                    .extend_from_slice(itoa::Buffer::new().format(now).as_bytes());
                b.data.extend_from_slice(b"\r\n");
            }
        }
        let wrap = effects.len() > 1;
        for (i, (db, argv)) in effects.iter().enumerate() {
            if b.seldb != *db as i64 {
                b.seldb = *db as i64;
                let mut dbb = itoa::Buffer::new();
                encode(&mut b.data, [&b"SELECT"[..], dbb.format(*db).as_bytes()]);
            }
            if wrap && i == 0 {
                encode(&mut b.data, [&b"MULTI"[..]]);
            }
            encode(&mut b.data, argv.iter().map(|a| &a[..]));
        }
        if wrap {
            encode(&mut b.data, [&b"EXEC"[..]]);
        }
        let n = (b.data.len() - start) as u64;
        self.appended.fetch_add(n, Ordering::Release) + n
    }

    /// The logical offset of everything written to the kernel so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// The logical offset of everything appended so far.
    pub fn appended(&self) -> u64 {
        self.appended.load(Ordering::Acquire)
    }

    /// Writes what is buffered to the current file. Returns false if some bytes could not be
    /// written (they are kept, and the error is reported through `write_error`).
    pub fn flush(&self) -> bool {
        let mut io = self.io.lock();
        self.flush_locked(&mut io)
    }

    fn flush_locked(&self, io: &mut Io) -> bool {
        {
            let mut b = self.buf.lock();
            if !b.data.is_empty() {
                if io.pending.is_empty() {
                    std::mem::swap(&mut io.pending, &mut b.data);
                } else {
                    io.pending.extend_from_slice(&b.data);
                    b.data.clear();
                }
            }
        }
        if io.pending.is_empty() {
            return true;
        }
        let Some(file) = io.file.clone() else {
            // Logging is off: nothing to write to (what was buffered is dropped).
            let n = io.pending.len() as u64;
            io.pending.clear();
            self.written.fetch_add(n, Ordering::Release);
            self.synced
                .fetch_max(self.written.load(Ordering::Acquire), Ordering::Release);
            return true;
        };
        let mut off = 0;
        let mut err = None;
        while off < io.pending.len() {
            let injected = self.inject_write_errno.load(Ordering::Relaxed);
            let r = if injected != 0 {
                Err(io::Error::from_raw_os_error(injected))
            } else {
                (&*file).write(&io.pending[off..])
            };
            match r {
                Ok(0) => {
                    err = Some(libc::ENOSPC);
                    break;
                }
                Ok(n) => off += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    err = Some(e.raw_os_error().unwrap_or(libc::EIO));
                    break;
                }
            }
        }
        io.pending.drain(..off);
        io.incr_size += off as u64;
        self.written.fetch_add(off as u64, Ordering::Release);
        match err {
            None => {
                if !self.status.last_write_ok.swap(true, Ordering::Relaxed) {
                    tracing::warn!("AOF write error looks solved, Redis can write again.");
                }
                true
            }
            Some(errno) => {
                if self.status.last_write_ok.swap(false, Ordering::Relaxed) {
                    tracing::warn!("Error writing to the AOF file: {}", strerror(errno));
                }
                self.status.last_errno.store(errno, Ordering::Relaxed);
                false
            }
        }
    }

    /// Wakes the background thread (a group commit is wanted, or something to retry).
    fn kick(&self) {
        let mut w = self.wake.lock();
        *w = true;
        self.wake_cv.notify_one();
    }

    /// Waits until the log covers `need` as the fsync policy requires: written to the kernel
    /// (`everysec`, `no`) or fsynced (`always`). Returns at once when logging is off.
    pub async fn wait(&self, need: u64) {
        loop {
            // Let the other ready connections run their commands first: whoever writes next
            // writes (and with `always` fsyncs) all of them at once, as Redis's event loop does
            // once per iteration. The common case registers no notification.
            tokio::task::yield_now().await;
            if self.covered(need) || self.stop.load(Ordering::Relaxed) || self.advance(need) {
                return;
            }
            let notified = self.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.covered(need) || self.advance(need) {
                return;
            }
            self.kick();
            notified.await;
        }
    }

    /// Writes what is buffered (`everysec`, `no`), or, with `always`, leads a group commit if
    /// no other connection is: writes and fsyncs everything appended so far, then wakes the
    /// connections it covered. Whether `need` is covered now.
    fn advance(&self, need: u64) -> bool {
        if self.policy() != Fsync::Always {
            self.flush();
        } else if let Some(_leader) = self.sync_leader.try_lock() {
            if self.flush() {
                if let Err(e) = self.fsync_now() {
                    tracing::warn!("Error syncing the AOF file: {e}");
                }
            }
            self.progress.notify_waiters();
        }
        self.covered(need)
    }

    /// Whether a connection that last logged at `need` may send its replies now.
    #[inline]
    pub fn covered(&self, need: u64) -> bool {
        if need == 0 || !self.is_on() {
            return true;
        }
        if self.policy() == Fsync::Always {
            self.synced.load(Ordering::Acquire) >= need
        } else {
            self.written.load(Ordering::Acquire) >= need
        }
    }

    /// fsyncs the current file, covering everything written before the call.
    fn fsync_now(&self) -> io::Result<()> {
        let (file, upto) = {
            let io = self.io.lock();
            (io.file.clone(), self.written.load(Ordering::Acquire))
        };
        if let Some(f) = file {
            f.sync_data()?;
            self.status.fsyncs.fetch_add(1, Ordering::Relaxed);
        }
        self.synced.fetch_max(upto, Ordering::Release);
        Ok(())
    }

    /// The background thread: group-commit fsyncs for `always`, the once-a-second fsync for
    /// `everysec`, writing out what no connection waits for, and retrying after write errors.
    pub fn run_background(self: &Arc<Self>) -> std::thread::JoinHandle<()> {
        let aof = self.clone();
        std::thread::Builder::new()
            .name("aof-sync".into())
            .spawn(move || {
                let mut last_fsync = Instant::now();
                loop {
                    {
                        let mut w = aof.wake.lock();
                        if !*w {
                            aof.wake_cv.wait_for(&mut w, Duration::from_millis(100));
                        }
                        *w = false;
                    }
                    if aof.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if !aof.is_on() {
                        continue;
                    }
                    aof.flush();
                    let behind =
                        aof.synced.load(Ordering::Acquire) < aof.written.load(Ordering::Acquire);
                    let due = match aof.policy() {
                        Fsync::Always => behind,
                        Fsync::EverySec => behind && last_fsync.elapsed() >= Duration::from_secs(1),
                        Fsync::No => false,
                    };
                    if due {
                        if let Err(e) = aof.fsync_now() {
                            tracing::warn!("Error syncing the AOF file: {e}");
                        }
                        last_fsync = Instant::now();
                    }
                    aof.progress.notify_waiters();
                }
            })
            .expect("spawning the AOF thread")
    }

    /// Flushes and fsyncs everything (SHUTDOWN, SIGTERM, disabling), then stops the thread.
    pub fn shutdown(&self) {
        if self.is_on() {
            self.flush();
            let _ = self.fsync_now();
        }
        self.stop.store(true, Ordering::Relaxed);
        self.kick();
        self.progress.notify_waiters();
    }

    /// Flushes and fsyncs, keeping logging on (SAVE-like barriers, tests).
    pub fn sync_all(&self) -> io::Result<()> {
        if !self.flush() {
            return Err(io::Error::from_raw_os_error(
                self.status.last_errno.load(Ordering::Relaxed),
            ));
        }
        self.fsync_now()
    }

    // -----------------------------------------------------------------------------------------
    // Files

    /// Opens the log for appending at startup, after [`load`] replayed `manifest` (or creates
    /// a fresh layout with an empty base when there was none).
    pub fn open_after_load(&self, paths: &Paths, manifest: Option<Manifest>) -> io::Result<()> {
        fs::create_dir_all(&paths.dir)?;
        let mut io = self.io.lock();
        let manifest = match manifest {
            Some(m) if !m.incrs.is_empty() => m,
            Some(mut m) => {
                // A base without increments: start the first one.
                let seq = 1;
                File::create(paths.file(&paths.incr_name(seq)))?.sync_all()?;
                m.incrs.push(FileInfo {
                    name: paths.incr_name(seq),
                    seq,
                    kind: Kind::Incr,
                });
                m.persist(&paths.dir, &paths.manifest_name())?;
                m
            }
            None => {
                let base = paths.base_name(1);
                let incr = paths.incr_name(1);
                File::create(paths.file(&base))?.sync_all()?;
                File::create(paths.file(&incr))?.sync_all()?;
                let m = Manifest {
                    base: Some(FileInfo {
                        name: base,
                        seq: 1,
                        kind: Kind::Base,
                    }),
                    incrs: vec![FileInfo {
                        name: incr,
                        seq: 1,
                        kind: Kind::Incr,
                    }],
                    history: Vec::new(),
                };
                m.persist(&paths.dir, &paths.manifest_name())?;
                m
            }
        };
        let last = manifest
            .incrs
            .last()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(paths.file(&last))?;
        io.incr_size = file.metadata()?.len();
        io.base_size = total_size(paths, &manifest).saturating_sub(io.incr_size);
        io.file = Some(Arc::new(file));
        io.manifest = manifest;
        self.status
            .rewrite_base_size
            .store(io.base_size + io.incr_size, Ordering::Relaxed);
        self.buf.lock().seldb = -1;
        self.on.store(true, Ordering::Release);
        Ok(())
    }

    /// Stops logging (CONFIG SET appendonly no): flushes, fsyncs and closes the file.
    pub fn turn_off(&self) {
        if !self.is_on() {
            return;
        }
        let mut io = self.io.lock();
        self.flush_locked(&mut io);
        if let Some(f) = &io.file {
            let _ = f.sync_data();
        }
        self.on.store(false, Ordering::Release);
        io.file = None;
        io.pending.clear();
        self.buf.lock().data.clear();
        let w = self.appended.load(Ordering::Acquire);
        self.written.store(w, Ordering::Release);
        self.synced.store(w, Ordering::Release);
        self.status.last_write_ok.store(true, Ordering::Relaxed);
        self.progress.notify_waiters();
    }

    /// Current total size (base + increments), and the base part, for INFO and the automatic
    /// rewrite trigger.
    pub fn sizes(&self) -> (u64, u64) {
        let io = self.io.lock();
        (io.base_size + io.incr_size, io.base_size)
    }

    /// Rewrite step 1, with the world lock held exclusively: writes out and fsyncs the current
    /// increment, opens the next one, and (when logging was on) persists a manifest listing it,
    /// so every effect from now on lands in the new increment. Returns the new increment's
    /// info and the manifest to build upon. `enable` turns logging on (CONFIG SET appendonly).
    pub fn switch_incr(&self, paths: &Paths, enable: bool) -> io::Result<(FileInfo, Manifest)> {
        fs::create_dir_all(&paths.dir)?;
        let mut io = self.io.lock();
        if self.is_on() {
            if !self.flush_locked(&mut io) {
                return Err(io::Error::from_raw_os_error(
                    self.status.last_errno.load(Ordering::Relaxed),
                ));
            }
            if let Some(f) = &io.file {
                f.sync_data()?;
            }
        }
        let mut manifest = if self.is_on() {
            io.manifest.clone()
        } else {
            // Enabling: continue the numbering of whatever layout is on disk.
            fs::read_to_string(paths.file(&paths.manifest_name()))
                .ok()
                .and_then(|t| Manifest::parse(&t).ok())
                .unwrap_or_default()
        };
        let seq = manifest.last_incr_seq() + 1;
        let info = FileInfo {
            name: paths.incr_name(seq),
            seq,
            kind: Kind::Incr,
        };
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .truncate(false)
            .open(paths.file(&info.name))?;
        manifest::sync_dir(&paths.dir)?;
        let was_on = self.is_on();
        manifest.incrs.push(info.clone());
        if was_on {
            manifest.persist(&paths.dir, &paths.manifest_name())?;
        }
        io.base_size += io.incr_size;
        io.incr_size = file.metadata()?.len();
        io.file = Some(Arc::new(file));
        io.manifest = manifest.clone();
        let w = self.appended.load(Ordering::Acquire);
        self.written.store(w, Ordering::Release);
        self.synced.store(w, Ordering::Release);
        // A new file starts without a SELECT (and with its own timestamp annotation).
        {
            let mut b = self.buf.lock();
            b.seldb = -1;
            b.last_ts = 0;
        }
        if enable {
            self.on.store(true, Ordering::Release);
        }
        Ok((info, manifest))
    }

    /// Rewrite step 3: the new base is complete and durable; make the manifest say
    /// "this base, then the increment opened at step 1", then delete the old files.
    pub fn install_base(
        &self,
        paths: &Paths,
        base: FileInfo,
        first_incr: &FileInfo,
    ) -> io::Result<()> {
        // Only rewrites write the manifest from here on (one at a time), so it is persisted
        // without holding the writers' lock: fsyncs must not stall acknowledgements.
        let old = self.io.lock().manifest.clone();
        let keep_from = old
            .incrs
            .iter()
            .position(|f| f.seq == first_incr.seq)
            .unwrap_or(old.incrs.len());
        let mut m = Manifest {
            base: Some(base),
            incrs: old.incrs[keep_from..].to_vec(),
            history: Vec::new(),
        };
        if m.incrs.is_empty() {
            m.incrs.push(first_incr.clone());
        }
        m.persist(&paths.dir, &paths.manifest_name())?;
        let total = total_size(paths, &m);
        {
            let mut io = self.io.lock();
            io.base_size = total.saturating_sub(io.incr_size);
            io.manifest = m.clone();
            self.status
                .rewrite_base_size
                .store(io.base_size + io.incr_size, Ordering::Relaxed);
        }
        // The new manifest is durable: the files it no longer names can go.
        let mut obsolete: Vec<String> = old.history.iter().map(|f| f.name.clone()).collect();
        if let Some(b) = &old.base {
            obsolete.push(b.name.clone());
        }
        obsolete.extend(old.incrs[..keep_from].iter().map(|f| f.name.clone()));
        for name in obsolete {
            if m.base.as_ref().is_some_and(|b| b.name == name) {
                continue;
            }
            let _ = fs::remove_file(paths.file(&name));
        }
        Ok(())
    }
}

/// The size of every file the manifest names.
fn total_size(paths: &Paths, m: &Manifest) -> u64 {
    m.base
        .iter()
        .chain(m.incrs.iter())
        .filter_map(|f| fs::metadata(paths.file(&f.name)).ok())
        .map(|md| md.len())
        .sum()
}

/// Appends one command in RESP (`*<n>` then `$<len>` bulks).
pub fn encode<'a, I>(out: &mut Vec<u8>, args: I)
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: ExactSizeIterator,
{
    let it = args.into_iter();
    let mut n = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(n.format(it.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in it {
        out.push(b'$');
        out.extend_from_slice(n.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// C's `strerror` text for `errno` (what Redis puts in its MISCONF error).
pub fn strerror(errno: i32) -> String {
    let s = io::Error::from_raw_os_error(errno).to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_wraps() {
        let aof = Aof::new();
        let a = [Bytes::from("SET"), Bytes::from("k"), Bytes::from("v")];
        let d = [Bytes::from("DEL"), Bytes::from("x")];
        let end = aof.log(&[(0, &a[..])]);
        let data = aof.buf.lock().data.clone();
        assert_eq!(
            data,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        );
        assert_eq!(end, data.len() as u64);
        aof.log(&[(2, &d[..]), (2, &a[..])]);
        let data = String::from_utf8(aof.buf.lock().data.clone()).unwrap();
        assert!(data.ends_with(
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n\
             *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nEXEC\r\n"
        ));
        assert_eq!(strerror(libc::ENOSPC), "No space left on device");
    }
}
