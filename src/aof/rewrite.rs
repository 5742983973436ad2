//! AOF rewrite: a new base file built from the live dataset while writes keep flowing.
//!
//! ```text
//! world lock (exclusive, ~1 ms): flush + fsync the current incr, open incr n+1 (manifest lists
//!                                 it), mark every shard "snapshot pending"
//! rewrite thread:                walk every shard; a pending shard is serialized into
//!                                 temp-rewriteaof-<pid>.aof (a command that locks a pending
//!                                 shard first serializes it itself: copy-on-write per shard)
//! finish:                        fsync the temp file, rename it to <name>.<m>.base.aof,
//!                                 persist the manifest "base m + incr n+1", delete old files
//! ```
//! The base holds the dataset as it was when incr n+1 was opened, and every effect since then
//! is in incr n+1, so base + incr replays to exactly the live dataset. A crash at any point
//! leaves a manifest naming complete files: the old one until the rename and the new manifest
//! are durable, the new one after.
//!
//! Values are written as Redis's rewrite writes them (`rewriteAppendOnlyFileRio`): SET, RPUSH,
//! SADD, ZADD and HMSET in batches of 64 items, streams as XADD entries + XSETID + XGROUP
//! CREATE + XCLAIM for each pending entry (+ XGROUP CREATECONSUMER for consumers without
//! pending entries), then PEXPIREAT for volatile keys.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;

use super::manifest::{FileInfo, Kind};
use super::{encode, Paths};
use crate::server::Server;
use crate::store::stream::StreamId;
use crate::store::{Entry, Shard, Value};

/// Items per command, as Redis's `AOF_REWRITE_ITEMS_PER_CMD`.
const ITEMS_PER_CMD: usize = 64;

/// Appends the commands that recreate `key` (without its expiry).
pub fn write_value(out: &mut Vec<u8>, key: &[u8], v: &Value) {
    match v {
        Value::Str(s) => encode(out, [&b"SET"[..], key, s]),
        Value::List(l) => batched(out, b"RPUSH", key, l.iter().map(|e| [e]), 1, l.len()),
        Value::Set(s) => {
            let members: Vec<Bytes> = s.members().collect();
            batched(
                out,
                b"SADD",
                key,
                members.iter().map(|m| [&m[..]]),
                1,
                members.len(),
            )
        }
        Value::Hash(h) => batched(
            out,
            b"HMSET",
            key,
            h.iter().map(|(f, v)| [f, v]),
            2,
            h.len(),
        ),
        Value::ZSet(z) => {
            let items = z.range_by_rank(0, z.len(), false);
            let scores: Vec<String> = items
                .iter()
                .map(|(_, s)| crate::util::fmt_double_g17(*s))
                .collect();
            batched(
                out,
                b"ZADD",
                key,
                items
                    .iter()
                    .zip(scores.iter())
                    .map(|((m, _), s)| [s.as_bytes(), &m[..]]),
                2,
                items.len(),
            )
        }
        Value::Stream(st) => write_stream(out, key, st),
    }
}

/// `CMD key item...` in batches of [`ITEMS_PER_CMD`] items of `width` arguments each.
fn batched<'a, const W: usize>(
    out: &mut Vec<u8>,
    cmd: &[u8],
    key: &[u8],
    items: impl Iterator<Item = [&'a [u8]; W]>,
    width: usize,
    total: usize,
) {
    let mut left = total;
    let mut args: Vec<&[u8]> = Vec::with_capacity(2 + ITEMS_PER_CMD * width);
    for item in items {
        if args.is_empty() {
            args.push(cmd);
            args.push(key);
        }
        args.extend_from_slice(&item);
        left = left.saturating_sub(1);
        if args.len() == 2 + ITEMS_PER_CMD * width || left == 0 {
            encode(out, args.iter().copied());
            args.clear();
        }
    }
    if !args.is_empty() {
        encode(out, args.iter().copied());
    }
}

fn id_bytes(id: StreamId) -> Vec<u8> {
    id.to_bytes()
}

