//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL, FCALL_RO
//! (Redis's `eval.c` and `functions.c`). The VM, the environment and the conversions live in
//! [`crate::scripting`]; this file parses arguments and replies.
//!
//! EVAL and FCALL take the exclusive world lock, like EXEC: nothing else runs while a script
//! does (other clients are answered -BUSY past `busy-reply-threshold`, by the dispatch gate).

use bytes::Bytes;

use super::{
    cmd, subcommand_syntax_error, Acl, CmdError, CmdResult, CommandDef, Ctx, Flags, Group, KeySpec,
    Lock,
};
use crate::protocol::Out;
use crate::scripting::functions::{self, Library};
use crate::scripting::{self as sc, ScriptFlags, Target};
use crate::server::Server;

/// Redis's numkeys checks (after parsing it as an integer with `not_integer`).
fn split_keys(argv: &[Bytes], not_integer: CmdError) -> Result<(&[Bytes], &[Bytes]), CmdError> {
    let n = crate::util::parse_i64(super::arg(argv, 2)).ok_or(not_integer)?;
    let rest = argv.get(3..).unwrap_or_default();
    if n > rest.len() as i64 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if n < 0 {
        return Err(CmdError::msg("ERR Number of keys can't be negative"));
    }
    Ok(rest.split_at(n as usize))
}

fn eval_generic(ctx: &mut Ctx, evalsha: bool, ro: bool) -> CmdResult {
    let argv = ctx.argv;
    let (keys, args) = split_keys(argv, CmdError::NotInteger)?;
    let body = ctx.arg(1);
    let sha = if evalsha {
        sc::sha_key(body)
            .ok_or_else(|| CmdError::msg("NOSCRIPT No matching script. Please use EVAL."))?
    } else {
        let mut st = ctx.srv.scripting.state.lock();
        let sha = sc::load_script(&mut st, body)?;
        ctx.srv.scripting.refresh(&st);
        sha
    };
    sc::run(ctx, Target::Eval { sha }, keys, args, ro)
}

/// EVAL script numkeys [key ...] [arg ...]
fn eval(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, false, false)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
fn evalsha(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, true, false)
}

/// EVAL_RO script numkeys [key ...] [arg ...]
fn eval_ro(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, false, true)
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
fn evalsha_ro(ctx: &mut Ctx) -> CmdResult {
    eval_generic(ctx, true, true)
}

fn fcall_generic(ctx: &mut Ctx, ro: bool) -> CmdResult {
    let name = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    if ctx
        .srv
        .scripting
        .state
        .lock()
        .libs
        .function(&name)
        .is_none()
    {
        return Err(CmdError::msg("ERR Function not found"));
    }
    let (keys, args) = split_keys(ctx.argv, CmdError::msg("ERR Bad number of keys provided"))?;
    sc::run(ctx, Target::Function { name }, keys, args, ro)
}

/// FCALL function numkeys [key ...] [arg ...]
fn fcall(ctx: &mut Ctx) -> CmdResult {
    fcall_generic(ctx, false)
}

/// FCALL_RO function numkeys [key ...] [arg ...]
fn fcall_ro(ctx: &mut Ctx) -> CmdResult {
    fcall_generic(ctx, true)
}

// ---------------------------------------------------------------------------------------------
// SCRIPT

/// SCRIPT LOAD script
fn script_load(ctx: &mut Ctx) -> CmdResult {
    let mut st = ctx.srv.scripting.state.lock();
    let sha = sc::load_script(&mut st, ctx.arg(2))?;
    ctx.srv.scripting.refresh(&st);
    ctx.out.bulk(&sha);
    Ok(())
}

/// SCRIPT EXISTS sha1 [sha1 ...]
fn script_exists(ctx: &mut Ctx) -> CmdResult {
    let st = ctx.srv.scripting.state.lock();
    ctx.out.array(ctx.argv.len() - 2);
    for sha in &ctx.argv[2..] {
        let cached = sc::sha_key(sha).is_some_and(|k| st.scripts.contains_key(&k));
        ctx.out.int(cached as i64);
    }
    Ok(())
}

