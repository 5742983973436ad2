-- Herald's Lua environment, run once when the VM starts (chunk name "=herald"; frames from
-- this chunk are skipped when an error is attributed to a script line).
--
-- The tables a script must not modify (the globals, the libraries, `redis`, the string
-- metatable) are read-only tables of Herald's Lua (vendor/lua-src, Redis's patch): every write,
-- however it is made, raises "Attempt to modify a readonly table". The environment of FUNCTION
-- libraries is the one proxy left: an empty table whose metatable forwards reads (to a different
-- table while a library loads) and refuses writes; the raw-access functions (rawset, rawget,
-- next, pairs, ipairs, setmetatable, getmetatable) see through it.
local G, raw = ...

local type_, error_, tostring_, select_, unpack_ = type, error, tostring, select, unpack
local rawset_, rawget_, next_, ipairs_, pcall_, xpcall_ = rawset, rawget, next, ipairs, pcall, xpcall
local pairs_ = pairs
local setmeta, getmeta, setfenv_, loadstring_, load_ = setmetatable, getmetatable, setfenv, loadstring, load
local dbg = debug

local RO = "Attempt to modify a readonly table"
local readonly = setmeta({}, { __mode = "k" }) -- proxy -> what it reads through

local function deny()
  error_(RO, 2)
end

local function nonexistent(_, k)
  error_("Script attempted to access nonexistent global variable '" .. tostring_(k) .. "'", 2)
end

-- Makes `t` and its metatable read-only; `strict` first makes reading a missing key an error
-- (the globals, and the tables of the FUNCTION LOAD environment). Returns `t`.
local function protect(t, strict)
  if strict then
    setmeta(t, { __index = nonexistent })
  end
  local mt = getmeta(t)
  if mt then
    raw.readonly(mt)
  end
  raw.readonly(t)
  return t
end

-- Base functions Redis 7.0 removes.
for _, name in ipairs_({ "print", "getfenv", "setfenv", "dofile", "loadfile", "require", "module",
  "newproxy", "package", "debug", "os", "io" }) do
  rawset_(G, name, nil)
end

local function real(t)
  return readonly[t] or t
end

local wrapped_next = function(t, k)
  return next_(real(t), k)
end

-- Functions compiled by loadstring/load run in the script environment, not the real globals;
-- precompiled (binary) chunks are refused.
local env_of_scripts

local function sandboxed(f, e)
  if f then
    setfenv_(f, env_of_scripts)
  end
  return f, e
end

local base = {
  rawset = function(t, k, v)
    if readonly[t] then
      error_(RO, 0)
    end
    return rawset_(t, k, v)
  end,
  rawget = function(t, k)
    return rawget_(real(t), k)
  end,
  next = wrapped_next,
  pairs = function(t)
    if type_(t) ~= "table" then
      return pairs_(t)
    end
    return wrapped_next, t, nil
  end,
  ipairs = function(t)
    return ipairs_(real(t))
  end,
  setmetatable = function(t, mt)
    if readonly[t] then
      error_(RO, 0)
    end
    return setmeta(t, mt)
  end,
  getmetatable = function(t)
    if readonly[t] then
      return nil
    end
    return getmeta(t)
  end,
  loadstring = function(s, name)
    if type_(s) == "string" and s:byte(1) == 27 then
      return nil, "attempt to load a binary chunk"
    end
    return sandboxed(loadstring_(s, name))
  end,
  load = function(reader, name)
    local first = true
    local function checked()
      local piece = reader()
      if first and type_(piece) == "string" and #piece > 0 then
        first = false
        if piece:byte(1) == 27 then
          error_("attempt to load a binary chunk", 0)
        end
      end
      return piece
    end
    return sandboxed(load_(checked, name))
  end,
  -- Redis's pcall hands a script the message of an error table, not the table.
  pcall = nil,
}
local function pcall_result(ok, ...)
  if ok then
    return ok, ...
  end
  local e = ...
  if type_(e) == "table" then
    local m = e.err
    if type_(m) == "string" or type_(m) == "number" then
      return false, m
    end
  end
  return false, e
end
base.pcall = function(...)
  return pcall_result(pcall_(...))