fn write_stream(out: &mut Vec<u8>, key: &[u8], st: &crate::store::stream::Stream) {
    let mut any = false;
    st.walk(StreamId::MIN, StreamId::MAX, false, |e| {
        any = true;
        let id = id_bytes(e.id());
        let mut args: Vec<&[u8]> = vec![b"XADD", key, &id];
        for (f, v) in e.pairs() {
            args.push(f);
            args.push(v);
        }
        encode(out, args.iter().copied());
        true
    });
    let last = id_bytes(st.last_id);
    if !any {
        // An empty stream, created as Redis does: an entry 0-1 trimmed at once (MAXLEN 0);
        // XSETID below then restores the real last ID and counters.
        encode(
            out,
            [&b"XADD"[..], key, b"MAXLEN", b"0", b"0-1", b"x", b"y"],
        );
    }
    let added = st.entries_added.to_string();
    let maxdel = id_bytes(st.max_deleted_entry_id);
    encode(
        out,
        [
            &b"XSETID"[..],
            key,
            &last,
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            &maxdel,
        ],
    );
    for (name, g) in &st.groups {
        let gid = id_bytes(g.last_id);
        let read = g.entries_read.to_string();
        encode(
            out,
            [
                &b"XGROUP"[..],
                b"CREATE",
                key,
                name,
                &gid,
                b"ENTRIESREAD",
                read.as_bytes(),
            ],
        );
        for (id, nack) in g.pel.iter() {
            let idb = id_bytes(*id);
            let time = nack.delivery_time.to_string();
            let count = nack.delivery_count.to_string();
            encode(
                out,
                [
                    &b"XCLAIM"[..],
                    key,
                    name,
                    g.consumer_name(nack.consumer),
                    b"0",
                    &idb,
                    b"TIME",
                    time.as_bytes(),
                    b"RETRYCOUNT",
                    count.as_bytes(),
                    b"JUSTID",
                    b"FORCE",
                ],
            );
        }
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                encode(out, [&b"XGROUP"[..], b"CREATECONSUMER", key, name, cname]);
            }
        }
    }
}

fn write_entry(out: &mut Vec<u8>, key: &[u8], e: &Entry) {
    write_value(out, key, &e.value);
    if e.expire_at != 0 {
        let at = e.expire_at.to_string();
        encode(out, [&b"PEXPIREAT"[..], key, at.as_bytes()]);
    }
}

/// Where captured shards go. A capture runs while the shard is locked by whoever touched it
/// first (a command about to change it, or the rewrite's own walk), so it does the least it
/// can: it serializes the shard's small values in memory (no I/O, no lock but the queue's) and
/// copies its large ones (a stream or list copy is mostly `memcpy` of packed blocks, several
/// times faster than writing it out as commands), and queues both; the rewrite thread writes
/// them to the temporary base file without holding any lock. (Copying every entry instead would
/// be no faster: cloning a `Bytes` made from a `Vec` allocates a shared header, for good.)
struct Sink {
    queue: Mutex<Vec<Captured>>,
    file: Mutex<BufWriter<File>>,
    error: Mutex<Option<io::Error>>,
    max_pause_us: std::sync::atomic::AtomicU64,
    now: u64,
}

enum Captured {
    Serialized(Vec<u8>),
    Copied(usize, Bytes, Box<Entry>),
}

/// Values whose heap size is above this are copied rather than serialized under the lock.
const COPY_ABOVE: usize = 64 * 1024;

impl Sink {
    fn take(&self, db: usize, shard: &Shard) {
        let t = Instant::now();
        let mut buf = Vec::with_capacity(shard.map.len() * 48);
        let mut copied = Vec::new();
        let mut selected = false;
        for (key, e) in shard.map.iter() {
            if e.expire_at != 0 && e.expire_at <= self.now {
                continue;
            }
            if !matches!(e.value, Value::Str(_)) && e.value.heap_size() > COPY_ABOVE {
                copied.push(Captured::Copied(db, key.clone(), Box::new(e.clone())));
                continue;
            }
            if !selected {
                selected = true;
                let d = db.to_string();
                encode(&mut buf, [&b"SELECT"[..], d.as_bytes()]);
            }
            write_entry(&mut buf, key, e);
        }
        if !buf.is_empty() || !copied.is_empty() {
            let mut q = self.queue.lock();
            if !buf.is_empty() {
                q.push(Captured::Serialized(buf));
            }
            q.extend(copied);
        }
        self.max_pause_us
            .fetch_max(t.elapsed().as_micros() as u64, Ordering::Relaxed);
    }