/// Validates FLUSH's optional ASYNC|SYNC argument.
fn flush_mode(ctx: &Ctx, err: &'static str) -> Result<(), CmdError> {
    match ctx.argv.get(2) {
        None => Ok(()),
        Some(a)
            if ctx.argv.len() == 3
                && (a.eq_ignore_ascii_case(b"async") || a.eq_ignore_ascii_case(b"sync")) =>
        {
            Ok(())
        }
        Some(_) => Err(CmdError::msg(err)),
    }
}

/// SCRIPT FLUSH [ASYNC|SYNC]
fn script_flush(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")?;
    let mut st = ctx.srv.scripting.state.lock();
    st.scripts.clear();
    st.scripts_bytes = 0;
    let _ = st.vm.lua.gc_collect();
    ctx.srv.scripting.refresh(&st);
    ctx.out.ok();
    Ok(())
}

/// SCRIPT KILL
fn script_kill(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.scripting.busy.kill(true)?;
    ctx.out.ok();
    Ok(())
}

fn help(out: &mut Out, lines: &[&str]) {
    out.array(lines.len());
    for l in lines {
        out.simple(l);
    }
}

/// SCRIPT HELP
fn script_help(ctx: &mut Ctx) -> CmdResult {
    help(
        &mut ctx.out,
        &[
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

/// SCRIPT / FUNCTION without a subcommand: dispatch resolves subcommands first, so this only
/// answers the bare container, with an arity error.
fn script_container(_ctx: &mut Ctx) -> CmdResult {
    Err(CmdError::WrongArity("script".into()))
}

fn function_container(_ctx: &mut Ctx) -> CmdResult {
    Err(CmdError::WrongArity("function".into()))
}

// ---------------------------------------------------------------------------------------------
// FUNCTION

/// Compiles and registers a library (Redis's `functionsCreateWithLibraryCtx`) into `libs`.
fn create_library(st: &mut sc::State, code: &[u8], replace: bool) -> Result<String, CmdError> {
    let (engine, name, skip) =
        functions::parse_header(code).map_err(|e| CmdError::Msg(e.into()))?;
    if !functions::valid_name(name.as_bytes()) {
        return Err(CmdError::msg("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(CmdError::err(format_args!("Engine '{engine}' not found")));
    }
    if st.libs.libs.contains_key(&name) && !replace {
        return Err(CmdError::err(format_args!(
            "Library '{name}' already exists"
        )));
    }
    let registered = st
        .vm
        .load_library(&code[skip..])
        .map_err(|e| CmdError::Msg(e.into()))?;
    if registered.is_empty() {
        return Err(CmdError::msg("ERR No functions registered"));
    }
    let lib = Library {
        name: name.clone(),
        code: Bytes::copy_from_slice(code),
        functions: registered,
    };
    st.libs
        .check(&lib, replace)
        .map_err(|e| CmdError::Msg(e.into()))?;
    st.libs.remove(&name);
    st.libs.insert(lib);
    Ok(name)
}

/// FUNCTION LOAD [REPLACE] function-code
fn function_load(ctx: &mut Ctx) -> CmdResult {
    let argc = ctx.argv.len();
    let mut replace = false;
    let mut i = 2;
    while i < argc - 1 {
        let a = &ctx.argv[i];
        i += 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
            continue;
        }
        return Err(CmdError::err(format_args!(
            "Unknown option given: {}",
            String::from_utf8_lossy(a)
        )));
    }
    if i >= argc {
        return Err(CmdError::msg("ERR Function code is missing"));
    }
    let mut st = ctx.srv.scripting.state.lock();
    let name = create_library(&mut st, &ctx.argv[i], replace)?;
    ctx.srv.scripting.refresh(&st);
    ctx.dirty += 1;
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

/// FUNCTION DELETE library-name
fn function_delete(ctx: &mut Ctx) -> CmdResult {
    let name = String::from_utf8_lossy(ctx.arg(2)).into_owned();
    let mut st = ctx.srv.scripting.state.lock();
    if st.libs.remove(&name).is_none() {
        return Err(CmdError::msg("ERR Library not found"));
    }
    ctx.srv.scripting.refresh(&st);
    ctx.dirty += 1;
    ctx.out.ok();
    Ok(())
}

/// FUNCTION FLUSH [ASYNC|SYNC]
fn function_flush(ctx: &mut Ctx) -> CmdResult {
    flush_mode(ctx, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option")?;
    let mut st = ctx.srv.scripting.state.lock();
    st.libs.clear();
    let _ = st.vm.lua.gc_collect();
    ctx.srv.scripting.refresh(&st);
    ctx.dirty += 1;
    ctx.out.ok();
    Ok(())
}

/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
fn function_list(ctx: &mut Ctx) -> CmdResult {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < ctx.argv.len() {
        let a = &ctx.argv[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
            i += 1;
            continue;
        }
        if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i >= ctx.argv.len() - 1 {
                return Err(CmdError::msg("ERR library name argument was not given"));
            }
            pattern = Some(&ctx.argv[i + 1]);
            i += 2;
            continue;
        }
        return Err(CmdError::err(format_args!(
            "Unknown argument {}",
            String::from_utf8_lossy(a)
        )));
    }
    let st = ctx.srv.scripting.state.lock();
    let libs: Vec<&Library> = st
        .libs
        .libs
        .values()
        .filter(|l| pattern.is_none_or(|p| crate::glob::matches(p, l.name.as_bytes(), false)))
        .collect();
    let out = &mut ctx.out;
    out.array(libs.len());
    for lib in libs {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(lib.functions.len());
        for f in &lib.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.description {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            let names: Vec<&str> = ScriptFlags::NAMES
                .iter()
                .filter(|(bit, _)| f.flags.has(*bit))
                .map(|(_, n)| *n)
                .collect();
            out.set(names.len());
            for n in names {
                out.simple(n);
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
    Ok(())
}

/// FUNCTION DUMP
fn function_dump(ctx: &mut Ctx) -> CmdResult {
    let st = ctx.srv.scripting.state.lock();
    let payload = functions::dump(&st.libs);
    ctx.out.bulk(&payload);
    Ok(())
}

/// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
fn function_restore(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() > 4 {
        return Err(subcommand_syntax_error(ctx.argv));
    }
    #[derive(PartialEq)]
    enum Policy {
        Flush,
        Append,
        Replace,
    }
    let policy =
        match ctx.argv.get(3) {
            None => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
            Some(p) if p.eq_ignore_ascii_case(b"append") => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
            Some(_) => return Err(CmdError::msg(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )),
        };
    let codes = functions::parse_dump(ctx.arg(2)).map_err(CmdError::msg)?;
    let mut st = ctx.srv.scripting.state.lock();
    // Build the restored set aside first, so a failure leaves the libraries unchanged.
    let old = std::mem::take(&mut st.libs);
    let mut restored = Ok(());
    for code in &codes {
        if let Err(e) = create_library(&mut st, code, false) {
            restored = Err(e);
            break;
        }
    }
    let new = std::mem::replace(&mut st.libs, old);
    restored?;
    if policy == Policy::Flush {
        st.libs = new;
    } else {
        for lib in new.libs.values() {
            if st.libs.libs.contains_key(&lib.name) && policy == Policy::Append {
                return Err(CmdError::err(format_args!(
                    "Library {} already exists",
                    lib.name
                )));
            }
        }
        let mut merged = std::mem::take(&mut st.libs);
        let mut new = new;
        let names: Vec<String> = new.libs.keys().cloned().collect();
        for name in names {
            let Some(lib) = new.remove(&name) else {
                continue;
            };
            if let Err(e) = merged.check(&lib, true) {
                st.libs = merged;
                return Err(CmdError::Msg(e.into()));
            }
            merged.remove(&name);
            merged.insert(lib);
        }
        st.libs = merged;
    }
    ctx.srv.scripting.refresh(&st);
    ctx.dirty += 1;
    ctx.out.ok();
    Ok(())
}

/// FUNCTION KILL
fn function_kill(ctx: &mut Ctx) -> CmdResult {
    ctx.srv.scripting.busy.kill(false)?;
    ctx.out.ok();
    Ok(())
}

/// FUNCTION STATS' reply, also written by the busy gate while a function runs.
pub fn write_function_stats(srv: &Server, out: &mut Out) {
    use std::sync::atomic::Ordering;
    let s = &srv.scripting;
    out.map(2);
    out.bulk(b"running_script");
    match s.busy.running_function() {
        None => out.null(),
        Some((name, argv, ms)) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name.as_bytes());
            out.bulk(b"command");
            out.bulks(argv.iter());
            out.bulk(b"duration_ms");
            out.int(ms as i64);
        }
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(s.libraries_count.load(Ordering::Relaxed) as i64);
    out.bulk(b"functions_count");
    out.int(s.functions_count.load(Ordering::Relaxed) as i64);
}

/// FUNCTION STATS
fn function_stats(ctx: &mut Ctx) -> CmdResult {
    write_function_stats(ctx.srv, &mut ctx.out);
    Ok(())
}

/// FUNCTION HELP
fn function_help(ctx: &mut Ctx) -> CmdResult {
    help(&mut ctx.out, &[
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ]);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The table

const RUN: Flags = Flags::NOSCRIPT
    .union(Flags::SKIP_MONITOR)
    .union(Flags::NO_MANDATORY_KEYS)
    .union(Flags::STALE)
    .union(Flags::MOVABLE_KEYS);
const RUN_RO: Flags = Flags::NOSCRIPT
    .union(Flags::SKIP_MONITOR)
    .union(Flags::NO_MANDATORY_KEYS)
    .union(Flags::STALE)
    .union(Flags::READONLY)
    .union(Flags::MOVABLE_KEYS);
const NUMKEYS: KeySpec = KeySpec::NumKeys { numkeys_at: 2 };
const HELP_FLAGS: Flags = Flags::LOADING.union(Flags::STALE);

const SCRIPT_SUBCOMMANDS: &[CommandDef] = &[
    cmd("exists", -3, script_exists)
        .flags(Flags::NOSCRIPT)
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "2.6.0",
            "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
            "Check existence of scripts in the script cache.",
        ),
    cmd("flush", -2, script_flush)
        .flags(Flags::NOSCRIPT)
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "2.6.0",
            "O(N) with N being the number of scripts in cache",
            "Remove all the scripts from the script cache.",
        ),
    cmd("help", 2, script_help)
        .flags(HELP_FLAGS)
        .acl(Acl::SCRIPTING)
        .doc(Group::Scripting, "5.0.0", "O(1)", "Show helpful text about the different subcommands"),
    cmd("kill", 2, script_kill)
        .flags(Flags::NOSCRIPT.union(Flags::ALLOW_BUSY))
        .acl(Acl::SCRIPTING)
        .doc(Group::Scripting, "2.6.0", "O(1)", "Kill the script currently in execution."),
    cmd("load", 3, script_load)
        .flags(Flags::NOSCRIPT.union(Flags::STALE))
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "2.6.0",
            "O(N) with N being the length in bytes of the script body.",
            "Load the specified Lua script into the script cache.",
        ),
];

const FUNCTION_SUBCOMMANDS: &[CommandDef] = &[
    cmd("delete", 3, function_delete)
        .flags(Flags::NOSCRIPT.union(Flags::WRITE))
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(1)",
            "Delete a function by name",
        ),
    cmd("dump", 2, function_dump)
        .flags(Flags::NOSCRIPT)
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(N) where N is the number of functions",
            "Dump all functions into a serialized binary payload",
        ),
    cmd("flush", -2, function_flush)
        .flags(Flags::NOSCRIPT.union(Flags::WRITE))
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(N) where N is the number of functions deleted",
            "Deleting all functions",
        ),
    cmd("help", 2, function_help)
        .flags(HELP_FLAGS)
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    cmd("kill", 2, function_kill)
        .flags(Flags::NOSCRIPT.union(Flags::ALLOW_BUSY))
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(1)",
            "Kill the function currently in execution.",
        ),
    cmd("list", -2, function_list)
        .flags(Flags::NOSCRIPT)
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(N) where N is the number of functions",
            "List information about all the functions",
        ),
    cmd("load", -3, function_load)
        .flags(Flags::NOSCRIPT.union(Flags::WRITE).union(Flags::DENYOOM))
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(1) (considering compilation time is redundant)",
            "Create a function with the given arguments (name, code, description)",
        ),
    cmd("restore", -3, function_restore)
        .flags(Flags::NOSCRIPT.union(Flags::WRITE).union(Flags::DENYOOM))
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(N) where N is the number of functions on the payload",
            "Restore all the functions on the given payload",
        ),
    cmd("stats", 2, function_stats)
        .flags(Flags::NOSCRIPT.union(Flags::ALLOW_BUSY))
        .acl(Acl::SCRIPTING)
        .doc(
            Group::Scripting,
            "7.0.0",
            "O(1)",
            "Return information about the function currently running (name, description, duration)",
        ),
];

