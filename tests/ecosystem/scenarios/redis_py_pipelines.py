"""redis-py 8.x, default protocol (RESP3 via HELLO 3): pipelines with and without MULTI/EXEC.

Checks the handshake really negotiated RESP3, that a plain pipeline returns every reply in order
(RESP3 maps, sets and doubles decoded to dict/set/float), that a per-command error in a pipeline
doesn't stop the others, that a transaction's runtime error leaves the rest applied, that a
queueing error aborts the whole transaction (EXECABORT) with nothing applied, and a 1000-command
pipeline.
"""
import redis

from common import HOST, PORT, check, done, eq

r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
r.flushdb()

# Default behaviour: redis-py 8 speaks RESP3.
conn = r.connection_pool.get_connection()
try:
    eq(conn.protocol, 3, "redis-py default protocol")
    eq(conn.handshake_metadata.get(b"proto"), 3, "HELLO 3 reply proto")
    check(b"version" in conn.handshake_metadata, "HELLO reply has a version", conn.handshake_metadata)
finally:
    r.connection_pool.release(conn)
eq(r.client_info().get("resp"), "3", "CLIENT INFO resp field")

# A pipeline without a transaction.
p = r.pipeline(transaction=False)
p.set("s", "v1")
p.incr("n")
p.incrby("n", 41)
p.rpush("l", "a", "b", "c")
p.lrange("l", 0, -1)
p.hset("h", mapping={"f1": "1", "f2": "2"})
p.hgetall("h")
p.sadd("set", "x", "y", "z")
p.smembers("set")
p.zadd("z", {"m1": 1.5, "m2": 2.25, "m3": -3})
p.zrange("z", 0, -1, withscores=True)
p.zscore("z", "m2")
p.get("missing")
p.expire("s", 100)
p.ttl("s")
p.exists("s", "n", "missing")
res = p.execute()
eq(
    res,
    [
        True,
        1,
        42,
        3,
        [b"a", b"b", b"c"],
        2,
        {b"f1": b"1", b"f2": b"2"},
        3,
        {b"x", b"y", b"z"},
        3,
        [(b"m3", -3.0), (b"m1", 1.5), (b"m2", 2.25)],
        2.25,
        None,
        True,
        100,
        2,
    ],
    "non-transactional pipeline replies",
)

# An error in the middle of a plain pipeline: the other commands still run.
p = r.pipeline(transaction=False)
p.set("a", "1")
p.incr("s")  # "v1" is not an integer
p.lpush("s", "x")  # WRONGTYPE
p.get("a")
res = p.execute(raise_on_error=False)
eq(res[0], True, "pipeline SET before the error")
check(isinstance(res[1], redis.ResponseError), "INCR on a string fails", res[1])
eq(str(res[1]), "value is not an integer or out of range", "INCR error text")
check(isinstance(res[2], redis.ResponseError), "LPUSH on a string fails", res[2])
check(str(res[2]).startswith("WRONGTYPE"), "LPUSH error is WRONGTYPE", str(res[2]))
eq(res[3], b"1", "pipeline GET after the error")

# A transaction (MULTI ... EXEC).
p = r.pipeline(transaction=True)
p.incr("tx")
p.incr("tx")
p.lpush("tl", "1", "2")
p.hincrby("h", "f1", 10)
p.zincrby("z", 0.5, "m1")
p.get("tx")
res = p.execute()
eq(res, [1, 2, 2, 11, 2.0, b"2"], "MULTI/EXEC replies")

# A runtime error inside EXEC doesn't roll back or stop the rest.
p = r.pipeline(transaction=True)
p.set("rt", "1")
p.lpush("s", "x")  # WRONGTYPE at EXEC time
p.incr("rt")
res = p.execute(raise_on_error=False)
eq(res[0], True, "EXEC: SET before the runtime error")
check(isinstance(res[1], redis.ResponseError), "EXEC: runtime error reported", res[1])
eq(res[2], 2, "EXEC: INCR after the runtime error")
eq(r.get("rt"), b"2", "EXEC: effects of the transaction")

# A queueing error (wrong arity) aborts the whole transaction.
p = r.pipeline(transaction=True)
p.set("never", "1")
p.execute_command("SET", "onlykey")
p.incr("never2")
try:
    p.execute()
    raise AssertionError("EXEC with a queueing error must fail")
except redis.exceptions.ExecAbortError as e:
    check("previous errors" in str(e), "EXECABORT text", str(e))
except redis.ResponseError as e:
    check("wrong number of arguments" in str(e), "queueing error reported", str(e))
eq(r.exists("never", "never2"), 0, "aborted transaction applied nothing")
eq(r.ping(), True, "connection usable after EXECABORT")

# A large pipeline.
p = r.pipeline(transaction=False)
for _ in range(1000):
    p.incr("big")
res = p.execute()
eq(len(res), 1000, "1000 replies")
eq(res[-1], 1000, "last INCR of 1000")
eq(res, list(range(1, 1001)), "pipelined INCR replies in order")

# Transaction-wrapped large pipeline with mixed types.
with r.pipeline() as p:
    for i in range(200):
        p.rpush("ql", i)
    p.llen("ql")
    p.lrange("ql", 0, 2)
    res = p.execute()
eq(res[199], 200, "200th RPUSH inside MULTI")
eq(res[200:], [200, [b"0", b"1", b"2"]], "LLEN/LRANGE inside MULTI")

done("redis_py_pipelines")