    /// Writes every queued capture to the file (the rewrite thread).
    fn drain(&self) {
        let batch = std::mem::take(&mut *self.queue.lock());
        let mut tmp = Vec::new();
        for c in batch {
            let buf = match &c {
                Captured::Serialized(b) => b,
                Captured::Copied(db, key, e) => {
                    tmp.clear();
                    let d = db.to_string();
                    encode(&mut tmp, [&b"SELECT"[..], d.as_bytes()]);
                    write_entry(&mut tmp, key, e);
                    &tmp
                }
            };
            if let Err(e) = self.file.lock().write_all(buf) {
                self.error.lock().get_or_insert(e);
            }
        }
    }
}

/// Redis's error when a rewrite is already running.
pub const IN_PROGRESS: &str = "ERR Background append only file rewriting already in progress";

/// Starts a background rewrite (BGREWRITEAOF, SAVE, the automatic trigger, or
/// `enable` = CONFIG SET appendonly yes). `world_held` says the caller already holds the
/// world lock exclusively. Returns once the rewrite thread is running.
pub fn start(srv: &Arc<Server>, enable: bool, world_held: bool) -> Result<(), String> {
    let aof = &srv.aof;
    if aof.status.rewrite_in_progress.swap(true, Ordering::AcqRel) {
        return Err(IN_PROGRESS.into());
    }
    aof.status.rewrite_scheduled.store(false, Ordering::Relaxed);
    let paths = {
        let s = srv.config.read();
        Paths::new(&s.dir, &s.appenddirname, &s.appendfilename)
    };
    let fail = |e: String| {
        aof.status
            .rewrite_in_progress
            .store(false, Ordering::Release);
        aof.status.last_bgrewrite_ok.store(false, Ordering::Relaxed);
        e
    };
    let tmp_path = paths
        .dir
        .join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    let started = Instant::now();
    // Most of the current increment reaches the disk before the world stops, so the fsync
    // under the world lock only covers what arrived meanwhile.
    if aof.is_on() {
        let _ = aof.sync_all();
    }
    let (incr, manifest) = {
        let _w = (!world_held).then(|| srv.world_write());
        let locked_at = Instant::now();
        let (incr, manifest) = aof
            .switch_incr(&paths, enable)
            .map_err(|e| fail(format!("ERR Can't open the append-only file: {e}")))?;
        let file = File::create(&tmp_path).map_err(|e| {
            fail(format!(
                "ERR Can't create the rewrite's temporary file: {e}"
            ))
        })?;
        let sink = Arc::new(Sink {
            queue: Mutex::new(Vec::new()),
            file: Mutex::new(BufWriter::with_capacity(1 << 20, file)),
            error: Mutex::new(None),
            max_pause_us: Default::default(),
            now: crate::util::now_ms(),
        });
        // Function libraries are part of the dataset (Redis's `rewriteFunctions`): captured
        // with the world stopped, like the switch itself.
        {
            let st = srv.scripting.state.lock();
            let mut buf = Vec::new();
            for lib in st.libs.libs.values() {
                encode(&mut buf, [&b"FUNCTION"[..], b"LOAD", &lib.code]);
            }
            if !buf.is_empty() {
                sink.queue.lock().push(Captured::Serialized(buf));
            }
        }
        let s2 = sink.clone();
        srv.ks
            .snapshot_begin(Arc::new(move |db, shard| s2.take(db, shard)));
        aof.status
            .rewrite_started_ms
            .store(crate::util::now_ms(), Ordering::Relaxed);
        // The world was stopped this long: part of the longest pause of this rewrite.
        sink.max_pause_us
            .fetch_max(locked_at.elapsed().as_micros() as u64, Ordering::Relaxed);
        (incr, (manifest, sink))
    };
    let (manifest, sink) = manifest;
    tracing::info!("Background append only file rewriting started");
    let srv2 = srv.clone();
    let srv = srv.clone();
    std::thread::Builder::new()
        .name("aof-rewrite".into())
        .spawn(move || {
            for db in 0..srv.ks.dbs.len() {
                for shard in 0..crate::store::SHARDS {
                    srv.ks.snapshot_capture(db, shard);
                    sink.drain();
                }
            }
            srv.ks.snapshot_end();
            sink.drain();
            let result = finish(&srv, &paths, &tmp_path, &sink, &manifest, &incr);
            let aof = &srv.aof;
            aof.status
                .rewrite_max_pause_us
                .store(sink.max_pause_us.load(Ordering::Relaxed), Ordering::Relaxed);
            match result {
                Ok(()) => {
                    aof.status.last_bgrewrite_ok.store(true, Ordering::Relaxed);
                    aof.status.rewrites.fetch_add(1, Ordering::Relaxed);
                    // SAVE and BGSAVE are rewrites in Herald, so LASTSAVE follows them.
                    srv.stats
                        .last_save
                        .store(crate::util::now_ms() / 1000, Ordering::Relaxed);
                    tracing::info!("Background AOF rewrite finished successfully");
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp_path);
                    aof.status.last_bgrewrite_ok.store(false, Ordering::Relaxed);
                    tracing::warn!("Background AOF rewrite failed: {e}");
                    if enable {
                        // Without a base the new increment alone is not a dataset.
                        aof.turn_off();
                    }
                }
            }
            aof.status
                .last_rewrite_secs
                .store(started.elapsed().as_secs() as i64, Ordering::Relaxed);
            aof.status.rewrite_started_ms.store(0, Ordering::Relaxed);
            aof.status
                .rewrite_in_progress
                .store(false, Ordering::Release);
        })
        .map_err(|e| {
            // Nothing will capture the pending shards: stop the snapshot.
            srv2.ks.snapshot_abort();
            srv2.aof
                .status
                .rewrite_in_progress
                .store(false, Ordering::Release);
            format!("ERR Can't start the rewrite thread: {e}")
        })?;
    Ok(())
}

