//! Replaying the AOF at startup: the manifest's base, then its increments in order, each
//! command run through the normal dispatch by a loader client that logs nothing.
//!
//! Accepted input is what Redis 7.0 writes with `aof-use-rdb-preamble no`: RESP arrays of bulk
//! strings, `#...` annotation lines (`#TS:`), MULTI/EXEC blocks. A file that ends in the middle
//! of a command (or of a MULTI block) is truncated at the last complete command with a warning
//! when `aof-load-truncated yes` and it is the last file; anything else malformed stops the
//! start with the file name and byte offset. An RDB base (`aof-use-rdb-preamble yes`) is
//! refused with an explanation, since Herald does not read RDB.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::manifest::Manifest;
use super::Paths;
use crate::client::{Client, ClientInfo};
use crate::commands::{self, Flow};
use crate::server::Server;

/// What stopped a load.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads the manifest in `paths.dir`, if there is one.
pub fn read_manifest(paths: &Paths) -> Result<Option<Manifest>, LoadError> {
    let path = paths.file(&paths.manifest_name());
    match std::fs::read_to_string(&path) {
        Ok(text) => Manifest::parse(&text)
            .map(Some)
            .map_err(|e| LoadError(format!("{e} ({})", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LoadError(format!(
            "Can't read the AOF manifest {}: {e}",
            path.display()
        ))),
    }
}

/// Replays every file the manifest names. Returns the number of commands run.
pub fn load(
    srv: &Arc<Server>,
    paths: &Paths,
    m: &Manifest,
    load_truncated: bool,
) -> Result<u64, LoadError> {
    let files: Vec<&super::manifest::FileInfo> = m.base.iter().chain(m.incrs.iter()).collect();
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(paths.file(&f.name)).ok())
        .map(|md| md.len())
        .sum();
    let info = Arc::new(ClientInfo::new(
        0,
        "0.0.0.0:0".parse().expect("a literal address"),
        "0.0.0.0:0".parse().expect("a literal address"),
        -1,
    ));
    let mut client = Client::new(info, true);
    client.loader = true;
    let mut progress = Progress {
        total,
        done: 0,
        last_log: Instant::now(),
    };
    let mut count = 0;
    for (i, f) in files.iter().enumerate() {
        let path = paths.file(&f.name);
        let last = i + 1 == files.len();
        if f.name.ends_with(".rdb") || starts_with_rdb(&path) {
            return Err(LoadError(format!(
                "The AOF base file {} is in RDB format (written with aof-use-rdb-preamble yes). \
                 Herald reads RESP AOF files only. To convert it, start redis-server on this \
                 directory with 'aof-use-rdb-preamble no', run BGREWRITEAOF, wait for it to \
                 finish, stop redis-server, then start Herald.",
                path.display()
            )));
        }
        let file = match File::open(&path) {
            Ok(f) => f,
            // Redis tolerates a missing empty increment; a missing base or increment with data
            // cannot be told apart, so only the last increment may be missing.
            Err(e) if e.kind() == io::ErrorKind::NotFound && last => continue,
            Err(e) => {
                return Err(LoadError(format!(
                    "Can't open the append-only file {}: {e}",
                    path.display()
                )))
            }
        };
        count += replay(
            srv,
            &mut client,
            file,
            &path,
            last && load_truncated,
            &mut progress,
        )?;
        client.multi = None;
    }
    client.stats.flush(&srv.stats);
    Ok(count)
}

struct Progress {
    total: u64,
    done: u64,
    last_log: Instant,
}

fn starts_with_rdb(path: &std::path::Path) -> bool {
    let mut head = [0u8; 5];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"REDIS"
}

/// Why parsing stopped early.
enum Stop {
    /// The file ends inside a command.
    Truncated,
    /// Not RESP as the AOF writes it.
    Bad,
    Io(io::Error),
}

/// A reader that counts the bytes consumed.
struct Counted<R> {
    r: BufReader<R>,
    pos: u64,
}

impl<R: Read> Counted<R> {
    fn line(&mut self, buf: &mut Vec<u8>) -> Result<(), Stop> {
        buf.clear();
        let n = self.r.read_until(b'\n', buf).map_err(Stop::Io)?;
        self.pos += n as u64;
        if n == 0 || !buf.ends_with(b"\r\n") {
            return Err(Stop::Truncated);
        }
        buf.truncate(buf.len() - 2);
        Ok(())
    }

    fn number(&mut self, prefix: u8, buf: &mut Vec<u8>) -> Result<usize, Stop> {
        self.line(buf)?;
        if buf.first() != Some(&prefix) {
            return Err(Stop::Bad);
        }
        std::str::from_utf8(&buf[1..])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or(Stop::Bad)
    }

    fn bulk(&mut self, len: usize) -> Result<Bytes, Stop> {
        let mut v = BytesMut::zeroed(len + 2);
        match self.r.read_exact(&mut v) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(Stop::Truncated),
            Err(e) => return Err(Stop::Io(e)),
        }
        self.pos += (len + 2) as u64;
        if &v[len..] != b"\r\n" {
            return Err(Stop::Bad);
        }
        v.truncate(len);
        Ok(v.freeze())
    }

    fn at_eof(&mut self) -> Result<bool, Stop> {
        Ok(self.r.fill_buf().map_err(Stop::Io)?.is_empty())
    }
}

