"""Dramatiq 2.2 with its Redis broker (all Lua: one dispatch script) and Redis results backend.

Messages are sent before a `dramatiq dramatiq_app --processes 1 --threads 1` worker subprocess
starts; one of them is first fetched by a consumer that then "dies" without acking (its heartbeat
is set far in the past), so the worker's maintenance pass (inside the Lua script, using KEYS)
must requeue it. Checks: results of 10 messages, the dead consumer's message requeued and run
once and the dead worker forgotten, a delayed message that runs after (not before) its delay, a
failing actor whose result raises ResultFailure and whose message is dead-lettered, a message
sent while the worker runs, and each message ran exactly once.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import redis
from dramatiq.results import ResultFailure

from common import HOST, PORT, check, done, eq, scripts_run, stop_process, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dramatiq_app import add, fail, make_broker, stamp  # noqa: E402

TIMEOUT_MS = 30_000
DELAY_MS = 1500

r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
r.flushdb()
scripts_before = scripts_run(r)

# A consumer takes the first message and dies without acking it.
orphan = add.send(1000, 1)
dead = make_broker()
consumer = dead.consume("eco", prefetch=1, timeout=1000)
deadline = time.monotonic() + 10
got = None
while got is None and time.monotonic() < deadline:
    got = next(consumer)
check(got is not None, "the soon-dead consumer fetched a message")
eq(got.message_id, orphan.message_id, "it took the first message")
eq(r.llen("dramatiq:eco"), 0, "the fetched message left the queue")
eq(r.scard(f"dramatiq:__acks__.{dead.broker_id}.eco"), 1, "it is in the dead consumer's acks")
r.zadd("dramatiq:__heartbeats__", {dead.broker_id: 1})  # its last heartbeat: long ago

adds = [add.send(i, i * 10) for i in range(10)]
eq(r.llen("dramatiq:eco"), 10, "messages wait in the queue before the worker starts")
check(scripts_run(r) - scripts_before >= 12, "enqueue and fetch ran as scripts",
      scripts_run(r) - scripts_before)

dramatiq_bin = os.path.join(os.path.dirname(sys.executable), "dramatiq")
env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""),
           ECO_DRAMATIQ_MAINTENANCE="1")
log = tempfile.TemporaryFile(mode="w+")
worker = subprocess.Popen(
    [dramatiq_bin, "dramatiq_app", "--processes", "1", "--threads", "1", "--queues", "eco",
     "eco.DQ"],
    cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT,
)
ok = False
try:
    eq([m.get_result(block=True, timeout=TIMEOUT_MS) for m in adds], [i * 11 for i in range(10)],
       "results")
    eq(orphan.get_result(block=True, timeout=TIMEOUT_MS), 1001,
       "the dead consumer's message was requeued by maintenance and ran")
    wait_until(lambda: r.zscore("dramatiq:__heartbeats__", dead.broker_id) is None, 30,
               "the dead worker to leave the heartbeats set")
    eq(r.exists(f"dramatiq:__acks__.{dead.broker_id}.eco"), 0, "its acks set is gone")

    sent_at = time.time()
    delayed = stamp.send_with_options(args=("later",), delay=DELAY_MS)
    quick = stamp.send("now")
    eq(quick.get_result(block=True, timeout=TIMEOUT_MS)["label"], "now",
       "a message sent while the worker runs")
    got = delayed.get_result(block=True, timeout=TIMEOUT_MS)
    eq(got["label"], "later", "delayed message's result")
    check(got["ran_at"] >= sent_at + DELAY_MS / 1000 - 0.05, "delayed message ran after its delay",
          got["ran_at"] - sent_at)

    failing = fail.send("boom")
    try:
        failing.get_result(block=True, timeout=TIMEOUT_MS)
        raise AssertionError("a failed actor's result must raise")
    except ResultFailure as e:
        eq(e.orig_exc_type, "ValueError", "ResultFailure carries the exception type")
        eq(e.orig_exc_msg, "actor failed on purpose: boom", "and its message")
    wait_until(lambda: r.zcard("dramatiq:eco.XQ") == 1, 10, "the failed message dead-lettered")
    check(r.hexists("dramatiq:eco.XQ.msgs", failing.options.get("redis_message_id")
                    or failing.message_id), "dead-lettered message data kept")

    ran = [json.loads(x) for x in r.lrange("eco:ran", 0, -1)]
    eq(sorted((x[0], x[1]) for x in ran),
       sorted([("add", [i, i * 10]) for i in range(10)] + [("add", [1000, 1])]
              + [("stamp", ["now"]), ("stamp", ["later"]), ("fail", ["boom"])]),
       "each message ran exactly once")
    eq([x[1] for x in ran if x[0] == "add"][:10], [[i, i * 10] for i in range(10)],
       "queued messages ran in FIFO order")
    eq(r.llen("dramatiq:eco"), 0, "queue empty")
    check(worker.poll() is None, "worker still running")
    ok = True
finally:
    rc = stop_process(worker, grace=15)
    if not ok or os.environ.get("ECO_VERBOSE"):
        log.seek(0)
        print("--- dramatiq worker log ---\n" + log.read() + "--- end of worker log ---",
              flush=True)
    log.close()
eq(rc, 0, "worker exits cleanly on SIGTERM")
r.flushdb()
done("dramatiq_tasks")
