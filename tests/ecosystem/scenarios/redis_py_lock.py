"""redis-py 8.1's `Lock`: a distributed lock whose release/extend/reacquire are Lua scripts.

The lock is acquired with SET NX PX; release, extend and reacquire run as EVALSHA (falling back
to EVAL on NOSCRIPT) of the scripts in `redis.lock.Lock`. Checks: acquire/owned/locked, extend
(adding to and replacing the TTL: the script adds a string ARGV to a number, Lua 5.1 coercion),
reacquire, release, the scripts are cached (SCRIPT EXISTS), a non-blocking and a bounded blocking
acquire that fail while the lock is held, a blocking acquire that succeeds once the holder
releases, LockNotOwnedError when a lock that expired and was taken by another owner is released
or extended (the other owner keeps it), and 4 processes x 25 lock-protected read-modify-write
increments that end at exactly 100.
"""
import hashlib
import multiprocessing
import threading
import time

import redis
from redis.exceptions import LockError, LockNotOwnedError
from redis.lock import Lock

from common import HOST, PORT, check, done, eq, scripts_run, wait_until

TIMEOUT = 20
WORKERS = 4
INCREMENTS = 25

r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
r.flushdb()
r.script_flush()
scripts_before = scripts_run(r)

# Acquire, extend, reacquire, release.
lock = r.lock("eco:lock", timeout=2)
check(lock.acquire(blocking=False), "free lock acquired")
check(lock.owned() and lock.locked(), "owned and locked after acquire")
token = lock.local.token
eq(r.get("eco:lock"), token, "the lock key holds the owner's token")
check(1000 < r.pttl("eco:lock") <= 2000, "TTL from timeout=2", r.pttl("eco:lock"))
check(lock.extend(3), "extend adds to the TTL")
check(4000 < r.pttl("eco:lock") <= 5000, "TTL after extend(3)", r.pttl("eco:lock"))
check(lock.extend(10, replace_ttl=True), "extend replaces the TTL")
check(9000 < r.pttl("eco:lock") <= 10000, "TTL after extend(10, replace_ttl)", r.pttl("eco:lock"))
check(lock.reacquire(), "reacquire")
check(1000 < r.pttl("eco:lock") <= 2000, "TTL back to the timeout after reacquire",
      r.pttl("eco:lock"))
lock.release()
eq(r.exists("eco:lock"), 0, "release deletes the key")
check(not lock.locked(), "unlocked after release")
try:
    lock.release()
    raise AssertionError("releasing an unlocked lock must raise")
except LockError as e:
    check(not isinstance(e, LockNotOwnedError), "client-side LockError for a second release", e)

# The three scripts ran through the script cache.
shas = [hashlib.sha1(s.encode()).hexdigest()
        for s in (Lock.LUA_RELEASE_SCRIPT, Lock.LUA_EXTEND_SCRIPT, Lock.LUA_REACQUIRE_SCRIPT)]
eq(r.script_exists(*shas), [True, True, True], "release/extend/reacquire scripts are cached")
check(scripts_run(r) - scripts_before >= 4, "extend, extend, reacquire, release ran as scripts",
      scripts_run(r) - scripts_before)

# Context manager.
with r.lock("eco:ctx", timeout=5) as held:
    check(held.owned(), "owned inside `with`")
    eq(r.exists("eco:ctx"), 1, "key exists inside `with`")
eq(r.exists("eco:ctx"), 0, "released when `with` ends")

# Contention: non-blocking and bounded blocking acquires fail while another owner holds it.
# thread_local=False: the holder's token is released from another thread below.
holder = r.lock("eco:busy", timeout=10, thread_local=False)
check(holder.acquire(), "holder acquires")
other = redis.Redis(host=HOST, port=PORT, socket_timeout=10).lock("eco:busy", timeout=10)
check(not other.acquire(blocking=False), "non-blocking acquire of a held lock fails")
t0 = time.monotonic()
check(not other.acquire(blocking_timeout=0.3, sleep=0.05), "bounded blocking acquire gives up")
waited = time.monotonic() - t0
check(0.2 <= waited < 3, "gave up after about blocking_timeout", waited)
check(holder.owned() and not other.owned(), "holder still owns it")
try:
    other.release()
    raise AssertionError("releasing a lock never acquired must raise")
except LockError:
    pass

# A blocking acquire succeeds once the holder releases (from another thread, 0.3 s later).
releaser = threading.Timer(0.3, holder.release)
t0 = time.monotonic()
releaser.start()
check(other.acquire(blocking_timeout=10, sleep=0.02), "blocking acquire succeeds after release")
waited = time.monotonic() - t0
releaser.join()
check(0.25 <= waited < 5, "acquired after the holder released", waited)
check(other.owned() and not holder.owned(), "ownership passed to the waiter")
other.release()

# An owner whose lock expired and was taken by someone else gets LockNotOwnedError.
a = r.lock("eco:expiring", timeout=0.2)
check(a.acquire(), "a acquires with a 200 ms timeout")
wait_until(lambda: r.exists("eco:expiring") == 0, TIMEOUT, "the lock to expire")
b = r.lock("eco:expiring", timeout=10)
check(b.acquire(blocking=False), "b acquires the expired lock")
a_token = a.local.token
try:
    a.extend(5)
    raise AssertionError("extending a lock owned by another must raise")
except LockNotOwnedError:
    pass
try:
    a.release()
    raise AssertionError("releasing a lock owned by another must raise")
except LockNotOwnedError:
    pass
try:
    a.local.token = a_token
    a.reacquire()
    raise AssertionError("reacquiring a lock owned by another must raise")
except LockNotOwnedError:
    pass
eq(r.get("eco:expiring"), b.local.token, "b's token survives a's release attempt")
check(b.owned(), "b still owns the lock")
check(r.pttl("eco:expiring") > 9000, "a's extend did not touch b's TTL", r.pttl("eco:expiring"))
b.release()
eq(r.exists("eco:expiring"), 0, "b releases")


# Processes: read-modify-write under the lock, so no increment is lost.
def worker(n):
    c = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
    for i in range(INCREMENTS):
        with c.lock("eco:counter-lock", timeout=10, blocking_timeout=TIMEOUT, sleep=0.001):
            v = int(c.get("eco:counter") or 0)
            c.rpush("eco:log", f"{n}:{i}")
            c.set("eco:counter", v + 1)


ctx = multiprocessing.get_context("fork")
procs = [ctx.Process(target=worker, args=(n,)) for n in range(WORKERS)]
for p in procs:
    p.start()
try:
    for p in procs:
        p.join(TIMEOUT * 3)
        eq(p.exitcode, 0, "lock worker process exit code")
finally:
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()
eq(int(r.get("eco:counter")), WORKERS * INCREMENTS, "no increment lost under the lock")
log = [x.decode() for x in r.lrange("eco:log", 0, -1)]
eq(len(log), WORKERS * INCREMENTS, "every critical section ran once")
for n in range(WORKERS):
    mine = [x for x in log if x.startswith(f"{n}:")]
    eq(mine, [f"{n}:{i}" for i in range(INCREMENTS)], f"worker {n}'s increments in order")
eq(r.exists("eco:counter-lock"), 0, "lock free at the end")

r.flushdb()
done("redis_py_lock")
