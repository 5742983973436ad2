"""redis-py 8.x: WATCH-based optimistic locking under contention from several processes.

4 worker processes each do 50 increments of one counter with WATCH/GET/MULTI/SET/EXEC, retrying
on WatchError; the final value must be exactly 200 (a lost update means WATCH failed to abort a
transaction). Also checks deterministically that another client's write aborts EXEC (nil ->
WatchError), that UNWATCH / a fresh WATCH lets it through, and the `Redis.transaction` helper.
Workers are subprocesses of this script (`worker` argument), stopped by PID.
"""
import subprocess
import sys
import time

import redis

from common import HOST, PORT, check, done, eq, stop_process

WORKERS = 4
INCREMENTS = 50


def worker():
    r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
    # Start together to maximise contention.
    deadline = time.monotonic() + 20
    while not r.exists("go"):
        if time.monotonic() > deadline:
            sys.exit("no go signal")
        time.sleep(0.001)
    retries = 0
    with r.pipeline() as p:
        for _ in range(INCREMENTS):
            while True:
                try:
                    p.watch("counter")
                    v = int(p.get("counter") or 0)
                    p.multi()
                    p.set("counter", v + 1)
                    p.rpush("log", v + 1)
                    p.execute()
                    break
                except redis.WatchError:
                    retries += 1
                    if retries > 100000:
                        sys.exit("too many retries")
    print(retries, flush=True)


def main():
    r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
    r.flushdb()

    # Deterministic: a write by another client aborts the transaction.
    other = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
    with r.pipeline() as p:
        p.watch("k")
        eq(p.get("k"), None, "watched GET in immediate mode")
        other.set("k", "changed")
        p.multi()
        p.set("k", "mine")
        try:
            p.execute()
            raise AssertionError("EXEC after a concurrent write must abort")
        except redis.WatchError:
            pass
    eq(r.get("k"), b"changed", "aborted EXEC applied nothing")

    # Without interference the same sequence commits.
    with r.pipeline() as p:
        p.watch("k")
        v = p.get("k")
        p.multi()
        p.set("k", v + b"+mine")
        eq(p.execute(), [True], "EXEC without interference")
    eq(r.get("k"), b"changed+mine", "committed value")

    # UNWATCH forgets the watched key.
    with r.pipeline() as p:
        p.watch("k")
        other.set("k", "again")
        p.unwatch()
        p.multi()
        p.set("k", "after-unwatch")
        eq(p.execute(), [True], "EXEC after UNWATCH")
    eq(r.get("k"), b"after-unwatch", "value after UNWATCH")

    # The transaction() helper retries on WatchError until it commits.
    calls = []

    def bump(pipe):
        calls.append(1)
        cur = int(pipe.get("t") or 0)
        if len(calls) == 1:
            other.set("t", 10)  # interfere once
        pipe.multi()
        pipe.set("t", cur + 1)

    eq(r.transaction(bump, "t"), [True], "transaction() result")
    eq(len(calls), 2, "transaction() retried once after interference")
    eq(r.get("t"), b"11", "transaction() final value")

    # Contention from several processes.
    procs = [
        subprocess.Popen([sys.executable, __file__, "worker"], stdout=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    try:
        r.set("go", 1)
        retries = []
        for proc in procs:
            out, _ = proc.communicate(timeout=90)
            eq(proc.returncode, 0, "worker exit status")
            retries.append(int(out.strip()))
    finally:
        for proc in procs:
            stop_process(proc)
    total = WORKERS * INCREMENTS
    eq(r.get("counter"), str(total).encode(), "final counter value (no lost update)")
    log = [int(x) for x in r.lrange("log", 0, -1)]
    eq(log, list(range(1, total + 1)), "every increment committed exactly once, in order")
    print(f"WatchError retries per worker: {retries}", flush=True)
    done("redis_py_watch")


if __name__ == "__main__":
    if sys.argv[1:] == ["worker"]:
        worker()
    else:
        main()
