"""Celery 5.7 with kombu 5.7: Redis as broker and result backend, a `--pool=solo` worker.

A producer sends tasks before the worker starts (they wait in the `celery` list), then a worker
subprocess (`celery -A celery_app worker --pool=solo`, mingle and gossip on, as by default) runs
them and is stopped by PID (warm shutdown). Checks: results of 10 tasks, a task sent while the
worker runs, a countdown task that runs after (not before) its ETA, a failing task whose state is
FAILURE with the ValueError as its result, a group, a chord (its header results are counted by
the backend's Lua script, then the callback runs once), and that every task ran exactly once.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import redis
from celery import chord, group

from common import HOST, PORT, check, done, eq, scripts_run, stop_process

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from celery_app import add, app, fail, stamp, tsum  # noqa: E402

TIMEOUT = 30
COUNTDOWN = 2.0

r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
r.flushdb()
scripts_before = scripts_run(r)

adds = [add.delay(i, i * 10) for i in range(10)]
eq(r.llen("celery"), 10, "tasks wait in the broker's list before a worker starts")

worker_bin = os.path.join(os.path.dirname(sys.executable), "celery")
env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
log = tempfile.TemporaryFile(mode="w+")
worker = subprocess.Popen(
    [worker_bin, "-A", "celery_app", "worker", "--pool=solo", "--concurrency=1",
     "--loglevel=WARNING", "--hostname=eco@localhost"],
    cwd=HERE,
    env=env,
    stdout=log,
    stderr=subprocess.STDOUT,
)
ok = False
try:
    eq([x.get(timeout=TIMEOUT) for x in adds], [i * 11 for i in range(10)], "add results")
    check(all(x.state == "SUCCESS" for x in adds), "states are SUCCESS")

    # Sent while the worker is already waiting on the queue.
    eq(add.delay(20, 22).get(timeout=TIMEOUT), 42, "task sent while the worker runs")

    # A countdown task runs after its ETA, not before.
    sent_at = time.time()
    delayed = stamp.apply_async(args=["later"], countdown=COUNTDOWN)
    quick = stamp.delay("now")
    eq(quick.get(timeout=TIMEOUT)["label"], "now", "immediate task overtakes the countdown task")
    if time.time() < sent_at + COUNTDOWN - 0.5:  # (unless this machine is very slow)
        check(delayed.state == "PENDING", "countdown task not run yet", delayed.state)
    got = delayed.get(timeout=TIMEOUT)
    eq(got["label"], "later", "countdown task result")
    check(got["ran_at"] >= sent_at + COUNTDOWN - 0.05, "countdown task ran after its ETA",
          got["ran_at"] - sent_at)

    # A failing task.
    failing = fail.delay("boom")
    failing.get(timeout=TIMEOUT, propagate=False)
    eq(failing.state, "FAILURE", "failing task's state")
    check(isinstance(failing.result, ValueError), "failing task's result is its exception",
          failing.result)
    check("task failed on purpose: boom" in str(failing.result), "exception message",
          str(failing.result))
    check("ValueError" in (failing.traceback or ""), "traceback stored", failing.traceback)

    # A group and a chord (the chord's parts are counted by the backend's Lua script).
    eq(group(add.s(i, 1) for i in range(5)).apply_async().get(timeout=TIMEOUT),
       [1, 2, 3, 4, 5], "group results")
    eq(chord(add.s(i, i) for i in range(6))(tsum.s()).get(timeout=TIMEOUT), 30, "chord result")

    ran = [json.loads(x) for x in r.lrange("eco:ran", 0, -1)]
    names = [x[0] for x in ran]
    eq(names.count("add"), 10 + 1 + 5 + 6, "each add ran once")
    eq(names.count("tsum"), 1, "chord callback ran once")
    eq([x[1] for x in ran if x[0] == "tsum"], [[[0, 2, 4, 6, 8, 10]]], "chord callback input")
    eq(names.count("fail"), 1, "failing task ran once (no retry configured)")
    eq([x[1][0] for x in ran if x[0] == "stamp"], ["now", "later"], "stamp order")
    eq([x[1] for x in ran[:10]], [[i, i * 10] for i in range(10)],
       "queued tasks ran in FIFO order")
    check(scripts_run(r) - scripts_before >= 6, "the chord's 6 parts went through the Lua script",
          scripts_run(r) - scripts_before)
    check(worker.poll() is None, "worker still running")
    ok = True
finally:
    rc = stop_process(worker, grace=15)
    if not ok or os.environ.get("ECO_VERBOSE"):
        log.seek(0)
        print("--- celery worker log ---\n" + log.read() + "--- end of worker log ---", flush=True)
    log.close()
eq(rc, 0, "worker exits cleanly on SIGTERM (warm shutdown)")
r.flushdb()
done("celery_tasks")
