//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP, over the directive registry in
//! [`crate::config::registry`].
//!
//! CONFIG SET is all or nothing, as in Redis 7: every name is checked first (unknown,
//! immutable, protected, duplicate), then every value is parsed into a copy of the settings;
//! only when all succeed does the copy replace the live settings, after which the side effects
//! run (authentication on/off, log level, working directory). Everything else that reads the
//! settings (`timeout`, `maxclients`, `hz`, `slowlog-*`, `proto-max-bulk-len`, ...) reads them
//! afresh, so new values take effect at once.

use std::borrow::Cow;

use super::{cmd, CmdError, CmdResult, CommandDef, Ctx, Flags, Group};
use crate::config::registry::{self, Entry, HIDDEN, IMMUTABLE, MULTI_ARG, PROTECTED};
use crate::config::{glob_match, rewrite};

/// CONFIG GET parameter [parameter ...]
fn config_get(ctx: &mut Ctx) -> CmdResult {
    let settings = ctx.srv.config.read().clone();
    let mut matches: Vec<(String, Entry)> = Vec::new();
    let seen =
        |m: &[(String, Entry)], name: &str| m.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    for arg in &ctx.argv[2..] {
        let pat = String::from_utf8_lossy(arg);
        if !pat.contains(['[', '*', '?']) {
            if seen(&matches, &pat) {
                continue;
            }
            if let Some(e) = registry::lookup(&pat) {
                // An exact name is echoed as the client spelled it, as Redis does.
                matches.push((pat.into_owned(), e));
            }
            continue;
        }
        for e in registry::entries() {
            if e.dir.has(HIDDEN) || seen(&matches, e.name) {
                continue;
            }
            if glob_match(pat.as_bytes(), e.name.as_bytes(), true) {
                matches.push((e.name.to_string(), e));
            }
        }
    }
    ctx.out.map(matches.len());
    for (name, e) in &matches {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(settings.get(e.dir.name).as_bytes());
    }
    Ok(())
}

/// Whether `enable-protected-configs` lets this client change protected directives.
fn protected_allowed(ctx: &Ctx, policy: &str) -> bool {
    match policy {
        "yes" => true,
        "local" => ctx.client.info.addr.ip().is_loopback(),
        _ => false,
    }
}