/// Upper bound on arguments and argument length while loading (Redis's limits).
const MAX_ARGS: usize = 1024 * 1024;
const MAX_BULK: usize = 512 * 1024 * 1024;

fn replay(
    srv: &Arc<Server>,
    client: &mut Client,
    file: File,
    path: &std::path::Path,
    may_truncate: bool,
    progress: &mut Progress,
) -> Result<u64, LoadError> {
    let mut rd = Counted {
        r: BufReader::with_capacity(1 << 20, file),
        pos: 0,
    };
    let mut line = Vec::new();
    let mut count = 0u64;
    let mut wbuf = BytesMut::new();
    // Where the open MULTI block started: a truncated block is dropped as a whole.
    let mut multi_at: Option<u64> = None;
    let mut last_done = 0u64;
    loop {
        let start = rd.pos;
        let parsed: Result<Option<Vec<Bytes>>, Stop> = (|| {
            if rd.at_eof()? {
                return Ok(None);
            }
            let first = rd.r.fill_buf().map_err(Stop::Io)?[0];
            if first == b'#' {
                rd.line(&mut line)?;
                return Ok(Some(Vec::new()));
            }
            let argc = rd.number(b'*', &mut line)?;
            if argc == 0 || argc > MAX_ARGS {
                return Err(Stop::Bad);
            }
            let mut argv = Vec::with_capacity(argc);
            for _ in 0..argc {
                let len = rd.number(b'$', &mut line)?;
                if len > MAX_BULK {
                    return Err(Stop::Bad);
                }
                argv.push(rd.bulk(len)?);
            }
            Ok(Some(argv))
        })();
        match parsed {
            Ok(None) => {
                if let Some(at) = multi_at {
                    // A MULTI without its EXEC at the very end: the same as a truncated tail.
                    return truncate_or_fail(path, at, may_truncate, count, client);
                }
                break;
            }
            Ok(Some(argv)) if argv.is_empty() => continue,
            Ok(Some(argv)) => {
                let name = &argv[0];
                if name.eq_ignore_ascii_case(b"multi") {
                    multi_at = Some(start);
                } else if name.eq_ignore_ascii_case(b"exec") {
                    multi_at = None;
                }
                if commands::table().lookup(name).is_none() {
                    return Err(LoadError(format!(
                        "Unknown command '{}' reading the append only file {} at offset {start}",
                        String::from_utf8_lossy(name),
                        path.display()
                    )));
                }
                wbuf.clear();
                if let Flow::Block(b) = commands::execute(srv, client, &mut wbuf, argv) {
                    b.waiter.try_cancel(None);
                    crate::blocking::unregister(srv, &b.waiter);
                }
                count += 1;
                if count.is_multiple_of(1024) {
                    progress.done += rd.pos - last_done;
                    last_done = rd.pos;
                    if progress.last_log.elapsed().as_secs() >= 2 {
                        progress.last_log = Instant::now();
                        tracing::info!(
                            "Loading the AOF: {} of {} bytes ({} commands in {})",
                            progress.done,
                            progress.total,
                            count,
                            path.display()
                        );
                    }
                }
            }
            Err(Stop::Truncated) => {
                let at = multi_at.unwrap_or(start);
                return truncate_or_fail(path, at, may_truncate, count, client);
            }
            Err(Stop::Bad) => {
                return Err(LoadError(format!(
                    "Bad file format reading the append only file {} at offset {start}: make a \
                     backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                    path.display()
                )))
            }
            Err(Stop::Io(e)) => {
                return Err(LoadError(format!(
                    "Error reading the append only file {} at offset {start}: {e}",
                    path.display()
                )))
            }
        }
    }
    progress.done += rd.pos - last_done;
    Ok(count)
}

fn truncate_or_fail(
    path: &std::path::Path,
    at: u64,
    may_truncate: bool,
    count: u64,
    client: &mut Client,
) -> Result<u64, LoadError> {
    if !may_truncate {
        return Err(LoadError(format!(
            "Unexpected end of file reading the append only file {} (last complete command \
             ends at offset {at}). You can: 1) Make a backup of your AOF file, then use \
             ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the \
             'aof-load-truncated' configuration option to yes and restart the server.",
            path.display()
        )));
    }
    tracing::warn!(
        "!!! Warning: short read while loading the AOF file {}!!! AOF loaded anyway because \
         aof-load-truncated is enabled; truncating it to offset {at}",
        path.display()
    );
    client.multi = None;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(at).and_then(|_| f.sync_all()));
    if let Err(e) = f {
        return Err(LoadError(format!(
            "Error truncating the AOF file {}: {e}",
            path.display()
        )));
    }
    Ok(count)
}
