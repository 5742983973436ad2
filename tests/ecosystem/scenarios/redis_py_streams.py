"""redis-py 8.x (RESP3): a stream with a consumer group.

XADD (generated and explicit IDs, MAXLEN), XGROUP CREATE, XREADGROUP for new entries by two
consumers, XACK, XPENDING (summary and extended form), XAUTOCLAIM of a dead consumer's entries,
re-reading a consumer's own history (ID 0), a blocking XREADGROUP woken by an XADD from another
client, XINFO GROUPS / CONSUMERS bookkeeping, and an at-least-once worker loop that processes 50
entries exactly once.
"""
import threading
import time

import redis

from common import HOST, PORT, check, done, eq, wait_until

TIMEOUT = 5.0

r = redis.Redis(host=HOST, port=PORT, socket_timeout=15)
r.flushdb()


def entries(reply, stream=b"events"):
    """The (id, fields) list of one stream from an XREAD/XREADGROUP reply (RESP2 list or RESP3 map)."""
    if reply is None or reply == [] or reply == {}:
        return []
    if isinstance(reply, dict):
        return [(i, f) for i, f in reply[stream][0]]
    (name, items), = reply
    eq(name, stream, "stream name in reply")
    return [(i, f) for i, f in items]


ids = [r.xadd("events", {"n": str(i), "kind": "click"}) for i in range(5)]
check(all(isinstance(i, bytes) and b"-" in i for i in ids), "XADD returns IDs", ids)
check(ids == sorted(ids, key=lambda x: tuple(map(int, x.split(b"-")))), "IDs increase", ids)
eq(r.xadd("explicit", {"a": "1"}, id="5-1"), b"5-1", "XADD with an explicit ID")
try:
    r.xadd("explicit", {"a": "2"}, id="5-1")
    raise AssertionError("XADD with a non-increasing ID must fail")
except redis.ResponseError as e:
    check("equal or smaller" in str(e), "XADD smaller-ID error text", str(e))
eq(r.xlen("events"), 5, "XLEN")

eq(r.xgroup_create("events", "workers", id="0"), True, "XGROUP CREATE")
try:
    r.xgroup_create("events", "workers", id="0")
    raise AssertionError("duplicate group must fail")
except redis.ResponseError as e:
    check(str(e).startswith("BUSYGROUP"), "BUSYGROUP error", str(e))

got1 = entries(r.xreadgroup("workers", "alice", {"events": ">"}, count=3))
eq([i for i, _ in got1], ids[:3], "alice reads the first 3 entries")
eq(got1[0][1], {b"n": b"0", b"kind": b"click"}, "entry fields")
got2 = entries(r.xreadgroup("workers", "bob", {"events": ">"}, count=10))
eq([i for i, _ in got2], ids[3:], "bob reads the remaining 2")
eq(entries(r.xreadgroup("workers", "bob", {"events": ">"}, count=10)), [], "no new entries")

eq(r.xack("events", "workers", ids[0], ids[1]), 2, "XACK two entries")
eq(r.xack("events", "workers", ids[0]), 0, "XACK of an acked entry")

summary = r.xpending("events", "workers")
eq(summary["pending"], 3, "XPENDING count")
eq((summary["min"], summary["max"]), (ids[2], ids[4]), "XPENDING range")
eq(
    sorted((c["name"], c["pending"]) for c in summary["consumers"]),
    [(b"alice", 1), (b"bob", 2)],
    "XPENDING per consumer",
)
ext = r.xpending_range("events", "workers", min="-", max="+", count=10)
eq([(p["message_id"], p["consumer"], p["times_delivered"]) for p in ext],
   [(ids[2], b"alice", 1), (ids[3], b"bob", 1), (ids[4], b"bob", 1)], "XPENDING extended form")
eq([p["message_id"] for p in r.xpending_range("events", "workers", "-", "+", 10, consumername="bob")],
   ids[3:], "XPENDING filtered by consumer")