/// CONFIG SET parameter value [parameter value ...]
fn config_set(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(String, String)> = ctx.argv[2..]
        .chunks(2)
        .map(|c| {
            (
                String::from_utf8_lossy(&c[0]).into_owned(),
                String::from_utf8_lossy(&c[1]).into_owned(),
            )
        })
        .collect();
    let policy = ctx.srv.config.read().get("enable-protected-configs");

    // Check every name first, in Redis's order of precedence.
    let mut unknown: Option<&str> = None;
    let mut failed: Option<(String, Cow<'static, str>)> = None;
    let mut entries: Vec<Entry> = Vec::with_capacity(pairs.len());
    for (name, _) in &pairs {
        let Some(e) = registry::lookup(name) else {
            if unknown.is_none() && failed.is_none() {
                unknown = Some(name);
            }
            continue;
        };
        if unknown.is_some() || failed.is_some() {
            continue;
        }
        if e.dir.has(IMMUTABLE) || (e.dir.has(PROTECTED) && !protected_allowed(ctx, &policy)) {
            let why = if e.dir.has(IMMUTABLE) {
                "can't set immutable config"
            } else {
                "can't set protected config"
            };
            failed = Some((name.clone(), why.into()));
            continue;
        }
        if entries.contains(&e) {
            failed = Some((name.clone(), "duplicate parameter".into()));
            continue;
        }
        entries.push(e);
    }
    if let Some(name) = unknown {
        return Err(CmdError::err(format_args!(
            "Unknown option or number of arguments for CONFIG SET - '{name}'"
        )));
    }
    if let Some((name, why)) = failed {
        return Err(set_failed(&name, &why));
    }

    // Parse every value into a copy; the live settings change only if all succeed.
    let mut live = ctx.srv.config.write();
    let mut next = live.clone();
    for (e, (_, value)) in entries.iter().zip(&pairs) {
        let args: Vec<String> = if e.dir.has(MULTI_ARG) {
            if value.is_empty() {
                Vec::new()
            } else {
                value.split(' ').map(str::to_string).collect()
            }
        } else {
            vec![value.clone()]
        };
        let current = next.get(e.dir.name);
        let v =
            registry::normalize(e.dir, &args, &current).map_err(|why| set_failed(e.name, &why))?;
        next.set_normalized(e.dir.name, &registry::after_config_set(e.dir.name, v));
    }
    let old_level = live.loglevel.clone();
    let old_dir = live.dir.clone();
    let old_aof = live.appendonly;
    *live = next;
    let (level, dir) = (live.loglevel.clone(), live.dir.clone());
    let new_aof = live.appendonly;
    drop(live);
    if new_aof != old_aof {
        if new_aof {
            // As Redis's startAppendOnly: a rewrite writes the first base, and logging starts at
            // its snapshot. It needs the world lock this command holds shared, so it starts on
            // its own thread once this command is over.
            let srv = ctx.srv.clone();
            std::thread::spawn(move || {
                if let Err(e) = crate::aof::rewrite::start(&srv, true, false) {
                    tracing::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: {e}");
                }
            });
        } else {
            ctx.srv.aof.turn_off();
        }
    }

    ctx.srv.refresh_hot_config();
    if level != old_level {
        crate::config::apply_loglevel(&level);
    }
    if dir != old_dir {
        if let Err(e) = std::env::set_current_dir(&dir) {
            tracing::warn!("CONFIG SET dir: cannot change directory to {dir}: {e}");
        }
    }
    ctx.out.ok();
    Ok(())
}

fn set_failed(name: &str, why: &str) -> CmdError {
    CmdError::err(format_args!(
        "CONFIG SET failed (possibly related to argument '{name}') - {why}"
    ))
}

/// CONFIG RESETSTAT
fn config_resetstat(ctx: &mut Ctx) -> CmdResult {
    ctx.client.stats.flush(&ctx.srv.stats);
    ctx.srv.stats.reset();
    ctx.out.ok();
    Ok(())
}

/// CONFIG REWRITE
fn config_rewrite(ctx: &mut Ctx) -> CmdResult {
    let settings = ctx.srv.config.read().clone();
    let Some(path) = settings.config_file.clone() else {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    };
    match rewrite::rewrite_config(std::path::Path::new(&path), &settings) {
        Ok(()) => {
            tracing::warn!("CONFIG REWRITE executed with success.");
            ctx.out.ok();
            Ok(())
        }
        Err(e) => {
            let why = registry::strerror(&e);
            tracing::warn!("CONFIG REWRITE failed: {why}");
            Err(CmdError::err(format_args!("Rewriting config file: {why}")))
        }
    }
}

/// CONFIG HELP
fn config_help(ctx: &mut Ctx) -> CmdResult {
    const HELP: &[&str] = &[
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(HELP.len());
    for l in HELP {
        ctx.out.simple(l);
    }
    Ok(())
}

/// CONFIG <subcommand>: dispatch always resolves a subcommand (or replies with the
/// unknown-subcommand error) before a handler runs, so this one only answers a bare CONFIG.
fn config_container(_ctx: &mut Ctx) -> CmdResult {
    Err(CmdError::WrongArity("config".into()))
}

const ADMIN: Flags = Flags::ADMIN
    .union(Flags::NOSCRIPT)
    .union(Flags::LOADING)
    .union(Flags::STALE);

const SUBCOMMANDS: &[CommandDef] = &[
    cmd("get", -3, config_get).flags(ADMIN).doc(
        Group::Server,
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Get the values of configuration parameters",
    ),
    cmd("set", -4, config_set).flags(ADMIN).doc(
        Group::Server,
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Set configuration parameters to the given values",
    ),
    cmd("resetstat", 2, config_resetstat).flags(ADMIN).doc(
        Group::Server,
        "2.0.0",
        "O(1)",
        "Reset the stats returned by INFO",
    ),
    cmd("rewrite", 2, config_rewrite).flags(ADMIN).doc(
        Group::Server,
        "2.8.0",
        "O(1)",
        "Rewrite the configuration file with the in memory configuration",
    ),
    cmd("help", 2, config_help)
        .flags(Flags::LOADING.union(Flags::STALE))
        .doc(
            Group::Server,
            "5.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
];

pub const COMMANDS: &[CommandDef] = &[cmd("config", -2, config_container).subs(SUBCOMMANDS).doc(
    Group::Server,
    "2.0.0",
    "Depends on subcommand.",
    "A container for server configuration commands",
)];
