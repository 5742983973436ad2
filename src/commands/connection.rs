//! Connection commands: PING, ECHO, SELECT, QUIT, AUTH, HELLO, RESET, MONITOR and CLIENT.
//!
//! Everything here acts on the calling connection's [`Client`](crate::client::Client) or, for
//! CLIENT LIST/KILL and MONITOR, on the shared [`ClientInfo`] registry. Texts, argument parsing
//! order and reply shapes follow Redis 7.0's `networking.c` (`clientCommand`, `helloCommand`,
//! `resetCommand`) and `acl.c` (`authCommand`). Redis 7.0 has no CLIENT SETINFO or NO-TOUCH, so
//! neither is registered: clients that send them get the same unknown-subcommand error.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::{cmd, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group};
use crate::client::{ClientInfo, ReplyMode};

/// PING [message]
fn ping(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() <= 2 && !ctx.out.resp3 && ctx.client.pubsub.total() > 0 {
        // RESP2 subscribed mode: a pong "message" (Redis's pingCommand).
        ctx.out.raw(b"*2\r\n$4\r\npong\r\n");
        ctx.out.bulk(ctx.argv.get(1).map_or(&b""[..], |a| &a[..]));
        return Ok(());
    }
    match ctx.argv.len() {
        1 => ctx.out.raw(b"+PONG\r\n"),
        2 => ctx.out.bulk(ctx.argv[1].as_ref()),
        _ => return Err(CmdError::WrongArity("ping".into())),
    }
    Ok(())
}

/// ECHO message
fn echo(ctx: &mut Ctx) -> CmdResult {
    ctx.out.bulk(ctx.argv[1].as_ref());
    Ok(())
}

/// SELECT index
fn select(ctx: &mut Ctx) -> CmdResult {
    let idx = ctx
        .int_arg(1)
        .map_err(|_| CmdError::msg("ERR value is not an integer or out of range"))?;
    if idx < 0 || idx as usize >= ctx.srv.ks.dbs.len() {
        return Err(CmdError::msg("ERR DB index is out of range"));
    }
    ctx.client.db = idx as usize;
    ctx.out.ok();
    Ok(())
}

/// QUIT
fn quit(ctx: &mut Ctx) -> CmdResult {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Redis's `ACLAuthenticateUser` for the one user Herald has: `default`, with `requirepass` as
/// its password (or `nopass` when none is set). Compares in time independent of the password.
fn check_credentials(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    let cfg = ctx.srv.config.read();
    match cfg.requirepass.as_deref() {
        None | Some("") => true,
        Some(want) => {
            let want = want.as_bytes();
            let mut diff = want.len() ^ pass.len();
            for (i, &b) in want.iter().enumerate() {
                diff |= (b ^ pass.get(i).copied().unwrap_or(0)) as usize;
            }
            diff == 0
        }
    }
}

fn password_set(ctx: &Ctx) -> bool {
    ctx.srv
        .config
        .read()
        .requirepass
        .as_deref()
        .is_some_and(|p| !p.is_empty())
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    ctx.client.redacted |= if ctx.argv.len() == 3 { 0b110 } else { 0b10 };
    let (user, pass) = if ctx.argv.len() == 2 {
        if !password_set(ctx) {
            return Err(CmdError::msg(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            ));
        }
        (&b"default"[..], ctx.arg(1))
    } else {
        (ctx.arg(1), ctx.arg(2))
    };
    if !check_credentials(ctx, user, pass) {
        return Err(CmdError::msg(WRONGPASS));
    }
    ctx.client.authenticated = true;
    ctx.out.ok();
    Ok(())
}

/// Redis's `clientSetNameOrReply` check: names are printable ASCII without spaces.
fn valid_name(name: &[u8]) -> Result<(), CmdError> {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(())
    } else {
        Err(CmdError::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ))
    }
}