# bob dies; carol claims his entries after they've been idle a little.
wait_until(
    lambda: min(p["time_since_delivered"] for p in r.xpending_range("events", "workers", "-", "+", 10))
    >= 30,
    TIMEOUT,
    "pending entries idle for 30 ms",
)
claimed = r.xautoclaim("events", "workers", "carol", min_idle_time=20, start_id="0-0", count=10)
next_id, msgs = claimed[0], claimed[1]
eq(next_id, b"0-0", "XAUTOCLAIM scanned the whole PEL")
eq([m[0] for m in msgs], ids[2:], "XAUTOCLAIM claims every idle entry")
eq(msgs[-1][1], {b"n": b"4", b"kind": b"click"}, "claimed entry fields")
ext = r.xpending_range("events", "workers", "-", "+", 10)
eq([(p["consumer"], p["times_delivered"]) for p in ext], [(b"carol", 2)] * 3,
   "claimed entries belong to carol, delivered twice")
only_ids = r.xautoclaim("events", "workers", "dave", min_idle_time=3_600_000, start_id="0-0",
                        justid=True)
eq(only_ids, [], "XAUTOCLAIM JUSTID with a high min-idle claims nothing")

# carol re-reads her own history (ID 0) and acks it.
hist = entries(r.xreadgroup("workers", "carol", {"events": "0"}))
eq([i for i, _ in hist], ids[2:], "history of carol's pending entries")
eq(r.xack("events", "workers", *ids[2:]), 3, "carol acks")
eq(r.xpending("events", "workers")["pending"], 0, "nothing pending")

# A blocking XREADGROUP is woken by an XADD.
result = {}


def reader():
    c = redis.Redis(host=HOST, port=PORT, socket_timeout=15)
    result["v"] = c.xreadgroup("workers", "dan", {"events": ">"}, count=1, block=10_000)


t = threading.Thread(target=reader, daemon=True)
t.start()
wait_until(lambda: int(r.info("clients")["blocked_clients"]) == 1, TIMEOUT, "XREADGROUP blocked")
new_id = r.xadd("events", {"n": "5"})
t.join(TIMEOUT)
check(not t.is_alive(), "blocked XREADGROUP returned")
eq(entries(result["v"]), [(new_id, {b"n": b"5"})], "blocked XREADGROUP got the new entry")
start = time.monotonic()
eq(entries(r.xreadgroup("workers", "dan", {"events": ">"}, block=200)), [], "XREADGROUP BLOCK timeout")
check(time.monotonic() - start >= 0.18, "XREADGROUP waited for its timeout")

groups = r.xinfo_groups("events")
eq(len(groups), 1, "one group")
eq((groups[0]["name"], groups[0]["pending"], groups[0]["last-delivered-id"]),
   (b"workers", 1, new_id), "XINFO GROUPS")
eq(sorted(c["name"] for c in r.xinfo_consumers("events", "workers")),
   [b"alice", b"bob", b"carol", b"dan"], "XINFO CONSUMERS (XAUTOCLAIM claiming nothing creates no consumer)")

# An at-least-once worker loop over 50 entries, with a second group reading from the start.
r.xgroup_create("events", "audit", id="0")
for i in range(50):
    r.xadd("events", {"job": str(i)})
processed = []
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    batch = entries(r.xreadgroup("audit", "w1", {"events": ">"}, count=7, block=100))
    if not batch:
        break
    for i, f in batch:
        processed.append(f)
    r.xack("events", "audit", *[i for i, _ in batch])
eq(len(processed), 56, "audit group read every entry once")
eq([f[b"job"] for f in processed if b"job" in f], [str(i).encode() for i in range(50)],
   "entries in order")
eq(r.xpending("events", "audit")["pending"], 0, "audit group acked everything")
eq(r.xlen("events"), 56, "XLEN after the loop")
eq(r.xtrim("events", maxlen=10, approximate=False), 46, "XTRIM MAXLEN")
eq(r.xlen("events"), 10, "XLEN after XTRIM")
done("redis_py_streams")