fn finish(
    srv: &Server,
    paths: &Paths,
    tmp: &std::path::Path,
    sink: &Sink,
    manifest: &super::manifest::Manifest,
    incr: &FileInfo,
) -> io::Result<()> {
    if let Some(e) = sink.error.lock().take() {
        return Err(e);
    }
    {
        let mut f = sink.file.lock();
        f.flush()?;
        f.get_ref().sync_all()?;
    }
    let seq = manifest.base_seq() + 1;
    let base = FileInfo {
        name: paths.base_name(seq),
        seq,
        kind: Kind::Base,
    };
    std::fs::rename(tmp, paths.file(&base.name))?;
    super::manifest::sync_dir(&paths.dir)?;
    srv.aof.install_base(paths, base, incr)?;
    Ok(())
}

/// The automatic trigger (Redis's `auto-aof-rewrite-percentage` / `-min-size` check in
/// `serverCron`), and rewrites scheduled while another one ran. Called from the cron.
pub fn auto_trigger(srv: &Arc<Server>) {
    let aof = &srv.aof;
    if !aof.is_on() || aof.status.rewrite_in_progress.load(Ordering::Acquire) {
        return;
    }
    if aof.status.rewrite_scheduled.load(Ordering::Relaxed) {
        let _ = start(srv, false, false);
        return;
    }
    let (perc, min) = {
        let s = srv.config.read();
        let num = |k: &str| {
            s.other
                .get(k)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (
            num("auto-aof-rewrite-percentage"),
            num("auto-aof-rewrite-min-size"),
        )
    };
    if perc == 0 {
        return;
    }
    let (cur, _) = aof.sizes();
    let base = aof.status.rewrite_base_size.load(Ordering::Relaxed).max(1);
    if cur > min && (cur.saturating_mul(100) / base).saturating_sub(100) >= perc {
        tracing::info!(
            "Starting automatic rewriting of AOF on {}% growth",
            (cur.saturating_mul(100) / base).saturating_sub(100)
        );
        let _ = start(srv, false, false);
    }
}