fn set_name(ctx: &Ctx, name: &[u8]) {
    *ctx.client.info.name.lock() = if name.is_empty() {
        None
    } else {
        Some(Bytes::copy_from_slice(name))
    };
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx) -> CmdResult {
    let mut ver = 0;
    let mut next = 1;
    if ctx.argv.len() >= 2 {
        ver = crate::util::parse_i64(ctx.arg(1)).ok_or_else(|| {
            CmdError::msg("ERR Protocol version is not an integer or out of range")
        })?;
        if !(2..=3).contains(&ver) {
            return Err(CmdError::msg("NOPROTO unsupported protocol version"));
        }
        next = 2;
    }
    let mut creds = None;
    let mut name = None;
    let argc = ctx.argv.len();
    let mut j = next;
    while j < argc {
        let more = argc - 1 - j;
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            if j + 2 < 64 {
                ctx.client.redacted |= (1 << (j + 1)) | (1 << (j + 2));
            }
            creds = Some((ctx.arg(j + 1), ctx.arg(j + 2)));
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            name = Some(ctx.arg(j + 1));
            j += 2;
        } else {
            return Err(CmdError::Msg(
                format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(opt)
                )
                .into(),
            ));
        }
    }
    if let Some((user, pass)) = creds {
        if !check_credentials(ctx, user, pass) {
            return Err(CmdError::msg(WRONGPASS));
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated && ctx.srv.auth_required() {
        return Err(CmdError::msg(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        ));
    }
    if let Some(n) = name {
        valid_name(n)?;
        set_name(ctx, n);
    }
    if ver != 0 {
        ctx.client.resp3 = ver == 3;
        ctx.out.resp3 = ver == 3;
    }
    let out = &mut ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(b"7.0.15");
    out.bulk(b"proto");
    out.int(if ctx.client.resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(ctx.client.info.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

/// RESET
fn reset(ctx: &mut Ctx) -> CmdResult {
    super::transactions::discard_transaction(ctx.srv, ctx.client);
    ctx.srv.pubsub.unsubscribe_all(ctx.client);
    let c = &mut *ctx.client;
    if c.info.monitor.swap(false, Ordering::SeqCst) {
        ctx.srv.monitors.remove(c.info.id);
    }
    c.db = 0;
    c.resp3 = false;
    c.authenticated = !ctx.srv.auth_required();
    *c.info.name.lock() = None;
    c.info.no_evict.store(false, Ordering::Relaxed);
    // Redis clears REPLY OFF and a pending SKIP, but not the skip of this very command.
    if c.reply_mode == ReplyMode::Off {
        c.reply_mode = ReplyMode::On;
    }
    c.skip_next = false;
    c.info.reply_off.store(false, Ordering::Relaxed);
    ctx.out.resp3 = false;
    ctx.out.raw(b"+RESET\r\n");
    Ok(())
}

/// MONITOR
fn monitor(ctx: &mut Ctx) -> CmdResult {
    // Redis ignores MONITOR from a client already monitoring: no reply at all.
    if ctx.client.info.monitor.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    ctx.srv.monitors.add(ctx.client.info.clone());
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// CLIENT

const CLIENT_HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
];

/// CLIENT HELP
fn client_help(ctx: &mut Ctx) -> CmdResult {
    ctx.out.array(CLIENT_HELP.len());
    for l in CLIENT_HELP {
        ctx.out.simple(l);
    }
    Ok(())
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.client.info.id as i64);
    Ok(())
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.client.info.name.lock().clone();
    match name {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// CLIENT SETNAME connection-name
fn client_setname(ctx: &mut Ctx) -> CmdResult {
    valid_name(ctx.arg(2))?;
    set_name(ctx, ctx.arg(2));
    ctx.out.ok();
    Ok(())
}

/// Client types as Redis's `getClientTypeByName` knows them. Herald has no masters or
/// replicas (monitors are of type normal, as in Redis), so those match no client.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

fn client_type(name: &[u8]) -> Result<ClientType, CmdError> {
    let t = name.to_ascii_lowercase();
    Ok(match &t[..] {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"pubsub" => ClientType::PubSub,
        b"master" => ClientType::Master,
        _ => {
            return Err(CmdError::Msg(
                format!(
                    "ERR Unknown client type '{}'",
                    String::from_utf8_lossy(name)
                )
                .into(),
            ))
        }
    })
}

fn type_of(c: &ClientInfo) -> ClientType {
    if c.type_name() == "pubsub" {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

/// Appends one CLIENT LIST line (without the newline) for `c`, in Redis 7.0's field order.
fn client_line(ctx: &Ctx, c: &ClientInfo, out: &mut Vec<u8>) {
    use std::io::Write;
    let me = c.id == ctx.client.info.id;
    let now_s = crate::util::now_ms() / 1000;
    let (db, cmd_id, argv_mem) = if me {
        let argv: usize = ctx.argv.iter().map(|a| a.len()).sum();
        (ctx.client.db, ctx.cmd.id, argv)
    } else {
        (
            c.db.load(Ordering::Relaxed),
            c.last_cmd.load(Ordering::Relaxed),
            0,
        )
    };
    let mut flags = String::new();
    if c.monitor.load(Ordering::Relaxed) {
        flags.push('O');
    }
    if c.pubsub.load(Ordering::Relaxed) {
        flags.push('P');
    }
    let multi = c.multi.load(Ordering::Relaxed);
    if multi >= 0 {
        flags.push('x');
    }
    if c.blocked.load(Ordering::Relaxed) {
        flags.push('b');
    }
    if me && ctx.client.close_after_reply {
        flags.push('c');
    }
    if c.is_killed() {
        flags.push('A');
    }
    if c.no_evict.load(Ordering::Relaxed) {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let qbuf = c.qbuf.load(Ordering::Relaxed);
    let qcap = c.qbuf_cap.load(Ordering::Relaxed);
    let obl = c.obuf.load(Ordering::Relaxed);
    let oll = c.outbound.pending_frames();
    let omem = c.outbound.pending_bytes();
    let tot = std::mem::size_of::<ClientInfo>()
        + std::mem::size_of::<crate::client::Client>()
        + qcap
        + argv_mem
        + obl
        + omem;
    let cmd = super::table()
        .commands
        .get(cmd_id)
        .map_or("NULL", |c| c.full_name.as_str());
    let name = c.name.lock().clone().unwrap_or_default();
    let last_s = c.last_interaction_ms.load(Ordering::Relaxed) / 1000;
    let _ = write!(
        out,
        "id={} addr={} laddr={} fd={} name=",
        c.id, c.addr, c.laddr, c.fd
    );
    out.extend_from_slice(&name);
    let _ = write!(
        out,
        " age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} \
         argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} \
         cmd={} user=default redir=-1 resp={}",
        now_s.saturating_sub(c.created_ms / 1000),
        if me { 0 } else { now_s.saturating_sub(last_s) },
        flags,
        db,
        c.subs.load(Ordering::Relaxed),
        c.psubs.load(Ordering::Relaxed),
        c.ssubs.load(Ordering::Relaxed),
        multi,
        qbuf,
        qcap.saturating_sub(qbuf),
        argv_mem,
        qcap,
        c.qbuf_peak.load(Ordering::Relaxed),
        obl,
        oll,
        omem,
        tot,
        if obl + omem > 0 { "rw" } else { "r" },
        cmd,
        if me {
            if ctx.client.resp3 {
                3
            } else {
                2
            }
        } else {
            c.resp.load(Ordering::Relaxed)
        },
    );
}

/// Every live client, in connection order (Redis lists `server.clients` oldest first).
fn all_clients(ctx: &Ctx) -> Vec<Arc<ClientInfo>> {
    let mut v: Vec<Arc<ClientInfo>> = ctx
        .srv
        .clients
        .iter()
        .map(|e| e.value().clone())
        .filter(|c| !c.is_killed())
        .collect();
    v.sort_by_key(|c| c.id);
    v
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID client-id [client-id ...]]
fn client_list(ctx: &mut Ctx) -> CmdResult {
    let argc = ctx.argv.len();
    let mut out = Vec::new();
    if argc == 4 && ctx.arg(2).eq_ignore_ascii_case(b"type") {
        let t = client_type(ctx.arg(3))?;
        for c in all_clients(ctx).iter().filter(|c| type_of(c) == t) {
            client_line(ctx, c, &mut out);
            out.push(b'\n');
        }
    } else if argc > 3 && ctx.arg(2).eq_ignore_ascii_case(b"id") {
        let mut ids = Vec::with_capacity(argc - 3);
        for i in 3..argc {
            ids.push(
                crate::util::parse_i64(ctx.arg(i))
                    .ok_or_else(|| CmdError::msg("ERR Invalid client ID"))?,
            );
        }
        for id in ids {
            let found = u64::try_from(id)
                .ok()
                .and_then(|id| ctx.srv.clients.get(&id).map(|e| e.value().clone()));
            if let Some(c) = found.filter(|c| !c.is_killed()) {
                client_line(ctx, &c, &mut out);
                out.push(b'\n');
            }
        }
    } else if argc != 2 {
        return Err(CmdError::Syntax);
    } else {
        for c in all_clients(ctx) {
            client_line(ctx, &c, &mut out);
            out.push(b'\n');
        }
    }
    ctx.out.verbatim(&out);
    Ok(())
}

/// CLIENT INFO
fn client_info(ctx: &mut Ctx) -> CmdResult {
    let mut out = Vec::new();
    let me = ctx.client.info.clone();
    client_line(ctx, &me, &mut out);
    out.push(b'\n');
    ctx.out.verbatim(&out);
    Ok(())
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port]
/// [LADDR ip:port] [SKIPME yes|no] ...
fn client_kill(ctx: &mut Ctx) -> CmdResult {
    let argc = ctx.argv.len();
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut ctype = None;
    let mut id = 0u64;
    let mut skipme = true;
    if argc == 3 {
        // The old form may kill the caller itself.
        addr = Some(ctx.arg(2));
        skipme = false;
    } else {
        let mut i = 2;
        while i < argc {
            let more = argc > i + 1;
            let opt = ctx.arg(i);
            let val = ctx.arg(i + 1);
            if !more {
                return Err(CmdError::Syntax);
            }
            if opt.eq_ignore_ascii_case(b"id") {
                id = crate::util::parse_i64(val)
                    .filter(|&v| v >= 1)
                    .ok_or_else(|| CmdError::msg("ERR client-id should be greater than 0"))?
                    as u64;
            } else if opt.eq_ignore_ascii_case(b"type") {
                ctype = Some(client_type(val)?);
            } else if opt.eq_ignore_ascii_case(b"addr") {
                addr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"laddr") {
                laddr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"user") {
                if val != b"default" {
                    return Err(CmdError::Msg(
                        format!("ERR No such user '{}'", String::from_utf8_lossy(val)).into(),
                    ));
                }
            } else if opt.eq_ignore_ascii_case(b"skipme") {
                if val.eq_ignore_ascii_case(b"yes") {
                    skipme = true;
                } else if val.eq_ignore_ascii_case(b"no") {
                    skipme = false;
                } else {
                    return Err(CmdError::Syntax);
                }
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
    }
    let my_id = ctx.client.info.id;
    let mut killed = 0i64;
    let mut kill_me = false;
    for c in all_clients(ctx) {
        if addr.is_some_and(|a| a != c.addr.to_string().as_bytes())
            || laddr.is_some_and(|a| a != c.laddr.to_string().as_bytes())
            || ctype.is_some_and(|t| type_of(&c) != t)
            || (id != 0 && c.id != id)
            || (c.id == my_id && skipme)
        {
            continue;
        }
        if c.id == my_id {
            kill_me = true;
        } else {
            c.request_kill();
        }
        killed += 1;
    }
    if argc == 3 {
        if killed == 0 {
            return Err(CmdError::msg("ERR No such client"));
        }
        ctx.out.ok();
    } else {
        ctx.out.int(killed);
    }
    if kill_me {
        ctx.client.close_after_reply = true;
    }
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP
fn client_reply(ctx: &mut Ctx) -> CmdResult {
    let v = ctx.arg(2);
    let c = &mut *ctx.client;
    if v.eq_ignore_ascii_case(b"on") {
        c.reply_mode = ReplyMode::On;
        c.info.reply_off.store(false, Ordering::Relaxed);
        ctx.out.ok();
    } else if v.eq_ignore_ascii_case(b"off") {
        c.reply_mode = ReplyMode::Off;
        c.info.reply_off.store(true, Ordering::Relaxed);
    } else if v.eq_ignore_ascii_case(b"skip") {
        if c.reply_mode != ReplyMode::Off {
            c.skip_next = true;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// CLIENT NO-EVICT ON|OFF
fn client_no_evict(ctx: &mut Ctx) -> CmdResult {
    let v = ctx.arg(2);
    let on = if v.eq_ignore_ascii_case(b"on") {
        true
    } else if v.eq_ignore_ascii_case(b"off") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    ctx.client.info.no_evict.store(on, Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
fn client_unblock(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() > 4 {
        return Err(super::subcommand_syntax_error(ctx.argv));
    }
    let error = match ctx.argv.get(3) {
        None => false,
        Some(a) if a.eq_ignore_ascii_case(b"timeout") => false,
        Some(a) if a.eq_ignore_ascii_case(b"error") => true,
        Some(_) => {
            return Err(CmdError::msg(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = ctx.int_arg(2)?;
    let waiter = ctx
        .srv
        .clients
        .get(&(id as u64))
        .and_then(|c| c.waiter.lock().clone());
    // The waiter is claimed by CAS: if a hand-off or its timeout won, nothing is unblocked.
    let unblocked = waiter.is_some_and(|w| {
        let reply = if error {
            b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n".to_vec()
        } else {
            crate::blocking::Waiter::timeout_reply(w.resp3)
        };
        w.try_cancel(Some(reply))
    });
    ctx.out.int(unblocked as i64);
    Ok(())
}

const CLIENT_FLAGS: Flags = Flags::NOSCRIPT.union(Flags::LOADING).union(Flags::STALE);
const CLIENT_ADMIN_FLAGS: Flags = Flags::ADMIN.union(CLIENT_FLAGS);

const CLIENT_SUBCOMMANDS: &[CommandDef] = &[
    cmd("help", 2, client_help)
        .flags(Flags::LOADING.union(Flags::STALE))
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    cmd("id", 2, client_id)
        .flags(CLIENT_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "5.0.0",
            "O(1)",
            "Returns the client ID for the current connection",
        ),
    cmd("getname", 2, client_getname)
        .flags(CLIENT_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "2.6.9",
            "O(1)",
            "Get the current connection name",
        ),
    cmd("setname", 3, client_setname)
        .flags(CLIENT_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "2.6.9",
            "O(1)",
            "Set the current connection name",
        ),
    cmd("list", -2, client_list)
        .flags(CLIENT_ADMIN_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Get the list of client connections",
        ),
    cmd("info", 2, client_info)
        .flags(CLIENT_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "6.2.0",
            "O(1)",
            "Returns information about the current client connection.",
        ),
    cmd("kill", -3, client_kill)
        .flags(CLIENT_ADMIN_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "2.4.0",
            "O(N) where N is the number of client connections",
            "Kill the connection of a client",
        ),
    cmd("reply", 3, client_reply)
        .flags(CLIENT_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "3.2.0",
            "O(1)",
            "Instruct the server whether to reply to commands",
        ),
    cmd("unblock", -3, client_unblock)
        .flags(CLIENT_ADMIN_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "5.0.0",
            "O(log N) where N is the number of client connections",
            "Unblock a client blocked in a blocking command from a different connection",
        ),
    cmd("no-evict", 3, client_no_evict)
        .flags(CLIENT_ADMIN_FLAGS)
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "7.0.0",
            "O(1)",
            "Set client eviction mode for the current connection",
        ),
];

pub const COMMANDS: &[CommandDef] = &[
    cmd("ping", -1, ping)
        .flags(Flags::FAST)
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "1.0.0", "O(1)", "Ping the server"),
    cmd("echo", 2, echo)
        .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "1.0.0", "O(1)", "Echo the given string"),
    cmd("select", 2, select)
        .flags(Flags::LOADING.union(Flags::STALE).union(Flags::FAST))
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "1.0.0",
            "O(1)",
            "Change the selected database for the current connection",
        ),
    cmd("quit", -1, quit)
        .flags(
            Flags::ALLOW_BUSY
                .union(Flags::NOSCRIPT)
                .union(Flags::LOADING)
                .union(Flags::STALE)
                .union(Flags::FAST)
                .union(Flags::NO_AUTH),
        )
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "1.0.0", "O(1)", "Close the connection"),
    cmd("auth", -2, auth)
        .flags(
            Flags::NOSCRIPT
                .union(Flags::LOADING)
                .union(Flags::STALE)
                .union(Flags::FAST)
                .union(Flags::NO_AUTH)
                .union(Flags::ALLOW_BUSY),
        )
        .acl(Acl::CONNECTION)
        .doc(
            Group::Connection,
            "1.0.0",
            "O(N) where N is the number of passwords defined for the user",
            "Authenticate to the server",
        ),
    cmd("hello", -1, hello)
        .flags(
            Flags::NOSCRIPT
                .union(Flags::LOADING)
                .union(Flags::STALE)
                .union(Flags::FAST)
                .union(Flags::NO_AUTH)
                .union(Flags::ALLOW_BUSY),
        )
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "6.0.0", "O(1)", "Handshake with Redis"),
    cmd("reset", 1, reset)
        .flags(
            Flags::NOSCRIPT
                .union(Flags::LOADING)
                .union(Flags::STALE)
                .union(Flags::FAST)
                .union(Flags::NO_AUTH)
                .union(Flags::ALLOW_BUSY),
        )
        .acl(Acl::CONNECTION)
        .doc(Group::Connection, "6.2.0", "O(1)", "Reset the connection"),
    cmd("monitor", 1, monitor).flags(CLIENT_ADMIN_FLAGS).doc(
        Group::Server,
        "1.0.0",
        "",
        "Listen for all requests received by the server in real time",
    ),
    cmd("client", -2, client_help).subs(CLIENT_SUBCOMMANDS).doc(
        Group::Connection,
        "2.4.0",
        "Depends on subcommand.",
        "A container for client connection commands",
    ),
];
