"""redis-py 8.x (RESP3): blocking pops, BLPOP / BRPOP / BLMOVE, with timeouts.

Checks immediate pops, key order across several keys, timeouts that return None after (not
before) the timeout, wake-ups of blocked clients by a push from another client, FIFO service of
two clients blocked on one key, a BLMOVE hand-off into a list another client is blocked on, and a
reliable-queue loop (BLMOVE to a processing list, then LREM) draining 100 jobs exactly once.
Blocked clients run in threads with their own connections; every wait is bounded.
"""
import threading
import time

import redis

from common import HOST, PORT, check, done, eq, wait_until

TIMEOUT = 5.0


def client():
    return redis.Redis(host=HOST, port=PORT, socket_timeout=15)


r = client()
r.flushdb()


def blocked_clients():
    return int(r.info("clients")["blocked_clients"])


class Blocker(threading.Thread):
    """Runs one blocking call on its own connection and keeps its result."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn = fn
        self.result = "unset"
        self.error = None

    def run(self):
        try:
            self.result = self.fn(client())
        except Exception as e:  # reported by finish()
            self.error = e

    def finish(self, what):
        self.join(TIMEOUT)
        check(not self.is_alive(), f"{what}: blocked call returned")
        check(self.error is None, f"{what}: no error", self.error)
        return self.result


# Immediate pops, and key order across several keys.
r.rpush("q2", "a", "b")
eq(r.blpop(["q1", "q2"], timeout=1), (b"q2", b"a"), "BLPOP takes from the first non-empty key")
eq(r.brpop(["q1", "q2"], timeout=1), (b"q2", b"b"), "BRPOP pops from the tail")
eq(r.exists("q2"), 0, "emptied list is deleted")

# Timeouts, fractional and integral.
for t in (0.2, 1):
    start = time.monotonic()
    eq(r.blpop(["empty"], timeout=t), None, f"BLPOP timeout {t}")
    elapsed = time.monotonic() - start
    check(t * 0.9 <= elapsed < t + 2, f"BLPOP {t}s timeout took {elapsed:.3f}s")
start = time.monotonic()
eq(r.blmove("empty", "dst", 0.2, "LEFT", "RIGHT"), None, "BLMOVE timeout")
check(0.18 <= time.monotonic() - start < 2.2, "BLMOVE waited for its timeout")

# A push wakes a blocked client.
b = Blocker(lambda c: c.blpop(["jobs"], timeout=10))
b.start()
wait_until(lambda: blocked_clients() == 1, TIMEOUT, "BLPOP client blocked")
eq(r.rpush("jobs", "job-1"), 1, "RPUSH to a waited-on key")
eq(b.finish("BLPOP wake-up"), (b"jobs", b"job-1"), "BLPOP woken by RPUSH")
eq(r.llen("jobs"), 0, "handed-off element is not left in the list")

# Two clients blocked on the same key are served in the order they blocked.
b1 = Blocker(lambda c: c.brpop(["fifo"], timeout=10))
b1.start()
wait_until(lambda: blocked_clients() == 1, TIMEOUT, "first client blocked")
b2 = Blocker(lambda c: c.brpop(["fifo"], timeout=10))
b2.start()
wait_until(lambda: blocked_clients() == 2, TIMEOUT, "second client blocked")
eq(r.lpush("fifo", "x", "y"), 2, "LPUSH two elements")  # list: y x, tail is x
eq(b1.finish("first waiter"), (b"fifo", b"x"), "first waiter gets the first element")
eq(b2.finish("second waiter"), (b"fifo", b"y"), "second waiter gets the next one")
eq(blocked_clients(), 0, "no client left blocked")

# BLMOVE chain: a move into a list another client waits on wakes that client.
bl = Blocker(lambda c: c.blpop(["stage2"], timeout=10))
bl.start()
wait_until(lambda: blocked_clients() == 1, TIMEOUT, "stage2 consumer blocked")
bm = Blocker(lambda c: c.blmove("stage1", "stage2", 10, "RIGHT", "LEFT"))
bm.start()
wait_until(lambda: blocked_clients() == 2, TIMEOUT, "stage1 mover blocked")
r.rpush("stage1", "payload")
eq(bm.finish("BLMOVE mover"), b"payload", "BLMOVE returns the moved element")
eq(bl.finish("stage2 consumer"), (b"stage2", b"payload"), "moved element handed on to BLPOP")
eq(r.exists("stage1", "stage2"), 0, "nothing left behind in the chain")

# Reliable queue: producer thread, consumer using BLMOVE + LREM.
N = 100
def produce():
    p = client()
    for i in range(N):
        p.lpush("rq", f"job-{i}")


seen = []
prod = threading.Thread(target=produce, daemon=True)
prod.start()
deadline = time.monotonic() + 30
while len(seen) < N and time.monotonic() < deadline:
    job = r.blmove("rq", "rq:processing", 1, "RIGHT", "LEFT")
    if job is None:
        continue
    seen.append(job)
    eq(r.lrem("rq:processing", 1, job), 1, "LREM acknowledges the job")
prod.join(TIMEOUT)
eq(seen, [f"job-{i}".encode() for i in range(N)], "reliable queue drained exactly once, FIFO")
eq(r.exists("rq", "rq:processing"), 0, "queue and processing list empty")

# Blocking commands inside MULTI never block: they behave like a timed-out call.
with r.pipeline(transaction=True) as p:
    p.blpop(["nothing"], timeout=0)
    p.rpush("m", "v")
    p.blpop(["m"], timeout=0)
    eq(p.execute(), [None, 1, (b"m", b"v")], "BLPOP inside MULTI does not block")

done("redis_py_blocking")