pub const COMMANDS: &[CommandDef] = &[
    cmd("eval", -3, eval)
        .flags(RUN)
        .acl(Acl::SCRIPTING)
        .keyspec(NUMKEYS)
        .lock(Lock::World)
        .doc(
            Group::Scripting,
            "2.6.0",
            "Depends on the script that is executed.",
            "Execute a Lua script server side",
        ),
    cmd("evalsha", -3, evalsha)
        .flags(RUN)
        .acl(Acl::SCRIPTING)
        .keyspec(NUMKEYS)
        .lock(Lock::World)
        .doc(
            Group::Scripting,
            "2.6.0",
            "Depends on the script that is executed.",
            "Execute a Lua script server side",
        ),
    cmd("eval_ro", -3, eval_ro)
        .flags(RUN_RO)
        .acl(Acl::SCRIPTING)
        .keyspec(NUMKEYS)
        .lock(Lock::World)
        .doc(
            Group::Scripting,
            "7.0.0",
            "Depends on the script that is executed.",
            "Execute a read-only Lua script server side",
        ),
    cmd("evalsha_ro", -3, evalsha_ro)
        .flags(RUN_RO)
        .acl(Acl::SCRIPTING)
        .keyspec(NUMKEYS)
        .lock(Lock::World)
        .doc(
            Group::Scripting,
            "7.0.0",
            "Depends on the script that is executed.",
            "Execute a read-only Lua script server side",
        ),
    cmd("fcall", -3, fcall)
        .flags(RUN)
        .acl(Acl::SCRIPTING)
        .keyspec(NUMKEYS)
        .lock(Lock::World)
        .doc(
            Group::Scripting,
            "7.0.0",
            "Depends on the function that is executed.",
            "Invoke a function",
        ),
    cmd("fcall_ro", -3, fcall_ro)
        .flags(RUN_RO)
        .acl(Acl::SCRIPTING)
        .keyspec(NUMKEYS)
        .lock(Lock::World)
        .doc(
            Group::Scripting,
            "7.0.0",
            "Depends on the function that is executed.",
            "Invoke a read-only function",
        ),
    cmd("script", -2, script_container)
        .subs(SCRIPT_SUBCOMMANDS)
        .doc(
            Group::Scripting,
            "2.6.0",
            "Depends on subcommand.",
            "A container for Lua scripts management commands",
        ),
    cmd("function", -2, function_container)
        .subs(FUNCTION_SUBCOMMANDS)
        .doc(
            Group::Scripting,
            "7.0.0",
            "Depends on subcommand.",
            "A container for function commands",
        ),
];