end
-- A script stopped by SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE cannot catch that.
local function rethrow_kill(ok, ...)
  if not ok and raw.killed() then
    error_((...), 0)
  end
  return ok, ...
end
local base_pcall = base.pcall
base.pcall = function(...)
  return rethrow_kill(base_pcall(...))
end
base.xpcall = function(f, h)
  return rethrow_kill(xpcall_(f, h))
end
for k, v in next_, base do
  rawset_(G, k, v)
end

-- math.random / math.randomseed: Redis's own rand48 generator.
local math_ = rawget_(G, "math")
math_.random = raw.random
math_.randomseed = raw.randomseed

-- Errors raised by Rust callbacks arrive as (false, err) pairs and are raised by a C wrapper,
-- so a script always sees Lua values (tables or strings), never binding-specific userdata.
local function raising(f)
  return raw.cwrap(f, false)
end

local function redis_table(for_functions)
  local r = {
    call = raw.call,
    pcall = raw.pcall,
    error_reply = raw.error_reply,
    status_reply = raw.status_reply,
    sha1hex = raising(raw.sha1hex),
    log = raising(raw.log),
    setresp = raising(raw.setresp),
    set_repl = raising(raw.set_repl),
    acl_check_cmd = raising(raw.acl_check_cmd),
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
    REDIS_VERSION = raw.version, REDIS_VERSION_NUM = raw.version_num,
  }
  if not for_functions then
    r.replicate_commands = function() return true end
    r.breakpoint = function() return false end
    r.debug = function() end
  end
  return r
end

-- The error handler of every script call: turns any error into Redis's error table and records
-- where in the user's code it was raised.
local function err_handler(err)
  local level, info = 2, nil
  while true do
    info = dbg.getinfo(level, "Sl")
    if not info then
      break
    end
    if info.what ~= "C" and info.source ~= "=herald" then
      break
    end
    level = level + 1
  end
  if type_(err) == "userdata" then
    err = { err = raw.failure(err) }
  elseif type_(err) ~= "table" then
    err = { err = "ERR " .. tostring_(err) }
  end
  if info then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end
rawset_(G, "__redis__err__handler", err_handler)

-- Library tables become read-only.
for _, name in ipairs_({ "string", "table", "math", "coroutine", "cjson", "cmsgpack", "struct", "bit" }) do
  local t = rawget_(G, name)
  if t then
    protect(t)
  end
end
protect(getmeta(""))
rawset_(G, "redis", protect(redis_table(false)))

-- The environment of EVAL scripts: the globals, read-only. KEYS and ARGV exist from the start,
-- so each call replaces them without allocating while the globals are writable (invoke.rs).
rawset_(G, "KEYS", {})
rawset_(G, "ARGV", {})
env_of_scripts = protect(G, true)

-- FUNCTION libraries: while the library code runs, its globals hold only the registration API;
-- afterwards its functions see the script globals without KEYS/ARGV and a reduced `redis`.
local fn_redis = protect(redis_table(true))
local fn_run = setmeta({}, {
  __index = function(_, k)
    if k == "redis" then
      return fn_redis
    end
    local v = rawget_(G, k)
    if v == nil or k == "KEYS" or k == "ARGV" then
      error_("Script attempted to access nonexistent global variable '" .. tostring_(k) .. "'", 2)
    end
    return v
  end,
})
local load_redis = protect({
  register_function = raising(raw.register_function),
  log = raising(raw.log),
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = raw.version, REDIS_VERSION_NUM = raw.version_num,
}, true)
local load_api = setmeta({ redis = load_redis }, { __index = nonexistent })
local fn_env_mt = { __index = fn_run, __newindex = deny }
local env_of_functions = setmeta({}, fn_env_mt)
readonly[env_of_functions] = fn_run

local function set_loading(loading)
  fn_env_mt.__index = loading and load_api or fn_run
end

-- Runs `f(...)` under the error handler: returns true, result or false, error table.
local function run(f, ...)
  local n = select_("#", ...)
  if n == 0 then
    return xpcall_(f, err_handler)
  end
  local args = { ... }
  return xpcall_(function()
    return f(unpack_(args, 1, n))
  end, err_handler)
end

return run, env_of_scripts, env_of_functions, set_loading
